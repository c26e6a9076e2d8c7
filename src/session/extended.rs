//! The extended query protocol: Parse / Bind / Describe / Execute / Close.
//! Describe never executes; Execute honours row limits with PortalSuspended.
//!
//! A statement's parameter types and result columns are learned once, at Parse, from
//! the shape cache or the backend, and Execute never describes again: it runs the
//! statement and fetches the first rows in one backend call.

use std::sync::{Arc, Mutex};

use super::columns::{fields_for, resolve_formats};
use super::shapes::{ResultColumns, Shape, ShapeKey};
use super::{close_cursor, local, shape_key, Expect, Session, Started, Tx};
use crate::backend::{Column, Cursor, RowPlan};
use crate::error::{sqlstate, PgError, PgResult};
use crate::protocol::backend as be;
use crate::protocol::frontend::{Message, Target};
use crate::translate::{Action, ParamProbe, Translated};
use crate::types::{self, Format, Oid, Param};

/// A parsed (prepared) statement.
pub struct Prepared {
    /// None for an empty query string.
    stmt: Option<Translated>,
    key: Option<ShapeKey>,
    param_types: Vec<Oid>,
    /// Result columns as described when the statement was prepared (the backend's side
    /// is refreshed when an execution reports the same types differently).
    shape: Mutex<Arc<Shape>>,
    /// The client's text, shared with pg_stat_activity at each execution.
    text: Arc<String>,
    /// Values of the statement's pg_typeof markers, bound after the client's parameters.
    pub(super) typeof_params: Vec<Param>,
}

impl Prepared {
    fn shape(&self) -> Arc<Shape> {
        self.shape.lock().unwrap().clone()
    }

    fn result(&self) -> Option<Arc<ResultColumns>> {
        self.shape().result.clone()
    }

    pub(super) fn statement(&self) -> Option<&Translated> {
        self.stmt.as_ref()
    }

    pub(super) fn param_types(&self) -> &[Oid] {
        &self.param_types
    }

    /// What an execution needs to know: the statement's shape (result columns).
    pub(super) fn expect<'a>(&'a self, result_formats: &'a [i16], describe_rows: bool) -> Expect<'a> {
        Expect {
            shape: Some(self.shape()),
            key: self.key.clone(),
            param_types: &self.param_types,
            result_formats,
            describe_rows,
            limit: None,
        }
    }
}

/// A bound statement, ready to execute (possibly in several row-limited steps).
pub struct Portal {
    prepared: Arc<Prepared>,
    params: Vec<Param>,
    result_formats: Vec<i16>,
    state: PortalState,
}

impl Portal {
    /// The backend result a suspended portal keeps open.
    pub(super) fn into_cursor(self) -> Option<Arc<dyn Cursor>> {
        match self.state {
            PortalState::Suspended { cursor, .. } => Some(cursor),
            _ => None,
        }
    }
}

enum PortalState {
    Ready,
    /// Suspended by a row limit; the result set is still open.
    Suspended {
        cursor: Arc<dyn Cursor>,
        plan: Arc<RowPlan>,
    },
    /// Ran to completion; re-executing repeats the tag without running again.
    Done {
        tag: String,
    },
}

impl Session {
    pub(super) async fn extended(&mut self, msg: Message) -> PgResult<()> {
        match msg {
            Message::Parse { name, sql, param_types } => {
                self.parse(name, &sql, param_types).await.map_err(|e| e.located(&sql))
            }
            Message::Bind { portal, statement, param_formats, params, result_formats } => {
                self.bind(portal, &statement, &param_formats, &params, result_formats)
            }
            Message::Describe { target: Target::Statement, name } => self.describe_statement(&name),
            Message::Describe { target: Target::Portal, name } => self.describe_portal(&name),
            Message::Execute { portal, max_rows } => self.execute_portal(&portal, max_rows).await,
            Message::Close { target, name } => {
                match target {
                    Target::Statement => {
                        self.statements.remove(&name);
                    }
                    Target::Portal => match self.portals.remove(&name) {
                        Some(portal) => {
                            if let Some(cursor) = portal.into_cursor() {
                                close_cursor(cursor).await;
                            }
                        }
                        None => self.close_cursor_portal(&name).await,
                    },
                }
                be::close_complete(&mut self.conn.out);
                Ok(())
            }
            other => Err(PgError::protocol(format!("unexpected message {other:?}"))),
        }
    }

