//! COPY rows across the Python boundary: a batch of raw COPY FROM fields decoded and
//! handed to the backend's `executemany(sql, rows)` in one call, and backend rows
//! encoded as COPY TO's CopyData messages.

use bytes::BytesMut;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use super::backend::{py_err_to_pg, BackendConn, BackendCursor, Batch, RowPlan};
use super::values::{param_to_py, with_value};
use crate::copy::{printable, RowBatch, RowWriter};
use crate::error::{PgError, PgResult};
use crate::protocol::backend::{begin_copy_data, finish_copy_data};
use crate::types::{self, Format, PgType, TypeCtx};

/// How the rows of one COPY FROM reach the backend.
pub struct InsertPlan {
    /// `INSERT INTO t (cols) VALUES (?, ..)` for the backend.
    pub sql: String,
    /// For each `?` of `sql`, the COPY column it takes.
    pub order: Vec<usize>,
    pub types: Vec<&'static PgType>,
    pub names: Vec<String>,
    /// Text and CSV fields are text input; binary fields each type's binary input.
    pub format: Format,
    pub ctx: TypeCtx,
    /// For error contexts: `COPY <relation>, line N`.
    pub relation: String,
}

impl InsertPlan {
    fn context(&self, line: u64) -> String {
        format!("COPY {}, line {line}", self.relation)
    }
}

/// Decode the rows of `batch` and insert them with one `executemany`. Rows before a
/// malformed one are inserted first, so errors come in input order as in PostgreSQL.
pub fn insert_batch(conn: &BackendConn, plan: &InsertPlan, batch: &RowBatch) -> PgResult<u64> {
    let ncols = plan.types.len();
    Python::attach(|py| {
        let rows = PyList::empty(py);
        let mut decode_error = None;
        let mut values = Vec::with_capacity(ncols);
        'rows: for row in 0..batch.rows() {
            values.clear();
            for col in 0..ncols {
                let raw = batch.field(ncols, row, col);
                match types::decode_param(raw, plan.types[col].oid, plan.format, &plan.ctx) {
                    Ok(v) => values.push(v),
                    Err(e) => {
                        let line = batch.lines[row];
                        let name = &plan.names[col];
                        let context = match raw {
                            Some(raw) if plan.format == Format::Text => {
                                format!("{}, column {name}: \"{}\"", plan.context(line), printable(raw))
                            }
                            _ => format!("{}, column {name}", plan.context(line)),
                        };
                        decode_error = Some(e.with_context(context));
                        break 'rows;
                    }
                }
            }
            let items = plan.order.iter().map(|&i| param_to_py(py, &values[i])).collect::<PyResult<Vec<_>>>();
            let tuple = items.and_then(|items| PyTuple::new(py, items)).map_err(|e| py_err_to_pg(py, e))?;
            rows.append(tuple).map_err(|e| py_err_to_pg(py, e))?;
        }
        let mut inserted = 0;
        if !rows.is_empty() {
            let done = conn.py_conn().bind(py).call_method1("executemany", (plan.sql.as_str(), &rows));
            match done {
                Ok(n) => inserted = n.extract::<i64>().unwrap_or(rows.len() as i64).max(0) as u64,
                Err(err) => {
                    // BackendError.row: the 0-based index of the failing row, when the backend knows it.
                    let row = err.value(py).getattr("row").ok().and_then(|r| r.extract::<usize>().ok());
                    let mut e = py_err_to_pg(py, err);
                    let line = row.and_then(|r| batch.lines.get(r)).or(batch.lines.first());
                    if let Some(line) = line {
                        e = e.with_context(plan.context(*line));
                    }
                    return Err(e);
                }
            }
        }
        match decode_error {
            Some(e) => Err(e),
            None => Ok(inserted),
        }
    })
}

/// Fetch up to `n` rows and encode each as one CopyData message.
pub fn fetch_copy(cursor: &BackendCursor, n: usize, plan: &RowPlan, writer: &mut RowWriter) -> PgResult<Batch> {
    let ncols = plan.types.len();
    let format = if writer.binary() { Format::Binary } else { Format::Text };
    Python::attach(|py| {
        let rows = cursor.py_cursor().bind(py).call_method1("fetch", (n,)).map_err(|e| py_err_to_pg(py, e))?;
        let rows = rows.cast::<PyList>().map_err(|_| PgError::internal("backend fetch() must return a list"))?;
        let mut data = BytesMut::with_capacity(rows.len() * 32);
        for row in rows.iter() {
            let start = begin_copy_data(&mut data);
            writer.begin_row(&mut data);
            for col in 0..ncols {
                let item = row
                    .get_item(col)
                    .map_err(|_| PgError::internal(format!("backend row has fewer than {ncols} columns")))?;
                if item.is_none() {
                    writer.null(col, &mut data);
                    continue;
                }
                with_value(&item, |value| {
                    writer.value(col, &mut data, |buf| {
                        types::encode_typmod(value, plan.types[col], plan.typmods[col], format, &plan.ctx, buf)
                    })
                })?;
            }
            writer.end_row(&mut data);
            finish_copy_data(&mut data, start);
        }
        let count = rows.len();
        Ok(Batch { data, rows: count as u64, done: count < n })
    })
}
