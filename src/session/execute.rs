//! Running a statement on the backend: transaction control (BEGIN / COMMIT / ROLLBACK),
//! starting a backend statement (its captured values, guards and result shape), typing
//! its result columns, and streaming rows to the client.

use std::sync::Arc;

use super::*;

impl Session {
    /// Run one statement of the simple protocol (RowDescription is sent here when
    /// `describe_rows`), or an extended-protocol statement the gateway answers itself.
    pub(super) async fn run_statement(
        &mut self,
        stmt: &Translated,
        text: &str,
        params: &[Param],
        result_formats: &[i16],
        describe_rows: bool,
    ) -> PgResult<Done> {
        if self.tx == Tx::Failed && !Self::allowed_when_failed(stmt) {
            return Err(Self::aborted_error());
        }
        match &stmt.action {
            Action::Begin { modes, settings } => {
                self.begin(modes, settings).await.map(|_| Done { tag: stmt.tag.render(0) })
            }
            Action::Commit => self.commit().await,
            Action::Rollback => self.rollback().await,
            Action::Set { name, value, local } => {
                if let Some((n, v)) = self.settings.set(name, value.as_deref(), *local)? {
                    be::parameter_status(&mut self.conn.out, &n, &v);
                }
                self.settings_changed();
                Ok(Done { tag: stmt.tag.render(0) })
            }
            Action::Reset { name } => {
                for (n, v) in self.settings.reset(name)? {
                    be::parameter_status(&mut self.conn.out, &n, &v);
                }
                self.settings_changed();
                Ok(Done { tag: "RESET".into() })
            }
            Action::Show { .. } | Action::Local(_) => {
                self.answer_locally(&stmt.action, params, result_formats, describe_rows).await
            }
            Action::Listen(_) | Action::Unlisten(_) | Action::Notify { .. } => self.notify_statement(&stmt.action),
            Action::NotifyRows { name, rows } => {
                self.notify_rows(name, rows, params, result_formats, describe_rows).await
            }
            Action::Catalog(q) => self.catalog_query(q, params, result_formats, describe_rows).await,
            Action::Deallocate(name) => {
                match name {
                    Some(n) if self.statements.remove(n).is_none() => {
                        return Err(PgError::new(
                            sqlstate::INVALID_SQL_STATEMENT_NAME,
                            format!("prepared statement \"{n}\" does not exist"),
                        ))
                    }
                    Some(_) => {}
                    None => self.statements.clear(),
                }
                Ok(Done { tag: stmt.tag.render(0) })
            }
            Action::Discard { all } => {
                if *all {
                    if self.tx != Tx::Idle {
                        return Err(PgError::new(
                            sqlstate::ACTIVE_SQL_TRANSACTION,
                            "DISCARD ALL cannot run inside a transaction block",
                        ));
                    }
                    self.statements.clear();
                    self.close_portals().await;
                    self.close_all_cursors().await;
                    self.notify.listen(crate::notify::ListenOp::UnlistenAll);
                    for (n, v) in self.settings.reset("all")? {
                        be::parameter_status(&mut self.conn.out, &n, &v);
                    }
                }
                Ok(Done { tag: stmt.tag.render(0) })
            }
            // Nothing to run on this backend (IRIS has no RELEASE SAVEPOINT, no GIN index):
            // only the tag, and any NOTICE saying what was left out.
            Action::Execute { statements, .. } if statements.is_empty() => {
                for notice in &stmt.notices {
                    be::notice_response(&mut self.conn.out, "NOTICE", &PgError::new("00000", notice.clone()));
                }
                self.columns_step(stmt);
                Ok(Done { tag: stmt.tag.render(0) })
            }
            Action::Copy(copy) => self.copy(copy).await,
            Action::Declare(d) => self.declare_cursor(d, params, describe_rows).await,
            Action::Fetch(f) => self.fetch_cursor(f, result_formats, describe_rows).await,
            Action::CloseCursor(name) => self.close_sql_cursor(name.as_deref()).await,
            Action::Prepare(p) => self.prepare_sql(p).await,
            Action::ExecutePrepared { name, args } => {
                self.execute_prepared(name, args, result_formats, describe_rows).await
            }
            Action::Execute { .. } => {
                let key = shape_key(stmt, text, &[]);
                let expect = Expect {
                    shape: key.as_ref().and_then(|k| self.ctx.shapes.get(k)),
                    key,
                    param_types: &[],
                    result_formats,
                    describe_rows,
                    limit: None,
                };
                self.run_to_end(stmt, params, expect).await
            }
        }
    }

