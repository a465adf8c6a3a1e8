//! Differential test against CPython's own parser: random programs (with random parentheses,
//! so precedence and associativity are exercised, and random damage, so rejection is too) are
//! parsed by gilvm and by `python3 -c 'import ast'`; both must agree on accept/reject and, when
//! accepted, on the tree (rendered in the S-expression form of [`super::sexp`]).
//!
//! Deterministic: the generator is a fixed-seed xorshift, so a failure names a program that
//! fails the same way on every run.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

use super::{parse_module, sexp};

/// A tiny deterministic random source (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const NAMES: &[&str] = &["a", "b", "x", "y", "f", "lock", "counter"];
const BINOPS: &[&str] = &[
    "+", "-", "*", "/", "//", "%", "**", "<<", ">>", "|", "^", "&", "@",
];
const CMPOPS: &[&str] = &[
    "<", "<=", "==", "!=", ">", ">=", "in", "not in", "is", "is not",
];
const UNOPS: &[&str] = &["-", "+", "~", "not "];

/// Generates a random expression; `plain` excludes string literals (for f-string fields).
fn expr(rng: &mut Rng, depth: u32, plain: bool) -> String {
    if depth == 0 || rng.below(5) == 0 {
        return atom(rng, plain);
    }
    let d = depth - 1;
    let text = match rng.below(17) {
        0 | 1 => format!(
            "{} {} {}",
            expr(rng, d, plain),
            rng.pick(BINOPS),
            expr(rng, d, plain)
        ),
        2 => format!("{}{}", rng.pick(UNOPS), expr(rng, d, plain)),
        3 => {
            let mut s = expr(rng, d, plain);
            for _ in 0..1 + rng.below(3) {
                let _ = write!(s, " {} {}", rng.pick(CMPOPS), expr(rng, d, plain));
            }
            s
        }
        4 => format!(
            "{} {} {}",
            expr(rng, d, plain),
            rng.pick(&["and", "or"]),
            expr(rng, d, plain)
        ),
        5 => format!(
            "{} if {} else {}",
            expr(rng, d, plain),
            expr(rng, d, plain),
            expr(rng, d, plain)
        ),
        6 => format!(
            "lambda {}: {}",
            rng.pick(&["", "x", "x, y=1", "*args", "x, *, k", "x=2, *r, k=3"]),
            expr(rng, d, plain)
        ),
        7 => {
            let mut args = Vec::new();
            for _ in 0..rng.below(4) {
                args.push(match rng.below(4) {
                    0 => format!("*{}", expr(rng, d, plain)),
                    _ => expr(rng, d, plain),
                });
            }
            if rng.below(2) == 0 {
                args.push(format!("key={}", expr(rng, d, plain)));
            }
            format!("{}({})", primary(rng, d, plain), args.join(", "))
        }
        8 => format!("{}.{}", primary(rng, d, plain), rng.pick(NAMES)),
        9 => {
            let index = match rng.below(4) {
                0 => format!("{}:{}", expr(rng, d, plain), expr(rng, d, plain)),
                1 => format!("::{}", expr(rng, d, plain)),
                2 => format!("{}, {}", expr(rng, d, plain), expr(rng, d, plain)),
                _ => expr(rng, d, plain),
            };
            format!("{}[{index}]", primary(rng, d, plain))
        }
        10 => format!("({})", expr(rng, d, plain)),
        11 => match rng.below(3) {
            0 => "()".to_string(),
            1 => format!("({},)", expr(rng, d, plain)),
            _ => format!("({}, {})", expr(rng, d, plain), expr(rng, d, plain)),
        },
        12 => format!("[{}, {}]", expr(rng, d, plain), expr(rng, d, plain)),
        13 => format!("{{{}: {}}}", expr(rng, d, plain), expr(rng, d, plain)),
        14 => format!(
            "[{} for {} in {}{}]",
            expr(rng, d, plain),
            rng.pick(&["x", "x, y", "(a, b)"]),
            expr(rng, d, plain),
            if rng.below(2) == 0 {
                format!(" if {}", expr(rng, d, plain))
            } else {
                String::new()
            }
        ),
        15 => format!(
            "{}({} for x in {})",
            rng.pick(&["", "sum", "f"]),
            expr(rng, d, plain),
            expr(rng, d, plain)
        ),
        _ if !plain => {
            let field = expr(rng, d.min(2), true);
            let conv = rng.pick(&["", "!r", "!s"]);
            let spec = rng.pick(&["", ":>10", ":,", ":{w}.{p}"]);
            format!("f'v {{{field}{conv}{spec}}} end'")
        }
        _ => atom(rng, plain),
    };
    if rng.below(6) == 0 {
        format!("({text})")
    } else {
        text
    }
}

/// An expression that binds as a primary (so a trailer applies to all of it).
fn primary(rng: &mut Rng, depth: u32, plain: bool) -> String {
    match rng.below(3) {
        0 => format!("({})", expr(rng, depth, plain)),
        _ => atom(rng, plain),
    }
}

