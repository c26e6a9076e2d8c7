//! PostgreSQL type names as the client wrote them, reduced to one canonical kind.
//!
//! sqlparser spells one PostgreSQL type many ways (`int4`, `integer`, `int`;
//! `timestamptz`, `timestamp with time zone`); the targets map kinds, not spellings.

use sqlparser::ast::{BinaryOperator, CharacterLength, DataType, ExactNumberInfo, Expr, TimezoneInfo};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgKind {
    Bool,
    Int2,
    Int4,
    Int8,
    /// serial / bigserial / smallserial: an integer filled from a sequence.
    Serial(&'static str),
    /// (precision, scale)
    Numeric(Option<(u64, Option<u64>)>),
    Float4,
    Float8,
    Text,
    Varchar(Option<u64>),
    Char(Option<u64>),
    Bytea,
    Date,
    Time,
    TimeTz,
    Timestamp,
    TimestampTz,
    Interval,
    Uuid,
    Json,
    Jsonb,
    /// pgvector `vector(n)`
    Vector(Option<u64>),
    Array,
    /// Anything else, by its lower-case name (`oid`, `regclass`, `money`, ...).
    Other(String),
}

pub fn kind(ty: &DataType) -> PgKind {
    use DataType as D;
    match ty {
        D::Bool | D::Boolean => PgKind::Bool,
        D::Int2(_) | D::SmallInt(_) => PgKind::Int2,
        D::Int(_) | D::Int4(_) | D::Integer(_) => PgKind::Int4,
        D::Int8(_) | D::BigInt(_) => PgKind::Int8,
        D::Numeric(info) | D::Decimal(info) | D::Dec(info) => PgKind::Numeric(match info {
            ExactNumberInfo::None => None,
            ExactNumberInfo::Precision(p) => Some((*p, None)),
            ExactNumberInfo::PrecisionAndScale(p, s) => Some((*p, Some(*s as u64))),
        }),
        D::Float4 | D::Real => PgKind::Float4,
        D::Float8 | D::DoublePrecision | D::Double(_) => PgKind::Float8,
        // PostgreSQL: float(1..24) is real, float(25..53) and bare float are double.
        D::Float(ExactNumberInfo::Precision(p)) if *p <= 24 => PgKind::Float4,
        D::Float(_) => PgKind::Float8,
        D::Text => PgKind::Text,
        D::Varchar(l) | D::CharacterVarying(l) | D::CharVarying(l) => PgKind::Varchar(length(l)),
        D::Char(l) | D::Character(l) => PgKind::Char(length(l)),
        D::Bytea => PgKind::Bytea,
        D::Date => PgKind::Date,
        D::Time(_, tz) => {
            if has_tz(tz) {
                PgKind::TimeTz
            } else {
                PgKind::Time
            }
        }
        D::Timestamp(_, tz) => {
            if has_tz(tz) {
                PgKind::TimestampTz
            } else {
                PgKind::Timestamp
            }
        }
        D::Interval { .. } => PgKind::Interval,
        D::Uuid => PgKind::Uuid,
        D::JSON => PgKind::Json,
        D::JSONB => PgKind::Jsonb,
        D::Array(_) => PgKind::Array,
        D::Custom(name, args) => {
            let n = custom_name(name);
            match n.as_str() {
                "serial" | "serial4" => PgKind::Serial("INTEGER"),
                "bigserial" | "serial8" => PgKind::Serial("BIGINT"),
                "smallserial" | "serial2" => PgKind::Serial("SMALLINT"),
                "vector" => PgKind::Vector(args.first().and_then(|a| a.to_string().parse().ok())),
                "timestamptz" => PgKind::TimestampTz,
                "timetz" => PgKind::TimeTz,
                "int2" => PgKind::Int2,
                "int4" => PgKind::Int4,
                "int8" => PgKind::Int8,
                "float4" => PgKind::Float4,
                "float8" => PgKind::Float8,
                "bool" => PgKind::Bool,
                "bpchar" => PgKind::Char(args.first().and_then(|a| a.to_string().parse().ok())),
                _ => PgKind::Other(n),
            }
        }
        other => PgKind::Other(other.to_string().to_ascii_lowercase()),
    }
}

/// A type name as one string: unquoted parts lower-cased, quoted ones as written,
/// `pg_catalog.` and `public.` dropped (`"public"."t_col_enum"` -> `t_col_enum`).
fn custom_name(name: &sqlparser::ast::ObjectName) -> String {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p.as_ident() {
            Some(i) if i.quote_style.is_some() => i.value.clone(),
            Some(i) => i.value.to_ascii_lowercase(),
            None => p.to_string().to_ascii_lowercase(),
        })
        .collect();
    match parts.as_slice() {
        [s, rest @ ..] if !rest.is_empty() && (s == "pg_catalog" || s == "public") => rest.join("."),
        _ => parts.join("."),
    }
}