    /// Run a backend statement and send all its rows.
    pub(super) async fn run_to_end(
        &mut self,
        stmt: &Translated,
        params: &[Param],
        expect: Expect<'_>,
    ) -> PgResult<Done> {
        match self.start(stmt, params, expect).await? {
            Started::Command(count) => Ok(Done { tag: stmt.tag.render(count.max(0) as u64) }),
            Started::Rows { plan, sent, cursor, .. } => {
                let mut rows = sent;
                if let Some(cursor) = cursor {
                    let streamed = self.stream_rows(&cursor, &plan, None).await;
                    if streamed.as_ref().map_or(true, |(_, done)| !done) {
                        close_cursor(cursor).await;
                    }
                    rows += streamed?.0;
                }
                Ok(Done { tag: stmt.tag.render(rows) })
            }
        }
    }

    /// BEGIN; `modes` (e.g. IRIS's SET TRANSACTION ISOLATION LEVEL) run first.
    pub(super) async fn begin(&mut self, modes: &[TargetSql], settings: &[(String, String)]) -> PgResult<Done> {
        match self.tx {
            Tx::Idle | Tx::Implicit => {
                for mode in modes {
                    let sql = mode.sql.clone();
                    self.with_backend(move |b, out| b.run(&sql, &[], None, out).map(|_| ())).await?;
                }
                if self.tx == Tx::Idle {
                    if modes.is_empty() {
                        self.begin_pending = true;
                    } else {
                        self.backend_call(|b| b.begin()).await?;
                    }
                }
                self.tx = Tx::Explicit;
                // Like SET LOCAL: undone when the transaction ends.
                for (name, value) in settings {
                    self.settings.set(name, Some(value.as_str()), true)?;
                }
            }
            Tx::Explicit => {
                be::notice_response(
                    &mut self.conn.out,
                    "WARNING",
                    &PgError::new(sqlstate::ACTIVE_SQL_TRANSACTION, "there is already a transaction in progress"),
                );
            }
            Tx::Failed => return Err(Self::aborted_error()),
        }
        Ok(Done { tag: "BEGIN".into() })
    }

    pub(super) async fn commit(&mut self) -> PgResult<Done> {
        let (method, tag) = match self.tx {
            Tx::Idle => {
                be::notice_response(
                    &mut self.conn.out,
                    "WARNING",
                    &PgError::new(sqlstate::NO_ACTIVE_SQL_TRANSACTION, "there is no transaction in progress"),
                );
                return Ok(Done { tag: "COMMIT".into() });
            }
            Tx::Implicit | Tx::Explicit => ("commit", "COMMIT"),
            // COMMIT of a failed transaction rolls it back and says so.
            Tx::Failed => ("rollback", "ROLLBACK"),
        };
        self.end_transaction(method).await?;
        Ok(Done { tag: tag.into() })
    }

    pub(super) async fn rollback(&mut self) -> PgResult<Done> {
        if self.tx == Tx::Idle {
            be::notice_response(
                &mut self.conn.out,
                "WARNING",
                &PgError::new(sqlstate::NO_ACTIVE_SQL_TRANSACTION, "there is no transaction in progress"),
            );
            return Ok(Done { tag: "ROLLBACK".into() });
        }
        self.end_transaction("rollback").await?;
        Ok(Done { tag: "ROLLBACK".into() })
    }

