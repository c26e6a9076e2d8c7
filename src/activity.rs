//! What each live session is doing, for pg_stat_activity, pg_stat_database, the admin
//! console and the client-connection gauges: one `Activity` per session in the server's
//! registry. The session updates it with atomic stores (and its last statement's text
//! under a lock nobody else holds but for a copy) at each statement and ReadyForQuery;
//! readers are other sessions' catalog queries, the console and the metrics scrape.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::Notify;

use crate::cancel::CancelSlot;

/// pg_stat_activity.state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum State {
    /// Connected, not yet authenticated.
    Starting = 0,
    Active = 1,
    Idle = 2,
    IdleInTransaction = 3,
    IdleInTransactionAborted = 4,
}

impl State {
    fn from_u8(v: u8) -> State {
        match v {
            1 => State::Active,
            2 => State::Idle,
            3 => State::IdleInTransaction,
            4 => State::IdleInTransactionAborted,
            _ => State::Starting,
        }
    }

    /// PostgreSQL's text for the state.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Starting => "starting",
            State::Active => "active",
            State::Idle => "idle",
            State::IdleInTransaction => "idle in transaction",
            State::IdleInTransactionAborted => "idle in transaction (aborted)",
        }
    }
}

/// Who the session is, known once it has authenticated.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user: String,
    pub database: String,
    /// Connected to the admin console (database `iris_pgwire`).
    pub admin_console: bool,
}

pub struct Activity {
    pub pid: i32,
    pub secret: Vec<u8>,
    pub cancel: Arc<CancelSlot>,
    pub client: SocketAddr,
    /// Microseconds since the Unix epoch.
    pub backend_start: i64,
    identity: OnceLock<Identity>,
    /// Changes only with SET application_name.
    application_name: Mutex<String>,
    state: AtomicU8,
    /// Waiting for a backend connection from the pool.
    waiting: AtomicBool,
    xact_start: AtomicI64,
    query_start: AtomicI64,
    state_change: AtomicI64,
    /// The last statement's text. Only this session writes it and readers copy the
    /// Arc out, so the lock is never waited on in practice (an arc-swap store measured
    /// slower: it scans every thread's debt slots).
    query: Mutex<Arc<String>>,
    pub xact_commit: AtomicU64,
    pub xact_rollback: AtomicU64,
    terminated: AtomicBool,
    wake: Notify,
}

/// A copy of a session's activity, as readers see it.
#[derive(Debug, Clone)]
pub struct ActivityRow {
    pub pid: i32,
    pub user: String,
    pub database: String,
    pub admin_console: bool,
    pub application_name: String,
    pub client: SocketAddr,
    pub backend_start: i64,
    /// 0 where PostgreSQL shows NULL.
    pub xact_start: i64,
    pub query_start: i64,
    pub state_change: i64,
    pub state: State,
    pub waiting: bool,
    pub query: Arc<String>,
    pub xact_commit: u64,
    pub xact_rollback: u64,
}

/// Microseconds since the Unix epoch.
pub fn now_us() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
}

impl Activity {
    pub fn new(pid: i32, secret: Vec<u8>, client: SocketAddr) -> Activity {
        let now = now_us();
        Activity {
            pid,
            secret,
            cancel: Arc::new(CancelSlot::default()),
            client,
            backend_start: now,
            identity: OnceLock::new(),
            application_name: Mutex::new(String::new()),
            state: AtomicU8::new(State::Starting as u8),
            waiting: AtomicBool::new(false),
            xact_start: AtomicI64::new(0),
            query_start: AtomicI64::new(0),
            state_change: AtomicI64::new(now),
            query: Mutex::new(Arc::new(String::new())),
            xact_commit: AtomicU64::new(0),
            xact_rollback: AtomicU64::new(0),
            terminated: AtomicBool::new(false),
            wake: Notify::new(),
        }
    }

    /// Authenticated: the session is idle and waits for its first statement.
    pub fn identify(&self, identity: Identity, application_name: &str) {
        let _ = self.identity.set(identity);
        self.set_application_name(application_name);
        self.set_state(State::Idle);
    }

    pub fn identity(&self) -> Option<&Identity> {
        self.identity.get()
    }

    pub fn set_application_name(&self, name: &str) {
        let mut current = self.application_name.lock().unwrap();
        if *current != name {
            *current = name.to_owned();
        }
    }

    /// A statement starts. Outside a transaction block it is a transaction of its own.
    pub fn statement(&self, query: Arc<String>, in_transaction: bool) {
        let now = now_us();
        self.query_start.store(now, Ordering::Relaxed);
        if !in_transaction {
            self.xact_start.store(now, Ordering::Relaxed);
        }
        *self.query.lock().unwrap() = query;
        self.set_state_at(State::Active, now);
    }

    /// ReadyForQuery was sent with this state.
    pub fn ready(&self, state: State) {
        if state == State::Idle {
            self.xact_start.store(0, Ordering::Relaxed);
        }
        self.set_state_at(state, now_us());
    }

    pub fn set_state(&self, state: State) {
        self.set_state_at(state, now_us());
    }

    fn set_state_at(&self, state: State, now: i64) {
        if self.state.swap(state as u8, Ordering::Relaxed) != state as u8 {
            self.state_change.store(now, Ordering::Relaxed);
        }
    }

    pub fn state(&self) -> State {
        State::from_u8(self.state.load(Ordering::Relaxed))
    }

    pub fn set_waiting(&self, waiting: bool) {
        self.waiting.store(waiting, Ordering::Relaxed);
    }

    pub fn is_waiting(&self) -> bool {
        self.waiting.load(Ordering::Relaxed)
    }

    /// A transaction ended (committed: `commit`), for pg_stat_database.
    pub fn transaction_ended(&self, commit: bool) {
        let counter = if commit { &self.xact_commit } else { &self.xact_rollback };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// pg_terminate_backend / KILL: the session ends with FATAL 57P01 as soon as it is
    /// between statements (the caller interrupts a statement it runs).
    pub fn terminate(&self) {
        self.terminated.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    pub fn is_terminated(&self) -> bool {
        self.terminated.load(Ordering::Acquire)
    }

    /// Resolves once `terminate` was called.
    pub async fn terminated(&self) {
        while !self.is_terminated() {
            self.wake.notified().await;
        }
    }

    pub fn row(&self) -> Option<ActivityRow> {
        let identity = self.identity.get()?;
        Some(ActivityRow {
            pid: self.pid,
            user: identity.user.clone(),
            database: identity.database.clone(),
            admin_console: identity.admin_console,
            application_name: self.application_name.lock().unwrap().clone(),
            client: self.client,
            backend_start: self.backend_start,
            xact_start: self.xact_start.load(Ordering::Relaxed),
            query_start: self.query_start.load(Ordering::Relaxed),
            state_change: self.state_change.load(Ordering::Relaxed),
            state: self.state(),
            waiting: self.is_waiting(),
            query: self.query.lock().unwrap().clone(),
            xact_commit: self.xact_commit.load(Ordering::Relaxed),
            xact_rollback: self.xact_rollback.load(Ordering::Relaxed),
        })
    }
}
