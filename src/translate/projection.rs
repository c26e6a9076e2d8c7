//! Result column names and types that the SQL text alone determines.
//!
//! PostgreSQL names an unaliased expression column after its function, cast
//! type or `?column?`, and types literals, casts, operators and well-known
//! functions itself. Backends only know declared column types (sqlite says
//! nothing about `count(*)`; IRIS upper-cases names), so the session merges
//! these inferred columns with the backend's description.

use sqlparser::ast::{
    self, BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, SelectItem, SetExpr, Statement,
    UnaryOperator,
};

use std::collections::HashMap;

use super::common_type::{common_type, Input};
use crate::types::{self, Oid};

/// A result column as far as the SQL determines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InferredColumn {
    pub name: String,
    /// None: a column reference or an expression whose type the backend must tell.
    pub type_oid: Option<Oid>,
    /// Where the column's type modifier (numeric(p,s), varchar(n)) comes from.
    pub typmod: Typmod,
}

/// The source of a result column's type modifier, as PostgreSQL decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typmod {
    /// A bare column reference: the column's own, as the backend describes it.
    Column,
    /// A cast to a type with modifiers (`x::numeric(10,2)`): this atttypmod.
    Cast(i32),
    /// Any other expression: none (-1). IRIS gives SUM/AVG a scale their values may exceed.
    None,
}

impl InferredColumn {
    fn of(env: &Env, name: String, e: &Expr) -> Self {
        InferredColumn { name, type_oid: expr_type_in(env, e), typmod: typmod_of(e) }
    }
}

fn typmod_of(e: &Expr) -> Typmod {
    match e {
        Expr::Nested(inner) => typmod_of(inner),
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => Typmod::Column,
        Expr::Cast { data_type, .. } => {
            let spelled = data_type.to_string();
            match types::by_name(&spelled).map(|t| types::typmod_of(&spelled.to_lowercase(), t)) {
                Some(m) if m >= 0 => Typmod::Cast(m),
                _ => Typmod::None,
            }
        }
        _ => Typmod::None,
    }
}

/// The projection of a row-returning statement; None when it holds a wildcard
/// or is not a plain query (the backend's description is then used as is).
pub fn projection(stmt: &Statement) -> Option<Vec<InferredColumn>> {
    projection_in(&Env::default(), stmt)
}

/// What the query knows besides its own text: column and parameter types.
#[derive(Debug, Default, Clone)]
pub struct Env {
    /// Lower-cased column reference as written (`qty`, `t.qty`) -> type.
    pub columns: HashMap<String, Oid>,
    /// Parameter types, `$1` first (0 = unknown).
    pub params: Vec<Oid>,
}

/// As `projection`, with column and parameter types known from elsewhere.
pub fn projection_in(env: &Env, stmt: &Statement) -> Option<Vec<InferredColumn>> {
    match stmt {
        Statement::Query(q) => query_columns(env, q),
        Statement::Insert(i) => i.returning.as_deref().and_then(|r| items(env, r)),
        Statement::Update(u) => u.returning.as_deref().and_then(|r| items(env, r)),
        Statement::Delete(d) => d.returning.as_deref().and_then(|r| items(env, r)),
        _ => None,
    }
}

fn query_columns(env: &Env, q: &ast::Query) -> Option<Vec<InferredColumn>> {
    // CTE columns are typed by their own queries (the anchor of a recursive one).
    let mut scoped;
    let env = match &q.with {
        Some(with) => {
            scoped = env.clone();
            for cte in &with.cte_tables {
                let cols = query_columns(&scoped, &cte.query).unwrap_or_default();
                let names: Vec<String> = if cte.alias.columns.is_empty() {
                    cols.iter().map(|c| c.name.clone()).collect()
                } else {
                    cte.alias.columns.iter().map(|c| ident_name(&c.name)).collect()
                };
                let table = ident_name(&cte.alias.name);
                for (name, col) in names.iter().zip(&cols) {
                    if let Some(t) = col.type_oid {
                        scoped.columns.insert(name.clone(), t);
                        scoped.columns.insert(format!("{table}.{name}"), t);
                    }
                }
            }
            &scoped
        }
        None => env,
    };
    set_expr_columns(env, &q.body)
}

