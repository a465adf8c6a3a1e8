//! Dict keys that are instances whose class defines `__hash__` (and `__eq__`): `d[k]`,
//! `d[k] = v`, `del d[k]`, `k in d` and dict displays call `__hash__` first
//! (`Then::KeyHash`); when stored keys have the same hash, the prelude's `find_equal_key` calls
//! `__eq__` on them (`Then::KeyFound`); then the operation runs on the entry keyed by that
//! hash and the stored key (`HashKey::User`), as CPython keeps each key's hash.

use super::{method, unhashable, user_hash, Then};
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::{HashKey, Obj};
use crate::vm::interp::CallDone;
use crate::vm::machine::Vm;
use crate::vm::ops;
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Throw};

/// A dict operation on a key whose class defines `__hash__` (`Then::KeyHash`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyOp {
    /// `d[k]`
    Get,
    /// `d[k] = v`
    Set,
    /// `del d[k]`
    Del,
    /// `k in d` (`negate`: `not in`)
    Contains { negate: bool },
}

impl Vm {
    /// A dict key whose class defines `__hash__` (hash `h`): the stored key equal to it, found
    /// by the prelude's `find_equal_key` when another stored key has the same hash.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn key_lookup(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
        op: KeyOp,
        d: Value,
        k: Value,
        v: Value,
        h: i64,
    ) -> PyResult<CallDone> {
        let Value::Obj(did) = d else {
            return Err(Throw::type_error("not a dict"));
        };
        let kid = match k {
            Value::Obj(id) => id.0,
            _ => u32::MAX,
        };
        let candidates: Vec<Value> = match self.rt.heap.get(did) {
            Obj::Dict(map) => map
                .iter()
                .filter(|(hk, _)| matches!(hk, HashKey::User(g, _) if *g == h))
                .map(|(_, (key, _))| *key)
                .collect(),
            _ => Vec::new(),
        };
        if candidates.is_empty() || candidates.contains(&Value::Obj(ObjId(kid))) {
            return self.key_op(stack, op, d, k, k, v, h);
        }
        let f = self.prelude_function(crate::vm::prelude::PreludeFn::FindEqualKey)?;
        let cands = self.rt.new_tuple(candidates)?;
        let then = Then::KeyFound { op, d, k, v, h };
        self.call_dunder(stack, frames, f, &[cands, k], then)
    }

    /// The dict operation `op` on `d` with the stored key `found` (hash `h`), for key `k`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn key_op(
        &mut self,
        stack: &mut Vec<Value>,
        op: KeyOp,
        d: Value,
        k: Value,
        found: Value,
        v: Value,
        h: i64,
    ) -> PyResult<CallDone> {
        let (Value::Obj(did), Value::Obj(fid)) = (d, found) else {
            return Err(Throw::type_error("not a dict"));
        };
        let hk = HashKey::User(h, fid.0);
        let Obj::Dict(map) = self.rt.heap.get_mut(did) else {
            return Err(Throw::type_error("not a dict"));
        };
        let r = match op {
            KeyOp::Get => map.get(&hk).map(|(_, v)| *v),
            KeyOp::Set => {
                ops::dict_insert(map, hk, found, v);
                Some(Value::None)
            }
            KeyOp::Del => map.shift_remove(&hk).map(|_| Value::None),
            KeyOp::Contains { negate } => {
                stack.push(Value::Bool(map.contains_key(&hk) != negate));
                return Ok(CallDone::Value);
            }
        };
        match (op, r) {
            (KeyOp::Get, Some(v)) => {
                stack.push(v);
                Ok(CallDone::Value)
            }
            (_, Some(_)) => Ok(CallDone::Value),
            (_, None) => Err(Throw::NewArgs {
                kind: ExcKind::KeyError,
                args: vec![k],
            }),
        }
    }

    /// `d[k]`, `d[k] = v`, `del d[k]`, `k in d` where `d` is a dict and `k` an instance whose
    /// class defines `__hash__`: its `__hash__`, then the lookup (`Then::KeyHash`). `None`
    /// for any other operands.
    pub fn dict_key_op(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
        op: KeyOp,
        d: Value,
        k: Value,
        v: Value,
    ) -> Option<PyResult<CallDone>> {
        if !self.rt.user_dunders {
            return None;
        }
        let Value::Obj(did) = d else { return None };
        if !matches!(self.rt.heap.get(did), Obj::Dict(_)) || unhashable(&self.rt, k) {
            return None;
        }
        let f = method(&self.rt, k, self.rt.special.hash)?;
        Some(self.call_dunder(stack, frames, f, &[k], Then::KeyHash { op, d, k, v }))
    }

    /// A dict display whose keys include instances whose class defines `__hash__`: the
    /// prelude's `build_dict`, which stores each by `d[k] = v`.
    pub fn build_dict_call(&mut self, items: &[Value]) -> PyResult<Option<(Value, [Value; 2])>> {
        if !self.rt.user_dunders || !items.chunks(2).any(|kv| user_hash(&self.rt, kv[0])) {
            return Ok(None);
        }
        let keys: Vec<Value> = items.chunks(2).map(|kv| kv[0]).collect();
        let values: Vec<Value> = items.chunks(2).map(|kv| kv[1]).collect();
        let f = self.prelude_function(crate::vm::prelude::PreludeFn::BuildDict)?;
        let keys = self.rt.new_tuple(keys)?;
        let values = self.rt.new_tuple(values)?;
        Ok(Some((f, [keys, values])))
    }
}
