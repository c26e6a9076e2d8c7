//! COPY's binary format: an 11-byte signature, flags and a header extension, then
//! tuples of (int16 field count, per field int32 length or -1 for NULL, bytes),
//! ended by a field count of -1 (src/backend/commands/copyfromparse.c, copyto.c).

use bytes::{BufMut, BytesMut};

use super::{bad_format, NULL_FIELD};
use crate::error::PgResult;

pub const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// What the next bytes of the input hold.
pub enum Step {
    /// More input is needed.
    NeedMore,
    /// The header (this many bytes) was read.
    Header(usize),
    /// One tuple (this many bytes) was appended to the batch.
    Tuple(usize),
    /// The -1 trailer (this many bytes).
    End(usize),
}

fn be16(b: &[u8]) -> i16 {
    i16::from_be_bytes([b[0], b[1]])
}

fn be32(b: &[u8]) -> i32 {
    i32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Read the file header.
pub fn header(input: &[u8], eof: bool) -> PgResult<Step> {
    if input.len() < SIGNATURE.len() + 8 {
        if eof {
            return Err(bad_format("COPY file signature not recognized"));
        }
        return Ok(Step::NeedMore);
    }
    if &input[..SIGNATURE.len()] != SIGNATURE {
        return Err(bad_format("COPY file signature not recognized"));
    }
    let flags = be32(&input[11..]);
    if flags & (1 << 16) != 0 {
        return Err(bad_format("invalid COPY file header (WITH OIDS)"));
    }
    if flags & !0xffff & !(1 << 16) != 0 {
        return Err(bad_format("unrecognized critical flags in COPY file header"));
    }
    let extension = be32(&input[15..]);
    if extension < 0 {
        return Err(bad_format("invalid COPY file header (missing length)"));
    }
    let total = 19 + extension as usize;
    if input.len() < total {
        if eof {
            return Err(bad_format("invalid COPY file header (wrong length)"));
        }
        return Ok(Step::NeedMore);
    }
    Ok(Step::Header(total))
}

/// Read one tuple of `ncols` fields into `out`/`fields`, or the trailer.
pub fn tuple(input: &[u8], ncols: usize, eof: bool, out: &mut Vec<u8>, fields: &mut Vec<(u32, u32)>) -> PgResult<Step> {
    let unexpected_eof = || bad_format("unexpected EOF in COPY data");
    if input.len() < 2 {
        // EOF at a tuple boundary ends the data, even without the trailer (as PostgreSQL).
        return if !eof {
            Ok(Step::NeedMore)
        } else if input.is_empty() {
            Ok(Step::End(0))
        } else {
            Err(unexpected_eof())
        };
    }
    let count = be16(input);
    if count == -1 {
        return Ok(Step::End(2));
    }
    if count as isize != ncols as isize {
        return Err(bad_format(format!("row field count is {count}, expected {ncols}")));
    }
    // Find the tuple's end before copying anything.
    let mut at = 2;
    for _ in 0..ncols {
        let Some(len) = input.get(at..at + 4).map(be32) else {
            return if eof { Err(unexpected_eof()) } else { Ok(Step::NeedMore) };
        };
        at += 4;
        if len < -1 {
            return Err(bad_format("invalid field size"));
        }
        if len > 0 {
            at += len as usize;
        }
    }
    if input.len() < at {
        return if eof { Err(unexpected_eof()) } else { Ok(Step::NeedMore) };
    }
    let mut at = 2;
    for _ in 0..ncols {
        let len = be32(&input[at..]);
        at += 4;
        if len == -1 {
            fields.push((NULL_FIELD, 0));
            continue;
        }
        let start = out.len();
        out.extend_from_slice(&input[at..at + len as usize]);
        at += len as usize;
        fields.push((start as u32, out.len() as u32));
    }
    Ok(Step::Tuple(at))
}

/// The signature, no flags and an empty header extension.
pub fn write_header(out: &mut BytesMut) {
    out.put_slice(SIGNATURE);
    out.put_i32(0);
    out.put_i32(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_header_tuples_and_trailer() {
        let mut data = BytesMut::new();
        write_header(&mut data);
        data.put_i16(2);
        data.put_i32(1);
        data.put_u8(7);
        data.put_i32(-1);
        data.put_i16(-1);
        let Step::Header(h) = header(&data, false).unwrap() else { panic!() };
        let (mut out, mut fields) = (Vec::new(), Vec::new());
        assert!(matches!(tuple(&data[h..h + 5], 2, false, &mut out, &mut fields).unwrap(), Step::NeedMore));
        let Step::Tuple(t) = tuple(&data[h..], 2, false, &mut out, &mut fields).unwrap() else { panic!() };
        assert_eq!((out.as_slice(), fields.as_slice()), (&[7u8][..], &[(0, 1), (NULL_FIELD, 0)][..]));
        assert!(matches!(tuple(&data[h + t..], 2, false, &mut out, &mut fields).unwrap(), Step::End(2)));
        assert!(tuple(&data[h..], 3, false, &mut out, &mut fields).is_err());
        assert!(header(b"PGCOPY\nxxxxxxxxxxxxxxxxxxx", false).is_err());
    }
}
