//! Python values <-> the type layer: backend rows to DataRow bytes, bind parameters to Python.
//!
//! Rows are encoded while attached, straight from the Python objects, borrowing
//! their str/bytes buffers for the common kinds; datetime, Decimal, UUID, lists,
//! ... go through an owned [`Param`] first.

use bytes::BytesMut;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};

use crate::backend::RowPlan;
use crate::error::{PgError, PgResult};
use crate::protocol::backend::{data_row, data_row_null, data_row_value};
use crate::types::datetime::{date2j, POSTGRES_EPOCH_JDATE, USECS_PER_DAY, USECS_PER_SEC};
use crate::types::{self, Interval, Param, Value};

/// Encode one backend row (any Python sequence) as a DataRow.
pub fn encode_row(row: &Bound<'_, PyAny>, plan: &RowPlan, out: &mut BytesMut) -> PgResult<()> {
    let ncols = plan.types.len();
    data_row(out, ncols as i16, |out| {
        for i in 0..ncols {
            let item = row
                .get_item(i)
                .map_err(|_| PgError::internal(format!("backend row has fewer than {ncols} columns")))?;
            if item.is_none() {
                data_row_null(out);
                continue;
            }
            with_value(&item, |value| {
                data_row_value(out, |buf| {
                    types::encode_typmod(value, plan.types[i], plan.typmods[i], plan.formats[i], &plan.ctx, buf)
                })
            })?;
        }
        Ok(())
    })
}

/// Run `f` on a (non-None) backend value as the type layer sees it, borrowing the
/// Python object's buffer for the common kinds.
pub fn with_value<R>(item: &Bound<'_, PyAny>, f: impl FnOnce(&Value<'_>) -> PgResult<R>) -> PgResult<R> {
    let cow;
    let owned;
    let value = if let Ok(b) = item.cast::<PyBool>() {
        Value::Bool(b.is_true())
    } else if let Ok(n) = item.cast::<PyInt>() {
        match n.extract::<i64>() {
            Ok(v) => Value::Int(v),
            Err(_) => {
                owned = py_to_param(item)?;
                owned.as_value()
            }
        }
    } else if let Ok(fl) = item.cast::<PyFloat>() {
        Value::Float(fl.value())
    } else if let Ok(s) = item.cast::<PyString>() {
        // abi3 for 3.9 has no borrowed UTF-8 view, so this may copy.
        cow = s.to_cow().map_err(py_err)?;
        Value::Text(&cow)
    } else if let Ok(b) = item.cast::<PyBytes>() {
        Value::Bytes(b.as_bytes())
    } else {
        owned = py_to_param(item)?;
        owned.as_value()
    };
    f(&value)
}

fn py_err(e: PyErr) -> PgError {
    PgError::internal(e.to_string())
}

static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DATE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TIMEDELTA: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static UUID: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn is(item: &Bound<'_, PyAny>, cell: &PyOnceLock<Py<PyType>>, module: &str, name: &str) -> PgResult<bool> {
    let cls = cell.import(item.py(), module, name).map_err(py_err)?;
    item.is_instance(cls).map_err(py_err)
}

fn int_attr(item: &Bound<'_, PyAny>, name: &Bound<'_, PyString>) -> PgResult<i64> {
    item.getattr(name).and_then(|v| v.extract::<i64>()).map_err(py_err)
}

/// timedelta -> microseconds.
fn timedelta_us(td: &Bound<'_, PyAny>) -> PgResult<i64> {
    let py = td.py();
    let days = int_attr(td, intern!(py, "days"))?;
    let secs = int_attr(td, intern!(py, "seconds"))?;
    let us = int_attr(td, intern!(py, "microseconds"))?;
    Ok(days * USECS_PER_DAY + secs * USECS_PER_SEC + us)
}

/// `utcoffset()` of an aware datetime/time, in seconds east; None when naive.
fn utc_offset(item: &Bound<'_, PyAny>) -> PgResult<Option<i64>> {
    let off = item.call_method0(intern!(item.py(), "utcoffset")).map_err(py_err)?;
    if off.is_none() {
        return Ok(None);
    }
    Ok(Some(timedelta_us(&off)?.div_euclid(USECS_PER_SEC)))
}

fn date_days(item: &Bound<'_, PyAny>) -> PgResult<i64> {
    let py = item.py();
    let (y, m, d) = (
        int_attr(item, intern!(py, "year"))?,
        int_attr(item, intern!(py, "month"))?,
        int_attr(item, intern!(py, "day"))?,
    );
    Ok(date2j(y, m, d) - POSTGRES_EPOCH_JDATE)
}

fn time_us(item: &Bound<'_, PyAny>) -> PgResult<i64> {
    let py = item.py();
    let h = int_attr(item, intern!(py, "hour"))?;
    let m = int_attr(item, intern!(py, "minute"))?;
    let s = int_attr(item, intern!(py, "second"))?;
    let us = int_attr(item, intern!(py, "microsecond"))?;
    Ok(((h * 60 + m) * 60 + s) * USECS_PER_SEC + us)
}

