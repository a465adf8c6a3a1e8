//! CPython 3.11's error-location markers under a traceback's source line (`~~~^^^`).
//!
//! CPython 3.11 prints, under the source line of a traceback entry, carets beneath the span of
//! the instruction that failed (its column positions), unless that span is the whole line.
//! When the span is one line and parses on its own as a binary operation or a subscript, the
//! operator (or the brackets) gets `^` and the rest of the span `~`:
//!
//! ```text
//!     total = count / len(items)
//!             ~~~~~~^~~~~~~~~~~~
//! ```
//!
//! This follows `Python/traceback.c` (`tb_displayline`, `extract_anchors_from_line`,
//! `print_error_location_carets`): the segment is parsed with the program's own parser, as
//! CPython parses it with its own. A span that starts on another line than the one printed
//! gets no markers; one that ends on a later line is marked to the line's last non-blank
//! character, as CPython does.

use crate::ast::{ExprKind, Span, StmtKind};

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

/// The marker line for the span `span` (byte offsets into `source`) under line `line`
/// (1-based) of `source`, with its four-space indent and a newline; `None` when CPython
/// prints none.
pub fn caret_line(source: &str, line: u32, span: Span) -> Option<String> {
    let line_start = line_start(source, line)?;
    let text = source[line_start..]
        .split('\n')
        .next()
        .unwrap_or("")
        .trim_end_matches('\r');
    let (start, end) = (span.start as usize, span.end as usize);
    if start < line_start || start > line_start + text.len() || end < start {
        return None;
    }
    let start_byte = start - line_start;
    let chars = |b: usize| text.get(..b).map(|t| t.chars().count());
    let start_col = chars(start_byte)?;
    let mut anchors = None;
    let end_col = if end <= line_start + text.len() {
        let end_byte = end - line_start;
        anchors = text
            .get(start_byte..end_byte)
            .and_then(segment_anchors)
            .map(|(l, r)| (l + start_col, r + start_col));
        chars(end_byte)?
    } else {
        text.trim_end_matches(is_blank).chars().count()
    };
    let stripped = text.trim_matches(is_blank).chars().count();
    if end_col.saturating_sub(start_col) == stripped && anchors.is_none() {
        return None;
    }
    let truncation = text.chars().take_while(|c| is_blank(*c)).count();
    let (primary, secondary) = if anchors.is_some() {
        ('~', '^')
    } else {
        ('^', '^')
    };
    let mut out = String::from("    ");
    for offset in truncation + 1..=end_col {
        out.push(if offset <= start_col {
            ' '
        } else if anchors.is_some_and(|(l, r)| l < offset && offset <= r) {
            secondary
        } else {
            primary
        });
    }
    out.push('\n');
    Some(out)
}

/// Byte offset where line `line` (1-based) starts.
fn line_start(source: &str, line: u32) -> Option<usize> {
    if line == 0 {
        return None;
    }
    if line == 1 {
        return Some(0);
    }
    source
        .match_indices('\n')
        .nth(line as usize - 2)
        .map(|(i, _)| i + 1)
}

/// CPython's `extract_anchors_from_expr`: for a segment that is one binary operation, the
/// operator's character range; for a subscript, the brackets'. Offsets in characters.
fn segment_anchors(segment: &str) -> Option<(usize, usize)> {
    let module = crate::parse::parse_module(segment).ok()?;
    let [stmt] = module.body.as_slice() else {
        return None;
    };
    let StmtKind::Expr(expr) = &stmt.kind else {
        return None;
    };
    let bytes = segment.as_bytes();
    let blank = |b: u8| matches!(b, b' ' | b'\t' | b'\x0c' | b'\n' | b'\r');
    let (left, right) = match &expr.kind {
        ExprKind::BinOp { left, right, .. } => {
            let (from, to) = (left.span.end as usize, right.span.start as usize);
            let mut found = None;
            let mut i = from;
            while i < to.min(bytes.len()) {
                if blank(bytes[i]) {
                    i += 1;
                    continue;
                }
                let mut r = i + 1;
                if i + 1 < to && !blank(bytes[i + 1]) {
                    r += 1;
                }
                found = Some((i, r));
                if i + 1 < to && bytes[i] == b')' {
                    i += 1;
                    continue;
                }
                break;
            }
            found?
        }
        ExprKind::Subscript { value, index } => {
            let mut l = value.span.end as usize;
            let mut r = index.span.end as usize + 1;
            while l < bytes.len() && bytes[l] != b'[' {
                l += 1;
            }
            while r < bytes.len() && bytes[r] != b']' {
                r += 1;
            }
            if r < bytes.len() {
                r += 1;
            }
            (l, r)
        }
        _ => return None,
    };
    let chars = |b: usize| {
        segment
            .get(..b.min(segment.len()))
            .map(|t| t.chars().count())
    };
    Some((chars(left)?, chars(right)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn carets(source: &str, line: u32, needle: &str) -> Option<String> {
        let start = source.find(needle).expect("needle in source");
        caret_line(source, line, Span::new(start, start + needle.len()))
    }

    #[test]
    fn binary_operations_and_subscripts_get_anchors() {
        assert_eq!(
            carets("x = 1\ny = a / (b - c)\n", 2, "a / (b - c)").as_deref(),
            Some("        ~~^~~~~~~~~\n")
        );
        assert_eq!(
            carets("def f():\n    return d['key'] + 1\n", 2, "d['key']").as_deref(),
            Some("           ~^^^^^^^\n")
        );
        assert_eq!(
            carets("z = (a + b) // c\n", 1, "(a + b) // c").as_deref(),
            Some("        ~~~~~~~~^^~~\n")
        );
    }

    #[test]
    fn calls_get_carets_unless_they_are_the_whole_line() {
        assert_eq!(
            carets("x = f(1)\n", 1, "f(1)").as_deref(),
            Some("        ^^^^\n")
        );
        assert_eq!(carets("    f(1)\n", 1, "f(1)"), None);
        // A binary operation spanning the whole line still shows its operator.
        assert_eq!(
            carets("a + b\n", 1, "a + b").as_deref(),
            Some("    ~~^~~\n")
        );
    }

    #[test]
    fn spans_from_other_lines_get_none_and_multiline_spans_run_to_the_line_end() {
        assert_eq!(carets("x = 1\ny = f(1)\n", 1, "f(1)"), None);
        assert_eq!(
            carets("y = f(1,\n      2)\n", 1, "f(1,\n      2)").as_deref(),
            Some("        ^^^^\n")
        );
    }
}