fn atom(rng: &mut Rng, plain: bool) -> String {
    match rng.below(if plain { 8 } else { 9 }) {
        0..=3 => rng.pick(NAMES).to_string(),
        4 | 5 => rng.below(1000).to_string(),
        6 => rng.pick(&["True", "False", "None"]).to_string(),
        7 => "1_000".to_string(),
        _ => format!("\"{}\"", rng.pick(&["s", "hello world", ""])),
    }
}

/// A random statement (sometimes a block), as source lines.
fn program(rng: &mut Rng) -> String {
    let e = |rng: &mut Rng| expr(rng, 4, false);
    match rng.below(8) {
        0 => format!("x = {}\n", e(rng)),
        1 => format!("a, b = {}\n", e(rng)),
        2 => format!("x[{}] += {}\n", e(rng), e(rng)),
        3 => format!("if {}:\n    pass\nelse:\n    x = {}\n", e(rng), e(rng)),
        4 => format!("for a in {}:\n    del a[{}]\n", e(rng), e(rng)),
        5 => format!("while {}: pass\n", e(rng)),
        6 => format!("y = x = {}\n", e(rng)),
        _ => format!("{}\n", e(rng)),
    }
}

/// Damages a program: deletes or duplicates a few characters.
fn damage(rng: &mut Rng, src: &str) -> String {
    let mut chars: Vec<char> = src.chars().collect();
    for _ in 0..1 + rng.below(2) {
        if chars.is_empty() {
            break;
        }
        let at = rng.below(chars.len());
        let end = (at + 1 + rng.below(3)).min(chars.len());
        if rng.below(2) == 0 {
            chars.drain(at..end);
        } else {
            let copy: Vec<char> = chars[at..end].to_vec();
            chars.splice(at..at, copy);
        }
    }
    chars.into_iter().collect()
}

/// Converts Python's ast into the S-expression form of `sexp.rs`; prints one line per
/// program (`\n` escaped as `|`), `ERR` when Python rejects it, `SKIP` for constructs the
/// rendering does not cover.
const PYTHON_RENDERER: &str = r#"
import ast, sys
BIN = {ast.Add: '+', ast.Sub: '-', ast.Mult: '*', ast.Div: '/', ast.FloorDiv: '//',
       ast.Mod: '%', ast.Pow: '**', ast.LShift: '<<', ast.RShift: '>>', ast.BitOr: '|',
       ast.BitXor: '^', ast.BitAnd: '&', ast.MatMult: '@'}
UN = {ast.USub: 'neg', ast.UAdd: 'pos', ast.Not: 'not', ast.Invert: '~'}
CMP = {ast.Lt: '<', ast.LtE: '<=', ast.Eq: '==', ast.NotEq: '!=', ast.Gt: '>', ast.GtE: '>=',
       ast.In: 'in', ast.NotIn: 'not-in', ast.Is: 'is', ast.IsNot: 'is-not'}

class Skip(Exception):
    pass

def s(v):
    if not all(c.isalnum() or c in ' _,.:>{}' for c in v):
        raise Skip()
    return '"' + v + '"'

def o(n):
    return '_' if n is None else e(n)

def params(a):
    if a.posonlyargs:
        raise Skip()
    parts = []
    defaults = [None] * (len(a.args) - len(a.defaults)) + list(a.defaults)
    for arg, d in zip(a.args, defaults):
        parts.append(arg.arg if d is None else arg.arg + '=' + e(d))
    if a.vararg:
        parts.append('*' + a.vararg.arg)
    elif a.kwonlyargs:
        parts.append('*')
    for arg, d in zip(a.kwonlyargs, a.kw_defaults):
        parts.append(arg.arg if d is None else arg.arg + '=' + e(d))
    if a.kwarg:
        raise Skip()
    return '(' + ' '.join(parts) + ')'

def comps(gens):
    return ' '.join('(for ' + e(g.target) + ' ' + e(g.iter)
                    + ''.join(' (if ' + e(c) + ')' for c in g.ifs) + ')' for g in gens)

def fparts(values):
    out = []
    for v in values:
        if isinstance(v, ast.Constant):
            out.append(s(v.value))
        else:
            text = '{' + e(v.value)
            if v.conversion != -1:
                text += '!' + chr(v.conversion)
            if v.format_spec is not None and v.format_spec.values:
                text += ':' + fparts(v.format_spec.values)
            out.append(text + '}')
    return ' '.join(out)

