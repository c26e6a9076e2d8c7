//! PostgreSQL's catalog functions, registered on the catalog engine's SQLite
//! connection. They read the snapshot's `Facts` and the session running the query.

use std::sync::{Arc, Mutex};

use regex::RegexBuilder;
use rusqlite::functions::{Aggregate, Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Result};

use super::arrays;
use super::snapshot::{quote_ident, split_qualified, Facts};
use crate::types;

/// Who runs the query: set before each catalog query.
#[derive(Debug, Clone, Default)]
pub struct SessionInfo {
    pub user: String,
    pub database: String,
    /// The session's SQL-level cursors, for pg_cursors.
    pub cursors: Vec<CursorInfo>,
    /// The session's BackendKeyData pid (pg_backend_pid()).
    pub pid: i32,
    /// Live sessions, for pg_stat_activity (filled only for queries that read it).
    pub activity: Vec<ActivityInfo>,
    /// (database, sessions, commits, rollbacks), for pg_stat_database.
    pub databases: Vec<(String, u64, u64, u64)>,
    /// pg_cancel_backend / pg_terminate_backend on behalf of this session.
    pub signal: Signaller,
}

/// Signals another session: (pid, terminate) -> Ok(found) or Err(permission message).
#[derive(Clone, Default)]
pub struct Signaller(pub Option<Arc<dyn Fn(i32, bool) -> std::result::Result<bool, String> + Send + Sync>>);

impl std::fmt::Debug for Signaller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signaller")
    }
}

/// A row of pg_stat_activity, timestamps already in the reader's time zone.
#[derive(Debug, Clone, Default)]
pub struct ActivityInfo {
    pub pid: i32,
    pub datname: String,
    pub usename: String,
    pub application_name: String,
    pub client_addr: Option<String>,
    pub client_port: Option<i64>,
    pub backend_start: Option<String>,
    pub xact_start: Option<String>,
    pub query_start: Option<String>,
    pub state_change: Option<String>,
    pub wait_event_type: Option<String>,
    pub wait_event: Option<String>,
    pub state: Option<String>,
    pub query: String,
}

/// A row of pg_cursors.
#[derive(Debug, Clone, Default)]
pub struct CursorInfo {
    pub name: String,
    pub statement: String,
    pub holdable: bool,
    pub binary: bool,
    /// timestamptz text.
    pub creation_time: String,
}

/// PostgreSQL's reserved words that quote_ident quotes (the common ones).
pub fn is_reserved_word(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "current_catalog",
        "current_date",
        "current_role",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "grant",
        "group",
        "having",
        "in",
        "initially",
        "intersect",
        "into",
        "lateral",
        "leading",
        "limit",
        "localtime",
        "localtimestamp",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "placing",
        "primary",
        "references",
        "returning",
        "select",
        "session_user",
        "some",
        "symmetric",
        "table",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "variadic",
        "when",
        "where",
        "window",
        "with",
    ];
    WORDS.contains(&s)
}

fn text(ctx: &Context, i: usize) -> Option<String> {
    match ctx.get_raw(i) {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    }
}

