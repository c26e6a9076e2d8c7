//! Catalog queries: recognise statements that read pg_catalog / information_schema
//! (or only call catalog functions) and rewrite them for the catalog engine's SQLite
//! (src/catalog/): reg* casts, `OPERATOR(pg_catalog.~)`, regular expressions,
//! `COLLATE pg_catalog.default`, arrays (`= ANY`, `ARRAY(..)`, `array_agg`, subscripts)
//! and set-returning functions in FROM (`unnest`, `generate_series`, `generate_subscripts`)
//! and in select lists (`srf_projection`).

pub mod types;

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;

use sqlparser::ast::{
    self, BinaryOperator, Expr, FunctionArguments, ObjectName, Query, SelectItem, SetExpr, Statement, TableFactor,
    UnaryOperator, Value, Visit, VisitMut, Visitor, VisitorMut,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::ast_util::*;
use crate::catalog::{functions, relations};
use crate::error::{PgError, PgResult};
use crate::types::Oid;
use types::{param_types, result_columns};

/// A catalog statement, ready for the catalog engine.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogQuery {
    /// SQLite SQL with `?` markers.
    pub sql: String,
    /// For each `?` marker, the 0-based index of the client parameter.
    pub params: Vec<usize>,
    /// Result column names as PostgreSQL names them (empty: take the engine's).
    pub names: Vec<String>,
    /// Result column types the PostgreSQL text decides (None: the catalog column's).
    pub types: Vec<Option<Oid>>,
    /// `$n` compared with a catalog column takes that column's type (`relname = $1`: name).
    pub param_types: Vec<Option<Oid>>,
}

/// Catalog engine functions a backend answers too: a query that reads no table and
/// calls only these stays on the backend.
const ALSO_ON_BACKENDS: &[&str] = &[
    "age",
    "format",
    "quote_ident",
    "array_to_string",
    "string_to_array",
    "array_lower",
    "array_remove",
    "current_database",
    "current_schema",
];

/// A function only the catalog engine answers: one it registers
/// (`catalog::functions::names`), not a `pgw_` helper, not one the backends have.
fn is_catalog_function(name: &str) -> bool {
    !name.starts_with("pgw_") && !ALSO_ON_BACKENDS.contains(&name) && functions::names().contains(&name)
}

pub(super) fn last_lower(n: &ObjectName) -> String {
    n.0.last().map(|p| p.to_string().trim_matches('"').to_lowercase()).unwrap_or_default()
}

fn first_lower(n: &ObjectName) -> Option<String> {
    (n.0.len() > 1).then(|| n.0[0].to_string().trim_matches('"').to_lowercase())
}

fn is_reg_type(t: &str) -> bool {
    matches!(t, "regclass" | "regtype" | "regproc" | "regprocedure" | "regnamespace" | "regrole" | "regoper")
}

/// The cast target as a plain lower-case name without `pg_catalog.`.
pub(super) fn type_name(dt: &ast::DataType) -> String {
    let s = dt.to_string().to_lowercase();
    let s = s.trim_matches('"').replace("pg_catalog.", "");
    s.trim_matches('"').to_string()
}

struct Scan {
    ctes: HashSet<String>,
    /// Functions in FROM (`string_to_array(..) s`): not relations.
    table_functions: HashSet<String>,
    catalog: bool,
    user: Option<String>,
    functions: bool,
}

