//! Collation and ordering on IRIS.
//!
//! IRIS string columns default to SQLUPPER: `=`, `<`, LIKE, IN compare case-insensitively.
//! With `IrisOptions::exact_strings` (the default) a column compared with a string literal
//! that contains letters is wrapped in `%EXACT(..)`, and LIKE always compares exactly.
//! Literals that look like dates, times, numbers or UUIDs are left alone: %EXACT would
//! compare a DATE column's internal value with the text. Comparisons with parameters keep
//! the column's collation; tables created through the gateway declare `COLLATE %EXACT`.
//!
//! NULL ordering: IRIS sorts NULL first ascending (verify); PostgreSQL sorts NULL last
//! ascending and first descending. An explicit null-rank key restores PostgreSQL's order.

use sqlparser::ast::{BinaryOperator, CaseWhen, Expr, OrderByExpr, OrderBySort, SelectItem};

use crate::translate::ast_util::*;

/// IRIS puts NULL before every value in ascending order (verify).
const IRIS_NULLS_FIRST_ASC: bool = true;

fn is_column(e: &Expr) -> bool {
    matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_))
}

/// A literal whose comparison result depends on letter case.
fn case_relevant(e: &Expr) -> bool {
    let Some(s) = string_literal(e) else { return false };
    if !s.chars().any(|c| c.is_alphabetic()) {
        return false;
    }
    !(looks_temporal(s) || looks_uuid(s) || s.trim().parse::<f64>().is_ok())
}

fn looks_temporal(s: &str) -> bool {
    let b = s.trim().as_bytes();
    // YYYY-MM-DD... or HH:MM...
    (b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[7] == b'-')
        || (b.len() >= 5 && b[..2].iter().all(u8::is_ascii_digit) && b[2] == b':')
        || matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "now" | "today" | "tomorrow" | "yesterday" | "infinity" | "-infinity" | "epoch"
        )
}

fn looks_uuid(s: &str) -> bool {
    let t = s.trim().trim_matches(|c| c == '{' || c == '}');
    t.len() == 36
        && t.chars()
            .enumerate()
            .all(|(i, c)| if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() })
}

fn exact(e: &mut Expr) {
    let inner = std::mem::replace(e, null());
    *e = func("%EXACT", vec![inner]);
}

/// Wrap columns in %EXACT where the comparison's result depends on letter case.
pub fn rewrite(e: &mut Expr) {
    match e {
        Expr::BinaryOp {
            left,
            op:
                BinaryOperator::Eq
                | BinaryOperator::NotEq
                | BinaryOperator::Lt
                | BinaryOperator::LtEq
                | BinaryOperator::Gt
                | BinaryOperator::GtEq,
            right,
        } => {
            if is_column(left) && case_relevant(right) {
                exact(left);
            } else if is_column(right) && case_relevant(left) {
                exact(right);
            }
        }
        Expr::Like { expr, .. } if is_column(expr) => exact(expr),
        Expr::In { expr, target: sqlparser::ast::InTarget::List(list), .. }
            if is_column(expr) && list.iter().any(case_relevant) =>
        {
            exact(expr)
        }
        Expr::Between { expr, low, high, .. } if is_column(expr) && (case_relevant(low) || case_relevant(high)) => {
            exact(expr)
        }
        _ => {}
    }
}

/// The select-list expression behind an output alias.
pub fn aliased<'a>(projection: &'a [SelectItem], alias: &str) -> Option<&'a Expr> {
    projection.iter().find_map(|item| match item {
        SelectItem::ExprWithAlias { expr, alias: a } if a.value.eq_ignore_ascii_case(alias) => Some(expr),
        _ => None,
    })
}

/// Keys that cannot be NULL need no null-rank key (literals, COUNT, RAND).
fn never_null(e: &Expr) -> bool {
    match e {
        Expr::Value(v) => !matches!(v.value, sqlparser::ast::Value::Null),
        Expr::Function(f) => matches!(f.name.to_string().to_ascii_uppercase().as_str(), "COUNT" | "RAND"),
        _ => false,
    }
}

/// Add null-rank keys so NULLs sort where PostgreSQL puts them.
/// `projection` resolves ordinals (`ORDER BY 2`); None for set operations, which are left as is.
pub fn null_order(items: &mut Vec<OrderByExpr>, projection: Option<&[SelectItem]>) {
    let mut out = Vec::with_capacity(items.len() * 2);
    for item in items.drain(..) {
        let desc = matches!(item.options.sort, Some(OrderBySort::Desc));
        let pg_nulls_first = item.options.nulls_first.unwrap_or(desc);
        let iris_nulls_first = IRIS_NULLS_FIRST_ASC != desc;
        let key = match (&item.expr, projection) {
            _ if pg_nulls_first == iris_nulls_first => None,
            (e, Some(p)) => match (int_literal(e), e) {
                (Some(n), _) => match p.get((n as usize).wrapping_sub(1)) {
                    Some(SelectItem::UnnamedExpr(x)) | Some(SelectItem::ExprWithAlias { expr: x, .. }) => {
                        Some(x.clone())
                    }
                    _ => None,
                },
                (None, Expr::Identifier(i)) => Some(aliased(p, &i.value).cloned().unwrap_or_else(|| e.clone())),
                (None, _) => Some(e.clone()),
            },
            _ => None,
        };
        let key = key.filter(|k| !never_null(k));
        if let Some(k) = key {
            // rank 0 sorts first: NULLs get 0 when PostgreSQL wants them first.
            let (null_rank, value_rank) = if pg_nulls_first { (0, 1) } else { (1, 0) };
            out.push(OrderByExpr {
                expr: Expr::Case {
                    case_token: sqlparser::ast::helpers::attached_token::AttachedToken::empty(),
                    end_token: sqlparser::ast::helpers::attached_token::AttachedToken::empty(),
                    operand: None,
                    conditions: vec![CaseWhen { condition: Expr::IsNull(Box::new(k)), result: num(null_rank) }],
                    else_result: Some(Box::new(num(value_rank))),
                },
                options: Default::default(),
                with_fill: None,
            });
        }
        let mut item = item;
        item.options.nulls_first = None;
        out.push(item);
    }
    *items = out;
}
