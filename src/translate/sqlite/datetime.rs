//! Date arithmetic on the sqlite target: SQLite has no date type (dates are stored as
//! their ISO text, see datetime_literals.rs), so `date ± integer` / `date - date` become
//! SQLite date functions instead of adding numbers to the text's leading digits.

use sqlparser::ast::{BinaryOperator, DataType, Expr, Value};

use crate::translate::ast_util::*;
use crate::translate::pgtype::{kind, PgKind};

/// `date ± integer` and `date - date`, seen before the operands are translated (while a
/// cast still says date): SQLite's `date(d, '+n days')` and a difference of Julian days.
/// Only where the translator can tell an operand is a date (a cast to date, a date
/// literal, CURRENT_DATE); a date column is not known here and keeps SQLite's meaning.
pub fn date_arithmetic(e: &mut Expr) {
    let Expr::BinaryOp { left, op: op @ (BinaryOperator::Plus | BinaryOperator::Minus), right } = e else {
        return;
    };
    let minus = matches!(op, BinaryOperator::Minus);
    let new = match (is_date(left), is_date(right)) {
        (true, true) if minus => cast(
            binop(func("julianday", vec![take(left)]), BinaryOperator::Minus, func("julianday", vec![take(right)])),
            DataType::Integer(None),
        ),
        (true, false) if days_operand(right) => shift(take(left), take(right), minus),
        (false, true) if !minus && days_operand(left) => shift(take(right), take(left), false),
        _ => return,
    };
    *e = new;
}

fn shift(date: Expr, days: Expr, minus: bool) -> Expr {
    let mut days = cast(days, DataType::Integer(None));
    if minus {
        days = Expr::UnaryOp { op: sqlparser::ast::UnaryOperator::Minus, expr: Box::new(days) };
    }
    func("date", vec![date, func("printf", vec![string("%+d days"), days])])
}

/// An expression PostgreSQL types as date, by its form alone.
fn is_date(e: &Expr) -> bool {
    match e {
        Expr::Nested(inner) => is_date(inner),
        Expr::Cast { data_type, .. } => kind(data_type) == PgKind::Date,
        Expr::TypedString(ts) => kind(&ts.data_type) == PgKind::Date,
        Expr::Function(f) => func_name(f).is_some_and(|n| n == "current_date"),
        // (d + n) - d: a shifted date is still a date.
        Expr::BinaryOp { left, op: BinaryOperator::Plus | BinaryOperator::Minus, right }
            if is_date(left) && !is_date(right) && days_operand(right) =>
        {
            true
        }
        Expr::BinaryOp { left, op: BinaryOperator::Plus, right } => {
            is_date(right) && !is_date(left) && days_operand(left)
        }
        _ => false,
    }
}

/// The other operand of `date + x`: an integer (or an expression of unknown type, which
/// PostgreSQL would resolve to integer), not a time, interval or timestamp.
fn days_operand(e: &Expr) -> bool {
    match e {
        Expr::Nested(inner) => days_operand(inner),
        Expr::Interval(_) => false,
        Expr::Cast { data_type, .. } => matches!(kind(data_type), PgKind::Int2 | PgKind::Int4 | PgKind::Int8),
        Expr::TypedString(_) => false,
        Expr::Value(v) => match v.value {
            Value::Number(..) => int_literal(e).is_some(),
            Value::Placeholder(_) => true,
            _ => false,
        },
        _ => true,
    }
}
