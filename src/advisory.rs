//! Advisory locks (`pg_advisory_lock`, `pg_advisory_xact_lock`, the `try` forms and
//! `pg_advisory_unlock[_all]`), held in the gateway for all its sessions: neither backend
//! has application-defined locks in SQL (IRIS's LOCK is ObjectScript), and tools take
//! them around DDL (LangChain's PGVector before CREATE EXTENSION, migration tools).
//!
//! As in PostgreSQL: exclusive, re-entrant per session (counted), a session-level and a
//! transaction-level hold of one key counted apart; `pg_advisory_unlock` releases only a
//! session-level hold; transaction-level holds end with the transaction; a wait that would
//! close a cycle of waiting sessions fails with 40P01. Limit: gateways that share one IRIS
//! do not see each other's locks (docs/translation.md).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::{PgError, PgResult};

/// One lock: PostgreSQL's `bigint` keys and `(int, int)` keys are different lock spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    One(i64),
    Two(i32, i32),
}

#[derive(Default)]
struct Holder {
    session: i32,
    /// Session-level holds (pg_advisory_lock), released by pg_advisory_unlock.
    session_holds: u32,
    /// Transaction-level holds (pg_advisory_xact_lock), released when the transaction ends.
    xact_holds: u32,
}

#[derive(Default)]
struct State {
    held: HashMap<Key, Holder>,
    /// session -> the key it waits for (deadlock detection).
    waiting: HashMap<i32, Key>,
}

/// The gateway's advisory locks.
#[derive(Default)]
pub struct AdvisoryLocks {
    state: Mutex<State>,
    released: tokio::sync::Notify,
}

impl AdvisoryLocks {
    /// Take `key` for `session` if it is free or already the session's; false otherwise.
    pub fn try_lock(&self, key: Key, session: i32, xact: bool) -> bool {
        let mut s = self.state.lock().unwrap();
        Self::take(&mut s, key, session, xact)
    }

    fn take(s: &mut State, key: Key, session: i32, xact: bool) -> bool {
        let h = s.held.entry(key).or_insert_with(|| Holder { session, ..Holder::default() });
        if h.session != session {
            return false;
        }
        if xact {
            h.xact_holds += 1;
        } else {
            h.session_holds += 1;
        }
        true
    }

    /// Take `key`, waiting while another session holds it. The caller bounds the wait
    /// (CancelRequest, statement_timeout: `CancelSlot::interruptible`); dropping the future
    /// stops waiting. 40P01 when this wait would close a cycle of waiting sessions.
    pub async fn lock(&self, key: Key, session: i32, xact: bool) -> PgResult<()> {
        let _waiting = Waiting { locks: self, session };
        loop {
            let released = self.released.notified();
            tokio::pin!(released);
            // Registered before the check, so a release in between is not lost.
            released.as_mut().enable();
            {
                let mut s = self.state.lock().unwrap();
                if Self::take(&mut s, key, session, xact) {
                    s.waiting.remove(&session);
                    return Ok(());
                }
                if Self::closes_cycle(&s, key, session) {
                    s.waiting.remove(&session);
                    return Err(PgError::new("40P01", "deadlock detected").with_detail(format!(
                        "Process {session} waits for an advisory lock held by a process that waits for it."
                    )));
                }
                s.waiting.insert(session, key);
            }
            released.await;
        }
    }

    /// Following holder -> the key it waits for -> that key's holder .. from `key`, do we
    /// come back to `session`?
    fn closes_cycle(s: &State, key: Key, session: i32) -> bool {
        let mut next = key;
        for _ in 0..=s.waiting.len() {
            let Some(holder) = s.held.get(&next) else { return false };
            if holder.session == session {
                return true;
            }
            match s.waiting.get(&holder.session) {
                Some(k) => next = *k,
                None => return false,
            }
        }
        false
    }

    /// pg_advisory_unlock: release one session-level hold; false if the session has none.
    pub fn unlock(&self, key: Key, session: i32) -> bool {
        let mut s = self.state.lock().unwrap();
        let Some(h) = s.held.get_mut(&key).filter(|h| h.session == session && h.session_holds > 0) else {
            return false;
        };
        h.session_holds -= 1;
        if h.session_holds == 0 && h.xact_holds == 0 {
            s.held.remove(&key);
            drop(s);
            self.released.notify_waiters();
        }
        true
    }

    /// The session's transaction ended: its transaction-level holds go.
    pub fn end_transaction(&self, session: i32) {
        self.release(session, |h| h.xact_holds = 0);
    }

    /// pg_advisory_unlock_all: the session-level holds go (transaction-level ones stay).
    pub fn unlock_all(&self, session: i32) {
        self.release(session, |h| h.session_holds = 0);
    }

    /// The session ended: everything it held.
    pub fn end_session(&self, session: i32) {
        self.release(session, |h| *h = Holder { session, ..Holder::default() });
    }

    fn release(&self, session: i32, clear: impl Fn(&mut Holder)) {
        let mut s = self.state.lock().unwrap();
        let before = s.held.len();
        s.held.retain(|_, h| {
            if h.session == session {
                clear(h);
            }
            h.session_holds > 0 || h.xact_holds > 0
        });
        let freed = s.held.len() != before;
        drop(s);
        if freed {
            self.released.notify_waiters();
        }
    }
}

/// Forgets a session's wait when its lock call ends in any way (taken, failed, dropped).
struct Waiting<'a> {
    locks: &'a AdvisoryLocks,
    session: i32,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.locks.state.lock().unwrap().waiting.remove(&self.session);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_are_counted_per_session_and_kind() {
        let l = AdvisoryLocks::default();
        let k = Key::One(7);
        assert!(l.try_lock(k, 1, false));
        assert!(l.try_lock(k, 1, true));
        assert!(!l.try_lock(k, 2, false));
        // The two-int key space is another lock.
        assert!(l.try_lock(Key::Two(0, 7), 2, false));
        l.end_transaction(1);
        assert!(!l.try_lock(k, 2, true), "the session-level hold remains");
        assert!(l.unlock(k, 1));
        assert!(!l.unlock(k, 1), "nothing left to unlock");
        assert!(l.try_lock(k, 2, true));
        assert!(!l.unlock(k, 2), "unlock does not release a transaction-level hold");
        l.end_session(2);
        assert!(l.try_lock(k, 3, false));
    }

    #[tokio::test]
    async fn a_waiter_gets_the_lock_when_it_is_released_and_a_cycle_is_40p01() {
        let l = std::sync::Arc::new(AdvisoryLocks::default());
        let (a, b) = (Key::One(1), Key::One(2));
        assert!(l.try_lock(a, 1, true));
        assert!(l.try_lock(b, 2, true));
        let waiter = {
            let l = l.clone();
            tokio::spawn(async move { l.lock(a, 2, true).await })
        };
        while l.state.lock().unwrap().waiting.is_empty() {
            tokio::task::yield_now().await;
        }
        let err = l.lock(b, 1, true).await.unwrap_err();
        assert_eq!(err.code, "40P01");
        l.end_transaction(1);
        waiter.await.unwrap().unwrap();
        assert!(!l.try_lock(a, 1, false));
        assert!(l.state.lock().unwrap().waiting.is_empty());
    }
}
