//! The VM's value: a 16-byte `Copy` enum, so pushing, popping and storing never touch a
//! reference count.
//!
//! Immediate values (None, bools, ints, floats) and the VM's built-in callables, modules and
//! exception classes live in the enum itself; everything else (strings, lists, dicts, functions,
//! locks, …) is an [`ObjId`] into the garbage-collected [`crate::vm::heap::Heap`].
//! A `Copy` value is what makes the interpreter loop cheap: the research behind DESIGN.md §9
//! measured ≈1.5 ns per instruction for a `Copy` value against ≈3.6 ns for an `Rc` one.

use crate::vm::exceptions::ExcKind;
use crate::vm::natives::{MethodId, ModuleId, NativeId};

/// Index of an object in the heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// An unbound local or an undefined global. Never visible to programs.
    Undef,
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A heap object.
    Obj(ObjId),
    /// A built-in function or type implemented in Rust (`print`, `len`, `int`,
    /// `threading.Lock`, `time.sleep`, …).
    Native(NativeId),
    /// Marker pushed by `LOAD_METHOD` below the receiver when the attribute is a built-in
    /// method (`lst.append`); the following `CALL` consumes both. Never visible to programs.
    Method(MethodId),
    /// Marker pushed by `LOAD_METHOD` below the receiver when the attribute is a Python
    /// function found on the receiver's class (`obj.method(…)`): the following `CALL` calls
    /// the function with the receiver as its first argument. Never visible to programs.
    PyMethod(ObjId),
    /// The bound `__exit__` of a context manager (a lock, …), pushed by `BEFORE_WITH`.
    /// Like `Method`, a following `CALL` treats it as the callee and every item above it as
    /// an argument, which is how CPython 3.11's `CALL 2` calls `__exit__(None, None, None)`.
    /// Never visible to programs.
    BoundExit(ObjId),
    /// An imported module (`threading`, `queue`, `time`, `random`, `sys`).
    Module(ModuleId),
    /// A built-in exception class (`ValueError`, `queue.Empty`, …).
    ExcType(ExcKind),
}

impl Value {
    #[inline]
    pub fn as_obj(self) -> Option<ObjId> {
        match self {
            Value::Obj(id) => Some(id),
            _ => None,
        }
    }

    #[inline]
    pub fn is_none(self) -> bool {
        matches!(self, Value::None)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_small_and_copy() {
        fn is_copy<T: Copy>() {}
        is_copy::<Value>();
        assert_eq!(std::mem::size_of::<Value>(), 16);
    }
}
