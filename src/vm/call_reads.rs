//! Reads made by built-in calls, for the lost-update detector (`lost.rs`).
//!
//! `d.get(k)` reads the item `d[k]` as `d[k]` does: `tally[w] = tally.get(w, 0) + 1` is a
//! read-modify-write of `tally[w]` in two steps, and another thread's store between the
//! `get` and the store is lost exactly as in `tally[w] += 1`. The call itself is one atomic
//! access (CPython runs it under the GIL), so the race detector still counts it as a single
//! read; only the lost-update detector's read log learns of it here.
//!
//! Cost: `CALL` is a slow instruction already; this adds one comparison of the callee with
//! the `dict.get` method and, only when it matches and a second thread exists, the item's
//! location (as `BINARY_SUBSCR` finds it).

use crate::vm::lost::{LocKey, ReadLog};
use crate::vm::machine::Vm;
use crate::vm::natives::{AttrSym, MethodId, TypeTag};
use crate::vm::value::Value;

impl Vm {
    /// Before the call whose callee is at `stack[callee_at]`: when it is `d.get(k[, default])`
    /// on a dict, records this thread's read of `d[k]` (present or not: a missing key is the
    /// location the first store creates) at (code, pc).
    #[inline]
    pub(crate) fn note_call_read(
        &mut self,
        reads: &mut ReadLog,
        stack: &[Value],
        callee_at: usize,
        code: u32,
        pc: u32,
    ) {
        let Some(Value::Method(MethodId {
            ty: TypeTag::Dict,
            attr: AttrSym::get,
        })) = stack.get(callee_at)
        else {
            return;
        };
        self.dict_get_read(reads, stack, callee_at, code, pc);
    }

    #[cold]
    #[inline(never)]
    fn dict_get_read(
        &mut self,
        reads: &mut ReadLog,
        stack: &[Value],
        callee_at: usize,
        code: u32,
        pc: u32,
    ) {
        let (Some(&d), Some(&k)) = (stack.get(callee_at + 1), stack.get(callee_at + 2)) else {
            return;
        };
        let Some(loc) = self.item_loc(d, k) else {
            return;
        };
        let meta = self.items.locs[loc as usize].meta;
        reads.record(LocKey::Item(loc), &meta, code, pc);
    }
}
