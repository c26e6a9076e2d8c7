//! The admin console: a client that connects to the database `iris_pgwire` as one of
//! `--admin-users` gets PgBouncer's SHOW commands (POOLS, CLIENTS, SERVERS, STATS,
//! CONFIG, VERSION), RELOAD and `KILL <pid>` instead of SQL. Columns carry PgBouncer's
//! names where the concept is the same. Simple and extended protocol (psycopg 3 sends
//! every query through Parse/Bind/Execute) both work; nothing reaches the backend.

use super::Session;
use crate::activity::ActivityRow;
use crate::error::{sqlstate, PgError, PgResult};
use crate::protocol::backend as be;
use crate::protocol::frontend::Message;
use crate::server::{ServerCtx, Signal};
use crate::types::{self, PgType};

/// The console's database name.
pub const CONSOLE_DB: &str = "iris_pgwire";

/// A result: columns (name, type) and rows of text values.
type Answer = (Vec<(String, &'static PgType)>, Vec<Vec<Option<String>>>, String);

/// The session's database, as PostgreSQL defaults it (the user name when none is given).
pub fn database_of(params: &[(String, String)]) -> String {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let db = get("database");
    if db.is_empty() {
        get("user")
    } else {
        db
    }
}

pub fn is_console(database: &str, user: &str) -> bool {
    database == CONSOLE_DB || (database.is_empty() && user == CONSOLE_DB)
}

/// Refuse the console as PostgreSQL refuses a database: 3D000 when there is no console
/// (no --admin-users), 28000 for a user who is not an admin.
pub fn admit(ctx: &ServerCtx, user: &str) -> PgResult<()> {
    if ctx.config.admin_users.is_empty() {
        return Err(PgError::fatal(
            sqlstate::INVALID_CATALOG_NAME,
            format!("database \"{CONSOLE_DB}\" does not exist"),
        ));
    }
    if !ctx.is_admin(user) {
        return Err(PgError::fatal(
            sqlstate::INVALID_AUTHORIZATION_SPECIFICATION,
            format!("role \"{user}\" is not permitted to use the admin console (not in --admin-users)"),
        ));
    }
    Ok(())
}

impl Session {
    pub(super) async fn run_admin(&mut self) {
        let activity = self.activity.clone();
        // The extended protocol's statement and portal: the command, then its answer.
        let mut parsed: Option<String> = None;
        let mut bound: Option<Answer> = None;
        let mut skip = false;
        loop {
            let next = tokio::select! {
                _ = activity.terminated() => {
                    self.terminated().await;
                    return;
                }
                m = self.conn.read_message() => m,
            };
            let Ok(Some((tag, body))) = next else { return };
            let msg = match Message::parse(tag, body) {
                Ok(m) => m,
                Err(e) => {
                    self.conn.fatal(&e).await;
                    return;
                }
            };
            if skip && !matches!(msg, Message::Sync | Message::Terminate) {
                continue;
            }
            let result = match msg {
                Message::Terminate => return,
                Message::Query(sql) => {
                    self.activity.statement(std::sync::Arc::new(sql.to_string()), false);
                    match self.console(&sql).await {
                        Ok(Some(answer)) => self.send_answer(answer, true),
                        Ok(None) => be::empty_query_response(&mut self.conn.out),
                        Err(e) => self.send_error(&e),
                    }
                    self.ready_for_query();
                    Ok(())
                }
                Message::Parse { sql, .. } => {
                    parsed = Some(sql.to_string());
                    be::parse_complete(&mut self.conn.out);
                    Ok(())
                }
                Message::Bind { .. } => {
                    let sql = parsed.clone().unwrap_or_default();
                    self.activity.statement(std::sync::Arc::new(sql.clone()), false);
                    self.console(&sql).await.map(|answer| {
                        bound = answer;
                        be::bind_complete(&mut self.conn.out);
                    })
                }
                Message::Describe { .. } => {
                    match &bound {
                        Some((columns, ..)) => {
                            let fields: Vec<_> = columns
                                .iter()
                                .map(|(n, t)| super::columns::field(n, t, -1, types::Format::Text))
                                .collect();
                            be::row_description(&mut self.conn.out, &fields);
                        }
                        None => be::no_data(&mut self.conn.out),
                    }
                    Ok(())
                }
                Message::Execute { .. } => {
                    match bound.take() {
                        Some(answer) => self.send_answer(answer, false),
                        None => be::empty_query_response(&mut self.conn.out),
                    }
                    Ok(())
                }
                Message::Close { .. } => {
                    be::close_complete(&mut self.conn.out);
                    Ok(())
                }
                Message::Sync => {
                    skip = false;
                    self.ready_for_query();
                    Ok(())
                }
                Message::Flush => Ok(()),
                _ => Err(PgError::unsupported("the admin console takes SHOW, RELOAD and KILL commands only")),
            };
            if let Err(e) = result {
                self.send_error(&e);
                skip = true;
            }
            if self.conn.flush().await.is_err() {
                return;
            }
            self.account();
        }
    }

    fn send_answer(&mut self, (columns, rows, tag): Answer, describe: bool) {
        if let Err(e) = self.send_text_rows(&columns, &rows, &[], describe) {
            self.send_error(&e);
            return;
        }
        self.complete(&tag, None);
    }

    /// Run one console command; None for an empty one.
    async fn console(&mut self, sql: &str) -> PgResult<Option<Answer>> {
        let words: Vec<String> =
            sql.trim().trim_end_matches(';').split_whitespace().map(|w| w.to_ascii_uppercase()).collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let ctx = self.ctx.clone();
        Ok(Some(match words.as_slice() {
            [] => return Ok(None),
            ["SHOW", "POOLS"] => show_pools(&ctx),
            ["SHOW", "CLIENTS"] => show_clients(&ctx),
            ["SHOW", "SERVERS"] => show_servers(&ctx),
            ["SHOW", "STATS"] => show_stats(&ctx),
            ["SHOW", "CONFIG"] => show_config(&ctx),
            ["SHOW", "VERSION"] => {
                let version = format!("iris-pgwire {}", env!("CARGO_PKG_VERSION"));
                (vec![("version".into(), &types::TEXT)], vec![vec![Some(version)]], "SHOW".into())
            }
            ["RELOAD"] => {
                let done = tokio::task::spawn_blocking(move || ctx.reload())
                    .await
                    .map_err(|e| PgError::internal(e.to_string()))?;
                let summary = done.map_err(|e| PgError::new(sqlstate::CONFIG_FILE_ERROR, e))?;
                log::info!("RELOAD from the admin console by {}: {summary}", self.user);
                (Vec::new(), Vec::new(), "RELOAD".into())
            }
            ["KILL", pid] => {
                let pid: i32 = pid.parse().map_err(|_| {
                    PgError::new(sqlstate::SYNTAX_ERROR, format!("KILL takes a session pid, not {pid:?}"))
                })?;
                let user = self.user.clone();
                let found = tokio::task::spawn_blocking(move || ctx.signal(pid, Signal::Terminate, &user))
                    .await
                    .map_err(|e| PgError::internal(e.to_string()))?
                    .map_err(|e| PgError::new(sqlstate::INSUFFICIENT_PRIVILEGE, e))?;
                if !found {
                    return Err(PgError::new(sqlstate::UNDEFINED_OBJECT, format!("no session with pid {pid}")));
                }
                (Vec::new(), Vec::new(), "KILL".into())
            }
            _ => {
                return Err(PgError::new(
                    sqlstate::SYNTAX_ERROR,
                    format!("unknown admin console command: {}", sql.trim()),
                )
                .with_hint("SHOW POOLS | CLIENTS | SERVERS | STATS | CONFIG | VERSION, RELOAD, KILL <pid>"))
            }
        }))
    }
}

fn text(v: impl ToString) -> Option<String> {
    Some(v.to_string())
}

fn cols(spec: &[(&str, &'static PgType)]) -> Vec<(String, &'static PgType)> {
    spec.iter().map(|(n, t)| (n.to_string(), *t)).collect()
}

/// Sessions of the gateway's clients (the console's own are not pooled clients).
fn clients(ctx: &ServerCtx) -> Vec<ActivityRow> {
    ctx.activity().into_iter().filter(|r| !r.admin_console).collect()
}

fn timestamp(us: i64) -> Option<String> {
    (us != 0).then(|| {
        let pg = us - crate::types::datetime::PG_EPOCH_UNIX_SECS * 1_000_000;
        crate::types::datetime::format_timestamptz(pg, &crate::types::tz::TimeZone::utc())
    })
}

/// One row per pool: the shared one (`*`) and, with password pass-through, each user's.
fn show_pools(ctx: &ServerCtx) -> Answer {
    let columns = cols(&[
        ("database", &types::TEXT),
        ("user", &types::TEXT),
        ("cl_active", &types::INT8),
        ("cl_waiting", &types::INT8),
        ("sv_active", &types::INT8),
        ("sv_idle", &types::INT8),
        ("sv_used", &types::INT8),
        ("pool_size", &types::INT8),
        ("pool_mode", &types::TEXT),
    ]);
    let sessions = clients(ctx);
    let rows = ctx
        .pools()
        .into_iter()
        .map(|(user, pool)| {
            let mine: Vec<&ActivityRow> =
                sessions.iter().filter(|s| user.as_deref().is_none_or(|u| u == s.user)).collect();
            let waiting = mine.iter().filter(|s| s.waiting).count();
            let (busy, idle) = pool.counts();
            vec![
                text("*"),
                text(user.as_deref().unwrap_or("*")),
                text(mine.len() - waiting),
                text(waiting),
                text(busy),
                text(idle),
                text(0),
                text(pool.size()),
                text("transaction"),
            ]
        })
        .collect();
    (columns, rows, "SHOW".into())
}

fn show_clients(ctx: &ServerCtx) -> Answer {
    let columns = cols(&[
        ("type", &types::TEXT),
        ("user", &types::TEXT),
        ("database", &types::TEXT),
        ("state", &types::TEXT),
        ("addr", &types::TEXT),
        ("port", &types::INT4),
        ("connect_time", &types::TEXT),
        ("request_time", &types::TEXT),
        ("remote_pid", &types::INT4),
        ("application_name", &types::TEXT),
        ("session_state", &types::TEXT),
    ]);
    let rows = clients(ctx)
        .into_iter()
        .map(|s| {
            vec![
                text("C"),
                text(&s.user),
                text(&s.database),
                text(if s.waiting { "waiting" } else { "active" }),
                text(s.client.ip()),
                text(s.client.port()),
                timestamp(s.backend_start),
                timestamp(s.query_start).or_else(|| timestamp(s.backend_start)),
                text(s.pid),
                text(&s.application_name),
                text(s.state.as_str()),
            ]
        })
        .collect();
    (columns, rows, "SHOW".into())
}

/// Backend connections: those checked out ("active") and those idle in each pool.
fn show_servers(ctx: &ServerCtx) -> Answer {
    let columns =
        cols(&[("type", &types::TEXT), ("user", &types::TEXT), ("database", &types::TEXT), ("state", &types::TEXT)]);
    let mut rows = Vec::new();
    for (user, pool) in ctx.pools() {
        let (busy, idle) = pool.counts();
        let user = user.unwrap_or_else(|| "*".into());
        for state in std::iter::repeat_n("active", busy).chain(std::iter::repeat_n("idle", idle)) {
            rows.push(vec![text("S"), text(&user), text("*"), text(state)]);
        }
    }
    (columns, rows, "SHOW".into())
}

fn show_stats(ctx: &ServerCtx) -> Answer {
    let columns = cols(&[
        ("database", &types::TEXT),
        ("total_xact_count", &types::INT8),
        ("total_query_count", &types::INT8),
        ("total_received", &types::INT8),
        ("total_sent", &types::INT8),
        ("total_query_time", &types::INT8),
        ("total_wait_time", &types::INT8),
        ("total_errors", &types::INT8),
    ]);
    let m = &ctx.metrics;
    let xacts: u64 = ctx.database_stats().iter().map(|(_, _, c, r)| c + r).sum();
    let queries: u64 = m.queries_by_command().iter().map(|(_, n)| n).sum();
    let errors: u64 = m.errors_by_sqlstate().iter().map(|(_, n)| n).sum();
    let load = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
    let us = |h: &crate::metrics::Histogram| (h.snapshot().0 * 1e6) as u64;
    let row = vec![
        text("*"),
        text(xacts),
        text(queries),
        text(load(&m.bytes_received)),
        text(load(&m.bytes_sent)),
        text(us(&m.query_duration)),
        text(us(&m.pool_wait)),
        text(errors),
    ];
    (columns, vec![row], "SHOW".into())
}

fn show_config(ctx: &ServerCtx) -> Answer {
    let columns = cols(&[
        ("key", &types::TEXT),
        ("value", &types::TEXT),
        ("default", &types::TEXT),
        ("changeable", &types::TEXT),
    ]);
    let rows = ctx
        .config
        .describe()
        .into_iter()
        .map(|(key, value, default, reload)| {
            vec![text(key), text(value), text(default), text(if reload { "reload" } else { "no" })]
        })
        .collect();
    (columns, rows, "SHOW".into())
}
