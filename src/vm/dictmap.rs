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

/// One live entry: the key's hash ([`hash_of`]), its key, and (key object, value).
#[derive(Clone, Debug)]
pub struct Entry {
    hash: u32,
    key: HashKey,
    kv: (Value, Value),
}

/// A dict: insertion-ordered, keyed by [`HashKey`], keeping the original key value.
///
/// The index holds (position, hash) pairs of 8 bytes, as CPython's index holds 4-byte
/// positions and its entries the hashes: growing the index rehashes it from its own slots,
/// without reading the entries. (With positions alone, each growth read every live entry's
/// hash in the index's scattered order, a cache miss per key: most of the time a 1,600,000-key
/// dict spent growing, see docs/performance.md.) Positions are `u32`, so a dict holds at most
/// 2^32 − 1 entries (256 GiB of entries; past that the run stops with a MemoryError).
#[derive(Clone, Default)]
pub struct DictMap {
    entries: Vec<Option<Entry>>,
    /// (position in `entries`, hash) of the live entries, by hash.
    index: HashTable<(u32, u32)>,
}

/// The hash a dict files `key` under: foldhash with its fixed seed, folded to 32 bits.
/// A string key hashes as its text alone ([`hash_str`]), so a look-up by a borrowed `&str`
/// finds it without building a `HashKey`.
///
/// An int key keeps its three low bits: eight consecutive ints (`d[i] = …` in a loop, the
/// commonest shape of an int-keyed dict) land in one run of eight slots of the index, one
/// cache line, instead of eight lines scattered over a table larger than the cache; the
/// other bits are foldhash's of `i >> 3`, so ints that differ above them scatter as any key
/// does. (CPython's `hash(i) == i` walks its table in order; an identity hash would pile up
/// keys that share their low bits, such as multiples of 1,024, which CPython's probing
/// survives and hashbrown's would not.) Unlike CPython's, these hashes are never seen.
#[inline]
pub fn hash_of(key: &HashKey) -> u32 {
    match key {
        HashKey::Int(i) => hash_int(*i),
        HashKey::Str(s) => hash_str(s),
        _ => fold(FixedState::default().hash_one(key)),
    }
}

/// [`hash_of`] a `HashKey::Int(i)`, without making (and dropping) the key: ld3, the drop of
/// the temporary `HashKey` was a call of its own on every `d[i]`, `d.get(i)`, `i in d`.
#[inline]
pub fn hash_int(i: i64) -> u32 {
    let high = fold(FixedState::default().hash_one(i >> 3));
    (high & !7) | (i as u32 & 7)
}

/// [`hash_of`] a `HashKey::Str` holding `s`.
#[inline]
pub fn hash_str(s: &str) -> u32 {
    fold(FixedState::default().hash_one(s))
}

#[inline]
fn fold(h: u64) -> u32 {
    (h ^ (h >> 32)) as u32
}

/// The 64-bit hash hashbrown wants, from the stored 32: its low bits pick the bucket, and its
/// top seven, the tag each slot keeps to rule out most keys without reading them, come from a
/// multiplication of the whole 32-bit hash (so the eight consecutive ints [`hash_of`] files
/// side by side get eight different tags).
#[inline]
fn spread(h: u32) -> u64 {
    (u64::from(h.wrapping_mul(0x9E37_79B1)) << 32) | u64::from(h)
}

