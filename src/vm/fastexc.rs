//! Exceptions inside the hot loop (issue 21): an exception raised by an instruction `Vm::hot`
//! runs (or by `raise` of an exception instance, which it now runs too) and caught by a
//! handler in the same frame or in a calling plain function's frame is unwound there, and the
//! loop goes on in the handler — together with `PUSH_EXC_INFO`, `CHECK_EXC_MATCH` and
//! `POP_EXCEPT`, which `hot` runs as `slow_op` does. Before, each left `hot` for `run_slice`
//! (and `slow_op`) and came back: a round trip per instruction of every `except` clause.
//!
//! The unwinding itself is `Vm::unwind`'s, called with the frame's pc and call site saved as
//! `run_slice` saves them, so the traceback entries, the implicit `__context__` and the
//! handler's stack are the same. `hot` asks [`Vm::hot_catches`] first and unwinds only when a
//! handler is certain to be found through frames of plain functions: a generator's frame
//! (which an escaping exception closes), a special method's or `__init__`'s marker frame, a
//! class body, a thread's outermost frame and anything else keep the slow path.

use crate::bytecode::Program;
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::thread::Frames;
use crate::vm::value::Value;
use crate::vm::Throw;

impl Vm {
    /// Whether `err`, raised by the instruction at `pc - 1` of the top frame, is caught by a
    /// handler of that frame or of a caller reached through plain Python functions' frames
    /// only (each popped frame's function an `Obj::Function`). `false` for the interpreter's
    /// instruction limit, which is not an exception.
    #[inline(never)]
    pub(crate) fn hot_catches(
        &self,
        frames: &Frames,
        prog: &Program,
        pc: usize,
        err: &Throw,
    ) -> bool {
        if matches!(err, Throw::Limit) {
            return false;
        }
        let mut index = (pc as u32).saturating_sub(1);
        for (k, fr) in frames.iter().rev().enumerate() {
            if k > 0 {
                index = fr.pc.saturating_sub(1);
            }
            let Some(code) = prog.codes.get(fr.code as usize) else {
                return false;
            };
            if code
                .exception_table
                .iter()
                .any(|h| h.start <= index && index < h.end)
            {
                return true;
            }
            // This frame would be popped: only a plain function's, as `hot`'s own return.
            match fr.func {
                Value::Obj(f) if matches!(self.rt.heap.get(f), Obj::Function(_)) => {}
                _ => return false,
            }
        }
        false
    }
}
