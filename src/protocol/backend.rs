//! Messages the server sends, one writer function per message.

use bytes::{BufMut, BytesMut};

use super::{write_body, write_cstr};
use crate::error::PgError;
use crate::types::{Format, Oid};

/// Transaction status reported in ReadyForQuery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxStatus {
    Idle,
    InTransaction,
    Failed,
}

/// A result column as RowDescription announces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDescription {
    pub name: String,
    pub table_oid: Oid,
    pub column_attr: i16,
    pub type_oid: Oid,
    pub type_len: i16,
    pub type_modifier: i32,
    pub format: Format,
}

pub fn authentication_ok(buf: &mut BytesMut) {
    write_body(buf, b'R', |b| b.put_i32(0));
}

/// AuthenticationCleartextPassword: ask for the password in clear text (`password` method).
pub fn authentication_cleartext_password(buf: &mut BytesMut) {
    write_body(buf, b'R', |b| b.put_i32(3));
}

/// AuthenticationSASL with the mechanisms offered, in order of preference.
pub fn authentication_sasl(buf: &mut BytesMut, mechanisms: &[&str]) {
    write_body(buf, b'R', |b| {
        b.put_i32(10);
        for m in mechanisms {
            write_cstr(b, m);
        }
        b.put_u8(0);
    });
}

/// AuthenticationSASLContinue (server-first-message) or AuthenticationSASLFinal (12).
pub fn authentication_sasl_data(buf: &mut BytesMut, final_message: bool, data: &[u8]) {
    write_body(buf, b'R', |b| {
        b.put_i32(if final_message { 12 } else { 11 });
        b.put_slice(data);
    });
}

pub fn parameter_status(buf: &mut BytesMut, name: &str, value: &str) {
    write_body(buf, b'S', |b| {
        write_cstr(b, name);
        write_cstr(b, value);
    });
}

pub fn backend_key_data(buf: &mut BytesMut, pid: i32, secret: &[u8]) {
    write_body(buf, b'K', |b| {
        b.put_i32(pid);
        b.put_slice(secret);
    });
}

/// NotificationResponse: a NOTIFY on a channel this session listens on.
pub fn notification_response(buf: &mut BytesMut, pid: i32, channel: &str, payload: &str) {
    write_body(buf, b'A', |b| {
        b.put_i32(pid);
        write_cstr(b, channel);
        write_cstr(b, payload);
    });
}

/// Tell a client asking for protocol 3.x (x > 0) which minor version we speak
/// and which `_pq_.` options we did not recognise.
pub fn negotiate_protocol_version(buf: &mut BytesMut, newest_minor: i32, unrecognized: &[&str]) {
    write_body(buf, b'v', |b| {
        b.put_i32(newest_minor);
        b.put_i32(unrecognized.len() as i32);
        for opt in unrecognized {
            write_cstr(b, opt);
        }
    });
}

pub fn ready_for_query(buf: &mut BytesMut, status: TxStatus) {
    write_body(buf, b'Z', |b| {
        b.put_u8(match status {
            TxStatus::Idle => b'I',
            TxStatus::InTransaction => b'T',
            TxStatus::Failed => b'E',
        })
    });
}

pub fn row_description(buf: &mut BytesMut, fields: &[FieldDescription]) {
    write_body(buf, b'T', |b| {
        b.put_i16(fields.len() as i16);
        for f in fields {
            write_cstr(b, &f.name);
            b.put_u32(f.table_oid);
            b.put_i16(f.column_attr);
            b.put_u32(f.type_oid);
            b.put_i16(f.type_len);
            b.put_i32(f.type_modifier);
            b.put_i16(f.format.code());
        }
    });
}

pub fn parameter_description(buf: &mut BytesMut, types: &[Oid]) {
    write_body(buf, b't', |b| {
        b.put_i16(types.len() as i16);
        for t in types {
            b.put_u32(*t);
        }
    });
}

pub fn command_complete(buf: &mut BytesMut, tag: &str) {
    write_body(buf, b'C', |b| write_cstr(b, tag));
}

pub fn empty_query_response(buf: &mut BytesMut) {
    write_body(buf, b'I', |_| {});
}

pub fn parse_complete(buf: &mut BytesMut) {
    write_body(buf, b'1', |_| {});
}

pub fn bind_complete(buf: &mut BytesMut) {
    write_body(buf, b'2', |_| {});
}

pub fn close_complete(buf: &mut BytesMut) {
    write_body(buf, b'3', |_| {});
}

pub fn no_data(buf: &mut BytesMut) {
    write_body(buf, b'n', |_| {});
}

pub fn portal_suspended(buf: &mut BytesMut) {
    write_body(buf, b's', |_| {});
}

pub fn error_response(buf: &mut BytesMut, err: &PgError) {
    write_body(buf, b'E', |b| notice_fields(b, err, err.severity.as_str()));
}

/// A NoticeResponse (severity WARNING/NOTICE) reusing the error's fields.
pub fn notice_response(buf: &mut BytesMut, severity: &str, err: &PgError) {
    write_body(buf, b'N', |b| notice_fields(b, err, severity));
}

