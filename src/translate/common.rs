//! The AST walk both targets share, and the refusals that hold for every backend.

use std::ops::ControlFlow;

use sqlparser::ast::{
    BinaryOperator, DataType, Distinct, Expr, ObjectName, Query, Select, SelectItem, SetExpr, Statement, Value,
    ValueWithSpan, VisitMut, VisitorMut,
};

use super::ast_util::{refuse, string, strip_public, take, take_query};
use crate::error::{sqlstate, PgError, PgResult};

/// Rewrites a target applies to every expression and every (sub)query, children first.
pub trait Pass {
    /// Before the expression's children (which `expr` then sees translated).
    fn pre_expr(&mut self, _e: &mut Expr) {}
    fn expr(&mut self, _e: &mut Expr) -> PgResult<()> {
        Ok(())
    }
    fn query(&mut self, _q: &mut Query) -> PgResult<()> {
        Ok(())
    }
}

/// Run `pass` over the statement, after the shared normalisation and refusals.
pub fn run<P: Pass>(stmt: &mut Statement, pass: &mut P) -> PgResult<()> {
    struct Walk<'a, P> {
        pass: &'a mut P,
        error: Option<PgError>,
    }
    impl<P: Pass> Walk<'_, P> {
        fn check(&mut self, r: PgResult<()>) -> ControlFlow<()> {
            match r {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    self.error = Some(e);
                    ControlFlow::Break(())
                }
            }
        }
    }
    impl<P: Pass> VisitorMut for Walk<'_, P> {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            any_array_to_in(e);
            self.pass.pre_expr(e);
            ControlFlow::Continue(())
        }
        fn post_visit_value(&mut self, v: &mut ValueWithSpan) -> ControlFlow<()> {
            normalize_string(&mut v.value);
            ControlFlow::Continue(())
        }
        fn post_visit_relation(&mut self, n: &mut ObjectName) -> ControlFlow<()> {
            strip_public(n);
            ControlFlow::Continue(())
        }
        fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            // public.table.column: `public` is the backend's default schema.
            if let Expr::CompoundIdentifier(parts) = e {
                if parts.len() == 3 && parts[0].value.eq_ignore_ascii_case("public") {
                    parts.remove(0);
                }
            }
            let r = refuse_expr(e).and_then(|_| shared_rewrite(e)).and_then(|_| self.pass.expr(e));
            self.check(r)
        }
        fn post_visit_query(&mut self, q: &mut Query) -> ControlFlow<()> {
            let r = refuse_query(q).and_then(|_| self.pass.query(q));
            self.check(r)
        }
    }
    if let Some(items) = returning(stmt) {
        refuse_wildcard_alias(items)?;
    }
    unparenthesize_definition(stmt);
    let mut w = Walk { pass, error: None };
    let _ = stmt.visit(&mut w);
    match w.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// `CREATE VIEW v AS (SELECT ..)` and `CREATE TABLE t AS (SELECT ..)`, as dbt writes every
/// model: the parentheses are only grouping, and SQLite's grammar (a select-stmt after AS)
/// has no room for them. A query that is nothing but a parenthesized query is that query.
fn unparenthesize_definition(stmt: &mut Statement) {
    let query = match stmt {
        Statement::CreateView(v) => &mut v.query,
        Statement::CreateTable(t) => match &mut t.query {
            Some(q) => q,
            None => return,
        },
        _ => return,
    };
    loop {
        let q = query.as_ref();
        let bare = q.with.is_none()
            && q.order_by.is_none()
            && q.limit_clause.is_none()
            && q.fetch.is_none()
            && q.locks.is_empty()
            && q.for_clause.is_none()
            && q.settings.is_none()
            && q.format_clause.is_none()
            && q.pipe_operators.is_empty();
        let SetExpr::Query(inner) = query.body.as_mut() else { return };
        if !bare {
            return;
        }
        let inner = take_query(inner);
        **query = inner;
    }
}

/// Rewrites that are the same for every target, applied before the target's own.
fn shared_rewrite(e: &mut Expr) -> PgResult<()> {
    let replacement = match e {
        Expr::Cast { format: Some(_), .. } => return Err(refuse("CAST .. FORMAT", "format in the client")),
        // PostgreSQL's LIKE escapes with backslash by default; neither target has that default.
        Expr::Like { escape_char: escape @ None, .. } => {
            *escape = Some(Box::new(string("\\")));
            return Ok(());
        }
        Expr::AnyOp { left, compare_op: BinaryOperator::Eq, right, .. } => match right.as_mut() {
            Expr::Subquery(q) => Expr::In {
                expr: Box::new(take(left)),
                target: sqlparser::ast::InTarget::Subquery(Box::new(take_query(q))),
                negated: false,
                global: false,
            },
            _ => return Ok(()),
        },
        Expr::AnyOp { .. } => return Err(refuse("ANY with an operator other than =", "use EXISTS")),
        // Custom operators are left to the targets: IRIS translates pgvector's `<#>`.
        _ => return Ok(()),
    };
    *e = replacement;
    Ok(())
}

