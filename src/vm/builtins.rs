//! The built-in functions that need no scheduler (`print`, `len`, `int`, `sorted`, …) and the
//! `random` module, called by the interpreter's `CALL` for a [`Value::Native`].
//!
//! Threading, queue, time and sys natives block or consult the scheduler, so the VM handles
//! them itself; [`call_builtin`] refuses them. Functions that take a Python callable (`key=`)
//! cannot call it from here (no frames): they raise `TypeError` and the interpreter routes
//! such calls through [`sort_with_keys`] / [`extreme_index`] after computing the keys itself.
//! Argument-count and type errors use CPython 3.11's exact messages.

pub(crate) mod convert;
pub(crate) mod random;
mod sort;
mod sort_total;

pub(crate) use convert::unicode_digit;
pub use convert::{
    float_from_str, float_to_int, float_to_int_value, int_from_str, int_value_from_str, py_hash,
    round_value,
};
pub use sort::{extreme_index, sort_values, sort_with_keys};

use std::io::Write;

use crate::vm::exceptions::ExcKind;
use crate::vm::format::{fake_id, repr, str_of};
use crate::vm::heap::{DictMap, Obj};
use crate::vm::natives::NativeId;
use crate::vm::ops::{
    self, collect_iterable, dict_insert, expect_index, get_iter, hash_key, is_iterator, iter_next,
    len_of, truthy, type_name,
};
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt, Throw};

/// Keyword arguments as the interpreter passes them.
pub type Kwargs<'a> = [(&'a str, Value)];

