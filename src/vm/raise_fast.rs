//! exc4: built-in exception classes and `int()` called, and their exceptions caught,
//! without the general call machinery (issue 21).
//!
//! `KeyError(i)` and `int(s)` are calls `Vm::hot` hands back to `run_slice` (their callee is
//! not a Python function), which gives them to `slow_op`. Its `CALL` asks
//! [`Vm::call_builtin_fast`] first: the same constructor `call_value` would call
//! (`Vm::new_exception`, or `builtins::call_builtin` of `int` on one `str`), so the object,
//! its heap charge and every error are the general path's, without `do_call`'s and
//! `call_value`'s dispatch. Only when nothing else needs to see the call: no keyword names,
//! no method marker, no check-then-act check or act (the terms of `hot`'s own built-in method
//! calls), not under `--races`; for `int`, no class defining special methods.
//!
//! An error of such a call (`int("x")`'s `ValueError`) is unwound by [`Vm::hot_unwind`] when
//! its handler is in the running frame or below plain Python function frames: `run_slice`'s
//! `unwind`, step for step (the exception object made from the `Throw`, its `__context__`
//! from the exception being handled, a traceback entry per frame left and one for the
//! handler's, the frames popped, the handler's stack depth, `lasti` and the exception pushed,
//! its pc set to the handler). Anything else — a generator's frame, a special method's or
//! `__init__`'s frame, a frame whose room the stack lacks, no handler, the work limit — is
//! handed back untouched and unwound by `run_slice` as before.
//!
//! Neither is called from inside `hot`: both were built there first (the call and the unwind
//! taken without leaving the loop) and cost the unlocked counter's loop, which runs neither,
//! 2–11% in instructions from register allocation and layout alone (docs/performance.md).

use crate::bytecode::{Instr, Program};
use crate::vm::heap::{Obj, TbEntry};
use crate::vm::machine::Vm;
use crate::vm::natives::NativeId;
use crate::vm::sync::Site;
use crate::vm::thread::Frames;
use crate::vm::value::Value;
use crate::vm::Throw;

/// No `KW_NAMES` pending (`interp.rs`'s `NO_KW`, a frame's `kwnames` when none).
const NO_KW: u32 = u32::MAX;

/// What [`Vm::call_builtin_fast`] did.
pub(crate) enum Caught {
    /// The call's result replaced the callee and its arguments on the stack.
    Value,
    /// It raised, and the handler's frame is now on top, its pc at the handler.
    Handler,
    /// It raised, for `run_slice` to unwind.
    Raise(Throw),
    /// Not a call made here.
    Slow,
}

impl Vm {
    /// `CALL` (`ins`), handed back by `hot` at `pc - 1` of `code_id` with the stack pointer
    /// at `sp`: a built-in exception class's instance, or `int(str)`, as
    /// [`Caught::Value`]; an error `int` raised is unwound here when it can be
    /// ([`Vm::hot_unwind`]). `Slow` for every other call, and whenever something else needs
    /// to see it: keyword names, a method marker, the check-then-act detector's checks and
    /// acts (the terms of `hot`'s built-in method calls). Not under `--races`, whose slow path
    /// this is.
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn call_builtin_fast(
        &mut self,
        prog: &Program,
        stack: &mut Vec<Value>,
        frames: &mut Frames,
        ins: Instr,
        base: usize,
        code_id: u32,
        pc: usize,
        kwnames: u32,
    ) -> Caught {
        if kwnames != NO_KW || ins.check || self.items.wholes || self.cta.armed(self.current) {
            return Caught::Slow;
        }
        let sp = stack.len();
        let Some(at) = sp.checked_sub(ins.arg as usize + 1) else {
            return Caught::Slow;
        };
        if at > base
            && matches!(
                stack[at - 1],
                Value::Method(_) | Value::PyMethod(_) | Value::BoundExit(_)
            )
        {
            return Caught::Slow;
        }
        let args = &stack[at + 1..sp];
        let r = match stack[at] {
            Value::ExcType(kind) => {
                self.note_call_site(code_id, pc);
                self.new_exception(kind, args)
            }
            Value::Native(NativeId::Int)
                if args.len() == 1
                    && !self.rt.user_dunders
                    && !self.rt.str_dunders
                    && self.rt.as_str(args[0]).is_some() =>
            {
                self.note_call_site(code_id, pc);
                crate::vm::builtins::call_builtin(&mut self.rt, NativeId::Int, args, &[])
            }
            _ => return Caught::Slow,
        };
        match r {
            Ok(v) => {
                stack.truncate(at);
                stack.push(v);
                Caught::Value
            }
            Err(t) => match self.hot_unwind(prog, stack, frames, t, code_id, pc, kwnames) {
                Ok(()) => Caught::Handler,
                Err(t) => Caught::Raise(t),
            },
        }
    }

