//! The Python backends (python/iris_pgwire/backends/base.py) behind the `Backend` traits.
//!
//! Every method attaches to the interpreter for the duration of the call; sessions run
//! them on tokio's blocking pool, so no async worker waits on Python or the database.
//! `run` does execute, first fetch and close in one attach.

use bytes::BytesMut;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use super::copy_io;
use super::values::{encode_row, param_to_py};
use crate::backend::{Backend, Column, Connection, Cursor, Fetched, FirstBatch, InsertPlan, Ran, RowPlan};
use crate::copy::{RowBatch, RowWriter};
use crate::error::{intern_sqlstate, PgError, PgResult};
use crate::types::{self, Param};

/// A Python backend object (`connect()` gives connections).
pub struct PyBackend {
    backend: Py<PyAny>,
}

impl PyBackend {
    pub fn new(backend: Py<PyAny>) -> Self {
        PyBackend { backend }
    }
}

struct PyConnection {
    conn: Py<PyAny>,
    /// The connection has `set_statement_timeout` (optional in the protocol).
    has_timeout: bool,
    /// The connection has `set_lock_timeout` (optional in the protocol).
    has_lock_timeout: bool,
}

struct PyCursor {
    cursor: Py<PyAny>,
}

/// Translate a Python exception into a PgError, reading BackendError's fields when present.
pub fn py_err_to_pg(py: Python<'_>, err: PyErr) -> PgError {
    let value = err.value(py);
    let get = |name: &str| -> Option<String> {
        value.getattr(name).ok().filter(|v| !v.is_none()).and_then(|v| v.extract::<String>().ok())
    };
    if let Some(code) = get("sqlstate") {
        let mut e = PgError::new(intern_sqlstate(&code), get("message").unwrap_or_else(|| value.to_string()));
        e.detail = get("detail");
        e.hint = get("hint");
        return e;
    }
    let type_name = value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".into());
    PgError::internal(format!("{type_name}: {value}"))
}

/// A backend description as columns; `typed: false` reads the names only (the caller
/// knows the types), sparing the type-name lookups on the hot path.
fn columns_from_py(desc: &Bound<'_, PyAny>, typed: bool) -> PyResult<Option<Vec<Column>>> {
    if desc.is_none() {
        return Ok(None);
    }
    let mut cols = Vec::new();
    for item in desc.try_iter()? {
        let item = item?;
        let name: String = item.get_item(0)?.extract()?;
        if !typed {
            cols.push(Column::new(name, None));
            continue;
        }
        let type_name = item.get_item(1)?;
        let type_name = type_name.cast::<pyo3::types::PyString>()?.to_cow()?;
        let ty = types::by_name(&type_name);
        let typmod = ty.map_or(-1, |t| types::typmod_of(&type_name, t));
        cols.push(Column { name, ty, typmod });
    }
    Ok(Some(cols))
}

/// Fetch up to `n` rows of a Python cursor and encode them into `out`; closes it when exhausted.
fn fetch_into(cursor: &Bound<'_, PyAny>, n: usize, plan: &RowPlan, out: &mut BytesMut) -> PgResult<Fetched> {
    let py = cursor.py();
    let rows = cursor.call_method1(intern!(py, "fetch"), (n,)).map_err(|e| py_err_to_pg(py, e))?;
    let rows = rows.cast::<PyList>().map_err(|_| PgError::internal("backend fetch() must return a list"))?;
    out.reserve(rows.len() * 32);
    let start = std::time::Instant::now();
    for row in rows.iter() {
        encode_row(&row, plan, out)?;
    }
    crate::metrics::add_encode_time(crate::metrics::elapsed_ns(start));
    let fetched = Fetched { rows: rows.len() as u64, done: rows.len() < n };
    if fetched.done {
        close_quietly(cursor);
    }
    Ok(fetched)
}

fn close_quietly(cursor: &Bound<'_, PyAny>) {
    if let Err(e) = cursor.call_method0(intern!(cursor.py(), "close")) {
        log::debug!("cursor close failed: {}", py_err_to_pg(cursor.py(), e));
    }
}

