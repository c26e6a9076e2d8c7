//! Translation cache keyed by SQL text, so a repeated statement costs one hash lookup
//! (bounded: see `bounded_map`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use sqlparser::ast::Statement;

use super::{translate, KnownColumns, OwnDdl, Target, Translated};
use crate::bounded_map::BoundedMap;
use crate::error::PgResult;

pub struct Translator {
    target: RwLock<Target>,
    /// (IRIS) the catalog snapshot the target's known columns come from.
    snapshot: AtomicU64,
    /// (IRIS) DDL committed through the gateway, with the catalog generation its commit
    /// started: a snapshot taken from an older generation may not show it, so it is applied
    /// again over that snapshot's columns (iris/own_ddl.rs).
    committed: Mutex<Vec<(u64, Arc<Statement>)>>,
    cache: BoundedMap<String, Arc<Vec<Translated>>>,
}

impl Translator {
    /// `capacity`: the most statements kept (at least 2).
    pub fn new(target: Target, capacity: usize) -> Self {
        Translator {
            target: RwLock::new(target),
            snapshot: AtomicU64::new(0),
            committed: Mutex::new(Vec::new()),
            cache: BoundedMap::new(capacity),
        }
    }

    /// Cached translation of `sql`; errors are not cached (they are rare and cheap to redo).
    /// A trailing comment is not part of the key (see `without_trailing_comment`).
    /// With `own` DDL (a session's uncommitted DDL on IRIS), translated with it applied to
    /// the known columns, and not cached: no other session may see those columns.
    pub fn translate(&self, sql: &str, own: &OwnDdl) -> PgResult<Arc<Vec<Translated>>> {
        if !own.is_empty() {
            let mut target = self.target.read().unwrap_or_else(|p| p.into_inner()).clone();
            if let Target::Iris(o) = &mut target {
                o.columns = Arc::new(o.columns.after(own.statements()));
            }
            return Ok(Arc::new(translate(sql, &target)?));
        }
        let sql = &*without_trailing_comment(sql);
        if let Some(hit) = self.cache.get(sql) {
            return Ok(hit);
        }
        let target = self.target.read().unwrap_or_else(|p| p.into_inner()).clone();
        let result = Arc::new(translate(sql, &target)?);
        self.cache.insert(sql.to_owned(), result.clone());
        Ok(result)
    }

    /// IRIS: the known columns of catalog snapshot number `snapshot` (no-op when already
    /// seen), taken at catalog generation `generation`, with the committed DDL it may not
    /// show applied again; different ones empty the cache, whose statements may convert or
    /// type other columns.
    pub fn sync_columns(&self, snapshot: u64, columns: impl FnOnce() -> (Arc<KnownColumns>, u64)) {
        // A load first: every statement passes here, and a store on every call would
        // bounce the line between the threads of all sessions.
        if self.snapshot.load(Ordering::Acquire) != snapshot
            && self.snapshot.swap(snapshot, Ordering::AcqRel) != snapshot
        {
            let (known, generation) = columns();
            let mut committed = self.committed.lock().unwrap_or_else(|p| p.into_inner());
            // A snapshot begun after the commit's generation shows its DDL.
            committed.retain(|(g, _)| *g > generation);
            let known = match committed.is_empty() {
                true => known,
                false => Arc::new(known.after(committed.iter().map(|(_, s)| s.as_ref()))),
            };
            self.set_columns(known);
        }
    }

    /// IRIS: DDL committed through the gateway (a transaction's, or one that ran on its
    /// own) at catalog generation `generation`: every session translates with it now.
    pub fn committed(&self, ddl: Vec<Arc<Statement>>, generation: u64) {
        if ddl.is_empty() {
            return;
        }
        let mut committed = self.committed.lock().unwrap_or_else(|p| p.into_inner());
        let known = match &*self.target.read().unwrap_or_else(|p| p.into_inner()) {
            Target::Iris(o) => o.columns.after(ddl.iter().map(|s| s.as_ref())),
            Target::Sqlite => return,
        };
        committed.extend(ddl.into_iter().map(|s| (generation, s)));
        self.set_columns(Arc::new(known));
    }

    fn set_columns(&self, columns: Arc<KnownColumns>) {
        let mut t = self.target.write().unwrap_or_else(|p| p.into_inner());
        if let Target::Iris(o) = &mut *t {
            if o.columns != columns {
                o.columns = columns;
                self.cache.clear();
            }
        }
    }

