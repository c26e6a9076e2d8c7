//! The PyO3 layer: the `_core` module's classes, and the calls into Python
//! backends (`backend.rs`), value conversions (`values.rs`) and the translator as a
//! Python function (`translate_api.rs`). No other module touches PyO3 types.

mod auth_api;
pub mod backend;
pub mod copy_io;
mod logging;
mod spans_api;
mod threads;
pub mod translate_api;
pub mod values;
mod worker_api;

use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use std::sync::Arc;

use crate::config::Config;
use crate::server;
use crate::workers::{Registry, WorkerBackend, WorkerCommand};

/// The wire server. `start()` returns once listening; sessions run on Rust threads,
/// so the Python main thread stays free to handle signals and call `stop()`.
#[pyclass(module = "iris_pgwire._core")]
struct Server {
    config: Config,
    backend: Option<Py<PyAny>>,
    /// Run connections on job workers started with this command (`--iris-jobs`).
    workers: Option<WorkerCommand>,
    jobs: Option<Arc<Registry>>,
    running: Option<server::Server>,
}

/// Set `$field` from `$cfg[$key]` when present and not None.
macro_rules! take {
    ($cfg:expr, $target:expr, $key:literal) => {
        if let Some(v) = $cfg.get_item($key)?.filter(|v| !v.is_none()) {
            $target = v.extract().map_err(|e| PyValueError::new_err(format!("{}: {e}", $key)))?;
        }
    };
}

#[pymethods]
impl Server {
    /// `config` keys: host, port, max_message_size, fetch_batch_rows, copy_batch_rows, max_connections,
    /// server_version, dialect, iris_version, translate_cache_entries, worker_threads,
    /// shutdown_timeout_secs, session_defaults, role_settings, iris_notify_interval_secs. Missing
    /// keys take the defaults.
    #[new]
    fn new(backend: Py<PyAny>, config: &Bound<'_, PyDict>) -> PyResult<Self> {
        let mut c = Config::default();
        take!(config, c.host, "host");
        take!(config, c.port, "port");
        take!(config, c.max_message_size, "max_message_size");
        take!(config, c.fetch_batch_rows, "fetch_batch_rows");
        take!(config, c.copy_batch_rows, "copy_batch_rows");
        take!(config, c.max_connections, "max_connections");
        take!(config, c.pool_size, "pool_size");
        take!(config, c.warm_pool, "warm_pool");
        take!(config, c.pool_timeout_secs, "pool_timeout_secs");
        take!(config, c.server_version, "server_version");
        take!(config, c.translate_cache_entries, "translate_cache_entries");
        take!(config, c.worker_threads, "worker_threads");
        take!(config, c.shutdown_timeout_secs, "shutdown_timeout_secs");
        take!(config, c.session_defaults, "session_defaults");
        take!(config, c.role_settings, "role_settings");
        take!(config, c.hba_file, "hba_file");
        take!(config, c.users_file, "users_file");
        take!(config, c.tls_cert, "tls_cert");
        take!(config, c.tls_key, "tls_key");
        take!(config, c.tls_client_ca, "tls_client_ca");
        take!(config, c.allow_password_without_tls, "allow_password_without_tls");
        take!(config, c.max_startup_packet_bytes, "max_startup_packet_bytes");
        take!(config, c.startup_timeout_secs, "startup_timeout_secs");
        take!(config, c.auth_timeout_secs, "auth_timeout_secs");
        take!(config, c.max_connections_per_user, "max_connections_per_user");
        take!(config, c.auth_failure_limit, "auth_failure_limit");
        take!(config, c.auth_failure_window_secs, "auth_failure_window_secs");
        take!(config, c.catalog_refresh_secs, "catalog_refresh_secs");
        take!(config, c.iris_notify_interval_secs, "iris_notify_interval_secs");
        take!(config, c.idle_in_transaction_session_timeout, "idle_in_transaction_session_timeout");
        take!(config, c.metrics_port, "metrics_port");
        take!(config, c.metrics_host, "metrics_host");
        take!(config, c.admin_users, "admin_users");
        take!(config, c.log_min_duration_ms, "log_min_duration_ms");
        take!(config, c.log_parameters, "log_parameters");
        take!(config, c.otel_endpoint, "otel_endpoint");
        let (mut dialect, mut iris_version) = (String::from("sqlite"), String::from("2025.1"));
        take!(config, dialect, "dialect");
        take!(config, iris_version, "iris_version");
        c.target = Config::target_from(&dialect, &iris_version).map_err(PyValueError::new_err)?;
        let mut unenforced_checks = false;
        take!(config, unenforced_checks, "iris_unenforced_checks");
        if let crate::translate::Target::Iris(o) = &mut c.target {
            o.unenforced_checks = unenforced_checks;
        }
        let mut workers: Option<(String, Vec<String>, Vec<(String, String)>)> = None;
        take!(config, workers, "workers");
        let workers = workers.map(|(program, args, env)| WorkerCommand { program, args, env });
        Ok(Server { config: c, backend: Some(backend), workers, jobs: None, running: None })
    }

