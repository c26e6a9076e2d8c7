//! A scripted in-memory backend for the session's unit tests: results keyed by SQL text,
//! and a log of every backend call, so a test can check what a statement costs.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use bytes::BytesMut;

use super::{Backend, Column, Connection, Cursor, Fetched, FirstBatch, Ran, RowPlan};
use crate::error::{PgError, PgResult};
use crate::protocol::backend::{data_row, data_row_null, data_row_value};
use crate::types::{self, Param, Value};

/// What a statement gives when run.
#[derive(Clone)]
pub enum Script {
    /// Rows of text values (None: NULL) with their columns.
    Rows(Vec<Column>, Vec<Vec<Option<String>>>),
    /// A statement without rows and its row count.
    Command(i64),
    Error(PgError),
}

#[derive(Default)]
struct State {
    scripts: HashMap<String, Script>,
    log: Vec<String>,
}

/// Shared by the backend, its connections and cursors.
#[derive(Clone, Default)]
pub struct MemoryBackend {
    state: Arc<Mutex<State>>,
}

impl MemoryBackend {
    pub fn script(&self, sql: &str, script: Script) {
        self.state.lock().unwrap().scripts.insert(sql.to_owned(), script);
    }

    /// The calls made since the last `take_log`.
    pub fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut self.state.lock().unwrap().log)
    }

    fn record(&self, call: String) {
        self.state.lock().unwrap().log.push(call);
    }

    fn lookup(&self, sql: &str) -> PgResult<Script> {
        let state = self.state.lock().unwrap();
        match state.scripts.get(sql) {
            Some(Script::Error(e)) => Err(e.clone()),
            Some(s) => Ok(s.clone()),
            None => Err(PgError::new("42P01", format!("memory backend: no script for {sql:?}"))),
        }
    }
}

impl Backend for MemoryBackend {
    fn connect(&self) -> PgResult<Box<dyn Connection>> {
        Ok(Box::new(self.clone()))
    }
}

impl Connection for MemoryBackend {
    fn describe(&self, sql: &str) -> PgResult<Option<Vec<Column>>> {
        self.record(format!("describe {sql}"));
        Ok(match self.lookup(sql)? {
            Script::Rows(columns, _) => Some(columns),
            _ => None,
        })
    }

    fn run(&self, sql: &str, _: &[Param], first: Option<&FirstBatch<'_>>, out: &mut BytesMut) -> PgResult<Ran> {
        self.record(format!("run {sql}"));
        let (columns, rows) = match self.lookup(sql)? {
            Script::Rows(columns, rows) => (columns, rows),
            Script::Command(n) => return Ok(Ran { columns: None, rowcount: n, fetched: None, cursor: None }),
            Script::Error(e) => return Err(e),
        };
        let cursor = MemoryCursor { backend: self.clone(), rows: Mutex::new(rows.into()) };
        let fetched = match first {
            Some(first) if first.matches(&columns) => Some(cursor.fetch_rows(first.rows, first.plan, out)?),
            _ => None,
        };
        let open = !fetched.is_some_and(|f| f.done);
        let cursor = open.then(|| Box::new(cursor) as Box<dyn Cursor>);
        Ok(Ran { columns: Some(columns), rowcount: -1, fetched, cursor })
    }

    fn begin(&self) -> PgResult<()> {
        self.record("begin".into());
        Ok(())
    }

    fn commit(&self) -> PgResult<()> {
        self.record("commit".into());
        Ok(())
    }

    fn rollback(&self) -> PgResult<()> {
        self.record("rollback".into());
        Ok(())
    }

    fn set_statement_timeout(&self, _: i64) -> PgResult<()> {
        Ok(())
    }

    fn close(&self) {
        self.record("close".into());
    }
}

struct MemoryCursor {
    backend: MemoryBackend,
    rows: Mutex<VecDeque<Vec<Option<String>>>>,
}

impl MemoryCursor {
    fn fetch_rows(&self, n: usize, plan: &RowPlan, out: &mut BytesMut) -> PgResult<Fetched> {
        let mut rows = self.rows.lock().unwrap();
        let take = n.min(rows.len());
        for row in rows.drain(..take) {
            data_row(out, row.len() as i16, |out| {
                for (i, value) in row.iter().enumerate() {
                    match value {
                        None => data_row_null(out),
                        Some(v) => data_row_value(out, |buf| {
                            types::encode(&Value::Text(v), plan.types[i], plan.formats[i], &plan.ctx, buf)
                        })?,
                    }
                }
                Ok(())
            })?;
        }
        Ok(Fetched { rows: take as u64, done: take < n })
    }
}

impl Cursor for MemoryCursor {
    fn fetch(&self, n: usize, plan: &RowPlan, out: &mut BytesMut) -> PgResult<Fetched> {
        self.backend.record(format!("fetch {n}"));
        self.fetch_rows(n, plan, out)
    }

    fn close(&self) {
        self.backend.record("close cursor".into());
    }
}
