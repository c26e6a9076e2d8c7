//! date, time, timetz, timestamp, timestamptz: PostgreSQL's calendar math, ranges
//! and ISO text output (DateStyle ISO). Parsing lives in `dtparse`.
//!
//! Native forms match PostgreSQL's binary ones: date = days since 2000-01-01 (i32,
//! i32::MAX/MIN = +/-infinity), timestamps = microseconds since 2000-01-01 (i64,
//! i64::MAX/MIN = +/-infinity), time = microseconds since midnight.

use super::tz::{format_offset, TimeZone};
use crate::error::{sqlstate, PgError, PgResult};

pub const USECS_PER_SEC: i64 = 1_000_000;
pub const USECS_PER_DAY: i64 = 86_400 * USECS_PER_SEC;
/// Julian day numbers of 2000-01-01 and 1970-01-01.
pub const POSTGRES_EPOCH_JDATE: i64 = 2_451_545;
pub const UNIX_EPOCH_JDATE: i64 = 2_440_588;
/// Seconds from 1970-01-01 to 2000-01-01.
pub const PG_EPOCH_UNIX_SECS: i64 = 946_684_800;

pub const DATE_NOBEGIN: i32 = i32::MIN;
pub const DATE_NOEND: i32 = i32::MAX;
pub const TS_NOBEGIN: i64 = i64::MIN;
pub const TS_NOEND: i64 = i64::MAX;
/// Valid dates: Julian day 0 (4714-11-24 BC) up to, not including, 5874898-01-01.
const DATE_END_JULIAN: i64 = 2_147_483_494;
/// Valid timestamps: 4714-11-24 00:00 BC up to, not including, 294277-01-01.
pub const MIN_TIMESTAMP: i64 = -211_813_488_000_000_000;
pub const END_TIMESTAMP: i64 = 9_223_371_331_200_000_000;

/// Julian day number of a (proleptic Gregorian, astronomical-year) date: PostgreSQL's date2j.
pub fn date2j(year: i64, month: i64, day: i64) -> i64 {
    let (m, y) = if month > 2 { (month + 1, year + 4800) } else { (month + 13, year + 4799) };
    let century = y.div_euclid(100);
    let mut julian = y * 365 - 32167;
    julian += y.div_euclid(4) - century + century.div_euclid(4);
    julian + 7834 * m / 256 + day
}

/// PostgreSQL's j2date: Julian day -> (astronomical year, month, day).
pub fn j2date(jd: i64) -> (i64, i64, i64) {
    let mut julian = jd + 32044;
    let mut quad = julian.div_euclid(146_097);
    let extra = (julian - quad * 146_097) * 4 + 3;
    julian += 60 + quad * 3 + extra / 146_097;
    quad = julian.div_euclid(1461);
    julian -= quad * 1461;
    let mut y = julian * 4 / 1461;
    julian = if y != 0 { (julian + 305) % 365 } else { (julian + 306) % 366 } + 123;
    y += quad * 4;
    let q = julian * 2141 / 65536;
    let day = julian - 7834 * q / 256;
    let month = (q + 10) % 12 + 1;
    (y - 4800, month, day)
}

pub fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

pub fn date_out_of_range() -> PgError {
    PgError::new(sqlstate::DATETIME_FIELD_OVERFLOW, "date out of range")
}

pub fn timestamp_out_of_range() -> PgError {
    PgError::new(sqlstate::DATETIME_FIELD_OVERFLOW, "timestamp out of range")
}

pub fn time_out_of_range() -> PgError {
    PgError::new(sqlstate::DATETIME_FIELD_OVERFLOW, "time out of range")
}

/// Days since 2000-01-01 for a calendar date, range-checked (22008).
pub fn date_from_ymd(year: i64, month: i64, day: i64) -> PgResult<i32> {
    let jd = date2j(year, month, day);
    if !(0..DATE_END_JULIAN).contains(&jd) {
        return Err(date_out_of_range());
    }
    Ok((jd - POSTGRES_EPOCH_JDATE) as i32)
}

