//! SQL-level prepared statements: PREPARE / EXECUTE (DEALLOCATE is in mod.rs, shared with
//! the protocol's statements). They share the extended protocol's namespace, as in
//! PostgreSQL: `PREPARE p` is the statement a Parse named `p` would make, and EXECUTE runs
//! it like an Execute of a portal bound from it, with its cached shape.

use super::{Done, Session};
use crate::error::{sqlstate, PgError, PgResult};
use crate::translate::{Action, PrepareStatement};
use crate::types::{self, Format};

impl Session {
    pub(super) async fn prepare_sql(&mut self, p: &PrepareStatement) -> PgResult<Done> {
        if self.statements.contains_key(&p.name) {
            return Err(PgError::new(
                sqlstate::DUPLICATE_PREPARED_STATEMENT,
                format!("prepared statement \"{}\" already exists", p.name),
            ));
        }
        let prepared = self.prepare_translated(Some(p.statement.clone()), &p.text, p.param_types.clone()).await?;
        self.statements.insert(p.name.clone(), prepared);
        Ok(Done { tag: "PREPARE".into() })
    }

    pub(super) async fn execute_prepared(
        &mut self,
        name: &str,
        args: &[Option<String>],
        result_formats: &[i16],
        describe_rows: bool,
    ) -> PgResult<Done> {
        let prepared = self.statements.get(name).cloned().ok_or_else(|| {
            PgError::new(sqlstate::INVALID_SQL_STATEMENT_NAME, format!("prepared statement \"{name}\" does not exist"))
        })?;
        let param_types = prepared.param_types();
        if args.len() != param_types.len() {
            return Err(PgError::new(
                sqlstate::SYNTAX_ERROR,
                format!("wrong number of parameters for prepared statement \"{name}\""),
            )
            .with_detail(format!("Expected {} parameters but got {}.", param_types.len(), args.len())));
        }
        let ctx = self.settings.type_ctx();
        let mut params = args
            .iter()
            .zip(param_types)
            .map(|(arg, oid)| types::decode_param(arg.as_deref().map(str::as_bytes), *oid, Format::Text, ctx))
            .collect::<PgResult<Vec<_>>>()?;
        params.extend(prepared.typeof_params.iter().cloned());
        let Some(stmt) = prepared.statement() else {
            return Err(PgError::internal("an empty prepared statement"));
        };
        match &stmt.action {
            Action::Execute { statements, .. } if !statements.is_empty() => {
                let expect = prepared.expect(result_formats, describe_rows);
                self.run_to_end(stmt, &params, expect).await
            }
            // Catalog queries and session functions: answered as they are without PREPARE.
            _ => Box::pin(self.run_statement(stmt, "", &params, result_formats, describe_rows)).await,
        }
    }
}
