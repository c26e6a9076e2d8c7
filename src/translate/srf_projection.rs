//! Set-returning functions in a select list (`SELECT unnest(a), generate_series(1, 3)`)
//! for the two SQLite targets (the catalog engine and the sqlite backend). PostgreSQL 10+
//! runs them in lockstep: as many rows as the longest, the shorter ones padded with NULL.
//! Each distinct call becomes a `json_each` over the JSON array of its rows, joined by
//! position; with several, a `json_each` over 0..longest numbers the rows and the calls
//! LEFT JOIN it.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, SelectItem, SetExpr, VisitMut, VisitorMut};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::ast_util::{func, parse_expr, plain_args};
use super::catalog::last_lower;

/// The SQL functions a target's engine has for the rows of each call.
pub struct Functions {
    /// Array text -> JSON array of its elements.
    pub array_json: &'static str,
    /// `generate_series(start, stop[, step])` -> JSON array.
    pub series_json: &'static str,
    /// `regexp_matches(s, pattern[, flags])` -> JSON array of array texts.
    pub matches_json: &'static str,
    /// `ARRAY[..]` as array text.
    pub array: &'static str,
    /// The catalog's `generate_subscripts` and `_pg_expandarray`: the first subscript of
    /// an array (int2vector and oidvector start at 0).
    pub array_base: Option<&'static str>,
}

pub const CATALOG: Functions = Functions {
    array_json: "pgw_array_json",
    series_json: "pgw_series_json",
    matches_json: "pgw_regexp_matches_json",
    array: "pgw_array",
    array_base: Some("pgw_array_base"),
};

pub const SQLITE: Functions = Functions {
    array_json: "pg_array_json",
    series_json: "pg_series_json",
    matches_json: "pg_regexp_matches_json",
    array: "pg_array",
    array_base: None,
};

/// Rewrite the set-returning calls of this select list (not of its subqueries: callers
/// visit those as queries of their own).
pub fn rewrite(body: &mut SetExpr, f: &Functions) {
    let s = match body {
        SetExpr::Select(s) => s,
        SetExpr::SetOperation { left, right, .. } => {
            rewrite(left, f);
            return rewrite(right, f);
        }
        _ => return,
    };
    let mut calls = Calls { f, sources: Vec::new() };
    for item in &mut s.projection {
        if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item {
            let _ = VisitMut::visit(e, &mut calls);
        }
    }
    let sources = calls.sources;
    let from = match sources.as_slice() {
        [] => return,
        [one] => format!("json_each({one}) AS pgw_srf"),
        [..] => {
            let lengths: Vec<String> = sources.iter().map(|j| format!("coalesce(json_array_length({j}), 0)")).collect();
            let mut from = format!("json_each({}(0, max({}) - 1)) AS pgw_srf_row", f.series_json, lengths.join(", "));
            for (i, json) in sources.iter().enumerate() {
                let alias = alias(i);
                from.push_str(&format!(" LEFT JOIN json_each({json}) AS {alias} ON {alias}.key = pgw_srf_row.value"));
            }
            from
        }
    };
    let sql = format!("SELECT 1 FROM {from}");
    let Ok(mut parsed) = Parser::parse_sql(&PostgreSqlDialect {}, &sql) else {
        unreachable!("generated SQL parses: {sql}")
    };
    if let Some(sqlparser::ast::Statement::Query(q)) = parsed.pop() {
        if let SetExpr::Select(extra) = *q.body {
            s.from.extend(extra.from);
        }
    }
}

fn alias(i: usize) -> String {
    if i == 0 {
        "pgw_srf".to_string()
    } else {
        format!("pgw_srf{i}")
    }
}

struct Calls<'a> {
    f: &'a Functions,
    sources: Vec<String>,
}

impl VisitorMut for Calls<'_> {
    type Break = ();
    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        let Expr::Function(call) = e else { return ControlFlow::Continue(()) };
        let fname = last_lower(&call.name);
        let catalog_only = matches!(fname.as_str(), "generate_subscripts" | "_pg_expandarray");
        let known = matches!(fname.as_str(), "unnest" | "generate_series" | "regexp_matches");
        if !(known || catalog_only && self.f.array_base.is_some()) {
            return ControlFlow::Continue(());
        }
        let Some(mut args) = plain_args(call).filter(|a| !a.is_empty()) else { return ControlFlow::Continue(()) };
        for a in &mut args {
            if let Expr::Array(arr) = a {
                *a = func(self.f.array, std::mem::take(&mut arr.elem));
            }
        }
        let list: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let first = &list[0];
        let json = match fname.as_str() {
            "generate_series" => format!("{}({})", self.f.series_json, list.join(", ")),
            "regexp_matches" => format!("{}({})", self.f.matches_json, list.join(", ")),
            _ => format!("{}({first})", self.f.array_json),
        };
        let i = self.sources.iter().position(|j| *j == json).unwrap_or_else(|| {
            self.sources.push(json);
            self.sources.len() - 1
        });
        let alias = alias(i);
        let base = self.f.array_base.unwrap_or_default();
        *e = match fname.as_str() {
            "generate_subscripts" => parse_expr(&format!("{alias}.key + {base}({first})")),
            "_pg_expandarray" => parse_expr(&format!("json_object('x', {alias}.value, 'n', {alias}.key + 1)")),
            _ => parse_expr(&format!("{alias}.value")),
        };
        ControlFlow::Continue(())
    }
}
