//! The SQLite target (stdlib sqlite3, SQLite 3.40+): the default backend for trying the gateway.
//!
//! SQLite already accepts most PostgreSQL syntax (RETURNING, ON CONFLICT, IS DISTINCT FROM,
//! `||`, LIMIT/OFFSET); this file rewrites the rest. Declared column types keep their
//! PostgreSQL names because the sqlite backend reports them back as PostgreSQL types.
//! SQLite is dynamically typed: casts follow SQLite's affinity rules (documented in
//! docs/translation.md), so this target is for development, not for exact numeric work.

pub mod datetime;
mod intervals;
pub mod schemas;
pub mod srf;
#[cfg(test)]
mod tests;

use sqlparser::ast::{
    self, BinaryOperator, ColumnOption, ColumnOptionDef, DataType, DateTimeField, Expr, IndexType, LimitClause,
    ObjectType, Query, SetExpr, Statement, TableConstraint, TrimWhereField, Value,
};
use sqlparser::tokenizer::Token;

use super::ast_util::*;
use super::common::{run, select_literals_as_text, Pass};
use super::derived_columns;
use super::pgtype::{bytea_hex, kind, user_type, PgKind};
use super::Output;
use crate::error::{sqlstate, PgError, PgResult};

pub fn translate(mut stmt: Statement) -> PgResult<Output> {
    let checks = schemas::qualify(&mut stmt);
    let mut out = translate_qualified(stmt)?;
    if !checks.is_empty() {
        out.statements.splice(0..0, checks);
    }
    Ok(out)
}

fn translate_qualified(mut stmt: Statement) -> PgResult<Output> {
    srf::set_returning_in_from(&mut stmt);
    srf::set_returning_in_select_lists(&mut stmt);
    run(&mut stmt, &mut SqlitePass)?;
    let returns_rows = match &stmt {
        Statement::Query(_) => true,
        Statement::Insert(i) => i.returning.is_some(),
        Statement::Update(u) => u.returning.is_some(),
        Statement::Delete(d) => d.returning.is_some(),
        _ => false,
    };
    match stmt {
        Statement::CreateTable(mut ct) => {
            let mut statements = create_table(&mut ct)?;
            statements.push(Statement::CreateTable(ct).to_string());
            Ok(Output::commands(statements))
        }
        Statement::Insert(mut ins) => {
            insert(&mut ins)?;
            default_items(ins, returns_rows)
        }
        Statement::Drop { object_type, if_exists, names, cascade, restrict: _, purge: _, temporary, table } => {
            drop(object_type, if_exists, names, cascade, temporary, table)
        }
        Statement::Truncate(t) => truncate(t),
        Statement::CreateIndex(mut ci) => {
            create_index(&mut ci)?;
            Ok(Output::one(Statement::CreateIndex(ci).to_string(), false))
        }
        Statement::AlterTable(at) if add_key(&at).is_some() => {
            let (index, table, columns) = add_key(&at).expect("matched");
            Ok(Output::one(format!("CREATE UNIQUE INDEX {index} ON {table} ({columns})"), false))
        }
        Statement::AlterTable(mut at) => {
            let mut statements = alter_table(&mut at)?;
            statements.push(Statement::AlterTable(at).to_string());
            Ok(Output::commands(statements))
        }
        Statement::Update(mut u) => {
            u.assignments.iter_mut().for_each(|a| exact_literal(&mut a.value));
            returning_without_alias(&mut u.returning, &u.table.relation);
            Ok(Output::one(Statement::Update(u).to_string(), returns_rows))
        }
        Statement::Delete(d) if d.using.is_some() => Err(refuse("DELETE .. USING", "use WHERE .. IN (SELECT ..)")),
        Statement::Delete(mut d) if d.returning.is_some() => {
            let (ast::FromTable::WithFromKeyword(from) | ast::FromTable::WithoutKeyword(from)) = &d.from;
            if let Some(t) = from.first().map(|t| t.relation.clone()) {
                returning_without_alias(&mut d.returning, &t);
            }
            Ok(Output::one(Statement::Delete(d).to_string(), returns_rows))
        }
        Statement::Query(mut q) => {
            exact_output_literals(&mut q);
            Ok(Output::one(Statement::Query(q).to_string(), returns_rows))
        }
        s @ (Statement::Delete(_)
        | Statement::CreateView(_)
        | Statement::Savepoint { .. }
        | Statement::ReleaseSavepoint { .. }
        | Statement::Rollback { .. }
        | Statement::Explain { .. }) => Ok(Output::one(s.to_string(), returns_rows)),
        Statement::CreateSchema { schema_name, if_not_exists, .. } => {
            schemas::create_schema(&schema_name, if_not_exists)
        }
        Statement::Comment { object_type, object_name, comment, .. } => comment_on(object_type, object_name, comment),
        other => Err(refuse(
            &format!("statement `{}`", super::statements::utility::tag(&other).render(0)),
            "see docs/translation.md",
        )),
    }
}

struct SqlitePass;

impl Pass for SqlitePass {
    fn pre_expr(&mut self, e: &mut Expr) {
        jsonb_containment(e);
        jsonb_path_match(e);
        datetime::date_arithmetic(e);
        intervals::interval_ops(e);
        // ARRAY[a, b] (psycopg2 sends list parameters so): arrays are stored as their
        // PostgreSQL text, which the backend's pg_array builds from the elements.
        if let Expr::Array(a) = e {
            *e = func("pg_array", std::mem::take(&mut a.elem));
        }
    }

    fn expr(&mut self, e: &mut Expr) -> PgResult<()> {
        if let Some(new) = rewrite_expr(e)? {
            *e = new;
        }
        Ok(())
    }

    fn query(&mut self, q: &mut Query) -> PgResult<()> {
        derived_columns::move_aliases(q, Some(derived_columns::sqlite_values_column))?;
        limits(q)?;
        nulls_order(q);
        select_literals_as_text(q, &|ty| ty == "NUMERIC");
        quote_aliases(q);
        // Row locks: SQLite locks the whole database for writers, so FOR UPDATE adds nothing.
        q.locks.clear();
        Ok(())
    }
}

/// `a @> b` / `a <@ b` where an operand is cast to json or jsonb (Django's JSONField
/// `contains` sends `col @> '{..}'::jsonb`): the backend's `pg_jsonb_contains`, with
/// PostgreSQL's containment rules. Seen before the operands are translated, while the
/// cast still says jsonb; array containment stays refused.
fn jsonb_containment(e: &mut Expr) {
    let Expr::BinaryOp { left, op: op @ (BinaryOperator::AtArrow | BinaryOperator::ArrowAt), right } = e else {
        return;
    };
    let is_json =
        |x: &Expr| matches!(x, Expr::Cast { data_type, .. } if matches!(kind(data_type), PgKind::Json | PgKind::Jsonb));
    if !is_json(left) && !is_json(right) {
        return;
    }
    let (container, contained) = match op {
        BinaryOperator::AtArrow => (take(left), take(right)),
        _ => (take(right), take(left)),
    };
    *e = func("pg_jsonb_contains", vec![container, contained]);
}

/// `jsonb_path_match(target, path [, vars])` (LangChain's PGVector metadata filters): the
/// backend's `pg_jsonb_path_match`, which evaluates PostgreSQL's jsonpath predicates. The
/// path's `::jsonpath` cast, a type SQLite lacks, is dropped first (the function parses it).
fn jsonb_path_match(e: &mut Expr) {
    let Expr::Function(f) = e else { return };
    let is_match = f.name.0.last().is_some_and(|p| p.to_string().eq_ignore_ascii_case("jsonb_path_match"))
        && (f.name.0.len() == 1 || f.name.0.first().is_some_and(|p| p.to_string().eq_ignore_ascii_case("pg_catalog")));
    let ast::FunctionArguments::List(list) = &mut f.args else { return };
    if !is_match || !(2..=3).contains(&list.args.len()) {
        return;
    }
    if let Some(ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(path))) = list.args.get_mut(1) {
        if let Expr::Cast { expr, data_type, .. } = path {
            if data_type.to_string().trim_matches('"').eq_ignore_ascii_case("jsonpath") {
                *path = take(expr);
            }
        }
    }
    f.name = name("pg_jsonb_path_match");
}

