//! A dict's table: insertion-ordered entries with tombstones, and an index by hash, as
//! CPython's dict keeps them (`Objects/dictobject.c`: the entries array, `DKIX_DUMMY`).
//!
//! Why not `IndexMap`: keeping insertion order there means `shift_remove`, which moves every
//! later entry, so `del d[k]` was O(len(d)) (100,000 deletions took 35 s). Here a deletion
//! leaves a tombstone (`None`) in `entries` and removes the index's slot: O(1). The entries
//! are compacted when an insertion finds `entries` full and at least half of it tombstones,
//! as CPython compacts on resize, so the work is amortised O(1) per operation and memory
//! stays within twice the live entries plus the free room a `Vec` keeps.
//!
//! Positions: an entry's position is its index in `entries` (tombstones included), and
//! stays put until a compaction; a dict iterator keeps such a position and skips tombstones
//! ([`DictMap::next_from`]), as CPython's iterator walks the entries array. Deleting during
//! iteration changes the size, which the iterator reports ("dictionary changed size during
//! iteration") before it looks at a position.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use crate::vm::heap::{FixedState, HashKey};
use crate::vm::value::Value;

/// One live entry: the key's hash (by [`FixedState`]), its key, and (key object, value).
#[derive(Clone, Debug)]
pub struct Entry {
    hash: u64,
    key: HashKey,
    kv: (Value, Value),
}

/// A dict: insertion-ordered, keyed by [`HashKey`], keeping the original key value.
#[derive(Clone, Default)]
pub struct DictMap {
    entries: Vec<Option<Entry>>,
    /// Positions in `entries` of the live entries, by hash.
    index: HashTable<usize>,
}

fn hash_of(key: &HashKey) -> u64 {
    FixedState::default().hash_one(key)
}

impl std::fmt::Debug for DictMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl DictMap {
    pub fn new() -> DictMap {
        DictMap::default()
    }

    pub fn with_capacity(n: usize) -> DictMap {
        DictMap {
            entries: Vec::with_capacity(n),
            index: HashTable::with_capacity(n),
        }
    }

    /// Live entries.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Entry slots allocated (for the heap's size estimate).
    pub fn capacity(&self) -> usize {
        self.entries.capacity()
    }

    /// Whether the next new key makes the entries grow (the heap is charged for it).
    pub fn is_full(&self) -> bool {
        self.entries.len() == self.entries.capacity() && !self.compacts()
    }

    fn tombstones(&self) -> usize {
        self.entries.len() - self.index.len()
    }

    /// Whether a full `entries` is compacted rather than grown: at least half tombstones.
    fn compacts(&self) -> bool {
        let t = self.tombstones();
        t > 0 && t * 2 >= self.entries.len()
    }

    /// The position of `key`'s entry.
    pub fn get_index_of(&self, key: &HashKey) -> Option<usize> {
        let entries = &self.entries;
        self.index
            .find(hash_of(key), |&i| {
                entries[i].as_ref().is_some_and(|e| e.key == *key)
            })
            .copied()
    }

    pub fn contains_key(&self, key: &HashKey) -> bool {
        self.get_index_of(key).is_some()
    }

    pub fn get(&self, key: &HashKey) -> Option<&(Value, Value)> {
        let i = self.get_index_of(key)?;
        self.entries[i].as_ref().map(|e| &e.kv)
    }

    pub fn get_mut(&mut self, key: &HashKey) -> Option<&mut (Value, Value)> {
        let i = self.get_index_of(key)?;
        self.entries[i].as_mut().map(|e| &mut e.kv)
    }

    /// The entry at position `i`, if it is live.
    pub fn get_index(&self, i: usize) -> Option<(&HashKey, &(Value, Value))> {
        self.entries.get(i)?.as_ref().map(|e| (&e.key, &e.kv))
    }

