//! Connection start: SSL/GSS negotiation, cancel requests, protocol version, parameters.

use crate::error::{sqlstate, PgError, PgResult};
use crate::protocol::backend;
use crate::protocol::frontend::{parse_startup, Startup};
use crate::protocol::PROTOCOL_3_0;

use super::Conn;

/// What the first packets of a connection asked for.
pub enum Opening {
    /// A normal session with its startup parameters.
    Session(Vec<(String, String)>),
    /// A cancel request for (pid, secret); the connection closes after it.
    Cancel(i32, Vec<u8>),
}

/// Read startup packets until a StartupMessage or CancelRequest arrives.
/// SSLRequest and GSSENCRequest are declined with 'N' (TLS is not offered yet).
pub async fn negotiate(conn: &mut Conn) -> PgResult<Option<Opening>> {
    loop {
        let Some(body) = conn.read_startup().await? else { return Ok(None) };
        match parse_startup(&body)? {
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
