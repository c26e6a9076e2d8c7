//! IRIS casts and functions: `::`/CAST/typed literals to IRIS types, PostgreSQL functions
//! to IRIS equivalents, ILIKE and LIKE's default escape.
//!
//! Facts marked (verify) in docs/translation.md are confined to the small functions here
//! (`uuid_expr`, `random_expr`, `trunc_format`) so one place changes when a real IRIS
//! instance says otherwise.

use sqlparser::ast::{self, BinaryOperator, DataType, DateTimeField, Expr, Value};

use crate::error::PgResult;
use crate::translate::ast_util::*;
use crate::translate::pgtype::{bytea_hex, kind, PgKind};
use crate::translate::sqlite::parse_bool;
use crate::translate::IrisOptions;

/// Longest canonical interval text: `-178956970 years -8 mons -2147483648 days -2562047788:00:54.775808`.
pub const INTERVAL_TEXT_LENGTH: u32 = 80;

/// The IRIS type a PostgreSQL type is cast to (`None` for casts that need a function).
pub fn cast_type(k: &PgKind, opts: &IrisOptions) -> PgResult<DataType> {
    let t = |s: String| Ok(DataType::Custom(name(&s), vec![]));
    match k {
        PgKind::Bool => t("BIT".into()),
        PgKind::Int2 => t("SMALLINT".into()),
        PgKind::Int4 | PgKind::Serial("INTEGER") => t("INTEGER".into()),
        PgKind::Int8 | PgKind::Serial(_) => t("BIGINT".into()),
        PgKind::Numeric(Some((p, Some(s)))) => t(format!("NUMERIC({p},{s})")),
        PgKind::Numeric(Some((p, None))) => t(format!("NUMERIC({p},0)")),
        PgKind::Numeric(None) => t("NUMERIC(38,18)".into()),
        PgKind::Float4 => t("REAL".into()),
        PgKind::Float8 => t("DOUBLE".into()),
        PgKind::Text | PgKind::Varchar(None) | PgKind::Json | PgKind::Jsonb => {
            t(format!("VARCHAR({})", opts.default_varchar_length))
        }
        PgKind::Varchar(Some(n)) => t(format!("VARCHAR({n})")),
        PgKind::Char(Some(n)) => t(format!("CHAR({n})")),
        PgKind::Char(None) => t("CHAR(1)".into()),
        PgKind::Uuid => t("VARCHAR(36)".into()),
        PgKind::Bytea => t(format!("VARBINARY({})", opts.default_varchar_length)),
        PgKind::Date => t("DATE".into()),
        PgKind::Time => t("TIME".into()),
        PgKind::Timestamp => t("TIMESTAMP".into()),
        PgKind::TimestampTz => t("POSIXTIME".into()),
        PgKind::Other(n) if n == "name" => t("VARCHAR(64)".into()),
        PgKind::TimeTz => Err(refuse("time with time zone", "use time or timestamptz")),
        // IRIS has no interval type: the canonical PostgreSQL text (docs/translation.md).
        PgKind::Interval => t(format!("VARCHAR({INTERVAL_TEXT_LENGTH})")),
        PgKind::Array => Err(refuse("array types", "pass the elements as separate parameters")),
        PgKind::Vector(_) => Err(refuse("vector without a dimension", "write vector(n)")),
        PgKind::Other(n) => Err(refuse(&format!("type {n}"), "use a standard SQL type")),
    }
}

/// `'2000-01-01'::date = $1`: PostgreSQL types the marker date from the other side; IRIS
/// would compare the DATE with the parameter's ODBC text as it is (`58074` with
/// `'2000-01-01'`), so the marker gets that cast (`CAST(? AS DATE)`, which reads ODBC text).
/// Seen before the operands are translated, while the cast still says date, time,
/// timestamp or timestamptz.
pub fn type_marker_beside_datetime(e: &mut Expr) {
    let Expr::BinaryOp { left, op, right } = e else { return };
    use BinaryOperator as B;
    if !matches!(op, B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq) {
        return;
    }
    let datetime = |e: &Expr| {
        match e {
            Expr::Cast { data_type, .. } => Some(data_type.clone()),
            Expr::TypedString(ts) => Some(ts.data_type.clone()),
            _ => None,
        }
        .filter(|t| matches!(kind(t), PgKind::Date | PgKind::Time | PgKind::Timestamp | PgKind::TimestampTz))
    };
    let marker = |e: &Expr| matches!(e, Expr::Value(_)) && crate::translate::ast_util::placeholder(e).is_some();
    let (marker_side, ty) = match (datetime(left), datetime(right)) {
        (Some(t), None) if marker(right) => (right, t),
        (None, Some(t)) if marker(left) => (left, t),
        _ => return,
    };
    let bare = std::mem::replace(marker_side.as_mut(), string(""));
    **marker_side = cast(bare, ty);
}

