//! pgvector's `vector`: text `[1,2,3]` (shortest float4 digits) and its binary form
//! (uint16 dimensions, uint16 unused = 0, then float4 values), with pgvector's checks.

use bytes::{BufMut, BytesMut};

use super::number::format_float4;
use crate::error::{sqlstate, PgError, PgResult};

/// VECTOR_MAX_DIM in pgvector.
pub const MAX_DIM: usize = 16000;
const DATA_EXCEPTION: &str = "22000";

pub fn to_text(v: &[f32]) -> String {
    let mut s = String::with_capacity(v.len() * 8 + 2);
    s.push('[');
    for (i, x) in v.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format_float4(*x));
    }
    s.push(']');
    s
}

pub fn write_binary(v: &[f32], buf: &mut BytesMut) -> PgResult<()> {
    check(v)?;
    buf.put_u16(v.len() as u16);
    buf.put_u16(0);
    v.iter().for_each(|x| buf.put_f32(*x));
    Ok(())
}

pub fn read_binary(raw: &[u8]) -> PgResult<Vec<f32>> {
    let bad = || PgError::new(sqlstate::INVALID_BINARY_REPRESENTATION, "incorrect binary data format for type vector");
    if raw.len() < 4 {
        return Err(bad());
    }
    let dim = u16::from_be_bytes([raw[0], raw[1]]) as usize;
    let unused = u16::from_be_bytes([raw[2], raw[3]]);
    if unused != 0 {
        return Err(PgError::new(DATA_EXCEPTION, format!("expected unused to be 0, not {unused}")));
    }
    if raw.len() != 4 + 4 * dim {
        return Err(bad());
    }
    let v: Vec<f32> = raw[4..].chunks(4).map(|c| f32::from_be_bytes([c[0], c[1], c[2], c[3]])).collect();
    check(&v)?;
    Ok(v)
}

/// vector_in. `lenient` also takes IRIS's logical form without brackets (`1,2,3`).
pub fn parse(input: &str, lenient: bool) -> PgResult<Vec<f32>> {
    let bad = || {
        PgError::new(
            sqlstate::INVALID_TEXT_REPRESENTATION,
            format!("invalid input syntax for type vector: \"{input}\""),
        )
    };
    let t = input.trim();
    let inner = match t.strip_prefix('[') {
        Some(r) => r.strip_suffix(']').ok_or_else(bad)?,
        None if lenient => t,
        None => return Err(bad()),
    };
    let v: Vec<f32> = if inner.trim().is_empty() {
        Vec::new()
    } else {
        inner
            .split(',')
            .map(|x| {
                let x = x.trim();
                match x.to_ascii_lowercase().as_str() {
                    "nan" => Ok(f32::NAN),
                    "inf" | "infinity" | "+inf" | "+infinity" => Ok(f32::INFINITY),
                    "-inf" | "-infinity" => Ok(f32::NEG_INFINITY),
                    _ if x.is_empty() || x.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E') => {
                        Err(bad())
                    }
                    _ => x.parse::<f32>().map_err(|_| bad()),
                }
            })
            .collect::<PgResult<_>>()?
    };
    check(&v)?;
    Ok(v)
}

fn check(v: &[f32]) -> PgResult<()> {
    if v.is_empty() {
        return Err(PgError::new(DATA_EXCEPTION, "vector must have at least 1 dimension"));
    }
    if v.len() > MAX_DIM {
        return Err(PgError::new(
            sqlstate::PROGRAM_LIMIT_EXCEEDED,
            format!("vector cannot have more than {MAX_DIM} dimensions"),
        ));
    }
    for x in v {
        if x.is_nan() {
            return Err(PgError::new(DATA_EXCEPTION, "NaN not allowed in vector"));
        }
        if x.is_infinite() {
            return Err(PgError::new(DATA_EXCEPTION, "infinite value not allowed in vector"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_binary() {
        let v = parse(" [1, 2.5,-3e-7 ] ", false).unwrap();
        assert_eq!(to_text(&v), "[1,2.5,-3e-07]");
        let mut b = BytesMut::new();
        write_binary(&[1.0, 2.0], &mut b).unwrap();
        assert_eq!(&b[..], [0, 2, 0, 0, 0x3f, 0x80, 0, 0, 0x40, 0, 0, 0]);
        assert_eq!(read_binary(&b).unwrap(), [1.0, 2.0]);
        assert_eq!(parse("1,2,3", true).unwrap(), [1.0, 2.0, 3.0]);
        assert_eq!(parse("1,2,3", false).unwrap_err().code, "22P02");
        assert_eq!(parse("[]", false).unwrap_err().code, "22000");
        assert_eq!(parse("[1,NaN]", false).unwrap_err().code, "22000");
        assert_eq!(parse("[1,,2]", false).unwrap_err().code, "22P02");
        assert_eq!(read_binary(&[0, 1, 0, 1, 0, 0, 0, 0]).unwrap_err().code, "22000");
        assert_eq!(read_binary(&[0, 2, 0, 0, 0, 0, 0, 0]).unwrap_err().code, "22P03");
    }
}
