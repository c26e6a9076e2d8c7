//! Session time zones: UTC, fixed offsets and named IANA zones (through jiff's tzdb).
//!
//! Offsets are seconds EAST of Greenwich everywhere in this crate; PostgreSQL's
//! timetz binary form stores them west, and `encode`/`decode` flip the sign there.

use crate::error::{sqlstate, PgError, PgResult};

#[derive(Debug, Clone, PartialEq)]
pub enum TimeZone {
    Fixed { name: String, offset: i32 },
    Named { name: String, tz: jiff::tz::TimeZone },
}

/// PostgreSQL accepts zone displacements up to 15:59:59 (TZDISP_LIMIT).
pub const MAX_OFFSET: i32 = 15 * 3600 + 59 * 60 + 59;

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone::utc()
    }
}

impl TimeZone {
    pub fn utc() -> TimeZone {
        TimeZone::Fixed { name: "UTC".into(), offset: 0 }
    }

    /// A zone `secs` east of UTC (`SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE`, or a number).
    pub fn fixed_east(secs: i32) -> PgResult<TimeZone> {
        if secs.abs() > MAX_OFFSET {
            return Err(PgError::new(sqlstate::INVALID_PARAMETER_VALUE, "time zone displacement out of range"));
        }
        Ok(TimeZone::Fixed { name: posix_name(secs), offset: secs })
    }

