//! The catalog engine: pg_catalog and information_schema for every backend.
//!
//! An in-memory SQLite database (rusqlite, bundled) holds PostgreSQL's catalog
//! relations, filled from a snapshot of the backend's schema (`catalog_snapshot()`
//! of the Python backend) plus the built-in rows (types from the registry, roles,
//! databases). PostgreSQL's catalog functions are registered as SQL functions.
//! Client queries reach it through the translator (`translate::catalog`).
//!
//! A refresh builds a whole new database and swaps an `Arc`: a query runs on one
//! snapshot from start to end, and sessions querying meanwhile use the previous one.

mod arrays;
mod builtin;
pub mod functions;
mod io_procs;
pub mod relations;
pub mod snapshot;
pub mod views;

use crate::backend::Backend;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::Connection;

use crate::error::{sqlstate, PgError, PgResult};
use crate::translate::{KnownColumn, KnownColumns};
use crate::types::{self, Param, PgType};
pub use functions::{ActivityInfo, CursorInfo, SessionInfo, Signaller};
pub use snapshot::Snapshot;

/// One built catalog database.
pub struct Engine {
    db: Mutex<Connection>,
    /// Names of pg_proc OIDs: a regproc column shows the name.
    facts: Arc<snapshot::Facts>,
    session: Arc<Mutex<SessionInfo>>,
    /// The DDL generation this snapshot was taken at.
    generation: u64,
}

/// A catalog query's result: column names, PostgreSQL types and text values.
pub struct Rows {
    pub columns: Vec<(String, &'static PgType)>,
    pub rows: Vec<Vec<Option<String>>>,
}

pub struct Catalog {
    current: RwLock<Arc<Engine>>,
    /// Bumped by every DDL statement through the gateway.
    generation: AtomicU64,
    /// One rebuild at a time.
    rebuilding: Mutex<()>,
    settings: Vec<(String, String)>,
    backend: Option<Arc<dyn Backend>>,
    /// The tables' columns in the last snapshot (vector columns, declared types) with the
    /// generation it began at, and how many snapshots were taken (the translator re-reads
    /// them when that changes).
    known_columns: RwLock<(Arc<KnownColumns>, u64)>,
    snapshots: AtomicU64,
}

fn engine_err(e: rusqlite::Error) -> PgError {
    let msg = match e {
        rusqlite::Error::SqliteFailure(_, Some(msg)) | rusqlite::Error::SqlInputError { msg, .. } => msg,
        rusqlite::Error::UserFunctionError(e) => e.to_string(),
        other => other.to_string(),
    };
    let state = if msg.starts_with("no such column") {
        sqlstate::UNDEFINED_COLUMN
    } else if msg.starts_with("no such table") {
        sqlstate::UNDEFINED_TABLE
    } else if msg.starts_with("permission denied") {
        return PgError::new(sqlstate::INSUFFICIENT_PRIVILEGE, msg);
    } else if msg.starts_with("no such function") {
        sqlstate::UNDEFINED_FUNCTION
    } else if msg.contains("syntax error") {
        sqlstate::SYNTAX_ERROR
    } else if msg.contains("regular expression") {
        "2201B"
    } else {
        sqlstate::FEATURE_NOT_SUPPORTED
    };
    PgError::new(state, format!("catalog query: {msg}"))
        .with_hint("catalog queries run on the gateway's catalog engine: see docs/catalog.md")
}

impl Engine {
    fn build(snap: &Snapshot, settings: &[(String, String)], generation: u64) -> PgResult<Engine> {
        let db = Connection::open_in_memory().map_err(engine_err)?;
        let session = Arc::new(Mutex::new(SessionInfo {
            user: "postgres".into(),
            database: "postgres".into(),
            ..SessionInfo::default()
        }));
        let mut procs = Arc::default();
        (|| -> rusqlite::Result<()> {
            db.execute_batch("PRAGMA case_sensitive_like = ON; BEGIN")?;
            for r in relations::RELATIONS {
                db.execute(&relations::create_table_sql(r), [])?;
            }
            builtin::fill(&db, settings)?;
            let mut facts = snapshot::fill(&db, snap)?;
            builtin::fill_own_relations(&db, &mut facts)?;
            for (oid, name, _) in builtin::procs() {
                facts.procs.insert(oid, name);
            }
            facts.generation = generation;
            let facts = Arc::new(facts);
            procs = facts.clone();
            functions::register(&db, facts, session.clone(), settings)?;
            snapshot::resolve_foreign_keys(&db)?;
            for v in views::VIEWS {
                let (create, fill) = views::materialize_sql(v);
                db.execute(&create, [])?;
                db.execute(&fill, [])?;
            }
            db.execute_batch("COMMIT")
        })()
        .map_err(engine_err)?;
        Ok(Engine { db: Mutex::new(db), facts: procs, session, generation })
    }

