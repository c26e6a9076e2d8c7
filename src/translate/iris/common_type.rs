//! IRIS: the branches of CASE, COALESCE, GREATEST and LEAST are cast to the numeric type
//! PostgreSQL resolves for them (common_type.rs) when they differ, so IRIS computes the
//! result in that type: `CASE WHEN .. THEN 0 ELSE CAST(? AS NUMERIC(38,18)) END` would
//! otherwise be typed by its INTEGER branch and lose the fraction.
//! The items of UNION / INTERSECT / EXCEPT selects are cast the same way, column by
//! column (IRIS has no multi-row VALUES, so VALUES lists need nothing here). Branches
//! that are table columns are left to IRIS: translation knows no column types.

use sqlparser::ast::{CastKind, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, SelectItem, SetExpr};

use super::functions::cast_type;
use crate::error::PgResult;
use crate::translate::common_type::{common_type, Input};
use crate::translate::pgtype::PgKind;
use crate::translate::projection::{input_type, Env};
use crate::translate::IrisOptions;
use crate::types;

pub fn rewrite(e: &mut Expr, opts: &IrisOptions) -> PgResult<()> {
    let branches: Vec<&mut Expr> = match e {
        Expr::Case { conditions, else_result, .. } => {
            conditions.iter_mut().map(|c| &mut c.result).chain(else_result.as_deref_mut()).collect()
        }
        Expr::Function(f) => {
            let name = f.name.0.last().map(|p| p.to_string().to_ascii_lowercase()).unwrap_or_default();
            if !matches!(name.as_str(), "coalesce" | "greatest" | "least") {
                return Ok(());
            }
            let FunctionArguments::List(list) = &mut f.args else { return Ok(()) };
            list.args
                .iter_mut()
                .filter_map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                    _ => None,
                })
                .collect()
        }
        _ => return Ok(()),
    };
    cast_to_common(branches, opts)
}

/// UNION / INTERSECT / EXCEPT: each column's items cast to the column's common type.
pub fn set_operation(body: &mut SetExpr, opts: &IrisOptions) -> PgResult<()> {
    if !matches!(body, SetExpr::SetOperation { .. }) {
        return Ok(());
    }
    let mut leaves = Vec::new();
    leaf_items(body, &mut leaves);
    let Some(width) = leaves.first().map(|l| l.len()) else { return Ok(()) };
    if leaves.iter().any(|l| l.len() != width) {
        return Ok(());
    }
    let mut columns: Vec<Vec<&mut Expr>> = (0..width).map(|_| Vec::new()).collect();
    for leaf in leaves {
        for (i, item) in leaf.into_iter().enumerate() {
            columns[i].push(item);
        }
    }
    for column in columns {
        cast_to_common(column, opts)?;
    }
    Ok(())
}

/// The select-list expressions of each SELECT of a set operation (None: a wildcard).
fn leaf_items<'a>(body: &'a mut SetExpr, out: &mut Vec<Vec<&'a mut Expr>>) {
    match body {
        SetExpr::SetOperation { left, right, .. } => {
            leaf_items(left, out);
            leaf_items(right, out);
        }
        SetExpr::Select(s) => out.push(
            s.projection
                .iter_mut()
                .filter_map(|i| match i {
                    SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => Some(e),
                    _ => None,
                })
                .collect(),
        ),
        SetExpr::Query(q) => leaf_items(&mut q.body, out),
        _ => out.push(Vec::new()),
    }
}

fn cast_to_common(branches: Vec<&mut Expr>, opts: &IrisOptions) -> PgResult<()> {
    let inputs: Vec<Input> = branches.iter().map(|b| iris_input(b)).collect();
    let Some(target) = common_type(inputs.iter().copied()) else { return Ok(()) };
    let Some(kind) = numeric_kind(target) else { return Ok(()) };
    let differs = |i: &Input| matches!(i, Input::Known(t) if *t != target);
    if !inputs.iter().any(differs) {
        return Ok(());
    }
    // Branches the SQL cannot type (columns) are left to IRIS: their type is not known here.
    let data_type = cast_type(&kind, opts)?;
    for (branch, input) in branches.into_iter().zip(inputs) {
        if differs(&input) {
            let inner = std::mem::replace(branch, Expr::Value(sqlparser::ast::Value::Null.into()));
            *branch =
                Expr::Cast { kind: CastKind::Cast, expr: Box::new(inner), data_type: data_type.clone(), format: None };
        }
    }
    Ok(())
}

/// A branch as an input of the resolution; its children are IRIS SQL already, so a cast
/// names an IRIS type.
fn iris_input(e: &Expr) -> Input {
    use types::*;
    if let Expr::Cast { data_type, .. } = e {
        let spelled = data_type.to_string().to_ascii_uppercase();
        let base = spelled.split('(').next().unwrap_or_default().trim();
        let t = match base {
            "SMALLINT" => INT2.oid,
            "INTEGER" => INT4.oid,
            "BIGINT" => INT8.oid,
            "NUMERIC" => NUMERIC.oid,
            "REAL" => FLOAT4.oid,
            "DOUBLE" => FLOAT8.oid,
            _ => return Input::Opaque,
        };
        return Input::Known(t);
    }
    input_type(&Env::default(), e)
}

/// The PostgreSQL numeric types whose IRIS counterparts differ in scale or range.
fn numeric_kind(t: types::Oid) -> Option<PgKind> {
    use types::*;
    Some(match t {
        t if t == INT8.oid => PgKind::Int8,
        t if t == NUMERIC.oid => PgKind::Numeric(None),
        t if t == FLOAT4.oid || t == FLOAT8.oid => PgKind::Float8,
        _ => return None,
    })
}
