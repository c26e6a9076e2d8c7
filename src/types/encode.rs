//! Result encoding: a backend [`Value`] -> wire bytes for a column of a given type.
//!
//! Backends are dynamically typed (sqlite above all), so a value's kind may differ
//! from its column's type: each `to_*` coercion below accepts the kinds PostgreSQL
//! could cast losslessly or parse, and refuses the rest with 22P02/22003/42804.

use bytes::{BufMut, BytesMut};

use super::datetime::{self as dt, USECS_PER_DAY};
use super::dtparse;
use super::interval::Interval;
use super::number::{self, float_to_int, out_of_range, parse_bool, parse_int};
use super::numeric::Numeric;
use super::registry::{Kind, PgType, BPCHAR, TEXT};
use super::{array, bytea, json, uuid, vector, Format, TypeCtx, Value};
use crate::error::{sqlstate, PgError, PgResult};

/// Encode one non-null value for a column of type `ty` in `format`, without the length word.
pub fn encode(value: &Value<'_>, ty: &PgType, format: Format, ctx: &TypeCtx, buf: &mut BytesMut) -> PgResult<()> {
    if matches!(value, Value::Null) {
        return Err(PgError::internal("NULL reached the value encoder"));
    }
    match format {
        Format::Text => encode_text(value, ty, ctx, buf),
        Format::Binary => encode_binary(value, ty, ctx, buf),
    }
}

/// [`encode`] for a column with a type modifier: `char(n)` values are blank-padded
/// to n characters, `numeric(p, s)` values shown with s fraction digits (rounded to
/// 10^-s for a negative s) and times and timestamps rounded to p fraction digits, as
/// PostgreSQL stores them (backends such as sqlite and IRIS do not).
pub fn encode_typmod(
    value: &Value<'_>,
    ty: &PgType,
    typmod: i32,
    format: Format,
    ctx: &TypeCtx,
    buf: &mut BytesMut,
) -> PgResult<()> {
    if typmod >= 0 && !matches!(value, Value::Null) && ty.kind == Kind::Array {
        return encode_array(value, ty, typmod, format, ctx, buf);
    }
    if let Some(p) = super::registry::time_precision(ty, typmod).filter(|_| !matches!(value, Value::Null)) {
        let rounded = match ty.kind {
            Kind::Time => Value::Time(dt::round_time(to_time(value, ty)?, p)),
            Kind::TimeTz => {
                let (t, offset) = to_timetz(value, ty, ctx)?;
                Value::TimeTz { micros: dt::round_time(t, p), offset }
            }
            Kind::Timestamp => Value::Timestamp(dt::round_timestamp(to_timestamp(value, ty, ctx)?, p)),
            _ => Value::TimestampTz(dt::round_timestamp(to_timestamptz(value, ty, ctx)?, p)),
        };
        return encode(&rounded, ty, format, ctx, buf);
    }
    if typmod >= 4 && !matches!(value, Value::Null) {
        if ty.oid == BPCHAR.oid {
            if let Some(s) = as_str(value, ty)? {
                let width = (typmod - 4) as usize;
                let len = s.chars().count();
                if len < width {
                    buf.put_slice(s.as_bytes());
                    buf.put_bytes(b' ', width - len);
                    return Ok(());
                }
            }
        } else if ty.kind == Kind::Numeric {
            let (_, scale) = super::registry::numeric_typmod(typmod).unwrap_or_default();
            let n = to_numeric(value, ty)?.with_scale(scale)?;
            match format {
                Format::Text => buf.put_slice(n.to_text().as_bytes()),
                Format::Binary => n.write_binary(buf),
            }
            return Ok(());
        }
    }
    encode(value, ty, format, ctx, buf)
}

fn mismatch(value: &Value<'_>, ty: &PgType) -> PgError {
    PgError::new(
        sqlstate::DATATYPE_MISMATCH,
        format!("cannot return a {} value in a column of type {}", value.kind_name(), ty.name),
    )
}

