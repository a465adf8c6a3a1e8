//! Attribute access: `LOAD_ATTR`, `LOAD_METHOD`, `STORE_ATTR`, and module members.
//!
//! Names arrive as ids into the program's name table; `Vm::attr_of` maps each id once, at load
//! time, to the closed [`AttrSym`] enum, so a lookup is a `match` on (type, symbol) and never
//! hashes a string.

use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::natives::{AttrSym, ModuleId, NativeId};
use crate::vm::value::Value;
use crate::vm::{methods, ops, PyResult, Throw};

impl Vm {
    /// `LOAD_METHOD`: for a built-in method pushes (`Value::Method`, receiver); otherwise the
    /// attribute's value alone.
    pub fn load_method(&mut self, obj: Value, name: u32) -> PyResult<(Value, Option<Value>)> {
        if let Some(attr) = self.attr_of[name as usize] {
            if let (
                AttrSym::write | AttrSym::flush,
                Value::Native(NativeId::SysStdout | NativeId::SysStderr),
            )
            | (AttrSym::bit_length, Value::Int(_) | Value::Bool(_)) = (attr, obj)
            {
                if let Some(m) = methods::lookup_method(&self.rt, obj, attr) {
                    return Ok((Value::Method(m), Some(obj)));
                }
            }
            if let Value::Obj(id) = obj {
                if let Some(m) = methods::lookup_method(&self.rt, obj, attr) {
                    return Ok((Value::Method(m), Some(obj)));
                }
                if let Some(m) = self.sync_lookup(id, attr) {
                    return Ok((Value::Method(m), Some(obj)));
                }
            }
        }
        if let Some(r) = self.class_attr(obj, name, true)? {
            return Ok(r);
        }
        Ok((self.load_attr(obj, name)?, None))
    }

