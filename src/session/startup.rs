//! Connection start: TLS (SSLRequest or direct), GSS refusal, cancel requests,
//! protocol version, parameters.

use std::net::SocketAddr;

use crate::error::{sqlstate, PgError, PgResult};
use crate::protocol::backend;
use crate::protocol::frontend::{parse_startup, Startup};
use crate::protocol::PROTOCOL_3_0;

use crate::server::ServerCtx;

use super::Conn;

/// A TLS ClientHello starts with a handshake record (PostgreSQL 17's sslnegotiation=direct).
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// Encrypt the connection: the handshake on the plain socket, then the session reads TLS.
async fn start_tls(conn: &mut Conn, ctx: &ServerCtx, direct: bool) -> PgResult<bool> {
    let (Some(tls), Some(tcp)) = (&ctx.tls, conn.stream.take_plain()) else { return Ok(false) };
    match tls.accept(tcp, direct).await {
        Ok((stream, info)) => {
            conn.stream = stream;
            conn.tls = Some(info);
            Ok(true)
        }
        Err(e) => {
            // Nothing can be said to the client: its TLS layer failed (bad certificate, no ALPN...).
            log::info!("TLS handshake failed: {e}");
            Ok(false)
        }
    }
}

/// What the first packets of a connection asked for.
pub enum Opening {
    /// A normal session with its startup parameters.
    Session(Vec<(String, String)>),
    /// A cancel request for (pid, secret); the connection closes after it.
    Cancel(i32, Vec<u8>),
}

/// Read startup packets until a StartupMessage or CancelRequest arrives.
/// SSLRequest is answered 'S' and TLS started when a certificate is configured, else
/// 'N'; GSSENCRequest is declined with 'N'. A TLS ClientHello as the first bytes is
/// direct TLS. Ok(None): the client went away (or its TLS handshake failed).
pub async fn negotiate(conn: &mut Conn, ctx: &ServerCtx, peer: SocketAddr) -> PgResult<Option<Opening>> {
    if ctx.tls.is_some() {
        if let super::Stream::Plain(tcp) = &conn.stream {
            let mut first = [0u8; 1];
            if matches!(tcp.peek(&mut first).await, Ok(1)) && first[0] == TLS_HANDSHAKE_RECORD {
                if !start_tls(conn, ctx, true).await? {
                    return Ok(None);
                }
            }
        }
    }
    loop {
        let body = match conn.read_startup(ctx.config.max_startup_packet_bytes).await {
            Ok(Some(body)) => body,
            Ok(None) => return Ok(None),
            // A bad length or a packet cut short: logged, and the connection closed without a
            // reply, as PostgreSQL does (COMMERROR): the peer may not speak the protocol at all.
            Err(e) => {
                log::warn!("connection from {peer}: {} ({})", e.message, e.code);
                return Ok(None);
            }
        };
        match parse_startup(&body)? {
            Startup::SslRequest if ctx.tls.is_some() && conn.tls.is_none() => {
                // Bytes sent after the request but before the handshake would be read as if
                // encrypted (CVE-2021-23222's lesson): refuse them.
                if !conn.rbuf.is_empty() {
                    return Err(PgError::fatal(sqlstate::PROTOCOL_VIOLATION, "received unencrypted data after SSL request")
                        .with_detail("This could be either a client-software bug or evidence of an attempted man-in-the-middle attack."));
                }
                conn.write_raw(b"S").await?;
                if !start_tls(conn, ctx, false).await? {
                    return Ok(None);
                }
            }
            Startup::SslRequest if conn.tls.is_some() => {
                return Err(PgError::fatal(
                    sqlstate::PROTOCOL_VIOLATION,
                    "SSL request received on an encrypted connection",
                ));
            }
            Startup::SslRequest | Startup::GssEncRequest => {
                conn.write_raw(b"N").await?;
            }
            Startup::Cancel { pid, secret } => return Ok(Some(Opening::Cancel(pid, secret))),
            Startup::Startup { version, params } => {
                let (major, minor) = (version >> 16, version & 0xffff);
                if major != PROTOCOL_3_0 >> 16 {
                    return Err(PgError::fatal(
                        sqlstate::FEATURE_NOT_SUPPORTED,
                        format!("unsupported frontend protocol {major}.{minor}: server supports 3.0 to 3.0"),
                    ));
                }
                let unrecognized: Vec<&str> =
                    params.iter().map(|(k, _)| k.as_str()).filter(|k| k.starts_with("_pq_.")).collect();
                if minor > 0 || !unrecognized.is_empty() {
                    backend::negotiate_protocol_version(&mut conn.out, 0, &unrecognized);
                }
                if !params.iter().any(|(k, _)| k == "user") {
                    return Err(PgError::fatal(
                        sqlstate::INVALID_AUTHORIZATION_SPECIFICATION,
                        "no PostgreSQL user name specified in startup packet",
                    ));
                }
                let params = params.into_iter().filter(|(k, _)| !k.starts_with("_pq_.")).collect();
                return Ok(Some(Opening::Session(params)));
            }
        }
    }
}
