//! The authentication exchange on the wire, after the startup packet: the access
//! rule for this connection decides the method, then trust, reject, SCRAM-SHA-256
//! (-PLUS), clear-text password (checked by the users file, or by IRIS itself on
//! backends that log users in) or a client certificate.
//!
//! Failures answer as PostgreSQL does (28000 / 28P01) and count against the client
//! address; no password or proof is ever logged.

use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;

use crate::auth::hba::Method;
use crate::auth::scram::{Exchange, ScramError};
use crate::error::{sqlstate, PgError, PgResult};
use crate::pool::Pool;
use crate::protocol::backend as be;
use crate::protocol::Reader;
use crate::server::{ServerCtx, UserSlot};

use super::{Conn, ReadError};

/// SASL and password messages are small: PostgreSQL caps them at 65535 bytes too.
const MAX_AUTH_MESSAGE: usize = 65_535;

/// Who was let in, and (password pass-through) the pool of that IRIS user's connections.
pub struct Authenticated {
    pub pool: Option<Arc<Pool>>,
}

/// Authenticate within the time limit, count the session against its user, and send
/// AuthenticationOk; on refusal send the FATAL error and return None.
pub async fn admit(
    conn: &mut Conn,
    ctx: &Arc<ServerCtx>,
    peer: std::net::SocketAddr,
    params: &[(String, String)],
) -> Option<(Arc<Pool>, UserSlot)> {
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default();
    let user = param("user");
    // libpq sends no database when it equals the user name; PostgreSQL defaults it so.
    let database = if param("database").is_empty() { user } else { param("database") };
    let limit = std::time::Duration::from_secs_f64(ctx.config.auth_timeout_secs.max(0.001));
    let result = match tokio::time::timeout(limit, authenticate(conn, ctx, peer.ip(), user, database)).await {
        Ok(result) => result,
        Err(_) => {
            log::info!("authentication of user {user:?} from {peer} timed out after {limit:?}");
            Err(PgError::fatal(sqlstate::QUERY_CANCELED, "canceling authentication due to timeout"))
        }
    };
    let authenticated = match result {
        Ok(a) => a,
        Err(e) => {
            if e.code != sqlstate::CONNECTION_FAILURE {
                ctx.metrics.error(e.code);
                if matches!(e.code, sqlstate::INVALID_PASSWORD | sqlstate::INVALID_AUTHORIZATION_SPECIFICATION) {
                    ctx.metrics.add(&ctx.metrics.auth_failures, 1);
                }
                conn.fatal(&e).await;
            }
            return None;
        }
    };
    let Some(slot) = ctx.register_user(user) else {
        conn.fatal(&PgError::fatal(
            sqlstate::TOO_MANY_CONNECTIONS,
            format!("too many connections for role \"{user}\""),
        ))
        .await;
        return None;
    };
    be::authentication_ok(&mut conn.out);
    Some((authenticated.pool.unwrap_or_else(|| ctx.pool.clone()), slot))
}

fn encryption(conn: &Conn) -> &'static str {
    if conn.tls.is_some() {
        "SSL encryption"
    } else {
        "no encryption"
    }
}

fn password_failed(user: &str) -> PgError {
    PgError::fatal(sqlstate::INVALID_PASSWORD, format!("password authentication failed for user \"{user}\""))
}

/// Run the method the access rules pick for this connection.
pub async fn authenticate(
    conn: &mut Conn,
    ctx: &Arc<ServerCtx>,
    addr: IpAddr,
    user: &str,
    database: &str,
) -> PgResult<Authenticated> {
    let auth = &ctx.auth;
    if auth.locked_out(addr) {
        log::warn!("connection from {addr} refused: too many failed authentication attempts");
        return Err(PgError::fatal(
            sqlstate::INVALID_AUTHORIZATION_SPECIFICATION,
            format!("too many failed authentication attempts from host \"{addr}\""),
        )
        .with_hint("Try again once --auth-failure-window has passed."));
    }
    let Some(decision) = auth.hba().decide(addr, conn.tls.is_some(), database, user) else {
        log::info!("no access rule for host {addr}, user {user:?}, database {database:?} ({})", encryption(conn));
        return Err(PgError::fatal(
            sqlstate::INVALID_AUTHORIZATION_SPECIFICATION,
            format!(
                "no pg_hba.conf entry for host \"{addr}\", user \"{user}\", database \"{database}\", {}",
                encryption(conn)
            ),
        ));
    };
    let saved_max = conn.max_message;
    conn.max_message = saved_max.min(MAX_AUTH_MESSAGE);
    let result = run_method(conn, ctx, decision.method, user, database, addr).await;
    conn.max_message = saved_max;
    match &result {
        Ok(_) => {
            log::info!("authenticated user {user:?} from {addr} ({:?}, rule line {})", decision.method, decision.line)
        }
        Err(e) => {
            // Every refusal after the rule counts (a reject or missing rule is no guess at a secret).
            if matches!(e.code, sqlstate::INVALID_PASSWORD | sqlstate::INVALID_AUTHORIZATION_SPECIFICATION)
                && decision.method != Method::Reject
            {
                auth.record_failure(addr);
            }
            log::info!(
                "authentication of user {user:?} from {addr} failed ({:?}, rule line {}): {}",
                decision.method,
                decision.line,
                e.message
            );
        }
    }
    result
}