fn notice_fields(b: &mut BytesMut, err: &PgError, severity: &str) {
    b.put_u8(b'S');
    write_cstr(b, severity);
    b.put_u8(b'V');
    write_cstr(b, severity);
    b.put_u8(b'C');
    write_cstr(b, err.code);
    b.put_u8(b'M');
    write_cstr(b, &err.message);
    if let Some(d) = &err.detail {
        b.put_u8(b'D');
        write_cstr(b, d);
    }
    if let Some(h) = &err.hint {
        b.put_u8(b'H');
        write_cstr(b, h);
    }
    if let Some(p) = err.position {
        b.put_u8(b'P');
        write_cstr(b, &p.to_string());
    }
    if let Some(w) = &err.context {
        b.put_u8(b'W');
        write_cstr(b, w);
    }
    if let Some((file, routine)) = err.source {
        b.put_u8(b'F');
        write_cstr(b, file);
        b.put_u8(b'R');
        write_cstr(b, routine);
    }
    b.put_u8(0);
}

/// CopyInResponse ('G') / CopyOutResponse ('H'): overall format and one per column.
fn copy_response(buf: &mut BytesMut, tag: u8, binary: bool, columns: usize) {
    write_body(buf, tag, |b| {
        b.put_u8(binary as u8);
        b.put_i16(columns as i16);
        for _ in 0..columns {
            b.put_i16(binary as i16);
        }
    });
}

pub fn copy_in_response(buf: &mut BytesMut, binary: bool, columns: usize) {
    copy_response(buf, b'G', binary, columns);
}

pub fn copy_out_response(buf: &mut BytesMut, binary: bool, columns: usize) {
    copy_response(buf, b'H', binary, columns);
}

/// Start a CopyData message; returns the offset to pass to `finish_copy_data`.
pub fn begin_copy_data(buf: &mut BytesMut) -> usize {
    buf.put_u8(b'd');
    let start = buf.len();
    buf.put_i32(0);
    start
}

pub fn finish_copy_data(buf: &mut BytesMut, start: usize) {
    let len = (buf.len() - start) as i32;
    buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
}

pub fn copy_done(buf: &mut BytesMut) {
    write_body(buf, b'c', |_| {});
}

/// One DataRow of `columns` values appended by `write` (with `data_row_null` /
/// `data_row_value`). If `write` fails, the partial row is taken back out of the buffer,
/// so the ErrorResponse that follows is not read as part of it.
pub fn data_row<E>(
    buf: &mut BytesMut,
    columns: i16,
    write: impl FnOnce(&mut BytesMut) -> Result<(), E>,
) -> Result<(), E> {
    let start = begin_data_row(buf, columns);
    match write(buf) {
        Ok(()) => {
            finish_data_row(buf, start);
            Ok(())
        }
        Err(e) => {
            buf.truncate(start - 1);
            Err(e)
        }
    }
}

fn begin_data_row(buf: &mut BytesMut, columns: i16) -> usize {
    buf.put_u8(b'D');
    let start = buf.len();
    buf.put_i32(0);
    buf.put_i16(columns);
    start
}

pub fn data_row_null(buf: &mut BytesMut) {
    buf.put_i32(-1);
}

/// Append one column value written by `write`, back-filling its length word.
#[inline]
pub fn data_row_value<E>(buf: &mut BytesMut, write: impl FnOnce(&mut BytesMut) -> Result<(), E>) -> Result<(), E> {
    let start = buf.len();
    buf.put_i32(0);
    write(buf)?;
    let len = (buf.len() - start - 4) as i32;
    buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

fn finish_data_row(buf: &mut BytesMut, start: usize) {
    let len = (buf.len() - start) as i32;
    buf[start..start + 4].copy_from_slice(&len.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_complete_bytes() {
        let mut buf = BytesMut::new();
        command_complete(&mut buf, "SELECT 1");
        assert_eq!(&buf[..], b"C\x00\x00\x00\x0dSELECT 1\x00");
    }

    #[test]
    fn a_failed_data_row_leaves_nothing() {
        let mut buf = BytesMut::new();
        command_complete(&mut buf, "SELECT 1");
        let before = buf.clone();
        let r: Result<(), ()> = data_row(&mut buf, 2, |b| {
            data_row_value(b, |b| {
                b.extend_from_slice(b"1");
                Ok(())
            })?;
            Err(())
        });
        assert!(r.is_err());
        assert_eq!(buf, before);
    }

    #[test]
    fn data_row_bytes() {
        let mut buf = BytesMut::new();
        let start = begin_data_row(&mut buf, 2);
        data_row_value::<()>(&mut buf, |b| {
            b.put_slice(b"42");
            Ok(())
        })
        .unwrap();
        data_row_null(&mut buf);
        finish_data_row(&mut buf, start);
        assert_eq!(&buf[..], b"D\x00\x00\x00\x10\x00\x02\x00\x00\x00\x0242\xff\xff\xff\xff");
    }

    #[test]
    fn error_response_fields() {
        let mut buf = BytesMut::new();
        error_response(&mut buf, &PgError::new("42601", "bad").with_hint("h"));
        assert_eq!(&buf[..], b"E\x00\x00\x00\x22SERROR\0VERROR\0C42601\0Mbad\0Hh\0\0");
    }
}
