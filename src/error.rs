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

/// Renders a compile error for a terminal or a golden file:
///
/// ```text
/// SyntaxError: expected ':'
///  --> prog.toy:3:9
///   |
/// 3 | if x > 1
///   |         ^
/// ```
///
/// The first line is Python's `Kind: message`; then `file:line:col` (1-based, columns in
/// characters) and the source line with a caret under the span. Only the first line of a
/// multi-line span is shown, and very long lines are cut around the caret, so the output stays
/// small for any input. `color` selects ANSI styling (for terminals) or plain text.
pub fn render_compile_error(
    err: &CompileError,
    filename: &str,
    source: &str,
    color: bool,
) -> String {
    use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};

    let start = floor_char_boundary(source, err.span.start as usize);
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find(['\n', '\r'])
        .map_or(source.len(), |i| start + i);
    let line_no = 1 + source[..line_start].bytes().filter(|&b| b == b'\n').count();
    let end = floor_char_boundary(source, (err.span.end as usize).clamp(start, line_end));
    let line = &source[line_start..line_end];
    let report = &[Level::ERROR
        .with_name(Some(err.kind.name()))
        .primary_title(err.message.as_str())
        .element(
            Snippet::source(line)
                .line_start(line_no)
                .path(filename)
                .annotation(AnnotationKind::Primary.span(start - line_start..end - line_start)),
        )];
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = renderer.render(report);
    out.push('\n');
    out
}

/// The largest char boundary of `s` at or below `i` (clamped to the length).
fn floor_char_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
