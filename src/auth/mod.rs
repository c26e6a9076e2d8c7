//! Who is let in: access rules (`hba`), stored SCRAM verifiers (`users`), the
//! SCRAM exchange (`scram`) and the per-address limit on failed attempts. The
//! messages on the wire are exchanged by `session::authenticate`.

pub mod hba;
pub mod scram;
pub mod users;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use hba::Hba;
use scram::Verifier;
use users::Users;

/// The authentication state of one server: rules, verifiers, and recent failures.
pub struct Auth {
    pub hba: Hba,
    users: RwLock<Users>,
    users_file: Option<String>,
    /// Per-process secret for the dummy verifiers of unknown users.
    dummy_secret: [u8; 32],
    failures: Mutex<HashMap<IpAddr, Vec<Instant>>>,
    pub max_failures: usize,
    pub failure_window: Duration,
}

impl Auth {
    pub fn new(
        hba_file: Option<&str>,
        users_file: Option<&str>,
        max_failures: usize,
        failure_window: Duration,
    ) -> Result<Auth, String> {
        let hba = match hba_file {
            Some(path) => Hba::load(path)?,
            None => Hba::loopback_trust(),
        };
        let users = match users_file {
            Some(path) => Users::load(path)?,
            None => Users::default(),
        };
        Ok(Auth {
            hba,
            users: RwLock::new(users),
            users_file: users_file.map(str::to_string),
            dummy_secret: rand::random(),
            failures: Mutex::new(HashMap::new()),
            max_failures,
            failure_window,
        })
    }

    /// Re-read the users file (SIGHUP); on error the old users stay.
    pub fn reload_users(&self) -> Result<usize, String> {
        let Some(path) = &self.users_file else { return Ok(0) };
        let users = Users::load(path)?;
        let n = users.len();
        *self.users.write().unwrap() = users;
        Ok(n)
    }

    /// The user's verifier, or a dummy one that no password matches (same path for unknown users).
    pub fn verifier(&self, user: &str) -> (Verifier, bool) {
        match self.users.read().unwrap().get(user) {
            Some(v) => (v.clone(), true),
            None => (Verifier::dummy(user, &self.dummy_secret), false),
        }
    }

    /// Has this address failed too often lately? (0 = no limit)
    pub fn locked_out(&self, addr: IpAddr) -> bool {
        if self.max_failures == 0 {
            return false;
        }
        let mut failures = self.failures.lock().unwrap();
        let Some(times) = failures.get_mut(&addr) else { return false };
        let horizon = Instant::now().checked_sub(self.failure_window);
        times.retain(|t| horizon.is_none_or(|h| *t > h));
        if times.is_empty() {
            failures.remove(&addr);
            return false;
        }
        times.len() >= self.max_failures
    }

    pub fn record_failure(&self, addr: IpAddr) {
        if self.max_failures == 0 {
            return;
        }
        let mut failures = self.failures.lock().unwrap();
        // Bound the table: forget the oldest addresses rather than grow without end.
        if failures.len() >= 10_000 && !failures.contains_key(&addr) {
            let horizon = Instant::now().checked_sub(self.failure_window);
            failures.retain(|_, times| times.last().is_some_and(|t| horizon.is_none_or(|h| *t > h)));
            if failures.len() >= 10_000 {
                failures.clear();
            }
        }
        let times = failures.entry(addr).or_default();
        times.push(Instant::now());
        if times.len() > self.max_failures {
            times.remove(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_lock_an_address_out_for_the_window() {
        let auth = Auth::new(None, None, 3, Duration::from_millis(200)).unwrap();
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert!(!auth.locked_out(a));
            auth.record_failure(a);
        }
        assert!(auth.locked_out(a) && !auth.locked_out(b));
        std::thread::sleep(Duration::from_millis(250));
        assert!(!auth.locked_out(a));
        let (known, found) = auth.verifier("nobody");
        assert!(!found && !known.matches(""));
    }
}
