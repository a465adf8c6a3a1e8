//! The check-then-act detector: an atomicity violation beyond `+=`.
//!
//! A thread *checks* a shared location (`key in cache`, `cache.get(key)`, `len(items)`,
//! `if items:`, `instance is None`, `counter < N`) and then *acts* on what it saw (stores
//! `cache[key]`, pops from `items`, assigns `instance`), while another thread writes the same
//! location in between: the act is based on a check that no longer holds. The lost-update
//! detector (`lost.rs`) does not see it, because the act need not read the location again
//! (`cache[key] = value`) or reads it afresh (`counter += 1` after `if counter < N`).
//!
//! # The rule
//!
//! **Checks.** A read of a shared location whose result feeds a conditional jump — the
//! instruction right before a `POP_JUMP_*`/`JUMP_IF_*_OR_POP` (or before `UNARY_NOT` and the
//! jump), or a call whose result is compared (`len(items) > 0`) — marked once per program at
//! link time ([`mark_checks`], [`Instr::check`]):
//! - `k in d` / `k not in d` on a dict: the item `d[k]`; on a list, set or other container:
//!   the container as a whole;
//! - `d.get(k)`: the item `d[k]`; `len(c)`: the container `c` as a whole;
//! - a truth test, `is None`/`is not None` or a comparison of a value loaded straight from a
//!   global (`LOAD_GLOBAL`, `LOAD_NAME`) or an attribute of a local (`self.balance`): that
//!   global or attribute; a truth test of a list, dict or set: the container as a whole.
//!
//! **Acts.** A write by the same thread to the checked location, or to a location derived
//! from it (an item of a container checked as a whole, or the container as a whole — a
//! mutating method such as `append`, `pop`, `setdefault` — when an item of it was checked),
//! made in the same function activation (same code object and frame), at an instruction after
//! the check's: a store (`STORE_SUBSCR`, `STORE_ATTR`, `STORE_GLOBAL`/`STORE_NAME`), a
//! deletion, or a mutating method of a list, dict or set.
//!
//! **Violation.** At the act, the location's bookkeeping (`lost::LocMeta`: its update depth
//! and last writer) differs from what the check saw and its last writer is another thread.
//!
//! **What resets a check.** The act consumes it (one report per check); a newer check of the
//! same location replaces it; the function returning drops the checks of its activation;
//! waiting on a `Condition` drops all the thread's checks (it relies on the notify now); a
//! thread keeps at most [`SLOTS`] checks (the oldest goes first). A check-then-act done under a
//! lock that every writer takes is never reported: no other thread can write in between.
//!
//! # Cost
//!
//! Checks are only taken on the slow path: `CONTAINS_OP`, `IS_OP`, `POP_JUMP_IF_NONE`, calls
//! are slow instructions anyway, and the hot loop sends a marked `COMPARE_OP` or truth-test
//! jump there once a second thread exists (one test of a flag already loaded with the
//! instruction, and of the thread count when it is set). Acts on items and
//! attributes are slow instructions; a `STORE_GLOBAL` tests one counter (`CtaState::globals`,
//! the global checks armed in the whole VM) before its lost-update bookkeeping. Everything is
//! O(1) per instruction: a thread's checks are [`SLOTS`] entries scanned linearly. Nothing is
//! tracked until a second thread exists.

use crate::bytecode::{Instr, Opcode, Program};
use crate::vm::lost::{LocKey, LocMeta};
use crate::vm::thread::Tid;
use crate::vm::value::Value;

/// How many checks a thread keeps at once.
pub const SLOTS: usize = 4;
/// A check's `container` when the location is not part of a container (a global).
pub const NO_CONTAINER: u32 = u32::MAX;
/// Violations kept for explanations (all are counted).
pub const EVENTS_KEPT: usize = 16;