/// Select-list aliases quoted (in PostgreSQL's lower case): SQLite reserves words
/// PostgreSQL lets an alias be (`SELECT $1::timestamptz AS when`, node-postgres's tests).
fn quote_aliases(q: &mut Query) {
    let SetExpr::Select(select) = q.body.as_mut() else {
        return;
    };
    for item in &mut select.projection {
        if let ast::SelectItem::ExprWithAlias { alias, .. } = item {
            if alias.quote_style.is_none() {
                alias.value = alias.value.to_lowercase();
                alias.quote_style = Some('"');
            }
        }
    }
}

/// PostgreSQL sorts NULLs as larger than any value (last ascending, first descending);
/// SQLite the opposite. Say it explicitly where the client did not.
fn nulls_order(q: &mut Query) {
    let Some(order_by) = q.order_by.as_mut() else {
        return;
    };
    let ast::OrderByKind::Expressions(exprs) = &mut order_by.kind else {
        return;
    };
    for e in exprs {
        if e.options.nulls_first.is_none() {
            e.options.nulls_first = Some(matches!(e.options.sort, Some(ast::OrderBySort::Desc)));
        }
    }
}

/// LIMIT ALL, OFFSET without LIMIT and FETCH FIRST in SQLite's LIMIT/OFFSET syntax.
fn limits(q: &mut Query) -> PgResult<()> {
    if let Some(fetch) = q.fetch.take() {
        if fetch.with_ties || fetch.percent {
            return Err(refuse("FETCH FIRST .. WITH TIES / PERCENT", "use LIMIT"));
        }
        let n = fetch.quantity.unwrap_or_else(|| num(1));
        match &mut q.limit_clause {
            Some(LimitClause::LimitOffset { limit, .. }) => *limit = Some(n),
            _ => q.limit_clause = Some(LimitClause::LimitOffset { limit: Some(n), offset: None, limit_by: vec![] }),
        }
    }
    if let Some(LimitClause::LimitOffset { limit, offset, .. }) = &mut q.limit_clause {
        if limit.is_none() && offset.is_some() {
            *limit = Some(num(-1));
        }
        if let Some(o) = offset {
            o.rows = ast::OffsetRows::None;
        }
    }
    Ok(())
}

fn rewrite_expr(e: &mut Expr) -> PgResult<Option<Expr>> {
    Ok(Some(match e {
        Expr::Cast { expr, data_type, .. } => cast_to(take(expr), data_type)?,
        Expr::TypedString(ts) => {
            let s = match &ts.value.value {
                Value::SingleQuotedString(s) => s.clone(),
                other => other.to_string(),
            };
            cast_to(string(s), &ts.data_type)?
        }
        // Intervals are stored and compared as their canonical text (datetime_literals.rs).
        Expr::Interval(iv) => match string_literal(&iv.value) {
            Some(s) => string(super::datetime_literals::interval_text(s, iv.leading_field.as_ref())?),
            None => return Err(refuse("INTERVAL of an expression", "write a string literal or cast a parameter")),
        },
        Expr::ILike { negated, expr, pattern, escape_char, .. } => Expr::Like {
            negated: *negated,
            any: false,
            expr: Box::new(func("lower", vec![take(expr)])),
            pattern: Box::new(func("lower", vec![take(pattern)])),
            escape_char: Some(escape_char.take().unwrap_or_else(|| Box::new(string("\\")))),
        },
        Expr::BinaryOp {
            op:
                op @ (BinaryOperator::PGRegexMatch
                | BinaryOperator::PGRegexIMatch
                | BinaryOperator::PGRegexNotMatch
                | BinaryOperator::PGRegexNotIMatch),
            left,
            right,
        } => {
            let flags =
                if matches!(op, BinaryOperator::PGRegexIMatch | BinaryOperator::PGRegexNotIMatch) { "i" } else { "" };
            let matched = func("pg_regex", vec![take(left), take(right), string(flags)]);
            if matches!(op, BinaryOperator::PGRegexNotMatch | BinaryOperator::PGRegexNotIMatch) {
                Expr::UnaryOp { op: ast::UnaryOperator::Not, expr: Box::new(nested(matched)) }
            } else {
                matched
            }
        }
        // pgvector's distances, computed by the backend's functions (no index serves them).
        Expr::BinaryOp { op: BinaryOperator::Custom(op), left, right } if op == "<#>" => {
            func("pg_vector_negative_inner_product", vec![take(left), take(right)])
        }
        Expr::BinaryOp { op: BinaryOperator::Custom(op), .. } => {
            return Err(refuse(&format!("operator {op}"), "see docs/translation.md"))
        }
        Expr::BinaryOp { op: BinaryOperator::LtDashGt, left, right } => {
            func("pg_vector_l2_distance", vec![take(left), take(right)])
        }
        Expr::BinaryOp { op: BinaryOperator::Spaceship, left, right } => {
            func("pg_vector_cosine_distance", vec![take(left), take(right)])
        }
        Expr::BinaryOp { op: BinaryOperator::PGExp, left, right } => func("pow", vec![take(left), take(right)]),
        // SQLite has -> and ->> (with PostgreSQL's meaning for keys and indexes), not #> / #>>.
        Expr::BinaryOp { op: op @ (BinaryOperator::HashArrow | BinaryOperator::HashLongArrow), left, right } => {
            let as_text = matches!(op, BinaryOperator::HashLongArrow);
            func("pg_json_path", vec![take(left), take(right), num(as_text as u8)])
        }
        Expr::BinaryOp { op: BinaryOperator::Divide | BinaryOperator::Modulo, right, .. } => {
            **right = checked_divisor(take(right));
            return Ok(None);
        }
        Expr::Extract { field, expr, .. } => extract(field, take(expr))?,
        e @ (Expr::Substring { .. } | Expr::Position { .. } | Expr::Trim { trim_characters: None, .. }) => {
            string_function(e).expect("matched a string form")
        }
        Expr::Collate { collation, .. } => {
            let c = collation.to_string().trim_matches('"').to_ascii_uppercase();
            if c == "C" || c == "POSIX" {
                *collation = name("BINARY");
                return Ok(None);
            }
            return Err(refuse(&format!("COLLATE {collation}"), "SQLite offers BINARY (\"C\") only"));
        }
        Expr::Function(f) => match function(f)? {
            Some(new) => new,
            None => return Ok(None),
        },
        // -NaN is NaN; SQLite reads the text 'NaN' (sqlite has no NaN value) as 0 in arithmetic.
        Expr::UnaryOp { op: ast::UnaryOperator::Minus, expr } if is_nan(expr) => take(expr),
        _ => return Ok(None),
    }))
}

/// A NaN as the translation writes it: the text 'NaN', bare or cast (`'NaN'::numeric`).
fn is_nan(e: &Expr) -> bool {
    match e {
        Expr::Nested(inner) => is_nan(inner),
        Expr::Cast { expr, data_type: DataType::Custom(t, _), .. }
            if matches!(t.to_string().as_str(), "NUMERIC" | "REAL") =>
        {
            is_nan(expr)
        }
        _ => string_literal(e).is_some_and(|s| s.trim().eq_ignore_ascii_case("nan")),
    }
}

