//! One client session: the protocol state machine (idle / in transaction /
//! failed transaction), the simple query protocol, and transaction control.
//! The extended protocol lives in `extended.rs`; connection start in `startup.rs`; running a
//! statement on the backend (transaction control, results, rows) in `execute.rs`; the
//! socket in `conn.rs`.
//!
//! Backend calls block: each runs through `blocking`, in place on the session's worker
//! thread after tokio hands that worker's other tasks to another thread.

mod admin;
mod authenticate;
mod catalog;
mod columns;
mod conn;
mod copy;
mod cursors;
mod execute;
mod extended;
mod local;
mod notify;
mod observe;
mod prepare;
mod shapes;
mod startup;
#[cfg(test)]
mod tests;
mod type_of;

use std::collections::HashMap;
use std::sync::Arc;

use bytes::BytesMut;
use tokio::net::TcpStream;

use crate::activity::{Activity, Identity};
use crate::backend::{BackendConn, Column, Cursor, FirstBatch, RowPlan};
use crate::cancel::{CancelSlot, Reason};
use crate::error::{sqlstate, PgError, PgResult};
use crate::pool::Lease;
use crate::protocol::backend::{self as be, TxStatus};
use crate::protocol::frontend::Message;
use crate::server::ServerCtx;
use crate::settings::Settings;
use crate::tls::Stream;
use crate::translate::{
    projection_in, Action, Capture, Env, InferredColumn, RowCount, TargetSql, Translated, Typmod, CAPTURED,
    CAPTURED_LIST, ID_LIST,
};

use crate::types::{Format, Oid, Param};
use columns::{apply_declared, column_type, fields_for, resolve_columns, resolve_formats};
pub use conn::Conn;
use conn::{ReadError, FLUSH_THRESHOLD};
use execute::{bind_target, close_cursor, close_results, shape_key, sleep_or_never, Captured};

use extended::{Portal, Prepared};
pub use observe::LOG_SESSION;
pub use shapes::Shapes;
use shapes::{ResultColumns, Shape, ShapeKey};
use startup::Opening;

/// Notifications have arrived for an idle session; never, for one that does not listen.
async fn notification_ready(inbox: Option<&mut crate::notify::Inbox>) {
    match inbox {
        Some(inbox) => inbox.ready().await,
        None => std::future::pending().await,
    }
}

/// Run a blocking backend call on this worker thread. `block_in_place` first hands the
/// worker's other tasks to another thread, so nothing else waits; the statement itself
/// goes from socket to backend and back without a thread switch (a round trip through
/// the blocking pool costs two wake-ups, which a loaded machine makes expensive).
async fn blocking<T, F>(f: F) -> PgResult<T>
where
    F: FnOnce() -> PgResult<T>,
{
    tokio::task::block_in_place(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
            .unwrap_or_else(|_| Err(PgError::internal("backend call failed: it panicked")))
    })
}

/// Transaction state as the client sees it, plus the gateway's implicit blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tx {
    /// No transaction: statements autocommit on the backend.
    Idle,
    /// A transaction the gateway opened for a multi-statement query or an extended-protocol
    /// batch; committed at the end of the Query message or at Sync.
    Implicit,
    /// BEGIN ... COMMIT.
    Explicit,
    /// An error happened in an explicit transaction: only ROLLBACK gets it out.
    Failed,
}

/// The outcome of one statement: its completion tag.
struct Done {
    tag: String,
}

/// A backend statement once started: a row count, or a result with its first rows sent.
enum Started {
    Command(i64),
    Rows {
        result: Arc<ResultColumns>,
        plan: Arc<RowPlan>,
        sent: u64,
        /// The open result while rows remain.
        cursor: Option<Arc<dyn Cursor>>,
    },
}

/// What `start` needs to know about the statement's result before running it.
struct Expect<'a> {
    /// The cached shape (result columns) and the cache key to refresh it under.
    shape: Option<Arc<Shape>>,
    key: Option<ShapeKey>,
    param_types: &'a [Oid],
    result_formats: &'a [i16],
    /// Send RowDescription before the rows (simple protocol).
    describe_rows: bool,
    /// Rows to send at most (extended protocol row limit).
    limit: Option<u64>,
}