/// CAST(e AS ty) for IRIS, folding literal booleans and vectors.
pub fn cast_to(e: Expr, ty: &DataType, opts: &IrisOptions) -> PgResult<Expr> {
    let k = kind(ty);
    match (&k, string_literal(&e)) {
        (PgKind::Bool, Some(s)) => return Ok(num(u8::from(parse_bool(s)?))),
        (PgKind::Int2 | PgKind::Int4 | PgKind::Int8 | PgKind::Float4 | PgKind::Float8, Some(s)) => {
            if let Some(n) = crate::translate::pgtype::checked_number_literal(s, &k)? {
                return Ok(num(n));
            }
            // IRIS SQL documents no NaN or infinity for DOUBLE (CAST('NaN' AS DOUBLE) would be
            // 0): refused rather than answered with a wrong number.
            if matches!(k, PgKind::Float4 | PgKind::Float8) && s.trim().parse::<f64>().is_ok_and(|f| !f.is_finite()) {
                return Err(refuse(
                    "NaN and infinite float values on IRIS",
                    "filter them out or map them in the client",
                ));
            }
        }
        (PgKind::Date | PgKind::Time | PgKind::Timestamp | PgKind::TimestampTz, Some(s)) => {
            if let Some(text) = crate::translate::datetime_literals::iris_text(s, &k)? {
                return Ok(cast(string(text), cast_type(&k, opts)?));
            }
        }
        (PgKind::Interval, Some(s)) => return Ok(string(crate::translate::datetime_literals::interval_text(s, None)?)),
        (PgKind::Interval, None) if placeholder(&e).is_none() => {
            return Err(refuse("casts to interval of an expression", "cast a literal or a parameter"))
        }
        (PgKind::Vector(n), _) => return Ok(super::vectors::to_vector(e, *n)),
        (PgKind::Uuid, _) => return Ok(func("LOWER", vec![cast(e, cast_type(&k, opts)?)])),
        (PgKind::Bytea, Some(s)) => {
            if let Some(hex) = bytea_hex(s)?.filter(|h| !h.is_empty()) {
                // IRIS has no binary literal; a string cast to VARBINARY is its characters,
                // so the bytes are written as CHAR(code) || .. (codes 0-255: one byte each).
                let chars = (0..hex.len())
                    .step_by(2)
                    .map(|i| func("CHAR", vec![num(u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or_default())]));
                let joined = chars
                    .reduce(|a, b| Expr::BinaryOp {
                        left: Box::new(a),
                        op: BinaryOperator::StringConcat,
                        right: Box::new(b),
                    })
                    .unwrap_or_else(|| string(""));
                return Ok(cast(joined, cast_type(&k, opts)?));
            }
        }
        _ => {}
    }
    Ok(cast(e, cast_type(&k, opts)?))
}