/// Division by zero is 22012 in PostgreSQL, NULL in SQLite: the backend's pg_divisor
/// raises it. Nonzero number literals need no check.
fn checked_divisor(e: Expr) -> Expr {
    if is_nonzero_number(&e) {
        e
    } else {
        func("pg_divisor", vec![e])
    }
}

fn is_nonzero_number(e: &Expr) -> bool {
    match e {
        Expr::Value(_) => number_literal(e).and_then(|n| n.parse::<f64>().ok()).is_some_and(|x| x != 0.0),
        Expr::Nested(inner) | Expr::UnaryOp { expr: inner, .. } => is_nonzero_number(inner),
        _ => false,
    }
}

/// CAST for SQLite expressions: type names chosen for SQLite's affinity rules.
fn cast_to(e: Expr, ty: &DataType) -> PgResult<Expr> {
    let k = kind(ty);
    let plain = |t: &str| Ok(cast(e.clone(), DataType::Custom(name(t), vec![])));
    if let Some(s) = string_literal(&e) {
        // Stored and compared as the text parameters arrive in (sqlite_datetime.rs).
        if let Some(text) = super::datetime_literals::sqlite_text(s, &k)? {
            return Ok(cast(string(text), DataType::Custom(name("TEXT"), vec![])));
        }
        if matches!(k, PgKind::Float4 | PgKind::Float8) {
            if let Some(special) = float_special(s) {
                return Ok(special);
            }
        }
        if let Some(n) = super::pgtype::checked_number_literal(s, &k)? {
            return Ok(num(n));
        }
    }
    // `x::numeric::text`: numeric_out's text of the exact value (a REAL would lose digits and scale).
    if matches!(k, PgKind::Text | PgKind::Varchar(None)) {
        match &e {
            Expr::Function(f) if func_name(f).as_deref() == Some("pg_numeric") => {
                let mut f = f.clone();
                f.name = name("pg_numeric_text");
                return Ok(Expr::Function(f));
            }
            Expr::Cast { expr, data_type: DataType::Custom(t, _), .. }
                if t.to_string() == "NUMERIC" && string_literal(expr).is_some() =>
            {
                return Ok(func("pg_numeric_text", vec![(**expr).clone()]));
            }
            _ => {}
        }
    }
    match k {
        PgKind::Bool => match string_literal(&e) {
            Some(s) => Ok(Expr::Value(Value::Boolean(parse_bool(s)?).into())),
            None => Ok(parse_expr(&format!(
                "CASE WHEN ({e}) IS NULL THEN NULL WHEN lower({e}) IN ('t', 'true', 'y', 'yes', 'on', '1') THEN 1 \
                 WHEN lower({e}) IN ('f', 'false', 'n', 'no', 'off', '0') THEN 0 END"
            ))),
        },
        PgKind::Int2 | PgKind::Int4 | PgKind::Int8 | PgKind::Serial(_) => plain("INTEGER"),
        // Exact digits for parameters (a REAL keeps 15): the backend's pg_numeric gives
        // integers and plain values as numbers, others as numeric text. (A string literal
        // alone in a select list becomes its text: select_literals_as_text.)
        PgKind::Numeric(_) if placeholder(&e).is_some() => Ok(func("pg_numeric", vec![e])),
        PgKind::Numeric(_) => plain("NUMERIC"),
        // A parameter may be 'NaN' text (sqlite stores a NaN REAL as NULL), which CAST reads as 0.
        PgKind::Float4 | PgKind::Float8 if placeholder(&e).is_some() => Ok(func("pg_float", vec![e])),
        PgKind::Float4 | PgKind::Float8 => plain("REAL"),
        PgKind::Text
        | PgKind::Varchar(None)
        | PgKind::Char(None)
        | PgKind::Uuid
        | PgKind::Json
        | PgKind::Jsonb
        | PgKind::Time
        | PgKind::TimeTz
        | PgKind::Timestamp
        | PgKind::TimestampTz
        | PgKind::Vector(_) => plain("TEXT"),
        PgKind::Other(n) if n == "name" => plain("TEXT"),
        PgKind::Varchar(Some(n)) => {
            Ok(func("substr", vec![cast(e, DataType::Custom(name("TEXT"), vec![])), num(1), num(n)]))
        }
        PgKind::Char(Some(n)) => Ok(func("printf", vec![string(format!("%-{n}.{n}s")), e])),
        // A parameter may be a date SQLite's date() does not read (it gives NULL for
        // 'infinity', BC and years past 9999, and takes '2024-02-30' as March 1st): the
        // backend's pg_date reads it as PostgreSQL does.
        PgKind::Date if placeholder(&e).is_some() => Ok(func("pg_date", vec![e])),
        PgKind::Date => Ok(func("date", vec![e])),
        PgKind::Bytea => match string_literal(&e) {
            Some(s) if s.starts_with("\\x") => {
                let hex = bytea_hex(s)?.unwrap_or_default();
                Ok(Expr::Value(Value::HexStringLiteral(hex.to_string()).into()))
            }
            Some(s) if s.contains('\\') => {
                Err(refuse("bytea escape format literals", "write bytea literals as '\\x..' hex"))
            }
            _ => plain("BLOB"),
        },
        // A literal is its canonical text, a parameter arrives as it (param_text).
        PgKind::Interval => match string_literal(&e) {
            Some(s) => Ok(string(super::datetime_literals::interval_text(s, None)?)),
            None if placeholder(&e).is_some() => plain("TEXT"),
            None => Err(refuse("casts to interval of an expression", "cast a literal or a parameter")),
        },
        // A parameter cast to an array type (SQLAlchemy casts every INSERT parameter) arrives
        // as PostgreSQL array text, which is how array columns are stored; so does a literal
        // (client-side binding, e.g. Django's: '{1,2}'::integer[]).
        // psycopg's client-side literals carry a cast of their own ('{1}'::int2[]::integer[]).
        PgKind::Array => array_text(e).ok_or_else(|| refuse("array types", "pass the elements as separate parameters")),
        PgKind::Other(_) if user_type(&k).is_some() => {
            let (schema, type_name) = user_type(&k).expect("matched");
            Ok(func("pgw_enum_in", vec![e, string(schema), string(type_name)]))
        }
        PgKind::Other(n) => Err(refuse(&format!("cast to type {n}"), "cast to a standard SQL type")),
    }
}

/// 'NaN' / 'Infinity' / '-Infinity' cast to a float: SQLite's CAST reads them as 0. A NaN
/// is kept as the text 'NaN' (how NaN parameters reach sqlite, which stores a NaN REAL as
/// NULL); the infinities are the REALs SQLite makes of an overflowing literal.
fn float_special(s: &str) -> Option<Expr> {
    match s.trim().to_ascii_lowercase().as_str() {
        "nan" => Some(string("NaN")),
        "infinity" | "+infinity" | "inf" | "+inf" => Some(parse_expr("9e999")),
        "-infinity" | "-inf" => Some(parse_expr("-9e999")),
        _ => None,
    }
}

/// A parameter or string literal, under any number of parentheses and casts to array
/// types (Django's bulk_create: `UNNEST((%s)::integer[], ..)`).
fn array_text(e: Expr) -> Option<Expr> {
    match e {
        Expr::Value(ref v)
            if matches!(
                v.value,
                Value::Placeholder(_) | Value::SingleQuotedString(_) | Value::EscapedStringLiteral(_)
            ) =>
        {
            Some(e)
        }
        Expr::Cast { expr, data_type, .. } if matches!(kind(&data_type), PgKind::Array) => array_text(*expr),
        Expr::Nested(inner) => array_text(*inner),
        // ARRAY[..], already the backend's pg_array (SqlitePass::pre_expr).
        Expr::Function(ref f) if f.name.to_string() == "pg_array" => Some(e),
        _ => None,
    }
}

