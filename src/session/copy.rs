//! COPY .. FROM STDIN and COPY .. TO STDOUT: the copy sub-protocol of a session.
//!
//! COPY FROM answers CopyInResponse, then parses CopyData as it arrives (`copy::CopyReader`)
//! and hands the rows to the backend in batches of `--copy-batch-rows`, one
//! `executemany` each, inside one transaction (the gateway's implicit one unless the
//! client opened one). CopyDone ends it with `COPY n`; CopyFail, a malformed row or a
//! backend error ends it with an ErrorResponse (the session then rolls the implicit
//! transaction back, so nothing of the COPY is committed). Flush and Sync are ignored
//! until then, as PostgreSQL does. COPY TO runs the query and streams its rows as
//! CopyData, one message per row.

use std::sync::Arc;

use bytes::Bytes;

use super::columns::column_type;
use super::{close_cursor, Done, Expect, ReadError, Session, Started, Tx, FLUSH_THRESHOLD};
use crate::backend::{Cursor, InsertPlan, InsertSql, RowPlan};
use crate::copy::{Columns, CopyFormat, CopyReader, Fill, RowBatch, RowWriter};
use crate::error::{sqlstate, PgError, PgResult};
use crate::protocol::backend as be;
use crate::protocol::frontend::Message;
use crate::translate::{Action, CopyStatement, Target};
use crate::types::Format;

/// Rows per INSERT statement where the backend takes multi-row VALUES.
const MULTI_ROW_VALUES: usize = 100;

/// A message of the copy-in sub-protocol.
enum CopyIn {
    Data(Bytes),
    Done,
    Fail(String),
}

