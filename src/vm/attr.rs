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
                        (
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
                        _ => {}
                    }
                }
            }
            Value::Int(i) => match attr {
                Some(AttrSym::real) => return Ok(Value::Int(i)),
                Some(AttrSym::imag) => return Ok(Value::Int(0)),
                _ => {}
            },
            Value::Native(NativeId::Chain) if attr == Some(AttrSym::from_iterable) => {
                return Ok(Value::Native(NativeId::ChainFromIterable));
            }
            Value::Native(n) if attr == Some(AttrSym::dunder_name) => {
                return self.rt.new_str(n.name().trim());
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
        if let (Value::Obj(id), Some(attr)) = (obj, self.attr_of[name as usize]) {
            if self.sync_store_attr(id, attr, v)? {
                return Ok(());
            }
        }
        if self.class_store_attr(obj, name, v)? {
            return Ok(());
        }
        if let Value::Obj(id) = obj {
            if self.function_store_attr(id, name, v) {
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
        module_exception(m, name).ok_or_else(missing)
    }
}

/// An exception class exported by a module.
fn module_exception(m: ModuleId, name: &str) -> Option<Value> {
    let exc = match (m, name) {
        (ModuleId::Queue, "Empty") => Some(ExcKind::QueueEmpty),
        (ModuleId::Queue, "Full") => Some(ExcKind::QueueFull),
        (ModuleId::Threading, "BrokenBarrierError") => Some(ExcKind::BrokenBarrierError),
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
