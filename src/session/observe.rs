//! What a session tells the operators: statement timing for the metrics and
//! `--log-min-duration-statement`, its pg_stat_activity state at each ReadyForQuery,
//! pool waits, bytes moved, how it ends when terminated, and (`--otel-endpoint`) a span
//! per statement. Only atomic adds and stores on the way (see src/metrics/,
//! src/activity.rs); without tracing, spans cost a check of `Session::span` per statement.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::{Session, Tx};
use crate::activity::{Activity, State};
use crate::cancel::Reason;
use crate::error::{PgError, PgResult};
use crate::metrics::{self, elapsed_ns, Phase};
use crate::otel::{self, SpanRecord};
use crate::pool::Lease;
use crate::protocol::backend::{self as be, TxStatus};
use crate::translate::Translated;
use crate::types::Param;

tokio::task_local! {
    /// The session a log line comes from (python/logging.rs adds its id, user,
    /// application and client address to every record).
    pub static LOG_SESSION: Arc<Activity>;
}

/// The running statement's clock.
#[derive(Default)]
pub struct Timing {
    started: Option<Instant>,
    /// The statement began outside a transaction block (it autocommits).
    outside_tx: bool,
    pub backend_ns: u64,
    pub encode_ns: u64,
}

impl Timing {
    pub fn start(&mut self, outside_tx: bool) {
        *self = Timing { started: Some(Instant::now()), outside_tx, backend_ns: 0, encode_ns: 0 };
    }
}

/// A statement's open span: when it started and its text (tracing only).
pub struct SpanStart {
    at: Instant,
    text: Arc<String>,
}

/// Run a backend call, timing it: (result, ns in the backend, ns encoding rows).
pub fn timed_call<T>(f: impl FnOnce() -> T) -> (T, u64, u64) {
    metrics::take_encode_time();
    let start = Instant::now();
    let result = f();
    let total = elapsed_ns(start);
    let encode = metrics::take_encode_time();
    (result, total.saturating_sub(encode), encode)
}

impl Session {
    pub(super) fn timed_translate(&self, sql: &str) -> PgResult<Arc<Vec<Translated>>> {
        let start = Instant::now();
        let result = self.ctx.translate(sql, &self.own_ddl);
        self.ctx.metrics.phase(Phase::Translate, elapsed_ns(start));
        result
    }

    /// CommandComplete of a statement: counted by its tag, timed, and logged when slow.
    pub(super) fn complete(&mut self, tag: &str, params: Option<&[Param]>) {
        be::command_complete(&mut self.conn.out, tag);
        if self.span.is_some() {
            self.span_end(Some(tag), None);
        }
        let m = &self.ctx.metrics;
        m.query_done(tag);
        let Some(started) = self.timing.started.take() else { return };
        let ns = elapsed_ns(started);
        m.query_duration.observe_ns(ns);
        m.phase(Phase::Backend, self.timing.backend_ns);
        m.phase(Phase::Encode, self.timing.encode_ns);
        if self.timing.outside_tx && self.tx == Tx::Idle {
            self.activity.transaction_ended(true);
        }
        let min = self.ctx.config.log_min_duration_ms;
        if min >= 0 && ns >= (min as u64).saturating_mul(1_000_000) {
            self.log_slow(ns, params);
        }
    }

    /// A statement starts: its span opens (only while tracing).
    pub(super) fn span_begin(&mut self, text: &Arc<String>) {
        if self.ctx.spans.is_some() {
            self.span = Some(SpanStart { at: Instant::now(), text: text.clone() });
        }
    }

    /// Execute: the span Bind opened for this statement goes on (a portal run in several
    /// Executes is one span); otherwise one opens.
    pub(super) fn span_continue(&mut self, text: &Arc<String>) {
        if !self.span.as_ref().is_some_and(|s| Arc::ptr_eq(&s.text, text)) {
            self.span_begin(text);
        }
    }