impl Visitor for Scan {
    type Break = ();
    fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
        if let Some(w) = &q.with {
            for c in &w.cte_tables {
                self.ctes.insert(c.alias.name.value.to_lowercase());
            }
        }
        ControlFlow::Continue(())
    }
    fn pre_visit_table_factor(&mut self, t: &TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table { name, args: Some(_), .. } = t {
            self.table_functions.insert(name.to_string());
        }
        ControlFlow::Continue(())
    }
    fn pre_visit_relation(&mut self, n: &ObjectName) -> ControlFlow<()> {
        if self.table_functions.contains(&n.to_string()) {
            return ControlFlow::Continue(());
        }
        let last = last_lower(n);
        match first_lower(n).as_deref() {
            Some("pg_catalog") | Some("information_schema") => self.catalog = true,
            None if self.ctes.contains(&last) => {}
            None if relations::is_relation(&last) => self.catalog = true,
            None if is_table_function(&last) => {}
            _ => {
                if self.user.is_none() {
                    self.user = Some(n.to_string());
                }
            }
        }
        ControlFlow::Continue(())
    }
    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        match e {
            Expr::Function(f) => {
                let name = last_lower(&f.name);
                if first_lower(&f.name).as_deref() == Some("pg_catalog") || is_catalog_function(&name) {
                    self.functions = true;
                }
            }
            Expr::Cast { data_type, .. } if is_reg_type(&type_name(data_type)) => self.functions = true,
            Expr::BinaryOp { op: BinaryOperator::PGCustomBinaryOperator(parts), .. }
                if parts.first().is_some_and(|p| p.eq_ignore_ascii_case("pg_catalog")) =>
            {
                self.functions = true
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

fn is_table_function(name: &str) -> bool {
    matches!(name, "unnest" | "generate_series" | "generate_subscripts" | "_pg_expandarray" | "pg_partition_ancestors")
}

/// Classify `stmt`: Some when it must run on the catalog engine; 0A000 when it mixes
/// catalog relations with the backend's tables.
pub fn catalog_query(stmt: &Statement) -> PgResult<Option<CatalogQuery>> {
    let Statement::Query(_) = stmt else {
        return Ok(None);
    };
    let mut scan =
        Scan { ctes: HashSet::new(), table_functions: HashSet::new(), catalog: false, user: None, functions: false };
    let _ = stmt.visit(&mut scan);
    if !scan.catalog && !(scan.functions && scan.user.is_none()) {
        return Ok(None);
    }
    if let Some(user) = scan.user {
        return Err(PgError::unsupported(format!(
            "a query cannot read both catalog relations (pg_catalog, information_schema) and the table {user}"
        ))
        .with_hint("query the catalog and the table separately"));
    }
    let (names, types) = result_columns(stmt);
    let original = stmt;
    let mut stmt = stmt.clone();
    mark_reg_outputs(&mut stmt);
    system_columns(&mut stmt);
    let mut rw = Rewrite { error: None };
    let _ = VisitMut::visit(&mut stmt, &mut rw);
    if let Some(e) = rw.error {
        return Err(e);
    }
    let param_types = param_types(&original);
    let (sql, params) = super::params::to_question_marks(&stmt.to_string());
    Ok(Some(CatalogQuery { sql, params, names, types, param_types }))
}

/// System columns, which the engine's tables lack: `c.tableoid` is the OID of the catalog
/// relation `c` reads (DBD::Pg's table_info joins pg_description on it, psql's `\dL`);
/// `c.xmin` is the snapshot's transaction, `txid_current()` (DataGrip's state numbers:
/// every row counts as changed by the last refresh).
fn system_columns(stmt: &mut Statement) {
    let known: HashMap<(String, String), i64> = relations::own_relations()
        .into_iter()
        .map(|(oid, schema, name, _, _)| ((schema.to_string(), name.to_string()), oid))
        .collect();
    struct Aliases<'a> {
        known: &'a HashMap<(String, String), i64>,
        oids: HashMap<String, i64>,
    }
    impl Visitor for Aliases<'_> {
        type Break = ();
        fn pre_visit_table_factor(&mut self, t: &TableFactor) -> ControlFlow<()> {
            if let TableFactor::Table { name, alias, args: None, .. } = t {
                let schema = first_lower(name).unwrap_or_else(|| "pg_catalog".into());
                if let Some(oid) = self.known.get(&(schema, last_lower(name))) {
                    let alias = alias.as_ref().map_or_else(|| last_lower(name), |a| a.name.value.to_lowercase());
                    self.oids.insert(alias, *oid);
                }
            }
            ControlFlow::Continue(())
        }
    }
    struct Replace(HashMap<String, i64>);
    impl VisitorMut for Replace {
        type Break = ();
        fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            let (alias, column) = match e {
                Expr::CompoundIdentifier(p) if p.len() == 2 => (Some(p[0].value.to_lowercase()), &p[1]),
                Expr::Identifier(i) if self.0.len() == 1 => (None, &*i),
                _ => return ControlFlow::Continue(()),
            };
            let oid = match &alias {
                Some(a) => self.0.get(a).copied(),
                None => self.0.values().next().copied(),
            };
            if oid.is_none() || column.quote_style.is_some() {
                return ControlFlow::Continue(());
            }
            match column.value.to_lowercase().as_str() {
                "tableoid" => *e = num(oid.unwrap_or_default()),
                "xmin" => *e = func("txid_current", vec![]),
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }
    let mut aliases = Aliases { known: &known, oids: HashMap::new() };
    let _ = Visit::visit(&*stmt, &mut aliases);
    let _ = VisitMut::visit(stmt, &mut Replace(aliases.oids));
}

/// `x::regclass` in a select list, and `x::regclass::text` anywhere (a literal's too:
/// TypeORM's `('"' || udt_schema || '"."' || udt_name || '"')::"regtype"::text`), print the
/// name: they become `pgw_regclass_out(x::regclass)` before the rewrite turns the inner cast
/// into the lookup (elsewhere a reg* value is its OID).
fn mark_reg_outputs(stmt: &mut Statement) {
    struct Mark;
    fn out(e: &mut Expr, literal_too: bool) -> bool {
        let Expr::Cast { expr, data_type, .. } = e else { return false };
        let t = type_name(data_type);
        if !is_reg_type(&t) || (!literal_too && string_literal(expr).is_some()) {
            return false;
        }
        let f = match t.as_str() {
            "regclass" => "pgw_regclass_out",
            "regtype" => "pgw_regtype_out",
            "regnamespace" => "pgw_regnamespace_out",
            "regrole" => "pgw_regrole_out",
            _ => "pgw_regproc_out",
        };
        // In a select list the value is already an OID (a column); as text it may be a name.
        let arg = if literal_too {
            take(e)
        } else {
            let Expr::Cast { expr, .. } = e else { return false };
            take(expr)
        };
        *e = func(f, vec![arg]);
        true
    }
    impl VisitorMut for Mark {
        type Break = ();
        fn pre_visit_query(&mut self, q: &mut Query) -> ControlFlow<()> {
            fn items(body: &mut SetExpr) {
                match body {
                    SetExpr::Select(s) => {
                        for i in &mut s.projection {
                            if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = i {
                                out(e, false);
                            }
                        }
                    }
                    SetExpr::SetOperation { left, right, .. } => {
                        items(left);
                        items(right);
                    }
                    SetExpr::Query(q) => items(&mut q.body),
                    _ => {}
                }
            }
            items(&mut q.body);
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            if let Expr::Cast { expr, data_type, .. } = e {
                let t = type_name(data_type);
                if matches!(t.as_str(), "text" | "name" | "varchar" | "character varying") && out(expr, true) {
                    *e = take(expr);
                }
            }
            ControlFlow::Continue(())
        }
    }
    let _ = VisitMut::visit(stmt, &mut Mark);
}

struct Rewrite {
    error: Option<PgError>,
}

fn parse_query(sql: &str) -> Query {
    match Parser::parse_sql(&PostgreSqlDialect {}, sql).map(|mut s| s.remove(0)) {
        Ok(Statement::Query(q)) => *q,
        _ => unreachable!("generated SQL parses: {sql}"),
    }
}

fn derived(sql: &str, alias: &str) -> TableFactor {
    TableFactor::Derived {
        lateral: false,
        subquery: Box::new(parse_query(sql)),
        alias: Some(ast::TableAlias { explicit: true, name: ident(alias), columns: vec![], at: None }),
        sample: None,
    }
}

impl Rewrite {
    fn table_function(&self, t: &mut TableFactor) -> PgResult<()> {
        if let TableFactor::UNNEST { alias, array_exprs, with_ordinality, .. } = t {
            let arg = array_exprs.first().map(|e| e.to_string()).unwrap_or_default();
            let alias_name = alias.as_ref().map(|a| a.name.value.clone()).unwrap_or_else(|| "unnest".into());
            let cols: Vec<String> =
                alias.as_ref().map(|a| a.columns.iter().map(|c| c.name.value.clone()).collect()).unwrap_or_default();
            let first = cols.first().cloned().unwrap_or_else(|| alias_name.clone());
            let ordinality = if *with_ordinality {
                format!(", key + 1 AS \"{}\"", cols.get(1).cloned().unwrap_or_else(|| "ordinality".into()))
            } else {
                String::new()
            };
            let sql = format!("SELECT value AS \"{first}\"{ordinality} FROM json_each(pgw_array_json({arg}))");
            *t = derived(&sql, &alias_name);
            return Ok(());
        }
        let TableFactor::Table { name, alias, args: Some(args), with_ordinality, .. } = t else {
            return Ok(());
        };
        let fname = last_lower(name);
        let args: Vec<String> = args.args.iter().map(|a| a.to_string()).collect();
        let alias_name = alias.as_ref().map(|a| a.name.value.clone()).unwrap_or_else(|| fname.clone());
        let cols: Vec<String> =
            alias.as_ref().map(|a| a.columns.iter().map(|c| c.name.value.clone()).collect()).unwrap_or_default();
        let col = |i: usize, default: &str| cols.get(i).cloned().unwrap_or_else(|| default.to_string());
        let json = match fname.as_str() {
            "unnest" => format!("pgw_array_json({})", args.first().cloned().unwrap_or_default()),
            "generate_series" => format!("pgw_series_json({})", args.join(", ")),
            "generate_subscripts" => format!("pgw_subscripts_json({})", args.join(", ")),
            // Partitions are not modelled: a relation is its own only ancestor.
            "pg_partition_ancestors" => format!("json_array({})", args.first().cloned().unwrap_or_default()),
            "_pg_expandarray" => {
                let sql = format!(
                    "SELECT value AS \"{}\", key + 1 AS \"{}\" FROM json_each(pgw_array_json({}))",
                    col(0, "x"),
                    col(1, "n"),
                    args.first().cloned().unwrap_or_default()
                );
                *t = derived(&sql, &alias_name);
                return Ok(());
            }
            // Any other function in FROM: one row holding its value.
            _ => {
                let sql = format!("SELECT {fname}({}) AS \"{}\"", args.join(", "), col(0, &alias_name));
                *t = derived(&sql, &alias_name);
                return Ok(());
            }
        };
        let default = if fname == "pg_partition_ancestors" { "relid" } else { fname.as_str() };
        let first =
            if cols.is_empty() && alias.is_some() && default != "relid" { alias_name.clone() } else { col(0, default) };
        let ordinality =
            if *with_ordinality { format!(", key + 1 AS \"{}\"", col(1, "ordinality")) } else { String::new() };
        let sql = format!("SELECT value AS \"{first}\"{ordinality} FROM json_each({json})");
        *t = derived(&sql, &alias_name);
        Ok(())
    }

    fn expr(&self, e: &mut Expr) -> PgResult<()> {
        let new = match e {
            Expr::Cast { expr, data_type, .. } => {
                let t = type_name(data_type);
                let inner = take(expr);
                match t.as_str() {
                    // Integers pass through these, text is looked up by name.
                    "regclass" => func("pgw_regclass_in", vec![inner]),
                    "regtype" => func("pgw_regtype_in", vec![inner]),
                    "regnamespace" => func("pgw_regnamespace_in", vec![inner]),
                    "regproc" => func("pgw_regproc_in", vec![inner]),
                    t if is_reg_type(t) => inner,
                    "oid" | "xid" | "int2" | "int4" | "int8" | "smallint" | "integer" | "int" | "bigint" => {
                        cast(inner, ast::DataType::Custom(name("INTEGER"), vec![]))
                    }
                    "text" | "name" | "varchar" | "character varying" | "bpchar" | "\"char\"" | "char" => {
                        cast(inner, ast::DataType::Custom(name("TEXT"), vec![]))
                    }
                    "bool" | "boolean" => match string_literal(&inner) {
                        Some(s) => Expr::Value(Value::Boolean(super::sqlite::parse_bool(s)?).into()),
                        None => inner,
                    },
                    "float4" | "float8" | "real" | "double precision" => {
                        cast(inner, ast::DataType::Custom(name("REAL"), vec![]))
                    }
                    "numeric" => cast(inner, ast::DataType::Custom(name("NUMERIC"), vec![])),
                    _ => inner,
                }
            }
            Expr::Collate { expr, .. } => take(expr),
            // Timestamps are PostgreSQL text in the engine (pg_postmaster_start_time()).
            Expr::AtTimeZone { timestamp, time_zone } => {
                func("pgw_at_time_zone", vec![take(timestamp), take(time_zone)])
            }
            Expr::Extract { field: ast::DateTimeField::Epoch, expr, .. } => func("pgw_epoch", vec![take(expr)]),
            Expr::Identifier(i) if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("user") => {
                func("pgw_current_user", vec![])
            }
            // pg_catalog.pg_class.relname, information_schema.tables.table_name
            Expr::CompoundIdentifier(parts) if parts.len() == 3 => {
                match parts[0].value.to_lowercase().as_str() {
                    "pg_catalog" => {
                        parts.remove(0);
                    }
                    "information_schema" => {
                        let view = ident(&format!("information_schema__{}", parts[1].value.to_lowercase()));
                        parts.splice(0..2, [view]);
                    }
                    _ => {}
                }
                return Ok(());
            }
            Expr::BinaryOp { left, op, right } => {
                let op_name = match op {
                    BinaryOperator::PGRegexMatch => "~".to_string(),
                    BinaryOperator::PGRegexIMatch => "~*".to_string(),
                    BinaryOperator::PGRegexNotMatch => "!~".to_string(),
                    BinaryOperator::PGRegexNotIMatch => "!~*".to_string(),
                    BinaryOperator::PGCustomBinaryOperator(parts) => parts.last().cloned().unwrap_or_default(),
                    _ => return Ok(()),
                };
                let (l, r) = (take(left), take(right));
                match op_name.as_str() {
                    "~" => func("pgw_regex", vec![l, r]),
                    "~*" => func("pgw_iregex", vec![l, r]),
                    "!~" => not(func("pgw_regex", vec![l, r])),
                    "!~*" => not(func("pgw_iregex", vec![l, r])),
                    "=" => binop(l, BinaryOperator::Eq, r),
                    "<>" => binop(l, BinaryOperator::NotEq, r),
                    "<" => binop(l, BinaryOperator::Lt, r),
                    ">" => binop(l, BinaryOperator::Gt, r),
                    "||" => binop(l, BinaryOperator::StringConcat, r),
                    other => {
                        return Err(refuse(&format!("operator {other} in a catalog query"), "see docs/catalog.md"))
                    }
                }
            }
            Expr::AnyOp { left, compare_op, right, .. } => {
                let (l, r) = (take(left), take(right));
                let contains = match r {
                    Expr::Subquery(q) => Expr::In {
                        expr: Box::new(l),
                        target: ast::InTarget::Subquery(q),
                        negated: false,
                        global: false,
                    },
                    r => func("pgw_array_contains", vec![r, l]),
                };
                match compare_op {
                    BinaryOperator::Eq => contains,
                    _ => return Err(refuse("ANY with an operator other than =", "see docs/catalog.md")),
                }
            }
            Expr::AllOp { left, compare_op: BinaryOperator::NotEq, right } => {
                not(func("pgw_array_contains", vec![take(right), take(left)]))
            }
            Expr::ILike { negated, expr, pattern, .. } => Expr::Like {
                negated: *negated,
                any: false,
                expr: Box::new(func("lower", vec![take(expr)])),
                pattern: Box::new(func("lower", vec![take(pattern)])),
                escape_char: Some(Box::new(string("\\"))),
            },
            Expr::Like { escape_char: escape @ None, .. } => {
                *escape = Some(Box::new(string("\\")));
                return Ok(());
            }
            Expr::Array(a) => func("pgw_array", std::mem::take(&mut a.elem)),
            // `a.b[1]`, `(keys).n`, `(current_schemas(true))[1]`: identifiers stay names,
            // subscripts read arrays, fields of _pg_expandarray's rows read its JSON objects.
            Expr::CompoundFieldAccess { root, access_chain } => {
                let mut current = take(root);
                for access in std::mem::take(access_chain) {
                    current = match (access, current) {
                        (ast::AccessExpr::Dot(Expr::Identifier(f)), Expr::Identifier(r)) => {
                            Expr::CompoundIdentifier(vec![r, f])
                        }
                        (ast::AccessExpr::Dot(Expr::Identifier(f)), Expr::CompoundIdentifier(mut parts)) => {
                            parts.push(f);
                            Expr::CompoundIdentifier(parts)
                        }
                        (ast::AccessExpr::Dot(Expr::Identifier(f)), other) => {
                            func("json_extract", vec![other, string(format!("$.{}", f.value.to_lowercase()))])
                        }
                        (ast::AccessExpr::Subscript(ast::Subscript::Index { index }), other) => {
                            func("pgw_array_get", vec![other, index])
                        }
                        _ => return Err(refuse("array slices in a catalog query", "see docs/catalog.md")),
                    };
                }
                current
            }
            Expr::Function(f) => {
                if f.name.0.len() == 2 && first_lower(&f.name).as_deref() == Some("pg_catalog") {
                    f.name.0.remove(0);
                }
                let fname = last_lower(&f.name);
                match fname.as_str() {
                    "array" => {
                        let FunctionArguments::Subquery(q) = &mut f.args else { return Ok(()) };
                        let mut q = take_query(q);
                        alias_single_item(&mut q.body, "pgw_v");
                        Expr::Subquery(Box::new(parse_query(&format!(
                            "SELECT pgw_array_agg(pgw_v) FROM ({q}) AS pgw_a"
                        ))))
                    }
                    "array_agg" => {
                        f.name = name("pgw_array_agg");
                        return Ok(());
                    }
                    "json_build_object" => {
                        f.name = name("json_object");
                        return Ok(());
                    }
                    "bool_and" | "every" => {
                        f.name = name("min");
                        return Ok(());
                    }
                    "bool_or" => {
                        f.name = name("max");
                        return Ok(());
                    }
                    "current_user" | "session_user" | "user" | "current_role"
                        if matches!(f.args, FunctionArguments::None) =>
                    {
                        func("pgw_current_user", vec![])
                    }
                    "current_schema" | "current_catalog" if matches!(f.args, FunctionArguments::None) => {
                        func(if fname == "current_schema" { "current_schema" } else { "current_database" }, vec![])
                    }
                    _ => return Ok(()),
                }
            }
            Expr::Value(v) => {
                let s = match &mut v.value {
                    Value::EscapedStringLiteral(s)
                    | Value::NationalStringLiteral(s)
                    | Value::UnicodeStringLiteral(s) => std::mem::take(s),
                    Value::DollarQuotedString(d) => std::mem::take(&mut d.value),
                    _ => return Ok(()),
                };
                v.value = Value::SingleQuotedString(s);
                return Ok(());
            }
            _ => match super::sqlite::string_function(e) {
                Some(new) => new,
                None => return Ok(()),
            },
        };
        *e = new;
        Ok(())
    }
}

/// `UNION DISTINCT` is SQLite's plain UNION.
fn union_distinct(body: &mut SetExpr) {
    if let SetExpr::SetOperation { set_quantifier, left, right, .. } = body {
        if *set_quantifier == ast::SetQuantifier::Distinct {
            *set_quantifier = ast::SetQuantifier::None;
        }
        union_distinct(left);
        union_distinct(right);
    }
}

/// Select-list aliases may be words SQLite reserves (`AS default`): quote them,
/// folded to lower case as PostgreSQL folds unquoted names.
fn quote_aliases(body: &mut SetExpr) {
    match body {
        SetExpr::Select(s) => {
            for item in &mut s.projection {
                if let SelectItem::ExprWithAlias { alias, .. } = item {
                    if alias.quote_style.is_none() {
                        alias.value = alias.value.to_lowercase();
                        alias.quote_style = Some('"');
                    }
                }
            }
        }
        SetExpr::SetOperation { left, right, .. } => {
            quote_aliases(left);
            quote_aliases(right);
        }
        SetExpr::Query(q) => quote_aliases(&mut q.body),
        _ => {}
    }
}

/// `SELECT DISTINCT ON (a) ..`: SQLite's GROUP BY a keeps one row per group (the
/// first in the ORDER BY is not guaranteed; catalog queries order by the same key).
fn distinct_on(body: &mut SetExpr) {
    let SetExpr::Select(s) = body else { return };
    if let Some(ast::Distinct::On(exprs)) = &s.distinct {
        if matches!(&s.group_by, ast::GroupByExpr::Expressions(g, _) if g.is_empty()) {
            s.group_by = ast::GroupByExpr::Expressions(exprs.clone(), vec![]);
            s.distinct = None;
        }
    }
}

fn not(e: Expr) -> Expr {
    Expr::UnaryOp { op: UnaryOperator::Not, expr: Box::new(nested(e)) }
}

fn alias_single_item(body: &mut SetExpr, alias: &str) {
    match body {
        SetExpr::Select(s) => {
            if let Some(item) = s.projection.first_mut() {
                let e = match item {
                    SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => take(e),
                    _ => return,
                };
                *item = SelectItem::ExprWithAlias { expr: e, alias: ident(alias) };
            }
        }
        SetExpr::SetOperation { left, .. } => alias_single_item(left, alias),
        SetExpr::Query(q) => alias_single_item(&mut q.body, alias),
        _ => {}
    }
}

impl VisitorMut for Rewrite {
    type Break = ();
    fn post_visit_relation(&mut self, n: &mut ObjectName) -> ControlFlow<()> {
        match first_lower(n).as_deref() {
            Some("pg_catalog") => {
                n.0.remove(0);
            }
            Some("information_schema") => {
                let view = format!("information_schema__{}", last_lower(n));
                *n = name(&view);
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
    /// `FROM information_schema.columns` without an alias: PostgreSQL lets the query name
    /// it `columns` (TypeORM selects `columns.*` and joins on `"columns"."column_name"`),
    /// so the engine's view, renamed below, keeps that name as its alias.
    fn pre_visit_table_factor(&mut self, t: &mut TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table { name, alias: alias @ None, args: None, .. } = t {
            if name.0.len() == 2 && first_lower(name).as_deref() == Some("information_schema") {
                let relation = ast::Ident::with_quote('"', last_lower(name));
                *alias = Some(ast::TableAlias { explicit: true, name: relation, columns: vec![], at: None });
            }
        }
        ControlFlow::Continue(())
    }
    fn post_visit_table_factor(&mut self, t: &mut TableFactor) -> ControlFlow<()> {
        if let Err(e) = self.table_function(t) {
            self.error = Some(e);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        if let Err(err) = self.expr(e) {
            self.error = Some(err);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
    fn post_visit_query(&mut self, q: &mut Query) -> ControlFlow<()> {
        distinct_on(&mut q.body);
        union_distinct(&mut q.body);
        quote_aliases(&mut q.body);
        super::srf_projection::rewrite(&mut q.body, &super::srf_projection::CATALOG);
        // PostgreSQL sorts NULLs last ascending, SQLite first.
        if let Some(ast::OrderByKind::Expressions(exprs)) = q.order_by.as_mut().map(|o| &mut o.kind) {
            for e in exprs {
                if e.options.nulls_first.is_none() {
                    e.options.nulls_first = Some(matches!(e.options.sort, Some(ast::OrderBySort::Desc)));
                }
            }
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types;

    fn q(sql: &str) -> PgResult<Option<CatalogQuery>> {
        catalog_query(&Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap().remove(0))
    }

    #[test]
    fn routes_catalog_queries() {
        assert!(q("select * from t").unwrap().is_none());
        assert!(q("select relname from pg_catalog.pg_class").unwrap().is_some());
        assert!(q("select 'x'::regtype::oid").unwrap().is_some());
        assert_eq!(q("select * from pg_class, t").unwrap_err().code, "0A000");
    }

    #[test]
    fn routes_every_function_the_engine_registers() {
        // The routing list is the engine's registrations (functions::names).
        for f in ["pg_get_ruledef(1)", "getdatabaseencoding()", "pg_is_in_recovery()", "pg_get_expr('x', 0)"] {
            assert!(q(&format!("select {f}")).unwrap().is_some(), "{f}");
        }
        assert!(q("select quote_ident('a')").unwrap().is_none(), "the backends have quote_ident");
        assert!(q("select pgw_array(1)").unwrap().is_none(), "helpers are not PostgreSQL's");
        assert!(q("select lower('A')").unwrap().is_none());
    }

    #[test]
    fn rewrites_postgres_constructs() {
        let c = q("SELECT c.oid::pg_catalog.regclass, n.nspname FROM pg_catalog.pg_class c \
                   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                   WHERE c.relname OPERATOR(pg_catalog.~) '^(t)$' COLLATE pg_catalog.default \
                   AND c.oid = 't'::regclass AND 1 = ANY(c.relacl)")
        .unwrap()
        .unwrap();
        assert!(c.sql.contains("pgw_regclass_out(c.oid)"), "{}", c.sql);
        assert!(c.sql.contains("pgw_regex(c.relname, '^(t)$')"), "{}", c.sql);
        assert!(c.sql.contains("pgw_regclass_in('t')"), "{}", c.sql);
        assert!(c.sql.contains("pgw_array_contains(c.relacl, 1)"), "{}", c.sql);
        assert_eq!(c.names, vec!["oid", "nspname"]);
        assert_eq!(c.types, vec![Some(types::REGCLASS.oid), Some(types::NAME.oid)]);
    }
}