/// Rewrites of one expression node for IRIS; None keeps it.
pub fn rewrite(e: &mut Expr, opts: &IrisOptions) -> PgResult<Option<Expr>> {
    Ok(Some(match e {
        Expr::Cast { expr, data_type, .. } => cast_to(take(expr), data_type, opts)?,
        Expr::TypedString(ts) => {
            let s = match &ts.value.value {
                Value::SingleQuotedString(s) => s.clone(),
                other => other.to_string(),
            };
            cast_to(string(s), &ts.data_type, opts)?
        }
        Expr::Interval(iv) => match string_literal(&iv.value) {
            Some(s) => string(crate::translate::datetime_literals::interval_text(s, iv.leading_field.as_ref())?),
            None => return Err(refuse("INTERVAL of an expression", "write a string literal or cast a parameter")),
        },
        // PostgreSQL folds case with lower(); %SQLUPPER would also strip trailing blanks.
        Expr::ILike { negated, expr, pattern, escape_char, .. } => Expr::Like {
            negated: *negated,
            any: false,
            expr: Box::new(func("%EXACT", vec![func("LOWER", vec![take(expr)])])),
            pattern: Box::new(func("LOWER", vec![take(pattern)])),
            escape_char: Some(escape_char.take().unwrap_or_else(|| Box::new(string("\\")))),
        },
        Expr::BinaryOp { op: BinaryOperator::Custom(op), .. } => {
            return Err(refuse(&format!("operator {op}"), "see docs/translation.md"))
        }
        Expr::BinaryOp { op: BinaryOperator::PGExp, left, right } => func("POWER", vec![take(left), take(right)]),
        Expr::IsDistinctFrom(a, b) => distinct_from(take(a), take(b), false),
        Expr::IsNotDistinctFrom(a, b) => distinct_from(take(a), take(b), true),
        Expr::Extract { field, expr, .. } => extract(field, take(expr))?,
        Expr::Substring { expr, substring_from, substring_for, .. } => {
            let mut args = vec![take(expr), substring_from.take().map(|b| *b).unwrap_or_else(|| num(1))];
            if let Some(f) = substring_for.take() {
                args.push(*f);
            }
            func("SUBSTRING", args)
        }
        Expr::Trim { trim_characters: Some(_), .. } => {
            return Err(refuse("TRIM with several characters", "use TRIM(.. FROM ..)"))
        }
        Expr::Collate { .. } => {
            return Err(refuse("COLLATE", "IRIS collations differ; use %EXACT or %SQLUPPER explicitly"))
        }
        Expr::Function(f) => return function(f),
        _ => return Ok(None),
    }))
}

/// a IS [NOT] DISTINCT FROM b, spelled out because IRIS lacks the predicate.
fn distinct_from(a: Expr, b: Expr, not: bool) -> Expr {
    let sql = if not {
        format!("(({a}) = ({b}) OR (({a}) IS NULL AND ({b}) IS NULL))")
    } else {
        format!("((({a}) <> ({b}) OR ({a}) IS NULL OR ({b}) IS NULL) AND NOT (({a}) IS NULL AND ({b}) IS NULL))")
    };
    parse_expr(&sql)
}

fn extract(field: &DateTimeField, e: Expr) -> PgResult<Expr> {
    let f = |n: &str| func(n, vec![e.clone()]);
    Ok(match field {
        DateTimeField::Year => f("YEAR"),
        DateTimeField::Month => f("MONTH"),
        DateTimeField::Day => f("DAYOFMONTH"),
        DateTimeField::Hour => f("HOUR"),
        DateTimeField::Minute => f("MINUTE"),
        DateTimeField::Quarter => f("QUARTER"),
        DateTimeField::Doy => f("DAYOFYEAR"),
        // IRIS DAYOFWEEK counts Sunday as 1, PostgreSQL's dow as 0.
        DateTimeField::Dow => parse_expr(&format!("(DAYOFWEEK({e}) - 1)")),
        DateTimeField::Second => parse_expr(&format!("(SECOND({e}) + DATEPART('ms', {e}) / 1000.0)")),
        DateTimeField::Epoch => parse_expr(&format!("(DATEDIFF('ms', '1970-01-01 00:00:00', {e}) / 1000.0)")),
        other => {
            return Err(refuse(
                &format!("EXTRACT({other})"),
                "extract YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, QUARTER, DOW, DOY or EPOCH",
            ))
        }
    })
}

/// gen_random_uuid(): a version-4 GUID from IRIS, lower-cased like PostgreSQL prints it (verify).
fn uuid_expr() -> Expr {
    let mut guid = func("Util_CreateGUID", vec![]);
    if let Expr::Function(f) = &mut guid {
        f.name = ast::ObjectName::from(vec![ast::Ident::new("%SYSTEM"), ast::Ident::new("Util_CreateGUID")]);
    }
    func("LOWER", vec![guid])
}

