//! PostgreSQL frontend/backend protocol 3.0, hand-written on `bytes`.
//!
//! `frontend` decodes what clients send, `backend` encodes what the server
//! answers. Writers append to a caller's `BytesMut` (no allocation per
//! message); `write_body` back-fills the length word.

pub mod backend;
pub mod frontend;

use bytes::{BufMut, BytesMut};

use crate::error::{PgError, PgResult};

/// Protocol 3.0 as a version code (major << 16 | minor).
pub const PROTOCOL_3_0: i32 = 3 << 16;
pub const SSL_REQUEST_CODE: i32 = 80877103;
pub const GSSENC_REQUEST_CODE: i32 = 80877104;
pub const CANCEL_REQUEST_CODE: i32 = 80877102;

/// Append `tag`, a length word, and whatever `body` writes; the length is filled in after.
#[inline]
pub fn write_body<F>(buf: &mut BytesMut, tag: u8, body: F)
where
    F: FnOnce(&mut BytesMut),
{
    buf.put_u8(tag);
    let start = buf.len();
    buf.put_i32(0);
    body(buf);
    let len = (buf.len() - start) as i32;
    buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
}

/// Append a NUL-terminated string. Embedded NULs would corrupt framing, so they are cut.
#[inline]
pub fn write_cstr(buf: &mut BytesMut, s: &str) {
    let bytes = s.as_bytes();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    buf.put_slice(&bytes[..end]);
    buf.put_u8(0);
}

/// A cursor over a message body that reads fields in protocol order.
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    fn short() -> PgError {
        PgError::protocol("invalid message format")
    }

    pub fn u8(&mut self) -> PgResult<u8> {
        let (&b, rest) = self.buf.split_first().ok_or_else(Self::short)?;
        self.buf = rest;
        Ok(b)
    }

    pub fn i16(&mut self) -> PgResult<i16> {
        let bytes = self.take(2)?;
        Ok(i16::from_be_bytes([bytes[0], bytes[1]]))
    }

    pub fn i32(&mut self) -> PgResult<i32> {
        let bytes = self.take(4)?;
        Ok(i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    pub fn take(&mut self, n: usize) -> PgResult<&'a [u8]> {
        if self.buf.len() < n {
            return Err(Self::short());
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    /// A NUL-terminated UTF-8 string.
    pub fn cstr(&mut self) -> PgResult<&'a str> {
        let end = self.buf.iter().position(|&b| b == 0).ok_or_else(Self::short)?;
        let s = std::str::from_utf8(&self.buf[..end]).map_err(|_| {
            PgError::new(
                crate::error::sqlstate::CHARACTER_NOT_IN_REPERTOIRE,
                "invalid byte sequence for encoding \"UTF8\"",
            )
        })?;
        self.buf = &self.buf[end + 1..];
        Ok(s)
    }

    /// Fail unless the whole body was consumed (PostgreSQL checks this too).
    pub fn finish(&self) -> PgResult<()> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(PgError::protocol("invalid message format"))
        }
    }
}
