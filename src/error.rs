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
    /// An import of a Python standard module gilvm does not provide (found after compiling,
    /// by the run layer).
    ModuleNotFoundError,
}

impl CompileErrorKind {
    pub fn name(self) -> &'static str {
        match self {
            CompileErrorKind::SyntaxError => "SyntaxError",
            CompileErrorKind::IndentationError => "IndentationError",
            CompileErrorKind::TabError => "TabError",
            CompileErrorKind::ModuleNotFoundError => "ModuleNotFoundError",
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
    let line_start = source[..start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find(['\n', '\r'])
        .map_or(source.len(), |i| start + i);
    let line_no = 1 + crate::lexer::count_lines(&source[..line_start]);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn check(source: &str, start: usize, end: usize, expected: &str) {
        let err = CompileError::syntax("expected ':'", Span::new(start, end));
        let actual = render_compile_error(&err, "t.toy", source, false);
        assert_eq!(actual, expected, "\n{actual}");
    }

    #[test]
    fn layout() {
        check(
            "x = 1\nif x\n",
            10,
            11,
            "SyntaxError: expected ':'\n --> t.toy:2:5\n  |\n2 | if x\n  |     ^\n",
        );
        // Columns count characters, not bytes.
        check(
            "s = 'é' +\n",
            10,
            11,
            "SyntaxError: expected ':'\n --> t.toy:1:10\n  |\n1 | s = 'é' +\n  |          ^\n",
        );
        // A multi-line span shows its first line; CRLF and lone CR end lines.
        check(
            "a\r\nb = (1,\r\n2)\r\n",
            7,
            16,
            "SyntaxError: expected ':'\n --> t.toy:2:5\n  |\n2 | b = (1,\n  |     ^^^\n",
        );
        check(
            "a\rb c\r",
            4,
            5,
            "SyntaxError: expected ':'\n --> t.toy:2:3\n  |\n2 | b c\n  |   ^\n",
        );
    }

    #[test]
    fn out_of_range_spans_do_not_panic() {
        for (source, start, end) in [("", 0, 0), ("x", 5, 9), ("é", 1, 1), ("ab\n", 3, 1)] {
            let err = CompileError::syntax("m", Span::new(start, end));
            let text = render_compile_error(&err, "t.toy", source, false);
            assert!(text.starts_with("SyntaxError: m\n"), "{text}");
        }
    }

    #[test]
    fn color_is_ansi_styling_only() {
        let err = CompileError {
            kind: CompileErrorKind::IndentationError,
            message: "unexpected indent".into(),
            span: Span::new(2, 3),
        };
        let styled = render_compile_error(&err, "t.toy", "x\n y\n", true);
        assert!(styled.contains("\u{1b}["));
        let plain = render_compile_error(&err, "t.toy", "x\n y\n", false);
        assert!(plain.starts_with("IndentationError: unexpected indent\n"));
        assert!(!plain.contains('\u{1b}'));
    }
}
