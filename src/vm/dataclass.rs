//! `dataclasses.dataclass` and `field`: the generated `__init__`, `__repr__`, `__eq__` and
//! (with `order=True`) `<`, `<=`, `>`, `>=`, made by the VM rather than by generated Python
//! source (CPython `exec`s source text; gilvm has no `exec`).
//!
//! `@dataclass` reads the class's `__annotations__` (in order) and defaults, and records the
//! fields on the class ([`DataclassInfo`]). Instantiation binds the arguments to the fields
//! in Rust with CPython's error messages; a Python `default_factory` or a `__post_init__`
//! runs through the prelude's `dataclass_fill`. `repr`, `==` (also inside lists and dicts)
//! and the order comparisons (also inside `sorted`, `min`, `max`, `PriorityQueue`) compare
//! the fields natively, as the tuples CPython's generated methods compare.

use crate::vm::classes::class_lookup;
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::interp::CallDone;
use crate::vm::machine::Vm;
use crate::vm::natives::NativeId;
use crate::vm::ops;
use crate::vm::prelude::PreludeFn;
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Rt, Throw};

/// The string tag of the tuple `field(...)` returns.
pub const FIELD_TAG: &str = "__gilvm_field__";

/// One field: its name id, and its default or default factory (`Value::Undef` if none).
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: u32,
    pub default: Value,
    pub factory: Value,
    /// `field(init=False)`: not a parameter of `__init__` (set from its default or factory).
    pub init: bool,
    /// `field(repr=False)`: left out of `repr`.
    pub repr: bool,
    /// `field(compare=False)`: left out of `==`, the order comparisons and the hash.
    pub compare: bool,
}

/// What `@dataclass` recorded on a class.
#[derive(Clone, Debug)]
pub struct DataclassInfo {
    pub fields: Vec<Field>,
    /// Whether the generated `__init__` applies (the class defines none of its own).
    pub init: bool,
    pub repr: bool,
    pub eq: bool,
    pub order: bool,
    /// `frozen=True`: stores and deletes of attributes raise `FrozenInstanceError`, and with
    /// `eq` the instances hash by their fields.
    pub frozen: bool,
}

impl DataclassInfo {
    pub fn for_each_value(&self, f: &mut dyn FnMut(Value)) {
        for fl in &self.fields {
            f(fl.default);
            f(fl.factory);
        }
    }
}

/// The dataclass information of `v`'s class (an instance's), if it is a dataclass.
pub fn info_of(rt: &Rt, v: Value) -> Option<&DataclassInfo> {
    let cls = crate::vm::classes::class_of(rt, v)?;
    match rt.heap.get(cls) {
        Obj::Class(c) => c.dataclass.as_deref(),
        _ => None,
    }
}

/// The field values of an instance of a frozen dataclass with `eq` (what its generated
/// `__hash__` hashes), unless the class or a base defines its own `__hash__`.
pub fn frozen_fields(rt: &Rt, v: Value) -> Option<Vec<Value>> {
    let info = info_of(rt, v)?;
    if !(info.frozen && info.eq) {
        return None;
    }
    let cls = crate::vm::classes::class_of(rt, v)?;
    if rt.special.hash != u32::MAX && class_lookup(rt, cls, rt.special.hash).is_some() {
        return None;
    }
    let Value::Obj(id) = v else { return None };
    let Obj::Instance(inst) = rt.heap.get(id) else {
        return None;
    };
    Some(
        info.fields
            .iter()
            .filter(|f| f.compare)
            .map(|f| inst.attrs.get(&f.name).map_or(Value::None, |v| *v))
            .collect(),
    )
}

/// Whether `v` is an instance of a frozen dataclass (its attributes cannot be stored or
/// deleted).
pub fn is_frozen(rt: &Rt, v: Value) -> bool {
    info_of(rt, v).is_some_and(|i| i.frozen)
}

/// `dataclasses.FrozenInstanceError: cannot assign to field 'x'` (or `cannot delete`).
pub fn frozen_error(name: &str, delete: bool) -> Throw {
    Throw::new(
        ExcKind::FrozenInstanceError,
        format!(
            "cannot {} field '{name}'",
            if delete { "delete" } else { "assign to" }
        ),
    )
}

/// The field values of two instances of the same dataclass whose `__eq__` (or, with
/// `order`, comparisons) it generated: what they compare.
pub fn compared_fields(
    rt: &Rt,
    a: Value,
    b: Value,
    order: bool,
) -> Option<(Vec<Value>, Vec<Value>)> {
    let (Value::Obj(x), Value::Obj(y)) = (a, b) else {
        return None;
    };
    let (Obj::Instance(i), Obj::Instance(j)) = (rt.heap.get(x), rt.heap.get(y)) else {
        return None;
    };
    if i.class != j.class {
        return None;
    }
    let info = info_of(rt, a)?;
    if !(if order { info.order } else { info.eq }) {
        return None;
    }
    let get = |inst: &crate::vm::heap::Instance| -> Vec<Value> {
        info.fields
            .iter()
            .filter(|f| f.compare)
            .map(|f| inst.attrs.get(&f.name).map_or(Value::Undef, |v| *v))
            .collect()
    };
    Some((get(i), get(j)))
}