    /// `LOAD_ATTR`.
    pub fn load_attr(&mut self, obj: Value, name: u32) -> PyResult<Value> {
        let attr = self.attr_of[name as usize];
        let prog = self.prog.clone();
        let name_str = prog.names[name as usize].as_str();
        match obj {
            Value::Module(ModuleId::Sys) if name_str == "argv" => return self.sys_argv(),
            Value::Module(m) => return self.module_member(m, name_str),
            Value::Obj(id) => {
                if name == self.rt.dunders.class_ {
                    if let Some(c) = self.class_value(obj) {
                        return Ok(c);
                    }
                    return crate::vm::builtins::call_builtin(
                        &mut self.rt,
                        NativeId::Type,
                        &[obj],
                        &[],
                    );
                }
                if let Some((v, _)) = self.class_attr(obj, name, false)? {
                    return Ok(v);
                }
                if let Some(v) = self.descriptor_attr(id, name)? {
                    return Ok(v);
                }
                if let Some(attr) = attr {
                    if let Some(m) = methods::lookup_method(&self.rt, obj, attr)
                        .or_else(|| self.sync_lookup(id, attr))
                    {
                        return self.rt.alloc(Obj::BoundMethod {
                            recv: obj,
                            method: m,
                        });
                    }
                    if let Some(v) = self.sync_attr(id, attr)? {
                        return Ok(v);
                    }
                    match (self.rt.heap.get(id), attr) {
                        (Obj::BigInt(_), AttrSym::real | AttrSym::imag)
                        | (Obj::Deque(_), AttrSym::maxlen)
                        | (
                            Obj::Exception(_),
                            AttrSym::args
                            | AttrSym::dunder_cause
                            | AttrSym::dunder_context
                            | AttrSym::dunder_suppress_context,
                        ) => {
                            if let Some(v) = methods::data_attr(&mut self.rt, obj, attr) {
                                return v;
                            }
                        }
                        (Obj::Exception(e), AttrSym::value)
                            if e.kind.is_subclass_of(ExcKind::StopIteration) =>
                        {
                            // StopIteration.value: a generator's return value.
                            return Ok(e.args.first().copied().unwrap_or(Value::None));
                        }
                        (Obj::Function(f), AttrSym::dunder_name) => {
                            let n = prog.codes[f.code as usize].name.clone();
                            return self.rt.new_str(n);
                        }
                        (Obj::Function(f), AttrSym::dunder_defaults) => {
                            if f.defaults.is_empty() {
                                return Ok(Value::None);
                            }
                            let d = f.defaults.to_vec();
                            return self.rt.new_tuple(d);
                        }
                        // A built-in method's name (`xs.append.__name__`, `g.send.__name__`).
                        (Obj::BoundMethod { method, .. }, AttrSym::dunder_name) => {
                            let n = method.attr.name();
                            return self.rt.new_str(n);
                        }
                        _ => {}
                    }
                }
            }
            Value::Int(i) => match attr {
                Some(AttrSym::real) => return Ok(Value::Int(i)),
                Some(AttrSym::imag) => return Ok(Value::Int(0)),
                _ => {}
            },
            Value::Native(NativeId::Object)
                if crate::vm::classes::object_attr(&self.rt, name).is_some() =>
            {
                if let Some(v) = crate::vm::classes::object_attr(&self.rt, name) {
                    return Ok(v);
                }
            }
            Value::Native(NativeId::Chain) if attr == Some(AttrSym::from_iterable) => {
                return Ok(Value::Native(NativeId::ChainFromIterable));
            }
            Value::Native(NativeId::Dict) if attr == Some(AttrSym::fromkeys) => {
                return Ok(Value::Native(NativeId::DictFromKeys));
            }
            Value::Native(n) if attr == Some(AttrSym::dunder_name) => {
                return self.rt.new_str(n.name().trim());
            }
            // stdlib2: a built-in type's method looked up on the type (`map(str.upper, xs)`,
            // `str.join(", ", parts)`): called, its first argument is the receiver.
            Value::Native(n) => {
                use crate::vm::natives::{MethodId, TypeTag};
                let ty = match n {
                    NativeId::Str => Some(TypeTag::Str),
                    NativeId::List => Some(TypeTag::List),
                    NativeId::Dict => Some(TypeTag::Dict),
                    NativeId::Set => Some(TypeTag::Set),
                    NativeId::FrozenSet => Some(TypeTag::FrozenSet),
                    NativeId::Tuple => Some(TypeTag::Tuple),
                    // `threading.Thread.__init__(self, …)` in a subclass's `__init__`, as
                    // `super().__init__(…)` does.
                    NativeId::Thread if attr == Some(AttrSym::dunder_init) => {
                        return Ok(Value::Method(MethodId {
                            ty: TypeTag::Thread,
                            attr: AttrSym::dunder_init,
                        }));
                    }
                    _ => None,
                };
                if let (Some(ty), Some(attr)) = (ty, attr) {
                    if methods::has_method(ty, attr) {
                        return Ok(Value::Method(MethodId { ty, attr }));
                    }
                }
            }
            Value::ExcType(k) if attr == Some(AttrSym::dunder_name) => {
                return self.rt.new_str(k.attr_name());
            }
            _ => {}
        }
        Err(no_attribute(&self.rt, obj, name_str))
    }

    /// `hasattr(obj, name)`: whether looking the attribute up succeeds.
    pub fn hasattr(&mut self, args: &[Value], kw: &[(&str, Value)]) -> PyResult<Value> {
        if !kw.is_empty() {
            return Err(Throw::type_error("hasattr() takes no keyword arguments"));
        }
        let [obj, name] = args else {
            return Err(Throw::type_error(format!(
                "hasattr expected 2 arguments, got {}",
                args.len()
            )));
        };
        let Some(name) = self.rt.as_str(*name).map(str::to_string) else {
            return Err(Throw::type_error(format!(
                "attribute name must be string, not '{}'",
                ops::type_name(&self.rt, *name)
            )));
        };
        let found = match *obj {
            Value::Module(m) => self.module_member(m, &name).is_ok(),
            _ => match self.prog.names.iter().position(|n| *n == name) {
                Some(id) => self.load_attr(*obj, id as u32).is_ok(),
                None => false,
            },
        };
        Ok(Value::Bool(found))
    }

