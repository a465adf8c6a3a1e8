//! Special methods of `class` statements' classes, called where Python calls them: `a + b`
//! calls `__add__` (then `__radd__`), `a < b` calls `__lt__`, `for x in obj` calls `__iter__`
//! and `__next__`, `with obj:` calls `__enter__` and `__exit__`, `obj[k]`, `len(obj)`, …
//!
//! The interpreter loop is never re-entered: a special method runs as an ordinary frame,
//! pushed by the instruction (or built-in) that needs it, whose frame function is an
//! [`Obj::DunderCall`] marker carrying a [`Then`]: what becomes of the method's return value
//! when the frame returns (`Vm::finish_dunder`, called by `RETURN_VALUE`) — pushed as is,
//! dropped, checked (`__len__` must return an int ≥ 0), or, for `NotImplemented`, the
//! reflected method called next. A `StopIteration` leaving a `__next__` called by `FOR_ITER`
//! ends the loop (`Vm::stop_iteration`, called by the unwinder).
//!
//! Nothing here is on the hot path: the hot loop hands an instruction to the slow path only
//! when its built-in operation failed and an operand is an instance
//! ([`is_instance`]), and built-ins look for special methods only once a class defining one
//! exists (`Rt::user_dunders`).

mod builtins;
mod keys;

pub use keys::KeyOp;

use crate::vm::classes::{class_lookup, class_of};
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::interp::CallDone;
use crate::vm::machine::Vm;
use crate::vm::natives::NativeId;
use crate::vm::ops;
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Rt, Throw};

/// `BINARY_OP` operands 0..=12: the method, its reflected form and its in-place form.
const BINARY_NAMES: [(&str, &str, &str); 13] = [
    ("__add__", "__radd__", "__iadd__"),
    ("__and__", "__rand__", "__iand__"),
    ("__floordiv__", "__rfloordiv__", "__ifloordiv__"),
    ("__lshift__", "__rlshift__", "__ilshift__"),
    ("__matmul__", "__rmatmul__", "__imatmul__"),
    ("__mul__", "__rmul__", "__imul__"),
    ("__mod__", "__rmod__", "__imod__"),
    ("__or__", "__ror__", "__ior__"),
    ("__pow__", "__rpow__", "__ipow__"),
    ("__rshift__", "__rrshift__", "__irshift__"),
    ("__sub__", "__rsub__", "__isub__"),
    ("__truediv__", "__rtruediv__", "__itruediv__"),
    ("__xor__", "__rxor__", "__ixor__"),
];

/// `COMPARE_OP` operands 0..=5.
const COMPARE_NAMES: [&str; 6] = ["__lt__", "__le__", "__eq__", "__ne__", "__gt__", "__ge__"];
/// The reflection of each comparison (`a < b` is `b > a`).
const SWAPPED: [u32; 6] = [4, 5, 2, 3, 0, 1];
const COMPARE_SYMBOLS: [&str; 6] = ["<", "<=", "==", "!=", ">", ">="];
const EQ: u32 = 2;
const NE: u32 = 3;

/// Name ids of the special methods (`u32::MAX` for a name the program never mentions: no
/// class can define it).
#[derive(Clone, Copy, Debug)]
pub struct Names {
    pub(crate) binary: [[u32; 3]; 13],
    pub(crate) compare: [u32; 6],
    pub bool_: u32,
    pub len: u32,
    pub contains: u32,
    pub getitem: u32,
    pub setitem: u32,
    pub delitem: u32,
    pub iter: u32,
    pub next: u32,
    pub call: u32,
    pub enter: u32,
    pub exit: u32,
    pub neg: u32,
    pub pos: u32,
    pub invert: u32,
    pub abs: u32,
    pub hash: u32,
}

