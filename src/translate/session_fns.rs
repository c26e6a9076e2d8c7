//! `SELECT version()`, `SELECT current_schema()`, `SELECT current_setting('x')`...:
//! queries over session functions only, answered by the gateway for every
//! backend (drivers and ORMs send them on connect, before any real query), and the
//! notification functions (`pg_notify`, `pg_listening_channels`), which are session state.

use sqlparser::ast::{
    self, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, SelectItem, SetExpr, Statement, TableFactor,
};

/// An argument the gateway evaluates: a literal (None for NULL) or a client parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FnArg {
    Text(Option<String>),
    /// 0-based index of `$n`.
    Param(usize),
}

/// A session function the gateway evaluates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionFn {
    Version,
    CurrentSchema,
    CurrentDatabase,
    CurrentUser,
    BackendPid,
    /// current_setting(name): a literal or `$n` (psycopg binds it)
    Setting(FnArg),
    /// set_config(name, value, is_local): name and value literals or `$n` (a NULL value: the default)
    SetConfig {
        name: FnArg,
        value: FnArg,
        local: bool,
    },
    /// pg_notify(channel, payload): void.
    Notify {
        channel: FnArg,
        payload: FnArg,
    },
    /// pg_listening_channels(): one row per channel.
    ListeningChannels,
    /// pg_advisory_unlock_all(): void; the session's session-level advisory locks go
    /// (poolers such as asyncpg's send it on release).
    AdvisoryUnlockAll,
    /// pg_advisory_lock / pg_advisory_xact_lock / the `try` forms / pg_advisory_unlock of
    /// a `bigint` key or an `(int, int)` key: the gateway's locks (src/advisory.rs).
    Advisory {
        op: AdvisoryOp,
        key: Vec<FnArg>,
    },
    /// pg_sleep / pg_sleep_for / pg_sleep_until: waits in the gateway (cancellable), void.
    Sleep(Sleep),
}

/// What an advisory-lock function does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdvisoryOp {
    /// pg_advisory_lock / pg_advisory_xact_lock: wait for the lock; void.
    Lock { xact: bool },
    /// pg_try_advisory_lock / pg_try_advisory_xact_lock: take it if free; bool.
    TryLock { xact: bool },
    /// pg_advisory_unlock: release a session-level hold; bool.
    Unlock,
}

/// A sleep and its argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sleep {
    pub kind: SleepKind,
    pub arg: FnArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SleepKind {
    /// pg_sleep(float8 seconds)
    Seconds,
    /// pg_sleep_for(interval)
    For,
    /// pg_sleep_until(timestamptz)
    Until,
}

impl SleepKind {
    /// The type of the function's argument (what a `$n` in its place is).
    pub fn arg_type(self) -> &'static crate::types::PgType {
        match self {
            SleepKind::Seconds => &crate::types::FLOAT8,
            SleepKind::For => &crate::types::INTERVAL,
            SleepKind::Until => &crate::types::TIMESTAMPTZ,
        }
    }
}

