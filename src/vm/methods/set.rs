//! Methods of `set` and `frozenset`, with CPython 3.11's argument rules and messages. The
//! table work (and the order it produces) is in `vm/set.rs`.

use super::{exactly_one, no_args, no_kwargs};

/// `exactly_one` with the method's name formatted only for the error.
fn one_arg(qual: &dyn Fn() -> String, args: &[Value]) -> PyResult<Value> {
    match args {
        [v] => Ok(*v),
        _ => exactly_one(&qual(), args),
    }
}
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::natives::AttrSym;
use crate::vm::ops::{collect_iterable, key_error};
use crate::vm::set::{
    self, entry, intersection, is_set, table_from, table_of, update_from, with_table, SetTable,
};
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Rt, Throw};

/// Whether a set (or, if `frozen`, a frozenset) has method `attr`.
pub fn has_method(attr: AttrSym, frozen: bool) -> bool {
    use AttrSym::*;
    let both = matches!(
        attr,
        copy | union
            | intersection
            | difference
            | symmetric_difference
            | issubset
            | issuperset
            | isdisjoint
    );
    both || (!frozen
        && matches!(
            attr,
            add | remove
                | discard
                | pop
                | clear
                | update
                | intersection_update
                | difference_update
                | symmetric_difference_update
        ))
}