    /// Type the result columns: the backend's types, the SQL's own, and where an
    /// expression over columns or parameters remains (`sum(qty)`, `1 + $1`), the
    /// types of those columns (probed) and parameters.
    pub(super) async fn type_columns(
        &mut self,
        stmt: &Translated,
        mut cols: Vec<Column>,
        param_types: &[Oid],
    ) -> Vec<Column> {
        // RETURNING rows (e.g. `RETURNING *`): typed like the equivalent SELECT.
        if let Some(probe) = stmt.returning_probe.clone().filter(|_| cols.iter().any(|c| c.ty.is_none())) {
            if let Ok(probed) = self.describe_probe(&probe).await {
                if probed.len() == cols.len() {
                    for (c, p) in cols.iter_mut().zip(probed) {
                        if c.ty.is_none() {
                            (c.ty, c.typmod) = (p.ty, p.typmod);
                        }
                    }
                }
            }
        }
        let mut inferred = stmt.columns.clone();
        let untyped = |inferred: &Option<Vec<InferredColumn>>| {
            cols.iter().enumerate().any(|(i, c)| {
                c.ty.is_none() && inferred.as_ref().and_then(|v| v.get(i)).and_then(|c| c.type_oid).is_none()
            })
        };
        // An expression over parameters (`10 / $1`) is typed by them without the backend's
        // help, whose type for it may be a stand-in (IRIS: VARCHAR).
        let param_expr = |inferred: &Option<Vec<InferredColumn>>| {
            !param_types.is_empty()
                && inferred.as_ref().is_some_and(|v| v.iter().any(|c| c.type_oid.is_none() && c.typmod == Typmod::None))
        };
        if let (false, true, Some(source)) = (untyped(&inferred), param_expr(&inferred), stmt.source.as_ref()) {
            inferred = projection_in(&Env { params: param_types.to_vec(), ..Env::default() }, source);
        }
        if let (true, Some(source)) = (untyped(&inferred), stmt.source.clone()) {
            let mut env = Env { params: param_types.to_vec(), ..Env::default() };
            if let Some(probe) = &stmt.column_probe {
                match self.describe_probe(&probe.sql).await {
                    Ok(probed) => {
                        let refs = crate::translate::nested_refs(&source);
                        for (key, col) in refs.iter().zip(&probed) {
                            if let Some(t) = col.ty {
                                env.columns.insert(key.clone(), t.oid);
                            }
                        }
                    }
                    Err(e) => log::debug!("column type probe {:?} failed: {e}", probe.sql),
                }
            }
            inferred = projection_in(&env, &source);
        }
        let mut cols = resolve_columns(cols, inferred.as_deref());
        apply_declared(&mut cols, stmt.declared_types.as_deref());
        cols
    }

    /// The result columns of a backend description, typed for clients.
    pub(super) async fn result_columns(
        &mut self,
        stmt: &Translated,
        backend: Vec<Column>,
        param_types: &[Oid],
    ) -> ResultColumns {
        let columns = self.type_columns(stmt, backend.clone(), param_types).await;
        ResultColumns { backend, columns }
    }

