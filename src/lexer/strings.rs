//! String literals: prefixes, escape decoding, and splitting f-strings into literal text and
//! `{expr!conv:spec}` fields.
//!
//! F-strings follow CPython 3.11: the literal is first delimited like any string (so a field
//! may not reuse the enclosing quote), then split here. A field's expression is not parsed
//! here; it is returned as a span into the program so the parser can parse it with the real
//! expression grammar and errors point into the original source.

use crate::ast::Span;
use crate::error::CompileError;

/// A decoded string literal token.
#[derive(Clone, Debug, PartialEq)]
pub enum StrTok {
    /// A plain (or raw) string, escapes decoded.
    Plain(String),
    /// An f-string, split into pieces.
    Format(Vec<FPiece>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum FPiece {
    Literal(String),
    Field(FField),
}

/// One `{...}` field of an f-string.
#[derive(Clone, Debug, PartialEq)]
pub struct FField {
    /// The expression text, as a span into the whole program.
    pub expr: Span,
    /// For `{x=}`: the text to print before the value (`x=`).
    pub debug: Option<String>,
    /// `!r`, `!s` or `!a`.
    pub conversion: Option<char>,
    /// The format spec after `:`, which may contain nested fields.
    pub spec: Vec<FPiece>,
}

/// Format specs may nest fields this deep (CPython allows two levels).
const MAX_SPEC_DEPTH: usize = 2;

/// Decodes the string literal at `text[start..end]` (prefix and quotes included); `base` is the
/// offset of `text` in the whole program.
pub fn decode(text: &str, base: usize, start: usize, end: usize) -> Result<StrTok, CompileError> {
    let lit = &text[start..end];
    let prefix_len = lit.find(['\'', '"']).unwrap_or(0);
    let prefix = lit[..prefix_len].to_ascii_lowercase();
    let quote = &lit[prefix_len..prefix_len + 1];
    let triple = lit[prefix_len..].starts_with(&quote.repeat(3)) && lit.len() >= prefix_len + 6;
    let q = if triple { 3 } else { 1 };
    let body = (start + prefix_len + q, end - q);
    let raw = prefix.contains('r');
    let ctx = Ctx { text, base, raw };
    if prefix.contains('f') {
        let (pieces, _) = ctx.fstring(body.0, body.1, 0)?;
        return Ok(StrTok::Format(pieces));
    }
    Ok(StrTok::Plain(ctx.unescape(body.0, body.1)?))
}

struct Ctx<'a> {
    text: &'a str,
    base: usize,
    raw: bool,
}

impl Ctx<'_> {
    fn error(&self, msg: impl Into<String>, a: usize, b: usize) -> CompileError {
        CompileError::syntax(msg, Span::new(self.base + a, self.base + b))
    }

