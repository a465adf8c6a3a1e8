//! Every valid Python 3.11 construct is either in gilvm's language or refused at compile
//! time with "not supported by gilvm" (DESIGN.md §8), never a bare "invalid syntax": a list of
//! constructs, each compiled by gilvm's whole front end, checked to be valid Python by
//! `python3` when there is one, and sorted into what compiles and what is refused by design.

use std::io::Write as _;
use std::process::{Command, Stdio};

/// Valid Python that gilvm compiles.
const ACCEPTED: &[&str] = &[
    "match = 1\ncase = 2\nprint(match, case)\n",
    "with (a, b):\n    pass\n",
    "with a as (b, c):\n    pass\n",
    "with a as b[0]:\n    pass\n",
    "x = a[1:2, ::3]\n",
    "x = u'abc'\n",
    "x = r'a\\b'\n",
    "x = 1_000.0_1 + 0x_FF + 1e1_0 + 0o17 + 0b1\n",
    "x = a @ b\n",
    "a @= b\n",
    "x = f'{a=}'\n",
    "x = f'{a!r:>{w}}'\n",
    "x = f'{a:{b}.{c}}'\n",
    "x = 'a' 'b' f'c'\n",
    "import a.b.c as d\n",
    "from a import (b, c,)\n",
    "def f():\n    return *a, b\n",
    "for x in *a, b:\n    pass\n",
    "x = *a, b\n",
    "a, = b\n",
    "[a, b] = c\n",
    "(a) = 1\n",
    "a = b = c\n",
    "a.b.c = 1\n",
    "x[1:2] = y\n",
    "del (a), [b]\n",
    "del a, b[0], c.d\n",
    "print(x, *y, sep='', **kw)\n",
    "f(a for a in b)\n",
    "x = ...\n",
    "x = a[...]\n",
    "def f(): ...\n",
    "x = [y for y in z if y if not y]\n",
    "def g():\n    yield 1\n",
    "def g():\n    yield from range(3)\n",
    "def g():\n    x = yield\n",
    "f = lambda: (yield)\n",
    "x = {a: b for a, b in c}\n",
    "x = {a for a in b}\n",
    "x = {**a, **b}\n",
    "x = {*a, *b}\n",
    "first, *rest = xs\n",
    "for a, *b in c:\n    pass\n",
    "if (n := 10) > 5:\n    pass\n",
    "while chunk := f():\n    pass\n",
    "print((a := 1), a)\n",
    "f(x := 1, y)\n",
    "[x for x in range(3) if (y := x)]\n",
    "x = [y := 1, y]\n",
    "x = {y := 1}\n",
    "x = {k: (v := 1)}\n",
    "assert (x := 1)\n",
    "def f(x=(y := 2)):\n    pass\n",
    "lambda: (x := 1)\n",
    "x = (y := 1, 2)\n",
    "def f(*, a, b=1, **kw):\n    pass\n",
    "def f(a, *args, b, **kwargs):\n    pass\n",
    "lambda *a, **k: 0\n",
    "def outer():\n    x = 1\n    def inner():\n        nonlocal x\n        x += 1\n",
    "global x, y\n",
    "while x:\n    pass\nelse:\n    pass\n",
    "for x in y:\n    break\nelse:\n    pass\n",
    "try:\n    pass\nexcept (A, B) as e:\n    pass\nelse:\n    pass\nfinally:\n    pass\n",
    "raise E from None\n",
    "try:\n    pass\nexcept:\n    raise\n",
    "x = 1; y = 2;\n",
    "x = 1 + \\\n    2\n",
    "if a:\n    pass\nelif b:\n    pass\nelse:\n    pass\n",
    "x = a if b else c\n",
    "x = not a and b or c\n",
    "x = a < b <= c != d is not e in f not in g\n",
    "x = ~a ** -b // c % d << e >> f & g ^ h | i\n",
    "class A:\n    '''doc'''\n    x = 1\n    def m(self):\n        return super().m()\n",
    "café = 1\n",
    "_ = 1\n",
    "x = [\n    1,\n    2,\n]\n",
    "x = (1,)\n",
    "x = ()\n",
    "print(f'{x!s} {y!a}')\n",
    "x = 'a' if b else 'c'\n",
    "x = lambda a=1, *b, c=2, **d: 0\n",
    "def f():\n    return\n",
    "pass\n",
    "x = -1 ** 2\n",
    "x = a.b(c)[d].e\n",
    "x = [*range(3)]\n",
    "print(*[1], *[2])\n",
    "x = True and False or None\n",
    "x = 0xFF + 0O7 + 0B1\n",
    "x = 1.5e-3 + .5 + 5.\n",
    "x = \"\"\"multi\nline\"\"\"\n",
    "if True: x = 1; y = 2\n",
    "class A: pass\n",
    "def f(): return 1\n",
    "with a, b as c: pass\n",
    "del x\n",
    "x = a[:]\n",
    "x = a[::]\n",
    "x = a[1:]\n",
    "x = f(*a, b, *c, d=1, **e, f=2)\n",
    "x = {1: 2, **a, 3: 4}\n",
    "nonlocal_name = 1\n",
    "print(__debug__)\n",
    "x = [i for i in range(3) for j in range(i)]\n",
    "x = (i for i in range(3))\n",
    "x = 10 if a else 20 if b else 30\n",
    "type = 1\n",
    "match x:\n    case 1:\n        pass\n    case _:\n        pass\n",
    "match = 1\nmatch(x)\ncase = [match]\n",
    "@dec\ndef f():\n    pass\n",
    "@dec.attr(1)\nclass A:\n    pass\n",
    "x: int = 1\n",
    "x: int\n",
    "def f(a: int, b: str = 'x') -> bool:\n    pass\n",
    "def f() -> None:\n    pass\n",
    "class A:\n    x: int = 0\n    @property\n    def v(self) -> int:\n        return self.x\n",
];

