//! Translation cache keyed by SQL text, so a repeated statement costs one hash lookup.
//!
//! Bounded with two generations: new entries go to `hot`; when `hot` fills up it becomes
//! `cold` and the old `cold` is dropped. A hit in `cold` moves the entry back to `hot`, so
//! statements in use survive and memory stays under twice the generation size.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{translate, Target, Translated};
use crate::error::PgResult;

pub struct Translator {
    target: Target,
    generations: Mutex<Generations>,
    generation_size: usize,
}

#[derive(Default)]
struct Generations {
    hot: HashMap<String, Arc<Vec<Translated>>>,
    cold: HashMap<String, Arc<Vec<Translated>>>,
}

impl Translator {
    /// `capacity`: the most statements kept (at least 2).
    pub fn new(target: Target, capacity: usize) -> Self {
        Translator { target, generations: Mutex::new(Generations::default()), generation_size: (capacity / 2).max(1) }
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Cached translation of `sql`; errors are not cached (they are rare and cheap to redo).
    pub fn translate(&self, sql: &str) -> PgResult<Arc<Vec<Translated>>> {
        {
            let mut g = self.generations.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(hit) = g.hot.get(sql) {
                return Ok(hit.clone());
            }
            if let Some((key, hit)) = g.cold.remove_entry(sql) {
                self.insert(&mut g, key, hit.clone());
                return Ok(hit);
            }
        }
        let result = Arc::new(translate(sql, &self.target)?);
        let mut g = self.generations.lock().unwrap_or_else(|p| p.into_inner());
        self.insert(&mut g, sql.to_owned(), result.clone());
        Ok(result)
    }

    /// Number of cached statements.
    pub fn len(&self) -> usize {
        let g = self.generations.lock().unwrap_or_else(|p| p.into_inner());
        g.hot.len() + g.cold.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn insert(&self, g: &mut Generations, key: String, value: Arc<Vec<Translated>>) {
        if g.hot.len() >= self.generation_size {
            g.cold = std::mem::take(&mut g.hot);
        }
        g.hot.insert(key, value);
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
