//! The listener: accepts connections, runs one session task each, tracks
//! sessions for cancel requests and limits, and shuts down cleanly.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio::sync::watch;

use crate::activity::{Activity, ActivityRow, State};
use crate::auth::Auth;
use crate::backend::Backend;
use crate::cancel::{CancelSlot, Reason};
use crate::catalog::Catalog;
use crate::config::Config;
use crate::error::PgResult;
use crate::metrics::{Gauges, Metrics};
use crate::notify::Hub;
use crate::pool::Pool;
use crate::session::{self, Shapes};
use crate::tls::{Tls, TlsFiles};
use crate::translate::Translator;

/// State shared by every session of one server.
pub struct ServerCtx {
    pub config: Config,
    pub pool: Arc<Pool>,
    pub translator: Translator,
    /// Parameter types and result columns of statements, learned from the backend.
    pub shapes: Shapes,
    /// Advanced by every schema change made through the gateway (see session/shapes.rs).
    schema_epoch: AtomicU64,
    /// pg_catalog and information_schema (src/catalog/).
    pub catalog: Arc<Catalog>,
    shutdown: watch::Receiver<bool>,
    /// pid -> each live session's cancel key, running statement and activity.
    sessions: Mutex<HashMap<i32, Arc<Activity>>>,
    /// Transactions of ended sessions per database (pg_stat_database adds the live ones).
    retired: Mutex<HashMap<String, (u64, u64)>>,
    pub metrics: Metrics,
    next_pid: AtomicI32,
    pub auth: Auth,
    /// TLS, when a certificate and key are configured.
    pub tls: Option<Tls>,
    /// The backend checks `password`-method passwords by logging the user in (dbapi).
    pub backend_logs_in: bool,
    /// Password pass-through: one pool of connections per IRIS user.
    user_pools: Mutex<HashMap<String, Arc<Pool>>>,
    /// Live sessions per user, for max_connections_per_user.
    user_sessions: Mutex<HashMap<String, usize>>,
    /// LISTEN / NOTIFY between sessions (src/notify.rs).
    pub notify: Arc<Hub>,
    /// pg_advisory_lock and friends, shared by the sessions (src/advisory.rs).
    pub advisory: crate::advisory::AdvisoryLocks,
    /// Statement spans for the OpenTelemetry exporter; None unless `--otel-endpoint`.
    pub spans: Option<Arc<crate::otel::Spans>>,
}

/// A session counted against its user's limit; uncounted when dropped.
pub struct UserSlot {
    ctx: Arc<ServerCtx>,
    user: String,
}

impl Drop for UserSlot {
    fn drop(&mut self) {
        let mut counts = self.ctx.user_sessions.lock().unwrap();
        if let Some(n) = counts.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.user);
            }
        }
    }
}

/// A live session's entry in the registry; removed when dropped.
pub struct Registration {
    ctx: Arc<ServerCtx>,
    pub pid: i32,
    pub secret: Vec<u8>,
    pub cancel: Arc<CancelSlot>,
    pub activity: Arc<Activity>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.ctx.sessions.lock().unwrap().remove(&self.pid);
        if let Some(row) = self.activity.row() {
            let mut retired = self.ctx.retired.lock().unwrap();
            let totals = retired.entry(row.database).or_default();
            totals.0 += row.xact_commit;
            totals.1 += row.xact_rollback;
        }
    }
}

/// pg_cancel_backend or pg_terminate_backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Cancel,
    Terminate,
}

impl ServerCtx {
    /// Translate a client statement; on IRIS with the columns of the latest catalog
    /// snapshot (vector columns, declared types) and the session's `own` uncommitted DDL.
    pub fn translate(
        &self,
        sql: &str,
        own: &crate::translate::OwnDdl,
    ) -> crate::error::PgResult<Arc<Vec<crate::translate::Translated>>> {
        if matches!(self.config.target, crate::translate::Target::Iris(_)) {
            self.catalog.ensure_snapshot();
        }
        self.translator.sync_columns(self.catalog.snapshots(), || self.catalog.known_columns());
        self.translator.translate(sql, own)
    }

