//! Parameter decoding: wire bytes + parameter type + format -> owned [`Param`].
//! Text input follows each type's PostgreSQL input function; binary input its
//! `*_recv` function, with the same range checks.

use super::datetime as dt;
use super::dtparse;
use super::interval::Interval;
use super::number::{self, parse_bool, parse_int};
use super::numeric::Numeric;
use super::registry::{by_oid, Kind, Oid, PgType};
use super::tz::MAX_OFFSET;
use super::{array, bytea, json, uuid, vector, Format, Param, TypeCtx};
use crate::error::{sqlstate, PgError, PgResult};

/// Decode one bind parameter of type `oid` (0 = unspecified: text) sent in `format`.
pub fn decode_param(raw: Option<&[u8]>, oid: Oid, format: Format, ctx: &TypeCtx) -> PgResult<Param> {
    let Some(raw) = raw else { return Ok(Param::Null) };
    match by_oid(oid) {
        Some(ty) => match format {
            Format::Text => decode_text(raw, ty, ctx),
            Format::Binary => decode_binary(raw, ty),
        },
        None if oid == 0 => Ok(Param::Text(text_of(raw)?.to_owned())),
        None => Err(PgError::unsupported(format!("parameters of type oid {oid} are not supported"))),
    }
}

fn text_of(raw: &[u8]) -> PgResult<&str> {
    let s = std::str::from_utf8(raw).map_err(|_| {
        PgError::new(sqlstate::CHARACTER_NOT_IN_REPERTOIRE, "invalid byte sequence for encoding \"UTF8\"")
    })?;
    if s.contains('\0') {
        return Err(PgError::new(
            sqlstate::CHARACTER_NOT_IN_REPERTOIRE,
            "invalid byte sequence for encoding \"UTF8\": 0x00",
        ));
    }
    Ok(s)
}

