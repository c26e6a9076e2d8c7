//! PostgreSQL type registry and value codecs (text and binary, both directions).
//!
//! Backends describe result columns with PostgreSQL type names (see
//! `backends/base.py`); `by_name` resolves them here. Values reach the codecs
//! as borrowed [`Value`]s (built by `python/values.rs` from backend rows) and leave
//! as wire bytes through [`encode`]; parameters arrive as wire bytes and leave as
//! owned [`Param`]s through [`decode_param`]. Both take the session's [`TypeCtx`]
//! (TimeZone for timestamptz/timetz, DateStyle for date and timestamp text). Text forms
//! otherwise follow IntervalStyle postgres, extra_float_digits 1 and bytea_output hex.

pub mod array;
pub mod bytea;
pub mod datestyle;
pub mod datetime;
mod decode;
pub mod dtparse;
mod encode;
pub mod enums;
pub mod interval;
pub mod json;
pub mod number;
pub mod numeric;
pub mod registry;
pub mod tz;
pub mod uuid;
pub mod vector;

pub use decode::decode_param;
pub use encode::{encode, encode_typmod, param_text};
pub use interval::Interval;
pub use registry::*;
pub use tz::TimeZone;

use crate::error::{PgError, PgResult};

/// Wire format code of a parameter or result column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Binary,
}

impl Format {
    pub fn from_code(code: i16) -> PgResult<Format> {
        match code {
            0 => Ok(Format::Text),
            1 => Ok(Format::Binary),
            other => Err(PgError::protocol(format!("invalid format code: {other}"))),
        }
    }
    pub fn code(self) -> i16 {
        match self {
            Format::Text => 0,
            Format::Binary => 1,
        }
    }
}

/// Session settings the codecs depend on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TypeCtx {
    /// The session's TimeZone: timestamptz text output and zone-less input.
    pub time_zone: TimeZone,
    /// DateStyle: date/timestamp/timestamptz text output, and the field order of input.
    pub date_style: datestyle::DateStyle,
}

/// A result value on its way to the wire, borrowed from backend data where possible.
///
/// Date/time variants hold PostgreSQL's binary quantities: days or microseconds since
/// 2000-01-01 (i32::MAX/MIN and i64::MAX/MIN are +/-infinity), microseconds since
/// midnight; offsets are seconds east of UTC.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(&'a str),
    Bytes(&'a [u8]),
    /// A numeric in decimal text (`-1.50`, `1E+5`, `NaN`, `Infinity`).
    Decimal(&'a str),
    Date(i32),
    Time(i64),
    TimeTz {
        micros: i64,
        offset: i32,
    },
    Timestamp(i64),
    /// An instant, in microseconds since 2000-01-01 00:00 UTC.
    TimestampTz(i64),
    Interval(Interval),
    Uuid([u8; 16]),
    Json(&'a str),
    Array(Vec<Value<'a>>),
    Vector(Vec<f32>),
}

impl Value<'_> {
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "double precision",
            Value::Text(_) => "text",
            Value::Bytes(_) => "bytea",
            Value::Decimal(_) => "numeric",
            Value::Date(_) => "date",
            Value::Time(_) => "time without time zone",
            Value::TimeTz { .. } => "time with time zone",
            Value::Timestamp(_) => "timestamp without time zone",
            Value::TimestampTz(_) => "timestamp with time zone",
            Value::Interval(_) => "interval",
            Value::Uuid(_) => "uuid",
            Value::Json(_) => "json",
            Value::Array(_) => "array",
            Value::Vector(_) => "vector",
        }
    }
}

/// A decoded bind parameter, owned, ready to be handed to a backend. Same quantities
/// as [`Value`]; numerics are in PostgreSQL's canonical text (`numeric_out`), jsonb in
/// its normalized text.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
    Decimal(String),
    Date(i32),
    Time(i64),
    TimeTz { micros: i64, offset: i32 },
    Timestamp(i64),
    TimestampTz(i64),
    Interval(Interval),
    Uuid([u8; 16]),
    Json(String),
    Array(Vec<Param>),
    Vector(Vec<f32>),
}

impl Param {
    /// Borrow as a result value (to echo a parameter back, or encode it in another format).
    pub fn as_value(&self) -> Value<'_> {
        match self {
            Param::Null => Value::Null,
            Param::Bool(b) => Value::Bool(*b),
            Param::Int(i) => Value::Int(*i),
            Param::Float(f) => Value::Float(*f),
            Param::Text(s) => Value::Text(s),
            Param::Bytes(b) => Value::Bytes(b),
            Param::Decimal(s) => Value::Decimal(s),
            Param::Date(d) => Value::Date(*d),
            Param::Time(t) => Value::Time(*t),
            Param::TimeTz { micros, offset } => Value::TimeTz { micros: *micros, offset: *offset },
            Param::Timestamp(t) => Value::Timestamp(*t),
            Param::TimestampTz(t) => Value::TimestampTz(*t),
            Param::Interval(i) => Value::Interval(*i),
            Param::Uuid(u) => Value::Uuid(*u),
            Param::Json(s) => Value::Json(s),
            Param::Array(items) => Value::Array(items.iter().map(Param::as_value).collect()),
            Param::Vector(v) => Value::Vector(v.clone()),
        }
    }
}

/// PostgreSQL's float8 text output (shortest round-trip, `NaN`, `Infinity`, `1e+20`).
pub fn format_float(f: f64) -> String {
    number::format_float8(f)
}

#[cfg(test)]
mod tests;
