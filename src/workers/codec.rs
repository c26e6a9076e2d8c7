//! The frames between the gateway and its job workers, over a Unix socket.
//!
//! A frame is a 4-byte big-endian length (of what follows), a tag byte and a body of
//! fixed-width integers and length-prefixed strings. The gateway sends one request and
//! reads one reply; row data in a reply is already DataRow bytes, appended to the
//! session's output as they are.

use std::io::{self, Read, Write};

use crate::backend::{Column, Fetched, InsertPlan, InsertSql, RowPlan};
use crate::copy::RowBatch;
use crate::error::{intern_sqlstate, PgError, PgResult, Severity};
use crate::types::datestyle::DateStyle;
use crate::types::{self, Format, Param, TimeZone, TypeCtx};

/// Request tags (gateway -> worker).
pub mod req {
    pub const DESCRIBE: u8 = b'D';
    pub const RUN: u8 = b'R';
    pub const FETCH: u8 = b'F';
    pub const CLOSE_CURSOR: u8 = b'C';
    pub const BEGIN: u8 = b'B';
    pub const COMMIT: u8 = b'M';
    pub const ROLLBACK: u8 = b'K';
    pub const STATEMENT_TIMEOUT: u8 = b'T';
    pub const LOCK_TIMEOUT: u8 = b'L';
    pub const INSERT: u8 = b'I';
    pub const RESET: u8 = b'Z';
    /// Close the connection and exit.
    pub const STOP: u8 = b'S';
}

/// Reply tags (worker -> gateway).
pub mod rep {
    pub const HELLO: u8 = b'h';
    pub const ERROR: u8 = b'e';
    pub const OK: u8 = b'k';
    pub const COUNT: u8 = b'n';
    pub const DESCRIBED: u8 = b'd';
    pub const RAN: u8 = b'r';
    pub const FETCHED: u8 = b'f';
}

/// Frames larger than this are refused (a corrupt length, not a real reply).
const MAX_FRAME: usize = 1 << 30;

/// A frame being written: `Frame::new(tag)`, `put_*`, then `send`.
pub struct Frame {
    buf: Vec<u8>,
}

impl Frame {
    pub fn new(tag: u8) -> Frame {
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(&[0, 0, 0, 0, tag]);
        Frame { buf }
    }

    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn i32(&mut self, v: i32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.u32(v.len() as u32);
        self.buf.extend_from_slice(v);
        self
    }

    pub fn str(&mut self, v: &str) -> &mut Self {
        self.bytes(v.as_bytes())
    }

    pub fn opt_str(&mut self, v: Option<&str>) -> &mut Self {
        match v {
            None => self.u8(0),
            Some(s) => self.u8(1).str(s),
        }
    }

    /// Raw bytes to the end of the frame (DataRow/CopyData data).
    pub fn tail(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }

    pub fn send(&mut self, w: &mut impl Write) -> io::Result<()> {
        let len = (self.buf.len() - 4) as u32;
        self.buf[..4].copy_from_slice(&len.to_be_bytes());
        w.write_all(&self.buf)
    }

    pub fn columns(&mut self, cols: Option<&[Column]>) -> &mut Self {
        let Some(cols) = cols else { return self.u8(0) };
        self.u8(1).u32(cols.len() as u32);
        for c in cols {
            self.str(&c.name).u32(c.ty.map_or(0, |t| t.oid)).i32(c.typmod);
        }
        self
    }

    pub fn ctx(&mut self, ctx: &TypeCtx) -> &mut Self {
        match &ctx.time_zone {
            TimeZone::Fixed { name, offset } => self.u8(0).str(name).i32(*offset),
            TimeZone::Named { name, .. } => self.u8(1).str(name),
        };
        // The worker encodes rows, so it writes dates in the session's DateStyle.
        self.str(&ctx.date_style.name())
    }

    pub fn plan(&mut self, plan: &RowPlan) -> &mut Self {
        self.u32(plan.types.len() as u32);
        for ((t, m), f) in plan.types.iter().zip(&plan.typmods).zip(&plan.formats) {
            self.u32(types::enums::codec_type(t).oid).i32(*m).u8(format_byte(*f));
        }
        self.ctx(&plan.ctx)
    }

    /// A bind parameter as the Python backends take it (`values::param_to_py`): the kinds
    /// Python gets natively travel as such, every other one as its PostgreSQL text.
    pub fn param(&mut self, p: &Param) -> PgResult<&mut Self> {
        Ok(match p {
            Param::Null => self.u8(0),
            Param::Bool(b) => self.u8(1).u8(*b as u8),
            Param::Int(i) => self.u8(2).i64(*i),
            Param::Float(f) => self.u8(3).i64(f.to_bits() as i64),
            Param::Text(s) => self.u8(4).str(s),
            Param::Bytes(b) => self.u8(5).bytes(b),
            other => self.u8(4).str(&types::param_text(other)?),
        })
    }

