//! `set` and `frozenset`: CPython 3.11's set table (`Objects/setobject.c`), so that a set
//! iterates and prints in CPython's order.
//!
//! Why emulate the table rather than keep insertion order: CPython prints `{3, 1, 2}` as
//! `{1, 2, 3}` (a small int's hash is the int, and the table is walked slot by slot), and
//! course programs print sets of ints. The order is a function of the hashes and of the
//! history of adds, discards and resizes, which this module replays exactly: the same probe
//! sequence (9 linear probes, then perturbed), the same dummies, the same growth rule
//! (`fill * 5 >= mask * 3` grows to 4× the used count), the same merge shortcuts for
//! `copy`/`|`, the same operand order in `&`, `-` and `^`. Hashes are CPython's for ints,
//! floats, bools, tuples and frozensets (`builtins::convert::key_hash`); a string's hash is
//! randomised in CPython (`PYTHONHASHSEED`), so no program can rely on the order of a set of
//! strings there, and gilvm uses a fixed hash of its own (deterministic, but not CPython's).
//!
//! The table holds each element's [`HashKey`] (equality, as for dict keys) and its original
//! value (what iteration yields: `{1.0, 1}` keeps `1.0`). It lives in `Obj::Set` and
//! `Obj::FrozenSet`; growing a heap set charges the heap (`Obj::size_estimate` counts
//! [`SLOT_BYTES`] per slot).

use crate::vm::builtins::convert::key_hash;
use crate::vm::heap::{HashKey, Obj};
use crate::vm::ops::{collect_iterable, hash_key};
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Rt, Throw};

/// Bytes the heap limit counts per table slot.
pub const SLOT_BYTES: usize = 64;

const MIN_SIZE: usize = 8;
const LINEAR_PROBES: usize = 9;
const PERTURB_SHIFT: u32 = 5;

/// One element: its hash (CPython's), its key (equality) and the value iteration yields.
#[derive(Clone, Debug)]
pub struct Entry {
    pub hash: i64,
    pub key: HashKey,
    pub value: Value,
}

#[derive(Clone, Debug)]
enum Slot {
    Empty,
    /// A discarded element: probing goes on past it (CPython's `dummy`).
    Dummy,
    Full(Entry),
}

/// CPython's open-addressing set table.
#[derive(Clone, Debug)]
pub struct SetTable {
    slots: Vec<Slot>,
    /// Full slots.
    used: usize,
    /// Full and dummy slots.
    fill: usize,
    /// Where `pop` looks first.
    finger: usize,
}

impl Default for SetTable {
    fn default() -> SetTable {
        SetTable::new()
    }
}

impl SetTable {
    pub fn new() -> SetTable {
        SetTable {
            slots: vec![Slot::Empty; MIN_SIZE],
            used: 0,
            fill: 0,
            finger: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.used
    }

    pub fn is_empty(&self) -> bool {
        self.used == 0
    }

    /// Number of slots (for the heap's size estimate).
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// The elements in table order (iteration order).
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.slots.iter().filter_map(|s| match s {
            Slot::Full(e) => Some(e),
            _ => None,
        })
    }

    /// The values in iteration order.
    pub fn values(&self) -> Vec<Value> {
        self.entries().map(|e| e.value).collect()
    }

    /// The first element at slot `index` or after, with the index after it (iterators).
    pub fn next_from(&self, index: usize) -> Option<(usize, Value)> {
        let rest = self.slots.get(index..)?;
        rest.iter().enumerate().find_map(|(i, s)| match s {
            Slot::Full(e) => Some((index + i + 1, e.value)),
            _ => None,
        })
    }

    /// `set_lookkey`: the slot holding `key`, if any.
    fn lookup(&self, key: &HashKey, hash: i64) -> Option<usize> {
        let mask = self.mask();
        let mut perturb = hash as u64;
        let mut i = (hash as u64 as usize) & mask;
        loop {
            let probes = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            for j in i..=i + probes {
                match &self.slots[j] {
                    Slot::Empty => return None,
                    Slot::Full(e) if e.hash == hash && e.key == *key => return Some(j),
                    _ => {}
                }
            }
            perturb >>= PERTURB_SHIFT;
            i = i
                .wrapping_mul(5)
                .wrapping_add(1)
                .wrapping_add(perturb as usize)
                & mask;
        }
    }

    pub fn contains(&self, key: &HashKey, hash: i64) -> bool {
        self.lookup(key, hash).is_some()
    }

