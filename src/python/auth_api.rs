//! `_core.scram_verifier(...)`: the server's own verifier derivation (SASLprep, PBKDF2)
//! for `python -m iris_pgwire.users`, so the file and the server never disagree.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::auth::scram::{Verifier, DEFAULT_ITERATIONS, SALT_BYTES};

/// PostgreSQL's SCRAM-SHA-256 verifier of `password` in pg_authid's text form. Without
/// `salt`, a fresh random one (16 bytes, as PostgreSQL).
#[pyfunction]
#[pyo3(signature = (password, salt = None, iterations = DEFAULT_ITERATIONS))]
pub fn scram_verifier(py: Python<'_>, password: &str, salt: Option<Vec<u8>>, iterations: u32) -> PyResult<String> {
    if iterations == 0 {
        return Err(PyValueError::new_err("iterations must be at least 1"));
    }
    let password = password.to_owned();
    // PBKDF2 takes milliseconds: let other Python threads run meanwhile.
    let salt = salt.unwrap_or_else(|| rand::random::<[u8; SALT_BYTES]>().to_vec());
    Ok(py.detach(move || Verifier::from_password(&password, &salt, iterations)).encode())
}