impl Backend for PyBackend {
    fn thread_started(&self) {
        super::threads::keep_thread_state();
    }

    fn thread_stopping(&self) {
        super::threads::drop_thread_state();
    }

    fn connect(&self) -> PgResult<Box<dyn Connection>> {
        self.open(None)
    }

    fn logs_in_users(&self) -> bool {
        Python::attach(|py| {
            self.backend.bind(py).getattr("logs_in_users").and_then(|v| v.extract::<bool>()).unwrap_or(false)
        })
    }

    fn connect_as(&self, user: &str, password: &str) -> PgResult<Box<dyn Connection>> {
        self.open(Some((user, password)))
    }

    /// `cancel_job(pid)` of the Python backend, when it has one (embedded:
    /// `$SYSTEM.SQL.CancelQuery(pid)`).
    fn cancel_job(&self, pid: u32) -> PgResult<()> {
        Python::attach(|py| {
            let b = self.backend.bind(py);
            if b.hasattr("cancel_job").unwrap_or(false) {
                b.call_method1("cancel_job", (pid,)).map_err(|e| py_err_to_pg(py, e))?;
            }
            Ok(())
        })
    }

    fn notify_queue(&self) -> bool {
        Python::attach(|py| {
            self.backend.bind(py).getattr("notify_queue").and_then(|v| v.extract::<bool>()).unwrap_or(false)
        })
    }

    /// `catalog_snapshot()` of the Python backend (backends without it: an empty schema).
    fn catalog_snapshot(&self) -> PgResult<crate::catalog::Snapshot> {
        Python::attach(|py| {
            let b = self.backend.bind(py);
            if !b.hasattr("catalog_snapshot").unwrap_or(false) {
                return Ok(crate::catalog::Snapshot::default());
            }
            let d = b.call_method0("catalog_snapshot").map_err(|e| py_err_to_pg(py, e))?;
            crate::catalog::Snapshot::from_py(&d).map_err(|e| py_err_to_pg(py, e))
        })
    }
}

impl PyBackend {
    /// `connect()`, or `connect(user, password)` to log in as that IRIS user.
    fn open(&self, login: Option<(&str, &str)>) -> PgResult<Box<dyn Connection>> {
        Python::attach(|py| {
            let backend = self.backend.bind(py);
            let conn = match login {
                None => backend.call_method0("connect"),
                Some((user, password)) => backend.call_method1("connect", (user, password)),
            }
            .map_err(|e| py_err_to_pg(py, e))?;
            let has_timeout = conn.hasattr("set_statement_timeout").unwrap_or(false);
            let has_lock_timeout = conn.hasattr("set_lock_timeout").unwrap_or(false);
            Ok(Box::new(PyConnection { conn: conn.unbind(), has_timeout, has_lock_timeout }) as Box<dyn Connection>)
        })
    }
}

impl PyConnection {
    /// Call a method the backend protocol makes optional (absent: nothing to do).
    fn call_optional(&self, method: &str) -> PgResult<()> {
        Python::attach(|py| {
            let conn = self.conn.bind(py);
            if conn.hasattr(method).unwrap_or(false) {
                conn.call_method0(method).map_err(|e| py_err_to_pg(py, e))?;
            }
            Ok(())
        })
    }

    fn call0(&self, method: &str) -> PgResult<()> {
        Python::attach(|py| self.conn.bind(py).call_method0(method).map(|_| ()).map_err(|e| py_err_to_pg(py, e)))
    }
}

impl Connection for PyConnection {
    fn describe(&self, sql: &str) -> PgResult<Option<Vec<Column>>> {
        Python::attach(|py| {
            let desc = self.conn.bind(py).call_method1("describe", (sql,)).map_err(|e| py_err_to_pg(py, e))?;
            columns_from_py(&desc, true).map_err(|e| py_err_to_pg(py, e))
        })
    }