    /// Where built-ins see they were called from, as `run_slice`'s `save_pc` sets it.
    #[inline(always)]
    fn note_call_site(&mut self, code_id: u32, pc: usize) {
        if code_id < self.prelude.start {
            self.call_site = Site {
                code: code_id,
                pc: (pc as u32).saturating_sub(1),
            };
        }
    }

    /// Unwinds `t`, raised by the `CALL` or `RAISE_VARARGS` at `pc - 1` of the top frame
    /// (`kwnames` pending), to a handler in that frame or below plain function frames:
    /// `Ok` with the handler's frame on top, its pc at the handler and the stack at its
    /// depth; `Err(t)` untouched when `run_slice` must unwind it. (`run_slice` retries
    /// neither instruction through special methods: its `dunder_retry` is for operators,
    /// comparisons, `FOR_ITER` and jumps.)
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn hot_unwind(
        &mut self,
        prog: &Program,
        stack: &mut Vec<Value>,
        frames: &mut Frames,
        t: Throw,
        code_id: u32,
        pc: usize,
        kwnames: u32,
    ) -> Result<(), Throw> {
        if matches!(t, Throw::Limit) {
            return Err(t);
        }
        // Where the handler is, decided before anything changes.
        let n = frames.len();
        let top_index = (pc as u32).saturating_sub(1);
        let mut k = n;
        let mut handler = None;
        while k > 0 {
            let fr = &frames[k - 1];
            let index = if k == n {
                top_index
            } else {
                fr.pc.saturating_sub(1)
            };
            let fcode = &prog.codes[fr.code as usize];
            if let Some(h) = fcode
                .exception_table
                .iter()
                .find(|h| h.start <= index && index < h.end)
            {
                handler = Some(*h);
                break;
            }
            // Left by the exception: only a plain function's frame (a generator is closed,
            // a special method's marker may turn StopIteration into a value: `unwind`).
            let Value::Obj(f) = fr.func else {
                return Err(t);
            };
            if !matches!(self.rt.heap.get(f), Obj::Function(_)) {
                return Err(t);
            }
            k -= 1;
        }
        let Some(h) = handler else { return Err(t) };
        let hf = frames[k - 1];
        let hbase = hf.base as usize + prog.codes[hf.code as usize].nlocalsplus();
        // Out of memory making it: `unwind` makes the `MemoryError`.
        let exc = self.rt.exception_object(t)?;
        // `save_pc`, then `unwind`'s steps.
        if let Some(f) = frames.last_mut() {
            f.pc = pc as u32;
            f.kwnames = kwnames;
        }
        self.note_call_site(code_id, pc);
        let handled = self.threads[self.current as usize].exc_info;
        if let Obj::Exception(e) = self.rt.heap.get_mut(exc) {
            if e.context.is_none() && handled != Value::Obj(exc) && handled != Value::None {
                e.context = Some(handled);
            }
            for fr in frames[k - 1..].iter().rev() {
                e.traceback.push(TbEntry {
                    code: fr.code,
                    pc: fr.pc.saturating_sub(1),
                });
            }
        }
        frames.truncate(k);
        stack.truncate(hbase + h.depth as usize);
        let index = frames[k - 1].pc.saturating_sub(1);
        if h.lasti {
            stack.push(Value::Int(index as i64));
        }
        stack.push(Value::Obj(exc));
        frames[k - 1].pc = h.target;
        Ok(())
    }
}