    /// Start a backend statement. When its result columns are known (`expect.shape`),
    /// execution, the first batch of rows and (if that is all) closing the result are one
    /// backend call, the rows encoded straight into the output buffer. Otherwise, or when
    /// the result turns out to differ from the shape, the columns are typed from what the
    /// backend reports and the shape cache learns them.
    pub(super) async fn start(&mut self, stmt: &Translated, params: &[Param], expect: Expect<'_>) -> PgResult<Started> {
        let Action::Execute { statements, rowcount, .. } = &stmt.action else {
            return Err(PgError::internal("not a backend statement"));
        };
        for notice in &stmt.notices {
            be::notice_response(&mut self.conn.out, "NOTICE", &PgError::new("00000", notice.clone()));
        }
        if statements.len() > 1 && self.tx == Tx::Idle {
            self.backend_call(|b| b.begin()).await?;
            self.tx = Tx::Implicit;
        }
        if stmt.changes_schema() {
            // Other sessions must not trust shapes from before this statement (nor from
            // while it runs: advanced again below); if it is rolled back, the schema
            // changes once more.
            self.ctx.schema_changed();
            self.ddl_in_tx |= self.tx != Tx::Idle;
            self.temporary_objects |= stmt.creates_temporary();
        }
        let (through_result, after) =
            statements.split_at(statements.iter().position(|s| s.after_result).unwrap_or(statements.len()));
        let (last, before) = through_result.split_last().ok_or_else(|| PgError::internal("no backend statement"))?;
        let mut total = 0i64;
        let mut captured = Captured::default();
        for target in before {
            let capture = match (&target.guard, target.capture) {
                (None, None) => {
                    total += self.run_bound(target, params, &captured).await?;
                    continue;
                }
                (Some(_), _) => Capture::One,
                (None, Some(capture)) => capture,
            };
            let (sql, bound) = bind_target(target, params, &captured)?;
            let ctx = self.settings.type_ctx().clone();
            let values = self.with_backend(move |b, _| capture_values(b, &sql, &bound, ctx, capture)).await?;
            match (&target.guard, capture) {
                (Some(guard), _) if !matches!(values[..], [Param::Int(0)]) => {
                    return Err(PgError::new(guard.sqlstate, guard.message))
                }
                (Some(_), _) => {}
                (None, Capture::One) => captured.values.extend(values),
                (None, Capture::All) => captured.list = values,
            }
        }
        let (sql, bound) = bind_target(last, params, &captured)?;
        let epoch = self.ctx.schema_epoch();
        let batch = self.ctx.config.fetch_batch_rows.max(1) as u64;
        let want = expect.limit.map_or(batch, |l| l.min(batch)) as usize;
        let known = expect.shape.as_ref().and_then(|s| s.result.clone().map(|r| (r, s.epoch == epoch)));
        let plan = match &known {
            Some((result, _)) => {
                Some(self.row_plan(&result.columns, resolve_formats(expect.result_formats, result.columns.len())?))
            }
            None => None,
        };
        // RowDescription goes before the rows the call writes; taken back if the result differs.
        let mark = self.conn.out.len();
        if let (true, Some((result, _)), Some(plan)) = (expect.describe_rows, &known, &plan) {
            be::row_description(&mut self.conn.out, &fields_for(&result.columns, &plan.formats));
        }
        let first = known.as_ref().zip(plan.clone()).map(|((result, current), plan)| (result.clone(), *current, plan));
        let untyped = first.as_ref().is_some_and(|(_, current, _)| *current);
        let ran = self
            .with_backend(move |b, out| {
                let first = first.as_ref().map(|(result, current, plan)| FirstBatch {
                    expect: &result.backend,
                    plan,
                    rows: want,
                    // A shape of an older epoch is checked against the backend's types too.
                    typed: !current,
                });
                let start = out.len();
                let ran = b.run(&sql, &bound, first.as_ref(), out);
                if ran.is_err() {
                    out.truncate(start);
                }
                ran
            })
            .await;
        if stmt.changes_schema() {
            // Shapes other sessions learned while the DDL ran may predate it.
            self.ctx.schema_changed();
        }
        let ran = match ran {
            Ok(ran) => ran,
            Err(e) => {
                self.conn.out.truncate(mark);
                return Err(e);
            }
        };
        self.columns_step(stmt);
        if self.tx == Tx::Failed {
            // Only ROLLBACK TO SAVEPOINT runs here in a failed transaction: it repairs it.
            self.tx = Tx::Explicit;
        }
        total += ran.rowcount.max(0);
        let count = if *rowcount == RowCount::Sum { total } else { ran.rowcount };
        let cursor: Option<Arc<dyn Cursor>> = ran.cursor.map(Arc::from);
        let Some(backend_cols) = ran.columns else {
            self.conn.out.truncate(mark);
            if let (Some(key), false) = (expect.key, known.is_some()) {
                let shape = Shape { epoch, param_types: expect.param_types.to_vec(), result: None };
                self.ctx.shapes.put(key, Arc::new(shape));
            }
            return self.after_result(Started::Command(count), after, params, &captured, mark).await;
        };
        if let (Some(fetched), Some((result, current)), Some(plan)) = (ran.fetched, known, plan) {
            if !current {
                if let (Some(key), Some(shape)) = (expect.key, &expect.shape) {
                    self.ctx.shapes.put(key, shape.at(epoch));
                }
            }
            let started = Started::Rows { result, plan, sent: fetched.rows, cursor };
            return self.after_result(started, after, params, &captured, mark).await;
        }
        // Unknown or changed (DDL from outside the gateway): type the columns now and remember them.
        self.conn.out.truncate(mark);
        let backend_cols = match untyped {
            true => self.describe_again(&last.sql_for_describe(), backend_cols).await,
            false => backend_cols,
        };
        let result = Arc::new(self.result_columns(stmt, backend_cols, expect.param_types).await);
        if let Some(key) = expect.key {
            let shape = Shape { epoch, param_types: expect.param_types.to_vec(), result: Some(result.clone()) };
            self.ctx.shapes.put(key, Arc::new(shape));
        }
        let formats = resolve_formats(expect.result_formats, result.columns.len())?;
        if expect.describe_rows {
            be::row_description(&mut self.conn.out, &fields_for(&result.columns, &formats));
        }
        let plan = self.row_plan(&result.columns, formats);
        self.after_result(Started::Rows { result, plan, sent: 0, cursor }, after, params, &captured, mark).await
    }

