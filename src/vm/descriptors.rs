//! `property`, `staticmethod`, `classmethod`, `getattr`/`setattr`/`hasattr`/`delattr`,
//! `object()`, and `functools.partial`/`wraps`/`reduce`: the built-ins that make classes and
//! decorators work.
//!
//! A property's accessors are Python functions: reading `obj.x` pushes a call of its getter
//! (`Vm::descriptor_get`, used by `LOAD_ATTR`, `LOAD_METHOD` and `getattr`) instead of
//! re-entering the interpreter, as `vm::dunder` does for special methods.

use crate::vm::call::Outcome;
use crate::vm::classes::{class_lookup, class_name, class_of};
use crate::vm::dunder::Then;
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::natives::{AttrSym, MethodId, NativeId, TypeTag};
use crate::vm::ops;
use crate::vm::prelude::PreludeFn;
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Throw};

/// Which accessor of a property an operation needs.
#[derive(Clone, Copy)]
pub(crate) enum Access {
    Get,
    Set,
    Delete,
}

impl Vm {
    /// The property `name` of instance `obj`'s class, if it has one.
    fn property_of(&self, obj: Value, name: u32) -> Option<(ObjId, ObjId)> {
        if !self.rt.user_dunders {
            return None;
        }
        let Value::Obj(id) = obj else { return None };
        let Obj::Instance(inst) = self.rt.heap.get(id) else {
            return None;
        };
        match class_lookup(&self.rt, inst.class, name)? {
            Value::Obj(p) if matches!(self.rt.heap.get(p), Obj::Property { .. }) => {
                Some((inst.class, p))
            }
            _ => None,
        }
    }

    pub(crate) fn accessor(
        &self,
        obj: Value,
        name: u32,
        access: Access,
    ) -> PyResult<Option<Value>> {
        let Some((cls, p)) = self.property_of(obj, name) else {
            return Ok(None);
        };
        let Obj::Property { fget, fset, fdel } = self.rt.heap.get(p) else {
            return Ok(None);
        };
        let (f, what) = match access {
            Access::Get => (*fget, "getter"),
            Access::Set => (*fset, "setter"),
            Access::Delete => (*fdel, "deleter"),
        };
        if f == Value::None {
            return Err(Throw::new(
                ExcKind::AttributeError,
                format!(
                    "property '{}' of '{}' object has no {what}",
                    self.prog.names[name as usize],
                    class_name(&self.rt, cls)
                ),
            ));
        }
        Ok(Some(f))
    }

    /// `obj.name` where `name` is a property of `obj`'s class: its getter and arguments.
    pub fn descriptor_get(&self, obj: Value, name: u32) -> PyResult<Option<(Value, [Value; 1])>> {
        Ok(self.accessor(obj, name, Access::Get)?.map(|f| (f, [obj])))
    }

    /// `obj.name = v` for a property: its setter and arguments.
    pub fn descriptor_set(
        &self,
        obj: Value,
        name: u32,
        v: Value,
    ) -> PyResult<Option<(Value, [Value; 2])>> {
        Ok(self
            .accessor(obj, name, Access::Set)?
            .map(|f| (f, [obj, v])))
    }

    /// `del obj.name` for a property: its deleter and arguments.
    pub fn descriptor_delete(
        &self,
        obj: Value,
        name: u32,
    ) -> PyResult<Option<(Value, [Value; 1])>> {
        Ok(self
            .accessor(obj, name, Access::Delete)?
            .map(|f| (f, [obj])))
    }

    /// A value found on a class, as `cls.name` or `instance.name` gives it: a static method's
    /// function, a class method bound to the class (`method`: as the `LOAD_METHOD` pair).
    pub fn unwrap_class_value(
        &mut self,
        v: Value,
        cls: ObjId,
        method: bool,
    ) -> PyResult<Option<(Value, Option<Value>)>> {
        let Value::Obj(d) = v else { return Ok(None) };
        match self.rt.heap.get(d) {
            Obj::StaticMethod(f) => Ok(Some((*f, None))),
            Obj::ClassMethod(f) => {
                let f = *f;
                let recv = Value::Obj(cls);
                match f {
                    Value::Obj(fid)
                        if method && matches!(self.rt.heap.get(fid), Obj::Function(_)) =>
                    {
                        Ok(Some((Value::PyMethod(fid), Some(recv))))
                    }
                    _ => Ok(Some((
                        self.rt.alloc(Obj::BoundPyMethod { func: f, recv })?,
                        None,
                    ))),
                }
            }
            _ => Ok(None),
        }
    }