async fn run_method(
    conn: &mut Conn,
    ctx: &Arc<ServerCtx>,
    method: Method,
    user: &str,
    database: &str,
    addr: IpAddr,
) -> PgResult<Authenticated> {
    match method {
        Method::Trust => Ok(Authenticated { pool: None }),
        Method::Reject => Err(PgError::fatal(
            sqlstate::INVALID_AUTHORIZATION_SPECIFICATION,
            format!(
                "pg_hba.conf rejects connection for host \"{addr}\", user \"{user}\", database \"{database}\", {}",
                encryption(conn)
            ),
        )),
        Method::ScramSha256 => scram(conn, ctx, user).await.map(|_| Authenticated { pool: None }),
        Method::Password => password(conn, ctx, user).await,
        Method::Cert => {
            let cn = conn.tls.as_ref().and_then(|t| t.client_cn.clone());
            match cn {
                None => Err(PgError::fatal(
                    sqlstate::INVALID_AUTHORIZATION_SPECIFICATION,
                    "connection requires a valid client certificate",
                )),
                Some(cn) if cn == user => Ok(Authenticated { pool: None }),
                Some(cn) => {
                    log::info!("certificate CN {cn:?} does not match user name {user:?}");
                    Err(PgError::fatal(
                        sqlstate::INVALID_AUTHORIZATION_SPECIFICATION,
                        format!("certificate authentication failed for user \"{user}\""),
                    ))
                }
            }
        }
    }
}

/// Send what is buffered and read the client's answer, which must be a 'p' message.
async fn answer(conn: &mut Conn, what: &str) -> PgResult<Bytes> {
    conn.flush().await.map_err(|_| PgError::fatal(sqlstate::CONNECTION_FAILURE, "client went away"))?;
    match conn.read_message().await {
        Ok(Some((b'p', body))) => Ok(body),
        Ok(Some((tag, _))) => Err(PgError::fatal(
            sqlstate::PROTOCOL_VIOLATION,
            format!("expected {what} response, got message type {tag}"),
        )),
        // A client that hangs up here (psql asking for a password) is no failed attempt.
        Ok(None) | Err(ReadError::Io) => Err(PgError::fatal(sqlstate::CONNECTION_FAILURE, "client went away")),
        Err(ReadError::Protocol(mut e)) => {
            e.severity = crate::error::Severity::Fatal;
            Err(e)
        }
    }
}

async fn scram(conn: &mut Conn, ctx: &Arc<ServerCtx>, user: &str) -> PgResult<()> {
    let (verifier, _known) = ctx.auth.verifier(user);
    let binding = conn.tls.as_ref().map(|t| t.end_point.clone());
    be::authentication_sasl(&mut conn.out, Exchange::mechanisms(binding.is_some()));
    let mut exchange = Exchange::new(verifier, binding);
    let body = answer(conn, "SASL").await?;
    let mut r = Reader::new(&body);
    let malformed = |_| PgError::fatal(sqlstate::PROTOCOL_VIOLATION, "malformed SASLInitialResponse message");
    let mechanism = r.cstr().map_err(malformed)?.to_string();
    let len = r.i32().map_err(malformed)?;
    let data = if len < 0 { &[][..] } else { r.take(len as usize).map_err(malformed)? };
    r.finish().map_err(malformed)?;
    let server_first = exchange.first(&mechanism, data).map_err(|e| scram_error(e, user))?;
    be::authentication_sasl_data(&mut conn.out, false, server_first.as_bytes());
    let body = answer(conn, "SASL").await?;
    let server_final = exchange.finish(&body).map_err(|e| scram_error(e, user))?;
    be::authentication_sasl_data(&mut conn.out, true, server_final.as_bytes());
    Ok(())
}

fn scram_error(e: ScramError, user: &str) -> PgError {
    match e {
        ScramError::WrongProof => password_failed(user),
        ScramError::Malformed(m) | ScramError::Binding(m) => PgError::fatal(sqlstate::PROTOCOL_VIOLATION, m),
    }
}

async fn password(conn: &mut Conn, ctx: &Arc<ServerCtx>, user: &str) -> PgResult<Authenticated> {
    if conn.tls.is_none() && !ctx.config.allow_password_without_tls {
        return Err(PgError::fatal(
            sqlstate::INVALID_AUTHORIZATION_SPECIFICATION,
            format!("password authentication for user \"{user}\" requires an encrypted connection"),
        )
        .with_hint("Connect with sslmode=require, or start the gateway with --allow-password-without-tls."));
    }
    be::authentication_cleartext_password(&mut conn.out);
    let body = answer(conn, "password").await?;
    // One NUL-terminated string; its bytes need not be UTF-8 (PostgreSQL then uses them as they are).
    let password = match body.split_last() {
        Some((0, password)) if !password.contains(&0) => password.to_vec(),
        _ => return Err(PgError::fatal(sqlstate::PROTOCOL_VIOLATION, "invalid password packet size")),
    };
    if password.is_empty() {
        return Err(PgError::fatal(sqlstate::INVALID_PASSWORD, "empty password returned by client"));
    }
    if ctx.backend_logs_in {
        // IRIS logins take text: a password that is not UTF-8 cannot be any IRIS user's.
        let Ok(password) = String::from_utf8(password) else { return Err(password_failed(user)) };
        // IRIS checks the password: a login as that user, whose connection opens the user's pool.
        return match ctx.login(user, password).await {
            Ok(pool) => Ok(Authenticated { pool: Some(pool) }),
            Err(e) if e.code == sqlstate::INVALID_PASSWORD => Err(password_failed(user)),
            Err(mut e) => {
                e.severity = crate::error::Severity::Fatal;
                Err(e)
            }
        };
    }
    let (verifier, _known) = ctx.auth.verifier(user);
    // PBKDF2 takes milliseconds: keep it off the async workers.
    let matches = tokio::task::spawn_blocking(move || verifier.matches(&password)).await.unwrap_or(false);
    if matches {
        Ok(Authenticated { pool: None })
    } else {
        Err(password_failed(user))
    }
}
