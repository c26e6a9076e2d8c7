//! `iris_pgwire.translate(...)`: the translator as a Python function (no server needed).

use pyo3::prelude::*;

use crate::error::PgError;
use crate::translate::{translate, Action, IrisOptions, Target};

/// Translate PostgreSQL SQL to the target dialect: one string per backend statement, with
/// `?` markers. Statements the gateway answers itself (SET/SHOW/RESET) give no string;
/// BEGIN/COMMIT/ROLLBACK give their target spelling. Errors raise
/// `iris_pgwire.errors.BackendError` with the SQLSTATE (0A000 for unsupported constructs)
/// and a hint naming what to do instead.
#[pyfunction]
#[pyo3(signature = (sql, target = "iris", iris_version = "2025.1", exact_strings = true))]
pub fn translate_sql(
    py: Python<'_>,
    sql: &str,
    target: &str,
    iris_version: &str,
    exact_strings: bool,
) -> PyResult<Vec<String>> {
    let target = match target.to_ascii_lowercase().as_str() {
        "sqlite" => Target::Sqlite,
        "iris" => {
            let version = IrisOptions::parse_version(iris_version).ok_or_else(|| {
                pyo3::exceptions::PyValueError::new_err(format!(
                    "bad IRIS version {iris_version:?}, expected e.g. \"2025.1\""
                ))
            })?;
            Target::Iris(IrisOptions { version, exact_strings, ..IrisOptions::default() })
        }
        other => {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "unknown target {other:?}: use \"iris\" or \"sqlite\""
            )))
        }
    };
    let translated = py.detach(|| translate(sql, &target));
    let translated = translated.map_err(|e| backend_error(py, e))?;
    let mut out = Vec::new();
    for t in translated {
        match t.action {
            Action::Execute { statements, .. } => out.extend(statements.into_iter().map(|s| s.sql)),
            Action::Begin { modes, .. } => {
                out.push("START TRANSACTION".into());
                out.extend(modes.into_iter().map(|s| s.sql));
            }
            Action::Commit => out.push("COMMIT".into()),
            Action::Rollback => out.push("ROLLBACK".into()),
            // Answered by the gateway itself (catalog queries by the catalog engine): nothing reaches the backend.
            Action::Set { .. }
            | Action::Show { .. }
            | Action::Reset { .. }
            | Action::Local(_)
            | Action::Catalog(_)
            | Action::Deallocate(_)
            | Action::Discard { .. }
            | Action::Copy(_)
            | Action::Fetch(_)
            | Action::CloseCursor(_)
            | Action::ExecutePrepared { .. }
            | Action::Listen(_)
            | Action::Unlisten(_)
            | Action::Notify { .. } => {}
            // The statement a cursor or prepared statement runs.
            Action::Declare(d) => out.extend(backend_sql(d.query.action)),
            Action::NotifyRows { rows, .. } => out.extend(rows.into_iter().map(|s| s.sql)),
            Action::Prepare(p) => out.extend(backend_sql(p.statement.action)),
        }
    }
    Ok(out)
}

/// A PostgreSQL error as `iris_pgwire.errors.BackendError` (SQLSTATE, message, detail, hint).
pub(crate) fn backend_error(py: Python<'_>, e: PgError) -> PyErr {
    let raised = py
        .import("iris_pgwire.errors")
        .and_then(|m| m.getattr("BackendError"))
        .and_then(|cls| cls.call1((e.code, e.message, e.detail, e.hint)));
    match raised {
        Ok(err) => PyErr::from_value(err),
        Err(import_failed) => import_failed,
    }
}

/// PostgreSQL's date_in then date_out: any date input PostgreSQL reads (ISO, BC, years past
/// 9999, 'infinity', month names in MDY order) as its ISO text; raises BackendError
/// (22007, 22008) for what PostgreSQL refuses. The sqlite backend's `pg_date` (`$1::date`).
#[pyfunction]
pub fn date_in(py: Python<'_>, text: &str) -> PyResult<String> {
    let utc = crate::types::TimeZone::default();
    crate::types::dtparse::parse_date(text, &utc)
        .map(crate::types::datetime::format_date)
        .map_err(|e| backend_error(py, e))
}

fn backend_sql(action: Action) -> Vec<String> {
    match action {
        Action::Execute { statements, .. } => statements.into_iter().map(|s| s.sql).collect(),
        _ => Vec::new(),
    }
}
