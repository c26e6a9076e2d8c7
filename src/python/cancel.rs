//! Asking a backend connection to stop the statement it is running (from another thread).

use pyo3::prelude::*;

use super::backend::{py_err_to_pg, BackendConn};
use crate::error::PgResult;

impl BackendConn {
    /// Call the connection's `cancel()` (sqlite: `Connection.interrupt()`; IRIS: CANCEL QUERY
    /// from another job). Backends without one cannot be cancelled.
    pub fn cancel(&self) -> PgResult<()> {
        Python::attach(|py| {
            let conn = self.py_conn().bind(py);
            if conn.hasattr("cancel").unwrap_or(false) {
                conn.call_method0("cancel").map_err(|e| py_err_to_pg(py, e))?;
            }
            Ok(())
        })
    }
}
