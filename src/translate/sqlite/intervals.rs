//! Interval operators on the sqlite target. Intervals are stored as their canonical text
//! (datetime_literals::interval_text), so comparisons and arithmetic go through the
//! backend's functions (backends/sqlite_intervals.py): `pg_interval_cmp` compares by
//! PostgreSQL's span (1 mon = 30 days, 1 day = 24 hours), `pg_interval_add` / `_sub` /
//! `_mul` / `_div` compute interval ± interval, timestamp/date ± interval, interval × n.

use sqlparser::ast::{BinaryOperator, Expr, UnaryOperator};

use crate::translate::ast_util::*;
use crate::translate::pgtype::is_interval;

/// Rewrite `a op b` where the translator can tell an operand is an interval (seen before
/// the operands are translated, while a cast still says interval). An interval column is
/// not known here: compared with another column, it compares as text.
pub fn interval_ops(e: &mut Expr) {
    if let Expr::UnaryOp { op: UnaryOperator::Minus, expr } = e {
        if is_interval(expr) {
            *e = func("pg_interval_mul", vec![take(expr), num(-1)]);
        }
        return;
    }
    let Expr::BinaryOp { left, op, right } = e else { return };
    if !is_interval(left) && !is_interval(right) {
        return;
    }
    let call = |name: &str, l: &mut Box<Expr>, r: &mut Box<Expr>| func(name, vec![take(l), take(r)]);
    let new = match op {
        BinaryOperator::Eq
        | BinaryOperator::NotEq
        | BinaryOperator::Lt
        | BinaryOperator::LtEq
        | BinaryOperator::Gt
        | BinaryOperator::GtEq => binop(call("pg_interval_cmp", left, right), op.clone(), num(0)),
        BinaryOperator::Plus => call("pg_interval_add", left, right),
        BinaryOperator::Minus => call("pg_interval_sub", left, right),
        BinaryOperator::Multiply => call("pg_interval_mul", left, right),
        BinaryOperator::Divide => call("pg_interval_div", left, right),
        _ => return,
    };
    *e = new;
}