    /// Run the statements that follow the result (`TargetSql::after_result`): first the
    /// result's rows are read in full into the output (they are sent when the message
    /// ends, not before), then the statements run; if one fails, the rows and their
    /// RowDescription are taken back. A row limit of the extended protocol is not applied
    /// to such a result: all its rows are sent.
    async fn after_result(
        &mut self,
        started: Started,
        after: &[TargetSql],
        params: &[Param],
        captured: &Captured,
        mark: usize,
    ) -> PgResult<Started> {
        if after.is_empty() {
            return Ok(started);
        }
        let started = match started {
            Started::Rows { result, plan, mut sent, cursor: Some(cursor) } => {
                let batch = self.ctx.config.fetch_batch_rows.max(1) as usize;
                let read = loop {
                    let (c, p) = (cursor.clone(), plan.clone());
                    match self.with_out(move |out| c.fetch(batch, &p, out)).await {
                        Ok(f) if f.done || f.rows == 0 => break Ok(sent + f.rows),
                        Ok(f) => sent += f.rows,
                        Err(e) => break Err(e),
                    }
                };
                close_cursor(cursor).await;
                match read {
                    Ok(sent) => Started::Rows { result, plan, sent, cursor: None },
                    Err(e) => {
                        self.conn.out.truncate(mark);
                        return Err(e);
                    }
                }
            }
            other => other,
        };
        for target in after {
            let ran = self.run_bound(target, params, captured).await;
            if let Err(e) = ran {
                self.conn.out.truncate(mark);
                return Err(e);
            }
        }
        Ok(started)
    }

    /// The backend's typed description of a result it reported by name only.
    pub(super) async fn describe_again(&mut self, sql: &str, names_only: Vec<Column>) -> Vec<Column> {
        let sql = sql.to_owned();
        match self.with_backend(move |b, _| b.describe(&sql)).await {
            Ok(Some(cols)) if cols.len() == names_only.len() => cols,
            _ => names_only,
        }
    }

