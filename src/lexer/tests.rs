//! Lexer unit tests: source in, a compact token rendering (or the first error) out.

use super::{FPiece, Lexer, StrTok, Tok};

/// Renders the tokens of `src`: names and numbers as themselves, strings in Rust debug form,
/// layout tokens as `NL`, `IN`, `DE`; an error as `ERROR Kind: message @start..end`.
fn render(src: &str) -> String {
    let mut out = Vec::new();
    for t in Lexer::new(src) {
        match t {
            Ok((_, tok, _)) => out.push(token(&tok)),
            Err(e) => {
                out.push(format!(
                    "ERROR {}: {} @{}..{}",
                    e.kind.name(),
                    e.message,
                    e.span.start,
                    e.span.end
                ));
                break;
            }
        }
    }
    out.join(" ")
}

fn token(tok: &Tok) -> String {
    match tok {
        Tok::Name(n) => n.clone(),
        Tok::Int(v) => v.to_string(),
        Tok::BigInt(v) => format!("big:{v}"),
        Tok::Float(v) => format!("{v:?}"),
        Tok::Str(StrTok::Plain(s)) => format!("{s:?}"),
        Tok::Str(StrTok::Format(pieces)) => format!("f[{}]", fpieces(pieces)),
        Tok::Unsupported(what) => format!("!{what}"),
        Tok::Newline => "NL".into(),
        Tok::Indent => "IN".into(),
        Tok::Dedent => "DE".into(),
        other => format!("{other:?}"),
    }
}

fn fpieces(pieces: &[FPiece]) -> String {
    let v: Vec<String> = pieces
        .iter()
        .map(|p| match p {
            FPiece::Literal(s) => format!("{s:?}"),
            FPiece::Field(f) => {
                let mut s = format!("{{{}..{}", f.expr.start, f.expr.end);
                if let Some(d) = &f.debug {
                    s.push_str(&format!(" debug={d:?}"));
                }
                if let Some(c) = f.conversion {
                    s.push_str(&format!(" !{c}"));
                }
                if !f.spec.is_empty() {
                    s.push_str(&format!(" :{}", fpieces(&f.spec)));
                }
                s.push('}');
                s
            }
        })
        .collect();
    v.join(" ")
}

fn check(src: &str, expected: &str) {
    assert_eq!(render(src), expected, "\nsource: {src:?}");
}

#[test]
fn layout() {
    check("x = 1\n", "x Equal 1 NL");
    check("x", "x NL");
    check("if a:\n  b\nc\n", "If a Colon NL IN b NL DE c NL");
    check(
        "if a:\n  if b:\n    c\nd",
        "If a Colon NL IN If b Colon NL IN c NL DE DE d NL",
    );
    check("if a:\n  b\n", "If a Colon NL IN b NL DE");
    check("\n\n# c\n  # indented comment\nx\n\n", "x NL");
    check("f(1,\n      2)\n", "f Lpar 1 Comma 2 Rpar NL");
    check("x = [\n1,\n]\n", "x Equal Lsqb 1 Comma Rsqb NL");
    check("x = 1 + \\\n  2\n", "x Equal 1 Plus 2 NL");
    check("x\r\ny\r", "x NL y NL");
    check("if a:\n\tb\n\tc\n", "If a Colon NL IN b NL c NL DE");
    check("if a:\n        b\n\tc\n", "If a Colon NL IN b NL ERROR TabError: inconsistent use of tabs and spaces in indentation @17..17");
    check(
        "if a:\n    b\n  c\n",
        "If a Colon NL IN b NL ERROR IndentationError: unindent does not match any outer indentation level @14..14",
    );
    check("", "");
}