/// One check a thread made and may act on.
#[derive(Clone, Copy, Debug)]
pub struct Check {
    pub key: LocKey,
    /// The container the location belongs to (heap id), or [`NO_CONTAINER`].
    pub container: u32,
    /// Whether `key` is the container as a whole (its length, its membership).
    pub whole: bool,
    /// The location's bookkeeping when the check read it.
    pub seen: LocMeta,
    /// Where the check was made: code object, instruction, and the activation's stack base.
    pub code: u32,
    pub pc: u32,
    pub base: u32,
    /// What the check saw, when it is not a heap object (`False`, `1`, `None`); otherwise its
    /// truth value.
    pub result: Value,
}

/// A thread's armed checks.
#[derive(Clone, Debug, Default)]
pub struct CheckLog {
    slots: [Option<Check>; SLOTS],
    next: u8,
    len: u8,
}

impl CheckLog {
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Arms `c`, replacing a check of the same location (or the oldest). Returns whether a
    /// global check was added and whether one was dropped, for [`CtaState::globals`].
    fn arm(&mut self, c: Check) -> (bool, bool) {
        let i = self
            .slots
            .iter()
            .position(|s| s.is_some_and(|s| s.key == c.key && s.base == c.base))
            .unwrap_or_else(|| {
                let i = self.next as usize % SLOTS;
                self.next = self.next.wrapping_add(1);
                i
            });
        let old = self.slots[i].replace(c);
        if old.is_none() {
            self.len += 1;
        }
        (
            matches!(c.key, LocKey::Global(_)),
            old.is_some_and(|o| matches!(o.key, LocKey::Global(_))),
        )
    }

    /// Takes the check an act at (code, base, pc) on `key` (an item of `container`, or the
    /// container as a whole when `whole`) depends on, if any. Returns it and whether it was a
    /// global check.
    fn take(
        &mut self,
        key: LocKey,
        container: u32,
        whole: bool,
        code: u32,
        base: u32,
        pc: u32,
    ) -> Option<Check> {
        let i = self.slots.iter().position(|s| {
            s.is_some_and(|s| {
                s.code == code
                    && s.base == base
                    && pc > s.pc
                    && (s.key == key
                        || (container != NO_CONTAINER
                            && s.container == container
                            && (s.whole || whole)))
            })
        })?;
        self.len -= 1;
        self.slots[i].take()
    }

    /// Drops the checks of the activation at `base` and above (its function returned).
    /// Returns how many global checks went.
    fn drop_from(&mut self, base: u32) -> u32 {
        let mut globals = 0;
        for s in &mut self.slots {
            if s.is_some_and(|c| c.base >= base) {
                if s.is_some_and(|c| matches!(c.key, LocKey::Global(_))) {
                    globals += 1;
                }
                *s = None;
                self.len -= 1;
            }
        }
        globals
    }
}

/// One violation: a thread acted on a check another thread's write had made stale.
#[derive(Clone, Debug)]
pub struct CtaEvent {
    pub thread: Tid,
    pub check: Check,
    /// The other thread's last write to the checked location before the act.
    pub other: LocMeta,
    /// The act.
    pub act_code: u32,
    pub act_pc: u32,
}

/// The detector's state in a VM.
#[derive(Default)]
pub struct CtaState {
    /// Per thread, its armed checks.
    pub logs: Vec<CheckLog>,
    /// Global checks armed over all threads: a `STORE_GLOBAL` looks for an act only when this
    /// is not zero.
    pub globals: u32,
    /// Violations found.
    pub count: u64,
    /// The first violations, for explanations.
    pub events: Vec<CtaEvent>,
}

impl CtaState {
    /// Whether thread `tid` has any check armed.
    #[inline]
    pub fn armed(&self, tid: Tid) -> bool {
        self.logs.get(tid as usize).is_some_and(|l| !l.is_empty())
    }

    pub fn arm(&mut self, tid: Tid, c: Check) {
        let t = tid as usize;
        if self.logs.len() <= t {
            self.logs.resize_with(t + 1, CheckLog::default);
        }
        let (added, dropped) = self.logs[t].arm(c);
        self.globals = self.globals + added as u32 - dropped as u32;
    }

