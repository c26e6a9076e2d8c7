//! The IRIS target.
use sqlparser::ast::Statement;
use super::{IrisOptions, Output};
use crate::error::PgResult;
pub fn translate(stmt: Statement, _opts: &IrisOptions) -> PgResult<Output> {
    Ok(Output::one(stmt.to_string(), matches!(stmt, Statement::Query(_))))
}