pub struct Session {
    conn: Conn,
    ctx: Arc<ServerCtx>,
    /// Where this session's backend connections come from (the user's own with pass-through).
    pool: Arc<crate::pool::Pool>,
    /// The backend connection, held while a transaction (or a statement) needs it.
    lease: Option<Lease>,
    settings: Settings,
    tx: Tx,
    statements: HashMap<String, Arc<Prepared>>,
    portals: HashMap<String, Portal>,
    /// After an error in the extended protocol, skip messages until Sync.
    skip_until_sync: bool,
    /// Executes run since the last Sync; a second one outside a transaction opens the
    /// implicit transaction PostgreSQL gives the batch.
    executes_since_sync: u32,
    /// DDL ran in the current transaction: its end changes the schema again (rollback).
    ddl_in_tx: bool,
    /// (IRIS) the DDL of the open transaction that changes the known columns: statements
    /// are translated with it until the transaction ends (translate/iris/own_ddl.rs).
    own_ddl: crate::translate::OwnDdl,
    user: String,
    database: String,
    pid: i32,
    /// Where a CancelRequest finds the statement this session runs.
    cancel: Arc<CancelSlot>,
    /// SQL-level cursors (DECLARE).
    cursors: cursors::Cursors,
    /// What pg_stat_activity and the admin console show of this session.
    activity: Arc<Activity>,
    /// The running statement's start and where its time went (observe.rs).
    timing: observe::Timing,
    /// The statement's OpenTelemetry span, open only while tracing (`--otel-endpoint`).
    span: Option<observe::SpanStart>,
    /// The session made temporary tables on its backend connection: it keeps that
    /// connection to the end, which closes it instead of pooling it (in PostgreSQL they
    /// belong to the session; pooled, another session would see them).
    temporary_objects: bool,
    /// An explicit BEGIN not yet started on the backend: it starts before the first
    /// statement that needs the backend, so a transaction of gateway-answered statements
    /// (SET, SHOW, catalog queries, pg_terminate_backend) takes no backend connection and,
    /// on sqlite, not the write lock another session's transaction holds (PostgreSQL's
    /// BEGIN takes no lock either).
    begin_pending: bool,
    /// LISTEN state and the NOTIFYs of the open transaction (src/notify.rs).
    notify: crate::notify::Pending,
}

/// Serve one client connection from accept to close.
pub async fn serve(stream: TcpStream, peer: std::net::SocketAddr, ctx: Arc<ServerCtx>) {
    let _ = stream.set_nodelay(true);
    let mut conn = Conn::new(stream, ctx.config.max_message_size);
    let startup_timeout = std::time::Duration::from_secs_f64(ctx.config.startup_timeout_secs.max(0.001));
    let params = match tokio::time::timeout(startup_timeout, startup::negotiate(&mut conn, &ctx, peer)).await {
        Ok(Ok(Some(Opening::Session(params)))) => params,
        Ok(Ok(Some(Opening::Cancel(pid, secret)))) => {
            ctx.cancel(pid, &secret).await;
            return;
        }
        Ok(Ok(None)) => return,
        Ok(Err(e)) => {
            conn.fatal(&e).await;
            return;
        }
        // As PostgreSQL: a client too slow to send its startup packet is dropped silently.
        Err(_) => {
            log::info!("connection from {peer}: no startup packet within {startup_timeout:?}");
            return;
        }
    };
    let Some(registration) = ctx.register_session(peer) else {
        ctx.metrics.error(sqlstate::TOO_MANY_CONNECTIONS);
        conn.fatal(&PgError::fatal(sqlstate::TOO_MANY_CONNECTIONS, "sorry, too many clients already")).await;
        return;
    };
    // Every log line of the session carries its id, user, application and client.
    observe::LOG_SESSION
        .scope(registration.activity.clone(), serve_registered(conn, peer, ctx, params, registration))
        .await
}