fn utf8<'v>(b: &'v [u8], ty: &PgType) -> PgResult<&'v str> {
    std::str::from_utf8(b).map_err(|_| {
        PgError::new(
            sqlstate::CHARACTER_NOT_IN_REPERTOIRE,
            format!("invalid byte sequence for encoding \"UTF8\" in a {} value", ty.name),
        )
    })
}

/// A value's text, when it is text-like (Text, Bytes as UTF-8, Decimal, Json).
fn as_str<'v>(value: &'v Value<'_>, ty: &PgType) -> PgResult<Option<&'v str>> {
    Ok(match value {
        Value::Text(s) | Value::Decimal(s) | Value::Json(s) => Some(s),
        Value::Bytes(b) => Some(utf8(b, ty)?),
        _ => None,
    })
}

fn int_limits(kind: Kind) -> (i64, i64, &'static str) {
    match kind {
        Kind::Int2 => (i16::MIN as i64, i16::MAX as i64, "smallint"),
        Kind::Int4 => (i32::MIN as i64, i32::MAX as i64, "integer"),
        Kind::Oid => (i32::MIN as i64, u32::MAX as i64, "oid"),
        _ => (i64::MIN, i64::MAX, "bigint"),
    }
}

fn to_int(value: &Value<'_>, ty: &PgType) -> PgResult<i64> {
    let (min, max, name) = int_limits(ty.kind);
    match value {
        Value::Int(i) if (min..=max).contains(i) => Ok(*i),
        Value::Int(_) => Err(out_of_range(name)),
        Value::Bool(b) => Ok(*b as i64),
        Value::Float(f) => float_to_int(*f, min, max, name),
        Value::Decimal(s) => Numeric::parse(s)?.to_i64(min, max, name),
        Value::Text(_) | Value::Bytes(_) => parse_int(as_str(value, ty)?.unwrap_or(""), min, max, name),
        _ => Err(mismatch(value, ty)),
    }
}

fn to_f64(value: &Value<'_>, ty: &PgType) -> PgResult<f64> {
    match value {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Bool(b) => Ok(*b as i64 as f64),
        Value::Decimal(s) => Ok(Numeric::parse(s)?.to_f64()),
        Value::Text(_) | Value::Bytes(_) => number::parse_float8(as_str(value, ty)?.unwrap_or("")),
        _ => Err(mismatch(value, ty)),
    }
}

