//! `gilvm dis` against `python3.11 -m dis`, line for line.
//!
//! Every program in `programs/` (and its subdirectories), every Python example of
//! `docs/tutorial.md` and the snippets below is disassembled by gilvm (`gilvm dis FILE`, the
//! binary users run) and by CPython 3.11 (`python3.11 -m dis FILE`); the outputs must be equal
//! after one normalisation: CPython prints each code object's memory address
//! (`<code object f at 0x7f…`), gilvm a stand-in (the code object's index), so both become
//! `at 0xADDR`. Opcodes, operands, argument reprs, offsets, `PUSH_NULL`/`PRECALL`/`KW_NAMES`,
//! `LOAD_GLOBAL`'s `NULL +`, jump targets and exception tables are compared as printed. With
//! `--show-caches` (gilvm) and `dis.dis(code, show_caches=True)` (CPython) the `CACHE` rows
//! are compared too.
//!
//! [`KNOWN`] lists the inputs whose output is known to differ, with the reason; it is empty
//! today, and an entry that starts matching fails the test so the list stays true.
//! Without a CPython 3.11 (`python3.11`, or a `python3` that is 3.11) the test prints
//! `skipped: python3.11 not found` and passes.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

const SNIPPETS: &[(&str, &str)] = &[
    (
        "decorators",
        "import functools\ndef log(f):\n    @functools.wraps(f)\n    def wrapper(*args):\n        return f(*args)\n    return wrapper\n@log\n@functools.lru_cache(maxsize=None)\ndef add(a, b=1):\n    return a + b\n@dataclass(order=True)\nclass P:\n    pass\n",
    ),
    (
        "properties",
        "class A:\n    def __init__(self):\n        self._x = 0\n    @property\n    def x(self):\n        return self._x\n    @x.setter\n    def x(self, v):\n        self._x = v\n    @staticmethod\n    def s(a):\n        return a\n    @classmethod\n    def make(cls):\n        return cls()\n    def __enter__(self):\n        return self\n    def __exit__(self, *exc):\n        del self._x\na = A()\na.x += 1\nwith a as b:\n    del b.x, a[0]\n",
    ),
    (
        "annotations",
        "x: int = 0\ny: 'str'\n(z): int = 1\nclass P:\n    n: int = 0\n    m: list\n    if n:\n        k: int\ndef f(a: int, *, b: str = 's') -> bool:\n    v: int = a\n    w: int\n    self.q: int = 1\n    d[0]: int\n    return v\n",
    ),
    (
        "classes",
        "class A:\n    'doc'\n    x = 1\n    def __init__(self, v):\n        self.v = v\n        self.v += 1\n    def get(self):\n        return self.v\nclass B(A):\n    def get(self):\n        return super().get() + A.x\nb = B(2)\nprint(b.get())\nm = b.get\ndef f():\n    class C(object):\n        pass\n    return C\n",
    ),
    (
        "global_augassign",
        "counter = 0\ndef increment():\n    global counter\n    counter += 1\n",
    ),
    (
        "for_range",
        "def f(n):\n    global counter\n    for _ in range(n):\n        counter += 1\n",
    ),
    (
        "while_loop",
        "def f(n):\n    i = 0\n    while i < n:\n        i += 1\n        if i == 3:\n            continue\n        if i == 7:\n            break\n    else:\n        i = 0\n    while True:\n        i -= 1\n        if not i:\n            break\n    return i\n",
    ),
    (
        "with_lock",
        "import threading\nlock = threading.Lock()\ncounter = 0\ndef f():\n    global counter\n    with lock:\n        counter += 1\nwith lock as l, lock:\n    print(l)\n",
    ),
    (
        "class_closure",
        "def make(k):\n    f = k * 2\n    class C:\n        nonlocal k\n        scale = f\n        k = scale + 1\n        t = [f * i for i in range(3)]\n        def get(self):\n            return f + k\n    return C\n",
    ),
    (
        "call_of_a_call",
        "def f():\n    return f\ndef g():\n    return f()()()\nx = [f()() for _ in range(1)]\nprint((f())()(), g())\n",
    ),
    (
        "closure",
        "def outer():\n    x = 0\n    def inner():\n        nonlocal x\n        x += 1\n        return x\n    return inner\ndef mk(a, b=2):\n    def g():\n        return a + b\n    return g\n",
    ),
    (
        "try_finally",
        "def f(lock):\n    lock.acquire()\n    try:\n        work()\n    finally:\n        lock.release()\ntry:\n    a = 1\nfinally:\n    print('done')\n",
    ),
    (
        "try_except",
        "def f():\n    try:\n        x = int('a')\n    except ValueError as e:\n        print('bad', e)\n    except (KeyError, IndexError):\n        print('key')\n    except Exception:\n        raise\n    else:\n        print('ok')\n    finally:\n        print('end')\n    try:\n        pass\n    except:\n        pass\n",
    ),
    (
        "list_comprehension",
        "xs = [x * 2 for x in range(10) if x % 2 == 0]\ndef f(ys):\n    return [(a, b) for a in ys for b in ys if a != b]\nzs = [[y for y in range(x)] for x in range(3)]\n",
    ),
    (
        "keyword_call",
        "import threading\nt = threading.Thread(target=print, args=(1, 2), name='T')\nprint('a', 'b', sep=', ', end='')\ndef f(*args):\n    print(*args)\n    g(1, *args, k=3)\n    obj.meth(1, key=2)\n",
    ),
    (
        "fstrings",
        "x = 3\nname = 'n'\nprint(f'{x}')\nprint(f'x = {x!r:>10} and {name}')\nprint(f'{x:,} {x:_} {x:.2f} {x:{x}}')\n",
    ),
    (
        "chained_comparison",
        "def f(a, b, c):\n    if a < b < c:\n        return 1\n    x = a < b <= c != 4\n    return x\n",
    ),
    (
        "tuple_unpacking",
        "a, b = 1, 2\na, b = b, a\ndef f(p):\n    x, y = p\n    x, y = y, x\n    (a, b), c = p\n    for i, j in p:\n        pass\n    return x\n",
    ),
    (
        "and_or",
        "def f(a, b, c):\n    x = a and b\n    y = a or b or c\n    if a and b:\n        return 1\n    if a or not b:\n        return 2\n    return x if y else c\n",
    ),
    (
        "conditional_expression",
        "def f(a, b):\n    return a if a > b else b\nx = 1 if y else 2\n",
    ),
    (
        "slicing",
        "def f(xs):\n    a = xs[1:2]\n    b = xs[::2]\n    c = xs[:-1]\n    xs[0] = xs[-1]\n    del xs[0]\n    return a, b, c\n",
    ),
    (
        "imports",
        "import threading\nimport queue as q\nfrom threading import Thread, Lock as L\nimport time, random\ndef f():\n    from time import sleep\n    return sleep(0)\n",
    ),
    (
        "default_args",
        "def f(a, b=1, *args, c, d=4):\n    return a\ndef g(x=[], y=None, z=-1):\n    pass\n",
    ),
    (
        "lambdas",
        "h = lambda x, y=2: x + y\nk = lambda: 0\ndef outer(n):\n    return lambda m: n + m\n",
    ),
    (
        "displays_and_operators",
        "d = {'a': 1, 'b': 2}\ne = {1: x}\nt = (1, 2, 3)\nl = [1, 2, 3, 4]\nassert x, 'msg'\nassert y\ndel d['a']\nx = not y\nz = -x\nu = x in [1, 2, 3]\nj = x is None\nif x is not None:\n    pass\nraise ValueError('bad') from None\n",
    ),
    (
        "unwinding",
        "def f(lock):\n    with lock:\n        return 1\ndef g(lock, xs):\n    for x in xs:\n        with lock:\n            if x:\n                break\n            continue\ndef h(xs):\n    try:\n        return xs[0]\n    finally:\n        print('f')\ndef k(xs):\n    for x in xs:\n        try:\n            return x\n        except ValueError as e:\n            return e\n",
    ),
    (
        "seed_counter",
        "import threading\n\ncounter = 0\n\ndef increment():\n    global counter\n    for _ in range(100_000):\n        counter += 1\n\nthreads = [threading.Thread(target=increment) for _ in range(4)]\n[t.start() for t in threads]\n[t.join() for t in threads]\nprint(counter)\n",
    ),
    (
        "jump_conditions_and_folding",
        "def f(a, b, c, lock, xs):\n    if (a if b else c):\n        pass\n    if not a < b:\n        pass\n    if a is not None and b:\n        return 1\n    while not a:\n        a = g()\n    assert not a\n    assert a in xs, \"x\"\n    if a in xs and b not in xs or c:\n        pass\n    try:\n        with lock:\n            return xs[0]\n    finally:\n        lock = None\n    del a, b\n    for i, x in enumerate(xs):\n        if x:\n            break\n    else:\n        return -1\n    xs[0].attr += 1\n    xs.attr[1] *= 2\n    return [lambda: [y for y in xs] for _ in xs]\nx = 1\nglobal y\ndef h():\n    global x\n    del x\n    x = [1, 2, 3][1]\n    x = (1, 2)[0]\n    x = -(-1)\n    x = \"a\" * 3\n    x = 2 ** 100\n    x = 1 / 0\n    x = 7 // 0\n    x = 3.0 // 2\n    x = not 1\n",
    ),
    (
        "worker_loops",
        "def f(q, lock, cond, items):\n    while True:\n        with cond:\n            while not items:\n                cond.wait()\n            item = items.pop()\n        if item is None:\n            return\n        try:\n            process(item)\n        except Exception as e:\n            print(f\"error {e!r}\")\n            continue\n        finally:\n            q.task_done()\ndef g(n):\n    try:\n        pass\n    except ValueError:\n        pass\n    else:\n        return n\n    try:\n        x = 1\n    except:\n        x = 2\n    return x\ndef h(a):\n    return a and not a or a\ndef k(a):\n    x = a or []\n    y = a[0] if a else None\n    return x, y\n",
    ),
    (
        "sets",
        "a = {1, 2, 3}\nb = {x, 1}\nc = {*a, 4}\ne = set()\nf = {x, *a, *b}\nif x in {1, 2, 3}:\n    pass\nfor v in {4, 5}:\n    pass\na |= b\nd = a & b | c - a ^ b\ng = frozenset([1, 2])\n",
    ),
    (
        "set_and_dict_comprehensions",
        "s = {x * x for x in range(9) if x % 2}\nd = {k: v for k, v in pairs}\ndef f(xs):\n    return {x: {y for y in xs if y < x} for x in xs}\nn = {(i, j) for i in range(3) for j in range(i)}\n",
    ),
    (
        "kwargs",
        "def f(a, *args, key=1, **kwargs):\n    return g(*args, **kwargs)\ndef h(**kw):\n    pass\nd = {'a': 1}\nf(**d)\nf(1, *d, **d)\nf(1, k=2, **d)\nf(*a, *b)\nf(x=1, **d, y=2, **d)\nobj.m(**d)\ne = {**d, 'b': 1, **d}\nm = {1: 2, **e}\ndict(**d)\nlam = lambda **kw: kw\n",
    ),
    (
        "starred_targets",
        "first, *rest = xs\na, *b, c = xs\n*init, last = xs\ndef f(p):\n    for h, *t in p:\n        pass\n    [x, *y] = p\n    return x, y\n",
    ),
    (
        "walrus",
        "if (n := len(a)) > 2:\n    pass\nwhile (line := f()) != '':\n    print(line)\nys = [y := x * 2 for x in range(3)]\ndef g(xs):\n    total = 0\n    vals = [(total := total + v) for v in xs]\n    if any(chunk := xs):\n        return chunk, vals\n    return f(k := 1), k\n",
    ),
    (
        "raise_from_and_del",
        "try:\n    x = 1\nexcept KeyError as e:\n    raise ValueError('bad') from e\nexcept IndexError:\n    raise ValueError('worse') from None\ndel obj.attr\ndel xs[1:3], d[k]\ndef f(o):\n    del o.a, o.b\n",
    ),
    (
        "constant_folding",
        "print(7.5 // 2, -7.5 // 2, 7.5 % -2, -0.0 // 1, 2 ** -1, (1,2)[-1], \"abc\"[1], 2.0 ** 0.5, 0.0 ** 2, 1e300 * 1e10)\n",
    ),
    (
        "match_literals_and_values",
        "import threading\nclass Color:\n    RED = 1\ndef f(x):\n    match x:\n        case 1:\n            return 'one'\n        case -2 | 3.5 | 'four':\n            return 'other'\n        case None:\n            return 'none'\n        case True:\n            return 'yes'\n        case Color.RED:\n            return 'red'\n        case threading.Lock:\n            return 'lock'\n        case (1 | 2) as small:\n            return small\n        case n:\n            return n\nmatch f(1):\n    case 'one':\n        print('one')\n",
    ),
    (
        "match_sequences",
        "def f(x):\n    match x:\n        case []:\n            return 0\n        case [a]:\n            return a\n        case (a, b):\n            return a + b\n        case [1, *rest]:\n            return rest\n        case [*init, last]:\n            return last\n        case [first, *_, last]:\n            return first + last\n        case [_, _, *_]:\n            return 2\n        case [[a, b], c] | [c, [a, b]]:\n            return a\n    return None\nmatch 1, 2:\n    case x, y:\n        print(x, y)\n",
    ),
    (
        "match_mappings",
        "def f(msg):\n    match msg:\n        case {}:\n            return 0\n        case {'op': 'stop'}:\n            return 1\n        case {'op': 'add', 'n': n, **rest}:\n            return n, rest\n        case {**everything}:\n            return everything\n        case {1: [a, *_], -1: b}:\n            return a, b\n",
    ),
    (
        "match_classes",
        "class Point:\n    __match_args__ = ('x', 'y')\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y\ndef f(p):\n    match p:\n        case Point(x=0, y=0):\n            return 'origin'\n        case Point(0, y):\n            return y\n        case Point(x, _) if x > 0:\n            return x\n        case int(n) | float(n):\n            return n\n        case str() | list() | dict() | tuple() | bool():\n            return 'builtin'\n        case Point(x=Point() as inner):\n            return inner\n        case _:\n            return None\n",
    ),
    (
        "match_worker_loop",
        "import queue\ndef worker(q):\n    total = 0\n    while True:\n        msg = q.get()\n        match msg:\n            case ('add', n):\n                total += n\n            case ('sub', n) if n > 0:\n                total -= n\n            case {'op': 'stop'}:\n                break\n            case _:\n                continue\n    return total\n",
    ),
    (
        "constant_folding_limits",
        "a = 'a' * 0\nb = 'a' * -1\nc = (1,) * 0\nd = (1,) * -1\ne = '' * -5\nf = (1, 2) * 128\ng = (1, 2) * 129\nh = 2 * (3,)\ni = 255 ** 16\nj = 1 << 127\nk = (2**62) * 4\nl = 2 ** 64 + 1\n",
    ),
    (
        "constant_folding_wide_ints",
        "print(1 << 70, 255 ** 16, (2**62) * 4, 2 ** 64 + 1, -(2**64), (1, 2) * 3, 'ab' * 2, 'a' * -1, 1 ** 200, 2 ** 100, -3 ** 3, (-3) ** 3, 1 << 127, -1 << 64, 0 ** 500)\n",
    ),
];

