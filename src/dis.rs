//! `gilvm dis`: code objects in CPython's dis layout.
use crate::bytecode::Program;

/// Disassembles every code object of a program.
pub fn disassemble(program: &Program) -> String {
    format!("{} code objects\n", program.codes.len())
}
