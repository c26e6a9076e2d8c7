//! interval: IntervalStyle `postgres` output, PostgreSQL-style and ISO 8601 input.

use super::datetime::{push_fraction, USECS_PER_DAY, USECS_PER_SEC};
use crate::error::{sqlstate, PgError, PgResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Interval {
    pub months: i32,
    pub days: i32,
    pub micros: i64,
}

const USECS_PER_MINUTE: i64 = 60 * USECS_PER_SEC;
const USECS_PER_HOUR: i64 = 60 * USECS_PER_MINUTE;

fn overflow() -> PgError {
    PgError::new(sqlstate::DATETIME_FIELD_OVERFLOW, "interval out of range")
}

impl Interval {
    /// EncodeInterval with INTSTYLE_POSTGRES: `1 year 2 mons -3 days +04:05:06.7`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut is_zero = true;
        let mut is_before = false;
        let mut part = |value: i64, unit: &str, out: &mut String| {
            if value == 0 {
                return;
            }
            let sp = if is_zero { "" } else { " " };
            let plus = if is_before && value > 0 { "+" } else { "" };
            let s = if value != 1 { "s" } else { "" };
            out.push_str(&format!("{sp}{plus}{value} {unit}{s}"));
            is_before = value < 0;
            is_zero = false;
        };
        part((self.months / 12) as i64, "year", &mut out);
        part((self.months % 12) as i64, "mon", &mut out);
        part(self.days as i64, "day", &mut out);
        let t = self.micros;
        let (hour, min, sec, frac) = (
            t / USECS_PER_HOUR,
            t % USECS_PER_HOUR / USECS_PER_MINUTE,
            t % USECS_PER_MINUTE / USECS_PER_SEC,
            t % USECS_PER_SEC,
        );
        if is_zero || t != 0 {
            let minus = hour < 0 || min < 0 || sec < 0 || frac < 0;
            out.push_str(if is_zero { "" } else { " " });
            out.push_str(if minus {
                "-"
            } else if is_before {
                "+"
            } else {
                ""
            });
            out.push_str(&format!("{:02}:{:02}:{:02}", hour.unsigned_abs(), min.unsigned_abs(), sec.unsigned_abs()));
            push_fraction(frac, &mut out);
        }
        out
    }

    /// interval_in for the styles clients send: `1 year 2 mons 3 days 04:05:06`,
    /// `@ 1 hour ago`, `1.5 days`, `-1 day +02:03:00`, `3 days, 4:05:06` and ISO 8601 `P1Y2M3DT4H5M6S`.
    pub fn parse(input: &str) -> PgResult<Interval> {
        let t = input.trim().to_ascii_lowercase();
        let bad = || {
            PgError::new(
                sqlstate::INVALID_DATETIME_FORMAT,
                format!("invalid input syntax for type interval: \"{input}\""),
            )
        };
        if let Some(iso) = t.strip_prefix('p') {
            return parse_iso(iso).ok_or_else(bad)?;
        }
        let mut acc = Acc::default();
        let mut ago = false;
        let mut any = false;
        let tokens = tokenize(&t).ok_or_else(bad)?;
        let mut i = 0;
        while i < tokens.len() {
            match &tokens[i] {
                Token::Word(w) if w == "ago" => ago = true,
                Token::Word(_) => return Err(bad()),
                Token::Time(neg, h, m, s) => {
                    let us = h
                        .checked_mul(USECS_PER_HOUR)
                        .and_then(|v| v.checked_add(m * USECS_PER_MINUTE + s))
                        .ok_or_else(overflow)?;
                    acc.add_micros(if *neg { -us } else { us })?;
                    any = true;
                }
                Token::Number(n) => {
                    let unit = match tokens.get(i + 1) {
                        Some(Token::Word(w)) if w != "ago" => {
                            i += 1;
                            w.as_str()
                        }
                        _ => "second",
                    };
                    acc.add(*n, unit).ok_or_else(bad)??;
                    any = true;
                }
            }
            i += 1;
        }
        if !any {
            return Err(bad());
        }
        let mut iv = acc.finish()?;
        if ago {
            iv = Interval {
                months: iv.months.checked_neg().ok_or_else(overflow)?,
                days: iv.days.checked_neg().ok_or_else(overflow)?,
                micros: iv.micros.checked_neg().ok_or_else(overflow)?,
            };
        }
        Ok(iv)
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Number(f64),
    Word(String),
    /// negative, hours, minutes, microseconds of the seconds field
    Time(bool, i64, i64, i64),
}

fn tokenize(s: &str) -> Option<Vec<Token>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() || c == b',' || c == b'@' {
            i += 1;
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            out.push(Token::Word(s[start..i].to_string()));
        } else if c.is_ascii_digit() || c == b'-' || c == b'+' || c == b'.' {
            let start = i;
            i += 1;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b':') {
                i += 1;
            }
            let tok = &s[start..i];
            out.push(if tok.contains(':') { time_token(tok)? } else { Token::Number(number(tok)?) });
        } else {
            return None;
        }
    }
    Some(out)
}

