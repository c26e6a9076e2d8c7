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
    /// Seconds to wait for sessions to finish at shutdown.
    pub shutdown_grace_secs: f64,
    /// Seconds between catalog snapshots of the backend's schema (0: only after DDL).
    pub catalog_refresh_secs: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: 5432,
            max_message_size: 64 * 1024 * 1024,
            fetch_batch_rows: 1000,
            max_connections: 1000,
            pool_size: 50,
            pool_timeout_secs: 30.0,
            server_version: "16.4 (iris-pgwire)".into(),
            target: Target::Sqlite,
            translate_cache_entries: 4096,
            worker_threads: 2,
            shutdown_grace_secs: 5.0,
            catalog_refresh_secs: 60.0,
        }
    }
}

impl Config {
    /// Parse a dialect name and IRIS version ("2025.1") into a translator target.
    pub fn target_from(dialect: &str, iris_version: &str) -> Result<Target, String> {
        match dialect {
            "sqlite" => Ok(Target::Sqlite),
            "iris" => {
                let mut parts = iris_version.split('.');
                let major = parts.next().and_then(|p| p.parse().ok());
                let minor = parts.next().and_then(|p| p.parse().ok()).unwrap_or(1);
                match major {
                    Some(major) => Ok(Target::Iris(IrisOptions { version: (major, minor), ..IrisOptions::default() })),
                    None => Err(format!("invalid IRIS version {iris_version:?}: expected e.g. 2025.1")),
                }
            }
            other => Err(format!("unknown SQL dialect {other:?}: expected sqlite or iris")),
        }
    }
}