/// Inputs whose `dis` output is known to differ from CPython 3.11's: `(name, reason)`.
const KNOWN: &[(&str, &str)] = &[];

/// A CPython 3.11 interpreter: `python3.11`, else `python3` if it is 3.11.
fn python311() -> Option<&'static str> {
    ["python3.11", "python3"].into_iter().find(|exe| {
        Command::new(exe)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .is_some_and(|o| String::from_utf8_lossy(&o.stdout).starts_with("Python 3.11"))
    })
}

/// Replaces every `at 0x…,` of a code object's repr by `at 0xADDR,`.
fn normalise(dis: &str) -> String {
    let mut out = String::with_capacity(dis.len());
    let mut rest = dis;
    while let Some(i) = rest.find(" at 0x") {
        out.push_str(&rest[..i]);
        let after = &rest[i + " at 0x".len()..];
        let hex = after.chars().take_while(|c| c.is_ascii_hexdigit()).count();
        if hex > 0 && after[hex..].starts_with(',') {
            out.push_str(" at 0xADDR");
            rest = &after[hex..];
        } else {
            out.push_str(" at 0x");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn programs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            programs(&p, out);
        } else if p.extension().is_some_and(|e| e == "toy") {
            out.push(p);
        }
    }
}

/// The ```python blocks of the tutorial.
fn tutorial_examples() -> Vec<String> {
    let text = std::fs::read_to_string(common::root().join("docs/tutorial.md")).expect("tutorial");
    let mut blocks = Vec::new();
    let mut cur: Option<String> = None;
    for line in text.lines() {
        match &mut cur {
            None if line.trim_start() == "```python" => cur = Some(String::new()),
            Some(b) if line.trim_start() == "```" => {
                blocks.push(std::mem::take(b));
                cur = None;
            }
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
            None => {}
        }
    }
    blocks
}

