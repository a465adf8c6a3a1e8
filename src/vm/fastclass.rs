//! Classes and closures inside the hot loop (issue 21): closure cells, attribute look-ups that
//! find a class attribute or method through an instance, and instantiation of a plain class
//! whose `__init__` is a Python function.
//!
//! As in `vm::fastcall`, each helper does exactly what `slow_op` does for the instruction in
//! the cases it takes — the same stack, frames, heap (the same allocations in the same order),
//! the same lost-update and race-detector bookkeeping at the same instruction index — and
//! answers "not here" (changing nothing) for everything else, which then takes the slow path.
//! Schedules, traces and outputs cannot tell the two paths apart.

use crate::bytecode::{Const, Program};
use crate::vm::classes::class_lookup;
use crate::vm::heap::{Instance, Obj};
use crate::vm::lost::{self, LocKey, ReadLog};
use crate::vm::machine::Vm;
use crate::vm::natives::AttrSym;
use crate::vm::thread::Frames;
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Rt, Throw};

/// What a cell load found (`LOAD_DEREF`).
pub(crate) enum Deref {
    /// The cell's value.
    Value(Value),
    /// The slot or the cell is empty: the slow path raises the `NameError`.
    Unbound,
}

impl Vm {
    // ---- closure cells ----

    /// `MAKE_CELL`: the cell holding `v`, allocated as `slow_op` allocates it.
    #[inline(never)]
    pub(crate) fn hot_make_cell(&mut self, v: Value) -> PyResult<Value> {
        self.rt.alloc(Obj::Cell {
            value: v,
            meta: Default::default(),
        })
    }

    /// `COPY_FREE_VARS n`: the running function's first `n` closure cells into `dst`, the
    /// frame's last `n` fast locals. `func` is the frame's function (or its marker).
    #[inline(never)]
    pub(crate) fn hot_copy_free_vars(&self, func: Value, dst: &mut [Value]) {
        // cls2: the frame runs the function itself (not a class body's or an `__init__`
        // call's marker), the common case: one heap look-up, not two.
        if let Value::Obj(id) = func {
            if let Obj::Function(f) = self.rt.heap.get(id) {
                for (d, c) in dst.iter_mut().zip(f.closure.iter()) {
                    *d = *c;
                }
                return;
            }
        }
        if let Some(f) = self.frame_function(func) {
            if let Obj::Function(func) = self.rt.heap.get(f) {
                for (d, c) in dst.iter_mut().zip(func.closure.iter()) {
                    *d = *c;
                }
            }
        }
    }

    /// `LOAD_DEREF` of the cell in slot `cell`, at instruction `at` of code `code_id`: its
    /// value, with the lost-update read.
    #[inline(always)]
    pub(crate) fn hot_load_deref(
        &mut self,
        reads: &mut ReadLog,
        cell: Value,
        code_id: u32,
        at: u32,
    ) -> Deref {
        let Value::Obj(cid) = cell else {
            return Deref::Unbound;
        };
        let Obj::Cell { value, meta } = self.rt.heap.get(cid) else {
            return Deref::Unbound;
        };
        let v = *value;
        if let Value::Undef = v {
            return Deref::Unbound;
        }
        reads.record(LocKey::Cell(cid.0), meta, code_id, at);
        Deref::Value(v)
    }

    /// `STORE_DEREF` of `v` into cell `cid`, at instruction `at` of code `code_id`: the
    /// store, and the lost-update check against this thread's read of the cell.
    #[inline(never)]
    pub(crate) fn hot_store_deref(
        &mut self,
        reads: &mut ReadLog,
        cid: ObjId,
        v: Value,
        code_id: u32,
        at: u32,
    ) {
        let tid = self.current;
        let key = LocKey::Cell(cid.0);
        let read = reads.take(key).copied();
        let mut result = None;
        let mut old = Value::Undef;
        if let Obj::Cell { value, meta } = self.rt.heap.get_mut(cid) {
            old = *value;
            *value = v;
            result = Some(lost::on_store(meta, read, tid, code_id, at));
        }
        if let Some(st) = result.filter(|st| st.erased != 0) {
            let ev = st.event(key, tid, code_id, at);
            self.note_lost(key, st.erased, ev, v, old);
        }
    }