impl Names {
    pub fn new(names: &[String]) -> Names {
        let id = |n: &str| {
            names
                .iter()
                .position(|x| x == n)
                .map_or(u32::MAX, |i| i as u32)
        };
        Names {
            binary: BINARY_NAMES.map(|(a, r, i)| [id(a), id(r), id(i)]),
            compare: COMPARE_NAMES.map(id),
            bool_: id("__bool__"),
            len: id("__len__"),
            contains: id("__contains__"),
            getitem: id("__getitem__"),
            setitem: id("__setitem__"),
            delitem: id("__delitem__"),
            iter: id("__iter__"),
            next: id("__next__"),
            call: id("__call__"),
            enter: id("__enter__"),
            exit: id("__exit__"),
            neg: id("__neg__"),
            pos: id("__pos__"),
            invert: id("__invert__"),
            abs: id("__abs__"),
            hash: id("__hash__"),
        }
    }

    /// Whether `name` is one of the special methods this module calls.
    /// Whether `name` is one that makes a subscript of a list or dict, or a built-in method
    /// of one, call Python code: `__getitem__`, `__setitem__` (the container's), `__hash__`
    /// (a dict key's), `__eq__`/`__ne__` (the items `list.index`, `count`, `remove` compare).
    /// A class defining one sets `Rt::item_dunders`.
    pub fn is_item_special(&self, name: u32) -> bool {
        name != u32::MAX
            && [
                self.getitem,
                self.setitem,
                self.hash,
                self.compare[EQ as usize],
                self.compare[NE as usize],
            ]
            .contains(&name)
    }

    pub fn is_special(&self, name: u32) -> bool {
        name != u32::MAX
            && (self.binary.iter().any(|t| t.contains(&name))
                || self.compare.contains(&name)
                || [
                    self.bool_,
                    self.len,
                    self.contains,
                    self.getitem,
                    self.setitem,
                    self.delitem,
                    self.iter,
                    self.next,
                    self.call,
                    self.enter,
                    self.exit,
                    self.neg,
                    self.pos,
                    self.invert,
                    self.abs,
                    self.hash,
                ]
                .contains(&name))
    }
}

/// What becomes of a special method's return value.
#[derive(Clone, Copy, Debug)]
pub enum Then {
    /// Pushed as it is.
    Value,
    /// Dropped (a property setter's or `__setitem__`'s `None`).
    Discard,
    /// `a op b` (`op` a `BINARY_OP` operand). `stage` says which method ran: 0 the in-place
    /// one, 1 the forward one, 2 the reflected one, 3 the reflected one of a subclass of
    /// `a`'s class (before the forward one), 4 the forward one after it; `NotImplemented`
    /// tries the next.
    Binary {
        op: u32,
        a: Value,
        b: Value,
        stage: u8,
    },
    /// `a op b` (`op` a `COMPARE_OP` operand), by the forward method or (`reflected`) the
    /// swapped one of `b`; `negate` when `!=` ran `__eq__`. `sub_first`: `b`'s class is a
    /// proper subclass of `a`'s, so its swapped method was tried first (and is not tried
    /// again after the forward one).
    Compare {
        op: u32,
        a: Value,
        b: Value,
        reflected: bool,
        negate: bool,
        sub_first: bool,
    },
    /// `__bool__` (must return a bool) or `__len__` (`len`): the truth value, as a bool.
    Truth { len: bool },
    /// `__len__` for `len()`: an int ≥ 0.
    Len,
    /// `__contains__` for `in` (`negate` for `not in`): its truth value.
    Contains { negate: bool },
    /// `__iter__`: must return an iterator.
    Iter,
    /// `__next__` for `FOR_ITER`: `StopIteration` jumps `delta` instructions on.
    ForIter { delta: u32 },
    /// `__next__` for `next(it, default)`: `StopIteration` gives `default`.
    NextDefault(Value),
    /// `__next__` for `SEND` (`yield from` over an instance): `StopIteration(value)` pops
    /// the receiver, pushes the value and jumps `delta` instructions on.
    YieldFromNext { delta: u32 },
    /// A `contextmanager` object's `__exit__` for exception `exc`: its result is pushed, and
    /// `exc`'s traceback cut back to its first `len` entries (the frames the exception went
    /// through inside the generator are not the with statement's).
    RestoreTb { exc: Value, len: u32 },
    /// The result is pushed, then this value (`f(*g, **kw)`: the list made of `g` goes back
    /// under the keyword arguments).
    PushThen(Value),
    /// `__hash__`: must return an int.
    Hash,
    /// `__hash__` of key `k` for dict operation `op` on `d` (`v`: the stored value).
    KeyHash {
        op: KeyOp,
        d: Value,
        k: Value,
        v: Value,
    },
    /// The prelude's `find_equal_key` returned the stored key equal to `k` (or `k`), whose
    /// hash is `h`: the dict operation itself.
    KeyFound {
        op: KeyOp,
        d: Value,
        k: Value,
        v: Value,
        h: i64,
    },
    /// `__bool__`/`__len__` for `JUMP_IF_TRUE_OR_POP` (`jump_if` true) or
    /// `JUMP_IF_FALSE_OR_POP`: jump `delta` on, keeping the operand, or pop it.
    OrPop { jump_if: bool, delta: u32 },
    /// `__new__` for `cls(…)` (`vm/attr_hooks.rs`): `__init__` runs next on what it made,
    /// with the call's arguments (`args` a tuple; `kwargs` a tuple of names and values).
    New {
        cls: ObjId,
        args: ObjId,
        kwargs: ObjId,
    },
    /// stdlib: a Python-written module's body ran for `import`: the module (or, for
    /// `import concurrent.futures`, its package) is what the import pushes.
    Import(crate::vm::natives::ModuleId),
    /// stdlib: `UNPACK_SEQUENCE` of `n` over an instance: the prelude's `unpack_iterable`
    /// made a list of it; its items are pushed last first, if there are `n`.
    Unpack(u32),
    // ---- comp2: `sorted(key=)` natively (`vm::sortkey`) ----
    /// The key function `func` returned the key of the next item of `items` (a list made for
    /// the sort): stored in `keys`, then the next item's key, or the sort (`Vm::sort_key_next`).
    SortKey {
        func: ObjId,
        items: ObjId,
        keys: ObjId,
        reverse: bool,
    },
}