fn number(tok: &str) -> Option<f64> {
    let digits = tok.trim_start_matches(['+', '-']);
    if digits.is_empty() || digits == "." || digits.matches('.').count() > 1 {
        return None;
    }
    tok.parse().ok()
}

/// `[+-]H:MM[:SS[.frac]]`
fn time_token(tok: &str) -> Option<Token> {
    let neg = tok.starts_with('-');
    let parts: Vec<&str> = tok.trim_start_matches(['+', '-']).split(':').collect();
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let h: i64 = parts[0].parse().ok()?;
    let m: i64 = parts[1].parse().ok()?;
    let s: f64 = match parts.get(2) {
        Some(p) => number(p)?,
        None => 0.0,
    };
    if m > 59 || s >= 60.0 {
        return None;
    }
    Some(Token::Time(neg, h, m, (s * 1e6).round_ties_even() as i64))
}

/// Sum of parts; fractions cascade down as DecodeInterval does (month = 30 days).
#[derive(Default)]
struct Acc {
    months: i64,
    days: i64,
    micros: i64,
}

impl Acc {
    fn add_micros(&mut self, us: i64) -> PgResult<()> {
        self.micros = self.micros.checked_add(us).ok_or_else(overflow)?;
        Ok(())
    }

    fn add_days_frac(&mut self, days: f64) -> PgResult<()> {
        let whole = days.trunc();
        self.days = self.days.checked_add(whole as i64).ok_or_else(overflow)?;
        self.add_micros(((days - whole) * USECS_PER_DAY as f64).round_ties_even() as i64)
    }

    /// None: unknown unit.
    fn add(&mut self, n: f64, unit: &str) -> Option<PgResult<()>> {
        if !n.is_finite() || n.abs() > 1e18 {
            return Some(Err(overflow()));
        }
        let months_per = match unit {
            "year" | "years" | "yr" | "yrs" | "y" => Some(12.0),
            "decade" | "decades" => Some(120.0),
            "century" | "centuries" | "c" => Some(1200.0),
            "millennium" | "millennia" | "millenniums" => Some(12000.0),
            _ => None,
        };
        if let Some(per) = months_per {
            self.months += (n * per).round_ties_even() as i64;
            return Some(Ok(()));
        }
        let r = match unit {
            "month" | "months" | "mon" | "mons" => {
                self.months += n.trunc() as i64;
                self.add_days_frac(n.fract() * 30.0)
            }
            "week" | "weeks" | "w" => self.add_days_frac(n * 7.0),
            "day" | "days" | "d" => self.add_days_frac(n),
            _ => {
                let per = match unit {
                    "hour" | "hours" | "hr" | "hrs" | "h" => USECS_PER_HOUR,
                    "minute" | "minutes" | "min" | "mins" | "m" => USECS_PER_MINUTE,
                    "second" | "seconds" | "sec" | "secs" | "s" => USECS_PER_SEC,
                    "millisecond" | "milliseconds" | "msec" | "msecs" | "ms" => 1000,
                    "microsecond" | "microseconds" | "usec" | "usecs" | "us" => 1,
                    _ => return None,
                };
                self.add_micros((n * per as f64).round_ties_even() as i64)
            }
        };
        Some(r)
    }

    fn finish(self) -> PgResult<Interval> {
        Ok(Interval {
            months: i32::try_from(self.months).map_err(|_| overflow())?,
            days: i32::try_from(self.days).map_err(|_| overflow())?,
            micros: self.micros,
        })
    }
}

