//! gilvm: run Python-flavoured `.toy` programs with green threads under a simulated GIL.
//!
//! The pipeline is the layout: source → `lexer` → `parse` (grammar in `grammar/`) →
//! `ast` → `scope` + `compile` → `bytecode` → the VM. See ARCHITECTURE.md.

pub mod ast;
pub mod bytecode;
pub mod carets;
pub mod cli;
pub mod compile;
pub mod dis;
pub mod dis_layout;
pub mod error;
pub mod explore;
#[doc(hidden)]
pub mod fuzzcheck;
pub mod lexer;
pub mod parse;
pub mod races;
pub mod run;
pub mod schedule;
pub mod scope;
pub mod sweep;
pub mod termout;
pub mod trace;
pub mod vm;

/// Source text to a compiled program: parse, resolve scopes, compile.
pub fn compile_source(
    filename: &str,
    source: &str,
) -> Result<bytecode::Program, error::CompileError> {
    let module = parse::parse_module(source)?;
    let program = compile::compile(&module, filename, source);
    module.drop_iteratively();
    program
}