/// name input is cut to NAMEDATALEN - 1 bytes, on a character boundary.
fn truncate_name(s: &str) -> String {
    let mut end = s.len().min(63);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

fn decode_text(raw: &[u8], ty: &PgType, ctx: &TypeCtx) -> PgResult<Param> {
    if ty.kind == Kind::Bytea {
        return Ok(Param::Bytes(bytea::parse(raw)?));
    }
    let s = text_of(raw)?;
    let (tz, order) = (&ctx.time_zone, ctx.date_style.order);
    Ok(match ty.kind {
        Kind::Text if ty.name == "name" => Param::Text(truncate_name(s)),
        Kind::Text | Kind::Unknown => Param::Text(s.to_owned()),
        Kind::Bool => Param::Bool(parse_bool(s)?),
        Kind::Int2 => Param::Int(parse_int(s, i16::MIN as i64, i16::MAX as i64, "smallint")?),
        Kind::Int4 => Param::Int(parse_int(s, i32::MIN as i64, i32::MAX as i64, "integer")?),
        Kind::Int8 => Param::Int(parse_int(s, i64::MIN, i64::MAX, "bigint")?),
        // regtype by name: the built-in types' names (every type the gateway has is one).
        Kind::Oid if ty.name == "regtype" && !s.trim().starts_with(|c: char| c.is_ascii_digit()) => {
            let t = super::regtype_input(s).ok_or_else(|| {
                PgError::new(sqlstate::UNDEFINED_OBJECT, format!("type \"{}\" does not exist", s.trim()))
            })?;
            Param::Int(t.oid as i64)
        }
        // regclass by name is resolved by whoever owns the catalog.
        Kind::Oid if ty.name != "oid" && !s.trim().starts_with(|c: char| c.is_ascii_digit()) => {
            Param::Text(s.trim().to_owned())
        }
        Kind::Oid => Param::Int(number::parse_oid(s)? as i64),
        Kind::Float4 => Param::Float(number::parse_float4(s)? as f64),
        Kind::Float8 => Param::Float(number::parse_float8(s)?),
        Kind::Numeric => Param::Decimal(Numeric::parse(s)?.to_text()),
        Kind::Bytea => unreachable!("handled above"),
        Kind::Date => Param::Date(dtparse::parse_date_ordered(s, tz, order)?),
        Kind::Time => Param::Time(dtparse::parse_time(s)?),
        Kind::TimeTz => {
            let (micros, offset) = dtparse::parse_timetz(s, tz)?;
            Param::TimeTz { micros, offset }
        }
        Kind::Timestamp => Param::Timestamp(dtparse::parse_timestamp_ordered(s, tz, order)?),
        Kind::TimestampTz => Param::TimestampTz(dtparse::parse_timestamptz_ordered(s, tz, order)?),
        Kind::Interval => Param::Interval(Interval::parse(s)?),
        Kind::Uuid => Param::Uuid(uuid::parse(s)?),
        Kind::Json => {
            json::validate(s)?;
            Param::Json(s.to_owned())
        }
        Kind::Jsonb => Param::Json(json::normalize_jsonb(s)?),
        Kind::Vector => Param::Vector(vector::parse(s, false)?),
        Kind::Array => {
            let elem = ty.element().ok_or_else(|| PgError::internal("array without element type"))?;
            let items = array::parse_text(s)?;
            Param::Array(
                items
                    .iter()
                    .map(|e| match e {
                        None => Ok(Param::Null),
                        Some(t) => decode_text(t.as_bytes(), elem, ctx),
                    })
                    .collect::<PgResult<_>>()?,
            )
        }
    })
}

fn bad_binary(ty: &PgType) -> PgError {
    PgError::new(sqlstate::INVALID_BINARY_REPRESENTATION, format!("incorrect binary data format for type {}", ty.name))
}

fn fixed<const N: usize>(raw: &[u8], ty: &PgType) -> PgResult<[u8; N]> {
    raw.try_into().map_err(|_| bad_binary(ty))
}

fn decode_binary(raw: &[u8], ty: &PgType) -> PgResult<Param> {
    Ok(match ty.kind {
        Kind::Text if ty.name == "name" => Param::Text(truncate_name(text_of(raw)?)),
        Kind::Text | Kind::Unknown => Param::Text(text_of(raw)?.to_owned()),
        Kind::Bool => Param::Bool(fixed::<1>(raw, ty)?[0] != 0),
        Kind::Int2 => Param::Int(i16::from_be_bytes(fixed(raw, ty)?) as i64),
        Kind::Int4 => Param::Int(i32::from_be_bytes(fixed(raw, ty)?) as i64),
        Kind::Int8 => Param::Int(i64::from_be_bytes(fixed(raw, ty)?)),
        Kind::Oid => Param::Int(u32::from_be_bytes(fixed(raw, ty)?) as i64),
        Kind::Float4 => Param::Float(f32::from_be_bytes(fixed(raw, ty)?) as f64),
        Kind::Float8 => Param::Float(f64::from_be_bytes(fixed(raw, ty)?)),
        Kind::Numeric => Param::Decimal(Numeric::read_binary(raw)?.to_text()),
        Kind::Bytea => Param::Bytes(raw.to_vec()),
        Kind::Date => Param::Date(dt::check_date(i32::from_be_bytes(fixed(raw, ty)?))?),
        Kind::Time => Param::Time(dt::check_time(i64::from_be_bytes(fixed(raw, ty)?))?),
        Kind::TimeTz => {
            let b: [u8; 12] = fixed(raw, ty)?;
            let micros = dt::check_time(i64::from_be_bytes(b[..8].try_into().expect("8 bytes")))?;
            let west = i32::from_be_bytes(b[8..].try_into().expect("4 bytes"));
            if west.abs() > MAX_OFFSET {
                return Err(PgError::new(
                    sqlstate::INVALID_BINARY_REPRESENTATION,
                    "time zone displacement out of range",
                ));
            }
            Param::TimeTz { micros, offset: -west }
        }
        Kind::Timestamp => Param::Timestamp(dt::check_timestamp(i64::from_be_bytes(fixed(raw, ty)?))?),
        Kind::TimestampTz => Param::TimestampTz(dt::check_timestamp(i64::from_be_bytes(fixed(raw, ty)?))?),
        Kind::Interval => {
            let b: [u8; 16] = fixed(raw, ty)?;
            Param::Interval(Interval {
                micros: i64::from_be_bytes(b[..8].try_into().expect("8 bytes")),
                days: i32::from_be_bytes(b[8..12].try_into().expect("4 bytes")),
                months: i32::from_be_bytes(b[12..].try_into().expect("4 bytes")),
            })
        }
        Kind::Uuid => Param::Uuid(fixed(raw, ty)?),
        Kind::Json => {
            let s = text_of(raw)?;
            json::validate(s)?;
            Param::Json(s.to_owned())
        }
        Kind::Jsonb => match raw.split_first() {
            Some((1, rest)) => Param::Json(json::normalize_jsonb(text_of(rest)?)?),
            Some((v, _)) => {
                return Err(PgError::new(
                    sqlstate::INVALID_BINARY_REPRESENTATION,
                    format!("unsupported jsonb version number {v}"),
                ))
            }
            None => return Err(bad_binary(ty)),
        },
        Kind::Vector => Param::Vector(vector::read_binary(raw)?),
        Kind::Array => {
            let elem = ty.element().ok_or_else(|| PgError::internal("array without element type"))?;
            let items = array::read_binary(raw, elem.oid)?;
            Param::Array(
                items
                    .into_iter()
                    .map(|e| match e {
                        None => Ok(Param::Null),
                        Some(b) => decode_binary(b, elem),
                    })
                    .collect::<PgResult<_>>()?,
            )
        }
    })
}
