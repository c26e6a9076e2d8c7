//! Select-list shapes sqlparser's PostgreSQL dialect accepts that must not reach a target:
//! `SELECT * alias` (sqlparser takes Redshift's wildcard alias; PostgreSQL's grammar has
//! no alias after `*`, and the rendered `* AS alias` is invalid everywhere) and the empty
//! select list `SELECT FROM t` (valid PostgreSQL, but neither SQLite nor IRIS can return
//! zero-column rows), and PostgreSQL reserved words that sqlparser takes as column names
//! (`SELECT not::text`), which PostgreSQL rejects and the targets would misread.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, Query, SelectItem, SetExpr, Statement, Visit, Visitor};

use crate::error::{sqlstate, PgError, PgResult};

pub fn check(stmt: &Statement) -> PgResult<()> {
    struct V(Option<PgError>);
    impl Visitor for V {
        type Break = ();
        fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
            match check_set_expr(&q.body) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => self.fail(e),
            }
        }
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            match e {
                Expr::Identifier(id) if id.quote_style.is_none() && is_reserved(&id.value) => {
                    self.fail(PgError::new(sqlstate::SYNTAX_ERROR, format!("syntax error at or near \"{id}\"")))
                }
                _ => ControlFlow::Continue(()),
            }
        }
    }
    impl V {
        fn fail(&mut self, e: PgError) -> ControlFlow<()> {
            self.0 = Some(e);
            ControlFlow::Break(())
        }
    }
    let mut v = V(None);
    let _ = stmt.visit(&mut v);
    match v.0 {
        Some(e) => Err(e),
        None => returning(stmt).map_or(Ok(()), check_items),
    }
}

fn returning(stmt: &Statement) -> Option<&[SelectItem]> {
    match stmt {
        Statement::Insert(i) => i.returning.as_deref(),
        Statement::Update(u) => u.returning.as_deref(),
        Statement::Delete(d) => d.returning.as_deref(),
        _ => None,
    }
}

/// Nested queries are visited on their own; set operations hold their selects directly.
fn check_set_expr(body: &SetExpr) -> PgResult<()> {
    match body {
        SetExpr::Select(s) if s.projection.is_empty() => Err(PgError::unsupported(
            "SELECT with an empty select list is not supported: the backend cannot return zero-column rows",
        )),
        SetExpr::Select(s) => check_items(&s.projection),
        SetExpr::SetOperation { left, right, .. } => check_set_expr(left).and_then(|_| check_set_expr(right)),
        _ => Ok(()),
    }
}

fn check_items(items: &[SelectItem]) -> PgResult<()> {
    for item in items {
        if let SelectItem::Wildcard(o) | SelectItem::QualifiedWildcard(_, o) = item {
            if let Some(alias) = &o.opt_alias {
                return Err(PgError::new(sqlstate::SYNTAX_ERROR, format!("syntax error at or near \"{alias}\"")));
            }
        }
    }
    Ok(())
}

/// PostgreSQL's reserved key words (Appendix C) that cannot be a column name, less those
/// that are expressions themselves (`current_user`, `true`, `null`, ...) or that sqlparser
/// represents as identifiers (`DEFAULT` in VALUES and SET).
fn is_reserved(word: &str) -> bool {
    const RESERVED: &[&str] = &[
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
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
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
        "not",
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
        "some",
        "symmetric",
        "table",
        "then",
        "to",
        "trailing",
        "union",
        "unique",
        "using",
        "variadic",
        "when",
        "where",
        "window",
        "with",
    ];
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}
