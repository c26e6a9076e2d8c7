//! Text input of date, time, timetz, timestamp and timestamptz (field order: DateStyle's).
//!
//! Accepted: `2024-01-02`, `01/02/2024` (MDY), `20240102`, a `T` or spaces before
//! `HH:MM[:SS[.frac]]`, a zone (`Z`, `+05`, `-0530`, `+05:30:15`, `UTC`, an IANA name),
//! `BC`/`AD`, and the special words infinity, -infinity, epoch, now, today,
//! tomorrow, yesterday, allballs.

use super::datestyle::Order;
use super::datetime::*;
use super::tz::{parse_offset, TimeZone, MAX_OFFSET};
use crate::error::{sqlstate, PgError, PgResult};

/// A zone written in the input.
#[derive(Debug, Clone, PartialEq)]
pub enum ZoneSpec {
    Offset(i32),
    Named(TimeZone),
}

/// Fields of a date/time string before they become a value of some type.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Parsed {
    /// (astronomical year, month, day)
    pub date: Option<(i64, i64, i64)>,
    /// microseconds since midnight (24:00:00 allowed)
    pub time: Option<i64>,
    pub zone: Option<ZoneSpec>,
    /// An infinity or a word that fixes the whole value.
    pub special: Option<Special>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Special {
    Infinity,
    NegInfinity,
    Epoch,
    Now,
    Today,
    Tomorrow,
    Yesterday,
}

pub fn syntax_error(type_name: &str, input: &str) -> PgError {
    PgError::new(sqlstate::INVALID_DATETIME_FORMAT, format!("invalid input syntax for type {type_name}: \"{input}\""))
}

pub fn field_overflow(input: &str) -> PgError {
    PgError::new(sqlstate::DATETIME_FIELD_OVERFLOW, format!("date/time field value out of range: \"{input}\""))
}

/// Split an input into its fields (DateStyle order MDY). `type_name` only labels errors.
pub fn parse(input: &str, type_name: &str) -> PgResult<Parsed> {
    parse_ordered(input, type_name, Order::Mdy)
}

/// As `parse`, reading `a/b/c` dates in the DateStyle's field order.
pub fn parse_ordered(input: &str, type_name: &str, order: Order) -> PgResult<Parsed> {
    let bad = || syntax_error(type_name, input);
    let t = input.trim();
    let lower = t.to_ascii_lowercase();
    let special = match lower.as_str() {
        "infinity" | "+infinity" => Some(Special::Infinity),
        "-infinity" => Some(Special::NegInfinity),
        "epoch" => Some(Special::Epoch),
        "now" => Some(Special::Now),
        "today" => Some(Special::Today),
        "tomorrow" => Some(Special::Tomorrow),
        "yesterday" => Some(Special::Yesterday),
        "allballs" => return Ok(Parsed { time: Some(0), zone: Some(ZoneSpec::Offset(0)), ..Parsed::default() }),
        _ => None,
    };
    if special.is_some() {
        return Ok(Parsed { special, ..Parsed::default() });
    }
    let mut p = Parsed::default();
    let mut bc = false;
    let mut rest = lower.as_str();
    // Date part.
    if let Some((date, after)) = take_date(rest, order) {
        p.date = Some(date);
        rest = after;
        if let Some(r) = rest.strip_prefix('t').filter(|r| r.starts_with(|c: char| c.is_ascii_digit())) {
            rest = r;
        }
    }
    rest = rest.trim_start();
    // Time part.
    if rest.starts_with(|c: char| c.is_ascii_digit()) {
        let (us, after) = take_time(rest).ok_or_else(bad)?;
        if us.is_none() {
            return Err(field_overflow(input));
        }
        p.time = us;
        rest = after;
    }
    // Zone and era, in any order.
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(r) = strip_word(rest, "bc") {
            bc = true;
            rest = r;
        } else if let Some(r) = strip_word(rest, "ad") {
            rest = r;
        } else if p.zone.is_none() && (p.time.is_some() || p.date.is_some()) {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let word = &rest[..end];
            p.zone = Some(if word == "z" {
                ZoneSpec::Offset(0)
            } else if word.starts_with(['+', '-']) {
                let off = parse_offset(word).ok_or_else(bad)?;
                if off.abs() > MAX_OFFSET {
                    return Err(field_overflow(input));
                }
                ZoneSpec::Offset(off)
            } else {
                // Names are case-sensitive files; take the original spelling.
                let start = t.len() - rest.len();
                let original = &t[start..start + end];
                match TimeZone::parse(original) {
                    Ok(tz) if !original.starts_with(|c: char| c.is_ascii_digit()) => ZoneSpec::Named(tz),
                    _ => return Err(bad()),
                }
            });
            rest = &rest[end..];
        } else {
            return Err(bad());
        }
    }
    if p.date.is_none() && p.time.is_none() {
        return Err(bad());
    }
    if let Some((y, m, d)) = p.date {
        if !(1..=12).contains(&m) || d < 1 || d > days_in_month(if bc { 1 - y } else { y }, m) || y < 1 && !bc {
            return Err(field_overflow(input));
        }
        if bc {
            if y < 1 {
                return Err(field_overflow(input));
            }
            p.date = Some((1 - y, m, d));
        }
    } else if bc {
        return Err(bad());
    }
    Ok(p)
}

