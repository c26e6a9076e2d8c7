//! A bounded map with two generations, for caches keyed by SQL text.
//!
//! New entries go to `hot`; when `hot` fills up it becomes `cold` and the old `cold` is
//! dropped. A hit in `cold` moves the entry back to `hot`, so entries in use survive and
//! memory stays under twice the generation size. Cheaper than an LRU: no list to maintain.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

pub struct BoundedMap<K, V> {
    generations: Mutex<Generations<K, V>>,
    generation_size: usize,
}

struct Generations<K, V> {
    hot: HashMap<K, V>,
    cold: HashMap<K, V>,
}

impl<K: Hash + Eq, V: Clone> BoundedMap<K, V> {
    /// `capacity`: the most entries kept (at least 2).
    pub fn new(capacity: usize) -> Self {
        BoundedMap {
            generations: Mutex::new(Generations { hot: HashMap::new(), cold: HashMap::new() }),
            generation_size: (capacity / 2).max(1),
        }
    }

    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut g = self.generations.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(hit) = g.hot.get(key) {
            return Some(hit.clone());
        }
        let (key, hit) = g.cold.remove_entry(key)?;
        self.put(&mut g, key, hit.clone());
        Some(hit)
    }

    pub fn insert(&self, key: K, value: V) {
        let mut g = self.generations.lock().unwrap_or_else(|p| p.into_inner());
        self.put(&mut g, key, value);
    }

    pub fn clear(&self) {
        let mut g = self.generations.lock().unwrap_or_else(|p| p.into_inner());
        g.hot.clear();
        g.cold.clear();
    }

    pub fn len(&self) -> usize {
        let g = self.generations.lock().unwrap_or_else(|p| p.into_inner());
        g.hot.len() + g.cold.len()
    }

    fn put(&self, g: &mut Generations<K, V>, key: K, value: V) {
        if g.hot.len() >= self.generation_size && !g.hot.contains_key(&key) {
            g.cold = std::mem::take(&mut g.hot);
        }
        g.hot.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_bounded_and_keeps_what_is_used() {
        let m = BoundedMap::new(4);
        m.insert("keep".to_string(), 0);
        for i in 0..100 {
            m.insert(format!("k{i}"), i);
            assert_eq!(m.get("keep"), Some(0));
            assert!(m.len() <= 4);
        }
    }
}
