//! Names and types of catalog query results and parameters, from the PostgreSQL text
//! (before the rewrite for the catalog engine): RowDescription must carry what
//! PostgreSQL would send, not what SQLite infers.

use std::ops::ControlFlow;

use sqlparser::ast::{
    self, BinaryOperator, Expr, FunctionArguments, Query, SelectItem, SetExpr, Statement, TableFactor, Visit, Visitor,
};

use crate::catalog::{relations, views};
use crate::translate::ast_util::placeholder;
use crate::translate::catalog::{last_lower, type_name};
use crate::translate::projection::{self, Env};
use crate::types::{self, Oid};

/// Result types of catalog functions, for RowDescription.
fn function_type(name: &str) -> Option<Oid> {
    Some(match name {
        "format_type"
        | "pg_get_expr"
        | "pg_get_indexdef"
        | "pg_get_constraintdef"
        | "pg_get_viewdef"
        | "obj_description"
        | "col_description"
        | "shobj_description"
        | "pg_get_function_result"
        | "pg_get_function_arguments"
        | "pg_get_function_identity_arguments"
        | "pg_get_triggerdef"
        | "pg_get_serial_sequence"
        | "pg_size_pretty"
        | "array_to_string"
        | "pg_get_partkeydef"
        | "pg_tablespace_location"
        | "quote_ident"
        | "format" => types::TEXT.oid,
        "pg_table_is_visible"
        | "pg_type_is_visible"
        | "pg_function_is_visible"
        | "pg_relation_is_publishable"
        | "pg_is_other_temp_schema" => types::BOOL.oid,
        n if n.starts_with("has_") || n == "pg_has_role" => types::BOOL.oid,
        "current_schemas" => types::NAME_ARRAY.oid,
        "current_schema"
        | "current_database"
        | "pg_get_userbyid"
        | "pg_encoding_to_char"
        | "current_user"
        | "session_user"
        | "user" => types::NAME.oid,
        "pg_table_size" | "pg_relation_size" | "pg_total_relation_size" | "pg_indexes_size" | "pg_database_size" => {
            types::INT8.oid
        }
        "array_length" | "array_upper" | "array_lower" | "cardinality" => types::INT4.oid,
        "string_to_array" => types::TEXT_ARRAY.oid,
        "pg_my_temp_schema" => types::OID.oid,
        "to_regclass" | "pg_partition_ancestors" => types::REGCLASS.oid,
        "to_regtype" => types::REGTYPE.oid,
        "json_build_object" => types::JSON.oid,
        "row_number" | "rank" | "dense_rank" | "count" => types::INT8.oid,
        "pg_collation_is_visible" | "pg_is_in_recovery" => types::BOOL.oid,
        "pg_postmaster_start_time" => types::TIMESTAMPTZ.oid,
        "txid_current" => types::INT8.oid,
        "age" => types::INT4.oid,
        _ => return None,
    })
}

