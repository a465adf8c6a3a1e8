//! An instance's attributes (`Instance::attrs`): its names in insertion order, each with its
//! value and its lost-update location, in one `Vec` searched by a scan while small and through
//! a hash index once it holds more than [`SCAN`] names.
//!
//! Until issue 21's seventh round this was an `IndexMap`: the first attribute an `__init__`
//! stores allocated its hash table and its entry array (two `malloc`s, a rehash, a hash of the
//! name), about 300 x86 instructions per store of a new instance's attribute (callgrind,
//! `l_dunder.py`). Here the first store allocates the entry array only, and small tables are
//! never hashed; a program that gives one object thousands of attributes still finds each in
//! constant time.
//!
//! **The heap's charge is unchanged.** `Obj::size_estimate` charges an instance by its
//! table's capacity, and the collector's timing (hence which heap slots are reused, hence the
//! addresses a program prints) depends on it, so the entry array grows exactly as the
//! `IndexMap`'s capacity did (3, 7, 14, 28, 56, … entries: its hash table's, which its entry
//! array follows). A test below checks the two side by side. (After `del obj.x` the
//! `IndexMap` could, rarely, grow at a different insert — when its hash table kept a
//! tombstone; this table grows only when it is full.)

use crate::vm::heap::FixedState;
use crate::vm::value::Value;

/// Tables up to this size are searched by a scan of their names (a handful of integer
/// compares instead of a hash and a probe); larger ones keep a hash index beside.
pub const SCAN: usize = 8;

/// [`Entry::loc`] of an attribute no lost-update location was looked up for yet.
pub const NO_LOC: u32 = u32::MAX;

/// One attribute (24 bytes).
#[derive(Clone, Copy, Debug)]
struct Entry {
    name: u32,
    /// The attribute's location in the VM's item table (`Vm::attr_loc`), remembered here
    /// once two threads exist so that each access need not hash `(object, name)` to find it;
    /// [`NO_LOC`] until then. The item table stays the authority: a location is only ever
    /// copied here from it.
    loc: u32,
    value: Value,
}

/// An instance's attributes.
#[derive(Debug, Default)]
pub struct AttrTable {
    entries: Vec<Entry>,
    /// Name -> position in `entries`, kept while `entries` is longer than [`SCAN`].
    index: Option<Box<hashbrown::HashMap<u32, u32, FixedState>>>,
}

/// A copy (`copy.copy(obj)`) is another object: its attributes have no location yet.
impl Clone for AttrTable {
    fn clone(&self) -> AttrTable {
        let mut entries = self.entries.clone();
        entries.iter_mut().for_each(|e| e.loc = NO_LOC);
        AttrTable {
            entries,
            index: self.index.clone(),
        }
    }
}

/// The capacity `IndexMap` (hashbrown's table of indices, which its entries follow) has after
/// growing by one insert into a full table of capacity `cap` holding `len` names.
fn grown_capacity(len: usize, cap: usize) -> usize {
    // hashbrown's `reserve_rehash`: resize to hold max(len + 1, cap + 1), in buckets of a
    // power of two (at least 4), of which 7/8 are usable (all but one below 8 buckets).
    let want = (len + 1).max(cap + 1);
    let buckets = if want < 4 {
        4
    } else if want < 8 {
        8
    } else {
        (want * 8 / 7).next_power_of_two()
    };
    if buckets <= 8 {
        buckets - 1
    } else {
        buckets / 8 * 7
    }
}

impl AttrTable {
    #[inline(always)]
    fn position(&self, name: u32) -> Option<usize> {
        match &self.index {
            None => self.entries.iter().position(|e| e.name == name),
            Some(ix) => ix.get(&name).map(|&i| i as usize),
        }
    }

    /// The attribute `name`.
    #[inline(always)]
    pub fn get(&self, name: &u32) -> Option<&Value> {
        let i = self.position(*name)?;
        // SAFETY: `position` returns an index of `entries`.
        Some(unsafe { &self.entries.get_unchecked(i).value })
    }

    /// The attribute `name`, to change.
    #[inline(always)]
    pub fn get_mut(&mut self, name: &u32) -> Option<&mut Value> {
        let i = self.position(*name)?;
        // SAFETY: `position` returns an index of `entries`.
        Some(unsafe { &mut self.entries.get_unchecked_mut(i).value })
    }

    /// Attribute `name` with the lost-update location remembered for it ([`NO_LOC`] if
    /// none): one scan for both, as a read noted for the lost-update detector needs.
    #[inline(always)]
    pub fn get_with_loc(&self, name: u32) -> Option<(Value, u32)> {
        let i = self.position(name)?;
        // SAFETY: `position` returns an index of `entries`.
        let e = unsafe { self.entries.get_unchecked(i) };
        Some((e.value, e.loc))
    }