    /// `set_add_entry`: adds the element unless an equal one is there; true if added. A new
    /// element takes the *last* dummy slot its probe passed, if any (as CPython 3.11 does),
    /// else the empty slot that ended the probe.
    pub fn add(&mut self, e: Entry) -> bool {
        let mask = self.mask();
        let mut perturb = e.hash as u64;
        let mut i = (e.hash as u64 as usize) & mask;
        let mut freeslot = None;
        loop {
            let probes = if i + LINEAR_PROBES <= mask {
                LINEAR_PROBES
            } else {
                0
            };
            for j in i..=i + probes {
                match &self.slots[j] {
                    Slot::Empty => {
                        self.used += 1;
                        if let Some(f) = freeslot {
                            self.slots[f] = Slot::Full(e);
                            return true;
                        }
                        self.fill += 1;
                        self.slots[j] = Slot::Full(e);
                        if self.fill * 5 >= mask * 3 {
                            let u = self.used;
                            self.resize(if u > 50_000 { u * 2 } else { u * 4 });
                        }
                        return true;
                    }
                    Slot::Full(x) if x.hash == e.hash && x.key == e.key => return false,
                    Slot::Dummy => freeslot = Some(j),
                    _ => {}
                }
            }
            perturb >>= PERTURB_SHIFT;
            i = i
                .wrapping_mul(5)
                .wrapping_add(1)
                .wrapping_add(perturb as usize)
                & mask;
        }
    }

    /// `set_discard_entry`: removes the element equal to `key`, returning it.
    pub fn discard(&mut self, key: &HashKey, hash: i64) -> Option<Entry> {
        let j = self.lookup(key, hash)?;
        self.used -= 1;
        match std::mem::replace(&mut self.slots[j], Slot::Dummy) {
            Slot::Full(e) => Some(e),
            _ => None,
        }
    }

    /// `set.pop()`: the first element from the finger on.
    pub fn pop(&mut self) -> Option<Entry> {
        if self.used == 0 {
            return None;
        }
        let n = self.slots.len();
        let mut i = self.finger & self.mask();
        while !matches!(self.slots[i], Slot::Full(_)) {
            i = (i + 1) % n;
        }
        self.used -= 1;
        self.finger = i + 1;
        match std::mem::replace(&mut self.slots[i], Slot::Dummy) {
            Slot::Full(e) => Some(e),
            _ => None,
        }
    }

    pub fn clear(&mut self) {
        let finger = self.finger;
        *self = SetTable::new();
        self.finger = finger;
    }

    /// `set_table_resize`: the smallest power of two above `minused`, refilled in table order.
    fn resize(&mut self, minused: usize) {
        let mut size = MIN_SIZE;
        while size <= minused {
            size <<= 1;
        }
        let old = std::mem::replace(&mut self.slots, vec![Slot::Empty; size]);
        self.fill = self.used;
        for s in old {
            if let Slot::Full(e) = s {
                insert_clean(&mut self.slots, e);
            }
        }
    }

    /// `set_merge`: adds every element of `other`, with CPython's shortcuts into an empty
    /// table (which decide the order of a copy).
    pub fn merge(&mut self, other: &SetTable) {
        if other.used == 0 {
            return;
        }
        if (self.fill + other.used) * 5 >= self.mask() * 3 {
            self.resize((self.used + other.used) * 2);
        }
        if self.fill == 0 && self.mask() == other.mask() && other.fill == other.used {
            self.slots.clone_from(&other.slots);
            self.fill = other.fill;
            self.used = other.used;
            return;
        }
        if self.fill == 0 {
            self.fill = other.used;
            self.used = other.used;
            for e in other.entries() {
                insert_clean(&mut self.slots, e.clone());
            }
            return;
        }
        for e in other.entries() {
            self.add(e.clone());
        }
    }

    /// `set_copy`: a new table with the same elements (`make_new_set` + `set_merge`).
    pub fn copy(&self) -> SetTable {
        let mut t = SetTable::new();
        t.merge(self);
        t
    }

    /// Adds the keys of a dict of `n` items, resizing once first as CPython does.
    fn add_dict_keys(&mut self, keys: Vec<Entry>) {
        let n = keys.len();
        if (self.fill + n) * 5 >= self.mask() * 3 {
            self.resize((self.used + n) * 2);
        }
        for e in keys {
            self.add(e);
        }
    }

