//! Utility statements: command tags, transaction control and session settings.
//!
//! BEGIN/COMMIT/ROLLBACK and SET/SHOW/RESET are answered or sequenced by the session,
//! not sent as-is: the gateway keeps PostgreSQL's settings and transaction states.

use sqlparser::ast::{
    self, ContextModifier, DateTimeField, Reset, Statement, TransactionAccessMode, TransactionIsolationLevel,
    TransactionMode,
};

use crate::error::{sqlstate, PgError, PgResult};
use crate::translate::ast_util::refuse;
use crate::translate::{Action, Tag, Target, TargetSql};

/// The CommandComplete tag PostgreSQL reports for the statement.
pub fn tag(stmt: &Statement) -> Tag {
    let fixed = |s: &str| Tag::Fixed(s.to_string());
    match stmt {
        Statement::Query(_) => Tag::Select,
        Statement::Insert(_) => Tag::Insert,
        Statement::Update(_) => Tag::Update,
        Statement::Delete(_) => Tag::Delete,
        Statement::StartTransaction { begin: false, .. } => fixed("START TRANSACTION"),
        Statement::StartTransaction { .. } => fixed("BEGIN"),
        Statement::Commit { .. } => fixed("COMMIT"),
        Statement::Rollback { .. } => fixed("ROLLBACK"),
        Statement::Savepoint { .. } => fixed("SAVEPOINT"),
        Statement::ReleaseSavepoint { .. } => fixed("RELEASE"),
        Statement::CreateTable(_) => fixed("CREATE TABLE"),
        Statement::CreateIndex(_) => fixed("CREATE INDEX"),
        Statement::CreateView(_) => fixed("CREATE VIEW"),
        Statement::Comment { .. } => fixed("COMMENT"),
        Statement::Drop { object_type, .. } => Tag::Fixed(format!("DROP {object_type}")),
        Statement::Truncate { .. } => fixed("TRUNCATE TABLE"),
        Statement::AlterTable { .. } => fixed("ALTER TABLE"),
        Statement::ShowVariable { .. } => fixed("SHOW"),
        Statement::Set(_) => fixed("SET"),
        Statement::Reset(_) => fixed("RESET"),
        Statement::Deallocate { name, .. } if name.quote_style.is_none() && name.value.eq_ignore_ascii_case("all") => {
            fixed("DEALLOCATE ALL")
        }
        Statement::Deallocate { .. } => fixed("DEALLOCATE"),
        Statement::Discard { object_type } => Tag::Fixed(format!("DISCARD {object_type}")),
        Statement::LISTEN { .. } => fixed("LISTEN"),
        Statement::UNLISTEN { .. } => fixed("UNLISTEN"),
        Statement::NOTIFY { .. } => fixed("NOTIFY"),
        other => {
            // Tag from the statement's leading keywords, e.g. "CREATE SCHEMA".
            let text = other.to_string();
            let words: Vec<&str> = text.split_whitespace().take(2).collect();
            Tag::Fixed(words.join(" ").to_ascii_uppercase())
        }
    }
}

/// A query that only reads: no data-modifying CTE, no `SELECT .. INTO`, no row locks.
/// Such a statement may run outside a transaction (autocommit) without changing results.
pub fn is_read_only(stmt: &Statement) -> bool {
    fn query(q: &ast::Query) -> bool {
        q.locks.is_empty()
            && q.with.as_ref().is_none_or(|w| w.cte_tables.iter().all(|c| query(&c.query)))
            && body(&q.body)
    }
    fn body(b: &ast::SetExpr) -> bool {
        match b {
            ast::SetExpr::Select(s) => s.into.is_none(),
            ast::SetExpr::Query(q) => query(q),
            ast::SetExpr::SetOperation { left, right, .. } => body(left) && body(right),
            ast::SetExpr::Values(_) | ast::SetExpr::Table(_) => true,
            ast::SetExpr::Insert(_) | ast::SetExpr::Update(_) | ast::SetExpr::Delete(_) | ast::SetExpr::Merge(_) => {
                false
            }
        }
    }
    matches!(stmt, Statement::Query(q) if query(q))
}

