//! The seam between sessions and the databases they run on.
//!
//! A [`Backend`] opens [`Connection`]s; one connection is one IRIS job (or one sqlite3
//! connection) and is used by one thread at a time. Every method blocks: sessions call
//! them on tokio's blocking pool. The Python backends implement these traits in
//! `python/backend.rs`; `memory.rs` is a scripted Rust implementation that lets the
//! session state machine be tested without Python.
//!
//! The hot path is [`Connection::run`]: execute a statement and, when the caller already
//! knows the result's columns, fetch the first batch of rows and encode them straight into
//! the session's output buffer, closing the result if it is exhausted: one call per
//! statement whose result fits a batch.

#[cfg(test)]
pub mod memory;

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use bytes::BytesMut;

use crate::copy::{RowBatch, RowWriter};
use crate::error::PgResult;
use crate::types::{Format, Param, PgType, TypeCtx};

/// A result column as the backend described it, resolved against the type registry.
/// `ty` is None when the backend could not type it (a sqlite expression column, or a
/// description asked for without types).
#[derive(Debug, Clone, PartialEq)]
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

/// How fetched rows are encoded: one type, modifier and format per column.
pub struct RowPlan {
    pub types: Vec<&'static PgType>,
    pub typmods: Vec<i32>,
    pub formats: Vec<Format>,
    /// The session's codec context (TimeZone) when the rows are encoded.
    pub ctx: TypeCtx,
}

/// What a fetch appended to the output buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fetched {
    pub rows: u64,
    /// The result is exhausted (and closed).
    pub done: bool,
}

/// The first batch `run` fetches when the caller knows the result's columns.
pub struct FirstBatch<'a> {
    /// The backend description the plan was resolved from; rows are fetched only if the
    /// executed statement reports the same columns (names always, types when given).
    pub expect: &'a [Column],
    pub plan: &'a RowPlan,
    pub rows: usize,
    /// Ask the backend to type the result's columns (to check a shape of an older schema
    /// epoch); without it the backend may report names only.
    pub typed: bool,
}

impl FirstBatch<'_> {
    /// Does the executed statement's description match the one the plan was made for?
    pub fn matches(&self, got: &[Column]) -> bool {
        got.len() == self.expect.len()
            && got.iter().zip(self.expect).all(|(g, e)| {
                g.name == e.name
                    && (g.ty.is_none() || (g.ty.map(|t| t.oid) == e.ty.map(|t| t.oid) && g.typmod == e.typmod))
            })
    }
}

/// The outcome of [`Connection::run`].
pub struct Ran {
    /// The result's columns as the backend reports them; None for a statement without rows.
    pub columns: Option<Vec<Column>>,
    /// Rows affected (DML), -1 when unknown.
    pub rowcount: i64,
    /// Rows already encoded into the output buffer: Some when a first batch was asked for
    /// and the columns matched.
    pub fetched: Option<Fetched>,
    /// The open result, when rows remain to be fetched.
    pub cursor: Option<Box<dyn Cursor>>,
}

/// COPY FROM's backend INSERT: its SQL and, for each `?`, the value it takes (row-major within the
/// rows of one statement).
pub struct InsertSql {
    pub sql: String,
    pub order: Vec<usize>,
}

/// How the rows of one COPY FROM reach the backend.
pub struct InsertPlan {
    /// `INSERT INTO t (cols) VALUES (?, ..)` for the backend.
    pub single: InsertSql,
    /// The same with `rows` rows per statement (`VALUES (..), (..)`), where the backend
    /// takes that (SQLite: one statement per row costs most of the time of a COPY).
    pub multi: Option<(InsertSql, usize)>,
    pub types: Vec<&'static PgType>,
    pub names: Vec<String>,
    /// Text and CSV fields are text input; binary fields each type's binary input.
    pub format: Format,
    pub ctx: TypeCtx,
    /// For error contexts: `COPY <relation>, line N`.
    pub relation: String,
}

impl InsertPlan {
    pub fn context(&self, line: u64) -> String {
        format!("COPY {}, line {line}", self.relation)
    }
}

pub trait Backend: Send + Sync {
    fn connect(&self) -> PgResult<Box<dyn Connection>>;

    /// Password pass-through: the backend checks a user's own password by logging in as
    /// that user (dbapi), so `connect_as` gives connections with that user's privileges.
    fn logs_in_users(&self) -> bool {
        false
    }

    fn connect_as(&self, _user: &str, _password: &str) -> PgResult<Box<dyn Connection>> {
        Err(crate::error::PgError::unsupported("this backend does not log users in"))
    }

    /// The backend's schema for the catalog engine (backends without one: empty).
    fn catalog_snapshot(&self) -> PgResult<crate::catalog::Snapshot> {
        Ok(crate::catalog::Snapshot::default())
    }

    /// Stop the statement that the job with process id `pid` runs (a job worker's
    /// statement, cancelled from the gateway's process). Backends without jobs ignore it.
    fn cancel_job(&self, _pid: u32) -> PgResult<()> {
        Ok(())
    }

    /// A connection for the server's own background work (taking notifications), outside
    /// the pool. Job workers give one in the gateway's own process: no extra job.
    fn connect_aside(&self) -> PgResult<Box<dyn Connection>> {
        self.connect()
    }

    /// Its connections take notifications queued by code inside IRIS (`take_notifications`).
    fn notify_queue(&self) -> bool {
        false
    }

    /// Called on each thread of the server's runtime when it starts and before it ends
    /// (backend calls run on those threads): per-thread set-up such as an interpreter state.
    fn thread_started(&self) {}
    fn thread_stopping(&self) {}
}

