//! uuid text form: lowercase 8-4-4-4-12 out; in, PostgreSQL's looser spellings.

use crate::error::{sqlstate, PgError, PgResult};

pub fn to_text(u: &[u8; 16]) -> String {
    let mut s = String::with_capacity(36);
    for (i, b) in u.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// string_to_uuid: optional braces, 32 hex digits in either case, and a hyphen
/// allowed after any group of four digits.
pub fn parse(input: &str) -> PgResult<[u8; 16]> {
    let bad = || {
        PgError::new(sqlstate::INVALID_TEXT_REPRESENTATION, format!("invalid input syntax for type uuid: \"{input}\""))
    };
    let t = input.trim();
    let inner = match t.strip_prefix('{') {
        Some(r) => r.strip_suffix('}').ok_or_else(bad)?,
        None => t,
    };
    let b = inner.as_bytes();
    let mut out = [0u8; 16];
    let (mut i, mut n) = (0, 0);
    while n < 32 {
        let hi = b.get(i).and_then(|c| (*c as char).to_digit(16)).ok_or_else(bad)?;
        let lo = b.get(i + 1).and_then(|c| (*c as char).to_digit(16)).ok_or_else(bad)?;
        out[n / 2] = (hi * 16 + lo) as u8;
        i += 2;
        n += 2;
        if n % 4 == 0 && n < 32 && b.get(i) == Some(&b'-') {
            i += 1;
        }
    }
    if i != b.len() {
        return Err(bad());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let u = parse("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11").unwrap();
        assert_eq!(to_text(&u), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        for same in [
            "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
            "a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
        ] {
            assert_eq!(parse(same).unwrap(), u, "{same}");
        }
        for bad in [
            "",
            "a0eebc99",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11x",
            "-a0eebc999c0b4ef8bb6d6bb9bd380a11",
            "{a0eebc999c0b4ef8bb6d6bb9bd380a11",
        ] {
            assert_eq!(parse(bad).unwrap_err().code, "22P02", "{bad}");
        }
    }
}
