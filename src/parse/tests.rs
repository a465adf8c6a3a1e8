//! Parser unit tests: source in, compact S-expression (see [`super::sexp`]) or error out.

use std::cell::RefCell;
use std::io::Write;
use std::process::{Command, Stdio};

use super::parse_module;
use super::sexp;

thread_local! {
    /// When set, `check` and `check_err` record their sources here for the Python oracle:
    /// (source, whether CPython must accept it).
    static ORACLE: RefCell<Option<Vec<(String, bool)>>> = const { RefCell::new(None) };
}

fn record(src: &str, valid: bool) {
    ORACLE.with(|o| {
        if let Some(v) = o.borrow_mut().as_mut() {
            v.push((src.to_string(), valid));
        }
    });
}

/// Parses `src` and compares its rendering with `expected` (leading/trailing blank lines and
/// the common indentation of `expected` are ignored).
fn check(src: &str, expected: &str) {
    record(src, true);
    let actual = match parse_module(src) {
        Ok(m) => sexp::module(&m),
        Err(e) => format!("ERROR {}: {}", e.kind.name(), e.message),
    };
    let expected = dedent(expected);
    assert_eq!(
        actual.trim_end(),
        expected.trim_end(),
        "\nsource:\n{src}\nexpected:\n{expected}\nactual:\n{actual}"
    );
}

/// Parses `src`, expecting an error rendered as `Kind: message @line:col`.
fn check_err(src: &str, expected: &str) {
    // Valid Python that gilvm rejects by design must still be valid for CPython.
    let by_design = ["not supported by gilvm", "for gilvm", "too deeply nested"];
    record(src, by_design.iter().any(|m| expected.contains(m)));
    let actual = match parse_module(src) {
        Ok(m) => format!("OK\n{}", sexp::module(&m)),
        Err(e) => {
            let start = e.span.start as usize;
            let line = 1 + crate::lexer::count_lines(&src[..start]);
            let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
            let col = 1 + src[line_start..start].chars().count();
            format!("{}: {} @{line}:{col}", e.kind.name(), e.message)
        }
    };
    assert_eq!(actual, expected, "\nsource:\n{src}");
}

fn dedent(text: &str) -> String {
    let lines: Vec<&str> = text.lines().skip_while(|l| l.trim().is_empty()).collect();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for l in lines {
        out.push_str(l.get(indent..).unwrap_or(""));
        out.push('\n');
    }
    out
}

#[test]
fn precedence() {
    check("a + b * c\n", "(+ a (* b c))");
    check("-2 ** 2\n", "(neg (** 2 2))");
    check("a ** b ** c\n", "(** a (** b c))");
    check("a ** -b\n", "(** a (neg b))");
    check("a - b - c\n", "(- (- a b) c)");
    check("not a == b\n", "(not (cmp a == b))");
    check("a or b and not c\n", "(or a (and b (not c)))");
    check("a and b and c\n", "(and a b c)");
    check("(a and b) and c\n", "(and (and a b) c)");
    check(
        "a | b ^ c & d << e + f\n",
        "(| a (^ b (& c (<< d (+ e f)))))",
    );
    check("a < b <= c != d\n", "(cmp a < b <= c != d)");
    check(
        "a in b not in c is d is not e\n",
        "(cmp a in b not-in c is d is-not e)",
    );
    check("x if c else y if d else z\n", "(if c x (if d y z))");
    check("lambda: x if c else y\n", "(lambda () (if c x y))");
    check("a // b % c @ d / e\n", "(/ (@ (% (// a b) c) d) e)");
    check("~a >> 1\n", "(>> (~ a) 1)");
}

