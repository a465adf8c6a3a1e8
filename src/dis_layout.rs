//! CPython 3.11's layout of a gilvm code object, for `dis` and traces.
//!
//! gilvm's VM runs its own instruction stream: one unit per instruction, no inline caches, no
//! `PUSH_NULL`/`PRECALL` (a `CALL` knows where its callable is), a program-wide name table.
//! That stream, and the GIL models' switch points in it, are not changed for display. Instead
//! this module derives, from each code object and the hints its compiler left
//! ([`CodeObject::hints`], [`CodeObject::names`]), the byte code `python3.11` would have made
//! of the same instructions:
//!
//! - a `PUSH_NULL` before a callee that is not a method (merged into the `LOAD_GLOBAL` that
//!   follows it, as CPython's peephole does: `LOAD_GLOBAL 1 (NULL + range)`);
//! - a `PRECALL n` (one cache entry) before every `CALL n`; a `CALL` that passes its first
//!   argument in CPython's NULL/self slot (decorators, comprehensions, `assert`'s message)
//!   prints one less;
//! - CPython's inline cache entries after `LOAD_GLOBAL`, `LOAD_ATTR`, `LOAD_METHOD`, `CALL`,
//!   `BINARY_OP`, … (`CACHE` rows, shown with `--show-caches`);
//! - `EXTENDED_ARG` before an operand above 255;
//! - name operands as indices into the code object's own `co_names`;
//! - relative jump operands in code units, computed to a fixed point as CPython's
//!   `assemble_jump_offsets` does (an `EXTENDED_ARG` makes the code longer, which can make
//!   another jump longer).
//!
//! Offsets are in bytes, as `dis` prints them. Nothing here runs while a program executes.

use crate::bytecode::{
    CodeObject, JumpKind, Opcode, HINT_EXTRA_NULLS_SHIFT, HINT_PUSH_NULL, HINT_SELF_SLOT,
};

/// What one row of CPython's disassembly is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowKind {
    /// `PUSH_NULL` before the instruction.
    PushNull,
    /// An `EXTENDED_ARG` prefix (of the `PRECALL` or of the instruction).
    ExtendedArg,
    /// `PRECALL n` before a `CALL n`.
    Precall,
    /// The gilvm instruction itself.
    Instr,
    /// An inline cache entry (shown only with `--show-caches`).
    Cache,
}

/// One row of `python3.11 -m dis` output, without its argument interpretation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    /// Byte offset.
    pub offset: u32,
    pub kind: RowKind,
    /// The operand CPython shows (`None` when the opcode takes none).
    pub arg: Option<u32>,
    /// The gilvm instruction this row belongs to.
    pub index: usize,
}

/// A code object in CPython 3.11's layout.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    pub rows: Vec<Row>,
    /// Byte offset where instruction `i`'s rows start (its `PUSH_NULL`, `EXTENDED_ARG`s or
    /// `PRECALL`, else the instruction); entry `len` is the length of the code in bytes.
    pub starts: Vec<u32>,
    /// Byte offset of instruction `i`'s own row.
    pub offsets: Vec<u32>,
    /// The operand CPython shows for instruction `i`.
    pub args: Vec<u32>,
}

/// CPython 3.11's inline cache entries after an instruction (`opcode._inline_cache_entries`).
pub fn cache_entries(op: Opcode) -> u32 {
    use Opcode::*;
    match op {
        LOAD_GLOBAL => 5,
        LOAD_METHOD => 10,
        LOAD_ATTR | STORE_ATTR | BINARY_SUBSCR | CALL => 4,
        COMPARE_OP => 2,
        BINARY_OP | STORE_SUBSCR | UNPACK_SEQUENCE => 1,
        _ => 0,
    }
}

/// Whether CPython 3.11 gives the opcode an argument (opcode >= HAVE_ARGUMENT).
pub fn has_arg(op: Opcode) -> bool {
    use Opcode::*;
    !matches!(
        op,
        NOP | POP_TOP
            | UNARY_NEGATIVE
            | UNARY_POSITIVE
            | UNARY_NOT
            | UNARY_INVERT
            | BINARY_SUBSCR
            | STORE_SUBSCR
            | DELETE_SUBSCR
            | GET_ITER
            | LIST_TO_TUPLE
            | RETURN_VALUE
            | BEFORE_WITH
            | WITH_EXCEPT_START
            | PUSH_EXC_INFO
            | POP_EXCEPT
            | CHECK_EXC_MATCH
            | LOAD_ASSERTION_ERROR
            | LOAD_BUILD_CLASS
            | GET_LEN
            | MATCH_MAPPING
            | MATCH_SEQUENCE
            | MATCH_KEYS
            | SETUP_ANNOTATIONS
            | RETURN_GENERATOR
            | GET_YIELD_FROM_ITER
            | YIELD_VALUE
    )
}

/// Number of `EXTENDED_ARG` prefixes an operand needs.
fn extended(arg: u32) -> u32 {
    match arg {
        0..=0xff => 0,
        0x100..=0xffff => 1,
        0x1_0000..=0xff_ffff => 2,
        _ => 3,
    }
}

/// How many separate `PUSH_NULL` rows CPython shows before instruction `i` (a `LOAD_GLOBAL`
/// shows its own NULL as `NULL +`, the further ones as rows).
fn null_rows(code: &CodeObject, i: usize) -> u32 {
    let h = code.hints.get(i).copied().unwrap_or(0);
    if h & HINT_PUSH_NULL == 0 {
        return 0;
    }
    let extra = u32::from(h >> HINT_EXTRA_NULLS_SHIFT);
    if code.instrs[i].op == Opcode::LOAD_GLOBAL {
        extra
    } else {
        1 + extra
    }
}