    /// DDL that changes the known columns committed (IRIS): the schema changed, and every
    /// session translates with it from now on.
    pub fn ddl_committed(&self, ddl: Vec<Arc<sqlparser::ast::Statement>>) {
        let generation = self.schema_changed();
        self.translator.committed(ddl, generation);
    }

    pub fn schema_epoch(&self) -> u64 {
        self.schema_epoch.load(Ordering::Acquire)
    }

    /// DDL ran (or a transaction that ran DDL ended): cached shapes must be checked again.
    /// Returns the catalog's new generation.
    pub fn schema_changed(&self) -> u64 {
        self.schema_epoch.fetch_add(1, Ordering::AcqRel);
        self.catalog.mark_stale()
    }

    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }

    /// The cancel slots of the registered sessions (shutdown interrupts them).
    pub fn live_sessions(&self) -> Vec<Arc<CancelSlot>> {
        self.sessions.lock().unwrap().values().map(|a| a.cancel.clone()).collect()
    }

    /// What every authenticated session is doing (pg_stat_activity, SHOW CLIENTS).
    pub fn activity(&self) -> Vec<ActivityRow> {
        let live: Vec<Arc<Activity>> = self.sessions.lock().unwrap().values().cloned().collect();
        let mut rows: Vec<ActivityRow> = live.iter().filter_map(|a| a.row()).collect();
        rows.sort_by_key(|r| r.pid);
        rows
    }

    /// Per database: (live sessions, committed, rolled back transactions), ended sessions included.
    pub fn database_stats(&self) -> Vec<(String, u64, u64, u64)> {
        let mut stats: std::collections::BTreeMap<String, (u64, u64, u64)> =
            self.retired.lock().unwrap().iter().map(|(db, (c, r))| (db.clone(), (0, *c, *r))).collect();
        for row in self.activity().into_iter().filter(|r| !r.admin_console) {
            let entry = stats.entry(row.database).or_default();
            entry.0 += 1;
            entry.1 += row.xact_commit;
            entry.2 += row.xact_rollback;
        }
        stats.into_iter().map(|(db, (n, c, r))| (db, n, c, r)).collect()
    }

    /// The shared pool (user None) and the pass-through users' pools.
    pub fn pools(&self) -> Vec<(Option<String>, Arc<Pool>)> {
        let mut pools = vec![(None, self.pool.clone())];
        let users = self.user_pools.lock().unwrap();
        pools.extend(users.iter().map(|(u, p)| (Some(u.clone()), p.clone())));
        pools
    }

    /// Re-read the TLS files, the rules and the users file, as SIGHUP does (blocking:
    /// file reading). All are tried; the first failure is reported, and what failed keeps
    /// its old contents.
    pub fn reload(&self) -> Result<String, String> {
        let mut done = Vec::new();
        let mut failed = Vec::new();
        if let Some(tls) = &self.tls {
            match tls.reload() {
                Ok(()) => done.push("TLS files".to_string()),
                Err(e) => failed.push(format!("TLS files: {e}")),
            }
        }
        match self.auth.reload_hba() {
            Ok(Some(n)) => done.push(format!("{n} access rules")),
            Ok(None) => {}
            Err(e) => failed.push(format!("access rules: {e}")),
        }
        if self.config.users_file.is_some() {
            match self.auth.reload_users() {
                Ok(n) => done.push(format!("{n} users")),
                Err(e) => failed.push(format!("users file: {e}")),
            }
        }
        match failed.is_empty() {
            true => Ok(if done.is_empty() { "nothing to reload".into() } else { done.join(", ") }),
            false => Err(failed.join("; ")),
        }
    }

    /// An admin user (`--admin-users`): may use the console and signal any session.
    pub fn is_admin(&self, user: &str) -> bool {
        self.config.admin_users.iter().any(|u| u == user)
    }

    /// pg_cancel_backend / pg_terminate_backend(pid) on behalf of `user`: Ok(false) when
    /// no session has that pid (PostgreSQL warns and returns false), Err when `user` may
    /// not signal it (neither its own user's session nor an admin user).
    pub fn signal(&self, pid: i32, signal: Signal, user: &str) -> Result<bool, String> {
        let Some(target) = self.sessions.lock().unwrap().get(&pid).cloned() else {
            return Ok(false);
        };
        let owner = target.identity().map(|i| i.user.clone());
        if owner.as_deref() != Some(user) && !self.is_admin(user) {
            let verb = if signal == Signal::Cancel { "cancel query" } else { "terminate process" };
            return Err(format!("permission denied to {verb}"));
        }
        log::info!("session {pid}: {} by {user}", if signal == Signal::Cancel { "cancel" } else { "terminate" });
        let counter =
            if signal == Signal::Cancel { &self.metrics.cancel_requests } else { &self.metrics.sessions_terminated };
        self.metrics.add(counter, 1);
        if signal == Signal::Terminate {
            target.terminate();
        }
        // An interrupt repeats while the statement runs: on its own thread, the caller
        // (a catalog query, the console) does not wait for it.
        let reason = if signal == Signal::Cancel { Reason::User } else { Reason::Terminate };
        std::thread::spawn(move || target.cancel.interrupt(reason));
        Ok(true)
    }

    /// The Prometheus exposition, with the gauges as they are now.
    pub fn metrics_text(&self) -> String {
        let mut clients = [("active", 0u64), ("idle", 0), ("idle in transaction", 0), ("waiting", 0)];
        for row in self.activity() {
            let i = match row.state {
                _ if row.waiting => 3,
                State::Active => 0,
                State::Idle => 1,
                State::IdleInTransaction | State::IdleInTransactionAborted => 2,
                State::Starting => continue,
            };
            clients[i].1 += 1;
        }
        let (busy, idle) =
            self.pools().iter().map(|(_, p)| p.counts()).fold((0, 0), |(b, i), (pb, pi)| (b + pb, i + pi));
        let gauges = Gauges { clients: clients.to_vec(), backends: vec![("busy", busy as u64), ("idle", idle as u64)] };
        self.metrics.render(&gauges)
    }

    /// Register a new session, or None when max_connections are in use.
    pub fn register_session(self: &Arc<Self>, peer: SocketAddr) -> Option<Registration> {
        let mut sessions = self.sessions.lock().unwrap();
        if sessions.len() >= self.config.max_connections {
            return None;
        }
        let pid = self.next_pid.fetch_add(1, Ordering::Relaxed);
        let secret = rand::random::<[u8; 4]>().to_vec();
        let activity = Arc::new(Activity::new(pid, secret.clone(), peer));
        sessions.insert(pid, activity.clone());
        let cancel = activity.cancel.clone();
        Some(Registration { ctx: self.clone(), pid, secret, cancel, activity })
    }

    /// Count a session of `user`, or None when max_connections_per_user are in use.
    pub fn register_user(self: &Arc<Self>, user: &str) -> Option<UserSlot> {
        let mut counts = self.user_sessions.lock().unwrap();
        let n = counts.entry(user.to_string()).or_insert(0);
        let limit = self.config.max_connections_per_user;
        if limit > 0 && *n >= limit {
            return None;
        }
        *n += 1;
        Some(UserSlot { ctx: self.clone(), user: user.to_string() })
    }

    /// Password pass-through: log in to IRIS as `user`; on success, that user's pool.
    /// A pool is kept only after a successful login, so guessed names leave nothing behind.
    pub async fn login(&self, user: &str, password: String) -> PgResult<Arc<Pool>> {
        let existing = self.user_pools.lock().unwrap().get(user).cloned();
        let pool = existing.unwrap_or_else(|| {
            Pool::for_user(
                self.pool.backend(),
                self.config.pool_size,
                Duration::from_secs_f64(self.config.pool_timeout_secs.max(0.001)),
                user,
            )
        });
        pool.login(password).await?;
        Ok(self.user_pools.lock().unwrap().entry(user.to_string()).or_insert(pool).clone())
    }

    /// A CancelRequest: with the session's key, interrupt its running statement. The
    /// client is told nothing either way (PostgreSQL closes the connection silently).
    pub async fn cancel(&self, pid: i32, secret: &[u8]) {
        let slot =
            self.sessions.lock().unwrap().get(&pid).filter(|a| same_key(&a.secret, secret)).map(|a| a.cancel.clone());
        self.metrics.add(&self.metrics.cancel_requests, 1);
        log::info!("cancel request for session {pid} ({})", if slot.is_some() { "accepted" } else { "unknown key" });
        if let Some(slot) = slot {
            let _ = tokio::task::spawn_blocking(move || slot.cancel()).await;
        }
    }
}

