//! Enum columns on IRIS (the types: statements/enums.rs). IRIS stores the label as text and
//! has neither CHECK constraints nor collations of the gateway's, so where the translator
//! knows a column's enum type (`IrisOptions::columns`: catalog snapshots and its own DDL):
//!
//! - `ORDER BY col` sorts by the label's position, `CASE col WHEN 'a' THEN 1 .. END`, and
//!   `col < 'b'` (`<=`, `>`, `>=`) compares positions: PostgreSQL orders enums by declaration;
//! - a string literal compared with, stored into (INSERT VALUES, UPDATE SET) or cast to an
//!   enum that is not one of its labels fails with 22P02, as PostgreSQL's enum_in does.
//!
//! Not checked on IRIS: parameters stored into enum columns, and values written by
//! `INSERT .. SELECT` (docs/translation.md, "Enum types").

use std::ops::ControlFlow;

use sqlparser::ast::{self, BinaryOperator, Expr, Query, SetExpr, Statement, VisitMut, VisitorMut};

use super::declared::{enum_reference, KnownColumns};
use crate::error::{sqlstate, PgError, PgResult};
use crate::translate::ast_util::{num, parse_expr, string_literal};

pub fn rewrite(stmt: &mut Statement, known: &KnownColumns) -> PgResult<()> {
    if known.is_empty() {
        return Ok(());
    }
    stored_literals(stmt, known)?;
    let mut v = Queries { known, error: None };
    let _ = stmt.visit(&mut v);
    v.error.map_or(Ok(()), Err)
}

fn invalid(labels_of: &str, value: &str) -> PgError {
    PgError::new(
        sqlstate::INVALID_TEXT_REPRESENTATION,
        format!("invalid input value for enum {labels_of}: \"{value}\""),
    )
}

/// 22P02 unless `value` is one of `labels`.
fn check(labels: &[String], type_name: &str, value: &str) -> PgResult<usize> {
    labels.iter().position(|l| l == value).ok_or_else(|| invalid(type_name, value))
}

/// `CASE e WHEN 'a' THEN 1 WHEN 'b' THEN 2 .. END`: the label's position.
fn position(e: &Expr, labels: &[String]) -> Expr {
    let whens: String =
        labels.iter().enumerate().map(|(i, l)| format!(" WHEN '{}' THEN {}", l.replace('\'', "''"), i + 1)).collect();
    parse_expr(&format!("CASE {e}{whens} END"))
}

struct Queries<'a> {
    known: &'a KnownColumns,
    error: Option<PgError>,
}

