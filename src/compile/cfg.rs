//! The control-flow graph of one code object, and its assembly into instructions.
//!
//! The code generator (in `compile.rs`) appends instructions to basic blocks, using CPython
//! 3.11's pseudo-instructions where CPython does: `JUMP` (becomes `JUMP_FORWARD` or
//! `JUMP_BACKWARD`), `POP_JUMP_IF_*` (gets its direction), and `SETUP_FINALLY` / `SETUP_CLEANUP` /
//! `SETUP_WITH` / `POP_BLOCK`, which never reach the VM: they describe which handler covers which
//! instructions and become the exception table.
//!
//! [`assemble`] then runs the same passes, in the same order, as CPython 3.11's `assemble()`, so
//! that the instruction sequence matches `python3.11 -m dis`: constant-condition folding, jump
//! threading, tuple folding, swap elimination, inlining of small exit blocks, removal of
//! unreachable code and redundant jumps and NOPs, duplication of exit blocks without a line
//! number, line-number propagation, stack-depth computation over the graph, exception-table
//! labelling, and finally relative jump offsets (one unit per instruction).
//!
//! Architecture invariant: nothing here knows the AST; it works on blocks and instructions only.

use crate::ast::Span;
use crate::bytecode::{Const, ExceptionEntry, Instr, Opcode};

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
    except: Option<BlockId>,
}

