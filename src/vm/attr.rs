//! Attribute access: `LOAD_ATTR`, `LOAD_METHOD`, `STORE_ATTR`, and module members.
//!
//! Names arrive as ids into the program's name table; `Vm::attr_of` maps each id once, at load
//! time, to the closed [`AttrSym`] enum, so a lookup is a `match` on (type, symbol) and never
//! hashes a string.

use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::natives::{AttrSym, ModuleId};
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
        Ok((self.load_attr(obj, name)?, None))
    }

    /// `LOAD_ATTR`.
    pub fn load_attr(&mut self, obj: Value, name: u32) -> PyResult<Value> {
        let attr = self.attr_of[name as usize];
        let prog = self.prog.clone();
        let name_str = prog.names[name as usize].as_str();
        match obj {
            Value::Module(m) => return module_member(m, name_str),
            Value::Obj(id) => {
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
                        (Obj::Exception(e), AttrSym::args) => {
                            let args = e.args.clone();
                            return self.rt.new_tuple(args);
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

    /// `STORE_ATTR`.
    pub fn store_attr(&mut self, obj: Value, name: u32, v: Value) -> PyResult<()> {
        if let (Value::Obj(id), Some(attr)) = (obj, self.attr_of[name as usize]) {
            if self.sync_store_attr(id, attr, v)? {
                return Ok(());
            }
        }
        let prog = self.prog.clone();
        Err(no_attribute(&self.rt, obj, &prog.names[name as usize]))
    }
}

/// A member of a built-in module.
pub fn module_member(m: ModuleId, name: &str) -> PyResult<Value> {
    if let Some(n) = m.member(name) {
        return Ok(Value::Native(n));
    }
    let exc = match (m, name) {
        (ModuleId::Queue, "Empty") => Some(ExcKind::QueueEmpty),
        (ModuleId::Queue, "Full") => Some(ExcKind::QueueFull),
        (ModuleId::Threading, "BrokenBarrierError") => Some(ExcKind::BrokenBarrierError),
        _ => None,
    };
    match exc {
        Some(k) => Ok(Value::ExcType(k)),
        None => Err(Throw::new(
            ExcKind::AttributeError,
            format!("module '{}' has no attribute '{name}'", m.name()),
        )),
    }
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
