//! stdlib2: `collections.deque`, native as CPython's (`Modules/_collectionsmodule.c`): each
//! method is one call of built-in code, so under the GIL `append`, `popleft`, … are one
//! atomic step — `trace` shows one instruction, and `--races` treats the call as one atomic
//! access, like `list.append` (built-in methods are not checked). A `maxlen` deque drops from
//! the other end in the same step.
//!
//! Iterating a deque while it changes raises CPython's `RuntimeError: deque mutated during
//! iteration`: the deque counts its mutations (`state`) and its iterator remembers the count
//! it started from.

use std::collections::VecDeque;

use crate::vm::builtins::Kwargs;
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::natives::AttrSym;
use crate::vm::ops::{as_index, collect_iterable, eq, type_name};
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Rt, Throw};

/// A `collections.deque` (`Obj::Deque`).
#[derive(Clone, Debug, Default)]
pub struct Deque {
    pub items: VecDeque<Value>,
    pub maxlen: Option<usize>,
    /// Bumped by every mutation (for the iterator's check).
    pub state: u64,
}

impl Deque {
    fn push_back(&mut self, v: Value) {
        if self.maxlen == Some(0) {
            return;
        }
        if Some(self.items.len()) == self.maxlen {
            self.items.pop_front();
        }
        self.items.push_back(v);
        self.state = self.state.wrapping_add(1);
    }

    fn push_front(&mut self, v: Value) {
        if self.maxlen == Some(0) {
            return;
        }
        if Some(self.items.len()) == self.maxlen {
            self.items.pop_back();
        }
        self.items.push_front(v);
        self.state = self.state.wrapping_add(1);
    }
}

fn deque_mut(rt: &mut Rt, id: ObjId) -> Option<&mut Deque> {
    match rt.heap.get_mut(id) {
        Obj::Deque(d) => Some(d),
        _ => None,
    }
}

fn deque_ref(rt: &Rt, id: ObjId) -> Option<&Deque> {
    match rt.heap.get(id) {
        Obj::Deque(d) => Some(d),
        _ => None,
    }
}

/// `deque(iterable=(), maxlen=None)`.
pub fn new(rt: &mut Rt, args: &[Value], kw: &Kwargs) -> PyResult<Value> {
    if args.len() > 2 {
        return Err(Throw::type_error(format!(
            "deque() takes at most 2 arguments ({} given)",
            args.len() + kw.len()
        )));
    }
    let mut iterable = args.first().copied();
    let mut maxlen = args.get(1).copied();
    for (k, v) in kw {
        match *k {
            "iterable" if iterable.is_none() => iterable = Some(*v),
            "maxlen" if maxlen.is_none() => maxlen = Some(*v),
            "iterable" | "maxlen" => {
                return Err(Throw::type_error(format!(
                    "deque() got multiple values for argument '{k}'"
                )))
            }
            _ => {
                return Err(Throw::type_error(format!(
                    "deque() got an unexpected keyword argument '{k}'"
                )))
            }
        }
    }
    let maxlen = match maxlen {
        None | Some(Value::None) => None,
        Some(v) => match as_index(v) {
            Some(n) if n < 0 => return Err(Throw::value_error("maxlen must be non-negative")),
            Some(n) => Some(n as usize),
            None => return Err(Throw::type_error("an integer is required")),
        },
    };
    let mut d = Deque {
        items: VecDeque::new(),
        maxlen,
        state: 0,
    };
    if let Some(it) = iterable {
        for x in collect_iterable(rt, it)? {
            d.push_back(x);
        }
    }
    rt.alloc(Obj::Deque(Box::new(d)))
}

/// Whether a deque has method `attr`.
pub fn has_method(attr: AttrSym) -> bool {
    use AttrSym::*;
    matches!(
        attr,
        append
            | appendleft
            | pop
            | popleft
            | extend
            | extendleft
            | rotate
            | clear
            | index
            | count
            | remove
            | insert
            | reverse
            | copy
    )
}

fn args_between(name: &str, args: &[Value], min: usize, max: usize) -> PyResult<()> {
    if args.len() < min || args.len() > max {
        let msg = match (min, max) {
            (0, 0) => format!("deque.{name}() takes no arguments ({} given)", args.len()),
            (1, 1) => format!(
                "deque.{name}() takes exactly one argument ({} given)",
                args.len()
            ),
            (2, 2) => format!("{name}() takes exactly 2 arguments ({} given)", args.len()),
            (1, _) if args.is_empty() => {
                format!("{name}() takes at least 1 argument ({} given)", args.len())
            }
            _ if args.len() < min => format!(
                "{name} expected at least {min} argument{}, got {}",
                if min == 1 { "" } else { "s" },
                args.len()
            ),
            _ => format!(
                "{name} expected at most {max} argument{}, got {}",
                if max == 1 { "" } else { "s" },
                args.len()
            ),
        };
        return Err(Throw::type_error(msg));
    }
    Ok(())
}