    /// A TimeZone setting as `SET TIME ZONE '...'` takes it: an IANA name, UTC/GMT/Z, a
    /// number of hours east (`'+02'`, `'-7'`, `'5.5'`), or a POSIX-style offset, where (as
    /// in PostgreSQL) `'+05:30'`, `'UTC+3'` and `'<+03>-03'` count hours WEST.
    pub fn parse(spec: &str) -> PgResult<TimeZone> {
        let s = spec.trim();
        let unknown = || {
            PgError::new(
                sqlstate::INVALID_PARAMETER_VALUE,
                format!("invalid value for parameter \"TimeZone\": \"{s}\""),
            )
        };
        // A plain number is hours EAST (check_timezone's strtod branch): '+02', '-7', '5.5'.
        if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.')) {
            if let Ok(hours) = s.parse::<f64>() {
                if hours.abs() * 3600.0 > MAX_OFFSET as f64 {
                    return Err(unknown());
                }
                return TimeZone::fixed_east((hours * 3600.0).round() as i32);
            }
        }
        // POSIX `<ABBR>offset`, as PostgreSQL itself names numeric zones.
        if let Some(rest) = s.strip_prefix('<').and_then(|r| r.split_once('>')).map(|(_, off)| off) {
            let west = parse_offset(rest).filter(|w| w.abs() <= MAX_OFFSET).ok_or_else(unknown)?;
            return Ok(TimeZone::Fixed { name: s.to_string(), offset: -west });
        }
        let upper = s.to_ascii_uppercase();
        if matches!(upper.as_str(), "UTC" | "GMT" | "Z" | "ZULU" | "UCT" | "UNIVERSAL") {
            return Ok(TimeZone::Fixed { name: s.to_string(), offset: 0 });
        }
        let posix = ["UTC", "GMT"]
            .iter()
            .find_map(|p| upper.strip_prefix(p).filter(|r| r.starts_with(['+', '-'])))
            .unwrap_or(&upper);
        if posix.starts_with(['+', '-']) || posix.starts_with(|c: char| c.is_ascii_digit()) {
            let west = parse_offset(posix).ok_or_else(unknown)?;
            if west.abs() > MAX_OFFSET {
                return Err(unknown());
            }
            return Ok(TimeZone::Fixed { name: s.to_string(), offset: -west });
        }
        match jiff::tz::TimeZone::get(s) {
            Ok(tz) => Ok(TimeZone::Named { name: tz.iana_name().unwrap_or(s).to_string(), tz }),
            Err(_) => Err(unknown()),
        }
    }

    /// The setting's name, as SHOW TimeZone reports it.
    pub fn name(&self) -> &str {
        match self {
            TimeZone::Fixed { name, .. } | TimeZone::Named { name, .. } => name,
        }
    }

    /// Offset east of UTC in force at `unix_secs` (UTC).
    pub fn offset_at(&self, unix_secs: i64) -> i32 {
        match self {
            TimeZone::Fixed { offset, .. } => *offset,
            TimeZone::Named { tz, .. } => tz.to_offset(jiff_ts(unix_secs)).seconds(),
        }
    }

    /// The zone's abbreviation at `utc` (µs since 2000-01-01), as non-ISO DateStyles print
    /// it: the tzdb's (`PST`, `CEST`, `UTC`), a numeric zone's own (`<-02>+02`: `-02`);
    /// None where PostgreSQL has none and prints the offset.
    pub fn abbreviation_at(&self, utc: i64) -> Option<String> {
        match self {
            TimeZone::Fixed { name, .. } => {
                if let Some(abbrev) = name.strip_prefix('<').and_then(|r| r.split_once('>')).map(|(a, _)| a) {
                    return Some(abbrev.to_string());
                }
                let upper = name.to_ascii_uppercase();
                matches!(upper.as_str(), "UTC" | "GMT" | "UCT").then_some(upper)
            }
            TimeZone::Named { tz, .. } => {
                let secs = utc.div_euclid(super::datetime::USECS_PER_SEC) + super::datetime::PG_EPOCH_UNIX_SECS;
                let abbrev = tz.to_offset_info(jiff_ts(secs)).abbreviation().to_string();
                (!abbrev.is_empty()).then_some(abbrev)
            }
        }
    }

    /// Offset east of UTC for a local wall-clock time (`local_secs` counted as if UTC).
    /// In a spring-forward gap PostgreSQL takes the offset before the transition, in a
    /// fall-back fold the one after it.
    pub fn offset_for_local(&self, local_secs: i64) -> i32 {
        let tz = match self {
            TimeZone::Fixed { offset, .. } => return *offset,
            TimeZone::Named { tz, .. } => tz,
        };
        let clamped = local_secs.clamp(JIFF_MIN_SECS + 86400, JIFF_MAX_SECS - 86400);
        let (days, secs) = (clamped.div_euclid(86400), clamped.rem_euclid(86400));
        let (y, m, d) = super::datetime::j2date(days + super::datetime::UNIX_EPOCH_JDATE);
        let dt = jiff::civil::DateTime::new(
            y as i16,
            m as i8,
            d as i8,
            (secs / 3600) as i8,
            (secs / 60 % 60) as i8,
            (secs % 60) as i8,
            0,
        );
        match dt {
            Ok(dt) => match tz.to_ambiguous_timestamp(dt).offset() {
                jiff::tz::AmbiguousOffset::Unambiguous { offset } => offset.seconds(),
                jiff::tz::AmbiguousOffset::Gap { before, .. } => before.seconds(),
                jiff::tz::AmbiguousOffset::Fold { after, .. } => after.seconds(),
            },
            Err(_) => self.offset_at(clamped),
        }
    }
}

const JIFF_MIN_SECS: i64 = -377_705_116_800;
const JIFF_MAX_SECS: i64 = 253_402_207_199;

fn jiff_ts(unix_secs: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(unix_secs.clamp(JIFF_MIN_SECS, JIFF_MAX_SECS)).expect("clamped into jiff's range")
}