fn set_expr_columns(env: &Env, body: &SetExpr) -> Option<Vec<InferredColumn>> {
    match body {
        SetExpr::Select(s) => {
            // Columns of generate_series / unnest in FROM are typed by their arguments.
            let srf: Vec<(String, String, Oid)> = s
                .from
                .iter()
                .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)))
                .flat_map(|t| set_returning_columns(env, t))
                .collect();
            // `SELECT * FROM (subquery) s(a, b)`: the subquery's columns, renamed.
            if let ([SelectItem::Wildcard(_)], [from]) = (s.projection.as_slice(), s.from.as_slice()) {
                if let (ast::TableFactor::Derived { subquery, alias, .. }, true) =
                    (&from.relation, from.joins.is_empty())
                {
                    let mut cols = query_columns(env, subquery)?;
                    let names =
                        alias.as_ref().map(|a| a.columns.iter().map(|c| ident_name(&c.name)).collect::<Vec<_>>());
                    for (col, name) in cols.iter_mut().zip(names.unwrap_or_default()) {
                        col.name = name;
                    }
                    return Some(cols);
                }
            }
            if let ([SelectItem::Wildcard(_)], [_]) = (s.projection.as_slice(), s.from.as_slice()) {
                if !srf.is_empty() && s.from[0].joins.is_empty() {
                    let cols = srf.iter().map(|(_, c, t)| InferredColumn {
                        name: c.clone(),
                        type_oid: Some(*t),
                        typmod: Typmod::None,
                    });
                    return Some(cols.collect());
                }
            }
            if srf.is_empty() {
                return items(env, &s.projection);
            }
            let mut scoped = env.clone();
            for (table, col, t) in srf {
                scoped.columns.insert(format!("{table}.{col}"), t);
                scoped.columns.entry(col).or_insert(t);
            }
            items(&scoped, &s.projection)
        }
        SetExpr::Query(q) => query_columns(env, q),
        SetExpr::SetOperation { left, right, .. } => {
            // Each column takes the common type of both sides (names from the left),
            // nested operations pairwise from the left, as PostgreSQL resolves them.
            let mut cols = set_expr_columns(env, left)?;
            let (Some(lefts), Some(rights)) = (set_expr_inputs(env, left), set_expr_inputs(env, right)) else {
                return Some(cols);
            };
            if lefts.len() != cols.len() || rights.len() != cols.len() {
                return Some(cols);
            }
            for ((col, l), r) in cols.iter_mut().zip(lefts).zip(rights) {
                // A side the SQL cannot type (a column): the backend's description decides.
                if l == Input::Opaque || r == Input::Opaque {
                    continue;
                }
                let t = common_type([l, r]);
                if t != col.type_oid {
                    (col.type_oid, col.typmod) = (t, Typmod::None);
                }
            }
            Some(cols)
        }
        SetExpr::Values(v) => {
            let first = v.rows.first()?;
            Some(
                (0..first.len())
                    .map(|i| {
                        let column = v.rows.iter().filter_map(|row| row.get(i));
                        let typmod = if v.rows.len() == 1 { typmod_of(&first[i]) } else { Typmod::None };
                        InferredColumn {
                            name: format!("column{}", i + 1),
                            type_oid: common_type(column.map(|e| input_type(env, e))),
                            typmod,
                        }
                    })
                    .collect(),
            )
        }
        _ => None,
    }
}

/// The resolution inputs of a set operation's side, column by column: its resolved types,
/// or an unknown-type literal where a lone SELECT or VALUES row has one.
fn set_expr_inputs(env: &Env, body: &SetExpr) -> Option<Vec<Input>> {
    let known = |cols: Vec<InferredColumn>| cols.into_iter().map(|c| c.type_oid.map_or(Input::Opaque, Input::Known));
    match body {
        SetExpr::Select(s)
            if !s
                .projection
                .iter()
                .any(|i| matches!(i, SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..))) =>
        {
            s.projection
                .iter()
                .map(|item| match item {
                    SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                        match input_type(env, e) {
                            Input::Unknown => Some(Input::Unknown),
                            _ => None,
                        }
                    }
                    _ => None,
                })
                .zip(known(set_expr_columns(env, body)?))
                .map(|(unknown, k)| Some(unknown.unwrap_or(k)))
                .collect()
        }
        SetExpr::Values(v) if v.rows.len() == 1 => Some(v.rows[0].iter().map(|e| input_type(env, e)).collect()),
        SetExpr::Query(q) if q.with.is_none() => set_expr_inputs(env, &q.body),
        _ => Some(known(set_expr_columns(env, body)?).collect()),
    }
}