impl Then {
    pub fn for_each_value(&self, f: &mut dyn FnMut(Value)) {
        match *self {
            Then::Binary { a, b, .. } | Then::Compare { a, b, .. } => {
                f(a);
                f(b);
            }
            Then::NextDefault(v) => f(v),
            Then::New { cls, args, kwargs } => {
                f(Value::Obj(cls));
                f(Value::Obj(args));
                f(Value::Obj(kwargs));
            }
            Then::RestoreTb { exc, .. } | Then::PushThen(exc) => f(exc),
            Then::SortKey {
                func, items, keys, ..
            } => {
                f(Value::Obj(func));
                f(Value::Obj(items));
                f(Value::Obj(keys));
            }
            Then::KeyHash { d, k, v, .. } | Then::KeyFound { d, k, v, .. } => {
                f(d);
                f(k);
                f(v);
            }
            _ => {}
        }
    }
}

/// Whether `v` is an instance of a `class` statement's class (what the hot loop checks, on
/// its error paths only, before handing an instruction to the slow path).
#[inline]
pub fn is_instance(rt: &Rt, v: Value) -> bool {
    matches!(v, Value::Obj(id) if matches!(rt.heap.get(id), Obj::Instance(_)))
}

/// What `hot` raises for a conditional jump on an instance whose class defines `__bool__`
/// or `__len__`; `run_slice` turns it into a slow-path jump (`Vm::dunder_retry`) before
/// anything can see it.
#[cold]
pub fn ask_instance() -> Throw {
    Throw::type_error("gilvm internal error: an instance's truth value was not asked")
}

/// `a op b` where `b`'s class is a proper subclass of `a`'s that overrides the reflected
/// method `refl` (defines it, or defines another one than `a`'s class has): that method, which
/// Python calls before `a`'s forward one, so that a subclass can take over an operator of its
/// base (CPython's `SLOT1BINFULL`, `method_is_overloaded`).
pub(crate) fn subclass_reflected(rt: &Rt, a: Value, b: Value, refl: u32) -> Option<Value> {
    let ca = base_of_subclass(rt, a, b)?;
    let f = method(rt, b, refl)?;
    (class_lookup(rt, ca, refl) != Some(f)).then_some(f)
}