impl VisitorMut for Queries<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<()> {
        let SetExpr::Select(select) = q.body.as_mut() else { return ControlFlow::Continue(()) };
        let from = select.from.clone();
        let known = self.known;
        let labels = |e: &Expr| enum_reference(e, &from, known);
        if let Some(ast::OrderBy { kind: ast::OrderByKind::Expressions(items), .. }) = &mut q.order_by {
            for item in items {
                if let Some(l) = labels(&item.expr) {
                    item.expr = position(&item.expr, l);
                }
            }
        }
        for cond in [select.selection.as_mut(), select.having.as_mut()].into_iter().flatten() {
            if let Err(e) = comparisons(cond, &labels) {
                self.error = Some(e);
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    }
}

/// Comparisons of an enum column with a string literal inside a condition.
fn comparisons<'a>(e: &mut Expr, labels: &impl Fn(&Expr) -> Option<&'a [String]>) -> PgResult<()> {
    match e {
        Expr::BinaryOp { left, op: BinaryOperator::And | BinaryOperator::Or, right } => {
            comparisons(left, labels)?;
            comparisons(right, labels)
        }
        Expr::Nested(inner) | Expr::UnaryOp { expr: inner, .. } => comparisons(inner, labels),
        Expr::BinaryOp { left, op, right } => {
            let ordering =
                matches!(op, BinaryOperator::Lt | BinaryOperator::LtEq | BinaryOperator::Gt | BinaryOperator::GtEq);
            let equality = matches!(op, BinaryOperator::Eq | BinaryOperator::NotEq);
            if !(ordering || equality) {
                return Ok(());
            }
            let (col, other) = if labels(left).is_some() { (left, right) } else { (right, left) };
            let Some(l) = labels(col) else { return Ok(()) };
            match string_literal(other).map(str::to_owned) {
                Some(value) => {
                    let at = check(l, "the column's type", &value)?;
                    if ordering {
                        **other = num(at + 1);
                    }
                }
                // A parameter or another expression: its label's position too.
                None if ordering => **other = position(other, l),
                None => return Ok(()),
            }
            if ordering {
                **col = position(col, l);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// (table, column, value) of each value INSERT .. VALUES and UPDATE .. SET store; the
/// column list of an INSERT without one is the table's known columns.
fn stored_values<'a>(stmt: &'a Statement, known: &KnownColumns) -> Vec<(String, String, &'a Expr)> {
    let table_of = |n: &ast::ObjectName| n.0.last().and_then(|p| p.as_ident()).map(|i| i.value.to_ascii_lowercase());
    let mut out = Vec::new();
    match stmt {
        Statement::Insert(ins) => {
            let ast::TableObject::TableName(n) = &ins.table else { return out };
            let Some(table) = table_of(n) else { return out };
            let Some(SetExpr::Values(values)) = ins.source.as_ref().map(|s| s.body.as_ref()) else { return out };
            let columns: Vec<String> = if ins.columns.is_empty() {
                known.column_names(&table)
            } else {
                ins.columns.iter().map(|c| c.to_string().trim_matches('"').to_string()).collect()
            };
            for row in &values.rows {
                out.extend(columns.iter().zip(&row.content).map(|(c, e)| (table.clone(), c.clone(), e)));
            }
        }
        Statement::Update(u) => {
            let ast::TableFactor::Table { name, .. } = &u.table.relation else { return out };
            let Some(table) = table_of(name) else { return out };
            for a in &u.assignments {
                let ast::AssignmentTarget::ColumnName(c) = &a.target else { continue };
                if let Some(c) = c.0.last().and_then(|p| p.as_ident()) {
                    out.push((table.clone(), c.value.clone(), &a.value));
                }
            }
        }
        _ => {}
    }
    out
}

/// String literals stored into known enum columns by INSERT .. VALUES and UPDATE .. SET.
fn stored_literals(stmt: &Statement, known: &KnownColumns) -> PgResult<()> {
    for (table, c, e) in stored_values(stmt, known) {
        if let (Some(l), Some(v)) = (known.enum_labels(&table, &c), string_literal(e)) {
            check(l, &enum_type(known, &table, &c), v)?;
        }
    }
    Ok(())
}

/// Parameters (`$n`, `$n::type`) stored into known enum columns by INSERT .. VALUES and
/// UPDATE .. SET: the session checks their values (IRIS has no CHECK).
pub fn stored_params(stmt: &Statement, known: &KnownColumns) -> Vec<crate::translate::EnumParam> {
    if known.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (table, column, e) in stored_values(stmt, known) {
        let e = match e {
            Expr::Cast { expr, .. } => expr.as_ref(),
            e => e,
        };
        let Expr::Value(v) = e else { continue };
        let ast::Value::Placeholder(p) = &v.value else { continue };
        let (Some(labels), Some(n)) = (known.enum_labels(&table, &column), p.strip_prefix('$')) else { continue };
        if let Ok(n) = n.parse::<usize>() {
            out.push(crate::translate::EnumParam {
                param: n - 1,
                type_name: enum_type(known, &table, &column),
                labels: labels.to_vec(),
            });
        }
    }
    out
}

fn enum_type(known: &KnownColumns, table: &str, column: &str) -> String {
    known.column_type(table, column).unwrap_or_default().to_string()
}

/// `'x'::status`: 22P02 unless x is a label of the known enum `status`.
pub fn check_cast(known: &KnownColumns, type_name: &str, value: &str) -> PgResult<()> {
    if let Some(labels) = known.labels_of_type(type_name) {
        let n = type_name.replace('"', "").to_ascii_lowercase();
        check(labels, n.strip_prefix("public.").unwrap_or(&n), value)?;
    }
    Ok(())
}
