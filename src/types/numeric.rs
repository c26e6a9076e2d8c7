//! Arbitrary-precision numeric: PostgreSQL's text form and its binary form
//! (base-10000 digits, weight, sign, dscale), plus the casts the codecs need.

use bytes::{BufMut, BytesMut};

use super::number::{invalid, out_of_range};
use crate::error::{sqlstate, PgError, PgResult};

const SIGN_POS: u16 = 0x0000;
const SIGN_NEG: u16 = 0x4000;
const SIGN_NAN: u16 = 0xC000;
const SIGN_PINF: u16 = 0xD000;
const SIGN_NINF: u16 = 0xF000;
/// NUMERIC_DSCALE_MAX and the largest weight a binary numeric can carry.
const DSCALE_MAX: i64 = 0x3FFF;
const WEIGHT_MAX: i64 = i16::MAX as i64;
/// Exponents past what the format can hold overflow anyway; this bound only keeps the
/// arithmetic small (PostgreSQL 15 takes `1e131071`, and 22003 beyond).
const EXPONENT_MAX: i64 = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Numeric {
    NaN,
    PosInf,
    NegInf,
    Finite(Decimal),
}

/// value = (-1)^neg * 0.d1d2d3... * 10^point, shown with `dscale` fraction digits.
/// `digits` (0..=9 each) has no leading or trailing zeros; empty means zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    pub neg: bool,
    pub digits: Vec<u8>,
    pub point: i64,
    pub dscale: u16,
}

impl Decimal {
    fn new(neg: bool, mut digits: Vec<u8>, mut point: i64, dscale: i64) -> PgResult<Decimal> {
        let lead = digits.iter().take_while(|d| **d == 0).count();
        digits.drain(..lead);
        point -= lead as i64;
        // Digits beyond the display scale are cut (numeric_recv truncates the same way).
        let keep = (point + dscale).clamp(0, digits.len() as i64) as usize;
        digits.truncate(keep);
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            point = 0;
        }
        if dscale > DSCALE_MAX || point > (WEIGHT_MAX + 1) * 4 {
            return Err(PgError::new(sqlstate::NUMERIC_VALUE_OUT_OF_RANGE, "value overflows numeric format"));
        }
        Ok(Decimal { neg: neg && !digits.is_empty(), digits, point, dscale: dscale.max(0) as u16 })
    }
}

