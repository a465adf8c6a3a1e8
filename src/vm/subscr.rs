//! subscr: `STORE_SUBSCR` inside the hot loop (issue 21). `container[index] = value` on an
//! exact list with an int index in range, or on an exact dict with an int or str key, runs
//! as one out-of-line step of `Vm::hot` instead of leaving it for `slow_op` and re-entering
//! (the round trip through `run_slice` cost more than the store itself).
//!
//! The step does exactly what `slow_op`'s `STORE_SUBSCR` does when no class defines a
//! special method: the store through `ops::setitem` (same heap accounting, same errors),
//! then, once two threads exist, the item's location, the check-then-act detector's act and
//! write of the container, and the lost-update check and race detector's write
//! (`Vm::item_stored`). Anything else (a slice, an index out of range, a bool or big-int
//! index, any other container or key) answers "not taken" with nothing changed, and the
//! slow path runs the instruction.

use crate::vm::heap::{HashKey, Obj};
use crate::vm::lost::{LocKey, ReadLog};
use crate::vm::machine::Vm;
use crate::vm::ops;
use crate::vm::value::Value;
use crate::vm::PyResult;

impl Vm {
    /// `container[index] = value` at instruction `at` of code `code_id` (frame base `base`),
    /// for `Vm::hot`: `Ok(false)` when it is not a case taken here (nothing changed), else
    /// `Ok(true)` or the exception the store raised (its operands consumed, as the slow path
    /// leaves them).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    pub(crate) fn hot_store_subscr(
        &mut self,
        reads: &mut ReadLog,
        container: Value,
        index: Value,
        value: Value,
        code_id: u32,
        base: usize,
        at: usize,
    ) -> PyResult<bool> {
        let Value::Obj(id) = container else {
            return Ok(false);
        };
        // ld3: where the item exists (a list index in range, a dict key already there) the
        // store is made here from the one look-up, as `ops::setitem` makes it; a new dict
        // key goes through `ops::setitem` (its heap charge and growth).
        let heap = &self.rt.heap;
        let slot = match heap.get(id) {
            Obj::List(items) => match index {
                Value::Int(i) => {
                    let n = items.len() as i64;
                    if !(-n..n).contains(&i) {
                        return Ok(false);
                    }
                    Some(if i < 0 { i + n } else { i } as usize)
                }
                _ => return Ok(false),
            },
            Obj::Dict(d) => {
                // ld3: `d[k] = d.get(k, 0) + 1` — the entry `d.get` found, if it still
                // holds this key (`methfast::dict_hint`); else the look-up.
                let (hint_dict, hint_pos) = crate::vm::methfast::dict_hint();
                let hinted = if hint_dict == id.0 {
                    d.get_index(hint_pos as usize).map(|(key, _)| key)
                } else {
                    None
                };
                match index {
                    Value::Int(i) => match hinted {
                        Some(HashKey::Int(j)) if *j == i => Some(hint_pos as usize),
                        _ => d.get_index_of_int(i),
                    },
                    Value::Obj(k) => match heap.get(k) {
                        Obj::Str(s) => match hinted {
                            Some(HashKey::Str(t)) if **t == *s.as_str() => Some(hint_pos as usize),
                            _ => d.get_index_of_str(s.as_str()),
                        },
                        _ => return Ok(false),
                    },
                    _ => return Ok(false),
                }
            }
            _ => return Ok(false),
        };
        match (slot, self.rt.heap.get_mut(id)) {
            (Some(i), Obj::List(items)) => {
                if let Some(x) = items.get_mut(i) {
                    *x = value;
                }
            }
            (Some(i), Obj::Dict(d)) => {
                if let Some((_, (_, v))) = d.get_index_mut(i) {
                    *v = value;
                }
            }
            _ => ops::setitem(&mut self.rt, container, index, value)?,
        }
        // As `slow_op`: no location (and nothing to record) while one thread runs.
        if let Some(loc) = self.item_loc(container, index) {
            if self.cta.armed(self.current) {
                self.cta_act(LocKey::Item(loc), id.0, false, code_id, base, at);
            }
            self.cta_wrote(id.0, None, code_id, at as u32);
            self.item_stored(reads, loc, value, code_id, at as u32);
        }
        Ok(true)
    }
}
