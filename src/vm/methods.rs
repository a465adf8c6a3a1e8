//! Methods of the built-in containers: str (in `methods/str.rs`), list, tuple and dict.
//!
//! `LOAD_METHOD` asks [`lookup_method`] for a `(type, attribute)` pair once; `CALL` then runs
//! [`call_method`]. Growing a list or dict in place charges the heap first, so a runaway
//! `append` loop ends in `MemoryError` at the heap limit. Messages are CPython 3.11's.
//! Methods that take a Python callable (`list.sort(key=...)`) raise `TypeError` here; the
//! interpreter handles `key=` itself with `builtins::sort_with_keys`.

mod set;
mod str;
mod titlecase;

use crate::vm::builtins::{check_kwargs, dict_update, kwarg, sort_values, Kwargs};
use crate::vm::exceptions::ExcKind;
use crate::vm::format::repr;
use crate::vm::heap::{DictPart, Obj};
use crate::vm::natives::{AttrSym, MethodId, TypeTag};
use crate::vm::ops::{
    self, collect_iterable, expect_index, hash_key, key_error, list_push, reserve_list,
    slice_indices, type_name,
};
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Rt, Throw};

/// The built-in method `recv.attr`, if `recv` is a str, list, tuple or dict that has it.
pub fn lookup_method(rt: &Rt, recv: Value, attr: AttrSym) -> Option<MethodId> {
    if let Value::Native(
        crate::vm::natives::NativeId::SysStdout | crate::vm::natives::NativeId::SysStderr,
    ) = recv
    {
        return matches!(attr, AttrSym::write | AttrSym::flush).then_some(MethodId {
            ty: TypeTag::Stream,
            attr,
        });
    }
    if attr == AttrSym::bit_length && crate::vm::bigint::is_int(rt, recv) {
        return Some(MethodId {
            ty: TypeTag::Int,
            attr,
        });
    }
    let Value::Obj(id) = recv else {
        return None;
    };
    let ty = match rt.heap.get(id) {
        Obj::Random(_) => TypeTag::Random,
        Obj::Str(_) => TypeTag::Str,
        Obj::List(_) => TypeTag::List,
        Obj::Tuple(_) => TypeTag::Tuple,
        Obj::Dict(_) => TypeTag::Dict,
        Obj::Set(_) => TypeTag::Set,
        Obj::FrozenSet(_) => TypeTag::FrozenSet,
        Obj::Generator(_) => TypeTag::Generator,
        Obj::Deque(_) => TypeTag::Deque,
        _ => return None,
    };
    has_method(ty, attr).then_some(MethodId { ty, attr })
}

/// Whether type `ty` has method `attr`.
pub fn has_method(ty: TypeTag, attr: AttrSym) -> bool {
    use AttrSym::*;
    match ty {
        TypeTag::Str => str::STR_METHODS.contains(&attr),
        TypeTag::List => matches!(
            attr,
            append | pop | extend | insert | remove | index | count | sort | reverse | copy | clear
        ),
        TypeTag::Tuple => matches!(attr, index | count),
        TypeTag::Dict => matches!(
            attr,
            get | items | keys | values | pop | setdefault | update | copy | clear | popitem
        ),
        TypeTag::Set => self::set::has_method(attr, false),
        TypeTag::FrozenSet => self::set::has_method(attr, true),
        TypeTag::Int => attr == bit_length,
        TypeTag::Random => crate::vm::natives::ModuleId::Random
            .member(attr.name())
            .is_some_and(|n| n != crate::vm::natives::NativeId::RandomClass),
        TypeTag::Generator => matches!(attr, send | throw | close),
        TypeTag::Deque => crate::vm::deque::has_method(attr),
        _ => false,
    }
}