/// Compare cancel keys in constant time: the timing of a refusal reveals nothing.
fn same_key(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A running server: its runtime, address and shutdown switch.
pub struct Server {
    runtime: Option<Runtime>,
    shutdown: watch::Sender<bool>,
    pub local_addr: SocketAddr,
    /// Where /metrics and /healthz are served (`--metrics-port`).
    pub metrics_addr: Option<SocketAddr>,
    /// How long running statements may go on after stop() (`--shutdown-timeout`).
    shutdown_timeout: Duration,
    ctx: Arc<ServerCtx>,
}

/// Why a server did not start: bad security files, or the socket.
#[derive(Debug)]
pub enum StartError {
    Config(String),
    Listen(std::io::Error),
}

impl From<std::io::Error> for StartError {
    fn from(e: std::io::Error) -> Self {
        StartError::Listen(e)
    }
}

impl Server {
    /// Bind and start serving on background threads; returns once the socket listens.
    pub fn start(config: Config, backend: Arc<dyn Backend>) -> Result<Server, StartError> {
        crate::session_defaults::validate(&config).map_err(StartError::Config)?;
        let (started, stopping) = (backend.clone(), backend.clone());
        let auth = Auth::new(
            config.hba_file.as_deref(),
            config.users_file.as_deref(),
            config.auth_failure_limit,
            Duration::from_secs_f64(config.auth_failure_window_secs.max(0.0)),
        )
        .map_err(StartError::Config)?;
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(
                Tls::new(TlsFiles { cert: cert.clone(), key: key.clone(), client_ca: config.tls_client_ca.clone() })
                    .map_err(StartError::Config)?,
            ),
            (None, None) if config.tls_client_ca.is_none() => None,
            _ => {
                return Err(StartError::Config(
                    "TLS needs both --tls-cert and --tls-key (--tls-client-ca needs them too)".into(),
                ))
            }
        };
        let backend_logs_in = backend.logs_in_users();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.worker_threads.max(1))
            .thread_name("iris-pgwire")
            .on_thread_start(move || started.thread_started())
            .on_thread_stop(move || stopping.thread_stopping())
            .enable_all()
            .build()?;
        let std_listener = std::net::TcpListener::bind((config.host.as_str(), config.port))?;
        std_listener.set_nonblocking(true)?;
        let local_addr = std_listener.local_addr()?;
        let listener = {
            let _guard = runtime.enter();
            TcpListener::from_std(std_listener)?
        };
        let (tx, rx) = watch::channel(false);
        let shutdown_timeout = Duration::from_secs_f64(config.shutdown_timeout_secs.max(0.0));
        let settings = crate::settings::Settings::for_server(&config).map_err(|e| StartError::Config(e.message))?.all();
        let catalog = Catalog::new(settings, Some(backend.clone()))
            .map_err(|e| StartError::Config(format!("catalog engine: {}", e.message)))?;
        let catalog = Arc::new(catalog);
        let pool = Pool::new(backend, config.pool_size, Duration::from_secs_f64(config.pool_timeout_secs.max(0.001)));
        let spans = config.otel_endpoint.as_ref().map(|_| {
            let db_system = match config.target {
                crate::translate::Target::Iris(_) => "intersystems_iris",
                crate::translate::Target::Sqlite => "sqlite",
            };
            Arc::new(crate::otel::Spans::new(db_system))
        });
        let ctx = Arc::new(ServerCtx {
            translator: Translator::new(config.target.clone(), config.translate_cache_entries),
            shapes: Shapes::new(config.translate_cache_entries),
            schema_epoch: AtomicU64::new(0),
            catalog,
            config,
            pool,
            shutdown: rx,
            sessions: Mutex::new(HashMap::new()),
            retired: Mutex::new(HashMap::new()),
            metrics: Metrics::default(),
            next_pid: AtomicI32::new(std::process::id() as i32 % 100_000 * 1000 + 1),
            auth,
            tls,
            backend_logs_in,
            user_pools: Mutex::new(HashMap::new()),
            user_sessions: Mutex::new(HashMap::new()),
            notify: Arc::new(Hub::default()),
            advisory: Default::default(),
            spans,
        });
        if ctx.config.warm_pool {
            runtime.block_on(ctx.pool.warm());
        }
        if ctx.config.catalog_refresh_secs > 0.0 {
            runtime.spawn(refresh_catalog(ctx.clone()));
        }
        if matches!(ctx.config.target, crate::translate::Target::Iris(_)) {
            // The vector columns of tables that exist already (TO_VECTOR on insert), taken
            // before clients need them (a first statement waits for it otherwise).
            let catalog = ctx.catalog.clone();
            runtime.spawn_blocking(move || catalog.ensure_snapshot());
        }
        let metrics_addr = match ctx.config.metrics_port {
            Some(port) => {
                let std_listener = std::net::TcpListener::bind((ctx.config.metrics_host.as_str(), port))?;
                std_listener.set_nonblocking(true)?;
                let addr = std_listener.local_addr()?;
                let _guard = runtime.enter();
                runtime.spawn(crate::metrics::http::serve(TcpListener::from_std(std_listener)?, ctx.clone()));
                Some(addr)
            }
            None => None,
        };
        if ctx.config.iris_notify_interval_secs > 0.0 && ctx.pool.backend().notify_queue() {
            let every = Duration::from_secs_f64(ctx.config.iris_notify_interval_secs);
            runtime.spawn(crate::notify_queue::poll(ctx.clone(), every));
        }
        runtime.spawn(accept_loop(listener, ctx.clone()));
        Ok(Server { runtime: Some(runtime), shutdown: tx, local_addr, metrics_addr, shutdown_timeout, ctx })
    }

    /// Re-read the TLS files; Ok(false) when TLS is off.
    pub fn reload_tls(&self) -> Result<bool, String> {
        match &self.ctx.tls {
            Some(tls) => tls.reload().map(|_| true),
            None => Ok(false),
        }
    }

    pub fn reload_users(&self) -> Result<usize, String> {
        self.ctx.auth.reload_users()
    }

    /// Re-read the rules file; Ok(None) without --hba-file.
    pub fn reload_hba(&self) -> Result<Option<usize>, String> {
        self.ctx.auth.reload_hba()
    }

    /// Stop accepting, end idle sessions, let running statements finish within the
    /// shutdown timeout, then cancel them (see shutdown.rs).
    /// Must be called without holding the GIL: sessions may need it to finish.
    pub fn stop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(rt) = self.runtime.take() {
            rt.block_on(crate::shutdown::drain(self.ctx.clone(), self.shutdown_timeout));
            rt.shutdown_timeout(Duration::from_secs(1));
        }
        self.ctx.pool.close_idle();
        let user_pools: Vec<Arc<Pool>> = self.ctx.user_pools.lock().unwrap().values().cloned().collect();
        for pool in user_pools {
            pool.close_idle();
        }
    }

    pub fn is_running(&self) -> bool {
        self.runtime.is_some()
    }

    /// The statement spans' queue, when tracing (`--otel-endpoint`).
    pub fn spans(&self) -> Option<Arc<crate::otel::Spans>> {
        self.ctx.spans.clone()
    }
}

/// `--catalog-refresh`: a new snapshot every N seconds, built beside the one sessions
/// use, so changes made outside the gateway show up without blocking anyone.
async fn refresh_catalog(ctx: Arc<ServerCtx>) {
    let mut shutdown = ctx.shutdown_signal();
    let every = Duration::from_secs_f64(ctx.config.catalog_refresh_secs);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
        let catalog = ctx.catalog.clone();
        match tokio::task::spawn_blocking(move || catalog.refresh_now()).await {
            Ok(Err(e)) => log::warn!("catalog refresh failed: {}", e.message),
            Err(e) => log::warn!("catalog refresh failed: {e}"),
            Ok(Ok(())) => {}
        }
    }
}

async fn accept_loop(listener: TcpListener, ctx: Arc<ServerCtx>) {
    let mut shutdown = ctx.shutdown_signal();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    log::debug!("connection from {peer}");
                    ctx.metrics.add(&ctx.metrics.connections_accepted, 1);
                    tokio::spawn(session::serve(stream, peer, ctx.clone()));
                }
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    log::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = shutdown.changed() => break,
        }
    }
}