    /// `set_difference_update_internal` for a set operand, then the clean-up resize.
    pub fn difference_update(&mut self, other: &SetTable) {
        for e in other.entries() {
            self.discard(&e.key, e.hash);
        }
        self.shrink_after_discards();
    }

    /// CPython's clean-up after `difference_update`: when dummies fill more than a quarter of
    /// the table, rebuild it without them.
    pub fn shrink_after_discards(&mut self) {
        if self.fill - self.used > self.mask() / 4 {
            let u = self.used;
            self.resize(if u > 50_000 { u * 2 } else { u * 4 });
        }
    }

    /// `set_symmetric_difference_update` for a set operand (not `self`).
    pub fn symmetric_difference_update(&mut self, other: &SetTable) {
        for e in other.entries() {
            if self.discard(&e.key, e.hash).is_none() {
                self.add(e.clone());
            }
        }
    }

    /// `self <= other`.
    pub fn is_subset(&self, other: &SetTable) -> bool {
        self.used <= other.used && self.entries().all(|e| other.contains(&e.key, e.hash))
    }

    /// The hash key of a frozenset: its element keys, sorted, so equal sets give equal keys.
    pub fn frozen_key(&self) -> HashKey {
        let mut keys: Vec<HashKey> = self.entries().map(|e| e.key.clone()).collect();
        keys.sort();
        HashKey::FrozenSet(keys.into_boxed_slice())
    }
}

/// `set_insert_clean`: places an element known to be absent, in a table with no dummies.
fn insert_clean(slots: &mut [Slot], e: Entry) {
    let mask = slots.len() - 1;
    let mut perturb = e.hash as u64;
    let mut i = (e.hash as u64 as usize) & mask;
    loop {
        let last = if i + LINEAR_PROBES <= mask {
            i + LINEAR_PROBES
        } else {
            i
        };
        if let Some(j) = (i..=last).find(|&j| matches!(slots[j], Slot::Empty)) {
            slots[j] = Slot::Full(e);
            return;
        }
        perturb >>= PERTURB_SHIFT;
        i = i
            .wrapping_mul(5)
            .wrapping_add(1)
            .wrapping_add(perturb as usize)
            & mask;
    }
}

/// `a | b`.
pub fn union(a: &SetTable, b: &SetTable) -> SetTable {
    let mut t = a.copy();
    t.merge(b);
    t
}

/// `a & b` (`set_intersection`: walks the smaller set).
pub fn intersection(a: &SetTable, b: &SetTable) -> SetTable {
    let (big, small) = if b.len() > a.len() { (b, a) } else { (a, b) };
    let mut t = SetTable::new();
    for e in small.entries() {
        if big.contains(&e.key, e.hash) {
            t.add(e.clone());
        }
    }
    t
}

/// `a - b` (`set_difference`).
pub fn difference(a: &SetTable, b: &SetTable) -> SetTable {
    if (a.len() >> 2) > b.len() {
        let mut t = a.copy();
        t.difference_update(b);
        return t;
    }
    let mut t = SetTable::new();
    for e in a.entries() {
        if !b.contains(&e.key, e.hash) {
            t.add(e.clone());
        }
    }
    t
}

/// `a ^ b` (`set_symmetric_difference`: a copy of `b`, updated with `a`).
pub fn symmetric_difference(a: &SetTable, b: &SetTable) -> SetTable {
    let mut t = b.copy();
    t.symmetric_difference_update(a);
    t
}

/// `a op b` for `&` (1), `|` (7), `-` (10) and `^` (12) (`BINARY_OP` numbering) when both
/// are sets or frozensets; `None` otherwise (the caller raises its `TypeError`). The result
/// has `a`'s type; in place (`|=`, …) a set is changed and returned, a frozenset is not.
pub fn binary(rt: &mut Rt, op: u32, inplace: bool, a: Value, b: Value) -> PyResult<Option<Value>> {
    if is_key_view(rt, a) || is_key_view(rt, b) {
        return view_binary(rt, op, a, b).map(Some);
    }
    let (Some(x), Some(y)) = (table_of(rt, a), table_of(rt, b)) else {
        return Ok(None);
    };
    let frozen = matches!(a, Value::Obj(id) if matches!(rt.heap.get(id), Obj::FrozenSet(_)));
    if inplace && !frozen {
        let (Value::Obj(ida), Value::Obj(idb)) = (a, b) else {
            return Ok(None);
        };
        let other = y.clone();
        let same = ida == idb;
        with_table(rt, ida, |rt, t| {
            match op {
                1 => *t = intersection(t, &other),
                7 => {
                    ensure_growth(rt, t, other.len())?;
                    t.merge(&other);
                }
                10 if same => t.clear(),
                10 => t.difference_update(&other),
                _ if same => t.clear(),
                _ => {
                    ensure_growth(rt, t, other.len())?;
                    t.symmetric_difference_update(&other);
                }
            }
            Ok(())
        })?;
        return Ok(Some(a));
    }
    rt.ensure_room((x.capacity() + y.capacity()).saturating_mul(4 * SLOT_BYTES))?;
    let t = match op {
        1 => intersection(x, y),
        7 => union(x, y),
        10 => difference(x, y),
        _ => symmetric_difference(x, y),
    };
    rt.alloc(if frozen {
        Obj::FrozenSet(t)
    } else {
        Obj::Set(t)
    })
    .map(Some)
}

