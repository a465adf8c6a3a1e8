//! calls3: binding plans cached per call site (issue 21).
//!
//! A call with keyword arguments or defaults, `add(i, 2, scale=3)` for
//! `def add(a, b=1, *, scale=1)`, is bound in the hot loop (`Vm::enter_py`). Bound from
//! scratch at every call (calls2's `bind_general`, 265 x86 instructions per call), most of
//! the cost was finding each keyword's parameter by comparing names, and working out from
//! that which parameters the call leaves to their defaults. Both depend only on the call site
//! (its `KW_NAMES` tuple and argument count are fixed by the instruction) and on the callee's
//! code object (its parameter names), so they are worked out once per (site, callee code) and
//! kept in a [`Plan`]: the parameter slot of each keyword and the mask of parameters given.
//! A later call at the same site of a function of the same code binds by the plan: one
//! compare of the site and the code, then copies.
//!
//! What the plan does not cover is read from the function at every call, as before: its
//! defaults (their number is part of the plan's key, their values are copied from the
//! function) and whether each keyword-only parameter left out has a default. The plan is
//! only a cache of name matching, so a call binds exactly as it would without it, and one
//! the plan does not fit (another callee at the site, another argument count) is planned
//! again and replaces it.
//!
//! The table is direct-mapped by site (one multiply and shift per call, no hashing of
//! names), allocated at the first call that needs a plan: [`PLANS`] entries of 48 bytes.

use crate::bytecode::{CodeObject, Const};
use crate::vm::fastcall::MAX_KW;
use crate::vm::heap::Function;
use crate::vm::value::Value;

/// Entries in the table (a power of two).
pub const PLANS: usize = 256;

/// No site (an empty entry).
const EMPTY: u64 = u64::MAX;

/// How one call site binds its arguments to one code object's parameters, with the facts of
/// the code object the binding needs (so that a planned call reads nothing else of it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    /// The call site: the caller's code id `<< 32 |` the pc after its `CALL`.
    site: u64,
    /// Bit `i`: parameter `i` is left to its default (given neither positionally nor by
    /// keyword).
    missing: u64,
    /// The callee's code id.
    callee: u32,
    /// The stack the callee's frame needs above its base: fast locals, the compiler's
    /// `stacksize`, one spare (as `enter_py`).
    need: u32,
    /// Arguments on the stack above the callee slot (positional and keyword values).
    nargs: u16,
    /// How many defaults of positional parameters the function had when planned.
    ndefaults: u16,
    /// The callee's fast locals (`CodeObject::nlocalsplus`).
    nlocals: u16,
    /// The callee's positional parameters (`argcount`).
    argcount: u8,
    /// Its positional and keyword-only parameters.
    nparams: u8,
    /// Keyword arguments (the last `nkw` of the `nargs`).
    nkw: u8,
    /// The parameter of each keyword argument, in `KW_NAMES` order.
    kw_slot: [u8; MAX_KW],
}

impl Plan {
    const NONE: Plan = Plan {
        site: EMPTY,
        missing: 0,
        callee: 0,
        need: 0,
        nargs: 0,
        ndefaults: 0,
        nlocals: 0,
        argcount: 0,
        nparams: 0,
        nkw: 0,
        kw_slot: [0; MAX_KW],
    };
}

/// The cached plans (`Vm::call_plans`).
#[derive(Debug, Default)]
pub struct Plans {
    table: Vec<Plan>,
}

/// The table slot of a site.
#[inline(always)]
fn slot(site: u64) -> usize {
    (site.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - PLANS.trailing_zeros())) as usize
}

impl Plans {
    /// Binds the call at `site` of `f` (code `code`, id `callee`) by the cached plan when it
    /// fits, else plans it first and keeps the plan, and answers whether it did; `false`
    /// changes nothing (the slow path binds or reports).
    /// cls2: inline in `enter_py`, its only caller (a call of eight arguments and a frame
    /// of its own were ≈40 of its ≈190 x86 instructions per call); planning stays out of
    /// line.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn bind(
        &mut self,
        site: u64,
        callee: u32,
        f: &Function,
        code: &CodeObject,
        stack: &mut Vec<Value>,
        callee_at: usize,
        nargs: usize,
        kwn: &[Const],
    ) -> bool {
        let i = slot(site);
        if let Some(p) = self.table.get(i) {
            if p.site == site
                && p.callee == callee
                && p.nargs as usize == nargs
                && p.ndefaults as usize == f.defaults.len()
            {
                return bind_by(p, f, stack, callee_at);
            }
        }
        let Some(p) = plan(site, callee, f, code, nargs, kwn) else {
            return false;
        };
        if self.table.is_empty() {
            self.table = vec![Plan::NONE; PLANS];
        }
        self.table[i] = p;
        bind_by(&p, f, stack, callee_at)
    }
}

