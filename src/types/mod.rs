//! PostgreSQL type registry and value codecs (text and binary, both directions).
//!
//! Backends describe result columns with PostgreSQL type names (see
//! `backends/base.py`); `by_name` resolves them here. Values reach the codecs
//! as borrowed [`Value`]s (built by `python.rs` from backend rows) and leave as
//! wire bytes; parameters arrive as wire bytes and leave as owned [`Param`]s.

use bytes::{BufMut, BytesMut};

use crate::error::{sqlstate, PgError, PgResult};

pub type Oid = u32;

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

/// One entry of the registry.
#[derive(Debug, PartialEq, Eq)]
pub struct PgType {
    pub oid: Oid,
    pub name: &'static str,
    /// pg_type.typlen: fixed size in bytes, or -1 for varlena.
    pub typlen: i16,
    /// OID of the one-dimensional array of this type (0 for array types themselves).
    pub array_oid: Oid,
    /// For array types, the element type's OID (0 otherwise).
    pub elem_oid: Oid,
}

macro_rules! registry {
    ($( $ident:ident = ($oid:expr, $name:expr, $len:expr, $arr:expr, $elem:expr); )*) => {
        $( pub const $ident: PgType = PgType { oid: $oid, name: $name, typlen: $len, array_oid: $arr, elem_oid: $elem }; )*
        static ALL: &[&PgType] = &[ $( &$ident, )* ];
    };
}

registry! {
    BOOL = (16, "bool", 1, 1000, 0);
    BYTEA = (17, "bytea", -1, 1001, 0);
    NAME = (19, "name", 64, 1003, 0);
    INT8 = (20, "int8", 8, 1016, 0);
    INT2 = (21, "int2", 2, 1005, 0);
    INT4 = (23, "int4", 4, 1007, 0);
    TEXT = (25, "text", -1, 1009, 0);
    OID = (26, "oid", 4, 1028, 0);
    JSON = (114, "json", -1, 199, 0);
    FLOAT4 = (700, "float4", 4, 1021, 0);
    FLOAT8 = (701, "float8", 8, 1022, 0);
    UNKNOWN = (705, "unknown", -2, 0, 0);
    BPCHAR = (1042, "bpchar", -1, 1014, 0);
    VARCHAR = (1043, "varchar", -1, 1015, 0);
    DATE = (1082, "date", 4, 1182, 0);
    TIME = (1083, "time", 8, 1183, 0);
    TIMESTAMP = (1114, "timestamp", 8, 1115, 0);
    TIMESTAMPTZ = (1184, "timestamptz", 8, 1185, 0);
    INTERVAL = (1186, "interval", 16, 1187, 0);
    TIMETZ = (1266, "timetz", 12, 1270, 0);
    NUMERIC = (1700, "numeric", -1, 1231, 0);
    REGCLASS = (2205, "regclass", 4, 2210, 0);
    REGTYPE = (2206, "regtype", 4, 2211, 0);
    UUID = (2950, "uuid", 16, 2951, 0);
    JSONB = (3802, "jsonb", -1, 3807, 0);
}

/// Resolve a type by its canonical name or a common SQL alias (`integer`, `varchar(20)`, ...).
pub fn by_name(name: &str) -> Option<&'static PgType> {
    let lower = name.trim().to_ascii_lowercase();
    // Drop a typmod such as "(20)" or "(10,2)".
    let base = match lower.find('(') {
        Some(i) => lower[..i].trim_end(),
        None => lower.as_str(),
    };
    let canonical = match base {
        "boolean" => "bool",
        "smallint" => "int2",
        "integer" | "int" => "int4",
        "bigint" => "int8",
        "real" => "float4",
        "double precision" | "double" | "float" => "float8",
        "decimal" => "numeric",
        "character varying" => "varchar",
        "character" | "char" => "bpchar",
        "timestamp without time zone" => "timestamp",
        "timestamp with time zone" => "timestamptz",
        "time without time zone" => "time",
        "time with time zone" => "timetz",
        other => other,
    };
    ALL.iter().copied().find(|t| t.name == canonical)
}

pub fn by_oid(oid: Oid) -> Option<&'static PgType> {
    ALL.iter().copied().find(|t| t.oid == oid)
}