fn int(ctx: &Context, i: usize) -> Option<i64> {
    match ctx.get_raw(i) {
        ValueRef::Integer(n) => Some(n),
        ValueRef::Real(f) => Some(f as i64),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}

fn truthy(ctx: &Context, i: usize) -> bool {
    i < ctx.len() && int(ctx, i).is_some_and(|n| n != 0)
}

pub use crate::types::{format_type, regtype_input};

/// information_schema's data_type: standard names, `ARRAY`, `USER-DEFINED`.
fn sql_type(oid: i64) -> Option<String> {
    let t = types::by_oid(u32::try_from(oid).ok()?)?;
    if t.kind == types::Kind::Array {
        return Some("ARRAY".into());
    }
    if t.kind == types::Kind::Vector {
        return Some("USER-DEFINED".into());
    }
    format_type(oid, None)
}

fn regex_match(ctx: &Context, insensitive: bool) -> Result<Option<bool>> {
    let (Some(s), Some(p)) = (text(ctx, 0), text(ctx, 1)) else {
        return Ok(None);
    };
    let re = RegexBuilder::new(&p)
        .case_insensitive(insensitive)
        .build()
        .map_err(|e| rusqlite::Error::UserFunctionError(format!("invalid regular expression: {e}").into()))?;
    Ok(Some(re.is_match(&s)))
}

/// regexp_matches(s, pattern[, flags]) as a JSON array of its rows, each the array text of
/// one match's groups (the whole match without groups); `g`: every match, else the first.
fn regexp_matches_json(ctx: &Context) -> Result<Option<String>> {
    let (Some(s), Some(p)) = (text(ctx, 0), text(ctx, 1)) else {
        return Ok(None);
    };
    let flags = if ctx.len() > 2 { text(ctx, 2).unwrap_or_default() } else { String::new() };
    let mut builder = RegexBuilder::new(&p);
    builder.dot_matches_new_line(true);
    let mut global = false;
    for ch in flags.chars() {
        match ch {
            'g' => global = true,
            'i' => {
                builder.case_insensitive(true);
            }
            'c' => {
                builder.case_insensitive(false);
            }
            'n' | 'm' => {
                builder.dot_matches_new_line(false).multi_line(true);
            }
            's' => {
                builder.dot_matches_new_line(true).multi_line(false);
            }
            'x' => {
                builder.ignore_whitespace(true);
            }
            other => {
                return Err(rusqlite::Error::UserFunctionError(
                    format!("invalid regular expression option: \"{other}\"").into(),
                ))
            }
        }
    }
    let re = builder
        .build()
        .map_err(|e| rusqlite::Error::UserFunctionError(format!("invalid regular expression: {e}").into()))?;
    let rows: Vec<String> = re
        .captures_iter(&s)
        .take(if global { usize::MAX } else { 1 })
        .map(|caps| {
            let groups: Vec<Option<&str>> = if caps.len() > 1 {
                caps.iter().skip(1).map(|g| g.map(|m| m.as_str())).collect()
            } else {
                vec![caps.get(0).map(|m| m.as_str())]
            };
            arrays::json_string(&arrays::to_text(&groups))
        })
        .collect();
    Ok(Some(format!("[{}]", rows.join(","))))
}

fn size_pretty(n: i64) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v.abs() >= 10.0 * 1024.0 && u < units.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{} {}", v.round() as i64, units[u])
}

struct ArrayAgg;

impl Aggregate<Vec<Option<String>>, String> for ArrayAgg {
    fn init(&self, _: &mut Context<'_>) -> Result<Vec<Option<String>>> {
        Ok(Vec::new())
    }
    fn step(&self, ctx: &mut Context<'_>, acc: &mut Vec<Option<String>>) -> Result<()> {
        acc.push(text(ctx, 0));
        Ok(())
    }
    fn finalize(&self, _: &mut Context<'_>, acc: Option<Vec<Option<String>>>) -> Result<String> {
        Ok(arrays::to_text(&acc.unwrap_or_default()))
    }
}

/// Register every function on a new catalog connection.
/// When the server started (the first catalog), for pg_postmaster_start_time().
static STARTED_US: std::sync::OnceLock<i64> = std::sync::OnceLock::new();

fn now_us() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    d.as_micros() as i64 - types::datetime::PG_EPOCH_UNIX_SECS * 1_000_000
}

pub fn mark_started() {
    STARTED_US.get_or_init(now_us);
}

fn time_err(e: crate::error::PgError) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(e.message.into())
}

/// The names of the SQL functions `register` defines (PostgreSQL's, and the `pgw_`
/// helpers the translation calls), from a throwaway registration: the translator routes
/// a query calling one of them to the catalog engine (`translate::catalog`).
pub fn names() -> &'static [&'static str] {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        let session = Arc::new(Mutex::new(SessionInfo::default()));
        Connection::open_in_memory()
            .and_then(|db| register(&db, Arc::default(), session, &[]))
            .expect("registering the catalog functions on an empty database")
    })
}