    /// `STORE_ATTR`.
    pub fn store_attr(&mut self, obj: Value, name: u32, v: Value) -> PyResult<()> {
        if name == self.rt.dunders.class_ {
            if let Value::Obj(id) = obj {
                if matches!(self.rt.heap.get(id), Obj::Instance(_)) {
                    return self.store_class(id, v);
                }
            }
        }
        if let (Value::Obj(id), Some(attr)) = (obj, self.attr_of[name as usize]) {
            if self.sync_store_attr(id, attr, v)? {
                return Ok(());
            }
        }
        if self.class_store_attr(obj, name, v)? {
            return Ok(());
        }
        if let Value::Obj(id) = obj {
            if self.attr_of[name as usize] == Some(AttrSym::dunder_defaults)
                && matches!(self.rt.heap.get(id), Obj::Function(_))
            {
                return self.store_defaults(id, v);
            }
            if self.function_store_attr(id, name, v) {
                return Ok(());
            }
        }
        if let Value::Module(m) = obj {
            let prog = self.prog.clone();
            if self.store_module_attr(m, &prog.names[name as usize], v) {
                return Ok(());
            }
        }
        let prog = self.prog.clone();
        Err(no_attribute(&self.rt, obj, &prog.names[name as usize]))
    }
}

impl Vm {
    /// A member of a built-in module. `sys` has the switch-interval functions of the Python
    /// version the GIL model stands for: `setcheckinterval` under py27, `setswitchinterval`
    /// under the 3.x models, both under `any`.
    pub fn module_member(&self, m: ModuleId, name: &str) -> PyResult<Value> {
        let missing = || {
            Throw::new(
                ExcKind::AttributeError,
                format!("module '{}' has no attribute '{name}'", m.name()),
            )
        };
        if let Some(Some(v)) = self.py_module_member(m, name) {
            return Ok(v);
        }
        if let Some(n) = m.member(name) {
            let absent = match n {
                NativeId::SetCheckInterval => !self.gil.has_check_interval(),
                NativeId::SetSwitchInterval | NativeId::GetSwitchInterval => {
                    !self.gil.has_switch_interval()
                }
                _ => false,
            };
            if absent {
                return Err(missing());
            }
            return Ok(Value::Native(n));
        }
        if m == ModuleId::Math {
            if let Some(v) = crate::vm::mathmod::constant(name) {
                return Ok(v);
            }
        }
        if let Some(v) = module_exception(m, name) {
            return Ok(v);
        }
        // stdlib: a native module's members written in Python (`threading.Timer`).
        if let Some(ext) = crate::vm::pymodules::extension_of(m) {
            if let Some(Some(v)) = self.py_module_member(ext, name) {
                return Ok(v);
            }
        }
        Err(missing())
    }
}

impl Vm {
    /// stdlib: the body of the Python-written module `m` if this import must run it (its
    /// first), marking it run.
    pub fn module_body_to_run(&mut self, m: ModuleId) -> Option<crate::bytecode::CodeId> {
        let m = crate::vm::pymodules::extension_of(m).unwrap_or(m);
        let i = self.py_modules.iter().position(|l| l.id == m)?;
        if self.modules_loaded & (1 << i) != 0 {
            return None;
        }
        self.modules_loaded |= 1 << i;
        Some(self.py_modules[i].body)
    }

    /// stdlib: `name` in a Python-written module (`None` if `m` is not one): its global, or
    /// `Some(None)` when it has none of that name; `futures` in the package `concurrent`.
    fn py_module_member(&self, m: ModuleId, name: &str) -> Option<Option<Value>> {
        if m == ModuleId::Concurrent {
            return Some((name == "futures").then_some(Value::Module(ModuleId::ConcurrentFutures)));
        }
        let l = self.py_modules.iter().find(|l| l.id == m)?;
        Some(
            l.member(name)
                .map(|slot| self.globals[slot as usize].value)
                .filter(|v| *v != Value::Undef),
        )
    }
}

impl Vm {
    /// `sys.argv`: made on first use (so a program that never reads it allocates nothing and
    /// its objects' fake addresses stay as they were), then the same list every time.
    fn sys_argv(&mut self) -> PyResult<Value> {
        if let Some(l) = self.rt.argv {
            return Ok(Value::Obj(l));
        }
        let argv = self.config.argv.clone();
        let l = crate::vm::numeric::make_argv(&mut self.rt, &argv)?;
        self.rt.argv = Some(l);
        Ok(Value::Obj(l))
    }
}

