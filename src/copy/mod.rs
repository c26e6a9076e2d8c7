//! COPY data, in PostgreSQL's text, CSV and binary formats (one file each), and the
//! streaming driver: `CopyReader` turns CopyData chunks into batches of raw fields
//! (memory bounded by one batch and one partial line), `RowWriter` encodes rows for
//! COPY TO. Decoding fields into typed values is the type layer's (`types::decode_param`).

pub mod binary;
pub mod csv;
pub mod options;
pub mod text;

use bytes::{BufMut, BytesMut};

use crate::error::{sqlstate, PgError, PgResult};
pub use options::{Columns, CopyFormat, CopyOptions, Header, OptValue};

/// Start offset of a NULL field in `RowBatch::fields`.
pub const NULL_FIELD: u32 = u32::MAX;

pub(crate) fn bad_format(message: impl Into<String>) -> PgError {
    PgError::new(sqlstate::BAD_COPY_FILE_FORMAT, message)
}

/// A value as PostgreSQL prints it in an error context: at most 100 bytes, then "...".
pub fn printable(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    if text.len() <= 100 {
        return text.into_owned();
    }
    let mut end = 100;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// The newline style of the data, fixed by its first line (as PostgreSQL does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Eol {
    #[default]
    Unknown,
    Nl,
    Cr,
    CrNl,
}

/// Where the line being scanned stands, so a line split across CopyData messages is not rescanned.
#[derive(Debug, Default)]
pub struct LineScan {
    pub eol: Eol,
    /// Bytes of the current line already scanned.
    pub offset: usize,
    pub in_quote: bool,
    pub last_was_escape: bool,
    /// Newlines inside quoted CSV fields of the current line.
    pub embedded_lines: u64,
}

/// A line found in the input: data up to `end`, next line at `next`; `marker`: `\.` ended the data.
#[derive(Debug, Clone, Copy)]
pub struct LineEnd {
    pub end: usize,
    pub next: usize,
    pub marker: bool,
}

impl LineScan {
    /// A `\r` or `\n` at `i` ends the line: check it against the data's newline style.
    fn eol_at(&mut self, input: &[u8], i: usize, eof: bool, csv: bool) -> PgResult<Option<LineEnd>> {
        let (cr_message, cr_hint, nl_message, nl_hint) = if csv {
            (
                "unquoted carriage return found in data",
                "Use quoted CSV field to represent carriage return.",
                "unquoted newline found in data",
                "Use quoted CSV field to represent newline.",
            )
        } else {
            (
                "literal carriage return found in data",
                "Use \"\\r\" to represent carriage return.",
                "literal newline found in data",
                "Use \"\\n\" to represent newline.",
            )
        };
        if input[i] == b'\n' {
            if matches!(self.eol, Eol::Cr | Eol::CrNl) {
                return Err(bad_format(nl_message).with_hint(nl_hint));
            }
            self.eol = Eol::Nl;
            return Ok(Some(LineEnd { end: i, next: i + 1, marker: false }));
        }
        match self.eol {
            Eol::Cr => Ok(Some(LineEnd { end: i, next: i + 1, marker: false })),
            Eol::Nl => Err(bad_format(cr_message).with_hint(cr_hint)),
            Eol::Unknown | Eol::CrNl => match input.get(i + 1) {
                None if !eof => Ok(None),
                Some(b'\n') => {
                    self.eol = Eol::CrNl;
                    Ok(Some(LineEnd { end: i, next: i + 2, marker: false }))
                }
                _ if self.eol == Eol::CrNl => Err(bad_format(cr_message).with_hint(cr_hint)),
                _ => {
                    self.eol = Eol::Cr;
                    Ok(Some(LineEnd { end: i, next: i + 1, marker: false }))
                }
            },
        }
    }
}

/// Rows of raw field bytes: `ncols` entries of `fields` per row, each a range of `data`.
#[derive(Debug, Default)]
pub struct RowBatch {
    pub data: Vec<u8>,
    pub fields: Vec<(u32, u32)>,
    /// The input line number of each row (for error contexts).
    pub lines: Vec<u64>,
}

impl RowBatch {
    pub fn rows(&self) -> usize {
        self.lines.len()
    }

