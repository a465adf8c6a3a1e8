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

/// Renders a compile error as CPython 3.11 prints a `SyntaxError` (`print_error_text` in
/// `Python/pythonrun.c`), so a learner sees the same layout from `gilvm` and from `python3`:
///
/// ```text
///   File "prog.toy", line 3
///     if x > 1
///             ^
/// SyntaxError: expected ':'
/// ```
///
/// The source line is printed without its indentation, the caret line marks the span
/// (`^^^^` as wide as the span on its first line, one `^` at least), and there is no caret
/// where CPython prints none (`unexpected indent`, `TabError`) or a caret after the line's
/// end (`unindent does not match any outer indentation level`). A line longer than
/// [`MAX_SHOWN`] characters (never in a real program) is cut around the caret, so the output
/// stays small for any input. `_color` is kept for callers: CPython 3.11 prints no colour.
pub fn render_compile_error(
    err: &CompileError,
    filename: &str,
    source: &str,
    _color: bool,
) -> String {
    let start = floor_char_boundary(source, err.span.start as usize);
    let line_start = source[..start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find(['\n', '\r'])
        .map_or(source.len(), |i| start + i);
    let line_no = 1 + crate::lexer::count_lines(&source[..line_start]);
    let end = floor_char_boundary(source, (err.span.end as usize).clamp(start, line_end));
    let line = &source[line_start..line_end];
    let text = line.trim_start_matches([' ', '\t', '\x0c']);
    let indent = line[..line.len() - text.len()].chars().count();
    let text_chars = text.chars().count();
    let col = source[line_start..start].chars().count();
    let width = source[start..end].chars().count().max(1);
    let msg = err.message.as_str();
    // A block header at the end of the file: CPython shows the header, with no caret.
    if err.kind == CompileErrorKind::IndentationError
        && msg.starts_with("expected an indented block")
        && text.trim().is_empty()
    {
        let before = source[..line_start].trim_end();
        let header_start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
        let header = before[header_start..].trim_start_matches([' ', '\t', '\x0c']);
        let header_no = 1 + crate::lexer::count_lines(&source[..header_start]);
        return format!(
            "  File \"{filename}\", line {header_no}\n    {header}\n{}: {msg}\n",
            err.kind.name()
        );
    }
    let caret: Option<(usize, usize)> = match err.kind {
        CompileErrorKind::TabError => None,
        CompileErrorKind::IndentationError
            if msg == "unexpected indent" || msg == "too many levels of indentation" =>
        {
            None
        }
        CompileErrorKind::IndentationError if msg.starts_with("unindent does not match") => {
            Some((text_chars, 1))
        }
        CompileErrorKind::IndentationError => Some((col.saturating_sub(indent), 1)),
        _ if col < indent => None,
        _ => {
            let c = (col - indent).min(text_chars);
            Some((c, width.min(text_chars.saturating_sub(c)).max(1)))
        }
    };
    // Cut an absurdly long line around the caret.
    let (shown, shift) = if text_chars > MAX_SHOWN {
        let from = caret.map_or(0, |(c, _)| c.saturating_sub(MAX_SHOWN / 2));
        let piece: String = text.chars().skip(from).take(MAX_SHOWN).collect();
        (
            format!("{}{piece}...", if from > 0 { "..." } else { "" }),
            from,
        )
    } else {
        (text.to_string(), 0)
    };
    let lead = if shift > 0 { 3 } else { 0 };
    let mut out = format!("  File \"{filename}\", line {line_no}\n    {shown}\n");
    if let Some((c, w)) = caret {
        let c = c - shift.min(c) + lead;
        let w = w.min(MAX_SHOWN);
        out.push_str("    ");
        out.push_str(&" ".repeat(c));
        out.push_str(&"^".repeat(w));
        out.push('\n');
    }
    out.push_str(err.kind.name());
    out.push_str(": ");
    out.push_str(msg);
    out.push('\n');
    out
}

/// The longest source line a compile error shows whole.
const MAX_SHOWN: usize = 1000;

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
    fn layout_is_cpythons() {
        check(
            "x = 1\nif x\n",
            10,
            11,
            "  File \"t.toy\", line 2\n    if x\n        ^\nSyntaxError: expected ':'\n",
        );
        // Indentation is not shown; the caret moves with the text. Columns count characters.
        check(
            "def f():\n    s = 'é' +\n",
            22,
            23,
            "  File \"t.toy\", line 2\n    s = 'é' +\n            ^\nSyntaxError: expected ':'\n",
        );
        // A multi-line span shows its first line, `^` as wide as its part there; CRLF and lone
        // CR end lines.
        check(
            "a\r\nb = (1,\r\n2)\r\n",
            7,
            16,
            "  File \"t.toy\", line 2\n    b = (1,\n        ^^^\nSyntaxError: expected ':'\n",
        );
        check(
            "a\rb c\r",
            4,
            5,
            "  File \"t.toy\", line 2\n    b c\n      ^\nSyntaxError: expected ':'\n",
        );
    }

    #[test]
    fn indentation_errors_place_the_caret_as_cpython() {
        let render = |kind, msg: &str, src: &str, start: usize, end: usize| {
            let err = CompileError {
                kind,
                message: msg.into(),
                span: Span::new(start, end),
            };
            render_compile_error(&err, "t.toy", src, false)
        };
        use CompileErrorKind::*;
        assert_eq!(
            render(
                IndentationError,
                "unexpected indent",
                "x = 1\n  y = 2\n",
                8,
                9
            ),
            "  File \"t.toy\", line 2\n    y = 2\nIndentationError: unexpected indent\n"
        );
        assert_eq!(
            render(
                IndentationError,
                "unindent does not match any outer indentation level",
                "if x:\n        a\n    y = 2\n",
                20,
                21
            ),
            "  File \"t.toy\", line 3\n    y = 2\n         ^\n\
             IndentationError: unindent does not match any outer indentation level\n"
        );
        assert_eq!(
            render(
                IndentationError,
                "expected an indented block after 'if' statement on line 1",
                "if x:\nprint(1)\n",
                6,
                11
            ),
            "  File \"t.toy\", line 2\n    print(1)\n    ^\n\
             IndentationError: expected an indented block after 'if' statement on line 1\n"
        );
    }

    #[test]
    fn out_of_range_spans_and_long_lines_do_not_panic() {
        for (source, start, end) in [("", 0, 0), ("x", 5, 9), ("é", 1, 1), ("ab\n", 3, 1)] {
            let err = CompileError::syntax("m", Span::new(start, end));
            let text = render_compile_error(&err, "t.toy", source, false);
            assert!(text.ends_with("SyntaxError: m\n"), "{text}");
        }
        let long = format!("x = {}$\n", "1 + ".repeat(100_000));
        let at = long.len() - 2;
        let err = CompileError::syntax("invalid syntax", Span::new(at, at + 1));
        let text = render_compile_error(&err, "t.toy", &long, false);
        assert!(text.len() < 2500, "{}", text.len());
        let lines: Vec<&str> = text.lines().collect();
        let caret = lines[2].find('^').unwrap_or(0);
        assert_eq!(lines[1].as_bytes()[caret], b'$', "{text}");
    }
}
