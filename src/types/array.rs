//! One-dimensional arrays: the `{a,"b c",NULL}` text form with PostgreSQL's quoting,
//! and the binary form (ndim, has-null flag, element OID, dimension/lower bound,
//! length-prefixed elements). Elements go through their own type's codec.

use bytes::{BufMut, BytesMut};

use super::registry::Oid;
use crate::error::{sqlstate, PgError, PgResult};

fn is_array_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Append one element's text to an array literal, quoted when array_out would quote it.
pub fn push_text_element(elem: Option<&[u8]>, first: bool, out: &mut Vec<u8>) {
    if !first {
        out.push(b',');
    }
    let Some(e) = elem else {
        out.extend_from_slice(b"NULL");
        return;
    };
    let quote = e.is_empty()
        || e.eq_ignore_ascii_case(b"null")
        || e.iter().any(|c| matches!(c, b'"' | b'\\' | b'{' | b'}' | b',') || is_array_space(*c));
    if !quote {
        out.extend_from_slice(e);
        return;
    }
    out.push(b'"');
    for c in e {
        if matches!(c, b'"' | b'\\') {
            out.push(b'\\');
        }
        out.push(*c);
    }
    out.push(b'"');
}

fn malformed(input: &str, detail: &str) -> PgError {
    PgError::new(sqlstate::INVALID_TEXT_REPRESENTATION, format!("malformed array literal: \"{input}\""))
        .with_detail(detail.to_string())
}

/// array_in for one dimension: elements as text, None for an unquoted NULL.
/// A leading `[lo:hi]=` decoration is accepted and dropped.
pub fn parse_text(input: &str) -> PgResult<Vec<Option<String>>> {
    let b = input.as_bytes();
    let mut i = 0;
    let skip_space = |i: &mut usize| {
        while *i < b.len() && is_array_space(b[*i]) {
            *i += 1;
        }
    };
    skip_space(&mut i);
    if b.get(i) == Some(&b'[') {
        let eq = input[i..].find('=').ok_or_else(|| malformed(input, "Missing \"=\" after array dimensions."))?;
        let dims = &input[i + 1..i + eq];
        if dims.matches('[').count() > 0 || !dims.trim_end().ends_with(']') {
            return Err(unsupported_dims());
        }
        i += eq + 1;
        skip_space(&mut i);
    }
    if b.get(i) != Some(&b'{') {
        return Err(malformed(input, "Array value must start with \"{\" or dimension information."));
    }
    i += 1;
    let mut out = Vec::new();
    skip_space(&mut i);
    if b.get(i) == Some(&b'}') {
        i += 1;
        skip_space(&mut i);
        return if i == b.len() { Ok(out) } else { Err(malformed(input, "Junk after closing right brace.")) };
    }
    loop {
        skip_space(&mut i);
        match b.get(i) {
            None => return Err(malformed(input, "Unexpected end of input.")),
            Some(b'{') => return Err(unsupported_dims()),
            Some(b'}') | Some(b',') => return Err(malformed(input, "Unexpected \",\" or \"}\" character.")),
            _ => {}
        }
        let mut elem = Vec::new();
        let mut quoted_any = false;
        let mut escaped_any = false;
        // Length of `elem` up to its last character that was quoted, escaped or non-space.
        let mut keep = 0;
        loop {
            match b.get(i) {
                None => return Err(malformed(input, "Unexpected end of input.")),
                Some(b'"') => {
                    quoted_any = true;
                    i += 1;
                    loop {
                        match b.get(i) {
                            None => return Err(malformed(input, "Unexpected end of input.")),
                            Some(b'"') => break,
                            Some(b'\\') => {
                                let c = *b.get(i + 1).ok_or_else(|| malformed(input, "Unexpected end of input."))?;
                                elem.push(c);
                                i += 2;
                            }
                            Some(c) => {
                                elem.push(*c);
                                i += 1;
                            }
                        }
                    }
                    i += 1;
                    keep = elem.len();
                }
                Some(b'\\') => {
                    escaped_any = true;
                    let c = *b.get(i + 1).ok_or_else(|| malformed(input, "Unexpected end of input."))?;
                    elem.push(c);
                    i += 2;
                    keep = elem.len();
                }
                Some(b',') | Some(b'}') => break,
                Some(b'{') => return Err(malformed(input, "Unexpected \"{\" character.")),
                Some(c) => {
                    elem.push(*c);
                    if !is_array_space(*c) {
                        keep = elem.len();
                    }
                    i += 1;
                }
            }
        }
        elem.truncate(keep);
        let text = String::from_utf8(elem).map_err(|_| malformed(input, "Invalid UTF-8."))?;
        if !quoted_any && !escaped_any && text.eq_ignore_ascii_case("null") {
            out.push(None);
        } else {
            out.push(Some(text));
        }
        if b[i] == b'}' {
            i += 1;
            break;
        }
        i += 1;
    }
    skip_space(&mut i);
    if i != b.len() {
        return Err(malformed(input, "Junk after closing right brace."));
    }
    Ok(out)
}

fn unsupported_dims() -> PgError {
    PgError::unsupported("multidimensional arrays are not supported")
}

