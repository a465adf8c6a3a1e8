//! `gilvm dis`: code objects in CPython 3.11's `dis` layout.
//!
//! [`format_instr`] formats one instruction (offset, opname, operand and its interpretation)
//! and is the single instruction formatter of the project: `dis`, traces and error messages
//! all print instructions through it. [`disassemble`] prints a whole program like
//! `python3.11 -m dis FILE`, line for line: the module first, then every nested code object
//! depth-first in constant order, each under a `Disassembly of <code object NAME at 0x…, file
//! "F", line N>:` header (the address is the code object's number, not a memory address, so
//! the output is stable), with the line column, `>>` jump-target marks and the
//! `ExceptionTable:` section.
//!
//! Rows, offsets and operands come from [`dis_layout`]: CPython 3.11's `PUSH_NULL`, `PRECALL`,
//! `EXTENDED_ARG` and (with `show_caches`) `CACHE` rows around gilvm's instructions, offsets in
//! bytes, name operands as `co_names` indices.
//!
//! This module only reads a [`Program`]; it never changes one.

use std::fmt::Write;

use crate::bytecode::{
    CodeObject, Const, Instr, JumpKind, Opcode, Program, BINARY_OPS, CMP_OPS, HINT_CLASSDEREF,
    HINT_PUSH_NULL,
};
use crate::dis_layout::{self, RowKind};
use crate::vm::format::{float_repr, str_repr};

/// Disassembles every code object of a program.
pub fn disassemble(program: &Program) -> String {
    disassemble_with(program, None, false)
}

/// Marks appended to the instructions after which a GIL model may switch threads.
pub struct SwitchMarks<'a> {
    /// Whether the boundary after an instruction with this opcode can be a switch point.
    pub is_switch_point: &'a dyn Fn(Opcode) -> bool,
    /// The text appended to such a line, e.g. `  ⇄ py311`.
    pub mark: &'a str,
}

/// Like [`disassemble`], with switch points marked (`gilvm dis --gil MODEL`).
pub fn disassemble_marked(program: &Program, marks: Option<&SwitchMarks>) -> String {
    disassemble_with(program, marks, false)
}

/// Like [`disassemble_marked`]; `show_caches` prints CPython's inline cache entries as
/// `CACHE` rows (`dis.dis(code, show_caches=True)`).
pub fn disassemble_with(
    program: &Program,
    marks: Option<&SwitchMarks>,
    show_caches: bool,
) -> String {
    let mut out = String::new();
    if let Some(module) = program.codes.first() {
        disassemble_recursive(program, module, &mut out, 0, marks, show_caches);
    }
    out
}

/// Widths of the line-number and offset columns, as CPython's `_disassemble_bytes` picks them.
#[derive(Clone, Copy, Debug)]
pub struct Columns {
    pub lineno_width: usize,
    pub offset_width: usize,
}

impl Columns {
    /// The widths CPython would use for this code object (`len` is its length in bytes).
    pub fn for_code(code: &CodeObject, len: u32) -> Columns {
        let max_line = code.lines.iter().copied().max().unwrap_or(0);
        let max_offset = len.saturating_sub(2);
        Columns {
            lineno_width: if max_line >= 1000 {
                max_line.to_string().len()
            } else {
                3
            },
            offset_width: if max_offset >= 10000 {
                max_offset.to_string().len()
            } else {
                4
            },
        }
    }
}

/// Formats instruction `index` of `code` as one `dis` line (without a line-number column and
/// without the `>>` mark): `  14 LOAD_GLOBAL              2 (counter)`. The offset and the
/// operand are CPython 3.11's, as `gilvm dis` prints them.
pub fn format_instr(program: &Program, code: &CodeObject, index: usize) -> String {
    let Some(instr) = code.instrs.get(index) else {
        return String::new();
    };
    let (offset, arg) = dis_layout::offset_and_arg(code, index);
    let starts = |t: usize| dis_layout::start_of(code, t);
    let mut s = format!(
        "{:>4} {}",
        offset,
        opname_and_operand(program, code, &starts, index, instr, arg)
    );
    let trimmed = s.trim_end().len();
    s.truncate(trimmed);
    s
}