#[test]
fn atoms() {
    check("1_000\n", "1000");
    check("0x_ff + 0o17 + 0b101\n", "(+ (+ 255 15) 5)");
    check(
        "1.5; 1e-6; .5; 1_000.5; 1.; 2E3\n",
        "1.5\n1e-6\n0.5\n1000.5\n1.0\n2000.0",
    );
    check("True, False, None\n", "(tuple True False None)");
    check("()\n", "(tuple)");
    check("(1,)\n", "(tuple 1)");
    check("(1)\n", "1");
    check("[]\n", "[]");
    check("[1, 2,]\n", "[1 2]");
    check("{}\n", "{}");
    check("{1: 2, 'a': b,}\n", "{1: 2, \"a\": b}");
    check("[*a, b]\n", "[*a b]");
    check("9223372036854775807\n", "9223372036854775807");
}

#[test]
fn strings() {
    check(r#"'a' "b" '''c''' """d""""#, r#""abcd""#);
    check(r"'\n\t\\\'\x41\u00e9\0\101'", r#""\n\t\\'Aé\0A""#);
    check(r"r'\n\x'", r#""\\n\\x""#);
    check("'a\\\nb'\n", r#""ab""#);
    check("'''a\nb'''\n", r#""a\nb""#);
    check(r"'\d'", r#""\\d""#);
}

#[test]
fn fstrings() {
    check("f'a{x}b'\n", r#"(f "a" {x} "b")"#);
    check("f'{x!r} {y!s:>10}'\n", r#"(f {x!r} " " {y!s:">10"})"#);
    check("f'{x:{w}.{p}f}'\n", r#"(f {x:{w} "." {p} "f"})"#);
    check("f'{{}}{x}'\n", r#"(f "{}" {x})"#);
    check("'a' f'{x}' 'b'\n", r#"(f "a" {x} "b")"#);
    check("F\"{a + b * 2:,}\"\n", r#"(f {(+ a (* b 2)):","})"#);
    check("rf'\\n{x}'\n", r#"(f "\\n" {x})"#);
    check("f'{x=}'\n", r#"(f "x=" {x!r})"#);
    check("f'{d[\"k\"]}'\n", r#"(f {([] d "k")})"#);
    check("f'''{\nx\n}'''\n", "(f {x})");
    check("f'{a, b}'\n", "(f {(tuple a b)})");
    check("f'{x!r:^{w}}'\n", r#"(f {x!r:"^" {w}})"#);
    check("f'{f\"{x}\"}'\n", "(f {(f {x})})");
    check("f'{x != y}'\n", "(f {(cmp x != y)})");
}

#[test]
fn calls_and_trailers() {
    check("f(x, key=1)\n", "(call f x key=1)");
    check("f(*args, k=v,)\n", "(call f *args k=v)");
    check("sum(x for x in y)\n", "(call sum (genexp x (for x y)))");
    check("a.b.c(d)[e]\n", "([] (call (. (. a b) c) d) e)");
    check("a[1:2]\n", "([] a (slice 1 2 _))");
    check("a[::2]\n", "([] a (slice _ _ 2))");
    check("a[:]\n", "([] a (slice _ _ _))");
    check("a[i, j]\n", "([] a (tuple i j))");
    check("a[1:2, 3]\n", "([] a (tuple (slice 1 2 _) 3))");
    check("f()()\n", "(call (call f))");
}

#[test]
fn comprehensions() {
    check(
        "[x for x in y if c for z in w]\n",
        "(listcomp x (for x y (if c)) (for z w))",
    );
    check(
        "(x for x, y in z if a if b)\n",
        "(genexp x (for (tuple x y) z (if a) (if b)))",
    );
    check(
        "[lambda: x for x in y]\n",
        "(listcomp (lambda () x) (for x y))",
    );
}

#[test]
fn assignments() {
    check("a = b = 1\n", "a = b = 1");
    check("a, b = b, a\n", "(tuple a b) = (tuple b a)");
    check("(a, b), c = x\n", "(tuple (tuple a b) c) = x");
    check("[a, *b] = x\n", "[a *b] = x");
    check("x.y[0] = 1\n", "([] (. x y) 0) = 1");
    check(
        "a += 1; b -= 1; c *= 1; d /= 1; e //= 1; f %= 1; g **= 1\n",
        "a += 1\nb -= 1\nc *= 1\nd /= 1\ne //= 1\nf %= 1\ng **= 1",
    );
    check(
        "a &= 1; b |= 1; c ^= 1; d <<= 1; e >>= 1\n",
        "a &= 1\nb |= 1\nc ^= 1\nd <<= 1\ne >>= 1",
    );
    check("x = yield_ = 1,\n", "x = yield_ = (tuple 1)");
    check("x = yield a, b\n", "x = (yield (tuple a b))");
    check("y = (yield)\n", "y = (yield)");
    check("yield from g\n", "(yield-from g)");
}

#[test]
fn compound_statements() {
    check(
        "if a:\n    x = 1\nelif b:\n    pass\nelse:\n    y\n",
        "
        if a
          x = 1
        else
          if b
            pass
          else
            y
        ",
    );
    check(
        "while x: x -= 1\nelse: done()\n",
        "
        while x
          x -= 1
        else
          (call done)
        ",
    );
    check(
        "for i, v in enumerate(xs):\n    if v: break\n    continue\nelse:\n    pass\n",
        "
        for (tuple i v) in (call enumerate xs)
          if v
            break
          continue
        else
          pass
        ",
    );
    check(
        "try:\n  f()\nexcept (A, B) as e:\n  raise X from e\nexcept C:\n  raise\nexcept:\n  pass\nelse:\n  g()\nfinally:\n  h()\n",
        "
        try
          (call f)
        except (tuple A B) as e
          raise X from e
        except C
          raise
        except
          pass
        else
          (call g)
        finally
          (call h)
        ",
    );
    check("with (a, b,): pass\n", "with a, b\n  pass");
    check("with (a, b) as c: pass\n", "with (tuple a b) as c\n  pass");
    check("with ((a, b)): pass\n", "with (tuple a b)\n  pass");
    check("with (a, b), c: pass\n", "with (tuple a b), c\n  pass");
    check(
        "with a as x, b as (y, z), c:\n    pass\n",
        "
        with a as x, b as (tuple y z), c
          pass
        ",
    );
}

#[test]
fn functions() {
    check(
        "def f(a, b=1, *args, c, d=2):\n    global g\n    nonlocal h, i\n    return a, b\n",
        "
        def f(a b=1 *args c d=2)
          global g
          nonlocal h, i
          return (tuple a b)
        ",
    );
    check("def f(a, *, b,): return\n", "def f(a * b)\n  return");
    check(
        "g = lambda x, y=2, *r, k: x\n",
        "g = (lambda (x y=2 *r k) x)",
    );
    check("lambda *, k=1: k\n", "(lambda (* k=1) k)");
}

#[test]
fn simple_statements() {
    check(
        "import threading\nimport queue as q, time\nfrom threading import Thread, Lock as L\nfrom x import (a, b,)\n",
        "
        import threading
        import queue as q, time
        from threading import Thread, Lock as L
        from x import a, b
        ",
    );
    check("del a, b[i], c.d\n", "del a, ([] b i), (. c d)");
    check("del (a, b)\n", "del (tuple a b)");
    check("assert x, 'msg'\n", "assert x, \"msg\"");
    check("x = 1; y = 2;\n", "x = 1\ny = 2");
}

#[test]
fn layout() {
    check("x = (1,\n     2)\n", "x = (tuple 1 2)");
    check("x = 1 + \\\n    2\n", "x = (+ 1 2)");
    check(
        "# c\n\nif x:  # c\n\n    # c\n    y\n\n# c\nz",
        "if x\n  y\nz",
    );
    check("if x:\n\ty\n\tif z:\n\t\tw\n", "if x\n  y\n  if z\n    w");
    check("", "");
    check("\n\n   \n", "");
    check("x\r\ny\r\n", "x\ny");
    check("\u{feff}x = 1\n", "x = 1");
}

#[test]
fn indentation_errors() {
    check_err(
        "if x:\n  y\n z\n",
        "IndentationError: unindent does not match any outer indentation level @3:2",
    );
    check_err(
        "if x:\ny\n",
        "IndentationError: expected an indented block after 'if' statement on line 1 @2:1",
    );
    check_err(
        "def f():\n\nreturn 1\n",
        "IndentationError: expected an indented block after function definition on line 1 @3:1",
    );
    check_err("x\n  y\n", "IndentationError: unexpected indent @2:3");
    check_err(
        "if x:\n\ty\n        z\n",
        "TabError: inconsistent use of tabs and spaces in indentation @3:9",
    );
    check_err(
        "try:\n  pass\nx = 1\n",
        "SyntaxError: expected 'except' or 'finally' block @3:1",
    );
    check_err(
        "while x:\n",
        "IndentationError: expected an indented block after 'while' statement on line 1 @2:1",
    );
}

#[test]
fn syntax_errors() {
    check_err("if x\n  y\n", "SyntaxError: expected ':' @1:5");
    check_err("def f()\n  y\n", "SyntaxError: expected ':' @1:8");
    check_err("x = \n", "SyntaxError: invalid syntax @1:5");
    check_err("print(1 +)\n", "SyntaxError: invalid syntax @1:10");
    check_err(
        "(1 2)\n",
        "SyntaxError: invalid syntax. Perhaps you forgot a comma? @1:2",
    );
    check_err(
        "if x = 1:\n  pass\n",
        "SyntaxError: invalid syntax. Maybe you meant '==' or ':=' instead of '='? @1:6",
    );
    check_err(
        "print 'hi'\n",
        "SyntaxError: Missing parentheses in call to 'print'. Did you mean print(...)? @1:1",
    );
    check_err("x = (1,\ny = 2\n", "SyntaxError: '(' was never closed @1:5");
    check_err("x = [1, 2\n", "SyntaxError: '[' was never closed @1:5");
    check_err(
        "x = (1]\n",
        "SyntaxError: closing parenthesis ']' does not match opening parenthesis '(' @1:7",
    );
    check_err("x = )\n", "SyntaxError: unmatched ')' @1:5");
    check_err(
        "x = 'abc\n",
        "SyntaxError: unterminated string literal (detected at line 1) @1:5",
    );
    check_err(
        "x = \"\"\"abc\n\nd",
        "SyntaxError: unterminated triple-quoted string literal (detected at line 3) @1:5",
    );
    check_err("x = a $ b\n", "SyntaxError: invalid syntax @1:7");
    check_err(
        "x = a → b\n",
        "SyntaxError: invalid character '→' (U+2192) @1:7",
    );
    check_err(
        "x = 1 if 2\n",
        "SyntaxError: expected 'else' after 'if' expression @1:11",
    );
    check_err("for x y:\n  pass\n", "SyntaxError: invalid syntax @1:7");
    check_err("from x y\n", "SyntaxError: expected 'import' @1:8");
    check_err(
        "x = 1 \\ 2\n",
        "SyntaxError: unexpected character after line continuation character @1:8",
    );
    check_err(
        "x = 012\n",
        "SyntaxError: leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers @1:5",
    );
    check_err("import\n", "SyntaxError: expected a name @1:7");
    check_err(
        "from threading import\n",
        "SyntaxError: expected a name @1:22",
    );
    check_err("x = a.\n", "SyntaxError: expected a name @1:7");
    check_err("def f:\n  pass\n", "SyntaxError: expected '(' @1:6");
    check_err(
        "x = {1: 2, 3}\n",
        "SyntaxError: ':' expected after dictionary key @1:13",
    );
    check_err("x = [1, 2,, 3]\n", "SyntaxError: invalid syntax @1:11");
    check_err("pass pass\n", "SyntaxError: invalid syntax @1:6");
}

#[test]
fn target_errors() {
    check_err(
        "1 = x\n",
        "SyntaxError: cannot assign to literal here. Maybe you meant '==' instead of '='? @1:1",
    );
    check_err(
        "f() = 1\n",
        "SyntaxError: cannot assign to function call here. Maybe you meant '==' instead of '='? @1:1",
    );
    check_err(
        "x = f() = 1\n",
        "SyntaxError: cannot assign to function call @1:5",
    );
    check_err("(1, a) = x\n", "SyntaxError: cannot assign to literal @1:2");
    check_err("None = 1\n", "SyntaxError: cannot assign to None @1:1");
    check_err(
        "a < b = 1\n",
        "SyntaxError: cannot assign to comparison @1:1",
    );
    check_err(
        "a + b += 1\n",
        "SyntaxError: 'expression' is an illegal expression for augmented assignment @1:1",
    );
    check_err(
        "a, b += 1\n",
        "SyntaxError: 'tuple' is an illegal expression for augmented assignment @1:1",
    );
    check_err(
        "for f() in x: pass\n",
        "SyntaxError: cannot assign to function call @1:5",
    );
    check_err(
        "with a as 1: pass\n",
        "SyntaxError: cannot assign to literal @1:11",
    );
    check_err("del f()\n", "SyntaxError: cannot delete function call @1:5");
    check_err(
        "lambda: 1 = 1\n",
        "SyntaxError: cannot assign to lambda @1:1",
    );
    check_err(
        "(*a) = 1\n",
        "SyntaxError: cannot use starred expression here @1:2",
    );
}

#[test]
fn argument_errors() {
    check_err(
        "def f(a=1, b): pass\n",
        "SyntaxError: non-default argument follows default argument @1:12",
    );
    check_err(
        "def f(*): pass\n",
        "SyntaxError: named arguments must follow bare * @1:7",
    );
    check_err(
        "f(a=1, b)\n",
        "SyntaxError: positional argument follows keyword argument @1:9",
    );
    check_err(
        "f(a=1, a=2)\n",
        "SyntaxError: keyword argument repeated: a @1:8",
    );
    check_err(
        "def f(a, a): pass\n",
        "SyntaxError: duplicate argument 'a' in function definition @1:10",
    );
    check_err(
        "f(1, a for a in b)\n",
        "SyntaxError: Generator expression must be parenthesized @1:6",
    );
}

#[test]
fn fstring_errors() {
    check_err(
        "x = 1\ny = f'''{(\n]}'''\n",
        "SyntaxError: f-string: closing parenthesis ']' does not match opening parenthesis '(' \
         on line 2 @3:1",
    );
    check_err(
        "f'{}'\n",
        "SyntaxError: f-string: empty expression not allowed @1:4",
    );
    check_err(
        "f'{x!z}'\n",
        "SyntaxError: f-string: invalid conversion character: expected 's', 'r', or 'a' @1:6",
    );
    check_err("f'{x'\n", "SyntaxError: f-string: expecting '}' @1:3");
    check_err(
        "f'}'\n",
        "SyntaxError: f-string: single '}' is not allowed @1:3",
    );
    check_err(
        "f'{a b}'\n",
        "SyntaxError: f-string: invalid syntax. Perhaps you forgot a comma? @1:4",
    );
    check_err("f'{a +}'\n", "SyntaxError: f-string: invalid syntax @1:7");
    check_err(
        "x = 1\ny = f'{a $ b}'\n",
        "SyntaxError: f-string: invalid syntax @2:10",
    );
}

#[test]
fn unsupported() {
    check_err(
        "class A(metaclass=M):\n  pass\n",
        "SyntaxError: class keyword arguments (metaclass=...) are not supported by gilvm @1:9",
    );
    check_err(
        "x = b'a'\n",
        "SyntaxError: bytes literals are not supported by gilvm @1:5",
    );
    check_err(
        "def f(*args: int): pass\n",
        "SyntaxError: annotations of '*' parameters are not supported by gilvm @1:7",
    );
    check_err(
        "from . import x\n",
        "SyntaxError: relative imports are not supported by gilvm @1:1",
    );
    check_err(
        "x = 1j\n",
        "SyntaxError: complex numbers are not supported by gilvm @1:5",
    );
    check_err(
        "x = a[n := 1]\n",
        "SyntaxError: assignment expressions (':=') are not supported by gilvm @1:9",
    );
    check_err(
        "try:\n  pass\nexcept* E:\n  pass\n",
        "SyntaxError: 'except*' (exception groups) is not supported by gilvm @3:7",
    );
    check_err(
        "with (a as b, c):\n  pass\n",
        "SyntaxError: 'as' inside parenthesized with-items is not supported by gilvm; \
         write 'with a as x, b as y:' @1:9",
    );
}

/// Constructs that used to be refused and are now in the language.
#[test]
fn sets_kwargs_walrus_and_starred_targets() {
    check("x = {1, 2}\n", "x = (set 1 2)");
    check("{a, *b,}\n", "(set a *b)");
    check("{x for x in y if x}\n", "(setcomp x (for x y (if x)))");
    check(
        "{k: v for k, v in d}\n",
        "(dictcomp k v (for (tuple k v) d))",
    );
    check("{**a, 'b': 1, **c}\n", "{**a, \"b\": 1, **c}");
    check("f(**k)\n", "(call f **k)");
    check("f(a, *b, c=1, **d, e=2)\n", "(call f a *b c=1 **d e=2)");
    check(
        "def f(a, *args, k=1, **kw): pass\n",
        "def f(a *args k=1 **kw)\n  pass",
    );
    check("lambda **kw: kw\n", "(lambda (**kw) kw)");
    check("if (n := 1):\n  pass\n", "if (:= n 1)\n  pass");
    check("if n := 1:\n  pass\n", "if (:= n 1)\n  pass");
    check("while x := f(): pass\n", "while (:= x (call f))\n  pass");
    check("[y := 1, y]\n", "[(:= y 1) y]");
    check("f(x := 1)\n", "(call f (:= x 1))");
    check("first, *rest = xs\n", "(tuple first *rest) = xs");
    check_err(
        "f(**k, 1)\n",
        "SyntaxError: positional argument follows keyword argument unpacking @1:9",
    );
    check_err(
        "f(**k, *a)\n",
        "SyntaxError: iterable argument unpacking follows keyword argument unpacking @1:8",
    );
    check_err(
        "def f(**k, a): pass\n",
        "SyntaxError: arguments cannot follow var-keyword argument @1:12",
    );
}

#[test]
fn soft_keywords() {
    // `match` and `case` stay names wherever they do not start a statement or a clause.
    check(
        "match = 3\nmatch(x)\nmatch.group(1)\ncase = [1]\ncase[0] = match\nobj.match = obj.case\nmatch, case = 1, 2\nmatch[a:b]\n",
        "
        match = 3
        (call match x)
        (call (. match group) 1)
        case = [1]
        ([] case 0) = match
        (. obj match) = (. obj case)
        (tuple match case) = (tuple 1 2)
        ([] match (slice a b _))
        ",
    );
    check(
        "def match(case):\n    return case\nmatch(1)\nprint(match, case)\n",
        "
        def match(case)
          return case
        (call match 1)
        (call print match case)
        ",
    );
    // The words as the subject and as a capture.
    check(
        "match match:\n    case case:\n        pass\n",
        "
        match match
          case case
            pass
        ",
    );
    // `case` is a keyword only directly inside a `match` block.
    check(
        "match x:\n    case 1:\n        case = 2\n        match = case\ncase = 3\n",
        "
        match x
          case (== 1)
            case = 2
            match = case
        case = 3
        ",
    );
    // A `match` line is a statement only when it ends with a colon outside brackets.
    check(
        "match (x):\n    case 1: pass\nmatch(x, {1: 2})\nmatch -x:\n    case _: pass\n",
        "
        match x
          case (== 1)
            pass
        (call match x {1: 2})
        match (neg x)
          case _
            pass
        ",
    );
}

#[test]
fn match_statements() {
    check(
        "match a, *b:\n    case 1 | -2 | 3.5 | -0.5 | 'a' 'b' | None | True | False: pass\n",
        r#"
        match (tuple a *b)
          case (| (== 1) (== (neg 2)) (== 3.5) (== (neg 0.5)) (== "ab") (is None) (is True) (is False))
            pass
        "#,
    );
    check(
        "match msg:\n    case ('add', n):\n        total += n\n    case {'op': 'stop', **rest}:\n        pass\n    case Point(x=0, y=y) | Point(0, y):\n        pass\n    case [a, *rest] if a > 0:\n        pass\n    case (1 as one) | (2 as one):\n        pass\n    case a.b.c | {a.b: _, 1: [*_]}:\n        pass\n    case x, *y:\n        pass\n    case () | []:\n        pass\n    case _:\n        pass\n",
        r#"
        match msg
          case [(== "add") n]
            total += n
          case {"op": (== "stop") **rest}
            pass
          case (| (Point x=(== 0) y=y) (Point (== 0) y))
            pass
          case [a *rest] if (cmp a > 0)
            pass
          case (| (as (== 1) one) (as (== 2) one))
            pass
          case (| (== (. (. a b) c)) {(. a b): _ 1: [*_]})
            pass
          case [x *y]
            pass
          case (| [] [])
            pass
          case _
            pass
        "#,
    );
    // `:=` unparenthesized in the subject and in a guard, as CPython allows.
    check(
        "match y := f(), 2:\n    case (a, b) if c := a + b:\n        pass\n",
        "
        match (tuple (:= y (call f)) 2)
          case [a b] if (:= c (+ a b))
            pass
        ",
    );
    check(
        "def f(x):\n    match x:\n        case int(n) if n > 0:\n            match n:\n                case 1: return 'one'\n            return 'pos'\n    return None\n",
        r#"
        def f(x)
          match x
            case (int n) if (cmp n > 0)
              match n
                case (== 1)
                  return "one"
              return "pos"
          return None
        "#,
    );
}

#[test]
fn match_errors() {
    check_err(
        "match x:\ncase 1:\n    pass\n",
        "IndentationError: expected an indented block after 'match' statement on line 1 @2:1",
    );
    check_err(
        "match x:\n    case 1:\n    pass\n",
        "IndentationError: expected an indented block after 'case' statement on line 2 @3:5",
    );
    check_err(
        "match x:\n    case 1\n        pass\n",
        "SyntaxError: expected ':' @2:11",
    );
    check_err("match x:\n    pass\n", "SyntaxError: invalid syntax @2:5");
    check_err(
        "match x:\n    case 1 as _:\n        pass\n",
        "SyntaxError: cannot use '_' as a target @2:15",
    );
    check_err(
        "match x:\n    case P(a=1, 2):\n        pass\n",
        "SyntaxError: positional patterns follow keyword patterns @2:17",
    );
    check_err(
        "match x:\n    case f\"x\":\n        pass\n",
        "SyntaxError: patterns may only match literals and attribute lookups @2:10",
    );
    check_err(
        "match x:\n    case {f\"x\": 1}:\n        pass\n",
        "SyntaxError: mapping pattern keys may only match literals and attribute lookups @2:11",
    );
    check_err(
        "match x:\n    case 1 + 2:\n        pass\n",
        "SyntaxError: imaginary number required in complex literal @2:14",
    );
    check_err(
        "match x:\n    case 1 + 2j:\n        pass\n",
        "SyntaxError: complex numbers are not supported by gilvm @2:14",
    );
    check_err(
        "match x:\n    case {**_}:\n        pass\n",
        "SyntaxError: invalid syntax @2:13",
    );
    check_err(
        "match *a:\n    case 1:\n        pass\n",
        "SyntaxError: invalid syntax @1:9",
    );
    check_err(
        "match x:\n    case -x:\n        pass\n",
        "SyntaxError: invalid syntax @2:11",
    );
    check_err(
        "match x:\n    case (*a):\n        pass\n",
        "SyntaxError: invalid syntax @2:13",
    );
    check_err(
        "match x:\n    case *a:\n        pass\n",
        "SyntaxError: invalid syntax @2:12",
    );
    // CPython points at `case` (it parsed `match x:` first); without a colon at its end the
    // line is not a `match` statement for gilvm's lexer, so the error is at the subject.
    check_err(
        "match x: case 1: pass\n",
        "SyntaxError: invalid syntax @1:7",
    );
    check_err(
        "match x:\n    case 1:\n        pass\n    x = 1\n",
        "SyntaxError: invalid syntax @4:5",
    );
}

#[test]
fn spans() {
    let m = parse_module("x = 1\nif a:\n    f(b)\n").unwrap_or_else(|e| panic!("{e:?}"));
    let spans: Vec<(u32, u32)> = m.body.iter().map(|s| (s.span.start, s.span.end)).collect();
    assert_eq!(spans, vec![(0, 5), (6, 20)]);
}

/// CPython is the oracle: every snippet above that gilvm parses must parse in `python3`, and
/// every one it rejects must be rejected too (unless gilvm rejects it by design).
#[test]
fn python_agrees() {
    ORACLE.with(|o| *o.borrow_mut() = Some(Vec::new()));
    for test in [
        precedence,
        atoms,
        strings,
        fstrings,
        calls_and_trailers,
        comprehensions,
        assignments,
        compound_statements,
        functions,
        simple_statements,
        layout,
        sets_kwargs_walrus_and_starred_targets,
        indentation_errors,
        syntax_errors,
        target_errors,
        argument_errors,
        fstring_errors,
        unsupported,
        soft_keywords,
        match_statements,
        match_errors,
    ] {
        test();
    }
    let snippets = ORACLE.with(|o| o.borrow_mut().take()).unwrap_or_default();
    // One python3 process checks them all: each line is `1|0 <hex of the UTF-8 source>`.
    let script = r#"
import ast, sys
for line in sys.stdin:
    want, hexsrc = line.rstrip("\n").split(" ")
    # Bytes, as python3 reads a file (so a leading byte order mark is dropped).
    src = bytes.fromhex(hexsrc)
    try:
        if want == "1":
            ast.parse(src)
        else:
            compile(src, "<snippet>", "exec")
        ok = True
    except (SyntaxError, ValueError) as e:
        ok = False
        err = f"{type(e).__name__}: {e.msg}"
    if ok != (want == "1"):
        print(("rejected" if want == "1" else "accepted") + " " + repr(src) + ("" if ok else " " + err))
"#;
    let child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("skipped: python3 not found");
        return;
    };
    let mut input = String::new();
    for (src, valid) in &snippets {
        let hex: String = src.bytes().map(|b| format!("{b:02x}")).collect();
        input.push_str(&format!("{} {hex}\n", u8::from(*valid)));
    }
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    let out = child.wait_with_output().expect("python3 runs");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && report.trim().is_empty(),
        "CPython disagrees on {} snippets:\n{report}{}",
        report.lines().count(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        snippets.len() > 150,
        "only {} snippets recorded",
        snippets.len()
    );
}

#[test]
fn decorators_and_annotations() {
    check(
        "@a.b(1)\n@c\ndef f(x: int, y: str = 's') -> bool:\n  z: int = 1\n  w: list\n",
        r#"
        @(call (. a b) 1)
        @c
        def f(x:int y:str="s") -> bool
          z: int = 1
          w: list
        "#,
    );
    check(
        "@dataclass\nclass P:\n  x: int\n  self.y: int = 0\n",
        r#"
        @dataclass
        class P()
          x: int
          (. self y): int = 0
        "#,
    );
    check_err(
        "a, b: int = 1, 2\n",
        "SyntaxError: only single target (not tuple) can be annotated @1:1",
    );
    check_err(
        "[a]: int\n",
        "SyntaxError: only single target (not list) can be annotated @1:1",
    );
    check_err(
        "f(): int\n",
        "SyntaxError: illegal target for annotation @1:1",
    );
}
