//! The control-flow graph of one code object, and its assembly into instructions.
//!
//! The code generator (in `compile.rs`) appends instructions to basic blocks, using CPython
//! 3.11's pseudo-instructions where CPython does: `JUMP` (becomes `JUMP_FORWARD` or
//! `JUMP_BACKWARD`), `POP_JUMP_IF_*` (gets its direction), and `SETUP_FINALLY` / `SETUP_CLEANUP` /
//! `SETUP_WITH` / `POP_BLOCK`, which never reach the VM: they describe which handler covers which
//! instructions and become the exception table.
//!
//! This file holds the graph, the constant pool and CPython 3.11's peephole passes
//! (`optimize_cfg`): constant-condition folding, jump threading, tuple folding, swap
//! elimination, inlining of small exit blocks, removal of unreachable code, redundant jumps and
//! NOPs. `assemble.rs` runs them, then lays the graph out as instructions.
//!
//! Architecture invariant: nothing here knows the AST; it works on blocks and instructions only.

use std::collections::HashMap;

use super::assemble::{eliminate_empty_basic_blocks, is_exit_without_lineno, mark_reachable};
use crate::ast::Span;
use crate::bytecode::{Const, Opcode};

/// Index of a basic block in [`Cfg::blocks`].
pub type BlockId = usize;

/// An instruction before assembly: a real opcode or one of CPython's pseudo-instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Real(Opcode),
    /// Unconditional jump; direction decided at assembly.
    Jump,
    PopJumpIfFalse,
    PopJumpIfTrue,
    PopJumpIfNone,
    PopJumpIfNotNone,
    /// Pushes a handler that receives the exception (depth + 1 at the handler).
    SetupFinally,
    /// Pushes a handler that receives lasti and the exception (depth + 2).
    SetupCleanup,
    /// Like `SetupCleanup`, for the `__exit__` handler of a `with` (depth + 1 from after
    /// `BEFORE_WITH`, which already pushed two values).
    SetupWith,
    /// Pops the innermost handler.
    PopBlock,
    /// The `with` statement's `__exit__(None, None, None)`: assembled as CPython's `CALL 2`,
    /// which pops the bound `__exit__` below the three `None`s as well.
    ExitCall,
    /// `CALL n` of a method loaded by `LOAD_METHOD`: assembled as `CALL n`; it pops the
    /// method's two slots (the method, or a marker, and its receiver) and the `n` arguments.
    MethodCall,
    /// `yield from`'s back edge to its `SEND`: `JUMP_BACKWARD_NO_INTERRUPT` (CPython's
    /// `JUMP_NO_INTERRUPT` pseudo-instruction).
    JumpNoInterrupt,
}

/// Source location of an instruction. `line: None` marks an "artificial" instruction whose
/// line is inherited during assembly, as CPython's `UNSET_LOC`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loc {
    pub span: Span,
    pub line: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct Ins {
    pub op: Op,
    pub arg: u32,
    pub target: Option<BlockId>,
    pub loc: Loc,
    pub(super) except: Option<BlockId>,
    /// `dis` hints ([`crate::bytecode::HINT_PUSH_NULL`], …): how CPython 3.11 lays this
    /// instruction out. They never change what the instruction does.
    pub hint: u8,
}