/// random(): a double in [0, 1) (verify).
fn random_expr() -> Expr {
    parse_expr("RAND()")
}

/// TO_CHAR format that truncates a timestamp to `field` (verify).
fn trunc_format(field: &str) -> Option<&'static str> {
    Some(match field {
        "year" => "YYYY-01-01 00:00:00",
        "month" => "YYYY-MM-01 00:00:00",
        "day" => "YYYY-MM-DD 00:00:00",
        "hour" => "YYYY-MM-DD HH24:00:00",
        "minute" => "YYYY-MM-DD HH24:MI:00",
        "second" => "YYYY-MM-DD HH24:MI:SS",
        _ => return None,
    })
}

/// `agg(x) FILTER (WHERE p)` as `agg(CASE WHEN p THEN x END)`: the aggregates below skip
/// NULLs, so only rows where p holds count. IRIS has no FILTER clause.
fn filter_to_case(f: &mut ast::Function, fname: &str) -> PgResult<()> {
    let Some(filter) = f.filter.take() else { return Ok(()) };
    if !matches!(fname, "count" | "sum" | "avg" | "min" | "max" | "string_agg") || f.over.is_some() {
        return Err(refuse(&format!("{fname}() FILTER (WHERE ..)"), "use CASE WHEN inside the aggregate"));
    }
    let ast::FunctionArguments::List(list) = &mut f.args else {
        return Err(refuse("FILTER on this call", "use CASE WHEN inside the aggregate"));
    };
    let Some(first) = list.args.first_mut() else {
        return Err(refuse("FILTER on this call", "use CASE WHEN inside the aggregate"));
    };
    let value = match first {
        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard) => num(1),
        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => std::mem::replace(e, null()),
        _ => return Err(refuse("FILTER on this call", "use CASE WHEN inside the aggregate")),
    };
    let case = Expr::Case {
        case_token: ast::helpers::attached_token::AttachedToken::empty(),
        end_token: ast::helpers::attached_token::AttachedToken::empty(),
        operand: None,
        conditions: vec![ast::CaseWhen { condition: super::booleans::to_predicate(*filter), result: value }],
        else_result: None,
    };
    *first = ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(case));
    Ok(())
}

