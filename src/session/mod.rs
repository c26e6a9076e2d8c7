//! One client session: the protocol state machine (idle / in transaction /
//! failed transaction), the simple query protocol, and transaction control.
//! The extended protocol lives in `extended.rs`; connection start in `startup.rs`.
//!
//! Backend calls block: each runs through `blocking`, in place on the session's worker
//! thread after tokio hands that worker's other tasks to another thread.

mod admin;
mod authenticate;
mod catalog;
mod columns;
mod copy;
mod cursors;
mod extended;
mod local;
mod notify;
mod observe;
mod prepare;
mod shapes;
mod startup;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::activity::{Activity, Identity};
use crate::backend::{BackendConn, Column, Cursor, FirstBatch, RowPlan};
use crate::cancel::{CancelSlot, Reason};
use crate::error::{sqlstate, PgError, PgResult, Severity};
use crate::pool::Lease;
use crate::protocol::backend::{self as be, TxStatus};
use crate::protocol::frontend::{split_frame, split_startup, Message};
use crate::server::ServerCtx;
use crate::settings::Settings;
use crate::tls::{Stream, TlsInfo};
use crate::translate::{projection_in, Action, Env, InferredColumn, RowCount, TargetSql, Translated, Typmod, CAPTURED};

use crate::types::{Format, Oid, Param};
use columns::{apply_declared, column_type, fields_for, resolve_columns, resolve_formats};

use extended::{Portal, Prepared};
pub use observe::LOG_SESSION;
pub use shapes::Shapes;
use shapes::{ResultColumns, Shape, ShapeKey};
use startup::Opening;

/// Flush the output buffer once it holds this much, even mid-result.
const FLUSH_THRESHOLD: usize = 64 * 1024;

/// The socket side of a session: buffered reads and writes of whole frames.
pub struct Conn {
    stream: Stream,
    /// Set once the connection is encrypted.
    tls: Option<TlsInfo>,
    rbuf: BytesMut,
    pub out: BytesMut,
    max_message: usize,
    /// Bytes read and written since the metrics last took them (`Session::account`).
    received: u64,
    sent: u64,
}

/// Why reading a message failed.
enum ReadError {
    /// The socket failed or closed mid-message: nothing can be sent back.
    Io,
    /// The bytes were not a valid message: report and close.
    Protocol(PgError),
}

impl Conn {
    fn new(stream: TcpStream, max_message: usize) -> Self {
        Conn {
            stream: Stream::Plain(stream),
            tls: None,
            rbuf: BytesMut::new(),
            out: BytesMut::new(),
            max_message,
            received: 0,
            sent: 0,
        }
    }

    /// Read more bytes; Ok(false) on a clean EOF.
    async fn fill(&mut self) -> Result<bool, ReadError> {
        if self.rbuf.is_empty() {
            // Between messages an idle session holds no buffers (thousands of idle
            // clients cost a few KB each): wait for data, then allocate.
            self.rbuf = BytesMut::new();
            if self.out.is_empty() {
                self.out = BytesMut::new();
            }
            self.stream.readable().await.map_err(|_| ReadError::Io)?;
        }
        if self.rbuf.capacity() - self.rbuf.len() < 4096 {
            self.rbuf.reserve(8192);
        }
        match self.stream.read_buf(&mut self.rbuf).await {
            Ok(0) => Ok(false),
            Ok(n) => {
                self.received += n as u64;
                Ok(true)
            }
            Err(_) => Err(ReadError::Io),
        }
    }

    pub async fn read_startup(&mut self, max_body: usize) -> PgResult<Option<Bytes>> {
        loop {
            if let Some(frame) = split_startup(&mut self.rbuf, max_body)? {
                return Ok(Some(frame));
            }
            match self.fill().await {
                Ok(true) => {}
                Ok(false) | Err(ReadError::Io) => {
                    if self.rbuf.is_empty() {
                        return Ok(None);
                    }
                    return Err(PgError::protocol("incomplete startup packet"));
                }
                Err(ReadError::Protocol(e)) => return Err(e),
            }
        }
    }