    pub fn error(&mut self, e: &PgError) -> &mut Self {
        self.str(e.code)
            .u8(matches!(e.severity, Severity::Fatal) as u8)
            .str(&e.message)
            .opt_str(e.detail.as_deref())
            .opt_str(e.hint.as_deref())
            .opt_str(e.context.as_deref())
    }

    pub fn fetched(&mut self, f: Fetched) -> &mut Self {
        self.i64(f.rows as i64).u8(f.done as u8)
    }

    pub fn insert_plan(&mut self, plan: &InsertPlan, batch: &RowBatch) -> &mut Self {
        let sql = |f: &mut Frame, s: &InsertSql| {
            f.str(&s.sql).u32(s.order.len() as u32);
            for &i in &s.order {
                f.u32(i as u32);
            }
        };
        sql(self, &plan.single);
        match &plan.multi {
            None => self.u8(0),
            Some((multi, rows)) => {
                self.u8(1);
                sql(self, multi);
                self.u32(*rows as u32)
            }
        };
        self.u32(plan.types.len() as u32);
        for (t, n) in plan.types.iter().zip(&plan.names) {
            self.u32(types::enums::codec_type(t).oid).str(n);
        }
        self.u8(format_byte(plan.format)).ctx(&plan.ctx).str(&plan.relation);
        self.bytes(&batch.data).u32(batch.fields.len() as u32);
        for &(a, b) in &batch.fields {
            self.u32(a).u32(b);
        }
        self.u32(batch.lines.len() as u32);
        for &l in &batch.lines {
            self.i64(l as i64);
        }
        self
    }
}

fn format_byte(f: Format) -> u8 {
    (f == Format::Binary) as u8
}

/// Read one frame: (tag, body). `Ok(None)` at a clean end of stream.
pub fn read_frame(r: &mut impl Read, body: &mut Vec<u8>) -> io::Result<Option<u8>> {
    let mut head = [0u8; 5];
    match r.read_exact(&mut head[..1]) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        other => other?,
    }
    r.read_exact(&mut head[1..])?;
    let len = u32::from_be_bytes(head[..4].try_into().unwrap()) as usize;
    if !(1..=MAX_FRAME).contains(&len) {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("bad frame length {len}")));
    }
    body.clear();
    body.resize(len - 1, 0);
    r.read_exact(body)?;
    Ok(Some(head[4]))
}

/// Reads the fields of a frame body in order.
pub struct Body<'a> {
    buf: &'a [u8],
}

fn short() -> PgError {
    PgError::internal("worker frame ends early")
}

impl<'a> Body<'a> {
    pub fn new(buf: &'a [u8]) -> Body<'a> {
        Body { buf }
    }

    fn take(&mut self, n: usize) -> PgResult<&'a [u8]> {
        if self.buf.len() < n {
            return Err(short());
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    pub fn u8(&mut self) -> PgResult<u8> {
        Ok(self.take(1)?[0])
    }

    pub fn u32(&mut self) -> PgResult<u32> {
        Ok(u32::from_be_bytes(self.take(4)?.try_into().unwrap()))
    }

    pub fn i32(&mut self) -> PgResult<i32> {
        Ok(i32::from_be_bytes(self.take(4)?.try_into().unwrap()))
    }

    pub fn i64(&mut self) -> PgResult<i64> {
        Ok(i64::from_be_bytes(self.take(8)?.try_into().unwrap()))
    }

    pub fn bytes(&mut self) -> PgResult<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    pub fn str(&mut self) -> PgResult<&'a str> {
        std::str::from_utf8(self.bytes()?).map_err(|_| PgError::internal("worker frame: bad UTF-8"))
    }

    pub fn opt_str(&mut self) -> PgResult<Option<String>> {
        Ok(match self.u8()? {
            0 => None,
            _ => Some(self.str()?.to_string()),
        })
    }

    pub fn tail(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    fn pg_type(&mut self) -> PgResult<&'static types::PgType> {
        let oid = self.u32()?;
        types::by_oid(oid).ok_or_else(|| PgError::internal(format!("worker frame: unknown type oid {oid}")))
    }

    pub fn columns(&mut self) -> PgResult<Option<Vec<Column>>> {
        if self.u8()? == 0 {
            return Ok(None);
        }
        let n = self.u32()? as usize;
        let mut cols = Vec::with_capacity(n);
        for _ in 0..n {
            let name = self.str()?.to_string();
            let oid = self.u32()?;
            let ty = if oid == 0 { None } else { types::by_oid(oid) };
            cols.push(Column { name, ty, typmod: self.i32()? });
        }
        Ok(Some(cols))
    }

    pub fn ctx(&mut self) -> PgResult<TypeCtx> {
        let time_zone = match self.u8()? {
            0 => TimeZone::Fixed { name: self.str()?.to_string(), offset: self.i32()? },
            _ => TimeZone::parse(self.str()?)?,
        };
        let date_style = DateStyle::from_name(self.str()?);
        Ok(TypeCtx { time_zone, date_style })
    }

    fn format(&mut self) -> PgResult<Format> {
        Ok(if self.u8()? == 1 { Format::Binary } else { Format::Text })
    }

    pub fn plan(&mut self) -> PgResult<RowPlan> {
        let n = self.u32()? as usize;
        let (mut types, mut typmods, mut formats) =
            (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            types.push(self.pg_type()?);
            typmods.push(self.i32()?);
            formats.push(self.format()?);
        }
        Ok(RowPlan { types, typmods, formats, ctx: self.ctx()? })
    }

    pub fn params(&mut self) -> PgResult<Vec<Param>> {
        let n = self.u32()? as usize;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(match self.u8()? {
                0 => Param::Null,
                1 => Param::Bool(self.u8()? != 0),
                2 => Param::Int(self.i64()?),
                3 => Param::Float(f64::from_bits(self.i64()? as u64)),
                4 => Param::Text(self.str()?.to_string()),
                _ => Param::Bytes(self.bytes()?.to_vec()),
            });
        }
        Ok(out)
    }