fn function(f: &mut ast::Function) -> PgResult<Option<Expr>> {
    let Some(fname) = func_name(f) else { return Ok(None) };
    filter_to_case(f, &fname)?;
    let args = plain_args(f);
    let simple = is_plain_call(f);
    Ok(Some(match (fname.as_str(), args) {
        (
            "now"
            | "current_timestamp"
            | "localtimestamp"
            | "transaction_timestamp"
            | "statement_timestamp"
            | "clock_timestamp",
            Some(_),
        ) => parse_expr("CURRENT_TIMESTAMP(6)"),
        ("current_date", Some(a)) if a.is_empty() => keyword_func("CURRENT_DATE"),
        ("current_time" | "localtime", Some(_)) => keyword_func("CURRENT_TIME"),
        ("random", Some(a)) if a.is_empty() => random_expr(),
        ("gen_random_uuid" | "uuid_generate_v4", Some(a)) if a.is_empty() => uuid_expr(),
        ("string_agg", Some(mut a)) if a.len() == 2 && f.over.is_none() && f.filter.is_none() => {
            let sep = a.pop().unwrap_or_else(null);
            let x = a.pop().unwrap_or_else(null);
            if string_literal(&sep) == Some(",") {
                func("LIST", vec![x])
            } else {
                func("$LISTTOSTRING", vec![func("%DLIST", vec![x]), sep])
            }
        }
        ("string_agg", _) => {
            return Err(refuse("string_agg with DISTINCT, ORDER BY, FILTER or OVER", "order the rows in a subquery"))
        }
        ("concat", Some(a)) if simple => {
            let mut parts = a.into_iter().map(|x| func("COALESCE", vec![x, string("")]));
            let first = parts.next().unwrap_or_else(|| string(""));
            Expr::Nested(Box::new(parts.fold(first, |acc, p| binop(acc, BinaryOperator::StringConcat, p))))
        }
        ("length" | "char_length" | "character_length", Some(a)) if simple && a.len() == 1 => func("CHAR_LENGTH", a),
        (
            "lower" | "upper" | "coalesce" | "nullif" | "abs" | "round" | "floor" | "ceiling" | "sqrt" | "power"
            | "replace" | "exp" | "sign",
            Some(a),
        ) if simple => func(&fname.to_ascii_uppercase(), a),
        ("ln", Some(a)) if simple => func("LOG", a),
        ("ceil", Some(a)) if simple => func("CEILING", a),
        ("strpos", Some(mut a)) if simple && a.len() == 2 => {
            let sub = a.pop().unwrap_or_else(null);
            let s = a.pop().unwrap_or_else(null);
            Expr::Position { expr: Box::new(sub), r#in: Box::new(s) }
        }
        ("mod", Some(a)) if simple && a.len() == 2 => func("MOD", a),
        ("greatest" | "least", Some(a)) if simple && !a.is_empty() => extreme(&fname, a),
        ("date_trunc", Some(a)) if simple && a.len() == 2 => {
            let field = string_literal(&a[0]).map(|s| s.to_ascii_lowercase());
            match field.as_deref().and_then(trunc_format) {
                Some(fmt) => {
                    cast(func("TO_CHAR", vec![a[1].clone(), string(fmt)]), DataType::Custom(name("TIMESTAMP"), vec![]))
                }
                None => {
                    return Err(refuse(
                        "date_trunc with this field",
                        "truncate to year, month, day, hour, minute or second",
                    ))
                }
            }
        }
        ("nextval" | "currval" | "setval" | "lastval", _) => {
            return Err(refuse("sequences", "use an IDENTITY column (SERIAL) and RETURNING"))
        }
        ("array_agg" | "unnest" | "array_length" | "array_to_string" | "string_to_array" | "generate_series", _) => {
            return Err(refuse(&format!("{fname}()"), "IRIS has no arrays or set-returning functions"))
        }
        ("regexp_replace" | "regexp_matches" | "regexp_match" | "regexp_split_to_table" | "similar_escape", _) => {
            return Err(refuse(&format!("{fname}() (regular expressions)"), "filter in the client"))
        }
        (
            "jsonb_path_match"
            | "jsonb_path_exists"
            | "jsonb_path_query"
            | "jsonb_path_query_first"
            | "jsonb_path_query_array",
            _,
        ) => {
            return Err(refuse(
                &format!("{fname}() (SQL/JSON path on a json column)"),
                "IRIS stores json as text and has no jsonpath functions: select the rows and filter their \
                 JSON in the client",
            ))
        }
        ("to_char" | "to_date" | "to_timestamp" | "age" | "date_part" | "justify_days" | "make_interval", _) => {
            return Err(refuse(&format!("{fname}()"), "its formats differ in IRIS; format in the client"))
        }
        _ => return Ok(None),
    }))
}

/// greatest()/least() skip NULLs in PostgreSQL: compare the non-NULL values only.
fn extreme(fname: &str, args: Vec<Expr>) -> Expr {
    if args.len() == 1 {
        return args.into_iter().next().unwrap_or_else(null);
    }
    // CASE chain over coalesced operands: every operand is replaced by some non-NULL value
    // when it is NULL, so the winner is the extreme of the non-NULL values.
    let cmp = if fname == "greatest" { ">=" } else { "<=" };
    let co: Vec<String> = (0..args.len())
        .map(|i| {
            let mut v: Vec<Expr> = args[i..].to_vec();
            v.extend_from_slice(&args[..i]);
            func("COALESCE", v).to_string()
        })
        .collect();
    let mut sql = String::from("CASE");
    for (i, a) in co.iter().enumerate().take(co.len() - 1) {
        let conds: Vec<String> =
            co.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, b)| format!("{a} {cmp} {b}")).collect();
        sql.push_str(&format!(" WHEN {} THEN {a}", conds.join(" AND ")));
    }
    sql.push_str(&format!(" ELSE {} END", co[co.len() - 1]));
    parse_expr(&sql)
}