    /// Run a translated catalog query. `types_hint[i]` is the type the PostgreSQL text
    /// gives column i (None: take the catalog column's declared type).
    pub fn query(
        &self,
        sql: &str,
        params: &[Param],
        names: &[String],
        types_hint: &[Option<u32>],
        who: &SessionInfo,
        run: bool,
    ) -> PgResult<Rows> {
        let db = self.db.lock().map_err(|_| PgError::internal("catalog engine poisoned"))?;
        *self.session.lock().map_err(|_| PgError::internal("catalog session poisoned"))? = who.clone();
        if sql.contains("pg_cursors") {
            fill_cursors(&db, &who.cursors).map_err(engine_err)?;
        }
        if sql.contains("pg_stat_activity") {
            fill_activity(&db, &who.activity).map_err(engine_err)?;
        }
        if sql.contains("pg_stat_database") {
            fill_databases(&db, &who.databases).map_err(engine_err)?;
        }
        let mut stmt = db.prepare_cached(sql).map_err(engine_err)?;
        let columns: Vec<(String, &'static PgType)> = stmt
            .columns()
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let name = names.get(i).cloned().unwrap_or_else(|| c.name().to_string());
                let declared = c.decl_type().map(|d| type_of_decl(relations::pg_type_of_decl(d)));
                let hinted = types_hint.get(i).copied().flatten().and_then(types::by_oid);
                (name, hinted.or(declared).unwrap_or(&types::TEXT))
            })
            .collect();
        let mut rows = Vec::new();
        if run {
            let values: Vec<SqlValue> = params.iter().map(param_value).collect();
            let mut result = stmt.query(rusqlite::params_from_iter(values.iter())).map_err(engine_err)?;
            while let Some(row) = result.next().map_err(engine_err)? {
                let mut out = Vec::with_capacity(columns.len());
                for (i, (_, ty)) in columns.iter().enumerate() {
                    out.push(match row.get_ref(i).map_err(engine_err)? {
                        ValueRef::Integer(oid) if ty.oid == types::REGPROC.oid => {
                            Some(self.facts.procs.get(&oid).cloned().unwrap_or_else(|| oid.to_string()))
                        }
                        v => text_of(v, ty),
                    });
                }
                rows.push(out);
            }
        }
        Ok(Rows { columns, rows })
    }
}

/// The registry type of a catalog column's declared PostgreSQL type.
fn type_of_decl(t: &str) -> &'static PgType {
    match t {
        "char" => &types::CHAR,
        "_char" => &types::CHAR_ARRAY,
        "pg_node_tree" => &types::TEXT,
        t => types::by_name(t).unwrap_or(&types::TEXT),
    }
}

fn param_value(p: &Param) -> SqlValue {
    match p {
        Param::Null => SqlValue::Null,
        Param::Int(i) => SqlValue::Integer(*i),
        Param::Array(items) => {
            let texts: Vec<Option<String>> = items
                .iter()
                .map(|i| match param_value(i) {
                    SqlValue::Null => None,
                    SqlValue::Integer(n) => Some(n.to_string()),
                    SqlValue::Real(f) => Some(f.to_string()),
                    SqlValue::Text(s) => Some(s),
                    SqlValue::Blob(b) => Some(String::from_utf8_lossy(&b).into_owned()),
                })
                .collect();
            SqlValue::Text(arrays::to_text(&texts))
        }
        other => match other.as_value() {
            types::Value::Bool(b) => SqlValue::Integer(b as i64),
            types::Value::Int(i) => SqlValue::Integer(i),
            types::Value::Float(f) => SqlValue::Real(f),
            types::Value::Text(s) | types::Value::Decimal(s) | types::Value::Json(s) => SqlValue::Text(s.to_string()),
            types::Value::Bytes(b) => SqlValue::Text(String::from_utf8_lossy(b).into_owned()),
            // Dates, times, intervals, uuids, vectors: their PostgreSQL text.
            _ => SqlValue::Text(types::param_text(other).unwrap_or_else(|_| format!("{other:?}"))),
        },
    }
}