fn to_f32(value: &Value<'_>, ty: &PgType) -> PgResult<f32> {
    if let Value::Text(_) | Value::Bytes(_) = value {
        return number::parse_float4(as_str(value, ty)?.unwrap_or(""));
    }
    let f = to_f64(value, ty)?;
    let r = f as f32;
    if r.is_infinite() && f.is_finite() {
        return Err(PgError::new(sqlstate::NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: overflow"));
    }
    if r == 0.0 && f != 0.0 {
        return Err(PgError::new(sqlstate::NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: underflow"));
    }
    Ok(r)
}

fn to_bool(value: &Value<'_>, ty: &PgType) -> PgResult<bool> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Int(i) => Ok(*i != 0),
        Value::Float(f) => Ok(*f != 0.0),
        Value::Text(_) | Value::Bytes(_) | Value::Decimal(_) => parse_bool(as_str(value, ty)?.unwrap_or("")),
        _ => Err(mismatch(value, ty)),
    }
}

fn to_numeric(value: &Value<'_>, ty: &PgType) -> PgResult<Numeric> {
    match value {
        Value::Int(i) => Ok(Numeric::from_i64(*i)),
        Value::Bool(b) => Ok(Numeric::from_i64(*b as i64)),
        Value::Float(f) => Ok(Numeric::from_f64(*f)),
        Value::Decimal(_) | Value::Text(_) | Value::Bytes(_) => Numeric::parse(as_str(value, ty)?.unwrap_or("")),
        _ => Err(mismatch(value, ty)),
    }
}

/// A bytea column's bytes. Text stored in it is what a client wrote as a bytea literal
/// (`'\\x0102'`), so it goes through byteain; text that byteain refuses is kept as is.
fn to_bytes<'v>(value: &'v Value<'_>, ctx: &TypeCtx) -> PgResult<std::borrow::Cow<'v, [u8]>> {
    Ok(match value {
        Value::Bytes(b) => std::borrow::Cow::Borrowed(*b),
        Value::Text(s) => match bytea::parse(s.as_bytes()) {
            Ok(b) => std::borrow::Cow::Owned(b),
            Err(_) => std::borrow::Cow::Borrowed(s.as_bytes()),
        },
        other => std::borrow::Cow::Owned(natural_text(other, ctx)?.into_bytes()),
    })
}

fn to_date(value: &Value<'_>, ty: &PgType, ctx: &TypeCtx) -> PgResult<i32> {
    match value {
        Value::Date(d) => dt::check_date(*d),
        Value::Timestamp(t) => dt::timestamp_to_date(*t),
        Value::TimestampTz(t) => dt::timestamp_to_date(dt::utc_to_local(*t, &ctx.time_zone).0),
        Value::Text(_) | Value::Bytes(_) => dtparse::parse_date(as_str(value, ty)?.unwrap_or(""), &ctx.time_zone),
        _ => Err(mismatch(value, ty)),
    }
}

fn to_time(value: &Value<'_>, ty: &PgType) -> PgResult<i64> {
    match value {
        Value::Time(t) | Value::TimeTz { micros: t, .. } => dt::check_time(*t),
        Value::Timestamp(t) if *t != dt::TS_NOEND && *t != dt::TS_NOBEGIN => Ok(t.rem_euclid(USECS_PER_DAY)),
        Value::Text(_) | Value::Bytes(_) => dtparse::parse_time(as_str(value, ty)?.unwrap_or("")),
        _ => Err(mismatch(value, ty)),
    }
}

fn to_timetz(value: &Value<'_>, ty: &PgType, ctx: &TypeCtx) -> PgResult<(i64, i32)> {
    match value {
        Value::TimeTz { micros, offset } => Ok((dt::check_time(*micros)?, *offset)),
        Value::Time(t) => {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            Ok((dt::check_time(*t)?, ctx.time_zone.offset_at(now.as_secs() as i64)))
        }
        Value::Text(_) | Value::Bytes(_) => dtparse::parse_timetz(as_str(value, ty)?.unwrap_or(""), &ctx.time_zone),
        _ => Err(mismatch(value, ty)),
    }
}

fn to_timestamp(value: &Value<'_>, ty: &PgType, ctx: &TypeCtx) -> PgResult<i64> {
    match value {
        Value::Timestamp(t) => dt::check_timestamp(*t),
        Value::TimestampTz(t) => dt::check_timestamp(dt::utc_to_local(*t, &ctx.time_zone).0),
        Value::Date(d) => dt::date_to_timestamp(*d),
        Value::Text(_) | Value::Bytes(_) => dtparse::parse_timestamp(as_str(value, ty)?.unwrap_or(""), &ctx.time_zone),
        _ => Err(mismatch(value, ty)),
    }
}

fn to_timestamptz(value: &Value<'_>, ty: &PgType, ctx: &TypeCtx) -> PgResult<i64> {
    match value {
        Value::TimestampTz(t) => dt::check_timestamp(*t),
        Value::Timestamp(t) => dt::local_to_utc(*t, &ctx.time_zone),
        Value::Date(d) => dt::local_to_utc(dt::date_to_timestamp(*d)?, &ctx.time_zone),
        Value::Text(_) | Value::Bytes(_) => {
            dtparse::parse_timestamptz(as_str(value, ty)?.unwrap_or(""), &ctx.time_zone)
        }
        _ => Err(mismatch(value, ty)),
    }
}

fn to_interval(value: &Value<'_>, ty: &PgType) -> PgResult<Interval> {
    match value {
        Value::Interval(i) => Ok(*i),
        Value::Time(t) => Ok(Interval { months: 0, days: 0, micros: *t }),
        Value::Text(_) | Value::Bytes(_) => Interval::parse(as_str(value, ty)?.unwrap_or("")),
        _ => Err(mismatch(value, ty)),
    }
}

fn to_uuid(value: &Value<'_>, ty: &PgType) -> PgResult<[u8; 16]> {
    match value {
        Value::Uuid(u) => Ok(*u),
        Value::Bytes(b) if b.len() == 16 => Ok((*b).try_into().expect("16 bytes")),
        Value::Text(_) | Value::Bytes(_) => uuid::parse(as_str(value, ty)?.unwrap_or("")),
        _ => Err(mismatch(value, ty)),
    }
}

fn to_vector(value: &Value<'_>, ty: &PgType) -> PgResult<Vec<f32>> {
    match value {
        Value::Vector(v) => Ok(v.clone()),
        Value::Text(_) | Value::Bytes(_) => vector::parse(as_str(value, ty)?.unwrap_or(""), true),
        Value::Array(items) => items.iter().map(|v| to_f64(v, ty).map(|f| f as f32)).collect::<PgResult<Vec<f32>>>(),
        _ => Err(mismatch(value, ty)),
    }
}

/// JSON text of a value in a json/jsonb column (numbers and booleans become JSON scalars).
fn to_json_text(value: &Value<'_>, ty: &PgType) -> PgResult<String> {
    let text = match value {
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Float(f) if f.is_finite() => number::format_float8(*f),
        Value::Decimal(s) => Numeric::parse(s)?.to_text(),
        Value::Json(_) | Value::Text(_) | Value::Bytes(_) => as_str(value, ty)?.unwrap_or("").to_string(),
        _ => return Err(mismatch(value, ty)),
    };
    if ty.kind == Kind::Jsonb {
        json::normalize_jsonb(&text)
    } else {
        json::validate(&text)?;
        Ok(text)
    }
}

fn encode_text(value: &Value<'_>, ty: &PgType, ctx: &TypeCtx, buf: &mut BytesMut) -> PgResult<()> {
    match ty.kind {
        Kind::Text | Kind::Unknown => match value {
            Value::Text(s) => buf.put_slice(s.as_bytes()),
            other => buf.put_slice(natural_text(other, ctx)?.as_bytes()),
        },
        Kind::Int2 | Kind::Int4 | Kind::Int8 => buf.put_slice(to_int(value, ty)?.to_string().as_bytes()),
        // regtype_out: the type's name (pg_typeof's result); a name the catalog engine gave stays.
        Kind::Oid
            if ty.oid == super::REGTYPE.oid && !matches!(value, Value::Text(s) if s.trim().parse::<u32>().is_err()) =>
        {
            let oid = to_int(value, ty)? as u32;
            buf.put_slice(super::format_type(oid as i64, None).unwrap_or_else(|| oid.to_string()).as_bytes())
        }
        Kind::Oid => buf.put_slice((to_int(value, ty)? as u32).to_string().as_bytes()),
        Kind::Bool => buf.put_u8(if to_bool(value, ty)? { b't' } else { b'f' }),
        Kind::Float8 => buf.put_slice(number::format_float8(to_f64(value, ty)?).as_bytes()),
        Kind::Float4 => buf.put_slice(number::format_float4(to_f32(value, ty)?).as_bytes()),
        Kind::Numeric => buf.put_slice(to_numeric(value, ty)?.to_text().as_bytes()),
        Kind::Bytea => {
            let mut out = Vec::new();
            bytea::to_hex(&to_bytes(value, ctx)?, &mut out);
            buf.put_slice(&out);
        }
        Kind::Date => buf.put_slice(ctx.date_style.format_date(to_date(value, ty, ctx)?).as_bytes()),
        Kind::Time => buf.put_slice(dt::format_time(to_time(value, ty)?).as_bytes()),
        Kind::TimeTz => {
            let (t, off) = to_timetz(value, ty, ctx)?;
            buf.put_slice(dt::format_timetz(t, off).as_bytes())
        }
        Kind::Timestamp => buf.put_slice(ctx.date_style.format_timestamp(to_timestamp(value, ty, ctx)?).as_bytes()),
        Kind::TimestampTz => {
            buf.put_slice(ctx.date_style.format_timestamptz(to_timestamptz(value, ty, ctx)?, &ctx.time_zone).as_bytes())
        }
        Kind::Interval => buf.put_slice(to_interval(value, ty)?.to_text().as_bytes()),
        Kind::Uuid => buf.put_slice(uuid::to_text(&to_uuid(value, ty)?).as_bytes()),
        Kind::Json | Kind::Jsonb => match value {
            Value::Json(s) | Value::Text(s) if ty.kind == Kind::Json => {
                json::validate(s)?;
                buf.put_slice(s.as_bytes())
            }
            _ => buf.put_slice(to_json_text(value, ty)?.as_bytes()),
        },
        Kind::Vector => buf.put_slice(vector::to_text(&to_vector(value, ty)?).as_bytes()),
        Kind::Array => encode_array(value, ty, -1, Format::Text, ctx, buf)?,
    }
    Ok(())
}

fn encode_binary(value: &Value<'_>, ty: &PgType, ctx: &TypeCtx, buf: &mut BytesMut) -> PgResult<()> {
    match ty.kind {
        Kind::Text | Kind::Unknown => return encode_text(value, ty, ctx, buf),
        Kind::Bool => buf.put_u8(to_bool(value, ty)? as u8),
        Kind::Int2 => buf.put_i16(to_int(value, ty)? as i16),
        Kind::Int4 => buf.put_i32(to_int(value, ty)? as i32),
        Kind::Int8 => buf.put_i64(to_int(value, ty)?),
        Kind::Oid => buf.put_u32(to_int(value, ty)? as u32),
        Kind::Float4 => buf.put_f32(to_f32(value, ty)?),
        Kind::Float8 => buf.put_f64(to_f64(value, ty)?),
        Kind::Numeric => to_numeric(value, ty)?.write_binary(buf),
        Kind::Bytea => buf.put_slice(&to_bytes(value, ctx)?),
        Kind::Date => buf.put_i32(to_date(value, ty, ctx)?),
        Kind::Time => buf.put_i64(to_time(value, ty)?),
        Kind::TimeTz => {
            let (t, off) = to_timetz(value, ty, ctx)?;
            buf.put_i64(t);
            buf.put_i32(-off);
        }
        Kind::Timestamp => buf.put_i64(to_timestamp(value, ty, ctx)?),
        Kind::TimestampTz => buf.put_i64(to_timestamptz(value, ty, ctx)?),
        Kind::Interval => {
            let iv = to_interval(value, ty)?;
            buf.put_i64(iv.micros);
            buf.put_i32(iv.days);
            buf.put_i32(iv.months);
        }
        Kind::Uuid => buf.put_slice(&to_uuid(value, ty)?),
        Kind::Json => return encode_text(value, ty, ctx, buf),
        Kind::Jsonb => {
            buf.put_u8(1);
            buf.put_slice(to_json_text(value, ty)?.as_bytes());
        }
        Kind::Vector => vector::write_binary(&to_vector(value, ty)?, buf)?,
        Kind::Array => encode_array(value, ty, -1, Format::Binary, ctx, buf)?,
    }
    Ok(())
}

/// An array value; `typmod` is the element's (`char(3)[]` pads each element).
fn encode_array(
    value: &Value<'_>,
    ty: &PgType,
    typmod: i32,
    format: Format,
    ctx: &TypeCtx,
    buf: &mut BytesMut,
) -> PgResult<()> {
    let elem = ty.element().ok_or_else(|| PgError::internal(format!("array type {} has no element", ty.name)))?;
    // A text-typed backend may hold the array as a literal: parse it into owned texts
    // that the element values below borrow.
    let literal: Vec<Option<String>> = match value {
        Value::Text(_) | Value::Bytes(_) => array::parse_text(as_str(value, ty)?.unwrap_or(""))?,
        _ => Vec::new(),
    };
    let parsed: Vec<Value<'_>>;
    let items: &[Value<'_>] = match value {
        Value::Array(items) => items,
        Value::Text(_) | Value::Bytes(_) => {
            parsed = literal.iter().map(|e| e.as_deref().map_or(Value::Null, Value::Text)).collect();
            &parsed
        }
        _ => return Err(mismatch(value, ty)),
    };
    if items.iter().any(|v| matches!(v, Value::Array(_))) {
        return Err(PgError::unsupported("multidimensional arrays are not supported"));
    }
    match format {
        Format::Text => {
            let mut out = vec![b'{'];
            let mut tmp = BytesMut::new();
            for (i, item) in items.iter().enumerate() {
                if matches!(item, Value::Null) {
                    array::push_text_element(None, i == 0, &mut out);
                } else {
                    tmp.clear();
                    encode_typmod(item, elem, typmod, Format::Text, ctx, &mut tmp)?;
                    array::push_text_element(Some(&tmp), i == 0, &mut out);
                }
            }
            out.push(b'}');
            buf.put_slice(&out);
        }
        Format::Binary => {
            let has_null = items.iter().any(|v| matches!(v, Value::Null));
            array::write_binary_header(items.len(), has_null, elem.oid, buf);
            for item in items {
                if matches!(item, Value::Null) {
                    buf.put_i32(-1);
                    continue;
                }
                let at = buf.len();
                buf.put_i32(0);
                encode_typmod(item, elem, typmod, Format::Binary, ctx, buf)?;
                let len = (buf.len() - at - 4) as i32;
                buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
            }
        }
    }
    Ok(())
}

/// A value's own text form (used for text-typed columns and as a fallback).
fn natural_text(value: &Value<'_>, ctx: &TypeCtx) -> PgResult<String> {
    Ok(match value {
        Value::Null => return Err(PgError::internal("NULL reached the value encoder")),
        Value::Bool(b) => (if *b { "true" } else { "false" }).to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => number::format_float8(*f),
        Value::Text(s) | Value::Json(s) => s.to_string(),
        Value::Bytes(b) => utf8(b, &TEXT)?.to_string(),
        Value::Decimal(s) => Numeric::parse(s).map(|n| n.to_text()).unwrap_or_else(|_| s.to_string()),
        Value::Date(d) => dt::format_date(*d),
        Value::Time(t) => dt::format_time(*t),
        Value::TimeTz { micros, offset } => dt::format_timetz(*micros, *offset),
        Value::Timestamp(t) => dt::format_timestamp(*t),
        Value::TimestampTz(t) => dt::format_timestamptz(*t, &ctx.time_zone),
        Value::Interval(i) => i.to_text(),
        Value::Uuid(u) => uuid::to_text(u),
        Value::Vector(v) => vector::to_text(v),
        Value::Array(items) => {
            let mut out = vec![b'{'];
            for (i, item) in items.iter().enumerate() {
                let t = match item {
                    Value::Null => None,
                    // Elements of a bytea[] are written the way byteain reads them back.
                    Value::Bytes(b) => {
                        let mut hex = Vec::new();
                        bytea::to_hex(b, &mut hex);
                        Some(String::from_utf8(hex).map_err(|_| PgError::internal("bytea hex is not UTF-8"))?)
                    }
                    _ => Some(natural_text(item, ctx)?),
                };
                array::push_text_element(t.as_deref().map(str::as_bytes), i == 0, &mut out);
            }
            out.push(b'}');
            String::from_utf8(out).map_err(|_| PgError::internal("array text is not UTF-8"))?
        }
    })
}

/// A parameter's PostgreSQL text form, for backends that take parameters as
/// None/bool/int/float/str/bytes (base.py): numerics as numeric_out, dates and times
/// in ISO form, timestamptz in UTC with a `+00:00` offset (readable by Python's
/// `datetime.fromisoformat` since 3.7), arrays as array literals, vectors as `[1,2]`.
pub fn param_text(p: &super::Param) -> PgResult<String> {
    let utc = TypeCtx::default();
    let v = p.as_value();
    let mut s = natural_text(&v, &utc)?;
    if matches!(v, Value::TimestampTz(t) if t != dt::TS_NOEND && t != dt::TS_NOBEGIN) {
        // "... 03:04:05+00" or "... 03:04:05+00 BC"
        s = s.replacen("+00", "+00:00", 1);
    }
    Ok(s)
}