/// `[+-]H[H][[:]MM[[:]SS]]` -> seconds (sign as written).
pub fn parse_offset(s: &str) -> Option<i32> {
    let (neg, rest) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let parts: Vec<&str> = if rest.contains(':') {
        rest.split(':').collect()
    } else {
        match rest.len() {
            1 | 2 => vec![rest],
            4 => vec![&rest[..2], &rest[2..]],
            6 => vec![&rest[..2], &rest[2..4], &rest[4..]],
            _ => return None,
        }
    };
    if parts.is_empty()
        || parts.len() > 3
        || parts.iter().any(|p| p.is_empty() || p.len() > 2 || !p.bytes().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let n: Vec<i32> = parts.iter().map(|p| p.parse().unwrap_or(0)).collect();
    let (h, m, sec) = (n[0], *n.get(1).unwrap_or(&0), *n.get(2).unwrap_or(&0));
    if m > 59 || sec > 59 {
        return None;
    }
    let total = h * 3600 + m * 60 + sec;
    Some(if neg { -total } else { total })
}

/// PostgreSQL's output for a zone offset east: `+HH`, `+HH:MM` or `+HH:MM:SS`.
pub fn format_offset(east: i32, out: &mut String) {
    out.push(if east >= 0 { '+' } else { '-' });
    let a = east.unsigned_abs();
    out.push_str(&format!("{:02}", a / 3600));
    if a % 3600 != 0 {
        out.push_str(&format!(":{:02}", a / 60 % 60));
        if a % 60 != 0 {
            out.push_str(&format!(":{:02}", a % 60));
        }
    }
}

/// The name PostgreSQL shows for a numeric zone: `<+02>-02` style (pg_tzset_offset:
/// zero is `<+00>-00`).
fn posix_name(east: i32) -> String {
    let mut off = String::new();
    format_offset(east, &mut off);
    let mut west = String::new();
    format_offset(-east, &mut west);
    if east == 0 {
        west.replace_range(0..1, "-");
    }
    format!("<{off}>{west}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_offsets_are_west() {
        // PostgreSQL 15: SET TIME ZONE '+02' shows +02; '+05:30' and 'UTC+3' are POSIX (west).
        assert_eq!(TimeZone::parse("+02").unwrap().offset_at(0), 7200);
        assert_eq!(TimeZone::parse("+02").unwrap().name(), "<+02>-02");
        assert_eq!(TimeZone::fixed_east(0).unwrap().name(), "<+00>-00");
        assert_eq!(TimeZone::parse("2.5").unwrap().offset_at(0), 9000);
        assert_eq!(TimeZone::parse("+05:30").unwrap().offset_at(0), -19800);
        assert_eq!(TimeZone::parse("UTC+3").unwrap().offset_at(0), -10800);
        assert_eq!(TimeZone::parse("<+03>-03").unwrap().offset_at(0), 10800);
        assert_eq!(TimeZone::parse("UTC-05:30").unwrap().offset_at(0), 5 * 3600 + 1800);
        assert_eq!(TimeZone::parse("utc").unwrap().offset_at(0), 0);
        assert_eq!(TimeZone::fixed_east(7200).unwrap().offset_at(0), 7200);
        assert!(TimeZone::parse("Nowhere/Special").is_err());
    }

    #[test]
    fn named_zone_transitions() {
        let ny = TimeZone::parse("America/New_York").unwrap();
        // 2024-07-01 12:00 UTC is EDT.
        assert_eq!(ny.offset_at(1_719_835_200), -4 * 3600);
        assert_eq!(ny.offset_at(1_704_110_400), -5 * 3600);
        // 2024-03-10 02:30 local does not exist: PostgreSQL uses the offset before (EST).
        assert_eq!(ny.offset_for_local(1_710_037_800), -5 * 3600);
        // 2024-11-03 01:30 local happens twice: PostgreSQL uses the offset after (EST).
        assert_eq!(ny.offset_for_local(1_730_597_400), -5 * 3600);
        assert_eq!(ny.offset_for_local(1_719_835_200), -4 * 3600);
    }

    #[test]
    fn offset_text() {
        let f = |o| {
            let mut s = String::new();
            format_offset(o, &mut s);
            s
        };
        assert_eq!(f(0), "+00");
        assert_eq!(f(-5 * 3600), "-05");
        assert_eq!(f(5 * 3600 + 1800), "+05:30");
        assert_eq!(f(561), "+00:09:21");
        assert_eq!(parse_offset("+0530"), Some(19800));
        assert_eq!(parse_offset("-5"), Some(-18000));
        assert_eq!(parse_offset("+05:3"), Some(18180));
        assert_eq!(parse_offset("+5:99"), None);
    }
}
