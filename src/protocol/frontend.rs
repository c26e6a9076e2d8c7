//! Messages clients send, decoded from complete frames.
//!
//! `split_startup` / `split_frame` cut one frame off the read buffer (or say
//! more bytes are needed); `parse_startup` / `Message::parse` decode it. Bodies
//! keep `Bytes` slices of the frame instead of copying (bind parameters).

use bytes::{Buf, Bytes, BytesMut};

use super::{Reader, CANCEL_REQUEST_CODE, GSSENC_REQUEST_CODE, SSL_REQUEST_CODE};
use crate::error::{sqlstate, PgError, PgResult};
use crate::types::Oid;

/// The first packet of a connection (it has no type byte).
#[derive(Debug, PartialEq)]
pub enum Startup {
    Startup { version: i32, params: Vec<(String, String)> },
    SslRequest,
    GssEncRequest,
    Cancel { pid: i32, secret: Vec<u8> },
}

#[derive(Debug, PartialEq)]
pub enum Message {
    Query(String),
    Parse {
        name: String,
        sql: String,
        param_types: Vec<Oid>,
    },
    Bind {
        portal: String,
        statement: String,
        param_formats: Vec<i16>,
        params: Vec<Option<Bytes>>,
        result_formats: Vec<i16>,
    },
    Describe {
        target: Target,
        name: String,
    },
    Execute {
        portal: String,
        max_rows: i32,
    },
    Close {
        target: Target,
        name: String,
    },
    Sync,
    Flush,
    Terminate,
    /// PasswordMessage / SASLInitialResponse / SASLResponse: the body, decoded by auth.
    Password(Bytes),
    CopyData(Bytes),
    CopyDone,
    CopyFail(String),
    FunctionCall,
}

/// Describe and Close address a prepared statement ('S') or a portal ('P').
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Statement,
    Portal,
}

fn too_large(len: usize, max: usize) -> PgError {
    PgError::new(
        sqlstate::PROTOCOL_VIOLATION,
        format!("invalid message length: {len} bytes exceeds the limit of {max} bytes"),
    )
    .with_hint("Raise --max-message-size if such messages are expected.")
}

/// PostgreSQL's MAX_STARTUP_PACKET_LENGTH: the body, without the length word.
pub const MAX_STARTUP_PACKET: usize = 10_000;

/// Cut the startup packet (length word included in its own count) off `buf`. Its body
/// (the count less the length word) must be 4 to `max_body` bytes, as PostgreSQL checks.
pub fn split_startup(buf: &mut BytesMut, max_body: usize) -> PgResult<Option<Bytes>> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let len = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
    let body = i64::from(len) - 4;
    if body < 4 || body as u64 > max_body as u64 {
        return Err(PgError::protocol(format!("invalid length of startup packet: {len}")));
    }
    let len = len as usize;
    if buf.len() < len {
        return Ok(None);
    }
    let mut frame = buf.split_to(len);
    frame.advance(4);
    Ok(Some(frame.freeze()))
}

/// Cut one typed message (tag + length + body) off `buf`; the body is returned.
pub fn split_frame(buf: &mut BytesMut, max_len: usize) -> PgResult<Option<(u8, Bytes)>> {
    if buf.len() < 5 {
        return Ok(None);
    }
    let tag = buf[0];
    let len = i32::from_be_bytes([buf[1], buf[2], buf[3], buf[4]]);
    if len < 4 {
        return Err(PgError::protocol(format!("invalid message length {len} for message type \"{}\"", tag as char)));
    }
    let len = len as usize;
    if len > max_len {
        return Err(too_large(len, max_len));
    }
    if buf.len() < 1 + len {
        buf.reserve(1 + len - buf.len());
        return Ok(None);
    }
    let mut frame = buf.split_to(1 + len);
    frame.advance(5);
    Ok(Some((tag, frame.freeze())))
}

pub fn parse_startup(body: &[u8]) -> PgResult<Startup> {
    let mut r = Reader::new(body);
    let code = r.i32()?;
    match code {
        SSL_REQUEST_CODE => Ok(Startup::SslRequest),
        GSSENC_REQUEST_CODE => Ok(Startup::GssEncRequest),
        CANCEL_REQUEST_CODE => {
            let pid = r.i32()?;
            let secret = r.take(r.remaining())?.to_vec();
            Ok(Startup::Cancel { pid, secret })
        }
        version => {
            let mut params = Vec::new();
            loop {
                let key = r.cstr()?;
                if key.is_empty() {
                    break;
                }
                let value = r.cstr()?;
                params.push((key.to_owned(), value.to_owned()));
            }
            Ok(Startup::Startup { version, params })
        }
    }
}