/// `x = ANY (ARRAY[a, b])` is exactly `x IN (a, b)` (and `x <> ALL (ARRAY[..])` is
/// `x NOT IN (..)`): drivers and ORMs write the first, neither target has arrays.
fn any_array_to_in(e: &mut Expr) {
    let (left, right, negated) = match e {
        Expr::AnyOp { left, compare_op: BinaryOperator::Eq, right, .. } => (left, right, false),
        Expr::AllOp { left, compare_op: BinaryOperator::NotEq, right } => (left, right, true),
        _ => return,
    };
    let right = match right.as_mut() {
        Expr::Nested(inner) => inner.as_mut(),
        other => other,
    };
    let Expr::Array(array) = right else { return };
    let list = std::mem::take(&mut array.elem);
    let expr = Box::new(take(left));
    *e = Expr::In { expr, target: sqlparser::ast::InTarget::List(list), negated, global: false };
}

/// E'..', $$..$$, N'..' and U&'..' become plain literals: sqlparser already decoded them,
/// and neither SQLite nor IRIS accepts those spellings.
fn normalize_string(v: &mut Value) {
    let s = match v {
        Value::EscapedStringLiteral(s) | Value::NationalStringLiteral(s) | Value::UnicodeStringLiteral(s) => {
            std::mem::take(s)
        }
        Value::DollarQuotedString(d) => std::mem::take(&mut d.value),
        _ => return,
    };
    *v = Value::SingleQuotedString(s);
}

fn refuse_expr(e: &Expr) -> PgResult<()> {
    match e {
        Expr::BinaryOp { op, .. } => match op {
            BinaryOperator::Question | BinaryOperator::QuestionAnd | BinaryOperator::QuestionPipe => {
                Err(refuse("jsonb key-existence operators (?, ?|, ?&)", "compare extracted JSON values instead"))
            }
            BinaryOperator::AtArrow | BinaryOperator::ArrowAt => {
                Err(refuse("containment operators (@>, <@)", "compare the elements explicitly"))
            }
            BinaryOperator::PGLikeMatch
            | BinaryOperator::PGILikeMatch
            | BinaryOperator::PGNotLikeMatch
            | BinaryOperator::PGNotILikeMatch => Err(refuse("~~ style LIKE operators", "write LIKE / ILIKE")),
            _ => Ok(()),
        },
        Expr::SimilarTo { .. } => Err(refuse("SIMILAR TO", "use LIKE patterns")),
        Expr::RLike { .. } => Err(refuse("regular expression match", "use LIKE patterns")),
        Expr::Like { any: true, .. } | Expr::ILike { any: true, .. } => {
            Err(refuse("LIKE ANY", "combine several LIKE conditions with OR"))
        }
        Expr::Array(_) => Err(refuse("array values", "pass the elements as separate parameters")),
        Expr::CompoundFieldAccess { .. } => {
            Err(refuse("array subscripts and field access", "select the column itself"))
        }
        Expr::AllOp { .. } => Err(refuse("ALL (array)", "use NOT EXISTS or NOT IN with a subquery")),
        Expr::AnyOp { right, .. } if !matches!(right.as_ref(), Expr::Subquery(_)) => {
            Err(refuse("= ANY (array)", "use IN (...) with one parameter per element"))
        }
        Expr::AtTimeZone { .. } => Err(refuse("AT TIME ZONE", "convert time zones in the client")),
        Expr::Overlay { .. } => Err(refuse("OVERLAY", "use SUBSTRING and ||")),
        Expr::GroupingSets(_) | Expr::Cube(_) | Expr::Rollup(_) => {
            Err(refuse("GROUPING SETS / CUBE / ROLLUP", "run one GROUP BY query per grouping"))
        }
        Expr::Lambda(_) | Expr::Map(_) | Expr::Dictionary(_) | Expr::Struct { .. } => {
            Err(refuse("this expression syntax", "rewrite it in standard SQL"))
        }
        // sqlparser takes some of PostgreSQL's reserved words as column names
        // (`SELECT not::text`); PostgreSQL rejects them, and a target would misread them.
        Expr::Identifier(id) if id.quote_style.is_none() && is_reserved(&id.value) => {
            Err(PgError::new(sqlstate::SYNTAX_ERROR, format!("syntax error at or near \"{id}\"")))
        }
        _ => Ok(()),
    }
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

fn refuse_query(q: &Query) -> PgResult<()> {
    if matches!(q.body.as_ref(), SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_)) {
        return Err(refuse("WITH .. INSERT/UPDATE/DELETE", "move the CTE into a subquery of the statement"));
    }
    refuse_selects(&q.body)
}

