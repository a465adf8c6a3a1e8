//! Parsing: tokens (from [`crate::lexer`]) to an [`crate::ast::Module`] via the lalrpop grammar.
use crate::ast::{Module, Span};
use crate::error::CompileError;

/// Parses a whole program.
pub fn parse_module(source: &str) -> Result<Module, CompileError> {
    let _ = source;
    Err(CompileError::syntax(
        "the parser is not built yet",
        Span::default(),
    ))
}