async fn serve_registered(
    mut conn: Conn,
    peer: std::net::SocketAddr,
    ctx: Arc<ServerCtx>,
    params: Vec<(String, String)>,
    registration: crate::server::Registration,
) {
    let Some((pool, _user_slot)) = authenticate::admit(&mut conn, &ctx, peer, &params).await else { return };
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let admin_console = admin::is_console(&param("database"), &param("user"));
    if admin_console {
        if let Err(e) = admin::admit(&ctx, &param("user")) {
            ctx.metrics.error(e.code);
            conn.fatal(&e).await;
            return;
        }
    }
    let settings = match crate::session_defaults::initial(&ctx.config, &params) {
        Ok(settings) => settings,
        Err(e) => {
            conn.fatal(&e).await;
            return;
        }
    };
    let mut session = Session {
        conn,
        ctx: ctx.clone(),
        pool,
        lease: None,
        settings,
        tx: Tx::Idle,
        statements: HashMap::new(),
        portals: HashMap::new(),
        skip_until_sync: false,
        executes_since_sync: 0,
        ddl_in_tx: false,
        own_ddl: Default::default(),
        temporary_objects: false,
        begin_pending: false,
        user: param("user"),
        database: param("database"),
        pid: registration.pid,
        cancel: registration.cancel.clone(),
        cursors: cursors::Cursors::default(),
        activity: registration.activity.clone(),
        timing: observe::Timing::default(),
        span: None,
        notify: crate::notify::Pending::default(),
    };
    let identity = Identity { user: session.user.clone(), database: admin::database_of(&params), admin_console };
    session.activity.identify(identity, &param("application_name"));
    for (name, value) in session.settings.reported() {
        be::parameter_status(&mut session.conn.out, &name, &value);
    }
    be::backend_key_data(&mut session.conn.out, registration.pid, &registration.secret);
    be::ready_for_query(&mut session.conn.out, TxStatus::Idle);
    if session.conn.flush().await.is_ok() {
        if admin_console {
            session.run_admin().await;
        } else {
            session.run().await;
        }
    }
    session.account();
    // Whatever ended the session, hand the backend connection back clean.
    session.close_portals().await;
    session.close_all_cursors().await;
    if let Some(mut lease) = session.lease.take() {
        if session.temporary_objects {
            lease.mark_broken();
        } else if session.tx != Tx::Idle {
            let conn = lease.conn();
            if blocking(move || conn.rollback()).await.is_err() {
                lease.mark_broken();
            }
        }
    }
    if session.ddl_in_tx {
        ctx.schema_changed();
    }
    ctx.advisory.end_session(session.pid);
    drop(registration);
}

