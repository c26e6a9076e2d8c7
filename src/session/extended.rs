//! The extended query protocol: Parse / Bind / Describe / Execute / Close.
//! Describe never executes; Execute honours row limits with PortalSuspended.

use std::sync::{Arc, Mutex};

use super::columns::{fields_for, resolve_formats};
use super::{close_cursor, Session, Tx};
use crate::error::{sqlstate, PgError, PgResult};
use crate::protocol::backend as be;
use crate::protocol::frontend::{Message, Target};
use crate::python::backend::{BackendCursor, Column, RowPlan};
use crate::translate::{Action, SessionFn, Translated};
use crate::types::{self, Format, Oid, Param};

/// A parsed (prepared) statement.
pub struct Prepared {
    /// None for an empty query string.
    stmt: Option<Translated>,
    param_types: Vec<Oid>,
    /// Result columns, described once on first need: `None` until then.
    columns: Mutex<Option<Option<Vec<Column>>>>,
}

/// A bound statement, ready to execute (possibly in several row-limited steps).
pub struct Portal {
    prepared: Arc<Prepared>,
    params: Vec<Param>,
    result_formats: Vec<i16>,
    state: PortalState,
}

impl Portal {
    pub(super) fn is_suspended(&self) -> bool {
        matches!(self.state, PortalState::Suspended { .. })
    }
}