pub fn parse_bool(s: &str) -> PgResult<bool> {
    let t = s.trim().to_ascii_lowercase();
    let ok = |p: &[&str]| p.iter().any(|w| !t.is_empty() && w.starts_with(t.as_str()));
    match t.as_str() {
        "1" => Ok(true),
        "0" => Ok(false),
        "o" => Err(bad_bool(s)),
        _ if ok(&["true", "yes", "on"]) && !ok(&["false", "no", "off"]) => Ok(true),
        _ if ok(&["false", "no", "off"]) => Ok(false),
        _ => Err(bad_bool(s)),
    }
}

fn bad_bool(s: &str) -> PgError {
    PgError::new(sqlstate::INVALID_TEXT_REPRESENTATION, format!("invalid input syntax for type boolean: \"{s}\""))
}

fn extract(field: &DateTimeField, e: Expr) -> PgResult<Expr> {
    let part =
        |fmt: &str| cast(func("strftime", vec![string(fmt), e.clone()]), DataType::Custom(name("INTEGER"), vec![]));
    Ok(match field {
        DateTimeField::Year => part("%Y"),
        DateTimeField::Month => part("%m"),
        DateTimeField::Day => part("%d"),
        DateTimeField::Hour => part("%H"),
        DateTimeField::Minute => part("%M"),
        DateTimeField::Dow => part("%w"),
        DateTimeField::Doy => part("%j"),
        DateTimeField::Second => cast(func("strftime", vec![string("%f"), e]), DataType::Custom(name("REAL"), vec![])),
        DateTimeField::Epoch => parse_expr(&format!("((julianday({e}) - 2440587.5) * 86400.0)")),
        DateTimeField::Quarter => parse_expr(&format!("((CAST(strftime('%m', {e}) AS INTEGER) + 2) / 3)")),
        other => {
            return Err(refuse(
                &format!("EXTRACT({other})"),
                "extract YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, DOW, DOY, EPOCH or QUARTER",
            ))
        }
    })
}

/// Function calls SQLite lacks or spells differently; None keeps the call as written.
fn function(f: &mut ast::Function) -> PgResult<Option<Expr>> {
    let Some(fname) = func_name(f) else {
        return Ok(None);
    };
    // SQLite sums in floating point (and overflows on large integers); the backend's
    // pg_sum / pg_avg are exact and scale results like PostgreSQL. Window uses keep
    // SQLite's own (a Python aggregate cannot be a window function).
    if matches!(fname.as_str(), "sum" | "avg") && f.over.is_none() {
        f.name = name(if fname == "sum" { "pg_sum" } else { "pg_avg" });
        return Ok(None);
    }
    let args = plain_args(f);
    let simple = is_plain_call(f);
    Ok(Some(match (fname.as_str(), args) {
        ("now" | "current_timestamp" | "localtimestamp" | "transaction_timestamp" | "statement_timestamp"
        | "clock_timestamp", Some(_)) => keyword_func("CURRENT_TIMESTAMP"),
        ("current_date", Some(a)) if a.is_empty() => keyword_func("CURRENT_DATE"),
        ("current_time" | "localtime", Some(_)) => keyword_func("CURRENT_TIME"),
        ("random", Some(a)) if a.is_empty() => parse_expr("((random() / 18446744073709551616.0) + 0.5)"),
        ("gen_random_uuid" | "uuid_generate_v4", Some(a)) if a.is_empty() => parse_expr(
            "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' \
             || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))",
        ),
        ("string_agg", Some(a)) if a.len() == 2 => {
            let mut g = func("group_concat", a);
            if let (Expr::Function(nf), Some(filter)) = (&mut g, f.filter.take()) {
                nf.filter = Some(filter);
            }
            if f.over.is_some() {
                return Err(refuse("string_agg() OVER (..)", "aggregate in a subquery"));
            }
            g
        }
        ("string_agg", _) => return Err(refuse("string_agg with DISTINCT or ORDER BY", "order the rows in a subquery")),
        ("concat", Some(a)) if simple => concat(a),
        ("char_length" | "character_length", Some(a)) if simple && a.len() == 1 => func("length", a),
        ("octet_length", Some(a)) if simple && a.len() == 1 => {
            func("length", vec![cast(a.into_iter().next().unwrap_or_else(null), DataType::Custom(name("BLOB"), vec![]))])
        }
        ("strpos", Some(a)) if simple && a.len() == 2 => func("instr", a),
        ("greatest" | "least", Some(a)) if simple && !a.is_empty() => extreme(&fname, a),
        ("mod", Some(a)) if simple && a.len() == 2 => {
            let mut it = a.into_iter();
            let (x, y) = (it.next().unwrap_or_else(null), it.next().unwrap_or_else(null));
            Expr::Nested(Box::new(binop(nested(x), BinaryOperator::Modulo, checked_divisor(nested(y)))))
        }
        ("date_trunc", Some(a)) if simple && a.len() == 2 => date_trunc(&a[0], a[1].clone())?,
        ("nextval" | "currval" | "setval" | "lastval", _) => {
            return Err(refuse("sequences", "use an INTEGER PRIMARY KEY column (SERIAL) instead"))
        }
        // Arrays are PostgreSQL array text here; Python's `re` runs the regular expressions
        // (python/iris_pgwire/backends/sqlite_functions.py).
        ("array_to_string", Some(a)) if simple && (2..=3).contains(&a.len()) => func("pg_array_to_string", a),
        ("string_to_array", Some(a)) if simple && (2..=3).contains(&a.len()) => func("pg_string_to_array", a),
        ("regexp_replace", Some(a)) if simple && (3..=4).contains(&a.len()) => func("pg_regexp_replace", a),
        ("regexp_match" | "regexp_matches", Some(a)) if simple && (2..=3).contains(&a.len()) => {
            if a.get(2).and_then(string_literal).is_some_and(|f| f.contains('g')) {
                return Err(refuse(
                    "regexp_matches(.., 'g') outside a select list",
                    "call it in the select list (one row per match)",
                ));
            }
            func("pg_regexp_match", a)
        }
        ("array_agg" | "unnest" | "array_length", _) => {
            return Err(refuse(&format!("{fname}() (arrays)"), "aggregate with string_agg() or in the client"))
        }
        _ => return Ok(None),
    }))
}

/// concat(): NULL arguments count as empty strings.
pub fn concat(args: Vec<Expr>) -> Expr {
    let mut parts =
        args.into_iter().map(|a| func("COALESCE", vec![cast(a, DataType::Custom(name("TEXT"), vec![])), string("")]));
    let first = parts.next().unwrap_or_else(|| string(""));
    Expr::Nested(Box::new(parts.fold(first, |acc, p| binop(acc, BinaryOperator::StringConcat, p))))
}

/// greatest()/least() ignore NULLs in PostgreSQL; SQLite's max()/min() return NULL on any NULL.
/// Each argument is coalesced with the others, so only non-NULL values compete.
fn extreme(fname: &str, args: Vec<Expr>) -> Expr {
    if args.len() == 1 {
        return args.into_iter().next().unwrap_or_else(null);
    }
    let f = if fname == "greatest" { "max" } else { "min" };
    let rotated = (0..args.len())
        .map(|i| {
            let mut v: Vec<Expr> = args[i..].to_vec();
            v.extend_from_slice(&args[..i]);
            func("coalesce", v)
        })
        .collect();
    func(f, rotated)
}

fn date_trunc(field: &Expr, e: Expr) -> PgResult<Expr> {
    let fmt = match string_literal(field).map(|s| s.to_ascii_lowercase()) {
        Some(f) => match f.as_str() {
            "year" => "%Y-01-01 00:00:00",
            "month" => "%Y-%m-01 00:00:00",
            "day" => "%Y-%m-%d 00:00:00",
            "hour" => "%Y-%m-%d %H:00:00",
            "minute" => "%Y-%m-%d %H:%M:00",
            "second" => "%Y-%m-%d %H:%M:%S",
            _ => {
                return Err(refuse(
                    &format!("date_trunc('{f}', ..)"),
                    "truncate to year, month, day, hour, minute or second",
                ))
            }
        },
        None => return Err(refuse("date_trunc with a non-literal field", "write the field as a string literal")),
    };
    Ok(func("strftime", vec![string(fmt), e]))
}

