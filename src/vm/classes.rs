//! Classes made by `class` statements: `__build_class__`, instantiation, attribute lookup
//! through the bases, bound methods and `super()`.
//!
//! A class body runs as a frame like any function (the interpreter loop is never re-entered):
//! `__build_class__` pushes the body's frame with an [`Obj::ClassBody`] as its function, the
//! body's `LOAD_NAME`/`STORE_NAME` use that namespace, and when the body returns the class is
//! made from it (`Vm::finish_class`, called by `RETURN_VALUE`). Instantiation works the same
//! way: `C(…)` pushes `__init__`'s frame with an [`Obj::InitCall`] as its function, and its
//! return value is replaced by the instance.
//!
//! Namespaces are keyed by name id (`Program::names`), so an attribute lookup hashes a `u32`,
//! never a string. Programs that use no classes never reach this module.

use crate::vm::exceptions::ExcKind;
use crate::vm::heap::{AttrMap, ClassObj, ExcObj, Instance, Obj};
use crate::vm::interp::CallDone;
use crate::vm::machine::Vm;
use crate::vm::natives::{AttrSym, MethodId, NativeId, TypeTag};
use crate::vm::value::{ObjId, Value};
use crate::vm::{ops, PyResult, Rt, Throw};

/// Name ids of the names the VM itself looks up on classes (`u32::MAX` when the program never
/// mentions the name, so no class can have it).
#[derive(Clone, Copy, Debug)]
pub struct Dunders {
    pub init: u32,
    pub classcell: u32,
    pub qualname: u32,
    pub run: u32,
    pub str_: u32,
    pub repr: u32,
    pub name: u32,
    pub annotations: u32,
    pub wrapped: u32,
    pub class_: u32,
    pub doc: u32,
    pub mro: u32,
    pub bases: u32,
    pub new: u32,
    pub getattr: u32,
    pub setattr: u32,
    pub delattr: u32,
    pub getattribute: u32,
}

impl Dunders {
    pub fn new(names: &[String]) -> Dunders {
        let id = |n: &str| {
            names
                .iter()
                .position(|x| x == n)
                .map_or(u32::MAX, |i| i as u32)
        };
        Dunders {
            init: id("__init__"),
            classcell: id("__classcell__"),
            qualname: id("__qualname__"),
            run: id("run"),
            str_: id("__str__"),
            repr: id("__repr__"),
            name: id("__name__"),
            annotations: id("__annotations__"),
            wrapped: id("__wrapped__"),
            class_: id("__class__"),
            doc: id("__doc__"),
            mro: id("__mro__"),
            bases: id("__bases__"),
            new: id("__new__"),
            getattr: id("__getattr__"),
            setattr: id("__setattr__"),
            delattr: id("__delattr__"),
            getattribute: id("__getattribute__"),
        }
    }
}

/// The class of an instance (of a `class` statement's class, exceptions included).
pub fn class_of(rt: &Rt, v: Value) -> Option<ObjId> {
    match v {
        Value::Obj(id) => match rt.heap.get(id) {
            Obj::Instance(i) => Some(i.class),
            Obj::Exception(e) => e.class,
            _ => None,
        },
        _ => None,
    }
}

/// `obj` itself when it is a class (`super()` in `__new__` or a class method), else its class.
fn class_or_class_of(rt: &Rt, obj: Value) -> Option<ObjId> {
    match obj {
        Value::Obj(id) if matches!(rt.heap.get(id), Obj::Class(_)) => Some(id),
        _ => class_of(rt, obj),
    }
}

/// Looks `name` up in class `cls` and then its bases, in method resolution order.
pub fn class_lookup(rt: &Rt, cls: ObjId, name: u32) -> Option<Value> {
    let Obj::Class(c) = rt.heap.get(cls) else {
        return None;
    };
    if let Some(v) = c.dict.get(&name) {
        return Some(*v);
    }
    for b in &c.mro {
        if let Obj::Class(bc) = rt.heap.get(*b) {
            if let Some(v) = bc.dict.get(&name) {
                return Some(*v);
            }
        }
    }
    None
}

/// Whether class `cls` is `of` or derives from it (`of` a class, `object`, or a built-in
/// exception class).
pub fn is_subclass(rt: &Rt, cls: ObjId, of: Value) -> bool {
    let Obj::Class(c) = rt.heap.get(cls) else {
        return false;
    };
    match of {
        Value::Native(NativeId::Object) => true,
        Value::Obj(o) => o == cls || c.mro.contains(&o),
        Value::ExcType(k) => {
            matches!(c.builtin_base, Some(Value::ExcType(b)) if b.is_subclass_of(k))
        }
        Value::Native(n) => c.builtin_base == Some(Value::Native(n)),
        _ => false,
    }
}

/// The name of a class object.
pub fn class_name(rt: &Rt, cls: ObjId) -> &str {
    match rt.heap.get(cls) {
        Obj::Class(c) => &c.name,
        _ => "?",
    }
}

/// The qualified name of a class object (`A.B`).
pub fn class_qualname(rt: &Rt, cls: ObjId) -> &str {
    match rt.heap.get(cls) {
        Obj::Class(c) => &c.qualname,
        _ => "?",
    }
}

/// `object`'s own `__new__`, `__setattr__`, `__getattribute__`, `__delattr__` (what a user
/// version calls through `super()` or `object.__xxx__`).
pub fn object_attr(rt: &Rt, name: u32) -> Option<Value> {
    let d = &rt.dunders;
    let id = if name == d.new {
        NativeId::ObjectNew
    } else if name == d.setattr {
        NativeId::ObjectSetattr
    } else if name == d.delattr {
        NativeId::ObjectDelattr
    } else if name == d.init {
        NativeId::ObjectInit
    } else if name != u32::MAX && name == d.getattribute {
        NativeId::ObjectGetattribute
    } else {
        return None;
    };
    Some(Value::Native(id))
}