    /// Whether `v` is a cell (what `STORE_DEREF`'s slot holds once `MAKE_CELL` ran).
    #[inline(always)]
    pub(crate) fn cell_id(&self, v: Value) -> Option<ObjId> {
        match v {
            Value::Obj(id) if matches!(self.rt.heap.get(id), Obj::Cell { .. }) => Some(id),
            _ => None,
        }
    }

    // ---- attributes of instances ----
    //
    // Used by `LOAD_ATTR`, `LOAD_METHOD` and `STORE_ATTR` in the hot loop, which run there
    // only while no class defines a special method or a property (`Rt::user_dunders`): then
    // an instance attribute is its `__dict__` entry, else its class's (MRO order) as
    // `classes::class_attr` finds it, with no descriptor but `staticmethod`/`classmethod`
    // (left to the slow path) to look at. Each answers `None` (nothing done) for anything
    // else: not an instance, `__class__`, an attribute found nowhere (the error), a function
    // to bind as a bound-method object.

    /// `LOAD_ATTR name` on instance `obj` when it finds a value that needs no binding: an
    /// instance attribute, or a plain class attribute read through the instance
    /// (`self.rate`). The caller does the lost-update bookkeeping.
    /// mcache: the class part is remembered (`vm/mcache.rs`).
    #[inline(always)]
    pub(crate) fn inst_attr(&mut self, obj: Value, name: u32) -> Option<Value> {
        let Value::Obj(id) = obj else { return None };
        // `load_attr` answers `obj.__class__` before it looks at the instance's dict.
        if name == self.rt.dunders.class_ {
            return None;
        }
        let Obj::Instance(inst) = self.rt.heap.get(id) else {
            return None;
        };
        if let Some(v) = inst.attrs.get(&name) {
            return Some(*v);
        }
        let cls = inst.class;
        match self.class_attr_cached(cls, name)? {
            // A function to bind as a bound-method object: the slow path.
            Value::PyMethod(_) => None,
            v => Some(v),
        }
    }

    /// `LOAD_METHOD name` on instance `obj`, as `load_method` answers it: an instance
    /// attribute `(v, None)`, a method `(PyMethod marker, Some(obj))`, a plain class
    /// attribute `(v, None)`.
    /// mcache: the class part is remembered (`vm/mcache.rs`).
    #[inline(never)]
    pub(crate) fn hot_load_method(
        &mut self,
        obj: Value,
        name: u32,
    ) -> PyResult<(Value, Option<Value>)> {
        if let Value::Obj(id) = obj {
            if let Obj::Instance(inst) = self.rt.heap.get(id) {
                // prop: a name that may be a property's: the slow path (which calls the
                // getter, or raises its error) decides (`Throw::Slow`).
                if self.rt.user_dunders && self.class_may_have(inst.class, name) {
                    return Err(Throw::Slow);
                }
                if let Some(v) = inst.attrs.get(&name) {
                    return Ok((*v, None));
                }
                let cls = inst.class;
                match self.class_attr_cached(cls, name) {
                    Some(Value::PyMethod(fid)) => return Ok((Value::PyMethod(fid), Some(obj))),
                    Some(v) => return Ok((v, None)),
                    None => {}
                }
            }
        }
        // ld3: a list, dict, str, tuple or set method, without `load_method`'s special
        // cases (`vm::methfast`).
        if let Some(attr) = self.attr_of[name as usize] {
            if let Some(m) = crate::vm::methfast::method_of_container(&self.rt, obj, attr) {
                return Ok((Value::Method(m), Some(obj)));
            }
        }
        self.load_method(obj, name)
    }

    /// `STORE_ATTR name` of `v` on instance `obj` (not a `Thread` subclass's, whose `name`
    /// and `daemon` go to the thread): stores it in the instance's `__dict__` as
    /// `class_store_attr` does. `false`: not such a store, nothing done.
    #[inline(always)]
    pub(crate) fn inst_store(&mut self, obj: Value, name: u32, v: Value) -> bool {
        self.inst_store_loc(obj, name, v).is_some()
    }