/// `a`'s class when `b`'s is a proper subclass of it (both instances of Python classes).
pub(crate) fn base_of_subclass(rt: &Rt, a: Value, b: Value) -> Option<ObjId> {
    let (ca, cb) = (class_of(rt, a)?, class_of(rt, b)?);
    (ca != cb && crate::vm::classes::is_subclass(rt, cb, Value::Obj(ca))).then_some(ca)
}

/// A special method `name` of `v`'s class (a Python function), if `v` is an instance.
pub fn method(rt: &Rt, v: Value, name: u32) -> Option<Value> {
    // No class defines one before `Rt::user_dunders` is set: one load for every other value.
    if !rt.user_dunders || name == u32::MAX {
        return None;
    }
    let Value::Obj(id) = v else { return None };
    let Obj::Instance(inst) = rt.heap.get(id) else {
        return None;
    };
    class_lookup(rt, inst.class, name).filter(|f| f != &Value::None)
}

/// classes2: `__enter__` or `__exit__` (`name`) of `v`'s class, if `v` is an instance, looked
/// for whatever `Rt::user_dunders` says: a class defining only these two does not set it.
pub fn cm_method(rt: &Rt, v: Value, name: u32) -> Option<Value> {
    if name == u32::MAX {
        return None;
    }
    let Value::Obj(id) = v else { return None };
    let Obj::Instance(inst) = rt.heap.get(id) else {
        return None;
    };
    class_lookup(rt, inst.class, name).filter(|f| f != &Value::None)
}

/// Whether an instance's class compares by value (`__eq__` without `__hash__`: unhashable,
/// as in Python).
pub fn unhashable(rt: &Rt, v: Value) -> bool {
    let n = &rt.special;
    let Some(cls) = class_of(rt, v) else {
        return false;
    };
    let eq = n.compare[EQ as usize];
    // The class that defines `__eq__` decides, as Python sets `__hash__ = None` there.
    let Obj::Class(c) = rt.heap.get(cls) else {
        return false;
    };
    let mut chain = vec![cls];
    chain.extend_from_slice(&c.mro);
    for k in chain {
        if let Obj::Class(kc) = rt.heap.get(k) {
            if n.hash != u32::MAX {
                if let Some(h) = kc.dict.get(&n.hash) {
                    return *h == Value::None;
                }
            }
            // A dataclass with `eq` (and not frozen) sets `__hash__` to None.
            if kc.dict.contains_key(&eq) || kc.dataclass.as_ref().is_some_and(|d| d.eq && !d.frozen)
            {
                return true;
            }
        }
    }
    false
}

/// Whether an instance's class defines `__hash__` itself (then it cannot be a dict key in
/// gilvm: dicts hash in Rust and cannot call it).
pub fn user_hash(rt: &Rt, v: Value) -> bool {
    method(rt, v, rt.special.hash).is_some()
}

/// `==` inside a built-in (a list comparison, `list.index`, `in` on a list, a dict key): an
/// instance whose class defines `__eq__` or `__ne__` would need a Python call there, which
/// gilvm cannot make; `COMPARE_OP` itself catches this and calls the method.
pub fn check_eq_here(rt: &Rt, a: Value, b: Value) -> PyResult<()> {
    let n = &rt.special;
    let (eq, ne) = (n.compare[EQ as usize], n.compare[NE as usize]);
    for v in [a, b] {
        if method(rt, v, eq).is_some() || method(rt, v, ne).is_some() {
            // prop: appended, not `format!`ted: `hot`'s `==` on such an instance makes this
            // error before the slow path calls `__eq__` (`Vm::dunder_retry`).
            let t = ops::type_name(rt, v);
            let mut msg = String::with_capacity(140 + t.len());
            for part in [
                "comparing '",
                t,
                "' objects with their __eq__ inside a built-in operation is not supported by \
                 gilvm (compare them with == in your code)",
            ] {
                msg.push_str(part);
            }
            return Err(Throw::new(ExcKind::NotImplementedError, msg));
        }
    }
    Ok(())
}