fn index_arg(rt: &Rt, v: Value) -> PyResult<i64> {
    as_index(v).ok_or_else(|| {
        Throw::type_error(format!(
            "'{}' object cannot be interpreted as an integer",
            type_name(rt, v)
        ))
    })
}

/// Calls deque method `attr` on the deque `id`.
pub fn call(rt: &mut Rt, attr: AttrSym, id: ObjId, args: &[Value], kw: &Kwargs) -> PyResult<Value> {
    use AttrSym as A;
    if let Some((k, _)) = kw.first() {
        return Err(Throw::type_error(format!(
            "deque.{}() takes no keyword arguments (got '{k}')",
            attr.name()
        )));
    }
    let len = deque_ref(rt, id).map_or(0, |d| d.items.len());
    match attr {
        A::append | A::appendleft => {
            args_between(attr.name(), args, 1, 1)?;
            if let Some(d) = deque_mut(rt, id) {
                if attr == A::append {
                    d.push_back(args[0]);
                } else {
                    d.push_front(args[0]);
                }
            }
            Ok(Value::None)
        }
        A::pop | A::popleft => {
            args_between(attr.name(), args, 0, 0)?;
            let d = deque_mut(rt, id);
            let v = d.and_then(|d| {
                d.state = d.state.wrapping_add(1);
                if attr == A::pop {
                    d.items.pop_back()
                } else {
                    d.items.pop_front()
                }
            });
            v.ok_or_else(|| Throw::new(ExcKind::IndexError, "pop from an empty deque"))
        }
        A::extend | A::extendleft => {
            args_between(attr.name(), args, 1, 1)?;
            // `d.extend(d)` reads the deque before it grows (CPython copies it first).
            let items = collect_iterable(rt, args[0])?;
            if let Some(d) = deque_mut(rt, id) {
                for x in items {
                    if attr == A::extend {
                        d.push_back(x);
                    } else {
                        d.push_front(x);
                    }
                }
            }
            Ok(Value::None)
        }
        A::rotate => {
            args_between("rotate", args, 0, 1)?;
            let n = match args.first() {
                Some(v) => index_arg(rt, *v)?,
                None => 1,
            };
            if let Some(d) = deque_mut(rt, id) {
                let len = d.items.len() as i64;
                if len > 1 {
                    let k = n.rem_euclid(len) as usize;
                    d.items.rotate_right(k);
                }
                d.state = d.state.wrapping_add(1);
            }
            Ok(Value::None)
        }
        A::clear => {
            args_between("clear", args, 0, 0)?;
            if let Some(d) = deque_mut(rt, id) {
                d.items.clear();
                d.state = d.state.wrapping_add(1);
            }
            Ok(Value::None)
        }
        A::reverse => {
            args_between("reverse", args, 0, 0)?;
            if let Some(d) = deque_mut(rt, id) {
                d.items.make_contiguous().reverse();
                d.state = d.state.wrapping_add(1);
            }
            Ok(Value::None)
        }
        A::copy => {
            args_between("copy", args, 0, 0)?;
            let d = deque_ref(rt, id).cloned().unwrap_or_default();
            rt.alloc(Obj::Deque(Box::new(Deque { state: 0, ..d })))
        }
        A::count => {
            args_between("count", args, 1, 1)?;
            let mut n = 0;
            for x in snapshot(rt, id) {
                if eq(rt, x, args[0])? {
                    n += 1;
                }
            }
            Ok(Value::Int(n))
        }
        A::index => {
            args_between("index", args, 1, 3)?;
            let clamp = |i: i64| -> usize {
                let i = if i < 0 { i + len as i64 } else { i };
                i.clamp(0, len as i64) as usize
            };
            let start = match args.get(1) {
                Some(v) => clamp(index_arg(rt, *v)?),
                None => 0,
            };
            let stop = match args.get(2) {
                Some(v) => clamp(index_arg(rt, *v)?),
                None => len,
            };
            let items = snapshot(rt, id);
            for (i, x) in items.iter().enumerate().take(stop).skip(start) {
                if eq(rt, *x, args[0])? {
                    return Ok(Value::Int(i as i64));
                }
            }
            Err(Throw::value_error(format!(
                "{} is not in deque",
                crate::vm::format::repr(rt, args[0])?
            )))
        }
        A::remove => {
            args_between("remove", args, 1, 1)?;
            let items = snapshot(rt, id);
            for (i, x) in items.iter().enumerate() {
                if eq(rt, *x, args[0])? {
                    if let Some(d) = deque_mut(rt, id) {
                        d.items.remove(i);
                        d.state = d.state.wrapping_add(1);
                    }
                    return Ok(Value::None);
                }
            }
            Err(Throw::value_error(format!(
                "{} is not in deque",
                crate::vm::format::repr(rt, args[0])?
            )))
        }
        A::insert => {
            args_between("insert", args, 2, 2)?;
            let i = index_arg(rt, args[0])?;
            let d = deque_mut(rt, id);
            if let Some(d) = d {
                if Some(d.items.len()) == d.maxlen {
                    return Err(Throw::new(
                        ExcKind::IndexError,
                        "deque already at its maximum size",
                    ));
                }
                let n = d.items.len() as i64;
                let at = if i < 0 { (i + n).max(0) } else { i.min(n) } as usize;
                d.items.insert(at, args[1]);
                d.state = d.state.wrapping_add(1);
            }
            Ok(Value::None)
        }
        _ => Err(Throw::new(
            ExcKind::AttributeError,
            format!(
                "'collections.deque' object has no attribute '{}'",
                attr.name()
            ),
        )),
    }
}

