//! The special methods that take over object creation and attribute access: `__new__`,
//! `__getattr__` and `__setattr__`, and `object`'s own `__new__`, `__setattr__`,
//! `__getattribute__` and `__delattr__` that user versions call through `super()` or
//! `object.__xxx__(self, …)`.
//!
//! Like every special method (`vm/dunder.rs`), each runs as an ordinary frame pushed by the
//! instruction that needs it, never by re-entering the interpreter:
//! - `C(…)` on a class with `__new__` calls `__new__(C, …)`; when it returns an instance of
//!   `C`, that instance's `__init__` runs with the same arguments (`Then::New`), as CPython's
//!   `type.__call__` does; otherwise its value is the call's.
//! - `obj.name` whose ordinary lookup raises `AttributeError` calls `__getattr__(obj,
//!   'name')` when the class defines one (`LOAD_ATTR`, `LOAD_METHOD`, `getattr`).
//! - `obj.name = v` calls `__setattr__(obj, 'name', v)` when the class defines one (every
//!   `STORE_ATTR`, `setattr`), `__init__`'s own stores included.
//!
//! None of this is on the hot path: attribute instructions are slow-path instructions, and the
//! name ids are `u32::MAX` when the program never spells the method's name.

use crate::vm::classes::{class_lookup, class_of, is_subclass};
use crate::vm::dunder::Then;
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::{AttrMap, ExcObj, Instance, Obj};
use crate::vm::interp::CallDone;
use crate::vm::machine::Vm;
use crate::vm::natives::NativeId;
use crate::vm::value::{ObjId, Value};
use crate::vm::{ops, PyResult, Throw};

/// Whether a raised exception is an `AttributeError` (what lets `__getattr__` answer).
fn is_attribute_error(vm: &Vm, t: &Throw) -> bool {
    match t {
        Throw::New { kind, .. } | Throw::NewArgs { kind, .. } => {
            kind.is_subclass_of(ExcKind::AttributeError)
        }
        Throw::Obj(id) => matches!(vm.rt.heap.get(*id),
            Obj::Exception(e) if e.kind.is_subclass_of(ExcKind::AttributeError)),
        Throw::Limit | Throw::Accessor(_) | Throw::Slow | Throw::Operator => false,
    }
}

impl Vm {
    /// A function the class of `obj` defines (found through its MRO) under name id `name`,
    /// if `obj` is an instance of a `class` statement's class.
    fn instance_hook(&self, obj: Value, name: u32) -> Option<Value> {
        if name == u32::MAX {
            return None;
        }
        let Value::Obj(id) = obj else { return None };
        let Obj::Instance(inst) = self.rt.heap.get(id) else {
            return None;
        };
        class_lookup(&self.rt, inst.class, name).filter(|f| *f != Value::None)
    }

    /// `obj.name` failed with `err`: the `__getattr__` call that answers instead (the
    /// function and its arguments), or the error itself.
    pub fn getattr_fallback(
        &mut self,
        obj: Value,
        name: u32,
        err: Throw,
    ) -> Result<(Value, [Value; 2]), Throw> {
        if !is_attribute_error(self, &err) {
            return Err(err);
        }
        let Some(f) = self.instance_hook(obj, self.rt.dunders.getattr) else {
            return Err(err);
        };
        let prog = self.prog.clone();
        let s = self.rt.new_str(prog.names[name as usize].as_str())?;
        Ok((f, [obj, s]))
    }

    /// `obj.name = v` on an instance whose class defines `__setattr__`: the call to make.
    pub fn setattr_hook(
        &mut self,
        obj: Value,
        name: u32,
        v: Value,
    ) -> PyResult<Option<(Value, [Value; 3])>> {
        if crate::vm::dataclass::is_frozen(&self.rt, obj) {
            let prog = self.prog.clone();
            return Err(crate::vm::dataclass::frozen_error(
                &prog.names[name as usize],
                false,
            ));
        }
        let Some(f) = self.instance_hook(obj, self.rt.dunders.setattr) else {
            return Ok(None);
        };
        let prog = self.prog.clone();
        let s = self.rt.new_str(prog.names[name as usize].as_str())?;
        Ok(Some((f, [obj, s, v])))
    }