    pub fn error(&mut self) -> PgResult<PgError> {
        let code = intern_sqlstate(self.str()?);
        let fatal = self.u8()? != 0;
        let mut e = PgError::new(code, self.str()?);
        if fatal {
            e.severity = Severity::Fatal;
        }
        e.detail = self.opt_str()?;
        e.hint = self.opt_str()?;
        e.context = self.opt_str()?;
        Ok(e)
    }

    pub fn fetched(&mut self) -> PgResult<Fetched> {
        Ok(Fetched { rows: self.i64()? as u64, done: self.u8()? != 0 })
    }

    pub fn insert_plan(&mut self) -> PgResult<(InsertPlan, RowBatch)> {
        fn sql(b: &mut Body<'_>) -> PgResult<InsertSql> {
            let sql = b.str()?.to_string();
            let n = b.u32()? as usize;
            let order = (0..n).map(|_| b.u32().map(|i| i as usize)).collect::<PgResult<_>>()?;
            Ok(InsertSql { sql, order })
        }
        let single = sql(self)?;
        let multi = match self.u8()? {
            0 => None,
            _ => Some((sql(self)?, self.u32()? as usize)),
        };
        let n = self.u32()? as usize;
        let (mut types, mut names) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..n {
            types.push(self.pg_type()?);
            names.push(self.str()?.to_string());
        }
        let format = self.format()?;
        let ctx = self.ctx()?;
        let relation = self.str()?.to_string();
        let data = self.bytes()?.to_vec();
        let nf = self.u32()? as usize;
        let fields = (0..nf).map(|_| Ok((self.u32()?, self.u32()?))).collect::<PgResult<_>>()?;
        let nl = self.u32()? as usize;
        let lines = (0..nl).map(|_| self.i64().map(|l| l as u64)).collect::<PgResult<_>>()?;
        let plan = InsertPlan { single, multi, types, names, format, ctx, relation };
        Ok((plan, RowBatch { data, fields, lines }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let plan = RowPlan {
            types: vec![&types::INT4, &types::TEXT],
            typmods: vec![-1, -1],
            formats: vec![Format::Binary, Format::Text],
            ctx: TypeCtx {
                time_zone: TimeZone::parse("Europe/Paris").unwrap(),
                date_style: DateStyle::from_name("German, YMD"),
            },
        };
        let params = [Param::Null, Param::Int(-3), Param::Float(f64::NAN), Param::Text("é".into()), Param::Date(0)];
        let mut f = Frame::new(req::RUN);
        f.plan(&plan).u32(params.len() as u32);
        for p in &params {
            f.param(p).unwrap();
        }
        f.error(&PgError::new("22P02", "bad").with_detail("d")).tail(b"rows");
        let mut wire = Vec::new();
        f.send(&mut wire).unwrap();
        let mut body = Vec::new();
        let tag = read_frame(&mut wire.as_slice(), &mut body).unwrap();
        assert_eq!(tag, Some(req::RUN));
        let mut b = Body::new(&body);
        let got = b.plan().unwrap();
        assert_eq!(got.types.len(), 2);
        assert_eq!(got.formats, plan.formats);
        assert_eq!(got.ctx.time_zone.name(), "Europe/Paris");
        assert_eq!(got.ctx.date_style.name(), "German, YMD");
        let p = b.params().unwrap();
        assert_eq!(p[1], Param::Int(-3));
        assert!(matches!(p[2], Param::Float(x) if x.is_nan()));
        assert_eq!(p[3], Param::Text("é".into()));
        assert_eq!(p[4], Param::Text("2000-01-01".into()));
        let e = b.error().unwrap();
        assert_eq!((e.code, e.message.as_str(), e.detail.as_deref()), ("22P02", "bad", Some("d")));
        assert_eq!(b.tail(), b"rows");
    }
}