/// Valid Python that gilvm refuses, saying so.
const REFUSED: &[&str] = &[
    "async def f():\n    await g()\n",
    "async def f():\n    async for x in y:\n        pass\n",
    "async def f():\n    async with a as b:\n        pass\n",
    "class A(B, metaclass=M):\n    pass\n",
    "class A(*bases):\n    pass\n",
    "def f(a, /, b):\n    pass\n",
    "lambda a, /, b: a\n",
    "try:\n    pass\nexcept* ValueError:\n    pass\n",
    "with (open('a') as f, open('b') as g):\n    pass\n",
    "x = b'abc'\n",
    "x = rb'abc'\n",
    "x = 1j\n",
    "from . import x\n",
    "from .a import b\n",
    "from a import *\n",
    "x = a[y := 1]\n",
    "x = '\\N{EM DASH}'\n",
];

#[test]
fn valid_python_compiles_or_is_refused_as_unsupported() {
    let mut wrong = Vec::new();
    for src in ACCEPTED {
        if let Err(e) = crate::compile_source("t.py", src) {
            wrong.push(format!("{src:?} should compile: {}", e.message));
        }
    }
    for src in REFUSED {
        match crate::compile_source("t.py", src) {
            Ok(_) => wrong.push(format!("{src:?} compiles: move it to ACCEPTED")),
            Err(e) if e.message.contains("not supported by gilvm") => {}
            Err(e) => wrong.push(format!(
                "{src:?} is refused without saying so: {}",
                e.message
            )),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The list above is valid Python: CPython compiles every snippet.
#[test]
fn every_construct_is_valid_python() {
    let script = "import sys\nbad = []\nfor line in sys.stdin:\n    src = bytes.fromhex(line.strip()).decode()\n    try:\n        compile(src, 't.py', 'exec')\n    except SyntaxError as e:\n        bad.append(repr(src) + ': ' + str(e))\nprint('\\n'.join(bad))\n";
    let child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        eprintln!("skipped: python3 not found");
        return;
    };
    let mut input = String::new();
    for src in ACCEPTED.iter().chain(REFUSED) {
        for b in src.bytes() {
            input.push_str(&format!("{b:02x}"));
        }
        input.push('\n');
    }
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    let out = child.wait_with_output().expect("python3 runs");
    let bad = String::from_utf8_lossy(&out.stdout);
    assert!(bad.trim().is_empty(), "not valid Python:\n{bad}");
}