/// Returns the guards that run before it (the enum types of its columns exist).
fn create_table(ct: &mut ast::CreateTable) -> PgResult<Vec<String>> {
    strip_public(&mut ct.name);
    ct.unlogged = false;
    // Storage parameters (WITH (fillfactor = ..)) tune PostgreSQL's heap; results are unaffected.
    if matches!(ct.table_options, ast::CreateTableOptions::With(_)) {
        ct.table_options = ast::CreateTableOptions::None;
    }
    if ct.on_commit.is_some() {
        return Err(refuse("CREATE TABLE .. ON COMMIT", "drop the temporary table explicitly"));
    }
    // Columns named by a table-level PRIMARY KEY (single column).
    let mut table_pk: Option<String> = None;
    let mut pk_columns: Vec<String> = Vec::new();
    for c in &ct.constraints {
        if let TableConstraint::PrimaryKey(pk) = c {
            pk_columns.extend(pk.columns.iter().map(|c| match &c.column.expr {
                Expr::Identifier(i) => i.value.to_ascii_lowercase(),
                e => e.to_string().to_ascii_lowercase(),
            }));
            if pk.columns.len() == 1 {
                // `PRIMARY KEY ("id")` (TypeORM, Sequelize quote every name) names column id.
                table_pk = Some(match &pk.columns[0].column.expr {
                    Expr::Identifier(i) => i.value.to_ascii_lowercase(),
                    e => e.to_string().to_ascii_lowercase(),
                });
            }
        }
    }
    let mut pk_moved_inline = false;
    let mut guards = Vec::new();
    for col in &mut ct.columns {
        let k = kind(&col.data_type);
        let identity = is_identity(&col.options);
        if matches!(k, PgKind::Serial(_)) || identity {
            let inline_pk = col.options.iter().any(|o| matches!(o.option, ColumnOption::PrimaryKey(_)));
            let named_pk = table_pk.as_deref() == Some(col.name.value.to_ascii_lowercase().as_str());
            if !inline_pk && !named_pk {
                return Err(refuse(
                    &format!("SERIAL/IDENTITY column \"{}\" that is not the primary key", col.name.value),
                    "SQLite only auto-numbers the INTEGER PRIMARY KEY: declare the column PRIMARY KEY",
                ));
            }
            pk_moved_inline |= named_pk;
            col.data_type = DataType::Custom(name("INTEGER"), vec![]);
            col.options.retain(|o| {
                !matches!(
                    o.option,
                    ColumnOption::PrimaryKey(_) | ColumnOption::Generated { .. } | ColumnOption::NotNull
                )
            });
            col.options.insert(
                0,
                ColumnOptionDef {
                    name: None,
                    option: ColumnOption::DialectSpecific(vec![
                        Token::make_keyword("PRIMARY"),
                        Token::make_keyword("KEY"),
                        Token::make_keyword("AUTOINCREMENT"),
                    ]),
                },
            );
            continue;
        }
        let in_pk = col.options.iter().any(|o| matches!(o.option, ColumnOption::PrimaryKey(_)))
            || pk_columns.contains(&col.name.value.to_ascii_lowercase());
        if in_pk {
            // A key column is NOT NULL in PostgreSQL; SQLite lets a key hold NULL, and turns
            // an `INTEGER PRIMARY KEY` into the rowid, which numbers a NULL instead of
            // refusing it (23502). `INT` is the same type without the rowid alias.
            if !col.options.iter().any(|o| matches!(o.option, ColumnOption::NotNull)) {
                col.options.push(ColumnOptionDef { name: None, option: ColumnOption::NotNull });
            }
            if matches!(col.data_type, DataType::Integer(_)) {
                col.data_type = DataType::Int(None);
            }
        }
        guards.extend(convert_column(col, &k)?);
    }
    if pk_moved_inline {
        ct.constraints.retain(|c| !matches!(c, TableConstraint::PrimaryKey(_)));
    }
    Ok(guards)
}

/// Declared type and options of a column that is not auto-numbered; the guard an enum
/// column needs first (its type exists).
fn convert_column(col: &mut ast::ColumnDef, k: &PgKind) -> PgResult<Option<String>> {
    if let Some((schema, type_name)) = user_type(k) {
        return Ok(Some(enum_column(col, &schema, &type_name)));
    }
    col.data_type = column_type(&col.data_type, k)?;
    column_options(&mut col.options)?;
    if let PgKind::Numeric(mods) = k {
        let (p, s) = mods.map_or((0, 0), |(p, s)| (p, s.unwrap_or(0)));
        col.options.push(numeric_check(&col.name, p, s));
    }
    let integer = match k {
        PgKind::Int2 => Some("smallint"),
        PgKind::Int4 => Some("integer"),
        PgKind::Int8 => Some("bigint"),
        _ => None,
    };
    if let Some(type_name) = integer {
        col.options.push(integer_check(&col.name, type_name));
    }
    Ok(None)
}

/// A column of an enum type: declared as the type's name (which the backend's describe and
/// catalog resolve to the enum), labels checked by `pgw_enum` (22P02 for others), compared
/// and ordered by the type's declaration order through its collation (`pgw_enum:<type>`,
/// which the backend registers). Returns the guard that the type exists (42704).
fn enum_column(col: &mut ast::ColumnDef, schema: &str, type_name: &str) -> String {
    let key = crate::types::enums::key(schema, type_name);
    col.data_type = DataType::Custom(ast::ObjectName::from(vec![ast::Ident::with_quote('"', key.clone())]), vec![]);
    col.options.retain(|o| !matches!(o.option, ColumnOption::Collation(_)));
    col.options.insert(
        0,
        ColumnOptionDef {
            name: None,
            option: ColumnOption::Collation(ast::ObjectName::from(vec![ast::Ident::with_quote(
                '"',
                format!("pgw_enum:{key}"),
            )])),
        },
    );
    let valid = func("pgw_enum", vec![Expr::Identifier(col.name.clone()), string(schema), string(type_name)]);
    col.options.push(ColumnOptionDef {
        name: None,
        option: ColumnOption::Check(ast::CheckConstraint {
            name: None,
            expr: Box::new(valid),
            no_inherit: false,
            enforced: None,
        }),
    });
    let quoted = |s: &str| format!("'{}'", s.replace('\'', "''"));
    format!(
        "SELECT pgw_check(EXISTS (SELECT 1 FROM pgwire_enum WHERE type_schema = {} AND type_name = {}), '42704', {})",
        quoted(schema),
        quoted(type_name),
        quoted(&format!("type \"{type_name}\" does not exist"))
    )
}

/// Integer columns hold integers: text INTEGER affinity cannot convert (`''`, `'abc'` in
/// a literal) is refused instead of being stored; the backend reports the named
/// constraint's failure as PostgreSQL's 22P02 (`invalid input syntax for type bigint`).
fn integer_check(col: &ast::Ident, type_name: &str) -> ColumnOptionDef {
    ColumnOptionDef {
        name: Some(ident(&format!("pgw_integer_input_{}", type_name))),
        option: ColumnOption::Check(ast::CheckConstraint {
            name: None,
            expr: Box::new(parse_expr(&format!("typeof({col}) NOT IN ('text', 'blob')"))),
            no_inherit: false,
            enforced: None,
        }),
    }
}