fn strip_word<'a>(s: &'a str, word: &str) -> Option<&'a str> {
    let r = s.strip_prefix(word)?;
    if r.is_empty() || r.starts_with(char::is_whitespace) {
        Some(r)
    } else {
        None
    }
}

fn take_digits(s: &str) -> (&str, &str) {
    let n = s.bytes().take_while(|c| c.is_ascii_digit()).count();
    s.split_at(n)
}

/// `Y-M-D` or `Y/M/D` when the first field has 3+ digits, else the DateStyle order
/// (`M/D/Y`, `D/M/Y`, `Y/M/D`); or `YYYYMMDD`.
fn take_date(s: &str, order: Order) -> Option<((i64, i64, i64), &str)> {
    let (a, r) = take_digits(s);
    if a.is_empty() {
        return None;
    }
    let sep = r.chars().next();
    match sep {
        Some(sep @ ('-' | '/' | '.')) => {
            let (b, r2) = take_digits(&r[1..]);
            let r2 = r2.strip_prefix(sep)?;
            let (c, r3) = take_digits(r2);
            if b.is_empty() || c.is_empty() || a.len() > 9 || c.len() > 9 || b.len() > 2 {
                return None;
            }
            let (an, b, cn): (i64, i64, i64) = (a.parse().ok()?, b.parse().ok()?, c.parse().ok()?);
            // Two-digit years mapped as PostgreSQL does.
            let year = |digits: &str, y: i64| match (digits.len(), y) {
                (2, y) if y < 70 => y + 2000,
                (2, y) => y + 1900,
                (_, y) => y,
            };
            Some((
                match order {
                    _ if a.len() >= 3 => (an, b, cn),
                    Order::Ymd => (year(a, an), b, cn),
                    Order::Dmy => (year(c, cn), b, an),
                    Order::Mdy => (year(c, cn), an, b),
                },
                r3,
            ))
        }
        _ if a.len() == 8 && !r.starts_with(':') => {
            Some(((a[..4].parse().ok()?, a[4..6].parse().ok()?, a[6..].parse().ok()?), r))
        }
        _ => None,
    }
}