    /// Number of cached statements.
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `sql` without a block comment at its end (before an optional `;`), which translation
/// ignores anyway. sqlcommenter (Django, SQLAlchemy, OpenTelemetry instrumentations)
/// appends `/*traceparent='..',route='..'*/` to every statement, a different one per
/// request: as part of the key each would miss the cache and evict useful entries. The
/// caller keeps the whole text (the trace context is read from it). A nested comment
/// (`/* a /* b */ */`, which PostgreSQL allows) is left in place.
fn without_trailing_comment(sql: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let trimmed = sql.trim_end();
    let (body, semi) = match trimmed.strip_suffix(';') {
        Some(b) => (b.trim_end(), ";"),
        None => (trimmed, ""),
    };
    let Some(open) = body.strip_suffix("*/").and_then(|b| b.rfind("/*")) else { return Cow::Borrowed(sql) };
    if body[open + 2..body.len() - 2].contains("*/") {
        return Cow::Borrowed(sql);
    }
    let kept = body[..open].trim_end();
    if kept.is_empty() {
        return Cow::Borrowed(sql);
    }
    match semi {
        "" => Cow::Borrowed(kept),
        _ => Cow::Owned(format!("{kept}{semi}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_returns_same_arc_and_stays_bounded() {
        let own = OwnDdl::default();
        let t = Translator::new(Target::Sqlite, 4);
        let a = t.translate("SELECT 1", &own).unwrap();
        let b = t.translate("SELECT 1", &own).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        for i in 0..100 {
            t.translate(&format!("SELECT {i}"), &own).unwrap();
        }
        assert!(t.len() <= 4);
    }

    #[test]
    fn recently_used_survives_eviction() {
        let own = OwnDdl::default();
        let t = Translator::new(Target::Sqlite, 4);
        let a = t.translate("SELECT 'keep'", &own).unwrap();
        for i in 0..20 {
            t.translate(&format!("SELECT {i}"), &own).unwrap();
            assert!(Arc::ptr_eq(&a, &t.translate("SELECT 'keep'", &own).unwrap()));
        }
    }

    fn iris_insert(t: &Translator, own: &OwnDdl) -> String {
        let out = t.translate("INSERT INTO t (v) VALUES ($1)", own).unwrap();
        let super::super::Action::Execute { statements, .. } = &out[0].action else { panic!() };
        statements[0].sql.clone()
    }

    fn ddl(sql: &str) -> Arc<Statement> {
        let stmt = sqlparser::parser::Parser::parse_sql(&sqlparser::dialect::PostgreSqlDialect {}, sql).unwrap();
        Arc::new(stmt.into_iter().next().unwrap())
    }

    #[test]
    fn own_ddl_outlives_snapshots_until_committed() {
        let t = Translator::new(Target::Iris(Default::default()), 16);
        let none = OwnDdl::default();
        let mut own = OwnDdl::default();
        own.step(&super::super::ColumnsStep::Ddl(ddl("CREATE TABLE t (v vector(3))")), true);
        assert!(iris_insert(&t, &own).contains("TO_VECTOR"));
        // A snapshot from another connection, which cannot see the open transaction's table.
        t.sync_columns(1, || (Arc::default(), 5));
        assert!(iris_insert(&t, &own).contains("TO_VECTOR"), "the session still knows its own table");
        assert!(!iris_insert(&t, &none).contains("TO_VECTOR"), "no other session does");
        t.committed(own.take(), 6);
        assert!(iris_insert(&t, &none).contains("TO_VECTOR"));
        // A snapshot begun before the commit's generation may miss the table: applied again.
        t.sync_columns(2, || (Arc::default(), 5));
        assert!(iris_insert(&t, &none).contains("TO_VECTOR"));
        // One begun after it shows what IRIS has (here: the table dropped outside the gateway).
        t.sync_columns(3, || (Arc::default(), 6));
        assert!(!iris_insert(&t, &none).contains("TO_VECTOR"));
    }

    #[test]
    fn trailing_comments_share_one_entry() {
        let own = OwnDdl::default();
        let t = Translator::new(Target::Sqlite, 16);
        let a = t
            .translate("SELECT 1 /*traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/", &own)
            .unwrap();
        let b = t
            .translate("SELECT 1 /*traceparent='00-1af7651916cd43dd8448eb211c80319c-c7ad6b7169203331-01'*/", &own)
            .unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn only_a_plain_trailing_comment_is_left_out() {
        for (sql, key) in [
            ("SELECT 1 /* a */", "SELECT 1"),
            ("SELECT 1 /* a */ ;", "SELECT 1;"),
            ("SELECT '/*' /* a */", "SELECT '/*'"),
            ("SELECT 1 /* a /* b */ */", "SELECT 1 /* a /* b */ */"),
            ("/* only a comment */", "/* only a comment */"),
            ("SELECT 1", "SELECT 1"),
            ("SELECT '*/'", "SELECT '*/'"),
        ] {
            assert_eq!(without_trailing_comment(sql), key, "{sql}");
        }
    }
}