    /// The statement ended with a command tag or an error: its span goes to the exporter's
    /// queue (dropped and counted when the queue is full; the session never waits).
    pub(super) fn span_end(&mut self, tag: Option<&str>, error: Option<&PgError>) {
        let (Some(open), Some(spans)) = (self.span.take(), self.ctx.spans.as_deref()) else { return };
        let end_unix_ns = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        let took = elapsed_ns(open.at);
        let traceparent = otel::find_traceparent(&open.text)
            .or_else(|| self.settings.get(otel::SETTING).filter(|v| !v.is_empty()))
            .or_else(|| self.settings.get("application_name").and_then(otel::find_traceparent))
            .map(str::to_owned);
        let record = SpanRecord {
            name: match tag {
                Some(tag) => tag.split(' ').next().unwrap_or(tag).to_owned(),
                None => otel::first_keyword(&open.text),
            },
            start_unix_ns: end_unix_ns.saturating_sub(took),
            end_unix_ns,
            traceparent,
            statement: open.text,
            user: self.user.clone(),
            database: self.database.clone(),
            session_id: self.pid,
            client: self.activity.client,
            rows: tag.and_then(otel::tag_rows),
            error: error.map(|e| (e.code.to_owned(), e.message.clone())),
        };
        if !spans.send(record) {
            self.ctx.metrics.add(&self.ctx.metrics.spans_dropped, 1);
        }
    }

    /// PostgreSQL's slow-statement line; parameter values only with --log-parameters.
    fn log_slow(&self, ns: u64, params: Option<&[Param]>) {
        let query = self.activity.row().map(|r| r.query).unwrap_or_default();
        let ms = ns as f64 / 1e6;
        match params.filter(|p| !p.is_empty() && self.ctx.config.log_parameters) {
            Some(params) => {
                let shown: Vec<String> =
                    params.iter().enumerate().map(|(i, p)| format!("${} = {}", i + 1, show_param(p))).collect();
                log::info!("duration: {ms:.3} ms  statement: {query}  parameters: {}", shown.join(", "))
            }
            None => log::info!("duration: {ms:.3} ms  statement: {query}"),
        }
    }

    /// SET / RESET ran: pg_stat_activity follows application_name.
    pub(super) fn settings_changed(&mut self) {
        if let Ok(name) = self.settings.show("application_name") {
            self.activity.set_application_name(&name);
        }
    }

    /// ReadyForQuery, and the session's state as pg_stat_activity shows it.
    pub(super) fn ready_for_query(&mut self) {
        // A span still open (an empty query) belongs to no statement.
        self.span = None;
        let status = self.tx_status();
        if self.tx == Tx::Idle {
            // The statements since the last ReadyForQuery were one implicit transaction.
            self.ctx.advisory.end_transaction(self.pid);
        }
        be::ready_for_query(&mut self.conn.out, status);
        self.activity.ready(match status {
            TxStatus::Idle => State::Idle,
            TxStatus::InTransaction => State::IdleInTransaction,
            TxStatus::Failed => State::IdleInTransactionAborted,
        });
    }

    /// A backend connection from the pool, the wait shown and measured.
    pub(super) async fn checkout(&mut self) -> PgResult<Lease> {
        let start = Instant::now();
        self.activity.set_waiting(true);
        let lease = self.pool.acquire().await;
        self.activity.set_waiting(false);
        self.ctx.metrics.pool_wait.observe(start.elapsed());
        lease
    }

    /// pg_terminate_backend / KILL: FATAL 57P01, as PostgreSQL ends a terminated backend.
    pub(super) async fn terminated(&mut self) {
        log::info!("session {}: terminating connection due to administrator command", self.pid);
        self.conn.out.clear();
        let err = Reason::Terminate.error();
        self.ctx.metrics.error(err.code);
        self.conn.fatal(&err).await;
        self.account();
    }

    /// Add the bytes moved since the last call to the metrics.
    pub(super) fn account(&mut self) {
        // Only when there is something to add: the counters' cache lines are shared by
        // every session, and most messages arrive and leave in one read and one write.
        let m = &self.ctx.metrics;
        if self.conn.received > 0 {
            m.add(&m.bytes_received, std::mem::take(&mut self.conn.received));
        }
        if self.conn.sent > 0 {
            m.add(&m.bytes_sent, std::mem::take(&mut self.conn.sent));
        }
    }
}

/// A parameter as the slow-statement log shows it (PostgreSQL quotes values as literals).
fn show_param(p: &Param) -> String {
    match p {
        Param::Null => "NULL".into(),
        Param::Bool(b) => format!("'{}'", if *b { "t" } else { "f" }),
        Param::Int(i) => format!("'{i}'"),
        Param::Float(f) => format!("'{f}'"),
        Param::Text(s) | Param::Decimal(s) => format!("'{}'", s.replace('\'', "''")),
        other => format!("{other:?}"),
    }
}