fn two_builtin_bases() -> Throw {
    Throw::type_error(
        "a class with two unrelated built-in bases (two exception classes, or an exception \
         class and Thread) is not supported by gilvm",
    )
}

/// The special methods gilvm does not call yet: a class defining one is refused when it is
/// made, so no operation silently ignores it. The ones it calls are in `vm::dunder`.
const UNSUPPORTED_DUNDERS: &[&str] = &[
    "__format__",
    "__getattribute__",
    "__del__",
    "__int__",
    "__float__",
    "__index__",
    "__reversed__",
    "__class_getitem__",
    "__init_subclass__",
    "__set_name__",
    "__get__",
    "__set__",
    "__delete__",
    "__missing__",
    "__round__",
    "__aenter__",
    "__aexit__",
    "__await__",
    "__aiter__",
    "__anext__",
];

/// Refuses a special method gilvm does not call yet, where the class body defines it.
pub fn check_class_name(name: &str) -> PyResult<()> {
    if UNSUPPORTED_DUNDERS.contains(&name) {
        return Err(Throw::new(
            ExcKind::NotImplementedError,
            format!("the special method {name} is not supported by gilvm yet"),
        ));
    }
    Ok(())
}

/// A user-defined special method of `v`'s class (`__str__`, `__repr__`), if any.
pub fn user_dunder(rt: &Rt, v: Value, name: u32) -> Option<Value> {
    if name == u32::MAX {
        return None;
    }
    let cls = class_of(rt, v)?;
    class_lookup(rt, cls, name).filter(|f| is_function(rt, *f).is_some())
}

/// Whether `v` is a list, tuple or dict (nested a few levels at most) holding an instance
/// whose class defines `__repr__`.
fn holds_user_repr(rt: &Rt, v: Value, depth: usize) -> bool {
    let Value::Obj(id) = v else { return false };
    let inner = |x: &Value| {
        user_dunder(rt, *x, rt.dunders.repr).is_some() || holds_user_repr(rt, *x, depth + 1)
    };
    if depth > 4 {
        return false;
    }
    match rt.heap.get(id) {
        Obj::List(items) | Obj::Tuple(items) => items.iter().any(inner),
        Obj::Deque(d) => d.items.iter().any(inner),
        Obj::Dict(d) => d.values().any(|(k, x)| inner(k) || inner(x)),
        // `str(KeyError(obj))` is `repr(obj)`; `str(ValueError(obj))` is `str(obj)`.
        Obj::Exception(e) if e.args.len() == 1 && user_dunder(rt, v, rt.dunders.str_).is_none() => {
            let a = e.args[0];
            inner(&a) || user_dunder(rt, a, rt.dunders.str_).is_some()
        }
        _ => false,
    }
}

/// `object.__format__` accepts only an empty spec.
pub fn check_format_spec(rt: &Rt, v: Value, spec: Value) -> PyResult<()> {
    if rt.as_str(spec).is_some_and(|s| !s.is_empty()) {
        return Err(Throw::type_error(format!(
            "unsupported format string passed to {}.__format__",
            ops::type_name(rt, v)
        )));
    }
    Ok(())
}

fn is_function(rt: &Rt, v: Value) -> Option<ObjId> {
    match v {
        Value::Obj(id) if matches!(rt.heap.get(id), Obj::Function(_)) => Some(id),
        _ => None,
    }
}

impl Vm {
    /// The Python function a frame runs, looking through a class body's or an `__init__`
    /// call's marker (for its closure cells).
    pub fn frame_function(&self, func: Value) -> Option<ObjId> {
        let id = match func {
            Value::Obj(id) => id,
            // prop: a property setter's frame (`Vm::enter_accessor`).
            Value::PyMethod(f) => return Some(f),
            _ => return None,
        };
        match self.rt.heap.get(id) {
            Obj::Function(_) => Some(id),
            Obj::ClassBody { func, .. }
            | Obj::InitCall { func, .. }
            | Obj::DunderCall { func, .. } => Some(*func),
            Obj::Generator(g) => match g.func {
                Value::Obj(f) => Some(f),
                _ => None,
            },
            _ => None,
        }
    }

    /// `__build_class__(func, name, *bases)`: runs the class body as a frame whose namespace
    /// becomes the class (`finish_class`).
    pub fn build_class(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
        callee_at: usize,
        kw: &[(&str, Value)],
    ) -> PyResult<CallDone> {
        if !kw.is_empty() {
            return Err(Throw::type_error(
                "class keyword arguments are not supported by gilvm",
            ));
        }
        let args = stack[callee_at + 1..].to_vec();
        let (func, name, bases) = match args.as_slice() {
            [f, n, rest @ ..] => (*f, *n, rest),
            _ => return Err(Throw::type_error("__build_class__: not enough arguments")),
        };
        let Some(func) = is_function(&self.rt, func) else {
            return Err(Throw::type_error(
                "__build_class__: func must be a function",
            ));
        };
        let mut checked = Vec::with_capacity(bases.len());
        for (i, b) in bases.iter().enumerate() {
            if bases[..i].contains(b) {
                return Err(Throw::type_error(format!(
                    "duplicate base class {}",
                    self.base_name(*b)
                )));
            }
            if *b != Value::Native(NativeId::Object) || bases.len() > 1 {
                checked.push(self.check_base(*b)?);
            }
        }
        let body = self.rt.alloc(Obj::ClassBody {
            func,
            name,
            bases: checked.into_boxed_slice(),
            ns: Box::default(),
        })?;
        stack.truncate(callee_at);
        stack.push(Value::Obj(func));
        let done = self.do_call(stack, frames, callee_at, &[])?;
        if let (CallDone::Frame, Some(f)) = (&done, frames.last_mut()) {
            f.func = body;
        }
        Ok(done)
    }

