//! The settings a session starts with, in PostgreSQL's order of precedence: the server's
//! defaults (`--statement-timeout`, `--lock-timeout`: postgresql.conf's place), then the
//! user's own (`--role-settings`: the gateway's form of ALTER ROLE .. SET), then the
//! startup packet (its parameters and `options=-c name=value`).

use crate::config::Config;
use crate::error::{sqlstate, PgError, PgResult};
use crate::settings::Settings;

/// The session's settings from the config and the startup parameters. A bad value in
/// `options` is the client's error (PostgreSQL refuses the connection with it).
pub fn initial(config: &Config, params: &[(String, String)]) -> PgResult<Settings> {
    let mut settings = server_defaults(config).map_err(|e| PgError::internal(e.message))?;
    let user = params.iter().find(|(k, _)| k == "user").map(|(_, v)| v.as_str()).unwrap_or("");
    for (name, value) in config.role_settings.get(user).into_iter().flatten() {
        settings.set_default(name, value).map_err(|e| PgError::internal(e.message))?;
    }
    for (k, v) in params {
        if k == "options" {
            for (name, value) in parse_options(v)? {
                settings.set_default(&name, &value)?;
            }
        } else {
            settings.apply_startup(k, v);
        }
    }
    if !user.is_empty() {
        let _ = settings.set("session_authorization", Some(user), false);
    }
    Ok(settings)
}

/// The server-wide defaults alone; an error names the bad setting (checked at start).
pub fn server_defaults(config: &Config) -> PgResult<Settings> {
    let mut settings = Settings::new(&config.server_version);
    for (name, value) in &config.session_defaults {
        settings.set_default(name, value)?;
    }
    Ok(settings)
}

/// Check every configured default and per-role setting, so a typo stops the server at
/// start rather than every session later.
pub fn validate(config: &Config) -> Result<(), String> {
    let mut settings = server_defaults(config).map_err(|e| e.message)?;
    for (user, values) in &config.role_settings {
        for (name, value) in values {
            settings.set_default(name, value).map_err(|e| format!("role settings of {user:?}: {}", e.message))?;
        }
    }
    Ok(())
}

/// The startup `options` string as libpq sends it (`-c a=1 --b=2`, `\ ` escapes a space).
fn parse_options(options: &str) -> PgResult<Vec<(String, String)>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = options.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => word.extend(chars.next()),
            c if c.is_ascii_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut out = Vec::new();
    let mut words = words.into_iter();
    while let Some(w) = words.next() {
        let pair = match w.as_str() {
            "-c" => words.next().unwrap_or_default(),
            _ if w.starts_with("--") => w[2..].to_owned(),
            _ if w.starts_with("-c") => w[2..].to_owned(),
            _ => return Err(invalid_option(&w)),
        };
        let Some((name, value)) = pair.split_once('=') else {
            return Err(PgError::fatal(sqlstate::SYNTAX_ERROR, format!("--{pair} requires a value")));
        };
        // PostgreSQL accepts dashes for underscores in names given this way.
        out.push((name.replace('-', "_"), value.to_owned()));
    }
    Ok(out)
}

fn invalid_option(word: &str) -> PgError {
    PgError::fatal(sqlstate::SYNTAX_ERROR, format!("invalid command-line argument for server process: {word}"))
        .with_hint("Try \"postgres --help\" for more information.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn options_as_libpq_sends_them() {
        assert_eq!(
            parse_options("-c statement_timeout=5s  --lock-timeout=1s -capplication_name=a\\ b").unwrap(),
            pairs(&[("statement_timeout", "5s"), ("lock_timeout", "1s"), ("application_name", "a b")])
        );
        assert!(parse_options("-x").is_err());
        assert!(parse_options("-c statement_timeout").is_err());
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
        assert_eq!(start("bob", "-c statement_timeout=soon").unwrap_err().code, sqlstate::INVALID_PARAMETER_VALUE);
        config.role_settings.insert("carol".into(), pairs(&[("lock_timeout", "-5")]));
        assert!(validate(&config).is_err());
    }
}