/// `OPNAME            ARG (argrepr)` as CPython's `Instruction._disassemble` prints it.
fn opname_and_operand(
    program: &Program,
    code: &CodeObject,
    starts: &dyn Fn(usize) -> u32,
    index: usize,
    instr: &Instr,
    arg: u32,
) -> String {
    let mut s = String::new();
    let name = if code
        .hints
        .get(index)
        .is_some_and(|h| h & HINT_CLASSDEREF != 0)
    {
        "LOAD_CLASSDEREF"
    } else {
        instr.op.name()
    };
    if dis_layout::has_arg(instr.op) {
        let _ = write!(s, "{:<20} {:>5}", name, arg);
        let repr = argrepr(program, code, starts, index, instr);
        if !repr.is_empty() {
            let _ = write!(s, " ({repr})");
        }
    } else {
        s.push_str(name);
    }
    s
}

fn disassemble_recursive(
    program: &Program,
    code: &CodeObject,
    out: &mut String,
    depth: usize,
    marks: Option<&SwitchMarks>,
    show_caches: bool,
) {
    disassemble_code(program, code, out, marks, show_caches);
    if depth > 200 {
        return;
    }
    for c in &code.consts {
        if let Const::Code(id) = c {
            if let Some(child) = program.codes.get(*id as usize) {
                out.push('\n');
                let _ = writeln!(
                    out,
                    "Disassembly of {}:",
                    code_repr(program, *id as usize, child)
                );
                disassemble_recursive(program, child, out, depth + 1, marks, show_caches);
            }
        }
    }
}

/// One code object, without a header.
fn disassemble_code(
    program: &Program,
    code: &CodeObject,
    out: &mut String,
    marks: Option<&SwitchMarks>,
    show_caches: bool,
) {
    let layout = dis_layout::layout(code);
    let len = layout.starts.last().copied().unwrap_or(0);
    let cols = Columns::for_code(code, len);
    // Jump targets and handlers, as byte offsets (where the target's rows start).
    let mut labels = std::collections::BTreeSet::new();
    for (i, instr) in code.instrs.iter().enumerate() {
        if let Some(t) = instr.jump_target(i) {
            labels.insert(layout.starts.get(t).copied().unwrap_or(len));
        }
    }
    for e in &code.exception_table {
        labels.insert(layout.starts.get(e.target as usize).copied().unwrap_or(len));
    }
    let mut last_line: Option<u32> = None;
    for row in &layout.rows {
        if row.kind == RowKind::Cache && !show_caches {
            continue;
        }
        let i = row.index;
        let Some(instr) = code.instrs.get(i) else {
            continue;
        };
        let line = code.lines.get(i).copied().unwrap_or(0);
        // The closure prologue has no line in CPython; the line appears on RESUME.
        let lineless = matches!(instr.op, Opcode::MAKE_CELL | Opcode::COPY_FREE_VARS);
        let starts_line = !lineless && last_line != Some(line) && row.kind != RowKind::Cache;
        if starts_line {
            if row.offset > 0 {
                out.push('\n');
            }
            last_line = Some(line);
        }
        let mut fields = String::new();
        if starts_line {
            let _ = write!(fields, "{:>w$}", line, w = cols.lineno_width);
        } else {
            fields.push_str(&" ".repeat(cols.lineno_width));
        }
        fields.push_str("     ");
        fields.push_str(if labels.contains(&row.offset) {
            ">>"
        } else {
            "  "
        });
        let _ = write!(fields, " {:>w$} ", row.offset, w = cols.offset_width);
        match row.kind {
            RowKind::Instr => {
                let arg = row.arg.unwrap_or(0);
                let starts = |t: usize| layout.starts.get(t).copied().unwrap_or(len);
                fields.push_str(&opname_and_operand(program, code, &starts, i, instr, arg));
            }
            RowKind::PushNull => fields.push_str("PUSH_NULL"),
            RowKind::ExtendedArg | RowKind::Precall | RowKind::Cache => {
                let name = match row.kind {
                    RowKind::ExtendedArg => "EXTENDED_ARG",
                    RowKind::Precall => "PRECALL",
                    _ => "CACHE",
                };
                let _ = write!(fields, "{:<20} {:>5}", name, row.arg.unwrap_or(0));
            }
        }
        out.push_str(fields.trim_end());
        if let Some(m) = marks {
            if row.kind == RowKind::Instr && (m.is_switch_point)(instr.op) {
                out.push_str(m.mark);
            }
        }
        out.push('\n');
    }
    if !code.exception_table.is_empty() {
        out.push_str("ExceptionTable:\n");
        let at = |i: u32| layout.starts.get(i as usize).copied().unwrap_or(len);
        for e in &code.exception_table {
            let _ = writeln!(
                out,
                "  {} to {} -> {} [{}]{}",
                at(e.start),
                at(e.end).saturating_sub(2),
                at(e.target),
                e.depth,
                if e.lasti { " lasti" } else { "" }
            );
        }
    }
}

