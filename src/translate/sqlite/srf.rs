//! `generate_series(..)` and `unnest(..)` in FROM on the sqlite target (in select lists,
//! with `regexp_matches`, through `srf_projection`): SQLite has no
//! set-returning functions of ours, so the backend's Python functions return the rows
//! as a JSON array and SQLite's `json_each` turns it into a table
//! (`pg_series_json`, `pg_array_json` in python/iris_pgwire/backends/sqlite_functions.py).

use std::ops::ControlFlow;

use sqlparser::ast::{self, Expr, FunctionArg, FunctionArgExpr, Statement, TableFactor, VisitMut, VisitorMut};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use crate::translate::ast_util::{func, string};

/// Rewrite the set-returning functions in FROM into derived tables over `json_each`,
/// before the rest of the translation (which then translates their arguments).
pub fn set_returning_in_from(stmt: &mut Statement) {
    struct V;
    impl VisitorMut for V {
        type Break = ();
        fn pre_visit_table_factor(&mut self, t: &mut TableFactor) -> ControlFlow<()> {
            if let Some(new) = rewrite(t) {
                *t = new;
            }
            ControlFlow::Continue(())
        }
    }
    let _ = stmt.visit(&mut V);
}

/// Set-returning calls in every select list of the statement, inner queries first.
pub fn set_returning_in_select_lists(stmt: &mut Statement) {
    struct V;
    impl VisitorMut for V {
        type Break = ();
        fn post_visit_query(&mut self, q: &mut ast::Query) -> ControlFlow<()> {
            crate::translate::srf_projection::rewrite(&mut q.body, &crate::translate::srf_projection::SQLITE);
            ControlFlow::Continue(())
        }
    }
    let _ = stmt.visit(&mut V);
}

/// An interval argument (`interval '1 day'`, `'1 day'::interval`) as its text: the
/// backend's pg_series_json reads it.
fn interval_text(e: Expr) -> Expr {
    match e {
        Expr::Interval(i) => match *i.value {
            Expr::Value(v) => match v.value {
                ast::Value::SingleQuotedString(s) => {
                    let unit = i.leading_field.map(|f| format!(" {f}")).unwrap_or_default();
                    string(format!("{s}{unit}"))
                }
                other => Expr::Value(other.into()),
            },
            other => other,
        },
        Expr::Cast { expr, data_type, .. } if data_type.to_string().eq_ignore_ascii_case("interval") => *expr,
        other => other,
    }
}

fn rewrite(t: &TableFactor) -> Option<TableFactor> {
    let (fname, args, alias, ordinality) = match t {
        TableFactor::Table { name, args: Some(args), alias, with_ordinality, .. } => {
            let exprs: Option<Vec<Expr>> = args
                .args
                .iter()
                .map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
                    _ => None,
                })
                .collect();
            (name.to_string().to_lowercase(), exprs?, alias.clone(), *with_ordinality)
        }
        TableFactor::UNNEST { alias, array_exprs, with_ordinality, .. } => {
            ("unnest".to_string(), array_exprs.clone(), alias.clone(), *with_ordinality)
        }
        _ => return None,
    };
    let source = match fname.trim_start_matches("pg_catalog.") {
        "generate_series" if (2..=3).contains(&args.len()) => {
            func("pg_series_json", args.into_iter().map(interval_text).collect())
        }
        "unnest" if args.len() == 1 => array_json(args.into_iter().next()?),
        "unnest" if !args.is_empty() => return unnest_zipped(args, alias, ordinality),
        _ => return None,
    };
    let alias_name = alias.as_ref().map_or_else(|| fname.clone(), |a| a.name.value.clone());
    let cols: Vec<String> =
        alias.as_ref().map(|a| a.columns.iter().map(|c| c.name.value.clone()).collect()).unwrap_or_default();
    // An alias without a column list names the column too, as in PostgreSQL.
    let first = cols.first().cloned().unwrap_or_else(|| alias_name.clone());
    let ord = if ordinality {
        format!(", key + 1 AS \"{}\"", cols.get(1).cloned().unwrap_or_else(|| "ordinality".into()))
    } else {
        String::new()
    };
    let sql = format!("SELECT value AS \"{first}\"{ord} FROM json_each({source}) AS pgw_rows");
    derived(&sql, alias_name)
}

fn array_json(arg: Expr) -> Expr {
    // Elements come out of array text as strings; booleans and numbers must be stored as
    // SQLite stores them (1/0, integers, reals), so the array's cast names their kind.
    let elements = element_kind(&arg);
    let arg = match arg {
        Expr::Array(a) => func("pg_array", a.elem),
        other => other,
    };
    let mut args = vec![arg];
    args.extend(elements.map(|k| string(k.to_string())));
    func("pg_array_json", args)
}

/// "bool", "int" or "float" for an expression cast to such an array type (under parentheses).
fn element_kind(e: &Expr) -> Option<&'static str> {
    use crate::translate::pgtype::{kind, PgKind};
    match e {
        Expr::Nested(inner) => element_kind(inner),
        Expr::Cast { data_type: ast::DataType::Array(ast::ArrayElemTypeDef::SquareBracket(t, _)), .. } => {
            match kind(t) {
                PgKind::Bool => Some("bool"),
                PgKind::Int2 | PgKind::Int4 | PgKind::Int8 => Some("int"),
                PgKind::Float4 | PgKind::Float8 => Some("float"),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `unnest(a, b, ..)` in FROM (Django's bulk_create inserts so): the arrays side by side,
/// as many rows as the longest, the shorter ones padded with NULL, as PostgreSQL does.
fn unnest_zipped(args: Vec<Expr>, alias: Option<ast::TableAlias>, ordinality: bool) -> Option<TableFactor> {
    let alias_name = alias.as_ref().map_or_else(|| "unnest".to_string(), |a| a.name.value.clone());
    let cols: Vec<String> =
        alias.as_ref().map(|a| a.columns.iter().map(|c| c.name.value.clone()).collect()).unwrap_or_default();
    let sources: Vec<String> = args.into_iter().map(|a| array_json(a).to_string()).collect();
    let mut select: Vec<String> = (0..sources.len())
        .map(|i| format!("pgw_r{i}.value AS \"{}\"", cols.get(i).map_or("unnest", String::as_str)))
        .collect();
    if ordinality {
        let name = cols.get(sources.len()).map_or("ordinality", String::as_str);
        select.push(format!("pgw_keys.key + 1 AS \"{name}\""));
    }
    let keys: Vec<String> = sources.iter().map(|s| format!("SELECT key FROM json_each({s})")).collect();
    let joins: String = sources
        .iter()
        .enumerate()
        .map(|(i, s)| format!(" LEFT JOIN json_each({s}) AS pgw_r{i} ON pgw_r{i}.key = pgw_keys.key"))
        .collect();
    let sql = format!(
        "SELECT {} FROM ({}) AS pgw_keys{joins} ORDER BY pgw_keys.key",
        select.join(", "),
        keys.join(" UNION ")
    );
    derived(&sql, alias_name)
}

fn derived(sql: &str, alias_name: String) -> Option<TableFactor> {
    let Ok(Statement::Query(q)) = Parser::parse_sql(&PostgreSqlDialect {}, sql).map(|mut s| s.remove(0)) else {
        return None;
    };
    Some(TableFactor::Derived {
        lateral: false,
        subquery: q,
        alias: Some(ast::TableAlias { explicit: true, name: ast::Ident::new(alias_name), columns: vec![], at: None }),
        sample: None,
    })
}