/// Every SELECT of a query body: set operations hold theirs directly (`SELECT UNION
/// SELECT a`); nested queries are visited on their own.
fn refuse_selects(body: &SetExpr) -> PgResult<()> {
    match body {
        SetExpr::Select(s) => refuse_select(s),
        SetExpr::SetOperation { left, right, .. } => refuse_selects(left).and_then(|_| refuse_selects(right)),
        _ => Ok(()),
    }
}

fn refuse_select(s: &Select) -> PgResult<()> {
    // Valid PostgreSQL, but neither SQLite nor IRIS returns zero-column rows.
    if s.projection.is_empty() {
        return Err(refuse("SELECT without columns", "select at least one column, e.g. SELECT 1"));
    }
    refuse_wildcard_alias(&s.projection)?;
    for twj in &s.from {
        for tf in std::iter::once(&twj.relation).chain(twj.joins.iter().map(|j| &j.relation)) {
            // json_each: the sqlite target's rows of generate_series/unnest (sqlite_srf.rs).
            let ours = matches!(tf, sqlparser::ast::TableFactor::Table { name, .. } if name.to_string() == "json_each");
            if !ours
                && matches!(
                    tf,
                    sqlparser::ast::TableFactor::Table { args: Some(_), .. }
                        | sqlparser::ast::TableFactor::Function { .. }
                        | sqlparser::ast::TableFactor::UNNEST { .. }
                )
            {
                return Err(refuse(
                    "set-returning functions in FROM (generate_series, unnest, ..)",
                    "use a table or compute the rows in the client",
                ));
            }
        }
    }
    if matches!(s.distinct, Some(Distinct::On(_))) {
        return Err(refuse("DISTINCT ON", "use a subquery with ROW_NUMBER() OVER (PARTITION BY ...) = 1"));
    }
    Ok(())
}

/// `SELECT * b`: sqlparser takes Redshift's wildcard alias and renders `* AS b`, which no
/// target parses; PostgreSQL's grammar has no alias after `*`.
fn refuse_wildcard_alias(items: &[SelectItem]) -> PgResult<()> {
    for item in items {
        if let SelectItem::Wildcard(o) | SelectItem::QualifiedWildcard(_, o) = item {
            if let Some(alias) = &o.opt_alias {
                return Err(PgError::new(sqlstate::SYNTAX_ERROR, format!("syntax error at or near \"{alias}\"")));
            }
        }
    }
    Ok(())
}

fn returning(stmt: &Statement) -> Option<&[SelectItem]> {
    match stmt {
        Statement::Insert(i) => i.returning.as_deref(),
        Statement::Update(u) => u.returning.as_deref(),
        Statement::Delete(d) => d.returning.as_deref(),
        _ => None,
    }
}

/// `SELECT 1.500::numeric`, `SELECT '\\x0102'::bytea`: the backends' casts make the first
/// the number 1.5 (PostgreSQL shows `1.500`) and the second the literal's characters. A
/// select-list item that is only a cast of a literal to a type `keep` names (as translated)
/// returns the literal as written, as text: its type is the cast's, from the client's SQL,
/// and the encoder parses the text as that type. Only there: in an expression a text
/// operand would compare as text.
pub(super) fn select_literals_as_text(q: &mut Query, keep: &dyn Fn(&str) -> bool) {
    let SetExpr::Select(select) = q.body.as_mut() else {
        return;
    };
    for item in &mut select.projection {
        let (SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. }) = item else {
            continue;
        };
        if let Expr::Cast { expr, data_type: DataType::Custom(ty, _), .. } = e {
            if keep(&ty.to_string()) {
                if let Expr::Value(v) = expr.as_ref() {
                    match &v.value {
                        Value::Number(text, _) | Value::SingleQuotedString(text) => *e = string(text.clone()),
                        _ => {}
                    }
                }
            }
        }
    }
}