/// Calls built-in `id` with positional `args` and keyword `kwargs`.
pub fn call_builtin(rt: &mut Rt, id: NativeId, args: &[Value], kwargs: &Kwargs) -> PyResult<Value> {
    use NativeId::*;
    match id {
        Print => print(rt, args, kwargs),
        Deque => crate::vm::deque::new(rt, args, kwargs),
        Len => {
            let v = one(id, args, kwargs)?;
            Ok(Value::Int(len_of(rt, v)? as i64))
        }
        Range => range(rt, args, kwargs),
        Str => {
            no_kwargs(id, kwargs)?;
            match args {
                [] => rt.new_str(""),
                [v] => {
                    let s = str_of(rt, *v)?;
                    rt.new_str(s)
                }
                [_, e, ..] if args.len() <= 3 && rt.as_str(*e).is_none() => {
                    Err(Throw::type_error(format!(
                        "str() argument 'encoding' must be str, not {}",
                        type_name(rt, *e)
                    )))
                }
                _ if args.len() <= 3 => Err(Throw::type_error("decoding str is not supported")),
                _ => Err(Throw::type_error(format!(
                    "str() takes at most 3 arguments ({} given)",
                    args.len()
                ))),
            }
        }
        Int => convert::int_call(rt, args, kwargs),
        Float => {
            no_kwargs(id, kwargs)?;
            match at_most(id, args, 1)? {
                None => Ok(Value::Float(0.0)),
                Some(v) => convert::to_float(rt, v).map(Value::Float),
            }
        }
        Bool => {
            no_kwargs(id, kwargs)?;
            Ok(Value::Bool(
                at_most(id, args, 1)?.is_some_and(|v| truthy(rt, v)),
            ))
        }
        List | Tuple => {
            no_kwargs(id, kwargs)?;
            let items = match at_most(id, args, 1)? {
                None => vec![],
                Some(v) => collect_iterable(rt, v)?,
            };
            if id == List {
                rt.new_list(items)
            } else {
                rt.new_tuple(items)
            }
        }
        Dict => dict(rt, args, kwargs),
        DictFromKeys => dict_fromkeys(rt, args, kwargs),
        Set | FrozenSet => {
            no_kwargs(id, kwargs)?;
            let src = at_most(id, args, 1)?;
            if let (FrozenSet, Some(Value::Obj(o))) = (id, src) {
                if matches!(rt.heap.get(o), Obj::FrozenSet(_)) {
                    return Ok(Value::Obj(o));
                }
            }
            let t = match src {
                None => crate::vm::set::SetTable::new(),
                Some(v) => crate::vm::set::table_from(rt, v)?,
            };
            rt.alloc(if id == Set {
                Obj::Set(t)
            } else {
                Obj::FrozenSet(t)
            })
        }
        Sum => sum(rt, args, kwargs),
        Min | Max => sort::min_max(rt, id == Max, args, kwargs),
        Abs => {
            let v = one(id, args, kwargs)?;
            match v {
                Value::Int(i) => match i.checked_abs() {
                    Some(a) => Ok(Value::Int(a)),
                    None => crate::vm::bigint::abs(rt, v).map(|r| r.unwrap_or(v)),
                },
                Value::Obj(_) if crate::vm::bigint::as_big(rt, v).is_some() => {
                    crate::vm::bigint::abs(rt, v).map(|r| r.unwrap_or(v))
                }
                Value::Bool(b) => Ok(Value::Int(b as i64)),
                Value::Float(f) => Ok(Value::Float(f.abs())),
                _ => Err(Throw::type_error(format!(
                    "bad operand type for abs(): '{}'",
                    type_name(rt, v)
                ))),
            }
        }
        Sorted => sort::sorted(rt, args, kwargs),
        Reversed => {
            no_kwargs(id, kwargs)?;
            match args {
                [v] => ops::reversed_iter(rt, *v),
                _ => Err(Throw::type_error(format!(
                    "reversed expected 1 argument, got {}",
                    args.len()
                ))),
            }
        }
        Enumerate => enumerate(rt, args, kwargs),
        Zip => zip(rt, args, kwargs),
        All | Any => {
            let v = one(id, args, kwargs)?;
            let it = get_iter(rt, v)?;
            let want = id == Any;
            while let Some(x) = iter_next(rt, it)? {
                if truthy(rt, x) == want {
                    return Ok(Value::Bool(want));
                }
            }
            Ok(Value::Bool(!want))
        }
        Isinstance => {
            no_kwargs(id, kwargs)?;
            let [v, cls] = args else {
                return Err(Throw::type_error(format!(
                    "isinstance expected 2 arguments, got {}",
                    args.len()
                )));
            };
            isinstance(rt, *v, *cls, 0).map(Value::Bool)
        }
        Repr => {
            let v = one(id, args, kwargs)?;
            let s = repr(rt, v)?;
            rt.new_str(s)
        }
        Format => {
            no_kwargs(id, kwargs)?;
            let (v, spec) = one_or_two("format", args)?;
            let spec = match spec {
                None => String::new(),
                Some(s) => match rt.as_str(s) {
                    Some(t) => t.to_string(),
                    None => {
                        return Err(Throw::type_error(format!(
                            "format() argument 2 must be str, not {}",
                            type_name(rt, s)
                        )))
                    }
                },
            };
            let out = crate::vm::format::format_spec(rt, v, &spec)?;
            rt.new_str(out)
        }
        Round => convert::round_call(rt, args, kwargs),
        Iter => {
            no_kwargs(id, kwargs)?;
            match args {
                [v] => get_iter(rt, *v),
                [_, _] => Err(Throw::type_error("iter(v, w): v must be callable")),
                _ => Err(Throw::type_error(format!(
                    "iter expected {} 1 argument, got {}",
                    if args.is_empty() {
                        "at least"
                    } else {
                        "at most"
                    },
                    args.len()
                ))),
            }
        }
        Next => {
            no_kwargs(id, kwargs)?;
            let (it, default) = match args {
                [it] => (*it, None),
                [it, d] => (*it, Some(*d)),
                _ => {
                    return Err(Throw::type_error(format!(
                        "next expected {} 1 argument, got {}",
                        if args.is_empty() {
                            "at least"
                        } else {
                            "at most"
                        },
                        args.len()
                    )))
                }
            };
            if !is_iterator(rt, it) {
                return Err(Throw::type_error(format!(
                    "'{}' object is not an iterator",
                    type_name(rt, it)
                )));
            }
            match (iter_next(rt, it)?, default) {
                (Some(v), _) | (None, Some(v)) => Ok(v),
                (None, None) => Err(Throw::NewArgs {
                    kind: ExcKind::StopIteration,
                    args: vec![],
                }),
            }
        }
        Divmod => {
            no_kwargs(id, kwargs)?;
            let [a, b] = args else {
                return Err(Throw::type_error(format!(
                    "divmod expected 2 arguments, got {}",
                    args.len()
                )));
            };
            let (q, r) = ops::divmod_values(rt, *a, *b)?;
            rt.new_tuple(vec![q, r])
        }
        Pow => convert::pow_call(rt, args, kwargs),
        Chr => {
            let v = one(id, args, kwargs)?;
            let i = expect_index(rt, v)?;
            if i32::try_from(i).is_err() {
                return Err(Throw::new(
                    ExcKind::OverflowError,
                    "Python int too large to convert to C int",
                ));
            }
            let c = u32::try_from(i)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| Throw::value_error("chr() arg not in range(0x110000)"))?;
            rt.new_str(String::from(c))
        }
        Ord => {
            let v = one(id, args, kwargs)?;
            let Some(s) = rt.as_str(v) else {
                return Err(Throw::type_error(format!(
                    "ord() expected string of length 1, but {} found",
                    type_name(rt, v)
                )));
            };
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => Ok(Value::Int(c as i64)),
                _ => Err(Throw::type_error(format!(
                    "ord() expected a character, but string of length {} found",
                    ops::str_len(s)
                ))),
            }
        }
        Hash => {
            let v = one(id, args, kwargs)?;
            py_hash(rt, v).map(Value::Int)
        }
        Id => {
            let v = one(id, args, kwargs)?;
            Ok(Value::Int(fake_id(v)))
        }
        Callable => {
            let v = one(id, args, kwargs)?;
            Ok(Value::Bool(is_callable(rt, v)))
        }
        Type => {
            no_kwargs(id, kwargs)?;
            match args {
                [v] => type_of(rt, *v),
                _ => Err(Throw::type_error(
                    "type() with three arguments is not supported by gilvm",
                )),
            }
        }
        Object => {
            no_kwargs(id, kwargs)?;
            if !args.is_empty() {
                return Err(Throw::type_error("object() takes no arguments"));
            }
            Err(Throw::type_error(
                "object() instances are not supported by gilvm",
            ))
        }
        PrintParts | PrintPartsErr => {
            let [parts, sep, end] = args else {
                return Err(Throw::type_error("__print_parts__ expects 3 arguments"));
            };
            let items = ops::collect_iterable(rt, *parts)?;
            let file = if id == PrintPartsErr {
                Value::Native(SysStderr)
            } else {
                Value::None
            };
            print(rt, &items, &[("sep", *sep), ("end", *end), ("file", file)])
        }
        ObjectInit => {
            if !args.is_empty() || !kwargs.is_empty() {
                return Err(Throw::type_error(
                    "object.__init__() takes exactly one argument (the instance to initialize)",
                ));
            }
            Ok(Value::None)
        }
        Issubclass => {
            no_kwargs(id, kwargs)?;
            let [c, of] = args else {
                return Err(Throw::type_error(format!(
                    "issubclass expected 2 arguments, got {}",
                    args.len()
                )));
            };
            issubclass(rt, *c, *of, 0).map(Value::Bool)
        }
        Random | Randint | Randrange | Choice | Uniform | Shuffle | Seed | Choices | Sample
        | Gauss | Getrandbits => random::call(rt, random::Gen::Module, id, args, kwargs),
        RandomClass => random::new_instance(rt, args, kwargs),
        Hex | Oct | Bin => {
            let v = one(id, args, kwargs)?;
            crate::vm::numeric::radix_str(rt, id, v)
        }
        Input => crate::vm::numeric::input(rt, args, kwargs),
        GetIntMaxStrDigits => {
            no_kwargs(id, kwargs)?;
            if !args.is_empty() {
                return Err(Throw::type_error(format!(
                    "sys.get_int_max_str_digits() takes no arguments ({} given)",
                    args.len()
                )));
            }
            Ok(Value::Int(rt.int_max_str_digits as i64))
        }
        SetIntMaxStrDigits => {
            check_kwargs("set_int_max_str_digits", kwargs, &["maxdigits"])?;
            let v = match (args, kwarg(kwargs, "maxdigits")) {
                ([v], None) => *v,
                ([], Some(v)) => v,
                _ => {
                    return Err(Throw::type_error(
                        "set_int_max_str_digits() takes exactly one argument",
                    ))
                }
            };
            let n = expect_index(rt, v)?;
            let min = crate::vm::bigint::MIN_MAX_STR_DIGITS as i64;
            if n != 0 && n < min {
                return Err(Throw::value_error(format!(
                    "maxdigits must be 0 or larger than {min}"
                )));
            }
            rt.int_max_str_digits = n as usize;
            Ok(Value::None)
        }
        _ if (MathSqrt..=MathDist).contains(&id) => crate::vm::mathmod::call(rt, id, args, kwargs),
        _ => Err(Throw::new(
            ExcKind::RuntimeError,
            format!("internal error: {}() is not a runtime built-in", id.name()),
        )),
    }
}