impl Ins {
    pub fn new(op: Op, arg: u32, target: Option<BlockId>, loc: Loc) -> Ins {
        Ins {
            op,
            arg,
            target,
            loc,
            except: None,
            hint: 0,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Block {
    pub instrs: Vec<Ins>,
    /// The block that follows in the layout (fall-through successor).
    pub next: Option<BlockId>,
    pub(super) preds: u32,
    pub(super) start_depth: Option<i32>,
    pub(super) preserve_lasti: bool,
    pub(super) visited: bool,
}

/// The blocks of one code object under construction.
#[derive(Clone, Debug)]
pub struct Cfg {
    pub blocks: Vec<Block>,
    pub entry: BlockId,
    pub cur: BlockId,
    /// Set by the code generator where CPython 3.11 emits `PUSH_NULL` (before a callee that
    /// is not a method): the next instruction emitted gets [`crate::bytecode::HINT_PUSH_NULL`],
    /// and one more for each further NULL (a callee that is a call's result, `f()()`).
    pub pending_nulls: u8,
}

impl Default for Cfg {
    fn default() -> Self {
        Cfg::new()
    }
}

impl Cfg {
    pub fn new() -> Cfg {
        Cfg {
            blocks: vec![Block::default()],
            entry: 0,
            cur: 0,
            pending_nulls: 0,
        }
    }

    /// A new, unlinked block (CPython's `compiler_new_block`).
    pub fn new_block(&mut self) -> BlockId {
        self.blocks.push(Block::default());
        self.blocks.len() - 1
    }

    /// Makes `b` the current block, placed after the current one (`compiler_use_next_block`).
    pub fn use_next_block(&mut self, b: BlockId) {
        self.blocks[self.cur].next = Some(b);
        self.cur = b;
    }

    /// Appends an instruction to the current block. After a jump or a scope exit the block is
    /// closed, so the instruction starts a new block (CPython's `NEXT_BLOCK`).
    pub fn emit(&mut self, mut ins: Ins) {
        if self.pending_nulls > 0 {
            ins.hint |= crate::bytecode::HINT_PUSH_NULL
                | (self.pending_nulls - 1).min(31) << crate::bytecode::HINT_EXTRA_NULLS_SHIFT;
            self.pending_nulls = 0;
        }
        if let Some(last) = self.blocks[self.cur].instrs.last() {
            if is_jump(last.op) || is_exit(last.op) {
                let b = self.new_block();
                self.use_next_block(b);
            }
        }
        self.blocks[self.cur].instrs.push(ins);
    }

    /// Whether the current block already ends with `RETURN_VALUE`.
    pub fn ends_with_return(&self) -> bool {
        self.blocks[self.cur]
            .instrs
            .last()
            .is_some_and(|i| i.op == Op::Real(Opcode::RETURN_VALUE))
    }

    pub(super) fn layout(&self) -> Vec<BlockId> {
        let mut order = Vec::new();
        let mut seen = vec![false; self.blocks.len()];
        let mut b = Some(self.entry);
        while let Some(id) = b {
            if seen[id] {
                break;
            }
            seen[id] = true;
            order.push(id);
            b = self.blocks[id].next;
        }
        order
    }

    /// The first non-empty block at or after `b` in the layout.
    pub(super) fn skip_empty(&self, mut b: BlockId) -> BlockId {
        let mut guard = 0;
        while self.blocks[b].instrs.is_empty() && guard < self.blocks.len() {
            match self.blocks[b].next {
                Some(n) => b = n,
                None => break,
            }
            guard += 1;
        }
        b
    }

    pub(super) fn last_op(&self, b: BlockId) -> Option<Op> {
        self.blocks[b].instrs.last().map(|i| i.op)
    }

    pub(super) fn no_fallthrough(&self, b: BlockId) -> bool {
        self.last_op(b)
            .is_some_and(|op| op == Op::Jump || op == Op::JumpNoInterrupt || is_exit(op))
    }

    pub(super) fn is_exit_block(&self, b: BlockId) -> bool {
        self.last_op(b).is_some_and(is_exit)
    }
}

pub fn is_jump(op: Op) -> bool {
    matches!(
        op,
        Op::Jump
            | Op::JumpNoInterrupt
            | Op::Real(Opcode::SEND)
            | Op::PopJumpIfFalse
            | Op::PopJumpIfTrue
            | Op::PopJumpIfNone
            | Op::PopJumpIfNotNone
            | Op::Real(Opcode::FOR_ITER)
            | Op::Real(Opcode::JUMP_IF_FALSE_OR_POP)
            | Op::Real(Opcode::JUMP_IF_TRUE_OR_POP)
    )
}

pub(super) fn is_block_push(op: Op) -> bool {
    matches!(op, Op::SetupFinally | Op::SetupCleanup | Op::SetupWith)
}

pub(super) fn is_exit(op: Op) -> bool {
    matches!(
        op,
        Op::Real(Opcode::RETURN_VALUE)
            | Op::Real(Opcode::RAISE_VARARGS)
            | Op::Real(Opcode::RERAISE)
    )
}

/// Jump targets skip empty blocks (`normalize_basic_block`).
pub(super) fn normalize(cfg: &mut Cfg) {
    for b in 0..cfg.blocks.len() {
        for i in 0..cfg.blocks[b].instrs.len() {
            if let Some(t) = cfg.blocks[b].instrs[i].target {
                let t = cfg.skip_empty(t);
                cfg.blocks[b].instrs[i].target = Some(t);
            }
        }
    }
}

/// If a block ends with a jump to a small exit block without a line number, copy the exit
/// block in place of the jump (3.11's `extend_block`).
pub(super) fn extend_block(cfg: &mut Cfg, b: BlockId) {
    let Some(last) = cfg.blocks[b].instrs.last() else {
        return;
    };
    if last.op != Op::Jump {
        return;
    }
    let Some(t) = last.target else { return };
    if !is_exit_without_lineno(cfg, t) || cfg.blocks[t].instrs.len() > 4 {
        return;
    }
    let copy = cfg.blocks[t].instrs.clone();
    let n = cfg.blocks[b].instrs.len();
    cfg.blocks[b].instrs[n - 1].op = Op::Real(Opcode::NOP);
    cfg.blocks[b].instrs[n - 1].target = None;
    cfg.blocks[b].instrs.extend(copy);
}

pub(super) fn optimize_cfg(cfg: &mut Cfg, consts: &mut ConstPool) {
    for b in cfg.layout() {
        optimize_basic_block(cfg, b, consts);
        clean_basic_block(cfg, b);
    }
    // CPython walks its block list newest first.
    for b in (0..cfg.blocks.len()).rev() {
        extend_block(cfg, b);
    }
    mark_reachable(cfg);
    for b in cfg.layout() {
        if cfg.blocks[b].preds == 0 {
            cfg.blocks[b].instrs.clear();
        }
    }
    eliminate_empty_basic_blocks(cfg);
    for b in cfg.layout() {
        clean_basic_block(cfg, b);
    }
    let mut changed = false;
    for b in cfg.layout() {
        let next = cfg.blocks[b].next;
        if let Some(last) = cfg.blocks[b].instrs.last_mut() {
            if last.op == Op::Jump && last.target.is_some() && last.target == next {
                last.op = Op::Real(Opcode::NOP);
                last.target = None;
                changed = true;
            }
        }
    }
    if changed {
        eliminate_empty_basic_blocks(cfg);
    }
}

fn const_truth(c: &Const) -> bool {
    match c {
        Const::None => false,
        Const::Ellipsis => true,
        Const::Bool(b) => *b,
        Const::Int(i) => *i != 0,
        Const::Float(f) => *f != 0.0,
        Const::BigInt(_) => true,
        Const::Str(s) => !s.is_empty(),
        Const::Tuple(t) | Const::FrozenSet(t) => !t.is_empty(),
        Const::Code(_) => true,
    }
}

/// A code object's constants, with CPython's merging: equal constants share one index, but
/// only when they have the same type and value (`1`, `1.0` and `True` stay distinct, and so do
/// `0.0` and `-0.0`).
#[derive(Clone, Debug, Default)]
pub struct ConstPool {
    pub list: Vec<Const>,
    index: HashMap<ConstKey, u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum ConstKey {
    None,
    Ellipsis,
    Bool(bool),
    Int(i64),
    BigInt(String),
    Float(u64),
    Str(String),
    Tuple(Vec<ConstKey>),
    FrozenSet(Vec<ConstKey>),
    Code(u32),
}

fn const_key(c: &Const) -> ConstKey {
    match c {
        Const::None => ConstKey::None,
        Const::Ellipsis => ConstKey::Ellipsis,
        Const::Bool(b) => ConstKey::Bool(*b),
        Const::Int(i) => ConstKey::Int(*i),
        Const::BigInt(s) => ConstKey::BigInt(s.clone()),
        Const::Float(f) => ConstKey::Float(f.to_bits()),
        Const::Str(s) => ConstKey::Str(s.clone()),
        Const::Tuple(t) => ConstKey::Tuple(t.iter().map(const_key).collect()),
        Const::FrozenSet(t) => ConstKey::FrozenSet(t.iter().map(const_key).collect()),
        Const::Code(c) => ConstKey::Code(*c),
    }
}

impl ConstPool {
    /// CPython's `add_const`: the index of an equal constant, or a new one.
    pub fn add(&mut self, c: Const) -> u32 {
        let key = const_key(&c);
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.list.len() as u32;
        self.list.push(c);
        self.index.insert(key, i);
        i
    }

    /// Keeps the first `n` constants (used after assembly only: the index is not updated).
    pub(super) fn truncate(&mut self, n: usize) {
        self.list.truncate(n);
    }

    pub(super) fn get(&self, i: u32) -> Const {
        self.list.get(i as usize).cloned().unwrap_or(Const::None)
    }
}

fn nop(ins: &mut Ins) {
    ins.op = Op::Real(Opcode::NOP);
    ins.target = None;
}

fn optimize_basic_block(cfg: &mut Cfg, b: BlockId, consts: &mut ConstPool) {
    let mut i = 0usize;
    let mut guard = 0usize;
    while i < cfg.blocks[b].instrs.len() {
        guard += 1;
        if guard > 100_000 {
            break;
        }
        let n = cfg.blocks[b].instrs.len();
        let ins = cfg.blocks[b].instrs[i].clone();
        let next_op = if i + 1 < n {
            Some(cfg.blocks[b].instrs[i + 1].op)
        } else {
            None
        };
        let target_ins = match ins.target {
            Some(t) if is_jump(ins.op) || is_block_push(ins.op) => {
                let t = cfg.skip_empty(t);
                cfg.blocks[b].instrs[i].target = Some(t);
                cfg.blocks[t].instrs.first().cloned()
            }
            _ => None,
        };
        let tgt_op = target_ins.as_ref().map(|t| t.op);
        let mut reexamine = false;
        match ins.op {
            Op::Real(Opcode::LOAD_CONST) => {
                let value = consts.get(ins.arg);
                match next_op {
                    Some(op @ (Op::PopJumpIfFalse | Op::PopJumpIfTrue)) => {
                        let jump_if_true = op == Op::PopJumpIfTrue;
                        let instrs = &mut cfg.blocks[b].instrs;
                        nop(&mut instrs[i]);
                        if const_truth(&value) == jump_if_true {
                            instrs[i + 1].op = Op::Jump;
                        } else {
                            nop(&mut instrs[i + 1]);
                        }
                    }
                    Some(
                        op @ (Op::Real(Opcode::JUMP_IF_FALSE_OR_POP)
                        | Op::Real(Opcode::JUMP_IF_TRUE_OR_POP)),
                    ) => {
                        let jump_if_true = op == Op::Real(Opcode::JUMP_IF_TRUE_OR_POP);
                        let instrs = &mut cfg.blocks[b].instrs;
                        if const_truth(&value) == jump_if_true {
                            instrs[i + 1].op = Op::Jump;
                        } else {
                            nop(&mut instrs[i]);
                            nop(&mut instrs[i + 1]);
                        }
                    }
                    Some(Op::Real(Opcode::IS_OP)) if value == Const::None && i + 2 < n => {
                        let jump_op = cfg.blocks[b].instrs[i + 2].op;
                        if matches!(jump_op, Op::PopJumpIfFalse | Op::PopJumpIfTrue) {
                            let instrs = &mut cfg.blocks[b].instrs;
                            let nextarg = instrs[i + 1].arg;
                            nop(&mut instrs[i]);
                            nop(&mut instrs[i + 1]);
                            let invert = nextarg ^ u32::from(jump_op == Op::PopJumpIfFalse);
                            instrs[i + 2].op = if invert != 0 {
                                Op::PopJumpIfNotNone
                            } else {
                                Op::PopJumpIfNone
                            };
                        }
                    }
                    _ => {}
                }
            }
            Op::Real(Opcode::BUILD_TUPLE) => {
                let oparg = ins.arg as usize;
                let unpack = next_op == Some(Op::Real(Opcode::UNPACK_SEQUENCE))
                    && cfg.blocks[b].instrs[i + 1].arg == ins.arg;
                if unpack && (1..=3).contains(&oparg) {
                    let instrs = &mut cfg.blocks[b].instrs;
                    nop(&mut instrs[i]);
                    if oparg == 1 {
                        nop(&mut instrs[i + 1]);
                    } else {
                        instrs[i + 1].op = Op::Real(Opcode::SWAP);
                        instrs[i + 1].arg = ins.arg;
                    }
                } else if i >= oparg {
                    fold_tuple_on_constants(cfg, b, i, consts);
                }
            }
            Op::Real(Opcode::JUMP_IF_FALSE_OR_POP) | Op::Real(Opcode::JUMP_IF_TRUE_OR_POP) => {
                let is_false = ins.op == Op::Real(Opcode::JUMP_IF_FALSE_OR_POP);
                let (same_pop, same_keep, opp_pop, opp_keep) = if is_false {
                    (
                        Op::PopJumpIfFalse,
                        Op::Real(Opcode::JUMP_IF_FALSE_OR_POP),
                        Op::PopJumpIfTrue,
                        Op::Real(Opcode::JUMP_IF_TRUE_OR_POP),
                    )
                } else {
                    (
                        Op::PopJumpIfTrue,
                        Op::Real(Opcode::JUMP_IF_TRUE_OR_POP),
                        Op::PopJumpIfFalse,
                        Op::Real(Opcode::JUMP_IF_FALSE_OR_POP),
                    )
                };
                if let Some(t) = &target_ins {
                    if tgt_op == Some(same_pop) {
                        reexamine = jump_thread(cfg, b, i, t, same_pop);
                    } else if tgt_op == Some(Op::Jump) || tgt_op == Some(same_keep) {
                        reexamine = jump_thread(cfg, b, i, t, ins.op);
                    } else if (tgt_op == Some(opp_keep) || tgt_op == Some(opp_pop))
                        && ins.loc.line == t.loc.line
                    {
                        if let Some(tb) = ins.target {
                            if let Some(after) = cfg.blocks[tb].next {
                                let instrs = &mut cfg.blocks[b].instrs;
                                instrs[i].op = same_pop;
                                instrs[i].target = Some(after);
                                reexamine = true;
                            }
                        }
                    }
                }
            }
            Op::PopJumpIfFalse
            | Op::PopJumpIfTrue
            | Op::PopJumpIfNone
            | Op::PopJumpIfNotNone
            | Op::Jump => {
                if let Some(t) = &target_ins {
                    if t.op == Op::Jump {
                        reexamine = jump_thread(cfg, b, i, t, ins.op);
                    }
                }
            }
            Op::Real(Opcode::SWAP) => {
                if ins.arg == 1 {
                    nop(&mut cfg.blocks[b].instrs[i]);
                } else {
                    i = swaptimize(&mut cfg.blocks[b].instrs, i);
                    apply_static_swaps(&mut cfg.blocks[b].instrs, i);
                }
            }
            _ => {}
        }
        if !reexamine {
            i += 1;
        }
    }
}

/// Retargets the jump at `b[i]` to the target of the jump `target` if both are on the same
/// line; returns whether anything changed.
fn jump_thread(cfg: &mut Cfg, b: BlockId, i: usize, target: &Ins, op: Op) -> bool {
    let ins = &mut cfg.blocks[b].instrs[i];
    if ins.loc.line == target.loc.line && ins.target != target.target {
        ins.target = target.target;
        ins.op = op;
        return true;
    }
    false
}

/// `LOAD_CONST a; LOAD_CONST b; BUILD_TUPLE 2` becomes `LOAD_CONST (a, b)`.
fn fold_tuple_on_constants(cfg: &mut Cfg, b: BlockId, i: usize, consts: &mut ConstPool) {
    let instrs = &mut cfg.blocks[b].instrs;
    let n = instrs[i].arg as usize;
    let mut items = Vec::with_capacity(n);
    for ins in &instrs[i - n..i] {
        if ins.op != Op::Real(Opcode::LOAD_CONST) {
            return;
        }
        items.push(consts.get(ins.arg));
    }
    let idx = consts.add(Const::Tuple(items));
    for ins in &mut instrs[i - n..i] {
        nop(ins);
    }
    instrs[i].op = Op::Real(Opcode::LOAD_CONST);
    instrs[i].arg = idx;
}

/// CPython's `swaptimize`: a run of `SWAP`s (and `NOP`s) starting at `start` is replaced by
/// the fewest `SWAP`s with the same effect (`SWAP 2; SWAP 2` cancels out), placed at the end
/// of the run. Returns the index of the run's last instruction. Pattern matching emits such
/// runs when it moves captures below the values it still works on.
fn swaptimize(instrs: &mut [Ins], start: usize) -> usize {
    let mut depth = instrs[start].arg as usize;
    let mut len = 1;
    let mut more = false;
    while start + len < instrs.len() {
        match instrs[start + len].op {
            Op::Real(Opcode::SWAP) => {
                depth = depth.max(instrs[start + len].arg as usize);
                more = true;
            }
            Op::Real(Opcode::NOP) => {}
            _ => break,
        }
        len += 1;
    }
    // Already optimal with a single SWAP.
    if !more || depth == 0 {
        return start;
    }
    // Run the SWAPs on the stack positions 0..depth (0 = TOS).
    let mut stack: Vec<Option<usize>> = (0..depth).map(Some).collect();
    for ins in &instrs[start..start + len] {
        if ins.op == Op::Real(Opcode::SWAP) {
            let j = (ins.arg as usize).saturating_sub(1).min(depth - 1);
            stack.swap(0, j);
        }
    }
    // Rebuild the permutation from its cycles, each through position 0; the SWAPs go at the
    // end of the run, in reverse order of discovery (the solution is optimal, so they fit).
    let mut swaps = Vec::new();
    for i in 0..depth {
        if stack[i].is_none() || stack[i] == Some(i) {
            continue;
        }
        let mut j = i;
        loop {
            if j != 0 {
                swaps.push(j as u32 + 1);
            }
            let Some(next) = stack[j] else {
                break;
            };
            stack[j] = None;
            j = next;
        }
    }
    if swaps.len() > len {
        return start + len - 1;
    }
    let first = start + len - swaps.len();
    for ins in &mut instrs[start..first] {
        nop(ins);
    }
    for (ins, arg) in instrs[first..start + len]
        .iter_mut()
        .zip(swaps.into_iter().rev())
    {
        ins.op = Op::Real(Opcode::SWAP);
        ins.arg = arg;
    }
    start + len - 1
}

fn swappable(op: Op) -> bool {
    matches!(op, Op::Real(Opcode::STORE_FAST) | Op::Real(Opcode::POP_TOP))
}

fn next_swappable(instrs: &[Ins], mut i: usize, line: Option<Option<u32>>) -> Option<usize> {
    loop {
        i += 1;
        let ins = instrs.get(i)?;
        if let Some(l) = line {
            if l.is_some() && ins.loc.line != l {
                return None;
            }
        }
        if ins.op == Op::Real(Opcode::NOP) {
            continue;
        }
        return swappable(ins.op).then_some(i);
    }
}

/// CPython's `apply_static_swaps`: a `SWAP` followed by stores that can simply be reordered
/// disappears (`a, b = b, a` in a function is two loads and two stores).
fn apply_static_swaps(instrs: &mut [Ins], start: usize) {
    let mut i = start as isize;
    while i >= 0 {
        let idx = i as usize;
        let op = instrs[idx].op;
        if op != Op::Real(Opcode::SWAP) {
            if op == Op::Real(Opcode::NOP) || swappable(op) {
                i -= 1;
                continue;
            }
            return;
        }
        let Some(j) = next_swappable(instrs, idx, None) else {
            return;
        };
        let line = instrs[j].loc.line;
        let mut k = j;
        for _ in 1..instrs[idx].arg {
            match next_swappable(instrs, k, Some(line)) {
                Some(x) => k = x,
                None => return,
            }
        }
        // Reordering two stores to the same local would change which value wins.
        if instrs[j].op == Op::Real(Opcode::STORE_FAST)
            && instrs[k].op == Op::Real(Opcode::STORE_FAST)
            && instrs[j].arg == instrs[k].arg
        {
            return;
        }
        nop(&mut instrs[idx]);
        instrs.swap(j, k);
        i -= 1;
    }
}

/// Removes NOPs that carry no line number of their own (`clean_basic_block`).
pub(super) fn clean_basic_block(cfg: &mut Cfg, b: BlockId) {
    let next_line = {
        let mut next = cfg.blocks[b].next;
        let mut guard = 0;
        while let Some(n) = next {
            if !cfg.blocks[n].instrs.is_empty() || guard > cfg.blocks.len() {
                break;
            }
            next = cfg.blocks[n].next;
            guard += 1;
        }
        next.and_then(|n| cfg.blocks[n].instrs.first().map(|i| i.loc.line))
    };
    let mut instrs = std::mem::take(&mut cfg.blocks[b].instrs);
    let count = instrs.len();
    let mut keep = vec![true; count];
    let mut prev_line: Option<u32> = None;
    for src in 0..count {
        let line = instrs[src].loc.line;
        if instrs[src].op == Op::Real(Opcode::NOP) {
            if line.is_none() || prev_line == line {
                keep[src] = false;
                continue;
            }
            if src + 1 < count {
                let next = instrs[src + 1].loc.line;
                if next.is_none() || next == line {
                    instrs[src + 1].loc = instrs[src].loc;
                    keep[src] = false;
                    continue;
                }
            } else if next_line == Some(line) {
                keep[src] = false;
                continue;
            }
        }
        prev_line = line;
    }
    let mut k = keep.into_iter();
    instrs.retain(|_| k.next().unwrap_or(true));
    cfg.blocks[b].instrs = instrs;
}
