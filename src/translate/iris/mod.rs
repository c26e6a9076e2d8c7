//! The IRIS target: runs the rewrite families over the statement and renders IRIS SQL.
//!
//! Expression families run children-first on every node: casts and functions, vectors,
//! collation, then booleans (which fix the value/condition context of the node's
//! children). Query-level families run per (sub)query: boolean contexts of clauses,
//! vector ORDER BY, NULL ordering, row limits. Statement kinds then go to DML or DDL.

pub mod booleans;
pub mod collation;
pub mod common_type;
pub mod ddl;
pub mod declared;
pub mod functions;
pub mod limits;
pub mod own_ddl;
pub mod vectors;

use sqlparser::ast::{
    self as ast, Expr, JoinConstraint, JoinOperator, OrderByKind, Query, Select, SelectItem, SetExpr, Statement,
};

use super::ast_util::{refuse, take};
use super::common::{run, select_literals_as_text, Pass};
use super::pgtype::is_interval;
use super::{derived_columns, dml, IrisOptions, Output};
use crate::error::PgResult;
use booleans::{to_predicate, to_value};

pub fn translate(mut stmt: Statement, opts: &IrisOptions) -> PgResult<Output> {
    // Before the walk, which refuses VALUES in FROM: SQLAlchemy's multi-row INSERT form.
    if let Statement::Insert(ins) = &mut stmt {
        dml::values_select_to_values(ins);
        // Django's bulk_create: one array literal per column, unnested (no arrays in IRIS).
        dml::unnest_select_to_values(ins);
    }
    // An index IRIS cannot build and need not (ddl::index_left_out): nothing to translate,
    // its expression (`metadata_ ->> 'ref_doc_id'`) included.
    if matches!(&stmt, Statement::CreateIndex(ci) if ddl::index_left_out(ci).is_some()) {
        return Ok(Output::nothing());
    }
    run(&mut stmt, &mut IrisPass { opts, refused: None })?;
    statement_contexts(&mut stmt);
    match stmt {
        Statement::Query(q) => Ok(Output::one(q.to_string(), true)),
        Statement::Insert(i) => dml::insert(i, opts),
        Statement::Update(u) => dml::update(u, opts),
        Statement::Delete(d) => dml::delete(d),
        Statement::CreateTable(ct) => ddl::create_table(ct, opts),
        Statement::CreateIndex(ci) => ddl::create_index(ci),
        s @ Statement::Drop { .. } => ddl::drop(s),
        Statement::Truncate(t) => ddl::truncate(t),
        Statement::AlterTable(at) => ddl::alter_table(at, opts),
        // IRIS has no RELEASE SAVEPOINT (verify): releasing only forgets the name, so
        // nothing is sent; a later ROLLBACK TO it still works in IRIS.
        Statement::ReleaseSavepoint { .. } => Ok(Output::nothing()),
        // `public` is IRIS's default schema (SQLUser), which always exists (LlamaIndex sends
        // CREATE SCHEMA IF NOT EXISTS public); IRIS would make a second schema of that name.
        Statement::CreateSchema { schema_name: ast::SchemaName::Simple(n), if_not_exists, .. }
            if n.0.len() == 1 && super::catalog::last_lower(&n) == "public" =>
        {
            if if_not_exists {
                return Ok(Output::nothing());
            }
            Err(crate::error::PgError::new(
                crate::error::sqlstate::DUPLICATE_SCHEMA,
                "schema \"public\" already exists",
            ))
        }
        s @ (Statement::Savepoint { .. }
        | Statement::Rollback { .. }
        | Statement::CreateView(_)
        | Statement::CreateSchema { .. }) => Ok(Output::one(s.to_string(), false)),
        Statement::CreateSequence { .. } => Err(refuse("sequences", "use an IDENTITY column (SERIAL)")),
        // IRIS keeps descriptions in its class definitions (%Description), which no SQL
        // statement changes after CREATE; the gateway creates nothing inside IRIS to hold them.
        Statement::Comment { object_type, .. } => Err(refuse(
            &format!("COMMENT ON {object_type}"),
            "IRIS has no COMMENT ON and keeps descriptions in class definitions (%Description); the \
             descriptions IRIS has are shown by obj_description/col_description and psql's \\d+",
        )),
        other => Err(refuse(
            &format!("statement `{}`", super::statements::utility::tag(&other).render(0)),
            "see docs/translation.md for the statements the IRIS backend runs",
        )),
    }
}

struct IrisPass<'a> {
    opts: &'a IrisOptions,
    /// Found before the operands were translated (`pre_expr`), reported by `expr`.
    refused: Option<crate::error::PgError>,
}

