//! Turns lalrpop's parse errors (a token and the set of terminals it expected) into the
//! messages a Python user knows: `expected ':'`, `unexpected indent`,
//! `expected an indented block after 'if' statement on line 3`, `invalid syntax`, ...
//!
//! Never shows grammar terminal names. To find the context of an error (which statement header
//! it is in, whether it is inside brackets) the source is lexed again up to the error; errors
//! are rare, so this costs nothing on the happy path.

use lalrpop_util::ParseError;

use crate::ast::Span;
use crate::error::{CompileError, CompileErrorKind};
use crate::lexer::{count_lines, Lexer, Spanned, Tok};

/// Converts a parse error into a compile error with a Python-style message.
///
/// `field` is the span of an f-string field's expression when the error is inside one.
pub fn friendly(
    source: &str,
    field: Option<Span>,
    err: ParseError<usize, Tok, CompileError>,
) -> CompileError {
    match err {
        ParseError::User { error } => error,
        ParseError::InvalidToken { location } => syntax("invalid syntax", location, location),
        ParseError::UnrecognizedEof { location, expected } => {
            unexpected(source, field, None, location, location, &expected)
        }
        ParseError::UnrecognizedToken {
            token: (l, tok, r),
            expected,
        } => unexpected(source, field, Some(&tok), l, r, &expected),
        ParseError::ExtraToken { token: (l, _, r) } => syntax("invalid syntax", l, r),
    }
}

fn syntax(message: impl Into<String>, l: usize, r: usize) -> CompileError {
    CompileError::syntax(message, Span::new(l, r))
}

fn indentation(message: impl Into<String>, l: usize, r: usize) -> CompileError {
    CompileError {
        kind: CompileErrorKind::IndentationError,
        message: message.into(),
        span: Span::new(l, r),
    }
}

/// What the tokens before the error say about where it is.
struct Context {
    /// The tokens of the program before the error.
    tokens: Vec<Spanned>,
    /// Index in `tokens` of the first token of the logical line the error is in.
    line_start: usize,
    /// Brackets open at the error.
    depth: usize,
    /// The innermost open bracket at the error, if any.
    innermost: Option<Tok>,
}

impl Context {
    fn new(source: &str, field: Option<Span>, at: usize) -> Context {
        let mut tokens = Vec::new();
        let lexer = match field {
            Some(f) => Lexer::expression(source, f),
            None => Lexer::new(source),
        };
        for t in lexer {
            match t {
                Ok(t) if t.0 < at || (t.0 == at && matches!(t.1, Tok::Newline)) => tokens.push(t),
                _ => break,
            }
        }
        // Drop a trailing NEWLINE at the error itself: it is the unexpected token.
        if tokens.last().is_some_and(|t| t.0 >= at) {
            tokens.pop();
        }
        let line_start = tokens
            .iter()
            .rposition(|t| matches!(t.1, Tok::Newline | Tok::Indent | Tok::Dedent))
            .map_or(0, |i| i + 1);
        // A field's expression is parsed as if in parentheses, as CPython does.
        let mut open = Vec::new();
        for t in &tokens[line_start..] {
            match t.1 {
                Tok::Lpar | Tok::Lsqb | Tok::Lbrace => open.push(t.1.clone()),
                Tok::Rpar | Tok::Rsqb | Tok::Rbrace => {
                    open.pop();
                }
                _ => {}
            }
        }
        let depth = open.len() + usize::from(field.is_some());
        let innermost = open.pop();
        Context {
            tokens,
            line_start,
            depth,
            innermost,
        }
    }

    /// The first token of the logical line containing the error.
    fn head(&self) -> Option<&Tok> {
        self.tokens.get(self.line_start).map(|t| &t.1)
    }

    fn previous(&self) -> Option<&Spanned> {
        self.tokens.last()
    }

    /// For an error right after a header line (`if x:` NEWLINE): that header's first token.
    fn header_before_newline(&self) -> Option<&Spanned> {
        let nl = self.tokens.iter().rposition(|t| t.1 == Tok::Newline)?;
        let start = self.tokens[..nl]
            .iter()
            .rposition(|t| matches!(t.1, Tok::Newline | Tok::Indent | Tok::Dedent))
            .map_or(0, |i| i + 1);
        self.tokens.get(start)
    }
}