/// A SQLite value as the text PostgreSQL shows for a column of type `ty`.
/// pg_cursors holds the cursors of the session whose query runs now.
fn fill_cursors(db: &Connection, cursors: &[CursorInfo]) -> rusqlite::Result<()> {
    db.execute("DELETE FROM pg_cursors", [])?;
    for c in cursors {
        db.execute(
            "INSERT INTO pg_cursors VALUES (?1, ?2, ?3, ?4, 0, ?5)",
            rusqlite::params![c.name, c.statement, c.holdable, c.binary, c.creation_time],
        )?;
    }
    Ok(())
}

/// pg_stat_activity: the live sessions when the query runs (src/activity.rs).
fn fill_activity(db: &Connection, rows: &[ActivityInfo]) -> rusqlite::Result<()> {
    db.execute("DELETE FROM pg_stat_activity", [])?;
    let mut insert = db.prepare_cached(
        "INSERT INTO pg_stat_activity (datid, datname, pid, usesysid, usename, application_name, client_addr, \
         client_port, backend_start, xact_start, query_start, state_change, wait_event_type, wait_event, state, \
         query, backend_type) VALUES ((SELECT oid FROM pg_database WHERE datname = ?1), ?1, ?2, \
         (SELECT oid FROM pg_authid WHERE rolname = ?3), ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, \
         'client backend')",
    )?;
    for r in rows {
        insert.execute(rusqlite::params![
            r.datname,
            r.pid,
            r.usename,
            r.application_name,
            r.client_addr,
            r.client_port,
            r.backend_start,
            r.xact_start,
            r.query_start,
            r.state_change,
            r.wait_event_type,
            r.wait_event,
            r.state,
            r.query
        ])?;
    }
    Ok(())
}

/// pg_stat_database: sessions and transactions per database name clients used.
fn fill_databases(db: &Connection, rows: &[(String, u64, u64, u64)]) -> rusqlite::Result<()> {
    db.execute("DELETE FROM pg_stat_database", [])?;
    for (name, backends, commits, rollbacks) in rows {
        db.execute(
            "INSERT INTO pg_stat_database VALUES ((SELECT oid FROM pg_database WHERE datname = ?1), ?1, ?2, ?3, ?4, \
             0, 0, 0, 0, 0, 0, 0)",
            rusqlite::params![name, *backends as i64, *commits as i64, *rollbacks as i64],
        )?;
    }
    Ok(())
}

fn text_of(v: ValueRef<'_>, ty: &PgType) -> Option<String> {
    match v {
        ValueRef::Null => None,
        ValueRef::Integer(n) if ty.kind == types::Kind::Bool => Some(if n != 0 { "t" } else { "f" }.into()),
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(f) => Some(types::format_float(f)),
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            let s = String::from_utf8_lossy(t).into_owned();
            if ty.kind == types::Kind::Bool {
                return Some(if matches!(s.as_str(), "1" | "t" | "true") { "t" } else { "f" }.into());
            }
            // SQLite's booleans are 0/1, also inside array_agg's arrays.
            if ty.element().is_some_and(|e| e.kind == types::Kind::Bool) {
                let items: Vec<Option<&str>> = arrays::elements(&s)
                    .iter()
                    .map(|e| e.as_deref().map(|v| if matches!(v, "1" | "t" | "true") { "t" } else { "f" }))
                    .collect();
                return Some(arrays::to_text(&items));
            }
            Some(s)
        }
    }
}

