//! COPY's text format, as src/backend/commands/copyfromparse.c (CopyReadLineText,
//! CopyReadAttributesText) and copyto.c (CopyAttributeOutText) define it.

use bytes::{BufMut, BytesMut};

use super::{bad_format, Eol, LineEnd, LineScan, NULL_FIELD};
use crate::error::PgResult;

/// Find the end of the line starting at `input[0]`. Backslash escapes the next byte (so an
/// escaped newline is data); `\.` followed by a newline ends the data, as in PostgreSQL 15.
pub fn next_line(input: &[u8], scan: &mut LineScan, eof: bool) -> PgResult<Option<LineEnd>> {
    let mut i = scan.offset;
    while i < input.len() {
        match input[i] {
            b'\\' => {
                let Some(&next) = input.get(i + 1) else { break };
                if next == b'.' {
                    return end_marker(input, i, scan, eof);
                }
                i += 2;
            }
            b'\r' | b'\n' => {
                if let Some(end) = scan.eol_at(input, i, eof, false)? {
                    return Ok(Some(end));
                }
                break;
            }
            _ => i += 1,
        }
    }
    if eof {
        if input.is_empty() {
            return Ok(None);
        }
        return Ok(Some(LineEnd { end: input.len(), next: input.len(), marker: false }));
    }
    scan.offset = i.min(input.len());
    Ok(None)
}

/// `\.` at `at`: the end-of-data marker, which must end its line in the data's newline style.
fn end_marker(input: &[u8], at: usize, scan: &mut LineScan, eof: bool) -> PgResult<Option<LineEnd>> {
    let rest = &input[at + 2..];
    let corrupt = || bad_format("end-of-copy marker corrupt");
    let mismatch = || bad_format("end-of-copy marker does not match previous newline style");
    let need = if scan.eol == Eol::CrNl { 2 } else { 1 };
    if rest.len() < need && !eof {
        scan.offset = at;
        return Ok(None);
    }
    let (first, second) = (rest.first().copied(), rest.get(1).copied());
    match scan.eol {
        Eol::CrNl => match (first, second) {
            (Some(b'\r'), Some(b'\n')) => {}
            (Some(b'\n'), _) => return Err(mismatch()),
            (Some(b'\r'), _) => return Err(mismatch()),
            _ => return Err(corrupt()),
        },
        Eol::Nl if first == Some(b'\r') => return Err(mismatch()),
        Eol::Cr if first == Some(b'\n') => return Err(mismatch()),
        _ if !matches!(first, Some(b'\r' | b'\n')) => return Err(corrupt()),
        _ => {}
    }
    Ok(Some(LineEnd { end: at, next: input.len(), marker: true }))
}

/// Split one line into fields, de-escaping into `out`; a field whose raw text is the
/// NULL string is NULL. Returns the number of fields.
pub fn split_fields(line: &[u8], delim: u8, null: &[u8], out: &mut Vec<u8>, fields: &mut Vec<(u32, u32)>) -> usize {
    let mut count = 0;
    let mut i = 0;
    loop {
        let raw_start = i;
        let start = out.len();
        let mut found_delim = false;
        while i < line.len() {
            let c = line[i];
            i += 1;
            if c == delim {
                found_delim = true;
                break;
            }
            if c != b'\\' {
                out.push(c);
                continue;
            }
            let Some(&e) = line.get(i) else { break };
            i += 1;
            let byte = match e {
                b'0'..=b'7' => {
                    let mut v = (e - b'0') as u32;
                    for _ in 0..2 {
                        match line.get(i) {
                            Some(&d @ b'0'..=b'7') => {
                                v = v * 8 + (d - b'0') as u32;
                                i += 1;
                            }
                            _ => break,
                        }
                    }
                    (v & 0xff) as u8
                }
                b'x' => match line.get(i).and_then(|&h| (h as char).to_digit(16)) {
                    Some(h) => {
                        i += 1;
                        let mut v = h;
                        if let Some(l) = line.get(i).and_then(|&l| (l as char).to_digit(16)) {
                            i += 1;
                            v = v * 16 + l;
                        }
                        v as u8
                    }
                    None => b'x',
                },
                b'b' => 0x08,
                b'f' => 0x0c,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'v' => 0x0b,
                other => other,
            };
            out.push(byte);
        }
        let raw_end = if found_delim { i - 1 } else { i };
        if &line[raw_start..raw_end] == null {
            out.truncate(start);
            fields.push((NULL_FIELD, 0));
        } else {
            fields.push((start as u32, out.len() as u32));
        }
        count += 1;
        if !found_delim {
            return count;
        }
    }
}

/// Append `value` escaped for the text format (CopyAttributeOutText).
pub fn write_field(out: &mut BytesMut, value: &[u8], delim: u8) {
    let mut start = 0;
    for (i, &c) in value.iter().enumerate() {
        let escaped = match c {
            0x08 => b'b',
            0x0c => b'f',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x0b => b'v',
            b'\\' => b'\\',
            c if c == delim => c,
            _ => continue,
        };
        out.put_slice(&value[start..i]);
        out.put_u8(b'\\');
        out.put_u8(escaped);
        start = i + 1;
    }
    out.put_slice(&value[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &[u8]) -> Vec<Option<Vec<u8>>> {
        let (mut out, mut fields) = (Vec::new(), Vec::new());
        split_fields(line, b'\t', b"\\N", &mut out, &mut fields);
        fields.iter().map(|&(s, e)| (s != NULL_FIELD).then(|| out[s as usize..e as usize].to_vec())).collect()
    }

    #[test]
    fn escapes_and_nulls() {
        assert_eq!(
            split(b"a\\tb\t\\N\t\\101\\x41\\q\t"),
            vec![Some(b"a\tb".to_vec()), None, Some(b"AAq".to_vec()), Some(vec![])]
        );
        assert_eq!(split(b"\\\\N"), vec![Some(b"\\N".to_vec())]);
        assert_eq!(split(b"x\\\ny"), vec![Some(b"x\ny".to_vec())]);
    }

    #[test]
    fn lines_and_markers() {
        let mut scan = LineScan::default();
        let end = next_line(b"a\\\nb\nrest", &mut scan, false).unwrap().unwrap();
        assert_eq!((end.end, end.next, end.marker), (4, 5, false));
        let mut scan = LineScan::default();
        assert!(next_line(b"abc", &mut scan, false).unwrap().is_none());
        let end = next_line(b"\\.\n", &mut LineScan::default(), false).unwrap().unwrap();
        assert!(end.marker);
        assert!(next_line(b"\\.x\n", &mut LineScan::default(), false).is_err());
        let mut crlf = LineScan::default();
        next_line(b"a\r\n", &mut crlf, false).unwrap().unwrap();
        crlf.offset = 0;
        assert!(next_line(b"b\nc", &mut crlf, false).is_err());
    }

    #[test]
    fn output_escaping() {
        let mut out = BytesMut::new();
        write_field(&mut out, b"a\tb\\c\nd|", b'|');
        assert_eq!(&out[..], b"a\\tb\\\\c\\nd\\|");
    }
}