#[test]
fn brackets() {
    check("(]", "Lpar ERROR SyntaxError: closing parenthesis ']' does not match opening parenthesis '(' @1..2");
    check(
        "(\n]",
        "Lpar ERROR SyntaxError: closing parenthesis ']' does not match opening parenthesis '(' on line 1 @2..3",
    );
    check("x)", "x ERROR SyntaxError: unmatched ')' @1..2");
    check(
        "x = {\n",
        "x Equal Lbrace ERROR SyntaxError: '{' was never closed @4..5",
    );
    let deep = "(".repeat(201);
    assert!(render(&deep).ends_with("ERROR SyntaxError: too many nested parentheses @200..201"));
    let ok = format!("{}{}", "(".repeat(200), ")".repeat(200));
    assert!(!render(&ok).contains("ERROR"));
}

#[test]
fn numbers() {
    check("0 7 1_000 0xFF 0o17 0b1_01", "0 7 1000 255 15 5 NL");
    check(
        "1.5 1e-6 .5 1_000.5 1. 1E+3",
        "1.5 1e-6 0.5 1000.5 1.0 1000.0 NL",
    );
    check("00 0_0", "0 0 NL");
    check("9223372036854775807", "9223372036854775807 NL");
    check("9223372036854775808", "big:9223372036854775808 NL");
    check("0x1_0000_0000_0000_0000", "big:18446744073709551616 NL");
    check("x.y", "x Dot y NL");
    check("a...", "a Ellipsis NL");
}

#[test]
fn keywords_and_operators() {
    check("not in is", "Not In Is NL");
    check(
        "a //= b ** c -> d := e",
        "a DoubleSlashEqual b DoubleStar c Rarrow d ColonEqual e NL",
    );
    check(
        "<<= >>= != == <= >=",
        "LeftShiftEqual RightShiftEqual NotEqual EqEqual LessEqual GreaterEqual NL",
    );
    check("class yield", "Class Yield NL");
    check("héllo = 1", "héllo Equal 1 NL");
    check("_private __dunder__", "_private __dunder__ NL");
}

