//! Backend connection pool: transaction pooling, as PgBouncer does it.
//!
//! An IRIS transaction belongs to a job (a backend connection), so a session
//! holds a `Lease` from its first statement in a transaction until COMMIT or
//! ROLLBACK (or Sync, for the extended protocol's implicit transactions), and
//! returns it in between. N sessions share at most `size` connections; a
//! session that waits longer than `checkout_timeout` gets 55P03. Embedded mode's
//! connections are job worker processes (`workers/`), one IRIS job each.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::backend::{Backend, BackendConn};
use crate::error::{sqlstate, PgError, PgResult};

pub struct Pool {
    backend: Arc<dyn Backend>,
    size: usize,
    idle: Mutex<Vec<Arc<BackendConn>>>,
    slots: Arc<Semaphore>,
    checkout_timeout: Duration,
    /// After a failed connect, further attempts wait until this instant (backoff).
    retry: Mutex<Backoff>,
    /// Password pass-through: the IRIS user this pool logs in as, and the password of
    /// its last successful login (None: the backend's own configured login).
    login: Option<(String, Mutex<String>)>,
}

#[derive(Default)]
struct Backoff {
    not_before: Option<Instant>,
    delay: Duration,
    last_error: Option<PgError>,
}

const BACKOFF_START: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// A backend connection checked out by one session.
pub struct Lease {
    conn: Option<Arc<BackendConn>>,
    pool: Arc<Pool>,
    _slot: OwnedSemaphorePermit,
    broken: bool,
}

impl Lease {
    pub fn conn(&self) -> Arc<BackendConn> {
        self.conn.clone().expect("lease holds a connection until dropped")
    }

    /// Close the connection instead of returning it to the pool: it failed (08006), or it
    /// holds a session's own state (temporary tables).
    pub fn mark_broken(&mut self) {
        self.broken = true;
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        // Still referenced by a blocking call that outlived its session: let it drop there.
        if Arc::strong_count(&conn) > 1 {
            return;
        }
        if !self.broken {
            self.pool.idle.lock().unwrap().push(conn);
        } else {
            // Closing calls into the backend: never on an async worker thread.
            std::thread::spawn(move || conn.close());
        }
    }
}

impl Pool {
    pub fn new(backend: Arc<dyn Backend>, size: usize, checkout_timeout: Duration) -> Arc<Pool> {
        Pool::build(backend, size, checkout_timeout, None)
    }

    /// A pool whose connections log in to IRIS as `user` (see `login`).
    pub fn for_user(backend: Arc<dyn Backend>, size: usize, checkout_timeout: Duration, user: &str) -> Arc<Pool> {
        Pool::build(backend, size, checkout_timeout, Some((user.to_string(), Mutex::new(String::new()))))
    }

    fn build(
        backend: Arc<dyn Backend>,
        size: usize,
        checkout_timeout: Duration,
        login: Option<(String, Mutex<String>)>,
    ) -> Arc<Pool> {
        let size = size.max(1);
        Arc::new(Pool {
            backend,
            size,
            idle: Mutex::new(Vec::new()),
            slots: Arc::new(Semaphore::new(size)),
            checkout_timeout,
            retry: Mutex::new(Backoff::default()),
            login,
        })
    }

    fn credentials(&self) -> Option<(String, String)> {
        self.login.as_ref().map(|(user, pw)| (user.clone(), pw.lock().unwrap().clone()))
    }

    /// Password pass-through: log in to IRIS as this pool's user with `password`. IRIS
    /// decides; on success the connection joins the pool and later connects use the
    /// password. A failure does not start the backoff (it says nothing of IRIS's health).
    pub async fn login(self: &Arc<Self>, password: String) -> PgResult<()> {
        let Some((user, _)) = &self.login else { return Ok(()) };
        let (handle, user_owned, pw) = (self.backend.clone(), user.clone(), password.clone());
        let conn = tokio::task::spawn_blocking(move || handle.connect_as(&user_owned, &pw).map(BackendConn::new))
            .await
            .map_err(|e| PgError::internal(format!("backend connect failed: {e}")))??;
        let conn = Arc::new(conn);
        *self.login.as_ref().expect("checked").1.lock().unwrap() = password;
        let mut idle = self.idle.lock().unwrap();
        if idle.len() < self.size {
            idle.push(conn);
        } else {
            drop(idle);
            std::thread::spawn(move || conn.close());
        }
        Ok(())
    }

    pub fn backend(&self) -> Arc<dyn Backend> {
        self.backend.clone()
    }

