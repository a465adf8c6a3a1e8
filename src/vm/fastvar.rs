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

//!
//! kw2: what depends only on the call site (its `KW_NAMES` tuple and argument count) and on
//! the callee's code object — each keyword's parameter or `**kw`, the parameters left to
//! their defaults, the repeated-keyword and missing-argument checks, the hash of each `**kw`
//! key — is worked out once per (site, callee code, argument count, number of defaults) and
//! kept in a [`VarPlan`], as `vm::callplan` does for plain functions; a later call there
//! binds by the plan. The `**kw` dict is built at the size it ends at
//! ([`DictMap::with_grown_capacity`], the same entries' capacity, so the same charge) instead
//! of regrowing its entries and index from empty. The plan is only a cache: a call binds,
//! allocates and fails exactly as without it.

use crate::bytecode::{CodeObject, Const, Program};
use crate::vm::dictmap::DictMap;
use crate::vm::fastcall::{grow_stack, push_frame, MAX_KW};
use crate::vm::heap::{Function, HashKey, Obj};
use crate::vm::machine::Vm;
use crate::vm::sync::Site;
use crate::vm::thread::{Frame, Frames};
use crate::vm::value::{ObjId, Value};

/// The most arguments (positional and keyword) a call bound here may pass.
const MAX_ARGS: usize = 16;

/// No `KW_NAMES` pending (as `Frame::kwnames`).
const NO_KW: u32 = u32::MAX;

/// `VarPlan::kw_slot` of a keyword naming no parameter (one for `**kw`).
const EXTRA: u8 = u8::MAX;

/// Entries in the plan table (a power of two).
const VAR_PLANS: usize = 64;

/// No site (an empty entry).
const EMPTY: u64 = u64::MAX;

/// kw2: how one call site binds its arguments to the parameters of one code object with a
/// `*args` or `**kw` parameter (every check that depends on nothing else already made).
#[derive(Clone, Copy, Debug)]
pub struct VarPlan {
    /// The call site: the caller's code id `<< 32 |` the pc after its `CALL`.
    site: u64,
    /// Bit `i`: parameter `i` is left to its default.
    missing: u64,
    /// The callee's code id.
    callee: u32,
    /// The stack the callee's frame needs above its base (fast locals, `stacksize`, one).
    need: u32,
    /// Bytes of the `**kw` keys' names (for the heap-room estimate).
    name_bytes: u32,
    /// Arguments on the stack above the callee slot (positional and keyword values).
    nargs: u16,
    /// How many defaults of positional parameters the function had when planned.
    ndefaults: u16,
    /// The callee's fast locals.
    nlocals: u16,
    /// The callee's positional parameters.
    argcount: u8,
    /// Its positional and keyword-only parameters.
    nparams: u8,
    /// Keyword arguments (the last `nkw` of the `nargs`).
    nkw: u8,
    /// Keywords naming no parameter (the `**kw` dict's entries).
    nextra: u8,
    has_varargs: bool,
    has_varkw: bool,
    /// The parameter of each keyword argument, or [`EXTRA`], in `KW_NAMES` order.
    kw_slot: [u8; MAX_KW],
    /// The dict hash of each [`EXTRA`] keyword's name (`dictmap::hash_str`).
    kw_hash: [u32; MAX_KW],
}

impl VarPlan {
    const NONE: VarPlan = VarPlan {
        site: EMPTY,
        missing: 0,
        callee: 0,
        need: 0,
        name_bytes: 0,
        nargs: 0,
        ndefaults: 0,
        nlocals: 0,
        argcount: 0,
        nparams: 0,
        nkw: 0,
        nextra: 0,
        has_varargs: false,
        has_varkw: false,
        kw_slot: [0; MAX_KW],
        kw_hash: [0; MAX_KW],
    };
}

/// The cached plans (`Vm::var_plans`): direct-mapped by site, allocated at the first call
/// that needs one.
#[derive(Debug, Default)]
pub struct VarPlans {
    table: Vec<VarPlan>,
}

/// The table slot of a site.
#[inline(always)]
fn slot(site: u64) -> usize {
    (site.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - VAR_PLANS.trailing_zeros())) as usize
}