#[test]
fn strings() {
    check(r#"'a' "b""#, r#""a" "b" NL"#);
    check(r"'\x41\u00e9\U0001F600\101\0'", r#""Aé😀A\0" NL"#);
    check(r"'\a\b\f\v\r'", r#""\u{7}\u{8}\u{c}\u{b}\r" NL"#);
    check("'''a\n'b'\n'''", r#""a\n'b'\n" NL"#);
    check("'a\\\nb'", r#""ab" NL"#);
    check(r"r'\n' R'\''", r#""\\n" "\\'" NL"#);
    check("u'x'", r#""x" NL"#);
    check("b'x' rb'x'", "!bytes literals are !bytes literals are NL");
    check(
        "'abc",
        "ERROR SyntaxError: unterminated string literal (detected at line 1) @0..1",
    );
    check(
        "x = '''abc\n\n",
        "x Equal ERROR SyntaxError: unterminated triple-quoted string literal (detected at line 1) @4..5",
    );
    check(
        r"'\x4'",
        r"ERROR SyntaxError: (unicode error) 'unicodeescape' codec can't decode bytes in position 0-2: truncated \xXX escape @1..4",
    );
    check(
        r"'\ud800'",
        "ERROR SyntaxError: lone surrogates in string literals are not supported by gilvm @1..7",
    );
    check(
        r"'\N{DASH}'",
        r"ERROR SyntaxError: \N{...} escapes are not supported by gilvm @1..3",
    );
}

#[test]
fn fstrings() {
    check("f'a{x}b'", r#"f["a" {4..5} "b"] NL"#);
    check("f'{x!r:>{w}}'", r#"f[{3..4 !r :">" {9..10}}] NL"#);
    check("f'{{{x}}}'", r#"f["{" {5..6} "}"] NL"#);
    check("f'{x = }'", r#"f[{3..5 debug="x = " !r}] NL"#);
    check("f'{x=:>4}'", r#"f[{3..4 debug="x=" :">4"}] NL"#);
    check("f'{a[\"}\"]}'", r#"f[{3..9}] NL"#);
    check("f'{a!=b}'", r#"f[{3..7}] NL"#);
    check(r"f'\n{x}\t'", r#"f["\n" {5..6} "\t"] NL"#);
    check(
        "f'{}'",
        "ERROR SyntaxError: f-string: empty expression not allowed @3..4",
    );
    check("f'{x'", "ERROR SyntaxError: f-string: expecting '}' @2..3");
    check(
        "f'}'",
        "ERROR SyntaxError: f-string: single '}' is not allowed @2..3",
    );
    check("f'{x!}'", "ERROR SyntaxError: f-string: invalid conversion character: expected 's', 'r', or 'a' @5..6");
    check(
        "f'{x!rr}'",
        "ERROR SyntaxError: f-string: expecting '}' @6..7",
    );
    check(
        "f'{a#b}'",
        "ERROR SyntaxError: f-string expression part cannot include '#' @4..5",
    );
    check(
        r"f'{a\n}'",
        "ERROR SyntaxError: f-string expression part cannot include a backslash @4..5",
    );
    check(
        "f'{x:{y:{z}}}'",
        "ERROR SyntaxError: f-string: expressions nested too deeply @8..9",
    );
    check(
        "f'{x)}'",
        "ERROR SyntaxError: f-string: unmatched ')' @4..5",
    );
}

#[test]
fn invalid_characters() {
    check("a $ b", "a ERROR SyntaxError: invalid syntax @2..3");
    check("a ? b", "a ERROR SyntaxError: invalid syntax @2..3");
    check(
        "a → b",
        "a ERROR SyntaxError: invalid character '→' (U+2192) @2..5",
    );
    check(
        "a \u{1} b",
        "a ERROR SyntaxError: invalid non-printable character U+0001 @2..3",
    );
    check(
        "a \0 b",
        "a ERROR SyntaxError: source code cannot contain null bytes @2..3",
    );
    check(
        "a \\ b",
        "a ERROR SyntaxError: unexpected character after line continuation character @3..4",
    );
    check(
        "a \\",
        "a ERROR SyntaxError: unexpected EOF while parsing @2..3",
    );
}

#[test]
fn indentation_limit() {
    let mut src = String::new();
    for i in 0..100 {
        src.push_str(&" ".repeat(i));
        src.push_str("if x:\n");
    }
    src.push_str(&" ".repeat(100));
    src.push_str("pass\n");
    assert!(
        render(&src)
            .ends_with("ERROR IndentationError: too many levels of indentation @5650..5650"),
        "{}",
        render(&src)
    );
}

#[test]
fn soft_keywords_match_and_case() {
    // A `match` line ending with a colon (outside brackets) starts a statement; `case` is a
    // keyword at the start of a line directly inside its block.
    check(
        "match x:\n  case 1: y\n  case (a,\n    b): z\n",
        "Match x Colon NL IN Case 1 Colon y NL Case Lpar a Comma b Rpar Colon z NL DE",
    );
    // Elsewhere they are names: not ending with a colon, an annotation, inside the body.
    check("match(x)\n", "match Lpar x Rpar NL");
    check("match = {1: 2}\n", "match Equal Lbrace 1 Colon 2 Rbrace NL");
    check("match[a]: int\n", "match Lsqb a Rsqb Colon int NL");
    check("case = 1\n", "case Equal 1 NL");
    check(
        "match x:\n  case 1:\n    case = match\n",
        "Match x Colon NL IN Case 1 Colon NL IN case Equal match NL DE DE",
    );
    // A nested `match` block closes before the outer one's next `case`.
    check(
        "match x:\n  case 1:\n    match y:\n      case 2: a\n  case 3: b\ncase\n",
        "Match x Colon NL IN Case 1 Colon NL IN Match y Colon NL IN Case 2 Colon a NL DE DE \
         Case 3 Colon b NL DE case NL",
    );
    // Inside an f-string field `match` is always a name.
    check("f'{match}'\n", "f[{3..8}] NL");
}
