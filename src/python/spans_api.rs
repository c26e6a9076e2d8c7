//! `SpanQueue`: the OpenTelemetry exporter's end of the statement-span queue
//! (src/otel.rs), a class apart from `Server` so its thread can wait on the queue while
//! the main thread stops the server.

use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::otel::{SpanRecord, Spans};

#[pyclass(module = "iris_pgwire._core", frozen)]
pub struct SpanQueue(pub Arc<Spans>);

#[pymethods]
impl SpanQueue {
    /// `db.system` of the spans.
    #[getter]
    fn db_system(&self) -> &'static str {
        self.0.db_system
    }

    /// Up to `max` finished statements, waiting at most `wait` seconds for the first
    /// (without the GIL). Each: (name, start_ns, end_ns, traceparent | None,
    /// sqlstate | None, message | None, attributes).
    fn take<'py>(&self, py: Python<'py>, max: usize, wait: f64) -> PyResult<Vec<Bound<'py, PyTuple>>> {
        let spans = self.0.clone();
        let wait = Duration::from_secs_f64(wait.max(0.0));
        let batch = py.detach(move || spans.take(max.max(1), wait));
        batch.into_iter().map(|s| record(py, self.0.db_system, s)).collect()
    }
}

/// A span as a tuple, its attributes named as OpenTelemetry's database and network
/// semantic conventions name them (docs/operations.md lists them).
fn record<'py>(py: Python<'py>, db_system: &str, s: SpanRecord) -> PyResult<Bound<'py, PyTuple>> {
    let attrs = PyDict::new(py);
    attrs.set_item("db.system", db_system)?;
    attrs.set_item("db.name", &s.database)?;
    attrs.set_item("db.user", &s.user)?;
    attrs.set_item("db.statement", s.statement.as_str())?;
    attrs.set_item("db.operation", &s.name)?;
    attrs.set_item("network.protocol.name", "postgresql")?;
    attrs.set_item("client.address", s.client.ip().to_string())?;
    attrs.set_item("client.port", s.client.port())?;
    attrs.set_item("iris_pgwire.session_id", s.session_id)?;
    if let Some(rows) = s.rows {
        attrs.set_item("db.response.returned_rows", rows)?;
    }
    let (sqlstate, message) = s.error.unzip();
    if let Some(code) = &sqlstate {
        attrs.set_item("db.response.status_code", code)?;
        attrs.set_item("error.type", code)?;
    }
    (s.name, s.start_unix_ns, s.end_unix_ns, s.traceparent, sqlstate, message, attrs).into_pyobject(py)
}
