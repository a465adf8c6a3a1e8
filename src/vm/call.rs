//! Calls: binding arguments to a Python function's parameters and pushing its frame, or
//! dispatching to a built-in. Also `MAKE_FUNCTION`.
//!
//! Stack layout at a call (CPython 3.11's, without its NULL): the callee at `callee_at`, then
//! the positional arguments, then the values of the keyword arguments whose names come from
//! `KW_NAMES`. For a method call the callee slot holds a `Value::Method` marker and the
//! receiver is the first argument. A Python callee's frame takes over the stack from
//! `callee_at`: its fast locals are written there, so a call copies nothing else.

use crate::bytecode::{MAKE_FUNCTION_CLOSURE, MAKE_FUNCTION_DEFAULTS, MAKE_FUNCTION_KWDEFAULTS};
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::{Function, Obj};
use crate::vm::interp::CallDone;
use crate::vm::machine::Vm;
use crate::vm::natives::{AttrSym, MethodId, NativeId, TypeTag};
use crate::vm::prelude::PreludeFn;
use crate::vm::thread::Frame;
use crate::vm::value::Value;
use crate::vm::{builtins, methods, ops, PyResult, Throw};

/// What a built-in did.
pub enum Outcome {
    Value(Value),
    /// Call this Python function with these arguments in place of the built-in (how built-ins
    /// reach the prelude); its return value is the built-in's result.
    Call(Value, Vec<Value>),
    /// The current thread blocked; the result comes with its wake-up.
    Blocked,
    /// Call this Python function for the built-in, its result treated as `vm::dunder` says
    /// (`len(obj)` calling `__len__`, which must return an int ≥ 0).
    Dunder(Value, Vec<Value>, crate::vm::dunder::Then),
    // ---- generators ----
    /// Resume this generator with this value sent in (`next(g)`, `g.send(v)`).
    Resume(
        crate::vm::value::ObjId,
        Value,
        crate::vm::generator::GenThen,
    ),
    /// Raise this exception inside this generator (`g.throw(e)`, `g.close()`).
    Throw(
        crate::vm::value::ObjId,
        crate::vm::value::ObjId,
        crate::vm::generator::GenThen,
    ),
}