    #[allow(clippy::too_many_arguments)]
    pub fn take(
        &mut self,
        tid: Tid,
        key: LocKey,
        container: u32,
        whole: bool,
        code: u32,
        base: u32,
        pc: u32,
    ) -> Option<Check> {
        let c = self
            .logs
            .get_mut(tid as usize)?
            .take(key, container, whole, code, base, pc)?;
        if matches!(c.key, LocKey::Global(_)) {
            self.globals -= 1;
        }
        Some(c)
    }

    /// Thread `tid` waits on a `Condition`: it now relies on being notified, not on what it
    /// checked before, so its checks are dropped (an `if` instead of a `while` around the
    /// wait is shown when it fails: the thread that pops from an empty list crashes).
    #[cold]
    #[inline(never)]
    pub fn waited(&mut self, tid: Tid) {
        self.returned(tid, 0);
    }

    /// The activation at `base` of `tid` returned.
    #[cold]
    #[inline(never)]
    pub fn returned(&mut self, tid: Tid, base: u32) {
        if let Some(l) = self.logs.get_mut(tid as usize) {
            if !l.is_empty() {
                let g = l.drop_from(base);
                self.globals -= g;
            }
        }
    }
}

/// Whether `op` is a conditional jump a check's result feeds.
pub fn is_branch(op: Opcode) -> bool {
    use Opcode::*;
    matches!(
        op,
        POP_JUMP_FORWARD_IF_FALSE
            | POP_JUMP_FORWARD_IF_TRUE
            | POP_JUMP_BACKWARD_IF_FALSE
            | POP_JUMP_BACKWARD_IF_TRUE
            | POP_JUMP_FORWARD_IF_NONE
            | POP_JUMP_FORWARD_IF_NOT_NONE
            | POP_JUMP_BACKWARD_IF_NONE
            | POP_JUMP_BACKWARD_IF_NOT_NONE
            | JUMP_IF_FALSE_OR_POP
            | JUMP_IF_TRUE_OR_POP
    )
}

/// An instruction that pushes one value and pops none (an operand of a comparison).
fn single_push(op: Opcode) -> bool {
    use Opcode::*;
    matches!(
        op,
        LOAD_CONST | LOAD_FAST | LOAD_GLOBAL | LOAD_NAME | LOAD_DEREF
    )
}

/// A load of a location other threads may write, as a checked operand: a global, or an
/// attribute of a local (`self.balance`).
pub fn shared_load(ins: &[Instr], i: usize) -> bool {
    match ins[i].op {
        Opcode::LOAD_GLOBAL | Opcode::LOAD_NAME => true,
        Opcode::LOAD_ATTR => i > 0 && ins[i - 1].op == Opcode::LOAD_FAST,
        _ => false,
    }
}

/// The instructions producing the two operands of the binary instruction at `i` (`a`, then
/// `b`), when each is one instruction: `(i - 2, i - 1)`, or for an attribute operand
/// (`self.x`, two instructions) its `LOAD_ATTR`.
pub fn operand_producers(ins: &[Instr], i: usize) -> [Option<usize>; 2] {
    let mut out = [None, None];
    if i == 0 {
        return out;
    }
    let b = i - 1;
    out[1] = Some(b);
    let b_len = if ins[b].op == Opcode::LOAD_ATTR && b > 0 && ins[b - 1].op == Opcode::LOAD_FAST {
        2
    } else if single_push(ins[b].op) {
        1
    } else {
        return out;
    };
    if i > b_len {
        out[0] = Some(i - 1 - b_len);
    }
    out
}

/// Whether the instruction after `i` consumes the value `i` pushes as a check: a conditional
/// jump, `UNARY_NOT` and one, or (for a call) a comparison with a one-instruction operand and
/// a jump.
fn feeds_branch(ins: &[Instr], i: usize, compared: bool) -> bool {
    let at = |k: usize| ins.get(k).map(|x| x.op);
    match at(i + 1) {
        Some(op) if is_branch(op) => true,
        Some(Opcode::UNARY_NOT) => at(i + 2).is_some_and(is_branch),
        Some(op) if compared && single_push(op) => {
            at(i + 2) == Some(Opcode::COMPARE_OP) && at(i + 3).is_some_and(is_branch)
        }
        _ => false,
    }
}