impl Pass for IrisPass<'_> {
    fn pre_expr(&mut self, e: &mut Expr) {
        // Intervals are VARCHAR text on IRIS: text order, `+` and `*` would be silent
        // wrong results, and PostgreSQL's equality is by span (1 day = 24 hours).
        let interval_op = match e {
            Expr::BinaryOp { left, right, .. } => is_interval(left) || is_interval(right),
            Expr::UnaryOp { expr, .. } => is_interval(expr),
            _ => false,
        };
        if interval_op && self.refused.is_none() {
            self.refused = Some(refuse(
                "interval comparison and arithmetic",
                "IRIS has no interval type (intervals are stored as text): compare or compute them in the client",
            ));
        }
        functions::type_marker_beside_datetime(e);
    }

    fn expr(&mut self, e: &mut Expr) -> PgResult<()> {
        if let Some(err) = self.refused.take() {
            return Err(err);
        }
        if let Expr::BinaryOp { op, .. } = e {
            use sqlparser::ast::BinaryOperator as B;
            let refused = match op {
                B::PGRegexMatch | B::PGRegexIMatch | B::PGRegexNotMatch | B::PGRegexNotIMatch => Some((
                    "regular expression match (~, ~*, !~, !~*)",
                    "use LIKE or ILIKE patterns, or filter in the client",
                )),
                // iris-facts: no -> / ->> (json is text in IRIS; JSON_TABLE reads it).
                B::Arrow | B::LongArrow | B::HashArrow | B::HashLongArrow => Some((
                    "json operators (->, ->>, #>, #>>)",
                    "IRIS stores json as text: select the column and read the JSON in the client",
                )),
                _ => None,
            };
            if let Some((what, hint)) = refused {
                return Err(super::ast_util::refuse(what, hint));
            }
        }
        if let Some(new) = vectors::rewrite(e)? {
            *e = new;
        }
        // Before functions: GREATEST/LEAST become a CASE there; their operands are cast first.
        common_type::rewrite(e, self.opts)?;
        if let Some(new) = functions::rewrite(e, self.opts)? {
            *e = new;
        }
        if self.opts.exact_strings {
            collation::rewrite(e);
        }
        if let Some(new) = booleans::rewrite(e) {
            *e = new;
        }
        Ok(())
    }

    fn query(&mut self, q: &mut Query) -> PgResult<()> {
        if q.with.as_ref().is_some_and(|w| w.recursive) {
            return Err(refuse("WITH RECURSIVE", "IRIS has no recursive queries: unroll the recursion in the client"));
        }
        // IRIS has no multi-row VALUES, so no VALUES in FROM either.
        derived_columns::move_aliases(q, None)?;
        for_each_select(&mut q.body, &mut |s| select_contexts(s));
        let projection = match q.body.as_ref() {
            SetExpr::Select(s) => Some(s.projection.clone()),
            _ => None,
        };
        if let Some(ob) = &mut q.order_by {
            if let OrderByKind::Expressions(items) = &mut ob.kind {
                let mut vector_items = Vec::new();
                for (i, item) in items.iter_mut().enumerate() {
                    item.expr =
                        to_value(std::mem::replace(&mut item.expr, Expr::Value(sqlparser::ast::Value::Null.into())));
                    // `ORDER BY distance` where distance aliases a vector distance: order by
                    // the expression itself so the similarity form (and the index) applies.
                    if let (Expr::Identifier(alias), Some(p)) = (&item.expr, &projection) {
                        if let Some(e) = collation::aliased(p, &alias.value) {
                            let mut probe = item.clone();
                            probe.expr = e.clone();
                            if vectors::order_by_similarity(&mut probe) {
                                *item = probe;
                                vector_items.push(i);
                                continue;
                            }
                        }
                    }
                    if vectors::order_by_similarity(item) {
                        vector_items.push(i);
                    }
                }
                if vector_items.is_empty() {
                    if projection.is_none() && items.iter().any(|i| i.options.nulls_first.is_some()) {
                        return Err(refuse(
                            "NULLS FIRST/LAST on a set operation",
                            "wrap the UNION in a subquery and order that",
                        ));
                    }
                    collation::null_order(items, projection.as_deref());
                }
            }
        }
        // The unconstrained NUMERIC stand-in would drop `1.500`'s zeros; `'abc'::bytea` is its text
        // for the gateway's byteain (hex literals are already CHAR codes, functions.rs).
        select_literals_as_text(q, &|ty| ty == "NUMERIC(38,18)" || ty.starts_with("VARBINARY"));
        common_type::set_operation(&mut q.body, self.opts)?;
        limits::rewrite(q, self.opts)
    }
}

fn for_each_select(body: &mut SetExpr, f: &mut dyn FnMut(&mut Select)) {
    match body {
        SetExpr::Select(s) => f(s),
        SetExpr::SetOperation { left, right, .. } => {
            for_each_select(left, f);
            for_each_select(right, f);
        }
        _ => {}
    }
}

/// Conditions where IRIS wants a condition, BIT values where it wants a value.
fn select_contexts(s: &mut Select) {
    if let Some(w) = &mut s.selection {
        *w = to_predicate(take(w));
    }
    if let Some(h) = &mut s.having {
        *h = to_predicate(take(h));
    }
    for item in &mut s.projection {
        match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => *e = to_value(take(e)),
            _ => {}
        }
    }
    if let sqlparser::ast::GroupByExpr::Expressions(exprs, _) = &mut s.group_by {
        for e in exprs {
            *e = to_value(take(e));
        }
    }
    for twj in &mut s.from {
        for j in &mut twj.joins {
            let c = match &mut j.join_operator {
                JoinOperator::Join(c)
                | JoinOperator::Inner(c)
                | JoinOperator::Left(c)
                | JoinOperator::LeftOuter(c)
                | JoinOperator::Right(c)
                | JoinOperator::RightOuter(c)
                | JoinOperator::FullOuter(c) => c,
                _ => continue,
            };
            if let JoinConstraint::On(e) = c {
                *e = to_predicate(take(e));
            }
        }
    }
}

fn statement_contexts(stmt: &mut Statement) {
    match stmt {
        Statement::Insert(i) => {
            if let Some(src) = &mut i.source {
                if let SetExpr::Values(v) = src.body.as_mut() {
                    for row in &mut v.rows {
                        for e in &mut row.content {
                            *e = to_value(take(e));
                        }
                    }
                }
            }
        }
        Statement::Update(u) => {
            for a in &mut u.assignments {
                a.value = to_value(take(&mut a.value));
            }
            if let Some(w) = &mut u.selection {
                *w = to_predicate(take(w));
            }
        }
        Statement::Delete(d) => {
            if let Some(w) = &mut d.selection {
                *w = to_predicate(take(w));
            }
        }
        _ => {}
    }
}