/// A dict key or `hash()` argument that is an instance: unhashable when its class defines
/// `__eq__` without `__hash__` (as in Python); refused when it defines `__hash__`, which
/// gilvm's dicts cannot call.
pub fn check_hashable(rt: &Rt, v: Value) -> PyResult<()> {
    if unhashable(rt, v) {
        return Err(Throw::type_error(format!(
            "unhashable type: '{}'",
            ops::type_name(rt, v)
        )));
    }
    if user_hash(rt, v) {
        return Err(Throw::new(
            ExcKind::NotImplementedError,
            format!(
                "'{}' objects (a class with its own __hash__) as keys are supported by gilvm \
                 in d[k], d[k] = v, del d[k], k in d and dict displays only",
                ops::type_name(rt, v)
            ),
        ));
    }
    Ok(())
}

fn not_implemented(v: Value) -> bool {
    v == Value::Native(NativeId::NotImplemented)
}

fn unsupported_operand(rt: &Rt, op: u32, a: Value, b: Value) -> Throw {
    Throw::type_error(format!(
        "unsupported operand type(s) for {}: '{}' and '{}'",
        crate::bytecode::BINARY_OPS[op as usize],
        ops::type_name(rt, a),
        ops::type_name(rt, b)
    ))
}

impl Vm {
    /// Calls `func(*args)` for an operation; `then` says what becomes of its result. The
    /// caller has saved its frame's pc (the call returns there).
    pub fn call_dunder(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
        func: Value,
        args: &[Value],
        then: Then,
    ) -> PyResult<CallDone> {
        // The marker is made first: once the frame is pushed, nothing may fail.
        let marker = match (then, func) {
            (Then::Value, _) => None,
            (_, Value::Obj(f)) if matches!(self.rt.heap.get(f), Obj::Function(_)) => {
                Some(self.rt.alloc(Obj::DunderCall { func: f, then })?)
            }
            _ => None,
        };
        let callee_at = stack.len();
        stack.push(func);
        stack.extend_from_slice(args);
        let depth = frames.len();
        match self.do_call(stack, frames, callee_at, &[])? {
            CallDone::Frame => {
                if let (Some(m), true) = (marker, frames.len() > depth) {
                    if let Some(fr) = frames.last_mut() {
                        // Closures still find their cells through the marker
                        // (`frame_function`).
                        fr.func = m;
                    }
                }
                Ok(CallDone::Frame)
            }
            CallDone::Value => {
                let v = stack.pop().unwrap_or(Value::None);
                self.finish_dunder(then, v, stack, frames)
            }
            CallDone::Blocked => Ok(CallDone::Blocked),
        }
    }