/// Any backend value as an owned parameter-shaped value (the non-hot path).
pub fn py_to_param(item: &Bound<'_, PyAny>) -> PgResult<Param> {
    let py = item.py();
    if item.is_none() {
        return Ok(Param::Null);
    }
    if let Ok(b) = item.cast::<PyBool>() {
        return Ok(Param::Bool(b.is_true()));
    }
    if let Ok(n) = item.cast::<PyInt>() {
        return Ok(match n.extract::<i64>() {
            Ok(v) => Param::Int(v),
            // Beyond 64 bits: exact as a numeric.
            Err(_) => Param::Decimal(n.str().map_err(py_err)?.to_string()),
        });
    }
    if let Ok(f) = item.cast::<PyFloat>() {
        return Ok(Param::Float(f.value()));
    }
    if let Ok(s) = item.cast::<PyString>() {
        return Ok(Param::Text(s.to_cow().map_err(py_err)?.into_owned()));
    }
    if let Ok(b) = item.cast::<PyBytes>() {
        return Ok(Param::Bytes(b.as_bytes().to_vec()));
    }
    if let Ok(b) = item.cast::<PyByteArray>() {
        return Ok(Param::Bytes(b.to_vec()));
    }
    // datetime before date: it is a subclass.
    if is(item, &DATETIME, "datetime", "datetime")? {
        let local = date_days(item)? * USECS_PER_DAY + time_us(item)?;
        return Ok(match utc_offset(item)? {
            Some(off) => Param::TimestampTz(local - off * USECS_PER_SEC),
            None => Param::Timestamp(local),
        });
    }
    if is(item, &DATE, "datetime", "date")? {
        return Ok(Param::Date(date_days(item)? as i32));
    }
    if is(item, &TIME, "datetime", "time")? {
        let micros = time_us(item)?;
        return Ok(match utc_offset(item)? {
            Some(off) => Param::TimeTz { micros, offset: off as i32 },
            None => Param::Time(micros),
        });
    }
    if is(item, &TIMEDELTA, "datetime", "timedelta")? {
        let us = timedelta_us(item)?;
        let days = us.div_euclid(USECS_PER_DAY);
        return Ok(Param::Interval(Interval {
            months: 0,
            days: i32::try_from(days).map_err(|_| PgError::internal("timedelta out of range"))?,
            micros: us.rem_euclid(USECS_PER_DAY),
        }));
    }
    if is(item, &DECIMAL, "decimal", "Decimal")? {
        return Ok(Param::Decimal(item.str().map_err(py_err)?.to_string()));
    }
    if is(item, &UUID, "uuid", "UUID")? {
        let b = item.getattr(intern!(py, "bytes")).map_err(py_err)?;
        let b = b.cast::<PyBytes>().map_err(|e| PgError::internal(e.to_string()))?;
        let u: [u8; 16] = b.as_bytes().try_into().map_err(|_| PgError::internal("UUID.bytes is not 16 bytes"))?;
        return Ok(Param::Uuid(u));
    }
    if item.cast::<PyList>().is_ok() || item.cast::<PyTuple>().is_ok() {
        let items = item
            .try_iter()
            .map_err(py_err)?
            .map(|e| e.map_err(py_err).and_then(|e| py_to_param(&e)))
            .collect::<PgResult<Vec<_>>>()?;
        return Ok(Param::Array(items));
    }
    if item.cast::<PyDict>().is_ok() {
        let json = py.import("json").and_then(|m| m.call_method1("dumps", (item,))).map_err(py_err)?;
        return Ok(Param::Json(json.str().map_err(py_err)?.to_string()));
    }
    Ok(Param::Text(item.str().map_err(py_err)?.to_string()))
}

/// A decoded bind parameter as the Python object handed to the backend. Backends
/// take None/bool/int/float/str/bytes (base.py): other kinds go as their
/// PostgreSQL text form (see `types::param_text`).
pub fn param_to_py<'py>(py: Python<'py>, p: &Param) -> PyResult<Bound<'py, PyAny>> {
    Ok(match p {
        Param::Null => py.None().into_bound(py),
        Param::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Param::Int(i) => i.into_pyobject(py)?.into_any(),
        // sqlite stores a NaN REAL as NULL; as text it survives and reads back as NaN.
        Param::Float(f) if f.is_nan() => PyString::new(py, "NaN").into_any(),
        Param::Float(f) => PyFloat::new(py, *f).into_any(),
        Param::Text(s) => PyString::new(py, s).into_any(),
        Param::Bytes(b) => PyBytes::new(py, b).into_any(),
        other => {
            let text = types::param_text(other).map_err(|e| pyo3::exceptions::PyValueError::new_err(e.message))?;
            PyString::new(py, &text).into_any()
        }
    })
}
