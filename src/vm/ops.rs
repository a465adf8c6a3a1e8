//! Python's operators on VM values: truth, arithmetic, comparison, identity, hashing,
//! subscripts, membership and iteration — everything an instruction does to a value that is
//! not a call.
//!
//! The interpreter calls these from its loop, so each public entry point puts the int fast path
//! first and allocates nothing on it. Semantics and messages are CPython 3.11's, with gilvm's one
//! documented difference: ints are 64-bit and overflow raises `OverflowError` instead of growing.
//! Anything whose size the program controls (`'x' * n`, `[0] * n`, `list(range(n))`) asks the
//! heap for room *before* it is built, so a huge request is a `MemoryError`, never an abort.
//! This module must not call Python code (no key functions, no user `__eq__`): it has no frames.

mod arith;
mod compare;
pub(crate) mod iter;
mod subscript;

pub use arith::{
    binary_op, divmod_values, float_binary, float_pow, int_pow, int_true_div, unary, UnaryKind,
    OVERFLOW_MSG,
};
pub use compare::{
    compare, dict_get, dict_index_of, eq, hash_key, is, num_total_cmp, order_lt, scan_eq,
};
pub use iter::{
    collect_iterable, contains, get_iter, is_iterator, iter_next, reversed_iter, unpack, unpack_ex,
};
pub use subscript::{delitem, getitem, key_error, range_len, setitem, slice_indices};

use crate::vm::exceptions::ExcKind;
use crate::vm::heap::{DictMap, DictPart, HashKey, Obj};
use crate::vm::natives::NativeId;
use crate::vm::sync::SyncObj;
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Rt, Throw};

/// How deep containers may nest inside one operation (repr, ==, hash, <) before it raises
/// `RecursionError`, as CPython's C recursion guard does (CPython allows about 1000). Keeps
/// gilvm's own stack safe: measured to fit a 2 MiB thread stack in a debug build.
pub const MAX_NESTING: usize = 500;

/// Python's truth value: empty containers and strings, 0, 0.0, None and False are false.
#[inline]
pub fn truthy(rt: &Rt, v: Value) -> bool {
    match v {
        Value::Bool(b) => b,
        Value::Int(i) => i != 0,
        Value::None | Value::Undef => false,
        Value::Float(f) => f != 0.0,
        Value::Obj(id) => match rt.heap.get(id) {
            Obj::Str(s) => !s.is_empty(),
            Obj::List(v) | Obj::Tuple(v) => !v.is_empty(),
            Obj::Deque(d) => !d.items.is_empty(),
            Obj::Dict(d) => !d.is_empty(),
            Obj::Set(t) | Obj::FrozenSet(t) => !t.is_empty(),
            Obj::Range { start, stop, step } => range_len(*start, *stop, *step) > 0,
            Obj::DictView { dict, .. } => dict_len(rt, *dict) > 0,
            _ => true,
        },
        Value::Native(_)
        | Value::Method(_)
        | Value::PyMethod(_)
        | Value::BoundExit(_)
        | Value::Module(_)
        | Value::ExcType(_) => true,
    }
}

/// Python's truth value, or `None` for an instance whose class defines `__bool__` or
/// `__len__` (a Python call: the interpreter's slow path makes it). Kept out of line: the hot
/// loop's jumps on bools never call it, and inlined it grew the loop's code.
#[inline(never)]
pub fn truth(rt: &Rt, v: Value) -> Option<bool> {
    if let Value::Obj(id) = v {
        if let Obj::Instance(_) = rt.heap.get(id) {
            let n = &rt.special;
            if rt.user_dunders
                && (crate::vm::dunder::method(rt, v, n.bool_).is_some()
                    || crate::vm::dunder::method(rt, v, n.len).is_some())
            {
                return None;
            }
            return Some(true);
        }
    }
    Some(truthy(rt, v))
}