/// Every input: `(name, path)`, the snippets and tutorial examples written to `dir`.
fn inputs(dir: &Path) -> Vec<(String, PathBuf)> {
    let root = common::root();
    let mut files = Vec::new();
    programs(&root.join("programs"), &mut files);
    let mut all: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|p| {
            let name = p.strip_prefix(&root).unwrap_or(&p).display().to_string();
            (name, p)
        })
        .collect();
    for (i, src) in tutorial_examples().iter().enumerate() {
        let path = dir.join(format!("tutorial_{i}.py"));
        std::fs::write(&path, src).expect("write example");
        all.push((format!("tutorial example {i}"), path));
    }
    for (name, src) in SNIPPETS {
        let path = dir.join(format!("{name}.py"));
        std::fs::write(&path, src).expect("write snippet");
        all.push((name.to_string(), path));
    }
    all
}

fn ours(path: &Path, show_caches: bool) -> String {
    let p = path.display().to_string();
    let mut args = vec!["dis", p.as_str()];
    if show_caches {
        args.push("--show-caches");
    }
    let out = common::gilvm(&args);
    format!("{}{}", out.stdout, out.stderr)
}

fn theirs(python: &str, path: &Path, show_caches: bool) -> String {
    let out = if show_caches {
        Command::new(python)
            .args([
                "-c",
                "import dis, sys\nsrc = open(sys.argv[1]).read()\ndis.dis(compile(src, sys.argv[1], 'exec'), show_caches=True)",
            ])
            .arg(path)
            .output()
    } else {
        Command::new(python).args(["-m", "dis"]).arg(path).output()
    }
    .expect("run python3.11");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The first differing line, with a little context.
fn first_difference(a: &str, b: &str) -> String {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let i = la
        .iter()
        .zip(&lb)
        .position(|(x, y)| x != y)
        .unwrap_or(la.len().min(lb.len()));
    let from = i.saturating_sub(3);
    let show = |l: &[&str]| l[from.min(l.len())..(i + 3).min(l.len())].join("\n");
    format!(
        "first difference at line {}:\n--- gilvm\n{}\n--- python3.11\n{}",
        i + 1,
        show(&la),
        show(&lb)
    )
}

fn compare(show_caches: bool) {
    let Some(python) = python311() else {
        eprintln!("skipped: python3.11 not found");
        return;
    };
    let dir =
        std::env::temp_dir().join(format!("gilvm-dis-{}-{}", std::process::id(), show_caches));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut failures = Vec::new();
    let all = inputs(&dir);
    assert!(all.len() > 60, "only {} inputs found", all.len());
    for (name, path) in &all {
        let (a, b) = (
            normalise(&ours(path, show_caches)),
            normalise(&theirs(python, path, show_caches)),
        );
        assert!(
            b.contains("RESUME"),
            "{name}: could not read python3.11's dis output:\n{b}"
        );
        let known = KNOWN.iter().find(|(k, _)| k == name);
        match (a == b, known) {
            (true, None) => {}
            (false, Some((_, why))) => eprintln!("known difference, {name}: {why}"),
            (true, Some(_)) => {
                failures.push(format!("{name} now matches CPython: remove it from KNOWN"))
            }
            (false, None) => failures.push(format!(
                "{name} ({}): {}",
                path.display(),
                first_difference(&a, &b)
            )),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn dis_equals_cpython_311() {
    compare(false);
}

#[test]
fn dis_with_caches_equals_cpython_311() {
    compare(true);
}

#[test]
fn addresses_are_normalised_only_in_code_object_reprs() {
    assert_eq!(
        normalise("(<code object f at 0x7f12ab, file \"x\", line 1>) at 0xg"),
        "(<code object f at 0xADDR, file \"x\", line 1>) at 0xg"
    );
}