def e(n):
    t = type(n)
    if t is ast.Name: return n.id
    if t is ast.Constant:
        v = n.value
        if v is True or v is False or v is None: return str(v)
        if type(v) is int: return str(v)
        if type(v) is str: return s(v)
        raise Skip()
    if t is ast.BinOp: return '(' + BIN[type(n.op)] + ' ' + e(n.left) + ' ' + e(n.right) + ')'
    if t is ast.UnaryOp: return '(' + UN[type(n.op)] + ' ' + e(n.operand) + ')'
    if t is ast.BoolOp:
        return '(' + ('and' if isinstance(n.op, ast.And) else 'or') + ' ' + ' '.join(e(v) for v in n.values) + ')'
    if t is ast.Compare:
        return '(cmp ' + e(n.left) + ''.join(' ' + CMP[type(op)] + ' ' + e(c) for op, c in zip(n.ops, n.comparators)) + ')'
    if t is ast.Call:
        return '(call ' + e(n.func) + ''.join(' ' + e(a) for a in n.args) + ''.join(' ' + k.arg + '=' + e(k.value) for k in n.keywords) + ')'
    if t is ast.Starred: return '*' + e(n.value)
    if t is ast.Attribute: return '(. ' + e(n.value) + ' ' + n.attr + ')'
    if t is ast.Subscript: return '([] ' + e(n.value) + ' ' + e(n.slice) + ')'
    if t is ast.Slice: return '(slice ' + o(n.lower) + ' ' + o(n.upper) + ' ' + o(n.step) + ')'
    if t is ast.IfExp: return '(if ' + e(n.test) + ' ' + e(n.body) + ' ' + e(n.orelse) + ')'
    if t is ast.Lambda: return '(lambda ' + params(n.args) + ' ' + e(n.body) + ')'
    if t is ast.List: return '[' + ' '.join(e(x) for x in n.elts) + ']'
    if t is ast.Tuple: return '(tuple' + ''.join(' ' + e(x) for x in n.elts) + ')'
    if t is ast.Dict:
        if None in n.keys: raise Skip()
        return '{' + ', '.join(e(k) + ': ' + e(v) for k, v in zip(n.keys, n.values)) + '}'
    if t is ast.ListComp: return '(listcomp ' + e(n.elt) + ' ' + comps(n.generators) + ')'
    if t is ast.GeneratorExp: return '(genexp ' + e(n.elt) + ' ' + comps(n.generators) + ')'
    if t is ast.JoinedStr: return '(f ' + fparts(n.values) + ')'
    raise Skip()

def body(stmts, ind, out):
    for n in stmts:
        st(n, ind, out)

def st(n, ind, out):
    pad = '  ' * ind
    t = type(n)
    if t is ast.Expr: out.append(pad + e(n.value))
    elif t is ast.Assign: out.append(pad + ' = '.join(e(x) for x in n.targets) + ' = ' + e(n.value))
    elif t is ast.AugAssign: out.append(pad + e(n.target) + ' ' + BIN[type(n.op)] + '= ' + e(n.value))
    elif t is ast.Pass: out.append(pad + 'pass')
    elif t is ast.Delete: out.append(pad + 'del ' + ', '.join(e(x) for x in n.targets))
    elif t is ast.If or t is ast.While:
        out.append(pad + ('if ' if t is ast.If else 'while ') + e(n.test))
        body(n.body, ind + 1, out)
        if n.orelse:
            out.append(pad + 'else')
            body(n.orelse, ind + 1, out)
    elif t is ast.For:
        out.append(pad + 'for ' + e(n.target) + ' in ' + e(n.iter))
        body(n.body, ind + 1, out)
        if n.orelse:
            out.append(pad + 'else')
            body(n.orelse, ind + 1, out)
    else:
        raise Skip()

for line in sys.stdin:
    src = bytes.fromhex(line.strip()).decode()
    try:
        tree = ast.parse(src)
    except (SyntaxError, ValueError):
        print('ERR')
        continue
    out = []
    try:
        body(tree.body, 0, out)
        print('|'.join(out))
    except (Skip, KeyError, RecursionError):
        print('SKIP')
"#;

#[test]
fn cpython_agrees_on_random_programs() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut programs = Vec::new();
    for i in 0..3000 {
        let p = program(&mut rng);
        programs.push(if i % 3 == 0 { damage(&mut rng, &p) } else { p });
    }
    let child = Command::new("python3")
        .args(["-c", PYTHON_RENDERER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("skipped: python3 not found");
        return;
    };
    let mut input = String::new();
    for p in &programs {
        for b in p.bytes() {
            let _ = write!(input, "{b:02x}");
        }
        input.push('\n');
    }
    let writer = child.stdin.take().map(|mut stdin| {
        std::thread::spawn(move || {
            let _ = stdin.write_all(input.as_bytes());
        })
    });
    let out = child.wait_with_output().expect("python3 runs");
    if let Some(w) = writer {
        let _ = w.join();
    }
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(expected.len(), programs.len());
    let (mut compared, mut rejected) = (0, 0);
    let mut failures = Vec::new();
    for (p, want) in programs.iter().zip(&expected) {
        let ours = match parse_module(p) {
            Ok(m) => sexp::module(&m).trim_end().replace('\n', "|"),
            // Valid Python that gilvm rejects on purpose is not a disagreement.
            Err(e) if e.message.contains("not supported by gilvm") => continue,
            Err(_) => "ERR".to_string(),
        };
        match want.as_str() {
            "SKIP" => continue,
            "ERR" => rejected += 1,
            _ => compared += 1,
        }
        if &ours != want {
            failures.push(format!(
                "program: {p:?}\n  python: {want}\n  gilvm:  {ours}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreements with CPython:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
    eprintln!("{compared} compared with CPython, {rejected} rejected by both");
    assert!(
        compared > 1000 && rejected > 100,
        "{compared} compared, {rejected} rejected"
    );
}