    /// `del obj.name`.
    pub fn delete_attr(&mut self, obj: Value, name: u32) -> PyResult<()> {
        let removed = match obj {
            Value::Obj(id) => match self.rt.heap.get_mut(id) {
                Obj::Instance(i) => i.attrs.shift_remove(&name).is_some(),
                Obj::Class(c) => {
                    self.rt.class_epoch += 1;
                    c.dict.shift_remove(&name).is_some()
                }
                Obj::Exception(e) => e.attrs.shift_remove(&name).is_some(),
                Obj::Function(f) => f
                    .extra
                    .as_mut()
                    .is_some_and(|e| e.attrs.shift_remove(&name).is_some()),
                _ => false,
            },
            _ => false,
        };
        if removed {
            return Ok(());
        }
        let prog = self.prog.clone();
        let n = &prog.names[name as usize];
        // An attribute that exists but cannot go: a built-in object's (`del (1).real`).
        let known = self.load_attr(obj, name).is_ok();
        Err(Throw::new(
            ExcKind::AttributeError,
            match obj {
                Value::Obj(id) if matches!(self.rt.heap.get(id), Obj::Class(_)) => {
                    format!(
                        "type object '{}' has no attribute '{n}'",
                        class_name(&self.rt, id)
                    )
                }
                _ if known && matches!(obj, Value::Obj(_)) => format!(
                    "'{}' object attribute '{n}' is read-only",
                    ops::type_name(&self.rt, obj)
                ),
                _ if known => format!(
                    "attribute '{n}' of '{}' objects is not writable",
                    ops::type_name(&self.rt, obj)
                ),
                _ => format!(
                    "'{}' object has no attribute '{n}'",
                    ops::type_name(&self.rt, obj)
                ),
            },
        ))
    }

    /// The name id of a run-time attribute name (`getattr(obj, "x")`). A name the program
    /// never mentions cannot be any object's attribute.
    pub(crate) fn attr_name_id(&self, name: Value) -> PyResult<Option<u32>> {
        let Some(s) = self.rt.as_str(name) else {
            return Err(Throw::type_error(format!(
                "attribute name must be string, not '{}'",
                ops::type_name(&self.rt, name)
            )));
        };
        Ok(self
            .prog
            .names
            .iter()
            .position(|n| n == s)
            .map(|i| i as u32))
    }

    fn missing_attr(&self, obj: Value, name: Value) -> Throw {
        let n = self.rt.as_str(name).unwrap_or("?");
        let msg = match obj {
            Value::Module(m) => format!("module '{}' has no attribute '{n}'", m.name()),
            Value::Obj(id) if matches!(self.rt.heap.get(id), Obj::Class(_)) => {
                format!(
                    "type object '{}' has no attribute '{n}'",
                    class_name(&self.rt, id)
                )
            }
            _ => format!(
                "'{}' object has no attribute '{n}'",
                ops::type_name(&self.rt, obj)
            ),
        };
        Throw::new(ExcKind::AttributeError, msg)
    }

