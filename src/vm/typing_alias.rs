//! Type hints as values: `list[int]`, `dict[str, int] | None`, `typing.List[int]`,
//! `Optional[str]`, `Union[int, str]`, `Callable[[int], str]`.
//!
//! Python 3.11 evaluates a function's annotations when the `def` runs, so `def f(x: int | None)`
//! must make a value, and `print(f.__annotations__)` shows it: an [`Obj::Alias`] (a subscripted
//! type or `typing` name, CPython's `types.GenericAlias` / `typing._GenericAlias`) or an
//! [`Obj::UnionType`] (`X | Y`, `types.UnionType`), printed as CPython prints them. gilvm checks
//! no types: these values only exist to be stored, printed and compared, and `isinstance(x, int
//! | str)` works as in Python 3.10+.

use crate::vm::classes::class_qualname;
use crate::vm::heap::Obj;
use crate::vm::natives::NativeId;
use crate::vm::ops;
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt, Throw};

/// Whether `v` can stand in a type hint's `|` (a class, `None`, or a hint itself).
pub fn is_hint(rt: &Rt, v: Value) -> bool {
    match v {
        Value::None | Value::ExcType(_) => true,
        Value::Native(n) => n.is_type() || ops::is_class(n) || n.is_typing(),
        Value::Obj(id) => matches!(
            rt.heap.get(id),
            Obj::Class(_) | Obj::Alias { .. } | Obj::UnionType(_)
        ),
        _ => false,
    }
}

/// `container[index]` where `container` is a built-in type or a `typing` name: the alias.
pub fn subscript(rt: &mut Rt, container: Value, index: Value) -> PyResult<Value> {
    let args: Vec<Value> = match index {
        Value::Obj(id) => match rt.heap.get(id) {
            Obj::Tuple(t) => t.clone(),
            _ => vec![index],
        },
        _ => vec![index],
    };
    match container {
        Value::Native(NativeId::TypingOptional) => {
            let [x] = args.as_slice() else {
                return Err(Throw::type_error("typing.Optional requires a single type."));
            };
            union(rt, &[*x, Value::None], true)
        }
        Value::Native(NativeId::TypingUnion) => union(rt, &args, true),
        _ => rt.alloc(Obj::Alias {
            origin: container,
            args: args.into_boxed_slice(),
        }),
    }
}

/// `a | b` on type hints: a `types.UnionType` (flattened, duplicates dropped; `int | int` is
/// `int`).
pub fn bitor(rt: &mut Rt, a: Value, b: Value) -> PyResult<Value> {
    union(rt, &[a, b], false)
}

/// A union of `args`, flattened and without duplicates; one member is the member itself.
/// `typing` makes a `typing.Union[...]`, `|` a `types.UnionType`.
fn union(rt: &mut Rt, args: &[Value], typing: bool) -> PyResult<Value> {
    let mut members: Vec<Value> = Vec::new();
    for a in args {
        let nested: Option<Vec<Value>> = match a {
            Value::Obj(id) => match rt.heap.get(*id) {
                Obj::UnionType(m) => Some(m.to_vec()),
                Obj::Alias {
                    origin: Value::Native(NativeId::TypingUnion),
                    args,
                } => Some(args.to_vec()),
                _ => None,
            },
            _ => None,
        };
        for m in nested.unwrap_or_else(|| vec![*a]) {
            if !members.iter().any(|x| hint_eq(rt, *x, m)) {
                members.push(m);
            }
        }
    }
    if members.len() == 1 {
        return Ok(members[0]);
    }
    if typing {
        rt.alloc(Obj::Alias {
            origin: Value::Native(NativeId::TypingUnion),
            args: members.into_boxed_slice(),
        })
    } else {
        rt.alloc(Obj::UnionType(members.into_boxed_slice()))
    }
}