    /// A base's name for messages (`duplicate base class A`).
    fn base_name(&self, b: Value) -> String {
        match b {
            Value::Obj(id) => class_name(&self.rt, id).to_string(),
            Value::ExcType(k) => k.name().to_string(),
            Value::Native(n) => n.name().trim_end().to_string(),
            _ => ops::type_name(&self.rt, b).to_string(),
        }
    }

    fn check_base(&self, b: Value) -> PyResult<Value> {
        match b {
            Value::Obj(id) if matches!(self.rt.heap.get(id), Obj::Class(_)) => Ok(b),
            Value::ExcType(_) | Value::Native(NativeId::Thread | NativeId::Object) => Ok(b),
            Value::Native(n) if n.is_type() || ops::is_class(n) => Err(Throw::type_error(format!(
                "subclassing the built-in '{}' is not supported by gilvm",
                n.name().trim_end()
            ))),
            _ => Err(Throw::type_error(format!(
                "a class base must be a class, not '{}'",
                ops::type_name(&self.rt, b)
            ))),
        }
    }

    /// The class body `body` returned `ret` (its `__class__` cell, or None): makes the class.
    pub fn finish_class(&mut self, body: ObjId, ret: Value) -> PyResult<Value> {
        let (name, bases, mut ns) = match self.rt.heap.get_mut(body) {
            Obj::ClassBody {
                name, bases, ns, ..
            } => (
                *name,
                std::mem::take(bases).into_vec(),
                std::mem::take(&mut **ns),
            ),
            _ => return Err(Throw::type_error("not a class body")),
        };
        let name = self.rt.as_str(name).unwrap_or("?").to_string();
        let qualname = ns
            .get(&self.rt.dunders.qualname)
            .and_then(|q| self.rt.as_str(*q))
            .map_or_else(|| name.clone(), str::to_string);
        let mro = self.c3_mro(&bases)?;
        let builtin_base = self.common_builtin_base(&bases)?;
        if ns.contains_key(&self.rt.dunders.str_) || ns.contains_key(&self.rt.dunders.repr) {
            self.rt.str_dunders = true;
        }
        let d = self.rt.dunders;
        // classes2: `__enter__` and `__exit__` alone do not count: only `with` calls them,
        // and it looks for them on every instance whatever the flag says (the prelude's
        // `concurrent.futures` defines them, and would otherwise put every program that
        // imports it on the slow path for attributes, subscripts and built-in calls).
        let (enter, exit) = (self.rt.special.enter, self.rt.special.exit);
        if ns.keys().any(|k| {
            (self.rt.special.is_special(*k) && *k != enter && *k != exit)
                || [d.new, d.getattr, d.setattr, d.delattr].contains(k)
        }) {
            self.rt.user_dunders = true;
        }
        if ns.keys().any(|k| self.rt.special.is_item_special(*k)) {
            self.rt.item_dunders = true;
        }
        if ns.contains_key(&d.getattr) || ns.contains_key(&d.setattr) {
            self.rt.attr_hooks = true;
        }
        let cell = ns.shift_remove(&self.rt.dunders.classcell);
        let cls = self.rt.alloc(Obj::Class(Box::new(ClassObj {
            name,
            qualname,
            bases,
            mro,
            builtin_base,
            dict: ns,
            dataclass: None,
            attr_check: Default::default(),
            prop_names: Default::default(),
        })))?;
        // mcache: a new class may take a freed class's id; the per-site caches
        // (`vm/mcache.rs`), keyed by class id and epoch, must not take it for the old one.
        self.rt.class_epoch += 1;
        let cell = cell.or(match ret {
            Value::Obj(_) => Some(ret),
            _ => None,
        });
        if let Some(Value::Obj(c)) = cell {
            if let Obj::Cell { value, .. } = self.rt.heap.get_mut(c) {
                *value = cls;
            }
        }
        Ok(cls)
    }

