//! Column alias lists on derived tables, `FROM (subquery) AS a(x, y)`. Neither SQLite nor
//! IRIS accepts the list: both name a derived table's columns by its select list, so the
//! names move there. SQLAlchemy 2 sends this form for every multi-row INSERT .. RETURNING
//! (`FROM (VALUES ..) AS imp_sen(p0, p1, sen_counter) ORDER BY sen_counter`).

use sqlparser::ast::{Expr, Ident, Query, Select, SelectItem, SetExpr, TableAlias, TableFactor, TableWithJoins};

use super::ast_util::{null, refuse};
use crate::error::{sqlstate, PgError, PgResult};

/// How a target names the columns of a bare `VALUES` list (None: it cannot select from one).
pub type ValuesColumn = Option<fn(usize) -> String>;

/// SQLite's names for the columns of `VALUES`: column1, column2, ... (PostgreSQL's too).
pub fn sqlite_values_column(i: usize) -> String {
    format!("column{}", i + 1)
}

/// Move the column aliases of every derived table in this query's FROM into its select list.
pub fn move_aliases(q: &mut Query, values_column: ValuesColumn) -> PgResult<()> {
    let SetExpr::Select(s) = q.body.as_mut() else {
        return Ok(());
    };
    for twj in s.from.iter_mut() {
        factor(&mut twj.relation, values_column)?;
        for j in twj.joins.iter_mut() {
            factor(&mut j.relation, values_column)?;
        }
    }
    Ok(())
}

fn factor(t: &mut TableFactor, values_column: ValuesColumn) -> PgResult<()> {
    match t {
        TableFactor::Derived { subquery, alias: Some(alias), .. } if !alias.columns.is_empty() => {
            let names: Vec<Ident> = alias.columns.drain(..).map(|c| c.name).collect();
            check_count(alias, &names, subquery)?;
            if matches!(subquery.body.as_ref(), SetExpr::Values(_)) {
                let Some(column) = values_column else {
                    return Err(refuse("VALUES in FROM", "select from a table or a subquery"));
                };
                let values = std::mem::replace(subquery, Box::new(empty_query()));
                **subquery = select_from_values(values, column);
            }
            rename(subquery.body.as_mut(), &names)
        }
        TableFactor::NestedJoin { table_with_joins, .. } => {
            factor(&mut table_with_joins.relation, values_column)?;
            for j in table_with_joins.joins.iter_mut() {
                factor(&mut j.relation, values_column)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// PostgreSQL: more aliases than columns is 42P10.
fn check_count(alias: &TableAlias, names: &[Ident], subquery: &Query) -> PgResult<()> {
    let available = match width(subquery.body.as_ref()) {
        Some(n) => n,
        None => return Ok(()),
    };
    if names.len() > available {
        return Err(PgError::new(
            sqlstate::INVALID_COLUMN_REFERENCE,
            format!(
                "table \"{}\" has {available} columns available but {} columns specified",
                alias.name.value,
                names.len()
            ),
        ));
    }
    Ok(())
}

fn width(body: &SetExpr) -> Option<usize> {
    match body {
        SetExpr::Values(v) => v.rows.first().map(|r| r.len()),
        SetExpr::Select(s) if !has_wildcard(s) => Some(s.projection.len()),
        SetExpr::SetOperation { left, .. } => width(left),
        SetExpr::Query(q) => width(q.body.as_ref()),
        _ => None,
    }
}

fn has_wildcard(s: &Select) -> bool {
    s.projection.iter().any(|i| matches!(i, SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)))
}

/// The first select list names the columns of a UNION; later ones keep theirs.
fn rename(body: &mut SetExpr, names: &[Ident]) -> PgResult<()> {
    match body {
        SetExpr::Select(s) => {
            if has_wildcard(s) {
                return Err(refuse(
                    "column aliases on a derived table selecting *",
                    "name the columns in the subquery's select list",
                ));
            }
            for (item, n) in s.projection.iter_mut().zip(names) {
                let expr = match std::mem::replace(item, SelectItem::UnnamedExpr(null())) {
                    SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
                    other => {
                        *item = other;
                        continue;
                    }
                };
                *item = SelectItem::ExprWithAlias { expr, alias: n.clone() };
            }
            Ok(())
        }
        SetExpr::SetOperation { left, .. } => rename(left, names),
        SetExpr::Query(q) => rename(q.body.as_mut(), names),
        _ => Err(refuse("column aliases on this derived table", "alias the columns inside the subquery")),
    }
}

/// `SELECT column1, column2, .. FROM (VALUES ..)`: a select list to put the names on.
fn select_from_values(values: Box<Query>, column: fn(usize) -> String) -> Query {
    let n = width(values.body.as_ref()).unwrap_or(0);
    let projection = (0..n).map(|i| SelectItem::UnnamedExpr(Expr::Identifier(Ident::new(column(i))))).collect();
    let from = TableWithJoins {
        relation: TableFactor::Derived { lateral: false, subquery: values, alias: None, sample: None },
        joins: vec![],
    };
    let mut q = empty_query();
    if let SetExpr::Select(s) = q.body.as_mut() {
        s.projection = projection;
        s.from = vec![from];
    }
    q
}

fn empty_query() -> Query {
    *sqlparser::parser::Parser::new(&sqlparser::dialect::GenericDialect {})
        .try_with_sql("SELECT 1")
        .and_then(|mut p| p.parse_query())
        .expect("static query")
}