/// Whether two hints are the same (classes by identity, aliases by origin and arguments).
pub fn hint_eq(rt: &Rt, a: Value, b: Value) -> bool {
    if a == b {
        return true;
    }
    let (Value::Obj(x), Value::Obj(y)) = (a, b) else {
        return false;
    };
    match (rt.heap.get(x), rt.heap.get(y)) {
        (
            Obj::Alias {
                origin: o1,
                args: a1,
            },
            Obj::Alias {
                origin: o2,
                args: a2,
            },
        ) => {
            o1 == o2
                && a1.len() == a2.len()
                && a1.iter().zip(a2.iter()).all(|(p, q)| hint_eq(rt, *p, *q))
        }
        (Obj::UnionType(m1), Obj::UnionType(m2)) => {
            m1.len() == m2.len() && m1.iter().all(|p| m2.iter().any(|q| hint_eq(rt, *p, *q)))
        }
        _ => false,
    }
}

/// The members `isinstance(x, int | str)` checks against, if `v` is a `|` union.
pub fn union_members(rt: &Rt, v: Value) -> Option<Vec<Value>> {
    let Value::Obj(id) = v else { return None };
    match rt.heap.get(id) {
        Obj::UnionType(m) => Some(m.to_vec()),
        _ => None,
    }
}

/// CPython's `typing._type_repr` / `ga_repr_item`: a class by its qualified name (with
/// `__main__.` for the program's own), `None`, `...`, a hint by its repr, anything else by
/// `repr` (a string in `list['Foo']`, `ForwardRef('Foo')` in `typing.List['Foo']`).
fn item_repr(rt: &Rt, v: Value, typing: bool, out: &mut String) -> PyResult<()> {
    match v {
        Value::None => out.push_str(if typing { "NoneType" } else { "None" }),
        Value::Native(NativeId::Ellipsis) => out.push_str("..."),
        Value::Native(n) if n.is_type() || ops::is_class(n) => out.push_str(n.name().trim_end()),
        Value::ExcType(k) => out.push_str(k.attr_name()),
        Value::Obj(id) => match rt.heap.get(id) {
            Obj::Class(_) => {
                out.push_str("__main__.");
                out.push_str(class_qualname(rt, id));
            }
            Obj::Str(s) if typing => {
                out.push_str("ForwardRef(");
                out.push_str(&crate::vm::format::repr(rt, v)?);
                out.push(')');
                let _ = s;
            }
            Obj::List(items) if typing => {
                // `Callable[[int, str], bool]`
                out.push('[');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item_repr(rt, *x, typing, out)?;
                }
                out.push(']');
            }
            _ => out.push_str(&crate::vm::format::repr(rt, v)?),
        },
        _ => out.push_str(&crate::vm::format::repr(rt, v)?),
    }
    Ok(())
}

/// `repr` of an [`Obj::Alias`] or [`Obj::UnionType`].
pub fn write_repr(rt: &Rt, obj: &Obj, out: &mut String) -> PyResult<()> {
    match obj {
        Obj::Alias { origin, args } => {
            let typing = matches!(origin, Value::Native(n) if n.is_typing());
            if *origin == Value::Native(NativeId::TypingUnion) {
                // `Union[X, None]` prints as `Optional[X]`.
                if args.len() == 2 && args.contains(&Value::None) {
                    let x = if args[0] == Value::None {
                        args[1]
                    } else {
                        args[0]
                    };
                    out.push_str("typing.Optional[");
                    item_repr(rt, x, true, out)?;
                    out.push(']');
                    return Ok(());
                }
            }
            match origin {
                Value::Native(n) if n.is_typing() => {
                    out.push_str("typing.");
                    out.push_str(n.name());
                }
                _ => item_repr(rt, *origin, false, out)?,
            }
            out.push('[');
            if args.is_empty() {
                out.push_str("()");
            }
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                item_repr(rt, *a, typing, out)?;
            }
            out.push(']');
        }
        Obj::UnionType(members) => {
            for (i, m) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(" | ");
                }
                item_repr(rt, *m, false, out)?;
            }
        }
        _ => {}
    }
    Ok(())
}
