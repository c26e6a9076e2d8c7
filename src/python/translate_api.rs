//! `iris_pgwire.translate(...)`: the translator as a Python function (no server needed).

use pyo3::prelude::*;

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
    let translated = match translated {
        Ok(t) => t,
        Err(e) => {
            let cls = py.import("iris_pgwire.errors")?.getattr("BackendError")?;
            let err = cls.call1((e.code, e.message, e.detail, e.hint))?;
            return Err(PyErr::from_value(err));
        }
    };
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

fn backend_sql(action: Action) -> Vec<String> {
    match action {
        Action::Execute { statements, .. } => statements.into_iter().map(|s| s.sql).collect(),
        _ => Vec::new(),
    }
}
