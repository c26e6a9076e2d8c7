//! Calls into the Python backend objects (see python/iris_pgwire/backends/base.py).
//!
//! Every function here is blocking: it attaches to the interpreter for the
//! duration of the call. The session runs them on tokio's blocking pool, so
//! no async worker ever waits on Python or on the database.

use bytes::BytesMut;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use super::values::{encode_row, param_to_py};
use crate::error::{sqlstate, PgError, PgResult};
use crate::types::{self, Format, Param, PgType};

/// A result column as the backend described it, resolved against the registry.
/// `ty` is None when the backend could not type it (a sqlite expression column).
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub ty: Option<&'static PgType>,
    /// PostgreSQL type modifier from the backend's type name (`numeric(10,2)`), or -1.
    pub typmod: i32,
}

impl Column {
    pub fn new(name: impl Into<String>, ty: Option<&'static PgType>) -> Column {
        Column { name: name.into(), ty, typmod: -1 }
    }
}

/// One backend connection (an IRIS job or a sqlite3 connection), used by one thread at a time.
pub struct BackendConn {
    conn: Py<PyAny>,
    /// statement_timeout (ms) last applied to this connection; -1 = never.
    applied_timeout_ms: std::sync::atomic::AtomicI64,
}

/// An open result set on a backend connection.
pub struct BackendCursor {
    cursor: Py<PyAny>,
}

pub struct Executed {
    pub cursor: BackendCursor,
    pub columns: Option<Vec<Column>>,
    pub rowcount: i64,
}

/// How fetched rows are encoded: one type and format per column.
pub struct RowPlan {
    pub types: Vec<&'static PgType>,
    pub typmods: Vec<i32>,
    pub formats: Vec<Format>,
    /// The session's codec context (TimeZone) when the rows are encoded.
    pub ctx: crate::types::TypeCtx,
}

/// A batch of encoded DataRow messages.
pub struct Batch {
    pub data: BytesMut,
    pub rows: u64,
    pub done: bool,
}

/// Translate a Python exception into a PgError, reading BackendError's fields when present.
pub fn py_err_to_pg(py: Python<'_>, err: PyErr) -> PgError {
    let value = err.value(py);
    let get = |name: &str| -> Option<String> {
        value.getattr(name).ok().filter(|v| !v.is_none()).and_then(|v| v.extract::<String>().ok())
    };
    if let Some(code) = get("sqlstate") {
        let mut e = PgError::new(sqlstate_static(&code), get("message").unwrap_or_else(|| value.to_string()));
        e.detail = get("detail");
        e.hint = get("hint");
        return e;
    }
    let type_name = value.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".into());
    PgError::internal(format!("{type_name}: {value}"))
}

/// SQLSTATEs are 5 ASCII characters; intern them so PgError can keep a `&'static str`.
fn sqlstate_static(code: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static INTERNED: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return sqlstate::INTERNAL_ERROR;
    }
    let mut set = INTERNED.get_or_init(Default::default).lock().unwrap();
    if let Some(s) = set.get(code) {
        return s;
    }
    let leaked: &'static str = Box::leak(code.to_owned().into_boxed_str());
    set.insert(leaked);
    leaked
}

fn columns_from_py(desc: &Bound<'_, PyAny>) -> PyResult<Option<Vec<Column>>> {
    if desc.is_none() {
        return Ok(None);
    }
    let mut cols = Vec::new();
    for item in desc.try_iter()? {
        let item = item?;
        let name: String = item.get_item(0)?.extract()?;
        let type_name: String = item.get_item(1)?.extract()?;
        let ty = types::by_name(&type_name);
        let typmod = ty.map_or(-1, |t| types::typmod_of(&type_name, t));
        cols.push(Column { name, ty, typmod });
    }
    Ok(Some(cols))
}

pub fn connect(backend: &Py<PyAny>) -> PgResult<BackendConn> {
    Python::attach(|py| {
        let conn = backend.bind(py).call_method0("connect").map_err(|e| py_err_to_pg(py, e))?;
        Ok(BackendConn { conn: conn.unbind(), applied_timeout_ms: std::sync::atomic::AtomicI64::new(-1) })
    })
}

impl BackendConn {
    /// The Python connection object (for src/python's other modules).
    pub(crate) fn py_conn(&self) -> &Py<PyAny> {
        &self.conn
    }

    pub fn describe(&self, sql: &str) -> PgResult<Option<Vec<Column>>> {
        Python::attach(|py| {
            let desc = self.conn.bind(py).call_method1("describe", (sql,)).map_err(|e| py_err_to_pg(py, e))?;
            columns_from_py(&desc).map_err(|e| py_err_to_pg(py, e))
        })
    }

    pub fn execute(&self, sql: &str, params: &[Param]) -> PgResult<Executed> {
        Python::attach(|py| {
            let run = || -> PyResult<Executed> {
                let args = params.iter().map(|p| param_to_py(py, p)).collect::<PyResult<Vec<_>>>()?;
                let args = PyTuple::new(py, args)?;
                let cursor = self.conn.bind(py).call_method1("execute", (sql, args))?;
                let columns = columns_from_py(&cursor.getattr("description")?)?;
                let rowcount: i64 = cursor.getattr("rowcount")?.extract().unwrap_or(-1);
                Ok(Executed { cursor: BackendCursor { cursor: cursor.unbind() }, columns, rowcount })
            };
            run().map_err(|e| py_err_to_pg(py, e))
        })
    }

    /// Bring the connection's statement timeout in line with the session using it
    /// (connections change hands in the pool). Backends without
    /// `set_statement_timeout` ignore it.
    pub fn apply_statement_timeout(&self, ms: i64) -> PgResult<()> {
        use std::sync::atomic::Ordering;
        if self.applied_timeout_ms.load(Ordering::Relaxed) == ms {
            return Ok(());
        }
        Python::attach(|py| {
            let conn = self.conn.bind(py);
            if conn.hasattr("set_statement_timeout").unwrap_or(false) {
                conn.call_method1("set_statement_timeout", (ms,)).map_err(|e| py_err_to_pg(py, e))?;
            }
            Ok::<(), PgError>(())
        })?;
        self.applied_timeout_ms.store(ms, Ordering::Relaxed);
        Ok(())
    }

    /// Call a no-argument method: begin, commit, rollback or close.
    pub fn call(&self, method: &str) -> PgResult<()> {
        Python::attach(|py| self.conn.bind(py).call_method0(method).map(|_| ()).map_err(|e| py_err_to_pg(py, e)))
    }
}

impl BackendCursor {
    /// The Python cursor object (for src/python's other modules).
    pub(crate) fn py_cursor(&self) -> &Py<PyAny> {
        &self.cursor
    }

    /// Fetch up to `n` rows and encode them as DataRow messages.
    pub fn fetch(&self, n: usize, plan: &RowPlan) -> PgResult<Batch> {
        Python::attach(|py| {
            let rows = self.cursor.bind(py).call_method1("fetch", (n,)).map_err(|e| py_err_to_pg(py, e))?;
            let rows = rows.cast::<PyList>().map_err(|_| PgError::internal("backend fetch() must return a list"))?;
            let mut data = BytesMut::with_capacity(rows.len() * 32);
            for row in rows.iter() {
                encode_row(&row, plan, &mut data)?;
            }
            let count = rows.len();
            Ok(Batch { data, rows: count as u64, done: count < n })
        })
    }

    pub fn close(&self) {
        Python::attach(|py| {
            if let Err(e) = self.cursor.bind(py).call_method0("close") {
                log::debug!("cursor close failed: {}", py_err_to_pg(py, e));
            }
        })
    }
}