/// Numeric columns hold numbers (text that is none raises 22P02 in the backend's
/// `pg_numeric_fits`), and numeric(p,s) those that round to an absolute value below
/// 10^(p-s): the constraint's name lets the backend report its failure as
/// PostgreSQL's 22003 "numeric field overflow". p = 0: unconstrained numeric.
fn numeric_check(col: &ast::Ident, p: u64, s: u64) -> ColumnOptionDef {
    let fits = func("pg_numeric_fits", vec![Expr::Identifier(col.clone()), num(p), num(s)]);
    ColumnOptionDef {
        name: Some(ident(&format!("pgw_numeric_overflow_{p}_{s}"))),
        option: ColumnOption::Check(ast::CheckConstraint {
            name: None,
            expr: Box::new(fits),
            no_inherit: false,
            enforced: None,
        }),
    }
}

/// `(p)` of `time(p)`, `timestamp(p) with time zone` and the like, or nothing.
fn precision(ty: &DataType) -> String {
    let text = ty.to_string();
    match text.split_once('(').and_then(|(_, rest)| rest.split_once(')')) {
        Some((p, _)) if !p.is_empty() && p.trim().bytes().all(|b| b.is_ascii_digit()) => format!("({})", p.trim()),
        _ => String::new(),
    }
}

/// Declared types keep their PostgreSQL names where SQLite can parse them and its
/// affinity rules keep the values; numeric becomes exact text (NUMERIC_TEXT).
fn column_type(ty: &DataType, k: &PgKind) -> PgResult<DataType> {
    let custom = |s: String| DataType::Custom(name(&s), vec![]);
    Ok(match k {
        // Stored as PostgreSQL array text ('{1,2}'); SQLite reports a quoted type name
        // "int4[]" back without its quotes, so the column reads as an array type again.
        PgKind::Array => match crate::types::by_name(&ty.to_string()).and_then(|t| t.element()) {
            Some(elem) => {
                let text = ty.to_string();
                let mods = text.find('(').and_then(|i| text[i..].find(')').map(|j| &text[i..=i + j])).unwrap_or("");
                let quoted = ast::Ident::with_quote('"', format!("{}{mods}[]", elem.name));
                DataType::Custom(ast::ObjectName::from(vec![quoted]), vec![])
            }
            None => return Err(refuse(&format!("array type {ty}"), "use an array of a standard type")),
        },
        // With the precision, which the column reports and its values are rounded to on
        // the way out (types::encode_typmod).
        PgKind::TimestampTz => custom(format!("TIMESTAMPTZ{}", precision(ty))),
        PgKind::Timestamp => custom(format!("TIMESTAMP{}", precision(ty))),
        PgKind::TimeTz => custom(format!("TIMETZ{}", precision(ty))),
        PgKind::Time => custom(format!("TIME{}", precision(ty))),
        PgKind::Varchar(Some(n)) => custom(format!("VARCHAR({n})")),
        PgKind::Varchar(None) => custom("VARCHAR".into()),
        PgKind::Char(Some(n)) => custom(format!("CHAR({n})")),
        PgKind::Float8 => custom("DOUBLE PRECISION".into()),
        // NUMERIC affinity would keep 15 significant digits (REAL): store the exact
        // text instead, ordered and compared as numbers by the backend's collation.
        PgKind::Numeric(mods) => {
            let mods = match mods {
                Some((p, Some(s))) => format!("({p},{s})"),
                Some((p, None)) => format!("({p})"),
                None => String::new(),
            };
            custom(format!("NUMERIC_TEXT{mods} COLLATE pg_numeric"))
        }
        // A type the gateway has no codec for (ranges, inet, a user's type): SQLite would
        // take any name, and the column would read back as whatever its affinity suggests
        // (numeric for `datemultirange`, int8 for `int4range`).
        PgKind::Other(n) if crate::types::by_name(n).is_none() => {
            return Err(refuse(&format!("column type {n}"), "use one of the types in docs/types.md"))
        }
        _ => ty.clone(),
    })
}

fn column_options(options: &mut [ColumnOptionDef]) -> PgResult<()> {
    for o in options.iter_mut() {
        if let ColumnOption::Default(e) = &mut o.option {
            if let Expr::Function(f) = e {
                if let Some(n) = func_name(f) {
                    if n == "nextval" {
                        return Err(refuse("DEFAULT nextval(..)", "declare the column SERIAL PRIMARY KEY"));
                    }
                }
                if matches!(f.args, ast::FunctionArguments::None) {
                    continue; // CURRENT_TIMESTAMP and friends are allowed bare
                }
            }
            // SQLite requires parentheses around any DEFAULT that is not a literal.
            if !matches!(e, Expr::Value(_))
                && !matches!(e, Expr::UnaryOp { expr, .. } if matches!(expr.as_ref(), Expr::Value(_)))
            {
                *e = Expr::Nested(Box::new(std::mem::replace(e, null())));
            }
        }
    }
    Ok(())
}

fn insert(ins: &mut ast::Insert) -> PgResult<()> {
    if let ast::TableObject::TableName(n) = &mut ins.table {
        strip_public(n);
    }
    if ins.overriding.is_some() {
        return Err(refuse("INSERT .. OVERRIDING", "insert the identity value directly"));
    }
    if let Some(SetExpr::Values(v)) = ins.source.as_deref_mut().map(|q| q.body.as_mut()) {
        v.rows.iter_mut().flat_map(|row| row.content.iter_mut()).for_each(exact_literal);
    }
    // `INSERT .. SELECT .. ON CONFLICT` is ambiguous in SQLite's grammar without a WHERE.
    if ins.on.is_some() {
        if let Some(src) = &mut ins.source {
            if let SetExpr::Select(s) = src.body.as_mut() {
                if s.selection.is_none() {
                    s.selection = Some(Expr::Value(Value::Boolean(true).into()));
                }
            }
        }
    }
    Ok(())
}

/// SQLite has no DEFAULT keyword inside VALUES: a column defaulted in every row is left
/// out of the column list; rows that default different columns are inserted one at a
/// time (RETURNING then reads them back by rowid, as on IRIS).
fn default_items(mut ins: ast::Insert, returns_rows: bool) -> PgResult<Output> {
    use super::dml::{is_default, per_row, returning_rows, value_rows, RowIds};
    let rows = value_rows(&ins).filter(|rows| rows.iter().flatten().any(is_default));
    let Some(rows) = rows else { return Ok(Output::one(Statement::Insert(ins).to_string(), returns_rows)) };
    if ins.on.is_some() {
        return Err(refuse("DEFAULT in VALUES with ON CONFLICT", "leave the defaulted columns out of the column list"));
    }
    let pattern = |r: &Vec<Expr>| r.iter().map(is_default).collect::<Vec<_>>();
    let first = pattern(&rows[0]);
    if rows.len() == 1 || (rows.iter().all(|r| pattern(r) == first) && first.contains(&false)) {
        // One statement: the defaulted columns dropped from the list and from every row.
        let mut all = super::dml::one_row(&ins, rows[0].clone())?;
        if let (Some(SetExpr::Values(v)), Some(q)) =
            (all.source.as_deref_mut().map(|q| q.body.as_mut()), ins.source.as_ref())
        {
            if let SetExpr::Values(given) = q.body.as_ref() {
                v.rows = given.rows.clone();
                v.rows.iter_mut().for_each(|r| r.content.retain(|e| !is_default(e)));
            }
        }
        return Ok(Output::one(Statement::Insert(all).to_string(), returns_rows));
    }
    match ins.returning.take() {
        Some(items) => returning_rows(&ins, rows, &items, &RowIds { row_id: "rowid", last: "last_insert_rowid()" }),
        None => Ok(Output::summed(per_row(&ins, rows)?)),
    }
}