impl Vm {
    /// `dataclass(cls, init=…, repr=…, eq=…, order=…, frozen=…)`; with no class, the
    /// decorator that applies those options.
    pub fn dataclass(&mut self, args: &[Value], kw: &[(&str, Value)]) -> PyResult<Value> {
        let mut opts = [true, true, true, false, false];
        for (k, v) in kw {
            let i = match *k {
                "init" => 0,
                "repr" => 1,
                "eq" => 2,
                "order" => 3,
                "frozen" => 4,
                "unsafe_hash" | "match_args" | "kw_only" | "slots" => {
                    return Err(Throw::new(
                        ExcKind::NotImplementedError,
                        format!("dataclass({k}=...) is not supported by gilvm"),
                    ))
                }
                _ => {
                    return Err(Throw::type_error(format!(
                        "dataclass() got an unexpected keyword argument '{k}'"
                    )))
                }
            };
            opts[i] = ops::truthy(&self.rt, *v);
        }
        let cls = match args {
            [] => {
                // `@dataclass(order=True)`: `dataclass` with these keywords, waiting for the
                // class.
                let mut kwv = Vec::with_capacity(kw.len());
                for (k, v) in kw {
                    kwv.push((self.rt.new_str(*k)?, *v));
                }
                return self.rt.alloc(Obj::Partial {
                    func: Value::Native(NativeId::Dataclass),
                    args: Vec::new(),
                    kw: kwv,
                });
            }
            [c] => *c,
            _ => {
                return Err(Throw::type_error(format!(
                    "dataclass() takes from 0 to 1 positional arguments but {} were given",
                    args.len()
                )))
            }
        };
        let [init, repr, eq, order, frozen] = opts;
        if order && !eq {
            return Err(Throw::value_error("eq must be true if order is true"));
        }
        let Value::Obj(cid) = cls else {
            return Err(Throw::type_error("dataclass() should be called on a class"));
        };
        let Obj::Class(c) = self.rt.heap.get(cid) else {
            return Err(Throw::type_error("dataclass() should be called on a class"));
        };
        let d = self.rt.dunders;
        // Fields of dataclass bases first, as CPython collects them along the MRO.
        let mut fields: Vec<Field> = Vec::new();
        for b in c.mro.iter().rev() {
            if let Obj::Class(bc) = self.rt.heap.get(*b) {
                if let Some(bi) = &bc.dataclass {
                    for f in &bi.fields {
                        match fields.iter_mut().find(|g| g.name == f.name) {
                            Some(g) => *g = *f,
                            None => fields.push(*f),
                        }
                    }
                }
            }
        }
        let own_init = c.dict.contains_key(&d.init);
        let own_repr = c.dict.contains_key(&d.repr);
        let names: Vec<String> = match c.dict.get(&d.annotations) {
            Some(Value::Obj(a)) => match self.rt.heap.get(*a) {
                Obj::Dict(map) => map
                    .values()
                    .filter_map(|(k, _)| self.rt.as_str(*k).map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        if order {
            for op in ["__lt__", "__le__", "__gt__", "__ge__"] {
                let defined = self
                    .prog
                    .names
                    .iter()
                    .position(|n| n == op)
                    .is_some_and(|i| c.dict.contains_key(&(i as u32)));
                if defined {
                    return Err(Throw::type_error(format!(
                        "Cannot overwrite attribute {op} in class {}. Consider using \
                         functools.total_ordering",
                        c.name
                    )));
                }
            }
        }
        let mut own: Vec<(Field, Option<Value>)> = Vec::new();
        for n in &names {
            // Every annotated name is interned by the compiler, so this finds it.
            let Some(id) = self.prog.names.iter().position(|x| x == n) else {
                continue;
            };
            let id = id as u32;
            let mut field = Field {
                name: id,
                default: Value::Undef,
                factory: Value::Undef,
                init: true,
                repr: true,
                compare: true,
            };
            // What the class attribute becomes: the default, or nothing.
            let mut class_value = None;
            if let Some(v) = c.dict.get(&id).copied() {
                match self.field_marker(v) {
                    Some((default, factory, [init, repr, compare])) => {
                        field.default = default;
                        field.factory = factory;
                        field.init = init;
                        field.repr = repr;
                        field.compare = compare;
                        class_value = Some(default);
                    }
                    None => {
                        if let Value::Obj(o) = v {
                            if matches!(self.rt.heap.get(o), Obj::List(_) | Obj::Dict(_)) {
                                return Err(Throw::value_error(format!(
                                    "mutable default {} for field {n} is not allowed: use \
                                     default_factory",
                                    crate::vm::format::repr(
                                        &self.rt,
                                        Value::Native(
                                            if matches!(self.rt.heap.get(o), Obj::List(_)) {
                                                NativeId::List
                                            } else {
                                                NativeId::Dict
                                            }
                                        )
                                    )?
                                )));
                            }
                        }
                        field.default = v;
                        class_value = Some(v);
                    }
                }
            }
            own.push((field, class_value));
        }
        self.rt.class_epoch += 1;
        let Obj::Class(c) = self.rt.heap.get_mut(cid) else {
            return Err(Throw::type_error("dataclass() should be called on a class"));
        };
        for (f, class_value) in &own {
            match class_value {
                Some(Value::Undef) => {
                    c.dict.shift_remove(&f.name);
                }
                Some(v) => {
                    c.dict.insert(f.name, *v);
                }
                None => {}
            }
            match fields.iter_mut().find(|g| g.name == f.name) {
                Some(g) => *g = *f,
                None => fields.push(*f),
            }
        }
        // CPython's check, made when it builds `__init__`.
        if init && !own_init {
            let mut seen_default = false;
            for f in &fields {
                let has = f.default != Value::Undef || f.factory != Value::Undef;
                if has {
                    seen_default = true;
                } else if seen_default {
                    return Err(Throw::type_error(format!(
                        "non-default argument '{}' follows default argument",
                        self.prog.names[f.name as usize]
                    )));
                }
            }
        }
        self.rt.class_epoch += 1;
        let Obj::Class(c) = self.rt.heap.get_mut(cid) else {
            return Err(Throw::type_error("dataclass() should be called on a class"));
        };
        c.dataclass = Some(Box::new(DataclassInfo {
            fields,
            init: init && !own_init,
            repr: repr && !own_repr,
            eq,
            order,
            frozen,
        }));
        self.rt.user_dunders = true;
        self.rt.any_dataclass = true;
        self.rt.attr_hooks |= frozen;
        Ok(cls)
    }

    /// `(default, factory)` of a `field(...)` marker (`Undef` for an absent one).
    fn field_marker(&self, v: Value) -> Option<(Value, Value, [bool; 3])> {
        let Value::Obj(id) = v else { return None };
        let Obj::Tuple(t) = self.rt.heap.get(id) else {
            return None;
        };
        match t.as_slice() {
            [tag, hd, d, hf, f, init, repr, compare] if self.rt.as_str(*tag) == Some(FIELD_TAG) => {
                Some((
                    if *hd == Value::Bool(true) {
                        *d
                    } else {
                        Value::Undef
                    },
                    if *hf == Value::Bool(true) {
                        *f
                    } else {
                        Value::Undef
                    },
                    [init, repr, compare].map(|b| *b != Value::Bool(false)),
                ))
            }
            _ => None,
        }
    }

    /// The dataclass whose generated `__init__` instantiating `cls` runs, if any: the first
    /// class along the MRO that defines `__init__` or is a dataclass with one.
    pub fn dataclass_init_of(&self, cls: ObjId) -> Option<ObjId> {
        let Obj::Class(c) = self.rt.heap.get(cls) else {
            return None;
        };
        let init = self.rt.dunders.init;
        std::iter::once(cls)
            .chain(c.mro.iter().copied())
            .find_map(|k| {
                let Obj::Class(kc) = self.rt.heap.get(k) else {
                    return Some(None);
                };
                if kc.dict.contains_key(&init) {
                    return Some(None);
                }
                match &kc.dataclass {
                    Some(i) if i.init => Some(Some(k)),
                    _ => None,
                }
            })?
    }

    /// The generated `__init__(self, …)`: binds `args` (positional, then `kw.len()` keyword
    /// values, as `CALL` leaves them) to the fields of dataclass `dc` on instance `inst`.
    pub fn dataclass_init(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
        callee_at: usize,
        dc: ObjId,
        inst: Value,
        kw: &[(&str, Value)],
    ) -> PyResult<CallDone> {
        let fields = match self.rt.heap.get(dc) {
            Obj::Class(c) => c
                .dataclass
                .as_ref()
                .map(|i| i.fields.clone())
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let prog = self.prog.clone();
        let fname = |f: &Field| prog.names[f.name as usize].as_str();
        // The generated function's qualified name, as CPython's messages give it.
        let init = match self.rt.heap.get(dc) {
            Obj::Class(c) => format!("{}.__init__", c.qualname),
            _ => "__init__".to_string(),
        };
        let all = stack[callee_at + 1..].to_vec();
        let npos = all.len() - kw.len();
        // The parameters: the fields without `init=False`, in order.
        let params: Vec<usize> = (0..fields.len()).filter(|i| fields[*i].init).collect();
        if npos > params.len() {
            let required = params
                .iter()
                .filter(|i| {
                    fields[**i].default == Value::Undef && fields[**i].factory == Value::Undef
                })
                .count();
            let takes = if required == params.len() {
                format!(
                    "{} positional argument{}",
                    params.len() + 1,
                    if params.is_empty() { "" } else { "s" }
                )
            } else {
                format!(
                    "from {} to {} positional arguments",
                    required + 1,
                    params.len() + 1
                )
            };
            return Err(Throw::type_error(format!(
                "{init}() takes {takes} but {} were given",
                npos + 1
            )));
        }
        let mut vals: Vec<Value> = vec![Value::Undef; fields.len()];
        for (p, v) in params.iter().zip(&all[..npos]) {
            vals[*p] = *v;
        }
        for (k, v) in kw {
            let Some(i) = params.iter().position(|p| fname(&fields[*p]) == *k) else {
                return Err(Throw::type_error(format!(
                    "{init}() got an unexpected keyword argument '{k}'"
                )));
            };
            let i = params[i];
            if params
                .iter()
                .position(|p| *p == i)
                .is_some_and(|j| j < npos)
            {
                return Err(Throw::type_error(format!(
                    "{init}() got multiple values for argument '{k}'"
                )));
            }
            vals[i] = *v;
        }
        let missing: Vec<&str> = fields
            .iter()
            .zip(&vals)
            .filter(|(f, v)| {
                **v == Value::Undef && f.default == Value::Undef && f.factory == Value::Undef
            })
            .map(|(f, _)| fname(f))
            .collect();
        if !missing.is_empty() {
            let quoted: Vec<String> = missing.iter().map(|m| format!("'{m}'")).collect();
            let list = match quoted.as_slice() {
                [one] => one.clone(),
                [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
                [] => String::new(),
            };
            return Err(Throw::type_error(format!(
                "{init}() missing {} required positional argument{}: {list}",
                missing.len(),
                if missing.len() == 1 { "" } else { "s" }
            )));
        }
        // Python factories and `__post_init__` run in the prelude, after the native fields.
        let mut later_names = Vec::new();
        let mut later_factories = Vec::new();
        for (f, v) in fields.iter().zip(vals) {
            let v = if v != Value::Undef {
                v
            } else if f.factory == Value::Undef {
                f.default
            } else if let Value::Native(n) = f.factory {
                match self.call_value(Value::Native(n), &[], &[])? {
                    crate::vm::call::Outcome::Value(v) => v,
                    _ => Value::None,
                }
            } else {
                later_names.push(self.rt.new_str(fname(f).to_string())?);
                later_factories.push(f.factory);
                // Keeps the field order of the instance's attributes, as CPython's `__init__`
                // assigns in field order.
                Value::None
            };
            self.class_store_attr(inst, f.name, v)?;
        }
        let post_init = prog
            .names
            .iter()
            .position(|n| n == "__post_init__")
            .and_then(|i| {
                crate::vm::classes::class_of(&self.rt, inst)
                    .and_then(|c| class_lookup(&self.rt, c, i as u32))
            })
            .is_some();
        stack.truncate(callee_at);
        if later_factories.is_empty() && !post_init {
            stack.push(inst);
            return Ok(CallDone::Value);
        }
        let f = self.prelude_function(PreludeFn::DataclassFill)?;
        let names = self.rt.new_tuple(later_names)?;
        let factories = self.rt.new_tuple(later_factories)?;
        stack.push(f);
        stack.extend_from_slice(&[inst, names, factories, Value::Bool(post_init)]);
        self.do_call(stack, frames, callee_at, &[])
    }
}

/// `repr()` of a dataclass instance: `Name(x=1, y='a')`. `None` when the class's repr is not
/// generated.
pub fn repr_fields(rt: &Rt, v: Value) -> Option<(String, Vec<(String, Value)>)> {
    let info = info_of(rt, v)?;
    if !info.repr {
        return None;
    }
    let Value::Obj(id) = v else { return None };
    let Obj::Instance(inst) = rt.heap.get(id) else {
        return None;
    };
    let qual = match rt.heap.get(inst.class) {
        Obj::Class(c) => c.qualname.clone(),
        _ => String::new(),
    };
    let fields = info
        .fields
        .iter()
        .filter(|f| f.repr)
        .map(|f| {
            (
                rt.program.names[f.name as usize].clone(),
                inst.attrs.get(&f.name).map_or(Value::Undef, |v| *v),
            )
        })
        .collect();
    Some((qual, fields))
}