/// Whether `v` is a dict's `keys()` or `items()` view (which take part in `& | - ^`).
fn is_key_view(rt: &Rt, v: Value) -> bool {
    matches!(v, Value::Obj(id) if matches!(rt.heap.get(id),
        Obj::DictView { part, .. } if *part != crate::vm::heap::DictPart::Values))
}

/// `d.keys() & other`, `other - d.items()`, …: CPython's dict views make a new set of the left
/// operand's items and combine the right operand's into it, whichever side the view is on.
fn view_binary(rt: &mut Rt, op: u32, a: Value, b: Value) -> PyResult<Value> {
    let x = table_from(rt, a)?;
    let y = table_from(rt, b)?;
    rt.ensure_room((x.capacity() + y.capacity()).saturating_mul(4 * SLOT_BYTES))?;
    let t = match op {
        1 => intersection(&x, &y),
        7 => union(&x, &y),
        10 => difference(&x, &y),
        _ => symmetric_difference(&x, &y),
    };
    rt.alloc(Obj::Set(t))
}

/// The entry for a value: its hash key and CPython's hash of it (`TypeError` if unhashable).
pub fn entry(rt: &Rt, v: Value) -> PyResult<Entry> {
    let key = hash_key(rt, v)?;
    Ok(Entry {
        hash: key_hash(&key),
        key,
        value: v,
    })
}

/// The entry to look `v` up by (`in`, `remove`, `discard`): as [`entry`], except that a set
/// is looked up as the frozenset with its elements, as CPython does (`{1} in {frozenset({1})}`).
pub fn lookup_entry(rt: &Rt, v: Value) -> PyResult<Entry> {
    if let Value::Obj(id) = v {
        if let Obj::Set(t) = rt.heap.get(id) {
            let key = t.frozen_key();
            return Ok(Entry {
                hash: key_hash(&key),
                key,
                value: v,
            });
        }
    }
    entry(rt, v)
}

/// The order in which CPython's frozenset of these constants iterates, as indices into
/// `items` (duplicates dropped): what `dis` prints for a frozenset constant.
pub fn const_order(items: &[crate::bytecode::Const]) -> Vec<usize> {
    use crate::bytecode::Const;
    fn key(c: &Const) -> Option<HashKey> {
        Some(match c {
            Const::None => HashKey::None,
            Const::Bool(b) => HashKey::Int(i64::from(*b)),
            Const::Int(i) => HashKey::Int(*i),
            Const::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => HashKey::Int(*f as i64),
            Const::Float(f) => HashKey::Float(f.to_bits()),
            Const::Str(s) => HashKey::Str(s.as_str().into()),
            Const::Tuple(t) => HashKey::Tuple(t.iter().map(key).collect::<Option<_>>()?),
            Const::BigInt(s) => HashKey::Big(Box::new(s.parse().ok()?)),
            Const::FrozenSet(_) | Const::Code(_) | Const::Ellipsis => return None,
        })
    }
    let mut t = SetTable::new();
    for (i, c) in items.iter().enumerate() {
        let Some(key) = key(c) else {
            return (0..items.len()).collect();
        };
        t.add(Entry {
            hash: key_hash(&key),
            key,
            value: Value::Int(i as i64),
        });
    }
    t.entries()
        .filter_map(|e| match e.value {
            Value::Int(i) => Some(i as usize),
            _ => None,
        })
        .collect()
}

