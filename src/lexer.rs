//! Lexer: source text to the tokens the grammar reads, with Python's layout rules.
//!
//! Two layers. [`Raw`] is a `logos` DFA that cuts the text into raw tokens, skipping spaces,
//! comments and backslash continuations. [`Lexer`] wraps it and adds what a DFA cannot know:
//! NEWLINE at the end of each logical line (none inside brackets or on blank lines), INDENT and
//! DEDENT from an indentation stack (with Python's tab rules), the bracket stack (for mismatched
//! and unclosed brackets), keyword recognition, number values and decoded string literals
//! (see [`strings`]). Every error is a [`CompileError`] with its own span; the lexer stops at the
//! first one. It never builds AST nodes: f-string fields are handed to the parser as spans.
//!
//! The soft keywords `match` and `case` are decided here too, from the shape of the logical
//! line, so the LR(1) grammar sees them as keywords only where they start a statement (see
//! `Lexer::soft_keyword`); everywhere else they stay names (`match = re.match(x)`).

pub mod strings;
mod token;

use logos::Logos;

use crate::ast::Span;
use crate::error::{CompileError, CompileErrorKind};
pub use strings::{FField, FPiece, StrTok};
pub use token::Tok;

/// Brackets nested deeper than this are a syntax error, as in CPython's tokenizer (MAXLEVEL).
pub const MAX_BRACKET_DEPTH: usize = 200;
/// Indentation may not reach this many levels, as in CPython's tokenizer (MAXINDENT).
pub const MAX_INDENT_DEPTH: usize = 100;

/// What a raw-token callback can fail with; turned into a message by [`Lexer`].
#[derive(Clone, Debug, Default, PartialEq)]
pub enum RawError {
    /// No raw token matches here.
    #[default]
    Invalid,
    /// A string literal with no closing quote; `triple` for `'''`/`"""`.
    Unterminated { triple: bool },
}

/// Raw tokens, before layout. Strings are matched by their opening quote and scanned by hand.
#[derive(Logos, Clone, Copy, Debug, PartialEq)]
#[logos(error = RawError)]
#[logos(skip r"[ \t\x0c]+")]
#[logos(skip(r"#[^\r\n]*", allow_greedy = true))]
#[logos(skip r"\\(\r\n|\n|\r)")]
pub enum Raw {
    #[regex(r"\r\n|\n|\r")]
    Newline,
    #[regex(r"[\p{XID_Start}_][\p{XID_Continue}]*")]
    Name,
    #[regex(r"[0-9](_?[0-9])*")]
    Dec,
    #[regex(r"0[xX](_?[0-9a-fA-F])+")]
    Hex,
    #[regex(r"0[oO](_?[0-7])+")]
    Oct,
    #[regex(r"0[bB](_?[01])+")]
    Bin,
    #[regex(r"[0-9](_?[0-9])*\.([0-9](_?[0-9])*)?([eE][+-]?[0-9](_?[0-9])*)?")]
    #[regex(r"\.[0-9](_?[0-9])*([eE][+-]?[0-9](_?[0-9])*)?")]
    #[regex(r"[0-9](_?[0-9])*[eE][+-]?[0-9](_?[0-9])*")]
    Float,
    /// An imaginary literal (`1j`): valid Python, but gilvm has no complex numbers.
    #[regex(r"[0-9](_?[0-9])*[jJ]")]
    #[regex(r"[0-9](_?[0-9])*\.([0-9](_?[0-9])*)?([eE][+-]?[0-9](_?[0-9])*)?[jJ]")]
    #[regex(r"\.[0-9](_?[0-9])*([eE][+-]?[0-9](_?[0-9])*)?[jJ]")]
    #[regex(r"[0-9](_?[0-9])*[eE][+-]?[0-9](_?[0-9])*[jJ]")]
    Imaginary,
    /// A string literal: prefix and opening quote matched here, the rest by [`scan_string`].
    #[regex(r#"([rRbBuUfF]|[rR][bBfF]|[bBfF][rR])?['"]"#, scan_string)]
    Str,
    #[token("(")]
    Lpar,
    #[token(")")]
    Rpar,
    #[token("[")]
    Lsqb,
    #[token("]")]
    Rsqb,
    #[token("{")]
    Lbrace,
    #[token("}")]
    Rbrace,
    #[token(":")]
    Colon,
    #[token(",")]
    Comma,
    #[token(";")]
    Semi,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("|")]
    Vbar,
    #[token("&")]
    Amper,
    #[token("<")]
    Less,
    #[token(">")]
    Greater,
    #[token("=")]
    Equal,
    #[token(".")]
    Dot,
    #[token("%")]
    Percent,
    #[token("==")]
    EqEqual,
    #[token("!=")]
    NotEqual,
    #[token("<=")]
    LessEqual,
    #[token(">=")]
    GreaterEqual,
    #[token("~")]
    Tilde,
    #[token("^")]
    Circumflex,
    #[token("<<")]
    LeftShift,
    #[token(">>")]
    RightShift,
    #[token("**")]
    DoubleStar,
    #[token("+=")]
    PlusEqual,
    #[token("-=")]
    MinEqual,
    #[token("*=")]
    StarEqual,
    #[token("/=")]
    SlashEqual,
    #[token("%=")]
    PercentEqual,
    #[token("&=")]
    AmperEqual,
    #[token("|=")]
    VbarEqual,
    #[token("^=")]
    CircumflexEqual,
    #[token("<<=")]
    LeftShiftEqual,
    #[token(">>=")]
    RightShiftEqual,
    #[token("**=")]
    DoubleStarEqual,
    #[token("//")]
    DoubleSlash,
    #[token("//=")]
    DoubleSlashEqual,
    #[token("@")]
    At,
    #[token("@=")]
    AtEqual,
    #[token("->")]
    Rarrow,
    #[token("...")]
    Ellipsis,
    #[token(":=")]
    ColonEqual,
}