/// Whether the call at `i` stores its result in a local (`n = counts.get(word)`) that a later
/// instruction of the same code tests (`if n is None:`, `if n > 0:`, `if not n:`).
fn feeds_branch_via_local(ins: &[Instr], i: usize) -> bool {
    let Some(st) = ins.get(i + 1).filter(|x| x.op == Opcode::STORE_FAST) else {
        return false;
    };
    (i + 2..ins.len()).any(|k| {
        ins[k].op == Opcode::LOAD_FAST
            && ins[k].arg == st.arg
            && (feeds_branch(ins, k, true)
                || (ins
                    .get(k + 2)
                    .is_some_and(|x| matches!(x.op, Opcode::COMPARE_OP | Opcode::IS_OP))
                    && ins.get(k + 1).is_some_and(|x| single_push(x.op))
                    && ins.get(k + 3).is_some_and(|x| is_branch(x.op))))
    })
}

/// Marks the checks ([`Instr::check`]) in the program's own code objects (below
/// `prelude_start`; the prelude's library code is not the program's logic). See the module
/// comment for which instructions are checks.
pub fn mark_checks(program: &mut Program, prelude_start: u32) {
    for code in program.codes.iter_mut().take(prelude_start as usize) {
        let ins = &mut code.instrs;
        for i in 0..ins.len() {
            let check = match ins[i].op {
                Opcode::CONTAINS_OP | Opcode::IS_OP => feeds_branch(ins, i, false),
                Opcode::COMPARE_OP => {
                    feeds_branch(ins, i, false)
                        && operand_producers(ins, i)
                            .iter()
                            .any(|p| p.is_some_and(|p| shared_load(ins, p)))
                }
                Opcode::CALL => feeds_branch(ins, i, true) || feeds_branch_via_local(ins, i),
                op if is_branch(op) => i > 0 && shared_load(ins, i - 1),
                _ => false,
            };
            ins[i].check = check;
        }
    }
}

/// The text of the source that instruction `pc` of `code` was compiled from, on one line and
/// short, or `None`.
pub fn source_text(prog: &Program, code: u32, pc: u32) -> Option<String> {
    let c = prog.codes.get(code as usize)?;
    let sp = c.spans.get(pc as usize)?;
    let s = prog.source.get(sp.start as usize..sp.end as usize)?;
    let s = s.trim();
    if s.is_empty() || s.contains('\n') || s.chars().count() > 60 {
        return None;
    }
    Some(s.to_string())
}

// ---------------------------------------------------------------------------------------------
// The VM's side: taking checks at the slow-path instructions, finding acts, explaining them.
// ---------------------------------------------------------------------------------------------

use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::natives::{AttrSym, NativeId, TypeTag};
use crate::vm::traceback::line_of;

/// What a checked call reads, found before the call runs.
#[derive(Clone, Copy, Debug)]
pub struct CallCheck {
    key: LocKey,
    container: u32,
    whole: bool,
    seen: LocMeta,
}

/// What a mutating method call writes (an act), found before the call runs.
#[derive(Clone, Copy, Debug)]
pub struct CallAct {
    pub container: u32,
    /// A dict key the method writes (`pop(k)`, `setdefault(k)`), when it has one.
    pub key: Option<LocKey>,
}

impl Vm {
    /// A location's bookkeeping, if it has one.
    fn cta_meta(&self, key: LocKey) -> Option<LocMeta> {
        match key {
            LocKey::Global(s) => self.globals.get(s as usize).map(|g| g.meta),
            LocKey::Item(i) => self.items.locs.get(i as usize).map(|l| l.meta),
            LocKey::Cell(_) => None,
        }
    }