/// array_send header for `len` elements; each element then goes through `push_binary_element`.
pub fn write_binary_header(len: usize, has_null: bool, elem_oid: Oid, buf: &mut BytesMut) {
    buf.put_i32(if len == 0 { 0 } else { 1 });
    buf.put_i32(has_null as i32);
    buf.put_u32(elem_oid);
    if len > 0 {
        buf.put_i32(len as i32);
        buf.put_i32(1);
    }
}

/// array_recv for one dimension: elements as raw slices, None for NULL.
pub fn read_binary(raw: &[u8], expected_elem: Oid) -> PgResult<Vec<Option<&[u8]>>> {
    let bad = || PgError::new(sqlstate::INVALID_BINARY_REPRESENTATION, "incorrect binary data format in array");
    let int = |at: usize| -> PgResult<i32> {
        raw.get(at..at + 4).map(|s| i32::from_be_bytes([s[0], s[1], s[2], s[3]])).ok_or_else(bad)
    };
    let ndim = int(0)?;
    let flags = int(4)?;
    let elem = int(8)? as u32;
    if !(0..=6).contains(&ndim) || !(0..=1).contains(&flags) {
        return Err(PgError::new(sqlstate::INVALID_BINARY_REPRESENTATION, "invalid array flags"));
    }
    if ndim > 1 {
        return Err(unsupported_dims());
    }
    if elem != expected_elem {
        return Err(PgError::new(
            sqlstate::DATATYPE_MISMATCH,
            format!("binary data has array element type {elem} instead of expected {expected_elem}"),
        ));
    }
    let mut at = 12;
    let n = if ndim == 0 {
        0
    } else {
        let n = int(12)?;
        at = 20;
        if n < 0 {
            return Err(bad());
        }
        n as usize
    };
    let mut out = Vec::with_capacity(n.min(raw.len() / 4));
    for _ in 0..n {
        let len = int(at)?;
        at += 4;
        if len == -1 {
            out.push(None);
        } else if len < 0 {
            return Err(bad());
        } else {
            let end = at + len as usize;
            out.push(Some(raw.get(at..end).ok_or_else(bad)?));
            at = end;
        }
    }
    if at != raw.len() {
        return Err(bad());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(elems: &[Option<&str>]) -> String {
        let mut out = vec![b'{'];
        for (i, e) in elems.iter().enumerate() {
            push_text_element(e.map(str::as_bytes), i == 0, &mut out);
        }
        out.push(b'}');
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_quoting_matches_postgres() {
        // PostgreSQL 15: SELECT ARRAY['a','', 'b c', NULL, 'null', 'x"y', 'a\b', '{}', 'a,b']
        let elems =
            [Some("a"), Some(""), Some("b c"), None, Some("null"), Some("x\"y"), Some("a\\b"), Some("{}"), Some("a,b")];
        let s = lit(&elems);
        assert_eq!(s, r#"{a,"","b c",NULL,"null","x\"y","a\\b","{}","a,b"}"#);
        let back = parse_text(&s).unwrap();
        assert_eq!(back, elems.iter().map(|e| e.map(String::from)).collect::<Vec<_>>());
        assert_eq!(lit(&[]), "{}");
    }

    #[test]
    fn text_input() {
        let p = |s: &str| parse_text(s).unwrap();
        assert_eq!(p(" { 1 , 2,3 } "), vec![Some("1".into()), Some("2".into()), Some("3".into())]);
        assert_eq!(p("{}"), Vec::<Option<String>>::new());
        assert_eq!(
            p("{a b , NULL,\"NULL\",\\NULL}"),
            vec![Some("a b".into()), None, Some("NULL".into()), Some("NULL".into())]
        );
        assert_eq!(p("[1:2]={x,y}").len(), 2);
        assert_eq!(p("{\"a\\\\b\"}"), vec![Some("a\\b".into())]);
        for bad in ["", "1,2", "{1,2", "{1,,2}", "{1}x", "{\"a}"] {
            assert_eq!(parse_text(bad).unwrap_err().code, "22P02", "{bad}");
        }
        assert_eq!(parse_text("{{1,2},{3,4}}").unwrap_err().code, "0A000");
    }

    #[test]
    fn binary_layout() {
        let mut b = BytesMut::new();
        write_binary_header(2, true, 23, &mut b);
        b.put_i32(4);
        b.put_i32(7);
        b.put_i32(-1);
        assert_eq!(
            &b[..],
            [
                0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 23, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 7, 0xff, 0xff, 0xff,
                0xff
            ]
        );
        assert_eq!(read_binary(&b, 23).unwrap(), vec![Some(&[0u8, 0, 0, 7][..]), None]);
        assert_eq!(read_binary(&b, 25).unwrap_err().code, "42804");
        let mut e = BytesMut::new();
        write_binary_header(0, false, 25, &mut e);
        assert_eq!(&e[..], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25]);
        assert!(read_binary(&e, 25).unwrap().is_empty());
        assert_eq!(read_binary(&b[..20], 23).unwrap_err().code, "22P03");
    }
}
