//! The instructions of `match` statements (PEP 634), as CPython 3.11's `ceval.c` runs them:
//! `MATCH_SEQUENCE`, `MATCH_MAPPING`, `GET_LEN`, `MATCH_KEYS`, `MATCH_CLASS`. Patterns also
//! use `UNPACK_EX` (`[a, *rest]`) and `DICT_UPDATE` (`**rest`), which are the general
//! instructions of starred targets and `{**m}`, run by `Vm::slow_op` with `ops`.
//!
//! All of them run on the interpreter's slow path (`Vm::slow_op`). A class pattern reads
//! attributes with `getattr` semantics ([`Vm::load_attr`]): a missing attribute makes the
//! pattern fail, any other error propagates. Attribute names come from `__match_args__`
//! (strings at run time), so they are mapped to the program's name ids here; a name the
//! program never mentions cannot be an attribute of anything it built (the compiler interns
//! the keyword names of class patterns).
//!
//! The attributes a class pattern reads and the values a mapping pattern reads are reads for
//! the lost-update detector, like `LOAD_ATTR` and `BINARY_SUBSCR`: a thread that matched
//! `Account(balance=b)` and then stores `account.balance = b + 1` after another thread's
//! store has lost that update.

use crate::vm::builtins;
use crate::vm::classes;
use crate::vm::exceptions::ExcKind;
use crate::vm::format;
use crate::vm::heap::{HashKey, Obj};
use crate::vm::lost::{LocKey, ReadLog};
use crate::vm::machine::Vm;
use crate::vm::natives::NativeId;
use crate::vm::ops::{self, hash_key};
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt, Throw};

/// `MATCH_SEQUENCE`: lists, tuples and ranges are sequences to patterns; strings are not.
pub fn is_match_sequence(rt: &Rt, v: Value) -> bool {
    match v {
        Value::Obj(id) => matches!(
            rt.heap.get(id),
            Obj::List(_) | Obj::Tuple(_) | Obj::Range { .. }
        ),
        _ => false,
    }
}

/// `MATCH_MAPPING`: dicts are the mappings.
pub fn is_match_mapping(rt: &Rt, v: Value) -> bool {
    matches!(v, Value::Obj(id) if matches!(rt.heap.get(id), Obj::Dict(_)))
}

/// `GET_LEN`: `len(v)` as an int.
pub fn get_len(rt: &Rt, v: Value) -> PyResult<Value> {
    let n = ops::len_of(rt, v)?;
    Ok(Value::Int(n as i64))
}

/// `MATCH_KEYS`: the values of `keys` (a tuple) in `map`, as a tuple, or None if one is
/// missing. A key checked twice is a `ValueError`, as in CPython.
pub fn match_keys(rt: &mut Rt, map: Value, keys: Value) -> PyResult<Value> {
    let keys = tuple_items(rt, keys);
    let Value::Obj(map_id) = map else {
        return Ok(Value::None);
    };
    let mut seen: Vec<HashKey> = Vec::with_capacity(keys.len());
    let mut values = Vec::with_capacity(keys.len());
    for key in keys {
        let hk = hash_key(rt, key)?;
        if seen.contains(&hk) {
            return Err(Throw::value_error(format!(
                "mapping pattern checks duplicate key ({})",
                format::repr(rt, key)?
            )));
        }
        let found = match rt.heap.get(map_id) {
            Obj::Dict(d) => d.get(&hk).map(|&(_, v)| v),
            _ => None,
        };
        let Some(v) = found else {
            return Ok(Value::None);
        };
        seen.push(hk);
        values.push(v);
    }
    rt.new_tuple(values)
}

/// The built-in types whose class pattern with one positional sub-pattern matches the
/// subject itself (CPython's `_Py_TPFLAGS_MATCH_SELF`): `int(x)`, `str(s)`, ...
fn matches_self(cls: Value) -> bool {
    use NativeId::*;
    matches!(
        cls,
        Value::Native(Bool | Int | Float | Str | List | Tuple | Dict | Set | FrozenSet)
    )
}

