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
            // classes: `C(…)` of a plain class runs its `__init__` here too (`vm::fastclass`).
            return self.enter_init(
                stack,
                frames,
                prog,
                caller_code,
                caller_base,
                caller_pc,
                sp,
                argc,
                kwn,
            );
        };
        let Some(code) = prog.codes.get(f.code as usize) else {
            return false;
        };
        if code.has_varargs || code.has_varkeywords {
            // it2: `*args`/`**kw` (`vm::fastvar`).
            let at = callee_at;
            return self.enter_py_var(
                stack,
                frames,
                prog,
                caller_code,
                caller_pc,
                at,
                fid,
                sp,
                kwn,
            );
        }
        let depth = frames.len();
        if depth >= self.config.recursion_limit
            || kwn.len() > MAX_KW
            || code.kwonlyargcount as usize > MAX_KW
        {
            return false;
        }
        let nargs = sp - callee_at - 1;
        let code_id = f.code;
        let nlocals = code.nlocalsplus();
        let need = callee_at + nlocals + code.stacksize as usize + 1;
        if kwn.is_empty() && code.kwonlyargcount == 0 && nargs == code.argcount as usize {
            // Exactly the positional parameters (most calls): they move down over the callee
            // slot, where the callee's fast locals start.
            if stack.len() < need {
                grow_stack(stack, need);
            }
            // calls2: element loops, not `copy_within`/`fill` (an out-of-line `memmove` call
            // of ≈30 instructions for the one or two values of a small function).
            for i in callee_at..callee_at + nargs {
                stack[i] = stack[i + 1];
            }
            for l in stack[callee_at + nargs..callee_at + nlocals].iter_mut() {
                *l = Value::Undef;
            }
        } else {
            // calls3: by the call site's cached binding plan (`vm::callplan`).
            let site = (caller_code as u64) << 32 | caller_pc as u64;
            if !self
                .call_plans
                .bind(site, code_id, f, code, stack, callee_at, nargs, kwn)
            {
                return false;
            }
        }
        if caller_code < self.prelude.start {
            self.call_site = Site {
                code: caller_code,
                pc: (caller_pc as u32).saturating_sub(1),
            };
        }
        // The caller's registers, as `slow_op`'s `save_pc!` leaves them, and the callee's
        // frame pushed: cls2, the frame stack's buffer and length taken once (each
        // `SmallVec` access tests whether it has spilled to the heap).
        if depth == frames.capacity() {
            frames.reserve(1);
        }
        // SAFETY: `depth < capacity` (checked or just reserved): slot `depth` is allocated
        // and unused, written before the length covers it (`Frame` is `Copy`, no drop), and
        // slot `depth - 1`, when there is one, is the caller's initialised frame.
        unsafe {
            let p = frames.as_mut_ptr();
            if depth > 0 {
                let c = &mut *p.add(depth - 1);
                c.pc = caller_pc as u32;
                c.kwnames = NO_KW;
            }
            p.add(depth).write(Frame {
                code: code_id,
                pc: 0,
                base: callee_at as u32,
                func: Value::Obj(fid),
                kwnames: NO_KW,
            });
            frames.set_len(depth + 1);
        }
        true
    }
}