    /// `C(…)`: a new instance, then its `__init__` (as a frame) if the class has one.
    pub fn instantiate(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
        callee_at: usize,
        kw: &[(&str, Value)],
    ) -> PyResult<CallDone> {
        let Value::Obj(cls) = stack[callee_at] else {
            return Err(Throw::type_error("not a class"));
        };
        if let Some(new) = self.user_new(cls) {
            return self.call_new(stack, frames, callee_at, kw, cls, new);
        }
        let init = class_lookup(&self.rt, cls, self.rt.dunders.init);
        let exc_base = match self.rt.heap.get(cls) {
            Obj::Class(c) => match c.builtin_base {
                Some(Value::ExcType(k)) => Some(k),
                _ => None,
            },
            _ => None,
        };
        let inst = match exc_base {
            // BaseException.__new__: `args` are the positional arguments of the call.
            Some(kind) => {
                let npos = stack.len() - callee_at - 1 - kw.len();
                if init.is_none() && !kw.is_empty() {
                    return Err(Throw::type_error(format!(
                        "{}() takes no keyword arguments",
                        class_name(&self.rt, cls)
                    )));
                }
                let args = &stack[callee_at + 1..callee_at + 1 + npos];
                self.rt.alloc(Obj::Exception(Box::new(ExcObj {
                    kind,
                    args: crate::vm::heap::ExcArgs::from_slice(args),
                    traceback: Default::default(),
                    cause: None,
                    context: None,
                    class: Some(cls),
                    attrs: AttrMap::default(),
                })))?
            }
            None => self.rt.alloc(Obj::Instance(Instance {
                class: cls,
                attrs: Default::default(),
                base_obj: None,
            }))?,
        };
        let thread_base = matches!(self.rt.heap.get(cls),
            Obj::Class(c) if c.builtin_base == Some(Value::Native(NativeId::Thread)));
        if self.rt.any_dataclass && exc_base.is_none() {
            if let Some(dc) = self.dataclass_init_of(cls) {
                return self.dataclass_init(stack, frames, callee_at, dc, inst, kw);
            }
        }
        match init {
            None if exc_base.is_some() => {
                stack.truncate(callee_at);
                stack.push(inst);
                Ok(CallDone::Value)
            }
            None if thread_base => {
                let npos = stack.len() - callee_at - 1 - kw.len();
                let args = stack[callee_at + 1..callee_at + 1 + npos].to_vec();
                let kw_owned: Vec<(String, Value)> =
                    kw.iter().map(|(k, v)| (k.to_string(), *v)).collect();
                let kw: Vec<(&str, Value)> =
                    kw_owned.iter().map(|(k, v)| (k.as_str(), *v)).collect();
                self.thread_init(inst, &args, &kw)?;
                stack.truncate(callee_at);
                stack.push(inst);
                Ok(CallDone::Value)
            }
            None => {
                if stack.len() > callee_at + 1 {
                    return Err(Throw::type_error(format!(
                        "{}() takes no arguments",
                        class_name(&self.rt, cls)
                    )));
                }
                stack.truncate(callee_at);
                stack.push(inst);
                Ok(CallDone::Value)
            }
            Some(f) => {
                let Some(func) = is_function(&self.rt, f) else {
                    return Err(Throw::type_error(
                        "an __init__ that is not a function is not supported by gilvm",
                    ));
                };
                stack[callee_at] = f;
                stack.insert(callee_at + 1, inst);
                let done = self.do_call(stack, frames, callee_at, kw)?;
                if let CallDone::Frame = done {
                    let marker = self.rt.alloc(Obj::InitCall {
                        func,
                        inst,
                        raise_it: None,
                    })?;
                    if let Some(fr) = frames.last_mut() {
                        fr.func = marker;
                    }
                }
                Ok(done)
            }
        }
    }