/// Calls `recv.attr(*args)` on the set or frozenset `id`.
pub fn call(
    rt: &mut Rt,
    attr: AttrSym,
    id: ObjId,
    recv: Value,
    args: &[Value],
    kwargs: &crate::vm::builtins::Kwargs,
) -> PyResult<Value> {
    use AttrSym as A;
    let frozen = matches!(rt.heap.get(id), Obj::FrozenSet(_));
    let ty = if frozen { "frozenset" } else { "set" };
    // The qualified name is for error messages only: formatted when one is raised, not on
    // every call.
    let qual = || format!("{ty}.{}", attr.name());
    if !kwargs.is_empty() {
        no_kwargs(&qual(), kwargs)?;
    }
    let table = |rt: &Rt| table_of(rt, recv).cloned().unwrap_or_default();
    let new = |rt: &mut Rt, t: SetTable| {
        rt.alloc(if frozen {
            Obj::FrozenSet(t)
        } else {
            Obj::Set(t)
        })
    };
    match attr {
        A::add => {
            let e = entry(rt, one_arg(&qual, args)?)?;
            with_table(rt, id, |rt, t| {
                rt.ensure_room(t.capacity().saturating_mul(4 * set::SLOT_BYTES))?;
                t.add(e);
                Ok(())
            })?;
            Ok(Value::None)
        }
        A::remove | A::discard => {
            let v = one_arg(&qual, args)?;
            let e = set::lookup_entry(rt, v)?;
            let found = with_table(rt, id, |_, t| Ok(t.discard(&e.key, e.hash).is_some()))?;
            if !found && attr == A::remove {
                return Err(key_error(v));
            }
            Ok(Value::None)
        }
        A::pop => {
            if !args.is_empty() {
                no_args(&qual(), args)?;
            }
            match with_table(rt, id, |_, t| Ok(t.pop()))? {
                Some(e) => Ok(e.value),
                None => Err(Throw::new(ExcKind::KeyError, "pop from an empty set")),
            }
        }
        A::clear => {
            if !args.is_empty() {
                no_args(&qual(), args)?;
            }
            with_table(rt, id, |_, t| {
                t.clear();
                Ok(())
            })?;
            Ok(Value::None)
        }
        A::copy => {
            if !args.is_empty() {
                no_args(&qual(), args)?;
            }
            if frozen {
                return Ok(recv);
            }
            let t = table(rt).copy();
            new(rt, t)
        }
        A::update => {
            for &other in args {
                with_table(rt, id, |rt, t| update_from(rt, t, other))?;
            }
            Ok(Value::None)
        }
        A::union => {
            let mut t = table(rt).copy();
            for &other in args {
                update_from(rt, &mut t, other)?;
            }
            new(rt, t)
        }
        A::intersection | A::intersection_update => {
            let mut t = table(rt);
            if args.is_empty() {
                t = t.copy();
            }
            for &other in args {
                t = intersect_with(rt, &t, other)?;
            }
            if attr == A::intersection {
                return new(rt, t);
            }
            with_table(rt, id, |_, slot| {
                *slot = t;
                Ok(())
            })?;
            Ok(Value::None)
        }
        A::difference => {
            let Some((&first, rest)) = args.split_first() else {
                let t = table(rt).copy();
                return new(rt, t);
            };
            let base = table(rt);
            let mut t = if is_set(rt, first) || is_dict(rt, first) {
                let other = table_from(rt, first)?;
                set::difference(&base, &other)
            } else {
                let mut t = base.copy();
                discard_all(rt, &mut t, first)?;
                t
            };
            for &other in rest {
                discard_all(rt, &mut t, other)?;
            }
            new(rt, t)
        }
        A::difference_update => {
            for &other in args {
                if other == recv {
                    with_table(rt, id, |_, t| {
                        t.clear();
                        Ok(())
                    })?;
                    continue;
                }
                with_table(rt, id, |rt, t| discard_all(rt, t, other))?;
            }
            Ok(Value::None)
        }
        A::symmetric_difference | A::symmetric_difference_update => {
            let other = one_arg(&qual, args)?;
            if attr == A::symmetric_difference {
                let mut t = match table_of(rt, other) {
                    Some(o) => o.copy(),
                    None => table_from(rt, other)?,
                };
                t.symmetric_difference_update(&table(rt));
                return new(rt, t);
            }
            if other == recv {
                with_table(rt, id, |_, t| {
                    t.clear();
                    Ok(())
                })?;
                return Ok(Value::None);
            }
            let o = match table_of(rt, other) {
                Some(o) => o.clone(),
                None => table_from(rt, other)?,
            };
            with_table(rt, id, |rt, t| {
                rt.ensure_room(o.capacity().saturating_mul(4 * set::SLOT_BYTES))?;
                t.symmetric_difference_update(&o);
                Ok(())
            })?;
            Ok(Value::None)
        }
        A::issubset => {
            let other = one_arg(&qual, args)?;
            let o = match table_of(rt, other) {
                Some(o) => o.clone(),
                None => table_from(rt, other)?,
            };
            Ok(Value::Bool(table(rt).is_subset(&o)))
        }
        A::issuperset => {
            let other = one_arg(&qual, args)?;
            let t = table(rt);
            if let Some(o) = table_of(rt, other) {
                return Ok(Value::Bool(o.is_subset(&t)));
            }
            for x in collect_iterable(rt, other)? {
                let e = entry(rt, x)?;
                if !t.contains(&e.key, e.hash) {
                    return Ok(Value::Bool(false));
                }
            }
            Ok(Value::Bool(true))
        }
        A::isdisjoint => {
            let other = one_arg(&qual, args)?;
            let t = table(rt);
            let items = match table_of(rt, other) {
                Some(o) => o.values(),
                None => collect_iterable(rt, other)?,
            };
            for x in items {
                let e = entry(rt, x)?;
                if t.contains(&e.key, e.hash) {
                    return Ok(Value::Bool(false));
                }
            }
            Ok(Value::Bool(true))
        }
        _ => Err(super::no_attribute(rt, recv, attr.name())),
    }
}

fn is_dict(rt: &Rt, v: Value) -> bool {
    matches!(v, Value::Obj(id) if matches!(rt.heap.get(id), Obj::Dict(_)))
}

/// `set_intersection`: with a set, walk the smaller one; else walk `other`'s items.
fn intersect_with(rt: &mut Rt, t: &SetTable, other: Value) -> PyResult<SetTable> {
    if let Some(o) = table_of(rt, other) {
        return Ok(intersection(t, o));
    }
    let mut out = SetTable::new();
    for x in collect_iterable(rt, other)? {
        let e = entry(rt, x)?;
        if t.contains(&e.key, e.hash) {
            out.add(e);
        }
    }
    Ok(out)
}

/// `set_difference_update_internal`: discard every item of `other`, then drop the dummies if
/// they are many.
fn discard_all(rt: &mut Rt, t: &mut SetTable, other: Value) -> PyResult<()> {
    let items = match table_of(rt, other) {
        Some(o) => o.values(),
        None => collect_iterable(rt, other)?,
    };
    for x in items {
        let e = entry(rt, x)?;
        t.discard(&e.key, e.hash);
    }
    t.shrink_after_discards();
    Ok(())
}