/// Define the catalog functions on `db`; returns their names.
pub fn register(
    db: &Connection,
    facts: Arc<Facts>,
    session: Arc<Mutex<SessionInfo>>,
    settings: &[(String, String)],
) -> Result<Vec<&'static str>> {
    let det = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let flags = FunctionFlags::SQLITE_UTF8;
    let mut names: Vec<&'static str> = Vec::new();
    macro_rules! f {
        ($name:expr, $n:expr, $body:expr) => {
            f!($name, $n, flags, $body)
        };
        ($name:expr, $n:expr, $flags:expr, $body:expr) => {{
            let name: &'static str = $name;
            db.create_scalar_function(name, $n, $flags, $body)?;
            names.push(name);
        }};
    }
    f!("format_type", 2, |c| Ok(int(c, 0).and_then(|o| format_type(o, int(c, 1)))));
    f!("pgw_sql_type", 2, |c| Ok(int(c, 0).and_then(sql_type)));
    f!("pgw_char_length", 2, |c| {
        Ok(match (int(c, 0), int(c, 1)) {
            (Some(1042 | 1043), Some(m)) if m >= 4 => Some(m - 4),
            _ => None,
        })
    });
    f!("pgw_octet_length", 2, |c| {
        Ok(match (int(c, 0), int(c, 1)) {
            (Some(1042 | 1043), Some(m)) if m >= 4 => Some((m - 4) * 4),
            (Some(25 | 1042 | 1043), _) => Some(1073741824),
            _ => None,
        })
    });
    f!("pgw_numeric_precision", 2, |c| {
        Ok(match (int(c, 0), int(c, 1)) {
            (Some(21), _) => Some(16),
            (Some(23), _) => Some(32),
            (Some(20), _) => Some(64),
            (Some(700), _) => Some(24),
            (Some(701), _) => Some(53),
            (Some(1700), Some(m)) if m >= 4 => Some(((m - 4) >> 16) & 0xffff),
            _ => None,
        })
    });
    f!("pgw_numeric_radix", 1, |c| {
        Ok(match int(c, 0) {
            Some(20 | 21 | 23 | 700 | 701) => Some(2),
            Some(1700) => Some(10),
            _ => None,
        })
    });
    f!("pgw_numeric_scale", 2, |c| {
        Ok(match (int(c, 0), int(c, 1)) {
            (Some(20 | 21 | 23), _) => Some(0),
            (Some(1700), Some(m)) if m >= 4 => Some((m - 4) & 0xffff),
            _ => None,
        })
    });
    f!("pgw_datetime_precision", 2, |c| {
        Ok(match (int(c, 0), int(c, 1)) {
            (Some(1082), _) => Some(0),
            (Some(1083 | 1114 | 1184 | 1266 | 1186), Some(m)) if m >= 0 => Some(m),
            (Some(1083 | 1114 | 1184 | 1266 | 1186), _) => Some(6),
            _ => None,
        })
    });
    f!("pgw_fk_rule", 1, |c| {
        Ok(match text(c, 0).as_deref() {
            Some("r") => "RESTRICT",
            Some("c") => "CASCADE",
            Some("n") => "SET NULL",
            Some("d") => "SET DEFAULT",
            _ => "NO ACTION",
        })
    });
    f!("pg_get_expr", -1, |c| Ok(text(c, 0)));
    let fx = facts.clone();
    f!("pg_get_indexdef", -1, move |c| {
        let Some((def, cols)) = int(c, 0).and_then(|o| fx.index_defs.get(&o)) else {
            return Ok(None);
        };
        Ok(match c.len().gt(&1).then(|| int(c, 1)).flatten() {
            Some(n) if n > 0 => cols.get(n as usize - 1).map(|s| quote_ident(s)),
            _ => Some(def.clone()),
        })
    });
    let fx = facts.clone();
    f!("pg_get_constraintdef", -1, move |c| Ok(int(c, 0).and_then(|o| fx.constraint_defs.get(&o).cloned())));
    let fx = facts.clone();
    f!("pg_get_viewdef", -1, move |c| {
        let oid = int(c, 0).or_else(|| text(c, 0).and_then(|t| fx.regclass_oid(&t)));
        Ok(oid.and_then(|o| fx.view_defs.get(&o).map(|d| format!(" {};", d.trim().trim_end_matches(';')))))
    });
    let fx = facts.clone();
    f!("obj_description", -1, move |c| Ok(int(c, 0).and_then(|o| fx.descriptions.get(&(o, 0)).cloned())));
    let fx = facts.clone();
    f!("col_description", 2, move |c| {
        Ok(match (int(c, 0), int(c, 1)) {
            (Some(o), Some(n)) => fx.descriptions.get(&(o, n)).cloned(),
            _ => None,
        })
    });
    f!("shobj_description", 2, |_| Ok(None::<String>));
    let fx = facts.clone();
    f!("pg_table_is_visible", 1, move |c| {
        Ok(int(c, 0).map(|o| fx.relations.get(&o).is_none_or(|(s, _)| s == "public" || s == "pg_catalog")))
    });
    for name in [
        "pg_type_is_visible",
        "pg_function_is_visible",
        "pg_collation_is_visible",
        "pg_conversion_is_visible",
        "pg_operator_is_visible",
        "pg_opclass_is_visible",
        "pg_opfamily_is_visible",
        "pg_statistics_obj_is_visible",
    ] {
        f!(name, 1, |c| Ok(int(c, 0).map(|_| true)));
    }
    for name in [
        "has_table_privilege",
        "has_schema_privilege",
        "has_database_privilege",
        "has_column_privilege",
        "has_function_privilege",
        "has_sequence_privilege",
        "has_any_column_privilege",
        "pg_has_role",
        "has_type_privilege",
        "has_tablespace_privilege",
    ] {
        f!(name, -1, |_| Ok(true));
    }
    for name in ["pg_relation_is_publishable", "pg_is_in_recovery", "pg_is_other_temp_schema"] {
        f!(name, -1, |_| Ok(false));
    }
    for name in ["pg_table_size", "pg_relation_size", "pg_total_relation_size", "pg_indexes_size", "pg_database_size"] {
        f!(name, -1, |_| Ok(0i64));
    }
    f!("pg_my_temp_schema", 0, |_| Ok(0i64));
    // Timestamps are PostgreSQL text here; the catalog's one timestamptz is the start time.
    let utc = types::TimeZone::utc();
    f!("pg_postmaster_start_time", 0, move |_| {
        Ok(types::datetime::format_timestamptz(*STARTED_US.get_or_init(now_us), &utc))
    });
    f!("pgw_at_time_zone", 2, |c| {
        let (Some(ts), Some(zone)) = (text(c, 0), text(c, 1)) else { return Ok(None) };
        let utc = types::dtparse::parse_timestamptz(&ts, &types::TimeZone::utc()).map_err(time_err)?;
        let zone = types::TimeZone::parse(&zone).map_err(time_err)?;
        Ok(Some(types::datetime::format_timestamp(types::datetime::utc_to_local(utc, &zone).0)))
    });
    f!("pgw_epoch", 1, |c| {
        let Some(ts) = text(c, 0) else { return Ok(None) };
        let us = types::dtparse::parse_timestamp(&ts, &types::TimeZone::utc()).map_err(time_err)?;
        Ok(Some(us as f64 / 1e6 + types::datetime::PG_EPOCH_UNIX_SECS as f64))
    });
    // Transactions are the backend's: the snapshot's DDL generation stands for the xid
    // that last changed every catalog row (xmin), so age(xmin) is 0 until DDL runs.
    let generation = facts.generation as i64;
    f!("txid_current", 0, move |_| Ok(generation));
    f!("age", 1, move |c| Ok(int(c, 0).map(|x| generation - x)));
    f!("pg_size_pretty", 1, |c| Ok(int(c, 0).map(size_pretty)));
    f!("pg_encoding_to_char", 1, |_| Ok("UTF8"));
    f!("pg_char_to_encoding", 1, |_| Ok(6i64));
    f!("pg_get_function_result", 1, |_| Ok(None::<String>));
    f!("pg_get_function_arguments", 1, |_| Ok(""));
    f!("pg_get_function_identity_arguments", 1, |_| Ok(""));
    f!("pg_get_triggerdef", -1, |_| Ok(None::<String>));
    f!("pg_get_statisticsobjdef_columns", 1, |_| Ok(None::<String>));
    f!("pg_get_partkeydef", 1, |_| Ok(None::<String>));
    f!("pg_tablespace_location", 1, |_| Ok(""));
    f!("pgw_owner", 0, |_| Ok("postgres"));
    f!("pg_get_ruledef", -1, |_| Ok(None::<String>));
    f!("getdatabaseencoding", 0, |_| Ok("UTF8"));
    f!("array_remove", 2, |c| {
        let Some(arr) = text(c, 0) else { return Ok(None) };
        let x = text(c, 1);
        let kept: Vec<Option<String>> = arrays::elements(&arr).into_iter().filter(|e| *e != x).collect();
        Ok(Some(arrays::to_text(&kept)))
    });
    f!("pg_get_userbyid", 1, |c| {
        Ok(match int(c, 0) {
            Some(10) => "postgres".to_string(),
            Some(6171) => "pg_database_owner".to_string(),
            Some(o) => format!("unknown (OID={o})"),
            None => return Ok(None),
        })
        .map(Some)
    });
    let fx = facts.clone();
    f!("pg_get_serial_sequence", 2, move |c| {
        let (Some(t), Some(col)) = (text(c, 0), text(c, 1)) else { return Ok(None) };
        let parts = split_qualified(&t);
        let table = parts.last().cloned().unwrap_or_default();
        let schema = if parts.len() > 1 { parts[parts.len() - 2].clone() } else { "public".into() };
        let seq = format!("{table}_{col}_seq");
        Ok(fx.relation_oids.contains_key(&(schema.clone(), seq.clone())).then(|| format!("{schema}.{seq}")))
    });
    f!("current_schemas", 1, |c| Ok(if truthy(c, 0) { "{pg_catalog,public}" } else { "{public}" }));
    f!("current_schema", 0, |_| Ok("public"));
    let s = session.clone();
    f!("current_database", 0, move |_| Ok(s.lock().map(|s| s.database.clone()).unwrap_or_default()));
    let s = session.clone();
    f!("pg_backend_pid", 0, move |_| Ok(s.lock().map(|s| s.pid).unwrap_or_default()));
    for (name, terminate) in [("pg_cancel_backend", false), ("pg_terminate_backend", true)] {
        let s = session.clone();
        // pg_terminate_backend(pid, timeout) waits for nothing here: the session ends on its own.
        f!(name, -1, move |c| {
            let Some(pid) = int(c, 0) else { return Ok(None) };
            let signal = s.lock().map(|s| s.signal.0.clone()).unwrap_or_default();
            let Some(signal) = signal else { return Ok(Some(false)) };
            match signal(pid as i32, terminate) {
                Ok(found) => Ok(Some(found)),
                Err(e) => Err(rusqlite::Error::UserFunctionError(e.into())),
            }
        });
    }
    let s = session.clone();
    f!("pgw_current_user", 0, move |_| Ok(s.lock().map(|s| s.user.clone()).unwrap_or_default()));
    // The server's settings at build time (SET in a session is not seen here).
    let known: std::collections::HashMap<String, String> = settings.iter().cloned().collect();
    f!("current_setting", -1, move |c| Ok(text(c, 0).and_then(|n| known.get(&n.to_lowercase()).cloned())));
    f!("quote_ident", 1, |c| Ok(text(c, 0).map(|t| quote_ident(&t))));
    // Regular expressions (`~`, `~*`), reg* casts.
    f!("pgw_regex", 2, det, |c| regex_match(c, false));
    f!("pgw_iregex", 2, det, |c| regex_match(c, true));
    f!("pgw_regexp_matches_json", -1, det, regexp_matches_json);
    let fx = facts.clone();
    f!("pgw_regclass_in", 1, move |c| {
        Ok(match c.get_raw(0) {
            ValueRef::Integer(n) => Some(n),
            _ => text(c, 0).map(|t| t.trim().parse().ok().or_else(|| fx.regclass_oid(&t)).unwrap_or(0)),
        })
    });
    let fx = facts.clone();
    f!("pgw_regclass_out", 1, move |c| { Ok(int(c, 0).map(|o| fx.regclass_name(o).unwrap_or(o.to_string()))) });
    f!("pgw_regtype_in", 1, |c| {
        Ok(match c.get_raw(0) {
            ValueRef::Integer(n) => Some(n),
            _ => text(c, 0).map(|t| t.trim().parse().unwrap_or_else(|_| regtype_input(&t).map_or(0, |t| t.oid as i64))),
        })
    });
    let fx = facts.clone();
    f!("to_regclass", 1, move |c| { Ok(text(c, 0).and_then(|t| fx.regclass_oid(&t))) });
    f!("to_regtype", 1, |c| Ok(text(c, 0).and_then(|t| regtype_input(&t)).map(|t| t.oid as i64)));
    f!("pgw_regtype_out", 1, |c| Ok(int(c, 0).map(|o| format_type(o, None).unwrap_or(o.to_string()))));
    let fx = facts.clone();
    f!("pgw_regnamespace_out", 1, move |c| {
        Ok(int(c, 0).map(|o| match o {
            11 => "pg_catalog".to_string(),
            2200 => "public".to_string(),
            13000 => "information_schema".to_string(),
            o => fx.namespaces.get(&o).cloned().unwrap_or(o.to_string()),
        }))
    });
    let fx = facts.clone();
    f!("pgw_regnamespace_in", 1, move |c| {
        if let ValueRef::Integer(n) = c.get_raw(0) {
            return Ok(Some(n));
        }
        Ok(text(c, 0).map(|t| {
            let name = split_qualified(&t).pop().unwrap_or_default();
            match name.as_str() {
                "pg_catalog" => 11,
                "public" => 2200,
                "information_schema" => 13000,
                n => fx.namespaces.iter().find(|(_, v)| v.as_str() == n).map_or(0, |(k, _)| *k),
            }
        }))
    });
    // format(): %s, %I (quote_ident), %L (quote_literal), %%.
    f!("format", -1, |c| {
        let Some(fmt) = text(c, 0) else { return Ok(None) };
        let mut out = String::new();
        let mut next = 1;
        let mut chars = fmt.chars();
        while let Some(ch) = chars.next() {
            if ch != '%' {
                out.push(ch);
                continue;
            }
            let spec = chars.next().unwrap_or('%');
            if spec == '%' {
                out.push('%');
                continue;
            }
            let arg = if next < c.len() { text(c, next) } else { None };
            next += 1;
            match (spec, arg) {
                ('I', Some(a)) => out.push_str(&quote_ident(&a)),
                ('L', Some(a)) => out.push_str(&format!("'{}'", a.replace('\'', "''"))),
                ('L', None) => out.push_str("NULL"),
                (_, a) => out.push_str(&a.unwrap_or_default()),
            }
        }
        Ok(Some(out))
    });
    f!("pgw_regrole_out", 1, |c| Ok(int(c, 0).map(|o| if o == 10 { "postgres".into() } else { o.to_string() })));
    let fx = facts.clone();
    f!("pgw_regproc_in", 1, move |c| {
        Ok(match c.get_raw(0) {
            ValueRef::Integer(n) => Some(n),
            _ => text(c, 0).map(|t| {
                let name = split_qualified(&t).pop().unwrap_or_default();
                t.trim().parse().unwrap_or_else(|_| fx.procs.iter().find(|(_, v)| **v == name).map_or(0, |(k, _)| *k))
            }),
        })
    });
    let fx = facts.clone();
    f!("pgw_regproc_out", 1, move |c| {
        Ok(match c.get_raw(0) {
            ValueRef::Integer(0) => Some("-".to_string()),
            ValueRef::Integer(o) => Some(fx.procs.get(&o).cloned().unwrap_or(o.to_string())),
            _ => text(c, 0),
        })
    });
    // Arrays.
    // Subscripts of int2vector/oidvector start at 0, of arrays at 1.
    f!("pgw_array_base", 1, |c| Ok(text(c, 0).map(|t| t.trim_start().starts_with('{') as i64)));
    f!("pgw_array_json", 1, |c| Ok(text(c, 0).map(|t| arrays::to_json(&t))));
    f!("pgw_array", -1, |c| Ok(arrays::to_text(&(0..c.len()).map(|i| text(c, i)).collect::<Vec<_>>())));
    f!("pgw_array_contains", 2, |c| {
        let (Some(arr), Some(x)) = (text(c, 0), text(c, 1)) else { return Ok(None) };
        Ok(Some(arrays::elements(&arr).iter().any(|e| e.as_deref() == Some(x.as_str()))))
    });
    f!("pgw_array_get", 2, |c| {
        let (Some(arr), Some(i)) = (text(c, 0), int(c, 1)) else { return Ok(None) };
        let elems = arrays::elements(&arr);
        // int2vector and oidvector subscripts start at 0, arrays at 1.
        let base = if arr.trim_start().starts_with('{') { 1 } else { 0 };
        Ok(usize::try_from(i - base).ok().and_then(|i| elems.get(i).cloned().flatten()))
    });
    f!("array_to_string", -1, |c| {
        let (Some(arr), Some(sep)) = (text(c, 0), text(c, 1)) else { return Ok(None) };
        let null = if c.len() > 2 { text(c, 2) } else { None };
        let parts: Vec<String> =
            arrays::elements(&arr).into_iter().filter_map(|e| e.or_else(|| null.clone())).collect();
        Ok(Some(parts.join(&sep)))
    });
    f!("string_to_array", -1, |c| {
        let (Some(s), Some(sep)) = (text(c, 0), text(c, 1)) else { return Ok(None) };
        let items: Vec<Option<String>> =
            if sep.is_empty() { vec![Some(s)] } else { s.split(sep.as_str()).map(|p| Some(p.to_string())).collect() };
        Ok(Some(arrays::to_text(&items)))
    });
    for name in ["array_length", "array_upper", "cardinality"] {
        f!(name, -1, |c| {
            let n = text(c, 0).map(|t| arrays::elements(&t).len() as i64);
            Ok(n.filter(|n| *n > 0))
        });
    }
    f!("array_lower", 2, |c| Ok(text(c, 0).filter(|t| !arrays::elements(t).is_empty()).map(|_| 1i64)));
    f!("pgw_series_json", -1, |c| {
        let (Some(a), Some(b)) = (int(c, 0), int(c, 1)) else { return Ok(None) };
        let step = if c.len() > 2 { int(c, 2).unwrap_or(1) } else { 1 };
        if step == 0 {
            return Err(rusqlite::Error::UserFunctionError("step size cannot equal zero".into()));
        }
        let mut out = Vec::new();
        let mut i = a;
        while (step > 0 && i <= b) || (step < 0 && i >= b) {
            out.push(i.to_string());
            if out.len() > 1_000_000 {
                break;
            }
            i += step;
        }
        Ok(Some(format!("[{}]", out.join(","))))
    });
    f!("pgw_subscripts_json", -1, |c| {
        let n = text(c, 0).map_or(0, |t| arrays::elements(&t).len());
        let base = text(c, 0).is_some_and(|t| t.trim_start().starts_with('{')) as usize;
        Ok(format!("[{}]", (0..n).map(|i| (i + base).to_string()).collect::<Vec<_>>().join(",")))
    });
    // Partitioning is not modelled: a relation is its own only ancestor.
    f!("pg_partition_ancestors", 1, |c| Ok(int(c, 0)));
    db.create_aggregate_function("pgw_array_agg", 1, flags, ArrayAgg)?;
    names.push("pgw_array_agg");
    Ok(names)
}