/// `HH:MM[:SS[.frac]]`; Some(None) means well-formed but out of range.
fn take_time(s: &str) -> Option<(Option<i64>, &str)> {
    let (h, r) = take_digits(s);
    let r = r.strip_prefix(':')?;
    let (m, mut r) = take_digits(r);
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (mut sec, mut frac_us) = (0i64, 0i64);
    if let Some(r2) = r.strip_prefix(':') {
        let (sd, r3) = take_digits(r2);
        if sd.len() != 2 {
            return None;
        }
        sec = sd.parse().ok()?;
        r = r3;
        if let Some(r4) = r.strip_prefix('.') {
            let (fd, r5) = take_digits(r4);
            r = r5;
            if !fd.is_empty() {
                // PostgreSQL rounds the fraction to microseconds (rint).
                let f: f64 = format!("0.{fd}").parse().ok()?;
                frac_us = (f * 1e6).round_ties_even() as i64;
            }
        }
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    if h > 24 || m > 59 || sec > 60 || (h == 24 && (m > 0 || sec > 0 || frac_us > 0)) {
        return Some((None, r));
    }
    Some((Some(((h * 60 + m) * 60 + sec) * USECS_PER_SEC + frac_us), r))
}

fn now_us() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    d.as_micros() as i64 - PG_EPOCH_UNIX_SECS * USECS_PER_SEC
}

/// Midnight of the current local day in `tz`, as a local timestamp.
fn today_local(tz: &TimeZone) -> i64 {
    let (local, _) = utc_to_local(now_us(), tz);
    local - local.rem_euclid(USECS_PER_DAY)
}

fn zone_offset_for_local(zone: &Option<ZoneSpec>, local: i64, session: &TimeZone) -> i32 {
    let secs = local.div_euclid(USECS_PER_SEC) + PG_EPOCH_UNIX_SECS;
    match zone {
        Some(ZoneSpec::Offset(o)) => *o,
        Some(ZoneSpec::Named(tz)) => tz.offset_for_local(secs),
        None => session.offset_for_local(secs),
    }
}

/// Wall-clock timestamp (time zone ignored, as timestamp input does).
pub fn parse_timestamp(input: &str, session: &TimeZone) -> PgResult<i64> {
    parse_timestamp_ordered(input, session, Order::Mdy)
}

pub fn parse_timestamp_ordered(input: &str, session: &TimeZone, order: Order) -> PgResult<i64> {
    let p = parse_ordered(input, "timestamp", order)?;
    let local = match p.special {
        Some(Special::Infinity) => return Ok(TS_NOEND),
        Some(Special::NegInfinity) => return Ok(TS_NOBEGIN),
        Some(Special::Epoch) => return Ok(-PG_EPOCH_UNIX_SECS * USECS_PER_SEC),
        Some(Special::Now) => return Ok(utc_to_local(now_us(), session).0),
        Some(s) => return Ok(today_local(session) + day_shift(s)),
        None => fields_to_local(&p, input, "timestamp")?,
    };
    check_timestamp(local).map_err(|_| timestamp_range(input))
}

pub fn parse_timestamptz(input: &str, session: &TimeZone) -> PgResult<i64> {
    parse_timestamptz_ordered(input, session, Order::Mdy)
}

pub fn parse_timestamptz_ordered(input: &str, session: &TimeZone, order: Order) -> PgResult<i64> {
    let p = parse_ordered(input, "timestamp with time zone", order)?;
    let local = match p.special {
        Some(Special::Infinity) => return Ok(TS_NOEND),
        Some(Special::NegInfinity) => return Ok(TS_NOBEGIN),
        Some(Special::Epoch) => return Ok(-PG_EPOCH_UNIX_SECS * USECS_PER_SEC),
        Some(Special::Now) => return Ok(now_us()),
        Some(s) => today_local(session) + day_shift(s),
        None => fields_to_local(&p, input, "timestamp with time zone")?,
    };
    let off = zone_offset_for_local(&p.zone, local, session) as i64;
    check_timestamp(local - off * USECS_PER_SEC).map_err(|_| timestamp_range(input))
}

pub fn parse_date(input: &str, session: &TimeZone) -> PgResult<i32> {
    parse_date_ordered(input, session, Order::Mdy)
}