impl Numeric {
    /// numeric_in: whitespace, sign, digits with an optional point, an optional exponent;
    /// NaN and Infinity spellings.
    pub fn parse(input: &str) -> PgResult<Numeric> {
        let t = input.trim();
        match t.to_ascii_lowercase().as_str() {
            "nan" => return Ok(Numeric::NaN),
            "infinity" | "+infinity" | "inf" | "+inf" => return Ok(Numeric::PosInf),
            "-infinity" | "-inf" => return Ok(Numeric::NegInf),
            _ => {}
        }
        let bad = || invalid("numeric", input);
        let (neg, rest) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (int_part, frac_part) = match mantissa.split_once('.') {
            Some((i, f)) => (i, f),
            None => (mantissa, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
        if (int_part.is_empty() && frac_part.is_empty()) || !all_digits(int_part) || !all_digits(frac_part) {
            return Err(bad());
        }
        let exp: i64 = match exponent {
            None => 0,
            Some(e) => {
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if digits.is_empty() || !all_digits(digits) {
                    return Err(bad());
                }
                let v: i64 = e.parse().unwrap_or(i64::MAX);
                if !(-EXPONENT_MAX..=EXPONENT_MAX).contains(&v) {
                    return Err(PgError::new(sqlstate::NUMERIC_VALUE_OUT_OF_RANGE, "value overflows numeric format"));
                }
                v
            }
        };
        let digits: Vec<u8> = int_part.bytes().chain(frac_part.bytes()).map(|c| c - b'0').collect();
        let point = int_part.len() as i64 + exp;
        let dscale = (frac_part.len() as i64 - exp).max(0);
        Ok(Numeric::Finite(Decimal::new(neg, digits, point, dscale)?))
    }

    /// The value as a `numeric(p, scale)` column holds it: rounded half away from
    /// zero to `scale` fraction digits (numeric_in with a typmod). Precision is not
    /// checked here: the backend stored the value already.
    pub fn with_scale(&self, scale: i32) -> PgResult<Numeric> {
        let d = match self {
            Numeric::Finite(d) => d,
            special => return Ok(special.clone()),
        };
        let keep = d.point + scale as i64;
        let (mut digits, mut point) = (d.digits.clone(), d.point);
        if keep < 0 {
            digits.clear();
        } else if (keep as usize) < digits.len() {
            let round_up = digits[keep as usize] >= 5;
            digits.truncate(keep as usize);
            if round_up {
                let mut i = digits.len();
                loop {
                    if i == 0 {
                        digits.insert(0, 1);
                        point += 1;
                        break;
                    }
                    i -= 1;
                    if digits[i] == 9 {
                        digits[i] = 0;
                    } else {
                        digits[i] += 1;
                        break;
                    }
                }
            }
        }
        Ok(Numeric::Finite(Decimal::new(d.neg, digits, point, scale as i64)?))
    }

    /// numeric_out: plain notation with exactly dscale fraction digits.
    pub fn to_text(&self) -> String {
        let d = match self {
            Numeric::NaN => return "NaN".into(),
            Numeric::PosInf => return "Infinity".into(),
            Numeric::NegInf => return "-Infinity".into(),
            Numeric::Finite(d) => d,
        };
        let digit = |i: i64| -> char {
            if i >= 0 && (i as usize) < d.digits.len() {
                (b'0' + d.digits[i as usize]) as char
            } else {
                '0'
            }
        };
        let mut out = String::with_capacity(d.point.max(1) as usize + d.dscale as usize + 2);
        if d.neg {
            out.push('-');
        }
        if d.point <= 0 {
            out.push('0');
        } else {
            (0..d.point).for_each(|i| out.push(digit(i)));
        }
        if d.dscale > 0 {
            out.push('.');
            (0..d.dscale as i64).for_each(|i| out.push(digit(d.point + i)));
        }
        out
    }

    /// numeric_send: ndigits, weight, sign, dscale (all int16/uint16), then base-10000 digits.
    pub fn write_binary(&self, buf: &mut BytesMut) {
        let d = match self {
            Numeric::NaN => return put_header(buf, 0, 0, SIGN_NAN, 0),
            Numeric::PosInf => return put_header(buf, 0, 0, SIGN_PINF, 0),
            Numeric::NegInf => return put_header(buf, 0, 0, SIGN_NINF, 0),
            Numeric::Finite(d) => d,
        };
        if d.digits.is_empty() {
            return put_header(buf, 0, 0, SIGN_POS, d.dscale);
        }
        // Left-pad so the decimal point falls on a base-10000 group boundary.
        let lead = (4 - d.point.rem_euclid(4)) % 4;
        let mut padded: Vec<u8> = std::iter::repeat_n(0, lead as usize).chain(d.digits.iter().copied()).collect();
        while padded.len() % 4 != 0 {
            padded.push(0);
        }
        let groups: Vec<i16> = padded.chunks(4).map(|c| c.iter().fold(0i16, |acc, x| acc * 10 + *x as i16)).collect();
        let weight = (d.point + lead) / 4 - 1;
        let sign = if d.neg { SIGN_NEG } else { SIGN_POS };
        put_header(buf, groups.len() as i16, weight as i16, sign, d.dscale);
        groups.iter().for_each(|g| buf.put_i16(*g));
    }

    /// numeric_recv, with its validity checks (22P03 for malformed input).
    pub fn read_binary(raw: &[u8]) -> PgResult<Numeric> {
        let bad = |what: &str| {
            PgError::new(
                sqlstate::INVALID_BINARY_REPRESENTATION,
                format!("invalid {what} in external \"numeric\" value"),
            )
        };
        if raw.len() < 8 {
            return Err(bad("length"));
        }
        let word = |i: usize| u16::from_be_bytes([raw[2 * i], raw[2 * i + 1]]);
        let ndigits = word(0) as i16;
        let weight = word(1) as i16 as i64;
        let sign = word(2);
        let dscale = word(3);
        if ndigits < 0 || raw.len() != 8 + 2 * ndigits as usize {
            return Err(bad("length"));
        }
        match sign {
            SIGN_NAN => return Ok(Numeric::NaN),
            SIGN_PINF => return Ok(Numeric::PosInf),
            SIGN_NINF => return Ok(Numeric::NegInf),
            SIGN_POS | SIGN_NEG => {}
            _ => return Err(bad("sign")),
        }
        if dscale as i64 > DSCALE_MAX {
            return Err(bad("scale"));
        }
        let mut digits = Vec::with_capacity(ndigits as usize * 4);
        for i in 0..ndigits as usize {
            let g = word(4 + i);
            if g >= 10000 {
                return Err(bad("digit"));
            }
            digits.extend_from_slice(&[(g / 1000) as u8, (g / 100 % 10) as u8, (g / 10 % 10) as u8, (g % 10) as u8]);
        }
        Ok(Numeric::Finite(Decimal::new(sign == SIGN_NEG, digits, (weight + 1) * 4, dscale as i64)?))
    }

    pub fn from_i64(i: i64) -> Numeric {
        let neg = i < 0;
        let digits: Vec<u8> = i.unsigned_abs().to_string().bytes().map(|c| c - b'0').collect();
        let point = digits.len() as i64;
        Numeric::Finite(Decimal::new(neg, digits, point, 0).expect("an i64 fits"))
    }

    /// float8 -> numeric as PostgreSQL casts it: `%.15g` (DBL_DIG digits), then numeric_in.
    pub fn from_f64(f: f64) -> Numeric {
        if f.is_nan() {
            return Numeric::NaN;
        }
        if f.is_infinite() {
            return if f > 0.0 { Numeric::PosInf } else { Numeric::NegInf };
        }
        let sci = format!("{f:.14e}");
        let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        Numeric::parse(&format!("{mantissa}e{exp}")).expect("formatted float is valid numeric")
    }

    /// numeric -> integer: round half away from zero, then range check (22003).
    pub fn to_i64(&self, min: i64, max: i64, type_name: &str) -> PgResult<i64> {
        let d = match self {
            Numeric::Finite(d) => d,
            Numeric::NaN => {
                return Err(PgError::new(sqlstate::FEATURE_NOT_SUPPORTED, format!("cannot convert NaN to {type_name}")))
            }
            _ => {
                return Err(PgError::new(
                    sqlstate::FEATURE_NOT_SUPPORTED,
                    format!("cannot convert infinity to {type_name}"),
                ))
            }
        };
        if d.point > 19 {
            return Err(out_of_range(type_name));
        }
        let mut mag: i128 = 0;
        for i in 0..d.point.max(0) {
            mag = mag * 10 + *d.digits.get(i as usize).unwrap_or(&0) as i128;
        }
        let first_frac = if d.point >= 0 { d.digits.get(d.point as usize).copied() } else { None };
        if first_frac.unwrap_or(0) >= 5 {
            mag += 1;
        }
        let v = if d.neg { -mag } else { mag };
        if v < min as i128 || v > max as i128 {
            return Err(out_of_range(type_name));
        }
        Ok(v as i64)
    }

    pub fn to_f64(&self) -> f64 {
        match self {
            Numeric::NaN => f64::NAN,
            Numeric::PosInf => f64::INFINITY,
            Numeric::NegInf => f64::NEG_INFINITY,
            Numeric::Finite(_) => self.to_text().parse().unwrap_or(f64::NAN),
        }
    }
}

fn put_header(buf: &mut BytesMut, ndigits: i16, weight: i16, sign: u16, dscale: u16) {
    buf.put_i16(ndigits);
    buf.put_i16(weight);
    buf.put_u16(sign);
    buf.put_u16(dscale);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(s: &str) -> String {
        Numeric::parse(s).unwrap().to_text()
    }

    fn binary(s: &str) -> Vec<u8> {
        let mut b = BytesMut::new();
        Numeric::parse(s).unwrap().write_binary(&mut b);
        b.to_vec()
    }

    #[test]
    fn with_scale_rounds_like_numeric_typmod() {
        // Expected values: PostgreSQL 15 `SELECT 'v'::numeric(p, s)`.
        for (input, scale, out) in [
            ("1.5", 2, "1.50"),
            ("1.005", 2, "1.01"),
            ("-1.005", 2, "-1.01"),
            ("9.995", 2, "10.00"),
            ("0.5", 0, "1"),
            ("0.4", 0, "0"),
            ("-0.004", 2, "0.00"),
            ("0.0005", 2, "0.00"),
            ("123456789012345678901234.56789", 3, "123456789012345678901234.568"),
            ("NaN", 2, "NaN"),
            ("12", 0, "12"),
            // numeric(p, s) with a negative scale (PostgreSQL 15) rounds to 10^-s.
            ("12345", -3, "12000"),
            ("12500.1", -3, "13000"),
            ("-499", -3, "0"),
            ("-96", -1, "-100"),
        ] {
            let n = Numeric::parse(input).unwrap().with_scale(scale).unwrap();
            assert_eq!(n.to_text(), out, "{input} at scale {scale}");
        }
    }

    #[test]
    fn text_forms_match_postgres() {
        for (input, out) in [
            ("1.50", "1.50"),
            ("  -0.00 ", "0.00"),
            ("1e3", "1000"),
            ("1.5e3", "1500"),
            ("1.5E-3", "0.0015"),
            ("-.5", "-0.5"),
            ("5.", "5"),
            ("007", "7"),
            ("0.000100", "0.000100"),
            ("nan", "NaN"),
            ("-inf", "-Infinity"),
            ("123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789"),
        ] {
            assert_eq!(text(input), out, "{input}");
        }
        for bad in ["", ".", "1e", "1.2.3", "abc", "- 1"] {
            assert_eq!(Numeric::parse(bad).unwrap_err().code, "22P02", "{bad}");
        }
        // PostgreSQL 15's limits: 131072 integer digits, 16383 fraction digits.
        assert_eq!(text("1e131071").len(), 131072);
        assert_eq!(text("1e-16383").len(), 16385);
        for over in ["1e131072", "1e-16384", "1e99999999999"] {
            assert_eq!(Numeric::parse(over).unwrap_err().code, "22003", "{over}");
        }
    }

    #[test]
    fn binary_matches_postgres_bytes() {
        // numeric_send output, taken from PostgreSQL 15 (SELECT numeric_send(x)).
        assert_eq!(binary("0"), [0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(binary("0.00"), [0, 0, 0, 0, 0, 0, 0, 2]);
        assert_eq!(binary("1"), [0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(binary("-12345.678"), [0, 3, 0, 1, 0x40, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c]);
        assert_eq!(binary("10000"), [0, 1, 0, 1, 0, 0, 0, 0, 0, 1]);
        assert_eq!(binary("0.0001"), [0, 1, 0xff, 0xff, 0, 0, 0, 4, 0, 1]);
        assert_eq!(binary("NaN"), [0, 0, 0, 0, 0xc0, 0, 0, 0]);
        assert_eq!(binary("Infinity"), [0, 0, 0, 0, 0xd0, 0, 0, 0]);
        assert_eq!(binary("-Infinity"), [0, 0, 0, 0, 0xf0, 0, 0, 0]);
    }

    #[test]
    fn binary_input_checks() {
        let n = Numeric::read_binary(&[0, 3, 0, 1, 0x40, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c]).unwrap();
        assert_eq!(n.to_text(), "-12345.678");
        // Digits hidden by dscale are truncated, as numeric_recv does.
        assert_eq!(Numeric::read_binary(&[0, 2, 0, 0, 0, 0, 0, 1, 0, 1, 0x13, 0x88]).unwrap().to_text(), "1.5");
        assert_eq!(Numeric::read_binary(&[0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10]).unwrap_err().code, "22P03");
        assert_eq!(Numeric::read_binary(&[0, 0, 0, 0, 0x12, 0, 0, 0]).unwrap_err().code, "22P03");
        assert_eq!(Numeric::read_binary(&[0, 1]).unwrap_err().code, "22P03");
    }

    #[test]
    fn casts() {
        assert_eq!(Numeric::from_f64(0.1).to_text(), "0.1");
        assert_eq!(Numeric::from_f64(1.0 / 3.0).to_text(), "0.333333333333333");
        assert_eq!(Numeric::from_f64(1.5e-7).to_text(), "0.00000015");
        assert_eq!(Numeric::from_f64(1e20).to_text(), "100000000000000000000");
        assert_eq!(Numeric::from_i64(i64::MIN).to_text(), "-9223372036854775808");
        assert_eq!(Numeric::parse("2.5").unwrap().to_i64(i64::MIN, i64::MAX, "bigint").unwrap(), 3);
        assert_eq!(Numeric::parse("-2.5").unwrap().to_i64(i64::MIN, i64::MAX, "bigint").unwrap(), -3);
        assert_eq!(Numeric::parse("0.4").unwrap().to_i64(i64::MIN, i64::MAX, "bigint").unwrap(), 0);
        assert!(Numeric::parse("1e30").unwrap().to_i64(i64::MIN, i64::MAX, "bigint").is_err());
        assert_eq!(Numeric::parse("1e-3").unwrap().to_f64(), 0.001);
    }

    proptest! {
        #[test]
        fn text_binary_text_identity(neg in any::<bool>(), int in "[0-9]{0,40}", frac in "[0-9]{0,40}") {
            prop_assume!(!(int.is_empty() && frac.is_empty()));
            let s = format!("{}{}.{}", if neg { "-" } else { "" }, int, frac);
            let n = Numeric::parse(&s).unwrap();
            let mut b = BytesMut::new();
            n.write_binary(&mut b);
            let back = Numeric::read_binary(&b).unwrap();
            prop_assert_eq!(&back, &n);
            prop_assert_eq!(Numeric::parse(&back.to_text()).unwrap(), n);
        }

        #[test]
        fn int_cast_round_trips(i in any::<i64>()) {
            prop_assert_eq!(Numeric::from_i64(i).to_i64(i64::MIN, i64::MAX, "bigint").unwrap(), i);
            prop_assert_eq!(Numeric::from_i64(i).to_text(), i.to_string());
        }
    }
}
