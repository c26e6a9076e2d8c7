//! Integer, float and bool text forms exactly as PostgreSQL writes and reads them.

use crate::error::{sqlstate, PgError, PgResult};

pub fn invalid(type_name: &str, input: &str) -> PgError {
    PgError::new(
        sqlstate::INVALID_TEXT_REPRESENTATION,
        format!("invalid input syntax for type {type_name}: \"{input}\""),
    )
}

pub fn out_of_range(type_name: &str) -> PgError {
    PgError::new(sqlstate::NUMERIC_VALUE_OUT_OF_RANGE, format!("{type_name} out of range"))
}

pub fn value_out_of_range(type_name: &str, input: &str) -> PgError {
    PgError::new(
        sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
        format!("value \"{input}\" is out of range for type {type_name}"),
    )
}

/// float8 output with extra_float_digits = 1 (the default since PostgreSQL 12):
/// shortest round-trip digits, fixed notation for decimal exponents -4..15.
pub fn format_float8(f: f64) -> String {
    if !f.is_finite() {
        return non_finite(f);
    }
    layout(&format!("{f:e}"), 15)
}

/// float4 output: shortest digits that round-trip through f32, fixed for exponents -4..6.
pub fn format_float4(f: f32) -> String {
    if !f.is_finite() {
        return non_finite(f as f64);
    }
    layout(&format!("{f:e}"), 6)
}

fn non_finite(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f > 0.0 {
        "Infinity".into()
    } else {
        "-Infinity".into()
    }
}

/// Re-lay Rust's shortest `{:e}` output ("-1.5e-7") the way PostgreSQL's Ryu port does.
fn layout(sci: &str, fixed_below: i32) -> String {
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::with_capacity(digits.len() + 8);
    if neg {
        out.push('-');
    }
    if (-4..fixed_below).contains(&exp) {
        if exp < 0 {
            out.push_str("0.");
            out.push_str(&"0".repeat((-exp - 1) as usize));
            out.push_str(&digits);
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.push_str(&"0".repeat(int_len - digits.len()));
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.abs()));
    }
    out
}

/// float8in: surrounding whitespace, NaN/Infinity spellings, out-of-range is 22003.
pub fn parse_float8(input: &str) -> PgResult<f64> {
    let t = input.trim();
    if let Some(special) = special_float(t) {
        return Ok(special);
    }
    if !plain_float_syntax(t) {
        return Err(invalid("double precision", input));
    }
    let v: f64 = t.parse().map_err(|_| invalid("double precision", input))?;
    if v.is_infinite() || (v == 0.0 && has_nonzero_digit(t)) {
        return Err(PgError::new(
            sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
            format!("\"{t}\" is out of range for type double precision"),
        ));
    }
    Ok(v)
}

pub fn parse_float4(input: &str) -> PgResult<f32> {
    let t = input.trim();
    if let Some(special) = special_float(t) {
        return Ok(special as f32);
    }
    if !plain_float_syntax(t) {
        return Err(invalid("real", input));
    }
    let v: f32 = t.parse().map_err(|_| invalid("real", input))?;
    if v.is_infinite() || (v == 0.0 && has_nonzero_digit(t)) {
        return Err(PgError::new(
            sqlstate::NUMERIC_VALUE_OUT_OF_RANGE,
            format!("\"{t}\" is out of range for type real"),
        ));
    }
    Ok(v)
}

fn special_float(t: &str) -> Option<f64> {
    match t.to_ascii_lowercase().as_str() {
        "nan" | "+nan" | "-nan" => Some(f64::NAN),
        "infinity" | "+infinity" | "inf" | "+inf" => Some(f64::INFINITY),
        "-infinity" | "-inf" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// strtod's decimal syntax only: Rust's parser would also take "inf" and "infinity" words.
fn plain_float_syntax(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - f;
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return false;
        }
    }
    i == b.len()
}

fn has_nonzero_digit(t: &str) -> bool {
    let mantissa = t.split(['e', 'E']).next().unwrap_or("");
    mantissa.bytes().any(|c| (b'1'..=b'9').contains(&c))
}

/// int2in/int4in/int8in: whitespace around an optional sign and decimal digits.
pub fn parse_int(input: &str, min: i64, max: i64, type_name: &str) -> PgResult<i64> {
    let t = input.trim_matches(|c: char| c.is_ascii_whitespace());
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(invalid(type_name, input));
    }
    match t.parse::<i64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(value_out_of_range(type_name, input)),
    }
}

/// oidin: an unsigned 32-bit number (PostgreSQL also takes negatives as wrapped values).
pub fn parse_oid(input: &str) -> PgResult<u32> {
    let v = parse_int(input, i32::MIN as i64, u32::MAX as i64, "oid")?;
    Ok(v as u32)
}