    /// A special method called with `then` returned `v` (its frame is gone): pushes the
    /// operation's result, or calls the next method.
    pub fn finish_dunder(
        &mut self,
        then: Then,
        v: Value,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
    ) -> PyResult<CallDone> {
        // The special names are read where an arm needs them: copying the whole table here
        // was a `memcpy` on every return of a special method or a sort key (str3).
        let push = |stack: &mut Vec<Value>, v: Value| {
            stack.push(v);
            Ok(CallDone::Value)
        };
        match then {
            Then::Value
            | Then::ForIter { .. }
            | Then::NextDefault(_)
            | Then::YieldFromNext { .. } => push(stack, v),
            Then::PushThen(x) => {
                stack.push(v);
                push(stack, x)
            }
            Then::RestoreTb { exc, len } => {
                if let Value::Obj(e) = exc {
                    if let Obj::Exception(x) = self.rt.heap.get_mut(e) {
                        x.traceback.truncate(len as usize);
                    }
                }
                push(stack, v)
            }
            Then::Discard => Ok(CallDone::Value),
            Then::Import(m) => push(stack, Value::Module(m)),
            Then::SortKey { .. } => self.sort_key_next(then, v, stack, frames, None),
            Then::Unpack(n) => {
                let items = match v {
                    Value::Obj(id) => match self.rt.heap.get(id) {
                        Obj::List(items) => items.clone(),
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                };
                let n = n as usize;
                if items.len() < n {
                    return Err(Throw::value_error(format!(
                        "not enough values to unpack (expected {n}, got {})",
                        items.len()
                    )));
                }
                if items.len() > n {
                    return Err(Throw::value_error(format!(
                        "too many values to unpack (expected {n})"
                    )));
                }
                stack.extend(items.into_iter().rev());
                Ok(CallDone::Value)
            }
            Then::Binary { op, a, b, stage } => {
                if !not_implemented(v) {
                    return push(stack, v);
                }
                let base = op % 13;
                let [fwd, refl, _] = self.rt.special.binary[base as usize];
                if stage == 0 {
                    if let Some(f) = subclass_reflected(&self.rt, a, b, refl) {
                        return self.call_binary(stack, frames, f, op, a, b, 3);
                    }
                }
                if stage == 3 {
                    // The subclass's reflected method declined: the left operand's own, and
                    // nothing after it (CPython's `SLOT1BINFULL`).
                    if let Some(f) = method(&self.rt, a, fwd) {
                        return self.call_binary(stack, frames, f, op, a, b, 4);
                    }
                }
                if stage == 0 {
                    if let Some(f) = method(&self.rt, a, fwd) {
                        return self.call_binary(stack, frames, f, op, a, b, 1);
                    }
                }
                if stage < 2 && class_of(&self.rt, a) != class_of(&self.rt, b) {
                    // (Not after a subclass's reflected method: it ran first, stage 3.)
                    if let Some(f) = method(&self.rt, b, refl) {
                        return self.call_binary(stack, frames, f, op, a, b, 2);
                    }
                }
                Err(unsupported_operand(&self.rt, op, a, b))
            }
            Then::Compare {
                op,
                a,
                b,
                reflected,
                negate,
                sub_first,
            } => {
                if !not_implemented(v) {
                    if negate {
                        return push(stack, Value::Bool(!ops::truthy(&self.rt, v)));
                    }
                    return push(stack, v);
                }
                if reflected && sub_first {
                    // The subclass's swapped method declined: `a`'s own, then the default.
                    if let Some(m) = self.compare_method(a, op) {
                        return self.call_compare(stack, frames, m, op, a, b, false, sub_first);
                    }
                }
                if !reflected && !sub_first {
                    let swapped = SWAPPED[op as usize];
                    if let Some(m) = self.compare_method(b, swapped) {
                        return self.call_compare(stack, frames, m, op, a, b, true, sub_first);
                    }
                }
                push(stack, self.compare_default(op, a, b)?)
            }
            Then::Truth { len } => {
                let t = if len {
                    self.check_len(v)? != 0
                } else {
                    match v {
                        Value::Bool(t) => t,
                        _ => {
                            return Err(Throw::type_error(format!(
                                "__bool__ should return bool, returned {}",
                                ops::type_name(&self.rt, v)
                            )))
                        }
                    }
                };
                push(stack, Value::Bool(t))
            }
            Then::New { .. } => self.finish_new(then, v, stack, frames),
            Then::OrPop { jump_if, delta } => {
                let t = match v {
                    Value::Bool(t) => t,
                    _ => self.check_len(v)? != 0,
                };
                if t == jump_if {
                    if let Some(f) = frames.last_mut() {
                        f.pc += delta;
                    }
                } else {
                    stack.pop();
                }
                Ok(CallDone::Value)
            }
            Then::Len => {
                let n = self.check_len(v)?;
                push(stack, Value::Int(n))
            }
            Then::Contains { negate } => {
                let t = ops::truthy(&self.rt, v);
                push(stack, Value::Bool(t != negate))
            }
            Then::Iter => {
                let ok = ops::is_iterator(&self.rt, v)
                    || method(&self.rt, v, self.rt.special.next).is_some();
                if !ok {
                    return Err(Throw::type_error(format!(
                        "iter() returned non-iterator of type '{}'",
                        ops::type_name(&self.rt, v)
                    )));
                }
                push(stack, v)
            }
            Then::KeyHash { op, d, k, v: value } => {
                let h = match v {
                    Value::Int(h) => h,
                    Value::Bool(b) => b as i64,
                    _ => {
                        return Err(Throw::type_error(
                            "__hash__ method should return an integer",
                        ))
                    }
                };
                self.key_lookup(stack, frames, op, d, k, value, h)
            }
            Then::KeyFound {
                op,
                d,
                k,
                v: value,
                h,
            } => self.key_op(stack, op, d, k, v, value, h),
            Then::Hash => match v {
                Value::Int(_) => push(stack, v),
                Value::Bool(b) => push(stack, Value::Int(b as i64)),
                _ => Err(Throw::type_error(
                    "__hash__ method should return an integer",
                )),
            },
        }
    }

    /// `__len__`'s result as a length.
    fn check_len(&self, v: Value) -> PyResult<i64> {
        match v {
            Value::Int(n) if n >= 0 => Ok(n),
            Value::Bool(b) => Ok(b as i64),
            Value::Int(_) => Err(Throw::value_error("__len__() should return >= 0")),
            _ => Err(Throw::type_error(format!(
                "'{}' object cannot be interpreted as an integer",
                ops::type_name(&self.rt, v)
            ))),
        }
    }

    /// The method for comparison `op` on `v`: `__ne__`, or `__eq__` negated (`object.__ne__`).
    pub(crate) fn compare_method(&self, v: Value, op: u32) -> Option<(Value, bool)> {
        let names = &self.rt.special;
        if let Some(f) = method(&self.rt, v, names.compare[op as usize]) {
            return Some((f, false));
        }
        if op == NE {
            return method(&self.rt, v, names.compare[EQ as usize]).map(|f| (f, true));
        }
        None
    }

    /// A comparison neither side implements: identity for `==`/`!=`, else `TypeError`.
    fn compare_default(&self, op: u32, a: Value, b: Value) -> PyResult<Value> {
        match op {
            EQ => Ok(Value::Bool(ops::is(a, b))),
            NE => Ok(Value::Bool(!ops::is(a, b))),
            _ => Err(Throw::type_error(format!(
                "'{}' not supported between instances of '{}' and '{}'",
                COMPARE_SYMBOLS[op as usize],
                ops::type_name(&self.rt, a),
                ops::type_name(&self.rt, b)
            ))),
        }
    }

    /// Calls `f` for `a op b` (`BINARY_OP`) as `stage` of `Then::Binary`: with `(b, a)` for a
    /// reflected method (stages 2 and 3), else `(a, b)`.
    #[allow(clippy::too_many_arguments)]
    fn call_binary(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
        f: Value,
        op: u32,
        a: Value,
        b: Value,
        stage: u8,
    ) -> PyResult<CallDone> {
        let args = if matches!(stage, 2 | 3) {
            [b, a]
        } else {
            [a, b]
        };
        self.call_dunder(stack, frames, f, &args, Then::Binary { op, a, b, stage })
    }

    /// Calls comparison method `f` (`negate`: `!=` through `__eq__`) for `a op b`: `b`'s
    /// swapped one with `(b, a)` when `reflected`, else `a`'s with `(a, b)`.
    #[allow(clippy::too_many_arguments)]
    fn call_compare(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
        (f, negate): (Value, bool),
        op: u32,
        a: Value,
        b: Value,
        reflected: bool,
        sub_first: bool,
    ) -> PyResult<CallDone> {
        let args = if reflected { [b, a] } else { [a, b] };
        let then = Then::Compare {
            op,
            a,
            b,
            reflected,
            negate,
            sub_first,
        };
        self.call_dunder(stack, frames, f, &args, then)
    }

    /// `a op b` (`BINARY_OP`) where an operand is an instance.
    pub fn binary_dunder(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
        op: u32,
        a: Value,
        b: Value,
    ) -> PyResult<CallDone> {
        let [fwd, refl, inplace] = self.rt.special.binary[(op % 13) as usize];
        if op >= 13 {
            if let Some(f) = method(&self.rt, a, inplace) {
                return self.call_binary(stack, frames, f, op, a, b, 0);
            }
        }
        if let Some(f) = subclass_reflected(&self.rt, a, b, refl) {
            return self.call_binary(stack, frames, f, op, a, b, 3);
        }
        if let Some(f) = method(&self.rt, a, fwd) {
            return self.call_binary(stack, frames, f, op, a, b, 1);
        }
        if class_of(&self.rt, a) != class_of(&self.rt, b) {
            if let Some(f) = method(&self.rt, b, refl) {
                return self.call_binary(stack, frames, f, op, a, b, 2);
            }
        }
        if !is_instance(&self.rt, a) && !is_instance(&self.rt, b) {
            let r = ops::binary_op(&mut self.rt, op, a, b)?;
            stack.push(r);
            return Ok(CallDone::Value);
        }
        Err(unsupported_operand(&self.rt, op, a, b))
    }

    /// `a op b` (`COMPARE_OP`) where an operand is an instance.
    pub fn compare_dunder(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
        op: u32,
        a: Value,
        b: Value,
    ) -> PyResult<CallDone> {
        let is_dc = |v| crate::vm::dataclass::info_of(&self.rt, v).is_some();
        if is_dc(a) || is_dc(b) {
            // A dataclass's generated comparisons: its fields, natively (`ops`).
            let r = ops::compare(&mut self.rt, op, a, b)?;
            stack.push(r);
            return Ok(CallDone::Value);
        }
        // `b`'s class a proper subclass of `a`'s: its swapped method first, as CPython's
        // `do_richcompare` (inherited or not).
        if base_of_subclass(&self.rt, a, b).is_some() {
            if let Some(m) = self.compare_method(b, SWAPPED[op as usize]) {
                return self.call_compare(stack, frames, m, op, a, b, true, true);
            }
        }
        if let Some(m) = self.compare_method(a, op) {
            return self.call_compare(stack, frames, m, op, a, b, false, false);
        }
        if let Some(m) = self.compare_method(b, SWAPPED[op as usize]) {
            return self.call_compare(stack, frames, m, op, a, b, true, false);
        }
        if !is_instance(&self.rt, a) && !is_instance(&self.rt, b) {
            let r = ops::compare(&mut self.rt, op, a, b)?;
            stack.push(r);
            return Ok(CallDone::Value);
        }
        let r = self.compare_default(op, a, b)?;
        stack.push(r);
        Ok(CallDone::Value)
    }

    /// The truth of an instance whose class defines `__bool__` or `__len__`: the method and
    /// whether it is `__len__`. `None` when Python's default (true) applies.
    pub fn truth_method(&self, v: Value) -> Option<(Value, bool)> {
        let names = &self.rt.special;
        if let Some(f) = method(&self.rt, v, names.bool_) {
            return Some((f, false));
        }
        method(&self.rt, v, names.len).map(|f| (f, true))
    }

    /// `obj(…)` for an instance: its class's `__call__`.
    pub fn call_method_of(&self, v: Value) -> Option<Value> {
        method(&self.rt, v, self.rt.special.call)
    }

    /// A `StopIteration` left the frame of a `__next__` called by `FOR_ITER` or by
    /// `next(it, default)` (`marker`, already popped): ends the loop, or gives the default.
    /// True when it was handled (the caller's frame goes on).
    pub fn stop_iteration(
        &mut self,
        marker: Value,
        exc: ObjId,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
    ) -> bool {
        let Value::Obj(m) = marker else { return false };
        let then = match self.rt.heap.get(m) {
            Obj::DunderCall { then, .. } => *then,
            _ => return false,
        };
        let is_stop = matches!(self.rt.heap.get(exc),
            Obj::Exception(e) if e.kind.is_subclass_of(ExcKind::StopIteration));
        if !is_stop {
            return false;
        }
        match then {
            Then::ForIter { delta } => {
                stack.pop();
                if let Some(f) = frames.last_mut() {
                    f.pc += delta;
                }
                true
            }
            Then::NextDefault(d) => {
                stack.push(d);
                true
            }
            Then::YieldFromNext { delta } => {
                let value = match self.rt.heap.get(exc) {
                    Obj::Exception(e) => e.args.first().copied().unwrap_or(Value::None),
                    _ => Value::None,
                };
                stack.pop();
                stack.push(value);
                if let Some(f) = frames.last_mut() {
                    f.pc += delta;
                }
                true
            }
            _ => false,
        }
    }
}