/// Scans a string literal after its opening quote: finds the closing quote (or triple quote),
/// honouring backslashes, and bumps the lexer past it.
fn scan_string(lex: &mut logos::Lexer<Raw>) -> Result<(), RawError> {
    let quote = lex.slice().as_bytes()[lex.slice().len() - 1];
    let rest = lex.remainder().as_bytes();
    let triple = rest.len() >= 2 && rest[0] == quote && rest[1] == quote;
    let mut i = if triple { 2 } else { 0 };
    while i < rest.len() {
        let b = rest[i];
        if b == b'\\' {
            i += 2;
            continue;
        }
        if b == quote {
            if !triple {
                lex.bump(i + 1);
                return Ok(());
            }
            if rest.len() >= i + 3 && rest[i + 1] == quote && rest[i + 2] == quote {
                lex.bump(i + 3);
                return Ok(());
            }
        } else if !triple && (b == b'\n' || b == b'\r') {
            return Err(RawError::Unterminated { triple });
        }
        i += 1;
    }
    Err(RawError::Unterminated { triple })
}

/// The layout-aware token stream the parser consumes: `(start, token, end)` byte offsets.
pub struct Lexer<'s> {
    /// The whole program (for line numbers in messages).
    program: &'s str,
    /// The text being lexed: the program, or an f-string field's expression.
    source: &'s str,
    /// Offset of `source` inside the whole program (non-zero for f-string fields).
    base: usize,
    raw: logos::Lexer<'s, Raw>,
    /// Indentation stack: (column with tabs to multiples of 8, column with tabs as 1).
    indents: Vec<(usize, usize)>,
    /// Open brackets: the character and its span.
    brackets: Vec<(char, Span)>,
    /// Tokens decided but not yet handed out (DEDENTs before a token, the token itself).
    pending: std::collections::VecDeque<(usize, Tok, usize)>,
    /// True at the start of a logical line (no token on it yet).
    at_line_start: bool,
    /// Where the current physical line starts (after the last line break seen).
    line_start: usize,
    /// Inside an f-string field: the text is one expression, layout does not apply.
    expression_only: bool,
    /// Depths of the indentation stack (`indents.len()`) of the open `match` blocks: a line at
    /// exactly such a depth that starts with the word `case` is a `case` clause.
    match_blocks: Vec<usize>,
    /// A `match` statement's header was just emitted: the next INDENT opens its block.
    match_header: bool,
    done: bool,
}

pub type Spanned = (usize, Tok, usize);

