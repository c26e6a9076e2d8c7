//! COPY's CSV format, as src/backend/commands/copyfromparse.c (CopyReadLineText in CSV
//! mode, CopyReadAttributesCSV) and copyto.c (CopyAttributeOutCSV) define it.

use bytes::{BufMut, BytesMut};

use super::{bad_format, LineEnd, LineScan, NULL_FIELD};
use crate::error::PgResult;

/// Quote and escape characters of one COPY.
#[derive(Debug, Clone, Copy)]
pub struct Chars {
    pub delim: u8,
    pub quote: u8,
    pub escape: u8,
}

/// Find the end of the record starting at `input[0]`: newlines inside quotes are data
/// (each counted in `scan.embedded_lines`, as PostgreSQL counts them in line numbers);
/// `\.` alone at the start of a line ends the data.
pub fn next_line(input: &[u8], scan: &mut LineScan, chars: Chars, eof: bool) -> PgResult<Option<LineEnd>> {
    if scan.offset == 0 && input.first() == Some(&b'\\') {
        let need = if scan.eol == super::Eol::CrNl { 4 } else { 3 };
        if input.len() < need && !eof {
            return Ok(None);
        }
        if input.get(1) == Some(&b'.') {
            let ends = match scan.eol {
                super::Eol::CrNl => input.get(2..4) == Some(b"\r\n"),
                super::Eol::Cr => input.get(2) == Some(&b'\r'),
                super::Eol::Nl => input.get(2) == Some(&b'\n'),
                super::Eol::Unknown => matches!(input.get(2), Some(b'\r' | b'\n')),
            };
            if ends {
                return Ok(Some(LineEnd { end: 0, next: input.len(), marker: true }));
            }
        }
    }
    // The escape only matters when it differs from the quote (CopyReadLineText).
    let escape = (chars.escape != chars.quote).then_some(chars.escape);
    let mut i = scan.offset;
    while i < input.len() {
        let c = input[i];
        if c == b'\r' && i + 1 >= input.len() && !eof {
            break;
        }
        if scan.in_quote && Some(c) == escape {
            scan.last_was_escape = !scan.last_was_escape;
        }
        if c == chars.quote && !scan.last_was_escape {
            scan.in_quote = !scan.in_quote;
        }
        if Some(c) != escape {
            scan.last_was_escape = false;
        }
        if scan.in_quote {
            if c == (if scan.eol == super::Eol::Nl { b'\n' } else { b'\r' }) {
                scan.embedded_lines += 1;
            }
        } else if c == b'\r' || c == b'\n' {
            if let Some(end) = scan.eol_at(input, i, eof, true)? {
                return Ok(Some(end));
            }
            break;
        }
        i += 1;
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

/// Split one record into fields into `out`. An unquoted field equal to the NULL string is
/// NULL, unless FORCE_NOT_NULL names its column; FORCE_NULL makes a quoted one NULL too.
#[allow(clippy::too_many_arguments)]
pub fn split_fields(
    line: &[u8],
    chars: Chars,
    null: &[u8],
    force_not_null: &[bool],
    force_null: &[bool],
    out: &mut Vec<u8>,
    fields: &mut Vec<(u32, u32)>,
) -> PgResult<usize> {
    let mut count = 0;
    let mut i = 0;
    loop {
        let start = out.len();
        let raw_start = i;
        let mut raw_end;
        let (mut found_delim, mut saw_quote) = (false, false);
        'field: loop {
            // Outside quotes.
            loop {
                raw_end = i;
                let Some(&c) = line.get(i) else { break 'field };
                i += 1;
                if c == chars.delim {
                    found_delim = true;
                    break 'field;
                }
                if c == chars.quote {
                    saw_quote = true;
                    break;
                }
                out.push(c);
            }
            // Inside quotes.
            loop {
                let Some(&c) = line.get(i) else {
                    return Err(bad_format("unterminated CSV quoted field"));
                };
                i += 1;
                if c == chars.escape {
                    if let Some(&next) = line.get(i) {
                        if next == chars.escape || next == chars.quote {
                            out.push(next);
                            i += 1;
                            continue;
                        }
                    }
                }
                if c == chars.quote {
                    break;
                }
                out.push(c);
            }
        }
        let value = &out[start..];
        let raw_is_null = !saw_quote && &line[raw_start..raw_end] == null;
        let col = count;
        let is_null = if raw_is_null {
            !force_not_null.get(col).copied().unwrap_or(false)
        } else {
            force_null.get(col).copied().unwrap_or(false) && value == null
        };
        if is_null {
            out.truncate(start);
            fields.push((NULL_FIELD, 0));
        } else {
            fields.push((start as u32, out.len() as u32));
        }
        count += 1;
        if !found_delim {
            return Ok(count);
        }
    }
}

/// Append `value` as a CSV field: quoted when forced, when it equals the NULL string, or
/// when it holds the delimiter, the quote or a newline (or is `\.` alone on its line).
pub fn write_field(out: &mut BytesMut, value: &[u8], chars: Chars, null: &[u8], force: bool, single_column: bool) {
    let quote = force
        || value == null
        || (single_column && value == b"\\.")
        || value.iter().any(|&c| c == chars.delim || c == chars.quote || c == b'\n' || c == b'\r');
    if !quote {
        out.put_slice(value);
        return;
    }
    out.put_u8(chars.quote);
    let mut start = 0;
    for (i, &c) in value.iter().enumerate() {
        if c == chars.quote || c == chars.escape {
            out.put_slice(&value[start..i]);
            out.put_u8(chars.escape);
            start = i;
        }
    }
    out.put_slice(&value[start..]);
    out.put_u8(chars.quote);
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: Chars = Chars { delim: b',', quote: b'"', escape: b'"' };

    fn split(line: &[u8], fnn: &[bool], fnull: &[bool]) -> Vec<Option<String>> {
        let (mut out, mut fields) = (Vec::new(), Vec::new());
        split_fields(line, CSV, b"", fnn, fnull, &mut out, &mut fields).unwrap();
        fields
            .iter()
            .map(|&(s, e)| (s != NULL_FIELD).then(|| String::from_utf8(out[s as usize..e as usize].to_vec()).unwrap()))
            .collect()
    }

    #[test]
    fn quotes_nulls_and_forcing() {
        assert_eq!(
            split(b"1,,\"\",\"a,\"\"b\"\"\"", &[], &[]),
            vec![Some("1".into()), None, Some("".into()), Some("a,\"b\"".into())]
        );
        assert_eq!(split(b",\"\"", &[true, false], &[false, true]), vec![Some("".into()), None]);
        let (mut out, mut fields) = (Vec::new(), Vec::new());
        assert!(split_fields(b"\"open", CSV, b"", &[], &[], &mut out, &mut fields).is_err());
    }

    #[test]
    fn records_span_quoted_newlines() {
        let mut scan = LineScan::default();
        let end = next_line(b"1,\"a\nb\"\n2", &mut scan, CSV, false).unwrap().unwrap();
        assert_eq!((end.end, end.next), (7, 8));
        let end = next_line(b"\\.\n", &mut LineScan::default(), CSV, false).unwrap().unwrap();
        assert!(end.marker);
    }

    #[test]
    fn output_quoting() {
        let mut out = BytesMut::new();
        write_field(&mut out, b"a\"b", CSV, b"", false, false);
        out.put_u8(b'|');
        write_field(&mut out, b"", CSV, b"", false, false);
        out.put_u8(b'|');
        write_field(&mut out, b"plain", CSV, b"", true, false);
        assert_eq!(&out[..], b"\"a\"\"b\"|\"\"|\"plain\"");
    }
}
