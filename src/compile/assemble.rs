//! Assembly of one code object's control-flow graph into instructions, as CPython 3.11's
//! `assemble()`: the passes of `cfg.rs`, then duplication of exit blocks without a line number,
//! line-number propagation, stack-depth computation over the graph, exception-table labelling,
//! and relative jump offsets (one unit per instruction). The passes run in CPython's order, so
//! the instruction sequence matches `python3.11 -m dis`.

use super::cfg::{
    clean_basic_block, extend_block, is_block_push, is_exit, is_jump, normalize, optimize_cfg,
    BlockId, Cfg, ConstPool, Loc, Op,
};
use crate::ast::Span;
use crate::bytecode::{ExceptionEntry, Instr, Opcode};

/// The result of assembling one code object.
pub struct Assembled {
    pub instrs: Vec<Instr>,
    pub spans: Vec<Span>,
    pub lines: Vec<u32>,
    pub hints: Vec<u8>,
    pub exception_table: Vec<ExceptionEntry>,
    pub stacksize: u32,
}

/// CPython 3.11's `assemble()` after code generation. `first_line` is the line of the `def`.
pub fn assemble(
    cfg: &mut Cfg,
    consts: &mut ConstPool,
    first_line: u32,
) -> Result<Assembled, String> {
    normalize(cfg);
    // CPython walks its block list newest first.
    for b in (0..cfg.blocks.len()).rev() {
        extend_block(cfg, b);
    }
    optimize_cfg(cfg, consts);
    duplicate_exits_without_lineno(cfg);
    trim_unused_consts(cfg, consts);
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

/// Drops trailing constants no instruction uses any more (CPython's `trim_unused_consts`), e.g.
/// the code object of a comprehension in dead code. The first constant is always kept.
fn trim_unused_consts(cfg: &Cfg, consts: &mut ConstPool) {
    let mut max = 0;
    for b in cfg.layout() {
        for ins in &cfg.blocks[b].instrs {
            if matches!(
                ins.op,
                Op::Real(Opcode::LOAD_CONST) | Op::Real(Opcode::KW_NAMES)
            ) {
                max = max.max(ins.arg as usize);
            }
        }
    }
    consts.truncate(max + 1);
}

pub(super) fn mark_reachable(cfg: &mut Cfg) {
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

pub(super) fn eliminate_empty_basic_blocks(cfg: &mut Cfg) {
    // Last block first: a successor's `next` then already skips the empty blocks after it, so
    // one step suffices (a walk per block was quadratic in a long chain of empty blocks, as
    // `x = a and a and … and a` with 100,000 operands makes).
    for b in cfg.layout().into_iter().rev() {
        if let Some(n) = cfg.blocks[b].next {
            if cfg.blocks[n].instrs.is_empty() && cfg.blocks[n].next.is_some() {
                cfg.blocks[b].next = cfg.blocks[n].next;
            }
        }
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

pub(super) fn is_exit_without_lineno(cfg: &Cfg, b: BlockId) -> bool {
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
        Op::Jump | Op::JumpNoInterrupt | Op::PopBlock => 0,
        // `CALL 2` over the bound `__exit__` and three `None`s.
        Op::ExitCall => -3,
        // `LOAD_METHOD` leaves two slots where its receiver was (+1 below), CPython's
        // `NULL`/method and `self`; the call pops both and its arguments.
        Op::MethodCall => -n - 1,
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
            | COPY_FREE_VARS | LOAD_ATTR | LIST_TO_TUPLE | JUMP_FORWARD | JUMP_BACKWARD
            | KW_NAMES | CHECK_EXC_MATCH | SETUP_ANNOTATIONS => 0,
            // The generator's prologue: on resumption the first value sent is on the stack
            // (popped by the `POP_TOP` that follows).
            RETURN_GENERATOR => 1,
            YIELD_VALUE | GET_YIELD_FROM_ITER | JUMP_BACKWARD_NO_INTERRUPT => 0,
            SEND => {
                if jump {
                    -1
                } else {
                    0
                }
            }
            POP_TOP | BINARY_OP | COMPARE_OP | IS_OP | CONTAINS_OP | BINARY_SUBSCR | STORE_NAME
            | STORE_CLASS_NAME | STORE_GLOBAL | STORE_FAST | STORE_DEREF | LIST_APPEND
            | LIST_EXTEND | RETURN_VALUE | POP_EXCEPT | RERAISE | IMPORT_NAME | DELETE_ATTR
            | SET_ADD | SET_UPDATE | DICT_UPDATE | DICT_MERGE => -1,
            POP_JUMP_FORWARD_IF_FALSE
            | POP_JUMP_FORWARD_IF_TRUE
            | POP_JUMP_FORWARD_IF_NONE
            | POP_JUMP_FORWARD_IF_NOT_NONE
            | POP_JUMP_BACKWARD_IF_FALSE
            | POP_JUMP_BACKWARD_IF_TRUE
            | POP_JUMP_BACKWARD_IF_NONE
            | POP_JUMP_BACKWARD_IF_NOT_NONE => -1,
            COPY | LOAD_CONST | LOAD_NAME | LOAD_CLASS_NAME | LOAD_BUILD_CLASS | LOAD_GLOBAL
            | LOAD_FAST | LOAD_CLOSURE | LOAD_DEREF | LOAD_ASSERTION_ERROR | BEFORE_WITH
            | WITH_EXCEPT_START | PUSH_EXC_INFO | IMPORT_FROM | LOAD_METHOD | GET_LEN
            | MATCH_SEQUENCE | MATCH_MAPPING | MATCH_KEYS => 1,
            MATCH_CLASS => -2,
            STORE_SUBSCR => -3,
            DELETE_SUBSCR | STORE_ATTR | MAP_ADD => -2,
            BUILD_SLICE | BUILD_TUPLE | BUILD_LIST | BUILD_SET | BUILD_STRING => 1 - n,
            UNPACK_EX => (arg & 0xff) as i32 + (arg >> 8) as i32,
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
            if ins.op == Op::Jump || ins.op == Op::JumpNoInterrupt || is_exit(ins.op) {
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
        hints: Vec::with_capacity(pos),
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
                (Op::ExitCall, None) => Instr::new(Opcode::CALL, 2),
                (Op::MethodCall, None) => Instr::new(Opcode::CALL, ins.arg),
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
            out.hints.push(ins.hint);
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
        (Op::JumpNoInterrupt, false) => JUMP_BACKWARD_NO_INTERRUPT,
        (Op::Real(SEND), true) => SEND,
        (Op::PopJumpIfFalse, true) => POP_JUMP_FORWARD_IF_FALSE,
        (Op::PopJumpIfFalse, false) => POP_JUMP_BACKWARD_IF_FALSE,
        (Op::PopJumpIfTrue, true) => POP_JUMP_FORWARD_IF_TRUE,
        (Op::PopJumpIfTrue, false) => POP_JUMP_BACKWARD_IF_TRUE,
        (Op::PopJumpIfNone, true) => POP_JUMP_FORWARD_IF_NONE,
        (Op::PopJumpIfNone, false) => POP_JUMP_BACKWARD_IF_NONE,
        (Op::PopJumpIfNotNone, true) => POP_JUMP_FORWARD_IF_NOT_NONE,
        (Op::PopJumpIfNotNone, false) => POP_JUMP_BACKWARD_IF_NOT_NONE,
        (Op::Real(FOR_ITER), true) => FOR_ITER,
        (Op::Real(JUMP_IF_FALSE_OR_POP), true) => JUMP_IF_FALSE_OR_POP,
        (Op::Real(JUMP_IF_TRUE_OR_POP), true) => JUMP_IF_TRUE_OR_POP,
        _ => return None,
    })
}
