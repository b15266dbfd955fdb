//! What a server keeps in memory between requests (the search counts of the
//! members list, the Contacts tab's menus and search pages): a map that starts
//! over once it holds `MOST` entries, so an instance never grows without bound.
//! Each user of one says why what it keeps is still true when read back.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};

#[derive(Debug)]
pub struct Kept<K, V, const MOST: usize>(Mutex<HashMap<K, V>>);

impl<K, V, const MOST: usize> Default for Kept<K, V, MOST> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<K: Hash + Eq, V: Clone, const MOST: usize> Kept<K, V, MOST> {
    fn map(&self) -> MutexGuard<'_, HashMap<K, V>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of what is kept under `key`.
    pub fn get(&self, key: &K) -> Option<V> {
        self.map().get(key).cloned()
    }

    /// Forgets what is kept under `key`.
    pub fn remove(&self, key: &K) {
        self.map().remove(key);
    }

    /// Keeps `value` under `key`; a new key past `MOST` entries starts over.
    pub fn put(&self, key: K, value: V) {
        let mut map = self.map();
        if map.len() >= MOST && !map.contains_key(&key) {
            map.clear();
        }
        map.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::Kept;

    #[test]
    fn a_full_map_starts_over_for_a_new_key_but_not_for_a_kept_one() {
        let kept: Kept<u8, u8, 2> = Kept::default();
        kept.put(1, 10);
        kept.put(2, 20);
        kept.put(2, 21);
        assert_eq!((kept.get(&1), kept.get(&2)), (Some(10), Some(21)));
        kept.put(3, 30);
        assert_eq!(
            (kept.get(&1), kept.get(&2), kept.get(&3)),
            (None, None, Some(30))
        );
        kept.remove(&3);
        assert_eq!(kept.get(&3), None);
    }
}