    pub fn get_index_mut(&mut self, i: usize) -> Option<(&HashKey, &mut (Value, Value))> {
        self.entries
            .get_mut(i)?
            .as_mut()
            .map(|e| (&e.key, &mut e.kv))
    }

    /// The first live entry at position `i` or after, with the position after it (iterators).
    pub fn next_from(&self, i: usize) -> Option<(usize, &(Value, Value))> {
        let rest = self.entries.get(i..)?;
        rest.iter()
            .enumerate()
            .find_map(|(j, e)| e.as_ref().map(|e| (i + j + 1, &e.kv)))
    }

    /// Inserts or replaces; a replaced entry keeps its key and position, and its old
    /// (key object, value) is returned (as `IndexMap::insert`).
    pub fn insert(&mut self, key: HashKey, kv: (Value, Value)) -> Option<(Value, Value)> {
        let hash = hash_of(&key);
        let entries = &self.entries;
        if let Some(&i) = self
            .index
            .find(hash, |&i| entries[i].as_ref().is_some_and(|e| e.key == key))
        {
            return self.entries[i]
                .as_mut()
                .map(|e| std::mem::replace(&mut e.kv, kv));
        }
        if self.entries.len() == self.entries.capacity() && self.compacts() {
            self.compact();
        }
        let pos = self.entries.len();
        self.entries.push(Some(Entry { hash, key, kv }));
        let entries = &self.entries;
        self.index
            .insert_unique(hash, pos, |&i| entries[i].as_ref().map_or(0, |e| e.hash));
        None
    }

    /// Removes `key`'s entry, leaving a tombstone: the other entries keep their order and
    /// positions. Returns its (key object, value).
    pub fn shift_remove(&mut self, key: &HashKey) -> Option<(Value, Value)> {
        let entries = &self.entries;
        let found = self
            .index
            .find_entry(hash_of(key), |&i| {
                entries[i].as_ref().is_some_and(|e| e.key == *key)
            })
            .ok()?;
        let (i, _) = found.remove();
        let e = self.entries[i].take()?;
        self.trim();
        Some(e.kv)
    }

    /// Removes the last entry (`popitem`).
    pub fn pop(&mut self) -> Option<(HashKey, (Value, Value))> {
        self.trim();
        let e = self.entries.pop()??;
        let pos = self.entries.len();
        if let Ok(found) = self.index.find_entry(e.hash, |&i| i == pos) {
            found.remove();
        }
        self.trim();
        Some((e.key, e.kv))
    }

    /// Drops trailing tombstones (they hold no position an entry could need).
    fn trim(&mut self) {
        while matches!(self.entries.last(), Some(None)) {
            self.entries.pop();
        }
        if self.index.is_empty() {
            self.entries.clear();
        }
    }

    /// Removes the tombstones, keeping the order, and re-indexes.
    fn compact(&mut self) {
        self.entries.retain(Option::is_some);
        self.index.clear();
        for (pos, e) in self.entries.iter().enumerate() {
            if let Some(e) = e {
                let entries = &self.entries;
                self.index
                    .insert_unique(e.hash, pos, |&i| entries[i].as_ref().map_or(0, |e| e.hash));
            }
        }
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.index.clear();
    }

