//! Row limits on IRIS: LIMIT/OFFSET/FETCH FIRST as TOP, native LIMIT/OFFSET (2025.1+)
//! or a `%VID` window over a subquery. OFFSET is never dropped.
//!
//! IRIS takes no parameter marker in TOP or LIMIT (verify: `limit_takes_markers`). A
//! parameterised limit becomes an inline slot `__pgw_inline_<terms>__` in the SQL that the
//! session fills with the bound integer (`TargetSql::bind_inline`) before running it.

use sqlparser::ast::{Expr, Ident, LimitClause, Offset, OffsetRows, Query, SetExpr, Top, TopQuantity};

use crate::error::PgResult;
use crate::translate::ast_util::*;
use crate::translate::IrisOptions;

/// Slot token prefix; `__pgw_top_all__` stands for `TOP ALL`.
pub const SLOT_PREFIX: &str = "__pgw_inline_";
pub const TOP_ALL: &str = "__pgw_top_all__";

/// IRIS accepts `?` in TOP / LIMIT (verify; the facts say it does not).
fn limit_takes_markers(_opts: &IrisOptions) -> bool {
    false
}

fn native_limit_offset(opts: &IrisOptions) -> bool {
    opts.version >= (2025, 1)
}

/// A sum of constants and client parameters.
#[derive(Debug, Clone, Default)]
struct Sum {
    constant: i64,
    params: Vec<usize>,
}

impl Sum {
    fn plus(&self, other: &Sum) -> Sum {
        let mut params = self.params.clone();
        params.extend(&other.params);
        Sum { constant: self.constant + other.constant, params }
    }

    fn expr(&self) -> Expr {
        if self.params.is_empty() {
            return num(self.constant);
        }
        let mut tok = String::from(SLOT_PREFIX);
        for p in &self.params {
            tok.push_str(&format!("p{p}_"));
        }
        tok.push_str(&format!("c{}__", self.constant));
        Expr::Identifier(Ident::new(tok))
    }

    fn top(&self) -> Top {
        let quantity = if self.params.is_empty() {
            TopQuantity::Constant(self.constant.max(0) as u64)
        } else {
            TopQuantity::Expr(self.expr())
        };
        Top { with_ties: false, percent: false, quantity: Some(quantity) }
    }
}

/// A LIMIT/OFFSET operand: integer literal or `$n` (possibly cast to an integer type).
fn operand(e: &Expr, what: &str) -> PgResult<Option<Sum>> {
    let e = match e {
        Expr::Cast { expr, .. } => expr.as_ref(),
        Expr::Nested(n) => n.as_ref(),
        other => other,
    };
    if let Expr::Value(v) = e {
        if matches!(v.value, sqlparser::ast::Value::Null) {
            return Ok(None); // LIMIT NULL means no limit
        }
    }
    if let Some(n) = int_literal(e) {
        return Ok(Some(Sum { constant: n as i64, params: vec![] }));
    }
    if let Some(p) = placeholder(e) {
        return Ok(Some(Sum { constant: 0, params: vec![p - 1] }));
    }
    Err(refuse(&format!("{what} with an expression"), "give an integer literal or a parameter"))
}

/// Rewrite one query's row limit for IRIS.
pub fn rewrite(q: &mut Query, opts: &IrisOptions) -> PgResult<()> {
    let mut limit: Option<Sum> = None;
    let mut offset: Option<Sum> = None;
    if let Some(fetch) = q.fetch.take() {
        if fetch.with_ties || fetch.percent {
            return Err(refuse("FETCH FIRST .. WITH TIES / PERCENT", "use LIMIT"));
        }
        limit = match &fetch.quantity {
            Some(e) => operand(e, "FETCH FIRST")?,
            None => Some(Sum { constant: 1, params: vec![] }),
        };
    }
    match q.limit_clause.take() {
        Some(LimitClause::LimitOffset { limit: l, offset: o, limit_by }) => {
            if !limit_by.is_empty() {
                return Err(refuse("LIMIT BY", "use LIMIT"));
            }
            if let Some(l) = l {
                limit = operand(&l, "LIMIT")?;
            }
            if let Some(o) = o {
                offset = operand(&o.value, "OFFSET")?;
            }
        }
        Some(LimitClause::OffsetCommaLimit { .. }) => {
            return Err(refuse("LIMIT offset, count", "use LIMIT .. OFFSET .."))
        }
        None => {}
    }
    if offset.as_ref().is_some_and(|o| o.params.is_empty() && o.constant == 0) {
        offset = None;
    }
    let _ = limit_takes_markers(opts);
    match (limit, offset) {
        (None, None) => Ok(()),
        (Some(l), None) => {
            set_top(q, l.top());
            Ok(())
        }
        (Some(l), Some(o)) if native_limit_offset(opts) => {
            q.limit_clause = Some(LimitClause::LimitOffset {
                limit: Some(l.expr()),
                offset: Some(Offset { value: o.expr(), rows: OffsetRows::None }),
                limit_by: vec![],
            });
            Ok(())
        }
        (l, Some(o)) => {
            vid_window(q, l, o);
            Ok(())
        }
    }
}

