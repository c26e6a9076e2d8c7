//! DateStyle: the output style of date, timestamp and timestamptz text (ISO, SQL,
//! Postgres, German) and the field order (MDY, DMY, YMD) that styles and input use.
//!
//! As PostgreSQL's EncodeDateOnly / EncodeDateTime (datetime.c) and check_datestyle
//! (variable.c). Values that go to backends are always ISO; only the wire follows this.

use super::datetime::{j2date, push_time, utc_to_local, POSTGRES_EPOCH_JDATE, USECS_PER_DAY};
use super::tz::{format_offset, TimeZone};
use crate::error::{sqlstate, PgError, PgResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    #[default]
    Iso,
    Sql,
    Postgres,
    German,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    Mdy,
    Dmy,
    Ymd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DateStyle {
    pub style: Style,
    pub order: Order,
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

impl DateStyle {
    /// The setting as PostgreSQL reports it (`ISO, MDY`, `Postgres, DMY`).
    pub fn name(&self) -> String {
        let style = match self.style {
            Style::Iso => "ISO",
            Style::Sql => "SQL",
            Style::Postgres => "Postgres",
            Style::German => "German",
        };
        let order = match self.order {
            Order::Mdy => "MDY",
            Order::Dmy => "DMY",
            Order::Ymd => "YMD",
        };
        format!("{style}, {order}")
    }

    /// Read a canonical value back (what `name` wrote); anything else is the default.
    pub fn from_name(value: &str) -> DateStyle {
        DateStyle::parse(value, DateStyle::default(), DateStyle::default()).unwrap_or_default()
    }

    /// check_datestyle: key words change the style, the order or both (German alone also
    /// sets DMY); what a value leaves out stays `current`; DEFAULT is `reset`'s part.
    pub fn parse(value: &str, current: DateStyle, reset: DateStyle) -> PgResult<DateStyle> {
        let invalid = || {
            PgError::new(
                sqlstate::INVALID_PARAMETER_VALUE,
                format!("invalid value for parameter \"DateStyle\": \"{value}\""),
            )
        };
        let mut new = current;
        let (mut have_style, mut have_order, mut ok) = (false, false, true);
        let mut set_style = |new: &mut DateStyle, s: Style, have_style: &mut bool| {
            ok &= !*have_style || new.style == s;
            new.style = s;
            *have_style = true;
        };
        let words: Vec<&str> = value
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(|w| w.trim_matches(|c| c == '\'' || c == '"'))
            .filter(|w| !w.is_empty())
            .collect();
        if words.is_empty() {
            return Err(invalid());
        }
        let mut order_ok = true;
        for word in words {
            let order = match word.to_ascii_uppercase().as_str() {
                "ISO" => {
                    set_style(&mut new, Style::Iso, &mut have_style);
                    None
                }
                "SQL" => {
                    set_style(&mut new, Style::Sql, &mut have_style);
                    None
                }
                "POSTGRES" => {
                    set_style(&mut new, Style::Postgres, &mut have_style);
                    None
                }
                "GERMAN" => {
                    set_style(&mut new, Style::German, &mut have_style);
                    if !have_order {
                        new.order = Order::Dmy;
                    }
                    None
                }
                "YMD" => Some(Order::Ymd),
                "DMY" | "EURO" | "EUROPEAN" => Some(Order::Dmy),
                "MDY" | "US" | "NONEURO" | "NONEUROPEAN" => Some(Order::Mdy),
                "DEFAULT" => {
                    if !have_style {
                        new.style = reset.style;
                    }
                    if !have_order {
                        new.order = reset.order;
                    }
                    None
                }
                _ => return Err(invalid().with_detail(format!("Unrecognized key word: \"{word}\"."))),
            };
            if let Some(o) = order {
                order_ok &= !have_order || new.order == o;
                new.order = o;
                have_order = true;
            }
        }
        if !(ok && order_ok) {
            return Err(invalid().with_detail("Conflicting \"datestyle\" specifications."));
        }
        Ok(new)
    }

    /// EncodeDateOnly.
    pub fn format_date(&self, days: i32) -> String {
        if self.style == Style::Iso || days == i32::MIN || days == i32::MAX {
            return super::datetime::format_date(days);
        }
        let mut out = String::with_capacity(16);
        let bc = self.push_date(days as i64, &mut out);
        if bc {
            out.push_str(" BC");
        }
        out
    }

    /// EncodeDateTime of a timestamp (wall clock, no zone).
    pub fn format_timestamp(&self, us: i64) -> String {
        if self.style == Style::Iso || us == i64::MIN || us == i64::MAX {
            return super::datetime::format_timestamp(us);
        }
        self.format_ts(us, None)
    }

    /// EncodeDateTime of a timestamptz in the session zone: the zone's abbreviation at
    /// that instant where it has one, else the numeric offset.
    pub fn format_timestamptz(&self, utc: i64, tz: &TimeZone) -> String {
        if self.style == Style::Iso || utc == i64::MIN || utc == i64::MAX {
            return super::datetime::format_timestamptz(utc, tz);
        }
        let (local, off) = utc_to_local(utc, tz);
        self.format_ts(local, Some((off, tz.abbreviation_at(utc))))
    }

    /// The date part of SQL, German and Postgres (no weekday) styles; true for BC.
    fn push_date(&self, days: i64, out: &mut String) -> bool {
        let (y, m, d) = j2date(days + POSTGRES_EPOCH_JDATE);
        let bc = y <= 0;
        let year = if bc { 1 - y } else { y };
        let dmy = self.order == Order::Dmy;
        match self.style {
            Style::Sql if dmy => out.push_str(&format!("{d:02}/{m:02}/{year:04}")),
            Style::Sql => out.push_str(&format!("{m:02}/{d:02}/{year:04}")),
            Style::German => out.push_str(&format!("{d:02}.{m:02}.{year:04}")),
            Style::Postgres if dmy => out.push_str(&format!("{d:02}-{m:02}-{year:04}")),
            Style::Postgres => out.push_str(&format!("{m:02}-{d:02}-{year:04}")),
            Style::Iso => out.push_str(&format!("{year:04}-{m:02}-{d:02}")),
        }
        bc
    }

    fn format_ts(&self, us: i64, zone: Option<(i32, Option<String>)>) -> String {
        let mut out = String::with_capacity(40);
        let days = us.div_euclid(USECS_PER_DAY);
        let bc;
        if self.style == Style::Postgres {
            let (y, m, d) = j2date(days + POSTGRES_EPOCH_JDATE);
            bc = y <= 0;
            let year = if bc { 1 - y } else { y };
            // j2day: 2000-01-01 (day 0) was a Saturday.
            out.push_str(DAYS[(days + 6).rem_euclid(7) as usize]);
            let month = MONTHS[(m - 1) as usize];
            if self.order == Order::Dmy {
                out.push_str(&format!(" {d:02} {month} "));
            } else {
                out.push_str(&format!(" {month} {d:02} "));
            }
            push_time(us.rem_euclid(USECS_PER_DAY), &mut out);
            out.push_str(&format!(" {year:04}"));
        } else {
            bc = self.push_date(days, &mut out);
            out.push(' ');
            push_time(us.rem_euclid(USECS_PER_DAY), &mut out);
        }
        if let Some((off, abbrev)) = zone {
            out.push(' ');
            match abbrev {
                Some(a) => out.push_str(&a),
                None => format_offset(off, &mut out),
            }
        }
        if bc {
            out.push_str(" BC");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(v: &str) -> DateStyle {
        DateStyle::parse(v, DateStyle::default(), DateStyle::default()).unwrap()
    }

    #[test]
    fn setting_like_check_datestyle() {
        assert_eq!(ds("ISO, MDY").name(), "ISO, MDY");
        assert_eq!(ds("German").name(), "German, DMY");
        assert_eq!(ds("German, YMD").name(), "German, YMD");
        assert_eq!(ds("YMD, German").name(), "German, YMD");
        assert_eq!(ds("sql,dmy").name(), "SQL, DMY");
        assert_eq!(ds("postgres").name(), "Postgres, MDY");
        assert_eq!(ds("euro").name(), "ISO, DMY");
        let cur = ds("SQL, DMY");
        assert_eq!(DateStyle::parse("YMD", cur, DateStyle::default()).unwrap().name(), "SQL, YMD");
        assert_eq!(DateStyle::parse("DEFAULT", cur, DateStyle::default()).unwrap().name(), "ISO, MDY");
        let e = DateStyle::parse("ISO, SQL", cur, DateStyle::default()).unwrap_err();
        assert_eq!(e.code, "22023");
        assert!(DateStyle::parse("DMY, MDY", cur, DateStyle::default()).is_err());
        assert!(DateStyle::parse("wat", cur, DateStyle::default()).is_err());
    }

    // Expected strings are PostgreSQL 15's output for 1997-12-17 07:37:16.5 (a Wednesday).
    #[test]
    fn output_like_postgres() {
        let day = super::super::datetime::date_from_ymd(1997, 12, 17).unwrap();
        let ts = day as i64 * USECS_PER_DAY + (7 * 3600 + 37 * 60 + 16) * 1_000_000 + 500_000;
        let utc = TimeZone::utc();
        let la = TimeZone::parse("America/Los_Angeles").unwrap();
        let utc_ts = ts + 8 * 3600 * 1_000_000;
        let cases = [
            ("SQL, MDY", "12/17/1997", "12/17/1997 07:37:16.5", "12/17/1997 07:37:16.5 PST"),
            ("SQL, DMY", "17/12/1997", "17/12/1997 07:37:16.5", "17/12/1997 07:37:16.5 PST"),
            ("German", "17.12.1997", "17.12.1997 07:37:16.5", "17.12.1997 07:37:16.5 PST"),
            ("Postgres, MDY", "12-17-1997", "Wed Dec 17 07:37:16.5 1997", "Wed Dec 17 07:37:16.5 1997 PST"),
            ("Postgres, DMY", "17-12-1997", "Wed 17 Dec 07:37:16.5 1997", "Wed 17 Dec 07:37:16.5 1997 PST"),
            ("ISO, DMY", "1997-12-17", "1997-12-17 07:37:16.5", "1997-12-17 07:37:16.5-08"),
        ];
        for (style, date, timestamp, tz) in cases {
            let s = ds(style);
            assert_eq!(s.format_date(day), date, "{style}");
            assert_eq!(s.format_timestamp(ts), timestamp, "{style}");
            assert_eq!(s.format_timestamptz(utc_ts, &la), tz, "{style}");
        }
        assert_eq!(ds("SQL").format_timestamptz(utc_ts, &utc), "12/17/1997 15:37:16.5 UTC");
        assert_eq!(ds("Postgres").format_date(i32::MAX), "infinity");
        assert_eq!(ds("German").format_timestamp(i64::MIN), "-infinity");
        let bc = super::super::datetime::date_from_ymd(-43, 3, 15).unwrap();
        assert_eq!(ds("SQL, DMY").format_date(bc), "15/03/0044 BC");
        assert_eq!(ds("Postgres").format_timestamp(bc as i64 * USECS_PER_DAY), "Fri Mar 15 00:00:00 0044 BC");
    }
}