/// A result value on its way to the wire, borrowed from backend data where possible.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Text, also the decimal text of a numeric value.
    Text(&'a str),
    Bytes(&'a [u8]),
}

/// Encode one non-null value for a column of type `ty` in `format`, without the length word.
pub fn encode(value: &Value<'_>, ty: &PgType, format: Format, buf: &mut BytesMut) -> PgResult<()> {
    match format {
        Format::Text => encode_text(value, ty, buf),
        Format::Binary => encode_binary(value, ty, buf),
    }
}

fn encode_text(value: &Value<'_>, ty: &PgType, buf: &mut BytesMut) -> PgResult<()> {
    match value {
        Value::Null => Err(PgError::internal("NULL reached the value encoder")),
        Value::Bool(b) => {
            if ty.oid == BOOL.oid {
                buf.put_slice(if *b { b"t" } else { b"f" });
            } else {
                buf.put_slice(if *b { b"1" } else { b"0" });
            }
            Ok(())
        }
        Value::Int(i) => {
            if ty.oid == BOOL.oid {
                buf.put_slice(if *i != 0 { b"t" } else { b"f" });
            } else {
                buf.put_slice(itoa_buf(*i).as_bytes());
            }
            Ok(())
        }
        Value::Float(f) => {
            buf.put_slice(format_float(*f).as_bytes());
            Ok(())
        }
        Value::Text(s) => {
            buf.put_slice(s.as_bytes());
            Ok(())
        }
        Value::Bytes(b) => {
            if ty.oid == BYTEA.oid {
                buf.reserve(2 + b.len() * 2);
                buf.put_slice(b"\\x");
                const HEX: &[u8; 16] = b"0123456789abcdef";
                for byte in b.iter() {
                    buf.put_u8(HEX[(byte >> 4) as usize]);
                    buf.put_u8(HEX[(byte & 0xf) as usize]);
                }
                Ok(())
            } else {
                match std::str::from_utf8(b) {
                    Ok(s) => {
                        buf.put_slice(s.as_bytes());
                        Ok(())
                    }
                    Err(_) => Err(PgError::new(
                        sqlstate::CHARACTER_NOT_IN_REPERTOIRE,
                        format!("invalid byte sequence for encoding \"UTF8\" in a {} value", ty.name),
                    )),
                }
            }
        }
    }
}

fn encode_binary(value: &Value<'_>, ty: &PgType, buf: &mut BytesMut) -> PgResult<()> {
    match (value, ty.oid) {
        (Value::Bool(b), 16) => buf.put_u8(*b as u8),
        (Value::Int(i), 16) => buf.put_u8((*i != 0) as u8),
        (Value::Int(i), 21) => buf.put_i16(i16::try_from(*i).map_err(|_| out_of_range("smallint"))?),
        (Value::Int(i), 23) => buf.put_i32(i32::try_from(*i).map_err(|_| out_of_range("integer"))?),
        (Value::Int(i), 20) => buf.put_i64(*i),
        (Value::Float(f), 701) => buf.put_f64(*f),
        (Value::Int(i), 701) => buf.put_f64(*i as f64),
        (Value::Float(f), 700) => buf.put_f32(*f as f32),
        (Value::Text(s), 25 | 1043 | 1042 | 19 | 114) => buf.put_slice(s.as_bytes()),
        (Value::Bytes(b), 17) => buf.put_slice(b),
        // Text-like types share one representation in both formats.
        (_, 25 | 1043 | 1042 | 19 | 114) => return encode_text(value, ty, buf),
        (Value::Text(s), 16 | 20 | 21 | 23 | 700 | 701) => {
            let bad = || PgError::new(sqlstate::INVALID_TEXT_REPRESENTATION, format!("invalid input syntax for type {}: \"{s}\"", ty.name));
            match ty.oid {
                16 => buf.put_u8(matches!(s.trim(), "t" | "true" | "1") as u8),
                700 | 701 => {
                    let f = parse_float(s).ok_or_else(bad)?;
                    if ty.oid == 700 { buf.put_f32(f as f32) } else { buf.put_f64(f) }
                }
                _ => {
                    let i: i64 = s.trim().parse().map_err(|_| bad())?;
                    return encode_binary(&Value::Int(i), ty, buf);
                }
            }
        }
        _ => {
            return Err(PgError::unsupported(format!(
                "binary output for type {} from this value is not supported",
                ty.name
            )))
        }
    }
    Ok(())
}

fn out_of_range(ty: &str) -> PgError {
    PgError::new(sqlstate::NUMERIC_VALUE_OUT_OF_RANGE, format!("{ty} out of range"))
}

fn itoa_buf(i: i64) -> String {
    i.to_string()
}

/// PostgreSQL's float8 text output (shortest round-trip, `NaN`, `Infinity`).
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity".into() } else { "-Infinity".into() }
    } else {
        let s = format!("{f}");
        s
    }
}

