//! The listener: accepts connections, runs one session task each, tracks
//! sessions for cancel requests and limits, and shuts down cleanly.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use tokio::net::TcpListener;
use tokio::runtime::Runtime;
use tokio::sync::watch;

use crate::catalog::Catalog;
use crate::config::Config;
use crate::pool::Pool;
use crate::session;
use crate::translate::Translator;

/// State shared by every session of one server.
pub struct ServerCtx {
    pub config: Config,
    pub pool: Arc<Pool>,
    pub translator: Translator,
    /// pg_catalog and information_schema (src/catalog/).
    pub catalog: Arc<Catalog>,
    shutdown: watch::Receiver<bool>,
    /// pid -> cancel secret of each live session.
    sessions: Mutex<HashMap<i32, Vec<u8>>>,
    next_pid: AtomicI32,
}

/// A live session's entry in the registry; removed when dropped.
pub struct Registration {
    ctx: Arc<ServerCtx>,
    pub pid: i32,
    pub secret: Vec<u8>,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.ctx.sessions.lock().unwrap().remove(&self.pid);
    }
}

impl ServerCtx {
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }

    /// Register a new session, or None when max_connections are in use.
    pub fn register_session(self: &Arc<Self>) -> Option<Registration> {
        let mut sessions = self.sessions.lock().unwrap();
        if sessions.len() >= self.config.max_connections {
            return None;
        }
        let pid = self.next_pid.fetch_add(1, Ordering::Relaxed);
        let secret = rand::random::<[u8; 4]>().to_vec();
        sessions.insert(pid, secret.clone());
        Some(Registration { ctx: self.clone(), pid, secret })
    }

    /// A CancelRequest: checked against the session's secret. Acting on it is not implemented yet.
    pub fn cancel(&self, pid: i32, secret: &[u8]) {
        let known = self.sessions.lock().unwrap().get(&pid).is_some_and(|s| s.as_slice() == secret);
        log::info!(
            "cancel request for session {pid} ({})",
            if known { "accepted, not acted on yet" } else { "unknown key" }
        );
    }
}

/// A running server: its runtime, address and shutdown switch.
pub struct Server {
    runtime: Option<Runtime>,
    shutdown: watch::Sender<bool>,
    pub local_addr: SocketAddr,
    grace: Duration,
    pool: Arc<Pool>,
}

impl Server {
    /// Bind and start serving on background threads; returns once the socket listens.
    pub fn start(config: Config, backend: Py<PyAny>) -> std::io::Result<Server> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.worker_threads.max(1))
            .thread_name("iris-pgwire")
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
        let grace = Duration::from_secs_f64(config.shutdown_grace_secs.max(0.0));
        let settings = crate::settings::Settings::new(&config.server_version).all();
        let snapshot_backend = Python::attach(|py| backend.clone_ref(py));
        let catalog = Catalog::new(settings, Some(snapshot_backend))
            .map_err(|e| std::io::Error::other(format!("catalog engine: {}", e.message)))?;
        let catalog = Arc::new(catalog);
        let pool = Pool::new(
            Arc::new(backend),
            config.pool_size,
            Duration::from_secs_f64(config.pool_timeout_secs.max(0.001)),
        );
        let ctx = Arc::new(ServerCtx {
            translator: Translator::new(config.target.clone(), config.translate_cache_entries),
            catalog,
            config,
            pool,
            shutdown: rx,
            sessions: Mutex::new(HashMap::new()),
            next_pid: AtomicI32::new(std::process::id() as i32 % 100_000 * 1000 + 1),
        });
        let pool = ctx.pool.clone();
        if ctx.config.catalog_refresh_secs > 0.0 {
            runtime.spawn(refresh_catalog(ctx.clone()));
        }
        runtime.spawn(accept_loop(listener, ctx));
        Ok(Server { runtime: Some(runtime), shutdown: tx, local_addr, grace, pool })
    }

    /// Stop accepting, tell sessions to end, and wait up to the grace period.
    /// Must be called without holding the GIL: sessions may need it to finish.
    pub fn stop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(rt) = self.runtime.take() {
            // Give sessions a moment to send their FATAL 57P01 and release backend connections.
            rt.block_on(async { tokio::time::sleep(Duration::from_millis(50)).await });
            rt.shutdown_timeout(self.grace);
        }
        self.pool.close_idle();
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
                    tokio::spawn(session::serve(stream, ctx.clone()));
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