/// TOP on the select, or on a wrapper select for set operations.
fn set_top(q: &mut Query, top: Top) {
    match q.body.as_mut() {
        SetExpr::Select(s) if s.top.is_none() => {
            s.top = Some(top);
            s.top_before_distinct = false;
        }
        _ => {
            let inner = std::mem::replace(q, *parse_query("SELECT 1"));
            let mut outer = *parse_query("SELECT * FROM (SELECT 1)");
            let order_by = inner.order_by.clone();
            let mut inner = inner;
            inner.order_by = None;
            outer.with = inner.with.take();
            set_derived(&mut outer, inner);
            outer.order_by = order_by;
            if let SetExpr::Select(s) = outer.body.as_mut() {
                s.top = Some(top);
            }
            *q = outer;
        }
    }
}

/// `SELECT * FROM (SELECT TOP m+n ..) WHERE %VID > m [AND %VID <= m+n] ORDER BY %VID`.
fn vid_window(q: &mut Query, limit: Option<Sum>, offset: Sum) {
    let mut inner = std::mem::replace(q, *parse_query("SELECT 1"));
    let with = inner.with.take();
    // A subquery with ORDER BY needs TOP in IRIS.
    let top = match &limit {
        Some(l) => Some(offset.plus(l).top()),
        None if inner.order_by.is_some() => Some(Top {
            with_ties: false,
            percent: false,
            quantity: Some(TopQuantity::Expr(Expr::Identifier(Ident::new(TOP_ALL)))),
        }),
        None => None,
    };
    if let Some(top) = top {
        set_top(&mut inner, top);
    }
    let cond = match &limit {
        Some(l) => format!("x > {} AND x <= {}", offset.expr(), offset.plus(l).expr()),
        None => format!("x > {}", offset.expr()),
    };
    let mut outer = *parse_query(&format!("SELECT * FROM (SELECT 1) WHERE {cond} ORDER BY x"));
    set_derived(&mut outer, inner);
    outer.with = with;
    rename_x(&mut outer);
    *q = outer;
}

fn set_derived(outer: &mut Query, inner: Query) {
    if let SetExpr::Select(s) = outer.body.as_mut() {
        if let sqlparser::ast::TableFactor::Derived { subquery, .. } = &mut s.from[0].relation {
            **subquery = inner;
        }
    }
}

/// The template's `x` is IRIS's `%VID` (which PostgreSQL syntax cannot spell).
fn rename_x(q: &mut Query) {
    use sqlparser::ast::{VisitMut, VisitorMut};
    struct R;
    impl VisitorMut for R {
        type Break = ();
        fn post_visit_expr(&mut self, e: &mut Expr) -> std::ops::ControlFlow<()> {
            if let Expr::Identifier(i) = e {
                if i.value == "x" {
                    *i = Ident::new("%VID");
                }
            }
            std::ops::ControlFlow::Continue(())
        }
        fn pre_visit_query(&mut self, q: &mut Query) -> std::ops::ControlFlow<()> {
            // Only the template's own WHERE/ORDER BY, not the client's subquery.
            let _ = q;
            std::ops::ControlFlow::Continue(())
        }
    }
    if let SetExpr::Select(s) = q.body.as_mut() {
        if let Some(sel) = &mut s.selection {
            let _ = sel.visit(&mut R);
        }
    }
    if let Some(ob) = &mut q.order_by {
        if let sqlparser::ast::OrderByKind::Expressions(items) = &mut ob.kind {
            for i in items {
                let _ = i.expr.visit(&mut R);
            }
        }
    }
}

fn parse_query(sql: &str) -> Box<Query> {
    sqlparser::parser::Parser::new(&sqlparser::dialect::PostgreSqlDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_query())
        .unwrap_or_else(|e| panic!("bad query template {sql:?}: {e}"))
}