impl Vm {
    /// Calls the callable at `stack[callee_at]` with everything above it as arguments.
    pub fn do_call(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
        callee_at: usize,
        kw: &[(&str, Value)],
    ) -> PyResult<CallDone> {
        let mut callee = stack[callee_at];
        match callee {
            Value::PyMethod(f) => {
                callee = Value::Obj(f);
                stack[callee_at] = callee;
            }
            Value::Obj(id) => match self.rt.heap.get(id) {
                Obj::BoundPyMethod { func, recv } => {
                    let (func, recv) = (*func, *recv);
                    stack[callee_at] = func;
                    stack.insert(callee_at + 1, recv);
                    return self.do_call(stack, frames, callee_at, kw);
                }
                Obj::Class(_) => return self.instantiate(stack, frames, callee_at, kw),
                Obj::StaticMethod(_) | Obj::Instance(_) | Obj::Partial { .. } => {
                    if let Some(done) = self.call_class_object(stack, frames, callee_at, kw)? {
                        return Ok(done);
                    }
                }
                _ => {}
            },
            Value::BoundExit(id) if matches!(self.rt.heap.get(id), Obj::GenCm(_)) => {
                // The exit call of `with cm:` on a `contextmanager` object.
                if let Obj::GenCm(g) = self.rt.heap.get(id) {
                    let g = *g;
                    let (f, args) = self.gen_cm_exit(g, Value::None, Value::None)?;
                    stack.truncate(callee_at);
                    stack.push(f);
                    stack.extend_from_slice(&args);
                    return self.do_call(stack, frames, callee_at, &[]);
                }
            }
            Value::BoundExit(id) if matches!(self.rt.heap.get(id), Obj::Instance(_)) => {
                // The exit call of `with obj:` on an instance: `obj.__exit__(None, None, None)`.
                let mgr = Value::Obj(id);
                let f = crate::vm::dunder::cm_method(&self.rt, mgr, self.rt.special.exit);
                if let Some(f) = f {
                    stack[callee_at] = f;
                    stack.insert(callee_at + 1, Value::Obj(id));
                    return self.do_call(stack, frames, callee_at, kw);
                }
            }
            Value::Native(NativeId::BuildClass) => {
                return self.build_class(stack, frames, callee_at, kw)
            }
            Value::Native(NativeId::Super) => {
                if !kw.is_empty() {
                    return Err(Throw::type_error("super() takes no keyword arguments"));
                }
                let args = stack[callee_at + 1..].to_vec();
                let v = self.new_super(stack, frames, &args)?;
                stack.truncate(callee_at);
                stack.push(v);
                return Ok(CallDone::Value);
            }
            _ => {}
        }
        if let Value::Obj(id) = callee {
            if let Obj::Function(f) = self.rt.heap.get(id) {
                let code_id = f.code;
                let prog = self.prog.clone();
                let code = &prog.codes[code_id as usize];
                let nargs = stack.len() - callee_at - 1;
                let nlocals = code.nlocalsplus();
                if frames.len() >= self.config.recursion_limit {
                    return Err(Throw::new(
                        ExcKind::RecursionError,
                        "maximum recursion depth exceeded",
                    ));
                }
                if kw.is_empty()
                    && !code.has_varargs
                    && !code.has_varkeywords
                    && code.kwonlyargcount == 0
                    && nargs == code.argcount as usize
                {
                    // Fast path: exactly the positional parameters, in place.
                    stack.copy_within(callee_at + 1.., callee_at);
                    stack.truncate(stack.len() - 1);
                    stack.resize(callee_at + nlocals, Value::Undef);
                } else {
                    let locals = self.bind_args(id, &stack[callee_at + 1..], kw)?;
                    stack.truncate(callee_at);
                    stack.extend_from_slice(&locals);
                }
                // What `hot` needs for this frame (`run_slice_impl`'s `need`): no spare
                // values, as a thread's first frame is its whole stack while it idles
                // (issue 21, threads under 1.3 KB); deeper calls grow it by doubling.
                stack.reserve(code.stacksize as usize + 1);
                frames.push(Frame {
                    code: code_id,
                    pc: 0,
                    base: callee_at as u32,
                    func: callee,
                    kwnames: u32::MAX,
                });
                return Ok(CallDone::Frame);
            }
        }
        let npos = stack.len() - callee_at - 1 - kw.len();
        let out = self.call_value(callee, &stack[callee_at + 1..callee_at + 1 + npos], kw)?;
        stack.truncate(callee_at);
        match out {
            Outcome::Value(v) => {
                stack.push(v);
                Ok(CallDone::Value)
            }
            Outcome::Blocked => Ok(CallDone::Blocked),
            Outcome::Call(f, args) => {
                stack.push(f);
                stack.extend_from_slice(&args);
                self.do_call(stack, frames, callee_at, &[])
            }
            Outcome::Dunder(f, args, then) => self.call_dunder(stack, frames, f, &args, then),
            Outcome::Resume(g, v, then) => self.gen_resume(stack, frames, g, v, then),
            Outcome::Throw(g, e, then) => self.gen_throw(stack, frames, g, e, then),
        }
    }

