//! A session's own DDL on IRIS while its transaction is open.
//!
//! The translator's known columns (vector columns, declared types) come from catalog
//! snapshots, which run on another backend connection: a table created or altered in a
//! transaction that has not committed is not in them. The session keeps the DDL it ran in
//! the transaction and translates with it applied over the shared columns; at COMMIT the
//! statements go to every session (`Translator::committed`), at ROLLBACK they are forgotten,
//! and ROLLBACK TO SAVEPOINT forgets what came after the savepoint.

use std::sync::Arc;

use sqlparser::ast::Statement;

use super::declared::changes_columns;

/// What a statement does to the known columns when it succeeds.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnsStep {
    /// DDL that changes them (`declared::changes_columns`).
    Ddl(Arc<Statement>),
    Savepoint(String),
    RollbackTo(String),
    Release(String),
}

/// The step of a (PostgreSQL) statement, if it has one.
pub fn columns_step(stmt: &Statement) -> Option<ColumnsStep> {
    let name = |n: &sqlparser::ast::Ident| n.value.to_ascii_lowercase();
    match stmt {
        Statement::Savepoint { name: n } => Some(ColumnsStep::Savepoint(name(n))),
        Statement::ReleaseSavepoint { name: n } => Some(ColumnsStep::Release(name(n))),
        Statement::Rollback { savepoint: Some(n), .. } => Some(ColumnsStep::RollbackTo(name(n))),
        s if changes_columns(s) => Some(ColumnsStep::Ddl(Arc::new(s.clone()))),
        _ => None,
    }
}

/// The DDL a session ran in its open transaction, with the savepoints set since the first.
#[derive(Debug, Default)]
pub struct OwnDdl {
    ddl: Vec<Arc<Statement>>,
    /// (savepoint, how many statements of `ddl` came before it).
    savepoints: Vec<(String, usize)>,
}

impl OwnDdl {
    pub fn is_empty(&self) -> bool {
        self.ddl.is_empty()
    }

    pub fn statements(&self) -> impl Iterator<Item = &Statement> {
        self.ddl.iter().map(|s| s.as_ref())
    }

    /// A statement with `step` succeeded. Returns DDL that is committed now (the session
    /// is in no transaction: the statement committed on its own).
    pub fn step(&mut self, step: &ColumnsStep, in_transaction: bool) -> Option<Arc<Statement>> {
        match step {
            ColumnsStep::Ddl(s) if !in_transaction => return Some(s.clone()),
            ColumnsStep::Ddl(s) => self.ddl.push(s.clone()),
            ColumnsStep::Savepoint(n) => self.savepoints.push((n.clone(), self.ddl.len())),
            // The latest savepoint of that name stays (PostgreSQL keeps it after a rollback to it).
            ColumnsStep::RollbackTo(n) => {
                if let Some(i) = self.savepoints.iter().rposition(|(s, _)| s == n) {
                    self.ddl.truncate(self.savepoints[i].1);
                    self.savepoints.truncate(i + 1);
                }
            }
            ColumnsStep::Release(n) => {
                if let Some(i) = self.savepoints.iter().rposition(|(s, _)| s == n) {
                    self.savepoints.truncate(i);
                }
            }
        }
        None
    }

    /// The transaction ended: its DDL, for the caller to publish when it committed.
    pub fn take(&mut self) -> Vec<Arc<Statement>> {
        self.savepoints.clear();
        std::mem::take(&mut self.ddl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(sql: &str) -> ColumnsStep {
        let stmt = sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, sql).unwrap();
        columns_step(&stmt[0]).unwrap()
    }

    #[test]
    fn rollback_to_a_savepoint_forgets_the_ddl_after_it() {
        let mut own = OwnDdl::default();
        assert!(own.step(&step("CREATE TABLE a (v vector(3))"), true).is_none());
        own.step(&step("SAVEPOINT s"), true);
        own.step(&step("CREATE TABLE b (v vector(3))"), true);
        own.step(&step("SAVEPOINT s"), true);
        own.step(&step("ALTER TABLE b ADD COLUMN w vector(2)"), true);
        own.step(&step("ROLLBACK TO SAVEPOINT s"), true);
        assert_eq!(own.statements().count(), 2, "the second savepoint s is the one rolled back to");
        own.step(&step("RELEASE SAVEPOINT s"), true);
        own.step(&step("ROLLBACK TO SAVEPOINT s"), true);
        assert_eq!(own.statements().count(), 1, "released, the first s remains");
        assert_eq!(own.take().len(), 1);
        assert!(own.is_empty());
    }

    #[test]
    fn ddl_outside_a_transaction_is_committed_at_once() {
        let mut own = OwnDdl::default();
        assert!(own.step(&step("DROP TABLE a"), false).is_some());
        assert!(own.is_empty());
        assert!(columns_step(
            &sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, "SELECT 1").unwrap()[0]
        )
        .is_none());
    }
}