    async fn parse(&mut self, name: String, sql: &str, client_types: Vec<Oid>) -> PgResult<()> {
        if !name.is_empty() && self.statements.contains_key(&name) {
            return Err(PgError::new(
                sqlstate::DUPLICATE_PREPARED_STATEMENT,
                format!("prepared statement \"{name}\" already exists"),
            ));
        }
        if self.ctx.spans.is_some() {
            // A statement that fails at Parse (syntax, unknown table) is traced too.
            self.span_begin(&Arc::new(sql.to_owned()));
        }
        let translated = self.timed_translate(sql)?;
        if translated.len() > 1 {
            return Err(PgError::new(
                sqlstate::SYNTAX_ERROR,
                "cannot insert multiple commands into a prepared statement",
            ));
        }
        let stmt = translated.first().cloned();
        if self.tx == Tx::Failed && !stmt.as_ref().is_some_and(Session::allowed_when_failed) {
            return Err(Session::aborted_error());
        }
        let prepared = self.prepare_translated(stmt, sql, client_types).await?;
        self.statements.insert(name, prepared);
        // Parsed: the statement's span opens when it is bound and run.
        self.span = None;
        be::parse_complete(&mut self.conn.out);
        Ok(())
    }

    /// A prepared statement of a translated statement (`text` is the client's, which keys
    /// its shape): parameter types and result columns from the shape cache or the backend.
    pub(super) async fn prepare_translated(
        &mut self,
        stmt: Option<Translated>,
        text: &str,
        client_types: Vec<Oid>,
    ) -> PgResult<Arc<Prepared>> {
        let key = stmt.as_ref().and_then(|s| shape_key(s, text, &client_types));
        let epoch = self.ctx.schema_epoch();
        let used = stmt.as_ref().map_or(0, |s| s.param_count);
        let cached = key
            .as_ref()
            .and_then(|k| self.ctx.shapes.get(k))
            .filter(|s| s.epoch == epoch && s.param_types.len() >= used);
        let shape = match (cached, &stmt) {
            (Some(shape), _) => shape,
            (None, None) => Arc::new(Shape { epoch, param_types: client_types, result: None }),
            (None, Some(stmt)) => {
                let mut param_types = client_types;
                if param_types.len() < stmt.param_count {
                    param_types.resize(stmt.param_count, 0);
                }
                self.infer_param_types(stmt, &mut param_types).await?;
                // PostgreSQL resolves names at Parse: a missing table fails here, not at Execute.
                let result = self.describe_result(stmt, &param_types).await?;
                let shape = Arc::new(Shape { epoch, param_types, result });
                if let Some(key) = &key {
                    self.ctx.shapes.put(key.clone(), shape.clone());
                }
                shape
            }
        };
        let param_types = shape.param_types.clone();
        let text = Arc::new(text.to_owned());
        let typeof_params = match &stmt {
            Some(s) => self.typeof_params(s, &param_types).await?,
            None => Vec::new(),
        };
        Ok(Arc::new(Prepared { stmt, key, param_types, shape: Mutex::new(shape), text, typeof_params }))
    }