    /// (key, (key object, value)) in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&HashKey, &(Value, Value))> {
        self.entries
            .iter()
            .filter_map(|e| e.as_ref().map(|e| (&e.key, &e.kv)))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&HashKey, &mut (Value, Value))> {
        self.entries
            .iter_mut()
            .filter_map(|e| e.as_mut().map(|e| (&e.key, &mut e.kv)))
    }

    pub fn keys(&self) -> impl Iterator<Item = &HashKey> {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &(Value, Value)> {
        self.iter().map(|(_, kv)| kv)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut (Value, Value)> {
        self.iter_mut().map(|(_, kv)| kv)
    }
}

impl FromIterator<(HashKey, (Value, Value))> for DictMap {
    fn from_iter<I: IntoIterator<Item = (HashKey, (Value, Value))>>(iter: I) -> DictMap {
        let mut d = DictMap::new();
        d.extend(iter);
        d
    }
}

impl Extend<(HashKey, (Value, Value))> for DictMap {
    fn extend<I: IntoIterator<Item = (HashKey, (Value, Value))>>(&mut self, iter: I) {
        for (k, kv) in iter {
            self.insert(k, kv);
        }
    }
}

impl IntoIterator for DictMap {
    type Item = (HashKey, (Value, Value));
    type IntoIter = std::iter::FilterMap<
        std::vec::IntoIter<Option<Entry>>,
        fn(Option<Entry>) -> Option<(HashKey, (Value, Value))>,
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.entries
            .into_iter()
            .filter_map(|e| e.map(|e| (e.key, e.kv)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(i: i64) -> (Value, Value) {
        (Value::Int(i), Value::Int(i * 10))
    }

    fn keys(d: &DictMap) -> Vec<i64> {
        d.keys()
            .map(|k| match k {
                HashKey::Int(i) => *i,
                _ => -1,
            })
            .collect()
    }

    #[test]
    fn deletion_keeps_order_and_reinsertion_goes_last() {
        let mut d: DictMap = (0..6).map(|i| (HashKey::Int(i), kv(i))).collect();
        assert!(d.shift_remove(&HashKey::Int(2)).is_some());
        assert!(d.shift_remove(&HashKey::Int(2)).is_none());
        assert_eq!(d.insert(HashKey::Int(2), kv(7)), None);
        assert_eq!(d.insert(HashKey::Int(0), kv(8)), Some(kv(0)));
        assert_eq!(keys(&d), [0, 1, 3, 4, 5, 2]);
        assert_eq!(d.len(), 6);
        assert_eq!(d.get(&HashKey::Int(0)), Some(&kv(8)));
        assert_eq!(d.pop().map(|(k, _)| k), Some(HashKey::Int(2)));
        assert_eq!(keys(&d), [0, 1, 3, 4, 5]);
    }

    #[test]
    fn next_from_skips_tombstones() {
        let mut d: DictMap = (0..5).map(|i| (HashKey::Int(i), kv(i))).collect();
        d.shift_remove(&HashKey::Int(1));
        d.shift_remove(&HashKey::Int(2));
        let (next, first) = d.next_from(0).map(|(n, kv)| (n, *kv)).unwrap();
        assert_eq!((next, first), (1, kv(0)));
        let (next, second) = d.next_from(next).map(|(n, kv)| (n, *kv)).unwrap();
        assert_eq!((next, second), (4, kv(3)));
        assert!(d.next_from(5).is_none());
    }

    #[test]
    fn a_sliding_window_of_keys_stays_compact() {
        // Insert one key and delete the oldest, 100,000 times: the entries are compacted
        // (not grown without bound) and the order is still insertion order.
        let mut d = DictMap::new();
        for i in 0..100 {
            d.insert(HashKey::Int(i), kv(i));
        }
        for i in 100..100_000 {
            d.insert(HashKey::Int(i), kv(i));
            d.shift_remove(&HashKey::Int(i - 100));
        }
        assert_eq!(d.len(), 100);
        assert!(d.capacity() <= 512, "capacity {}", d.capacity());
        assert_eq!(keys(&d), (99_900..100_000).collect::<Vec<_>>());
        for i in 99_900..100_000 {
            assert_eq!(d.get(&HashKey::Int(i)), Some(&kv(i)));
        }
    }

    #[test]
    fn emptying_frees_the_positions() {
        let mut d: DictMap = (0..50).map(|i| (HashKey::Int(i), kv(i))).collect();
        for i in 0..50 {
            d.shift_remove(&HashKey::Int(i));
        }
        assert!(d.is_empty() && d.next_from(0).is_none() && d.pop().is_none());
        d.insert(HashKey::Int(9), kv(9));
        assert_eq!(d.get_index_of(&HashKey::Int(9)), Some(0));
    }
}