/// Types of parameters compared with catalog columns (`c.relname = $1`, `$1 = oid`).
pub(super) fn param_types(stmt: &Statement) -> Vec<Option<Oid>> {
    struct P(Vec<Option<Oid>>);
    impl Visitor for P {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            let Expr::BinaryOp { left, right, .. } = e else { return ControlFlow::Continue(()) };
            for (a, b) in [(left, right), (right, left)] {
                let Some(n) = placeholder(a) else { continue };
                let col = match b.as_ref() {
                    Expr::Identifier(i) => i.value.to_lowercase(),
                    Expr::CompoundIdentifier(p) => p.last().map(|i| i.value.to_lowercase()).unwrap_or_default(),
                    _ => continue,
                };
                if let Some(t) = catalog_column_type(&col) {
                    if self.0.len() < n {
                        self.0.resize(n, None);
                    }
                    self.0[n - 1].get_or_insert(t);
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut p = P(Vec::new());
    let _ = stmt.visit(&mut p);
    p.0
}

/// Result names and types from the PostgreSQL text, before any rewrite.
pub(super) fn result_columns(stmt: &Statement) -> (Vec<String>, Vec<Option<Oid>>) {
    let mut env = Env::default();
    struct Refs<'a>(&'a mut Env);
    impl Visitor for Refs<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            let last = match e {
                Expr::Identifier(i) => Some(i.value.to_lowercase()),
                Expr::CompoundIdentifier(p) => p.last().map(|i| i.value.to_lowercase()),
                _ => None,
            };
            if let Some(t) = last.and_then(|c| catalog_column_type(&c)) {
                self.0.columns.insert(projection::column_key(e), t);
            }
            ControlFlow::Continue(())
        }
    }
    let _ = stmt.visit(&mut Refs(&mut env));
    // Columns of derived tables and CTEs (`FROM (SELECT array_agg(..) AS cols ..) AS attr`)
    // take the types of their expressions: inner queries first, so a few passes.
    struct Derived<'a>(&'a mut Env);
    impl Visitor for Derived<'_> {
        type Break = ();
        fn pre_visit_table_factor(&mut self, t: &TableFactor) -> ControlFlow<()> {
            match t {
                TableFactor::Derived { subquery, alias: Some(alias), .. } => {
                    self.add(&alias.name.value.to_lowercase(), subquery);
                }
                TableFactor::Table { name, args: Some(args), alias: Some(alias), .. } => {
                    let first = args.args.first().and_then(|a| match a {
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Some(e),
                        _ => None,
                    });
                    if let Some(t) = table_function_type(&last_lower(name), first, self.0) {
                        let table = alias.name.value.to_lowercase();
                        let col = alias.columns.first().map_or(table.clone(), |c| c.name.value.to_lowercase());
                        self.0.columns.insert(format!("{table}.{col}"), t);
                        self.0.columns.entry(col).or_insert(t);
                    }
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
        fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
            if let Some(w) = &q.with {
                for c in &w.cte_tables {
                    self.add(&c.alias.name.value.to_lowercase(), &c.query);
                }
            }
            ControlFlow::Continue(())
        }
    }
    impl Derived<'_> {
        fn add(&mut self, alias: &str, q: &Query) {
            let Some(select) = first_select(&q.body) else { return };
            for item in &select.projection {
                let (name, e) = match item {
                    SelectItem::ExprWithAlias { expr, alias } => (alias.value.to_lowercase(), expr),
                    SelectItem::UnnamedExpr(e @ Expr::Identifier(i)) => (i.value.to_lowercase(), e),
                    SelectItem::UnnamedExpr(e @ Expr::CompoundIdentifier(p)) => {
                        (p.last().map(|i| i.value.to_lowercase()).unwrap_or_default(), e)
                    }
                    _ => continue,
                };
                if let Some(t) = expr_type(self.0, e) {
                    self.0.columns.insert(format!("{alias}.{name}"), t);
                    self.0.columns.entry(name).or_insert(t);
                }
            }
        }
    }
    for _ in 0..3 {
        let _ = stmt.visit(&mut Derived(&mut env));
    }
    let Statement::Query(q) = stmt else { return (Vec::new(), Vec::new()) };
    // `SELECT * FROM (SELECT ..) c` (pgjdbc's getColumns): the inner query's columns;
    // `SELECT * FROM unnest(..)`: the function's.
    if let Some(select) = first_select(&q.body) {
        if matches!(select.projection.as_slice(), [SelectItem::Wildcard(_)]) && select.from.len() == 1 {
            if let TableFactor::UNNEST { array_exprs, alias: None, with_ordinality: false, .. } =
                &select.from[0].relation
            {
                let t = table_function_type("unnest", array_exprs.first(), &env);
                return (vec!["unnest".into()], vec![t]);
            }
            if let (TableFactor::Derived { subquery, .. }, true) =
                (&select.from[0].relation, select.from[0].joins.is_empty())
            {
                return result_columns(&Statement::Query(subquery.clone()));
            }
        }
    }
    let items = first_select(&q.body).map(|s| s.projection.clone()).unwrap_or_default();
    if items.iter().any(|i| !matches!(i, SelectItem::UnnamedExpr(_) | SelectItem::ExprWithAlias { .. })) {
        return (Vec::new(), Vec::new());
    }
    let inferred = projection::projection_in(&env, stmt).unwrap_or_default();
    let types = items
        .iter()
        .zip(inferred.iter())
        .map(|(item, col)| {
            let e = match item {
                SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
                _ => return col.type_oid,
            };
            expr_type(&env, e).or(col.type_oid)
        })
        .collect();
    (inferred.into_iter().map(|c| c.name).collect(), types)
}