    /// Fill unspecified (0) parameter types: from the statement itself, then from
    /// the backend's description of the parameter probe; whatever is left is text.
    /// A parameter the client typed text and the statement stores into a column of a
    /// non-string type is refused as PostgreSQL refuses it (42804: text has no
    /// assignment cast to integer, date, jsonb ..; an untyped one is read by the column's
    /// input function instead).
    async fn infer_param_types(&mut self, stmt: &Translated, param_types: &mut [Oid]) -> PgResult<()> {
        for (oid, known) in param_types.iter_mut().zip(&stmt.param_types) {
            if *oid == 0 {
                *oid = known.unwrap_or(0);
            }
        }
        let text_stored = |p: &ParamProbe| p.assigned.iter().any(|&i| param_types.get(i) == Some(&types::TEXT.oid));
        if let Some(probe) = stmt.param_probe.as_ref().filter(|p| param_types.contains(&0) || text_stored(p)) {
            match self.describe_probe(&probe.sql).await {
                Ok(cols) => {
                    for &(param, col) in &probe.columns {
                        let Some(column) = cols.get(col) else { continue };
                        match (param_types.get(param), column.ty) {
                            (Some(0), Some(ty)) => param_types[param] = ty.oid,
                            (Some(&oid), Some(ty))
                                if oid == types::TEXT.oid
                                    && ty.kind != types::Kind::Text
                                    && probe.assigned.contains(&param) =>
                            {
                                return Err(PgError::new(
                                    sqlstate::DATATYPE_MISMATCH,
                                    format!(
                                        "column \"{}\" is of type {} but expression is of type text",
                                        column.name.to_lowercase(),
                                        crate::catalog::functions::format_type(ty.oid as i64, None).unwrap_or_default()
                                    ),
                                )
                                .with_hint("You will need to rewrite or cast the expression."));
                            }
                            _ => {}
                        }
                    }
                }
                Err(e) => log::debug!("parameter type probe {:?} failed: {e}", probe.sql),
            }
        }
        for oid in param_types.iter_mut().filter(|o| **o == 0) {
            *oid = types::TEXT.oid;
        }
        Ok(())
    }

    pub(super) async fn describe_probe(&mut self, sql: &str) -> PgResult<Vec<Column>> {
        let translated = self.ctx.translate(sql, &self.own_ddl)?;
        let Some(Action::Execute { statements, .. }) = translated.first().map(|t| &t.action) else {
            return Ok(Vec::new());
        };
        let target = statements.last().map(|s| s.sql_for_describe()).unwrap_or_default();
        let mut cols = self.with_backend(move |b, _| b.describe(&target)).await?.unwrap_or_default();
        super::columns::apply_declared(&mut cols, translated.first().and_then(|t| t.declared_types.as_deref()));
        Ok(cols)
    }

    /// Result columns of a statement, asked of the backend without executing it (or
    /// answered by the gateway for the statements it runs itself).
    async fn describe_result(
        &mut self,
        stmt: &Translated,
        param_types: &[Oid],
    ) -> PgResult<Option<Arc<ResultColumns>>> {
        let local = |columns: Vec<Column>| Some(Arc::new(ResultColumns { backend: Vec::new(), columns }));
        Ok(match &stmt.action {
            Action::Execute { statements, returns_rows: true, .. } => {
                let described = match &stmt.returning_probe {
                    // DML .. RETURNING: describe the equivalent SELECT, never the statement.
                    Some(probe) => Some(self.describe_probe(probe).await?),
                    None => {
                        let sql = statements.last().map(|s| s.sql_for_describe()).unwrap_or_default();
                        self.with_backend(move |b, _| b.describe(&sql)).await?
                    }
                };
                match described {
                    Some(cols) => Some(Arc::new(self.result_columns(stmt, cols, param_types).await)),
                    None => None,
                }
            }
            Action::Catalog(q) => local(self.catalog_columns(q).await?),
            // FETCH and EXECUTE return what the cursor or statement does (known at Parse).
            Action::Fetch(f) if !f.skip => self.cursors.columns(&f.name).map(|(c, _)| c.to_vec()).and_then(local),
            Action::ExecutePrepared { name, .. } => self.statements.get(name).and_then(|p| p.result()),
            action => local::columns(action).and_then(local),
        })
    }