impl Session {
    async fn run(&mut self) {
        let mut shutdown = self.ctx.shutdown_signal();
        let activity = self.activity.clone();
        // Made once, not per message: each new one would join (and, dropped, leave) its
        // wake-up list under that list's lock.
        let stopping = async move { drop(shutdown.wait_for(|stop| *stop).await) };
        let terminated = activity.terminated();
        tokio::pin!(stopping, terminated);
        // ReadyForQuery was the last thing sent: the client's turn (idle, maybe in a transaction).
        let mut ready = true;
        loop {
            let idle_limit = match self.tx {
                Tx::Explicit | Tx::Failed if ready => self.settings.idle_in_transaction_timeout(),
                _ => None,
            };
            let next = tokio::select! {
                // Shutdown first: a session that finished its statement ends before the next.
                biased;
                _ = &mut stopping => {
                    self.conn.fatal(&Reason::Shutdown.error()).await;
                    return;
                }
                _ = &mut terminated => {
                    self.terminated().await;
                    return;
                }
                m = self.conn.read_message() => m,
                // Idle outside a transaction: a notification goes out at once.
                _ = notification_ready(if ready && self.tx == Tx::Idle { self.notify.inbox() } else { None }) => {
                    self.send_notifications();
                    if self.conn.flush().await.is_err() {
                        return;
                    }
                    continue;
                }
                // serve() then rolls the transaction back and returns the backend connection.
                _ = sleep_or_never(idle_limit) => {
                    log::info!("session {}: terminating connection due to idle-in-transaction timeout", self.pid);
                    self.conn.fatal(&PgError::fatal(sqlstate::IDLE_IN_TRANSACTION_SESSION_TIMEOUT, "terminating connection due to idle-in-transaction timeout")).await;
                    return;
                }
            };
            let (tag, body) = match next {
                Ok(Some(frame)) => frame,
                Ok(None) | Err(ReadError::Io) => return,
                Err(ReadError::Protocol(e)) => {
                    self.conn.fatal(&e).await;
                    return;
                }
            };
            let msg = match Message::parse(tag, body) {
                Ok(m) => m,
                Err(e) => {
                    self.conn.fatal(&e).await;
                    return;
                }
            };
            log::debug!("<- {}", tag as char);
            if self.skip_until_sync && !matches!(msg, Message::Sync | Message::Terminate) {
                continue;
            }
            let _statement = self.cancel.statement();
            ready = matches!(msg, Message::Query(_) | Message::Sync);
            let flush = match msg {
                Message::Terminate => return,
                Message::Query(sql) => {
                    let text = Arc::new(sql);
                    self.activity.statement(text.clone(), self.tx != Tx::Idle);
                    self.span_begin(&text);
                    self.simple_query(&text).await;
                    true
                }
                Message::Sync => {
                    self.sync().await;
                    true
                }
                Message::Flush => true,
                // Stray COPY messages outside COPY are ignored, as PostgreSQL does.
                Message::CopyData(_) | Message::CopyDone | Message::CopyFail(_) => false,
                Message::Password(_) => {
                    self.conn.fatal(&PgError::protocol("unexpected password message")).await;
                    return;
                }
                // Errors are flushed at once, as PostgreSQL does: a client that sent
                // Flush (not Sync) is waiting for them.
                Message::FunctionCall => {
                    self.extended_error(PgError::unsupported("the fastpath function call protocol is not supported"));
                    true
                }
                other => match self.extended(other).await {
                    Ok(()) => false,
                    Err(e) => {
                        // Any error aborts the transaction, in Parse/Bind/Describe too (a
                        // backend that runs a statement to describe it fails there).
                        self.statement_failed().await;
                        self.extended_error(e);
                        true
                    }
                },
            };
            if self.cancel.reason() == Some(Reason::Shutdown) {
                // Interrupted by shutdown: the connection ends here, as PostgreSQL's does.
                self.conn.out.clear();
                self.conn.fatal(&Reason::Shutdown.error()).await;
                return;
            }
            if self.activity.is_terminated() {
                self.terminated().await;
                return;
            }
            if (flush || self.conn.out.len() >= FLUSH_THRESHOLD) && self.conn.flush().await.is_err() {
                return;
            }
            self.account();
        }
    }

    fn tx_status(&self) -> TxStatus {
        match self.tx {
            Tx::Idle | Tx::Implicit => TxStatus::Idle,
            Tx::Explicit => TxStatus::InTransaction,
            Tx::Failed => TxStatus::Failed,
        }
    }

    fn send_error(&mut self, err: &PgError) {
        let explained = self.cancel.explain(err);
        let err = explained.as_ref().unwrap_or(err);
        self.ctx.metrics.error(err.code);
        if self.span.is_some() {
            self.span_end(None, Some(err));
        }
        be::error_response(&mut self.conn.out, err);
    }