/// The session-level action for transaction control and settings; None for backend work.
pub fn session_action(stmt: &Statement, target: &Target) -> PgResult<Option<Action>> {
    Ok(Some(match stmt {
        Statement::StartTransaction { modes, statements, .. } if statements.is_empty() => {
            Action::Begin { modes: begin_modes(modes, target)?, settings: characteristics(modes) }
        }
        Statement::Commit { chain: false, .. } => Action::Commit,
        Statement::Rollback { savepoint: None, chain: false } => Action::Rollback,
        Statement::Commit { .. } | Statement::Rollback { savepoint: None, .. } => {
            return Err(refuse("COMMIT/ROLLBACK AND CHAIN", "commit, then BEGIN again"))
        }
        Statement::ShowVariable { variable } => {
            let name = variable.iter().map(|i| i.value.to_ascii_lowercase()).collect::<Vec<_>>().join(" ");
            let name = match name.as_str() {
                "transaction isolation level" => "transaction_isolation".to_string(),
                _ => name,
            };
            Action::Show { name }
        }
        Statement::Reset(r) => Action::Reset {
            name: match &r.reset {
                Reset::ALL => "all".into(),
                Reset::SessionAuthorization => "session_authorization".into(),
                Reset::ConfigurationParameter(n) => n.to_string().to_ascii_lowercase(),
            },
        },
        Statement::Set(set) => return set_action(set, target),
        Statement::Deallocate { name, .. } => {
            Action::Deallocate(if name.quote_style.is_none() && name.value.eq_ignore_ascii_case("all") {
                None
            } else {
                Some(name.value.clone())
            })
        }
        Statement::Discard { object_type } => Action::Discard { all: matches!(object_type, ast::DiscardObject::ALL) },
        Statement::CreateExtension(ce) => {
            built_in_extension(&ce.name)?;
            nothing_to_run()
        }
        Statement::DropExtension(de) => {
            for name in &de.names {
                built_in_extension(name)?;
            }
            nothing_to_run()
        }
        Statement::LISTEN { channel } => Action::Listen(channel_name(channel)),
        Statement::UNLISTEN { channel } if channel.quote_style.is_none() && channel.value == "*" => {
            Action::Unlisten(None)
        }
        Statement::UNLISTEN { channel } => Action::Unlisten(Some(channel_name(channel))),
        Statement::NOTIFY { channel, payload } => {
            Action::Notify { channel: channel_name(channel), payload: payload.clone().unwrap_or_default() }
        }
        _ => return Ok(None),
    }))
}

/// Extensions the gateway has built in: `vector` (pgvector: IRIS's own VECTOR type and
/// functions, computed on SQLite) and `plpgsql`, both listed in pg_extension. CREATE
/// EXTENSION of them succeeds and DROP EXTENSION is a no-op (the type cannot go away);
/// any other extension is refused.
pub const BUILT_IN_EXTENSIONS: [&str; 2] = ["plpgsql", "vector"];

fn built_in_extension(name: &ast::Ident) -> PgResult<()> {
    if BUILT_IN_EXTENSIONS.contains(&name.value.to_ascii_lowercase().as_str()) {
        return Ok(());
    }
    Err(PgError::unsupported(format!("extension \"{}\" is not available", name.value)).with_hint(
        "iris-pgwire provides the vector extension (pgvector's type, operators and indexes) built in; \
         other extensions cannot be installed",
    ))
}

fn nothing_to_run() -> Action {
    Action::Execute { statements: vec![], returns_rows: false, rowcount: crate::translate::RowCount::Last }
}

/// A channel name is an identifier: unquoted ones fold to lower case, and like every
/// identifier it is truncated to NAMEDATALEN - 1 (63) bytes.
fn channel_name(id: &ast::Ident) -> String {
    let mut name = if id.quote_style.is_none() { id.value.to_ascii_lowercase() } else { id.value.clone() };
    if name.len() > 63 {
        let mut end = 63;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    name
}

fn set_action(set: &ast::Set, target: &Target) -> PgResult<Option<Action>> {
    Ok(Some(match set {
        ast::Set::SingleAssignment { scope, variable, values, .. } => {
            let name = variable.to_string().to_ascii_lowercase();
            let value = values.iter().map(render_set_value).collect::<Vec<_>>().join(", ");
            let value = if value.eq_ignore_ascii_case("default") { None } else { Some(value) };
            let local = matches!(scope, Some(ContextModifier::Local));
            Action::Set { name, value, local }
        }
        ast::Set::SetTimeZone { local, value } => {
            Action::Set { name: "timezone".into(), value: time_zone_value(value)?, local: *local }
        }
        ast::Set::SetNames { charset_name, .. } => {
            Action::Set { name: "client_encoding".into(), value: Some(charset_name.value.clone()), local: false }
        }
        ast::Set::SetNamesDefault {} => Action::Set { name: "client_encoding".into(), value: None, local: false },
        ast::Set::SetTransaction { modes, snapshot: None, session } => {
            let level = modes.iter().find_map(|m| match m {
                TransactionMode::IsolationLevel(l) => Some(*l),
                _ => None,
            });
            // IRIS applies the level itself (inside the current transaction); SQLite is
            // always serializable, so the session only records it.
            let backend = begin_modes(modes, target)?;
            if !*session && !backend.is_empty() {
                return Ok(Some(Action::Execute {
                    statements: backend,
                    returns_rows: false,
                    rowcount: crate::translate::RowCount::Last,
                }));
            }
            let name = if *session { "default_transaction_isolation" } else { "transaction_isolation" };
            match level {
                Some(l) => Action::Set { name: name.into(), value: Some(level_name(l).into()), local: !*session },
                None => {
                    let ro =
                        modes.iter().any(|m| matches!(m, TransactionMode::AccessMode(TransactionAccessMode::ReadOnly)));
                    let name = if *session { "default_transaction_read_only" } else { "transaction_read_only" };
                    Action::Set {
                        name: name.into(),
                        value: Some(if ro { "on" } else { "off" }.into()),
                        local: !*session,
                    }
                }
            }
        }
        ast::Set::SetRole { .. } | ast::Set::SetSessionAuthorization(_) => {
            return Err(refuse("SET ROLE / SET SESSION AUTHORIZATION", "connect as the wanted user instead"))
        }
        other => return Err(refuse(&format!("SET form `{other}`"), "use SET name = value")),
    }))
}

fn level_name(l: TransactionIsolationLevel) -> &'static str {
    match l {
        TransactionIsolationLevel::ReadUncommitted => "read uncommitted",
        TransactionIsolationLevel::ReadCommitted => "read committed",
        TransactionIsolationLevel::RepeatableRead => "repeatable read",
        TransactionIsolationLevel::Serializable => "serializable",
        _ => "read committed",
    }
}