    /// Calls anything but a Python function. For `Value::Method` the receiver is `args[0]`.
    pub fn call_value(
        &mut self,
        callee: Value,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Outcome> {
        match callee {
            Value::Native(id) => {
                // Tested here, so that other calls do not pay for the call.
                if self.rt.generators || id.is_iteration_native() {
                    if let Some(out) = self.iteration_native(id, args, kw)? {
                        return Ok(out);
                    }
                }
                if id.is_class_native() {
                    if let Some(out) = self.class_native(id, args, kw)? {
                        return Ok(out);
                    }
                }
                if self.rt.user_dunders {
                    if let Some(out) = self.dunder_native(id, args, kw)? {
                        return Ok(out);
                    }
                }
                if self.rt.str_dunders {
                    if let Some(out) = self.dunder_builtin(id, args, kw)? {
                        return Ok(out);
                    }
                }
                if let Some(out) = self.key_function_call(id, args, kw)? {
                    return Ok(out);
                }
                if id == NativeId::Hasattr {
                    return self.hasattr(args, kw).map(Outcome::Value);
                }
                if crate::vm::threading::is_vm_native(id) {
                    self.call_vm_native(id, args, kw)
                } else {
                    builtins::call_builtin(&mut self.rt, id, args, kw).map(Outcome::Value)
                }
            }
            Value::Method(m) => {
                let (recv, rest) = match args.split_first() {
                    Some((r, rest)) => (*r, rest),
                    None => return Err(Throw::type_error("method called without its object")),
                };
                self.call_method(m, recv, rest, kw)
            }
            Value::BoundExit(id) => self.exit(id).map(Outcome::Value),
            Value::ExcType(kind) => {
                if !kw.is_empty() {
                    return Err(Throw::type_error(format!(
                        "{}() takes no keyword arguments",
                        kind.attr_name()
                    )));
                }
                self.new_exception(kind, args).map(Outcome::Value)
            }
            Value::Obj(id) => match self.rt.heap.get(id) {
                Obj::BoundMethod { recv, method } => {
                    let (recv, method) = (*recv, *method);
                    self.call_method(method, recv, args, kw)
                }
                Obj::Wraps(w) => {
                    let w = *w;
                    self.apply_wraps(w, args).map(Outcome::Value)
                }
                _ => Err(not_callable(&self.rt, callee)),
            },
            _ => Err(not_callable(&self.rt, callee)),
        }
    }

    /// Calls a built-in method on `recv`.
    pub fn call_method(
        &mut self,
        m: MethodId,
        recv: Value,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Outcome> {
        if m.ty == TypeTag::List && m.attr == AttrSym::sort {
            if let Some(key) = kwarg(kw, "key").filter(|k| *k != Value::None) {
                if !args.is_empty() {
                    return Err(Throw::type_error("sort() takes no positional arguments"));
                }
                let reverse = kwarg(kw, "reverse").unwrap_or(Value::Bool(false));
                let f = self.prelude_function(PreludeFn::ListSortKey)?;
                return Ok(Outcome::Call(f, vec![recv, key, reverse]));
            }
        }
        if self.rt.user_dunders {
            if let Some(out) = self.equality_method(m, recv, args, kw)? {
                return Ok(out);
            }
        }
        if m.ty == TypeTag::List && m.attr == AttrSym::sort && args.is_empty() {
            if let Some(out) = self.list_sort_objects(recv, kw)? {
                return Ok(out);
            }
        }
        if self.rt.generators {
            if let Some(out) = self.iteration_method(m, recv, args, kw)? {
                return Ok(out);
            }
        }
        match m.ty {
            TypeTag::Str
            | TypeTag::List
            | TypeTag::Tuple
            | TypeTag::Dict
            | TypeTag::Set
            | TypeTag::FrozenSet
            | TypeTag::Int
            | TypeTag::Random
            | TypeTag::Stream
            | TypeTag::Deque => {
                methods::call_method(&mut self.rt, m, recv, args, kw).map(Outcome::Value)
            }
            TypeTag::Exception => self.exception_init(recv, args, kw).map(Outcome::Value),
            TypeTag::Property => self.property_method(m, recv, args).map(Outcome::Value),
            TypeTag::Generator => self.generator_method(m.attr, recv, args, kw),
            TypeTag::Thread if m.attr == AttrSym::dunder_init => {
                self.thread_init(recv, args, kw).map(Outcome::Value)
            }
            _ => self.call_sync_method(m, recv, args, kw),
        }
    }

    /// Binds call arguments to the parameters of function `func`, Python's way, returning the
    /// initial fast locals.
    fn bind_args(
        &mut self,
        func: crate::vm::value::ObjId,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Vec<Value>> {
        let (code_id, defaults, kwdefaults) = match self.rt.heap.get(func) {
            Obj::Function(f) => (f.code, f.defaults.clone(), f.kwdefaults()),
            _ => return Err(Throw::type_error("not a function")),
        };
        let prog = self.prog.clone();
        let code = &prog.codes[code_id as usize];
        let fname = &code.qualname;
        let argcount = code.argcount as usize;
        let kwonly = code.kwonlyargcount as usize;
        let mut locals = vec![Value::Undef; code.nlocalsplus()];
        let npos = args.len() - kw.len();
        let pos = &args[..npos];
        for (i, v) in pos.iter().take(argcount).enumerate() {
            locals[i] = *v;
        }
        if npos > argcount {
            if code.has_varargs {
                let extra = self.rt.new_tuple(pos[argcount..].to_vec())?;
                locals[argcount + kwonly] = extra;
            } else {
                let given = npos;
                let takes = if defaults.is_empty() {
                    format!(
                        "{} positional argument{}",
                        argcount,
                        if argcount == 1 { "" } else { "s" }
                    )
                } else {
                    format!(
                        "from {} to {} positional arguments",
                        argcount - defaults.len(),
                        argcount
                    )
                };
                return Err(Throw::type_error(format!(
                    "{fname}() takes {takes} but {given} {} given",
                    if given == 1 { "was" } else { "were" }
                )));
            }
        } else if code.has_varargs {
            locals[argcount + kwonly] = self.rt.new_tuple(Vec::new())?;
        }
        let mut extra_kw = crate::vm::heap::DictMap::default();
        for (name, v) in kw {
            let slot = code.varnames[..argcount + kwonly]
                .iter()
                .position(|n| n == name);
            match slot {
                None if code.has_varkeywords => {
                    let key = self.rt.new_str(*name)?;
                    let hk = ops::hash_key(&self.rt, key)?;
                    if extra_kw.contains_key(&hk) {
                        return Err(Throw::type_error(format!(
                            "{fname}() got multiple values for argument '{name}'"
                        )));
                    }
                    ops::dict_insert(&mut extra_kw, hk, key, *v);
                }
                None => {
                    return Err(Throw::type_error(format!(
                        "{fname}() got an unexpected keyword argument '{name}'"
                    )))
                }
                Some(s) if locals[s] != Value::Undef => {
                    return Err(Throw::type_error(format!(
                        "{fname}() got multiple values for argument '{name}'"
                    )))
                }
                Some(s) => locals[s] = *v,
            }
        }
        let first_default = argcount - defaults.len().min(argcount);
        let mut missing = Vec::new();
        for i in 0..argcount {
            if locals[i] == Value::Undef {
                if i >= first_default {
                    locals[i] = defaults[i - first_default];
                } else {
                    missing.push(code.varnames[i].clone());
                }
            }
        }
        if !missing.is_empty() {
            return Err(Throw::type_error(format!(
                "{fname}() missing {} required positional argument{}: {}",
                missing.len(),
                if missing.len() == 1 { "" } else { "s" },
                join_names(&missing)
            )));
        }
        #[allow(clippy::needless_range_loop)]
        for i in argcount..argcount + kwonly {
            if locals[i] == Value::Undef {
                let name = &code.varnames[i];
                // Without making a `str` key: the hot loop's calls (`vm::fastcall`) bind the
                // same way, so both leave the heap alike.
                let d = kwdefaults.and_then(|d| crate::vm::fastcall::kwdefault(&self.rt, d, name));
                match d {
                    Some(v) => locals[i] = v,
                    None => missing.push(name.clone()),
                }
            }
        }
        if !missing.is_empty() {
            return Err(Throw::type_error(format!(
                "{fname}() missing {} required keyword-only argument{}: {}",
                missing.len(),
                if missing.len() == 1 { "" } else { "s" },
                join_names(&missing)
            )));
        }
        if code.has_varkeywords {
            let slot = argcount + kwonly + usize::from(code.has_varargs);
            self.rt.heap.charge(extra_kw.len().saturating_mul(72))?;
            locals[slot] = self.rt.new_dict(extra_kw)?;
        }
        Ok(locals)
    }

    /// `MAKE_FUNCTION flags`: pops the code constant and what the flags say; returns the
    /// function object.
    pub fn make_function(&mut self, stack: &mut Vec<Value>, flags: u32) -> PyResult<Value> {
        let code = match stack.pop() {
            Some(Value::Int(c)) => c as u32,
            _ => return Err(Throw::type_error("MAKE_FUNCTION expects a code object")),
        };
        let closure = if flags & MAKE_FUNCTION_CLOSURE != 0 {
            self.tuple_items(stack.pop().unwrap_or(Value::None))
        } else {
            Vec::new()
        };
        let mut attrs = crate::vm::heap::AttrMap::default();
        if flags & crate::bytecode::MAKE_FUNCTION_ANNOTATIONS != 0 {
            // Evaluated, as Python does: a tuple of names and values, kept as the function's
            // `__annotations__` dict when the program spells that name (nothing else reads it).
            let pairs = self.tuple_items(stack.pop().unwrap_or(Value::None));
            let name = self.rt.dunders.annotations;
            if name != u32::MAX {
                let mut map = crate::vm::heap::DictMap::default();
                for kv in pairs.chunks(2) {
                    if let [k, v] = kv {
                        let hk = ops::hash_key(&self.rt, *k)?;
                        ops::dict_insert(&mut map, hk, *k, *v);
                    }
                }
                let d = self.rt.new_dict(map)?;
                attrs.insert(name, d);
            }
        }
        let kwdefaults = if flags & MAKE_FUNCTION_KWDEFAULTS != 0 {
            stack.pop().and_then(|v| v.as_obj())
        } else {
            None
        };
        let defaults = if flags & MAKE_FUNCTION_DEFAULTS != 0 {
            self.tuple_items(stack.pop().unwrap_or(Value::None))
        } else {
            Vec::new()
        };
        let kwonly_defaults = match (kwdefaults, self.prog.codes.get(code as usize)) {
            (Some(d), Some(c)) => {
                let from = c.argcount as usize;
                let to = (from + c.kwonlyargcount as usize).min(c.varnames.len());
                c.varnames[from..to]
                    .iter()
                    .map(|n| crate::vm::fastcall::kwdefault(&self.rt, d, n).unwrap_or(Value::Undef))
                    .collect()
            }
            _ => Box::default(),
        };
        let extra = (kwdefaults.is_some() || !attrs.is_empty())
            .then(|| Box::new(crate::vm::heap::FunctionExtra { kwdefaults, attrs }));
        self.rt.alloc(Obj::Function(Function {
            code,
            defaults: defaults.into_boxed_slice(),
            kwonly_defaults,
            closure: closure.into_boxed_slice(),
            extra,
        }))
    }

    /// `list.index`/`count`/`remove` and `tuple.index`/`count` over items that compare with
    /// their class's `__eq__`, and `dict.get`/`setdefault`/`pop` with a key whose class
    /// defines `__hash__`: the prelude's loops, whose `==`, `in` and `d[k]` call them. `None`
    /// when the built-in method can answer alone.
    fn equality_method(
        &mut self,
        m: MethodId,
        recv: Value,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Option<Outcome>> {
        use crate::vm::dunder::{check_eq_here, unhashable, user_hash};
        if !kw.is_empty() || args.is_empty() {
            return Ok(None);
        }
        let x = args[0];
        if m.ty == TypeTag::Dict {
            if user_hash(&self.rt, x) && !unhashable(&self.rt, x) {
                let (f, rest) = match (m.attr, args.len()) {
                    (AttrSym::get, 1 | 2) => (
                        PreludeFn::DictGetObjects,
                        vec![args.get(1).copied().unwrap_or(Value::None)],
                    ),
                    (AttrSym::setdefault, 1 | 2) => (
                        PreludeFn::DictSetdefaultObjects,
                        vec![args.get(1).copied().unwrap_or(Value::None)],
                    ),
                    (AttrSym::pop, 1 | 2) => (
                        PreludeFn::DictPopObjects,
                        vec![
                            Value::Bool(args.len() == 2),
                            args.get(1).copied().unwrap_or(Value::None),
                        ],
                    ),
                    _ => return Ok(None),
                };
                let f = self.prelude_function(f)?;
                let mut a = vec![recv, x];
                a.extend(rest);
                return Ok(Some(Outcome::Call(f, a)));
            }
            return Ok(None);
        }
        let tuple = match m.ty {
            TypeTag::List => false,
            TypeTag::Tuple => true,
            _ => return Ok(None),
        };
        if !matches!(m.attr, AttrSym::index | AttrSym::count | AttrSym::remove)
            || (tuple && m.attr == AttrSym::remove)
        {
            return Ok(None);
        }
        let Value::Obj(id) = recv else {
            return Ok(None);
        };
        let items = match self.rt.heap.get(id) {
            Obj::List(v) | Obj::Tuple(v) => v.clone(),
            _ => return Ok(None),
        };
        // Only when some comparison would need a Python `__eq__`.
        if !items
            .iter()
            .any(|y| check_eq_here(&self.rt, *y, x).is_err())
        {
            return Ok(None);
        }
        let out = match m.attr {
            AttrSym::count if args.len() == 1 => {
                let f = self.prelude_function(PreludeFn::ListCountObjects)?;
                Outcome::Call(f, vec![recv, x])
            }
            AttrSym::remove if args.len() == 1 => {
                let f = self.prelude_function(PreludeFn::ListRemoveObjects)?;
                let msg = self.rt.new_str("list.remove(x): x not in list")?;
                Outcome::Call(f, vec![recv, x, msg])
            }
            AttrSym::index if args.len() <= 3 => {
                let n = items.len() as i64;
                let bound = |v: Option<&Value>, dflt: i64| -> PyResult<i64> {
                    match v {
                        None => Ok(dflt),
                        Some(Value::Int(i)) if *i < 0 => Ok((*i + n).max(0)),
                        Some(Value::Int(i)) => Ok(*i),
                        Some(Value::Bool(b)) => Ok(i64::from(*b)),
                        Some(_) => Err(Throw::type_error(
                            "slice indices must be integers or have an __index__ method",
                        )),
                    }
                };
                let start = bound(args.get(1), 0)?;
                let stop = bound(args.get(2), n)?;
                let f = self.prelude_function(PreludeFn::ListIndexObjects)?;
                let message = if tuple {
                    self.rt.new_str("tuple.index(x): x not in tuple")?
                } else {
                    self.rt.new_str(" is not in list")?
                };
                Outcome::Call(
                    f,
                    vec![
                        recv,
                        x,
                        Value::Int(start),
                        Value::Int(stop),
                        Value::Bool(!tuple),
                        message,
                    ],
                )
            }
            _ => return Ok(None),
        };
        Ok(Some(out))
    }

    /// A function object for a prelude function.
    pub fn prelude_function(&mut self, f: PreludeFn) -> PyResult<Value> {
        let Some(code) = self.prelude.code(f) else {
            // `prelude::needs_classes` says which programs get it: a gilvm defect if not.
            return Err(Throw::new(
                ExcKind::RuntimeError,
                format!("gilvm internal error: the prelude lacks {}", f.name()),
            ));
        };
        self.rt.alloc(Obj::Function(Function::plain(code)))
    }

    /// `sorted`, `min` and `max` with a `key=` function run in the prelude.
    fn key_function_call(
        &mut self,
        id: NativeId,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Option<Outcome>> {
        if !matches!(id, NativeId::Sorted | NativeId::Min | NativeId::Max) {
            return Ok(None);
        }
        let Some(key) = kwarg(kw, "key").filter(|k| *k != Value::None) else {
            return Ok(None);
        };
        let name = id.name();
        if args.is_empty() {
            return Err(Throw::type_error(format!(
                "{name} expected at least 1 argument, got 0"
            )));
        }
        if id == NativeId::Sorted {
            if args.len() != 1 {
                return Err(Throw::type_error(format!(
                    "sorted expected 1 argument, got {}",
                    args.len()
                )));
            }
            let reverse = kwarg(kw, "reverse").unwrap_or(Value::Bool(false));
            if let Some(out) = self.sorted_key_native(args[0], key, reverse)? {
                return Ok(Some(out));
            }
            let f = self.prelude_function(PreludeFn::SortedKey)?;
            return Ok(Some(Outcome::Call(f, vec![args[0], key, reverse])));
        }
        let items = if args.len() == 1 {
            args[0]
        } else {
            self.rt.new_tuple(args.to_vec())?
        };
        let default = kwarg(kw, "default");
        if default.is_some() && args.len() > 1 {
            return Err(Throw::type_error(format!(
                "Cannot specify a default for {name}() with multiple positional arguments"
            )));
        }
        let fname = self.rt.new_str(name)?;
        let which = if id == NativeId::Min {
            PreludeFn::MinKey
        } else {
            PreludeFn::MaxKey
        };
        let f = self.prelude_function(which)?;
        Ok(Some(Outcome::Call(
            f,
            vec![
                fname,
                items,
                key,
                Value::Bool(default.is_some()),
                default.unwrap_or(Value::None),
            ],
        )))
    }

    fn tuple_items(&self, v: Value) -> Vec<Value> {
        match v {
            Value::Obj(id) => match self.rt.heap.get(id) {
                Obj::Tuple(t) | Obj::List(t) => t.clone(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// A dict of keyword arguments (`**kwargs`, `Thread(kwargs=…)`) as (name, value) pairs.
    pub fn dict_as_kwargs(&self, d: Value) -> PyResult<Vec<(String, Value)>> {
        let Value::Obj(id) = d else {
            return Err(Throw::type_error("argument after ** must be a mapping"));
        };
        match self.rt.heap.get(id) {
            Obj::Dict(map) => {
                let mut out = Vec::with_capacity(map.len());
                for (k, v) in map.values() {
                    match self.rt.as_str(*k) {
                        Some(s) => out.push((s.to_string(), *v)),
                        None => return Err(Throw::type_error("keywords must be strings")),
                    }
                }
                Ok(out)
            }
            _ => Err(Throw::type_error("argument after ** must be a mapping")),
        }
    }
}

fn kwarg(kw: &[(&str, Value)], name: &str) -> Option<Value> {
    kw.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
}

fn join_names(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        2 => format!("{} and {}", quoted[0], quoted[1]),
        n => format!("{}, and {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

fn not_callable(rt: &crate::vm::Rt, v: Value) -> Throw {
    Throw::type_error(format!(
        "'{}' object is not callable",
        ops::type_name(rt, v)
    ))
}

impl Vm {
    /// `DICT_UPDATE` / `DICT_MERGE`: `{**src}`, or `f(**src)` when `callee` is given (then a
    /// key already present is an error, and the messages name the callee as CPython does).
    pub fn dict_update_op(
        &mut self,
        target: Value,
        src: Value,
        callee: Option<Value>,
    ) -> PyResult<()> {
        let entries = match src {
            Value::Obj(id) => match self.rt.heap.get(id) {
                Obj::Dict(d) => Some(d.iter().map(|(k, &kv)| (k.clone(), kv)).collect::<Vec<_>>()),
                _ => None,
            },
            _ => None,
        };
        let Some(entries) = entries else {
            let ty = ops::type_name(&self.rt, src);
            return Err(Throw::type_error(match callee {
                Some(f) => format!(
                    "{} argument after ** must be a mapping, not {ty}",
                    self.function_str(f)
                ),
                None => format!("'{ty}' object is not a mapping"),
            }));
        };
        let Value::Obj(tid) = target else {
            return Ok(());
        };
        if let Some(f) = callee {
            if let Obj::Dict(d) = self.rt.heap.get(tid) {
                if let Some((_, (k, _))) = entries.iter().find(|(hk, _)| d.contains_key(hk)) {
                    let key = crate::vm::format::str_of(&self.rt, *k)?;
                    return Err(Throw::type_error(format!(
                        "{} got multiple values for keyword argument '{key}'",
                        self.function_str(f)
                    )));
                }
            }
        }
        self.rt.heap.charge(entries.len().saturating_mul(72))?;
        if let Obj::Dict(d) = self.rt.heap.get_mut(tid) {
            for (hk, (k, v)) in entries {
                ops::dict_insert(d, hk, k, v);
            }
        }
        Ok(())
    }

    /// CPython's `_PyObject_FunctionStr`: `__main__.f()`, `print()`, `threading.Thread()`.
    pub fn function_str(&self, f: Value) -> String {
        let f = match f {
            Value::PyMethod(id) => Value::Obj(id),
            Value::Obj(id) => match self.rt.heap.get(id) {
                Obj::BoundPyMethod { func, .. } => *func,
                _ => f,
            },
            _ => f,
        };
        match f {
            Value::Obj(id) => match self.rt.heap.get(id) {
                Obj::Function(func) => {
                    let q = self
                        .prog
                        .codes
                        .get(func.code as usize)
                        .map_or("?", |c| c.qualname.as_str());
                    format!("__main__.{q}()")
                }
                Obj::Class(_) => {
                    format!(
                        "__main__.{}()",
                        crate::vm::classes::class_qualname(&self.rt, id)
                    )
                }
                _ => format!("{}()", ops::type_name(&self.rt, f)),
            },
            Value::Native(n) => {
                let name = n.name().trim_end();
                if n <= NativeId::Callable {
                    format!("{name}()")
                } else {
                    let module = crate::vm::natives::ModuleId::ALL
                        .iter()
                        .find(|m| m.member(name) == Some(n))
                        .map_or("builtins", |m| m.name());
                    format!("{module}.{name}()")
                }
            }
            Value::ExcType(k) => format!("{}()", k.attr_name()),
            _ => format!("{}()", ops::type_name(&self.rt, f)),
        }
    }
}
