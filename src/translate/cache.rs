//! Translation cache keyed by SQL text, so a repeated statement costs one hash lookup
//! (bounded: see `bounded_map`).

use std::sync::Arc;

use super::{translate, Target, Translated};
use crate::bounded_map::BoundedMap;
use crate::error::PgResult;

pub struct Translator {
    target: Target,
    cache: BoundedMap<String, Arc<Vec<Translated>>>,
}

impl Translator {
    /// `capacity`: the most statements kept (at least 2).
    pub fn new(target: Target, capacity: usize) -> Self {
        Translator { target, cache: BoundedMap::new(capacity) }
    }

    /// Cached translation of `sql`; errors are not cached (they are rare and cheap to redo).
    pub fn translate(&self, sql: &str) -> PgResult<Arc<Vec<Translated>>> {
        if let Some(hit) = self.cache.get(sql) {
            return Ok(hit);
        }
        let result = Arc::new(translate(sql, &self.target)?);
        self.cache.insert(sql.to_owned(), result.clone());
        Ok(result)
    }

    /// Number of cached statements.
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
}
