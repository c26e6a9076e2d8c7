//! Cancel requests: each session has a `CancelSlot` that knows which backend
//! connection its current statement runs on. A CancelRequest with the session's key
//! interrupts that statement, and only that one: a request that arrives while the
//! session is idle does nothing, and one that arrives between two backend calls of a
//! statement fails the next call of that statement.
//!
//! The gateway's own interrupts take the same path: statement_timeout arms a timer per
//! statement (`arm`), and shutdown interrupts what still runs when its timeout is up. The
//! reason is kept, so the statement's 57014 is reported with the message PostgreSQL uses.

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
    /// Wakes a statement the gateway runs itself (pg_sleep) when it is interrupted.
    wake: tokio::sync::Notify,
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
    /// Why the current statement was interrupted (None: it was not).
    reason: Option<Reason>,
    /// Bumped when a statement_timeout timer is armed or disarmed: a timer that fires
    /// late (its statement over) finds another number and does nothing.
    timer: u64,
}

/// Who interrupted a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A CancelRequest from the client.
    User,
    /// The session's statement_timeout passed.
    Timeout,
    /// The server is shutting down and its shutdown timeout passed.
    Shutdown,
    /// pg_terminate_backend or the admin console's KILL: the session ends.
    Terminate,
}

impl Reason {
    /// The error PostgreSQL reports for a statement interrupted for this reason.
    pub fn error(self) -> PgError {
        match self {
            Reason::User => PgError::new(sqlstate::QUERY_CANCELED, "canceling statement due to user request"),
            Reason::Timeout => PgError::new(sqlstate::QUERY_CANCELED, "canceling statement due to statement timeout"),
            Reason::Shutdown | Reason::Terminate => {
                PgError::fatal(sqlstate::ADMIN_SHUTDOWN, "terminating connection due to administrator command")
            }
        }
    }
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

/// A statement_timeout timer; dropping it disarms it.
pub struct Timer(Option<(tokio::task::JoinHandle<()>, Arc<CancelSlot>)>);

impl Drop for Timer {
    fn drop(&mut self) {
        if let Some((task, slot)) = self.0.take() {
            task.abort();
            let mut s = slot.state.lock().unwrap();
            s.timer += 1;
            // A timeout that came between backend calls is not the next statement's.
            if s.reason == Some(Reason::Timeout) {
                s.pending = false;
            }
        }
    }
}

impl CancelSlot {
    pub fn statement(self: &Arc<Self>) -> StatementGuard {
        let mut s = self.state.lock().unwrap();
        s.in_statement = true;
        s.pending = false;
        s.reason = None;
        StatementGuard(self.clone())
    }

    /// A backend call is about to run on `conn`; 57014 if a cancel is already waiting.
    pub fn running(self: &Arc<Self>, conn: &Arc<BackendConn>) -> PgResult<RunningGuard> {
        let mut s = self.state.lock().unwrap();
        if std::mem::take(&mut s.pending) {
            return Err(s.reason.unwrap_or(Reason::User).error());
        }
        s.running = Some(conn.clone());
        s.generation += 1;
        Ok(RunningGuard(self.clone()))
    }

    /// Wait `d` inside the current statement (pg_sleep, answered by the gateway), or until
    /// the statement is interrupted: then its 57014 (or shutdown's error).
    pub async fn sleep(&self, d: Duration) -> PgResult<()> {
        self.interruptible(tokio::time::sleep(d)).await
    }

    /// Wait for `work` inside the current statement (a sleep, an advisory lock held by
    /// another session), or until the statement is interrupted: then its 57014 (or
    /// shutdown's error), and `work` is dropped.
    pub async fn interruptible<F: std::future::Future>(&self, work: F) -> PgResult<F::Output> {
        let woken = self.wake.notified();
        tokio::pin!(woken);
        // Registered before the check, so an interrupt in between is not lost.
        woken.as_mut().enable();
        {
            let mut s = self.state.lock().unwrap();
            if std::mem::take(&mut s.pending) {
                return Err(s.reason.unwrap_or(Reason::User).error());
            }
        }
        tokio::select! {
            out = work => Ok(out),
            _ = woken => {
                let mut s = self.state.lock().unwrap();
                s.pending = false;
                Err(s.reason.unwrap_or(Reason::User).error())
            }
        }
    }

