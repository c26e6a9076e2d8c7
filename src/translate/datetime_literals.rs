//! String literals cast to date, time, timetz, timestamp or timestamptz, written by the
//! translator in the text the backend stores and compares.
//!
//! SQLite has no date/time types: values are stored as the PostgreSQL text the gateway
//! hands parameters over in (`types::param_text`: `2000-01-02`, `03:04:05.000006`,
//! `2000-01-02 03:04:05`, timestamptz in UTC as `2000-01-02 01:04:05+00:00`) and compared
//! as text, so `'2000-1-2 3:04'::timestamp = $1` holds only if the literal is spelled
//! `'2000-01-02 03:04:00'`. IRIS reads only its own canonical forms (`'0258-1-8 1:12'` is
//! not a TIMESTAMP to it): the same values, timestamptz as UTC text without a zone.

use super::pgtype::PgKind;
use crate::error::PgResult;
use crate::types::datetime::{format_date, format_time, format_timestamp};
use crate::types::dtparse::{self, Special, ZoneSpec};
use crate::types::{self, Interval, Param, TimeZone};
use sqlparser::ast::DateTimeField;

/// The value of the literal `s` cast to `kind`, or None when it depends on the clock or
/// the session (`now`, `today`, a timestamptz or timetz without a zone): those stay as
/// written. Bad input is the type's input error (22007, 22008).
fn literal_value(s: &str, kind: &PgKind) -> PgResult<Option<Param>> {
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
    Ok(Some(match kind {
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
    }))
}

/// sqlite: the text a parameter of the same value is stored as.
pub fn sqlite_text(s: &str, kind: &PgKind) -> PgResult<Option<String>> {
    match literal_value(s, kind)? {
        Some(value) => types::param_text(&value).map(Some),
        None => Ok(None),
    }
}

/// IRIS: the canonical ODBC text of DATE, TIME and TIMESTAMP, a timestamptz (POSIXTIME) as
/// its UTC timestamp. None for what IRIS has no form of (timetz, which it refuses anyway;
/// infinities and BC dates, which it rejects as written).
pub fn iris_text(s: &str, kind: &PgKind) -> PgResult<Option<String>> {
    let text = match literal_value(s, kind)? {
        Some(Param::Date(d)) => format_date(d),
        Some(Param::Time(t)) => format_time(t),
        Some(Param::Timestamp(t) | Param::TimestampTz(t)) => format_timestamp(t),
        _ => return Ok(None),
    };
    Ok((text.starts_with(|c: char| c.is_ascii_digit()) && !text.ends_with(" BC")).then_some(text))
}

/// A string literal cast to interval, or `INTERVAL 'v' [unit]`: its canonical text
/// (IntervalStyle postgres, the fields PostgreSQL keeps), which is also the text interval
/// parameters reach both backends in (`types::param_text`). Bad input is 22007 / 22015.
pub fn interval_text(s: &str, unit: Option<&DateTimeField>) -> PgResult<String> {
    let unit = unit.and_then(|u| {
        Some(match u {
            DateTimeField::Year | DateTimeField::Years => "year",
            DateTimeField::Month | DateTimeField::Months => "month",
            DateTimeField::Week(_) | DateTimeField::Weeks => "week",
            DateTimeField::Day | DateTimeField::Days => "day",
            DateTimeField::Hour | DateTimeField::Hours => "hour",
            DateTimeField::Minute | DateTimeField::Minutes => "minute",
            DateTimeField::Second | DateTimeField::Seconds => "second",
            _ => return None,
        })
    });
    // `INTERVAL '2' HOUR`: a bare number counts the unit.
    let value = match unit {
        Some(u) if s.trim().parse::<f64>().is_ok() => Interval::parse(&format!("{s} {u}"))?,
        _ => Interval::parse(s)?,
    };
    Ok(value.to_text())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(s: &str, k: PgKind) -> Option<String> {
        sqlite_text(s, &k).unwrap()
    }

    #[test]
    fn sqlite_literals_are_written_as_parameters_are() {
        assert_eq!(sqlite("2000-01-01 00:00", PgKind::Timestamp).as_deref(), Some("2000-01-01 00:00:00"));
        assert_eq!(sqlite("0258-1-8 1:12:32.358261", PgKind::Timestamp).as_deref(), Some("0258-01-08 01:12:32.358261"));
        assert_eq!(sqlite("2000-01-01 00:00+2", PgKind::TimestampTz).as_deref(), Some("1999-12-31 22:00:00+00:00"));
        assert_eq!(sqlite("10:20:30.000040", PgKind::Time).as_deref(), Some("10:20:30.00004"));
        assert_eq!(sqlite("10:20:30.000040Z", PgKind::TimeTz).as_deref(), Some("10:20:30.00004+00"));
        assert_eq!(sqlite("epoch", PgKind::Date).as_deref(), Some("1970-01-01"));
        assert_eq!(sqlite("infinity", PgKind::Date).as_deref(), Some("infinity"));
        // Session- or clock-dependent values stay as written.
        assert_eq!(sqlite("2000-01-01 00:00", PgKind::TimestampTz), None);
        assert_eq!(sqlite("now", PgKind::Timestamp), None);
        assert_eq!(sqlite("10:00", PgKind::TimeTz), None);
        assert!(sqlite_text("2000-13-01", &PgKind::Date).is_err());
    }

    #[test]
    fn interval_literals_are_canonical() {
        assert_eq!(interval_text("1d 3h 4m 5s", None).unwrap(), "1 day 03:04:05");
        assert_eq!(interval_text("-1:2:3.4", None).unwrap(), "-01:02:03.4");
        assert_eq!(interval_text("1 years -1 month", None).unwrap(), "11 mons");
        assert_eq!(interval_text("2", Some(&DateTimeField::Hour)).unwrap(), "02:00:00");
        assert_eq!(interval_text("P1Y2M", None).unwrap(), "1 year 2 mons");
        assert_eq!(interval_text("wat", None).unwrap_err().code, "22007");
    }

    #[test]
    fn iris_literals_are_canonical() {
        let iris = |s: &str, k: PgKind| iris_text(s, &k).unwrap();
        assert_eq!(iris("0258-1-8 1:12:32.358261", PgKind::Timestamp).as_deref(), Some("0258-01-08 01:12:32.358261"));
        assert_eq!(iris("2000-01-01 00:00+2", PgKind::TimestampTz).as_deref(), Some("1999-12-31 22:00:00"));
        assert_eq!(iris("2021-1-8", PgKind::Date).as_deref(), Some("2021-01-08"));
        assert_eq!(iris("infinity", PgKind::Timestamp), None);
        assert_eq!(iris("0044-03-15 BC", PgKind::Date), None);
        assert_eq!(iris("2000-01-01 00:00", PgKind::TimestampTz), None);
    }
}