    async fn read_message(&mut self) -> Result<Option<(u8, Bytes)>, ReadError> {
        loop {
            if let Some(frame) = split_frame(&mut self.rbuf, self.max_message).map_err(ReadError::Protocol)? {
                return Ok(Some(frame));
            }
            if !self.fill().await? {
                return if self.rbuf.is_empty() { Ok(None) } else { Err(ReadError::Io) };
            }
        }
    }

    /// The client's next message, already buffered, is Sync (a pipelined Parse/Bind/
    /// Execute/Sync): a lone statement before it needs no transaction of its own.
    fn sync_is_next(&self) -> bool {
        self.rbuf.first() == Some(&b'S') && self.rbuf.len() >= 5
    }

    pub async fn flush(&mut self) -> std::io::Result<()> {
        if !self.out.is_empty() {
            self.stream.write_all(&self.out).await?;
            self.sent += self.out.len() as u64;
            self.out.clear();
            // TLS buffers records until flushed.
            self.stream.flush().await?;
        }
        Ok(())
    }

    pub async fn write_raw(&mut self, bytes: &[u8]) -> PgResult<()> {
        self.flush().await.map_err(|_| PgError::new(sqlstate::CONNECTION_FAILURE, "write failed"))?;
        let write = async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        };
        write.await.map_err(|_| PgError::new(sqlstate::CONNECTION_FAILURE, "write failed"))
    }

    /// Send a FATAL error and give up on the connection.
    async fn fatal(&mut self, err: &PgError) {
        let mut err = err.clone();
        err.severity = Severity::Fatal;
        be::error_response(&mut self.out, &err);
        let _ = self.flush().await;
    }
}

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
                self.send_error(&e);
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
                    let result = self.run_statement(stmt, &text, &[], &[], true).await;
                    drop(timeout);
                    match result {
                        Ok(done) => self.complete(&done.tag, None),
                        Err(e) => {
                            self.statement_failed().await;
                            self.send_error(&e);
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

    /// Run one statement of the simple protocol (RowDescription is sent here when
    /// `describe_rows`), or an extended-protocol statement the gateway answers itself.
    async fn run_statement(
        &mut self,
        stmt: &Translated,
        text: &str,
        params: &[Param],
        result_formats: &[i16],
        describe_rows: bool,
    ) -> PgResult<Done> {
        if self.tx == Tx::Failed && !Self::allowed_when_failed(stmt) {
            return Err(Self::aborted_error());
        }
        match &stmt.action {
            Action::Begin { modes, settings } => {
                self.begin(modes, settings).await.map(|_| Done { tag: stmt.tag.render(0) })
            }
            Action::Commit => self.commit().await,
            Action::Rollback => self.rollback().await,
            Action::Set { name, value, local } => {
                if let Some((n, v)) = self.settings.set(name, value.as_deref(), *local)? {
                    be::parameter_status(&mut self.conn.out, &n, &v);
                }
                self.settings_changed();
                Ok(Done { tag: stmt.tag.render(0) })
            }
            Action::Reset { name } => {
                for (n, v) in self.settings.reset(name)? {
                    be::parameter_status(&mut self.conn.out, &n, &v);
                }
                self.settings_changed();
                Ok(Done { tag: "RESET".into() })
            }
            Action::Show { .. } | Action::Local(_) => {
                self.answer_locally(&stmt.action, params, result_formats, describe_rows).await
            }
            Action::Listen(_) | Action::Unlisten(_) | Action::Notify { .. } => self.notify_statement(&stmt.action),
            Action::NotifyRows { name, rows } => {
                self.notify_rows(name, rows, params, result_formats, describe_rows).await
            }
            Action::Catalog(q) => self.catalog_query(q, params, result_formats, describe_rows).await,
            Action::Deallocate(name) => {
                match name {
                    Some(n) if self.statements.remove(n).is_none() => {
                        return Err(PgError::new(
                            sqlstate::INVALID_SQL_STATEMENT_NAME,
                            format!("prepared statement \"{n}\" does not exist"),
                        ))
                    }
                    Some(_) => {}
                    None => self.statements.clear(),
                }
                Ok(Done { tag: stmt.tag.render(0) })
            }
            Action::Discard { all } => {
                if *all {
                    if self.tx != Tx::Idle {
                        return Err(PgError::new(
                            sqlstate::ACTIVE_SQL_TRANSACTION,
                            "DISCARD ALL cannot run inside a transaction block",
                        ));
                    }
                    self.statements.clear();
                    self.close_portals().await;
                    self.close_all_cursors().await;
                    self.notify.listen(crate::notify::ListenOp::UnlistenAll);
                    for (n, v) in self.settings.reset("all")? {
                        be::parameter_status(&mut self.conn.out, &n, &v);
                    }
                }
                Ok(Done { tag: stmt.tag.render(0) })
            }
            // Nothing to run on this backend (IRIS has no RELEASE SAVEPOINT, no GIN index):
            // only the tag, and any NOTICE saying what was left out.
            Action::Execute { statements, .. } if statements.is_empty() => {
                for notice in &stmt.notices {
                    be::notice_response(&mut self.conn.out, "NOTICE", &PgError::new("00000", notice.clone()));
                }
                self.columns_step(stmt);
                Ok(Done { tag: stmt.tag.render(0) })
            }
            Action::Copy(copy) => self.copy(copy).await,
            Action::Declare(d) => self.declare_cursor(d, params, describe_rows).await,
            Action::Fetch(f) => self.fetch_cursor(f, result_formats, describe_rows).await,
            Action::CloseCursor(name) => self.close_sql_cursor(name.as_deref()).await,
            Action::Prepare(p) => self.prepare_sql(p).await,
            Action::ExecutePrepared { name, args } => {
                self.execute_prepared(name, args, result_formats, describe_rows).await
            }
            Action::Execute { .. } => {
                let key = shape_key(stmt, text, &[]);
                let expect = Expect {
                    shape: key.as_ref().and_then(|k| self.ctx.shapes.get(k)),
                    key,
                    param_types: &[],
                    result_formats,
                    describe_rows,
                    limit: None,
                };
                self.run_to_end(stmt, params, expect).await
            }
        }
    }

    /// Run a backend statement and send all its rows.
    async fn run_to_end(&mut self, stmt: &Translated, params: &[Param], expect: Expect<'_>) -> PgResult<Done> {
        match self.start(stmt, params, expect).await? {
            Started::Command(count) => Ok(Done { tag: stmt.tag.render(count.max(0) as u64) }),
            Started::Rows { plan, sent, cursor, .. } => {
                let mut rows = sent;
                if let Some(cursor) = cursor {
                    let streamed = self.stream_rows(&cursor, &plan, None).await;
                    if streamed.as_ref().map_or(true, |(_, done)| !done) {
                        close_cursor(cursor).await;
                    }
                    rows += streamed?.0;
                }
                Ok(Done { tag: stmt.tag.render(rows) })
            }
        }
    }

    /// BEGIN; `modes` (e.g. IRIS's SET TRANSACTION ISOLATION LEVEL) run first.
    async fn begin(&mut self, modes: &[TargetSql], settings: &[(String, String)]) -> PgResult<Done> {
        match self.tx {
            Tx::Idle | Tx::Implicit => {
                for mode in modes {
                    let sql = mode.sql.clone();
                    self.with_backend(move |b, out| b.run(&sql, &[], None, out).map(|_| ())).await?;
                }
                if self.tx == Tx::Idle {
                    if modes.is_empty() {
                        self.begin_pending = true;
                    } else {
                        self.backend_call(|b| b.begin()).await?;
                    }
                }
                self.tx = Tx::Explicit;
                // Like SET LOCAL: undone when the transaction ends.
                for (name, value) in settings {
                    self.settings.set(name, Some(value.as_str()), true)?;
                }
            }
            Tx::Explicit => {
                be::notice_response(
                    &mut self.conn.out,
                    "WARNING",
                    &PgError::new(sqlstate::ACTIVE_SQL_TRANSACTION, "there is already a transaction in progress"),
                );
            }
            Tx::Failed => return Err(Self::aborted_error()),
        }
        Ok(Done { tag: "BEGIN".into() })
    }

    async fn commit(&mut self) -> PgResult<Done> {
        let (method, tag) = match self.tx {
            Tx::Idle => {
                be::notice_response(
                    &mut self.conn.out,
                    "WARNING",
                    &PgError::new(sqlstate::NO_ACTIVE_SQL_TRANSACTION, "there is no transaction in progress"),
                );
                return Ok(Done { tag: "COMMIT".into() });
            }
            Tx::Implicit | Tx::Explicit => ("commit", "COMMIT"),
            // COMMIT of a failed transaction rolls it back and says so.
            Tx::Failed => ("rollback", "ROLLBACK"),
        };
        self.end_transaction(method).await?;
        Ok(Done { tag: tag.into() })
    }

    async fn rollback(&mut self) -> PgResult<Done> {
        if self.tx == Tx::Idle {
            be::notice_response(
                &mut self.conn.out,
                "WARNING",
                &PgError::new(sqlstate::NO_ACTIVE_SQL_TRANSACTION, "there is no transaction in progress"),
            );
            return Ok(Done { tag: "ROLLBACK".into() });
        }
        self.end_transaction("rollback").await?;
        Ok(Done { tag: "ROLLBACK".into() })
    }

    /// Type the result columns: the backend's types, the SQL's own, and where an
    /// expression over columns or parameters remains (`sum(qty)`, `1 + $1`), the
    /// types of those columns (probed) and parameters.
    async fn type_columns(&mut self, stmt: &Translated, mut cols: Vec<Column>, param_types: &[Oid]) -> Vec<Column> {
        // RETURNING rows (e.g. `RETURNING *`): typed like the equivalent SELECT.
        if let Some(probe) = stmt.returning_probe.clone().filter(|_| cols.iter().any(|c| c.ty.is_none())) {
            if let Ok(probed) = self.describe_probe(&probe).await {
                if probed.len() == cols.len() {
                    for (c, p) in cols.iter_mut().zip(probed) {
                        if c.ty.is_none() {
                            (c.ty, c.typmod) = (p.ty, p.typmod);
                        }
                    }
                }
            }
        }
        let mut inferred = stmt.columns.clone();
        let untyped = |inferred: &Option<Vec<InferredColumn>>| {
            cols.iter().enumerate().any(|(i, c)| {
                c.ty.is_none() && inferred.as_ref().and_then(|v| v.get(i)).and_then(|c| c.type_oid).is_none()
            })
        };
        // An expression over parameters (`10 / $1`) is typed by them without the backend's
        // help, whose type for it may be a stand-in (IRIS: VARCHAR).
        let param_expr = |inferred: &Option<Vec<InferredColumn>>| {
            !param_types.is_empty()
                && inferred.as_ref().is_some_and(|v| v.iter().any(|c| c.type_oid.is_none() && c.typmod == Typmod::None))
        };
        if let (false, true, Some(source)) = (untyped(&inferred), param_expr(&inferred), stmt.source.as_ref()) {
            inferred = projection_in(&Env { params: param_types.to_vec(), ..Env::default() }, source);
        }
        if let (true, Some(source)) = (untyped(&inferred), stmt.source.clone()) {
            let mut env = Env { params: param_types.to_vec(), ..Env::default() };
            if let Some(probe) = &stmt.column_probe {
                match self.describe_probe(&probe.sql).await {
                    Ok(probed) => {
                        let refs = crate::translate::nested_refs(&source);
                        for (key, col) in refs.iter().zip(&probed) {
                            if let Some(t) = col.ty {
                                env.columns.insert(key.clone(), t.oid);
                            }
                        }
                    }
                    Err(e) => log::debug!("column type probe {:?} failed: {e}", probe.sql),
                }
            }
            inferred = projection_in(&env, &source);
        }
        let mut cols = resolve_columns(cols, inferred.as_deref());
        apply_declared(&mut cols, stmt.declared_types.as_deref());
        cols
    }

    /// The result columns of a backend description, typed for clients.
    async fn result_columns(&mut self, stmt: &Translated, backend: Vec<Column>, param_types: &[Oid]) -> ResultColumns {
        let columns = self.type_columns(stmt, backend.clone(), param_types).await;
        ResultColumns { backend, columns }
    }

    /// Start a backend statement. When its result columns are known (`expect.shape`),
    /// execution, the first batch of rows and (if that is all) closing the result are one
    /// backend call, the rows encoded straight into the output buffer. Otherwise, or when
    /// the result turns out to differ from the shape, the columns are typed from what the
    /// backend reports and the shape cache learns them.
    async fn start(&mut self, stmt: &Translated, params: &[Param], expect: Expect<'_>) -> PgResult<Started> {
        let Action::Execute { statements, rowcount, .. } = &stmt.action else {
            return Err(PgError::internal("not a backend statement"));
        };
        for notice in &stmt.notices {
            be::notice_response(&mut self.conn.out, "NOTICE", &PgError::new("00000", notice.clone()));
        }
        if statements.len() > 1 && self.tx == Tx::Idle {
            self.backend_call(|b| b.begin()).await?;
            self.tx = Tx::Implicit;
        }
        if stmt.changes_schema() {
            // Other sessions must not trust shapes from before this statement (nor from
            // while it runs: advanced again below); if it is rolled back, the schema
            // changes once more.
            self.ctx.schema_changed();
            self.ddl_in_tx |= self.tx != Tx::Idle;
            self.temporary_objects |= stmt.creates_temporary();
        }
        let (last, before) = statements.split_last().ok_or_else(|| PgError::internal("no backend statement"))?;
        let mut total = 0i64;
        let mut captured = Vec::new();
        for target in before {
            let (sql, bound) = bind_target(target, params, &captured)?;
            if let Some(guard) = &target.guard {
                let ctx = self.settings.type_ctx().clone();
                let value = self.with_backend(move |b, _| capture_value(b, &sql, &bound, ctx)).await?;
                if !matches!(value, Param::Int(0)) {
                    return Err(PgError::new(guard.sqlstate, guard.message));
                }
                continue;
            }
            if target.capture {
                let ctx = self.settings.type_ctx().clone();
                captured.push(self.with_backend(move |b, _| capture_value(b, &sql, &bound, ctx)).await?);
                continue;
            }
            let ran = self.with_backend(move |b, out| b.run(&sql, &bound, None, out)).await?;
            if let Some(cursor) = ran.cursor {
                close_cursor(Arc::from(cursor)).await;
            }
            total += ran.rowcount.max(0);
        }
        let (sql, bound) = bind_target(last, params, &captured)?;
        let epoch = self.ctx.schema_epoch();
        let batch = self.ctx.config.fetch_batch_rows.max(1) as u64;
        let want = expect.limit.map_or(batch, |l| l.min(batch)) as usize;
        let known = expect.shape.as_ref().and_then(|s| s.result.clone().map(|r| (r, s.epoch == epoch)));
        let plan = match &known {
            Some((result, _)) => {
                Some(self.row_plan(&result.columns, resolve_formats(expect.result_formats, result.columns.len())?))
            }
            None => None,
        };
        // RowDescription goes before the rows the call writes; taken back if the result differs.
        let mark = self.conn.out.len();
        if let (true, Some((result, _)), Some(plan)) = (expect.describe_rows, &known, &plan) {
            be::row_description(&mut self.conn.out, &fields_for(&result.columns, &plan.formats));
        }
        let first = known.as_ref().zip(plan.clone()).map(|((result, current), plan)| (result.clone(), *current, plan));
        let untyped = first.as_ref().is_some_and(|(_, current, _)| *current);
        let ran = self
            .with_backend(move |b, out| {
                let first = first.as_ref().map(|(result, current, plan)| FirstBatch {
                    expect: &result.backend,
                    plan,
                    rows: want,
                    // A shape of an older epoch is checked against the backend's types too.
                    typed: !current,
                });
                let start = out.len();
                let ran = b.run(&sql, &bound, first.as_ref(), out);
                if ran.is_err() {
                    out.truncate(start);
                }
                ran
            })
            .await;
        if stmt.changes_schema() {
            // Shapes other sessions learned while the DDL ran may predate it.
            self.ctx.schema_changed();
        }
        let ran = match ran {
            Ok(ran) => ran,
            Err(e) => {
                self.conn.out.truncate(mark);
                return Err(e);
            }
        };
        self.columns_step(stmt);
        if self.tx == Tx::Failed {
            // Only ROLLBACK TO SAVEPOINT runs here in a failed transaction: it repairs it.
            self.tx = Tx::Explicit;
        }
        total += ran.rowcount.max(0);
        let count = if *rowcount == RowCount::Sum { total } else { ran.rowcount };
        let cursor: Option<Arc<dyn Cursor>> = ran.cursor.map(Arc::from);
        let Some(backend_cols) = ran.columns else {
            self.conn.out.truncate(mark);
            if let (Some(key), false) = (expect.key, known.is_some()) {
                let shape = Shape { epoch, param_types: expect.param_types.to_vec(), result: None };
                self.ctx.shapes.put(key, Arc::new(shape));
            }
            return Ok(Started::Command(count));
        };
        if let (Some(fetched), Some((result, current)), Some(plan)) = (ran.fetched, known, plan) {
            if !current {
                if let (Some(key), Some(shape)) = (expect.key, &expect.shape) {
                    self.ctx.shapes.put(key, shape.at(epoch));
                }
            }
            return Ok(Started::Rows { result, plan, sent: fetched.rows, cursor });
        }
        // Unknown or changed (DDL from outside the gateway): type the columns now and remember them.
        self.conn.out.truncate(mark);
        let backend_cols = match untyped {
            true => self.describe_again(&last.sql_for_describe(), backend_cols).await,
            false => backend_cols,
        };
        let result = Arc::new(self.result_columns(stmt, backend_cols, expect.param_types).await);
        if let Some(key) = expect.key {
            let shape = Shape { epoch, param_types: expect.param_types.to_vec(), result: Some(result.clone()) };
            self.ctx.shapes.put(key, Arc::new(shape));
        }
        let formats = resolve_formats(expect.result_formats, result.columns.len())?;
        if expect.describe_rows {
            be::row_description(&mut self.conn.out, &fields_for(&result.columns, &formats));
        }
        let plan = self.row_plan(&result.columns, formats);
        Ok(Started::Rows { result, plan, sent: 0, cursor })
    }

    /// The backend's typed description of a result it reported by name only.
    async fn describe_again(&mut self, sql: &str, names_only: Vec<Column>) -> Vec<Column> {
        let sql = sql.to_owned();
        match self.with_backend(move |b, _| b.describe(&sql)).await {
            Ok(Some(cols)) if cols.len() == names_only.len() => cols,
            _ => names_only,
        }
    }

    /// How rows of these columns are encoded for this session.
    fn row_plan(&self, columns: &[Column], formats: Vec<Format>) -> Arc<RowPlan> {
        let types = columns.iter().map(column_type).collect();
        let typmods = columns.iter().map(|c| c.typmod).collect();
        Arc::new(RowPlan { types, typmods, formats, ctx: self.settings.type_ctx().clone() })
    }

    /// Fetch and send rows in batches; returns (rows sent, exhausted). An exhausted
    /// result is closed by the backend.
    async fn stream_rows(
        &mut self,
        cursor: &Arc<dyn Cursor>,
        plan: &Arc<RowPlan>,
        limit: Option<u64>,
    ) -> PgResult<(u64, bool)> {
        let batch_rows = self.ctx.config.fetch_batch_rows.max(1) as u64;
        let mut sent = 0u64;
        loop {
            let want = match limit {
                Some(l) => (l - sent).min(batch_rows),
                None => batch_rows,
            } as usize;
            if want == 0 {
                return Ok((sent, false));
            }
            let (c, p) = (cursor.clone(), plan.clone());
            let _running = self.lease.as_ref().map(|l| self.cancel.running(&l.conn())).transpose()?;
            let fetched = self.with_out(move |out| c.fetch(want, &p, out)).await?;
            sent += fetched.rows;
            if self.conn.out.len() >= FLUSH_THRESHOLD {
                self.conn.flush().await.map_err(|_| PgError::new(sqlstate::CONNECTION_FAILURE, "client went away"))?;
            }
            if fetched.done {
                return Ok((sent, true));
            }
            if limit.is_some_and(|l| sent >= l) {
                return Ok((sent, false));
            }
        }
    }
}

/// The cache key of a backend statement's shape: the client's text of the statement and
/// the parameter types the client gave. The client's text, not the backend's: casts the
/// backend does not distinguish (`::int` / `::bigint` on sqlite) still type columns apart.
fn shape_key(stmt: &Translated, text: &str, client_types: &[Oid]) -> Option<ShapeKey> {
    matches!(&stmt.action, Action::Execute { statements, .. } if !statements.is_empty())
        .then(|| (text.to_owned(), client_types.to_vec()))
}

/// A target statement's SQL and parameters for this execution (IRIS takes no markers in
/// TOP/LIMIT: those values are written into the SQL). `captured`: the values earlier
/// statements of the same client statement captured (`TargetSql::capture`).
pub(super) fn bind_target(target: &TargetSql, params: &[Param], captured: &[Param]) -> PgResult<(String, Vec<Param>)> {
    let bound = target
        .params
        .iter()
        .map(|&i| match i.checked_sub(CAPTURED) {
            Some(k) => captured.get(k).cloned().unwrap_or(Param::Null),
            None => params.get(i).cloned().unwrap_or(Param::Null),
        })
        .collect();
    let sql = if target.inline.is_empty() {
        target.sql.clone()
    } else {
        target.bind_inline(|i| match params.get(i)? {
            Param::Int(v) => Some(*v),
            Param::Text(t) | Param::Decimal(t) => t.trim().parse().ok(),
            _ => None,
        })?
    };
    Ok((sql, bound))
}

/// Run a statement that returns one integer (the id of the row just inserted) and keep
/// it for the statements after it: the value is read through the row encoder as int8 text.
fn capture_value(b: &BackendConn, sql: &str, bound: &[Param], ctx: crate::types::TypeCtx) -> PgResult<Param> {
    let mut scratch = BytesMut::new();
    let ran = b.run(sql, bound, None, &mut scratch)?;
    let cursor = ran.cursor.ok_or_else(|| PgError::internal(format!("{sql} returned no row")))?;
    let plan = RowPlan { types: vec![&crate::types::INT8], typmods: vec![-1], formats: vec![Format::Text], ctx };
    let fetched = cursor.fetch(1, &plan, &mut scratch);
    cursor.close();
    fetched?;
    // DataRow: 'D', length, column count (1), value length, value.
    let value = scratch
        .get(11..)
        .filter(|_| scratch.first() == Some(&b'D') && scratch.len() > 11)
        .and_then(|v| std::str::from_utf8(v).ok()?.parse::<i64>().ok())
        .ok_or_else(|| PgError::internal(format!("{sql} gave no id")))?;
    Ok(Param::Int(value))
}

/// Close backend result sets (blocking calls); a failure is only logged there.
async fn close_results(results: Vec<Arc<dyn Cursor>>) {
    if !results.is_empty() {
        let _ = blocking(move || {
            results.iter().for_each(|c| c.close());
            Ok(())
        })
        .await;
    }
}

/// Sleep for `limit`, or forever when there is none.
async fn sleep_or_never(limit: Option<std::time::Duration>) {
    match limit {
        Some(limit) => tokio::time::sleep(limit).await,
        None => std::future::pending().await,
    }
}

/// Close a backend result set (a blocking call); a failure is only logged there.
async fn close_cursor(cursor: Arc<dyn Cursor>) {
    let _ = blocking(move || {
        cursor.close();
        Ok(())
    })
    .await;
}