    /// What a check saw, as kept in a [`Check`]: a heap object by its truth value.
    fn cta_result(&self, v: Value) -> Value {
        match v {
            Value::Bool(_) | Value::Int(_) | Value::None | Value::Float(_) => v,
            _ => Value::Bool(crate::vm::ops::truthy(&self.rt, v)),
        }
    }

    /// Records a check of `key` by the current thread at (code, pc) in the activation at
    /// `base`, which saw `seen` and returned `result`.
    #[allow(clippy::too_many_arguments)]
    fn cta_arm(
        &mut self,
        key: LocKey,
        container: u32,
        whole: bool,
        seen: LocMeta,
        code: u32,
        pc: u32,
        base: usize,
        result: Value,
    ) {
        let result = self.cta_result(result);
        let c = Check {
            key,
            container,
            whole,
            seen,
            code,
            pc,
            base: base as u32,
            result,
        };
        self.cta.arm(self.current, c);
    }

    /// The shared location instruction `i` of `code` loaded (see [`shared_load`]), with the
    /// frame's locals at `stack[base..]`.
    fn cta_loaded(&mut self, code: u32, i: usize, stack: &[Value], base: usize) -> Option<LocKey> {
        if self.threads.len() < 2 {
            return None;
        }
        let ins = &self.prog.codes[code as usize].instrs;
        let at = *ins.get(i)?;
        match at.op {
            Opcode::LOAD_GLOBAL | Opcode::LOAD_NAME => {
                let g = self.globals.get(at.arg as usize)?;
                (!matches!(g.value, Value::Undef)).then_some(LocKey::Global(at.arg))
            }
            Opcode::LOAD_ATTR if i > 0 && ins[i - 1].op == Opcode::LOAD_FAST => {
                let obj = *stack.get(base + ins[i - 1].arg as usize)?;
                self.attr_loc(obj, at.arg).map(LocKey::Item)
            }
            _ => None,
        }
    }

    /// Before a marked binary check (`COMPARE_OP`, `IS_OP` at index `pc` of `code`; its
    /// operands still on the stack): the shared locations its operands were loaded from, and
    /// their state now.
    pub(crate) fn cta_operands(
        &mut self,
        code: u32,
        pc: usize,
        stack: &[Value],
        base: usize,
    ) -> [Option<(LocKey, LocMeta)>; 2] {
        let ins = &self.prog.codes[code as usize].instrs;
        let prods = operand_producers(ins, pc);
        let mut out = [None, None];
        for (k, p) in prods.into_iter().enumerate() {
            if let Some(p) = p {
                if let Some(key) = self.cta_loaded(code, p, stack, base) {
                    out[k] = self.cta_meta(key).map(|m| (key, m));
                }
            }
        }
        out
    }

    /// After a marked binary check returned `result`: arms a check of each shared operand.
    pub(crate) fn cta_arm_operands(
        &mut self,
        ops: [Option<(LocKey, LocMeta)>; 2],
        code: u32,
        pc: usize,
        base: usize,
        result: Value,
    ) {
        for (key, seen) in ops.into_iter().flatten() {
            self.cta_arm(
                key,
                NO_CONTAINER,
                false,
                seen,
                code,
                pc as u32,
                base,
                result,
            );
        }
    }