/// The `$n` parameters of a local select whose types the functions fix.
pub fn param_types(items: &[(String, SessionFn)]) -> impl Iterator<Item = (usize, &'static crate::types::PgType)> + '_ {
    items.iter().flat_map(|(_, f)| match f {
        SessionFn::Sleep(Sleep { kind, arg: FnArg::Param(n) }) => vec![(*n, kind.arg_type())],
        // One bigint key, or two int keys.
        SessionFn::Advisory { key, .. } => {
            let ty = if key.len() == 1 { &crate::types::INT8 } else { &crate::types::INT4 };
            key.iter().filter_map(|a| if let FnArg::Param(n) = a { Some((*n, ty)) } else { None }).collect()
        }
        _ => vec![],
    })
}

/// The select list, if every item is a session function and there is no FROM.
pub fn local_select(stmt: &Statement) -> Option<Vec<(String, SessionFn)>> {
    let Statement::Query(q) = stmt else {
        return None;
    };
    if q.with.is_some() || q.order_by.is_some() || q.limit_clause.is_some() {
        return None;
    }
    let SetExpr::Select(s) = q.body.as_ref() else {
        return None;
    };
    if s.selection.is_some() || s.projection.is_empty() {
        return None;
    }
    if !s.from.is_empty() {
        return function_in_from(s);
    }
    s.projection
        .iter()
        .map(|item| match item {
            SelectItem::UnnamedExpr(e) => session_fn(e),
            SelectItem::ExprWithAlias { expr, alias } => session_fn(expr).map(|(_, f)| (alias.value.clone(), f)),
            _ => None,
        })
        .collect()
}

/// `SELECT pg_notify(channel, payload) [AS name] FROM ..`: one notification per row. The
/// column name, and the statement that gives the arguments per row instead
/// (`SELECT channel, payload FROM ..`), which runs on the backend.
pub fn notify_over_rows(stmt: &Statement) -> Option<(String, Statement)> {
    let Statement::Query(q) = stmt else { return None };
    let SetExpr::Select(s) = q.body.as_ref() else { return None };
    let [item] = s.projection.as_slice() else { return None };
    let (expr, name) = match item {
        SelectItem::UnnamedExpr(e) => (e, "pg_notify".to_string()),
        SelectItem::ExprWithAlias { expr, alias } => (expr, alias.value.clone()),
        _ => return None,
    };
    let Expr::Function(f) = expr else { return None };
    let parts: Vec<String> = f.name.0.iter().map(|p| p.to_string().to_ascii_lowercase()).collect();
    if !matches!(
        parts.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
        ["pg_notify"] | ["pg_catalog", "pg_notify"]
    ) || s.from.is_empty()
    {
        return None;
    }
    let FunctionArguments::List(l) = &f.args else { return None };
    let args = l
        .args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(SelectItem::UnnamedExpr(e.clone())),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    if args.len() != 2 {
        return None;
    }
    let mut rows = stmt.clone();
    let Statement::Query(q) = &mut rows else { unreachable!() };
    let SetExpr::Select(s) = q.body.as_mut() else { unreachable!() };
    s.projection = args;
    Some((name, rows))
}

/// `SELECT * FROM pg_listening_channels() [AS a]`, `SELECT * FROM current_schema()` (TypeORM
/// on connect): a function without arguments in FROM; the column takes the alias's name. A
/// scalar one is the one-row table PostgreSQL makes of it.
fn function_in_from(s: &ast::Select) -> Option<Vec<(String, SessionFn)>> {
    let [from] = s.from.as_slice() else { return None };
    let TableFactor::Table { name, alias, args: Some(args), .. } = &from.relation else { return None };
    if !from.joins.is_empty() || !args.args.is_empty() || !matches!(s.projection.as_slice(), [SelectItem::Wildcard(_)])
    {
        return None;
    }
    let parts: Vec<String> = name.0.iter().map(|p| p.to_string().to_ascii_lowercase()).collect();
    let (fname, f) = if matches!(
        parts.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
        ["pg_listening_channels"] | ["pg_catalog", "pg_listening_channels"]
    ) {
        ("pg_listening_channels".to_string(), SessionFn::ListeningChannels)
    } else {
        session_fn(&Expr::Function(ast::Function {
            name: name.clone(),
            uses_odbc_syntax: false,
            parameters: FunctionArguments::None,
            args: FunctionArguments::List(ast::FunctionArgumentList {
                duplicate_treatment: None,
                args: vec![],
                clauses: vec![],
            }),
            filter: None,
            null_treatment: None,
            over: None,
            within_group: vec![],
        }))?
    };
    let column =
        alias.as_ref().map_or(fname, |a| a.columns.first().map_or(a.name.value.clone(), |c| c.name.value.clone()));
    Some(vec![(column, f)])
}

/// A text argument of pg_notify: a string literal, NULL, or `$n` (casts looked through).
fn text_arg(e: &Expr) -> Option<FnArg> {
    match e {
        Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => Some(FnArg::Text(Some(s.clone()))),
            ast::Value::Null => Some(FnArg::Text(None)),
            ast::Value::Placeholder(p) => {
                Some(FnArg::Param(p.strip_prefix('$')?.parse::<usize>().ok()?.checked_sub(1)?))
            }
            _ => None,
        },
        Expr::Cast { expr, .. } | Expr::Nested(expr) => text_arg(expr),
        _ => None,
    }
}