enum PortalState {
    Ready,
    /// Suspended by a row limit; the result set is still open.
    Suspended {
        cursor: Arc<BackendCursor>,
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
            Message::Parse { name, sql, param_types } => self.parse(name, &sql, param_types).await,
            Message::Bind { portal, statement, param_formats, params, result_formats } => {
                self.bind(portal, &statement, &param_formats, &params, result_formats)
            }
            Message::Describe { target: Target::Statement, name } => self.describe_statement(&name).await,
            Message::Describe { target: Target::Portal, name } => self.describe_portal(&name).await,
            Message::Execute { portal, max_rows } => self.execute_portal(&portal, max_rows).await,
            Message::Close { target, name } => {
                match target {
                    Target::Statement => self.statements.remove(&name).map(|_| ()),
                    Target::Portal => self.portals.remove(&name).map(|_| ()),
                };
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
        let translated = self.ctx.translator.translate(sql)?;
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
        let used = stmt.as_ref().map_or(0, |s| s.param_count);
        let mut param_types: Vec<Oid> = client_types;
        if param_types.len() < used {
            param_types.resize(used, 0);
        }
        if let Some(stmt) = &stmt {
            self.infer_param_types(stmt, &mut param_types).await;
        }
        let prepared = Arc::new(Prepared { stmt, param_types, columns: Mutex::new(None) });
        // PostgreSQL resolves names at Parse: a missing table fails here, not at Execute.
        // The description is kept for the Describe that usually follows.
        self.columns_of(&prepared).await?;
        self.statements.insert(name, prepared);
        be::parse_complete(&mut self.conn.out);
        Ok(())
    }

    /// Fill unspecified (0) parameter types: from the statement itself, then from
    /// the backend's description of the parameter probe; whatever is left is text.
    async fn infer_param_types(&mut self, stmt: &Translated, param_types: &mut [Oid]) {
        for (oid, known) in param_types.iter_mut().zip(&stmt.param_types) {
            if *oid == 0 {
                *oid = known.unwrap_or(0);
            }
        }
        if let Some(probe) = stmt.param_probe.as_ref().filter(|_| param_types.contains(&0)) {
            match self.describe_probe(&probe.sql).await {
                Ok(cols) => {
                    for &(param, col) in &probe.columns {
                        if let (Some(0), Some(ty)) = (param_types.get(param), cols.get(col).and_then(|c| c.ty)) {
                            param_types[param] = ty.oid;
                        }
                    }
                }
                Err(e) => log::debug!("parameter type probe {:?} failed: {e}", probe.sql),
            }
        }
        for oid in param_types.iter_mut().filter(|o| **o == 0) {
            *oid = types::TEXT.oid;
        }
    }

    pub(super) async fn describe_probe(&mut self, sql: &str) -> PgResult<Vec<Column>> {
        let translated = self.ctx.translator.translate(sql)?;
        let Some(Action::Execute { statements, .. }) = translated.first().map(|t| &t.action) else {
            return Ok(Vec::new());
        };
        let target = statements.last().map(|s| s.sql_for_describe()).unwrap_or_default();
        Ok(self.with_backend(move |b| b.describe(&target)).await?.unwrap_or_default())
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
        if raw.len() != prepared.param_types.len() {
            return Err(PgError::protocol(format!(
                "bind message supplies {} parameters, but prepared statement \"{statement}\" requires {}",
                raw.len(),
                prepared.param_types.len()
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
        let params = raw
            .iter()
            .zip(&prepared.param_types)
            .zip(&formats)
            .map(|((value, oid), format)| {
                types::decode_param(value.as_deref(), *oid, *format, self.settings.type_ctx())
            })
            .collect::<PgResult<Vec<_>>>()?;
        if !portal.is_empty() && self.portals.contains_key(&portal) {
            return Err(PgError::new(sqlstate::DUPLICATE_CURSOR, format!("portal \"{portal}\" already exists")));
        }
        self.portals.insert(portal, Portal { prepared, params, result_formats, state: PortalState::Ready });
        be::bind_complete(&mut self.conn.out);
        Ok(())
    }

    /// Result columns of a prepared statement, asking the backend once (without executing).
    async fn columns_of(&mut self, prepared: &Arc<Prepared>) -> PgResult<Option<Vec<Column>>> {
        if let Some(cols) = prepared.columns.lock().unwrap().as_ref() {
            return Ok(cols.clone());
        }
        let cols = match prepared.stmt.as_ref().map(|s| &s.action) {
            Some(Action::Execute { statements, returns_rows: true, .. }) => {
                let stmt = prepared.stmt.as_ref().expect("matched above");
                let described = match &stmt.returning_probe {
                    // DML .. RETURNING: describe the equivalent SELECT, never the statement.
                    Some(probe) => Some(self.describe_probe(probe).await?),
                    None => {
                        let sql = statements.last().map(|s| s.sql_for_describe()).unwrap_or_default();
                        self.with_backend(move |b| b.describe(&sql)).await?
                    }
                };
                match described {
                    Some(cols) => Some(self.type_columns(stmt, cols, &prepared.param_types).await),
                    None => None,
                }
            }
            Some(Action::Show { name }) => Some(vec![Column::new(name.clone(), Some(&types::TEXT))]),
            Some(Action::Catalog(q)) => Some(self.catalog_columns(q).await?),
            Some(Action::Local(items)) => Some(
                items
                    .iter()
                    .map(|(name, f)| {
                        Column::new(
                            name.clone(),
                            Some(match f {
                                SessionFn::CurrentSchema | SessionFn::CurrentDatabase | SessionFn::CurrentUser => {
                                    &types::NAME
                                }
                                SessionFn::BackendPid => &types::INT4,
                                _ => &types::TEXT,
                            }),
                        )
                    })
                    .collect(),
            ),
            _ => None,
        };
        *prepared.columns.lock().unwrap() = Some(cols.clone());
        Ok(cols)
    }

    async fn describe_statement(&mut self, name: &str) -> PgResult<()> {
        let prepared = self.statements.get(name).cloned().ok_or_else(|| {
            PgError::new(sqlstate::INVALID_SQL_STATEMENT_NAME, format!("prepared statement \"{name}\" does not exist"))
        })?;
        let cols = self.columns_of(&prepared).await?;
        be::parameter_description(&mut self.conn.out, &prepared.param_types);
        match cols {
            Some(cols) => be::row_description(&mut self.conn.out, &fields_for(&cols, &vec![Format::Text; cols.len()])),
            None => be::no_data(&mut self.conn.out),
        }
        Ok(())
    }

    async fn describe_portal(&mut self, name: &str) -> PgResult<()> {
        let portal = self
            .portals
            .get(name)
            .ok_or_else(|| PgError::new(sqlstate::INVALID_CURSOR_NAME, format!("portal \"{name}\" does not exist")))?;
        let (prepared, result_formats) = (portal.prepared.clone(), portal.result_formats.clone());
        match self.columns_of(&prepared).await? {
            Some(cols) => {
                let formats = resolve_formats(&result_formats, cols.len())?;
                be::row_description(&mut self.conn.out, &fields_for(&cols, &formats));
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
        let result = self.execute_portal_step(&mut portal, max_rows).await;
        // The unnamed portal and a finished one stay addressable until Sync/Close, like PostgreSQL.
        self.portals.insert(name.to_owned(), portal);
        if result.is_err() {
            self.statement_failed().await;
        }
        result
    }

    async fn execute_portal_step(&mut self, portal: &mut Portal, max_rows: i32) -> PgResult<()> {
        let limit = (max_rows > 0).then_some(max_rows as u64);
        let Some(stmt) = portal.prepared.stmt.clone() else {
            be::empty_query_response(&mut self.conn.out);
            return Ok(());
        };
        if self.tx == Tx::Failed && !Session::allowed_when_failed(&stmt) {
            return Err(Session::aborted_error());
        }
        match std::mem::replace(&mut portal.state, PortalState::Ready) {
            PortalState::Done { tag } => {
                be::command_complete(&mut self.conn.out, &tag);
                portal.state = PortalState::Done { tag };
                return Ok(());
            }
            PortalState::Suspended { cursor, plan } => {
                return self.continue_rows(portal, &stmt, cursor, plan, limit).await
            }
            PortalState::Ready => {}
        }
        let runs_on_backend = matches!(&stmt.action, Action::Execute { statements, .. } if !statements.is_empty());
        if !runs_on_backend {
            let done = self.run_statement(&stmt, &portal.params, &portal.result_formats, false).await?;
            be::command_complete(&mut self.conn.out, &done.tag);
            portal.state = PortalState::Done { tag: done.tag };
            return Ok(());
        }
        // Statements between two Syncs form one implicit transaction, as in PostgreSQL.
        if self.tx == Tx::Idle {
            self.backend_call("begin").await?;
            self.tx = Tx::Implicit;
        }
        let param_types = portal.prepared.param_types.clone();
        let (exec, count) = self.execute(&stmt, &portal.params, &param_types).await?;
        let Some(executed_cols) = exec.columns.clone() else {
            let tag = stmt.tag.render(count.max(0) as u64);
            be::command_complete(&mut self.conn.out, &tag);
            portal.state = PortalState::Done { tag };
            return Ok(());
        };
        // Encode with the types announced at Describe, if the client asked for them.
        let described = portal.prepared.columns.lock().unwrap().clone().flatten();
        let cols = described.unwrap_or(executed_cols);
        let formats = resolve_formats(&portal.result_formats, cols.len())?;
        let plan = self.row_plan(&cols, formats);
        self.continue_rows(portal, &stmt, Arc::new(exec.cursor), plan, limit).await
    }

    async fn continue_rows(
        &mut self,
        portal: &mut Portal,
        stmt: &Translated,
        cursor: Arc<BackendCursor>,
        plan: Arc<RowPlan>,
        limit: Option<u64>,
    ) -> PgResult<()> {
        let (sent, exhausted) = self.stream_rows(&cursor, &plan, limit).await?;
        if exhausted {
            let tag = stmt.tag.render(sent);
            be::command_complete(&mut self.conn.out, &tag);
            portal.state = PortalState::Done { tag };
            close_cursor(cursor).await;
        } else {
            be::portal_suspended(&mut self.conn.out);
            portal.state = PortalState::Suspended { cursor, plan };
        }
        Ok(())
    }
}