/// The plan of a call of `f` (code `code`, id `callee`) with `nargs` values above the callee
/// slot, the last `kwn.len()` of them keyword arguments named by `kwn`: `None` when the slow
/// path must bind or report (too many positional arguments, a keyword naming a parameter
/// given positionally or twice, a repeated `**kw` keyword, an unexpected keyword, a
/// positional parameter missing), or the call is beyond this path's limits.
#[cold]
#[inline(never)]
fn plan(
    site: u64,
    callee: u32,
    f: &Function,
    code: &CodeObject,
    nargs: usize,
    kwn: &[Const],
) -> Option<VarPlan> {
    let nkw = kwn.len();
    let argcount = code.argcount as usize;
    let kwonly = code.kwonlyargcount as usize;
    let nparams = argcount + kwonly;
    let nlocals = code.nlocalsplus();
    let need = nlocals + code.stacksize as usize + 1;
    if nargs > MAX_ARGS
        || nkw > MAX_KW
        || nkw > nargs
        || nparams + usize::from(code.has_varargs) + usize::from(code.has_varkeywords) > nlocals
        || f.defaults.len() > argcount
        || nlocals > 0xffff
        || need > u32::MAX as usize
    {
        return None;
    }
    let npos = nargs - nkw;
    if npos > argcount && !code.has_varargs || nparams > 63 {
        return None;
    }
    let params = code.varnames.get(..nparams)?;
    // Bit `i`: parameter `i` has a value (the positional arguments first).
    let given_pos = npos.min(argcount);
    let mut given: u64 = (1u64 << given_pos) - 1;
    let mut kw_slot = [EXTRA; MAX_KW];
    let mut kw_hash = [0u32; MAX_KW];
    let mut nextra = 0;
    let mut name_bytes = 0usize;
    for (i, c) in kwn.iter().enumerate() {
        let Const::Str(name) = c else { return None };
        match params.iter().position(|p| p.as_str() == name.as_str()) {
            // `bind_args`'s "multiple values" error.
            Some(s) if given & (1 << s) != 0 => return None,
            Some(s) => {
                given |= 1 << s;
                kw_slot[i] = s as u8;
            }
            None if code.has_varkeywords => {
                // A repeated keyword: `bind_args`'s error.
                let dup = kwn[..i]
                    .iter()
                    .zip(&kw_slot)
                    .any(|(c, &j)| j == EXTRA && matches!(c, Const::Str(other) if other == name));
                if dup {
                    return None;
                }
                nextra += 1;
                name_bytes += name.len();
                kw_hash[i] = crate::vm::dictmap::hash_str(name.as_str());
            }
            // "unexpected keyword argument".
            None => return None,
        }
    }
    // Every positional parameter without a default given ("missing … positional
    // argument"); the keyword-only ones are the function's to check at each call.
    let first_default = argcount - f.defaults.len();
    let required: u64 = (1u64 << first_default) - 1;
    if given & required != required {
        return None;
    }
    Some(VarPlan {
        site,
        missing: !given & ((1u64 << nparams) - 1),
        callee,
        need: need as u32,
        name_bytes: u32::try_from(name_bytes).ok()?,
        nargs: nargs as u16,
        ndefaults: f.defaults.len() as u16,
        nlocals: nlocals as u16,
        argcount: argcount as u8,
        nparams: nparams as u8,
        nkw: nkw as u8,
        nextra,
        has_varargs: code.has_varargs,
        has_varkw: code.has_varkeywords,
        kw_slot,
        kw_hash,
    })
}