impl<'s> Lexer<'s> {
    /// A lexer for a whole module.
    pub fn new(source: &'s str) -> Lexer<'s> {
        Lexer::with_base(source, source, 0, false)
    }

    /// A lexer for the expression text of an f-string field, at `span` of `program`: no
    /// NEWLINE/INDENT/DEDENT, newlines are ignored as inside brackets.
    pub fn expression(program: &'s str, span: Span) -> Lexer<'s> {
        let (a, b) = (span.start as usize, span.end as usize);
        Lexer::with_base(program, &program[a..b], a, true)
    }

    fn with_base(
        program: &'s str,
        source: &'s str,
        base: usize,
        expression_only: bool,
    ) -> Lexer<'s> {
        let mut raw = Raw::lexer(source);
        // A UTF-8 byte order mark at the start is not part of the program (as in CPython).
        if base == 0 && source.starts_with('\u{feff}') {
            raw.bump('\u{feff}'.len_utf8());
        }
        Lexer {
            program,
            source,
            base,
            raw,
            indents: vec![(0, 0)],
            brackets: Vec::new(),
            pending: std::collections::VecDeque::new(),
            at_line_start: true,
            line_start: 0,
            expression_only,
            match_blocks: Vec::new(),
            match_header: false,
            done: false,
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.base + start, self.base + end)
    }

    fn error(
        &self,
        kind: CompileErrorKind,
        message: impl Into<String>,
        span: Span,
    ) -> CompileError {
        CompileError {
            kind,
            message: message.into(),
            span,
        }
    }

    fn syntax(&self, message: impl Into<String>, start: usize, end: usize) -> CompileError {
        self.error(
            CompileErrorKind::SyntaxError,
            message,
            self.span(start, end),
        )
    }

    fn push(&mut self, start: usize, tok: Tok, end: usize) {
        self.pending
            .push_back((self.base + start, tok, self.base + end));
    }

    /// Reads raw tokens until at least one token is pending or the input ends.
    fn fill(&mut self) -> Result<(), CompileError> {
        while self.pending.is_empty() && !self.done {
            match self.raw.next() {
                None => self.finish()?,
                Some(Err(e)) => {
                    let r = self.raw.span();
                    return Err(self.raw_error(e, r.start, r.end));
                }
                Some(Ok(raw)) => {
                    let r = self.raw.span();
                    self.token(raw, r.start, r.end)?;
                }
            }
        }
        Ok(())
    }

    /// End of input: an unclosed bracket is an error; otherwise close the line and the blocks.
    fn finish(&mut self) -> Result<(), CompileError> {
        self.done = true;
        if let Some(&(open, span)) = self.brackets.first().filter(|_| !self.expression_only) {
            return Err(self.error(
                CompileErrorKind::SyntaxError,
                format!("'{open}' was never closed"),
                span,
            ));
        }
        let end = self.source.len();
        if self.expression_only {
            return Ok(());
        }
        if !self.at_line_start {
            self.push(end, Tok::Newline, end);
            self.at_line_start = true;
        }
        while self.indents.len() > 1 {
            self.indents.pop();
            self.push(end, Tok::Dedent, end);
        }
        Ok(())
    }

    fn raw_error(&self, e: RawError, start: usize, end: usize) -> CompileError {
        match e {
            RawError::Unterminated { triple } => {
                // CPython names the line where it gave up: the end of the file for a
                // triple-quoted string, the string's own line otherwise.
                let upto = if triple {
                    self.source.trim_end_matches(['\n', '\r']).len()
                } else {
                    start
                };
                let line = 1 + count_lines(&self.source[..upto]);
                let what = if triple {
                    "unterminated triple-quoted string literal"
                } else {
                    "unterminated string literal"
                };
                self.syntax(format!("{what} (detected at line {line})"), start, end)
            }
            RawError::Invalid => self.invalid_char(start, end),
        }
    }

    fn invalid_char(&self, start: usize, end: usize) -> CompileError {
        let c = self.source[start..].chars().next().unwrap_or(' ');
        let end = end.max(start + c.len_utf8());
        if c == '\\' {
            if self.source[start + 1..]
                .trim_end_matches([' ', '\t'])
                .is_empty()
            {
                return self.syntax("unexpected EOF while parsing", start, end);
            }
            // CPython points at the character after the backslash.
            return self.syntax(
                "unexpected character after line continuation character",
                start + 1,
                end.max(start + 2),
            );
        }
        if c == '\0' {
            return self.syntax("source code cannot contain null bytes", start, end);
        }
        if c.is_control() {
            return self.syntax(
                format!("invalid non-printable character U+{:04X}", c as u32),
                start,
                end,
            );
        }
        if c.is_ascii() {
            return self.syntax("invalid syntax", start, end);
        }
        self.syntax(
            format!("invalid character '{c}' (U+{:04X})", c as u32),
            start,
            end,
        )
    }

    /// Handles one raw token: layout first (NEWLINE, INDENT/DEDENT), then the token itself.
    fn token(&mut self, raw: Raw, start: usize, end: usize) -> Result<(), CompileError> {
        if raw == Raw::Newline {
            self.line_start = end;
            if self.brackets.is_empty() && !self.at_line_start && !self.expression_only {
                self.push(start, Tok::Newline, end);
                self.at_line_start = true;
            }
            return Ok(());
        }
        let first_of_line = self.at_line_start && !self.expression_only;
        if first_of_line {
            self.indentation(start)?;
            self.match_header = false;
        }
        self.at_line_start = false;
        let text = &self.source[start..end];
        let tok = match raw {
            Raw::Newline => return Ok(()),
            Raw::Name if first_of_line && matches!(text, "match" | "case") => {
                self.soft_keyword(text)
            }
            Raw::Name => token::keyword(text),
            Raw::Dec | Raw::Hex | Raw::Oct | Raw::Bin => self.int(raw, text, start, end)?,
            Raw::Float => self.float(text, start, end)?,
            Raw::Imaginary => Tok::Unsupported("complex numbers are"),
            Raw::Str if string_prefix(text).contains(['b', 'B']) => {
                Tok::Unsupported("bytes literals are")
            }
            Raw::Str => Tok::Str(strings::decode(self.source, self.base, start, end)?),
            Raw::Lpar | Raw::Lsqb | Raw::Lbrace => {
                let c = text.chars().next().unwrap_or('(');
                if self.brackets.len() >= MAX_BRACKET_DEPTH {
                    return Err(self.syntax("too many nested parentheses", start, end));
                }
                let span = self.span(start, end);
                self.brackets.push((c, span));
                token::punct(raw)
            }
            Raw::Rpar | Raw::Rsqb | Raw::Rbrace => {
                let c = text.chars().next().unwrap_or(')');
                self.close_bracket(c, start, end)?;
                token::punct(raw)
            }
            _ => token::punct(raw),
        };
        self.push(start, tok, end);
        Ok(())
    }

    fn close_bracket(&mut self, c: char, start: usize, end: usize) -> Result<(), CompileError> {
        let Some((open, open_span)) = self.brackets.pop() else {
            return Err(self.syntax(format!("unmatched '{c}'"), start, end));
        };
        let expected = match open {
            '(' => ')',
            '[' => ']',
            _ => '}',
        };
        if c == expected {
            return Ok(());
        }
        let here = self.span(start, end);
        let mut message =
            format!("closing parenthesis '{c}' does not match opening parenthesis '{open}'");
        if let Some(full) = self.full_source_lines(open_span, here) {
            message.push_str(&format!(" on line {full}"));
        }
        Err(self.error(CompileErrorKind::SyntaxError, message, here))
    }

    /// The line of `open` when it is on an earlier line than `here` (CPython mentions it then).
    fn full_source_lines(&self, open: Span, here: Span) -> Option<usize> {
        let (a, b) = (open.start as usize, here.start as usize);
        if count_lines(self.program.get(a..b)?) == 0 {
            return None;
        }
        Some(1 + count_lines(self.program.get(..a)?))
    }

    /// Emits INDENT or DEDENTs for the first token of a logical line, at byte `start`.
    fn indentation(&mut self, start: usize) -> Result<(), CompileError> {
        let line_start = self.line_start.min(start);
        let (mut col, mut alt) = (0usize, 0usize);
        for c in self.source[line_start..start].chars() {
            match c {
                ' ' => {
                    col += 1;
                    alt += 1;
                }
                '\t' => {
                    col = (col / 8 + 1) * 8;
                    alt += 1;
                }
                '\x0c' => {
                    col = 0;
                    alt = 0;
                }
                '\u{feff}' if line_start == 0 => {}
                // A continuation line (`\` on an otherwise blank line): not indentation.
                _ => return Ok(()),
            }
        }
        let tab_error = |lexer: &Self| {
            lexer.error(
                CompileErrorKind::TabError,
                "inconsistent use of tabs and spaces in indentation",
                lexer.span(start, start),
            )
        };
        let &(top, top_alt) = self.indents.last().unwrap_or(&(0, 0));
        if col == top {
            if alt != top_alt {
                return Err(tab_error(self));
            }
        } else if col > top {
            if alt <= top_alt {
                return Err(tab_error(self));
            }
            // `indents` holds the base level too, so its length is the new depth.
            if self.indents.len() >= MAX_INDENT_DEPTH {
                return Err(self.error(
                    CompileErrorKind::IndentationError,
                    "too many levels of indentation",
                    self.span(start, start),
                ));
            }
            self.indents.push((col, alt));
            self.push(start, Tok::Indent, start);
            if self.match_header {
                self.match_blocks.push(self.indents.len());
            }
        } else {
            while self.indents.len() > 1 && col < self.indents.last().map_or(0, |t| t.0) {
                self.indents.pop();
                self.push(start, Tok::Dedent, start);
            }
            while self
                .match_blocks
                .last()
                .is_some_and(|&d| d > self.indents.len())
            {
                self.match_blocks.pop();
            }
            let &(top, top_alt) = self.indents.last().unwrap_or(&(0, 0));
            if col != top {
                return Err(self.error(
                    CompileErrorKind::IndentationError,
                    "unindent does not match any outer indentation level",
                    self.span(start, start),
                ));
            }
            if alt != top_alt {
                return Err(tab_error(self));
            }
        }
        Ok(())
    }

    /// The token for `match` or `case` as the first word of a logical line.
    ///
    /// Python's PEG parser tries a `match` statement first and backtracks; an LR(1) grammar
    /// cannot, so the decision is made here from the line's shape:
    /// - `match` starts a statement when its logical line has more tokens and ends, outside
    ///   brackets, with a `:`. No other statement beginning with a name ends with a colon
    ///   (`match: int = 3`, `match(x)`, `match = 3`, `match.group(1)` do not), so this is
    ///   exactly where Python's grammar can accept a `match` statement.
    /// - `case` starts a clause when its line is directly inside a `match` block (at the
    ///   indentation the block opened with): only `case` clauses may stand there, and a
    ///   clause's body may follow its colon on the same line (`case 1: x += 1`).
    ///
    /// Limits: the look-ahead reads the rest of the line again (once per line that starts with
    /// the word `match`), and a line that would only be valid as a `match` statement but is
    /// not one gets the grammar's error, as in CPython.
    fn soft_keyword(&mut self, word: &str) -> Tok {
        if word == "case" {
            if self.match_blocks.last() == Some(&self.indents.len()) {
                return Tok::Case;
            }
            return Tok::Name(word.to_string());
        }
        if self.line_ends_with_colon() {
            self.match_header = true;
            return Tok::Match;
        }
        Tok::Name(word.to_string())
    }

    /// Whether the rest of the current logical line has at least one token and ends, outside
    /// brackets, with `:` (read with a copy of the raw lexer; nothing is consumed).
    fn line_ends_with_colon(&self) -> bool {
        let ahead = self.raw.clone();
        let mut depth = 0usize;
        let mut last = None;
        for tok in ahead {
            let Ok(tok) = tok else {
                return false;
            };
            match tok {
                Raw::Newline if depth == 0 => break,
                Raw::Newline => continue,
                Raw::Lpar | Raw::Lsqb | Raw::Lbrace => depth += 1,
                Raw::Rpar | Raw::Rsqb | Raw::Rbrace => depth = depth.saturating_sub(1),
                _ => {}
            }
            last = Some((tok, last.map_or(0, |(_, n)| n) + 1));
        }
        matches!(last, Some((Raw::Colon, n)) if n >= 2 && depth == 0)
    }

    fn int(&self, raw: Raw, text: &str, start: usize, end: usize) -> Result<Tok, CompileError> {
        let digits: String = text.chars().filter(|&c| c != '_').collect();
        let (radix, body) = match raw {
            Raw::Hex => (16, &digits[2..]),
            Raw::Oct => (8, &digits[2..]),
            Raw::Bin => (2, &digits[2..]),
            _ => (10, &digits[..]),
        };
        if radix == 10 && body.len() > 1 && body.starts_with('0') && body.bytes().any(|b| b != b'0')
        {
            return Err(self.syntax(
                "leading zeros in decimal integer literals are not permitted; \
                 use an 0o prefix for octal integers",
                start,
                start + 1,
            ));
        }
        match i64::from_str_radix(body, radix) {
            Ok(v) => Ok(Tok::Int(v)),
            Err(_) => match num_bigint::BigUint::parse_bytes(body.as_bytes(), radix) {
                Some(b) => Ok(Tok::BigInt(b.to_str_radix(10))),
                None => Err(self.syntax("invalid integer literal", start, end)),
            },
        }
    }

    fn float(&self, text: &str, start: usize, end: usize) -> Result<Tok, CompileError> {
        let digits: String = text.chars().filter(|&c| c != '_').collect();
        match digits.parse::<f64>() {
            Ok(v) => Ok(Tok::Float(v)),
            Err(_) => Err(self.syntax("invalid float literal", start, end)),
        }
    }
}

impl Iterator for Lexer<'_> {
    type Item = Result<Spanned, CompileError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Err(e) = self.fill() {
            // Stop after the first error: no cascades.
            self.done = true;
            self.pending.clear();
            return Some(Err(e));
        }
        self.pending.pop_front().map(Ok)
    }
}

/// The prefix letters of a string literal (`rb` in `rb'x'`).
fn string_prefix(literal: &str) -> &str {
    &literal[..literal.find(['\'', '"']).unwrap_or(0)]
}

/// Number of line breaks in `text` (`\r\n` counts once).
pub fn count_lines(text: &str) -> usize {
    let b = text.as_bytes();
    let mut n = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests;