impl Catalog {
    pub fn new(mut settings: Vec<(String, String)>, backend: Option<Arc<dyn Backend>>) -> PgResult<Catalog> {
        // Read-only server facts clients read from pg_settings (pgjdbc's max_index_keys).
        for (name, value) in [
            ("max_index_keys", "32"),
            ("max_function_args", "100"),
            ("block_size", "8192"),
            ("default_table_access_method", "heap"),
        ] {
            if !settings.iter().any(|(n, _)| n == name) {
                settings.push((name.into(), value.into()));
            }
        }
        functions::mark_started();
        let engine = Engine::build(&Snapshot::default(), &settings, 0)?;
        Ok(Catalog {
            current: RwLock::new(Arc::new(engine)),
            // Generation 1 > 0: the first query takes a snapshot of the backend.
            generation: AtomicU64::new(1),
            rebuilding: Mutex::new(()),
            settings,
            backend,
            known_columns: RwLock::new((Arc::default(), 0)),
            snapshots: AtomicU64::new(0),
        })
    }

    /// Take the first snapshot if none was taken yet (blocking): the translator needs the
    /// columns of existing tables before its first IRIS statement. A failure is
    /// logged and counts as an empty snapshot, so it is not retried per statement.
    pub fn ensure_snapshot(&self) {
        if self.snapshots() > 0 {
            return;
        }
        let _one = self.rebuilding.lock().unwrap_or_else(|p| p.into_inner());
        if self.snapshots() > 0 {
            return;
        }
        if let Err(e) = self.rebuild() {
            log::warn!("catalog snapshot failed: {}", e.message);
            self.snapshots.fetch_max(1, Ordering::AcqRel);
        }
    }

    /// How many snapshots were taken (the translator re-reads `known_columns` when it changes).
    pub fn snapshots(&self) -> u64 {
        self.snapshots.load(Ordering::Acquire)
    }

    /// The tables' columns in the last snapshot, and the generation that snapshot began at.
    pub fn known_columns(&self) -> (Arc<KnownColumns>, u64) {
        self.known_columns.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The schema changed (DDL through the gateway): the next catalog query refreshes.
    /// Returns the new generation.
    pub fn mark_stale(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::AcqRel) + 1
    }

    fn engine(&self) -> Arc<Engine> {
        self.current.read().map(|e| e.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    /// The current engine, refreshed first when DDL ran since its snapshot. Blocking:
    /// call on a blocking thread.
    pub fn fresh_engine(&self) -> PgResult<Arc<Engine>> {
        let engine = self.engine();
        if engine.generation >= self.generation.load(Ordering::Acquire) {
            return Ok(engine);
        }
        let _one = self.rebuilding.lock().map_err(|_| PgError::internal("catalog rebuild poisoned"))?;
        let engine = self.engine();
        if engine.generation >= self.generation.load(Ordering::Acquire) {
            return Ok(engine); // another session rebuilt it while this one waited
        }
        self.rebuild()
    }

    /// Take a new snapshot and swap it in (the `--catalog-refresh` timer, and after DDL).
    pub fn rebuild(&self) -> PgResult<Arc<Engine>> {
        let generation = self.generation.load(Ordering::Acquire);
        let snap = match &self.backend {
            Some(b) => b.catalog_snapshot()?,
            None => Snapshot::default(),
        };
        let engine = Arc::new(Engine::build(&snap, &self.settings, generation)?);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = engine.clone();
        let known = KnownColumns::new(snap.relations.iter().filter(|r| r.kind == "r").map(|r| {
            let columns = r.columns.iter().map(|c| KnownColumn::new(&c.name, &c.type_name, c.declared)).collect();
            (r.name.clone(), columns)
        }))
        .with_views(
            snap.relations
                .iter()
                .filter(|r| r.kind == "v")
                .filter_map(|r| Some((r.name.clone(), r.definition.clone()?))),
        );
        *self.known_columns.write().unwrap_or_else(|p| p.into_inner()) = (Arc::new(known), generation);
        self.snapshots.fetch_add(1, Ordering::AcqRel);
        Ok(engine)
    }

    /// Periodic refresh: one at a time, skipped while a session's refresh runs.
    pub fn refresh_now(&self) -> PgResult<()> {
        if let Ok(_one) = self.rebuilding.try_lock() {
            self.rebuild()?;
        }
        Ok(())
    }
}
