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
    /// current_setting('name')
    Setting(String),
    /// set_config('name', 'value', is_local)
    SetConfig {
        name: String,
        value: String,
        local: bool,
    },
    /// pg_notify(channel, payload): void.
    Notify {
        channel: FnArg,
        payload: FnArg,
    },
    /// pg_listening_channels(): one row per channel.
    ListeningChannels,
    /// pg_advisory_unlock_all(): void. The gateway takes no advisory locks (pg_advisory_lock
    /// is not offered), so there are none to release; poolers (asyncpg) send it on release.
    AdvisoryUnlockAll,
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
        return listening_channels_from(s);
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

/// `SELECT * FROM pg_listening_channels() [AS a]`: the column takes the alias's name.
fn listening_channels_from(s: &ast::Select) -> Option<Vec<(String, SessionFn)>> {
    let [from] = s.from.as_slice() else { return None };
    let TableFactor::Table { name, alias, args: Some(args), .. } = &from.relation else { return None };
    if !from.joins.is_empty() || !args.args.is_empty() || !matches!(s.projection.as_slice(), [SelectItem::Wildcard(_)])
    {
        return None;
    }
    let parts: Vec<String> = name.0.iter().map(|p| p.to_string().to_ascii_lowercase()).collect();
    if !matches!(
        parts.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
        ["pg_listening_channels"] | ["pg_catalog", "pg_listening_channels"]
    ) {
        return None;
    }
    let column = alias.as_ref().map_or("pg_listening_channels".to_string(), |a| {
        a.columns.first().map_or(a.name.value.clone(), |c| c.name.value.clone())
    });
    Some(vec![(column, SessionFn::ListeningChannels)])
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
        ("current_setting", [n]) | ("current_setting", [n, _]) => SessionFn::Setting(string_arg(n)?),
        ("set_config", [n, v, l]) => SessionFn::SetConfig {
            name: string_arg(n)?,
            value: string_arg(v)?,
            local: string_arg(l)?.eq_ignore_ascii_case("true"),
        },
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
                ("tz".into(), SessionFn::Setting("TimeZone".into()))
            ])
        );
        assert_eq!(local("select version() from t"), None);
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
        assert_eq!(local("select 1, version()"), None);
    }
}