/// Calls built-in method `m` on `recv`.
pub fn call_method(
    rt: &mut Rt,
    m: MethodId,
    recv: Value,
    args: &[Value],
    kwargs: &Kwargs,
) -> PyResult<Value> {
    if m.ty == TypeTag::Stream {
        return crate::vm::numeric::stream_method(rt, m.attr, recv, args, kwargs);
    }
    if m.ty == TypeTag::Int {
        if !args.is_empty() || !kwargs.is_empty() {
            return Err(Throw::type_error(format!(
                "int.bit_length() takes no arguments ({} given)",
                args.len() + kwargs.len()
            )));
        }
        return Ok(Value::Int(
            crate::vm::bigint::bit_length(rt, recv).unwrap_or(0),
        ));
    }
    let Some(id) = recv.as_obj() else {
        return Err(no_attribute(rt, recv, m.attr.name()));
    };
    match m.ty {
        TypeTag::Random => match crate::vm::natives::ModuleId::Random.member(m.attr.name()) {
            Some(n) => crate::vm::builtins::random::call(
                rt,
                crate::vm::builtins::random::Gen::Instance(id),
                n,
                args,
                kwargs,
            ),
            None => Err(no_attribute(rt, recv, m.attr.name())),
        },
        TypeTag::Str => str::call(rt, m.attr, recv, args, kwargs),
        TypeTag::List => list_method(rt, m.attr, id, recv, args, kwargs),
        TypeTag::Tuple => tuple_method(rt, m.attr, id, args, kwargs),
        TypeTag::Dict => dict_method(rt, m.attr, id, recv, args, kwargs),
        TypeTag::Set | TypeTag::FrozenSet => set::call(rt, m.attr, id, recv, args, kwargs),
        TypeTag::Deque => crate::vm::deque::call(rt, m.attr, id, args, kwargs),
        _ => Err(no_attribute(rt, recv, m.attr.name())),
    }
}

/// A data attribute of a built-in value (`e.args`, `f.__name__`, `x.real`), or `None` if
/// `recv` has no such attribute (the caller then tries methods, then raises
/// [`no_attribute`]).
pub fn data_attr(rt: &mut Rt, recv: Value, attr: AttrSym) -> Option<PyResult<Value>> {
    if matches!(attr, AttrSym::real | AttrSym::imag)
        && crate::vm::bigint::as_big(rt, recv).is_some()
    {
        return Some(Ok(if attr == AttrSym::real {
            recv
        } else {
            Value::Int(0)
        }));
    }
    match (recv, attr) {
        (Value::Int(_) | Value::Float(_), AttrSym::real) => Some(Ok(recv)),
        (Value::Bool(b), AttrSym::real) => Some(Ok(Value::Int(b as i64))),
        (Value::Int(_) | Value::Bool(_), AttrSym::imag) => Some(Ok(Value::Int(0))),
        (Value::Float(_), AttrSym::imag) => Some(Ok(Value::Float(0.0))),
        (Value::Native(n), AttrSym::dunder_name) => Some(rt.new_str(n.name().trim_end())),
        (Value::ExcType(k), AttrSym::dunder_name) => Some(rt.new_str(k.attr_name())),
        (Value::Module(m), AttrSym::dunder_name) => Some(rt.new_str(m.name())),
        (Value::Obj(id), AttrSym::maxlen) if matches!(rt.heap.get(id), Obj::Deque(_)) => {
            crate::vm::deque::maxlen(rt, id).map(Ok)
        }
        (Value::Obj(id), _) => {
            let name = match rt.heap.get(id) {
                Obj::Exception(e) if attr == AttrSym::args => {
                    let args = e.args.to_vec();
                    return Some(rt.new_tuple(args));
                }
                // `raise X from Y` sets the cause (`from None` too) and suppresses the
                // context; the context is the exception being handled at the raise.
                Obj::Exception(e) if attr == AttrSym::dunder_cause => {
                    return Some(Ok(e.cause.unwrap_or(Value::None)));
                }
                Obj::Exception(e) if attr == AttrSym::dunder_context => {
                    return Some(Ok(e.context.unwrap_or(Value::None)));
                }
                Obj::Exception(e) if attr == AttrSym::dunder_suppress_context => {
                    return Some(Ok(Value::Bool(e.cause.is_some())));
                }
                Obj::Function(f) if attr == AttrSym::dunder_name => rt
                    .program
                    .codes
                    .get(f.code as usize)
                    .map_or(String::new(), |c| c.name.clone()),
                Obj::BoundMethod { method, .. } if attr == AttrSym::dunder_name => {
                    method.attr.name().to_string()
                }
                _ => return None,
            };
            Some(rt.new_str(name))
        }
        _ => None,
    }
}

