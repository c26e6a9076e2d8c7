//! pgvector on IRIS: distance operators, vector literals and HNSW index DDL.
//!
//! `<=>` (cosine distance) and `<#>` (negative inner product) map to IRIS similarity
//! functions; in `ORDER BY .. LIMIT k` they are ordered by the similarity itself, DESC,
//! with TOP k, the shape IRIS's HNSW index serves. `<->` (Euclidean) has no IRIS
//! function: it is computed from dot products, correct but never index-assisted.

use sqlparser::ast::{self, BinaryOperator, Expr, OrderByExpr, OrderBySort};

use crate::error::PgResult;
use crate::translate::ast_util::*;

/// `TO_VECTOR(x, DOUBLE[, n])` for a literal, parameter or other non-vector operand.
pub fn to_vector(e: Expr, dim: Option<u64>) -> Expr {
    let mut args = vec![e, Expr::Identifier(ident("DOUBLE"))];
    if let Some(n) = dim {
        args.push(num(n));
    }
    func("TO_VECTOR", args)
}

/// Operands written as literals or parameters are vectors in text form.
fn operand(e: Expr) -> Expr {
    match &e {
        Expr::Value(_) => to_vector(e, None),
        _ => e,
    }
}

fn is_vector_op(op: &BinaryOperator) -> bool {
    matches!(op, BinaryOperator::LtDashGt | BinaryOperator::Spaceship)
        || matches!(op, BinaryOperator::Custom(s) if s == "<#>")
}

/// Rewrite a pgvector distance operator node.
pub fn rewrite(e: &mut Expr) -> PgResult<Option<Expr>> {
    let Expr::BinaryOp { left, op, right } = e else { return Ok(None) };
    if !is_vector_op(op) {
        return Ok(None);
    }
    let a = operand(std::mem::replace(left.as_mut(), null()));
    let b = operand(std::mem::replace(right.as_mut(), null()));
    Ok(Some(match op {
        BinaryOperator::Spaceship => nested(binop(num(1), BinaryOperator::Minus, func("VECTOR_COSINE", vec![a, b]))),
        BinaryOperator::LtDashGt => {
            let dot = |x: &Expr, y: &Expr| func("VECTOR_DOT_PRODUCT", vec![x.clone(), y.clone()]);
            let sum = binop(
                binop(dot(&a, &a), BinaryOperator::Minus, binop(num(2), BinaryOperator::Multiply, dot(&a, &b))),
                BinaryOperator::Plus,
                dot(&b, &b),
            );
            func("SQRT", vec![sum])
        }
        _ => nested(Expr::UnaryOp {
            op: ast::UnaryOperator::Minus,
            expr: Box::new(func("VECTOR_DOT_PRODUCT", vec![a, b])),
        }),
    }))
}

/// In ORDER BY, order by the similarity itself, reversed: `(1 - VECTOR_COSINE(..)) ASC`
/// becomes `VECTOR_COSINE(..) DESC`. IRIS puts NULLs last in DESC, as PostgreSQL does
/// for ASC, so the order is unchanged. Returns true when the item was rewritten.
pub fn order_by_similarity(item: &mut OrderByExpr) -> bool {
    let inner = match &item.expr {
        Expr::Nested(n) => match n.as_ref() {
            Expr::BinaryOp { left, op: BinaryOperator::Minus, right }
                if int_literal(left) == Some(1) && is_call(right, "VECTOR_COSINE") =>
            {
                right.as_ref().clone()
            }
            Expr::UnaryOp { op: ast::UnaryOperator::Minus, expr } if is_call(expr, "VECTOR_DOT_PRODUCT") => {
                expr.as_ref().clone()
            }
            _ => return false,
        },
        _ => return false,
    };
    if item.options.nulls_first.is_some() {
        return false;
    }
    let desc = matches!(item.options.sort, Some(OrderBySort::Desc));
    item.expr = inner;
    item.options.sort = Some(if desc { OrderBySort::Asc } else { OrderBySort::Desc });
    true
}

fn is_call(e: &Expr, fname: &str) -> bool {
    matches!(e, Expr::Function(f) if f.name.to_string() == fname)
}

/// `CREATE INDEX .. USING hnsw (col vector_cosine_ops) WITH (m = .., ef_construction = ..)`
/// as IRIS HNSW DDL.
pub fn hnsw_index(ci: &ast::CreateIndex) -> PgResult<String> {
    if ci.columns.len() != 1 {
        return Err(refuse("HNSW index on several columns", "index one vector column"));
    }
    let col = &ci.columns[0];
    let distance = match col.operator_class.as_ref().map(|o| o.to_string().to_ascii_lowercase()).as_deref() {
        Some("vector_cosine_ops") => "Cosine",
        Some("vector_ip_ops") => "DotProduct",
        Some("vector_l2_ops") | None => {
            return Err(refuse(
                "HNSW index with Euclidean distance (vector_l2_ops)",
                "IRIS HNSW indexes use vector_cosine_ops or vector_ip_ops",
            ))
        }
        Some(other) => {
            return Err(refuse(&format!("operator class {other}"), "use vector_cosine_ops or vector_ip_ops"))
        }
    };
    let mut params = format!("Distance='{distance}'");
    for w in &ci.with {
        let Expr::BinaryOp { left, op: BinaryOperator::Eq, right } = w else {
            return Err(refuse("this HNSW index option", "use WITH (m = .., ef_construction = ..)"));
        };
        let key = left.to_string().to_ascii_lowercase();
        let Some(v) = int_literal(right) else {
            return Err(refuse("non-integer HNSW option", "give m and ef_construction as integers"));
        };
        match key.as_str() {
            "m" => params.push_str(&format!(", M={v}")),
            "ef_construction" => params.push_str(&format!(", efConstruction={v}")),
            other => return Err(refuse(&format!("HNSW option {other}"), "IRIS takes m and ef_construction")),
        }
    }
    let column = col.column.expr.to_string();
    let mut table = ci.table_name.clone();
    strip_public(&mut table);
    let index = match &ci.name {
        Some(n) => n.to_string(),
        None => format!("{}_{}_idx", table.to_string().replace('.', "_"), column.trim_matches('"')),
    };
    let ine = if ci.if_not_exists { "IF NOT EXISTS " } else { "" };
    Ok(format!("CREATE INDEX {ine}{index} ON {table} ({column}) AS HNSW({params})"))
}

/// Values stored into a vector column (`INSERT .. VALUES`, `UPDATE .. SET`): a parameter
/// or literal is text that IRIS does not convert by itself; `TO_VECTOR(x, DOUBLE)` does.
pub fn stored_value(e: &mut Expr) {
    if matches!(e, Expr::Value(v) if !matches!(v.value, ast::Value::Null)) {
        *e = to_vector(std::mem::replace(e, null()), None);
    }
}