/// The name of `v`'s type as Python prints it in messages (`'int'`, `'NoneType'`, …).
pub fn type_name(rt: &Rt, v: Value) -> &str {
    match v {
        Value::Undef | Value::None => "NoneType",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::Native(n) if n.is_type() || is_class(n) => "type",
        Value::Native(NativeId::NotImplemented) => "NotImplementedType",
        Value::Native(NativeId::Ellipsis) => "ellipsis",
        Value::Native(NativeId::SysStdout | NativeId::SysStderr) => "_io.TextIOWrapper",
        Value::Native(_) | Value::Method(_) | Value::BoundExit(_) => "builtin_function_or_method",
        Value::PyMethod(_) => "method",
        Value::Module(_) => "module",
        Value::ExcType(_) => "type",
        Value::Obj(id) => obj_type_name(rt, id),
    }
}

/// Built-in classes that are not in [`NativeId::is_type`] (they print as `<class ...>`).
pub fn is_class(n: NativeId) -> bool {
    use NativeId::*;
    matches!(
        n,
        Thread
            | Semaphore
            | BoundedSemaphore
            | Condition
            | Event
            | Barrier
            | Queue
            | LifoQueue
            | PriorityQueue
            | SimpleQueue
    )
}

fn obj_type_name(rt: &Rt, id: ObjId) -> &str {
    match rt.heap.get(id) {
        Obj::Str(_) => "str",
        Obj::List(_) => "list",
        Obj::Deque(_) => "deque",
        Obj::DequeIter { .. } => "_deque_iterator",
        Obj::ItCount { .. } => "count",
        Obj::Tuple(_) => "tuple",
        Obj::Dict(_) => "dict",
        Obj::Set(_) => "set",
        Obj::FrozenSet(_) => "frozenset",
        Obj::SetIter { .. } => "set_iterator",
        Obj::Function(_) => "function",
        Obj::Cell { .. } => "cell",
        Obj::BoundMethod { .. } => "builtin_function_or_method",
        Obj::Range { .. } => "range",
        Obj::Slice { .. } => "slice",
        Obj::DictView { part, .. } => match part {
            DictPart::Keys => "dict_keys",
            DictPart::Values => "dict_values",
            DictPart::Items => "dict_items",
        },
        Obj::RangeIter { .. } => "range_iterator",
        Obj::SeqIter { seq, .. } => match rt.heap.get(*seq) {
            Obj::Tuple(_) => "tuple_iterator",
            _ => "list_iterator",
        },
        Obj::RevSeqIter { .. } => "list_reverseiterator",
        Obj::StrIter { .. } => "str_ascii_iterator",
        Obj::DictIter { part, .. } => match part {
            DictPart::Keys => "dict_keyiterator",
            DictPart::Values => "dict_valueiterator",
            DictPart::Items => "dict_itemiterator",
        },
        Obj::Enumerate { .. } => "enumerate",
        Obj::Zip { .. } => "zip",
        Obj::Exception(e) => match e.class {
            Some(c) => crate::vm::classes::class_name(rt, c),
            None => e.kind.attr_name(),
        },
        Obj::Sync(s) => sync_type_name(s),
        Obj::Class(_) => "type",
        Obj::Instance(i) => match rt.heap.get(i.class) {
            Obj::Class(c) => c.name.as_str(),
            _ => "object",
        },
        Obj::BoundPyMethod { .. } => "method",
        Obj::Super { .. } => "super",
        Obj::ClassBody { .. } | Obj::InitCall { .. } | Obj::DunderCall { .. } => "function",
        Obj::Property { .. } => "property",
        Obj::StaticMethod(_) => "staticmethod",
        Obj::ClassMethod(_) => "classmethod",
        Obj::Partial { .. } => "functools.partial",
        Obj::Wraps(_) => "functools.partial",
        Obj::PlainObject => "object",
        Obj::Alias {
            origin: Value::Native(n),
            ..
        } if n.is_typing() => "_GenericAlias",
        Obj::Alias { .. } => "types.GenericAlias",
        Obj::UnionType(_) => "types.UnionType",
        Obj::BigInt(_) => "int",
        Obj::Random(_) => "Random",
        Obj::Generator(_) => "generator",
        Obj::GenCm(_) => "_GeneratorContextManager",
    }
}

/// Type names of threading objects as CPython 3.11 prints them.
fn sync_type_name(s: &SyncObj) -> &'static str {
    s.type_name()
}