    /// Check out a connection, waiting at most `checkout_timeout` for a free slot.
    pub async fn acquire(self: &Arc<Self>) -> PgResult<Lease> {
        let slot = match tokio::time::timeout(self.checkout_timeout, self.slots.clone().acquire_owned()).await {
            Ok(Ok(slot)) => slot,
            Ok(Err(_)) => return Err(PgError::new(sqlstate::ADMIN_SHUTDOWN, "the server is shutting down")),
            Err(_) => {
                return Err(PgError::new(
                    sqlstate::LOCK_NOT_AVAILABLE,
                    format!(
                        "timed out after {:.1}s waiting for a backend connection: all {} are in use",
                        self.checkout_timeout.as_secs_f64(),
                        self.size
                    ),
                )
                .with_hint("Other sessions hold them in open transactions; raise --pool-size or --pool-timeout."))
            }
        };
        let existing = loop {
            let Some(conn) = self.idle.lock().unwrap().pop() else { break None };
            if conn.is_alive() {
                break Some(conn);
            }
            // It ended while idle (a job worker killed): nobody's loss, start another.
            std::thread::spawn(move || conn.close());
        };
        let conn = match existing {
            // A clean connection goes out at once: the check costs a trip through the
            // blocking pool (two thread wake-ups), which a statement's path cannot afford.
            Some(conn) if !conn.is_suspect() => conn,
            Some(conn) => match Pool::checked(conn).await {
                Some(conn) => conn,
                None => Arc::new(self.connect().await?),
            },
            None => Arc::new(self.connect().await?),
        };
        Ok(Lease { conn: Some(conn), pool: self.clone(), _slot: slot, broken: false })
    }

    /// A connection a failed or cancelled call left behind is reset before reuse; one
    /// whose reset fails is closed (None: open another).
    async fn checked(conn: Arc<BackendConn>) -> Option<Arc<BackendConn>> {
        let outcome = tokio::task::spawn_blocking(move || {
            let result = conn.check();
            (conn, result)
        })
        .await;
        match outcome {
            Ok((conn, Ok(()))) => Some(conn),
            Ok((conn, Err(e))) => {
                log::warn!("backend connection failed its check after an error ({e}); replacing it");
                std::thread::spawn(move || conn.close());
                None
            }
            Err(e) => {
                log::warn!("backend connection check panicked: {e}");
                None
            }
        }
    }

    async fn connect(&self) -> PgResult<BackendConn> {
        {
            let retry = self.retry.lock().unwrap();
            if let (Some(t), Some(err)) = (retry.not_before, &retry.last_error) {
                if Instant::now() < t {
                    return Err(err.clone());
                }
            }
        }
        let (handle, login) = (self.backend.clone(), self.credentials());
        let result = tokio::task::spawn_blocking(move || {
            match &login {
                None => handle.connect(),
                Some((user, password)) => handle.connect_as(user, password),
            }
            .map(BackendConn::new)
        })
        .await
        .map_err(|e| PgError::internal(format!("backend connect failed: {e}")))?;
        let mut retry = self.retry.lock().unwrap();
        match result {
            Ok(conn) => {
                *retry = Backoff::default();
                Ok(conn)
            }
            Err(e) => {
                let err = PgError::new(
                    sqlstate::CONNECTION_FAILURE,
                    format!("could not connect to the backend: {}", e.message),
                );
                retry.delay = (retry.delay * 2).clamp(BACKOFF_START, BACKOFF_MAX);
                retry.not_before = Some(Instant::now() + retry.delay);
                retry.last_error = Some(err.clone());
                log::warn!("{}; next attempt in {:?}", err.message, retry.delay);
                Err(err)
            }
        }
    }

    /// Open every connection at once (`warm_pool`, before the server accepts: job
    /// workers take a while to start, better before the first client than during its
    /// first statement). A connection that fails to open is opened on demand later.
    pub async fn warm(self: &Arc<Self>) {
        let opening: Vec<_> = (0..self.size)
            .map(|_| {
                let pool = self.clone();
                tokio::spawn(async move { pool.connect().await })
            })
            .collect();
        for conn in opening {
            if let Ok(Ok(conn)) = conn.await {
                self.idle.lock().unwrap().push(Arc::new(conn));
            }
        }
    }

    /// (checked out, idle) connections, for the metrics and the admin console.
    pub fn counts(&self) -> (usize, usize) {
        (self.size - self.slots.available_permits(), self.idle.lock().unwrap().len())
    }

    pub fn size(&self) -> usize {
        self.size
    }

    /// Close idle connections (server shutdown). Blocking: call off the async workers.
    pub fn close_idle(&self) {
        let idle: Vec<Arc<BackendConn>> = std::mem::take(&mut *self.idle.lock().unwrap());
        for conn in idle {
            conn.close();
        }
    }
}
