//! Built-ins over generators, `map` and `filter`, `itertools` and `contextlib.contextmanager`.
//!
//! A built-in written in Rust walks an iterable with `ops::iter_next`, which cannot run a
//! generator's frame (the interpreter loop is never re-entered). So a built-in given a
//! generator is driven natively by `vm::consume` (`sum`, `any`, `all`, `min`/`max` without
//! `key=`, and `list`, `tuple`, `set`, `dict`, `sorted`, `str.join`, … given one generator
//! and no keywords: each item taken at the generator's `yield`, lazily, so
//! `sum(x*x for x in range(10**9))` builds no list), or else hands the work to the prelude
//! (`prelude.toy`, section "iteration"), as those given instances with `__iter__` do:
//! `enumerate`, `zip`, `map` and `filter` are prelude generators (lazy, as CPython's), and the
//! other built-ins that consume a whole iterable (`min(g, key=f)`, `sorted(g, key=f)`, …) get
//! it as a list made by a `for` loop. `itertools` is written in the prelude as CPython's documentation
//! gives each function's equivalent: its objects are generators there (`repr` says
//! `<generator object count at …>`, where CPython says `count(0)`).

use crate::vm::call::Outcome;
use crate::vm::exceptions::ExcKind;
use crate::vm::generator::{any_generator, is_generator, Consume};
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::natives::NativeId;
use crate::vm::prelude::PreludeFn;
use crate::vm::value::Value;
use crate::vm::{ops, PyResult, Throw};

/// The position of the one generator among `args` (`None` without one, or with several).
fn single_generator(rt: &crate::vm::Rt, args: &[Value]) -> Option<usize> {
    let mut found = None;
    for (i, a) in args.iter().enumerate() {
        if is_generator(rt, *a) {
            if found.is_some() {
                return None;
            }
            found = Some(i);
        }
    }
    found
}

/// `contextmanager`'s messages, as CPython's contextlib words them.
pub const NO_YIELD: &str = "generator didn't yield";
pub const NO_STOP: &str = "generator didn't stop";
pub const NO_STOP_THROW: &str = "generator didn't stop after throw()";