pub fn check_date(days: i32) -> PgResult<i32> {
    if days == DATE_NOBEGIN || days == DATE_NOEND {
        return Ok(days);
    }
    let jd = days as i64 + POSTGRES_EPOCH_JDATE;
    if !(0..DATE_END_JULIAN).contains(&jd) {
        return Err(date_out_of_range());
    }
    Ok(days)
}

pub fn check_timestamp(us: i64) -> PgResult<i64> {
    if us == TS_NOBEGIN || us == TS_NOEND || (MIN_TIMESTAMP..END_TIMESTAMP).contains(&us) {
        Ok(us)
    } else {
        Err(timestamp_out_of_range())
    }
}

/// A time rounded to `precision` fraction digits, half up (AdjustTimeForTypmod).
pub fn round_time(us: i64, precision: u32) -> i64 {
    let scale = 10_i64.pow(6 - precision.min(6));
    (us + scale / 2) / scale * scale
}

/// A timestamp rounded to `precision` fraction digits, half away from zero; the
/// infinities stay (AdjustTimestampForTypmod).
pub fn round_timestamp(us: i64, precision: u32) -> i64 {
    if us == TS_NOBEGIN || us == TS_NOEND {
        return us;
    }
    let scale = 10_i64.pow(6 - precision.min(6));
    let magnitude = (us.abs() + scale / 2) / scale * scale;
    if us < 0 {
        -magnitude
    } else {
        magnitude
    }
}

pub fn check_time(us: i64) -> PgResult<i64> {
    if (0..=USECS_PER_DAY).contains(&us) {
        Ok(us)
    } else {
        Err(time_out_of_range())
    }
}

/// date -> timestamp at midnight (infinities carried over).
pub fn date_to_timestamp(days: i32) -> PgResult<i64> {
    match days {
        DATE_NOBEGIN => Ok(TS_NOBEGIN),
        DATE_NOEND => Ok(TS_NOEND),
        d => check_timestamp(d as i64 * USECS_PER_DAY),
    }
}

/// timestamp -> date (drops the time of day).
pub fn timestamp_to_date(us: i64) -> PgResult<i32> {
    match us {
        TS_NOBEGIN => Ok(DATE_NOBEGIN),
        TS_NOEND => Ok(DATE_NOEND),
        t => check_date(t.div_euclid(USECS_PER_DAY) as i32),
    }
}

/// Wall-clock timestamp in `tz` -> UTC instant.
pub fn local_to_utc(local: i64, tz: &TimeZone) -> PgResult<i64> {
    if local == TS_NOBEGIN || local == TS_NOEND {
        return Ok(local);
    }
    let secs = local.div_euclid(USECS_PER_SEC) + PG_EPOCH_UNIX_SECS;
    let off = tz.offset_for_local(secs) as i64;
    check_timestamp(local - off * USECS_PER_SEC)
}

/// UTC instant -> (wall-clock timestamp in `tz`, offset east used).
pub fn utc_to_local(utc: i64, tz: &TimeZone) -> (i64, i32) {
    if utc == TS_NOBEGIN || utc == TS_NOEND {
        return (utc, 0);
    }
    let off = tz.offset_at(utc.div_euclid(USECS_PER_SEC) + PG_EPOCH_UNIX_SECS);
    (utc.saturating_add(off as i64 * USECS_PER_SEC), off)
}

fn push_date(days: i64, out: &mut String) -> bool {
    let (y, m, d) = j2date(days + POSTGRES_EPOCH_JDATE);
    let bc = y <= 0;
    let year = if bc { 1 - y } else { y };
    out.push_str(&format!("{year:04}-{m:02}-{d:02}"));
    bc
}

/// `HH:MM:SS[.ffffff]`, trailing fraction zeros trimmed (hours may exceed 23 for intervals).
pub fn push_time(us: i64, out: &mut String) {
    let secs = us / USECS_PER_SEC;
    out.push_str(&format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60));
    push_fraction(us % USECS_PER_SEC, out);
}

pub fn push_fraction(frac_us: i64, out: &mut String) {
    if frac_us != 0 {
        let f = format!(".{:06}", frac_us.abs());
        out.push_str(f.trim_end_matches('0'));
    }
}