    pub fn field(&self, ncols: usize, row: usize, col: usize) -> Option<&[u8]> {
        let (start, end) = self.fields[row * ncols + col];
        (start != NULL_FIELD).then(|| &self.data[start as usize..end as usize])
    }

    pub fn clear(&mut self) {
        self.data.clear();
        self.fields.clear();
        self.lines.clear();
    }
}

fn trailing_data() -> PgError {
    bad_format("received copy data after EOF marker")
}

/// What `CopyReader::fill` stopped at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// The batch holds the rows asked for.
    Full,
    /// All input so far is parsed: send more CopyData.
    NeedMore,
    /// The data ended (CopyDone, `\.` or the binary trailer).
    End,
}

/// COPY FROM STDIN input, parsed as it arrives.
pub struct CopyReader {
    opts: CopyOptions,
    /// The columns the data fills, in order (for messages and HEADER MATCH).
    names: Vec<String>,
    table: String,
    force_not_null: Vec<bool>,
    force_null: Vec<bool>,
    input: Vec<u8>,
    pos: usize,
    scan: LineScan,
    /// Lines (rows, for binary) consumed so far.
    line: u64,
    eof: bool,
    ended: bool,
    header_pending: bool,
    /// The binary trailer was read: any more data is an error.
    after_trailer: bool,
    /// An error found after the rows before it were handed out.
    pending: Option<PgError>,
}

impl CopyReader {
    /// `names`: the columns the data fills; `columns`: all the table's columns.
    pub fn new(opts: CopyOptions, names: Vec<String>, columns: &[String], table: String) -> PgResult<CopyReader> {
        let force_not_null = opts.flags(&opts.force_not_null, "FORCE_NOT_NULL", &names, columns)?;
        let force_null = opts.flags(&opts.force_null, "FORCE_NULL", &names, columns)?;
        let header_pending = opts.header != Header::No || opts.format == CopyFormat::Binary;
        Ok(CopyReader {
            opts,
            names,
            table,
            force_not_null,
            force_null,
            input: Vec::new(),
            pos: 0,
            scan: LineScan::default(),
            line: 0,
            eof: false,
            ended: false,
            header_pending,
            after_trailer: false,
            pending: None,
        })
    }

    pub fn ncols(&self) -> usize {
        self.names.len()
    }

    /// The line being read, for errors that are not about a parsed row (CopyFail).
    pub fn current_line(&self) -> u64 {
        self.line + 1
    }

    pub fn context(&self, line: u64) -> String {
        format!("COPY {}, line {line}", self.table)
    }

    /// Whether an error is waiting to be reported (after CopyDone, or from extra binary data).
    pub fn failed(&self) -> bool {
        self.pending.is_some()
    }

    pub fn feed(&mut self, data: &[u8]) {
        if self.ended {
            // After `\.` PostgreSQL ignores the rest up to CopyDone; after the binary trailer
            // it refuses more data.
            if self.after_trailer && !data.is_empty() && self.pending.is_none() {
                self.pending = Some(trailing_data());
            }
            return;
        }
        if self.pos > 0 && self.pos == self.input.len() {
            self.input.clear();
            self.pos = 0;
        }
        self.input.extend_from_slice(data);
    }

    /// CopyDone: the input is complete.
    pub fn finish(&mut self) {
        self.eof = true;
    }