#[cold]
#[inline(never)]
fn too_many_entries() -> ! {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "gilvm: MemoryError: a dict cannot hold more than {} entries; the run stops (exit \
         status {}).",
        u32::MAX,
        crate::vm::driver::EXIT_LIMIT
    );
    std::process::exit(crate::vm::driver::EXIT_LIMIT);
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

    /// kw2: an empty dict with room for `n` insertions, whose entries' capacity is the one
    /// `n` insertions into [`DictMap::default`] grow it to (`Vec`'s doubling from four), so
    /// that [`Obj::size_estimate`](crate::vm::heap::Obj::size_estimate), which charges by that
    /// capacity, is the same either way: the `**kw` dict of a call (`vm::fastvar`) is built
    /// without regrowing its entries and its index, and charged as before.
    pub fn with_grown_capacity(n: usize) -> DictMap {
        if n == 0 {
            return DictMap::default();
        }
        DictMap {
            entries: Vec::with_capacity(n.next_power_of_two().max(4)),
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

    /// The position of the entry with hash `hash` whose key satisfies `eq`: a look-up by
    /// something that is not a `HashKey` (a borrowed string, [`DictMap::get_index_of_str`]).
    #[inline]
    pub fn find_by(&self, hash: u32, eq: impl Fn(&HashKey) -> bool) -> Option<usize> {
        let entries = &self.entries;
        self.index
            .find(spread(hash), |&(i, h)| {
                h == hash && entries[i as usize].as_ref().is_some_and(|e| eq(&e.key))
            })
            .map(|&(i, _)| i as usize)
    }

    /// The position of `key`'s entry, given its [`hash_of`].
    #[inline]
    pub fn get_index_of_hashed(&self, hash: u32, key: &HashKey) -> Option<usize> {
        self.find_by(hash, |k| k == key)
    }

    /// The position of `key`'s entry.
    pub fn get_index_of(&self, key: &HashKey) -> Option<usize> {
        self.get_index_of_hashed(hash_of(key), key)
    }

    /// The position of the int key `i`'s entry: [`hash_of`] of `HashKey::Int(i)`, compared as
    /// an int rather than through `HashKey`'s equality (comp2: `d[k]`, `d.get(k)`, `k in d`).
    #[inline]
    pub fn get_index_of_int(&self, i: i64) -> Option<usize> {
        self.find_by(hash_int(i), |k| matches!(k, HashKey::Int(j) if *j == i))
    }

    /// The position of the string key `s`'s entry, without copying `s` into a `HashKey`.
    pub fn get_index_of_str(&self, s: &str) -> Option<usize> {
        self.find_by(hash_str(s), |k| matches!(k, HashKey::Str(t) if **t == *s))
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
        if let Some(i) = self.get_index_of_hashed(hash, &key) {
            return self.entries[i]
                .as_mut()
                .map(|e| std::mem::replace(&mut e.kv, kv));
        }
        self.insert_new_hashed(hash, key, kv);
        None
    }

    /// Appends an entry for a key known to be absent (a failed
    /// [`DictMap::get_index_of_hashed`] with the same `hash`), without looking it up again.
    pub fn insert_new_hashed(&mut self, hash: u32, key: HashKey, kv: (Value, Value)) {
        if self.entries.len() == self.entries.capacity() && self.compacts() {
            self.compact();
        }
        let pos = self.entries.len();
        let Ok(pos32) = u32::try_from(pos) else {
            too_many_entries()
        };
        if pos32 == u32::MAX {
            too_many_entries()
        }
        self.entries.push(Some(Entry { hash, key, kv }));
        self.index
            .insert_unique(spread(hash), (pos32, hash), |&(_, h)| spread(h));
    }

    /// Removes `key`'s entry, leaving a tombstone: the other entries keep their order and
    /// positions. Returns its (key object, value).
    pub fn shift_remove(&mut self, key: &HashKey) -> Option<(Value, Value)> {
        let hash = hash_of(key);
        let entries = &self.entries;
        let found = self
            .index
            .find_entry(spread(hash), |&(i, h)| {
                h == hash && entries[i as usize].as_ref().is_some_and(|e| e.key == *key)
            })
            .ok()?;
        let ((i, _), _) = found.remove();
        let e = self.entries[i as usize].take()?;
        self.trim();
        Some(e.kv)
    }

    /// Removes the last entry (`popitem`).
    pub fn pop(&mut self) -> Option<(HashKey, (Value, Value))> {
        self.trim();
        let e = self.entries.pop()??;
        let pos = self.entries.len();
        if let Ok(found) = self
            .index
            .find_entry(spread(e.hash), |&(i, _)| i as usize == pos)
        {
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
                // Fewer entries than before, and positions were u32 then.
                let pos = pos as u32;
                self.index
                    .insert_unique(spread(e.hash), (pos, e.hash), |&(_, h)| spread(h));
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

    /// kw2: `with_grown_capacity(n)` has the entries' capacity of `n` insertions into an empty
    /// dict (the heap charges a dict by it), and takes `n` insertions without growing.
    #[test]
    fn grown_capacity_matches_insertions() {
        for n in 0..70usize {
            let mut grown = DictMap::default();
            let mut sized = DictMap::with_grown_capacity(n);
            let cap = sized.capacity();
            for i in 0..n as i64 {
                let k = HashKey::Str(format!("k{i}").into());
                let h = hash_of(&k);
                grown.insert_new_hashed(h, k.clone(), kv(i));
                sized.insert_new_hashed(h, k, kv(i));
            }
            assert_eq!(grown.capacity(), sized.capacity(), "n = {n}");
            assert_eq!(cap, sized.capacity(), "n = {n}");
        }
    }

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

    #[test]
    fn a_borrowed_string_finds_its_key() {
        let mut d = DictMap::new();
        for (i, w) in ["a", "bb", "", "é"].iter().enumerate() {
            d.insert(HashKey::Str((*w).into()), kv(i as i64));
        }
        d.insert(HashKey::Int(7), kv(7));
        for (i, w) in ["a", "bb", "", "é"].iter().enumerate() {
            assert_eq!(hash_str(w), hash_of(&HashKey::Str((*w).into())));
            assert_eq!(d.get_index_of_str(w), Some(i));
        }
        assert_eq!(d.get_index_of_str("7"), None);
        assert_eq!(d.get_index_of_str("b"), None);
    }

    #[test]
    fn growth_keeps_every_key_and_the_order() {
        // Growing the index rehashes from the stored hashes: every key is still found.
        let mut d = DictMap::new();
        for i in 0..20_000 {
            d.insert(HashKey::Int(i * 7919), kv(i));
        }
        for i in (0..20_000).step_by(3) {
            d.shift_remove(&HashKey::Int(i * 7919));
        }
        for i in 20_000..40_000 {
            d.insert(HashKey::Int(i * 7919), kv(i));
        }
        for i in 0..40_000 {
            let live = i >= 20_000 || i % 3 != 0;
            assert_eq!(d.get(&HashKey::Int(i * 7919)).is_some(), live, "key {i}");
        }
        let want: Vec<i64> = (0..40_000)
            .filter(|i| *i >= 20_000 || i % 3 != 0)
            .map(|i| i * 7919)
            .collect();
        assert_eq!(keys(&d), want);
    }
}
