//! mcache: inline caches for the class part of `LOAD_ATTR` and `LOAD_METHOD` in the hot loop
//! (issue 21).
//!
//! `hot`'s attribute arms (`vm::fastclass`, only while no class hooks attribute access:
//! `Rt::attr_hooks`; a property name is handed to its accessor first, prop) look an attribute up in the instance's `__dict__` first and,
//! on a miss, in its class and the class's MRO. That second look-up — a hashed probe of each
//! class namespace with more than a handful of entries, then a look at what was found — is
//! what a method call (`a.deposit(n)`) or a class attribute read through an instance
//! (`self.rate`) costs most. Its answer depends only on the attribute's name, the instance's
//! class and the contents of the namespaces in that class's MRO, so it is remembered with the
//! class it was worked out for and `Rt::class_epoch` at that moment. Every write to any
//! class's namespace (`C.x = …`, `setattr(C, …)`, `del C.x`, `@dataclass`) and every class
//! creation (a freed class's id can be reused by a new class) bumps the epoch, so an entry is
//! used only while the look-up would give the same answer.
//!
//! What stays outside the cache, exactly as before: the instance's own `__dict__` is searched
//! on every access (an instance attribute shadows a method or a class attribute, and instance
//! dicts change without an epoch), `__class__`, `staticmethod`/`classmethod` wrappers and
//! misses (the slow path binds or raises), property names (their accessors are called) and
//! everything while `Rt::attr_hooks` is set (`__getattr__`, `__setattr__` take the slow path,
//! which has no cache). The race
//! detector's runs (`--races`) do not use `hot`'s attribute arms at all. A hit gives the value
//! the uncached look-up gives, so schedules, traces and detectors cannot tell the difference.
//!
//! **Keyed by name, not by instruction site.** CPython keeps such caches beside each
//! instruction. Here the site would have to be passed from `hot`'s `LOAD_METHOD` arm, and two
//! more arguments at that call site made the unlocked counter's loop — which never runs it —
//! 0.3 and 1.4 x86 instructions per VM instruction dearer in two builds (33.2 → 33.5, 34.6:
//! `hot`'s layout, docs/performance.md), as did one out-of-line step for the three attribute
//! instructions (36.5). So the entries are found by attribute name id, which the arms already
//! have: two entries per name, the two classes most recently looked up with it, which covers a
//! site used on a class and a subclass. A name looked up on many classes in turn (a
//! polymorphic `run()`) misses more often than per-site caches would, and a miss costs what
//! the uncached look-up cost. Nothing is allocated, hashed or drawn per instruction: the
//! tables grow when a name is first remembered, and a program without classes pays nothing.

use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::value::{ObjId, Value};
use crate::vm::Rt;

/// One remembered class look-up.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    /// `Rt::class_epoch` when the entry was filled.
    epoch: u64,
    /// The instance's class it was filled for (`u32::MAX`: empty).
    cls: u32,
    /// What the class look-up found: `Value::PyMethod(f)` for a Python function `f` (a
    /// method: `LOAD_METHOD` pushes the marker and the instance, `LOAD_ATTR` leaves the
    /// binding to the slow path), any other value a plain class attribute given as is. (A
    /// class namespace never holds a `PyMethod` marker: those live on the value stack only.)
    found: Value,
}

const EMPTY: Entry = Entry {
    epoch: 0,
    cls: u32::MAX,
    found: Value::Undef,
};

/// The caches, by attribute name: `slots[name]` is 1 + the index in `ways` of the name's
/// pair of entries (0: none yet). Both vectors grow when a name is first remembered.
#[derive(Debug, Default)]
pub struct AttrCaches {
    slots: Vec<u32>,
    ways: Vec<[Entry; 2]>,
}

impl AttrCaches {
    /// What is remembered for `name` on class `cls` at epoch `epoch`, if anything.
    #[inline(always)]
    fn hit(&self, name: u32, cls: ObjId, epoch: u64) -> Option<Value> {
        let slot = *self.slots.get(name as usize)?;
        let w = self.ways.get((slot as usize).wrapping_sub(1))?;
        if w[0].cls == cls.0 && w[0].epoch == epoch {
            return Some(w[0].found);
        }
        (w[1].cls == cls.0 && w[1].epoch == epoch).then_some(w[1].found)
    }

    /// Remembers `found` for `name` on class `cls` at epoch `epoch`: in the first entry, the
    /// one it held moving to the second unless it is stale (the most recent two classes of
    /// those `name` was looked up on are kept).
    #[cold]
    fn fill(&mut self, name: u32, cls: ObjId, epoch: u64, found: Value) {
        let n = name as usize;
        if self.slots.len() <= n {
            self.slots.resize(n + 1, 0);
        }
        if self.slots[n] == 0 {
            self.ways.push([EMPTY; 2]);
            self.slots[n] = self.ways.len() as u32;
        }
        let Some(w) = self.ways.get_mut(self.slots[n] as usize - 1) else {
            return;
        };
        if w[0].epoch == epoch && w[0].cls != cls.0 {
            w[1] = w[0];
        }
        w[0] = Entry {
            epoch,
            cls: cls.0,
            found,
        };
    }
}

