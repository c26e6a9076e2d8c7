//! Dates and times on the sqlite target. SQLite has no date/time types: values are stored
//! as the PostgreSQL text the gateway hands parameters over in (`types::param_text`:
//! `2000-01-02`, `03:04:05.000006`, `2000-01-02 03:04:05`, timestamptz in UTC as
//! `2000-01-02 01:04:05+00:00`) and compared as text. So a literal cast to one of these
//! types is written in that same text (`'2000-1-2 3:04'::timestamp` becomes
//! `'2000-01-02 03:04:00'`), and `date ± integer` / `date - date` become SQLite date
//! arithmetic instead of adding numbers to the text's leading digits.

use sqlparser::ast::{BinaryOperator, DataType, Expr, Value};

use super::ast_util::*;
use super::pgtype::{kind, PgKind};
use crate::error::PgResult;
use crate::types::dtparse::{self, Special, ZoneSpec};
use crate::types::{self, Param, TimeZone};

/// The canonical text of the literal `s` cast to `kind`, or None when its value depends
/// on the clock or the session (`now`, `today`, a timestamptz or timetz without a zone):
/// those stay as written. Bad input is the type's input error (22007, 22008).
pub fn canonical_literal(s: &str, kind: &PgKind) -> PgResult<Option<String>> {
    let type_name = match kind {
        PgKind::Date => "date",
        PgKind::Time => "time without time zone",
        PgKind::TimeTz => "time with time zone",
        PgKind::Timestamp => "timestamp without time zone",
        PgKind::TimestampTz => "timestamp with time zone",
        _ => return Ok(None),
    };
    let parsed = dtparse::parse(s, type_name)?;
    if matches!(parsed.special, Some(Special::Now | Special::Today | Special::Tomorrow | Special::Yesterday)) {
        return Ok(None);
    }
    let utc = TimeZone::utc();
    let value = match kind {
        PgKind::Date => Param::Date(dtparse::parse_date(s, &utc)?),
        PgKind::Time => Param::Time(dtparse::parse_time(s)?),
        PgKind::Timestamp => Param::Timestamp(dtparse::parse_timestamp(s, &utc)?),
        PgKind::TimestampTz if parsed.zone.is_some() || parsed.special.is_some() => {
            Param::TimestampTz(dtparse::parse_timestamptz(s, &utc)?)
        }
        // A named zone's offset without a date is today's (daylight saving): session-dependent.
        PgKind::TimeTz if matches!(parsed.zone, Some(ZoneSpec::Offset(_))) => {
            let (micros, offset) = dtparse::parse_timetz(s, &utc)?;
            Param::TimeTz { micros, offset }
        }
        _ => return Ok(None),
    };
    types::param_text(&value).map(Some)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str, k: PgKind) -> Option<String> {
        canonical_literal(s, &k).unwrap()
    }

    #[test]
    fn literals_are_written_as_parameters_are() {
        assert_eq!(canon("2000-01-01 00:00", PgKind::Timestamp).as_deref(), Some("2000-01-01 00:00:00"));
        assert_eq!(canon("0258-1-8 1:12:32.358261", PgKind::Timestamp).as_deref(), Some("0258-01-08 01:12:32.358261"));
        assert_eq!(canon("2000-01-01 00:00+2", PgKind::TimestampTz).as_deref(), Some("1999-12-31 22:00:00+00:00"));
        assert_eq!(canon("10:20:30.000040", PgKind::Time).as_deref(), Some("10:20:30.00004"));
        assert_eq!(canon("10:20:30.000040Z", PgKind::TimeTz).as_deref(), Some("10:20:30.00004+00"));
        assert_eq!(canon("epoch", PgKind::Date).as_deref(), Some("1970-01-01"));
        assert_eq!(canon("infinity", PgKind::Date).as_deref(), Some("infinity"));
        // Session- or clock-dependent values stay as written.
        assert_eq!(canon("2000-01-01 00:00", PgKind::TimestampTz), None);
        assert_eq!(canon("now", PgKind::Timestamp), None);
        assert_eq!(canon("10:00", PgKind::TimeTz), None);
        assert!(canonical_literal("2000-13-01", &PgKind::Date).is_err());
    }
}