/// Statements to run right after BEGIN so the transaction has the requested modes.
///
/// SQLite transactions are always serializable, so every level is satisfied. IRIS offers
/// READ UNCOMMITTED and READ COMMITTED only: PostgreSQL's READ UNCOMMITTED is READ COMMITTED,
/// and the stronger levels are refused rather than silently weakened. READ ONLY is
/// accepted and not enforced (documented).
fn begin_modes(modes: &[TransactionMode], target: &Target) -> PgResult<Vec<TargetSql>> {
    let mut out = Vec::new();
    for m in modes {
        if let (TransactionMode::IsolationLevel(level), Target::Iris(_)) = (m, target) {
            match level {
                TransactionIsolationLevel::ReadUncommitted | TransactionIsolationLevel::ReadCommitted => {
                    out.push(TargetSql::new("SET TRANSACTION ISOLATION LEVEL READ COMMITTED"))
                }
                other => {
                    return Err(refuse(
                        &format!("isolation level {}", level_name(*other).to_ascii_uppercase()),
                        "IRIS offers READ COMMITTED at most; use BEGIN ISOLATION LEVEL READ COMMITTED",
                    ))
                }
            }
        }
    }
    Ok(out)
}

/// The settings a BEGIN's modes give its transaction, as `SHOW transaction_isolation` /
/// `transaction_read_only` report them inside it.
fn characteristics(modes: &[TransactionMode]) -> Vec<(String, String)> {
    modes
        .iter()
        .map(|m| match m {
            TransactionMode::IsolationLevel(l) => ("transaction_isolation".into(), level_name(*l).into()),
            TransactionMode::AccessMode(a) => (
                "transaction_read_only".into(),
                if matches!(a, TransactionAccessMode::ReadOnly) { "on" } else { "off" }.into(),
            ),
        })
        .collect()
}

/// The value of a SET as PostgreSQL would store it: string literals unquoted.
/// `SET TIME ZONE` in PostgreSQL's forms: a zone name or string ('UTC', 'Europe/Paris'),
/// a number of hours east (`-7`, `5.5`), `INTERVAL '+hh:mm' HOUR TO MINUTE` (Sequelize
/// sends it on connect), `LOCAL` and `DEFAULT` (None: the default zone).
fn time_zone_value(expr: &ast::Expr) -> PgResult<Option<String>> {
    match expr {
        ast::Expr::Identifier(i)
            if i.quote_style.is_none()
                && (i.value.eq_ignore_ascii_case("local") || i.value.eq_ignore_ascii_case("default")) =>
        {
            Ok(None)
        }
        ast::Expr::Interval(iv) => {
            let text = render_set_value(&iv.value);
            let secs = interval_seconds(text.trim(), iv.leading_field.as_ref()).ok_or_else(|| {
                PgError::new(
                    sqlstate::INVALID_PARAMETER_VALUE,
                    format!("invalid interval value for time zone: \"{text}\""),
                )
            })?;
            Ok(Some(crate::types::TimeZone::fixed_east(secs)?.name().to_owned()))
        }
        other => Ok(Some(render_set_value(other))),
    }
}

/// Seconds of an interval given as `[+-]hh:mm[:ss]` or a number of the leading field's unit
/// (the forms a time zone displacement takes).
fn interval_seconds(text: &str, field: Option<&DateTimeField>) -> Option<i32> {
    let (neg, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let secs = if rest.contains(':') {
        let mut parts = rest.split(':').map(|p| p.trim().parse::<i32>().ok());
        let h = parts.next()??;
        let m = parts.next().flatten().unwrap_or(0);
        let s = parts.next().flatten().unwrap_or(0);
        h * 3600 + m * 60 + s
    } else {
        let unit = match field {
            Some(DateTimeField::Hour) | Some(DateTimeField::Hours) => 3600.0,
            Some(DateTimeField::Minute) | Some(DateTimeField::Minutes) => 60.0,
            Some(DateTimeField::Second) | Some(DateTimeField::Seconds) | None => 1.0,
            _ => return None,
        };
        (rest.trim().parse::<f64>().ok()? * unit).round() as i32
    };
    Some(if neg { -secs } else { secs })
}

fn render_set_value(expr: &ast::Expr) -> String {
    match expr {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        ast::Expr::Identifier(i) => i.value.clone(),
        other => other.to_string(),
    }
}