pub fn parse_date_ordered(input: &str, session: &TimeZone, order: Order) -> PgResult<i32> {
    let p = parse_ordered(input, "date", order)?;
    let days = match p.special {
        Some(Special::Infinity) => return Ok(DATE_NOEND),
        Some(Special::NegInfinity) => return Ok(DATE_NOBEGIN),
        Some(Special::Epoch) => return Ok(-10957),
        Some(Special::Now) => today_local(session) / USECS_PER_DAY,
        Some(s) => (today_local(session) + day_shift(s)) / USECS_PER_DAY,
        None => {
            let (y, m, d) = p.date.ok_or_else(|| syntax_error("date", input))?;
            return date_from_ymd(y, m, d).map_err(|_| {
                PgError::new(sqlstate::DATETIME_FIELD_OVERFLOW, format!("date out of range: \"{input}\""))
            });
        }
    };
    Ok(days as i32)
}

/// time input: a date part, if any, is ignored; so is a zone.
pub fn parse_time(input: &str) -> PgResult<i64> {
    let p = parse(input, "time without time zone")?;
    if p.special.is_some() {
        return Err(syntax_error("time without time zone", input));
    }
    p.time.ok_or_else(|| syntax_error("time without time zone", input))
}

/// timetz input -> (microseconds, offset east). Without a zone the session zone's
/// offset on the given date (else today) applies.
pub fn parse_timetz(input: &str, session: &TimeZone) -> PgResult<(i64, i32)> {
    let p = parse(input, "time with time zone")?;
    if p.special.is_some() {
        return Err(syntax_error("time with time zone", input));
    }
    let time = p.time.ok_or_else(|| syntax_error("time with time zone", input))?;
    let day = match p.date {
        Some((y, m, d)) => (date2j(y, m, d) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY,
        None => today_local(session),
    };
    Ok((time, zone_offset_for_local(&p.zone, day + time, session)))
}

fn day_shift(s: Special) -> i64 {
    match s {
        Special::Tomorrow => USECS_PER_DAY,
        Special::Yesterday => -USECS_PER_DAY,
        _ => 0,
    }
}

fn fields_to_local(p: &Parsed, input: &str, type_name: &str) -> PgResult<i64> {
    let (y, m, d) = p.date.ok_or_else(|| syntax_error(type_name, input))?;
    let jd = date2j(y, m, d);
    Ok((jd - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY + p.time.unwrap_or(0))
}

fn timestamp_range(input: &str) -> PgError {
    PgError::new(sqlstate::DATETIME_FIELD_OVERFLOW, format!("timestamp out of range: \"{input}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> TimeZone {
        TimeZone::utc()
    }

    #[test]
    fn timestamps() {
        let ts = parse_timestamp("2024-01-02 03:04:05.123456", &utc()).unwrap();
        assert_eq!(format_timestamp(ts), "2024-01-02 03:04:05.123456");
        assert_eq!(parse_timestamp("2024-01-02T03:04:05.1234567", &utc()).unwrap(), ts + 1);
        assert_eq!(format_timestamp(parse_timestamp("2024-01-02", &utc()).unwrap()), "2024-01-02 00:00:00");
        assert_eq!(format_timestamp(parse_timestamp("0044-03-15 12:00 BC", &utc()).unwrap()), "0044-03-15 12:00:00 BC");
        // A zone on a plain timestamp is ignored.
        assert_eq!(parse_timestamp("2024-01-02 03:04:05.123456+05", &utc()).unwrap(), ts);
        assert_eq!(parse_timestamp("infinity", &utc()).unwrap(), TS_NOEND);
        assert_eq!(format_timestamp(parse_timestamp("2024-01-01 24:00:00", &utc()).unwrap()), "2024-01-02 00:00:00");
        assert_eq!(parse_timestamp("2024-02-30 00:00", &utc()).unwrap_err().code, "22008");
        assert_eq!(parse_timestamp("2024-01-02 25:00", &utc()).unwrap_err().code, "22008");
        assert_eq!(parse_timestamp("yesterday-ish", &utc()).unwrap_err().code, "22007");
        assert_eq!(parse_timestamp("294277-01-01 00:00", &utc()).unwrap_err().code, "22008");
        assert_eq!(
            parse_timestamp("01/02/2024 10:00", &utc()).unwrap(),
            parse_timestamp("2024-01-02 10:00", &utc()).unwrap()
        );
    }

    #[test]
    fn timestamptz_zones() {
        let z = |s: &str, tz: &TimeZone| format_timestamptz(parse_timestamptz(s, tz).unwrap(), &utc());
        assert_eq!(z("2024-01-02 03:04:05+02", &utc()), "2024-01-02 01:04:05+00");
        assert_eq!(z("2024-01-02T03:04:05Z", &utc()), "2024-01-02 03:04:05+00");
        assert_eq!(z("2024-01-02 03:04:05 -05:30", &utc()), "2024-01-02 08:34:05+00");
        assert_eq!(z("2024-01-02 03:04:05 America/New_York", &utc()), "2024-01-02 08:04:05+00");
        let paris = TimeZone::parse("Europe/Paris").unwrap();
        assert_eq!(z("2024-07-01 12:00", &paris), "2024-07-01 10:00:00+00");
        assert_eq!(z("2024-07-01 12:00 UTC", &paris), "2024-07-01 12:00:00+00");
        assert_eq!(parse_timestamptz("2024-01-02 03:04 +16", &utc()).unwrap_err().code, "22008");
        assert_eq!(parse_timestamptz("2024-01-02 03:04 Nowhere/Zone", &utc()).unwrap_err().code, "22007");
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(parse_date("2000-01-01", &utc()).unwrap(), 0);
        assert_eq!(parse_date("20000102", &utc()).unwrap(), 1);
        assert_eq!(parse_date(" 1999-12-31 ", &utc()).unwrap(), -1);
        assert_eq!(format_date(parse_date("4714-11-24 BC", &utc()).unwrap()), "4714-11-24 BC");
        assert_eq!(parse_date("4714-11-23 BC", &utc()).unwrap_err().code, "22008");
        assert_eq!(parse_date("-infinity", &utc()).unwrap(), DATE_NOBEGIN);
        assert_eq!(parse_date("2023-02-29", &utc()).unwrap_err().code, "22008");
        assert_eq!(parse_date("epoch", &utc()).unwrap(), -10957);
        assert_eq!(parse_date("x", &utc()).unwrap_err().code, "22007");
        assert_eq!(parse_time("12:34:56.5").unwrap(), 45_296_500_000);
        assert_eq!(parse_time("24:00").unwrap(), USECS_PER_DAY);
        assert_eq!(parse_time("24:00:01").unwrap_err().code, "22008");
        assert_eq!(parse_time("2024-01-02 01:00").unwrap(), 3_600_000_000);
        assert_eq!(parse_timetz("01:00+05:30", &utc()).unwrap(), (3_600_000_000, 19800));
        assert_eq!(parse_timetz("01:00", &utc()).unwrap(), (3_600_000_000, 0));
    }

    #[test]
    fn field_order_follows_date_style() {
        let d = |s: &str, o: Order| format_date(parse_date_ordered(s, &utc(), o).unwrap());
        assert_eq!(d("01/02/2003", Order::Mdy), "2003-01-02");
        assert_eq!(d("01/02/2003", Order::Dmy), "2003-02-01");
        assert_eq!(d("01/02/03", Order::Ymd), "2001-02-03");
        assert_eq!(d("2003-02-01", Order::Dmy), "2003-02-01");
        assert_eq!(parse_date_ordered("13/01/2003", &utc(), Order::Mdy).unwrap_err().code, "22008");
        assert_eq!(d("13/01/2003", Order::Dmy), "2003-01-13");
    }
}