    /// `print`, `str`, `repr` and `format` on an instance whose class defines `__str__` or
    /// `__repr__`: a call of that method (or of a prelude function that calls `str()`),
    /// instead of the built-in. `None` when no argument needs it.
    pub fn dunder_builtin(
        &mut self,
        id: NativeId,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Option<crate::vm::call::Outcome>> {
        use crate::vm::call::Outcome;
        let d = self.rt.dunders;
        let str_or_repr = |rt: &Rt, v: Value| {
            user_dunder(rt, v, d.str_)
                .or_else(|| user_dunder(rt, v, d.repr))
                .or_else(|| holds_user_repr(rt, v, 0).then_some(Value::None))
        };
        if let (NativeId::Str, [Value::Obj(e)], []) = (id, args, kw) {
            // An exception whose one argument has a `__repr__`/`__str__` of its own.
            if let Obj::Exception(ex) = self.rt.heap.get(*e) {
                if ex.args.len() == 1 && holds_user_repr(&self.rt, args[0], 0) {
                    let conv = if ex.kind == crate::vm::exceptions::ExcKind::KeyError {
                        NativeId::Repr
                    } else {
                        NativeId::Str
                    };
                    return Ok(Some(Outcome::Call(Value::Native(conv), vec![ex.args[0]])));
                }
            }
        }
        if let (NativeId::Str | NativeId::Repr, [v], []) = (id, args, kw) {
            if user_dunder(&self.rt, *v, d.str_).is_none() || id == NativeId::Repr {
                if let Some(out) = self.repr_container(*v)? {
                    return Ok(Some(out));
                }
            }
        }
        Ok(match (id, args) {
            (NativeId::Str, [v]) if kw.is_empty() => {
                str_or_repr(&self.rt, *v).map(|f| Outcome::Call(f, vec![*v]))
            }
            (NativeId::Repr, [v]) if kw.is_empty() => {
                user_dunder(&self.rt, *v, d.repr).map(|f| Outcome::Call(f, vec![*v]))
            }
            (NativeId::Print, _)
                if kw.iter().all(|(k, v)| {
                    matches!(*k, "sep" | "end" | "flush")
                        || (*k == "file"
                            && matches!(
                                v,
                                Value::None
                                    | Value::Native(NativeId::SysStdout | NativeId::SysStderr)
                            ))
                }) && args.iter().any(|v| str_or_repr(&self.rt, *v).is_some()) =>
            {
                let get = |name: &str| {
                    kw.iter()
                        .find(|(k, _)| *k == name)
                        .map_or(Value::None, |(_, v)| *v)
                };
                let (sep, end) = (get("sep"), get("end"));
                let tuple = self.rt.new_tuple(args.to_vec())?;
                let f = self.prelude_function(crate::vm::prelude::PreludeFn::PrintObjects)?;
                let printer = if get("file") == Value::Native(NativeId::SysStderr) {
                    Value::Native(NativeId::PrintPartsErr)
                } else {
                    Value::Native(NativeId::PrintParts)
                };
                Some(Outcome::Call(f, vec![printer, tuple, sep, end]))
            }
            (NativeId::Format, [v, rest @ ..]) if kw.is_empty() && rest.len() <= 1 => {
                if str_or_repr(&self.rt, *v).is_some() {
                    let spec = match rest.first() {
                        Some(s) => *s,
                        None => self.rt.new_str("")?,
                    };
                    check_format_spec(&self.rt, *v, spec)?;
                    // format(x, spec) is x.__format__(spec): no !r conversion.
                    let f = self.prelude_function(crate::vm::prelude::PreludeFn::FormatObject)?;
                    Some(Outcome::Call(f, vec![*v, Value::Bool(false), spec]))
                } else {
                    None
                }
            }
            _ => None,
        })
    }

    /// `repr()` (and `str()`) of a list, tuple or dict holding an instance whose class defines
    /// `__repr__`: the prelude's `repr_container`, whose `repr()` of each item calls it.
    fn repr_container(&mut self, v: Value) -> PyResult<Option<crate::vm::call::Outcome>> {
        let Value::Obj(id) = v else { return Ok(None) };
        if !holds_user_repr(&self.rt, v, 0) {
            return Ok(None);
        }
        let (is_dict, left, right): (bool, &str, String) = match self.rt.heap.get(id) {
            Obj::List(_) => (false, "[", "]".into()),
            Obj::Tuple(t) if t.len() == 1 => (false, "(", ",)".into()),
            Obj::Tuple(_) => (false, "(", ")".into()),
            Obj::Dict(_) => (true, "{", "}".into()),
            Obj::Deque(_) => {
                let (l, r) = crate::vm::deque::repr_ends(&self.rt, id);
                (false, l, r)
            }
            _ => return Ok(None),
        };
        let f = self.prelude_function(crate::vm::prelude::PreludeFn::ReprContainer)?;
        let mut args = vec![v, Value::Bool(is_dict)];
        for s in [left, right.as_str(), ", ", ": "] {
            args.push(self.rt.new_str(s)?);
        }
        Ok(Some(crate::vm::call::Outcome::Call(f, args)))
    }

    /// `raise C` with a class: an instance made without arguments (CPython calls the class;
    /// one with its own `__init__` would need a frame here).
    pub fn raise_class(&mut self, cls: ObjId) -> PyResult<ObjId> {
        let kind = match self.rt.heap.get(cls) {
            Obj::Class(c) => match c.builtin_base {
                Some(Value::ExcType(k)) => k,
                _ => {
                    return Err(Throw::type_error(
                        "exceptions must derive from BaseException",
                    ))
                }
            },
            _ => {
                return Err(Throw::type_error(
                    "exceptions must derive from BaseException",
                ))
            }
        };
        Ok(self.rt.heap.alloc(Obj::Exception(Box::new(ExcObj {
            kind,
            args: Default::default(),
            traceback: Default::default(),
            cause: None,
            context: None,
            class: Some(cls),
            attrs: AttrMap::default(),
        })))?)
    }

    /// `Thread.__init__(self, …)` for an instance of a `Thread` subclass: makes the thread
    /// object behind it; `start()` then runs the subclass's `run` (bound to the instance) in
    /// the new thread, or the `target` when the subclass keeps `Thread.run`.
    pub fn thread_init(
        &mut self,
        inst: Value,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Value> {
        let Some(cls) = class_of(&self.rt, inst) else {
            return Err(Throw::type_error(
                "Thread.__init__() needs a Thread instance",
            ));
        };
        let t = self.new_thread_object(args, kw)?;
        let Value::Obj(tid) = t else {
            return Err(Throw::type_error("Thread.__init__() failed"));
        };
        if let Some(run) = class_lookup(&self.rt, cls, self.rt.dunders.run) {
            if is_function(&self.rt, run).is_some() {
                let bound = self.rt.alloc(Obj::BoundPyMethod {
                    func: run,
                    recv: inst,
                })?;
                if let Obj::Sync(crate::vm::sync::SyncObj::Thread(th)) = self.rt.heap.get_mut(tid) {
                    th.target = bound;
                    th.args = Vec::new();
                    th.kwargs = None;
                }
            }
        }
        if let Value::Obj(i) = inst {
            if let Obj::Instance(i) = self.rt.heap.get_mut(i) {
                i.base_obj = Some(tid);
            }
        }
        Ok(Value::None)
    }

    /// `BaseException.__init__(self, *args)` (through `super().__init__(…)`): sets `args`.
    pub fn exception_init(
        &mut self,
        recv: Value,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Value> {
        if !kw.is_empty() {
            return Err(Throw::type_error(format!(
                "{}() takes no keyword arguments",
                ops::type_name(&self.rt, recv)
            )));
        }
        if let Value::Obj(id) = recv {
            if let Obj::Exception(e) = self.rt.heap.get_mut(id) {
                e.args = crate::vm::heap::ExcArgs::from_slice(args);
            }
        }
        Ok(Value::None)
    }

    /// The method resolution order after a class with these bases: Python's C3
    /// linearization (each base's own order merged, keeping every class before its bases
    /// and the bases in the order written), over the classes made by `class` statements.
    fn c3_mro(&self, bases: &[Value]) -> PyResult<Vec<ObjId>> {
        let mut seqs: Vec<Vec<ObjId>> = Vec::new();
        for b in bases {
            if let Value::Obj(id) = b {
                if let Obj::Class(c) = self.rt.heap.get(*id) {
                    let mut l = vec![*id];
                    l.extend_from_slice(&c.mro);
                    seqs.push(l);
                }
            }
        }
        let direct: Vec<ObjId> = seqs.iter().map(|s| s[0]).collect();
        seqs.push(direct);
        let mut out = Vec::new();
        loop {
            seqs.retain(|s| !s.is_empty());
            if seqs.is_empty() {
                return Ok(out);
            }
            // The first head that is in no other sequence's tail.
            let head = seqs
                .iter()
                .map(|s| s[0])
                .find(|h| !seqs.iter().any(|s| s[1..].contains(h)));
            let Some(head) = head else {
                let names: Vec<String> = bases.iter().map(|b| self.base_name(*b)).collect();
                return Err(Throw::type_error(format!(
                    "Cannot create a consistent method resolution\norder (MRO) for bases {}",
                    names.join(", ")
                )));
            };
            out.push(head);
            for s in &mut seqs {
                if s[0] == head {
                    s.remove(0);
                }
            }
        }
    }

    /// The built-in class the new class's instances are made as (`Exception`, `Thread`), if
    /// any base has one; two different ones cannot be combined, as in CPython.
    fn common_builtin_base(&self, bases: &[Value]) -> PyResult<Option<Value>> {
        let mut found: Option<Value> = None;
        for b in bases {
            let bb = match b {
                Value::Obj(id) => match self.rt.heap.get(*id) {
                    Obj::Class(c) => c.builtin_base,
                    _ => None,
                },
                Value::Native(NativeId::Object) => None,
                other => Some(*other),
            };
            match (found, bb) {
                (_, None) => {}
                (None, Some(x)) => found = Some(x),
                (Some(Value::ExcType(a)), Some(Value::ExcType(b))) => {
                    // The more derived exception class wins; unrelated ones conflict.
                    if b.is_subclass_of(a) {
                        found = Some(Value::ExcType(b));
                    } else if !a.is_subclass_of(b) {
                        return Err(two_builtin_bases());
                    }
                }
                (Some(x), Some(y)) if x == y => {}
                _ => return Err(two_builtin_bases()),
            }
        }
        Ok(found)
    }

    /// `__init__` returned `ret`: the call's value is the instance.
    pub fn finish_init(&self, marker: ObjId, ret: Value) -> PyResult<Value> {
        let Obj::InitCall { inst, .. } = self.rt.heap.get(marker) else {
            return Ok(ret);
        };
        if ret != Value::None {
            return Err(Throw::type_error(format!(
                "__init__() should return None, not '{}'",
                ops::type_name(&self.rt, ret)
            )));
        }
        Ok(*inst)
    }

    /// `super()` without arguments: the calling method's `__class__` cell and first argument;
    /// `super(C, obj)` with them.
    pub fn new_super(
        &mut self,
        stack: &[Value],
        frames: &crate::vm::thread::Frames,
        args: &[Value],
    ) -> PyResult<Value> {
        let (class, obj) = match args {
            [] => {
                let runtime = |m: &str| Throw::new(ExcKind::RuntimeError, m.to_string());
                let fr = frames
                    .last()
                    .ok_or_else(|| runtime("super(): no arguments"))?;
                let prog = self.prog.clone();
                let code = &prog.codes[fr.code as usize];
                if code.argcount == 0 {
                    return Err(runtime("super(): no arguments"));
                }
                let base = fr.base as usize;
                let mut first = stack[base];
                if code.cellvars.iter().any(|c| *c == code.varnames[0]) {
                    if let Value::Obj(c) = first {
                        if let Obj::Cell { value, .. } = self.rt.heap.get(c) {
                            first = *value;
                        }
                    }
                }
                let Some(i) = code.freevars.iter().position(|n| n == "__class__") else {
                    return Err(runtime("super(): __class__ cell not found"));
                };
                let slot = base + code.nlocalsplus() - code.freevars.len() + i;
                let class = match stack.get(slot) {
                    Some(Value::Obj(c)) => match self.rt.heap.get(*c) {
                        Obj::Cell { value, .. } => *value,
                        _ => Value::Undef,
                    },
                    _ => Value::Undef,
                };
                (class, first)
            }
            [c, o] => (*c, *o),
            _ => {
                return Err(Throw::type_error(
                    "super() with one argument is not supported by gilvm",
                ))
            }
        };
        let Value::Obj(class) = class else {
            return Err(Throw::new(
                ExcKind::RuntimeError,
                "super(): empty __class__ cell",
            ));
        };
        if !matches!(self.rt.heap.get(class), Obj::Class(_)) {
            return Err(Throw::type_error("super() argument 1 must be a type"));
        }
        let ok = class_or_class_of(&self.rt, obj)
            .is_some_and(|c| is_subclass(&self.rt, c, Value::Obj(class)));
        if !ok {
            return Err(Throw::type_error(
                "super(type, obj): obj must be an instance or subtype of type",
            ));
        }
        self.rt.alloc(Obj::Super { class, obj })
    }

    /// Looks `name` up for `super()`: in the classes after `class` in the MRO of `obj`'s class.
    /// `object.__init__` is found at the end of every chain.
    pub fn super_lookup(&self, class: ObjId, obj: Value, name: u32) -> Option<Value> {
        let cls = class_or_class_of(&self.rt, obj)?;
        let Obj::Class(c) = self.rt.heap.get(cls) else {
            return None;
        };
        // The chain `cls, *mro` walked in place (collected into a `Vec` first, each
        // `super().__init__(…)` allocated one).
        let mut chain = std::iter::once(cls).chain(c.mro.iter().copied());
        chain.position(|k| k == class)?;
        for b in chain {
            if let Obj::Class(bc) = self.rt.heap.get(b) {
                if let Some(v) = bc.dict.get(&name) {
                    return Some(*v);
                }
            }
        }
        if name == self.rt.dunders.init {
            match c.builtin_base {
                Some(Value::ExcType(_)) => {
                    return Some(Value::Method(MethodId {
                        ty: TypeTag::Exception,
                        attr: AttrSym::dunder_init,
                    }))
                }
                Some(Value::Native(NativeId::Thread)) => {
                    return Some(Value::Method(MethodId {
                        ty: TypeTag::Thread,
                        attr: AttrSym::dunder_init,
                    }))
                }
                _ => {}
            }
            return Some(Value::Native(NativeId::ObjectInit));
        }
        object_attr(&self.rt, name)
    }

    /// `LOAD_ATTR` / `LOAD_METHOD` on an instance, a class or a `super()` object. `Ok(None)`
    /// when `obj` is none of them. With `method`, a function found on the class comes back as
    /// the `(PyMethod marker, receiver)` pair `CALL` expects; otherwise it is bound.
    pub fn class_attr(
        &mut self,
        obj: Value,
        name: u32,
        method: bool,
    ) -> PyResult<Option<(Value, Option<Value>)>> {
        let Value::Obj(id) = obj else { return Ok(None) };
        let bind = |vm: &mut Vm, f: Value, recv: Value| -> PyResult<(Value, Option<Value>)> {
            if let Some(cls) = class_of(&vm.rt, recv) {
                if let Some(r) = vm.unwrap_class_value(f, cls, method)? {
                    return Ok(r);
                }
            }
            match is_function(&vm.rt, f) {
                Some(fid) if method => Ok((Value::PyMethod(fid), Some(recv))),
                Some(_) => Ok((vm.rt.alloc(Obj::BoundPyMethod { func: f, recv })?, None)),
                None => Ok((f, None)),
            }
        };
        match self.rt.heap.get(id) {
            Obj::Instance(inst) => {
                if let Some(v) = inst.attrs.get(&name) {
                    return Ok(Some((*v, None)));
                }
                let (cls, base_obj) = (inst.class, inst.base_obj);
                match class_lookup(&self.rt, cls, name) {
                    Some(f) => bind(self, f, obj).map(Some),
                    None => {
                        if let Some(r) = self.base_attr(cls, base_obj, name, method)? {
                            return Ok(Some(r));
                        }
                        let prog = self.prog.clone();
                        Err(Throw::new(
                            ExcKind::AttributeError,
                            format!(
                                "'{}' object has no attribute '{}'",
                                class_name(&self.rt, cls),
                                prog.names[name as usize]
                            ),
                        ))
                    }
                }
            }
            Obj::Exception(e) => {
                if let Some(v) = e.attrs.get(&name) {
                    return Ok(Some((*v, None)));
                }
                let Some(cls) = e.class else { return Ok(None) };
                if self.attr_of[name as usize] == Some(AttrSym::args) {
                    return Ok(None);
                }
                if matches!(
                    self.attr_of[name as usize],
                    Some(
                        AttrSym::dunder_cause
                            | AttrSym::dunder_context
                            | AttrSym::dunder_suppress_context
                    )
                ) && class_lookup(&self.rt, cls, name).is_none()
                {
                    return Ok(None);
                }
                match class_lookup(&self.rt, cls, name) {
                    Some(f) => bind(self, f, obj).map(Some),
                    None => {
                        let prog = self.prog.clone();
                        Err(Throw::new(
                            ExcKind::AttributeError,
                            format!(
                                "'{}' object has no attribute '{}'",
                                class_name(&self.rt, cls),
                                prog.names[name as usize]
                            ),
                        ))
                    }
                }
            }
            Obj::Class(c) => {
                if name == self.rt.dunders.name {
                    let n = c.name.clone();
                    return self.rt.new_str(n).map(|v| Some((v, None)));
                }
                if name == self.rt.dunders.mro || name == self.rt.dunders.bases {
                    let items = if name == self.rt.dunders.mro {
                        let mut v = vec![obj];
                        v.extend(c.mro.iter().map(|b| Value::Obj(*b)));
                        let mut k = c.builtin_base;
                        while let Some(b) = k {
                            v.push(b);
                            k = match b {
                                Value::ExcType(e) if e.parent() != e => {
                                    Some(Value::ExcType(e.parent()))
                                }
                                _ => None,
                            };
                        }
                        v.push(Value::Native(NativeId::Object));
                        v
                    } else if c.bases.is_empty() {
                        vec![Value::Native(NativeId::Object)]
                    } else {
                        c.bases.clone()
                    };
                    return self.rt.alloc(Obj::Tuple(items)).map(|v| Some((v, None)));
                }
                match class_lookup(&self.rt, id, name) {
                    Some(v) => match self.unwrap_class_value(v, id, method)? {
                        Some(r) => Ok(Some(r)),
                        None => Ok(Some((v, None))),
                    },
                    None => {
                        let prog = self.prog.clone();
                        Err(Throw::new(
                            ExcKind::AttributeError,
                            format!(
                                "type object '{}' has no attribute '{}'",
                                class_name(&self.rt, id),
                                prog.names[name as usize]
                            ),
                        ))
                    }
                }
            }
            Obj::Super { class, obj: recv } => {
                let (class, recv) = (*class, *recv);
                match self.super_lookup(class, recv, name) {
                    // `object.__setattr__` & co. bound to the receiver.
                    Some(Value::Native(
                        n @ (NativeId::ObjectSetattr
                        | NativeId::ObjectDelattr
                        | NativeId::ObjectGetattribute),
                    )) => Ok(Some((
                        self.rt.alloc(Obj::Partial {
                            func: Value::Native(n),
                            args: vec![recv],
                            kw: Vec::new(),
                        })?,
                        None,
                    ))),
                    Some(Value::Native(n)) => Ok(Some((Value::Native(n), None))),
                    Some(Value::Method(m)) if method => Ok(Some((Value::Method(m), Some(recv)))),
                    Some(Value::Method(m)) => Ok(Some((
                        self.rt.alloc(Obj::BoundMethod { recv, method: m })?,
                        None,
                    ))),
                    Some(f) => bind(self, f, recv).map(Some),
                    None => {
                        let prog = self.prog.clone();
                        Err(Throw::new(
                            ExcKind::AttributeError,
                            format!(
                                "'super' object has no attribute '{}'",
                                prog.names[name as usize]
                            ),
                        ))
                    }
                }
            }
            _ => Ok(None),
        }
    }

    /// An attribute of the built-in object behind an instance (a `Thread` subclass's
    /// `start`, `join`, `name`, …).
    fn base_attr(
        &mut self,
        cls: ObjId,
        base_obj: Option<ObjId>,
        name: u32,
        method: bool,
    ) -> PyResult<Option<(Value, Option<Value>)>> {
        let Some(attr) = self.attr_of[name as usize] else {
            return Ok(None);
        };
        let Some(b) = base_obj else {
            let thread = matches!(self.rt.heap.get(cls),
                Obj::Class(c) if c.builtin_base == Some(Value::Native(NativeId::Thread)));
            if thread && crate::vm::sync::SyncObj::thread_has_attr(attr) {
                return Err(Throw::new(
                    ExcKind::RuntimeError,
                    "thread.__init__() not called",
                ));
            }
            return Ok(None);
        };
        if let Some(m) = self.sync_lookup(b, attr) {
            let recv = Value::Obj(b);
            if method {
                return Ok(Some((Value::Method(m), Some(recv))));
            }
            let bm = self.rt.alloc(Obj::BoundMethod { recv, method: m })?;
            return Ok(Some((bm, None)));
        }
        Ok(self.sync_attr(b, attr)?.map(|v| (v, None)))
    }

    /// `STORE_ATTR` on an instance or a class; false when `obj` is neither.
    pub fn class_store_attr(&mut self, obj: Value, name: u32, v: Value) -> PyResult<bool> {
        let Value::Obj(id) = obj else {
            return Ok(false);
        };
        if let Obj::Instance(Instance {
            base_obj: Some(b), ..
        }) = self.rt.heap.get(id)
        {
            let b = *b;
            if let Some(attr) = self.attr_of[name as usize] {
                if self.sync_store_attr(b, attr, v)? {
                    return Ok(true);
                }
            }
        }
        // stdlib: `C.__name__ = …` / `C.__qualname__ = …` rename the class, as in Python
        // (`collections.namedtuple` names the class it makes this way).
        let d = self.rt.dunders;
        if (name == d.name || name == d.qualname) && matches!(self.rt.heap.get(id), Obj::Class(_)) {
            let Value::Obj(s) = v else {
                return Err(Throw::type_error("can only assign string to __name__"));
            };
            let Obj::Str(s) = self.rt.heap.get(s) else {
                return Err(Throw::type_error("can only assign string to __name__"));
            };
            let s = s.to_string();
            if let Obj::Class(c) = self.rt.heap.get_mut(id) {
                if name == d.name {
                    c.name = s;
                } else {
                    c.qualname = s;
                }
            }
            return Ok(true);
        }
        if self.attr_of[name as usize] == Some(AttrSym::args)
            && matches!(self.rt.heap.get(id), Obj::Exception(_))
            && !matches!(v, Value::Obj(o) if matches!(self.rt.heap.get(o), Obj::Generator(_)))
        {
            // `e.args = x` stores `tuple(x)`, as CPython's `BaseException.args` setter does,
            // so `str(e)` and `repr(e)` show it. (A generator, which only the VM can run, is
            // kept as an attribute as before.)
            let items = crate::vm::ops::collect_iterable(&mut self.rt, v)?;
            if let Obj::Exception(e) = self.rt.heap.get_mut(id) {
                e.attrs.shift_remove(&name);
                e.args = items.into_iter().collect();
            }
            return Ok(true);
        }
        Ok(match self.rt.heap.get_mut(id) {
            Obj::Instance(inst) => {
                match inst.attrs.get_mut(&name) {
                    Some(slot) => *slot = v,
                    None => inst.attrs.push_new(name, v),
                }
                true
            }
            Obj::Class(c) => {
                c.dict.insert(name, v);
                self.rt.class_epoch += 1;
                if name == self.rt.dunders.getattr || name == self.rt.dunders.setattr {
                    // `C.__getattr__ = f` after the class was made: looked for from now on.
                    self.rt.attr_hooks = true;
                    self.rt.user_dunders = true;
                }
                // `C.__add__ = f`, `C.__eq__ = f`: as if the class had defined it.
                if self.rt.special.is_special(name) {
                    self.rt.user_dunders = true;
                }
                if self.rt.special.is_item_special(name) {
                    self.rt.item_dunders = true;
                }
                true
            }
            Obj::Exception(e) => {
                e.attrs.insert(name, v);
                true
            }
            _ => false,
        })
    }
}