    /// Parse complete rows into `batch` until it holds `max` rows or the input runs out.
    /// A malformed row is reported after the rows before it were returned.
    pub fn fill(&mut self, batch: &mut RowBatch, max: usize) -> PgResult<Fill> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        let result = self.fill_rows(batch, max);
        if self.pos > 0 {
            self.input.drain(..self.pos);
            self.pos = 0;
        }
        match result {
            Err(e) if batch.rows() > 0 => {
                self.pending = Some(e);
                Ok(Fill::Full)
            }
            other => other,
        }
    }

    fn fill_rows(&mut self, batch: &mut RowBatch, max: usize) -> PgResult<Fill> {
        while batch.rows() < max {
            if self.ended {
                return Ok(Fill::End);
            }
            let parsed = match self.opts.format {
                CopyFormat::Binary => self.binary_row(batch)?,
                _ => self.text_row(batch)?,
            };
            if !parsed {
                return Ok(if self.ended { Fill::End } else { Fill::NeedMore });
            }
        }
        Ok(Fill::Full)
    }

    fn csv_chars(&self) -> csv::Chars {
        csv::Chars { delim: self.opts.delimiter, quote: self.opts.quote, escape: self.opts.escape }
    }

    /// One line of text or CSV; false when more input is needed (or the data ended).
    fn text_row(&mut self, batch: &mut RowBatch) -> PgResult<bool> {
        let chars = self.csv_chars();
        let rest = &self.input[self.pos..];
        let found = match self.opts.format {
            CopyFormat::Csv => csv::next_line(rest, &mut self.scan, chars, self.eof),
            _ => text::next_line(rest, &mut self.scan, self.eof),
        };
        let end = match found {
            Ok(Some(end)) => end,
            Ok(None) => {
                if self.eof {
                    self.ended = true;
                }
                return Ok(false);
            }
            Err(e) => return Err(e.with_context(self.context(self.line + 1))),
        };
        self.scan.offset = 0;
        self.scan.in_quote = false;
        self.scan.last_was_escape = false;
        let embedded = std::mem::take(&mut self.scan.embedded_lines);
        let (start, line_end) = (self.pos, self.pos + end.end);
        self.pos += end.next;
        if end.marker {
            self.ended = true;
            if end.end == 0 {
                return Ok(false);
            }
        } else if self.eof && self.pos >= self.input.len() {
            self.ended = true;
        }
        self.line += 1;
        let lineno = self.line;
        self.line += embedded;
        let line = &self.input[start..line_end];
        let context = || format!("COPY {}, line {lineno}: \"{}\"", self.table, printable(line));
        let before = (batch.data.len(), batch.fields.len());
        let count = match self.opts.format {
            CopyFormat::Csv => csv::split_fields(
                line,
                self.csv_chars(),
                self.opts.null.as_bytes(),
                &self.force_not_null,
                &self.force_null,
                &mut batch.data,
                &mut batch.fields,
            )
            .map_err(|e| e.with_context(context()))?,
            _ => text::split_fields(
                line,
                self.opts.delimiter,
                self.opts.null.as_bytes(),
                &mut batch.data,
                &mut batch.fields,
            ),
        };
        let undo = |batch: &mut RowBatch| {
            batch.data.truncate(before.0);
            batch.fields.truncate(before.1);
        };
        if self.header_pending {
            self.header_pending = false;
            let result = self.check_header(batch, before.1, count);
            undo(batch);
            result.map_err(|e| e.with_context(context()))?;
            return Ok(true);
        }
        let ncols = self.ncols();
        if count > ncols || (ncols == 0 && !line.is_empty()) {
            undo(batch);
            return Err(bad_format("extra data after last expected column").with_context(context()));
        }
        if count < ncols {
            undo(batch);
            let missing = &self.names[count];
            return Err(bad_format(format!("missing data for column \"{missing}\"")).with_context(context()));
        }
        if ncols == 0 {
            undo(batch);
        }
        batch.lines.push(lineno);
        Ok(true)
    }

    /// HEADER MATCH: the header names the columns, in order.
    fn check_header(&self, batch: &RowBatch, first: usize, count: usize) -> PgResult<()> {
        if self.opts.header != Header::Match {
            return Ok(());
        }
        if count != self.ncols() {
            return Err(bad_format(format!(
                "wrong number of fields in header line: field count is {count}, expected {}",
                self.ncols()
            )));
        }
        for (i, name) in self.names.iter().enumerate() {
            let (s, e) = batch.fields[first + i];
            if s == NULL_FIELD {
                return Err(bad_format(format!(
                    "column name mismatch in header line field {}: got null value (\"{}\"), expected \"{name}\"",
                    i + 1,
                    self.opts.null
                )));
            }
            let got = String::from_utf8_lossy(&batch.data[s as usize..e as usize]);
            if got != *name {
                return Err(bad_format(format!(
                    "column name mismatch in header line field {}: got \"{got}\", expected \"{name}\"",
                    i + 1
                )));
            }
        }
        Ok(())
    }

    fn binary_row(&mut self, batch: &mut RowBatch) -> PgResult<bool> {
        let rest = &self.input[self.pos..];
        let step = if self.header_pending {
            binary::header(rest, self.eof)
        } else {
            binary::tuple(rest, self.ncols(), self.eof, &mut batch.data, &mut batch.fields)
        }
        .map_err(|e| e.with_context(self.context(self.line + 1)))?;
        match step {
            binary::Step::NeedMore => Ok(false),
            binary::Step::Header(n) => {
                self.header_pending = false;
                self.pos += n;
                Ok(true)
            }
            binary::Step::Tuple(n) => {
                self.pos += n;
                self.line += 1;
                batch.lines.push(self.line);
                Ok(true)
            }
            binary::Step::End(n) => {
                self.pos += n;
                self.ended = true;
                self.after_trailer = true;
                if self.pos < self.input.len() {
                    return Err(trailing_data());
                }
                Ok(false)
            }
        }
    }
}

