//! pg_typeof: the values of the markers the translator put in place of its calls
//! (translate/type_of.rs), from the statement's parameter types and the gateway's type
//! inference, with the column probe for column references. They depend only on types,
//! so a prepared statement computes them once, at Parse.

use sqlparser::ast::{Expr, Value};

use super::*;
use crate::translate::expr_type_in;

impl Session {
    /// One value per `Translated::typeof_args`, appended to the client's parameters: the
    /// type's OID (regtype), or its name under `::text`.
    pub(super) async fn typeof_params(&mut self, stmt: &Translated, param_types: &[Oid]) -> PgResult<Vec<Param>> {
        if stmt.typeof_args.is_empty() {
            return Ok(Vec::new());
        }
        let mut env = Env { params: param_types.to_vec(), ..Env::default() };
        let known = |env: &Env| stmt.typeof_args.iter().map(|a| arg_type(env, &a.expr)).collect::<Vec<_>>();
        let mut oids = known(&env);
        if let (true, Some(probe), Some(source)) =
            (oids.contains(&None), stmt.column_probe.as_ref(), stmt.source.as_ref())
        {
            if let Ok(probed) = self.describe_probe(&probe.sql).await {
                for (key, col) in crate::translate::nested_refs(source).iter().zip(&probed) {
                    if let Some(t) = col.ty {
                        env.columns.insert(key.clone(), t.oid);
                    }
                }
                oids = known(&env);
            }
        }
        stmt.typeof_args
            .iter()
            .zip(oids)
            .map(|(arg, oid)| {
                let oid = oid.ok_or_else(|| {
                    PgError::unsupported(format!("pg_typeof({}): the type of this expression is not known", arg.expr))
                        .with_hint("pg_typeof answers for parameters, literals, casts, columns and expressions of them")
                })?;
                Ok(match arg.as_name {
                    true => Param::Text(crate::types::format_type(oid as i64, None).unwrap_or(oid.to_string())),
                    false => Param::Int(oid as i64),
                })
            })
            .collect()
    }
}

/// The type PostgreSQL gives the argument: a parameter's as Parse fixed it, an untyped
/// literal or NULL `unknown`, anything else as the result columns are inferred.
fn arg_type(env: &Env, e: &Expr) -> Option<Oid> {
    match e {
        Expr::Nested(inner) => arg_type(env, inner),
        Expr::Value(v) => match &v.value {
            Value::Placeholder(p) => {
                let n: usize = p.strip_prefix('$')?.parse().ok()?;
                env.params.get(n.checked_sub(1)?).copied().filter(|t| *t != 0)
            }
            Value::SingleQuotedString(_) | Value::EscapedStringLiteral(_) | Value::Null => {
                Some(crate::types::UNKNOWN.oid)
            }
            _ => expr_type_in(env, e),
        },
        _ => expr_type_in(env, e),
    }
}