/// `AttributeError` for `recv.name`, worded as Python does for the receiver's kind.
pub fn no_attribute(rt: &Rt, recv: Value, name: &str) -> Throw {
    let msg = match recv {
        Value::Module(m) => format!("module '{}' has no attribute '{name}'", m.name()),
        Value::Native(n) if type_name(rt, recv) == "type" => {
            format!(
                "type object '{}' has no attribute '{name}'",
                n.name().trim_end()
            )
        }
        Value::ExcType(k) => {
            format!("type object '{}' has no attribute '{name}'", k.attr_name())
        }
        _ => format!("'{}' object has no attribute '{name}'", type_name(rt, recv)),
    };
    Throw::new(ExcKind::AttributeError, msg)
}

/// `type.name() takes no keyword arguments`.
fn no_kwargs(qual: &str, kwargs: &Kwargs) -> PyResult<()> {
    if kwargs.is_empty() {
        Ok(())
    } else {
        Err(Throw::type_error(format!(
            "{qual}() takes no keyword arguments"
        )))
    }
}

/// `list.append() takes exactly one argument (2 given)`.
fn exactly_one(qual: &str, args: &[Value]) -> PyResult<Value> {
    match args {
        [v] => Ok(*v),
        _ => Err(Throw::type_error(format!(
            "{qual}() takes exactly one argument ({} given)",
            args.len()
        ))),
    }
}

/// `str.upper() takes no arguments (1 given)`.
fn no_args(qual: &str, args: &[Value]) -> PyResult<()> {
    if args.is_empty() {
        Ok(())
    } else {
        Err(Throw::type_error(format!(
            "{qual}() takes no arguments ({} given)",
            args.len()
        )))
    }
}

/// `pop expected at most 1 argument, got 2` / `insert expected 2 arguments, got 1`.
fn arg_range(name: &str, args: &[Value], min: usize, max: usize) -> PyResult<()> {
    let n = args.len();
    if n >= min && n <= max {
        return Ok(());
    }
    let plural = |k: usize| if k == 1 { "" } else { "s" };
    Err(Throw::type_error(if min == max {
        format!("{name} expected {min} argument{}, got {n}", plural(min))
    } else if n < min {
        format!(
            "{name} expected at least {min} argument{}, got {n}",
            plural(min)
        )
    } else {
        format!(
            "{name} expected at most {max} argument{}, got {n}",
            plural(max)
        )
    }))
}

fn list_items(rt: &Rt, id: ObjId) -> &[Value] {
    match rt.heap.get(id) {
        Obj::List(v) | Obj::Tuple(v) => v,
        _ => &[],
    }
}

fn list_mut(rt: &mut Rt, id: ObjId) -> Option<&mut Vec<Value>> {
    match rt.heap.get_mut(id) {
        Obj::List(v) => Some(v),
        _ => None,
    }
}

/// The position of `x` in `items[start:end]` (start/end as in `list.index`).
fn find_item(rt: &Rt, items: &[Value], x: Value, args: &[Value]) -> PyResult<Option<usize>> {
    let bound = |v: Option<&Value>| -> PyResult<Value> {
        match v {
            None => Ok(Value::None),
            Some(&v) if ops::as_index(v).is_some() => Ok(v),
            Some(_) => Err(Throw::type_error(
                "slice indices must be integers or have an __index__ method",
            )),
        }
    };
    let (start, stop, _, _) = slice_indices(
        (bound(args.get(1))?, bound(args.get(2))?, Value::None),
        items.len(),
    )?;
    let (lo, hi) = (
        start.max(0) as usize,
        (stop.max(0) as usize).min(items.len()),
    );
    let mut found = None;
    ops::scan_eq(rt, items.get(lo..hi).unwrap_or_default(), x, |i| {
        found = Some(lo + i);
        true
    })?;
    Ok(found)
}

fn count_items(rt: &Rt, items: &[Value], x: Value) -> PyResult<i64> {
    let mut n = 0;
    ops::scan_eq(rt, items, x, |_| {
        n += 1;
        false
    })?;
    Ok(n)
}

