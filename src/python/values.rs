//! Python values <-> the type layer: backend rows to DataRow bytes, bind parameters to Python.
//!
//! Rows are encoded while attached, straight from the Python objects, borrowing
//! their str/bytes buffers: no intermediate copies.

use bytes::BytesMut;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt, PyString};

use super::backend::RowPlan;
use crate::error::{PgError, PgResult};
use crate::protocol::backend::{begin_data_row, data_row_null, data_row_value, finish_data_row};
use crate::types::{self, Param, Value};

/// Encode one backend row (any Python sequence) as a DataRow.
pub fn encode_row(row: &Bound<'_, PyAny>, plan: &RowPlan, out: &mut BytesMut) -> PgResult<()> {
    let ncols = plan.types.len();
    let start = begin_data_row(out, ncols as i16);
    for i in 0..ncols {
        let item = row.get_item(i).map_err(|_| PgError::internal(format!("backend row has fewer than {ncols} columns")))?;
        if item.is_none() {
            data_row_null(out);
            continue;
        }
        let owned;
        let cow;
        let value = if let Ok(b) = item.cast::<PyBool>() {
            Value::Bool(b.is_true())
        } else if let Ok(i) = item.cast::<PyInt>() {
            match i.extract::<i64>() {
                Ok(v) => Value::Int(v),
                Err(_) => {
                    // Beyond 64 bits: its decimal text is exact.
                    owned = i.str().map_err(|e| PgError::internal(e.to_string()))?.to_string();
                    Value::Text(&owned)
                }
            }
        } else if let Ok(f) = item.cast::<PyFloat>() {
            Value::Float(f.value())
        } else if let Ok(s) = item.cast::<PyString>() {
            // abi3 for 3.9 has no borrowed UTF-8 view, so this may copy.
            cow = s.to_cow().map_err(|e| PgError::internal(e.to_string()))?;
            Value::Text(&cow)
        } else if let Ok(b) = item.cast::<PyBytes>() {
            Value::Bytes(b.as_bytes())
        } else {
            // Decimal, datetime, UUID, ...: their str() is PostgreSQL's text form for now.
            owned = item.str().map_err(|e| PgError::internal(e.to_string()))?.to_string();
            Value::Text(&owned)
        };
        data_row_value(out, |buf| types::encode(&value, plan.types[i], plan.formats[i], buf))?;
    }
    finish_data_row(out, start);
    Ok(())
}

/// A decoded bind parameter as the Python object handed to the backend.
pub fn param_to_py<'py>(py: Python<'py>, p: &Param) -> PyResult<Bound<'py, PyAny>> {
    Ok(match p {
        Param::Null => py.None().into_bound(py),
        Param::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Param::Int(i) => i.into_pyobject(py)?.into_any(),
        Param::Float(f) => PyFloat::new(py, *f).into_any(),
        Param::Text(s) => PyString::new(py, s).into_any(),
        Param::Bytes(b) => PyBytes::new(py, b).into_any(),
    })
}
