//! COPY rows across the Python boundary: a batch of raw COPY FROM fields decoded and
//! handed to the backend's `executemany(sql, rows)` in one call, and backend rows
//! encoded as COPY TO's CopyData messages.

use bytes::BytesMut;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};

use super::backend::py_err_to_pg;
use super::values::{param_to_py, with_value};
use crate::backend::{Fetched, InsertPlan, RowPlan};
use crate::copy::{printable, RowBatch, RowWriter};
use crate::error::{PgError, PgResult};
use crate::protocol::backend::{begin_copy_data, finish_copy_data};
use crate::types::{self, Format, Kind};

/// Decode the rows of `batch` and insert them with `executemany` (one call, two when some
/// rows do not fill a multi-row statement). Rows before a malformed one are inserted
/// first, so errors come in input order as in PostgreSQL.
pub fn insert_batch(conn: &Bound<'_, PyAny>, plan: &InsertPlan, batch: &RowBatch) -> PgResult<u64> {
    let py = conn.py();
    {
        let (values, decode_error) = decode_rows(py, plan, batch);
        let ncols = plan.types.len();
        let rows = values.len() / ncols.max(1);
        let mut inserted = 0;
        let mut done = 0;
        if let Some((multi, per)) = plan.multi.as_ref().filter(|(_, per)| rows >= *per) {
            let chunks = rows / per;
            let width = per * ncols;
            let list = PyList::empty(py);
            for c in 0..chunks {
                let chunk = &values[c * width..(c + 1) * width];
                let tuple =
                    PyTuple::new(py, multi.order.iter().map(|&i| &chunk[i])).map_err(|e| py_err_to_pg(py, e))?;
                list.append(tuple).map_err(|e| py_err_to_pg(py, e))?;
            }
            match executemany(py, conn, &multi.sql, &list) {
                Ok(n) => inserted += n,
                Err((e, failed)) => {
                    // The failed statement was undone as a whole: its rows one by one find the row.
                    let Some(c) = failed else { return Err(e.with_context(format!("COPY {}", plan.relation))) };
                    let first = c * per;
                    return Err(insert_rows(py, conn, plan, &values, batch, first, first + per).err().unwrap_or(e));
                }
            }
            done = chunks * per;
        }
        if done < rows {
            inserted += insert_rows(py, conn, plan, &values, batch, done, rows)?;
        }
        match decode_error {
            Some(e) => Err(e),
            None => Ok(inserted),
        }
    }
}

/// Rows `from..to` with the one-row INSERT.
fn insert_rows(
    py: Python<'_>,
    conn: &Bound<'_, PyAny>,
    plan: &InsertPlan,
    values: &[Bound<'_, PyAny>],
    batch: &RowBatch,
    from: usize,
    to: usize,
) -> PgResult<u64> {
    let ncols = plan.types.len();
    let list = PyList::empty(py);
    for row in from..to {
        let row_values = &values[row * ncols..(row + 1) * ncols];
        let tuple =
            PyTuple::new(py, plan.single.order.iter().map(|&i| &row_values[i])).map_err(|e| py_err_to_pg(py, e))?;
        list.append(tuple).map_err(|e| py_err_to_pg(py, e))?;
    }
    executemany(py, conn, &plan.single.sql, &list).map_err(|(e, failed)| {
        e.with_context(match failed.and_then(|r| batch.lines.get(from + r)) {
            Some(line) => plan.context(*line),
            None => format!("COPY {}", plan.relation),
        })
    })
}

/// `conn.executemany(sql, rows)`; on failure the error and, when the backend says
/// (BackendError.row), the index of the failing row.
fn executemany(
    py: Python<'_>,
    conn: &Bound<'_, PyAny>,
    sql: &str,
    rows: &Bound<'_, PyList>,
) -> Result<u64, (PgError, Option<usize>)> {
    if rows.is_empty() {
        return Ok(0);
    }
    match conn.call_method1("executemany", (sql, rows)) {
        Ok(n) => Ok(n.extract::<i64>().unwrap_or(rows.len() as i64).max(0) as u64),
        Err(err) => {
            let row = err.value(py).getattr("row").ok().and_then(|r| r.extract::<usize>().ok());
            Err((py_err_to_pg(py, err), row))
        }
    }
}

/// Every field of the batch as a Python value (row-major), up to the first malformed one.
fn decode_rows<'py>(py: Python<'py>, plan: &InsertPlan, batch: &RowBatch) -> (Vec<Bound<'py, PyAny>>, Option<PgError>) {
    let ncols = plan.types.len();
    // Text input of text columns is the string itself (once checked): no Param on the way.
    let plain_text: Vec<bool> = plan
        .types
        .iter()
        .map(|t| plan.format == Format::Text && t.kind == Kind::Text && t.oid != types::NAME.oid)
        .collect();
    let mut values = Vec::with_capacity(batch.rows() * ncols);
    for row in 0..batch.rows() {
        for col in 0..ncols {
            let raw = batch.field(ncols, row, col);
            let fast = match raw {
                None => Some(py.None().into_bound(py)),
                Some(raw) if plain_text[col] => match std::str::from_utf8(raw) {
                    Ok(s) if !s.contains('\0') => Some(PyString::new(py, s).into_any()),
                    _ => None,
                },
                Some(_) => None,
            };
            let value = match fast {
                Some(v) => Ok(v),
                None => types::decode_param(raw, plan.types[col].oid, plan.format, &plan.ctx)
                    .and_then(|p| param_to_py(py, &p).map_err(|e| py_err_to_pg(py, e))),
            };
            match value {
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
                    values.truncate(row * ncols);
                    return (values, Some(e.with_context(context)));
                }
            }
        }
    }
    (values, None)
}

/// Fetch up to `n` rows and encode each as one CopyData message.
pub fn fetch_copy(
    cursor: &Bound<'_, PyAny>,
    n: usize,
    plan: &RowPlan,
    writer: &mut RowWriter,
    data: &mut BytesMut,
) -> PgResult<Fetched> {
    let ncols = plan.types.len();
    let format = if writer.binary() { Format::Binary } else { Format::Text };
    let py = cursor.py();
    {
        let rows = cursor.call_method1("fetch", (n,)).map_err(|e| py_err_to_pg(py, e))?;
        let rows = rows.cast::<PyList>().map_err(|_| PgError::internal("backend fetch() must return a list"))?;
        data.reserve(rows.len() * 32);
        for row in rows.iter() {
            let start = begin_copy_data(data);
            writer.begin_row(data);
            for col in 0..ncols {
                let item = row
                    .get_item(col)
                    .map_err(|_| PgError::internal(format!("backend row has fewer than {ncols} columns")))?;
                if item.is_none() {
                    writer.null(col, data);
                    continue;
                }
                with_value(&item, |value| {
                    writer.value(col, data, |buf| {
                        types::encode_typmod(value, plan.types[col], plan.typmods[col], format, &plan.ctx, buf)
                    })
                })?;
            }
            writer.end_row(data);
            finish_copy_data(data, start);
        }
        let count = rows.len();
        Ok(Fetched { rows: count as u64, done: count < n })
    }
}