    fn bind(
        &mut self,
        portal: String,
        statement: &str,
        param_formats: &[i16],
        raw: &[Option<bytes::Bytes>],
        result_formats: Vec<i16>,
    ) -> PgResult<()> {
        let prepared = self.statements.get(statement).cloned().ok_or_else(|| {
            PgError::new(
                sqlstate::INVALID_SQL_STATEMENT_NAME,
                format!("prepared statement \"{statement}\" does not exist"),
            )
        })?;
        self.span_begin(&prepared.text);
        let param_types = &prepared.param_types;
        if raw.len() != param_types.len() {
            return Err(PgError::protocol(format!(
                "bind message supplies {} parameters, but prepared statement \"{statement}\" requires {}",
                raw.len(),
                param_types.len()
            )));
        }
        if self.tx == Tx::Failed && !prepared.stmt.as_ref().is_some_and(Session::allowed_when_failed) {
            return Err(Session::aborted_error());
        }
        let formats = match param_formats.len() {
            0 => vec![Format::Text; raw.len()],
            1 => vec![Format::from_code(param_formats[0])?; raw.len()],
            n if n == raw.len() => param_formats.iter().map(|c| Format::from_code(*c)).collect::<PgResult<_>>()?,
            n => {
                return Err(PgError::protocol(format!(
                    "bind message has {n} parameter formats but {} parameters",
                    raw.len()
                )))
            }
        };
        let mut params = raw
            .iter()
            .zip(param_types)
            .zip(&formats)
            .map(|((value, oid), format)| {
                types::decode_param(value.as_deref(), *oid, *format, self.settings.type_ctx())
            })
            .collect::<PgResult<Vec<_>>>()?;
        params.extend(prepared.typeof_params.iter().cloned());
        if !portal.is_empty() && self.portals.contains_key(&portal) {
            return Err(PgError::new(sqlstate::DUPLICATE_CURSOR, format!("portal \"{portal}\" already exists")));
        }
        self.portals.insert(portal, Portal { prepared, params, result_formats, state: PortalState::Ready });
        be::bind_complete(&mut self.conn.out);
        Ok(())
    }

    fn describe_statement(&mut self, name: &str) -> PgResult<()> {
        let prepared = self.statements.get(name).cloned().ok_or_else(|| {
            PgError::new(sqlstate::INVALID_SQL_STATEMENT_NAME, format!("prepared statement \"{name}\" does not exist"))
        })?;
        be::parameter_description(&mut self.conn.out, &prepared.param_types);
        match prepared.result() {
            Some(r) => {
                be::row_description(&mut self.conn.out, &fields_for(&r.columns, &vec![Format::Text; r.columns.len()]))
            }
            None => be::no_data(&mut self.conn.out),
        }
        Ok(())
    }

    fn describe_portal(&mut self, name: &str) -> PgResult<()> {
        let Some(portal) = self.portals.get(name) else {
            // A SQL-level cursor is a portal too (psycopg describes its named cursors so).
            let (columns, binary) = self.cursors.columns(name).ok_or_else(|| {
                PgError::new(sqlstate::INVALID_CURSOR_NAME, format!("portal \"{name}\" does not exist"))
            })?;
            let format = if binary { Format::Binary } else { Format::Text };
            be::row_description(&mut self.conn.out, &fields_for(columns, &vec![format; columns.len()]));
            return Ok(());
        };
        match portal.prepared.result() {
            Some(r) => {
                let fields = fields_for(&r.columns, &resolve_formats(&portal.result_formats, r.columns.len())?);
                be::row_description(&mut self.conn.out, &fields);
            }
            None => be::no_data(&mut self.conn.out),
        }
        Ok(())
    }

    async fn execute_portal(&mut self, name: &str, max_rows: i32) -> PgResult<()> {
        let mut portal = self
            .portals
            .remove(name)
            .ok_or_else(|| PgError::new(sqlstate::INVALID_CURSOR_NAME, format!("portal \"{name}\" does not exist")))?;
        let result =
            self.execute_portal_step(&mut portal, max_rows).await.map_err(|e| e.located(&portal.prepared.text));
        // The unnamed portal and a finished one stay addressable until Sync/Close, like PostgreSQL.
        self.portals.insert(name.to_owned(), portal);
        result
    }

    async fn execute_portal_step(&mut self, portal: &mut Portal, max_rows: i32) -> PgResult<()> {
        let limit = (max_rows > 0).then_some(max_rows as u64);
        let prepared = portal.prepared.clone();
        let Some(stmt) = &prepared.stmt else {
            be::empty_query_response(&mut self.conn.out);
            return Ok(());
        };
        if self.tx == Tx::Failed && !Session::allowed_when_failed(stmt) {
            return Err(Session::aborted_error());
        }
        let _timeout = self.cancel.arm(self.settings.statement_timeout_ms());
        self.activity.statement(prepared.text.clone(), self.tx != Tx::Idle);
        self.span_continue(&prepared.text);
        self.timing.start(self.tx == Tx::Idle);
        let params = std::mem::take(&mut portal.params);
        let result = self.execute_portal_run(portal, &prepared, stmt, &params, limit).await;
        portal.params = params;
        result
    }