/// Whether calling `v` is possible (`callable()`).
pub fn is_callable(rt: &Rt, v: Value) -> bool {
    match v {
        Value::Native(NativeId::NotImplemented | NativeId::Ellipsis) => false,
        Value::Native(NativeId::SysStdout | NativeId::SysStderr) => false,
        Value::Native(_) | Value::ExcType(_) | Value::Method(_) => true,
        Value::Obj(id) => match rt.heap.get(id) {
            Obj::Function(_)
            | Obj::BoundMethod { .. }
            | Obj::Class(_)
            | Obj::BoundPyMethod { .. }
            | Obj::Partial { .. }
            | Obj::Wraps(_)
            | Obj::StaticMethod(_) => true,
            Obj::Instance(_) => crate::vm::dunder::method(rt, v, rt.special.call).is_some(),
            _ => false,
        },
        _ => false,
    }
}

/// `isinstance(v, cls)`; `cls` is a built-in type, an exception class or a tuple of them.
/// `type(v)`: the class of an instance, or the built-in type gilvm has a value for.
fn type_of(rt: &Rt, v: Value) -> PyResult<Value> {
    use crate::vm::classes::class_of;
    if let Some(c) = class_of(rt, v) {
        return Ok(Value::Obj(c));
    }
    let n = match v {
        Value::Bool(_) => NativeId::Bool,
        Value::Int(_) => NativeId::Int,
        Value::Float(_) => NativeId::Float,
        Value::ExcType(_) | Value::Native(_) if type_name(rt, v) == "type" => NativeId::Type,
        Value::Obj(id) => match rt.heap.get(id) {
            Obj::Str(_) => NativeId::Str,
            Obj::List(_) => NativeId::List,
            Obj::Deque(_) => NativeId::Deque,
            Obj::Tuple(_) => NativeId::Tuple,
            Obj::Dict(_) => NativeId::Dict,
            Obj::Set(_) => NativeId::Set,
            Obj::FrozenSet(_) => NativeId::FrozenSet,
            Obj::Range { .. } => NativeId::Range,
            Obj::Class(_) => NativeId::Type,
            Obj::PlainObject => NativeId::Object,
            Obj::BigInt(_) => NativeId::Int,
            Obj::Property { .. } => NativeId::Property,
            Obj::StaticMethod(_) => NativeId::Staticmethod,
            Obj::ClassMethod(_) => NativeId::Classmethod,
            Obj::Exception(e) => return Ok(Value::ExcType(e.kind)),
            Obj::Generator(_) => NativeId::GeneratorType,
            // stdlib2: `type(event)` is `threading.Event` (the classes of `threading` and
            // `queue`; `Lock()`'s `_thread.lock` has no value in gilvm).
            Obj::Sync(s) => match NativeId::from_str(s.type_name()) {
                Some(n) if ops::is_class(n) => n,
                _ => return Err(unsupported_type(rt, v)),
            },
            _ => return Err(unsupported_type(rt, v)),
        },
        _ => return Err(unsupported_type(rt, v)),
    };
    Ok(Value::Native(n))
}

