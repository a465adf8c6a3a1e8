//! Built-ins whose CPython versions call special methods from C: `len`, `bool`, `iter`,
//! `next`, `hash`, `abs` call them as frames (`Outcome::Dunder`); `sorted`, `min`, `max`,
//! `sum`, `list.sort` over such objects and the built-ins that iterate over an instance with
//! `__iter__` (`list(obj)`, `sum(obj)`, …) run prelude loops that use the operators.

use super::{is_instance, method, unhashable, Then};
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::natives::NativeId;
use crate::vm::ops;
use crate::vm::value::Value;
use crate::vm::{PyResult, Throw};

impl Vm {
    /// Built-ins called with an instance whose class defines the special method they use:
    /// `len`, `bool`, `iter`, `next`, `hash`, `abs`; the built-ins that iterate (`list(obj)`,
    /// `sum(obj)`, …) over an instance with `__iter__`; `sorted`, `min`, `max` of instances
    /// with `__lt__`. `None` when the built-in's own code applies.
    pub fn dunder_native(
        &mut self,
        id: NativeId,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<Option<crate::vm::call::Outcome>> {
        use crate::vm::call::Outcome;
        let n = *self.rt.special;
        let one = |name| match (args, kw) {
            ([x], []) => method(&self.rt, *x, name).map(|f| (f, *x)),
            _ => None,
        };
        let out = match id {
            NativeId::Len => one(n.len).map(|(f, x)| Outcome::Dunder(f, vec![x], Then::Len)),
            NativeId::Bool => match (args, kw) {
                ([x], []) => self
                    .truth_method(*x)
                    .map(|(f, len)| Outcome::Dunder(f, vec![*x], Then::Truth { len })),
                _ => None,
            },
            NativeId::Iter => one(n.iter).map(|(f, x)| Outcome::Dunder(f, vec![x], Then::Iter)),
            NativeId::Next => match (args, kw) {
                ([x], []) => {
                    method(&self.rt, *x, n.next).map(|f| Outcome::Dunder(f, vec![*x], Then::Value))
                }
                ([x, d], []) => method(&self.rt, *x, n.next)
                    .map(|f| Outcome::Dunder(f, vec![*x], Then::NextDefault(*d))),
                _ => None,
            },
            NativeId::Hash => match (args, kw) {
                ([x], []) if is_instance(&self.rt, *x) => {
                    if unhashable(&self.rt, *x) {
                        return Err(Throw::type_error(format!(
                            "unhashable type: '{}'",
                            ops::type_name(&self.rt, *x)
                        )));
                    }
                    method(&self.rt, *x, n.hash).map(|f| Outcome::Dunder(f, vec![*x], Then::Hash))
                }
                _ => None,
            },
            NativeId::Abs => one(n.abs).map(|(f, x)| Outcome::Dunder(f, vec![x], Then::Value)),
            NativeId::Sum if self.sums_objects(args, kw) => {
                let start = match (args, kw) {
                    ([_, s], _) => *s,
                    (_, [("start", s)]) => *s,
                    _ => Value::Int(0),
                };
                let f = self.prelude_function(crate::vm::prelude::PreludeFn::SumObjects)?;
                Some(Outcome::Call(f, vec![args[0], start]))
            }
            NativeId::Sorted | NativeId::Min | NativeId::Max
                if kw.iter().all(|(k, _)| *k != "key") && self.orders_objects(args) =>
            {
                Some(self.sort_objects(id, args, kw)?)
            }
            // `all(items)`/`any(items)` of a list or tuple holding an instance with
            // `__bool__` or `__len__`: the prelude's loop, which asks each item's truth.
            NativeId::All | NativeId::Any if kw.is_empty() && self.truths_objects(args) => {
                let (f, first) = if id == NativeId::All {
                    (crate::vm::prelude::PreludeFn::ItAllRest, true)
                } else {
                    (crate::vm::prelude::PreludeFn::ItAnyRest, false)
                };
                let f = self.prelude_function(f)?;
                Some(Outcome::Call(f, vec![args[0], Value::Bool(first)]))
            }
            NativeId::List
            | NativeId::Tuple
            | NativeId::Sum
            | NativeId::Sorted
            | NativeId::Min
            | NativeId::Max
            | NativeId::Enumerate
            | NativeId::Zip
            | NativeId::All
            | NativeId::Any
            | NativeId::Dict
            | NativeId::Reversed => {
                let mask: Vec<Value> = args
                    .iter()
                    .map(|a| Value::Bool(method(&self.rt, *a, n.iter).is_some()))
                    .collect();
                if !mask.contains(&Value::Bool(true)) {
                    return Ok(None);
                }
                if !kw.is_empty() {
                    // `sorted(counter, key=…, reverse=…)`: the prelude's
                    // `call_with_lists_kw`, which passes the keywords on.
                    let mut map = crate::vm::heap::DictMap::default();
                    for (k, v) in kw {
                        let key = self.rt.new_str(*k)?;
                        let hk = crate::vm::ops::hash_key(&self.rt, key)?;
                        crate::vm::ops::dict_insert(&mut map, hk, key, *v);
                    }
                    let kwd = self.rt.new_dict(map)?;
                    let a = self.rt.new_tuple(args.to_vec())?;
                    let m = self.rt.new_tuple(mask)?;
                    let f =
                        self.prelude_function(crate::vm::prelude::PreludeFn::ItCallWithListsKw)?;
                    return Ok(Some(Outcome::Call(f, vec![Value::Native(id), a, m, kwd])));
                }
                let f = self.prelude_function(crate::vm::prelude::PreludeFn::CallWithLists)?;
                let args_v = self.rt.new_tuple(args.to_vec())?;
                let mask = self.rt.new_tuple(mask)?;
                Some(Outcome::Call(f, vec![Value::Native(id), args_v, mask]))
            }
            _ => None,
        };
        Ok(out)
    }

    /// Whether `all(items)`/`any(items)` asks the truth of an instance with `__bool__` or
    /// `__len__` (in a list or tuple).
    fn truths_objects(&self, args: &[Value]) -> bool {
        let [Value::Obj(id)] = args else { return false };
        match self.rt.heap.get(*id) {
            Obj::List(v) | Obj::Tuple(v) => v.iter().any(|x| self.truth_method(*x).is_some()),
            _ => false,
        }
    }

    /// Whether `sum(items[, start])` adds instances (in a list or tuple, or as the start).
    fn sums_objects(&self, args: &[Value], kw: &[(&str, Value)]) -> bool {
        let inst = |v: &Value| is_instance(&self.rt, *v);
        let items = match (args, kw) {
            ([items], []) | ([items, _], []) | ([items], [("start", _)]) => *items,
            _ => return false,
        };
        let start_inst = args.get(1).or(kw.first().map(|(_, v)| v)).is_some_and(inst);
        let Value::Obj(id) = items else { return false };
        match self.rt.heap.get(id) {
            Obj::List(v) | Obj::Tuple(v) => start_inst || v.iter().any(inst),
            _ => false,
        }
    }

    /// Whether `sorted`/`min`/`max` arguments hold instances ordered by special methods.
    fn orders_objects(&self, args: &[Value]) -> bool {
        let n = &self.rt.special;
        let ordered = |v: &Value| {
            [0usize, 1, 4, 5]
                .iter()
                .any(|&op| method(&self.rt, *v, n.compare[op]).is_some())
        };
        match args {
            [Value::Obj(id)] => match self.rt.heap.get(*id) {
                Obj::List(items) | Obj::Tuple(items) => items.iter().any(ordered),
                _ => false,
            },
            [_] => false,
            _ => args.iter().any(ordered),
        }
    }

    /// `sorted`/`min`/`max` of instances with `__lt__`: the prelude's versions, which compare
    /// with `<` (or `>`) in Python.
    fn sort_objects(
        &mut self,
        id: NativeId,
        args: &[Value],
        kw: &[(&str, Value)],
    ) -> PyResult<crate::vm::call::Outcome> {
        use crate::vm::call::Outcome;
        use crate::vm::prelude::PreludeFn;
        let kwarg = |name: &str| kw.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        for (k, _) in kw {
            let ok = match id {
                NativeId::Sorted => *k == "reverse",
                _ => *k == "default",
            };
            if !ok {
                return Err(Throw::type_error(format!(
                    "{}() got an unexpected keyword argument '{k}'",
                    id.name()
                )));
            }
        }
        if id == NativeId::Sorted {
            if args.len() != 1 {
                return Err(Throw::type_error(format!(
                    "sorted expected 1 argument, got {}",
                    args.len()
                )));
            }
            let reverse = Value::Bool(ops::truthy(
                &self.rt,
                kwarg("reverse").unwrap_or(Value::None),
            ));
            let f = self.prelude_function(PreludeFn::SortObjects)?;
            return Ok(Outcome::Call(f, vec![args[0], reverse]));
        }
        let items = if args.len() == 1 {
            args[0]
        } else {
            self.rt.new_tuple(args.to_vec())?
        };
        let default = kwarg("default");
        let f = self.prelude_function(PreludeFn::MinMaxObjects)?;
        let msg = self
            .rt
            .new_str(format!("{}() arg is an empty sequence", id.name()))?;
        Ok(Outcome::Call(
            f,
            vec![
                items,
                Value::Bool(id == NativeId::Max),
                Value::Bool(default.is_some()),
                default.unwrap_or(Value::None),
                msg,
            ],
        ))
    }

    /// `list.sort()` of instances with `__lt__`: the prelude's merge sort.
    pub fn list_sort_objects(
        &mut self,
        recv: Value,
        kw: &[(&str, Value)],
    ) -> PyResult<Option<crate::vm::call::Outcome>> {
        if !self.rt.user_dunders || kw.iter().any(|(k, _)| *k != "reverse") {
            return Ok(None);
        }
        if !self.orders_objects(&[recv]) {
            return Ok(None);
        }
        let reverse = kw
            .iter()
            .find(|(k, _)| *k == "reverse")
            .is_some_and(|(_, v)| ops::truthy(&self.rt, *v));
        let f = self.prelude_function(crate::vm::prelude::PreludeFn::ListSortObjects)?;
        Ok(Some(crate::vm::call::Outcome::Call(
            f,
            vec![recv, Value::Bool(reverse)],
        )))
    }
}