/// A literal (strings, booleans) or a `$n`.
fn value_arg(e: &Expr) -> Option<FnArg> {
    string_arg(e).map(|v| FnArg::Text(Some(v))).or_else(|| text_arg(e))
}

fn string_arg(e: &Expr) -> Option<String> {
    match e {
        Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => Some(s.clone()),
            ast::Value::Boolean(b) => Some(b.to_string()),
            _ => None,
        },
        Expr::Cast { expr, .. } => string_arg(expr),
        _ => None,
    }
}

/// The argument of a sleep function: what `text_arg` takes, and numbers (negated too),
/// `interval '..'` and typed strings (`timestamptz '..'`).
fn sleep_arg(e: &Expr) -> Option<FnArg> {
    match e {
        Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => Some(FnArg::Text(Some(n.to_string()))),
            _ => text_arg(e),
        },
        Expr::UnaryOp { op: ast::UnaryOperator::Minus, expr } => match sleep_arg(expr)? {
            FnArg::Text(Some(t)) => Some(FnArg::Text(Some(format!("-{t}")))),
            _ => None,
        },
        Expr::Nested(e) | Expr::Cast { expr: e, .. } => sleep_arg(e),
        Expr::TypedString(ts) => match &ts.value.value {
            ast::Value::SingleQuotedString(s) => Some(FnArg::Text(Some(s.clone()))),
            _ => None,
        },
        Expr::Interval(i) if i.leading_field.is_none() && i.last_field.is_none() => match sleep_arg(&i.value)? {
            FnArg::Text(Some(t)) => Some(FnArg::Text(Some(t))),
            _ => None,
        },
        _ => text_arg(e),
    }
}