    /// Sets attribute `name` to `value` (appended when new) and answers the location
    /// remembered for it ([`NO_LOC`] for a new attribute, or one none was looked up for).
    #[inline(always)]
    pub fn store(&mut self, name: u32, value: Value) -> u32 {
        match self.position(name) {
            Some(i) => {
                // SAFETY: `position` returns an index of `entries`.
                let e = unsafe { self.entries.get_unchecked_mut(i) };
                e.value = value;
                e.loc
            }
            None => {
                self.push_new(name, value);
                NO_LOC
            }
        }
    }

    /// Where attribute `name` is, with the lost-update location remembered for it
    /// ([`NO_LOC`] if none); `None` when the table does not hold `name`.
    #[inline]
    pub fn loc(&self, name: u32) -> Option<(usize, u32)> {
        let i = self.position(name)?;
        self.entries.get(i).map(|e| (i, e.loc))
    }

    /// Remembers `loc` as the location of the attribute at `i` (as `loc` answered).
    #[inline]
    pub fn set_loc(&mut self, i: usize, loc: u32) {
        if let Some(e) = self.entries.get_mut(i) {
            e.loc = loc;
        }
    }

    pub fn contains_key(&self, name: &u32) -> bool {
        self.position(*name).is_some()
    }

    /// Sets attribute `name`, last in order when new; the old value when there was one.
    pub fn insert(&mut self, name: u32, value: Value) -> Option<Value> {
        if let Some(old) = self.get_mut(&name) {
            return Some(std::mem::replace(old, value));
        }
        self.push_new(name, value);
        None
    }

    /// Appends attribute `name`, which the table does not hold.
    #[inline]
    pub fn push_new(&mut self, name: u32, value: Value) {
        let (len, cap) = (self.entries.len(), self.entries.capacity());
        if len == cap {
            self.entries.reserve_exact(grown_capacity(len, cap) - len);
        }
        self.entries.push(Entry {
            name,
            loc: NO_LOC,
            value,
        });
        if let Some(ix) = &mut self.index {
            ix.insert(name, len as u32);
        } else if len + 1 > SCAN {
            self.build_index();
        }
    }

    #[cold]
    fn build_index(&mut self) {
        let mut ix = hashbrown::HashMap::with_capacity_and_hasher(
            self.entries.capacity(),
            FixedState::default(),
        );
        for (i, e) in self.entries.iter().enumerate() {
            ix.insert(e.name, i as u32);
        }
        self.index = Some(Box::new(ix));
    }

    /// Removes attribute `name`, keeping the others' order (`IndexMap::shift_remove`).
    pub fn shift_remove(&mut self, name: &u32) -> Option<Value> {
        let i = self.position(*name)?;
        let e = self.entries.remove(i);
        if self.index.is_some() {
            if self.entries.len() > SCAN {
                self.build_index();
            } else {
                self.index = None;
            }
        }
        Some(e.value)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The capacity `IndexMap` would have (the heap's charge, see the module's comment).
    pub fn capacity(&self) -> usize {
        self.entries.capacity()
    }

    /// The attributes in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&u32, &Value)> {
        self.entries.iter().map(|e| (&e.name, &e.value))
    }

    /// The attributes' values in insertion order.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.entries.iter().map(|e| &e.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The entry array's capacity follows `IndexMap`'s, insert by insert (the heap's charge).
    #[test]
    fn capacity_grows_as_indexmaps() {
        let mut t = AttrTable::default();
        let mut m: indexmap::IndexMap<u32, Value, FixedState> = Default::default();
        assert_eq!(t.capacity(), m.capacity());
        for n in 0..2000u32 {
            t.insert(n * 7 + 1, Value::Int(n as i64));
            m.insert(n * 7 + 1, Value::Int(n as i64));
            assert_eq!(t.capacity(), m.capacity(), "after {} inserts", n + 1);
        }
    }

    /// Look-ups, replacement and removal agree with `IndexMap`'s across the scan/index border.
    #[test]
    fn behaves_as_an_ordered_map() {
        let mut t = AttrTable::default();
        let mut m: indexmap::IndexMap<u32, Value, FixedState> = Default::default();
        let slot = Value::Int;
        for step in 0..400u32 {
            let k = (step * 13) % 37;
            match step % 5 {
                0..=2 => {
                    assert_eq!(
                        t.insert(k, slot(step as i64)),
                        m.insert(k, slot(step as i64))
                    );
                }
                3 => assert_eq!(t.shift_remove(&k), m.shift_remove(&k)),
                _ => {
                    if let (Some(a), Some(b)) = (t.get_mut(&k), m.get_mut(&k)) {
                        *a = Value::Int(-1);
                        *b = Value::Int(-1);
                    }
                }
            }
            assert_eq!(t.len(), m.len());
            let ours: Vec<_> = t.iter().map(|(k, v)| (*k, *v)).collect();
            let theirs: Vec<_> = m.iter().map(|(k, v)| (*k, *v)).collect();
            assert_eq!(ours, theirs);
            for q in 0..40u32 {
                assert_eq!(t.get(&q), m.get(&q));
                assert_eq!(t.contains_key(&q), m.contains_key(&q));
            }
        }
    }
}