/// The deque's items, in order.
pub fn snapshot(rt: &Rt, id: ObjId) -> Vec<Value> {
    deque_ref(rt, id).map_or_else(Vec::new, |d| d.items.iter().copied().collect())
}

/// `d.maxlen`.
pub fn maxlen(rt: &Rt, id: ObjId) -> Option<Value> {
    let d = deque_ref(rt, id)?;
    Some(d.maxlen.map_or(Value::None, |n| Value::Int(n as i64)))
}

/// The position `i` (negative from the end) of a deque of `len` items, or CPython's
/// `IndexError: deque index out of range`.
fn position(rt: &Rt, len: usize, i: Value) -> PyResult<usize> {
    let Some(i) = as_index(i) else {
        return Err(Throw::type_error(format!(
            "sequence index must be integer, not '{}'",
            type_name(rt, i)
        )));
    };
    let j = if i < 0 { i + len as i64 } else { i };
    if j < 0 || j >= len as i64 {
        return Err(Throw::new(ExcKind::IndexError, "deque index out of range"));
    }
    Ok(j as usize)
}

/// `d[i]`.
pub fn getitem(rt: &Rt, id: ObjId, i: Value) -> PyResult<Value> {
    let len = deque_ref(rt, id).map_or(0, |d| d.items.len());
    let j = position(rt, len, i)?;
    Ok(deque_ref(rt, id)
        .and_then(|d| d.items.get(j).copied())
        .unwrap_or(Value::None))
}

/// `d[i] = v`.
pub fn setitem(rt: &mut Rt, id: ObjId, i: Value, v: Value) -> PyResult<()> {
    let len = deque_ref(rt, id).map_or(0, |d| d.items.len());
    let j = position(rt, len, i)?;
    if let Some(slot) = deque_mut(rt, id).and_then(|d| d.items.get_mut(j)) {
        *slot = v;
    }
    Ok(())
}

/// `del d[i]`.
pub fn delitem(rt: &mut Rt, id: ObjId, i: Value) -> PyResult<()> {
    let len = deque_ref(rt, id).map_or(0, |d| d.items.len());
    let j = position(rt, len, i)?;
    if let Some(d) = deque_mut(rt, id) {
        d.items.remove(j);
        d.state = d.state.wrapping_add(1);
    }
    Ok(())
}

/// The next item of a deque iterator over `deque` at `index`, begun at mutation count
/// `state`.
pub fn iter_next(
    rt: &mut Rt,
    it: ObjId,
    deque: ObjId,
    index: usize,
    state: u64,
) -> PyResult<Option<Value>> {
    let Some(d) = deque_ref(rt, deque) else {
        return Ok(None);
    };
    if d.state != state {
        return Err(Throw::new(
            ExcKind::RuntimeError,
            "deque mutated during iteration",
        ));
    }
    let item = d.items.get(index).copied();
    if let Obj::DequeIter { index, .. } = rt.heap.get_mut(it) {
        *index = if item.is_some() {
            *index + 1
        } else {
            usize::MAX
        };
    }
    Ok(item)
}

/// The text that opens and closes a deque's repr: `deque([` and `])` or `], maxlen=3)`.
pub fn repr_ends(rt: &Rt, id: ObjId) -> (&'static str, String) {
    match deque_ref(rt, id).and_then(|d| d.maxlen) {
        Some(n) => ("deque([", format!("], maxlen={n})")),
        None => ("deque([", "])".to_string()),
    }
}
