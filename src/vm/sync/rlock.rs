//! `threading.RLock`: a reentrant lock. Its state is a [`LockObj`](super::LockObj) whose
//! `count` says how many times the owner holds it; the shared lock core (`lock.rs`) does the
//! blocking and the hand-over, this file the two things that make it reentrant: the owner may
//! take it again, and only the owner may release it.

use crate::vm::call::Outcome;
use crate::vm::exceptions::ExcKind;
use crate::vm::machine::Vm;
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Throw};

impl Vm {
    /// The owner takes its RLock once more.
    pub fn rlock_reenter(&mut self, id: ObjId) -> PyResult<Outcome> {
        let l = self.lock_state(id)?;
        l.count = l
            .count
            .checked_add(1)
            .ok_or_else(|| Throw::new(ExcKind::OverflowError, "internal lock count overflowed"))?;
        Ok(Outcome::Value(Value::Bool(true)))
    }

    /// `RLock.release()`: by its owner only; the last release frees it.
    pub fn rlock_release(&mut self, id: ObjId) -> PyResult<()> {
        let me = self.current;
        let l = self.lock_state(id)?;
        if l.owner != Some(me) {
            return Err(Throw::new(
                ExcKind::RuntimeError,
                "cannot release un-acquired lock",
            ));
        }
        l.count -= 1;
        if l.count > 0 {
            return Ok(());
        }
        self.lock_release_all(id)?;
        Ok(())
    }
}