impl Message {
    pub fn parse(tag: u8, body: Bytes) -> PgResult<Message> {
        let mut r = Reader::new(&body);
        let msg = match tag {
            b'Q' => Message::Query(r.cstr()?.to_owned()),
            b'P' => {
                let name = r.cstr()?.to_owned();
                let sql = r.cstr()?.to_owned();
                let n = r.i16()?;
                let mut param_types = Vec::with_capacity(n.max(0) as usize);
                for _ in 0..n {
                    param_types.push(r.i32()? as Oid);
                }
                Message::Parse { name, sql, param_types }
            }
            b'B' => {
                let portal = r.cstr()?.to_owned();
                let statement = r.cstr()?.to_owned();
                let param_formats = read_i16s(&mut r)?;
                let n = r.i16()?;
                if n < 0 {
                    return Err(PgError::protocol("invalid parameter count in Bind"));
                }
                let mut params = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    let len = r.i32()?;
                    if len < 0 {
                        params.push(None);
                    } else {
                        let start = body.len() - r.remaining();
                        r.take(len as usize)?;
                        params.push(Some(body.slice(start..start + len as usize)));
                    }
                }
                let result_formats = read_i16s(&mut r)?;
                Message::Bind { portal, statement, param_formats, params, result_formats }
            }
            b'D' => {
                let target = read_target(&mut r)?;
                Message::Describe { target, name: r.cstr()?.to_owned() }
            }
            b'E' => Message::Execute { portal: r.cstr()?.to_owned(), max_rows: r.i32()? },
            b'C' => {
                let target = read_target(&mut r)?;
                Message::Close { target, name: r.cstr()?.to_owned() }
            }
            b'S' => Message::Sync,
            b'H' => Message::Flush,
            b'X' => Message::Terminate,
            b'p' => return Ok(Message::Password(body)),
            b'd' => return Ok(Message::CopyData(body)),
            b'c' => Message::CopyDone,
            b'f' => Message::CopyFail(r.cstr()?.to_owned()),
            b'F' => return Ok(Message::FunctionCall),
            other => {
                return Err(PgError::protocol(format!("invalid frontend message type {other}")));
            }
        };
        r.finish()?;
        Ok(msg)
    }
}

fn read_i16s(r: &mut Reader<'_>) -> PgResult<Vec<i16>> {
    let n = r.i16()?;
    if n < 0 {
        return Err(PgError::protocol("invalid count in message"));
    }
    (0..n).map(|_| r.i16()).collect()
}

fn read_target(r: &mut Reader<'_>) -> PgResult<Target> {
    match r.u8()? {
        b'S' => Ok(Target::Statement),
        b'P' => Ok(Target::Portal),
        other => Err(PgError::protocol(format!("invalid Describe/Close target type '{}'", other as char))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BufMut;

    #[test]
    fn splits_frames_and_waits_for_more() {
        let mut buf = BytesMut::new();
        buf.put_u8(b'Q');
        buf.put_i32(4 + 9);
        buf.put_slice(b"select 1");
        assert_eq!(split_frame(&mut buf, 1 << 20).unwrap(), None);
        buf.put_u8(0);
        let (tag, body) = split_frame(&mut buf, 1 << 20).unwrap().unwrap();
        assert_eq!(tag, b'Q');
        assert_eq!(Message::parse(tag, body).unwrap(), Message::Query("select 1".into()));
        assert!(buf.is_empty());
    }

    #[test]
    fn rejects_bad_lengths() {
        let mut buf = BytesMut::from(&b"Q\x00\x00\x00\x02"[..]);
        assert_eq!(split_frame(&mut buf, 100).unwrap_err().code, sqlstate::PROTOCOL_VIOLATION);
        let mut buf = BytesMut::from(&b"Q\x7f\x00\x00\x00"[..]);
        assert_eq!(split_frame(&mut buf, 100).unwrap_err().code, sqlstate::PROTOCOL_VIOLATION);
        let mut buf = BytesMut::from(&b"\x00\x00\x00\x02"[..]);
        assert!(split_startup(&mut buf, 100).is_err());
        // The limit counts the body only, as PostgreSQL's: 104 = 4 + 100 fits, 105 does not.
        let mut buf = BytesMut::from(&104i32.to_be_bytes()[..]);
        assert!(split_startup(&mut buf, 100).unwrap().is_none());
        let mut buf = BytesMut::from(&105i32.to_be_bytes()[..]);
        assert!(split_startup(&mut buf, 100).is_err());
        let mut buf = BytesMut::from(&(-1i32).to_be_bytes()[..]);
        assert!(split_startup(&mut buf, usize::MAX).is_err());
    }

    #[test]
    fn parses_bind_without_copying_params() {
        let mut body = BytesMut::new();
        body.put_slice(b"p\0s\0");
        body.put_i16(1);
        body.put_i16(1);
        body.put_i16(2);
        body.put_i32(4);
        body.put_i32(42);
        body.put_i32(-1);
        body.put_i16(0);
        let msg = Message::parse(b'B', body.freeze()).unwrap();
        let Message::Bind { portal, statement, param_formats, params, result_formats } = msg else { panic!() };
        assert_eq!((portal.as_str(), statement.as_str()), ("p", "s"));
        assert_eq!(param_formats, vec![1]);
        assert_eq!(params, vec![Some(Bytes::from_static(&[0, 0, 0, 42])), None]);
        assert!(result_formats.is_empty());
    }

    #[test]
    fn rejects_trailing_garbage_and_unknown_types() {
        assert!(Message::parse(b'S', Bytes::from_static(b"x")).is_err());
        assert!(Message::parse(b'!', Bytes::new()).is_err());
    }

    #[test]
    fn parses_startup_variants() {
        let mut body = BytesMut::new();
        body.put_i32(196608);
        body.put_slice(b"user\0bob\0database\0db\0\0");
        assert_eq!(
            parse_startup(&body).unwrap(),
            Startup::Startup {
                version: 196608,
                params: vec![("user".into(), "bob".into()), ("database".into(), "db".into())]
            }
        );
        assert_eq!(parse_startup(&80877103i32.to_be_bytes()).unwrap(), Startup::SslRequest);
    }
}