    /// A marked jump at index `pc` of `code` tests `v` (`if items:`, `if flag:`, `if x is
    /// None` compiled to `POP_JUMP_IF_NOT_NONE`): a check of the container `v` as a whole, or
    /// of the global or attribute the previous instruction loaded.
    pub(crate) fn cta_test(
        &mut self,
        code: u32,
        pc: usize,
        v: Value,
        stack: &[Value],
        base: usize,
    ) {
        if self.threads.len() < 2 {
            return;
        }
        // `if x is None:` compiles to a jump on None: what the program reads is the test's
        // truth, `x is None` (or `is not None`), as its source says.
        let ins = self.prog.codes[code as usize].instrs[pc];
        let v = if matches!(
            ins.op,
            Opcode::POP_JUMP_FORWARD_IF_NONE
                | Opcode::POP_JUMP_FORWARD_IF_NOT_NONE
                | Opcode::POP_JUMP_BACKWARD_IF_NONE
                | Opcode::POP_JUMP_BACKWARD_IF_NOT_NONE
        ) {
            let negated =
                source_text(&self.prog, code, pc as u32).is_some_and(|t| t.contains("is not"));
            match self.whole_loc(v) {
                Some(_) => v,
                None => Value::Bool(v.is_none() != negated),
            }
        } else {
            v
        };
        if let Some(loc) = self.whole_loc(v) {
            let key = LocKey::Item(loc);
            let seen = self.items.locs[loc as usize].meta;
            let c = v.as_obj().map_or(NO_CONTAINER, |o| o.0);
            self.cta_arm(key, c, true, seen, code, pc as u32, base, v);
        } else if pc > 0 {
            if let Some(key) = self.cta_loaded(code, pc - 1, stack, base) {
                if let Some(seen) = self.cta_meta(key) {
                    self.cta_arm(key, NO_CONTAINER, false, seen, code, pc as u32, base, v);
                }
            }
        }
    }

