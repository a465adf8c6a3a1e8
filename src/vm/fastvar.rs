//! it2: calls of Python functions with a `*args` or `**kw` parameter inside the hot loop
//! (issue 21): `g(i, 1, 2)` into `def g(*args)`, `f(i, y=1, w=5)` into
//! `def f(x, y=2, z=3, **kw)`.
//!
//! `Vm::enter_py` binds the calls of plain functions in place; one with a `*args` or `**kw`
//! parameter went to the slow path (`slow_op`, `do_call`, `bind_args`: a `Vec` for the
//! arguments, one for the keywords, one for the defaults, one for the locals, and the round
//! trip out of `Vm::hot`), at ≈4,000 x86 instructions per call. Here it is bound as
//! `Vm::bind_args` binds it, on the stack: the same fast locals, and the same objects
//! allocated in the same order with the same sizes — the tuple of the extra positional
//! arguments (empty if none), then for each keyword naming no parameter a new `str` key, then
//! the charge for the dict's entries and the dict — so the heap, the collections and the fake
//! addresses stay as they were. Every check that can fail (too many positional arguments, an
//! unknown or repeated keyword, a missing argument, the recursion limit, a heap near its
//! limit) is made before anything is allocated: such a call answers `false` having changed
//! nothing, and the slow path binds it or raises as before.

use crate::bytecode::{Const, Program};
use crate::vm::fastcall::{grow_stack, push_frame, MAX_KW};
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::sync::Site;
use crate::vm::thread::{Frame, Frames};
use crate::vm::value::{ObjId, Value};

/// The most arguments (positional and keyword) a call bound here may pass.
const MAX_ARGS: usize = 16;

/// No `KW_NAMES` pending (as `Frame::kwnames`).
const NO_KW: u32 = u32::MAX;