impl Vm {
    /// Built-ins that are prelude functions (`map`, `filter`, `itertools`, `contextlib`), and
    /// built-ins given a generator. `None` when the built-in's own code applies.
    pub fn iteration_native(
        &mut self,
        id: NativeId,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Option<Outcome>> {
        use NativeId::*;
        let own = id.is_iteration_native();
        if !own && !self.rt.generators {
            return Ok(None);
        }
        let any_gen = any_generator(&self.rt, args)
            || (self.rt.generators && kw.iter().any(|(_, a)| is_generator(&self.rt, *a)));
        if !own && !any_gen {
            return Ok(None);
        }
        let name = id.name();
        let kwarg = |k: &str| kw.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        let no_kw = |what: &str| -> PyResult<()> {
            if kw.is_empty() {
                Ok(())
            } else {
                Err(Throw::type_error(format!(
                    "{what}() takes no keyword arguments"
                )))
            }
        };
        let call = |vm: &mut Vm, f: PreludeFn, a: Vec<Value>| -> PyResult<Option<Outcome>> {
            let f = vm.prelude_function(f)?;
            Ok(Some(Outcome::Call(f, a)))
        };
        match id {
            Next => {
                no_kw("next")?;
                match args {
                    [Value::Obj(g)] if is_generator(&self.rt, args[0]) => Ok(Some(
                        Outcome::Resume(*g, Value::None, crate::vm::generator::GenThen::Value),
                    )),
                    [Value::Obj(g), d] if is_generator(&self.rt, args[0]) => {
                        Ok(Some(Outcome::Resume(
                            *g,
                            Value::None,
                            crate::vm::generator::GenThen::NextDefault(*d),
                        )))
                    }
                    _ => Ok(None),
                }
            }
            Iter => match (args, kw) {
                ([g], []) if is_generator(&self.rt, *g) => Ok(Some(Outcome::Value(*g))),
                _ => Ok(None),
            },
            Sum if is_generator(&self.rt, args.first().copied().unwrap_or(Value::None)) => {
                let start = match (args, kw) {
                    ([_], []) => Value::Int(0),
                    ([_, s], []) | ([_], [("start", s)]) => *s,
                    _ => return Ok(None),
                };
                // CPython refuses a str start before taking any item.
                if let Value::Obj(s) = start {
                    if let Obj::Str(_) = self.rt.heap.get(s) {
                        return Err(Throw::type_error(
                            "sum() can't sum strings [use ''.join(seq) instead]",
                        ));
                    }
                }
                // gen4: natively (`vm::consume`), unless the start may need `__add__`.
                if self.rt.user_dunders && !matches!(start, Value::Int(_) | Value::Float(_)) {
                    return call(self, PreludeFn::ItSumIter, vec![args[0], start]);
                }
                self.consume_start(args[0], Consume::Sum, start)
            }
            Any | All => match (args, kw) {
                ([x], []) => {
                    let kind = if id == Any {
                        Consume::Any
                    } else {
                        Consume::All
                    };
                    self.consume_start(*x, kind, Value::None)
                }
                _ => Ok(None),
            },
            Min | Max if args.len() == 1 && kwarg("key").is_none() => {
                for (k, _) in kw {
                    if *k != "default" {
                        return Err(Throw::type_error(format!(
                            "'{k}' is an invalid keyword argument for {name}()"
                        )));
                    }
                }
                let default = kwarg("default");
                let kind = Consume::MinMax {
                    max: id == Max,
                    seen: false,
                    has_default: default.is_some(),
                };
                self.consume_start(args[0], kind, default.unwrap_or(Value::None))
            }
            Enumerate => {
                let (it, start) = match (args, kw) {
                    ([it], []) => (*it, Value::Int(0)),
                    ([it, s], []) | ([it], [("start", s)]) => (*it, *s),
                    _ => return Ok(None),
                };
                call(self, PreludeFn::ItEnumerate, vec![it, start])
            }
            Zip => {
                no_kw("zip")?;
                let t = self.rt.new_tuple(args.to_vec())?;
                call(self, PreludeFn::ItZip, vec![t])
            }
            Map => {
                no_kw("map")?;
                if args.len() < 2 {
                    return Err(Throw::type_error("map() must have at least two arguments."));
                }
                let t = self.rt.new_tuple(args[1..].to_vec())?;
                call(self, PreludeFn::ItMap, vec![args[0], t])
            }
            Filter => {
                no_kw("filter")?;
                match args {
                    [f, it] => call(self, PreludeFn::ItFilter, vec![*f, *it]),
                    _ => Err(Throw::type_error(format!(
                        "filter expected 2 arguments, got {}",
                        args.len()
                    ))),
                }
            }
            List | Tuple | Set | FrozenSet | Dict | DictFromKeys | Sorted | Min | Max | Str
            | Len | Deque => {
                if matches!(id, Str | Len) {
                    // str(g) is its repr and len(g) a TypeError: the built-in says so.
                    return Ok(None);
                }
                // gen4: one generator and no keywords, natively (`vm::consume`).
                if let (Some(pos), true) = (single_generator(&self.rt, args), kw.is_empty()) {
                    if id == List && args.len() == 1 {
                        let acc = self.rt.new_list(Vec::new())?;
                        return self.consume_start(args[0], Consume::List, acc);
                    }
                    return self.consume_collect(Value::Native(id), args, pos);
                }
                let mask: Vec<Value> = args
                    .iter()
                    .map(|a| Value::Bool(is_generator(&self.rt, *a)))
                    .collect();
                let mut map = crate::vm::heap::DictMap::default();
                for (k, v) in kw {
                    let key = self.rt.new_str(*k)?;
                    let hk = ops::hash_key(&self.rt, key)?;
                    ops::dict_insert(&mut map, hk, key, *v);
                }
                let kwd = self.rt.new_dict(map)?;
                let a = self.rt.new_tuple(args.to_vec())?;
                let m = self.rt.new_tuple(mask)?;
                call(
                    self,
                    PreludeFn::ItCallWithListsKw,
                    vec![Value::Native(id), a, m, kwd],
                )
            }
            Count => {
                let start = kwarg("start")
                    .or(args.first().copied())
                    .unwrap_or(Value::Int(0));
                let step = kwarg("step")
                    .or(args.get(1).copied())
                    .unwrap_or(Value::Int(1));
                if args.len() > 2 {
                    return Err(Throw::type_error(format!(
                        "count expected at most 2 arguments, got {}",
                        args.len()
                    )));
                }
                check_number(&self.rt, start)?;
                check_number(&self.rt, step)?;
                // Native, as CPython's: `next(c)` is one step, safe from several threads.
                let c = self.rt.alloc(Obj::ItCount { cur: start, step })?;
                Ok(Some(Outcome::Value(c)))
            }
            Cycle => {
                no_kw("cycle")?;
                match args {
                    [it] => {
                        self.check_iterable(*it)?;
                        call(self, PreludeFn::ItCycle, vec![*it])
                    }
                    _ => Err(Throw::type_error(format!(
                        "cycle expected 1 argument, got {}",
                        args.len()
                    ))),
                }
            }
            Repeat => {
                let obj = kwarg("object").or(args.first().copied());
                let times = kwarg("times").or(args.get(1).copied());
                let Some(obj) = obj else {
                    return Err(Throw::type_error(
                        "repeat() missing required argument 'object' (pos 1)",
                    ));
                };
                let times = match times {
                    None => Value::None,
                    Some(Value::Int(n)) => Value::Int(n.max(0)),
                    Some(v) => {
                        return Err(Throw::type_error(format!(
                            "'{}' object cannot be interpreted as an integer",
                            ops::type_name(&self.rt, v)
                        )))
                    }
                };
                call(self, PreludeFn::ItRepeat, vec![obj, times])
            }
            Accumulate => {
                let Some(it) = args.first().copied() else {
                    return Err(Throw::type_error(
                        "accumulate() missing required argument 'iterable' (pos 1)",
                    ));
                };
                self.check_iterable(it)?;
                let func = kwarg("func")
                    .or(args.get(1).copied())
                    .unwrap_or(Value::None);
                let initial = kwarg("initial");
                let has = initial.is_some_and(|v| v != Value::None);
                call(
                    self,
                    PreludeFn::ItAccumulate,
                    vec![it, func, Value::Bool(has), initial.unwrap_or(Value::None)],
                )
            }
            Chain => {
                no_kw("chain")?;
                let t = self.rt.new_tuple(args.to_vec())?;
                call(self, PreludeFn::ItChain, vec![t])
            }
            ChainFromIterable => {
                no_kw("from_iterable")?;
                match args {
                    [it] => call(self, PreludeFn::ItChain, vec![*it]),
                    _ => Err(Throw::type_error(format!(
                        "chain.from_iterable() takes exactly one argument ({} given)",
                        args.len()
                    ))),
                }
            }
            Islice => {
                no_kw("islice")?;
                let (it, rest) = match args.split_first() {
                    Some((it, rest)) if (1..=3).contains(&rest.len()) => (*it, rest),
                    _ => {
                        return Err(Throw::type_error(format!(
                            "islice expected at most 4 arguments, got {}",
                            args.len()
                        )))
                    }
                };
                let idx = |v: Value, what: &str, min: i64| -> PyResult<Option<i64>> {
                    match v {
                        Value::None => Ok(None),
                        Value::Int(n) if n >= min => Ok(Some(n)),
                        _ => Err(Throw::new(ExcKind::ValueError, what.to_string())),
                    }
                };
                let stop_msg = "Stop argument for islice() must be None or an integer: \
                                0 <= x <= sys.maxsize.";
                let other_msg = "Indices for islice() must be None or an integer: \
                                 0 <= x <= sys.maxsize.";
                let (start, stop, step) = match rest {
                    [stop] => (None, idx(*stop, stop_msg, 0)?, None),
                    [a, b] => (idx(*a, other_msg, 0)?, idx(*b, stop_msg, 0)?, None),
                    [a, b, c] => (
                        idx(*a, other_msg, 0)?,
                        idx(*b, stop_msg, 0)?,
                        idx(
                            *c,
                            "Step for islice() must be a positive integer or None.",
                            1,
                        )?,
                    ),
                    _ => (None, None, None),
                };
                self.check_iterable(it)?;
                call(
                    self,
                    PreludeFn::ItIslice,
                    vec![
                        it,
                        Value::Int(start.unwrap_or(0)),
                        Value::Int(stop.unwrap_or(i64::MAX)),
                        Value::Int(step.unwrap_or(1)),
                    ],
                )
            }
            Product => {
                for (k, _) in kw {
                    if *k != "repeat" {
                        return Err(Throw::type_error(format!(
                            "product() got an unexpected keyword argument '{k}'"
                        )));
                    }
                }
                let repeat = match kwarg("repeat") {
                    None => 1,
                    Some(Value::Int(n)) if n >= 0 => n,
                    Some(Value::Int(_)) => {
                        return Err(Throw::new(
                            ExcKind::ValueError,
                            "repeat argument cannot be negative",
                        ))
                    }
                    Some(v) => {
                        return Err(Throw::type_error(format!(
                            "'{}' object cannot be interpreted as an integer",
                            ops::type_name(&self.rt, v)
                        )))
                    }
                };
                for a in args {
                    self.check_iterable(*a)?;
                }
                let pools = self.rt.new_list(args.to_vec())?;
                call(self, PreludeFn::ItProduct, vec![pools, Value::Int(repeat)])
            }
            Permutations | Combinations => {
                let it = kwarg("iterable").or(args.first().copied());
                let r = kwarg("r").or(args.get(1).copied());
                let Some(it) = it else {
                    return Err(Throw::type_error(format!(
                        "{name}() missing required argument 'iterable' (pos 1)"
                    )));
                };
                self.check_iterable(it)?;
                let r = match (id, r) {
                    (Permutations, None | Some(Value::None)) => Value::None,
                    (Combinations, None) => {
                        return Err(Throw::type_error(
                            "combinations() missing required argument 'r' (pos 2)",
                        ))
                    }
                    (_, Some(Value::Int(n))) if n < 0 => {
                        return Err(Throw::new(ExcKind::ValueError, "r must be non-negative"))
                    }
                    (_, Some(Value::Int(n))) => Value::Int(n),
                    (_, Some(v)) => {
                        return Err(Throw::type_error(format!(
                            "Expected int as r, got {}",
                            ops::type_name(&self.rt, v)
                        )))
                    }
                    (_, None) => Value::None,
                };
                let f = if id == Permutations {
                    PreludeFn::ItPermutations
                } else {
                    PreludeFn::ItCombinations
                };
                call(self, f, vec![it, r])
            }
            Groupby => {
                let it = kwarg("iterable").or(args.first().copied());
                let key = kwarg("key").or(args.get(1).copied()).unwrap_or(Value::None);
                let Some(it) = it else {
                    return Err(Throw::type_error(
                        "groupby() missing required argument 'iterable' (pos 1)",
                    ));
                };
                self.check_iterable(it)?;
                call(self, PreludeFn::ItGroupby, vec![it, key])
            }
            ZipLongest => {
                for (k, _) in kw {
                    if *k != "fillvalue" {
                        return Err(Throw::type_error(format!(
                            "zip_longest() got an unexpected keyword argument '{k}'"
                        )));
                    }
                }
                for a in args {
                    self.check_iterable(*a)?;
                }
                let fill = kwarg("fillvalue").unwrap_or(Value::None);
                let t = self.rt.new_tuple(args.to_vec())?;
                call(self, PreludeFn::ItZipLongest, vec![t, fill])
            }
            Starmap | Takewhile | Dropwhile => {
                no_kw(name)?;
                match args {
                    [f, it] => {
                        self.check_iterable(*it)?;
                        let p = match id {
                            Starmap => PreludeFn::ItStarmap,
                            Takewhile => PreludeFn::ItTakewhile,
                            _ => PreludeFn::ItDropwhile,
                        };
                        call(self, p, vec![*f, *it])
                    }
                    _ => Err(Throw::type_error(format!(
                        "{name} expected 2 arguments, got {}",
                        args.len()
                    ))),
                }
            }
            Contextmanager => {
                no_kw("contextmanager")?;
                match args {
                    [f] => call(
                        self,
                        PreludeFn::ItContextmanager,
                        vec![*f, Value::Native(GenCm)],
                    ),
                    _ => Err(Throw::type_error(format!(
                        "contextmanager() takes 1 positional argument but {} were given",
                        args.len()
                    ))),
                }
            }
            GeneratorType => Err(Throw::type_error("cannot create 'generator' instances")),
            GenCm => match args {
                [g] => Ok(Some(Outcome::Value(self.rt.alloc(Obj::GenCm(*g))?))),
                _ => Err(Throw::type_error(
                    "_GeneratorContextManager expects a generator",
                )),
            },
            _ => Ok(None),
        }
    }

    /// A method of a str, list, set or dict given a generator (`"-".join(g)`,
    /// `xs.extend(g)`): the prelude calls it with the generator made a list.
    pub fn iteration_method(
        &mut self,
        m: crate::vm::natives::MethodId,
        recv: Value,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Option<Outcome>> {
        if !any_generator(&self.rt, args) {
            return Ok(None);
        }
        // gen4: one generator and no keywords, natively (`vm::consume`).
        if let (Some(pos), true) = (single_generator(&self.rt, args), kw.is_empty()) {
            let bound = self.rt.alloc(Obj::BoundMethod { recv, method: m })?;
            return self.consume_collect(bound, args, pos);
        }
        let mask: Vec<Value> = args
            .iter()
            .map(|a| Value::Bool(is_generator(&self.rt, *a)))
            .collect();
        let mut map = crate::vm::heap::DictMap::default();
        for (k, v) in kw {
            let key = self.rt.new_str(*k)?;
            let hk = ops::hash_key(&self.rt, key)?;
            ops::dict_insert(&mut map, hk, key, *v);
        }
        let kwd = self.rt.new_dict(map)?;
        let bound = self.rt.alloc(Obj::BoundMethod { recv, method: m })?;
        let a = self.rt.new_tuple(args.to_vec())?;
        let mk = self.rt.new_tuple(mask)?;
        let f = self.prelude_function(PreludeFn::ItCallWithListsKw)?;
        Ok(Some(Outcome::Call(f, vec![bound, a, mk, kwd])))
    }

    /// CPython's `iter()` check on an itertools argument: a `TypeError` at the call, not at
    /// the first `next`.
    fn check_iterable(&mut self, v: Value) -> PyResult<()> {
        if is_generator(&self.rt, v)
            || crate::vm::dunder::method(&self.rt, v, self.rt.special.iter).is_some()
        {
            return Ok(());
        }
        ops::get_iter(&mut self.rt, v).map(|_| ())
    }

    /// `with cm:` on a `contextmanager` object: its `__enter__`, the prelude's `cm_enter`.
    pub fn gen_cm_enter(&mut self, gen: Value) -> PyResult<(Value, Vec<Value>)> {
        let f = self.prelude_function(PreludeFn::ItCmEnter)?;
        let msg = self.rt.new_str(NO_YIELD)?;
        Ok((f, vec![gen, msg]))
    }

    /// Its `__exit__(typ, exc, tb)`: the prelude's `cm_exit`.
    pub fn gen_cm_exit(
        &mut self,
        gen: Value,
        typ: Value,
        exc: Value,
    ) -> PyResult<(Value, Vec<Value>)> {
        let f = self.prelude_function(PreludeFn::ItCmExit)?;
        let m1 = self.rt.new_str(NO_STOP)?;
        let m2 = self.rt.new_str(NO_STOP_THROW)?;
        Ok((f, vec![gen, typ, exc, m1, m2]))
    }
}

fn check_number(rt: &crate::vm::Rt, v: Value) -> PyResult<()> {
    // CPython 3.11's `count` says only "a number is required".
    match v {
        Value::Int(_) | Value::Float(_) | Value::Bool(_) => Ok(()),
        _ if crate::vm::bigint::is_int(rt, v) => Ok(()),
        _ => Err(Throw::type_error("a number is required")),
    }
}
