//! One client session: the protocol state machine (idle / in transaction /
//! failed transaction), the simple query protocol, and transaction control.
//! The extended protocol lives in `extended.rs`; connection start in `startup.rs`.
//!
//! Backend calls block, so each runs on tokio's blocking pool (`blocking`);
//! the session task itself only waits on sockets and channels.

mod catalog;
mod columns;
mod extended;
mod local;
mod startup;

use std::collections::HashMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::{sqlstate, PgError, PgResult, Severity};
use crate::pool::Lease;
use crate::protocol::backend::{self as be, TxStatus};
use crate::protocol::frontend::{split_frame, split_startup, Message};
use crate::python::backend::{BackendConn, Column, Executed, RowPlan};
use crate::server::ServerCtx;
use crate::settings::Settings;
use crate::translate::{projection_in, Action, Env, InferredColumn, RowCount, Translated};

use crate::types::{self, Format, Param};
use columns::{column_type, fields_for, resolve_columns, resolve_formats};

use extended::{Portal, Prepared};
use startup::Opening;

/// Flush the output buffer once it holds this much, even mid-result.
const FLUSH_THRESHOLD: usize = 64 * 1024;

/// The socket side of a session: buffered reads and writes of whole frames.
pub struct Conn {
    stream: TcpStream,
    rbuf: BytesMut,
    pub out: BytesMut,
    max_message: usize,
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
        Conn { stream, rbuf: BytesMut::with_capacity(8192), out: BytesMut::with_capacity(8192), max_message }
    }

    /// Read more bytes; Ok(false) on a clean EOF.
    async fn fill(&mut self) -> Result<bool, ReadError> {
        if self.rbuf.capacity() - self.rbuf.len() < 4096 {
            self.rbuf.reserve(8192);
        }
        match self.stream.read_buf(&mut self.rbuf).await {
            Ok(0) => Ok(false),
            Ok(_) => Ok(true),
            Err(_) => Err(ReadError::Io),
        }
    }

    pub async fn read_startup(&mut self) -> PgResult<Option<Bytes>> {
        loop {
            if let Some(frame) = split_startup(&mut self.rbuf, self.max_message)? {
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

    pub async fn flush(&mut self) -> std::io::Result<()> {
        if !self.out.is_empty() {
            self.stream.write_all(&self.out).await?;
            self.out.clear();
        }
        Ok(())
    }

    pub async fn write_raw(&mut self, bytes: &[u8]) -> PgResult<()> {
        self.flush().await.map_err(|_| PgError::new(sqlstate::CONNECTION_FAILURE, "write failed"))?;
        self.stream.write_all(bytes).await.map_err(|_| PgError::new(sqlstate::CONNECTION_FAILURE, "write failed"))
    }

    /// Send a FATAL error and give up on the connection.
    async fn fatal(&mut self, err: &PgError) {
        let mut err = err.clone();
        err.severity = Severity::Fatal;
        be::error_response(&mut self.out, &err);
        let _ = self.flush().await;
    }
}

/// Run a blocking backend call on the blocking pool.
async fn blocking<T, F>(f: F) -> PgResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> PgResult<T> + Send + 'static,
{
    tokio::task::spawn_blocking(f).await.map_err(|e| PgError::internal(format!("backend call failed: {e}")))?
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

pub struct Session {
    conn: Conn,
    ctx: Arc<ServerCtx>,
    /// The backend connection, held while a transaction (or a statement) needs it.
    lease: Option<Lease>,
    settings: Settings,
    tx: Tx,
    statements: HashMap<String, Arc<Prepared>>,
    portals: HashMap<String, Portal>,
    /// After an error in the extended protocol, skip messages until Sync.
    skip_until_sync: bool,
    user: String,
    database: String,
    pid: i32,
    /// The open transaction ran DDL: the catalog refreshes again when it ends.
    ddl_in_transaction: bool,
}

/// Serve one client connection from accept to close.
pub async fn serve(stream: TcpStream, ctx: Arc<ServerCtx>) {
    let _ = stream.set_nodelay(true);
    let mut conn = Conn::new(stream, ctx.config.max_message_size);
    let params = match startup::negotiate(&mut conn).await {
        Ok(Some(Opening::Session(params))) => params,
        Ok(Some(Opening::Cancel(pid, secret))) => {
            ctx.cancel(pid, &secret);
            return;
        }
        Ok(None) => return,
        Err(e) => {
            conn.fatal(&e).await;
            return;
        }
    };
    let Some(registration) = ctx.register_session() else {
        conn.fatal(&PgError::fatal(sqlstate::TOO_MANY_CONNECTIONS, "sorry, too many clients already")).await;
        return;
    };
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let mut settings = Settings::new(&ctx.config.server_version);
    for (k, v) in &params {
        settings.apply_startup(k, v);
    }
    if let Some((_, user)) = params.iter().find(|(k, _)| k == "user") {
        let _ = settings.set("session_authorization", Some(user), false);
    }
    let mut session = Session {
        conn,
        ctx: ctx.clone(),
        lease: None,
        settings,
        tx: Tx::Idle,
        statements: HashMap::new(),
        portals: HashMap::new(),
        skip_until_sync: false,
        user: param("user"),
        database: param("database"),
        pid: registration.pid,
        ddl_in_transaction: false,
    };
    be::authentication_ok(&mut session.conn.out);
    for (name, value) in session.settings.reported() {
        be::parameter_status(&mut session.conn.out, &name, &value);
    }
    be::backend_key_data(&mut session.conn.out, registration.pid, &registration.secret);
    be::ready_for_query(&mut session.conn.out, TxStatus::Idle);
    if session.conn.flush().await.is_ok() {
        session.run().await;
    }
    // Whatever ended the session, hand the backend connection back clean.
    session.portals.clear();
    if let Some(mut lease) = session.lease.take() {
        if session.tx != Tx::Idle {
            let conn = lease.conn();
            if blocking(move || conn.call("rollback")).await.is_err() {
                lease.mark_broken();
            }
        }
    }
    drop(registration);
}

impl Session {
    async fn run(&mut self) {
        let mut shutdown = self.ctx.shutdown_signal();
        loop {
            let next = tokio::select! {
                m = self.conn.read_message() => m,
                _ = shutdown.changed() => {
                    self.conn.fatal(&PgError::fatal(sqlstate::ADMIN_SHUTDOWN, "terminating connection due to administrator command")).await;
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
            let flush = match msg {
                Message::Terminate => return,
                Message::Query(sql) => {
                    self.simple_query(&sql).await;
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
                        self.extended_error(e);
                        true
                    }
                },
            };
            if (flush || self.conn.out.len() >= FLUSH_THRESHOLD) && self.conn.flush().await.is_err() {
                return;
            }
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
        be::error_response(&mut self.conn.out, err);
    }

    /// Simple query protocol: every statement of the string, one ReadyForQuery at the end.
    async fn simple_query(&mut self, sql: &str) {
        match self.ctx.translator.translate(sql) {
            Err(e) => self.send_error(&e),
            Ok(stmts) if stmts.is_empty() => be::empty_query_response(&mut self.conn.out),
            Ok(stmts) => {
                // PostgreSQL runs the statements of one Query message as one transaction.
                let many = stmts.len() > 1;
                for stmt in stmts.iter() {
                    if many && self.tx == Tx::Idle && matches!(stmt.action, Action::Execute { .. }) {
                        if let Err(e) = self.backend_call("begin").await {
                            self.send_error(&e);
                            break;
                        }
                        self.tx = Tx::Implicit;
                    }
                    let result = self.run_statement(stmt, &[], &[], true).await;
                    match result {
                        Ok(done) => be::command_complete(&mut self.conn.out, &done.tag),
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
        self.release_if_idle();
        let status = self.tx_status();
        be::ready_for_query(&mut self.conn.out, status);
    }

    /// Sync: close the implicit transaction, leave error mode, report status.
    async fn sync(&mut self) {
        self.skip_until_sync = false;
        if let Err(e) = self.end_implicit().await {
            self.send_error(&e);
        }
        self.release_if_idle();
        let status = self.tx_status();
        be::ready_for_query(&mut self.conn.out, status);
    }

    /// An extended-protocol message failed: report it and skip until Sync.
    fn extended_error(&mut self, err: PgError) {
        self.send_error(&err);
        self.skip_until_sync = true;
    }

    /// Run `f` on this session's backend connection, checking one out of the pool if needed.
    async fn with_backend<T, F>(&mut self, f: F) -> PgResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&BackendConn) -> PgResult<T> + Send + 'static,
    {
        if self.lease.is_none() {
            log::debug!("checking out a backend connection");
            self.lease = Some(self.ctx.pool.acquire().await?);
        }
        let conn = self.lease.as_ref().expect("just acquired").conn();
        let timeout_ms = self.settings.statement_timeout_ms();
        let result = blocking(move || {
            conn.apply_statement_timeout(timeout_ms)?;
            f(&conn)
        })
        .await;
        if let Err(e) = &result {
            if e.code == sqlstate::CONNECTION_FAILURE {
                // The job is gone, and its transaction with it.
                if let Some(lease) = self.lease.as_mut() {
                    lease.mark_broken();
                }
                self.portals.clear();
                self.lease = None;
                self.tx = if self.tx == Tx::Explicit || self.tx == Tx::Failed { Tx::Failed } else { Tx::Idle };
            }
        }
        result
    }

    /// Give the backend connection back to the pool when nothing needs it: no
    /// transaction (the gateway's implicit ones end at Sync) and no open result.
    fn release_if_idle(&mut self) {
        if self.tx == Tx::Idle {
            self.portals.retain(|_, p| !p.is_suspended());
            self.lease = None;
        }
    }

    async fn backend_call(&mut self, method: &'static str) -> PgResult<()> {
        self.with_backend(move |b| b.call(method)).await
    }

    /// Commit the gateway's implicit transaction, if one is open.
    async fn end_implicit(&mut self) -> PgResult<()> {
        if self.tx != Tx::Implicit {
            return Ok(());
        }
        self.tx = Tx::Idle;
        self.end_of_transaction();
        self.backend_call("commit").await
    }

    /// A statement failed: an implicit transaction is rolled back, an explicit one is marked failed.
    async fn statement_failed(&mut self) {
        match self.tx {
            Tx::Implicit => {
                self.tx = Tx::Idle;
                self.end_of_transaction();
                if let Err(e) = self.backend_call("rollback").await {
                    log::warn!("rollback after error failed: {e}");
                }
            }
            Tx::Explicit => self.tx = Tx::Failed,
            Tx::Idle | Tx::Failed => {}
        }
    }

    /// State that dies with a transaction: SET LOCAL values and portals.
    fn end_of_transaction(&mut self) {
        self.end_schema_transaction();
        for (name, value) in self.settings.end_transaction() {
            be::parameter_status(&mut self.conn.out, &name, &value);
        }
        self.portals.clear();
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

    /// Run one statement (simple protocol when `describe_rows`: RowDescription is sent here).
    async fn run_statement(
        &mut self,
        stmt: &Translated,
        params: &[Param],
        result_formats: &[i16],
        describe_rows: bool,
    ) -> PgResult<Done> {
        if self.tx == Tx::Failed && !Self::allowed_when_failed(stmt) {
            return Err(Self::aborted_error());
        }
        match &stmt.action {
            Action::Empty => Ok(Done { tag: String::new() }),
            Action::Begin { modes } => self.begin(modes).await.map(|_| Done { tag: stmt.tag.render(0) }),
            Action::Commit => self.commit().await,
            Action::Rollback => self.rollback().await,
            Action::Set { name, value, local } => {
                if let Some((n, v)) = self.settings.set(name, value.as_deref(), *local)? {
                    be::parameter_status(&mut self.conn.out, &n, &v);
                }
                Ok(Done { tag: stmt.tag.render(0) })
            }
            Action::Reset { name } => {
                for (n, v) in self.settings.reset(name)? {
                    be::parameter_status(&mut self.conn.out, &n, &v);
                }
                Ok(Done { tag: "RESET".into() })
            }
            Action::Show { name } => self.show(name, result_formats, describe_rows),
            Action::Local(items) => self.local_select(items, result_formats, describe_rows),
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
                    self.portals.clear();
                    for (n, v) in self.settings.reset("all")? {
                        be::parameter_status(&mut self.conn.out, &n, &v);
                    }
                }
                Ok(Done { tag: stmt.tag.render(0) })
            }
            // Nothing to run on this backend (IRIS has no RELEASE SAVEPOINT): only the tag.
            Action::Execute { statements, .. } if statements.is_empty() => Ok(Done { tag: stmt.tag.render(0) }),
            Action::Execute { .. } => {
                let exec = self.execute(stmt, params, &[]).await?;
                self.finish_execute(stmt, exec, result_formats, describe_rows).await
            }
        }
    }

    /// BEGIN; `modes` (e.g. IRIS's SET TRANSACTION ISOLATION LEVEL) run first.
    async fn begin(&mut self, modes: &[crate::translate::TargetSql]) -> PgResult<Done> {
        match self.tx {
            Tx::Idle | Tx::Implicit => {
                for mode in modes {
                    let sql = mode.sql.clone();
                    let exec = self.with_backend(move |b| b.execute(&sql, &[])).await?;
                    close_cursor(Arc::new(exec.cursor)).await;
                }
                if self.tx == Tx::Idle {
                    self.backend_call("begin").await?;
                }
                self.tx = Tx::Explicit;
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
        self.tx = Tx::Idle;
        self.end_of_transaction();
        self.backend_call(method).await?;
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
        self.tx = Tx::Idle;
        self.end_of_transaction();
        self.backend_call("rollback").await?;
        Ok(Done { tag: "ROLLBACK".into() })
    }

    /// Run the backend statements of `stmt`; the last one's result stays open for fetching.
    /// Type the result columns: the backend's types, the SQL's own, and where an
    /// expression over columns or parameters remains (`sum(qty)`, `1 + $1`), the
    /// types of those columns (probed) and parameters.
    async fn type_columns(
        &mut self,
        stmt: &Translated,
        mut cols: Vec<Column>,
        param_types: &[types::Oid],
    ) -> Vec<Column> {
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
        resolve_columns(cols, inferred.as_deref())
    }

    async fn execute(
        &mut self,
        stmt: &Translated,
        params: &[Param],
        param_types: &[types::Oid],
    ) -> PgResult<(Executed, i64)> {
        let Action::Execute { statements, rowcount, .. } = &stmt.action else {
            return Err(PgError::internal("not a backend statement"));
        };
        let wrap = statements.len() > 1 && self.tx == Tx::Idle;
        if wrap {
            self.backend_call("begin").await?;
            self.tx = Tx::Implicit;
        }
        let mut total = 0i64;
        let mut last = None;
        for target in statements {
            let bound: Vec<Param> =
                target.params.iter().map(|&i| params.get(i).cloned().unwrap_or(Param::Null)).collect();
            // IRIS takes no markers in TOP/LIMIT: those values are written into the SQL.
            let sql = if target.inline.is_empty() {
                target.sql.clone()
            } else {
                target.bind_inline(|i| match params.get(i)? {
                    Param::Int(v) => Some(*v),
                    Param::Text(t) | Param::Decimal(t) => t.trim().parse().ok(),
                    _ => None,
                })?
            };
            let mut exec = self.with_backend(move |b| b.execute(&sql, &bound)).await?;
            if let Some(cols) = exec.columns.take() {
                exec.columns = Some(self.type_columns(stmt, cols, param_types).await);
            }
            total += exec.rowcount.max(0);
            last = Some(exec);
        }
        let exec = last.ok_or_else(|| PgError::internal("translation produced no statement"))?;
        self.note_schema_change(stmt);
        let count = if *rowcount == RowCount::Sum { total } else { exec.rowcount };
        Ok((exec, count))
    }

    /// Stream rows (all of them, or up to `limit`) and build the completion tag.
    async fn finish_execute(
        &mut self,
        stmt: &Translated,
        (exec, count): (Executed, i64),
        result_formats: &[i16],
        describe_rows: bool,
    ) -> PgResult<Done> {
        let cursor = Arc::new(exec.cursor);
        let Some(columns) = exec.columns else {
            close_cursor(cursor).await;
            return Ok(Done { tag: stmt.tag.render(count.max(0) as u64) });
        };
        let formats = resolve_formats(result_formats, columns.len())?;
        if describe_rows {
            be::row_description(&mut self.conn.out, &fields_for(&columns, &formats));
        }
        let plan = self.row_plan(&columns, formats);
        let rows = self.stream_rows(&cursor, &plan, None).await;
        close_cursor(cursor).await;
        let (rows, _) = rows?;
        Ok(Done { tag: stmt.tag.render(rows) })
    }

    /// How rows of these columns are encoded for this session.
    fn row_plan(&self, columns: &[Column], formats: Vec<Format>) -> Arc<RowPlan> {
        let types = columns.iter().map(column_type).collect();
        let typmods = columns.iter().map(|c| c.typmod).collect();
        Arc::new(RowPlan { types, typmods, formats, ctx: self.settings.type_ctx().clone() })
    }

    /// Fetch and send rows in batches; returns (rows sent, exhausted).
    async fn stream_rows(
        &mut self,
        cursor: &Arc<crate::python::backend::BackendCursor>,
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
            let (c, p) = (cursor.clone(), plan.clone());
            let batch = blocking(move || c.fetch(want, &p)).await?;
            self.conn.out.extend_from_slice(&batch.data);
            sent += batch.rows;
            if self.conn.out.len() >= FLUSH_THRESHOLD {
                self.conn.flush().await.map_err(|_| PgError::new(sqlstate::CONNECTION_FAILURE, "client went away"))?;
            }
            if batch.done {
                return Ok((sent, true));
            }
            if limit.is_some_and(|l| sent >= l) {
                return Ok((sent, false));
            }
        }
    }
}

/// Close a backend result set on the blocking pool; a failure is only logged there.
async fn close_cursor(cursor: Arc<crate::python::backend::BackendCursor>) {
    let _ = blocking(move || {
        cursor.close();
        Ok(())
    })
    .await;
}