    /// `inst_store`, answering (when it stored) the lost-update location the attribute
    /// remembers (`AttrTable::store`; `NO_LOC` if none yet): `store_attr_noted` then needs no
    /// second look at the instance.
    #[inline(always)]
    pub(crate) fn inst_store_loc(&mut self, obj: Value, name: u32, v: Value) -> Option<u32> {
        let Value::Obj(id) = obj else { return None };
        // `obj.__class__ = C`: the slow way. (A `name` is an ordinary attribute here: a
        // thread's own `name` belongs to an `Obj::Sync` or, for an instance of a `Thread`
        // subclass, to its `base_obj`, both refused below.)
        if self.attr_of[name as usize] == Some(AttrSym::dunder_class) {
            return None;
        }
        let Obj::Instance(inst) = self.rt.heap.get_mut(id) else {
            return None;
        };
        if inst.base_obj.is_some() {
            return None;
        }
        Some(inst.attrs.store(name, v))
    }

    /// An instance's own attribute `name` with the lost-update location it remembers, when
    /// it remembers one (two threads exist and it was accessed before): what
    /// `load_attr_noted` needs, in one look at the instance.
    #[inline(always)]
    pub(crate) fn inst_attr_loc(&self, obj: Value, name: u32) -> Option<(Value, u32)> {
        let Value::Obj(id) = obj else { return None };
        if name == self.rt.dunders.class_ {
            return None;
        }
        let Obj::Instance(inst) = self.rt.heap.get(id) else {
            return None;
        };
        let (v, loc) = inst.attrs.get_with_loc(name)?;
        (loc != crate::vm::attrtable::NO_LOC).then_some((v, loc))
    }

    // ---- instantiation ----

    /// `CALL argc` at `caller_pc - 1` (from `enter_py`) when the callee at `callee_at` is a
    /// plain class (no `__new__`, no built-in base, not a dataclass's generated `__init__`)
    /// whose `__init__` is a Python function that `enter_py` binds these arguments to: as
    /// `instantiate` does, allocates the instance and the `InitCall` marker that makes the
    /// frame's return the instance (in that order, as the slow path does), and pushes
    /// `__init__`'s frame with the instance as `self`. `false`, with nothing changed (the
    /// allocations taken back): the slow path.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    pub(crate) fn enter_init(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut Frames,
        prog: &Program,
        caller_code: u32,
        caller_base: usize,
        caller_pc: usize,
        sp: usize,
        argc: usize,
        kwn: &[Const],
    ) -> bool {
        let callee_at = sp - argc - 1;
        if callee_at > caller_base
            && matches!(
                stack[callee_at - 1],
                Value::PyMethod(_) | Value::Method(_) | Value::BoundExit(_)
            )
        {
            return false;
        }
        let Value::Obj(cls) = stack[callee_at] else {
            return false;
        };
        let Obj::Class(c) = self.rt.heap.get(cls) else {
            return false;
        };
        if c.builtin_base.is_some() || sp + 1 > stack.len() {
            return false;
        }
        if self.user_new(cls).is_some()
            || (self.rt.any_dataclass && self.dataclass_init_of(cls).is_some())
        {
            return false;
        }
        let Some(Value::Obj(init)) = class_lookup(&self.rt, cls, self.rt.dunders.init) else {
            return false;
        };
        if !matches!(self.rt.heap.get(init), Obj::Function(_)) {
            return false;
        }
        // The instance, then the marker (a full heap: the slow path raises the MemoryError).
        let inst = Obj::Instance(Instance {
            class: cls,
            attrs: Default::default(),
            base_obj: None,
        });
        let inst_size = inst.size_estimate();
        let inst_reused = self.rt.heap.reuses_slot();
        let Ok(inst) = self.rt.heap.alloc(inst) else {
            return false;
        };
        let marker = Obj::InitCall {
            func: init,
            inst: Value::Obj(inst),
            raise_it: None,
        };
        let marker_size = marker.size_estimate();
        let marker_reused = self.rt.heap.reuses_slot();
        let Ok(marker) = self.rt.heap.alloc(marker) else {
            self.rt.heap.unalloc(inst, inst_size, inst_reused);
            return false;
        };
        // `__init__(self, …)`: the arguments move up one slot for `self`, the function takes
        // the class's slot.
        stack.copy_within(callee_at + 1..sp, callee_at + 2);
        stack[callee_at + 1] = Value::Obj(inst);
        stack[callee_at] = Value::Obj(init);
        if !self.enter_py(
            stack,
            frames,
            prog,
            caller_code,
            caller_base,
            caller_pc,
            sp + 1,
            argc + 1,
            kwn,
        ) {
            stack[callee_at] = Value::Obj(cls);
            stack.copy_within(callee_at + 2..sp + 1, callee_at + 1);
            self.rt.heap.unalloc(marker, marker_size, marker_reused);
            self.rt.heap.unalloc(inst, inst_size, inst_reused);
            return false;
        }
        if let Some(fr) = frames.last_mut() {
            fr.func = Value::Obj(marker);
        }
        true
    }
}