impl Vm {
    /// `Rt::alloc` of `obj`, whose `Obj::size_estimate` the caller computed as `size`.
    #[inline(always)]
    fn alloc_sized(&mut self, obj: Obj, size: usize) -> Result<Value, crate::vm::heap::HeapFull> {
        debug_assert_eq!(size, obj.size_estimate());
        Ok(Value::Obj(self.rt.heap.alloc_charging(obj, size)?))
    }

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
        let code_id = f.code;
        let nargs = sp - callee_at - 1;
        if frames.len() >= self.config.recursion_limit {
            return false;
        }
        let site = (caller_code as u64) << 32 | caller_pc as u64;
        let i = slot(site);
        let p = match self.var_plans.table.get(i) {
            Some(p)
                if p.site == site
                    && p.callee == code_id
                    && p.nargs as usize == nargs
                    && p.ndefaults as usize == f.defaults.len() =>
            {
                *p
            }
            _ => {
                let Some(code) = prog.codes.get(code_id as usize) else {
                    return false;
                };
                let Some(p) = plan(site, code_id, f, code, nargs, kwn) else {
                    return false;
                };
                let t = &mut self.var_plans.table;
                if t.is_empty() {
                    *t = vec![VarPlan::NONE; VAR_PLANS];
                }
                t[i] = p;
                p
            }
        };
        let argcount = p.argcount as usize;
        let nparams = p.nparams as usize;
        let nkw = p.nkw as usize;
        let npos = nargs - nkw;
        let nextra = p.nextra as usize;
        // Every keyword-only parameter left out has a default (the function's: one code
        // object may serve `def`s that differ in their defaults).
        let mut m = p.missing >> argcount;
        while m != 0 {
            let k = m.trailing_zeros() as usize;
            if f.kwonly_defaults.get(k).is_none_or(|v| *v == Value::Undef) {
                return false;
            }
            m &= m - 1;
        }
        // Room for everything allocated below, generously over-estimated, so that none of
        // it can fail (a heap that full: the slow path, which raises the MemoryError).
        let room = 4096 + 64 * npos + 1024 * nextra + 2 * p.name_bytes as usize;
        if self.rt.ensure_room(room).is_err() {
            return false;
        }
        // Allocated as `bind_args` does, in its order.
        let args_at = callee_at + 1;
        let mut varargs = Value::Undef;
        if p.has_varargs {
            let rest = if npos > argcount {
                stack[args_at + argcount..args_at + npos].to_vec()
            } else {
                Vec::new()
            };
            // `Obj::size_estimate` of the tuple, without its general match.
            let size = 48 + rest.capacity() * std::mem::size_of::<Value>();
            let Ok(t) = self.alloc_sized(Obj::Tuple(rest), size) else {
                return false;
            };
            varargs = t;
        }
        let mut varkw = Value::Undef;
        if p.has_varkw {
            let mut map = DictMap::with_grown_capacity(nextra);
            if nextra > 0 {
                for (i, c) in kwn.iter().enumerate() {
                    let (EXTRA, Const::Str(name)) = (p.kw_slot[i], c) else {
                        continue;
                    };
                    let v = stack[args_at + npos + i];
                    let text = String::from(name.as_str());
                    // `Obj::size_estimate` of the str (`PyStr::bytes` of an owned string).
                    let size = 48 + text.capacity();
                    let key = crate::vm::pystr::PyStr::from(text);
                    let Ok(key) = self.alloc_sized(Obj::Str(key), size) else {
                        return false;
                    };
                    // `dict_insert` of a key known to be new (the plan checked the keywords
                    // for repeats), under the hash `hash_key` gives a str.
                    let hk = HashKey::Str(name.as_str().into());
                    map.insert_new_hashed(p.kw_hash[i], hk, (key, v));
                }
            }
            if self.rt.heap.charge(nextra.saturating_mul(72)).is_err() {
                return false;
            }
            // `Obj::size_estimate` of the dict: its entries' capacity and its keys' bytes.
            const V: usize = std::mem::size_of::<Value>();
            let size = 48 + map.capacity() * (V * 2 + 40) + p.name_bytes as usize;
            let Ok(d) = self.alloc_sized(Obj::Dict(map), size) else {
                return false;
            };
            varkw = d;
        }
        let need = callee_at + p.need as usize;
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
        let given_pos = npos.min(argcount);
        let w = &mut stack[callee_at..need.max(sp)];
        let mut kw_val = [Value::Undef; MAX_KW];
        kw_val[..nkw].copy_from_slice(&w[1 + npos..1 + npos + nkw]);
        for i in 0..given_pos {
            w[i] = w[i + 1];
        }
        for l in w[given_pos..p.nlocals as usize].iter_mut() {
            *l = Value::Undef;
        }
        for (v, &j) in kw_val[..nkw].iter().zip(&p.kw_slot) {
            if j != EXTRA {
                w[j as usize] = *v;
            }
        }
        let first_default = argcount - p.ndefaults as usize;
        let mut m = p.missing;
        while m != 0 {
            let i = m.trailing_zeros() as usize;
            w[i] = if i < argcount {
                f.defaults[i - first_default]
            } else {
                f.kwonly_defaults[i - argcount]
            };
            m &= m - 1;
        }
        if p.has_varargs {
            w[nparams] = varargs;
        }
        if p.has_varkw {
            w[nparams + usize::from(p.has_varargs)] = varkw;
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
