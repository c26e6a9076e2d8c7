//! The settings a session starts with, in PostgreSQL's order of precedence: the server's
//! defaults (`--statement-timeout`, `--lock-timeout`: postgresql.conf's place), then the
//! user's own (`--role-settings`: the gateway's form of ALTER ROLE .. SET), then the
//! startup packet (its parameters and `options=-c name=value`).

use crate::config::Config;
use crate::error::{PgError, PgResult};
use crate::settings::Settings;

/// The session's settings from the config and the startup parameters. A bad value in
/// `options` is the client's error (PostgreSQL refuses the connection with it).
pub fn initial(config: &Config, params: &[(String, String)]) -> PgResult<Settings> {
    // The configuration was checked at start (`validate`).
    let mut settings = Settings::for_server(config).map_err(|e| PgError::internal(e.message))?;
    let user = params.iter().find(|(k, _)| k == "user").map(|(_, v)| v.as_str()).unwrap_or("");
    for (name, value) in config.role_settings.get(user).into_iter().flatten() {
        settings.set_initial(name, value).map_err(|e| PgError::internal(e.message))?;
    }
    for (k, v) in params {
        settings.apply_startup(k, v)?;
    }
    if !user.is_empty() {
        let _ = settings.set("session_authorization", Some(user), false);
    }
    Ok(settings)
}

/// Check the server's defaults and every per-role setting, so a typo stops the server at
/// start rather than every session later.
pub fn validate(config: &Config) -> Result<(), String> {
    let mut settings = Settings::for_server(config).map_err(|e| e.message)?;
    for (user, values) in &config.role_settings {
        for (name, value) in values {
            settings.set_initial(name, value).map_err(|e| format!("role settings of {user:?}: {}", e.message))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn precedence_server_role_startup() {
        let mut config = Config::default();
        config.session_defaults = pairs(&[("statement_timeout", "10s"), ("lock_timeout", "2s")]);
        config.role_settings.insert("alice".into(), pairs(&[("statement_timeout", "3s")]));
        let start = |user: &str, options: &str| {
            let mut params = pairs(&[("user", user)]);
            if !options.is_empty() {
                params.push(("options".into(), options.into()));
            }
            initial(&config, &params)
        };
        let bob = start("bob", "").unwrap();
        assert_eq!((bob.statement_timeout_ms(), bob.lock_timeout_ms()), (10_000, 2_000));
        let alice = start("alice", "").unwrap();
        assert_eq!(alice.statement_timeout_ms(), 3_000);
        let mut alice = start("alice", "-c statement_timeout=250").unwrap();
        assert_eq!(alice.statement_timeout_ms(), 250);
        // RESET goes back to the session's default, not the built-in one.
        alice.set("statement_timeout", Some("1"), false).unwrap();
        alice.reset("statement_timeout").unwrap();
        assert_eq!(alice.statement_timeout_ms(), 250);
        let refused = start("bob", "-c statement_timeout=soon").unwrap_err();
        assert_eq!(refused.code, crate::error::sqlstate::INVALID_PARAMETER_VALUE);
        config.role_settings.insert("carol".into(), pairs(&[("lock_timeout", "-5")]));
        assert!(validate(&config).is_err());
    }
}