fn list_method(
    rt: &mut Rt,
    attr: AttrSym,
    id: ObjId,
    recv: Value,
    args: &[Value],
    kwargs: &Kwargs,
) -> PyResult<Value> {
    use AttrSym as A;
    // The name is formatted only for the error: this runs on every call of the method.
    if attr != A::sort && !kwargs.is_empty() {
        no_kwargs(&format!("list.{}", attr.name()), kwargs)?;
    }
    match attr {
        A::append => {
            let x = exactly_one("list.append", args)?;
            list_push(rt, id, x)?;
            Ok(Value::None)
        }
        A::extend => {
            let x = exactly_one("list.extend", args)?;
            let items = collect_iterable(rt, x)?;
            reserve_list(rt, id, items.len())?;
            if let Some(v) = list_mut(rt, id) {
                v.extend(items);
            }
            Ok(Value::None)
        }
        A::pop => {
            arg_range("pop", args, 0, 1)?;
            let i = match args.first() {
                Some(&v) => expect_index(rt, v)?,
                None => -1,
            };
            let v = list_mut(rt, id).ok_or_else(|| Throw::type_error("not a list"))?;
            if v.is_empty() {
                return Err(Throw::new(ExcKind::IndexError, "pop from empty list"));
            }
            let len = v.len() as i64;
            let idx = if i < 0 { i + len } else { i };
            if idx < 0 || idx >= len {
                return Err(Throw::new(ExcKind::IndexError, "pop index out of range"));
            }
            Ok(v.remove(idx as usize))
        }
        A::insert => {
            arg_range("insert", args, 2, 2)?;
            let i = expect_index(rt, args[0])?;
            reserve_list(rt, id, 1)?;
            if let Some(v) = list_mut(rt, id) {
                let len = v.len() as i64;
                let idx = if i < 0 { (i + len).max(0) } else { i.min(len) };
                v.insert(idx as usize, args[1]);
            }
            Ok(Value::None)
        }
        A::remove => {
            let x = exactly_one("list.remove", args)?;
            match find_item(rt, list_items(rt, id), x, &[])? {
                Some(i) => {
                    if let Some(v) = list_mut(rt, id) {
                        if i < v.len() {
                            v.remove(i);
                        }
                    }
                    Ok(Value::None)
                }
                None => Err(Throw::value_error("list.remove(x): x not in list")),
            }
        }
        A::index => {
            arg_range("index", args, 1, 3)?;
            match find_item(rt, list_items(rt, id), args[0], args)? {
                Some(i) => Ok(Value::Int(i as i64)),
                None => Err(Throw::value_error(format!(
                    "{} is not in list",
                    repr(rt, args[0])?
                ))),
            }
        }
        A::count => {
            let x = exactly_one("list.count", args)?;
            count_items(rt, list_items(rt, id), x).map(Value::Int)
        }
        A::sort => {
            if !args.is_empty() {
                return Err(Throw::type_error("sort() takes no positional arguments"));
            }
            check_kwargs("sort", kwargs, &["key", "reverse"])?;
            if kwarg(kwargs, "key").is_some_and(|k| !k.is_none()) {
                return Err(Throw::type_error(
                    "sort() with a key function must be called by the interpreter",
                ));
            }
            let reverse = kwarg(kwargs, "reverse").is_some_and(|r| ops::truthy(rt, r));
            let mut sorted = list_items(rt, id).to_vec();
            sort_values(rt, &mut sorted, reverse)?;
            if let Some(v) = list_mut(rt, id) {
                *v = sorted;
            }
            Ok(Value::None)
        }
        A::reverse => {
            no_args("list.reverse", args)?;
            if let Some(v) = list_mut(rt, id) {
                v.reverse();
            }
            Ok(Value::None)
        }
        A::copy => {
            no_args("list.copy", args)?;
            let items = list_items(rt, id).to_vec();
            rt.new_list(items)
        }
        A::clear => {
            no_args("list.clear", args)?;
            if let Some(v) = list_mut(rt, id) {
                v.clear();
            }
            Ok(Value::None)
        }
        _ => Err(no_attribute(rt, recv, attr.name())),
    }
}

fn tuple_method(
    rt: &mut Rt,
    attr: AttrSym,
    id: ObjId,
    args: &[Value],
    kwargs: &Kwargs,
) -> PyResult<Value> {
    if !kwargs.is_empty() {
        no_kwargs(&format!("tuple.{}", attr.name()), kwargs)?;
    }
    let items = list_items(rt, id);
    match attr {
        AttrSym::index => {
            arg_range("index", args, 1, 3)?;
            match find_item(rt, items, args[0], args)? {
                Some(i) => Ok(Value::Int(i as i64)),
                None => Err(Throw::value_error("tuple.index(x): x not in tuple")),
            }
        }
        _ => {
            let x = exactly_one("tuple.count", args)?;
            count_items(rt, items, x).map(Value::Int)
        }
    }
}