    /// `del obj.name` on an instance whose class defines `__delattr__`: the call to make.
    pub fn delattr_hook(&mut self, obj: Value, name: u32) -> PyResult<Option<(Value, [Value; 2])>> {
        if crate::vm::dataclass::is_frozen(&self.rt, obj) {
            let prog = self.prog.clone();
            return Err(crate::vm::dataclass::frozen_error(
                &prog.names[name as usize],
                true,
            ));
        }
        let Some(f) = self.instance_hook(obj, self.rt.dunders.delattr) else {
            return Ok(None);
        };
        let prog = self.prog.clone();
        let s = self.rt.new_str(prog.names[name as usize].as_str())?;
        Ok(Some((f, [obj, s])))
    }

    /// The `__new__` of class `cls` (a function; `staticmethod` unwrapped), if the class
    /// or a base defines one.
    pub fn user_new(&self, cls: ObjId) -> Option<Value> {
        if self.rt.dunders.new == u32::MAX {
            return None;
        }
        match class_lookup(&self.rt, cls, self.rt.dunders.new)? {
            Value::Obj(f) => match self.rt.heap.get(f) {
                Obj::StaticMethod(inner) => Some(*inner),
                Obj::Function(_) => Some(Value::Obj(f)),
                _ => None,
            },
            _ => None,
        }
    }

    /// `C(…)` for a class with `__new__`: calls `__new__(C, …)` with the call's arguments;
    /// `Then::New` keeps them for `__init__`.
    pub fn call_new(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
        callee_at: usize,
        kw: &[(&str, Value)],
        cls: ObjId,
        new: Value,
    ) -> PyResult<CallDone> {
        let npos = stack.len() - callee_at - 1 - kw.len();
        let args = stack[callee_at + 1..callee_at + 1 + npos].to_vec();
        let args = self.alloc_id(Obj::Tuple(args))?;
        let mut pairs = Vec::with_capacity(kw.len() * 2);
        for (k, v) in kw {
            pairs.push(self.rt.new_str(*k)?);
            pairs.push(*v);
        }
        let kwargs = self.alloc_id(Obj::Tuple(pairs))?;
        let then = Then::New { cls, args, kwargs };
        let Value::Obj(func) = new else {
            return Err(Throw::type_error("__new__ must be a function"));
        };
        let marker = self.rt.alloc(Obj::DunderCall { func, then })?;
        stack[callee_at] = new;
        stack.insert(callee_at + 1, Value::Obj(cls));
        let depth = frames.len();
        match self.do_call(stack, frames, callee_at, kw)? {
            CallDone::Frame => {
                if frames.len() > depth {
                    if let Some(fr) = frames.last_mut() {
                        fr.func = marker;
                    }
                }
                Ok(CallDone::Frame)
            }
            CallDone::Value => {
                let v = stack.pop().unwrap_or(Value::None);
                self.finish_new(then, v, stack, frames)
            }
            CallDone::Blocked => Ok(CallDone::Blocked),
        }
    }

    /// `__new__` returned `made`: `__init__` runs on it with the call's arguments when it is an
    /// instance of the class called; the call's value is `made` either way.
    pub fn finish_new(
        &mut self,
        then: Then,
        made: Value,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
    ) -> PyResult<CallDone> {
        let Then::New { cls, args, kwargs } = then else {
            stack.push(made);
            return Ok(CallDone::Value);
        };
        let of_cls = class_of(&self.rt, made)
            .filter(|c| is_subclass(&self.rt, *c, Value::Obj(cls)))
            .and_then(|c| class_lookup(&self.rt, c, self.rt.dunders.init));
        let init = match of_cls {
            Some(Value::Obj(f)) if matches!(self.rt.heap.get(f), Obj::Function(_)) => f,
            _ => {
                stack.push(made);
                return Ok(CallDone::Value);
            }
        };
        let args = match self.rt.heap.get(args) {
            Obj::Tuple(t) => t.clone(),
            _ => Vec::new(),
        };
        let pairs = match self.rt.heap.get(kwargs) {
            Obj::Tuple(t) => t.clone(),
            _ => Vec::new(),
        };
        let names: Vec<String> = pairs
            .iter()
            .step_by(2)
            .map(|k| self.rt.as_str(*k).unwrap_or("").to_string())
            .collect();
        let marker = self.rt.alloc(Obj::InitCall {
            func: init,
            inst: made,
            raise_it: None,
        })?;
        let callee_at = stack.len();
        stack.push(Value::Obj(init));
        stack.push(made);
        stack.extend_from_slice(&args);
        stack.extend(pairs.iter().skip(1).step_by(2).copied());
        let kw: Vec<(&str, Value)> = names
            .iter()
            .zip(pairs.iter().skip(1).step_by(2))
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        let depth = frames.len();
        match self.do_call(stack, frames, callee_at, &kw)? {
            CallDone::Frame => {
                if frames.len() > depth {
                    if let Some(fr) = frames.last_mut() {
                        fr.func = marker;
                    }
                }
                Ok(CallDone::Frame)
            }
            CallDone::Value => {
                stack.pop();
                stack.push(made);
                Ok(CallDone::Value)
            }
            CallDone::Blocked => Ok(CallDone::Blocked),
        }
    }