/// The items of a tuple value (empty for anything else).
fn tuple_items(rt: &Rt, v: Value) -> Vec<Value> {
    match v {
        Value::Obj(id) => match rt.heap.get(id) {
            Obj::Tuple(items) => items.clone(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

impl Vm {
    /// `MATCH_KEYS` at instruction `at` (code, pc), recording the reads of the matched keys.
    pub fn match_keys_op(
        &mut self,
        map: Value,
        keys: Value,
        reads: &mut ReadLog,
        at: (u32, u32),
    ) -> PyResult<Value> {
        let values = match_keys(&mut self.rt, map, keys)?;
        if values != Value::None && self.threads.len() > 1 {
            for key in tuple_items(&self.rt, keys) {
                if let Some(loc) = self.item_loc(map, key) {
                    let meta = self.items.locs[loc as usize].meta;
                    reads.record(LocKey::Item(loc), &meta, at.0, at.1);
                }
            }
        }
        Ok(values)
    }

    /// `MATCH_CLASS nargs` at instruction `at` (code, pc), recording the reads of the
    /// attributes it matched against.
    pub fn match_class_op(
        &mut self,
        subject: Value,
        cls: Value,
        nargs: u32,
        names: Value,
        reads: &mut ReadLog,
        at: (u32, u32),
    ) -> PyResult<Value> {
        let mut read = Vec::new();
        let attrs = self.match_class(subject, cls, nargs as usize, names, &mut read)?;
        if attrs != Value::None {
            for name in read {
                if let Some(loc) = self.attr_loc(subject, name) {
                    let meta = self.items.locs[loc as usize].meta;
                    reads.record(LocKey::Item(loc), &meta, at.0, at.1);
                }
            }
        }
        Ok(attrs)
    }

    /// `MATCH_CLASS nargs`: if `subject` is an instance of `cls`, the tuple of the attributes
    /// its `nargs` positional sub-patterns (through `cls.__match_args__`) and its keyword
    /// sub-patterns (`names`, a tuple of strings) match against; None if it is not an
    /// instance or lacks one of them. The name ids of the attributes read are appended to
    /// `read`.
    pub fn match_class(
        &mut self,
        subject: Value,
        cls: Value,
        nargs: usize,
        names: Value,
        read: &mut Vec<u32>,
    ) -> PyResult<Value> {
        if ops::type_name(&self.rt, cls) != "type" {
            return Err(Throw::type_error("called match pattern must be a type"));
        }
        if !builtins::isinstance(&self.rt, subject, cls, 0)? {
            return Ok(Value::None);
        }
        let mut seen: Vec<String> = Vec::new();
        let mut attrs = Vec::with_capacity(nargs);
        if nargs > 0 {
            let match_args = self.match_args(cls)?;
            let allowed = match &match_args {
                None if matches_self(cls) => 1,
                None => 0,
                Some(names) => names.len(),
            };
            if allowed < nargs {
                let plural = if allowed == 1 { "" } else { "s" };
                return Err(Throw::type_error(format!(
                    "{}() accepts {allowed} positional sub-pattern{plural} ({nargs} given)",
                    self.type_display_name(cls)
                )));
            }
            match match_args {
                None => attrs.push(subject),
                Some(names) => {
                    for name in names.into_iter().take(nargs) {
                        let Some(name) = self.rt.as_str(name).map(str::to_string) else {
                            return Err(Throw::type_error(format!(
                                "__match_args__ elements must be strings (got {})",
                                ops::type_name(&self.rt, name)
                            )));
                        };
                        match self.match_class_attr(subject, cls, &name, &mut seen)? {
                            Some((id, v)) => {
                                read.push(id);
                                attrs.push(v);
                            }
                            None => return Ok(Value::None),
                        }
                    }
                }
            }
        }
        let keyword_names: Vec<String> = tuple_items(&self.rt, names)
            .into_iter()
            .filter_map(|n| self.rt.as_str(n).map(str::to_string))
            .collect();
        for name in keyword_names {
            match self.match_class_attr(subject, cls, &name, &mut seen)? {
                Some((id, v)) => {
                    read.push(id);
                    attrs.push(v);
                }
                None => return Ok(Value::None),
            }
        }
        self.rt.new_tuple(attrs)
    }

    /// `cls.__match_args__` as a list of values, or `None` if the class has none; anything
    /// but a tuple is a `TypeError`.
    fn match_args(&mut self, cls: Value) -> PyResult<Option<Vec<Value>>> {
        let Some(id) = self.name_id("__match_args__") else {
            return Ok(None);
        };
        let v = match self.load_attr(cls, id) {
            Ok(v) => v,
            Err(e) if is_attribute_error(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        if let Value::Obj(t) = v {
            if let Obj::Tuple(items) = self.rt.heap.get(t) {
                return Ok(Some(items.clone()));
            }
        }
        Err(Throw::type_error(format!(
            "{}.__match_args__ must be a tuple (got {})",
            self.type_display_name(cls),
            ops::type_name(&self.rt, v)
        )))
    }

    /// One attribute for a class pattern (CPython's `match_class_attr`), with its name id:
    /// `None` if the subject has no such attribute.
    fn match_class_attr(
        &mut self,
        subject: Value,
        cls: Value,
        name: &str,
        seen: &mut Vec<String>,
    ) -> PyResult<Option<(u32, Value)>> {
        if seen.iter().any(|s| s == name) {
            return Err(Throw::type_error(format!(
                "{}() got multiple sub-patterns for attribute {}",
                self.type_display_name(cls),
                format::str_repr(name)
            )));
        }
        seen.push(name.to_string());
        let Some(id) = self.name_id(name) else {
            return Ok(None);
        };
        match self.load_attr(subject, id) {
            Ok(v) => Ok(Some((id, v))),
            Err(e) if is_attribute_error(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The id of `name` in the program's name table, if the program mentions it.
    fn name_id(&self, name: &str) -> Option<u32> {
        self.prog
            .names
            .iter()
            .position(|n| n == name)
            .map(|i| i as u32)
    }

    /// A class's name as CPython's `tp_name` shows it in messages (`Point`, `int`).
    fn type_display_name(&self, cls: Value) -> String {
        match cls {
            Value::Obj(id) => classes::class_name(&self.rt, id).to_string(),
            Value::Native(n) => n.name().trim().to_string(),
            Value::ExcType(k) => k.attr_name().to_string(),
            _ => ops::type_name(&self.rt, cls).to_string(),
        }
    }
}

fn is_attribute_error(e: &Throw) -> bool {
    matches!(
        e,
        Throw::New {
            kind: ExcKind::AttributeError,
            ..
        } | Throw::NewArgs {
            kind: ExcKind::AttributeError,
            ..
        }
    )
}