/// `len(v)`: `TypeError: object of type 'int' has no len()` for values without one.
pub fn len_of(rt: &Rt, v: Value) -> PyResult<usize> {
    if let Value::Obj(id) = v {
        match rt.heap.get(id) {
            Obj::Str(s) => return Ok(s.char_len()),
            Obj::List(v) | Obj::Tuple(v) => return Ok(v.len()),
            Obj::Deque(d) => return Ok(d.items.len()),
            Obj::Dict(d) => return Ok(d.len()),
            Obj::Set(t) | Obj::FrozenSet(t) => return Ok(t.len()),
            Obj::DictView { dict, .. } => return Ok(dict_len(rt, *dict)),
            Obj::Range { start, stop, step } => {
                let n = range_len(*start, *stop, *step);
                return usize::try_from(n)
                    .ok()
                    .filter(|&n| n <= i64::MAX as usize)
                    .ok_or_else(|| {
                        Throw::new(
                            ExcKind::OverflowError,
                            "Python int too large to convert to C ssize_t",
                        )
                    });
            }
            _ => {}
        }
    }
    Err(Throw::type_error(format!(
        "object of type '{}' has no len()",
        type_name(rt, v)
    )))
}

/// Length of a string in code points (what Python's `len` counts).
#[inline]
pub fn str_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.chars().count()
    }
}

fn dict_len(rt: &Rt, dict: ObjId) -> usize {
    match rt.heap.get(dict) {
        Obj::Dict(d) => d.len(),
        _ => 0,
    }
}

/// The integer value of an int or bool (what Python accepts as an index).
#[inline]
pub fn as_index(v: Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(i),
        Value::Bool(b) => Some(b as i64),
        _ => None,
    }
}

/// An int argument, or `TypeError: 'str' object cannot be interpreted as an integer`.
pub fn expect_index(rt: &Rt, v: Value) -> PyResult<i64> {
    as_index(v).ok_or_else(|| {
        Throw::type_error(format!(
            "'{}' object cannot be interpreted as an integer",
            type_name(rt, v)
        ))
    })
}

/// gilvm's 64-bit int overflow.
#[cold]
pub fn overflow() -> Throw {
    Throw::new(ExcKind::OverflowError, OVERFLOW_MSG)
}

/// Raises `MemoryError` unless `n` values of `size` bytes each fit in the heap.
#[inline]
pub fn ensure_items(rt: &Rt, n: usize, size: usize) -> PyResult<()> {
    match n.checked_mul(size) {
        Some(bytes) => rt.ensure_room(bytes),
        None => Err(Throw::memory()),
    }
}

/// Grows list `id` so `additional` more items fit, charging the heap for the capacity it adds
/// (Vec's own doubling, made explicit so the charge is exact).
pub fn reserve_list(rt: &mut Rt, id: ObjId, additional: usize) -> PyResult<()> {
    let (len, cap) = match rt.heap.get(id) {
        Obj::List(v) => (v.len(), v.capacity()),
        _ => return Ok(()),
    };
    let needed = len.checked_add(additional).ok_or_else(Throw::memory)?;
    if needed <= cap {
        return Ok(());
    }
    let new_cap = needed.max(cap.saturating_mul(2)).max(4);
    let bytes = (new_cap - cap)
        .checked_mul(std::mem::size_of::<Value>())
        .ok_or_else(Throw::memory)?;
    rt.heap.charge(bytes)?;
    if let Obj::List(v) = rt.heap.get_mut(id) {
        crate::vm::memory::try_reserve_exact(v, new_cap - len)?;
    }
    Ok(())
}

/// `d[key] = value` on a dict map: an existing equal key keeps its original key object
/// (`{1: 'a', 1.0: 'b'}` is `{1: 'b'}`), as Python's dict does.
pub fn dict_insert(map: &mut DictMap, hk: HashKey, key: Value, value: Value) {
    match map.get_mut(&hk) {
        Some(slot) => slot.1 = value,
        None => {
            map.insert(hk, (key, value));
        }
    }
}

/// Appends to a list, charging the heap for any growth.
pub fn list_push(rt: &mut Rt, id: ObjId, v: Value) -> PyResult<()> {
    reserve_list(rt, id, 1)?;
    if let Obj::List(items) = rt.heap.get_mut(id) {
        items.push(v);
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
