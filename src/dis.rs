//! `gilvm dis`: code objects in CPython 3.11's `dis` layout.
//!
//! [`format_instr`] formats one instruction (offset, opname, operand and its interpretation)
//! and is the single instruction formatter of the project: `dis`, traces and error messages
//! all print instructions through it. [`disassemble`] prints a whole program like
//! `python3.11 -m dis FILE`: the module first, then every nested code object depth-first in
//! constant order, each under a `Disassembly of <code object NAME, file "F", line N>:` header
//! (CPython prints an address there; gilvm prints none so the output is stable), with the line
//! column, `>>` jump-target marks and the `ExceptionTable:` section.
//!
//! Offsets are `2 * index` (gilvm has no inline caches), so jump targets and exception-table
//! ranges are printed in the same units as the offset column.
//!
//! This module only reads a [`Program`]; it never changes one.

use std::fmt::Write;

use crate::bytecode::{CodeObject, Const, Instr, JumpKind, Opcode, Program, BINARY_OPS, CMP_OPS};
use crate::vm::format::{float_repr, str_repr};

/// Disassembles every code object of a program.
pub fn disassemble(program: &Program) -> String {
    disassemble_marked(program, None)
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
    let mut out = String::new();
    if let Some(module) = program.codes.first() {
        disassemble_recursive(program, module, &mut out, 0, marks);
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
    /// The widths CPython would use for this code object.
    pub fn for_code(code: &CodeObject) -> Columns {
        let max_line = code.lines.iter().copied().max().unwrap_or(0);
        let max_offset = code.instrs.len().saturating_sub(1) * 2;
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
/// without the `>>` mark): `  14 LOAD_GLOBAL              2 (counter)`.
pub fn format_instr(program: &Program, code: &CodeObject, index: usize) -> String {
    let Some(instr) = code.instrs.get(index) else {
        return String::new();
    };
    let mut s = format!(
        "{:>4} {}",
        index * 2,
        opname_and_operand(program, code, index, instr)
    );
    let trimmed = s.trim_end().len();
    s.truncate(trimmed);
    s
}

/// `OPNAME            ARG (argrepr)` as CPython's `Instruction._disassemble` prints it.
fn opname_and_operand(program: &Program, code: &CodeObject, index: usize, instr: &Instr) -> String {
    let mut s = String::new();
    if has_arg(instr.op) {
        let _ = write!(s, "{:<20} {:>5}", instr.op.name(), instr.arg);
        let repr = argrepr(program, code, index, instr);
        if !repr.is_empty() {
            let _ = write!(s, " ({repr})");
        }
    } else {
        s.push_str(instr.op.name());
    }
    s
}

fn disassemble_recursive(
    program: &Program,
    code: &CodeObject,
    out: &mut String,
    depth: usize,
    marks: Option<&SwitchMarks>,
) {
    disassemble_code(program, code, out, marks);
    if depth > 200 {
        return;
    }
    for c in &code.consts {
        if let Const::Code(id) = c {
            if let Some(child) = program.codes.get(*id as usize) {
                out.push('\n');
                let _ = writeln!(out, "Disassembly of {}:", code_repr(program, child));
                disassemble_recursive(program, child, out, depth + 1, marks);
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
) {
    let cols = Columns::for_code(code);
    let mut targets = vec![false; code.instrs.len() + 1];
    for (i, instr) in code.instrs.iter().enumerate() {
        if let Some(t) = instr.jump_target(i) {
            if t < targets.len() {
                targets[t] = true;
            }
        }
    }
    for e in &code.exception_table {
        if (e.target as usize) < targets.len() {
            targets[e.target as usize] = true;
        }
    }
    let mut last_line: Option<u32> = None;
    for (i, instr) in code.instrs.iter().enumerate() {
        let line = code.lines.get(i).copied().unwrap_or(0);
        // The closure prologue has no line in CPython; the line appears on RESUME.
        let lineless = matches!(instr.op, Opcode::MAKE_CELL | Opcode::COPY_FREE_VARS);
        let starts_line = !lineless && last_line != Some(line);
        if starts_line {
            if i > 0 {
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
        fields.push_str(if targets[i] { ">>" } else { "  " });
        let _ = write!(
            fields,
            " {:>w$} {}",
            i * 2,
            opname_and_operand(program, code, i, instr),
            w = cols.offset_width
        );
        out.push_str(fields.trim_end());
        if let Some(m) = marks {
            if (m.is_switch_point)(instr.op) {
                out.push_str(m.mark);
            }
        }
        out.push('\n');
    }
    if !code.exception_table.is_empty() {
        out.push_str("ExceptionTable:\n");
        for e in &code.exception_table {
            let _ = writeln!(
                out,
                "  {} to {} -> {} [{}]{}",
                e.start * 2,
                e.end.saturating_sub(1) * 2,
                e.target * 2,
                e.depth,
                if e.lasti { " lasti" } else { "" }
            );
        }
    }
}

/// `<code object NAME, file "FILE", line N>`: CPython's repr without the address.
pub fn code_repr(program: &Program, code: &CodeObject) -> String {
    format!(
        "<code object {}, file \"{}\", line {}>",
        code.name, program.filename, code.first_line
    )
}

/// Whether CPython 3.11 gives the opcode an argument (opcode >= HAVE_ARGUMENT).
fn has_arg(op: Opcode) -> bool {
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
    )
}

/// The parenthesised interpretation of an operand, as CPython's `dis` computes `argrepr`.
fn argrepr(program: &Program, code: &CodeObject, index: usize, instr: &Instr) -> String {
    use Opcode::*;
    let arg = instr.arg as usize;
    if instr.op.jump_kind() != JumpKind::None {
        return match instr.jump_target(index) {
            Some(t) => format!("to {}", t * 2),
            None => String::new(),
        };
    }
    match instr.op {
        LOAD_CONST => code
            .consts
            .get(arg)
            .map(|c| const_repr(program, c))
            .unwrap_or_default(),
        LOAD_NAME | STORE_NAME | DELETE_NAME | LOAD_CLASS_NAME | STORE_CLASS_NAME | LOAD_GLOBAL
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
            Some(code) => code_repr(program, code),
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
        check(src, 1, 3, "   6 BINARY_OP               13 (+=)");
        check(src, 1, 6, "  12 RETURN_VALUE");
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