/// An exception class exported by a module.
fn module_exception(m: ModuleId, name: &str) -> Option<Value> {
    let exc = match (m, name) {
        (ModuleId::Queue, "Empty") => Some(ExcKind::QueueEmpty),
        (ModuleId::Queue, "Full") => Some(ExcKind::QueueFull),
        (ModuleId::Threading, "BrokenBarrierError") => Some(ExcKind::BrokenBarrierError),
        (ModuleId::Dataclasses, "FrozenInstanceError") => Some(ExcKind::FrozenInstanceError),
        _ => None,
    };
    exc.map(Value::ExcType)
}

fn no_attribute(rt: &crate::vm::Rt, obj: Value, name: &str) -> Throw {
    match obj {
        Value::Module(m) => Throw::new(
            ExcKind::AttributeError,
            format!("module '{}' has no attribute '{name}'", m.name()),
        ),
        _ => Throw::new(
            ExcKind::AttributeError,
            format!(
                "'{}' object has no attribute '{name}'",
                ops::type_name(rt, obj)
            ),
        ),
    }
}

impl Vm {
    /// `obj.__class__ = B` on an instance of a class made by a `class` statement: the instance
    /// is now a `B` (its attributes stay). As CPython, only between classes of the same
    /// layout: neither, or both, built on a built-in class (an exception, `Thread`).
    fn store_class(&mut self, id: crate::vm::value::ObjId, v: Value) -> PyResult<()> {
        let Obj::Instance(inst) = self.rt.heap.get(id) else {
            return Ok(());
        };
        let old = inst.class;
        let plain = |c: crate::vm::value::ObjId, rt: &crate::vm::Rt| matches!(rt.heap.get(c), Obj::Class(k) if k.builtin_base.is_none());
        let new = match v {
            Value::Obj(c) if matches!(self.rt.heap.get(c), Obj::Class(_)) => c,
            Value::Native(_) | Value::ExcType(_) => {
                return Err(Throw::type_error(
                    "__class__ assignment only supported for mutable types or ModuleType \
                     subclasses",
                ))
            }
            _ => {
                return Err(Throw::type_error(format!(
                    "__class__ must be set to a class, not '{}' object",
                    ops::type_name(&self.rt, v)
                )))
            }
        };
        if new != old && !(plain(old, &self.rt) && plain(new, &self.rt)) {
            let name = |c, rt: &crate::vm::Rt| crate::vm::classes::class_name(rt, c).to_string();
            return Err(Throw::type_error(format!(
                "__class__ assignment: '{}' object layout differs from '{}'",
                name(new, &self.rt),
                name(old, &self.rt)
            )));
        }
        if let Obj::Instance(inst) = self.rt.heap.get_mut(id) {
            inst.class = new;
        }
        Ok(())
    }

    /// `f.__defaults__ = (…)` or `= None`: the defaults every later call binds (read from the
    /// function at each call; a call-site plan keys on their number). CPython uses the last
    /// `argcount` items of a longer tuple, so only those are kept (reading `__defaults__`
    /// back shows them).
    fn store_defaults(&mut self, id: crate::vm::value::ObjId, v: Value) -> PyResult<()> {
        let items = match v {
            Value::None => Vec::new(),
            Value::Obj(t) => match self.rt.heap.get(t) {
                Obj::Tuple(items) => items.clone(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        let is_tuple = v == Value::None
            || matches!(v, Value::Obj(t) if matches!(self.rt.heap.get(t), Obj::Tuple(_)));
        if !is_tuple {
            return Err(Throw::type_error(
                "__defaults__ must be set to a tuple object",
            ));
        }
        let prog = self.prog.clone();
        if let Obj::Function(f) = self.rt.heap.get_mut(id) {
            let argcount = prog.codes[f.code as usize].argcount as usize;
            let skip = items.len().saturating_sub(argcount);
            f.defaults = items[skip..].into();
        }
        Ok(())
    }
}
