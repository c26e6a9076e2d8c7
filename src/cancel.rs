//! Cancel requests: each session has a `CancelSlot` that knows which backend
//! connection its current statement runs on. A CancelRequest with the session's key
//! interrupts that statement, and only that one: a request that arrives while the
//! session is idle does nothing, and one that arrives between two backend calls of a
//! statement fails the next call of that statement.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::backend::BackendConn;
use crate::error::{sqlstate, PgError, PgResult};

/// How often, and how many times, an interrupt is repeated while the statement still runs
/// (a statement that had not reached the database yet would miss a single one).
const RETRY_EVERY: Duration = Duration::from_millis(100);
const RETRIES: u32 = 50;

#[derive(Default)]
pub struct CancelSlot {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The connection a backend call of this session is running on.
    running: Option<Arc<BackendConn>>,
    /// Bumped at every backend call, so a late retry never touches the next call.
    generation: u64,
    /// The session is processing a client message (a statement may be running).
    in_statement: bool,
    /// A cancel arrived during the statement but between backend calls.
    pending: bool,
}

pub fn canceled() -> PgError {
    PgError::new(sqlstate::QUERY_CANCELED, "canceling statement due to user request")
}

/// Marks a client message being processed; dropping it forgets an unused cancel.
pub struct StatementGuard(Arc<CancelSlot>);

impl Drop for StatementGuard {
    fn drop(&mut self) {
        let mut s = self.0.state.lock().unwrap();
        s.in_statement = false;
        s.pending = false;
    }
}

/// Marks a backend call in progress on a connection.
pub struct RunningGuard(Arc<CancelSlot>);

impl Drop for RunningGuard {
    fn drop(&mut self) {
        let mut s = self.0.state.lock().unwrap();
        s.running = None;
        s.generation += 1;
    }
}

impl CancelSlot {
    pub fn statement(self: &Arc<Self>) -> StatementGuard {
        let mut s = self.state.lock().unwrap();
        s.in_statement = true;
        s.pending = false;
        StatementGuard(self.clone())
    }

    /// A backend call is about to run on `conn`; 57014 if a cancel is already waiting.
    pub fn running(self: &Arc<Self>, conn: &Arc<BackendConn>) -> PgResult<RunningGuard> {
        let mut s = self.state.lock().unwrap();
        if std::mem::take(&mut s.pending) {
            return Err(canceled());
        }
        s.running = Some(conn.clone());
        s.generation += 1;
        Ok(RunningGuard(self.clone()))
    }

    /// Act on a CancelRequest (on a blocking thread: it calls into the backend).
    pub fn cancel(&self) {
        let generation = {
            let mut s = self.state.lock().unwrap();
            if s.running.is_none() {
                if s.in_statement {
                    s.pending = true;
                }
                return;
            }
            s.generation
        };
        for _ in 0..RETRIES {
            {
                let s = self.state.lock().unwrap();
                let Some(conn) = s.running.as_ref().filter(|_| s.generation == generation) else { return };
                // Under the lock: the call cannot end (and the next begin) in between.
                if let Err(e) = conn.cancel() {
                    log::warn!("cancel failed: {e}");
                    return;
                }
            }
            std::thread::sleep(RETRY_EVERY);
        }
    }
}