/// boolin: case-insensitive prefixes of true/false/yes/no, on/off (two letters at
/// least), and 1/0, after trimming whitespace.
pub fn parse_bool(input: &str) -> PgResult<bool> {
    let t = input.trim().to_ascii_lowercase();
    let prefix_of = |word: &str, min: usize| t.len() >= min && word.starts_with(t.as_str());
    let v = match t.as_bytes().first() {
        Some(b't') if prefix_of("true", 1) => true,
        Some(b'y') if prefix_of("yes", 1) => true,
        Some(b'f') if prefix_of("false", 1) => false,
        Some(b'n') if prefix_of("no", 1) => false,
        Some(b'o') if prefix_of("on", 2) => true,
        Some(b'o') if prefix_of("off", 2) => false,
        Some(b'1') if t.len() == 1 => true,
        Some(b'0') if t.len() == 1 => false,
        _ => return Err(invalid("boolean", input)),
    };
    Ok(v)
}

/// float8 -> integer as PostgreSQL casts it: round half to even, then range check.
pub fn float_to_int(f: f64, min: i64, max: i64, type_name: &str) -> PgResult<i64> {
    let r = f.round_ties_even();
    if !r.is_finite() || r < min as f64 || r >= (max as f64) + 1.0 {
        return Err(out_of_range(type_name));
    }
    Ok(r as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn float8_text_matches_postgres() {
        // Expected strings are PostgreSQL 15's own output.
        for (v, s) in [
            (1e20, "1e+20"),
            (0.1, "0.1"),
            (1.5e-7, "1.5e-07"),
            (1e15, "1e+15"),
            (1e14, "100000000000000"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-0.0, "-0"),
            (0.0, "0"),
            (123.456, "123.456"),
            (-1.5, "-1.5"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(format_float8(v), s);
        }
    }

    #[test]
    fn float4_text_matches_postgres() {
        for (v, s) in [(1e6f32, "1e+06"), (100000.0, "100000"), (1.1, "1.1"), (3.4028235e38, "3.4028235e+38")] {
            assert_eq!(format_float4(v), s);
        }
    }

    #[test]
    fn float_input() {
        assert_eq!(parse_float8(" 1.5e3 ").unwrap(), 1500.0);
        assert!(parse_float8("-Infinity").unwrap().is_infinite());
        assert!(parse_float8("nan").unwrap().is_nan());
        assert_eq!(parse_float8("1e400").unwrap_err().code, "22003");
        assert_eq!(parse_float8("1e-400").unwrap_err().code, "22003");
        assert_eq!(parse_float8("abc").unwrap_err().code, "22P02");
        assert_eq!(parse_float8("infinityx").unwrap_err().code, "22P02");
        assert_eq!(parse_float4("1e39").unwrap_err().code, "22003");
        assert_eq!(parse_float8("0.0").unwrap(), 0.0);
    }

    #[test]
    fn int_and_bool_input() {
        assert_eq!(parse_int(" -12 ", i32::MIN as i64, i32::MAX as i64, "integer").unwrap(), -12);
        assert_eq!(parse_int("2147483648", i32::MIN as i64, i32::MAX as i64, "integer").unwrap_err().code, "22003");
        assert_eq!(parse_int("1.5", i32::MIN as i64, i32::MAX as i64, "integer").unwrap_err().code, "22P02");
        assert_eq!(parse_int("", i32::MIN as i64, i32::MAX as i64, "integer").unwrap_err().code, "22P02");
        for t in ["t", "TRUE", "tr", "yes", "y", "on", "1", " true "] {
            assert!(parse_bool(t).unwrap(), "{t}");
        }
        for f in ["f", "false", "no", "n", "off", "of", "0"] {
            assert!(!parse_bool(f).unwrap(), "{f}");
        }
        for bad in ["o", "2", "truex", ""] {
            assert_eq!(parse_bool(bad).unwrap_err().code, "22P02");
        }
        assert_eq!(float_to_int(2.5, i32::MIN as i64, i32::MAX as i64, "integer").unwrap(), 2);
        assert!(float_to_int(3e9, i32::MIN as i64, i32::MAX as i64, "integer").is_err());
    }

    proptest! {
        #[test]
        fn float8_text_round_trips(bits in any::<u64>()) {
            let f = f64::from_bits(bits);
            let back = parse_float8(&format_float8(f)).unwrap();
            prop_assert!(back.to_bits() == f.to_bits() || (f.is_nan() && back.is_nan()));
        }

        #[test]
        fn float4_text_round_trips(bits in any::<u32>()) {
            let f = f32::from_bits(bits);
            let back = parse_float4(&format_float4(f)).unwrap();
            prop_assert!(back.to_bits() == f.to_bits() || (f.is_nan() && back.is_nan()));
        }

        #[test]
        fn int8_text_round_trips(i in any::<i64>()) {
            prop_assert_eq!(parse_int(&i.to_string(), i64::MIN, i64::MAX, "bigint").unwrap(), i);
        }
    }
}