    /// Why the current statement was interrupted, if it was.
    pub fn reason(&self) -> Option<Reason> {
        self.state.lock().unwrap().reason
    }

    /// A backend's 57014 is reported as PostgreSQL reports the interrupt's reason (the
    /// backend cannot know whether a timer or the client asked).
    pub fn explain(&self, err: &PgError) -> Option<PgError> {
        let reason = self.reason()?;
        (err.code == sqlstate::QUERY_CANCELED).then(|| reason.error())
    }

    /// Interrupt the running statement after `ms` (statement_timeout; 0 = never). The
    /// returned guard disarms the timer when the statement ends.
    pub fn arm(self: &Arc<Self>, ms: i64) -> Timer {
        if ms <= 0 {
            return Timer(None);
        }
        let id = {
            let mut s = self.state.lock().unwrap();
            s.timer += 1;
            s.timer
        };
        let slot = self.clone();
        let task = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(ms as u64)).await;
            let _ = tokio::task::spawn_blocking(move || slot.expire(id)).await;
        });
        Timer(Some((task, self.clone())))
    }

    /// Timer `id` fired: interrupt its statement, unless that one is over.
    fn expire(&self, id: u64) {
        if self.state.lock().unwrap().timer == id {
            self.interrupt(Reason::Timeout);
        }
    }

    /// Act on a CancelRequest (on a blocking thread: it calls into the backend).
    pub fn cancel(&self) {
        self.interrupt(Reason::User)
    }

    /// Interrupt the session's statement, if it runs one (on a blocking thread).
    pub fn interrupt(&self, reason: Reason) {
        let generation = {
            let mut s = self.state.lock().unwrap();
            if !s.in_statement {
                return;
            }
            s.reason = Some(reason);
            if s.running.is_none() {
                s.pending = true;
                drop(s);
                self.wake.notify_waiters();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::memory::MemoryBackend;
    use crate::backend::Backend;

    fn conn() -> Arc<BackendConn> {
        Arc::new(BackendConn::new(MemoryBackend::default().connect().unwrap()))
    }

    #[test]
    fn the_reason_names_the_error() {
        let slot = Arc::new(CancelSlot::default());
        // Idle: nothing to interrupt, nothing remembered.
        slot.interrupt(Reason::Timeout);
        assert_eq!(slot.reason(), None);
        let _statement = slot.statement();
        // Between backend calls: the next call fails, with the reason's message.
        slot.interrupt(Reason::Timeout);
        let err = slot.running(&conn()).err().unwrap();
        assert_eq!(err.message, "canceling statement due to statement timeout");
        // A backend's 57014 is reported with the reason; other errors are left alone.
        let backend = PgError::new(sqlstate::QUERY_CANCELED, "interrupted").with_detail("sqlite");
        assert_eq!(slot.explain(&backend).unwrap().message, "canceling statement due to statement timeout");
        assert!(slot.explain(&PgError::new(sqlstate::SYNTAX_ERROR, "x")).is_none());
        slot.interrupt(Reason::Shutdown);
        let fatal = slot.explain(&backend).unwrap();
        assert_eq!((fatal.code, fatal.severity), (sqlstate::ADMIN_SHUTDOWN, crate::error::Severity::Fatal));
    }

    #[tokio::test]
    async fn a_timer_fires_only_for_its_statement() {
        let slot = Arc::new(CancelSlot::default());
        let _statement = slot.statement();
        let timer = slot.arm(10_000);
        let late = slot.state.lock().unwrap().timer;
        drop(timer);
        // Its statement ended: the timer's number is stale, firing changes nothing.
        slot.expire(late);
        assert_eq!(slot.reason(), None);
        assert!(slot.running(&conn()).is_ok());
        let _timer = slot.arm(10_000);
        let current = slot.state.lock().unwrap().timer;
        slot.expire(current);
        assert_eq!(slot.reason(), Some(Reason::Timeout));
    }
}