impl Vm {
    /// prop: a property's accessor, Python function `fid`, called from `hot`'s `LOAD_ATTR`
    /// (`args[..1]`: the instance) or `STORE_ATTR` (`args`: the instance and the value) at
    /// the instruction before `caller_pc` of code `caller_code`, as the slow path's
    /// `call_dunder` would call it: its frame pushed with its locals from stack slot `at`,
    /// where the instruction's result goes (a getter's return value lands there as a plain
    /// call's does). A setter's frame (`discard`) runs with the `Value::PyMethod(fid)`
    /// marker as its function, which drops its return value (`return_value`). `false`
    /// (nothing changed): the slow path, for anything but exactly the positional
    /// parameters, the recursion limit, and the detectors' bookkeeping. `Some`: the stack
    /// pointer of the new frame (its locals' end).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    pub(crate) fn enter_accessor(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut Frames,
        prog: &Program,
        caller_code: u32,
        caller_pc: usize,
        at: usize,
        fid: ObjId,
        args: &[Value],
        discard: bool,
    ) -> Option<usize> {
        let (code_id, nlocals, stacksize) = self.exact_callee(prog, frames, fid, args.len())?;
        let need = at + nlocals + stacksize + 1;
        let func = if discard {
            Value::PyMethod(fid)
        } else {
            Value::Obj(fid)
        };
        self.push_called_frame(
            stack,
            frames,
            caller_code,
            caller_pc,
            at,
            args,
            code_id,
            need,
            nlocals,
            func,
        );
        Some(at + nlocals)
    }

    /// Whether Python function `fid` may be called from `hot` with `nargs` positional
    /// arguments and nothing else, as a property's accessor or a special method: it takes
    /// exactly them (no defaults used, no `*args`/`**kw`, no keyword-only parameters), the
    /// recursion limit is not reached, and no detector's bookkeeping needs the slow path.
    /// Its code id, fast locals and stack size; `None`: the slow path.
    #[inline(always)]
    pub(crate) fn exact_callee(
        &self,
        prog: &Program,
        frames: &Frames,
        fid: ObjId,
        nargs: usize,
    ) -> Option<(u32, usize, usize)> {
        if self.items.wholes || self.cta.armed(self.current) {
            return None;
        }
        let Obj::Function(f) = self.rt.heap.get(fid) else {
            return None;
        };
        let code = prog.codes.get(f.code as usize)?;
        if code.has_varargs
            || code.has_varkeywords
            || code.kwonlyargcount != 0
            || code.argcount as usize != nargs
            || frames.len() >= self.config.recursion_limit
            || code.nlocalsplus() < nargs
        {
            return None;
        }
        Some((f.code, code.nlocalsplus(), code.stacksize as usize))
    }

    /// The frame of code `code_id` (`nlocals` fast locals, `need` the stack length it needs)
    /// called with `args` by the instruction before `caller_pc` of code `caller_code`, its
    /// locals from stack slot `at`, running as `func` (the function, or the marker that says
    /// what becomes of its result): the arguments written, the other locals unbound, the
    /// caller's pc and the program line built-ins see saved, as the slow path's `save_pc!`
    /// and `do_call` leave them. (A property's accessor, `vm::fastdunder`'s special methods.)
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn push_called_frame(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut Frames,
        caller_code: u32,
        caller_pc: usize,
        at: usize,
        args: &[Value],
        code_id: u32,
        need: usize,
        nlocals: usize,
        func: Value,
    ) {
        if stack.len() < need {
            grow_stack(stack, need);
        }
        let nargs = args.len();
        stack[at..at + nargs].copy_from_slice(args);
        for l in stack[at + nargs..at + nlocals].iter_mut() {
            *l = Value::Undef;
        }
        if caller_code < self.prelude.start {
            self.call_site = Site {
                code: caller_code,
                pc: (caller_pc as u32).saturating_sub(1),
            };
        }
        if let Some(c) = frames.last_mut() {
            c.pc = caller_pc as u32;
            c.kwnames = NO_KW;
        }
        push_frame(
            frames,
            Frame {
                code: code_id,
                pc: 0,
                base: at as u32,
                func,
                kwnames: NO_KW,
            },
        );
    }
}

/// calls3: `frames.push(f)` with the common case inline: `SmallVec::push` was an
/// out-of-line call of ≈22 x86 instructions per Python call (callgrind, `l_fib.py`); here a
/// frame stack with room takes a store and a length update, and only a full one grows.
/// (`vm::fastvar`'s calls; `enter_py` writes its frame in place, with the caller's.)
#[inline(always)]
pub(crate) fn push_frame(frames: &mut Frames, f: Frame) {
    let n = frames.len();
    if n == frames.capacity() {
        frames.reserve(1);
    }
    // SAFETY: `n < capacity` (checked or just reserved), so slot `n` is allocated and
    // unused; it is written before the length covers it, and `Frame` is `Copy` (no drop).
    unsafe {
        frames.as_mut_ptr().add(n).write(f);
        frames.set_len(n + 1);
    }
}