/// (column name PostgreSQL gives it, function).
fn session_fn(e: &Expr) -> Option<(String, SessionFn)> {
    let (name, args): (String, Vec<&Expr>) = match e {
        Expr::Identifier(i) => (i.value.to_ascii_lowercase(), Vec::new()),
        Expr::Function(f) => {
            let parts: Vec<String> = f.name.0.iter().map(|p| p.to_string().to_ascii_lowercase()).collect();
            let name = match parts.as_slice() {
                [n] => n.clone(),
                [schema, n] if schema == "pg_catalog" => n.clone(),
                _ => return None,
            };
            let args = match &f.args {
                FunctionArguments::None => Vec::new(),
                FunctionArguments::List(l) => l
                    .args
                    .iter()
                    .map(|a| match a {
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()?,
                FunctionArguments::Subquery(_) => return None,
            };
            (name, args)
        }
        _ => return None,
    };
    let f = match (name.as_str(), args.as_slice()) {
        ("version", []) => SessionFn::Version,
        ("current_schema", []) => SessionFn::CurrentSchema,
        ("current_database" | "current_catalog", []) => SessionFn::CurrentDatabase,
        ("current_user" | "session_user" | "user" | "current_role", []) => SessionFn::CurrentUser,
        ("pg_backend_pid", []) => SessionFn::BackendPid,
        ("pg_notify", [c, p]) => SessionFn::Notify { channel: text_arg(c)?, payload: text_arg(p)? },
        ("pg_listening_channels", []) => SessionFn::ListeningChannels,
        ("pg_advisory_unlock_all", []) => SessionFn::AdvisoryUnlockAll,
        (
            "pg_advisory_lock"
            | "pg_advisory_xact_lock"
            | "pg_try_advisory_lock"
            | "pg_try_advisory_xact_lock"
            | "pg_advisory_unlock",
            [_] | [_, _],
        ) => {
            let xact = name.contains("xact");
            let op = match name.as_str() {
                "pg_advisory_unlock" => AdvisoryOp::Unlock,
                n if n.starts_with("pg_try") => AdvisoryOp::TryLock { xact },
                _ => AdvisoryOp::Lock { xact },
            };
            SessionFn::Advisory { op, key: args.iter().map(|a| sleep_arg(a)).collect::<Option<_>>()? }
        }
        ("current_setting", [n]) | ("current_setting", [n, _]) => SessionFn::Setting(value_arg(n)?),
        ("set_config", [n, v, l]) => SessionFn::SetConfig {
            name: value_arg(n)?,
            value: value_arg(v)?,
            local: string_arg(l)?.eq_ignore_ascii_case("true"),
        },
        ("pg_sleep", [a]) => SessionFn::Sleep(Sleep { kind: SleepKind::Seconds, arg: sleep_arg(a)? }),
        ("pg_sleep_for", [a]) => SessionFn::Sleep(Sleep { kind: SleepKind::For, arg: sleep_arg(a)? }),
        ("pg_sleep_until", [a]) => SessionFn::Sleep(Sleep { kind: SleepKind::Until, arg: sleep_arg(a)? }),
        _ => return None,
    };
    Some((name, f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;

    fn local(sql: &str) -> Option<Vec<(String, SessionFn)>> {
        local_select(&Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap().remove(0))
    }

    #[test]
    fn recognises_session_queries_only() {
        assert_eq!(local("select pg_catalog.version()"), Some(vec![("version".into(), SessionFn::Version)]));
        assert_eq!(
            local("select current_schema(), current_setting('TimeZone') as tz"),
            Some(vec![
                ("current_schema".into(), SessionFn::CurrentSchema),
                ("tz".into(), SessionFn::Setting(FnArg::Text(Some("TimeZone".into()))))
            ])
        );
        assert_eq!(local("select version() from t"), None);
        assert_eq!(
            local("SELECT * FROM current_schema()"),
            Some(vec![("current_schema".into(), SessionFn::CurrentSchema)])
        );
        assert_eq!(
            local("select * from current_database() as d"),
            Some(vec![("d".into(), SessionFn::CurrentDatabase)])
        );
        assert_eq!(local("select * from current_schema() where true"), None);
        assert_eq!(local("select * from generate_series(1, 2)"), None);
        assert_eq!(
            local("select pg_notify($1, 'x')"),
            Some(vec![(
                "pg_notify".into(),
                SessionFn::Notify { channel: FnArg::Param(0), payload: FnArg::Text(Some("x".into())) }
            )])
        );
        assert_eq!(
            local("select * from pg_listening_channels() as ch"),
            Some(vec![("ch".into(), SessionFn::ListeningChannels)])
        );
        assert_eq!(local("select * from pg_listening_channels() join t on true"), None);
        let over = |sql: &str| {
            notify_over_rows(&Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap().remove(0))
                .map(|(n, s)| (n, s.to_string()))
        };
        assert_eq!(
            over("select pg_notify('c', x || $1) as n from t where id > 2"),
            Some(("n".into(), "SELECT 'c', x || $1 FROM t WHERE id > 2".into()))
        );
        assert_eq!(over("select pg_notify('c', 'x')"), None);
        assert_eq!(over("select pg_notify('c', x), 1 from t"), None);
        assert_eq!(local("select 1, version()"), None);
        let sleep = |kind, arg| SessionFn::Sleep(Sleep { kind, arg });
        assert_eq!(
            local("select pg_sleep(0.1), pg_sleep_for('1 second'::interval) as f, pg_sleep_until($2)"),
            Some(vec![
                ("pg_sleep".into(), sleep(SleepKind::Seconds, FnArg::Text(Some("0.1".into())))),
                ("f".into(), sleep(SleepKind::For, FnArg::Text(Some("1 second".into())))),
                ("pg_sleep_until".into(), sleep(SleepKind::Until, FnArg::Param(1))),
            ])
        );
        assert_eq!(
            local("SELECT pg_advisory_xact_lock(1573678846307946496), pg_try_advisory_lock($1, -2) AS t"),
            Some(vec![
                (
                    "pg_advisory_xact_lock".into(),
                    SessionFn::Advisory {
                        op: AdvisoryOp::Lock { xact: true },
                        key: vec![FnArg::Text(Some("1573678846307946496".into()))]
                    }
                ),
                (
                    "t".into(),
                    SessionFn::Advisory {
                        op: AdvisoryOp::TryLock { xact: false },
                        key: vec![FnArg::Param(0), FnArg::Text(Some("-2".into()))]
                    }
                ),
            ])
        );
        assert_eq!(local("select pg_advisory_unlock(k) from t"), None);
        assert_eq!(local("select pg_sleep(x) from t"), None);
        assert_eq!(local("select pg_sleep(1 + 1)"), None);
    }
}
