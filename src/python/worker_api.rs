//! `serve_worker(backend)`: the job worker's main loop, for `python -m iris_pgwire.worker`.

use std::os::fd::FromRawFd;
use std::os::unix::net::UnixStream;

use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;

use super::backend::PyBackend;
use crate::workers::{serve::serve, WORKER_FD};

/// Serve the gateway that started this process on the socket it passed as fd 3, running
/// every request on one connection of `backend`; returns when the gateway closes it.
#[pyfunction]
pub fn serve_worker(py: Python<'_>, backend: Py<PyAny>) -> PyResult<()> {
    // The gateway set fd 3 up between fork and exec; nothing else owns it.
    let stream = unsafe { UnixStream::from_raw_fd(WORKER_FD) };
    let backend = PyBackend::new(backend);
    py.detach(move || serve(&backend, stream)).map_err(|e| PyOSError::new_err(format!("job worker: {e}")))
}
