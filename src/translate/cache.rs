//! Translation cache keyed by SQL text, so a repeated statement costs one hash lookup
//! (bounded: see `bounded_map`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use super::{translate, KnownColumns, Target, Translated};
use crate::bounded_map::BoundedMap;
use crate::error::PgResult;

pub struct Translator {
    target: RwLock<Target>,
    /// (IRIS) the catalog snapshot the target's known columns come from.
    snapshot: AtomicU64,
    cache: BoundedMap<String, Arc<Vec<Translated>>>,
}

impl Translator {
    /// `capacity`: the most statements kept (at least 2).
    pub fn new(target: Target, capacity: usize) -> Self {
        Translator { target: RwLock::new(target), snapshot: AtomicU64::new(0), cache: BoundedMap::new(capacity) }
    }

    /// Cached translation of `sql`; errors are not cached (they are rare and cheap to redo).
    /// A trailing comment is not part of the key (see `without_trailing_comment`).
    pub fn translate(&self, sql: &str) -> PgResult<Arc<Vec<Translated>>> {
        let sql = &*without_trailing_comment(sql);
        if let Some(hit) = self.cache.get(sql) {
            return Ok(hit);
        }
        let target = self.target.read().unwrap_or_else(|p| p.into_inner()).clone();
        let result = Arc::new(translate(sql, &target)?);
        if let Target::Iris(o) = &target {
            // DDL through the gateway changes the known columns before the next snapshot.
            if let Some(changed) = o.columns.after_ddl(sql) {
                self.set_columns(Arc::new(changed));
                return Ok(result);
            }
        }
        self.cache.insert(sql.to_owned(), result.clone());
        Ok(result)
    }

    /// IRIS: the known columns of catalog snapshot number `snapshot` (no-op when already
    /// seen); different ones empty the cache, whose statements may convert or type other
    /// columns.
    pub fn sync_columns(&self, snapshot: u64, columns: impl FnOnce() -> Arc<KnownColumns>) {
        // A load first: every statement passes here, and a store on every call would
        // bounce the line between the threads of all sessions.
        if self.snapshot.load(Ordering::Acquire) != snapshot
            && self.snapshot.swap(snapshot, Ordering::AcqRel) != snapshot
        {
            self.set_columns(columns());
        }
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
        let t = Translator::new(Target::Sqlite, 4);
        let a = t.translate("SELECT 1").unwrap();
        let b = t.translate("SELECT 1").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        for i in 0..100 {
            t.translate(&format!("SELECT {i}")).unwrap();
        }
        assert!(t.len() <= 4);
    }

    #[test]
    fn recently_used_survives_eviction() {
        let t = Translator::new(Target::Sqlite, 4);
        let a = t.translate("SELECT 'keep'").unwrap();
        for i in 0..20 {
            t.translate(&format!("SELECT {i}")).unwrap();
            assert!(Arc::ptr_eq(&a, &t.translate("SELECT 'keep'").unwrap()));
        }
    }

    #[test]
    fn trailing_comments_share_one_entry() {
        let t = Translator::new(Target::Sqlite, 16);
        let a =
            t.translate("SELECT 1 /*traceparent='00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'*/").unwrap();
        let b =
            t.translate("SELECT 1 /*traceparent='00-1af7651916cd43dd8448eb211c80319c-c7ad6b7169203331-01'*/").unwrap();
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