    /// How rows of these columns are encoded for this session.
    pub(super) fn row_plan(&self, columns: &[Column], formats: Vec<Format>) -> Arc<RowPlan> {
        let types = columns.iter().map(column_type).collect();
        let typmods = columns.iter().map(|c| c.typmod).collect();
        Arc::new(RowPlan { types, typmods, formats, ctx: self.settings.type_ctx().clone() })
    }

    /// Fetch and send rows in batches; returns (rows sent, exhausted). An exhausted
    /// result is closed by the backend.
    /// Run a statement that returns no result; its row count. One that binds the captured
    /// list must change exactly those rows: fewer means another transaction changed them
    /// in between (40001, as PostgreSQL reports a concurrent update it cannot follow).
    async fn run_bound(&mut self, target: &TargetSql, params: &[Param], captured: &Captured) -> PgResult<i64> {
        let (sql, bound) = bind_target(target, params, captured)?;
        let ran = self.with_backend(move |b, out| b.run(&sql, &bound, None, out)).await?;
        if let Some(cursor) = ran.cursor {
            close_cursor(Arc::from(cursor)).await;
        }
        if target.params.contains(&CAPTURED_LIST) && ran.rowcount != captured.list.len() as i64 {
            return Err(PgError::new(
                "40001",
                "could not serialize access due to concurrent update: rows changed while the statement ran",
            )
            .with_hint("retry the transaction"));
        }
        Ok(ran.rowcount.max(0))
    }

    pub(super) async fn stream_rows(
        &mut self,
        cursor: &Arc<dyn Cursor>,
        plan: &Arc<RowPlan>,
        limit: Option<u64>,
    ) -> PgResult<(u64, bool)> {
        let batch_rows = self.ctx.config.fetch_batch_rows.max(1) as u64;
        let mut sent = 0u64;
        loop {
            let want = match limit {
                Some(l) => (l - sent).min(batch_rows),
                None => batch_rows,
            } as usize;
            if want == 0 {
                return Ok((sent, false));
            }
            let (c, p) = (cursor.clone(), plan.clone());
            let _running = self.lease.as_ref().map(|l| self.cancel.running(&l.conn())).transpose()?;
            let fetched = self.with_out(move |out| c.fetch(want, &p, out)).await?;
            sent += fetched.rows;
            if self.conn.out.len() >= FLUSH_THRESHOLD {
                self.conn.flush().await.map_err(|_| PgError::new(sqlstate::CONNECTION_FAILURE, "client went away"))?;
            }
            if fetched.done {
                return Ok((sent, true));
            }
            if limit.is_some_and(|l| sent >= l) {
                return Ok((sent, false));
            }
        }
    }
}

/// The cache key of a backend statement's shape: the client's text of the statement and
/// the parameter types the client gave. The client's text, not the backend's: casts the
/// backend does not distinguish (`::int` / `::bigint` on sqlite) still type columns apart.
pub(super) fn shape_key(stmt: &Translated, text: &str, client_types: &[Oid]) -> Option<ShapeKey> {
    matches!(&stmt.action, Action::Execute { statements, .. } if !statements.is_empty())
        .then(|| (text.to_owned(), client_types.to_vec()))
}

/// A target statement's SQL and parameters for this execution (IRIS takes no markers in
/// TOP/LIMIT: those values are written into the SQL). `captured`: the values earlier
/// statements of the same client statement captured (`TargetSql::capture`).
/// Values earlier statements of one client statement captured (`TargetSql::capture`).
#[derive(Default)]
pub(super) struct Captured {
    values: Vec<Param>,
    list: Vec<Param>,
}