fn unsupported_type(rt: &Rt, v: Value) -> Throw {
    Throw::type_error(format!(
        "type() of a '{}' object is not supported by gilvm",
        type_name(rt, v)
    ))
}

/// `issubclass(c, of)`.
pub fn issubclass(rt: &Rt, c: Value, of: Value, depth: usize) -> PyResult<bool> {
    if let Value::Obj(id) = of {
        if let Obj::Tuple(items) = rt.heap.get(id) {
            if depth > ops::MAX_NESTING {
                return Err(Throw::new(
                    ExcKind::RecursionError,
                    "maximum recursion depth exceeded in __subclasscheck__",
                ));
            }
            for &o in items.iter() {
                if issubclass(rt, c, o, depth + 1)? {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
    }
    if type_name(rt, of) != "type" {
        return Err(Throw::type_error(
            "issubclass() arg 2 must be a class, a tuple of classes, or a union",
        ));
    }
    match c {
        Value::Obj(id) if matches!(rt.heap.get(id), Obj::Class(_)) => {
            Ok(crate::vm::classes::is_subclass(rt, id, of))
        }
        Value::ExcType(k) => Ok(match of {
            Value::ExcType(o) => k.is_subclass_of(o),
            Value::Native(NativeId::Object) => true,
            _ => false,
        }),
        Value::Native(n) if type_name(rt, c) == "type" => Ok(of == Value::Native(n)
            || of == Value::Native(NativeId::Object)
            || (n == NativeId::Bool && of == Value::Native(NativeId::Int))),
        _ => Err(Throw::type_error("issubclass() arg 1 must be a class")),
    }
}

pub fn isinstance(rt: &Rt, v: Value, cls: Value, depth: usize) -> PyResult<bool> {
    let bad =
        || Throw::type_error("isinstance() arg 2 must be a type, a tuple of types, or a union");
    // `isinstance(x, int | str)`: any member (`None` stands for `NoneType`).
    if let Some(members) = crate::vm::typing_alias::union_members(rt, cls) {
        for m in members {
            let hit = match m {
                Value::None => v == Value::None,
                _ => isinstance(rt, v, m, depth + 1)?,
            };
            if hit {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    if let Some(c) = crate::vm::classes::class_of(rt, v) {
        if let Value::Obj(id) = cls {
            if !matches!(rt.heap.get(id), Obj::Tuple(_)) {
                if !matches!(rt.heap.get(id), Obj::Class(_)) {
                    return Err(bad());
                }
                return Ok(crate::vm::classes::is_subclass(rt, c, cls));
            }
        } else if matches!(cls, Value::Native(_) | Value::ExcType(_)) {
            return Ok(crate::vm::classes::is_subclass(rt, c, cls));
        }
    }
    if cls == Value::Native(NativeId::Object) {
        return Ok(true);
    }
    if let Value::Obj(id) = cls {
        if matches!(rt.heap.get(id), Obj::Class(_)) {
            return Ok(false);
        }
    }
    match cls {
        Value::ExcType(k) => Ok(match v {
            Value::Obj(id) => {
                matches!(rt.heap.get(id), Obj::Exception(e) if e.kind.is_subclass_of(k))
            }
            _ => false,
        }),
        Value::Native(n) if n.is_type() || ops::is_class(n) => {
            let tname = type_name(rt, v);
            Ok(match n {
                NativeId::Int => crate::vm::bigint::is_int(rt, v),
                NativeId::Reversed => tname == "list_reverseiterator",
                _ => tname == n.name(),
            })
        }
        Value::Obj(id) => {
            let Obj::Tuple(items) = rt.heap.get(id) else {
                return Err(bad());
            };
            if depth > ops::MAX_NESTING {
                return Err(Throw::new(
                    ExcKind::RecursionError,
                    "maximum recursion depth exceeded in __instancecheck__",
                ));
            }
            for &c in items.iter() {
                if isinstance(rt, v, c, depth + 1)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => Err(bad()),
    }
}

/// The single positional argument of a one-argument built-in (`len() takes exactly one
/// argument (2 given)`).
pub(crate) fn one(id: NativeId, args: &[Value], kwargs: &Kwargs) -> PyResult<Value> {
    no_kwargs(id, kwargs)?;
    match args {
        [v] => Ok(*v),
        _ => Err(Throw::type_error(format!(
            "{}() takes exactly one argument ({} given)",
            id.name(),
            args.len()
        ))),
    }
}

pub(crate) fn no_kwargs(id: NativeId, kwargs: &Kwargs) -> PyResult<()> {
    if kwargs.is_empty() {
        Ok(())
    } else {
        Err(Throw::type_error(format!(
            "{}() takes no keyword arguments",
            id.name()
        )))
    }
}

fn at_most(id: NativeId, args: &[Value], n: usize) -> PyResult<Option<Value>> {
    if args.len() > n {
        return Err(Throw::type_error(format!(
            "{} expected at most {n} argument{}, got {}",
            id.name(),
            if n == 1 { "" } else { "s" },
            args.len()
        )));
    }
    Ok(args.first().copied())
}

/// Rejects keyword arguments other than `allowed` with Python's message.
pub(crate) fn check_kwargs(fname: &str, kwargs: &Kwargs, allowed: &[&str]) -> PyResult<()> {
    for (k, _) in kwargs {
        if !allowed.contains(k) {
            return Err(Throw::type_error(format!(
                "'{k}' is an invalid keyword argument for {fname}()"
            )));
        }
    }
    Ok(())
}

pub(crate) fn kwarg(kwargs: &Kwargs, name: &str) -> Option<Value> {
    kwargs.iter().find(|(k, _)| *k == name).map(|&(_, v)| v)
}

fn print(rt: &mut Rt, args: &[Value], kwargs: &Kwargs) -> PyResult<Value> {
    check_kwargs("print", kwargs, &["sep", "end", "file", "flush"])?;
    let text_arg = |name: &str, default: &str| -> PyResult<String> {
        match kwarg(kwargs, name) {
            None | Some(Value::None) => Ok(default.to_string()),
            Some(v) => match rt.as_str(v) {
                Some(s) => Ok(s.to_string()),
                None => Err(Throw::type_error(format!(
                    "{name} must be None or a string, not {}",
                    type_name(rt, v)
                ))),
            },
        }
    };
    let sep = text_arg("sep", " ")?;
    let end = text_arg("end", "\n")?;
    let to_stderr = match kwarg(kwargs, "file").filter(|f| !f.is_none()) {
        None | Some(Value::Native(NativeId::SysStdout)) => false,
        Some(Value::Native(NativeId::SysStderr)) => true,
        Some(f) => return Err(print_file_error(rt, f)),
    };
    let mut line = String::new();
    for (i, &a) in args.iter().enumerate() {
        if i > 0 {
            line.push_str(&sep);
        }
        match rt.as_str(a) {
            Some(s) => line.push_str(s),
            None => line.push_str(&str_of(rt, a)?),
        }
    }
    line.push_str(&end);
    if to_stderr {
        crate::vm::numeric::write_stderr(&line);
        return Ok(Value::None);
    }
    // Output errors (a closed pipe) end nothing here: the VM reports them when it flushes.
    let _ = rt.stdout.write_all(line.as_bytes());
    if kwarg(kwargs, "flush").is_some_and(|f| truthy(rt, f)) {
        let _ = rt.stdout.flush();
    }
    Ok(Value::None)
}

/// `print(file=f)` for an `f` that is not `sys.stdout` or `sys.stderr`.
fn print_file_error(rt: &Rt, f: Value) -> Throw {
    Throw::type_error(format!(
        "print(file=...) is not supported by gilvm for a '{}': only sys.stdout and sys.stderr",
        type_name(rt, f)
    ))
}

fn range(rt: &mut Rt, args: &[Value], kwargs: &Kwargs) -> PyResult<Value> {
    if !kwargs.is_empty() {
        return Err(Throw::type_error("range() takes no keyword arguments"));
    }
    let mut ints = [0i64; 3];
    let n = args.len();
    if n == 0 {
        return Err(Throw::type_error(
            "range expected at least 1 argument, got 0",
        ));
    }
    if n > 3 {
        return Err(Throw::type_error(format!(
            "range expected at most 3 arguments, got {n}"
        )));
    }
    // Each argument converted in order, the first bad one raising (no `Vec` of them: a
    // `for` loop calls `range` once per loop).
    for (slot, &a) in ints.iter_mut().zip(args) {
        *slot = expect_index(rt, a)?;
    }
    let (start, stop, step) = match n {
        1 => (0, ints[0], 1),
        2 => (ints[0], ints[1], 1),
        _ => (ints[0], ints[1], ints[2]),
    };
    if step == 0 {
        return Err(Throw::value_error("range() arg 3 must not be zero"));
    }
    rt.alloc(Obj::Range { start, stop, step })
}

fn dict(rt: &mut Rt, args: &[Value], kwargs: &Kwargs) -> PyResult<Value> {
    let mut map = DictMap::default();
    if let Some(src) = at_most(NativeId::Dict, args, 1)? {
        dict_update(rt, &mut map, src)?;
    }
    for &(k, v) in kwargs {
        let key = rt.new_str(k)?;
        dict_insert(&mut map, hash_key(rt, key)?, key, v);
    }
    rt.new_dict(map)
}

/// `dict.fromkeys(iterable, value=None)`: each item a key, all with the one value.
fn dict_fromkeys(rt: &mut Rt, args: &[Value], kwargs: &Kwargs) -> PyResult<Value> {
    if !kwargs.is_empty() {
        return Err(Throw::type_error(
            "dict.fromkeys() takes no keyword arguments",
        ));
    }
    let (src, value) = one_or_two("fromkeys", args)?;
    let value = value.unwrap_or(Value::None);
    let keys = collect_iterable(rt, src)?;
    let mut map = DictMap::default();
    for k in keys {
        let hk = hash_key(rt, k)?;
        rt.heap.charge(72 + hk.inline_bytes())?;
        dict_insert(&mut map, hk, k, value);
    }
    rt.new_dict(map)
}

/// The arguments of a built-in taking one or two (`format`, `dict.fromkeys`), or CPython's
/// error naming `name`.
fn one_or_two(name: &str, args: &[Value]) -> PyResult<(Value, Option<Value>)> {
    match *args {
        [a] => Ok((a, None)),
        [a, b] => Ok((a, Some(b))),
        [] => Err(Throw::type_error(format!(
            "{name} expected at least 1 argument, got 0"
        ))),
        _ => Err(Throw::type_error(format!(
            "{name} expected at most 2 arguments, got {}",
            args.len()
        ))),
    }
}

/// `d.update(src)` / `dict(src)`: from a dict, or from an iterable of key/value pairs.
pub fn dict_update(rt: &mut Rt, map: &mut DictMap, src: Value) -> PyResult<()> {
    if let Value::Obj(id) = src {
        if let Obj::Dict(d) = rt.heap.get(id) {
            let entries: Vec<_> = d.iter().map(|(k, &kv)| (k.clone(), kv)).collect();
            let keys = entries.iter().map(|(k, _)| k.inline_bytes()).sum::<usize>();
            rt.heap
                .charge(entries.len().saturating_mul(72).saturating_add(keys))?;
            for (hk, (k, v)) in entries {
                dict_insert(map, hk, k, v);
            }
            return Ok(());
        }
    }
    let items = collect_iterable(rt, src)?;
    for (i, item) in items.into_iter().enumerate() {
        let pair = match item {
            Value::Obj(_) if get_iter(rt, item).is_ok() => collect_iterable(rt, item)?,
            _ => {
                return Err(Throw::type_error(format!(
                    "cannot convert dictionary update sequence element #{i} to a sequence"
                )))
            }
        };
        let [k, v] = pair[..] else {
            return Err(Throw::value_error(format!(
                "dictionary update sequence element #{i} has length {}; 2 is required",
                pair.len()
            )));
        };
        let hk = hash_key(rt, k)?;
        rt.heap.charge(72 + hk.inline_bytes())?;
        dict_insert(map, hk, k, v);
    }
    Ok(())
}

fn sum(rt: &mut Rt, args: &[Value], kwargs: &Kwargs) -> PyResult<Value> {
    check_kwargs("sum", kwargs, &["start"])?;
    let (iterable, start) = match args {
        [] => {
            return Err(Throw::type_error(
                "sum() takes at least 1 positional argument (0 given)",
            ))
        }
        [it] => (*it, kwarg(kwargs, "start").unwrap_or(Value::Int(0))),
        [it, s] => (*it, *s),
        _ => {
            return Err(Throw::type_error(format!(
                "sum() takes at most 2 arguments ({} given)",
                args.len()
            )))
        }
    };
    if rt.as_str(start).is_some() {
        return Err(Throw::type_error(
            "sum() can't sum strings [use ''.join(seq) instead]",
        ));
    }
    let mut acc = start;
    // One addition: ints and floats directly, anything else (a big int, an overflow, an
    // instance's `__add__`) as `+`.
    macro_rules! add {
        ($x:expr) => {{
            let x = $x;
            acc = match (acc, x) {
                (Value::Int(a), Value::Int(b)) => match a.checked_add(b) {
                    Some(r) => Value::Int(r),
                    None => ops::binary_op(rt, 0, acc, x)?,
                },
                (Value::Float(a), Value::Float(b)) => Value::Float(a + b),
                _ => ops::binary_op(rt, 0, acc, x)?,
            };
        }};
    }
    // kw2: a list or tuple (`sum(args)`) walked by index, not through `iter_next` for each
    // item: the iterator object `get_iter` makes is still made (the same heap slot, the same
    // charge: `Obj::size_estimate` of a `SeqIter`), but nothing else refers to it, so its
    // position need not be kept. The same unit of work per item and one more at the end,
    // each item read from the sequence when reached, and added as the loop below adds it
    // (`binary_op` runs no Python code).
    if let Value::Obj(seq) = iterable {
        if matches!(rt.heap.get(seq), Obj::List(_) | Obj::Tuple(_)) {
            let it = Obj::SeqIter { seq, index: 0 };
            debug_assert_eq!(it.size_estimate(), 48);
            rt.heap.alloc_charging(it, 48)?;
            let mut i = 0;
            loop {
                rt.spend(1)?;
                let x = match rt.heap.get(seq) {
                    Obj::List(v) | Obj::Tuple(v) => v.get(i).copied(),
                    _ => None,
                };
                let Some(x) = x else { return Ok(acc) };
                i += 1;
                add!(x);
            }
        }
    }
    let it = get_iter(rt, iterable)?;
    while let Some(x) = iter_next(rt, it)? {
        add!(x);
    }
    Ok(acc)
}

fn enumerate(rt: &mut Rt, args: &[Value], kwargs: &Kwargs) -> PyResult<Value> {
    check_kwargs("enumerate", kwargs, &["iterable", "start"])?;
    let iterable = args.first().copied().or_else(|| kwarg(kwargs, "iterable"));
    let Some(iterable) = iterable else {
        return Err(Throw::type_error(
            "enumerate() missing required argument 'iterable'",
        ));
    };
    let start = match (args.get(1), kwarg(kwargs, "start")) {
        (Some(&s), _) | (None, Some(s)) => expect_index(rt, s)?,
        (None, None) => 0,
    };
    if args.len() > 2 {
        return Err(Throw::type_error(format!(
            "enumerate() takes at most 2 arguments ({} given)",
            args.len()
        )));
    }
    let iter = get_iter(rt, iterable)?;
    rt.alloc(Obj::Enumerate { iter, count: start })
}

fn zip(rt: &mut Rt, args: &[Value], kwargs: &Kwargs) -> PyResult<Value> {
    check_kwargs("zip", kwargs, &["strict"])?;
    if kwarg(kwargs, "strict").is_some_and(|s| truthy(rt, s)) {
        return Err(Throw::type_error(
            "zip(strict=True) is not supported by gilvm",
        ));
    }
    let mut iters = Vec::with_capacity(args.len());
    for &a in args {
        iters.push(get_iter(rt, a)?);
    }
    rt.alloc(Obj::Zip { iters })
}

#[cfg(test)]
mod tests;