fn expr_type(env: &Env, e: &Expr) -> Option<Oid> {
    match e {
        Expr::Nested(inner) => expr_type(env, inner),
        Expr::Function(f) => {
            let name = last_lower(&f.name);
            if name == "array" {
                if let FunctionArguments::Subquery(q) = &f.args {
                    let inner = first_select(&q.body)?.projection.first().and_then(|i| match i {
                        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => expr_type(env, e),
                        _ => None,
                    })?;
                    return types::by_oid(inner)?.array().map(|a| a.oid);
                }
            }
            if name == "unnest" {
                return types::by_oid(expr_type(env, first_arg(f)?)?)?.element().map(|t| t.oid);
            }
            if name == "generate_subscripts" || name == "generate_series" {
                return Some(types::INT4.oid);
            }
            if name == "array_agg" {
                if let FunctionArguments::List(l) = &f.args {
                    if let Some(ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(a))) = l.args.first() {
                        return types::by_oid(expr_type(env, a)?)?.array().map(|a| a.oid);
                    }
                }
            }
            function_type(&name).or_else(|| projection::expr_type_in(env, e))
        }
        Expr::Cast { data_type, .. } => {
            let t = type_name(data_type);
            match t.as_str() {
                "\"char\"" | "char" if data_type.to_string().contains('"') => Some(types::CHAR.oid),
                _ => types::by_name(&t).map(|t| t.oid),
            }
        }
        Expr::Subquery(q) => first_select(&q.body)?.projection.first().and_then(|i| match i {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => expr_type(env, e),
            _ => None,
        }),
        Expr::Case { conditions, else_result, .. } => conditions
            .iter()
            // A NULL branch says nothing of the type (`CASE WHEN .. THEN NULL ELSE x::int8 END`).
            .filter(|c| !matches!(&c.result, Expr::Value(v) if v.value == ast::Value::Null))
            .find_map(|c| expr_type(env, &c.result))
            .or_else(|| else_result.as_deref().and_then(|e| expr_type(env, e))),
        Expr::CompoundFieldAccess { access_chain, .. } => match access_chain.first()? {
            ast::AccessExpr::Dot(Expr::Identifier(f)) if f.value.eq_ignore_ascii_case("n") => Some(types::INT4.oid),
            ast::AccessExpr::Dot(Expr::Identifier(f)) if f.value.eq_ignore_ascii_case("x") => Some(types::INT2.oid),
            ast::AccessExpr::Subscript(_) => Some(types::INT2.oid),
            _ => None,
        },
        Expr::BinaryOp { op: BinaryOperator::PGCustomBinaryOperator(_), .. }
        | Expr::BinaryOp { op: BinaryOperator::PGRegexMatch, .. }
        | Expr::BinaryOp { op: BinaryOperator::PGRegexIMatch, .. }
        | Expr::BinaryOp { op: BinaryOperator::PGRegexNotMatch, .. }
        | Expr::BinaryOp { op: BinaryOperator::PGRegexNotIMatch, .. }
        | Expr::AnyOp { .. }
        | Expr::AllOp { .. } => Some(types::BOOL.oid),
        _ => projection::expr_type_in(env, e),
    }
}

/// The declared type of a catalog column, by name (pg_catalog's names are unique).
fn catalog_column_type(col: &str) -> Option<Oid> {
    // The system columns clients read (translate::catalog's system_columns).
    match col {
        "tableoid" => return Some(types::OID.oid),
        "xmin" => return Some(types::XID.oid),
        _ => {}
    }
    let mut decls = relations::RELATIONS
        .iter()
        .flat_map(|(_, cols)| cols.iter())
        .chain(views::VIEWS.iter().flat_map(|v| v.columns.iter()))
        .filter(|(c, _)| *c == col)
        .map(|(_, t)| *t);
    let decl = decls.next()?;
    // A name with several types (`data_type`): the engine's declared type decides.
    if decls.any(|t| t != decl) {
        return None;
    }
    Some(match decl {
        "char" => types::CHAR.oid,
        "_char" => types::CHAR_ARRAY.oid,
        "pg_node_tree" => types::TEXT.oid,
        t => types::by_name(t)?.oid,
    })
}

/// The column type of a set-returning function in FROM.
fn table_function_type(name: &str, arg: Option<&Expr>, env: &Env) -> Option<Oid> {
    match name {
        "generate_series" | "generate_subscripts" => Some(types::INT4.oid),
        "unnest" => types::by_oid(expr_type(env, arg?)?)?.element().map(|t| t.oid),
        _ => None,
    }
}

fn first_arg(f: &ast::Function) -> Option<&Expr> {
    match &f.args {
        FunctionArguments::List(l) => match l.args.first()? {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Some(e),
            _ => None,
        },
        _ => None,
    }
}

pub(super) fn first_select(body: &SetExpr) -> Option<&ast::Select> {
    match body {
        SetExpr::Select(s) => Some(s),
        SetExpr::Query(q) => first_select(&q.body),
        SetExpr::SetOperation { left, .. } => first_select(left),
        _ => None,
    }
}