/// An identifier as SQL: bare when PostgreSQL would read it back unchanged.
fn quote_ident(name: &str) -> String {
    let simple = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && sqlparser::keywords::ALL_KEYWORDS.binary_search(&name.to_ascii_uppercase().as_str()).is_err();
    if simple {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

impl Session {
    pub(super) async fn copy(&mut self, copy: &CopyStatement) -> PgResult<Done> {
        if copy.from {
            self.copy_from(copy).await
        } else {
            self.copy_to(copy).await
        }
    }

    async fn copy_from(&mut self, copy: &CopyStatement) -> PgResult<Done> {
        let described = self.describe_probe(&copy.select_sql()).await?;
        let (names, column_sql): (Vec<String>, Vec<String>) = if copy.column_names.is_empty() {
            described.iter().map(|c| (c.name.clone(), quote_ident(&c.name))).unzip()
        } else {
            (copy.column_names.clone(), copy.column_sql.clone())
        };
        if let Some(dup) = names.iter().enumerate().find_map(|(i, n)| names[..i].contains(n).then_some(n)) {
            return Err(PgError::new("42701", format!("column \"{dup}\" specified more than once")));
        }
        if described.len() != names.len() {
            return Err(PgError::internal("the backend described a different number of COPY columns"));
        }
        let table = copy.table.as_deref().unwrap_or_default();
        let single = self.insert_sql(table, &column_sql, 1)?;
        // SQLite runs a multi-row VALUES several times faster than one statement per row;
        // IRIS has no multi-row VALUES. SQLite takes at most 32766 parameters.
        let per = (32_000 / names.len().max(1)).min(MULTI_ROW_VALUES);
        let multi = match self.ctx.config.target {
            Target::Sqlite if per > 1 => Some((self.insert_sql(table, &column_sql, per)?, per)),
            _ => None,
        };
        let binary = copy.options.format == CopyFormat::Binary;
        let plan = Arc::new(InsertPlan {
            single,
            multi,
            types: described.iter().map(column_type).collect(),
            names: names.clone(),
            format: if binary { Format::Binary } else { Format::Text },
            ctx: self.settings.type_ctx().clone(),
            relation: copy.relation.clone(),
        });
        let forced = [&copy.options.force_not_null, &copy.options.force_null];
        let table_columns = if !copy.column_names.is_empty() && forced.iter().any(|c| matches!(c, Columns::Named(_))) {
            let all = format!("SELECT * FROM {}", copy.table.as_deref().unwrap_or_default());
            self.describe_probe(&all).await?.into_iter().map(|c| c.name).collect()
        } else {
            names.clone()
        };
        let mut reader = CopyReader::new(copy.options.clone(), names, &table_columns, copy.relation.clone())?;
        if self.tx == Tx::Idle {
            self.backend_call(|b| b.begin()).await?;
            self.tx = Tx::Implicit;
        }
        be::copy_in_response(&mut self.conn.out, binary, reader.ncols());
        self.conn.flush().await.map_err(|_| PgError::new(sqlstate::CONNECTION_FAILURE, "client went away"))?;
        let batch_rows = self.ctx.config.copy_batch_rows.max(1);
        let mut batch = RowBatch::default();
        let (mut total, mut ended) = (0u64, false);
        loop {
            let done = match self.copy_message().await? {
                CopyIn::Data(data) => {
                    reader.feed(&data);
                    false
                }
                CopyIn::Done => {
                    reader.finish();
                    true
                }
                CopyIn::Fail(reason) => {
                    return Err(PgError::new(sqlstate::QUERY_CANCELED, format!("COPY from stdin failed: {reason}"))
                        .with_context(reader.context(reader.current_line())))
                }
            };
            while !ended || reader.failed() {
                match reader.fill(&mut batch, batch_rows)? {
                    Fill::Full => total += self.insert_rows(&plan, &mut batch).await?,
                    Fill::NeedMore => break,
                    Fill::End => {
                        if batch.rows() > 0 {
                            total += self.insert_rows(&plan, &mut batch).await?;
                        }
                        ended = true;
                    }
                }
            }
            if done {
                self.ctx.metrics.add(&self.ctx.metrics.copy_rows_in, total as u64);
                return Ok(Done { tag: format!("COPY {total}") });
            }
        }
    }

    /// The backend INSERT of `rows` rows into `table`: one statement with one marker per value.
    fn insert_sql(&self, table: &str, columns: &[String], rows: usize) -> PgResult<InsertSql> {
        let n = columns.len();
        let values: Vec<String> = (0..rows)
            .map(|r| format!("({})", (1..=n).map(|c| format!("${}", r * n + c)).collect::<Vec<_>>().join(", ")))
            .collect();
        let insert = format!("INSERT INTO {table} ({}) VALUES {}", columns.join(", "), values.join(", "));
        let translated = self.ctx.translate(&insert, &self.own_ddl)?;
        match translated.first().map(|t| &t.action) {
            Some(Action::Execute { statements, .. }) if statements.len() == 1 => {
                Ok(InsertSql { sql: statements[0].sql.clone(), order: statements[0].params.clone() })
            }
            _ => Err(PgError::internal(format!("COPY needs one backend INSERT for {table}"))),
        }
    }

    /// The next CopyData / CopyDone / CopyFail; Flush and Sync are ignored during COPY IN.
    async fn copy_message(&mut self) -> PgResult<CopyIn> {
        loop {
            let (tag, body) = match self.conn.read_message().await {
                Ok(Some(frame)) => frame,
                Ok(None) | Err(ReadError::Io) => {
                    return Err(PgError::new(sqlstate::CONNECTION_FAILURE, "unexpected EOF on client connection"))
                }
                Err(ReadError::Protocol(e)) => return Err(e),
            };
            return Ok(match Message::parse(tag, body)? {
                Message::CopyData(data) => CopyIn::Data(data),
                Message::CopyDone => CopyIn::Done,
                Message::CopyFail(reason) => CopyIn::Fail(reason),
                Message::Flush | Message::Sync => continue,
                _ => {
                    return Err(PgError::protocol(format!(
                        "unexpected message type 0x{tag:02X} during COPY from stdin"
                    )))
                }
            });
        }
    }

    /// One batch to the backend; the batch's buffers come back for the next one.
    async fn insert_rows(&mut self, plan: &Arc<InsertPlan>, batch: &mut RowBatch) -> PgResult<u64> {
        let rows = std::mem::take(batch);
        let plan = plan.clone();
        let (inserted, mut rows) = self
            .with_backend(move |b, _| {
                let inserted = b.insert_batch(&plan, &rows);
                Ok((inserted, rows))
            })
            .await?;
        rows.clear();
        *batch = rows;
        inserted
    }

    async fn copy_to(&mut self, copy: &CopyStatement) -> PgResult<Done> {
        let translated = self.ctx.translate(&copy.select_sql(), &self.own_ddl)?;
        let stmt = match translated.as_slice() {
            [stmt] if matches!(stmt.action, Action::Execute { returns_rows: true, .. }) => stmt.clone(),
            _ => return Err(PgError::unsupported("COPY (query) TO needs a query that returns rows")),
        };
        let expect =
            Expect { shape: None, key: None, param_types: &[], result_formats: &[], describe_rows: false, limit: None };
        let (columns, cursor) = match self.start(&stmt, &[], expect).await? {
            Started::Rows { result, cursor: Some(cursor), .. } => (result.columns.clone(), cursor),
            Started::Rows { cursor: None, .. } | Started::Command(_) => {
                return Err(PgError::unsupported("COPY (query) TO needs a query that returns rows"))
            }
        };
        let names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        let mut writer = match RowWriter::new(copy.options.clone(), &names) {
            Ok(w) => w,
            Err(e) => {
                close_cursor(cursor).await;
                return Err(e);
            }
        };
        let format = if writer.binary() { Format::Binary } else { Format::Text };
        let plan = self.row_plan(&columns, vec![format; columns.len()]);
        be::copy_out_response(&mut self.conn.out, writer.binary(), columns.len());
        writer.header(&names, &mut self.conn.out);
        let sent = self.stream_copy(&cursor, &plan, writer).await;
        close_cursor(cursor).await;
        let (rows, mut writer) = sent?;
        writer.trailer(&mut self.conn.out);
        be::copy_done(&mut self.conn.out);
        self.ctx.metrics.add(&self.ctx.metrics.copy_rows_out, rows as u64);
        Ok(Done { tag: format!("COPY {rows}") })
    }

    /// Fetch and send every row as CopyData; returns the row count and the writer.
    async fn stream_copy(
        &mut self,
        cursor: &Arc<dyn Cursor>,
        plan: &Arc<RowPlan>,
        mut writer: RowWriter,
    ) -> PgResult<(u64, RowWriter)> {
        let want = self.ctx.config.fetch_batch_rows.max(1);
        let mut sent = 0u64;
        loop {
            let (c, p) = (cursor.clone(), plan.clone());
            let _running = self.lease.as_ref().map(|l| self.cancel.running(&l.conn())).transpose()?;
            let w = &mut writer;
            let batch = self.with_out(move |out| c.fetch_copy(want, &p, w, out)).await?;
            sent += batch.rows;
            if self.conn.out.len() >= FLUSH_THRESHOLD {
                self.conn.flush().await.map_err(|_| PgError::new(sqlstate::CONNECTION_FAILURE, "client went away"))?;
            }
            if batch.done {
                return Ok((sent, writer));
            }
        }
    }
}
