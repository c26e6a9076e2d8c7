//! Rust log records go to Python's `logging` through pyo3-log; this wrapper adds,
//! to every record logged from inside a session's task, the session's id, user,
//! application and client address as key-values, which pyo3-log hands to Python as
//! the record's `extra` (the JSON log format prints them; the text format ignores them).

use log::kv::{Error, Key, Source, Value, VisitSource};
use log::{LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;

use crate::session::LOG_SESSION;

struct SessionLogger(pyo3_log::Logger);

/// Install the logger (at import of the extension module); a second install is a no-op.
pub fn install() {
    let logger = pyo3_log::Logger::default();
    if log::set_boxed_logger(Box::new(SessionLogger(logger))).is_ok() {
        // pyo3-log's own default: Python's logger levels decide per record.
        log::set_max_level(log::LevelFilter::Debug);
    }
}

/// `set_log_level(levelno)`: the most verbose level Python's logging is configured for
/// (the server calls it with the root logger's level). Records above it are dropped by
/// the `log` macros themselves, a compare with a static: a `log::debug!` at the default
/// level `info` then costs nothing, instead of two lookups in pyo3-log's logger cache.
#[pyfunction]
pub fn set_log_level(levelno: i32) {
    log::set_max_level(match levelno {
        i32::MIN..=5 => LevelFilter::Trace,
        6..=10 => LevelFilter::Debug,
        11..=20 => LevelFilter::Info,
        21..=30 => LevelFilter::Warn,
        _ => LevelFilter::Error,
    });
}

/// The session fields, then the record's own key-values.
struct WithSession<'a> {
    own: &'a dyn Source,
    pid: i64,
    user: Option<&'a str>,
    application: &'a str,
    client: &'a str,
}

impl Source for WithSession<'_> {
    fn visit<'kvs>(&'kvs self, visitor: &mut dyn VisitSource<'kvs>) -> Result<(), Error> {
        visitor.visit_pair(Key::from("session_id"), Value::from(self.pid))?;
        if let Some(user) = self.user {
            visitor.visit_pair(Key::from("user"), Value::from(user))?;
        }
        visitor.visit_pair(Key::from("application"), Value::from(self.application))?;
        visitor.visit_pair(Key::from("client"), Value::from(self.client))?;
        self.own.visit(visitor)
    }
}

impl Log for SessionLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        self.0.enabled(metadata)
    }

    fn log(&self, record: &Record) {
        if !self.0.enabled(record.metadata()) {
            return;
        }
        let session = LOG_SESSION.try_with(|a| a.clone()).ok();
        let Some(activity) = session else {
            return self.0.log(record);
        };
        let row = activity.row();
        let client = activity.client.to_string();
        let fields = WithSession {
            own: record.key_values(),
            pid: activity.pid as i64,
            user: row.as_ref().map(|r| r.user.as_str()),
            application: row.as_ref().map_or("", |r| r.application_name.as_str()),
            client: &client,
        };
        self.0.log(&record.to_builder().key_values(&fields).build());
    }

    fn flush(&self) {
        self.0.flush()
    }
}