impl Ins {
    pub fn new(op: Op, arg: u32, target: Option<BlockId>, loc: Loc) -> Ins {
        Ins {
            op,
            arg,
            target,
            loc,
            except: None,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Block {
    pub instrs: Vec<Ins>,
    /// The block that follows in the layout (fall-through successor).
    pub next: Option<BlockId>,
    preds: u32,
    start_depth: Option<i32>,
    preserve_lasti: bool,
    visited: bool,
}

/// The blocks of one code object under construction.
#[derive(Clone, Debug)]
pub struct Cfg {
    pub blocks: Vec<Block>,
    pub entry: BlockId,
    pub cur: BlockId,
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
    pub fn emit(&mut self, ins: Ins) {
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

    fn layout(&self) -> Vec<BlockId> {
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
    fn skip_empty(&self, mut b: BlockId) -> BlockId {
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

    fn last_op(&self, b: BlockId) -> Option<Op> {
        self.blocks[b].instrs.last().map(|i| i.op)
    }

    fn no_fallthrough(&self, b: BlockId) -> bool {
        self.last_op(b)
            .is_some_and(|op| op == Op::Jump || is_exit(op))
    }

    fn is_exit_block(&self, b: BlockId) -> bool {
        self.last_op(b).is_some_and(is_exit)
    }
}

pub fn is_jump(op: Op) -> bool {
    matches!(
        op,
        Op::Jump
            | Op::PopJumpIfFalse
            | Op::PopJumpIfTrue
            | Op::PopJumpIfNone
            | Op::PopJumpIfNotNone
            | Op::Real(Opcode::FOR_ITER)
            | Op::Real(Opcode::JUMP_IF_FALSE_OR_POP)
            | Op::Real(Opcode::JUMP_IF_TRUE_OR_POP)
    )
}

fn is_block_push(op: Op) -> bool {
    matches!(op, Op::SetupFinally | Op::SetupCleanup | Op::SetupWith)
}

fn is_exit(op: Op) -> bool {
    matches!(
        op,
        Op::Real(Opcode::RETURN_VALUE)
            | Op::Real(Opcode::RAISE_VARARGS)
            | Op::Real(Opcode::RERAISE)
    )
}

/// The result of assembling one code object.
pub struct Assembled {
    pub instrs: Vec<Instr>,
    pub spans: Vec<Span>,
    pub lines: Vec<u32>,
    pub exception_table: Vec<ExceptionEntry>,
    pub stacksize: u32,
}

/// CPython 3.11's `assemble()` after code generation. `first_line` is the line of the `def`.
pub fn assemble(
    cfg: &mut Cfg,
    consts: &mut Vec<Const>,
    first_line: u32,
) -> Result<Assembled, String> {
    normalize(cfg);
    for b in 0..cfg.blocks.len() {
        extend_block(cfg, b);
    }
    optimize_cfg(cfg, consts);
    duplicate_exits_without_lineno(cfg);
    mark_reachable(cfg);
    propagate_line_numbers(cfg);
    guarantee_lineno_for_exits(cfg, first_line);
    let stacksize = stackdepth(cfg)?;
    label_exception_targets(cfg);
    for b in cfg.layout() {
        for ins in &mut cfg.blocks[b].instrs {
            if is_block_push(ins.op) || ins.op == Op::PopBlock {
                ins.op = Op::Real(Opcode::NOP);
                ins.target = None;
            }
        }
    }
    for b in cfg.layout() {
        clean_basic_block(cfg, b);
    }
    linearize(cfg, first_line, stacksize)
}

/// Jump targets skip empty blocks (`normalize_basic_block`).
fn normalize(cfg: &mut Cfg) {
    for b in 0..cfg.blocks.len() {
        for i in 0..cfg.blocks[b].instrs.len() {
            if let Some(t) = cfg.blocks[b].instrs[i].target {
                let t = cfg.skip_empty(t);
                cfg.blocks[b].instrs[i].target = Some(t);
            }
        }
    }
}

/// If a block ends with a jump to a small exit block, copy the exit block in place of the jump.
fn extend_block(cfg: &mut Cfg, b: BlockId) {
    let Some(last) = cfg.blocks[b].instrs.last() else {
        return;
    };
    if last.op != Op::Jump {
        return;
    }
    let Some(t) = last.target else { return };
    if !cfg.is_exit_block(t) || cfg.blocks[t].instrs.len() > 4 {
        return;
    }
    let copy = cfg.blocks[t].instrs.clone();
    let n = cfg.blocks[b].instrs.len();
    cfg.blocks[b].instrs[n - 1].op = Op::Real(Opcode::NOP);
    cfg.blocks[b].instrs[n - 1].target = None;
    cfg.blocks[b].instrs.extend(copy);
}

fn optimize_cfg(cfg: &mut Cfg, consts: &mut Vec<Const>) {
    for b in cfg.layout() {
        optimize_basic_block(cfg, b, consts);
        clean_basic_block(cfg, b);
    }
    for b in 0..cfg.blocks.len() {
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
        Const::Bool(b) => *b,
        Const::Int(i) => *i != 0,
        Const::Float(f) => *f != 0.0,
        Const::Str(s) => !s.is_empty(),
        Const::Tuple(t) => !t.is_empty(),
        Const::Code(_) => true,
    }
}

/// CPython's `add_const`: the index of an equal constant, or a new one.
pub fn add_const(consts: &mut Vec<Const>, c: Const) -> u32 {
    if let Some(i) = consts.iter().position(|x| const_identical(x, &c)) {
        return i as u32;
    }
    consts.push(c);
    (consts.len() - 1) as u32
}

/// Constants are merged only when they have the same type and value (`1`, `1.0` and `True`
/// stay distinct, and so do `0.0` and `-0.0`), as in CPython.
fn const_identical(a: &Const, b: &Const) -> bool {
    match (a, b) {
        (Const::Float(x), Const::Float(y)) => x.to_bits() == y.to_bits(),
        (Const::Tuple(x), Const::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| const_identical(p, q))
        }
        _ => a == b,
    }
}

fn nop(ins: &mut Ins) {
    ins.op = Op::Real(Opcode::NOP);
    ins.target = None;
}

fn optimize_basic_block(cfg: &mut Cfg, b: BlockId, consts: &mut Vec<Const>) {
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
                let value = consts.get(ins.arg as usize).cloned().unwrap_or(Const::None);
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
fn fold_tuple_on_constants(cfg: &mut Cfg, b: BlockId, i: usize, consts: &mut Vec<Const>) {
    let instrs = &mut cfg.blocks[b].instrs;
    let n = instrs[i].arg as usize;
    let mut items = Vec::with_capacity(n);
    for ins in &instrs[i - n..i] {
        if ins.op != Op::Real(Opcode::LOAD_CONST) {
            return;
        }
        items.push(consts.get(ins.arg as usize).cloned().unwrap_or(Const::None));
    }
    let idx = add_const(consts, Const::Tuple(items));
    for ins in &mut instrs[i - n..i] {
        nop(ins);
    }
    instrs[i].op = Op::Real(Opcode::LOAD_CONST);
    instrs[i].arg = idx;
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
fn clean_basic_block(cfg: &mut Cfg, b: BlockId) {
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

fn mark_reachable(cfg: &mut Cfg) {
    for b in &mut cfg.blocks {
        b.preds = 0;
    }
    let entry = cfg.entry;
    cfg.blocks[entry].preds = 1;
    let mut stack = vec![entry];
    while let Some(b) = stack.pop() {
        if !cfg.no_fallthrough(b) {
            if let Some(n) = cfg.blocks[b].next {
                if cfg.blocks[n].preds == 0 {
                    stack.push(n);
                }
                cfg.blocks[n].preds += 1;
            }
        }
        let targets: Vec<BlockId> = cfg.blocks[b]
            .instrs
            .iter()
            .filter(|i| is_jump(i.op) || is_block_push(i.op))
            .filter_map(|i| i.target)
            .collect();
        for t in targets {
            if cfg.blocks[t].preds == 0 {
                stack.push(t);
            }
            cfg.blocks[t].preds += 1;
        }
    }
}

fn eliminate_empty_basic_blocks(cfg: &mut Cfg) {
    for b in cfg.layout() {
        let mut next = cfg.blocks[b].next;
        while let Some(n) = next {
            if cfg.blocks[n].instrs.is_empty() && cfg.blocks[n].next.is_some() {
                next = cfg.blocks[n].next;
            } else {
                break;
            }
        }
        cfg.blocks[b].next = next;
    }
    for b in cfg.layout() {
        for i in 0..cfg.blocks[b].instrs.len() {
            if let Some(t) = cfg.blocks[b].instrs[i].target {
                let t = cfg.skip_empty(t);
                cfg.blocks[b].instrs[i].target = Some(t);
            }
        }
    }
}

fn is_exit_without_lineno(cfg: &Cfg, b: BlockId) -> bool {
    cfg.is_exit_block(b) && cfg.blocks[b].instrs.iter().all(|i| i.loc.line.is_none())
}

/// Exit blocks without a line number reached by several jumps are copied, one per jump, so that
/// each copy can take the line of its jump (CPython's `duplicate_exits_without_lineno`).
fn duplicate_exits_without_lineno(cfg: &mut Cfg) {
    mark_reachable(cfg);
    let original = cfg.blocks.len();
    for b in (0..original).rev() {
        let Some(last) = cfg.blocks[b].instrs.last() else {
            continue;
        };
        if !is_jump(last.op) {
            continue;
        }
        let Some(t) = last.target else { continue };
        let jump_loc = last.loc;
        if is_exit_without_lineno(cfg, t) && cfg.blocks[t].preds > 1 {
            let mut copy = cfg.blocks[t].clone();
            copy.instrs[0].loc = jump_loc;
            copy.preds = 1;
            copy.next = cfg.blocks[t].next;
            let new = cfg.blocks.len();
            cfg.blocks.push(copy);
            cfg.blocks[t].next = Some(new);
            cfg.blocks[t].preds -= 1;
            if let Some(last) = cfg.blocks[b].instrs.last_mut() {
                last.target = Some(new);
            }
        }
    }
    for b in cfg.layout() {
        if cfg.no_fallthrough(b) || cfg.blocks[b].instrs.is_empty() {
            continue;
        }
        if let Some(n) = cfg.blocks[b].next {
            if !cfg.blocks[n].instrs.is_empty() && is_exit_without_lineno(cfg, n) {
                let loc = cfg.blocks[b].instrs[cfg.blocks[b].instrs.len() - 1].loc;
                cfg.blocks[n].instrs[0].loc = loc;
            }
        }
    }
}

fn propagate_line_numbers(cfg: &mut Cfg) {
    for b in cfg.layout() {
        if cfg.blocks[b].instrs.is_empty() {
            continue;
        }
        let mut prev: Option<Loc> = None;
        for ins in &mut cfg.blocks[b].instrs {
            if ins.loc.line.is_none() {
                if let Some(p) = prev {
                    ins.loc = p;
                }
            } else {
                prev = Some(ins.loc);
            }
        }
        let last = cfg.blocks[b].instrs[cfg.blocks[b].instrs.len() - 1].clone();
        if !cfg.no_fallthrough(b) {
            if let Some(n) = cfg.blocks[b].next {
                if cfg.blocks[n].preds == 1 {
                    if let (Some(first), Some(p)) = (cfg.blocks[n].instrs.first_mut(), prev) {
                        if first.loc.line.is_none() {
                            first.loc = p;
                        }
                    }
                }
            }
        }
        if is_jump(last.op) {
            if let Some(t) = last.target {
                if cfg.blocks[t].preds == 1 {
                    if let Some(first) = cfg.blocks[t].instrs.first_mut() {
                        if first.loc.line.is_none() {
                            first.loc = last.loc;
                        }
                    }
                }
            }
        }
    }
}

fn guarantee_lineno_for_exits(cfg: &mut Cfg, first_line: u32) {
    let mut line = first_line;
    for b in cfg.layout() {
        let Some(last) = cfg.blocks[b].instrs.last() else {
            continue;
        };
        match last.loc.line {
            None => {
                if last.op == Op::Real(Opcode::RETURN_VALUE) {
                    for ins in &mut cfg.blocks[b].instrs {
                        ins.loc.line = Some(line);
                    }
                }
            }
            Some(l) => line = l,
        }
    }
}

/// Net stack effect of an instruction; `jump` selects the effect on the branch taken.
fn stack_effect(op: Op, arg: u32, jump: bool) -> i32 {
    let n = arg as i32;
    use Opcode::*;
    match op {
        Op::Jump | Op::PopBlock => 0,
        Op::PopJumpIfFalse | Op::PopJumpIfTrue | Op::PopJumpIfNone | Op::PopJumpIfNotNone => -1,
        Op::SetupFinally | Op::SetupWith => i32::from(jump),
        Op::SetupCleanup => {
            if jump {
                2
            } else {
                0
            }
        }
        Op::Real(op) => match op {
            NOP | RESUME | SWAP | UNARY_NEGATIVE | UNARY_POSITIVE | UNARY_NOT | UNARY_INVERT
            | GET_ITER | DELETE_NAME | DELETE_GLOBAL | DELETE_FAST | DELETE_DEREF | MAKE_CELL
            | COPY_FREE_VARS | LOAD_ATTR | LOAD_METHOD | LIST_TO_TUPLE | JUMP_FORWARD
            | JUMP_BACKWARD | KW_NAMES | CHECK_EXC_MATCH => 0,
            POP_TOP | BINARY_OP | COMPARE_OP | IS_OP | CONTAINS_OP | BINARY_SUBSCR | STORE_NAME
            | STORE_GLOBAL | STORE_FAST | STORE_DEREF | LIST_APPEND | LIST_EXTEND
            | RETURN_VALUE | POP_EXCEPT | RERAISE | IMPORT_NAME => -1,
            POP_JUMP_FORWARD_IF_FALSE
            | POP_JUMP_FORWARD_IF_TRUE
            | POP_JUMP_FORWARD_IF_NONE
            | POP_JUMP_FORWARD_IF_NOT_NONE
            | POP_JUMP_BACKWARD_IF_FALSE
            | POP_JUMP_BACKWARD_IF_TRUE => -1,
            COPY | LOAD_CONST | LOAD_NAME | LOAD_GLOBAL | LOAD_FAST | LOAD_CLOSURE | LOAD_DEREF
            | LOAD_ASSERTION_ERROR | BEFORE_WITH | WITH_EXCEPT_START | PUSH_EXC_INFO
            | IMPORT_FROM => 1,
            STORE_SUBSCR => -3,
            DELETE_SUBSCR | STORE_ATTR | MAP_ADD => -2,
            BUILD_SLICE | BUILD_TUPLE | BUILD_LIST | BUILD_STRING => 1 - n,
            BUILD_MAP => 1 - 2 * n,
            BUILD_CONST_KEY_MAP => -n,
            UNPACK_SEQUENCE => n - 1,
            FORMAT_VALUE => {
                if arg & crate::bytecode::FVS_HAVE_SPEC != 0 {
                    -1
                } else {
                    0
                }
            }
            FOR_ITER => {
                if jump {
                    -1
                } else {
                    1
                }
            }
            JUMP_IF_FALSE_OR_POP | JUMP_IF_TRUE_OR_POP => {
                if jump {
                    0
                } else {
                    -1
                }
            }
            CALL => -n,
            CALL_FUNCTION_EX => -1 - (n & 1),
            MAKE_FUNCTION => -((arg & 0x0f).count_ones() as i32),
            RAISE_VARARGS => -n,
        },
    }
}

/// Maximum stack depth over all paths; also records each block's depth at entry, which gives
/// the handler depth of the exception table.
fn stackdepth(cfg: &mut Cfg) -> Result<u32, String> {
    for b in &mut cfg.blocks {
        b.start_depth = None;
    }
    let mut max = 0i32;
    let mut stack: Vec<BlockId> = Vec::new();
    let push = |cfg: &mut Cfg, stack: &mut Vec<BlockId>, b: BlockId, depth: i32| {
        if cfg.blocks[b].start_depth.is_none() {
            cfg.blocks[b].start_depth = Some(depth);
            stack.push(b);
        }
    };
    push(cfg, &mut stack, cfg.entry, 0);
    while let Some(b) = stack.pop() {
        let mut depth = cfg.blocks[b].start_depth.unwrap_or(0);
        let mut next = cfg.blocks[b].next;
        let instrs = cfg.blocks[b].instrs.clone();
        for ins in &instrs {
            let new_depth = depth + stack_effect(ins.op, ins.arg, false);
            max = max.max(new_depth);
            if new_depth < 0 {
                return Err(format!("negative stack depth at {:?}", ins.op));
            }
            if is_jump(ins.op) || is_block_push(ins.op) {
                let target_depth = depth + stack_effect(ins.op, ins.arg, true);
                max = max.max(target_depth);
                if let Some(t) = ins.target {
                    push(cfg, &mut stack, t, target_depth);
                }
            }
            depth = new_depth;
            if ins.op == Op::Jump || is_exit(ins.op) {
                next = None;
                break;
            }
        }
        if let Some(n) = next {
            push(cfg, &mut stack, n, depth);
        }
    }
    Ok(max as u32)
}

/// Gives every instruction its handler block (`label_exception_targets`).
fn label_exception_targets(cfg: &mut Cfg) {
    for b in &mut cfg.blocks {
        b.visited = false;
    }
    let mut todo: Vec<(BlockId, Vec<BlockId>)> = vec![(cfg.entry, Vec::new())];
    cfg.blocks[cfg.entry].visited = true;
    while let Some((b, mut stack)) = todo.pop() {
        let n = cfg.blocks[b].instrs.len();
        for i in 0..n {
            let ins = cfg.blocks[b].instrs[i].clone();
            if is_block_push(ins.op) {
                if let Some(t) = ins.target {
                    if !cfg.blocks[t].visited {
                        cfg.blocks[t].visited = true;
                        todo.push((t, stack.clone()));
                    }
                    if matches!(ins.op, Op::SetupCleanup | Op::SetupWith) {
                        cfg.blocks[t].preserve_lasti = true;
                    }
                    stack.push(t);
                }
            } else if ins.op == Op::PopBlock {
                stack.pop();
            } else {
                cfg.blocks[b].instrs[i].except = stack.last().copied();
                if is_jump(ins.op) {
                    if let Some(t) = ins.target {
                        if !cfg.blocks[t].visited {
                            cfg.blocks[t].visited = true;
                            todo.push((t, stack.clone()));
                        }
                    }
                }
            }
        }
        if !cfg.no_fallthrough(b) {
            if let Some(nb) = cfg.blocks[b].next {
                if !cfg.blocks[nb].visited {
                    cfg.blocks[nb].visited = true;
                    todo.push((nb, stack));
                }
            }
        }
    }
}

/// Lays the blocks out, resolves jump directions and offsets, and builds the exception table.
fn linearize(cfg: &mut Cfg, first_line: u32, stacksize: u32) -> Result<Assembled, String> {
    let order = cfg.layout();
    let mut start = vec![0usize; cfg.blocks.len()];
    let mut pos = 0usize;
    for &b in &order {
        start[b] = pos;
        pos += cfg.blocks[b].instrs.len();
    }
    let mut out = Assembled {
        instrs: Vec::with_capacity(pos),
        spans: Vec::with_capacity(pos),
        lines: Vec::with_capacity(pos),
        exception_table: Vec::new(),
        stacksize,
    };
    let mut line = first_line;
    let mut handlers: Vec<Option<BlockId>> = Vec::with_capacity(pos);
    for &b in &order {
        for ins in &cfg.blocks[b].instrs {
            let index = out.instrs.len();
            let instr = match (ins.op, ins.target) {
                (Op::Real(op), None) => Instr::new(op, ins.arg),
                (op, Some(t)) => {
                    let target = start[t];
                    let forward = target > index;
                    let real = jump_opcode(op, forward)
                        .ok_or_else(|| format!("{op:?} cannot jump backward"))?;
                    let arg = if forward {
                        target - index - 1
                    } else {
                        index + 1 - target
                    };
                    Instr::new(real, arg as u32)
                }
                (op, None) => return Err(format!("{op:?} without a target")),
            };
            out.instrs.push(instr);
            out.spans.push(ins.loc.span);
            if let Some(l) = ins.loc.line {
                line = l;
            }
            out.lines.push(line);
            handlers.push(ins.except);
        }
    }
    let mut i = 0;
    while i < handlers.len() {
        let Some(h) = handlers[i] else {
            i += 1;
            continue;
        };
        let s = i;
        while i < handlers.len() && handlers[i] == Some(h) {
            i += 1;
        }
        let depth =
            cfg.blocks[h].start_depth.unwrap_or(1) - 1 - i32::from(cfg.blocks[h].preserve_lasti);
        out.exception_table.push(ExceptionEntry {
            start: s as u32,
            end: i as u32,
            target: start[h] as u32,
            depth: depth.max(0) as u32,
            lasti: cfg.blocks[h].preserve_lasti,
        });
    }
    Ok(out)
}

fn jump_opcode(op: Op, forward: bool) -> Option<Opcode> {
    use Opcode::*;
    Some(match (op, forward) {
        (Op::Jump, true) => JUMP_FORWARD,
        (Op::Jump, false) => JUMP_BACKWARD,
        (Op::PopJumpIfFalse, true) => POP_JUMP_FORWARD_IF_FALSE,
        (Op::PopJumpIfFalse, false) => POP_JUMP_BACKWARD_IF_FALSE,
        (Op::PopJumpIfTrue, true) => POP_JUMP_FORWARD_IF_TRUE,
        (Op::PopJumpIfTrue, false) => POP_JUMP_BACKWARD_IF_TRUE,
        (Op::PopJumpIfNone, true) => POP_JUMP_FORWARD_IF_NONE,
        (Op::PopJumpIfNotNone, true) => POP_JUMP_FORWARD_IF_NOT_NONE,
        (Op::Real(FOR_ITER), true) => FOR_ITER,
        (Op::Real(JUMP_IF_FALSE_OR_POP), true) => JUMP_IF_FALSE_OR_POP,
        (Op::Real(JUMP_IF_TRUE_OR_POP), true) => JUMP_IF_TRUE_OR_POP,
        _ => return None,
    })
}