/// The table of a set or frozenset object, if `v` is one.
pub fn table_of(rt: &Rt, v: Value) -> Option<&SetTable> {
    match v {
        Value::Obj(id) => match rt.heap.get(id) {
            Obj::Set(t) | Obj::FrozenSet(t) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `v` is a set or a frozenset.
pub fn is_set(rt: &Rt, v: Value) -> bool {
    table_of(rt, v).is_some()
}

/// `set_update_internal` into `t`: another set merges, a dict adds its keys after one
/// resize, anything else is iterated and added item by item.
pub fn update_from(rt: &mut Rt, t: &mut SetTable, v: Value) -> PyResult<()> {
    if let Some(other) = table_of(rt, v) {
        let other = other.clone();
        ensure_growth(rt, t, other.len())?;
        t.merge(&other);
        return Ok(());
    }
    if let Value::Obj(id) = v {
        if let Obj::Dict(d) = rt.heap.get(id) {
            let keys: Vec<Value> = d.values().map(|&(k, _)| k).collect();
            let entries = keys
                .into_iter()
                .map(|k| entry(rt, k))
                .collect::<PyResult<Vec<_>>>()?;
            ensure_growth(rt, t, entries.len())?;
            t.add_dict_keys(entries);
            return Ok(());
        }
    }
    let items = collect_iterable(rt, v)?;
    ensure_growth(rt, t, items.len())?;
    for x in items {
        t.add(entry(rt, x)?);
    }
    Ok(())
}

/// A new table holding the items of an iterable (`make_new_set`).
pub fn table_from(rt: &mut Rt, v: Value) -> PyResult<SetTable> {
    let mut t = SetTable::new();
    update_from(rt, &mut t, v)?;
    Ok(t)
}

/// Raises `MemoryError` if adding `n` elements could pass the heap limit.
fn ensure_growth(rt: &Rt, t: &SetTable, n: usize) -> PyResult<()> {
    let want = t.len().saturating_add(n).saturating_mul(4);
    let extra = want.saturating_sub(t.capacity());
    rt.ensure_room(extra.saturating_mul(SLOT_BYTES))
}

/// Runs `f` on the table of the heap set `id` (taken out of the heap meanwhile, so `f` may
/// use `rt`), then charges the heap for what the table grew by.
pub fn with_table<R>(
    rt: &mut Rt,
    id: ObjId,
    f: impl FnOnce(&mut Rt, &mut SetTable) -> PyResult<R>,
) -> PyResult<R> {
    let mut t = match rt.heap.get_mut(id) {
        Obj::Set(t) => std::mem::take(t),
        _ => return Err(Throw::type_error("expected a set")),
    };
    let before = t.capacity();
    let r = f(rt, &mut t);
    let grown = t.capacity().saturating_sub(before);
    if let Obj::Set(slot) = rt.heap.get_mut(id) {
        *slot = t;
    }
    // `f` checked the room before growing (`ensure_growth`), so this only records it.
    let _ = rt.heap.charge(grown.saturating_mul(SLOT_BYTES));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int_set(items: &[i64]) -> SetTable {
        let mut t = SetTable::new();
        for &i in items {
            let key = HashKey::Int(i);
            t.add(Entry {
                hash: key_hash(&key),
                key,
                value: Value::Int(i),
            });
        }
        t
    }

    fn order(t: &SetTable) -> Vec<i64> {
        t.entries()
            .map(|e| match e.value {
                Value::Int(i) => i,
                _ => 0,
            })
            .collect()
    }

    // Expected orders printed by CPython 3.11.
    #[test]
    fn small_int_sets_iterate_in_cpythons_order() {
        assert_eq!(order(&int_set(&[3, 1, 2])), [1, 2, 3]);
        assert_eq!(order(&int_set(&[10, 5, 8, 1])), [8, 1, 10, 5]);
        assert_eq!(order(&int_set(&[100, 7, -1, 33, 16])), [33, 100, 7, 16, -1]);
    }

    #[test]
    fn discard_leaves_a_dummy_that_probing_passes_and_pop_follows_the_finger() {
        let mut t = int_set(&[1, 9, 17]);
        let k = HashKey::Int(9);
        assert!(t.discard(&k, key_hash(&k)).is_some());
        assert!(t.contains(&HashKey::Int(17), key_hash(&HashKey::Int(17))));
        assert_eq!(t.len(), 2);
        let first = t.pop().map(|e| e.value);
        assert_eq!(first, Some(Value::Int(1)));
        assert_eq!(t.pop().map(|e| e.value), Some(Value::Int(17)));
        assert!(t.pop().is_none());
    }
}
