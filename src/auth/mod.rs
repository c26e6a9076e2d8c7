//! Who is let in: access rules (`hba`), stored SCRAM verifiers (`users`), the
//! SCRAM exchange (`scram`) and the per-address limit on failed attempts. The
//! messages on the wire are exchanged by `session::authenticate`.

pub mod hba;
pub mod scram;
pub mod users;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use hba::Hba;
use scram::Verifier;
use users::Users;

/// The authentication state of one server: rules, verifiers, and recent failures.
pub struct Auth {
    /// Swapped whole on reload: a connection decides with the rules of its moment.
    hba: RwLock<Arc<Hba>>,
    hba_file: Option<String>,
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
            hba: RwLock::new(Arc::new(hba)),
            hba_file: hba_file.map(str::to_string),
            users: RwLock::new(users),
            users_file: users_file.map(str::to_string),
            dummy_secret: rand::random(),
            failures: Mutex::new(HashMap::new()),
            max_failures,
            failure_window,
        })
    }

    /// The access rules in force now.
    pub fn hba(&self) -> Arc<Hba> {
        self.hba.read().unwrap().clone()
    }

    /// Re-read the rules file (SIGHUP): new connections follow the new rules, sessions
    /// already in are not checked again (as PostgreSQL). On error the old rules stay.
    /// Ok(None) without --hba-file.
    pub fn reload_hba(&self) -> Result<Option<usize>, String> {
        let Some(path) = &self.hba_file else { return Ok(None) };
        let hba = Hba::load(path)?;
        let n = hba.len();
        *self.hba.write().unwrap() = Arc::new(hba);
        Ok(Some(n))
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
        assert!(!found && !known.matches(b""));
    }

    #[test]
    fn reloaded_rules_replace_the_old_ones_unless_broken() {
        let path = std::env::temp_dir().join(format!("iris-pgwire-hba-{}", std::process::id()));
        std::fs::write(&path, "host all all 127.0.0.1/32 trust\n").unwrap();
        let auth = Auth::new(path.to_str(), None, 0, Duration::ZERO).unwrap();
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(auth.hba().decide(local, false, "d", "u").unwrap().method, hba::Method::Trust);
        std::fs::write(&path, "# now\nhost all all 127.0.0.1/32 reject\nhost all all ::1/128 trust\n").unwrap();
        assert_eq!(auth.reload_hba(), Ok(Some(2)));
        assert_eq!(auth.hba().decide(local, false, "d", "u").unwrap().method, hba::Method::Reject);
        std::fs::write(&path, "host all all 127.0.0.1/32 md5\n").unwrap();
        assert!(auth.reload_hba().unwrap_err().contains("md5"));
        assert_eq!(auth.hba().decide(local, false, "d", "u").unwrap().method, hba::Method::Reject);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(Auth::new(None, None, 0, Duration::ZERO).unwrap().reload_hba(), Ok(None));
    }
}