    /// The built-ins of this module; `None` for any other native.
    pub fn class_native(
        &mut self,
        id: NativeId,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Option<Outcome>> {
        let no_kw = |name: &str| -> PyResult<()> {
            if kw.is_empty() {
                Ok(())
            } else {
                Err(Throw::type_error(format!(
                    "{name}() takes no keyword arguments"
                )))
            }
        };
        let out = match id {
            NativeId::Getattr => {
                no_kw("getattr")?;
                let (obj, name, default) = match args {
                    [o, n] => (*o, *n, None),
                    [o, n, d] => (*o, *n, Some(*d)),
                    _ => {
                        return Err(Throw::type_error(format!(
                            "getattr expected at least 2 arguments, got {}",
                            args.len()
                        )))
                    }
                };
                let missing = |vm: &Vm| match default {
                    Some(d) => Ok(Outcome::Value(d)),
                    None => Err(vm.missing_attr(obj, name)),
                };
                if let Value::Module(m) = obj {
                    let n = self.rt.as_str(name).unwrap_or("").to_string();
                    return match self.module_member(m, &n) {
                        Ok(v) => Ok(Some(Outcome::Value(v))),
                        Err(_) => missing(self).map(Some),
                    };
                }
                let Some(nid) = self.attr_name_id(name)? else {
                    return missing(self).map(Some);
                };
                if let Some((f, a)) = self.descriptor_get(obj, nid)? {
                    return Ok(Some(Outcome::Dunder(f, a.to_vec(), Then::Value)));
                }
                match self.load_attr(obj, nid) {
                    Ok(v) => Outcome::Value(v),
                    Err(e) => match self.getattr_fallback(obj, nid, e) {
                        Ok((f, a)) => Outcome::Dunder(f, a.to_vec(), Then::Value),
                        Err(Throw::New {
                            kind: ExcKind::AttributeError,
                            ..
                        }) => missing(self)?,
                        Err(e) => return Err(e),
                    },
                }
            }
            NativeId::Setattr => {
                no_kw("setattr")?;
                let [obj, name, v] = args else {
                    return Err(Throw::type_error(format!(
                        "setattr expected 3 arguments, got {}",
                        args.len()
                    )));
                };
                let Some(nid) = self.attr_name_id(*name)? else {
                    return Err(Throw::new(
                        ExcKind::NotImplementedError,
                        format!(
                            "setattr() of an attribute name the program never mentions ('{}') \
                             is not supported by gilvm",
                            self.rt.as_str(*name).unwrap_or("?")
                        ),
                    ));
                };
                if let Some((f, a)) = self.descriptor_set(*obj, nid, *v)? {
                    return Ok(Some(Outcome::Dunder(f, a.to_vec(), Then::Value)));
                }
                if let Some((f, a)) = self.setattr_hook(*obj, nid, *v)? {
                    return Ok(Some(Outcome::Dunder(f, a.to_vec(), Then::Value)));
                }
                self.store_attr(*obj, nid, *v)?;
                Outcome::Value(Value::None)
            }
            NativeId::Delattr => {
                no_kw("delattr")?;
                let [obj, name] = args else {
                    return Err(Throw::type_error(format!(
                        "delattr expected 2 arguments, got {}",
                        args.len()
                    )));
                };
                let Some(nid) = self.attr_name_id(*name)? else {
                    return Err(self.missing_attr(*obj, *name));
                };
                if let Some((f, a)) = self.descriptor_delete(*obj, nid)? {
                    return Ok(Some(Outcome::Dunder(f, a.to_vec(), Then::Value)));
                }
                if let Some((f, a)) = self.delattr_hook(*obj, nid)? {
                    return Ok(Some(Outcome::Dunder(f, a.to_vec(), Then::Value)));
                }
                self.delete_attr(*obj, nid)?;
                Outcome::Value(Value::None)
            }
            NativeId::Property => {
                let mut slots = [Value::None; 3];
                if args.len() > 4 {
                    return Err(Throw::type_error(format!(
                        "property() takes at most 4 arguments ({} given)",
                        args.len()
                    )));
                }
                for (i, a) in args.iter().take(3).enumerate() {
                    slots[i] = *a;
                }
                for (k, v) in kw {
                    match *k {
                        "fget" => slots[0] = *v,
                        "fset" => slots[1] = *v,
                        "fdel" => slots[2] = *v,
                        "doc" => {}
                        _ => {
                            return Err(Throw::type_error(format!(
                                "property() got an unexpected keyword argument '{k}'"
                            )))
                        }
                    }
                }
                Outcome::Value(self.new_property(slots)?)
            }
            NativeId::Staticmethod | NativeId::Classmethod => {
                let name = id.name();
                no_kw(name)?;
                let [f] = args else {
                    return Err(Throw::type_error(format!(
                        "{name} expected 1 argument, got {}",
                        args.len()
                    )));
                };
                let obj = if id == NativeId::Staticmethod {
                    Obj::StaticMethod(*f)
                } else {
                    Obj::ClassMethod(*f)
                };
                Outcome::Value(self.rt.alloc(obj)?)
            }
            NativeId::Object if args.is_empty() && kw.is_empty() => {
                Outcome::Value(self.rt.alloc(Obj::PlainObject)?)
            }
            NativeId::ObjectNew => {
                no_kw("object.__new__")?;
                Outcome::Value(self.object_new(args)?)
            }
            NativeId::ObjectSetattr => {
                no_kw("object.__setattr__")?;
                Outcome::Value(self.object_setattr(args)?)
            }
            NativeId::ObjectGetattribute => {
                no_kw("object.__getattribute__")?;
                Outcome::Value(self.object_getattribute(args)?)
            }
            NativeId::ObjectDelattr => {
                no_kw("object.__delattr__")?;
                Outcome::Value(self.object_delattr(args)?)
            }
            NativeId::NotImplemented => {
                return Err(Throw::type_error(
                    "'NotImplementedType' object is not callable",
                ))
            }
            NativeId::Wraps => {
                let wrapped = match (args, kw) {
                    ([w], []) => *w,
                    ([], [("wrapped", w)]) => *w,
                    _ => {
                        return Err(Throw::type_error(
                            "wraps() with arguments other than the wrapped function is not \
                             supported by gilvm",
                        ))
                    }
                };
                Outcome::Value(self.rt.alloc(Obj::Wraps(wrapped))?)
            }
            NativeId::Partial => {
                let Some((func, rest)) = args.split_first() else {
                    return Err(Throw::type_error(
                        "type 'partial' takes at least one argument",
                    ));
                };
                if !self.is_callable(*func) {
                    return Err(Throw::type_error("the first argument must be callable"));
                }
                let mut kwv = Vec::with_capacity(kw.len());
                for (k, v) in kw {
                    kwv.push((self.rt.new_str(*k)?, *v));
                }
                Outcome::Value(self.rt.alloc(Obj::Partial {
                    func: *func,
                    args: rest.to_vec(),
                    kw: kwv,
                })?)
            }
            NativeId::Reduce => {
                no_kw("reduce")?;
                let (f, items, initial) = match args {
                    [f, it] => (*f, *it, None),
                    [f, it, init] => (*f, *it, Some(*init)),
                    _ => {
                        return Err(Throw::type_error(format!(
                            "reduce expected at least 2 arguments, got {}",
                            args.len()
                        )))
                    }
                };
                let func = self.prelude_function(PreludeFn::Reduce)?;
                let has = Value::Bool(initial.is_some());
                let init = initial.unwrap_or(Value::None);
                let msg = self
                    .rt
                    .new_str("reduce() of empty iterable with no initial value")?;
                Outcome::Call(func, vec![f, items, has, init, msg])
            }
            NativeId::Dataclass => Outcome::Value(self.dataclass(args, kw)?),
            NativeId::Field => {
                no_positional("field", args)?;
                let mut default = Value::Undef;
                let mut factory = Value::Undef;
                // `init`, `repr`, `compare`
                let mut flags = [Value::Bool(true); 3];
                for (k, v) in kw {
                    match *k {
                        "default" => default = *v,
                        "default_factory" => factory = *v,
                        "init" => flags[0] = Value::Bool(ops::truthy(&self.rt, *v)),
                        "repr" => flags[1] = Value::Bool(ops::truthy(&self.rt, *v)),
                        "compare" => flags[2] = Value::Bool(ops::truthy(&self.rt, *v)),
                        "hash" | "kw_only" | "metadata" => {
                            return Err(Throw::new(
                                ExcKind::NotImplementedError,
                                format!("field({k}=...) is not supported by gilvm"),
                            ))
                        }
                        _ => {
                            return Err(Throw::type_error(format!(
                                "field() got an unexpected keyword argument '{k}'"
                            )))
                        }
                    }
                }
                if default != Value::Undef && factory != Value::Undef {
                    return Err(Throw::value_error(
                        "cannot specify both default and default_factory",
                    ));
                }
                let tag = self.rt.new_str(crate::vm::dataclass::FIELD_TAG)?;
                // A field marker: a tuple the prelude's `dataclass` recognises by its tag.
                let has_default = Value::Bool(default != Value::Undef);
                let has_factory = Value::Bool(factory != Value::Undef);
                let d = if default == Value::Undef {
                    Value::None
                } else {
                    default
                };
                let f = if factory == Value::Undef {
                    Value::None
                } else {
                    factory
                };
                Outcome::Value(self.rt.new_tuple(vec![
                    tag,
                    has_default,
                    d,
                    has_factory,
                    f,
                    flags[0],
                    flags[1],
                    flags[2],
                ])?)
            }
            n if n.is_typing() => {
                let name = n.name();
                return Err(Throw::type_error(match n {
                    NativeId::TypingList
                    | NativeId::TypingDict
                    | NativeId::TypingTuple
                    | NativeId::TypingSet => format!(
                        "Type {name} cannot be instantiated; use {}() instead",
                        name.to_lowercase()
                    ),
                    NativeId::TypingAny => "Any cannot be instantiated".to_string(),
                    NativeId::TypingCallable
                    | NativeId::TypingIterable
                    | NativeId::TypingIterator
                    | NativeId::TypingSequence
                    | NativeId::TypingMapping => format!("Can't instantiate abstract class {name}"),
                    _ => format!("Cannot instantiate typing.{name}"),
                }));
            }
            _ => return Ok(None),
        };
        Ok(Some(out))
    }

    /// Calling a static method object, an instance (its `__call__`) or a `functools.partial`:
    /// the call it stands for (kept out of `do_call`, which every call runs). `None` for an
    /// instance without `__call__`.
    #[inline(never)]
    pub fn call_class_object(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
        callee_at: usize,
        kw: &[(&str, Value)],
    ) -> PyResult<Option<crate::vm::interp::CallDone>> {
        let callee = stack[callee_at];
        let Value::Obj(id) = callee else {
            return Ok(None);
        };
        match self.rt.heap.get(id) {
            Obj::StaticMethod(f) => {
                stack[callee_at] = *f;
                self.do_call(stack, frames, callee_at, kw).map(Some)
            }
            Obj::Instance(_) => match self.call_method_of(callee) {
                Some(f) => {
                    stack[callee_at] = f;
                    stack.insert(callee_at + 1, callee);
                    self.do_call(stack, frames, callee_at, kw).map(Some)
                }
                None => Ok(None),
            },
            Obj::Partial {
                func,
                args,
                kw: pkw,
            } => {
                // `partial(f, *a, **k)(*b, **j)` is `f(*a, *b, **{**k, **j})`.
                let (func, pargs, pkw) = (*func, args.clone(), pkw.clone());
                let npos = stack.len() - callee_at - 1 - kw.len();
                let pos: Vec<Value> = stack[callee_at + 1..callee_at + 1 + npos].to_vec();
                let mut names: Vec<(String, Value)> = Vec::new();
                for (k, v) in pkw {
                    let k = self.rt.as_str(k).unwrap_or("").to_string();
                    if !kw.iter().any(|(n, _)| *n == k) {
                        names.push((k, v));
                    }
                }
                names.extend(kw.iter().map(|(k, v)| (k.to_string(), *v)));
                stack.truncate(callee_at);
                stack.push(func);
                stack.extend_from_slice(&pargs);
                stack.extend_from_slice(&pos);
                stack.extend(names.iter().map(|(_, v)| *v));
                let kwrefs: Vec<(&str, Value)> =
                    names.iter().map(|(k, v)| (k.as_str(), *v)).collect();
                self.do_call(stack, frames, callee_at, &kwrefs).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// A new property; properties make the VM look for them on attribute access.
    /// prop: `Rt::attr_hooks` stays as it was: `hot`'s attribute arms find a property by its
    /// class's mask of property names (`Vm::maybe_property`).
    fn new_property(&mut self, [fget, fset, fdel]: [Value; 3]) -> PyResult<Value> {
        self.rt.user_dunders = true;
        self.rt.alloc(Obj::Property { fget, fset, fdel })
    }

    /// `prop.setter(f)`, `prop.getter(f)`, `prop.deleter(f)`: a copy with one accessor
    /// replaced.
    pub fn property_method(&mut self, m: MethodId, recv: Value, args: &[Value]) -> PyResult<Value> {
        let [f] = args else {
            return Err(Throw::type_error(format!(
                "{}() takes exactly one argument ({} given)",
                m.attr.name(),
                args.len()
            )));
        };
        let Value::Obj(p) = recv else {
            return Err(Throw::type_error("not a property"));
        };
        let Obj::Property { fget, fset, fdel } = self.rt.heap.get(p) else {
            return Err(Throw::type_error("not a property"));
        };
        let mut slots = [*fget, *fset, *fdel];
        match m.attr {
            AttrSym::getter => slots[0] = *f,
            AttrSym::setter => slots[1] = *f,
            _ => slots[2] = *f,
        }
        self.new_property(slots)
    }

    /// Attributes of the objects this module makes: a property's `setter`, `fget`, …; a
    /// function's own attributes and its `__name__` after `functools.wraps`.
    pub fn descriptor_attr(&mut self, id: ObjId, name: u32) -> PyResult<Option<Value>> {
        let attr = self.attr_of[name as usize];
        match self.rt.heap.get(id) {
            Obj::Property { fget, fset, fdel } => {
                let (fget, fset, fdel) = (*fget, *fset, *fdel);
                Ok(match attr {
                    Some(a @ (AttrSym::setter | AttrSym::getter | AttrSym::deleter)) => {
                        let method = MethodId {
                            ty: TypeTag::Property,
                            attr: a,
                        };
                        Some(self.rt.alloc(Obj::BoundMethod {
                            recv: Value::Obj(id),
                            method,
                        })?)
                    }
                    Some(AttrSym::fget) => Some(fget),
                    Some(AttrSym::fset) => Some(fset),
                    Some(AttrSym::fdel) => Some(fdel),
                    _ => None,
                })
            }
            Obj::Function(f) => Ok(f.extra.as_ref().and_then(|e| e.attrs.get(&name).copied())),
            Obj::StaticMethod(f) | Obj::ClassMethod(f) if attr == Some(AttrSym::func) => {
                Ok(Some(*f))
            }
            Obj::Partial { func, args, .. } => {
                let (func, args) = (*func, args.clone());
                Ok(match attr {
                    Some(AttrSym::func) => Some(func),
                    Some(AttrSym::args) => Some(self.rt.new_tuple(args)?),
                    _ => None,
                })
            }
            _ => Ok(None),
        }
    }

    /// `f.name = v` on a Python function (function attributes).
    pub fn function_store_attr(&mut self, id: ObjId, name: u32, v: Value) -> bool {
        match self.rt.heap.get_mut(id) {
            Obj::Function(f) => {
                f.extra
                    .get_or_insert_with(Box::default)
                    .attrs
                    .insert(name, v);
                true
            }
            _ => false,
        }
    }

    /// `functools.wraps(wrapped)(wrapper)`: the wrapper takes the wrapped function's
    /// `__name__`, `__qualname__`, `__doc__` and `__wrapped__` (where the program mentions
    /// them), and is returned.
    pub fn apply_wraps(&mut self, wrapped: Value, args: &[Value]) -> PyResult<Value> {
        let [wrapper] = args else {
            return Err(Throw::type_error(format!(
                "update_wrapper() takes 1 positional argument but {} were given",
                args.len()
            )));
        };
        let Value::Obj(w) = *wrapper else {
            return Ok(*wrapper);
        };
        let d = self.rt.dunders;
        let name = self.function_name(wrapped);
        let mut copies = Vec::new();
        if let Some(n) = name {
            let s = self.rt.new_str(n)?;
            copies.push((d.name, s));
            copies.push((d.qualname, s));
        }
        copies.push((d.wrapped, wrapped));
        for (k, v) in copies {
            if k != u32::MAX {
                self.function_store_attr(w, k, v);
            }
        }
        Ok(*wrapper)
    }

    /// A function's `__name__` (its own attribute, set by `wraps`, or its code's name).
    pub fn function_name(&self, f: Value) -> Option<String> {
        let Value::Obj(id) = f else { return None };
        match self.rt.heap.get(id) {
            Obj::Function(func) => {
                if let Some(v) = func
                    .extra
                    .as_ref()
                    .and_then(|e| e.attrs.get(&self.rt.dunders.name))
                {
                    return self.rt.as_str(*v).map(str::to_string);
                }
                Some(self.prog.codes[func.code as usize].name.clone())
            }
            Obj::Class(c) => Some(c.name.clone()),
            _ => None,
        }
    }

    fn is_callable(&self, v: Value) -> bool {
        crate::vm::builtins::is_callable(&self.rt, v)
    }

    /// The exception type `__exit__` is called with.
    pub fn exception_type(&self, exc: Value) -> Value {
        match exc {
            Value::Obj(id) => match self.rt.heap.get(id) {
                Obj::Exception(e) => match e.class {
                    Some(c) => Value::Obj(c),
                    None => Value::ExcType(e.kind),
                },
                _ => Value::None,
            },
            _ => Value::None,
        }
    }

    /// The class of an instance, for `x.__class__`.
    pub fn class_value(&self, v: Value) -> Option<Value> {
        class_of(&self.rt, v).map(Value::Obj)
    }
}

fn no_positional(name: &str, args: &[Value]) -> PyResult<()> {
    if args.is_empty() {
        Ok(())
    } else {
        Err(Throw::type_error(format!(
            "{name}() takes 0 positional arguments but {} were given",
            args.len()
        )))
    }
}