/// ISO 8601 `nYnMnWnDTnHnMnS` (after the `P`).
fn parse_iso(s: &str) -> Option<PgResult<Interval>> {
    let mut acc = Acc::default();
    let mut in_time = false;
    let mut rest = s;
    let mut any = false;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('t') {
            in_time = true;
            rest = r;
            continue;
        }
        let end = rest.find(|c: char| c.is_ascii_alphabetic())?;
        let n = number(&rest[..end])?;
        let unit = match (rest.as_bytes()[end], in_time) {
            (b'y', false) => "year",
            (b'm', false) => "month",
            (b'w', false) => "week",
            (b'd', false) => "day",
            (b'h', true) => "hour",
            (b'm', true) => "minute",
            (b's', true) => "second",
            _ => return None,
        };
        if let Err(e) = acc.add(n, unit)? {
            return Some(Err(e));
        }
        any = true;
        rest = &rest[end + 1..];
    }
    if !any {
        return None;
    }
    Some(acc.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn iv(months: i32, days: i32, micros: i64) -> Interval {
        Interval { months, days, micros }
    }

    #[test]
    fn output_matches_postgres() {
        // Strings from PostgreSQL 15 with IntervalStyle postgres.
        assert_eq!(iv(0, 0, 0).to_text(), "00:00:00");
        assert_eq!(iv(0, -1, 2 * USECS_PER_HOUR).to_text(), "-1 days +02:00:00");
        assert_eq!(iv(10, 0, 0).to_text(), "10 mons");
        assert_eq!(iv(0, 0, -3 * USECS_PER_HOUR).to_text(), "-03:00:00");
        assert_eq!(iv(0, -1, -USECS_PER_HOUR).to_text(), "-1 days -01:00:00");
        assert_eq!(
            iv(14, 3, 4 * USECS_PER_HOUR + 5 * USECS_PER_MINUTE + 6_789_000).to_text(),
            "1 year 2 mons 3 days 04:05:06.789"
        );
        assert_eq!(iv(-13, 1, 0).to_text(), "-1 years -1 mons +1 day");
        assert_eq!(iv(0, 0, 100 * USECS_PER_HOUR).to_text(), "100:00:00");
        assert_eq!(iv(0, 0, -1).to_text(), "-00:00:00.000001");
    }

    #[test]
    fn input_forms() {
        let p = |s: &str| Interval::parse(s).unwrap();
        assert_eq!(p("1 year 2 mons 3 days 04:05:06.789"), iv(14, 3, 14_706_789_000));
        assert_eq!(p("-1 days +02:00:00"), iv(0, -1, 2 * USECS_PER_HOUR));
        assert_eq!(p("1 day 1 hour ago"), iv(0, -1, -USECS_PER_HOUR));
        assert_eq!(p("@ 2 weeks"), iv(0, 14, 0));
        assert_eq!(p("1.5 days"), iv(0, 1, 12 * USECS_PER_HOUR));
        assert_eq!(p("1.5 months"), iv(1, 15, 0));
        assert_eq!(p("3 days, 4:05:06.000007"), iv(0, 3, 14_706_000_007));
        assert_eq!(p("-1 day 23:59:59"), iv(0, -1, 86_399_000_000));
        assert_eq!(p("P1Y2M3DT4H5M6S"), iv(14, 3, 14_706_000_000));
        assert_eq!(p("PT0.5S"), iv(0, 0, 500_000));
        assert_eq!(p("10"), iv(0, 0, 10_000_000));
        assert_eq!(p("2 hours 30 minutes"), iv(0, 0, 9_000_000_000));
        for bad in ["", "1 fortnight", "P", "abc", "1:99"] {
            assert_eq!(Interval::parse(bad).unwrap_err().code, "22007", "{bad}");
        }
        assert_eq!(Interval::parse("3000000000 days").unwrap_err().code, "22008");
    }

    proptest! {
        #[test]
        fn text_round_trips(months in any::<i32>(), days in any::<i32>(), micros in -(1i64 << 50)..(1i64 << 50)) {
            let v = iv(months, days, micros);
            prop_assert_eq!(Interval::parse(&v.to_text()).unwrap(), v);
        }
    }
}
