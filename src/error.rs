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

/// Renders a compile error for a terminal or a golden file: `file:line:col`, the source line,
/// a caret under the offending span, and the message.
pub fn render_compile_error(
    err: &CompileError,
    filename: &str,
    source: &str,
    color: bool,
) -> String {
    // Placeholder layout until the front end's diagnostics land; see the front-end issue.
    let _ = color;
    let start = (err.span.start as usize).min(source.len());
    let line_no = source[..start].matches('\n').count() + 1;
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let col = source[line_start..start].chars().count() + 1;
    format!(
        "{filename}:{line_no}:{col}: {}: {}\n",
        err.kind.name(),
        err.message
    )
}