    async fn execute_portal_run(
        &mut self,
        portal: &mut Portal,
        prepared: &Arc<Prepared>,
        stmt: &Translated,
        params: &[Param],
        limit: Option<u64>,
    ) -> PgResult<()> {
        match std::mem::replace(&mut portal.state, PortalState::Ready) {
            PortalState::Done { tag } => {
                self.complete(&tag, Some(params));
                portal.state = PortalState::Done { tag };
                return Ok(());
            }
            PortalState::Suspended { cursor, plan } => {
                let (sent, done) = self.stream_rows(&cursor, &plan, limit).await?;
                self.portal_rows(portal, stmt, sent, (!done).then_some((cursor, plan)), params);
                return Ok(());
            }
            PortalState::Ready => {}
        }
        let runs_on_backend = matches!(&stmt.action, Action::Execute { statements, .. } if !statements.is_empty());
        if !runs_on_backend {
            let done = self.run_statement(stmt, "", params, &portal.result_formats, false).await?;
            self.complete(&done.tag, Some(params));
            portal.state = PortalState::Done { tag: done.tag };
            return Ok(());
        }
        // Statements between two Syncs form one implicit transaction, as in PostgreSQL. It
        // is opened only when it matters: before a second statement of the batch, or
        // before a write that another statement may follow. A lone statement (the usual
        // Parse/Bind/Execute/Sync) autocommits, so reads never wait for a transaction.
        if self.tx == Tx::Idle && (self.executes_since_sync > 0 || (!stmt.read_only && !self.conn.sync_is_next())) {
            self.backend_call(|b| b.begin()).await?;
            self.tx = Tx::Implicit;
        }
        self.executes_since_sync += 1;
        let shape = prepared.shape();
        let expect = Expect {
            shape: Some(shape.clone()),
            key: prepared.key.clone(),
            param_types: &prepared.param_types,
            result_formats: &portal.result_formats,
            describe_rows: false,
            limit,
        };
        match self.start(stmt, params, expect).await? {
            Started::Command(count) => {
                let tag = stmt.tag.render(count.max(0) as u64);
                self.complete(&tag, Some(params));
                portal.state = PortalState::Done { tag };
            }
            Started::Rows { result, plan, sent, cursor } => {
                if let Some(described) = shape.result.as_ref().filter(|d| !Arc::ptr_eq(d, &result)) {
                    if !same_types(&described.columns, &result.columns) {
                        // The client decodes rows with the types it was told at Describe.
                        if let Some(cursor) = cursor {
                            close_cursor(cursor).await;
                        }
                        return Err(PgError::cached_plan_changed());
                    }
                    // Same types, reported differently: check against this from now on.
                    *prepared.shape.lock().unwrap() = Arc::new(Shape {
                        epoch: shape.epoch,
                        param_types: shape.param_types.clone(),
                        result: Some(result.clone()),
                    });
                }
                let rest = match cursor {
                    Some(cursor) if limit.is_none_or(|l| sent < l) => {
                        let (more, done) = self.stream_rows(&cursor, &plan, limit.map(|l| l - sent)).await?;
                        (sent + more, (!done).then_some((cursor, plan)))
                    }
                    open => (sent, open.map(|c| (c, plan))),
                };
                self.portal_rows(portal, stmt, rest.0, rest.1, params);
            }
        }
        Ok(())
    }

    /// After rows were sent: CommandComplete when the result is exhausted, else
    /// PortalSuspended with the result kept open for the next Execute.
    fn portal_rows(
        &mut self,
        portal: &mut Portal,
        stmt: &Translated,
        sent: u64,
        open: Option<(Arc<dyn Cursor>, Arc<RowPlan>)>,
        params: &[Param],
    ) {
        match open {
            None => {
                let tag = stmt.tag.render(sent);
                self.complete(&tag, Some(params));
                portal.state = PortalState::Done { tag };
            }
            Some((cursor, plan)) => {
                be::portal_suspended(&mut self.conn.out);
                portal.state = PortalState::Suspended { cursor, plan };
            }
        }
    }
}

fn same_types(a: &[Column], b: &[Column]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.ty.map(|t| t.oid) == y.ty.map(|t| t.oid))
}