    /// Simple query protocol: every statement of the string, one ReadyForQuery at the end.
    async fn simple_query(&mut self, sql: &Arc<String>) {
        match self.timed_translate(sql) {
            Err(e) => {
                // Unparsable or refused: the transaction fails as with any other error.
                self.statement_failed().await;
                self.send_error(&e.located(sql));
            }
            Ok(stmts) if stmts.is_empty() => be::empty_query_response(&mut self.conn.out),
            Ok(stmts) => {
                // PostgreSQL runs the statements of one Query message as one transaction.
                let many = stmts.len() > 1;
                for (i, stmt) in stmts.iter().enumerate() {
                    if many && self.tx == Tx::Idle && matches!(stmt.action, Action::Execute { .. } | Action::Declare(_))
                    {
                        if let Err(e) = self.backend_call(|b| b.begin()).await {
                            self.send_error(&e);
                            break;
                        }
                        self.tx = Tx::Implicit;
                    }
                    if i > 0 {
                        self.span_begin(sql);
                    }
                    // One statement of several: its index makes its key apart from the others.
                    let text: std::borrow::Cow<str> =
                        if many { format!("{sql}\0{i}").into() } else { sql.as_str().into() };
                    // statement_timeout runs per statement of the string, as in PostgreSQL 13+.
                    let timeout = self.cancel.arm(self.settings.statement_timeout_ms());
                    self.timing.start(self.tx == Tx::Idle);
                    let result = match self.typeof_params(stmt, &[]).await {
                        Ok(typeof_params) => self.run_statement(stmt, &text, &typeof_params, &[], true).await,
                        Err(e) => Err(e),
                    };
                    drop(timeout);
                    match result {
                        Ok(done) => self.complete(&done.tag, None),
                        Err(e) => {
                            self.statement_failed().await;
                            self.send_error(&e.located(sql));
                            break;
                        }
                    }
                }
                if let Err(e) = self.end_implicit().await {
                    self.send_error(&e);
                }
            }
        }
        self.release_if_idle().await;
        self.notifications_before_ready();
        self.ready_for_query();
    }

    /// Sync: close the implicit transaction, leave error mode, report status.
    async fn sync(&mut self) {
        self.skip_until_sync = false;
        self.executes_since_sync = 0;
        if let Err(e) = self.end_implicit().await {
            self.send_error(&e);
        }
        self.release_if_idle().await;
        self.notifications_before_ready();
        self.ready_for_query();
    }

    /// An extended-protocol message failed: report it and skip until Sync.
    fn extended_error(&mut self, err: PgError) {
        self.send_error(&err);
        self.skip_until_sync = true;
    }

    /// Run `f` on this session's backend connection (checked out of the pool if needed),
    /// in place (`blocking`). `f` writes its output (rows) straight into the session's
    /// output buffer.
    async fn with_backend<T, F>(&mut self, f: F) -> PgResult<T>
    where
        F: FnOnce(&BackendConn, &mut BytesMut) -> PgResult<T>,
    {
        if self.lease.is_none() {
            log::debug!("checking out a backend connection");
            self.lease = Some(self.checkout().await?);
        }
        let conn = self.lease.as_ref().expect("just acquired").conn();
        let timeout_ms = self.settings.statement_timeout_ms();
        let lock_ms = self.settings.lock_timeout_ms();
        let _running = self.cancel.running(&conn)?;
        // A pending BEGIN starts with the first statement that needs the backend.
        let begin = std::mem::take(&mut self.begin_pending);
        let used = conn.clone();
        let result = self
            .with_out(move |out| {
                conn.apply_statement_timeout(timeout_ms)?;
                conn.apply_lock_timeout(lock_ms)?;
                if begin {
                    conn.begin()?;
                }
                f(&conn, out)
            })
            .await;
        if let Err(e) = &result {
            used.mark_suspect();
            if e.code == sqlstate::CONNECTION_FAILURE {
                // The job is gone, and its transaction with it.
                if let Some(lease) = self.lease.as_mut() {
                    lease.mark_broken();
                }
                self.portals.clear();
                self.cursors = cursors::Cursors::default();
                self.lease = None;
                self.tx = if self.tx == Tx::Explicit || self.tx == Tx::Failed { Tx::Failed } else { Tx::Idle };
            }
        }
        result
    }

    /// Run a blocking call that appends to the output buffer.
    async fn with_out<T, F>(&mut self, f: F) -> PgResult<T>
    where
        F: FnOnce(&mut BytesMut) -> PgResult<T>,
    {
        let out = &mut self.conn.out;
        let (result, backend_ns, encode_ns) = blocking(move || Ok(observe::timed_call(|| f(out)))).await?;
        self.timing.backend_ns += backend_ns;
        self.timing.encode_ns += encode_ns;
        result
    }

    async fn backend_call<F>(&mut self, f: F) -> PgResult<()>
    where
        F: FnOnce(&BackendConn) -> PgResult<()>,
    {
        self.with_backend(move |b, _| f(b)).await
    }