    /// A marked `CONTAINS_OP` at index `pc` found `result` for `item in container`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn cta_contains(
        &mut self,
        code: u32,
        pc: usize,
        base: usize,
        container: Value,
        item: Value,
        result: Value,
    ) {
        let Some(id) = container.as_obj() else { return };
        let (loc, whole) = match self.rt.heap.get(id) {
            Obj::Dict(_) => (self.item_loc(container, item), false),
            _ => (self.whole_loc(container), true),
        };
        if let Some(loc) = loc {
            let seen = self.items.locs[loc as usize].meta;
            let key = LocKey::Item(loc);
            self.cta_arm(key, id.0, whole, seen, code, pc as u32, base, result);
        }
    }

    /// Before a marked call (its callee at `stack[callee_at]`, a method's receiver after a
    /// `Method` marker): what it checks — `len(c)` the container `c` as a whole, `d.get(k)`
    /// the item `d[k]`.
    pub(crate) fn cta_call_check(
        &mut self,
        stack: &[Value],
        callee_at: usize,
    ) -> Option<CallCheck> {
        if self.threads.len() < 2 {
            return None;
        }
        let args = stack.get(callee_at + 1..)?;
        let (key, container, whole) = match (stack[callee_at], args) {
            (Value::Native(NativeId::Len), [c]) => {
                let loc = self.whole_loc(*c)?;
                (LocKey::Item(loc), c.as_obj()?.0, true)
            }
            (
                Value::Method(MethodIdRef {
                    ty: TypeTag::Dict,
                    attr: AttrSym::get,
                }),
                [d, k, ..],
            ) => {
                let loc = self.item_loc(*d, *k)?;
                (LocKey::Item(loc), d.as_obj()?.0, false)
            }
            _ => return None,
        };
        let seen = self.cta_meta(key)?;
        Some(CallCheck {
            key,
            container,
            whole,
            seen,
        })
    }

    /// After a checked call returned `result` (the stack's top).
    pub(crate) fn cta_arm_call(
        &mut self,
        c: CallCheck,
        code: u32,
        pc: usize,
        base: usize,
        result: Value,
    ) {
        self.cta_arm(
            c.key,
            c.container,
            c.whole,
            c.seen,
            code,
            pc as u32,
            base,
            result,
        );
    }

    /// Before a call, once a container's whole location exists or the thread has a check
    /// armed: if it is a mutating method of a list, dict or set (`items.pop()`,
    /// `cache.setdefault(k, v)`), the act it makes — checked against the thread's checks now,
    /// recorded as a write of the container after the call ([`Vm::cta_wrote`]).
    pub(crate) fn cta_call_act(
        &mut self,
        stack: &[Value],
        callee_at: usize,
        code: u32,
        pc: usize,
        base: usize,
    ) -> Option<CallAct> {
        let Value::Method(m) = stack[callee_at] else {
            return None;
        };
        use AttrSym::*;
        let mutates = match m.ty {
            TypeTag::List => matches!(
                m.attr,
                append | pop | extend | insert | remove | clear | sort | reverse
            ),
            TypeTag::Dict => matches!(m.attr, pop | popitem | setdefault | update | clear),
            TypeTag::Set => matches!(
                m.attr,
                add | discard
                    | remove
                    | pop
                    | clear
                    | update
                    | intersection_update
                    | difference_update
                    | symmetric_difference_update
            ),
            _ => false,
        };
        if !mutates {
            return None;
        }
        let recv = *stack.get(callee_at + 1)?;
        let id = recv.as_obj()?.0;
        let key = match (m.ty, m.attr, stack.get(callee_at + 2)) {
            (TypeTag::Dict, pop | setdefault, Some(k)) => {
                self.existing_key_loc(id, *k).map(LocKey::Item)
            }
            _ => None,
        };
        if self.cta.armed(self.current) {
            let whole = self.existing_whole_loc(id).map(LocKey::Item);
            let act_key = key.or(whole).unwrap_or(LocKey::Item(u32::MAX));
            self.cta_act(act_key, id, true, code, base, pc);
        }
        Some(CallAct { container: id, key })
    }

    /// An act by the current thread: a write to `key` (an item of `container`, or the
    /// container as a whole when `whole`) at (code, pc) in the activation at `base`. Reports a
    /// violation when the check it depends on is stale.
    pub(crate) fn cta_act(
        &mut self,
        key: LocKey,
        container: u32,
        whole: bool,
        code: u32,
        base: usize,
        pc: usize,
    ) {
        let tid = self.current;
        let Some(c) = self
            .cta
            .take(tid, key, container, whole, code, base as u32, pc as u32)
        else {
            return;
        };
        let Some(now) = self.cta_meta(c.key) else {
            return;
        };
        if now != c.seen && now.writer != tid {
            self.cta.count += 1;
            let ev = CtaEvent {
                thread: tid,
                check: c,
                other: now,
                act_code: code,
                act_pc: pc as u32,
            };
            if self.tracer.is_some() {
                self.trace(crate::vm::observe::Hook::CheckThenAct(&ev));
            }
            if self.cta.events.len() < EVENTS_KEPT {
                self.cta.events.push(ev);
            }
        }
    }

    /// A `STORE_GLOBAL` of `slot` by the current thread, while some global check is armed.
    #[cold]
    #[inline(never)]
    pub(crate) fn cta_global_store(&mut self, slot: u32, code: u32, base: usize, pc: usize) {
        if self.cta.armed(self.current) {
            self.cta_act(LocKey::Global(slot), NO_CONTAINER, false, code, base, pc);
        }
    }

    /// The current thread wrote container `id` (an item of it, or through a method; `key`
    /// the item, when known) at (code, pc): its whole location, if a check made one, and the
    /// item record the write, so that another thread's check of them sees it.
    pub(crate) fn cta_wrote(&mut self, id: u32, key: Option<LocKey>, code: u32, pc: u32) {
        let tid = self.current;
        let whole = self.existing_whole_loc(id);
        let item = match key {
            Some(LocKey::Item(i)) => Some(i),
            _ => None,
        };
        for loc in [whole, item].into_iter().flatten() {
            let m = &mut self.items.locs[loc as usize].meta;
            m.depth = m.depth.wrapping_add(1);
            m.writer = tid;
            m.write_code = code;
            m.write_pc = pc;
        }
    }

    /// How an act or a write at (code, pc) reads: `stored cache[key]`, `called
    /// items.pop()`.
    fn cta_deed(&self, code: u32, pc: u32) -> String {
        let c = &self.prog.codes[code as usize];
        let ins = c.instrs.get(pc as usize).copied();
        let text = source_text(&self.prog, code, pc);
        match ins.map(|i| i.op) {
            Some(Opcode::CALL) => match text {
                Some(t) => format!("called `{t}`"),
                None => "called a method".to_string(),
            },
            Some(Opcode::STORE_GLOBAL | Opcode::STORE_NAME) => {
                let name = &self.prog.names[ins.map_or(0, |i| i.arg) as usize];
                format!("stored `{name}`")
            }
            Some(Opcode::DELETE_SUBSCR) => match text {
                Some(t) => format!("deleted `{t}`"),
                None => "deleted an item".to_string(),
            },
            _ => match text {
                Some(t) => format!("stored `{}`", t.split(" = ").next().unwrap_or(&t).trim()),
                None => "stored it".to_string(),
            },
        }
    }

    /// Where a violation happened, without the threads or the values (which depend on the
    /// schedule), for `sweep`'s verdict rows: "checked `len(stock)` at line 12, then called
    /// `stock.pop()` at line 16".
    pub fn cta_site(&self, e: &CtaEvent) -> String {
        let c = &e.check;
        let check = match source_text(&self.prog, c.code, c.pc) {
            Some(t) => format!("`{t}`"),
            None => "a condition".to_string(),
        };
        format!(
            "checked {check} at line {}, then {} at line {}",
            line_of(&self.prog, c.code, c.pc),
            self.cta_deed(e.act_code, e.act_pc),
            line_of(&self.prog, e.act_code, e.act_pc)
        )
    }

    /// One violation in plain words.
    pub fn explain_cta(&self, e: &CtaEvent) -> String {
        let victim = &self.threads[e.thread as usize].name;
        let other = &self.threads[e.other.writer as usize].name;
        let c = &e.check;
        let check = match source_text(&self.prog, c.code, c.pc) {
            Some(t) => format!("`{t}`"),
            None => "a condition".to_string(),
        };
        let key = match c.key {
            LocKey::Item(i) if !c.whole => {
                let l = &self.items.locs[i as usize];
                match l
                    .shown()
                    .strip_prefix('[')
                    .and_then(|s| s.strip_suffix(']'))
                {
                    Some(k) if !l.shown().is_empty() => format!(" for key {k}"),
                    _ => String::new(),
                }
            }
            _ => String::new(),
        };
        let result = self.value_text(c.result);
        let check_line = line_of(&self.prog, c.code, c.pc);
        let other_line = line_of(&self.prog, e.other.write_code, e.other.write_pc);
        let act_line = line_of(&self.prog, e.act_code, e.act_pc);
        let other_deed = self.cta_deed(e.other.write_code, e.other.write_pc);
        let act = self.cta_deed(e.act_code, e.act_pc);
        // A blind store over the other thread's store erases it; a read-modify-write or a
        // method acts on a state the check no longer describes.
        let act_ins = &self.prog.codes[e.act_code as usize].instrs;
        let rmw = (1..=2).any(|k| {
            (e.act_pc as usize)
                .checked_sub(k)
                .and_then(|i| act_ins.get(i))
                .is_some_and(|i| i.op == Opcode::BINARY_OP && i.arg >= 13)
        });
        let overwrite = act.starts_with("stored") && act == other_deed && !rmw;
        let consequence = if overwrite {
            format!("{other}'s value is overwritten")
        } else {
            "its check no longer held when it acted".to_string()
        };
        format!(
            "{victim} checked {check}{key} ({result}) at line {check_line}; \
             {other} {other_deed} at line {other_line}; \
             {victim} then {act} at line {act_line} from its stale check: {consequence}"
        )
    }

    /// The summary's lines for the detector (empty when it found nothing).
    pub fn cta_summary(&self) -> String {
        if self.cta.count == 0 {
            return String::new();
        }
        let mut out = format!(
            "gilvm: check-then-act: {} stale check{} acted on\n",
            crate::vm::summary::grouped(self.cta.count),
            if self.cta.count == 1 { "" } else { "s" }
        );
        if let Some(first) = self.cta.events.first() {
            out.push_str(&format!(
                "gilvm: check-then-act, the first: {}\n",
                self.explain_cta(first)
            ));
        }
        out
    }
}

use crate::vm::natives::MethodId as MethodIdRef;
