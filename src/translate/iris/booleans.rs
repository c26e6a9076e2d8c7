//! Booleans on IRIS: BIT values (0/1) versus predicates.
//!
//! PostgreSQL lets a boolean be a value or a condition anywhere; IRIS keeps the two apart.
//! Every node is classified after its children are rewritten: a value where a condition
//! is needed becomes `v = 1`; a condition where a value is needed becomes a CASE that
//! keeps NULL for unknown (PostgreSQL's three-valued result, never silently 0).

use sqlparser::ast::{BinaryOperator, CaseWhen, Expr, UnaryOperator, Value};

use crate::translate::ast_util::*;

/// True when IRIS treats the expression as a condition, not a value.
pub fn is_predicate(e: &Expr) -> bool {
    match e {
        Expr::BinaryOp { op, .. } => matches!(
            op,
            BinaryOperator::Eq
                | BinaryOperator::NotEq
                | BinaryOperator::Lt
                | BinaryOperator::LtEq
                | BinaryOperator::Gt
                | BinaryOperator::GtEq
                | BinaryOperator::And
                | BinaryOperator::Or
                | BinaryOperator::PGRegexMatch
                | BinaryOperator::PGRegexIMatch
                | BinaryOperator::PGRegexNotMatch
                | BinaryOperator::PGRegexNotIMatch
                | BinaryOperator::AtArrow
                | BinaryOperator::ArrowAt
        ),
        Expr::UnaryOp { op: UnaryOperator::Not, .. } => true,
        Expr::Nested(inner) => is_predicate(inner),
        Expr::IsUnknown(_)
        | Expr::IsNotUnknown(_)
        | Expr::In { .. }
        | Expr::Between { .. }
        | Expr::Like { .. }
        | Expr::ILike { .. }
        | Expr::AnyOp { .. }
        | Expr::AllOp { .. } => true,
        // IS [NOT] NULL/TRUE/FALSE, EXISTS, IS [NOT] DISTINCT FROM.
        e => never_null(e),
    }
}

/// Never NULL: such a predicate converts to a two-branch CASE.
fn never_null(e: &Expr) -> bool {
    match e {
        Expr::Nested(inner) => never_null(inner),
        Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::IsTrue(_)
        | Expr::IsFalse(_)
        | Expr::IsNotTrue(_)
        | Expr::IsNotFalse(_)
        | Expr::Exists { .. }
        | Expr::IsDistinctFrom(..)
        | Expr::IsNotDistinctFrom(..) => true,
        _ => false,
    }
}

/// The expression as a condition.
pub fn to_predicate(e: Expr) -> Expr {
    if is_predicate(&e) {
        return e;
    }
    binop(nested(e), BinaryOperator::Eq, num(1))
}

/// The expression as a BIT value.
pub fn to_value(e: Expr) -> Expr {
    if !is_predicate(&e) {
        return e;
    }
    let mut conditions = vec![CaseWhen { condition: e.clone(), result: num(1) }];
    let else_result = if never_null(&e) {
        Some(Box::new(num(0)))
    } else {
        conditions.push(CaseWhen {
            condition: Expr::UnaryOp { op: UnaryOperator::Not, expr: Box::new(nested(e)) },
            result: num(0),
        });
        None
    };
    Expr::Case {
        case_token: sqlparser::ast::helpers::attached_token::AttachedToken::empty(),
        end_token: sqlparser::ast::helpers::attached_token::AttachedToken::empty(),
        operand: None,
        conditions,
        else_result,
    }
}

/// Fix the contexts of one node's direct children (called children-first).
pub fn rewrite(e: &mut Expr) -> Option<Expr> {
    fn fix_pred(b: &mut Box<Expr>) {
        let inner = std::mem::replace(b.as_mut(), null());
        **b = to_predicate(inner);
    }
    fn fix_value(b: &mut Box<Expr>) {
        let inner = std::mem::replace(b.as_mut(), null());
        **b = to_value(inner);
    }
    match e {
        Expr::Value(v) => {
            if let Value::Boolean(b) = v.value {
                return Some(num(u8::from(b)));
            }
        }
        Expr::BinaryOp { left, op: BinaryOperator::And | BinaryOperator::Or, right } => {
            fix_pred(left);
            fix_pred(right);
        }
        Expr::BinaryOp { left, right, .. } => {
            fix_value(left);
            fix_value(right);
        }
        Expr::UnaryOp { op: UnaryOperator::Not, expr } => {
            fix_pred(expr);
            if !matches!(expr.as_ref(), Expr::Nested(_)) {
                let inner = std::mem::replace(expr.as_mut(), null());
                **expr = nested(inner);
            }
        }
        Expr::Case { operand: None, conditions, else_result, .. } => {
            for c in conditions.iter_mut() {
                c.condition = to_predicate(std::mem::replace(&mut c.condition, null()));
                c.result = to_value(std::mem::replace(&mut c.result, null()));
            }
            if let Some(r) = else_result {
                fix_value(r);
            }
        }
        Expr::Case { operand: Some(op), conditions, else_result, .. } => {
            fix_value(op);
            for c in conditions.iter_mut() {
                c.condition = to_value(std::mem::replace(&mut c.condition, null()));
                c.result = to_value(std::mem::replace(&mut c.result, null()));
            }
            if let Some(r) = else_result {
                fix_value(r);
            }
        }
        // IS TRUE / IS FALSE never yield NULL: written so NULL lands on the right side.
        Expr::IsTrue(x) => return Some(truth_test(x, true, false)),
        Expr::IsNotTrue(x) => return Some(truth_test(x, true, true)),
        Expr::IsFalse(x) => return Some(truth_test(x, false, false)),
        Expr::IsNotFalse(x) => return Some(truth_test(x, false, true)),
        Expr::IsUnknown(x) => return Some(Expr::IsNull(Box::new(to_value(std::mem::replace(x.as_mut(), null()))))),
        Expr::IsNotUnknown(x) => {
            return Some(Expr::IsNotNull(Box::new(to_value(std::mem::replace(x.as_mut(), null())))))
        }
        Expr::IsNull(x) | Expr::IsNotNull(x) => fix_value(x),
        Expr::Between { expr, low, high, .. } => {
            fix_value(expr);
            fix_value(low);
            fix_value(high);
        }
        Expr::In { expr, .. } => fix_value(expr),
        Expr::Function(f) => {
            if let sqlparser::ast::FunctionArguments::List(list) = &mut f.args {
                for a in list.args.iter_mut() {
                    if let sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Expr(x)) = a {
                        *x = to_value(std::mem::replace(x, null()));
                    }
                }
            }
            if let Some(filter) = &mut f.filter {
                fix_pred(filter);
            }
        }
        Expr::Cast { expr, .. } => fix_value(expr),
        _ => {}
    }
    None
}

/// `x IS [NOT] TRUE/FALSE` as a condition that is never NULL.
fn truth_test(x: &mut Box<Expr>, truth: bool, negated: bool) -> Expr {
    let v = to_value(std::mem::replace(x.as_mut(), null()));
    // NULL counts as "not true" and "not false".
    match (truth, negated) {
        (true, false) => binop(func("COALESCE", vec![v, num(0)]), BinaryOperator::Eq, num(1)),
        (true, true) => binop(func("COALESCE", vec![v, num(0)]), BinaryOperator::Eq, num(0)),
        (false, false) => binop(func("COALESCE", vec![v, num(1)]), BinaryOperator::Eq, num(0)),
        (false, true) => binop(func("COALESCE", vec![v, num(1)]), BinaryOperator::Eq, num(1)),
    }
}
