//! Compile-time errors (syntax, indentation, scope) as values with spans, and their rendering.
//!
//! Kinds are named after Python's exceptions. Messages are Python's wording where Python has
//! one (`'return' outside function`), lowercase, no trailing period. Rendering (file:line:col,
//! the source line, a caret, what was expected) lives here so every front-end stage reports the
//! same way. Runtime errors are Python exceptions inside the VM, not this type.

use crate::ast::Span;

/// Which Python exception a compile error corresponds to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompileErrorKind {
    SyntaxError,
    IndentationError,
    TabError,
}

impl CompileErrorKind {
    pub fn name(self) -> &'static str {
        match self {
            CompileErrorKind::SyntaxError => "SyntaxError",
            CompileErrorKind::IndentationError => "IndentationError",
            CompileErrorKind::TabError => "TabError",
        }
    }
}

/// A compile error: what went wrong and where.
#[derive(Clone, Debug, PartialEq)]
pub struct CompileError {
    pub kind: CompileErrorKind,
    /// Python-style message, e.g. `expected ':'` or `'break' outside loop`.
    pub message: String,
    pub span: Span,
}

impl CompileError {
    pub fn syntax(message: impl Into<String>, span: Span) -> CompileError {
        CompileError {
            kind: CompileErrorKind::SyntaxError,
            message: message.into(),
            span,
        }
    }
}