/// Attribute maps up to this size are searched by a scan of their entries rather than by
/// hashing the name (as `vm::fastclass` does).
const SCAN: usize = 8;

/// `name` in class `cls`'s namespace or, in MRO order, its bases' (`classes::class_lookup`).
fn class_get(rt: &Rt, cls: ObjId, name: u32) -> Option<Value> {
    let Obj::Class(c) = rt.heap.get(cls) else {
        return None;
    };
    std::iter::once(cls)
        .chain(c.mro.iter().copied())
        .find_map(|k| match rt.heap.get(k) {
            Obj::Class(kc) if kc.dict.len() <= SCAN => {
                kc.dict.iter().find(|(n, _)| **n == name).map(|(_, v)| *v)
            }
            Obj::Class(kc) => kc.dict.get(&name).copied(),
            _ => None,
        })
}

/// What a class look-up's answer is to the hot attribute arms: a Python function as the
/// `PyMethod` marker, a `staticmethod`/`classmethod` wrapper `None` (the slow path unwraps
/// it), anything else the value itself.
fn classify(rt: &Rt, v: Value) -> Option<Value> {
    match v {
        Value::Obj(id) => match rt.heap.get(id) {
            Obj::Function(_) => Some(Value::PyMethod(id)),
            Obj::StaticMethod(_) | Obj::ClassMethod(_) => None,
            _ => Some(v),
        },
        _ => Some(v),
    }
}

impl Vm {
    /// The class part of an attribute look-up of `name` through an instance of class `cls`,
    /// after the instance's `__dict__` missed: the `PyMethod` marker of a Python function, a
    /// plain class attribute, or `None` (a wrapper, or not found: the slow path's case).
    /// Remembered by name (see the module's comment).
    #[inline(always)]
    pub(crate) fn class_attr_cached(&mut self, cls: ObjId, name: u32) -> Option<Value> {
        let epoch = self.rt.class_epoch;
        if let Some(v) = self.mcache.hit(name, cls, epoch) {
            return Some(v);
        }
        self.class_attr_fill(cls, name)
    }

    /// Special method `name` of class `cls` for the operator entries of `hot`
    /// (`vm::fastdunder`), through the same caches: `Ok(Some(f))` for a Python function `f`,
    /// `Ok(None)` when neither the class nor a base has it (or has it as `None`), `Err(())`
    /// for anything else (a `staticmethod`, a built-in…), which the slow path decides.
    #[inline(always)]
    pub(crate) fn special_cached(&mut self, cls: ObjId, name: u32) -> Result<Option<ObjId>, ()> {
        let epoch = self.rt.class_epoch;
        let found = match self.mcache.hit(name, cls, epoch) {
            Some(v) => v,
            None => match class_get(&self.rt, cls, name) {
                None | Some(Value::None) => return Ok(None),
                Some(v) => {
                    let c = classify(&self.rt, v).ok_or(())?;
                    self.mcache.fill(name, cls, epoch, c);
                    c
                }
            },
        };
        match found {
            Value::PyMethod(f) => Ok(Some(f)),
            Value::None => Ok(None),
            _ => Err(()),
        }
    }

    /// `class_attr_cached`'s miss: the look-up, remembered when it found something to keep.
    #[inline(never)]
    fn class_attr_fill(&mut self, cls: ObjId, name: u32) -> Option<Value> {
        let found = classify(&self.rt, class_get(&self.rt, cls, name)?)?;
        let epoch = self.rt.class_epoch;
        self.mcache.fill(name, cls, epoch, found);
        Some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_hits_only_for_its_class_and_epoch() {
        let mut c = AttrCaches::default();
        assert_eq!(c.hit(3, ObjId(7), 1), None);
        c.fill(3, ObjId(7), 1, Value::Int(4));
        assert_eq!(c.hit(3, ObjId(7), 1), Some(Value::Int(4)));
        assert_eq!(c.hit(3, ObjId(8), 1), None);
        assert_eq!(c.hit(3, ObjId(7), 2), None);
        assert_eq!(c.hit(2, ObjId(7), 1), None);
        assert_eq!(c.hit(4, ObjId(7), 1), None);
        // A second class: both kept; a third pushes out the older.
        c.fill(3, ObjId(8), 1, Value::Int(5));
        assert_eq!(c.hit(3, ObjId(7), 1), Some(Value::Int(4)));
        assert_eq!(c.hit(3, ObjId(8), 1), Some(Value::Int(5)));
        c.fill(3, ObjId(9), 1, Value::Int(6));
        assert_eq!(c.hit(3, ObjId(9), 1), Some(Value::Int(6)));
        assert_eq!(c.hit(3, ObjId(8), 1), Some(Value::Int(5)));
        assert_eq!(c.hit(3, ObjId(7), 1), None);
        // After a class write (a new epoch) nothing old hits, and a stale entry is not kept.
        c.fill(3, ObjId(7), 2, Value::Int(7));
        assert_eq!(c.hit(3, ObjId(7), 2), Some(Value::Int(7)));
        assert_eq!(c.hit(3, ObjId(9), 2), None);
        assert_eq!(c.hit(3, ObjId(9), 1), None);
    }
}