/// calls3: the most values `grow_stack` adds beyond what a frame needs, within the stack's
/// capacity.
const STACK_SLACK: usize = 64;

/// calls3: makes the value stack at least `need` long for a frame being entered. Outside
/// `hot` the stack's length is its stack pointer (`run_slice` truncates it at every slice
/// end, keeping its capacity), so every call deeper than the slice has been so far grew it
/// again, one frame at a time (64,728 of `l_fib.py`'s 242,785 calls). Growing into the
/// capacity already allocated by up to [`STACK_SLACK`] values more covers the next frames
/// too, without allocating more than the frame needs.
#[inline(never)]
pub(crate) fn grow_stack(stack: &mut Vec<Value>, need: usize) {
    let to = need.max(stack.capacity().min(need + STACK_SLACK));
    stack.resize(to, Value::Undef);
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

// ---- attribute access and built-in method calls in the hot loop ----
//
// `Vm::hot` runs `LOAD_ATTR`, `LOAD_METHOD`, `STORE_ATTR` and `BINARY_SUBSCR`, and calls of a
// few built-in methods, through these while no class hooks attribute access (`Rt::attr_hooks`:
// `__getattr__`, `__setattr__`, a frozen dataclass need the slow path's frames) and `--races`
// is off. A property is called from here (prop: the class's mask of property names,
// `ClassObj::prop_names`, then `Throw::Accessor` to `run_slice`). Each does what `slow_op` does for the instruction in that
// case, the lost-update and check-then-act bookkeeping included, at the same instruction
// index; they are out of line so that `hot` stays small.

use crate::vm::lost::{LocKey, ReadLog};
use crate::vm::natives::{AttrSym, MethodId, TypeTag};
use crate::vm::{methods, ops, PyResult};

impl Vm {
    /// `LOAD_ATTR name` on `obj`, at instruction `at` of code `code_id`.
    #[inline(never)]
    pub(crate) fn hot_load_attr(
        &mut self,
        reads: &mut ReadLog,
        obj: Value,
        name: u32,
        code_id: u32,
        at: u32,
    ) -> PyResult<Value> {
        // prop: a property's getter (`Throw::Accessor`, which `run_slice` calls) or the slow
        // path (`Throw::Slow`), before the instance's `__dict__` (a property is a data
        // descriptor), and without the lost-update read (as the slow path). Sent back as
        // errors so that `hot`'s arm stays as it was (its code is the counter loop's too).
        if self.rt.user_dunders {
            return self.load_attr_checked(reads, obj, name, code_id, at);
        }
        self.load_attr_plain(reads, obj, name, code_id, at)
    }

    /// `hot_load_attr` for what is no property.
    #[inline(always)]
    fn load_attr_plain(
        &mut self,
        reads: &mut ReadLog,
        obj: Value,
        name: u32,
        code_id: u32,
        at: u32,
    ) -> PyResult<Value> {
        // cls2: one thread and an instance attribute (or a remembered plain class attribute
        // read through the instance): answered straight away, each path returning its own
        // value (merged with `load_attr`'s, the value was copied through two stack
        // temporaries, and `threads.len()` tested after it).
        if self.threads.len() < 2 {
            if let Some(v) = self.inst_attr(obj, name) {
                return Ok(v);
            }
        }
        self.load_attr_noted(reads, obj, name, code_id, at)
    }

    /// `hot_load_attr` once some class defines a special method or a property: the
    /// instance and its class are looked at once for both questions, whether `name` may be a
    /// property (its bit in the class's mask) and, if not, whether the instance holds it (two
    /// calls and two look-ups of the instance before: 7% of l/dunder's Ir).
    #[inline(never)]
    fn load_attr_checked(
        &mut self,
        reads: &mut ReadLog,
        obj: Value,
        name: u32,
        code_id: u32,
        at: u32,
    ) -> PyResult<Value> {
        if let Value::Obj(id) = obj {
            if let Obj::Instance(inst) = self.rt.heap.get(id) {
                if self.class_may_have_inline(inst.class, name) {
                    self.hot_property(obj, name, false)?;
                } else if self.threads.len() < 2 && name != self.rt.dunders.class_ {
                    if let Some(v) = inst.attrs.get(&name) {
                        return Ok(*v);
                    }
                }
            }
        }
        self.load_attr_plain(reads, obj, name, code_id, at)
    }

    /// `hot_load_attr` but for its first case: `load_attr`'s general look-up, and the
    /// lost-update read once two threads exist.
    #[inline(never)]
    fn load_attr_noted(
        &mut self,
        reads: &mut ReadLog,
        obj: Value,
        name: u32,
        code_id: u32,
        at: u32,
    ) -> PyResult<Value> {
        // Two threads and an instance's own attribute whose location is known (the
        // attribute of a shared object read again): its value and location in one look.
        if self.threads.len() >= 2 {
            if let Some((v, loc)) = self.inst_attr_loc(obj, name) {
                let meta = self.items.locs[loc as usize].meta;
                reads.record(LocKey::Item(loc), &meta, code_id, at);
                return Ok(v);
            }
        }
        // classes: an instance's attribute, or a plain class attribute through it, without
        // `load_attr`'s general look-up (`vm::fastclass`).
        let v = match self.inst_attr(obj, name) {
            Some(v) => v,
            None => self.load_attr(obj, name)?,
        };
        if self.threads.len() < 2 {
            return Ok(v);
        }
        if let Some(loc) = self.attr_loc(obj, name) {
            let meta = self.items.locs[loc as usize].meta;
            reads.record(LocKey::Item(loc), &meta, code_id, at);
        }
        Ok(v)
    }

    /// `STORE_ATTR name` of `v` on `obj`, at instruction `at` of code `code_id` (frame base
    /// `base`). prop: a property's setter is sent back as `Throw::Accessor`, nothing done.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    pub(crate) fn hot_store_attr(
        &mut self,
        reads: &mut ReadLog,
        obj: Value,
        name: u32,
        v: Value,
        code_id: u32,
        base: usize,
        at: usize,
    ) -> PyResult<()> {
        if self.maybe_property(obj, name) {
            self.hot_property(obj, name, true)?;
        }
        // cls2: one thread and an instance's `__dict__`: nothing else to do.
        if self.threads.len() < 2 && self.inst_store(obj, name, v) {
            return Ok(());
        }
        self.store_attr_noted(reads, obj, name, v, code_id, base, at)
    }

    /// `hot_store_attr` but for its first case: `store_attr`'s general store, and the
    /// lost-update and check-then-act bookkeeping once two threads exist.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn store_attr_noted(
        &mut self,
        reads: &mut ReadLog,
        obj: Value,
        name: u32,
        v: Value,
        code_id: u32,
        base: usize,
        at: usize,
    ) -> PyResult<()> {
        // classes: an instance's `__dict__` directly (`vm::fastclass`), which answers the
        // location the attribute remembers.
        let known = match self.inst_store_loc(obj, name, v) {
            Some(loc) => loc,
            None => {
                self.store_attr(obj, name, v)?;
                crate::vm::attrtable::NO_LOC
            }
        };
        if self.threads.len() < 2 {
            return Ok(());
        }
        let loc = match known {
            crate::vm::attrtable::NO_LOC => self.attr_loc(obj, name),
            loc => Some(loc),
        };
        if let Some(loc) = loc {
            if self.cta.armed(self.current) {
                let c = obj.as_obj().map_or(crate::vm::cta::NO_CONTAINER, |o| o.0);
                self.cta_act(LocKey::Item(loc), c, false, code_id, base, at);
            }
            self.item_stored(reads, loc, v, code_id, at as u32);
        }
        Ok(())
    }

    /// `BINARY_SUBSCR` of `container[index]`, at instruction `at` of code `code_id`. The
    /// caller has sent a built-in type's name (`list[int]`, a generic alias) to the slow path;
    /// an instance operand while some class defines an item special method goes to
    /// `Vm::hot_operator` (`Throw::Operator`).
    #[inline(never)]
    pub(crate) fn hot_subscr(
        &mut self,
        reads: &mut ReadLog,
        container: Value,
        index: Value,
        code_id: u32,
        at: u32,
    ) -> PyResult<Value> {
        // cls2: one thread and `lst[i]` / `tup[i]` in range (no location to note): the item,
        // without `getitem`'s general match and its `Result` passed back through memory.
        if self.threads.len() < 2 {
            if let (Value::Obj(id), Value::Int(i)) = (container, index) {
                if let Obj::List(v) | Obj::Tuple(v) = self.rt.heap.get(id) {
                    let n = v.len();
                    let j = if i < 0 { i.wrapping_add(n as i64) } else { i };
                    if let Some(x) = usize::try_from(j).ok().and_then(|j| v.get(j)) {
                        return Ok(*x);
                    }
                }
            }
        }
        // `obj[i]` through `__getitem__`, or a dict key with `__hash__`: `Vm::hot_operator`
        // enters the method or sends the instruction to the slow path.
        if self.rt.item_dunders
            && (crate::vm::dunder::is_instance(&self.rt, container)
                || crate::vm::dunder::is_instance(&self.rt, index))
        {
            return Err(crate::vm::Throw::Operator);
        }
        self.subscr_noted(reads, container, index, code_id, at)
    }

    /// `hot_subscr` but for its first case.
    #[inline(never)]
    fn subscr_noted(
        &mut self,
        reads: &mut ReadLog,
        container: Value,
        index: Value,
        code_id: u32,
        at: u32,
    ) -> PyResult<Value> {
        let r = ops::getitem(&mut self.rt, container, index)?;
        if let Some(loc) = self.item_loc(container, index) {
            let meta = self.items.locs[loc as usize].meta;
            reads.record(LocKey::Item(loc), &meta, code_id, at);
        }
        Ok(r)
    }

    /// Whether a call of built-in method `m` with positional arguments `args` may run in the
    /// hot loop: the methods of `list`, `dict`, `str`, `tuple` and `set`, which never block,
    /// call Python code or read the clock, when no argument is a generator
    /// (`iteration_method` takes `list.extend(g)`, `"".join(g)`, …) and no class defines
    /// `__eq__`/`__ne__`/`__hash__` (`equality_method`; `Rt::item_dunders`). `list.sort` (keys, instances) stays on the
    /// slow path.
    pub(crate) fn hot_method_ok(&self, m: MethodId, args: &[Value]) -> bool {
        matches!(
            m.ty,
            TypeTag::List | TypeTag::Dict | TypeTag::Str | TypeTag::Tuple | TypeTag::Set
        ) && m.attr != AttrSym::sort
            && !self.rt.item_dunders
            && !crate::vm::generator::any_generator(&self.rt, args)
    }

    /// The call of built-in method `m` on `recv` with `args`, as `call_method` makes it for
    /// the methods `hot_method_ok` admits.
    #[inline(never)]
    pub(crate) fn hot_call_method(
        &mut self,
        m: MethodId,
        recv: Value,
        args: &[Value],
    ) -> PyResult<Value> {
        // ld3: `d.get(k)`, `lst.append(x)` without the general dispatch (`vm::methfast`).
        if let Some(r) = crate::vm::methfast::call_method_fast(&mut self.rt, m, recv, args) {
            return r;
        }
        methods::call_method(&mut self.rt, m, recv, args, &[])
    }
}