/// Encodes rows for COPY TO STDOUT: one CopyData message per row, as PostgreSQL sends them.
pub struct RowWriter {
    pub opts: CopyOptions,
    force_quote: Vec<bool>,
    ncols: usize,
    scratch: BytesMut,
    /// Binary: the file header still to send (PostgreSQL sends it with the first row).
    binary_header: bool,
}

impl RowWriter {
    pub fn new(opts: CopyOptions, names: &[String]) -> PgResult<RowWriter> {
        let force_quote = opts.flags(&opts.force_quote, "FORCE_QUOTE", names, names)?;
        let binary_header = opts.format == CopyFormat::Binary;
        Ok(RowWriter { opts, force_quote, ncols: names.len(), scratch: BytesMut::new(), binary_header })
    }

    pub fn binary(&self) -> bool {
        self.opts.format == CopyFormat::Binary
    }

    fn csv_chars(&self) -> csv::Chars {
        csv::Chars { delim: self.opts.delimiter, quote: self.opts.quote, escape: self.opts.escape }
    }

    /// The header line (text and CSV with HEADER), as its own CopyData message.
    pub fn header(&mut self, names: &[String], out: &mut BytesMut) {
        if self.opts.header == Header::No || self.binary() {
            return;
        }
        let start = crate::protocol::backend::begin_copy_data(out);
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                out.put_u8(self.opts.delimiter);
            }
            match self.opts.format {
                CopyFormat::Csv => csv::write_field(
                    out,
                    name.as_bytes(),
                    self.csv_chars(),
                    self.opts.null.as_bytes(),
                    false,
                    self.ncols == 1,
                ),
                _ => text::write_field(out, name.as_bytes(), self.opts.delimiter),
            }
        }
        out.put_u8(b'\n');
        crate::protocol::backend::finish_copy_data(out, start);
    }

    pub fn begin_row(&mut self, out: &mut BytesMut) {
        if self.binary() {
            if std::mem::take(&mut self.binary_header) {
                binary::write_header(out);
            }
            out.put_i16(self.ncols as i16);
        }
    }

    /// Binary: the -1 trailer as its own CopyData message (with the header if no row was sent).
    pub fn trailer(&mut self, out: &mut BytesMut) {
        if !self.binary() {
            return;
        }
        let start = crate::protocol::backend::begin_copy_data(out);
        if std::mem::take(&mut self.binary_header) {
            binary::write_header(out);
        }
        out.put_i16(-1);
        crate::protocol::backend::finish_copy_data(out, start);
    }

    fn separator(&self, col: usize, out: &mut BytesMut) {
        if col > 0 && !self.binary() {
            out.put_u8(self.opts.delimiter);
        }
    }

    pub fn null(&self, col: usize, out: &mut BytesMut) {
        self.separator(col, out);
        if self.binary() {
            out.put_i32(-1);
        } else {
            out.put_slice(self.opts.null.as_bytes());
        }
    }

    /// A non-NULL value: `write` appends its text (text/CSV) or binary form.
    pub fn value(
        &mut self,
        col: usize,
        out: &mut BytesMut,
        write: impl FnOnce(&mut BytesMut) -> PgResult<()>,
    ) -> PgResult<()> {
        self.separator(col, out);
        if self.binary() {
            let start = out.len();
            out.put_i32(0);
            write(out)?;
            let len = (out.len() - start - 4) as i32;
            out[start..start + 4].copy_from_slice(&len.to_be_bytes());
            return Ok(());
        }
        self.scratch.clear();
        write(&mut self.scratch)?;
        match self.opts.format {
            CopyFormat::Csv => csv::write_field(
                out,
                &self.scratch,
                self.csv_chars(),
                self.opts.null.as_bytes(),
                self.force_quote[col],
                self.ncols == 1,
            ),
            _ => text::write_field(out, &self.scratch, self.opts.delimiter),
        }
        Ok(())
    }

    pub fn end_row(&self, out: &mut BytesMut) {
        if !self.binary() {
            out.put_u8(b'\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(items: &[(&str, OptValue)]) -> CopyOptions {
        let items: Vec<_> = items.iter().map(|(n, v)| (n.to_string(), v.clone())).collect();
        CopyOptions::parse(&items, true).unwrap()
    }

    /// Feed `data` in chunks of `step` bytes; the rows as (line, fields).
    fn read(o: CopyOptions, ncols: usize, data: &[u8], step: usize) -> PgResult<Vec<(u64, Vec<Option<String>>)>> {
        let names: Vec<String> = (0..ncols).map(|i| format!("c{i}")).collect();
        let mut reader = CopyReader::new(o, names.clone(), &names, "t".into())?;
        let mut batch = RowBatch::default();
        let mut out = Vec::new();
        let mut collect = |batch: &mut RowBatch| {
            for r in 0..batch.rows() {
                let fields = (0..ncols)
                    .map(|c| batch.field(ncols, r, c).map(|f| String::from_utf8_lossy(f).into_owned()))
                    .collect();
                out.push((batch.lines[r], fields));
            }
            batch.clear();
        };
        for chunk in data.chunks(step.max(1)) {
            reader.feed(chunk);
            while reader.fill(&mut batch, 2)? == Fill::Full {
                collect(&mut batch);
            }
        }
        reader.finish();
        while reader.fill(&mut batch, 2)? != Fill::End {
            collect(&mut batch);
        }
        collect(&mut batch);
        Ok(out)
    }

    #[test]
    fn any_chunking_gives_the_same_rows() {
        let csv = opts(&[("format", OptValue::Word("csv".into())), ("header", OptValue::None)]);
        let data = b"a,b\r\n1,\"x\r\ny\"\r\n2,\r\n3,\"\"\r\n\\.\r\nignored\r\n";
        let want = read(csv.clone(), 2, data, data.len()).unwrap();
        assert_eq!(
            want,
            vec![
                (2, vec![Some("1".into()), Some("x\r\ny".into())]),
                (4, vec![Some("2".into()), None]),
                (5, vec![Some("3".into()), Some("".into())]),
            ]
        );
        for step in 1..8 {
            assert_eq!(read(csv.clone(), 2, data, step).unwrap(), want, "chunks of {step}");
        }
        let text = opts(&[]);
        let data = b"1\tone\\\ttab\n2\t\\N\n3\tlast";
        let want = read(text.clone(), 2, data, data.len()).unwrap();
        assert_eq!(want.len(), 3);
        assert_eq!(want[0].1[1].as_deref(), Some("one\ttab"));
        for step in 1..6 {
            assert_eq!(read(text.clone(), 2, data, step).unwrap(), want);
        }
    }

    #[test]
    fn row_errors_come_after_the_rows_before_them() {
        let names = vec!["a".to_string(), "b".to_string()];
        let mut reader = CopyReader::new(opts(&[]), names.clone(), &names, "t".into()).unwrap();
        reader.feed(b"1\t2\n3\n");
        let mut batch = RowBatch::default();
        assert_eq!(reader.fill(&mut batch, 10).unwrap(), Fill::Full);
        assert_eq!(batch.rows(), 1);
        let err = reader.fill(&mut batch, 10).unwrap_err();
        assert_eq!(err.message, "missing data for column \"b\"");
        assert_eq!(err.context.as_deref(), Some("COPY t, line 2: \"3\""));
    }

    #[test]
    fn binary_in_chunks_and_trailing_data() {
        let mut data = BytesMut::new();
        binary::write_header(&mut data);
        for i in 0..3i32 {
            data.put_i16(1);
            data.put_i32(4);
            data.put_i32(i);
        }
        data.put_i16(-1);
        let o = opts(&[("format", OptValue::Word("binary".into()))]);
        for step in [1, 3, 7, 100] {
            let rows = read(o.clone(), 1, &data, step).unwrap();
            assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), vec![1, 2, 3]);
        }
        data.put_u8(0);
        assert_eq!(read(o, 1, &data, 100).unwrap_err().message, "received copy data after EOF marker");
    }
}