    fn run(&self, sql: &str, params: &[Param], first: Option<&FirstBatch<'_>>, out: &mut BytesMut) -> PgResult<Ran> {
        Python::attach(|py| {
            let err = |e| py_err_to_pg(py, e);
            let args = params.iter().map(|p| param_to_py(py, p)).collect::<PyResult<Vec<_>>>().map_err(err)?;
            let args = PyTuple::new(py, args).map_err(err)?;
            // describe=False: the core already knows the column types, the backend may
            // skip looking them up (sqlite's declared types need a query of their own).
            let describe = first.is_none_or(|f| f.typed);
            let cursor = self.conn.bind(py).call_method1(intern!(py, "execute"), (sql, args, describe)).map_err(err)?;
            let desc = cursor.getattr(intern!(py, "description")).map_err(err)?;
            let columns = columns_from_py(&desc, describe).map_err(err)?;
            let rowcount: i64 = cursor.getattr(intern!(py, "rowcount")).and_then(|r| r.extract()).unwrap_or(-1);
            let Some(cols) = &columns else {
                close_quietly(&cursor);
                return Ok(Ran { columns, rowcount, fetched: None, cursor: None });
            };
            let fetched = match first {
                Some(first) if first.matches(cols) => Some(fetch_into(&cursor, first.rows, first.plan, out)?),
                _ => None,
            };
            let open = !fetched.is_some_and(|f| f.done);
            let cursor = open.then(|| Box::new(PyCursor { cursor: cursor.unbind() }) as Box<dyn Cursor>);
            Ok(Ran { columns, rowcount, fetched, cursor })
        })
    }

    fn begin(&self) -> PgResult<()> {
        self.call0("begin")
    }

    fn commit(&self) -> PgResult<()> {
        self.call0("commit")
    }

    fn rollback(&self) -> PgResult<()> {
        self.call0("rollback")
    }

    fn set_statement_timeout(&self, ms: i64) -> PgResult<()> {
        if !self.has_timeout {
            return Ok(());
        }
        Python::attach(|py| {
            self.conn.bind(py).call_method1("set_statement_timeout", (ms,)).map(|_| ()).map_err(|e| py_err_to_pg(py, e))
        })
    }

    fn set_lock_timeout(&self, ms: i64) -> PgResult<()> {
        if !self.has_lock_timeout {
            return Ok(());
        }
        Python::attach(|py| {
            self.conn.bind(py).call_method1("set_lock_timeout", (ms,)).map(|_| ()).map_err(|e| py_err_to_pg(py, e))
        })
    }

    fn cancel(&self) -> PgResult<()> {
        self.call_optional("cancel")
    }

    fn reset(&self) -> PgResult<()> {
        self.call_optional("reset")
    }

    fn insert_batch(&self, plan: &InsertPlan, batch: &RowBatch) -> PgResult<u64> {
        Python::attach(|py| copy_io::insert_batch(self.conn.bind(py), plan, batch))
    }

    fn take_notifications(&self, limit: usize) -> PgResult<Vec<(i32, String, String)>> {
        Python::attach(|py| {
            let taken =
                self.conn.bind(py).call_method1("take_notifications", (limit,)).map_err(|e| py_err_to_pg(py, e))?;
            taken.extract().map_err(|e| py_err_to_pg(py, e))
        })
    }

    fn close(&self) {
        if let Err(e) = self.call0("close") {
            log::debug!("backend close failed: {e}");
        }
    }
}

impl Cursor for PyCursor {
    fn fetch(&self, n: usize, plan: &RowPlan, out: &mut BytesMut) -> PgResult<Fetched> {
        Python::attach(|py| fetch_into(self.cursor.bind(py), n, plan, out))
    }

    fn fetch_copy(&self, n: usize, plan: &RowPlan, writer: &mut RowWriter, out: &mut BytesMut) -> PgResult<Fetched> {
        Python::attach(|py| {
            let cursor = self.cursor.bind(py);
            let fetched = copy_io::fetch_copy(cursor, n, plan, writer, out)?;
            if fetched.done {
                close_quietly(cursor);
            }
            Ok(fetched)
        })
    }

    fn close(&self) {
        Python::attach(|py| close_quietly(self.cursor.bind(py)))
    }
}