/// A number literal stored into a column (INSERT VALUES, UPDATE SET) is written as a
/// string when SQLite would read it as REAL and lose digits (more than 15, or trailing
/// zeros such as 1.50): column affinity then stores the exact text in NUMERIC_TEXT
/// columns and converts it as before for INTEGER and REAL ones. Elsewhere literals
/// stay numbers: SQLite orders every number before every string.
fn exact_literal(e: &mut Expr) {
    if let Some(text) = signed_number(e).filter(|t| t.parse::<i64>().is_err()) {
        *e = string(text);
    }
}

/// The same for number literals the outermost SELECT only outputs (`select 9223372036854775808,
/// 1.50`): nothing compares them there, and the numeric column PostgreSQL types them as is
/// encoded from the exact text. Inner queries and set operations keep numbers (a string
/// compares above every number in SQLite).
fn exact_output_literals(q: &mut Query) {
    let SetExpr::Select(select) = q.body.as_mut() else {
        return;
    };
    for item in &mut select.projection {
        if let ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. } = item {
            if signed_number(e).is_some_and(|t| !t.contains(['e', 'E'])) {
                exact_literal(e);
            }
        }
    }
}

fn number_literal(e: &Expr) -> Option<&str> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => Some(n),
            _ => None,
        },
        _ => None,
    }
}

fn drop(
    object_type: ObjectType,
    if_exists: bool,
    names: Vec<ast::ObjectName>,
    cascade: bool,
    temporary: bool,
    table: Option<ast::ObjectName>,
) -> PgResult<Output> {
    let cascade_checked = cascade && matches!(object_type, ObjectType::Table | ObjectType::View);
    if cascade && !cascade_checked {
        return Err(refuse("DROP .. CASCADE", "drop the dependent objects first, then drop without CASCADE"));
    }
    if object_type == ObjectType::Schema {
        return schemas::drop_schema(&names, if_exists);
    }
    if !matches!(object_type, ObjectType::Table | ObjectType::View | ObjectType::Index) {
        return Err(refuse(
            &format!("DROP {object_type}"),
            "the sqlite backend has schemas, tables, views and indexes",
        ));
    }
    let _ = (temporary, table);
    let mut statements = Vec::new();
    for mut n in names {
        strip_public(&mut n);
        if cascade_checked {
            statements.push(nothing_depends_on(&n));
        }
        statements.push(format!("DROP {object_type} {}{n}", if if_exists { "IF EXISTS " } else { "" }));
    }
    Ok(Output::commands(statements))
}

/// `DROP TABLE|VIEW .. CASCADE` (dbt drops every relation so): exact when nothing depends
/// on the relation, which a statement run first checks: no view mentions its name, no
/// foreign key references it. SQLite cannot find and drop what does, so then 0A000.
fn nothing_depends_on(n: &ast::ObjectName) -> String {
    let stored =
        n.0.last().map(|p| p.as_ident().map_or_else(|| p.to_string(), |i| i.value.clone())).unwrap_or_default();
    let literal = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let word = regex::escape(&stored);
    let mention = format!("(^|[^A-Za-z0-9_$\".])(\"{word}\"|{word})($|[^A-Za-z0-9_$\"])");
    let name = literal(&stored);
    format!(
        "SELECT pgw_check(NOT EXISTS (SELECT 1 FROM sqlite_master m WHERE m.name <> {name} COLLATE NOCASE AND \
         ((m.type = 'view' AND pg_regex(m.sql, {}, 'i')) OR (m.type = 'table' AND EXISTS \
         (SELECT 1 FROM pragma_foreign_key_list(m.name) f WHERE f.\"table\" = {name} COLLATE NOCASE)))), '0A000', {})",
        literal(&mention),
        literal(&format!(
            "DROP .. CASCADE of \"{stored}\": other objects depend on it, which the sqlite backend cannot drop with it"
        )),
    )
}

fn truncate(t: ast::Truncate) -> PgResult<Output> {
    if matches!(t.cascade, Some(ast::CascadeOption::Cascade)) {
        return Err(refuse("TRUNCATE .. CASCADE", "truncate the referencing tables first"));
    }
    if matches!(t.identity, Some(ast::TruncateIdentityOption::Restart)) {
        return Err(refuse("TRUNCATE .. RESTART IDENTITY", "the sqlite backend keeps its AUTOINCREMENT counters"));
    }
    let statements = t
        .table_names
        .into_iter()
        .map(|mut target| {
            strip_public(&mut target.name);
            format!("DELETE FROM {}", target.name)
        })
        .collect();
    Ok(Output::commands(statements))
}

fn create_index(ci: &mut ast::CreateIndex) -> PgResult<()> {
    strip_public(&mut ci.table_name);
    ci.concurrently = false;
    match &ci.using {
        None | Some(IndexType::BTree) => ci.using = None,
        // pgvector's approximate indexes: a plain index on the column here (distances are
        // computed row by row; the index only keeps the DDL, its name and DROP INDEX working).
        Some(IndexType::Custom(m)) if ["hnsw", "ivfflat"].contains(&m.value.to_ascii_lowercase().as_str()) => {
            ci.using = None;
            ci.with.clear();
            for c in &mut ci.columns {
                let vector_ops = c.operator_class.as_ref().is_some_and(|o| {
                    let o = o.to_string().to_ascii_lowercase();
                    o.starts_with("vector_") && o.ends_with("_ops")
                });
                if !vector_ops {
                    return Err(refuse("this operator class", "use vector_l2_ops, vector_cosine_ops or vector_ip_ops"));
                }
                c.operator_class = None;
            }
        }
        // A GIN index over jsonb (LangChain's PGVector makes one on its metadata): a plain
        // index here too; containment and path matches are computed row by row anyway.
        Some(IndexType::GIN) => {
            ci.using = None;
            for c in &mut ci.columns {
                let jsonb_ops = c.operator_class.as_ref().is_none_or(|o| {
                    let o = o.to_string().to_ascii_lowercase();
                    o == "jsonb_ops" || o == "jsonb_path_ops"
                });
                if !jsonb_ops {
                    return Err(refuse("this GIN operator class", "use jsonb_ops or jsonb_path_ops"));
                }
                c.operator_class = None;
            }
        }
        Some(other) => return Err(refuse(&format!("index method {other}"), "SQLite has B-tree indexes only")),
    }
    if !ci.include.is_empty() || !ci.with.is_empty() || ci.nulls_distinct.is_some() {
        return Err(refuse("CREATE INDEX .. INCLUDE / WITH / NULLS DISTINCT", "create a plain index"));
    }
    for c in &mut ci.columns {
        if !drop_pattern_ops(c) {
            return Err(refuse("index operator classes", "create a plain index"));
        }
    }
    if ci.name.is_none() {
        // SQLite needs a name: PostgreSQL's `<table>_<columns>_idx` (pgvector examples omit it).
        let cols: Vec<String> =
            ci.columns.iter().map(|c| c.column.expr.to_string().trim_matches('"').to_string()).collect();
        let table = ci.table_name.0.last().map(|p| p.to_string()).unwrap_or_default();
        ci.name = Some(name(&format!("{}_{}_idx", table.trim_matches('"'), cols.join("_"))));
    }
    Ok(())
}

