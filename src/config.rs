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
    /// Open every backend connection at start (job workers take a while to start).
    pub warm_pool: bool,
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
    /// `--metrics-port`: /metrics and /healthz over HTTP (None: not served).
    pub metrics_port: Option<u16>,
    pub metrics_host: String,
    /// Users who may open the admin console (database `iris_pgwire`) and signal any session.
    pub admin_users: Vec<String>,
    /// Log statements that took at least this many ms (-1: off, 0: all).
    pub log_min_duration_ms: i64,
    /// Slow-statement lines show the parameter values.
    pub log_parameters: bool,
    /// Seconds between takes of the notifications IRIS code queued (0: never; IRIS backends only).
    pub iris_notify_interval_secs: f64,
    /// Where the `otel` extra exports statement spans (OTLP/HTTP); None: no spans are made.
    pub otel_endpoint: Option<String>,
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
            warm_pool: false,
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
            metrics_port: None,
            metrics_host: "127.0.0.1".into(),
            admin_users: Vec::new(),
            log_min_duration_ms: -1,
            log_parameters: false,
            iris_notify_interval_secs: 0.25,
            otel_endpoint: None,
        }
    }
}

impl Config {
    /// (name, value, default, re-read by RELOAD) of the settings, for the admin console's
    /// SHOW CONFIG.
    pub fn describe(&self) -> Vec<(&'static str, String, String, bool)> {
        let d = Config::default();
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let secs = |v: f64| format!("{v}");
        vec![
            ("host", self.host.clone(), d.host.clone(), false),
            ("port", self.port.to_string(), d.port.to_string(), false),
            ("max_connections", self.max_connections.to_string(), d.max_connections.to_string(), false),
            ("pool_size", self.pool_size.to_string(), d.pool_size.to_string(), false),
            ("pool_timeout", secs(self.pool_timeout_secs), secs(d.pool_timeout_secs), false),
            ("max_message_size", self.max_message_size.to_string(), d.max_message_size.to_string(), false),
            ("fetch_batch_rows", self.fetch_batch_rows.to_string(), d.fetch_batch_rows.to_string(), false),
            ("copy_batch_rows", self.copy_batch_rows.to_string(), d.copy_batch_rows.to_string(), false),
            ("worker_threads", self.worker_threads.to_string(), d.worker_threads.to_string(), false),
            ("catalog_refresh", secs(self.catalog_refresh_secs), secs(d.catalog_refresh_secs), false),
            ("shutdown_timeout", secs(self.shutdown_timeout_secs), secs(d.shutdown_timeout_secs), false),
            ("startup_timeout", secs(self.startup_timeout_secs), secs(d.startup_timeout_secs), false),
            ("auth_timeout", secs(self.auth_timeout_secs), secs(d.auth_timeout_secs), false),
            (
                "max_connections_per_user",
                self.max_connections_per_user.to_string(),
                d.max_connections_per_user.to_string(),
                false,
            ),
            ("auth_failure_limit", self.auth_failure_limit.to_string(), d.auth_failure_limit.to_string(), false),
            ("auth_failure_window", secs(self.auth_failure_window_secs), secs(d.auth_failure_window_secs), false),
            ("hba_file", opt(&self.hba_file), String::new(), true),
            ("users_file", opt(&self.users_file), String::new(), true),
            ("tls_cert", opt(&self.tls_cert), String::new(), true),
            ("tls_key", opt(&self.tls_key), String::new(), true),
            ("tls_client_ca", opt(&self.tls_client_ca), String::new(), true),
            (
                "allow_password_without_tls",
                self.allow_password_without_tls.to_string(),
                d.allow_password_without_tls.to_string(),
                false,
            ),
            (
                "idle_in_transaction_session_timeout",
                self.idle_in_transaction_session_timeout.clone(),
                d.idle_in_transaction_session_timeout.clone(),
                false,
            ),
            ("metrics_host", self.metrics_host.clone(), d.metrics_host.clone(), false),
            ("metrics_port", self.metrics_port.map(|p| p.to_string()).unwrap_or_default(), String::new(), false),
            ("admin_users", self.admin_users.join(","), String::new(), false),
            (
                "log_min_duration_statement",
                self.log_min_duration_ms.to_string(),
                d.log_min_duration_ms.to_string(),
                false,
            ),
            ("log_parameters", self.log_parameters.to_string(), d.log_parameters.to_string(), false),
            ("otel_endpoint", opt(&self.otel_endpoint), String::new(), false),
            ("server_version", self.server_version.clone(), d.server_version.clone(), false),
        ]
    }

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