/// regtype input: a type name as written in SQL, also quoted or qualified with pg_catalog
/// (`"text"`, `pg_catalog."int4"`: psycopg's TypeInfo.fetch of a sql.Identifier).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_type_like_postgres() {
        assert_eq!(format_type(1043, Some(44)).as_deref(), Some("character varying(40)"));
        assert_eq!(format_type(1700, Some((12 << 16 | 2) + 4)).as_deref(), Some("numeric(12,2)"));
        assert_eq!(format_type(1007, Some(-1)).as_deref(), Some("integer[]"));
        assert_eq!(format_type(23, None).as_deref(), Some("integer"));
        // PostgreSQL 15: numeric(2,-3) is atttypmod 133121; time(2), timestamptz(0).
        assert_eq!(format_type(1700, Some(133121)).as_deref(), Some("numeric(2,-3)"));
        assert_eq!(format_type(1083, Some(2)).as_deref(), Some("time(2) without time zone"));
        assert_eq!(format_type(1184, Some(0)).as_deref(), Some("timestamp(0) with time zone"));
        assert_eq!(format_type(1114, Some(-1)).as_deref(), Some("timestamp without time zone"));
    }

    #[test]
    fn regtype_input_takes_quoted_and_qualified_names() {
        for name in ["text", "\"text\"", "pg_catalog.text", "pg_catalog.\"text\"", " \"pg_catalog\".text "] {
            assert_eq!(regtype_input(name).map(|t| t.oid), Some(25), "{name}");
        }
        assert!(regtype_input("\"TEXT\"").is_none());
    }
}