/// An expression as an input of common-type resolution.
pub fn input_type(env: &Env, e: &Expr) -> Input {
    match e {
        Expr::Nested(inner) => input_type(env, inner),
        Expr::Value(v) => match &v.value {
            ast::Value::Number(..) | ast::Value::Boolean(_) => expr_type_in(env, e).map_or(Input::Opaque, Input::Known),
            // A parameter of no declared type takes the common type, like a literal.
            ast::Value::Placeholder(_) => expr_type_in(env, e).map_or(Input::Unknown, Input::Known),
            _ => Input::Unknown,
        },
        _ => expr_type_in(env, e).map_or(Input::Opaque, Input::Known),
    }
}

/// (alias, column, type) of `generate_series(..)` / `unnest(..)` in FROM, as PostgreSQL
/// types them: the series by its first argument, unnest by each array's elements (one
/// column per array), WITH ORDINALITY's column bigint.
fn set_returning_columns(env: &Env, t: &ast::TableFactor) -> Vec<(String, String, Oid)> {
    use types::*;
    let (fname, args, alias, ordinality): (String, Vec<&Expr>, _, _) = match t {
        ast::TableFactor::Table { name, args: Some(a), alias, with_ordinality, .. } => {
            let args = a
                .args
                .iter()
                .filter_map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                    _ => None,
                })
                .collect();
            (name.0.last().map(|p| p.to_string().to_lowercase()).unwrap_or_default(), args, alias, *with_ordinality)
        }
        ast::TableFactor::UNNEST { array_exprs, alias, with_ordinality, .. } => {
            ("unnest".to_string(), array_exprs.iter().collect(), alias, *with_ordinality)
        }
        _ => return Vec::new(),
    };
    let element = |e: &Expr| match e {
        Expr::Array(a) => a.elem.first().and_then(|e| expr_type_in(env, e)),
        e => expr_type_in(env, e).and_then(by_oid).and_then(|t| t.element()).map(|t| t.oid),
    };
    let tys: Option<Vec<Oid>> = match (fname.as_str(), args.first()) {
        ("generate_series", Some(e)) => expr_type_in(env, e).map(|t| vec![t]),
        ("unnest", Some(_)) => args.iter().map(|e| element(e)).collect(),
        _ => return Vec::new(),
    };
    let Some(tys) = tys else { return Vec::new() };
    let table = alias.as_ref().map_or_else(|| fname.clone(), |a| ident_name(&a.name));
    let names: Vec<String> =
        alias.as_ref().map(|a| a.columns.iter().map(|c| ident_name(&c.name)).collect()).unwrap_or_default();
    // A lone column is named after the alias; several unnest columns are all "unnest".
    let default_name = if tys.len() == 1 { table.clone() } else { fname.clone() };
    let mut out: Vec<(String, String, Oid)> = tys
        .iter()
        .enumerate()
        .map(|(i, ty)| (table.clone(), names.get(i).cloned().unwrap_or_else(|| default_name.clone()), *ty))
        .collect();
    if ordinality {
        out.push((table, names.get(tys.len()).cloned().unwrap_or_else(|| "ordinality".into()), INT8.oid));
    }
    out
}

fn items(env: &Env, items: &[SelectItem]) -> Option<Vec<InferredColumn>> {
    items
        .iter()
        .map(|item| match item {
            SelectItem::UnnamedExpr(e) => Some(InferredColumn::of(env, expr_name(e).0, e)),
            SelectItem::ExprWithAlias { expr, alias } => Some(InferredColumn::of(env, ident_name(alias), expr)),
            _ => None,
        })
        .collect()
}

/// The key of a column reference in `Env::columns`: lower-cased, qualified as written.
pub fn column_key(e: &Expr) -> String {
    match e {
        Expr::Identifier(i) => ident_name(i),
        Expr::CompoundIdentifier(parts) => parts.iter().map(ident_name).collect::<Vec<_>>().join("."),
        other => other.to_string().to_lowercase(),
    }
}