    /// Decodes escapes in `text[lo..hi]` (unless raw) and normalises line ends to `\n`.
    fn unescape(&self, lo: usize, hi: usize) -> Result<String, CompileError> {
        let s = &self.text[lo..hi];
        let mut out = String::with_capacity(s.len());
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\r' {
                if chars.peek().map(|p| p.1) == Some('\n') {
                    chars.next();
                }
                out.push('\n');
                continue;
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some((_, e)) = chars.next() else {
                out.push('\\');
                break;
            };
            if self.raw {
                out.push('\\');
                if e == '\r' {
                    if chars.peek().map(|p| p.1) == Some('\n') {
                        chars.next();
                    }
                    out.push('\n');
                } else {
                    out.push(e);
                }
                continue;
            }
            match e {
                '\n' => {}
                '\r' => {
                    if chars.peek().map(|p| p.1) == Some('\n') {
                        chars.next();
                    }
                }
                '\\' => out.push('\\'),
                '\'' => out.push('\''),
                '"' => out.push('"'),
                'a' => out.push('\x07'),
                'b' => out.push('\x08'),
                'f' => out.push('\x0c'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'v' => out.push('\x0b'),
                '0'..='7' => {
                    let mut v = e as u32 - '0' as u32;
                    for _ in 0..2 {
                        match chars.peek() {
                            Some(&(_, d @ '0'..='7')) => {
                                v = v * 8 + (d as u32 - '0' as u32);
                                chars.next();
                            }
                            _ => break,
                        }
                    }
                    out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
                }
                'x' | 'u' | 'U' => {
                    let (n, name) = match e {
                        'x' => (2, "\\xXX"),
                        'u' => (4, "\\uXXXX"),
                        _ => (8, "\\UXXXXXXXX"),
                    };
                    let mut v = 0u32;
                    let mut got = 0;
                    while got < n {
                        match chars.peek() {
                            Some(&(_, d)) if d.is_ascii_hexdigit() => {
                                v = v * 16 + d.to_digit(16).unwrap_or(0);
                                chars.next();
                                got += 1;
                            }
                            _ => break,
                        }
                    }
                    let at = lo + i;
                    if got < n {
                        return Err(self.error(
                            format!(
                                "(unicode error) 'unicodeescape' codec can't decode bytes in \
                                 position {}-{}: truncated {name} escape",
                                i,
                                i + 1 + got
                            ),
                            at,
                            at + 2 + got,
                        ));
                    }
                    match char::from_u32(v) {
                        Some(ch) => out.push(ch),
                        None if (0xd800..0xe000).contains(&v) => {
                            return Err(self.error(
                                "lone surrogates in string literals are not supported by gilvm",
                                at,
                                at + 2 + n,
                            ))
                        }
                        None => {
                            return Err(self.error(
                                format!(
                                    "(unicode error) 'unicodeescape' codec can't decode bytes \
                                     in position {}-{}: illegal Unicode character",
                                    i,
                                    i + 1 + n
                                ),
                                at,
                                at + 2 + n,
                            ))
                        }
                    }
                }
                'N' => {
                    return Err(self.error(
                        "\\N{...} escapes are not supported by gilvm",
                        lo + i,
                        lo + i + 2,
                    ))
                }
                other => {
                    // Python keeps unknown escapes as they are (with a warning).
                    out.push('\\');
                    out.push(other);
                }
            }
        }
        Ok(out)
    }

    /// Splits `text[lo..hi]` into literal pieces and fields. At `depth` > 0 this is a format
    /// spec, which ends at an unmatched `}`; returns the pieces and where they stopped.
    fn fstring(
        &self,
        lo: usize,
        hi: usize,
        depth: usize,
    ) -> Result<(Vec<FPiece>, usize), CompileError> {
        let bytes = self.text.as_bytes();
        let mut pieces = Vec::new();
        let mut lit_start = lo;
        // Literal text is decoded per run; `{{` and `}}` end a run and contribute one brace.
        let mut lit = String::new();
        let mut i = lo;
        while i < hi {
            match bytes[i] {
                b'\\' if !self.raw => {
                    // An escape never swallows a brace: `\{` is a backslash and a field.
                    let next = bytes.get(i + 1).copied();
                    if next.is_some_and(|b| b != b'{' && b != b'}') && i + 1 < hi {
                        let w = utf8_width(bytes[i + 1]);
                        i += 1 + w;
                    } else {
                        i += 1;
                    }
                }
                b'{' if depth == 0 && bytes.get(i + 1) == Some(&b'{') && i + 1 < hi => {
                    lit.push_str(&self.unescape(lit_start, i)?);
                    lit.push('{');
                    i += 2;
                    lit_start = i;
                }
                b'}' if depth == 0 && bytes.get(i + 1) == Some(&b'}') && i + 1 < hi => {
                    lit.push_str(&self.unescape(lit_start, i)?);
                    lit.push('}');
                    i += 2;
                    lit_start = i;
                }
                b'}' if depth > 0 => break,
                b'}' => return Err(self.error("f-string: single '}' is not allowed", i, i + 1)),
                b'{' => {
                    lit.push_str(&self.unescape(lit_start, i)?);
                    if !lit.is_empty() {
                        pieces.push(FPiece::Literal(std::mem::take(&mut lit)));
                    }
                    if depth >= MAX_SPEC_DEPTH {
                        return Err(self.error(
                            "f-string: expressions nested too deeply",
                            i,
                            i + 1,
                        ));
                    }
                    let (field, next) = self.field(i, hi, depth)?;
                    pieces.push(FPiece::Field(field));
                    i = next;
                    lit_start = i;
                }
                _ => i += 1,
            }
        }
        lit.push_str(&self.unescape(lit_start, i.min(hi))?);
        if !lit.is_empty() {
            pieces.push(FPiece::Literal(lit));
        }
        Ok((pieces, i.min(hi)))
    }

