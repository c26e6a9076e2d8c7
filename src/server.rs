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

use crate::auth::Auth;
use crate::backend::Backend;
use crate::cancel::CancelSlot;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::error::PgResult;
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
    /// pid -> cancel secret and running statement of each live session.
    sessions: Mutex<HashMap<i32, (Vec<u8>, Arc<CancelSlot>)>>,
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
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.ctx.sessions.lock().unwrap().remove(&self.pid);
    }
}

impl ServerCtx {
    /// Translate a client statement; on IRIS with the vector columns of the latest catalog
    /// snapshot (a parameter stored into one is converted with TO_VECTOR).
    pub fn translate(&self, sql: &str) -> crate::error::PgResult<Arc<Vec<crate::translate::Translated>>> {
        if matches!(self.config.target, crate::translate::Target::Iris(_)) {
            self.catalog.ensure_snapshot();
        }
        self.translator.sync_vector_columns(self.catalog.snapshots(), || self.catalog.vector_columns());
        self.translator.translate(sql)
    }

    pub fn schema_epoch(&self) -> u64 {
        self.schema_epoch.load(Ordering::Acquire)
    }

    /// DDL ran (or a transaction that ran DDL ended): cached shapes must be checked again.
    pub fn schema_changed(&self) {
        self.schema_epoch.fetch_add(1, Ordering::AcqRel);
        self.catalog.mark_stale();
    }

    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }

    /// The cancel slots of the registered sessions (shutdown interrupts them).
    pub fn live_sessions(&self) -> Vec<Arc<CancelSlot>> {
        self.sessions.lock().unwrap().values().map(|(_, slot)| slot.clone()).collect()
    }

    /// Register a new session, or None when max_connections are in use.
    pub fn register_session(self: &Arc<Self>) -> Option<Registration> {
        let mut sessions = self.sessions.lock().unwrap();
        if sessions.len() >= self.config.max_connections {
            return None;
        }
        let pid = self.next_pid.fetch_add(1, Ordering::Relaxed);
        let secret = rand::random::<[u8; 4]>().to_vec();
        let cancel = Arc::new(CancelSlot::default());
        sessions.insert(pid, (secret.clone(), cancel.clone()));
        Some(Registration { ctx: self.clone(), pid, secret, cancel })
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
        let slot = self
            .sessions
            .lock()
            .unwrap()
            .get(&pid)
            .filter(|(key, _)| same_key(key, secret))
            .map(|(_, slot)| slot.clone());
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
        let ctx = Arc::new(ServerCtx {
            translator: Translator::new(config.target.clone(), config.translate_cache_entries),
            shapes: Shapes::new(config.translate_cache_entries),
            schema_epoch: AtomicU64::new(0),
            catalog,
            config,
            pool,
            shutdown: rx,
            sessions: Mutex::new(HashMap::new()),
            next_pid: AtomicI32::new(std::process::id() as i32 % 100_000 * 1000 + 1),
            auth,
            tls,
            backend_logs_in,
            user_pools: Mutex::new(HashMap::new()),
            user_sessions: Mutex::new(HashMap::new()),
            notify: Arc::new(Hub::default()),
        });
        if ctx.config.catalog_refresh_secs > 0.0 {
            runtime.spawn(refresh_catalog(ctx.clone()));
        }
        if matches!(ctx.config.target, crate::translate::Target::Iris(_)) {
            // The vector columns of tables that exist already (TO_VECTOR on insert), taken
            // before clients need them (a first statement waits for it otherwise).
            let catalog = ctx.catalog.clone();
            runtime.spawn_blocking(move || catalog.ensure_snapshot());
        }
        if ctx.config.iris_notify_interval_secs > 0.0 && ctx.pool.backend().notify_queue() {
            let every = Duration::from_secs_f64(ctx.config.iris_notify_interval_secs);
            runtime.spawn(crate::notify_queue::poll(ctx.clone(), every));
        }
        runtime.spawn(accept_loop(listener, ctx.clone()));
        Ok(Server { runtime: Some(runtime), shutdown: tx, local_addr, shutdown_timeout, ctx })
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