fn dict_method(
    rt: &mut Rt,
    attr: AttrSym,
    id: ObjId,
    recv: Value,
    args: &[Value],
    kwargs: &Kwargs,
) -> PyResult<Value> {
    use AttrSym as A;
    // The name is formatted only for the error: this runs on every call of the method.
    if attr != A::update && !kwargs.is_empty() {
        no_kwargs(&format!("dict.{}", attr.name()), kwargs)?;
    }
    let lookup = |rt: &Rt, k: Value| -> PyResult<Option<Value>> {
        match rt.heap.get(id) {
            Obj::Dict(d) => crate::vm::ops::dict_get(rt, d, k),
            _ => Ok(None),
        }
    };
    match attr {
        A::get => {
            arg_range("get", args, 1, 2)?;
            Ok(lookup(rt, args[0])?.unwrap_or(args.get(1).copied().unwrap_or(Value::None)))
        }
        A::keys | A::values | A::items => {
            if !args.is_empty() {
                no_args(&format!("dict.{}", attr.name()), args)?;
            }
            let part = match attr {
                A::keys => DictPart::Keys,
                A::values => DictPart::Values,
                _ => DictPart::Items,
            };
            rt.alloc(Obj::DictView { dict: id, part })
        }
        A::pop => {
            arg_range("pop", args, 1, 2)?;
            // CPython answers for an empty dict before hashing the key.
            if matches!(rt.heap.get(id), Obj::Dict(d) if d.is_empty()) {
                return args.get(1).copied().ok_or_else(|| key_error(args[0]));
            }
            let hk = hash_key(rt, args[0])?;
            let removed = match rt.heap.get_mut(id) {
                Obj::Dict(d) => d.shift_remove(&hk).map(|(_, v)| v),
                _ => None,
            };
            match (removed, args.get(1)) {
                (Some(v), _) | (None, Some(&v)) => Ok(v),
                (None, None) => Err(key_error(args[0])),
            }
        }
        A::setdefault => {
            arg_range("setdefault", args, 1, 2)?;
            if let Some(v) = lookup(rt, args[0])? {
                return Ok(v);
            }
            let v = args.get(1).copied().unwrap_or(Value::None);
            ops::setitem(rt, recv, args[0], v)?;
            Ok(v)
        }
        A::update => {
            arg_range("update", args, 0, 1)?;
            let mut map = match rt.heap.get_mut(id) {
                Obj::Dict(d) => std::mem::take(d),
                _ => Default::default(),
            };
            // Work on the map outside the heap so a failure halfway keeps what was merged,
            // as Python does, and the dict is put back in every case.
            let mut r = match args.first() {
                Some(&src) => dict_update(rt, &mut map, src),
                None => Ok(()),
            };
            for &(k, v) in kwargs {
                if r.is_err() {
                    break;
                }
                r = rt.new_str(k).and_then(|key| {
                    let hk = hash_key(rt, key)?;
                    match map.get_mut(&hk) {
                        Some(slot) => slot.1 = v,
                        None => {
                            map.insert(hk, (key, v));
                        }
                    }
                    Ok(())
                });
            }
            if let Obj::Dict(d) = rt.heap.get_mut(id) {
                *d = map;
            }
            r.map(|()| Value::None)
        }
        A::copy => {
            no_args("dict.copy", args)?;
            let map = match rt.heap.get(id) {
                Obj::Dict(d) => d.clone(),
                _ => Default::default(),
            };
            rt.new_dict(map)
        }
        A::clear => {
            no_args("dict.clear", args)?;
            if let Obj::Dict(d) = rt.heap.get_mut(id) {
                d.clear();
            }
            Ok(Value::None)
        }
        A::popitem => {
            no_args("dict.popitem", args)?;
            let last = match rt.heap.get_mut(id) {
                Obj::Dict(d) => d.pop().map(|(_, kv)| kv),
                _ => None,
            };
            match last {
                Some((k, v)) => rt.new_tuple(vec![k, v]),
                None => {
                    let msg = rt.new_str("popitem(): dictionary is empty")?;
                    Err(Throw::NewArgs {
                        kind: ExcKind::KeyError,
                        args: vec![msg],
                    })
                }
            }
        }
        _ => Err(no_attribute(rt, recv, attr.name())),
    }
}

#[cfg(test)]
mod tests;