// ---- classes2: plain classes while some class defines special methods ----
//
// Once any class defines a special method or a property (`Rt::user_dunders`), the slow path's
// `LOAD_ATTR`, `LOAD_METHOD` and `STORE_ATTR` on an instance look for three more things: a
// property of the instance's class (`descriptor_get`/`descriptor_set`), a `__getattr__` to
// answer a miss (`getattr_fallback`) and a `__setattr__` or frozen dataclass to take a store
// (`setattr_hook`). An instance whose class has none of them in its MRO — a *plain* class —
// gets exactly the answers it would get with no special method anywhere, so `slow_op` skips
// those look-ups for it. Whether a class is plain is worked out once and kept in the class
// (`ClassObj::attr_check`) with the `Rt::class_epoch` it was worked out at; every write to
// any class's namespace bumps the epoch (a property or `__getattr__` assigned to a class or
// to a base later, a method deleted), so the next look works it out again. (The same check
// in `hot`'s attribute arms made the unlocked counter's loop 0.8–5 Ir per instruction
// dearer through code layout alone: docs/performance.md.)

/// Whether class `cls` is plain (see above), cached in the class until the next class write.
fn class_plain(rt: &Rt, cls: ObjId) -> bool {
    class_check(rt, cls) & PLAIN != 0
}

/// `ClassObj::attr_check`'s low bits: the class is plain; it has a hook (`__getattr__`,
/// `__setattr__`, a frozen dataclass) in its MRO.
const PLAIN: u64 = 1;
const HOOKED: u64 = 2;

/// prop: class `cls`'s attribute check (`PLAIN`, `HOOKED`), and the names of the properties
/// in its MRO as a mask of bits `name % 64` (`ClassObj::prop_names`), worked out again after
/// a class write.
#[inline(always)]
fn class_check(rt: &Rt, cls: ObjId) -> u64 {
    let Obj::Class(c) = rt.heap.get(cls) else {
        return HOOKED;
    };
    let seen = c.attr_check.get();
    if seen >> 2 == rt.class_epoch {
        return seen & 3;
    }
    work_out_check(rt, cls)
}

/// `class_check`'s miss: worked out and kept in the class.
#[cold]
#[inline(never)]
fn work_out_check(rt: &Rt, cls: ObjId) -> u64 {
    let Obj::Class(c) = rt.heap.get(cls) else {
        return HOOKED;
    };
    let (hooked, props) = work_out(rt, cls);
    let bits = if hooked {
        HOOKED
    } else if props == 0 {
        PLAIN
    } else {
        0
    };
    c.prop_names.set(props);
    c.attr_check.set(rt.class_epoch << 2 | bits);
    bits
}

