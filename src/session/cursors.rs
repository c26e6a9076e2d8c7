//! SQL-level cursors: DECLARE / FETCH / MOVE / CLOSE, as PostgreSQL 15 runs them.
//!
//! A cursor is the backend's open result of its query: DECLARE executes the query and
//! fetches nothing, each FETCH streams the next rows from the backend in batches (nothing
//! is materialised). Cursors scan forward only. WITHOUT HOLD cursors close when their
//! transaction ends; WITH HOLD ones survive COMMIT (a rollback drops those it declared),
//! and while one is open the session keeps its backend connection, whose result it is.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::BytesMut;

use super::columns::{fields_for, resolve_formats};
use super::shapes::ResultColumns;
use super::{blocking, close_results, Done, Expect, Session, Started, Tx};
use crate::backend::{Column, Cursor, RowPlan};
use crate::catalog::CursorInfo;
use crate::error::{sqlstate, PgError, PgResult};
use crate::protocol::backend as be;
use crate::translate::{DeclareCursor, FetchCursor, FetchDirection};
use crate::types::datetime::format_timestamptz;
use crate::types::{Format, Param};

/// 2000-01-01 (PostgreSQL's epoch) in Unix microseconds.
const PG_EPOCH_US: i64 = 946_684_800_000_000;

struct SqlCursor {
    /// The DECLARE statement and when it ran, for pg_cursors.
    statement: String,
    created: String,
    hold: bool,
    /// DECLARE BINARY: the simple protocol sends its rows in binary.
    binary: bool,
    /// Declared in the current transaction: a rollback closes it even WITH HOLD.
    fresh: bool,
    result: Arc<ResultColumns>,
    /// The backend's open result; None once exhausted.
    open: Option<Arc<dyn Cursor>>,
}

/// A session's SQL-level cursors by name.
#[derive(Default)]
pub(super) struct Cursors(HashMap<String, SqlCursor>);

impl Cursors {
    /// Result columns of a cursor and whether it was declared BINARY.
    pub(super) fn columns(&self, name: &str) -> Option<(&[Column], bool)> {
        self.0.get(name).map(|c| (c.result.columns.as_slice(), c.binary))
    }

    /// An open cursor reads from the session's backend connection: it must stay checked out.
    pub(super) fn hold_backend(&self) -> bool {
        self.0.values().any(|c| c.open.is_some())
    }

    /// The rows of pg_cursors.
    pub(super) fn info(&self) -> Vec<CursorInfo> {
        let row = |(name, c): (&String, &SqlCursor)| CursorInfo {
            name: name.clone(),
            statement: c.statement.clone(),
            holdable: c.hold,
            binary: c.binary,
            creation_time: c.created.clone(),
        };
        self.0.iter().map(row).collect()
    }

    /// Forget every cursor, returning the backend results to close.
    pub(super) fn take_all(&mut self) -> Vec<Arc<dyn Cursor>> {
        self.0.drain().filter_map(|(_, c)| c.open).collect()
    }
}

fn no_cursor(name: &str) -> PgError {
    PgError::new(sqlstate::INVALID_CURSOR_NAME, format!("cursor \"{name}\" does not exist"))
}

impl Session {
    /// `simple`: in a Query message, whose statements form a transaction block (those of
    /// an extended-protocol batch do not, in PostgreSQL).
    pub(super) async fn declare_cursor(&mut self, d: &DeclareCursor, params: &[Param], simple: bool) -> PgResult<Done> {
        let in_block = self.tx == Tx::Explicit || (self.tx == Tx::Implicit && simple);
        if !d.hold && !in_block {
            return Err(PgError::new(
                sqlstate::NO_ACTIVE_SQL_TRANSACTION,
                "DECLARE CURSOR can only be used in transaction blocks",
            ));
        }
        if self.cursors.0.contains_key(&d.name) {
            return Err(PgError::new(sqlstate::DUPLICATE_CURSOR, format!("cursor \"{}\" already exists", d.name)));
        }
        // No shape: the backend runs the query and fetches nothing yet.
        let expect =
            Expect { shape: None, key: None, param_types: &[], result_formats: &[], describe_rows: false, limit: None };
        let Started::Rows { result, cursor, .. } = self.start(&d.query, params, expect).await? else {
            return Err(PgError::internal("a cursor's query returned no result"));
        };
        let fresh = self.tx != Tx::Idle;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let created = format_timestamptz(now.as_micros() as i64 - PG_EPOCH_US, &self.settings.type_ctx().time_zone);
        let statement = d.statement.clone();
        let cursor = SqlCursor { statement, created, hold: d.hold, binary: d.binary, fresh, result, open: cursor };
        self.cursors.0.insert(d.name.clone(), cursor);
        Ok(Done { tag: "DECLARE CURSOR".into() })
    }