impl Vm {
    /// `Vm::enter_py` for function `fid` (at `callee_at`, its `nargs = sp - callee_at - 1`
    /// arguments above it, the last `kwn.len()` by keyword) whose code has a `*args` or
    /// `**kw` parameter: binds, saves the caller's pc, pushes the callee's frame and answers
    /// `true`; or `false` with nothing changed.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    pub(crate) fn enter_py_var(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut Frames,
        prog: &Program,
        caller_code: u32,
        caller_pc: usize,
        callee_at: usize,
        fid: ObjId,
        sp: usize,
        kwn: &[Const],
    ) -> bool {
        let Obj::Function(f) = self.rt.heap.get(fid) else {
            return false;
        };
        let Some(code) = prog.codes.get(f.code as usize) else {
            return false;
        };
        let code_id = f.code;
        let nargs = sp - callee_at - 1;
        let nkw = kwn.len();
        let argcount = code.argcount as usize;
        let kwonly = code.kwonlyargcount as usize;
        let nparams = argcount + kwonly;
        let nlocals = code.nlocalsplus();
        if frames.len() >= self.config.recursion_limit
            || nargs > MAX_ARGS
            || nkw > MAX_KW
            || nkw > nargs
            || nparams + usize::from(code.has_varargs) + usize::from(code.has_varkeywords) > nlocals
            || f.defaults.len() > argcount
        {
            return false;
        }
        let npos = nargs - nkw;
        if npos > argcount && !code.has_varargs || nparams > 63 {
            return false;
        }
        let Some(params) = code.varnames.get(..nparams) else {
            return false;
        };
        // Bit `i`: parameter `i` has a value (the positional arguments first).
        let given_pos = npos.min(argcount);
        let mut given: u64 = (1u64 << given_pos) - 1;
        // Each keyword's parameter, or `EXTRA` for one naming none (`**kw`'s).
        const EXTRA: u8 = u8::MAX;
        let mut kw_slot = [EXTRA; MAX_KW];
        let mut nextra = 0;
        let mut name_bytes = 0usize;
        for (i, c) in kwn.iter().enumerate() {
            let Const::Str(name) = c else { return false };
            match params.iter().position(|p| p.as_str() == name.as_str()) {
                // `bind_args`'s "multiple values" error.
                Some(s) if given & (1 << s) != 0 => return false,
                Some(s) => {
                    given |= 1 << s;
                    kw_slot[i] = s as u8;
                }
                None if code.has_varkeywords => {
                    // A repeated keyword: `bind_args`'s error.
                    let dup = kwn[..i].iter().zip(&kw_slot).any(|(c, &j)| {
                        j == EXTRA && matches!(c, Const::Str(other) if other == name)
                    });
                    if dup {
                        return false;
                    }
                    nextra += 1;
                    name_bytes += name.len();
                }
                // "unexpected keyword argument".
                None => return false,
            }
        }
        // Every positional parameter without a default given ("missing … positional
        // argument"), every keyword-only one given or defaulted ("… keyword-only argument").
        let first_default = argcount - f.defaults.len();
        let required: u64 = (1u64 << first_default) - 1;
        if given & required != required {
            return false;
        }
        let mut m = !given & ((1u64 << nparams) - 1) & !((1u64 << argcount) - 1);
        while m != 0 {
            let k = m.trailing_zeros() as usize - argcount;
            if f.kwonly_defaults.get(k).is_none_or(|v| *v == Value::Undef) {
                return false;
            }
            m &= m - 1;
        }
        // Room for everything allocated below, generously over-estimated, so that none of
        // it can fail (a heap that full: the slow path, which raises the MemoryError).
        let room = 4096 + 64 * npos + 1024 * nextra + 2 * name_bytes;
        if self.rt.ensure_room(room).is_err() {
            return false;
        }
        // Allocated as `bind_args` does, in its order.
        let args_at = callee_at + 1;
        let mut varargs = Value::Undef;
        if code.has_varargs {
            let rest = if npos > argcount {
                stack[args_at + argcount..args_at + npos].to_vec()
            } else {
                Vec::new()
            };
            let Ok(t) = self.rt.new_tuple(rest) else {
                return false;
            };
            varargs = t;
        }
        let mut varkw = Value::Undef;
        if code.has_varkeywords {
            let mut map = crate::vm::heap::DictMap::default();
            for (i, c) in kwn.iter().enumerate() {
                let (EXTRA, Const::Str(name)) = (kw_slot[i], c) else {
                    continue;
                };
                let v = stack[args_at + npos + i];
                let Ok(key) = self.rt.new_str(name.as_str()) else {
                    return false;
                };
                // `hash_key` of a str, and `dict_insert` of a key known to be new (the
                // keywords were checked for repeats above).
                let hk = crate::vm::heap::HashKey::Str(name.as_str().into());
                map.insert_new_hashed(crate::vm::dictmap::hash_of(&hk), hk, (key, v));
            }
            if self.rt.heap.charge(nextra.saturating_mul(72)).is_err() {
                return false;
            }
            let Ok(d) = self.rt.new_dict(map) else {
                return false;
            };
            varkw = d;
        }
        let need = callee_at + nlocals + code.stacksize as usize + 1;
        if stack.len() < need {
            grow_stack(stack, need);
        }
        let Obj::Function(f) = self.rt.heap.get(fid) else {
            return false;
        };
        // The fast locals over the callee slot and its arguments: the keyword values kept
        // first, the positional arguments moved down one, then the keywords, the defaults,
        // the `*args` tuple and the `**kw` dict; the other locals unbound.
        // (Past `need` when more arguments were passed than the frame has room for.)
        let w = &mut stack[callee_at..need.max(sp)];
        let mut kw_val = [Value::Undef; MAX_KW];
        kw_val[..nkw].copy_from_slice(&w[1 + npos..1 + npos + nkw]);
        for i in 0..given_pos {
            w[i] = w[i + 1];
        }
        for l in w[given_pos..nlocals].iter_mut() {
            *l = Value::Undef;
        }
        for (v, &j) in kw_val[..nkw].iter().zip(&kw_slot) {
            if j != EXTRA {
                w[j as usize] = *v;
            }
        }
        let mut m = !given & ((1u64 << nparams) - 1);
        while m != 0 {
            let i = m.trailing_zeros() as usize;
            w[i] = if i < argcount {
                f.defaults[i - first_default]
            } else {
                f.kwonly_defaults[i - argcount]
            };
            m &= m - 1;
        }
        if code.has_varargs {
            w[nparams] = varargs;
        }
        if code.has_varkeywords {
            w[nparams + usize::from(code.has_varargs)] = varkw;
        }
        // The caller's registers, as `slow_op`'s `save_pc!` leaves them (as `enter_py`).
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
        push_frame(
            frames,
            Frame {
                code: code_id,
                pc: 0,
                base: callee_at as u32,
                func: Value::Obj(fid),
                kwnames: NO_KW,
            },
        );
        true
    }
}
