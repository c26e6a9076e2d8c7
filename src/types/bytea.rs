//! bytea text forms: hex output (`\x0102`), hex or escape input.

use crate::error::{sqlstate, PgError, PgResult};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// byteaout with bytea_output = hex.
pub fn to_hex(b: &[u8], out: &mut Vec<u8>) {
    out.reserve(2 + b.len() * 2);
    out.extend_from_slice(b"\\x");
    for byte in b {
        out.push(HEX[(byte >> 4) as usize]);
        out.push(HEX[(byte & 0xf) as usize]);
    }
}

/// byteain: `\x` hex (whitespace allowed between digit pairs) or the escape format
/// (`\\`, `\ooo` octal, any other byte as itself).
pub fn parse(s: &[u8]) -> PgResult<Vec<u8>> {
    if let Some(hex) = s.strip_prefix(b"\\x") {
        return parse_hex(hex);
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'\\' {
            out.push(s[i]);
            i += 1;
        } else if s.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if let Some(oct) = s
            .get(i + 1..i + 4)
            .filter(|o| (b'0'..=b'3').contains(&o[0]) && o[1..].iter().all(|c| (b'0'..=b'7').contains(c)))
        {
            out.push((oct[0] - b'0') * 64 + (oct[1] - b'0') * 8 + (oct[2] - b'0'));
            i += 4;
        } else {
            return Err(PgError::new(sqlstate::INVALID_TEXT_REPRESENTATION, "invalid input syntax for type bytea"));
        }
    }
    Ok(out)
}

fn parse_hex(hex: &[u8]) -> PgResult<Vec<u8>> {
    let digit = |c: u8| -> PgResult<u8> {
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(PgError::new(
                sqlstate::INVALID_TEXT_REPRESENTATION,
                format!("invalid hexadecimal digit: \"{}\"", String::from_utf8_lossy(&[c])),
            )),
        }
    };
    let mut out = Vec::with_capacity(hex.len() / 2);
    let mut i = 0;
    while i < hex.len() {
        if hex[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let hi = digit(hex[i])?;
        let lo = match hex.get(i + 1) {
            Some(c) => digit(*c)?,
            None => {
                return Err(PgError::new(
                    sqlstate::INVALID_TEXT_REPRESENTATION,
                    "invalid hexadecimal data: odd number of digits",
                ))
            }
        };
        out.push(hi << 4 | lo);
        i += 2;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn forms() {
        let mut v = Vec::new();
        to_hex(&[0, 0xff, 0x10, 0x80], &mut v);
        assert_eq!(v, b"\\x00ff1080");
        assert_eq!(parse(b"\\x00FF 10").unwrap(), [0, 0xff, 0x10]);
        assert_eq!(parse(b"ab\\\\c\\000\\377").unwrap(), b"ab\\c\x00\xff");
        assert_eq!(parse(b"").unwrap(), b"");
        assert_eq!(parse(b"\\x0").unwrap_err().code, "22P02");
        assert_eq!(parse(b"\\xzz").unwrap_err().code, "22P02");
        assert_eq!(parse(b"a\\9").unwrap_err().code, "22P02");
    }

    proptest! {
        #[test]
        fn hex_round_trips(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut v = Vec::new();
            to_hex(&b, &mut v);
            prop_assert_eq!(parse(&v).unwrap(), b);
        }
    }
}