/// A decoded bind parameter, owned, ready to be handed to a backend.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
}

/// Decode one bind parameter of type `oid` (0 = unspecified) sent in `format`.
pub fn decode_param(raw: Option<&[u8]>, oid: Oid, format: Format) -> PgResult<Param> {
    let Some(raw) = raw else { return Ok(Param::Null) };
    match format {
        Format::Text => {
            let s = std::str::from_utf8(raw).map_err(|_| {
                PgError::new(sqlstate::CHARACTER_NOT_IN_REPERTOIRE, "invalid byte sequence for encoding \"UTF8\"")
            })?;
            let invalid = |t: &str| {
                PgError::new(
                    sqlstate::INVALID_TEXT_REPRESENTATION,
                    format!("invalid input syntax for type {t}: \"{s}\""),
                )
            };
            Ok(match oid {
                16 => match s.trim().to_ascii_lowercase().as_str() {
                    "t" | "true" | "yes" | "on" | "1" | "y" => Param::Bool(true),
                    "f" | "false" | "no" | "off" | "0" | "n" => Param::Bool(false),
                    _ => return Err(invalid("boolean")),
                },
                20 | 21 | 23 | 26 => Param::Int(s.trim().parse().map_err(|_| invalid("integer"))?),
                700 | 701 => Param::Float(parse_float(s).ok_or_else(|| invalid("double precision"))?),
                17 => Param::Bytes(decode_bytea_text(s).ok_or_else(|| invalid("bytea"))?),
                _ => Param::Text(s.to_owned()),
            })
        }
        Format::Binary => {
            let bad = || PgError::new(sqlstate::INVALID_BINARY_REPRESENTATION, "incorrect binary data format in bind parameter");
            Ok(match oid {
                16 => Param::Bool(*raw.first().ok_or_else(bad)? != 0),
                21 => Param::Int(i16::from_be_bytes(raw.try_into().map_err(|_| bad())?) as i64),
                23 | 26 => Param::Int(i32::from_be_bytes(raw.try_into().map_err(|_| bad())?) as i64),
                20 => Param::Int(i64::from_be_bytes(raw.try_into().map_err(|_| bad())?)),
                700 => Param::Float(f32::from_be_bytes(raw.try_into().map_err(|_| bad())?) as f64),
                701 => Param::Float(f64::from_be_bytes(raw.try_into().map_err(|_| bad())?)),
                17 => Param::Bytes(raw.to_vec()),
                0 | 25 | 1043 | 1042 | 19 | 114 | 705 => Param::Text(
                    String::from_utf8(raw.to_vec()).map_err(|_| {
                        PgError::new(sqlstate::CHARACTER_NOT_IN_REPERTOIRE, "invalid byte sequence for encoding \"UTF8\"")
                    })?,
                ),
                other => {
                    return Err(PgError::unsupported(format!("binary parameters of type oid {other} are not supported")))
                }
            })
        }
    }
}

fn parse_float(s: &str) -> Option<f64> {
    match s.trim().to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "infinity" | "+infinity" | "inf" => Some(f64::INFINITY),
        "-infinity" | "-inf" => Some(f64::NEG_INFINITY),
        t => t.parse().ok(),
    }
}

fn decode_bytea_text(s: &str) -> Option<Vec<u8>> {
    let hex = s.strip_prefix("\\x")?;
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect()
}
