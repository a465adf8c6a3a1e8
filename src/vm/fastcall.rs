//! Python-to-Python calls inside the hot loop (issue 21): binding a call's arguments to a plain
//! Python function's parameters in place on the value stack, without the slow path.
//!
//! `Vm::hot` runs `CALL` of a Python function and the `RETURN_VALUE` back from it itself: it
//! pushes (or pops) the frame and goes on in the callee (or the caller) without returning to
//! `run_slice`. Before, every call and return left the hot loop for `slow_op` and `do_call`
//! and came back, which was 14–27% of call-heavy programs (docs/performance.md).
//!
//! What it does is exactly what the slow path does for the calls it takes — same stack, same
//! frames, same heap, same instruction count — so schedules, traces and outputs cannot tell
//! the two apart. It takes only the calls whose binding cannot fail and allocates nothing:
//! positional arguments, defaults, keyword arguments naming a parameter, keyword-only
//! parameters (given or defaulted); no `*args`/`**kwargs` parameter, at most
//! [`MAX_KW`] keyword arguments and keyword-only parameters. Anything else — a wrong
//! argument count, an unknown keyword, a bound-method object, a class, a built-in, the
//! recursion limit — answers `false` and the instruction takes the slow path, which binds
//! or reports the error as before.

use crate::bytecode::{Const, Program};
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::sync::Site;
use crate::vm::thread::{Frame, Frames};
use crate::vm::value::{ObjId, Value};
use crate::vm::Rt;

/// The most keyword arguments (and keyword-only parameters) a call bound here may have.
pub const MAX_KW: usize = 8;

/// No `KW_NAMES` pending (as `Frame::kwnames`).
const NO_KW: u32 = u32::MAX;

impl Vm {
    /// `CALL argc` at `caller_pc - 1` of code `caller_code` (frame base `caller_base`, stack
    /// pointer `sp`, keyword names `kwn`), when the callee is a Python function whose
    /// parameters take these arguments as they are: binds them in place, saves the caller's
    /// pc and pushes the callee's frame (pc 0), and returns `true`. The stack `Vec` is then
    /// at least as long as the callee's frame needs. `false` (nothing changed): the slow path.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    pub(crate) fn enter_py(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut Frames,
        prog: &Program,
        caller_code: u32,
        caller_base: usize,
        caller_pc: usize,
        sp: usize,
        argc: usize,
        kwn: &[Const],
    ) -> bool {
        let mut callee_at = sp - argc - 1;
        // As `slow_op`'s CALL: a method marker below the callee slot owns the call.
        if callee_at > 0 && callee_at > caller_base {
            match stack[callee_at - 1] {
                Value::PyMethod(_) => callee_at -= 1,
                Value::Method(_) | Value::BoundExit(_) => return false,
                _ => {}
            }
        }
        let fid = match stack[callee_at] {
            Value::Obj(id) | Value::PyMethod(id) => id,
            _ => return false,
        };
        let Obj::Function(f) = self.rt.heap.get(fid) else {
            return false;
        };
        let Some(code) = prog.codes.get(f.code as usize) else {
            return false;
        };
        if code.has_varargs
            || code.has_varkeywords
            || frames.len() >= self.config.recursion_limit
            || kwn.len() > MAX_KW
            || code.kwonlyargcount as usize > MAX_KW
        {
            return false;
        }
        let nargs = sp - callee_at - 1;
        let nkw = kwn.len();
        let npos = nargs - nkw;
        let argcount = code.argcount as usize;
        let nparams = argcount + code.kwonlyargcount as usize;
        if npos > argcount || f.defaults.len() > argcount {
            return false;
        }
        // Check everything before changing anything.
        if nparams > 63 {
            return false;
        }
        let mut kw_slot = [0usize; MAX_KW];
        // Bit i: parameter i has a value.
        let mut given = (1u64 << npos) - 1;
        for (i, c) in kwn.iter().enumerate() {
            let Const::Str(name) = c else { return false };
            let Some(j) = code.varnames[..nparams].iter().position(|n| n == name) else {
                return false;
            };
            if given & (1 << j) != 0 {
                return false;
            }
            given |= 1 << j;
            kw_slot[i] = j;
        }
        let first_default = argcount - f.defaults.len();
        if (npos..first_default).any(|i| given & (1 << i) == 0) {
            return false;
        }
        let mut kwonly_default = [Value::Undef; MAX_KW];
        for (k, i) in (argcount..nparams).enumerate() {
            if given & (1 << i) == 0 {
                match f
                    .kwdefaults
                    .and_then(|d| kwdefault(&self.rt, d, &code.varnames[i]))
                {
                    Some(v) => kwonly_default[k] = v,
                    None => return false,
                }
            }
        }
        // Bind: the positional arguments move down over the callee slot (its fast locals
        // start there), the keyword values go to their parameters' slots.
        let code_id = f.code;
        let nlocals = code.nlocalsplus();
        let need = callee_at + nlocals + code.stacksize as usize + 1;
        if stack.len() < need {
            stack.resize(need, Value::Undef);
        }
        let mut kw_val = [Value::Undef; MAX_KW];
        kw_val[..nkw].copy_from_slice(&stack[callee_at + 1 + npos..callee_at + 1 + nargs]);
        stack.copy_within(callee_at + 1..callee_at + 1 + npos, callee_at);
        let locals = &mut stack[callee_at..callee_at + nlocals];
        locals[npos..].fill(Value::Undef);
        for (slot, v) in kw_slot.iter().zip(kw_val).take(nkw) {
            locals[*slot] = v;
        }
        for (i, l) in locals.iter_mut().enumerate().take(argcount).skip(npos) {
            if *l == Value::Undef {
                *l = f.defaults[i - first_default];
            }
        }
        for (l, d) in locals[argcount..nparams].iter_mut().zip(kwonly_default) {
            if *l == Value::Undef {
                *l = d;
            }
        }
        // The caller's registers, as `slow_op`'s `save_pc!` leaves them.
        if let Some(c) = frames.last_mut() {
            c.pc = caller_pc as u32;
            c.kwnames = NO_KW;
        }
        if caller_code < self.prelude.start {
            self.call_site = Site {
                code: caller_code,
                pc: (caller_pc as u32).saturating_sub(1),
            };
        }
        frames.push(Frame {
            code: code_id,
            pc: 0,
            base: callee_at as u32,
            func: Value::Obj(fid),
            kwnames: NO_KW,
        });
        true
    }
}

/// The default of keyword-only parameter `name` in a function's `__kwdefaults__` dict `d`,
/// found without making a `str` for the look-up (the dict is as small as the parameter list).
pub fn kwdefault(rt: &Rt, d: ObjId, name: &str) -> Option<Value> {
    match rt.heap.get(d) {
        Obj::Dict(m) => m
            .values()
            .find(|(k, _)| rt.as_str(*k) == Some(name))
            .map(|(_, v)| *v),
        _ => None,
    }
}
