//! Catalog queries (`Action::Catalog`): run on the catalog engine (src/catalog/),
//! never on the backend. DDL marks the catalog stale through `ServerCtx::schema_changed`.

use super::columns::{field, resolve_formats};
use super::{blocking, Done, Session};
use crate::backend::Column;
use std::sync::Arc;

use crate::catalog::{ActivityInfo, Rows, SessionInfo, Signaller};
use crate::error::PgResult;
use crate::protocol::backend::{self as be, FieldDescription};
use crate::server::Signal;
use crate::translate::CatalogQuery;
use crate::types::datetime::{format_timestamptz, PG_EPOCH_UNIX_SECS};
use crate::types::{self, Format, Kind, Param, PgType, Value};

impl Session {
    fn who(&self, sql: &str) -> SessionInfo {
        let cursors = if sql.contains("pg_cursors") { self.cursors.info() } else { Vec::new() };
        let activity = if sql.contains("pg_stat_activity") { self.activity_rows() } else { Vec::new() };
        let databases = if sql.contains("pg_stat_database") { self.ctx.database_stats() } else { Vec::new() };
        let signal = if sql.contains("_backend") {
            let (ctx, user) = (self.ctx.clone(), self.user.clone());
            let signal = move |pid: i32, terminate: bool| {
                ctx.signal(pid, if terminate { Signal::Terminate } else { Signal::Cancel }, &user)
            };
            Signaller(Some(Arc::new(signal)))
        } else {
            Signaller::default()
        };
        SessionInfo {
            user: self.user.clone(),
            database: self.database.clone(),
            cursors,
            pid: self.pid,
            activity,
            databases,
            signal,
        }
    }

    /// pg_stat_activity's rows as this session may see them: another user's statement
    /// and address only for the same user or an admin (PostgreSQL's
    /// `<insufficient privilege>` otherwise).
    fn activity_rows(&self) -> Vec<ActivityInfo> {
        let tz = &self.settings.type_ctx().time_zone;
        let time = |us: i64| (us != 0).then(|| format_timestamptz(us - PG_EPOCH_UNIX_SECS * 1_000_000, tz));
        let sees_all = self.ctx.is_admin(&self.user);
        let rows = self.ctx.activity().into_iter().filter(|r| !r.admin_console);
        rows.map(|r| {
            let visible = sees_all || r.user == self.user;
            let hidden = |v: String| if visible { v } else { "<insufficient privilege>".into() };
            ActivityInfo {
                pid: r.pid,
                datname: r.database,
                usename: r.user,
                application_name: r.application_name,
                client_addr: visible.then(|| r.client.ip().to_string()),
                client_port: visible.then_some(r.client.port() as i64),
                backend_start: time(r.backend_start),
                xact_start: time(r.xact_start).filter(|_| visible),
                query_start: time(r.query_start).filter(|_| visible),
                state_change: time(r.state_change).filter(|_| visible),
                wait_event_type: r.waiting.then(|| "Extension".into()),
                wait_event: r.waiting.then(|| "BackendConnection".into()),
                state: visible.then(|| r.state.as_str().to_string()),
                query: hidden(r.query.as_ref().clone()),
            }
        })
        .collect()
    }

    async fn run_catalog(&mut self, q: &CatalogQuery, params: &[Param], run: bool) -> PgResult<Rows> {
        let catalog = self.ctx.catalog.clone();
        let bound: Vec<Param> = q.params.iter().map(|&i| params.get(i).cloned().unwrap_or(Param::Null)).collect();
        let (q, who) = (q.clone(), self.who(&q.sql));
        blocking(move || catalog.fresh_engine()?.query(&q.sql, &bound, &q.names, &q.types, &who, run)).await
    }

    /// Describe of a prepared catalog query.
    pub(super) async fn catalog_columns(&mut self, q: &CatalogQuery) -> PgResult<Vec<Column>> {
        let rows = self.run_catalog(q, &[], false).await?;
        Ok(rows.columns.into_iter().map(|(n, t)| Column::new(n, Some(t))).collect())
    }

    pub(super) async fn catalog_query(
        &mut self,
        q: &CatalogQuery,
        params: &[Param],
        result_formats: &[i16],
        describe_rows: bool,
    ) -> PgResult<Done> {
        let rows = self.run_catalog(q, params, true).await?;
        let formats = resolve_formats(result_formats, rows.columns.len())?;
        if describe_rows {
            let fields: Vec<FieldDescription> =
                rows.columns.iter().zip(&formats).map(|((c, ty), f)| field(c, ty, -1, *f)).collect();
            be::row_description(&mut self.conn.out, &fields);
        }
        let ctx = self.settings.type_ctx();
        for row in &rows.rows {
            be::data_row(&mut self.conn.out, row.len() as i16, |out| {
                for ((v, (_, ty)), f) in row.iter().zip(&rows.columns).zip(&formats) {
                    match v {
                        None => be::data_row_null(out),
                        // The engine's text is PostgreSQL's text form of the value.
                        Some(v) if *f == Format::Text => {
                            be::data_row_value(out, |b| {
                                b.extend_from_slice(v.as_bytes());
                                Ok(())
                            })?;
                        }
                        Some(v) => {
                            let items = array_items(v, ty);
                            let value = binary_value(v, ty, &items);
                            be::data_row_value(out, |b| types::encode(&value, ty, *f, ctx, b))?;
                        }
                    }
                }
                Ok(())
            })?;
        }
        Ok(Done { tag: format!("SELECT {}", rows.rows.len()) })
    }
}

fn array_items(v: &str, ty: &PgType) -> Vec<Option<String>> {
    if ty.kind == Kind::Array {
        types::array::parse_text(v).unwrap_or_default()
    } else {
        Vec::new()
    }
}

/// A value for the binary encoder from the engine's text.
fn binary_value<'a>(v: &'a str, ty: &PgType, items: &'a [Option<String>]) -> Value<'a> {
    let scalar = |s: &'a str, kind: Kind| match kind {
        Kind::Bool => Value::Bool(s == "t"),
        Kind::Int2 | Kind::Int4 | Kind::Int8 | Kind::Oid => s.parse().map_or(Value::Text(s), Value::Int),
        Kind::Float4 | Kind::Float8 => s.parse().map_or(Value::Text(s), Value::Float),
        _ => Value::Text(s),
    };
    match ty.element() {
        Some(e) => {
            Value::Array(items.iter().map(|i| i.as_deref().map_or(Value::Null, |s| scalar(s, e.kind))).collect())
        }
        None => scalar(v, ty.kind),
    }
}