    /// Parses the field starting at the `{` at `open`; returns it and the offset after its `}`.
    fn field(&self, open: usize, hi: usize, depth: usize) -> Result<(FField, usize), CompileError> {
        let bytes = self.text.as_bytes();
        let expecting = |at: usize| self.error("f-string: expecting '}'", at, at + 1);
        let start = open + 1;
        let mut i = start;
        let mut stack: Vec<u8> = Vec::new();
        let mut quote: Option<(u8, bool)> = None;
        let mut debug = false;
        loop {
            if i >= hi {
                return Err(expecting(open));
            }
            let c = bytes[i];
            if let Some((q, triple)) = quote {
                if c == q {
                    if !triple {
                        quote = None;
                    } else if bytes.get(i + 1) == Some(&q) && bytes.get(i + 2) == Some(&q) {
                        quote = None;
                        i += 2;
                    }
                }
                i += 1;
                continue;
            }
            match c {
                b'\\' => {
                    return Err(self.error(
                        "f-string expression part cannot include a backslash",
                        i,
                        i + 1,
                    ))
                }
                b'\'' | b'"' => {
                    let triple = bytes.get(i + 1) == Some(&c) && bytes.get(i + 2) == Some(&c);
                    quote = Some((c, triple));
                    i += if triple { 3 } else { 1 };
                    continue;
                }
                b'(' | b'[' | b'{' => stack.push(c),
                b')' | b']' | b'}' if !stack.is_empty() => {
                    stack.pop();
                }
                b'}' => break,
                b')' | b']' => {
                    return Err(self.error(
                        format!("f-string: unmatched '{}'", c as char),
                        i,
                        i + 1,
                    ))
                }
                b'#' if stack.is_empty() => {
                    return Err(self.error("f-string expression part cannot include '#'", i, i + 1))
                }
                b'!' if stack.is_empty() && bytes.get(i + 1) != Some(&b'=') => break,
                b':' if stack.is_empty() => break,
                b'=' if stack.is_empty()
                    && bytes.get(i + 1) != Some(&b'=')
                    && !matches!(bytes[i - 1], b'=' | b'!' | b'<' | b'>') =>
                {
                    debug = true;
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        let expr_end = i;
        if quote.is_some() {
            return Err(self.error("f-string: unterminated string", start, expr_end));
        }
        if self.text[start..expr_end].trim().is_empty() {
            return Err(self.error(
                "f-string: empty expression not allowed",
                start,
                expr_end + 1,
            ));
        }
        let mut debug_text = None;
        if debug {
            i += 1;
            while i < hi && matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
                i += 1;
            }
            debug_text = Some(self.text[start..i].to_string());
        }
        let mut conversion = None;
        if i < hi && bytes[i] == b'!' {
            match bytes.get(i + 1) {
                Some(&c @ (b'r' | b's' | b'a')) if i + 1 < hi => conversion = Some(c as char),
                _ if i + 1 >= hi => return Err(expecting(i)),
                _ => {
                    return Err(self.error(
                        "f-string: invalid conversion character: expected 's', 'r', or 'a'",
                        i + 1,
                        i + 2,
                    ))
                }
            }
            i += 2;
            if i < hi && !matches!(bytes[i], b':' | b'}') {
                return Err(expecting(i));
            }
        }
        let mut spec = Vec::new();
        if i < hi && bytes[i] == b':' {
            let (pieces, stop) = self.fstring(i + 1, hi, depth + 1)?;
            spec = pieces;
            i = stop;
        }
        if i >= hi || bytes[i] != b'}' {
            return Err(expecting(open));
        }
        if debug && conversion.is_none() && spec.is_empty() {
            conversion = Some('r');
        }
        let field = FField {
            expr: Span::new(self.base + start, self.base + expr_end),
            debug: debug_text,
            conversion,
            spec,
        };
        Ok((field, i + 1))
    }
}

/// Length in bytes of the UTF-8 sequence that starts with byte `b`.
fn utf8_width(b: u8) -> usize {
    match b {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}