/// Whether `cls` or its MRO has `__getattr__` or `__setattr__` or `cls` is a frozen
/// dataclass, and the mask of its MRO's property names (bit `name % 64`).
fn work_out(rt: &Rt, cls: ObjId) -> (bool, u64) {
    let Obj::Class(c) = rt.heap.get(cls) else {
        return (true, 0);
    };
    if c.dataclass.as_ref().is_some_and(|i| i.frozen) {
        return (true, 0);
    }
    let d = rt.dunders;
    let mut hooked = false;
    let mut props = 0u64;
    for k in std::iter::once(cls).chain(c.mro.iter().copied()) {
        let Obj::Class(kc) = rt.heap.get(k) else {
            return (true, 0);
        };
        for (name, v) in kc.dict.iter() {
            if *name == d.getattr || *name == d.setattr {
                hooked = true;
            }
            if matches!(v, Value::Obj(p) if matches!(rt.heap.get(*p), Obj::Property { .. })) {
                props |= 1 << (*name & 63);
            }
        }
    }
    (hooked, props)
}

impl Vm {
    /// Whether `LOAD_ATTR`, `LOAD_METHOD` or `STORE_ATTR` on `obj` can skip the look-ups for
    /// a property, `__getattr__` and `__setattr__` although some class defines a special
    /// method or a property: `obj` is an instance of a plain class (`slow_op`).
    #[inline(never)]
    pub(crate) fn attr_plain_obj(&self, obj: Value) -> bool {
        let Value::Obj(id) = obj else { return false };
        let Obj::Instance(inst) = self.rt.heap.get(id) else {
            return false;
        };
        class_plain(&self.rt, inst.class)
    }

    /// prop: whether `name` may be a property of instance `obj`'s class (its bit in the
    /// class's mask of property names, or a hooked class): `hot`'s attribute arms then ask
    /// `hot_accessor`. `false` for everything that is not an instance.
    #[inline(always)]
    pub(crate) fn maybe_property(&self, obj: Value, name: u32) -> bool {
        self.rt.user_dunders && self.maybe_property_of(obj, name)
    }

    /// `maybe_property` once some class defines a special method or a property (out of
    /// line: inline, it made the attribute helpers dearer for every program).
    #[inline(never)]
    fn maybe_property_of(&self, obj: Value, name: u32) -> bool {
        let Value::Obj(id) = obj else { return false };
        let Obj::Instance(inst) = self.rt.heap.get(id) else {
            return false;
        };
        // Inline here: a call more for every attribute of an instance (0.7% of l/dunder's Ir).
        self.class_may_have_inline(inst.class, name)
    }

    /// prop: whether `name` may be a property of class `cls` (its bit in the class's mask),
    /// or `cls` is hooked.
    #[inline(never)]
    fn class_may_have(&self, cls: ObjId, name: u32) -> bool {
        self.class_may_have_inline(cls, name)
    }

    /// `class_may_have`, inline.
    #[inline(always)]
    pub(crate) fn class_may_have_inline(&self, cls: ObjId, name: u32) -> bool {
        let check = class_check(&self.rt, cls);
        if check & PLAIN != 0 {
            return false;
        }
        if check & HOOKED != 0 {
            return true;
        }
        let Obj::Class(c) = self.rt.heap.get(cls) else {
            return true;
        };
        c.prop_names.get() & (1 << (name & 63)) != 0
    }

    /// prop: `obj.name` (`set`: `obj.name = v`) in `hot` when `maybe_property` said so:
    /// `Ok` when `name` is no property after all; else `Throw::Accessor(f)` for an accessor
    /// that is Python function `f` (`run_slice` calls it), `Throw::Slow` for the slow path
    /// (a hooked class, another accessor), or the error the slow path raises for a property
    /// without the accessor.
    #[cold]
    #[inline(never)]
    pub(crate) fn hot_property(&self, obj: Value, name: u32, set: bool) -> PyResult<()> {
        let Value::Obj(id) = obj else {
            return Err(Throw::Slow);
        };
        let Obj::Instance(inst) = self.rt.heap.get(id) else {
            return Err(Throw::Slow);
        };
        if class_check(&self.rt, inst.class) & HOOKED != 0 {
            return Err(Throw::Slow);
        }
        let access = if set {
            crate::vm::descriptors::Access::Set
        } else {
            crate::vm::descriptors::Access::Get
        };
        match self.accessor(obj, name, access)? {
            None => Ok(()),
            Some(Value::Obj(f)) if matches!(self.rt.heap.get(f), Obj::Function(_)) => {
                Err(Throw::Accessor(f))
            }
            Some(_) => Err(Throw::Slow),
        }
    }
}