/// `<code object NAME at 0x…, file "FILE", line N>`: CPython's repr. The address is not a
/// memory address (that would change from run to run): it is the code object's index in the
/// program, so the output stays deterministic and has CPython's shape.
pub fn code_repr(program: &Program, id: usize, code: &CodeObject) -> String {
    format!(
        "<code object {} at {}, file \"{}\", line {}>",
        code.name,
        code_address(id),
        program.filename,
        code.first_line
    )
}

/// The stand-in address `dis` prints for code object `id`.
pub fn code_address(id: usize) -> String {
    format!("0x{id:012x}")
}

/// The parenthesised interpretation of an operand, as CPython's `dis` computes `argrepr`.
fn argrepr(
    program: &Program,
    code: &CodeObject,
    starts: &dyn Fn(usize) -> u32,
    index: usize,
    instr: &Instr,
) -> String {
    use Opcode::*;
    let arg = instr.arg as usize;
    if instr.op.jump_kind() != JumpKind::None {
        return match instr.jump_target(index) {
            Some(t) => format!("to {}", starts(t)),
            None => String::new(),
        };
    }
    match instr.op {
        LOAD_CONST => code
            .consts
            .get(arg)
            .map(|c| const_repr(program, c))
            .unwrap_or_default(),
        LOAD_GLOBAL => {
            let name = program.names.get(arg).cloned().unwrap_or_default();
            if code
                .hints
                .get(index)
                .is_some_and(|h| h & HINT_PUSH_NULL != 0)
            {
                format!("NULL + {name}")
            } else {
                name
            }
        }
        LOAD_NAME | STORE_NAME | DELETE_NAME | LOAD_CLASS_NAME | STORE_CLASS_NAME
        | STORE_GLOBAL | DELETE_GLOBAL | LOAD_ATTR | STORE_ATTR | DELETE_ATTR | LOAD_METHOD
        | IMPORT_NAME | IMPORT_FROM => program.names.get(arg).cloned().unwrap_or_default(),
        LOAD_FAST | STORE_FAST | DELETE_FAST | MAKE_CELL | LOAD_CLOSURE | LOAD_DEREF
        | STORE_DEREF | DELETE_DEREF => {
            if arg < code.nlocalsplus() {
                code.localsplus_name(arg).to_string()
            } else {
                String::new()
            }
        }
        COMPARE_OP => CMP_OPS.get(arg).copied().unwrap_or("").to_string(),
        BINARY_OP => BINARY_OPS.get(arg).copied().unwrap_or("").to_string(),
        FORMAT_VALUE => {
            let mut s = match arg & 3 {
                1 => "str",
                2 => "repr",
                3 => "ascii",
                _ => "",
            }
            .to_string();
            if arg & 4 != 0 {
                if !s.is_empty() {
                    s.push_str(", ");
                }
                s.push_str("with format");
            }
            s
        }
        MAKE_FUNCTION => {
            let names = ["defaults", "kwdefaults", "annotations", "closure"];
            names
                .iter()
                .enumerate()
                .filter(|(i, _)| arg & (1 << i) != 0)
                .map(|(_, n)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        }
        _ => String::new(),
    }
}

/// Python's `repr()` of a constant.
pub fn const_repr(program: &Program, c: &Const) -> String {
    match c {
        Const::None => "None".into(),
        Const::Ellipsis => "Ellipsis".into(),
        Const::Bool(true) => "True".into(),
        Const::Bool(false) => "False".into(),
        Const::Int(i) => i.to_string(),
        Const::BigInt(s) => s.clone(),
        Const::Float(f) => float_repr(*f),
        Const::Str(s) => str_repr(s),
        Const::Tuple(items) => {
            let parts: Vec<String> = items.iter().map(|i| const_repr(program, i)).collect();
            if parts.len() == 1 {
                format!("({},)", parts[0])
            } else {
                format!("({})", parts.join(", "))
            }
        }
        Const::FrozenSet(items) if items.is_empty() => "frozenset()".into(),
        Const::FrozenSet(items) => {
            let parts: Vec<String> = crate::vm::set::const_order(items)
                .into_iter()
                .map(|i| const_repr(program, &items[i]))
                .collect();
            format!("frozenset({{{}}})", parts.join(", "))
        }
        Const::Code(id) => match program.codes.get(*id as usize) {
            Some(code) => code_repr(program, *id as usize, code),
            None => "<code object>".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(source: &str, code_index: usize, index: usize, expected: &str) {
        let program = crate::compile_source("t.toy", source).expect("compiles");
        let code = &program.codes[code_index];
        assert_eq!(format_instr(&program, code, index), expected);
    }

    #[test]
    fn formats_single_instructions_for_traces() {
        let src = "def inc():\n    global counter\n    counter += 1\n";
        check(src, 1, 0, "   0 RESUME                   0");
        check(src, 1, 1, "   2 LOAD_GLOBAL              0 (counter)");
        // Offsets and operands are CPython 3.11's (after LOAD_GLOBAL's five cache entries).
        check(src, 1, 3, "  16 BINARY_OP               13 (+=)");
        check(src, 1, 6, "  24 RETURN_VALUE");
        check(
            "def f():\n    return g(1)\n",
            1,
            1,
            "   2 LOAD_GLOBAL              1 (NULL + g)",
        );
        check(
            "def f():\n    return g(1)\n",
            1,
            3,
            "  20 CALL                     1",
        );
        check(
            "for x in y:\n    pass\n",
            0,
            3,
            "   6 FOR_ITER                 2 (to 12)",
        );
        check(
            "x = f'{a!r:>4}'\n",
            0,
            3,
            "   6 FORMAT_VALUE             6 (repr, with format)",
        );
    }

    /// A frozenset constant prints in CPython's set order (`python3.11 -m dis`).
    #[test]
    fn frozenset_constants_print_in_cpythons_order() {
        check(
            "a = {3, 1, 2, 1}\n",
            0,
            2,
            "   4 LOAD_CONST               0 (frozenset({1, 2, 3}))",
        );
        check(
            "b = x in {10, 5, 8, 1}\n",
            0,
            2,
            "   4 LOAD_CONST               0 (frozenset({8, 1, 10, 5}))",
        );
    }

    #[test]
    fn reprs_match_python() {
        assert_eq!(float_repr(0.1), "0.1");
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(1e-5), "1e-05");
        assert_eq!(float_repr(123456789.0), "123456789.0");
        assert_eq!(float_repr(-2.5e-7), "-2.5e-07");
        assert_eq!(float_repr(1.5e300), "1.5e+300");
        assert_eq!(float_repr(0.0001), "0.0001");
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("a'b\"c\n"), "'a\\'b\"c\\n'");
        assert_eq!(str_repr("\u{1}"), "'\\x01'");
    }
}
