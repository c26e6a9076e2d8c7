//! iris-pgwire core: a PostgreSQL wire-protocol server that executes through Python backends.

pub mod error;
pub mod translate;
pub mod types;

use pyo3::prelude::*;

#[pymodule]
fn _core(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