    /// Give the backend connection back to the pool when nothing needs it: no
    /// transaction (the gateway's implicit ones end at Sync) and no open result (a
    /// WITH HOLD cursor keeps it).
    async fn release_if_idle(&mut self) {
        if self.tx == Tx::Idle {
            self.close_portals().await;
            if !self.cursors.hold_backend() && !self.temporary_objects {
                self.lease = None;
            }
        }
    }

    /// Drop every portal, closing the results that suspended ones keep open on the backend.
    async fn close_portals(&mut self) {
        close_results(self.portals.drain().filter_map(|(_, p)| p.into_cursor()).collect()).await;
    }

    /// Commit the gateway's implicit transaction, if one is open.
    async fn end_implicit(&mut self) -> PgResult<()> {
        if self.tx != Tx::Implicit {
            return Ok(());
        }
        self.end_transaction("commit").await
    }

    /// A statement failed: an implicit transaction is rolled back, an explicit one is marked failed.
    async fn statement_failed(&mut self) {
        // Whatever failed (a fetch, a COPY batch, a cancel between calls), the connection
        // is checked before another session uses it.
        if let Some(lease) = &self.lease {
            lease.conn().mark_suspect();
        }
        match self.tx {
            Tx::Implicit => {
                if let Err(e) = self.end_transaction("rollback").await {
                    log::warn!("rollback after error failed: {e}");
                }
            }
            Tx::Explicit => self.tx = Tx::Failed,
            // The statements since the last ReadyForQuery were one implicit transaction.
            Tx::Idle => self.notify.rollback(),
            Tx::Failed => {}
        }
    }

    /// End the backend transaction. What dies with a transaction goes first: SET LOCAL
    /// values and portals (their open results are closed before the commit).
    async fn end_transaction(&mut self, method: &'static str) -> PgResult<()> {
        self.tx = Tx::Idle;
        self.ctx.advisory.end_transaction(self.pid);
        for (name, value) in self.settings.end_transaction() {
            be::parameter_status(&mut self.conn.out, &name, &value);
        }
        self.close_portals().await;
        // A NOTIFY that cannot be queued fails the commit, as in PostgreSQL.
        let refused = if method == "commit" { self.notify.pre_commit(&self.ctx.notify).err() } else { None };
        let method = if refused.is_some() { "rollback" } else { method };
        self.cursors_at_transaction_end(method == "commit").await;
        // A BEGIN whose transaction never reached the backend has nothing there to end.
        let result = if std::mem::take(&mut self.begin_pending) {
            Ok(())
        } else {
            self.backend_call(move |b| if method == "commit" { b.commit() } else { b.rollback() }).await
        };
        self.activity.transaction_ended(method == "commit" && result.is_ok());
        match (&result, method) {
            (Ok(()), "commit") => self.notify.commit(&self.ctx.notify),
            _ => self.notify.rollback(),
        }
        if let Some(e) = refused {
            return Err(e);
        }
        let own_ddl = self.own_ddl.take();
        if std::mem::take(&mut self.ddl_in_tx) {
            match (&result, method) {
                (Ok(()), "commit") => self.ctx.ddl_committed(own_ddl),
                _ => drop(self.ctx.schema_changed()),
            }
        }
        result
    }

    /// (IRIS) a statement that changes the known columns succeeded: in a transaction the
    /// session keeps it until the end; on its own it is committed, for every session.
    fn columns_step(&mut self, stmt: &Translated) {
        if let Some(step) = &stmt.columns_step {
            if let Some(ddl) = self.own_ddl.step(step, self.tx != Tx::Idle) {
                self.ctx.ddl_committed(vec![ddl]);
            }
        }
    }

    fn aborted_error() -> PgError {
        PgError::new(
            sqlstate::IN_FAILED_SQL_TRANSACTION,
            "current transaction is aborted, commands ignored until end of transaction block",
        )
    }

    /// Statements allowed in a failed transaction: those that end it.
    fn allowed_when_failed(stmt: &Translated) -> bool {
        matches!(stmt.action, Action::Commit | Action::Rollback)
            || matches!(&stmt.tag, crate::translate::Tag::Fixed(t) if t == "ROLLBACK")
    }
}