/// Column references inside projection expressions that the backend cannot type
/// itself (arguments of functions and operators): the session probes their types.
pub fn nested_column_refs(stmt: &Statement) -> Vec<Expr> {
    use sqlparser::ast::{Visit, Visitor};
    use std::ops::ControlFlow;
    struct V(Vec<Expr>);
    impl Visitor for V {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
            if matches!(e, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) && !self.0.contains(e) {
                self.0.push(e.clone());
            }
            ControlFlow::Continue(())
        }
    }
    let projection: &[SelectItem] = match stmt {
        Statement::Query(q) => match q.body.as_ref() {
            SetExpr::Select(s) => &s.projection,
            _ => return Vec::new(),
        },
        Statement::Insert(i) => i.returning.as_deref().unwrap_or_default(),
        Statement::Update(u) => u.returning.as_deref().unwrap_or_default(),
        Statement::Delete(d) => d.returning.as_deref().unwrap_or_default(),
        _ => return Vec::new(),
    };
    let mut v = V(Vec::new());
    for item in projection {
        let expr = match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
            _ => continue,
        };
        // A bare column of a query is typed by the backend's own description
        // (sqlite cannot describe RETURNING columns, so those are probed too).
        let bare = matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_));
        if !bare || !matches!(stmt, Statement::Query(_)) {
            let _ = expr.visit(&mut v);
        }
    }
    v.0
}

/// Unquoted identifiers fold to lower case, as in PostgreSQL.
fn ident_name(i: &ast::Ident) -> String {
    if i.quote_style.is_some() {
        i.value.clone()
    } else {
        i.value.to_lowercase()
    }
}

/// PostgreSQL's FigureColname: (name, strength); strength 0 means `?column?`.
fn expr_name(e: &Expr) -> (String, u8) {
    match e {
        Expr::Identifier(i) => (ident_name(i), 2),
        Expr::CompoundIdentifier(parts) => parts.last().map_or(("?column?".into(), 0), |i| (ident_name(i), 2)),
        Expr::Nested(inner) => expr_name(inner),
        Expr::Function(f) => {
            let name = f.name.0.last().map(|p| p.to_string().to_lowercase()).unwrap_or_default();
            (name.trim_matches('"').to_owned(), 2)
        }
        Expr::Cast { expr, data_type, .. } => {
            let (name, strength) = expr_name(expr);
            if strength <= 1 {
                let ty = types::by_name(&data_type.to_string())
                    .map(|t| t.name.to_owned())
                    .unwrap_or_else(|| data_type.to_string().to_lowercase());
                (ty, 1)
            } else {
                (name, strength)
            }
        }
        // The ELSE branch names a CASE when it names itself strongly (a column, a function).
        Expr::Case { else_result, .. } => match else_result.as_deref().map(expr_name) {
            Some((name, 2)) => (name, 2),
            _ => ("case".into(), 1),
        },
        Expr::Exists { .. } => ("exists".into(), 2),
        Expr::Array(_) => ("array".into(), 2),
        Expr::Subquery(q) => query_columns(&Env::default(), q)
            .and_then(|c| c.first().map(|c| (c.name.clone(), 2)))
            .unwrap_or(("?column?".into(), 0)),
        _ => ("?column?".into(), 0),
    }
}