fn unexpected(
    source: &str,
    field: Option<Span>,
    tok: Option<&Tok>,
    l: usize,
    r: usize,
    expected: &[String],
) -> CompileError {
    let expects = |t: &str| expected.iter().any(|e| e == t);
    if let Some(Tok::Unsupported(what)) = tok {
        return syntax(format!("{what} not supported by gilvm"), l, r);
    }
    if tok == Some(&Tok::ColonEqual) {
        return syntax(
            "assignment expressions (':=') are not supported by gilvm",
            l,
            r,
        );
    }
    if tok == Some(&Tok::Indent) {
        return indentation("unexpected indent", l, r);
    }
    let ctx = Context::new(source, field, l);
    if expected.len() == 1 && expects("Indent") {
        let (what, line) = match ctx.header_before_newline() {
            Some((hl, t, _)) => (block_name(t), 1 + count_lines(&source[..*hl])),
            None => ("statement".to_string(), 1),
        };
        return indentation(
            format!("expected an indented block after {what} on line {line}"),
            l,
            r,
        );
    }
    if expects("\"except\"") && expects("\"finally\"") {
        return syntax("expected 'except' or 'finally' block", l, r);
    }
    if tok == Some(&Tok::Dedent) {
        return indentation("unexpected unindent", l, r);
    }
    let head = ctx.head().cloned();
    let after = |t: Tok| ctx.previous().is_some_and(|p| p.1 == t);
    if tok == Some(&Tok::Star) && after(Tok::Except) {
        return syntax(
            "'except*' (exception groups) is not supported by gilvm",
            l,
            r,
        );
    }
    if tok == Some(&Tok::As) && head == Some(Tok::With) && ctx.depth > 0 {
        return syntax(
            "'as' inside parenthesized with-items is not supported by gilvm; \
             write 'with a as x, b as y:'",
            l,
            r,
        );
    }
    let in_header = matches!(
        head,
        Some(
            Tok::If
                | Tok::Elif
                | Tok::Else
                | Tok::While
                | Tok::For
                | Tok::Try
                | Tok::Except
                | Tok::Finally
                | Tok::With
                | Tok::Def
                | Tok::Class
                | Tok::Match
                | Tok::Case
        )
    );
    if tok == Some(&Tok::Equal) && matches!(head, Some(Tok::If | Tok::Elif | Tok::While)) {
        return syntax(
            "invalid syntax. Maybe you meant '==' or ':=' instead of '='?",
            l,
            r,
        );
    }
    if head == Some(Tok::For) && ctx.depth == 0 && expects("\"in\"") {
        return syntax("expected 'in'", l, r);
    }
    if in_header && ctx.depth == 0 && expects("\":\"") {
        return syntax("expected ':'", l, r);
    }
    if expects("\"else\"") && expected.len() <= 2 {
        return syntax("expected 'else' after 'if' expression", l, r);
    }
    if expects("\"import\"") && head == Some(Tok::From) {
        return syntax("expected 'import'", l, r);
    }
    if let (Some(Tok::Name(n)), true) = (head.as_ref(), ctx.tokens.len() == ctx.line_start + 1) {
        if (n == "print" || n == "exec") && tok.is_some_and(starts_expression) {
            let start = ctx.previous().map_or(l, |p| p.0);
            return syntax(
                format!("Missing parentheses in call to '{n}'. Did you mean {n}(...)?"),
                start,
                r,
            );
        }
    }
    if ctx.depth > 0 && expects("\",\"") && tok.is_some_and(starts_expression) {
        return syntax("invalid syntax. Perhaps you forgot a comma?", l, r);
    }
    if ctx.innermost == Some(Tok::Lbrace)
        && expects("\":\"")
        && matches!(tok, Some(Tok::Comma | Tok::Rbrace))
    {
        return syntax("':' expected after dictionary key", l, r);
    }
    if matches!(head, Some(Tok::Import | Tok::From)) && expects("Name") {
        return syntax("expected a name", l, r);
    }
    // CPython words every other error in a pattern, and a `match` block without a `case`,
    // as plain invalid syntax.
    if head == Some(Tok::Case) || (!expected.is_empty() && expected.iter().all(|e| e == "\"case\""))
    {
        return syntax("invalid syntax", l, r);
    }
    if let [only] = expected {
        if only == "Name" {
            return syntax("expected a name", l, r);
        }
        if let Some(word) = only.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
            return syntax(format!("expected '{word}'"), l, r);
        }
    }
    // `yield` may start the right-hand side of an assignment too.
    let generic = if expects("Name")
        && expected
            .iter()
            .all(|e| expression_terminal(e) || e == "\"yield\"")
    {
        "expected an expression"
    } else {
        "invalid syntax"
    };
    syntax(generic, l, r)
}

/// How CPython names a block header in "expected an indented block after ...".
fn block_name(t: &Tok) -> String {
    let kw = match t {
        Tok::Def => return "function definition".to_string(),
        Tok::Class => return "class definition".to_string(),
        Tok::If => "if",
        Tok::Elif => "elif",
        Tok::Else => "else",
        Tok::While => "while",
        Tok::For => "for",
        Tok::Try => "try",
        Tok::Except => "except",
        Tok::Finally => "finally",
        Tok::With => "with",
        Tok::Match => "match",
        Tok::Case => "case",
        _ => return "statement".to_string(),
    };
    format!("'{kw}' statement")
}

/// Whether a token can start an expression.
fn starts_expression(t: &Tok) -> bool {
    matches!(
        t,
        Tok::Name(_)
            | Tok::Int(_)
            | Tok::Float(_)
            | Tok::Str(_)
            | Tok::True
            | Tok::False
            | Tok::None
            | Tok::Lpar
            | Tok::Lsqb
            | Tok::Lbrace
            | Tok::Minus
            | Tok::Plus
            | Tok::Tilde
            | Tok::Not
            | Tok::Lambda
    )
}

/// Whether a grammar terminal (as lalrpop names it) can start an expression.
fn expression_terminal(name: &str) -> bool {
    matches!(
        name,
        "Name"
            | "Int"
            | "Float"
            | "Str"
            | "\"True\""
            | "\"False\""
            | "\"None\""
            | "\"(\""
            | "\"[\""
            | "\"{\""
            | "\"-\""
            | "\"+\""
            | "\"~\""
            | "\"not\""
            | "\"lambda\""
            | "\"*\""
            | "\"...\""
    )
}
