//! Server configuration as the Rust core sees it (the Python CLI builds it from
//! flags, environment variables and defaults; see python/iris_pgwire/config.py).

use crate::translate::{IrisOptions, Target};

#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    pub port: u16,
    /// Largest frontend message accepted; bigger ones get 54000 and the connection closes.
    pub max_message_size: usize,
    /// Rows moved from a backend cursor per call into Python.
    pub fetch_batch_rows: usize,
    /// Rows of a COPY FROM handed to the backend per executemany call.
    pub copy_batch_rows: usize,
    /// Client sessions accepted at once; more get 53300.
    pub max_connections: usize,
    /// Backend connections (IRIS jobs) shared by all sessions.
    pub pool_size: usize,
    /// Seconds a session waits for a free backend connection before 55P03.
    pub pool_timeout_secs: f64,
    /// Reported as server_version; PostgreSQL 16 so clients enable modern features.
    pub server_version: String,
    pub target: Target,
    pub translate_cache_entries: usize,
    pub worker_threads: usize,
    /// Seconds running statements may take to finish at shutdown before they are cancelled.
    pub shutdown_timeout_secs: f64,
    /// Server-wide session defaults (`--statement-timeout`, `--lock-timeout`).
    pub session_defaults: Vec<(String, String)>,
    /// Per-user session defaults (`--role-settings`: ALTER ROLE .. SET's place).
    pub role_settings: std::collections::HashMap<String, Vec<(String, String)>>,
    /// Access rules in pg_hba.conf format; None: trust from loopback only.
    pub hba_file: Option<String>,
    /// `name:SCRAM-SHA-256$...` lines for the scram-sha-256 and password methods.
    pub users_file: Option<String>,
    /// PEM certificate chain and key; TLS is offered only when both are set.
    pub tls_cert: Option<String>,
    pub tls_key: Option<String>,
    /// CA whose client certificates the `cert` method accepts.
    pub tls_client_ca: Option<String>,
    /// Let the `password` method ask for clear-text passwords on unencrypted connections.
    pub allow_password_without_tls: bool,
    /// Largest startup packet body (without its length word, as PostgreSQL counts); larger
    /// ones are logged and the connection closed.
    pub max_startup_packet_bytes: usize,
    /// Seconds a client has to send its startup packet (and finish TLS negotiation).
    pub startup_timeout_secs: f64,
    /// Seconds a client has to complete authentication (PostgreSQL's authentication_timeout).
    pub auth_timeout_secs: f64,
    /// Sessions one user may have at once (0: no limit beyond max_connections).
    pub max_connections_per_user: usize,
    /// Failed authentications from one address within the window before it is refused (0: off).
    pub auth_failure_limit: usize,
    pub auth_failure_window_secs: f64,
    /// Default of idle_in_transaction_session_timeout, in PostgreSQL's spelling ("0": off).
    pub idle_in_transaction_session_timeout: String,
    /// Seconds between catalog snapshots of the backend's schema (0: only after DDL).
    pub catalog_refresh_secs: f64,
    /// Seconds between takes of the notifications IRIS code queued (0: never; IRIS backends only).
    pub iris_notify_interval_secs: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: 5432,
            max_message_size: 64 * 1024 * 1024,
            fetch_batch_rows: 1000,
            copy_batch_rows: 5000,
            max_connections: 1000,
            pool_size: 50,
            pool_timeout_secs: 30.0,
            server_version: "16.4 (iris-pgwire)".into(),
            target: Target::Sqlite,
            translate_cache_entries: 4096,
            worker_threads: 2,
            shutdown_timeout_secs: 5.0,
            session_defaults: Vec::new(),
            role_settings: Default::default(),
            hba_file: None,
            users_file: None,
            tls_cert: None,
            tls_key: None,
            tls_client_ca: None,
            allow_password_without_tls: false,
            max_startup_packet_bytes: crate::protocol::frontend::MAX_STARTUP_PACKET,
            startup_timeout_secs: 10.0,
            auth_timeout_secs: 60.0,
            max_connections_per_user: 0,
            auth_failure_limit: 10,
            auth_failure_window_secs: 60.0,
            idle_in_transaction_session_timeout: "0".into(),
            catalog_refresh_secs: 60.0,
            iris_notify_interval_secs: 0.25,
        }
    }
}

impl Config {
    /// Parse a dialect name and IRIS version ("2025.1") into a translator target.
    pub fn target_from(dialect: &str, iris_version: &str) -> Result<Target, String> {
        match dialect {
            "sqlite" => Ok(Target::Sqlite),
            "iris" => match IrisOptions::parse_version(iris_version) {
                Some(version) => Ok(Target::Iris(IrisOptions::with_version(version))),
                None => Err(format!("invalid IRIS version {iris_version:?}: expected e.g. 2025.1")),
            },
            other => Err(format!("unknown SQL dialect {other:?}: expected sqlite or iris")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_reads_iris_versions_as_the_translator_does() {
        for v in ["2025", "2025.1", "2024.3", " 2025.2 "] {
            let expected = IrisOptions::parse_version(v).unwrap();
            match Config::target_from("iris", v).unwrap() {
                Target::Iris(o) => assert_eq!(o.version, expected, "{v}"),
                other => panic!("{other:?}"),
            }
        }
        assert!(Config::target_from("iris", "latest").is_err());
    }
}