pub(super) fn args(f: &ast::Function) -> Vec<&Expr> {
    match &f.args {
        FunctionArguments::List(list) => list
            .args
            .iter()
            .filter_map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                FunctionArg::Named { arg: FunctionArgExpr::Expr(e), .. } => Some(e),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The type PostgreSQL gives an expression, where the expression alone decides it.
pub fn expr_type(e: &Expr) -> Option<Oid> {
    expr_type_in(&Env::default(), e)
}

/// The type PostgreSQL gives an expression, given known column and parameter types.
pub fn expr_type_in(env: &Env, e: &Expr) -> Option<Oid> {
    use types::*;
    Some(match e {
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => *env.columns.get(&column_key(e))?,
        Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => number_type(n),
            ast::Value::Boolean(_) => BOOL.oid,
            ast::Value::Null => TEXT.oid,
            ast::Value::Placeholder(p) => {
                let n: usize = p.strip_prefix('$')?.parse().ok()?;
                env.params.get(n.checked_sub(1)?).copied().filter(|t| *t != 0 && *t != TEXT.oid)?
            }
            _ => TEXT.oid,
        },
        Expr::Nested(inner) => return expr_type_in(env, inner),
        Expr::Array(a) => by_oid(common_type(a.elem.iter().map(|e| input_type(env, e)))?)?.array()?.oid,
        // PostgreSQL 14+: extract returns numeric.
        Expr::Extract { .. } => NUMERIC.oid,
        Expr::Cast { data_type, .. } => types::by_name(&data_type.to_string())?.oid,
        Expr::TypedString(t) => types::by_name(&t.data_type.to_string())?.oid,
        Expr::Interval(_) => INTERVAL.oid,
        // Comparisons, AND/OR/NOT, IS, IN, BETWEEN, LIKE, EXISTS: the predicates IRIS knows too.
        e if super::iris::booleans::is_predicate(e) => BOOL.oid,
        // PostgreSQL folds the signs into a number literal before typing it: -9223372036854775808
        // is int8, - -9223372036854775808 numeric.
        Expr::UnaryOp { .. } if super::ast_util::signed_number(e).is_some() => {
            number_type(&super::ast_util::signed_number(e)?)
        }
        Expr::UnaryOp { op: UnaryOperator::Minus | UnaryOperator::Plus, expr } => return expr_type_in(env, expr),
        Expr::BinaryOp { left, op, right } => match op {
            BinaryOperator::StringConcat => TEXT.oid,
            BinaryOperator::Plus | BinaryOperator::Minus if date_arithmetic(env, left, op, right).is_some() => {
                date_arithmetic(env, left, op, right)?
            }
            BinaryOperator::Plus | BinaryOperator::Minus | BinaryOperator::Multiply | BinaryOperator::Divide
                if interval_arithmetic(env, left, op, right).is_some() =>
            {
                interval_arithmetic(env, left, op, right)?
            }
            BinaryOperator::Plus
            | BinaryOperator::Minus
            | BinaryOperator::Multiply
            | BinaryOperator::Divide
            | BinaryOperator::Modulo => numeric_result(expr_type_in(env, left)?, expr_type_in(env, right)?)?,
            // json -> / #> keep the document's type; ->> / #>> give text.
            BinaryOperator::Arrow | BinaryOperator::HashArrow => {
                expr_type_in(env, left).filter(|t| *t == JSON.oid || *t == JSONB.oid)?
            }
            BinaryOperator::LongArrow | BinaryOperator::HashLongArrow => TEXT.oid,
            // pgvector's distances.
            BinaryOperator::LtDashGt | BinaryOperator::Spaceship => types::FLOAT8.oid,
            BinaryOperator::Custom(o) if o == "<#>" => types::FLOAT8.oid,
            _ => return None,
        },
        Expr::Function(f) => function_type(env, f)?,
        // A scalar subquery is its one column.
        Expr::Subquery(q) => query_columns(env, q)?.first()?.type_oid?,
        Expr::Case { conditions, else_result, .. } => {
            common_type(conditions.iter().map(|c| &c.result).chain(else_result.as_deref()).map(|e| input_type(env, e)))?
        }
        _ => return None,
    })
}

/// A number literal's type: int4, int8 when it needs 64 bits, else numeric.
fn number_type(n: &str) -> Oid {
    use types::*;
    if n.parse::<i32>().is_ok() {
        INT4.oid
    } else if n.parse::<i64>().is_ok() {
        INT8.oid
    } else {
        NUMERIC.oid
    }
}

/// date ± integer is a date, date - date an integer (days); an operand of unknown type
/// beside a date is taken as the integer PostgreSQL would resolve it to.
fn date_arithmetic(env: &Env, left: &Expr, op: &BinaryOperator, right: &Expr) -> Option<Oid> {
    use types::*;
    let (l, r) = (expr_type_in(env, left), expr_type_in(env, right));
    let date = |t: Option<Oid>| t == Some(DATE.oid);
    let days = |t: Option<Oid>| t.is_none_or(|t| t == INT2.oid || t == INT4.oid || t == INT8.oid);
    let minus = matches!(op, BinaryOperator::Minus);
    match () {
        _ if date(l) && date(r) && minus => Some(INT4.oid),
        _ if date(l) && days(r) => Some(DATE.oid),
        _ if !minus && days(l) && date(r) => Some(DATE.oid),
        _ => None,
    }
}

/// interval ± interval, timestamp/timestamptz/date ± interval, interval × or ÷ a number.
fn interval_arithmetic(env: &Env, left: &Expr, op: &BinaryOperator, right: &Expr) -> Option<Oid> {
    use types::*;
    let (l, r) = (expr_type_in(env, left), expr_type_in(env, right));
    let iv = |t: Option<Oid>| t == Some(INTERVAL.oid);
    let stamp = |t: Option<Oid>| match t {
        Some(t) if t == DATE.oid => Some(TIMESTAMP.oid),
        Some(t) if t == TIMESTAMP.oid || t == TIMESTAMPTZ.oid => Some(t),
        _ => None,
    };
    let number = |t: Option<Oid>| t.is_some_and(|t| numeric_result(t, t).is_some());
    match op {
        BinaryOperator::Plus | BinaryOperator::Minus if iv(l) && iv(r) => Some(INTERVAL.oid),
        BinaryOperator::Plus | BinaryOperator::Minus if iv(r) => stamp(l),
        BinaryOperator::Plus if iv(l) => stamp(r),
        BinaryOperator::Multiply if (iv(l) && number(r)) || (number(l) && iv(r)) => Some(INTERVAL.oid),
        BinaryOperator::Divide if iv(l) && number(r) => Some(INTERVAL.oid),
        _ => None,
    }
}

/// int4 op int4 = int4, wider integers widen, anything with numeric or float follows it.
fn numeric_result(a: Oid, b: Oid) -> Option<Oid> {
    use types::*;
    let rank = |t: Oid| match t {
        t if t == INT2.oid => Some(1),
        t if t == INT4.oid => Some(2),
        t if t == INT8.oid => Some(3),
        t if t == NUMERIC.oid => Some(4),
        t if t == FLOAT4.oid || t == FLOAT8.oid => Some(5),
        _ => None,
    };
    let r = rank(a)?.max(rank(b)?);
    Some(match r {
        1 | 2 => INT4.oid,
        3 => INT8.oid,
        4 => NUMERIC.oid,
        _ => FLOAT8.oid,
    })
}

fn function_type(env: &Env, f: &ast::Function) -> Option<Oid> {
    use types::*;
    let name = f.name.0.last()?.to_string().to_lowercase();
    let a = args(f);
    let first = || a.first().and_then(|e| expr_type_in(env, e));
    Some(match name.trim_matches('"') {
        "count" => INT8.oid,
        "pg_typeof" => REGTYPE.oid,
        "now" | "current_timestamp" | "transaction_timestamp" | "statement_timestamp" | "clock_timestamp" => {
            TIMESTAMPTZ.oid
        }
        "current_date" => DATE.oid,
        "localtimestamp" => TIMESTAMP.oid,
        "random" => FLOAT8.oid,
        "length" | "char_length" | "character_length" | "octet_length" | "position" | "strpos" => INT4.oid,
        "lower" | "upper" | "concat" | "concat_ws" | "substring" | "substr" | "replace" | "trim" | "btrim"
        | "ltrim" | "rtrim" | "left" | "right" | "lpad" | "rpad" | "repeat" | "reverse" | "initcap" | "string_agg"
        | "version" | "current_schema" | "current_database" | "current_user" | "session_user" | "current_setting"
        | "set_config" | "md5" | "to_char" => TEXT.oid,
        "gen_random_uuid" => UUID.oid,
        "regexp_replace" | "array_to_string" => TEXT.oid,
        "regexp_match" | "regexp_matches" | "string_to_array" => TEXT_ARRAY.oid,
        "avg" => match first() {
            Some(t) if t == FLOAT4.oid || t == FLOAT8.oid => FLOAT8.oid,
            _ => NUMERIC.oid,
        },
        "sum" => match first() {
            Some(t) if t == INT2.oid || t == INT4.oid => INT8.oid,
            Some(t) if t == FLOAT4.oid || t == FLOAT8.oid => FLOAT8.oid,
            Some(_) => NUMERIC.oid,
            None => return None,
        },
        "min" | "max" | "abs" => first()?,
        "coalesce" | "greatest" | "least" => common_type(a.iter().map(|e| input_type(env, e)))?,
        // NULLIF is its first argument (an unknown literal: text).
        "nullif" => common_type(a.first().map(|e| input_type(env, e)))?,
        "round" | "trunc" | "ceil" | "ceiling" | "floor" => match first() {
            Some(t) if t == FLOAT8.oid => FLOAT8.oid,
            Some(_) if name == "round" || name == "trunc" => NUMERIC.oid,
            other => other?,
        },
        "pg_backend_pid" => INT4.oid,
        "pg_cancel_backend" | "pg_terminate_backend" => BOOL.oid,
        // In a select list (srf_projection.rs): rows of the series / the array's elements.
        "generate_series" => first()?,
        "unnest" => by_oid(first()?)?.element()?.oid,
        "bool_and" | "bool_or" | "every" | "jsonb_path_match" | "jsonb_path_exists" => BOOL.oid,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;

    fn cols(sql: &str) -> Vec<(String, Option<Oid>)> {
        let stmt = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap().remove(0);
        projection(&stmt).unwrap().into_iter().map(|c| (c.name, c.type_oid)).collect()
    }

    #[test]
    fn names_and_types_like_postgres() {
        use types::*;
        assert_eq!(
            cols("select 1, 'a', 2.5, true, count(*), x, T.Y, 1::bigint, a::text, now() as ts"),
            vec![
                ("?column?".into(), Some(INT4.oid)),
                ("?column?".into(), Some(TEXT.oid)),
                ("?column?".into(), Some(NUMERIC.oid)),
                ("?column?".into(), Some(BOOL.oid)),
                ("count".into(), Some(INT8.oid)),
                ("x".into(), None),
                ("y".into(), None),
                ("int8".into(), Some(INT8.oid)),
                ("a".into(), Some(TEXT.oid)),
                ("ts".into(), Some(TIMESTAMPTZ.oid)),
            ]
        );
        assert_eq!(
            cols("select (select count(*) from t), (select max(x) from t) as m"),
            vec![("count".into(), Some(INT8.oid)), ("m".into(), None)]
        );
        assert_eq!(
            cols("select 1 + 2, 1 + 2.0, 3000000000, 'a' || 'b', 1 = 1"),
            vec![
                ("?column?".into(), Some(INT4.oid)),
                ("?column?".into(), Some(NUMERIC.oid)),
                ("?column?".into(), Some(INT8.oid)),
                ("?column?".into(), Some(TEXT.oid)),
                ("?column?".into(), Some(BOOL.oid)),
            ]
        );
    }

    #[test]
    fn constructs_take_the_common_type() {
        use types::*;
        let t = |sql: &str| cols(sql).into_iter().map(|(_, t)| t).collect::<Vec<_>>();
        assert_eq!(
            t("select case when $1::numeric is null then 0 else $1::numeric end, case when x then 'a' else 'b' end"),
            vec![Some(NUMERIC.oid), Some(TEXT.oid)]
        );
        assert_eq!(
            t("select coalesce(null, 1, 2.5), greatest(1, 2.5::float8), nullif('a', 'b'), case when x then null else 1 end"),
            vec![Some(NUMERIC.oid), Some(FLOAT8.oid), Some(TEXT.oid), Some(INT4.oid)]
        );
        assert_eq!(t("select 1 union select 2.5 union select null"), vec![Some(NUMERIC.oid)]);
        assert_eq!(t("select null union select 1"), vec![Some(INT4.oid)]);
        assert_eq!(t("values (1, 'a'), (2.5, null)"), vec![Some(NUMERIC.oid), Some(TEXT.oid)]);
        assert_eq!(t("select array[1, 2.5]"), vec![Some(NUMERIC_ARRAY.oid)]);
        assert_eq!(cols("select * from (values (1), (2.5)) v(x)"), vec![("x".into(), Some(NUMERIC.oid))]);
        // A column the SQL cannot type: the backend's description decides the UNION.
        assert_eq!(t("select x from t union select 2.5"), vec![None]);
    }

    #[test]
    fn wildcards_defer_to_the_backend() {
        let stmt = Parser::parse_sql(&PostgreSqlDialect {}, "select * from t").unwrap().remove(0);
        assert_eq!(projection(&stmt), None);
    }
}