pub trait Connection: Send + Sync {
    /// Result columns of `sql` without executing it (None: the statement returns no rows).
    fn describe(&self, sql: &str) -> PgResult<Option<Vec<Column>>>;

    /// Execute `sql`; with `first`, fetch and encode up to `first.rows` rows into `out`
    /// if the result's columns match. Without `first` (or with `first.typed`) the
    /// backend types the result's columns.
    fn run(&self, sql: &str, params: &[Param], first: Option<&FirstBatch<'_>>, out: &mut BytesMut) -> PgResult<Ran>;

    fn begin(&self) -> PgResult<()>;
    fn commit(&self) -> PgResult<()>;
    fn rollback(&self) -> PgResult<()>;

    /// Apply the session's statement_timeout (ms, 0 = none); backends without one ignore it.
    fn set_statement_timeout(&self, ms: i64) -> PgResult<()>;

    /// Apply the session's lock_timeout (ms, 0 = the backend's own wait); backends
    /// without one ignore it.
    fn set_lock_timeout(&self, _ms: i64) -> PgResult<()> {
        Ok(())
    }

    /// Stop the statement running on this connection (called from another thread by a
    /// CancelRequest). Backends that cannot cancel ignore it.
    fn cancel(&self) -> PgResult<()> {
        Ok(())
    }

    /// Make the connection fit for another session after a call on it failed or was
    /// cancelled (PgBouncer's server_reset_query and server_check_query in one): end
    /// any transaction left open, drop what an interrupted call left behind (describe
    /// probes, temporary objects), restore settings, and check the connection answers.
    /// An error means the connection is not reused: the pool closes it and opens another.
    fn reset(&self) -> PgResult<()> {
        Ok(())
    }

    /// COPY FROM: insert a batch of parsed rows with one executemany-style call.
    fn insert_batch(&self, _plan: &InsertPlan, _batch: &RowBatch) -> PgResult<u64> {
        Err(crate::error::PgError::unsupported("this backend does not take COPY"))
    }

    /// Can the connection still serve (a job worker that died while idle cannot)?
    fn is_alive(&self) -> bool {
        true
    }

    /// Notifications committed to the backend's queue by code inside IRIS, oldest first,
    /// as (sender pid, channel, payload), removed from the queue (src/notify_queue.rs).
    fn take_notifications(&self, _limit: usize) -> PgResult<Vec<(i32, String, String)>> {
        Ok(Vec::new())
    }

    fn close(&self);
}

/// An open result set.
pub trait Cursor: Send + Sync {
    /// Fetch up to `n` rows, encoded as DataRow messages appended to `out`.
    fn fetch(&self, n: usize, plan: &RowPlan, out: &mut BytesMut) -> PgResult<Fetched>;

    /// COPY TO: fetch up to `n` rows, encoded as CopyData messages appended to `out`.
    fn fetch_copy(
        &self,
        _n: usize,
        _plan: &RowPlan,
        _writer: &mut RowWriter,
        _out: &mut BytesMut,
    ) -> PgResult<Fetched> {
        Err(crate::error::PgError::unsupported("this backend does not take COPY"))
    }

    fn close(&self);
}

/// A pooled connection: the backend's connection and the statement and lock timeouts
/// last applied to it (connections change hands between sessions).
pub struct BackendConn {
    conn: Box<dyn Connection>,
    applied_timeout_ms: AtomicI64,
    applied_lock_ms: AtomicI64,
    /// A call on it failed or was cancelled: `reset` before another session gets it.
    suspect: AtomicBool,
}

impl BackendConn {
    pub fn new(conn: Box<dyn Connection>) -> Self {
        BackendConn {
            conn,
            applied_timeout_ms: AtomicI64::new(-1),
            applied_lock_ms: AtomicI64::new(-1),
            suspect: AtomicBool::new(false),
        }
    }

    /// A call failed or was interrupted: the connection is checked before it is reused.
    pub fn mark_suspect(&self) {
        self.suspect.store(true, Ordering::Relaxed);
    }

    /// It needs `check` before reuse (a clean connection skips the blocking call).
    pub fn is_suspect(&self) -> bool {
        self.suspect.load(Ordering::Relaxed)
    }

    /// Reset a suspect connection (a blocking call); a clean one is left alone. The
    /// session settings are applied again afterwards, whatever the reset changed.
    pub fn check(&self) -> PgResult<()> {
        if !self.suspect.swap(false, Ordering::Relaxed) {
            return Ok(());
        }
        self.applied_timeout_ms.store(-1, Ordering::Relaxed);
        self.applied_lock_ms.store(-1, Ordering::Relaxed);
        self.conn.reset()
    }

    /// Bring the lock timeout in line with the session using the connection.
    pub fn apply_lock_timeout(&self, ms: i64) -> PgResult<()> {
        if self.applied_lock_ms.load(Ordering::Relaxed) != ms {
            self.conn.set_lock_timeout(ms)?;
            self.applied_lock_ms.store(ms, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Bring the statement timeout in line with the session using the connection.
    pub fn apply_statement_timeout(&self, ms: i64) -> PgResult<()> {
        if self.applied_timeout_ms.load(Ordering::Relaxed) != ms {
            self.conn.set_statement_timeout(ms)?;
            self.applied_timeout_ms.store(ms, Ordering::Relaxed);
        }
        Ok(())
    }
}

impl std::ops::Deref for BackendConn {
    type Target = dyn Connection;
    fn deref(&self) -> &Self::Target {
        &*self.conn
    }
}