    /// FETCH (rows sent, RowDescription first in the simple protocol) or MOVE (rows skipped).
    pub(super) async fn fetch_cursor(
        &mut self,
        f: &FetchCursor,
        result_formats: &[i16],
        describe_rows: bool,
    ) -> PgResult<Done> {
        let cursor = self.cursors.0.get(&f.name).ok_or_else(|| no_cursor(&f.name))?;
        let count = match f.direction {
            FetchDirection::Forward(Some(0)) => {
                return Err(PgError::unsupported("FETCH 0 (fetching the current row again) is not supported")
                    .with_hint("fetch forward"))
            }
            FetchDirection::Forward(count) => count,
            FetchDirection::NotForward => {
                return Err(PgError::new(sqlstate::OBJECT_NOT_IN_PREREQUISITE_STATE, "cursor can only scan forward")
                    .with_hint("Declare it with SCROLL option to enable backward scan."))
            }
        };
        let ncols = cursor.result.columns.len();
        let formats = match (describe_rows, cursor.binary) {
            (true, true) => vec![Format::Binary; ncols],
            (true, false) => vec![Format::Text; ncols],
            (false, _) => resolve_formats(result_formats, ncols)?,
        };
        if describe_rows && !f.skip {
            be::row_description(&mut self.conn.out, &fields_for(&cursor.result.columns, &formats));
        }
        let plan = self.row_plan(&cursor.result.columns, formats);
        let (rows, done) = match cursor.open.clone() {
            None => (0, true),
            Some(open) if f.skip => self.skip_rows(&open, &plan, count).await?,
            Some(open) => self.stream_rows(&open, &plan, count).await?,
        };
        if done {
            // The backend closed the exhausted result.
            if let Some(c) = self.cursors.0.get_mut(&f.name) {
                c.open = None;
            }
        }
        Ok(Done { tag: format!("{} {rows}", if f.skip { "MOVE" } else { "FETCH" }) })
    }

    /// MOVE: fetch rows in batches and drop them; returns (rows skipped, exhausted).
    async fn skip_rows(
        &mut self,
        cursor: &Arc<dyn Cursor>,
        plan: &Arc<RowPlan>,
        limit: Option<u64>,
    ) -> PgResult<(u64, bool)> {
        let batch = self.ctx.config.fetch_batch_rows.max(1) as u64;
        let mut skipped = 0u64;
        loop {
            let want = limit.map_or(batch, |l| (l - skipped).min(batch)) as usize;
            if want == 0 {
                return Ok((skipped, false));
            }
            let (c, p) = (cursor.clone(), plan.clone());
            let _running = self.lease.as_ref().map(|l| self.cancel.running(&l.conn())).transpose()?;
            let fetched = blocking(move || c.fetch(want, &p, &mut BytesMut::new())).await?;
            skipped += fetched.rows;
            if fetched.done {
                return Ok((skipped, true));
            }
        }
    }

    pub(super) async fn close_sql_cursor(&mut self, name: Option<&str>) -> PgResult<Done> {
        let (open, tag) = match name {
            Some(n) => {
                (self.cursors.0.remove(n).ok_or_else(|| no_cursor(n))?.open.into_iter().collect(), "CLOSE CURSOR")
            }
            None => (self.cursors.take_all(), "CLOSE CURSOR ALL"),
        };
        close_results(open).await;
        Ok(Done { tag: tag.into() })
    }

    /// Close the Close message's portal when it names a SQL cursor (they share a namespace).
    pub(super) async fn close_cursor_portal(&mut self, name: &str) {
        if let Some(c) = self.cursors.0.remove(name) {
            close_results(c.open.into_iter().collect()).await;
        }
    }

    /// At transaction end cursors WITHOUT HOLD close; a rollback also closes the WITH HOLD
    /// cursors the transaction declared. Called before the backend commits or rolls back.
    pub(super) async fn cursors_at_transaction_end(&mut self, committed: bool) {
        let mut closing = Vec::new();
        self.cursors.0.retain(|_, c| {
            let keep = c.hold && (committed || !c.fresh);
            c.fresh = false;
            if !keep {
                closing.extend(c.open.take());
            }
            keep
        });
        close_results(closing).await;
    }

    /// Every cursor, closed (DISCARD ALL, end of session, a lost backend connection).
    pub(super) async fn close_all_cursors(&mut self) {
        close_results(self.cursors.take_all()).await;
    }
}