    /// Bind and start serving; returns the (host, port) actually bound.
    fn start(&mut self, py: Python<'_>) -> PyResult<(String, u16)> {
        let backend = self.backend.take().ok_or_else(|| PyRuntimeError::new_err("server already started"))?;
        let (host, port) = (self.config.host.clone(), self.config.port);
        let local = Arc::new(backend::PyBackend::new(backend));
        let backend: Arc<dyn crate::backend::Backend> = match &self.workers {
            None => local,
            Some(command) => {
                let workers = WorkerBackend::new(local, command.clone());
                self.jobs = Some(workers.registry());
                Arc::new(workers)
            }
        };
        // Detached: the runtime's threads attach to Python as they start, and a warm pool
        // starts its job workers before this returns.
        let config = self.config.clone();
        let srv = py.detach(move || server::Server::start(config, backend)).map_err(|e| match e {
            server::StartError::Config(msg) => PyValueError::new_err(msg),
            server::StartError::Listen(e) => PyOSError::new_err(format!("cannot listen on {host}:{port}: {e}")),
        })?;
        let addr = srv.local_addr;
        self.running = Some(srv);
        Ok((addr.ip().to_string(), addr.port()))
    }

    /// Stop: refuse new connections, end sessions (FATAL 57P01), close backend connections.
    fn stop(&mut self, py: Python<'_>) {
        if let Some(mut srv) = self.running.take() {
            py.detach(move || srv.stop());
        }
    }

    /// Re-read the TLS certificate, key and client CA (SIGHUP). New connections use
    /// them; live sessions keep theirs. Returns False when TLS is off; raises ValueError
    /// (old files stay in use) when the new ones do not load.
    fn reload_tls(&self) -> PyResult<bool> {
        let Some(srv) = &self.running else { return Ok(false) };
        srv.reload_tls().map_err(PyValueError::new_err)
    }

    /// Re-read the users file (SIGHUP); returns the number of users, raises ValueError on error.
    fn reload_users(&self) -> PyResult<usize> {
        let Some(srv) = &self.running else { return Ok(0) };
        srv.reload_users().map_err(PyValueError::new_err)
    }

    /// Re-read the rules file (SIGHUP): new connections follow the new rules, live
    /// sessions stay. Returns the number of rules (None without --hba-file); raises
    /// ValueError (the old rules stay) when the file does not parse.
    fn reload_hba(&self) -> PyResult<Option<usize>> {
        let Some(srv) = &self.running else { return Ok(None) };
        srv.reload_hba().map_err(PyValueError::new_err)
    }

    /// The job workers (`--iris-jobs`): (pid, busy, seconds since start) each; empty
    /// when connections run in this process.
    fn jobs(&self) -> Vec<(u32, bool, f64)> {
        let Some(jobs) = &self.jobs else { return Vec::new() };
        jobs.jobs().into_iter().map(|j| (j.pid, j.busy, j.started.elapsed().as_secs_f64())).collect()
    }

    /// Stop: also every job worker (each rolls back and exits, or is killed).
    fn stop_jobs(&self, py: Python<'_>) {
        if let Some(jobs) = self.jobs.clone() {
            py.detach(move || jobs.stop_all());
        }
    }

    /// (host, port) of /metrics and /healthz, None without `metrics_port`.
    #[getter]
    fn metrics_address(&self) -> Option<(String, u16)> {
        let addr = self.running.as_ref()?.metrics_addr?;
        Some((addr.ip().to_string(), addr.port()))
    }

    /// The statement spans' queue for the OpenTelemetry exporter (python/iris_pgwire/otel.py);
    /// None unless started with `otel_endpoint`.
    fn span_queue(&self) -> Option<spans_api::SpanQueue> {
        self.running.as_ref()?.spans().map(spans_api::SpanQueue)
    }

    #[getter]
    fn running(&self) -> bool {
        self.running.as_ref().is_some_and(|s| s.is_running())
    }
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Rust log records go to Python's `logging` (logger names "_core::...").
    logging::install();
    m.add_class::<Server>()?;
    m.add_class::<spans_api::SpanQueue>()?;
    m.add_function(wrap_pyfunction!(translate_api::translate_sql, m)?)?;
    m.add_function(wrap_pyfunction!(translate_api::date_in, m)?)?;
    m.add_function(wrap_pyfunction!(auth_api::scram_verifier, m)?)?;
    m.add_function(wrap_pyfunction!(worker_api::serve_worker, m)?)?;
    m.add_function(wrap_pyfunction!(logging::set_log_level, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