/// PostgreSQL's built-in types the gateway has no codec for: a column or cast of one is
/// refused, where any other unknown name is a user type (an enum, or 42704).
const BUILTIN_WITHOUT_CODEC: &[&str] = &[
    "money",
    "inet",
    "cidr",
    "macaddr",
    "macaddr8",
    "point",
    "line",
    "lseg",
    "box",
    "path",
    "polygon",
    "circle",
    "bit",
    "varbit",
    "bit varying",
    "xml",
    "tsvector",
    "tsquery",
    "txid_snapshot",
    "pg_lsn",
    "pg_snapshot",
    "jsonpath",
    "regproc",
    "regprocedure",
    "regoper",
    "regoperator",
    "regconfig",
    "regdictionary",
    "regnamespace",
    "regrole",
    "regcollation",
    "xid",
    "xid8",
    "cid",
    "tid",
    "char",
    "int2vector",
    "oidvector",
    "aclitem",
    "record",
    "void",
    "cstring",
    "any",
    "anyelement",
    "anyarray",
    "anyenum",
    "trigger",
    "internal",
];

/// A type name that can only be a user-defined type (an enum, if the gateway has it):
/// (schema, name) for `status`, `public.status`, `s.status`; None for the built-in types,
/// those the gateway lacks included (ranges, inet, money, ..).
pub fn user_type(k: &PgKind) -> Option<(String, String)> {
    let PgKind::Other(n) = k else { return None };
    let builtin_lacking =
        BUILTIN_WITHOUT_CODEC.contains(&n.as_str()) || n.ends_with("range") || n.ends_with("multirange");
    if crate::types::enums::by_name(n).is_none()
        && (builtin_lacking || crate::types::by_name(n).is_some() || n.contains(' ') || n.contains('('))
    {
        return None;
    }
    Some(match n.split_once('.') {
        Some((s, name)) => (s.to_string(), name.to_string()),
        None => ("public".to_string(), n.clone()),
    })
}

fn length(l: &Option<CharacterLength>) -> Option<u64> {
    match l {
        Some(CharacterLength::IntegerLength { length, .. }) => Some(*length),
        _ => None,
    }
}

fn has_tz(tz: &TimezoneInfo) -> bool {
    matches!(tz, TimezoneInfo::Tz | TimezoneInfo::WithTimeZone)
}

/// The hex digits of a bytea hex-format literal (`'\\x0102'` -> `0102`); None for other
/// text; 22P02 for a hex literal PostgreSQL's byteain rejects.
pub fn bytea_hex(s: &str) -> crate::error::PgResult<Option<&str>> {
    let Some(hex) = s.strip_prefix("\\x") else { return Ok(None) };
    if hex.len() % 2 != 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(crate::error::PgError::new(
            crate::error::sqlstate::INVALID_TEXT_REPRESENTATION,
            "invalid hexadecimal data",
        ));
    }
    Ok(Some(hex))
}

/// A string literal cast to an integer type, by int2in/int4in/int8in (22P02, 22003): the
/// number it folds to, since both backends' CAST read `'wat'` as 0. Floats are checked
/// by float8in/float4in (their value stays the backend's); None for other kinds.
pub fn checked_number_literal(s: &str, kind: &PgKind) -> crate::error::PgResult<Option<i64>> {
    use crate::types::number::{parse_float4, parse_float8, parse_int};
    match kind {
        PgKind::Int2 => parse_int(s, i16::MIN.into(), i16::MAX.into(), "smallint").map(Some),
        PgKind::Int4 => parse_int(s, i32::MIN.into(), i32::MAX.into(), "integer").map(Some),
        PgKind::Int8 => parse_int(s, i64::MIN, i64::MAX, "bigint").map(Some),
        PgKind::Float4 => parse_float4(s).map(|_| None),
        PgKind::Float8 => parse_float8(s).map(|_| None),
        _ => Ok(None),
    }
}

/// An expression PostgreSQL types as interval, by its form alone.
pub fn is_interval(e: &Expr) -> bool {
    match e {
        Expr::Nested(inner) => is_interval(inner),
        Expr::Interval(_) => true,
        Expr::Cast { data_type, .. } => kind(data_type) == PgKind::Interval,
        Expr::TypedString(ts) => kind(&ts.data_type) == PgKind::Interval,
        Expr::UnaryOp { expr, .. } => is_interval(expr),
        // interval × n, interval ± interval.
        Expr::BinaryOp { left, op: BinaryOperator::Multiply, right } => is_interval(left) || is_interval(right),
        Expr::BinaryOp { left, op: BinaryOperator::Divide, .. } => is_interval(left),
        Expr::BinaryOp { left, op: BinaryOperator::Plus | BinaryOperator::Minus, right } => {
            is_interval(left) && is_interval(right)
        }
        _ => false,
    }
}