pub(super) fn bind_target(target: &TargetSql, params: &[Param], captured: &Captured) -> PgResult<(String, Vec<Param>)> {
    let mut bound = Vec::with_capacity(target.params.len());
    for &i in &target.params {
        match i.checked_sub(CAPTURED) {
            _ if i == CAPTURED_LIST => bound.extend(captured.list.iter().cloned()),
            Some(k) => bound.push(captured.values.get(k).cloned().unwrap_or(Param::Null)),
            None => bound.push(params.get(i).cloned().unwrap_or(Param::Null)),
        }
    }
    let mut sql = if target.inline.is_empty() {
        target.sql.clone()
    } else {
        target.bind_inline(|i| match params.get(i)? {
            Param::Int(v) => Some(*v),
            Param::Text(t) | Param::Decimal(t) => t.trim().parse().ok(),
            _ => None,
        })?
    };
    if target.params.contains(&CAPTURED_LIST) {
        let markers = match captured.list.len() {
            0 => "NULL".to_owned(),
            n => vec!["?"; n].join(", "),
        };
        sql = sql.replace(ID_LIST, &markers);
    }
    Ok((sql, bound))
}

/// Run a statement that returns one integer (the id of the row just inserted) and keep
/// it for the statements after it: the value is read through the row encoder as int8 text.
/// The integer values a capturing statement returns: its one value (`Capture::One`), or
/// the first column of all its rows (`Capture::All`), fetched in batches.
pub(super) fn capture_values(
    b: &BackendConn,
    sql: &str,
    bound: &[Param],
    ctx: crate::types::TypeCtx,
    capture: Capture,
) -> PgResult<Vec<Param>> {
    let mut scratch = BytesMut::new();
    let ran = b.run(sql, bound, None, &mut scratch)?;
    let cursor = ran.cursor.ok_or_else(|| PgError::internal(format!("{sql} returned no row")))?;
    let plan = RowPlan { types: vec![&crate::types::INT8], typmods: vec![-1], formats: vec![Format::Text], ctx };
    let mut values = Vec::new();
    let fetched = loop {
        scratch.clear();
        let batch = if capture == Capture::One { 1 } else { 1024 };
        match cursor.fetch(batch, &plan, &mut scratch) {
            Err(e) => break Err(e),
            Ok(f) => {
                values.extend(first_values(&scratch).map(Param::Int));
                if capture == Capture::One || f.done || f.rows == 0 {
                    break Ok(());
                }
            }
        }
    };
    cursor.close();
    fetched?;
    if capture == Capture::One && values.len() != 1 {
        return Err(PgError::internal(format!("{sql} gave no id")));
    }
    Ok(values)
}

/// The first column of each DataRow in `buf` ('D', length, column count, value length,
/// value), as integers; NULLs and non-integers are left out.
fn first_values(buf: &[u8]) -> impl Iterator<Item = i64> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || loop {
        let header = buf.get(at..at + 5)?;
        let len = u32::from_be_bytes(header[1..5].try_into().ok()?) as usize;
        let msg = buf.get(at..at + 1 + len)?;
        at += 1 + len;
        if msg[0] != b'D' || msg.len() < 11 {
            continue;
        }
        let vlen = i32::from_be_bytes(msg[7..11].try_into().ok()?);
        let value = (vlen >= 0).then(|| msg.get(11..11 + vlen as usize)).flatten();
        if let Some(v) = value.and_then(|v| std::str::from_utf8(v).ok()?.parse::<i64>().ok()) {
            return Some(v);
        }
    })
}

/// Close backend result sets (blocking calls); a failure is only logged there.
pub(super) async fn close_results(results: Vec<Arc<dyn Cursor>>) {
    if !results.is_empty() {
        let _ = blocking(move || {
            results.iter().for_each(|c| c.close());
            Ok(())
        })
        .await;
    }
}

/// Sleep for `limit`, or forever when there is none.
pub(super) async fn sleep_or_never(limit: Option<std::time::Duration>) {
    match limit {
        Some(limit) => tokio::time::sleep(limit).await,
        None => std::future::pending().await,
    }
}

/// Close a backend result set (a blocking call); a failure is only logged there.
pub(super) async fn close_cursor(cursor: Arc<dyn Cursor>) {
    let _ = blocking(move || {
        cursor.close();
        Ok(())
    })
    .await;
}