pub fn format_date(days: i32) -> String {
    match days {
        DATE_NOBEGIN => "-infinity".into(),
        DATE_NOEND => "infinity".into(),
        d => {
            let mut out = String::with_capacity(13);
            if push_date(d as i64, &mut out) {
                out.push_str(" BC");
            }
            out
        }
    }
}

pub fn format_time(us: i64) -> String {
    let mut out = String::with_capacity(15);
    push_time(us, &mut out);
    out
}

/// timetz output; `offset` is seconds east.
pub fn format_timetz(us: i64, offset: i32) -> String {
    let mut out = format_time(us);
    format_offset(offset, &mut out);
    out
}

pub fn format_timestamp(us: i64) -> String {
    format_ts(us, None)
}

/// timestamptz output in the session zone.
pub fn format_timestamptz(utc: i64, tz: &TimeZone) -> String {
    let (local, off) = utc_to_local(utc, tz);
    format_ts(local, Some(off))
}

fn format_ts(us: i64, offset: Option<i32>) -> String {
    match us {
        TS_NOBEGIN => return "-infinity".into(),
        TS_NOEND => return "infinity".into(),
        _ => {}
    }
    let mut out = String::with_capacity(32);
    let bc = push_date(us.div_euclid(USECS_PER_DAY), &mut out);
    out.push(' ');
    push_time(us.rem_euclid(USECS_PER_DAY), &mut out);
    if let Some(off) = offset {
        format_offset(off, &mut out);
    }
    if bc {
        out.push_str(" BC");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn julian_days() {
        assert_eq!(date2j(2000, 1, 1), POSTGRES_EPOCH_JDATE);
        assert_eq!(date2j(1970, 1, 1), UNIX_EPOCH_JDATE);
        assert_eq!(date2j(-4713, 11, 24), 0);
        assert_eq!(j2date(0), (-4713, 11, 24));
        for jd in [0, 1, 1_721_425, 2_451_545, 2_460_000, DATE_END_JULIAN - 1] {
            let (y, m, d) = j2date(jd);
            assert_eq!(date2j(y, m, d), jd);
        }
    }

    #[test]
    fn text_output_matches_postgres() {
        assert_eq!(format_date(0), "2000-01-01");
        assert_eq!(format_date(date_from_ymd(-43, 3, 15).unwrap()), "0044-03-15 BC");
        assert_eq!(format_date(DATE_NOEND), "infinity");
        assert_eq!(format_time(3_723_000_000 + 123_450), "01:02:03.12345");
        assert_eq!(format_time(USECS_PER_DAY), "24:00:00");
        assert_eq!(format_timetz(0, -5 * 3600), "00:00:00-05");
        let ts = 8767 * USECS_PER_DAY + 3 * 3_600_000_000 + 4 * 60_000_000 + 5_123_456;
        assert_eq!(format_timestamp(ts), "2024-01-02 03:04:05.123456");
        assert_eq!(format_timestamp(TS_NOBEGIN), "-infinity");
        assert_eq!(format_timestamptz(ts, &TimeZone::utc()), "2024-01-02 03:04:05.123456+00");
        let ny = TimeZone::parse("America/New_York").unwrap();
        assert_eq!(format_timestamptz(ts, &ny), "2024-01-01 22:04:05.123456-05");
        assert_eq!(format_timestamp(MIN_TIMESTAMP), "4714-11-24 00:00:00 BC");
        assert_eq!(format_timestamp(END_TIMESTAMP - 1), "294276-12-31 23:59:59.999999");
        assert_eq!(format_timestamp(-1), "1999-12-31 23:59:59.999999");
    }

    #[test]
    fn ranges() {
        assert!(check_timestamp(END_TIMESTAMP).is_err());
        assert!(check_timestamp(MIN_TIMESTAMP - 1).is_err());
        assert_eq!(check_date(DATE_NOEND).unwrap(), DATE_NOEND);
        assert_eq!(check_date(i32::MAX - 1).unwrap_err().code, "22008");
        assert!(check_time(USECS_PER_DAY + 1).is_err());
        assert_eq!(timestamp_to_date(-1).unwrap(), -1);
    }
}