    /// `object.__new__(cls, …)`: a new, empty instance of `cls` (of its built-in exception
    /// class when it has one, with the arguments as `args`, as `BaseException.__new__`).
    pub fn object_new(&mut self, args: &[Value]) -> PyResult<Value> {
        let Some((cls, rest)) = args.split_first() else {
            return Err(Throw::type_error("object.__new__(): not enough arguments"));
        };
        let cls = match cls {
            Value::Obj(c) if matches!(self.rt.heap.get(*c), Obj::Class(_)) => *c,
            Value::Native(NativeId::Object) => return self.rt.alloc(Obj::PlainObject),
            other => {
                return Err(Throw::type_error(format!(
                    "object.__new__(X): X is not a type object ({})",
                    ops::type_name(&self.rt, *other)
                )))
            }
        };
        let builtin = match self.rt.heap.get(cls) {
            Obj::Class(c) => c.builtin_base,
            _ => None,
        };
        if let Some(Value::ExcType(kind)) = builtin {
            return self.rt.alloc(Obj::Exception(Box::new(ExcObj {
                kind,
                args: crate::vm::heap::ExcArgs::from_slice(rest),
                traceback: Default::default(),
                cause: None,
                context: None,
                class: Some(cls),
                attrs: AttrMap::default(),
            })));
        }
        // CPython's `object_new`: extra arguments are an error when the class overrides
        // `__new__` (the caller passed them on by mistake) or does not override `__init__`.
        let has_init = class_lookup(&self.rt, cls, self.rt.dunders.init).is_some();
        if !rest.is_empty() && (self.user_new(cls).is_some() || !has_init) {
            return Err(Throw::type_error(
                "object.__new__() takes exactly one argument (the type to instantiate)",
            ));
        }
        self.rt.alloc(Obj::Instance(Instance {
            class: cls,
            attrs: Default::default(),
            base_obj: None,
        }))
    }

    /// `object.__setattr__(obj, name, v)`: the plain store, bypassing the class's
    /// `__setattr__`.
    pub fn object_setattr(&mut self, args: &[Value]) -> PyResult<Value> {
        let [obj, name, v] = args else {
            return Err(Throw::type_error(format!(
                "expected 3 arguments, got {}",
                args.len()
            )));
        };
        let id = self.hook_name_id(*name)?;
        self.store_attr(*obj, id, *v)?;
        Ok(Value::None)
    }

    /// `object.__getattribute__(obj, name)`: the ordinary lookup, without `__getattr__`.
    pub fn object_getattribute(&mut self, args: &[Value]) -> PyResult<Value> {
        let [obj, name] = args else {
            return Err(Throw::type_error(format!(
                "expected 2 arguments, got {}",
                args.len()
            )));
        };
        let id = self.hook_name_id(*name)?;
        self.load_attr(*obj, id)
    }

    /// `object.__delattr__(obj, name)`: the plain delete, bypassing the class's
    /// `__delattr__`.
    pub fn object_delattr(&mut self, args: &[Value]) -> PyResult<Value> {
        let [obj, name] = args else {
            return Err(Throw::type_error(format!(
                "expected 2 arguments, got {}",
                args.len()
            )));
        };
        let id = self.hook_name_id(*name)?;
        self.delete_attr(*obj, id)?;
        Ok(Value::None)
    }

    fn alloc_id(&mut self, o: Obj) -> PyResult<ObjId> {
        match self.rt.alloc(o)? {
            Value::Obj(id) => Ok(id),
            _ => Err(Throw::type_error("gilvm internal error: allocation")),
        }
    }

    /// The name id of an attribute name given as a string at run time (`object.__setattr__`):
    /// the compiler gave one to every identifier-like string constant.
    fn hook_name_id(&self, name: Value) -> PyResult<u32> {
        match self.attr_name_id(name)? {
            Some(i) => Ok(i),
            None => Err(Throw::new(
                ExcKind::NotImplementedError,
                format!(
                    "an attribute name made at run time ('{}') that the program never spells \
                     is not supported by gilvm",
                    self.rt.as_str(name).unwrap_or("?")
                ),
            )),
        }
    }
}