/// The plan of a call of `f` with `nargs` values above the callee slot, the last
/// `kwn.len()` of them keyword arguments named by `kwn`: `None` when the slow path must bind
/// (or report an error): a keyword naming no parameter or one given positionally, too many
/// positional arguments, a required parameter missing, more than [`MAX_KW`] keywords or 63
/// parameters.
#[cold]
#[inline(never)]
fn plan(
    site: u64,
    callee: u32,
    f: &Function,
    code: &CodeObject,
    nargs: usize,
    kwn: &[Const],
) -> Option<Plan> {
    let nkw = kwn.len();
    let npos = nargs.checked_sub(nkw)?;
    let argcount = code.argcount as usize;
    let kwonly = code.kwonlyargcount as usize;
    let nparams = argcount + kwonly;
    let ndefaults = f.defaults.len();
    let nlocals = code.nlocalsplus();
    let need = nlocals + code.stacksize as usize + 1;
    if npos > argcount
        || ndefaults > argcount
        || nparams > 63
        || nkw > MAX_KW
        || nargs > 0xffff
        || nlocals > 0xffff
        || need > u32::MAX as usize
    {
        return None;
    }
    let params = code.varnames.get(..nparams)?;
    let mut kw_slot = [0u8; MAX_KW];
    // Bit i: parameter i has a value.
    let mut given: u64 = (1u64 << npos) - 1;
    for (i, c) in kwn.iter().enumerate() {
        let Const::Str(name) = c else { return None };
        // A keyword naming a positional parameter already given ("multiple values") or no
        // parameter at all ("unexpected keyword") is the slow path's error to report, so
        // the search starts after the positional arguments.
        let j = (npos..nparams).find(|&j| params[j].as_str() == name.as_str())?;
        if given & (1 << j) != 0 {
            return None;
        }
        given |= 1 << j;
        kw_slot[i] = j as u8;
    }
    // Every positional parameter without a default must be given.
    let required: u64 = (1u64 << (argcount - ndefaults)) - 1;
    if given & required != required {
        return None;
    }
    Some(Plan {
        site,
        missing: !given & ((1u64 << nparams) - 1),
        callee,
        need: need as u32,
        nargs: nargs as u16,
        ndefaults: ndefaults as u16,
        nlocals: nlocals as u16,
        argcount: argcount as u8,
        nparams: nparams as u8,
        nkw: nkw as u8,
        kw_slot,
    })
}

/// Binds by plan `p` (which fits the call: same site, callee code, argument count and
/// number of defaults): the positional arguments move down over the callee slot (the
/// callee's fast locals start there), the keyword values go to their parameters' slots, the
/// parameters left out take their defaults and the other locals start unbound. `false`
/// (nothing changed) when a keyword-only parameter left out has no default (the
/// compiler shares one code object between `def`s that differ only in their defaults, so
/// this is the function's, not the plan's).
#[inline(always)]
fn bind_by(p: &Plan, f: &Function, stack: &mut Vec<Value>, callee_at: usize) -> bool {
    let argcount = p.argcount as usize;
    // A keyword-only parameter left out needs a default (`Function::kwonly_defaults`, in
    // parameter order, `Undef` for none).
    let mut m = p.missing >> argcount;
    while m != 0 {
        let k = m.trailing_zeros() as usize;
        if f.kwonly_defaults.get(k).is_none_or(|v| *v == Value::Undef) {
            return false;
        }
        m &= m - 1;
    }
    let need = callee_at + p.need as usize;
    if stack.len() < need {
        crate::vm::fastcall::grow_stack(stack, need);
    }
    let nkw = p.nkw as usize;
    let npos = p.nargs as usize - nkw;
    let nlocals = p.nlocals as usize;
    // The callee slot, its arguments above it and its fast locals (within `need`).
    let w = &mut stack[callee_at..need];
    let mut kw_val = [Value::Undef; MAX_KW];
    for (i, v) in kw_val[..nkw].iter_mut().enumerate() {
        *v = w[1 + npos + i];
    }
    for i in 0..npos {
        w[i] = w[i + 1];
    }
    for (v, &j) in kw_val[..nkw].iter().zip(&p.kw_slot) {
        w[j as usize] = *v;
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
    for l in w[p.nparams as usize..nlocals].iter_mut() {
        *l = Value::Undef;
    }
    true
}
