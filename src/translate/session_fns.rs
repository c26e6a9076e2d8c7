//! `SELECT version()`, `SELECT current_schema()`, `SELECT current_setting('x')`...:
//! queries over session functions only, answered by the gateway for every
//! backend (drivers and ORMs send them on connect, before any real query).

use sqlparser::ast::{self, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, SelectItem, SetExpr, Statement};

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

/// `SELECT * FROM current_schema()` (TypeORM on connect): a scalar function in FROM is a
/// one-row table whose column is named after the function, or after the alias.
fn function_in_from(s: &ast::Select) -> Option<Vec<(String, SessionFn)>> {
    let [twj] = s.from.as_slice() else { return None };
    let ast::TableFactor::Table { name, args: Some(args), alias, .. } = &twj.relation else {
        return None;
    };
    if !twj.joins.is_empty() || !args.args.is_empty() || !matches!(s.projection.as_slice(), [SelectItem::Wildcard(_)]) {
        return None;
    }
    let call = Expr::Function(ast::Function {
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
    });
    let (fname, f) = session_fn(&call)?;
    let column =
        alias.as_ref().map_or(fname, |a| a.columns.first().map_or(a.name.value.clone(), |c| c.name.value.clone()));
    Some(vec![(column, f)])
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
            local("SELECT * FROM current_schema()"),
            Some(vec![("current_schema".into(), SessionFn::CurrentSchema)])
        );
        assert_eq!(
            local("select * from current_database() as d"),
            Some(vec![("d".into(), SessionFn::CurrentDatabase)])
        );
        assert_eq!(local("select * from current_schema() where true"), None);
        assert_eq!(local("select * from generate_series(1, 2)"), None);
        assert_eq!(local("select 1, version()"), None);
    }
}