/// `ALTER TABLE t ADD [CONSTRAINT c] PRIMARY KEY (cols)` (pgbench -i) or `.. UNIQUE (cols)`
/// (Django's unique_together, Alembic's create_unique_constraint): SQLite cannot add a
/// constraint to a table, so the key becomes the unique index PostgreSQL would build (named
/// `t_pkey` / `t_cols_key`, or the constraint's name). A primary key's NOT NULL half is not
/// enforced; a DEFERRABLE or NULLS NOT DISTINCT unique key has no index form (refused).
/// Returns (index name, table, column list).
fn add_key(at: &ast::AlterTable) -> Option<(String, String, String)> {
    let [ast::AlterTableOperation::AddConstraint { constraint, .. }] = at.operations.as_slice() else {
        return None;
    };
    let mut name = at.name.clone();
    strip_public(&mut name);
    let relation = name.0.last().and_then(|p| p.as_ident()).map(|i| i.value.clone()).unwrap_or_default();
    let (given, columns, default) = match constraint {
        ast::TableConstraint::PrimaryKey(pk) => (&pk.name, &pk.columns, format!("{relation}_pkey")),
        ast::TableConstraint::Unique(u)
            if u.characteristics.is_none()
                && u.include.is_empty()
                && !matches!(u.nulls_distinct, ast::NullsDistinctOption::NotDistinct) =>
        {
            let names: Vec<String> = u.columns.iter().map(|c| c.to_string().trim_matches('"').to_string()).collect();
            (&u.name, &u.columns, format!("{relation}_{}_key", names.join("_")))
        }
        _ => return None,
    };
    let index = given.as_ref().map_or(default, |n| n.value.clone());
    let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
    Some((ast::Ident::with_quote('"', index).to_string(), name.to_string(), columns.join(", ")))
}

/// Returns the guards that run before it (an added enum column's type exists).
fn alter_table(at: &mut ast::AlterTable) -> PgResult<Vec<String>> {
    strip_public(&mut at.name);
    if at.operations.len() != 1 {
        return Err(refuse("ALTER TABLE with several actions", "run one ALTER TABLE per action"));
    }
    match &mut at.operations[0] {
        ast::AlterTableOperation::AddColumn { column_def, .. } => {
            let k = kind(&column_def.data_type);
            if matches!(k, PgKind::Serial(_)) {
                return Err(refuse("ADD COLUMN .. SERIAL", "SQLite cannot add an auto-numbered column"));
            }
            Ok(convert_column(column_def, &k)?.into_iter().collect())
        }
        // CASCADE (Django's RemoveField sends it): SQLite refuses to drop a column an index,
        // view or key uses, where PostgreSQL would drop those too; the error says which.
        ast::AlterTableOperation::DropColumn { drop_behavior, .. } => {
            *drop_behavior = None;
            Ok(vec![])
        }
        ast::AlterTableOperation::RenameColumn { .. } | ast::AlterTableOperation::RenameTable { .. } => Ok(vec![]),
        // SQLite cannot add a constraint; the backend writes it into the table's CREATE
        // statement and checks the existing rows (sqlite_alter.py). Django's
        // migrations add every ForeignKey this way.
        ast::AlterTableOperation::AddConstraint {
            constraint: ast::TableConstraint::ForeignKey(fk),
            not_valid: false,
        } => {
            strip_public(&mut fk.foreign_table);
            Ok(vec![])
        }
        // Also written into the table's CREATE statement by the backend: NOT NULL, and a
        // new type with the same (TEXT) storage (Django's contrib migrations widen varchars).
        ast::AlterTableOperation::AlterColumn {
            op: ast::AlterColumnOperation::DropNotNull | ast::AlterColumnOperation::SetNotNull,
            ..
        } => Ok(vec![]),
        ast::AlterTableOperation::AlterColumn {
            op: ast::AlterColumnOperation::SetDataType { data_type, using: None, had_set },
            ..
        } if matches!(kind(data_type), PgKind::Text | PgKind::Varchar(_)) => {
            *had_set = false;
            if matches!(kind(data_type), PgKind::Text) {
                *data_type = DataType::Custom(name("TEXT"), vec![]);
            }
            Ok(vec![])
        }
        other => Err(refuse(&format!("ALTER TABLE {other}"), "SQLite supports ADD/DROP/RENAME COLUMN and RENAME TO")),
    }
}

/// COMMENT ON TABLE / VIEW / COLUMN: SQLite has no comments; the backend keeps them in
/// its `pgwire_comment` table, which its catalog snapshot reads (src/catalog/).
fn comment_on(kind: ast::CommentObject, mut target: ast::ObjectName, comment: Option<String>) -> PgResult<Output> {
    strip_public(&mut target);
    let parts: Vec<String> = target.0.iter().map(|p| p.to_string().trim_matches('"').to_string()).collect();
    let (relation, column) = match (kind, parts.as_slice()) {
        (ast::CommentObject::Table | ast::CommentObject::View, [t]) => (t.clone(), String::new()),
        (ast::CommentObject::Column, [t, c]) => (t.clone(), c.clone()),
        (ast::CommentObject::Column, [_, t, c]) => (t.clone(), c.clone()),
        _ => return Err(refuse(&format!("COMMENT ON {kind} {target}"), "comment on tables, views and columns")),
    };
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let sql = match comment {
        Some(text) => format!(
            "INSERT OR REPLACE INTO pgwire_comment (relation, \"column\", comment) VALUES ({}, {}, {})",
            quote(&relation),
            quote(&column),
            quote(&text)
        ),
        None => format!(
            "DELETE FROM pgwire_comment WHERE relation = {} AND \"column\" = {}",
            quote(&relation),
            quote(&column)
        ),
    };
    Ok(Output::one(sql, false))
}

/// SQL-standard string forms as SQLite's functions: `SUBSTRING(a FROM b FOR c)` ->
/// `substr`, `POSITION(a IN b)` -> `instr`, `TRIM([LEADING|TRAILING] b FROM a)` ->
/// `ltrim`/`rtrim`/`trim`. None for any other expression. Also used by the catalog
/// translation, whose engine is SQLite too.
pub(super) fn string_function(e: &mut Expr) -> Option<Expr> {
    Some(match e {
        Expr::Substring { expr, substring_from, substring_for, .. } => {
            let mut args = vec![take(expr), substring_from.take().map(|b| *b).unwrap_or_else(|| num(1))];
            if let Some(f) = substring_for.take() {
                args.push(*f);
            }
            func("substr", args)
        }
        Expr::Position { expr, r#in } => func("instr", vec![take(r#in), take(expr)]),
        Expr::Trim { trim_where, trim_what, expr, trim_characters: None } => {
            let f = match trim_where {
                Some(TrimWhereField::Leading) => "ltrim",
                Some(TrimWhereField::Trailing) => "rtrim",
                _ => "trim",
            };
            let mut args = vec![take(expr)];
            if let Some(w) = trim_what.take() {
                args.push(*w);
            }
            func(f, args)
        }
        _ => return None,
    })
}

/// SQLite's RETURNING does not know the table's alias (`UPDATE t AS x .. RETURNING x.n`
/// is "no such column"): its columns can only be the modified table's, so the alias
/// qualifier goes (`x.*` becomes `*`).
fn returning_without_alias(returning: &mut Option<Vec<ast::SelectItem>>, table: &ast::TableFactor) {
    let (Some(items), ast::TableFactor::Table { alias: Some(alias), .. }) = (returning.as_mut(), table) else {
        return;
    };
    let alias = alias.name.value.clone();
    struct V<'a>(&'a str);
    impl ast::VisitorMut for V<'_> {
        type Break = ();
        fn post_visit_expr(&mut self, e: &mut Expr) -> std::ops::ControlFlow<()> {
            if let Expr::CompoundIdentifier(parts) = e {
                if parts.len() == 2 && parts[0].value == self.0 {
                    *e = Expr::Identifier(parts[1].clone());
                }
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    for item in items.iter_mut() {
        match item {
            ast::SelectItem::QualifiedWildcard(ast::SelectItemQualifiedWildcardKind::ObjectName(n), opts)
                if n.0.len() == 1 && n.0[0].as_ident().is_some_and(|i| i.value == alias) =>
            {
                *item = ast::SelectItem::Wildcard(opts.clone());
            }
            _ => {
                let _ = ast::VisitMut::visit(item, &mut V(&alias));
            }
        }
    }
}