/// The operand CPython shows, for everything but jumps.
fn static_arg(code: &CodeObject, i: usize) -> u32 {
    let ins = code.instrs[i];
    let hint = code.hints.get(i).copied().unwrap_or(0);
    if ins.op.has_name_operand() {
        let pos = code
            .names
            .iter()
            .position(|&n| n == ins.arg)
            .map_or(ins.arg, |p| p as u32);
        if ins.op == Opcode::LOAD_GLOBAL {
            return pos * 2 + u32::from(hint & HINT_PUSH_NULL != 0);
        }
        return pos;
    }
    if ins.op == Opcode::CALL && hint & HINT_SELF_SLOT != 0 {
        return ins.arg.saturating_sub(1);
    }
    if has_arg(ins.op) {
        ins.arg
    } else {
        0
    }
}

/// Code units before instruction `i`'s own row, within its rows.
fn prefix_units(code: &CodeObject, i: usize, arg: u32) -> u32 {
    let mut u = null_rows(code, i);
    if code.instrs[i].op == Opcode::CALL {
        u += extended(arg) + 2;
    }
    u + extended(arg)
}

/// Computes the layout of `code`.
pub fn layout(code: &CodeObject) -> Layout {
    let n = code.instrs.len();
    let mut args: Vec<u32> = (0..n).map(|i| static_arg(code, i)).collect();
    let mut starts = vec![0u32; n + 1];
    // CPython's assemble_jump_offsets: sizes from the current operands, then the jump operands
    // from the sizes, until no instruction changes size. Operands only grow, so this ends.
    for _ in 0..64 {
        let mut pos = 0u32;
        for i in 0..n {
            starts[i] = pos;
            pos += prefix_units(code, i, args[i]) + 1 + cache_entries(code.instrs[i].op);
        }
        starts[n] = pos;
        let mut resized = false;
        for i in 0..n {
            let ins = code.instrs[i];
            let Some(t) = ins.jump_target(i) else {
                continue;
            };
            let next = starts[i] + prefix_units(code, i, args[i]) + 1;
            let target = starts.get(t).copied().unwrap_or(pos);
            let arg = match ins.op.jump_kind() {
                JumpKind::Backward => next.saturating_sub(target),
                _ => target.saturating_sub(next),
            };
            if extended(arg) != extended(args[i]) {
                resized = true;
            }
            args[i] = arg;
        }
        if !resized {
            break;
        }
    }
    let mut rows = Vec::with_capacity(n * 2);
    let mut offsets = Vec::with_capacity(n);
    for (i, ins) in code.instrs.iter().enumerate() {
        let mut unit = starts[i];
        let mut push = |kind: RowKind, arg: Option<u32>, unit: &mut u32| {
            rows.push(Row {
                offset: *unit * 2,
                kind,
                arg,
                index: i,
            });
            *unit += 1;
        };
        for _ in 0..null_rows(code, i) {
            push(RowKind::PushNull, None, &mut unit);
        }
        let arg = args[i];
        let prefixes = |push: &mut dyn FnMut(RowKind, Option<u32>, &mut u32), unit: &mut u32| {
            let k = extended(arg);
            for j in 1..=k {
                push(RowKind::ExtendedArg, Some(arg >> (8 * (k - j + 1))), unit);
            }
        };
        if ins.op == Opcode::CALL {
            prefixes(&mut push, &mut unit);
            push(RowKind::Precall, Some(arg), &mut unit);
            push(RowKind::Cache, Some(0), &mut unit);
        }
        prefixes(&mut push, &mut unit);
        offsets.push(unit * 2);
        push(RowKind::Instr, has_arg(ins.op).then_some(arg), &mut unit);
        for _ in 0..cache_entries(ins.op) {
            push(RowKind::Cache, Some(0), &mut unit);
        }
    }
    for s in &mut starts {
        *s *= 2;
    }
    Layout {
        rows,
        starts,
        offsets,
        args,
    }
}

/// The byte offset `python3.11 -m dis` shows for each instruction of `code`.
pub fn offsets(code: &CodeObject) -> Vec<u32> {
    layout(code).offsets
}

/// Where instruction `i`'s rows start, in bytes, from [`CodeObject::offsets`]: where the
/// previous instruction's caches end (`i` may be `len`, the end of the code).
pub fn start_of(code: &CodeObject, i: usize) -> u32 {
    match i.checked_sub(1) {
        None => 0,
        Some(p) => match (code.offsets.get(p), code.instrs.get(p)) {
            (Some(&off), Some(ins)) => off + 2 + 2 * cache_entries(ins.op),
            _ => 0,
        },
    }
}

/// The offset and operand `dis` shows for instruction `i`, from [`CodeObject::offsets`]
/// without laying the whole code out (for traces, which format one instruction at a time).
pub fn offset_and_arg(code: &CodeObject, i: usize) -> (u32, u32) {
    if code.offsets.len() != code.instrs.len() {
        let l = layout(code);
        return (
            l.offsets.get(i).copied().unwrap_or(0),
            l.args.get(i).copied().unwrap_or(0),
        );
    }
    let offset = code.offsets.get(i).copied().unwrap_or(0);
    let Some(ins) = code.instrs.get(i) else {
        return (offset, 0);
    };
    let arg = match ins.jump_target(i) {
        Some(t) => {
            let next = offset / 2 + 1;
            let target = start_of(code, t.min(code.instrs.len())) / 2;
            match ins.op.jump_kind() {
                JumpKind::Backward => next.saturating_sub(target),
                _ => target.saturating_sub(next),
            }
        }
        None => static_arg(code, i),
    };
    (offset, arg)
}
