//! `threading.local`, `threading.excepthook`, `contextlib.suppress`/`nullcontext`,
//! `itertools.tee`/`pairwise`, `Executor.map`/`as_completed` as generators, `in` over a
//! generator, and the native `collections.deque`: each checked against the output CPython
//! 3.11 prints (written out here, so the tests run without `python3`), and against
//! `python3` itself when it is present.

mod common;
use common::{check, check_all_seeds, check_stderr, run, same_as_python};

#[test]
fn in_over_a_generator_stops_at_the_first_match() {
    let src = r#"
def gen():
    for i in range(10):
        print("yield", i)
        yield i
g = gen()
print(3 in g)
print(next(g))
print(99 in g)
print(next(g, "done"))
m = map(lambda x: x * 2, [1, 2, 3, 4])
print(4 in m, list(m))
print(5 not in (x for x in range(10)))
"#;
    let want = "yield 0\nyield 1\nyield 2\nyield 3\nTrue\nyield 4\n4\nyield 5\nyield 6\nyield 7\nyield 8\nyield 9\nFalse\ndone\nTrue [6, 8]\nFalse\n";
    check(src, want);
    same_as_python(src);
}

const LOCAL: &str = r#"
import threading

data = threading.local()
results = {}
lock = threading.Lock()

def worker(n):
    data.value = n
    for _ in range(50):
        data.value += 1
    with lock:
        results[n] = data.value

ts = [threading.Thread(target=worker, args=(i * 100,)) for i in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(sorted(results.items()))
try:
    print(data.value)
except AttributeError as e:
    print("AttributeError:", e)
data.value = "main"
del data.value
try:
    del data.value
except AttributeError as e:
    print("AttributeError:", e)

class Counter(threading.local):
    def __init__(self, start):
        self.count = start
        with lock:
            inits.append(threading.current_thread().name)

    def bump(self):
        self.count += 1
        return self.count

inits = []
c = Counter(10)
def w2():
    for _ in range(3):
        c.bump()
    with lock:
        results[threading.current_thread().name] = c.count
results = {}
ts = [threading.Thread(target=w2, name="W%d" % i) for i in range(3)]
for t in ts: t.start()
for t in ts: t.join()
print(sorted(results.items()), c.count, sorted(inits))
try:
    c.missing
except AttributeError as e:
    print("AttributeError:", e)
try:
    threading.local(1)
except TypeError as e:
    print("TypeError:", e)
print(isinstance(c, threading.local))
"#;

#[test]
fn threading_local_keeps_one_set_of_attributes_per_thread() {
    let want = "[(0, 50), (100, 150), (200, 250), (300, 350)]\n\
AttributeError: '_thread._local' object has no attribute 'value'\n\
AttributeError: '_thread._local' object has no attribute 'value'\n\
[('W0', 13), ('W1', 13), ('W2', 13)] 10 ['MainThread', 'W0', 'W1', 'W2']\n\
AttributeError: 'Counter' object has no attribute 'missing'\n\
TypeError: Initialization arguments are not supported\n\
True\n";
    check_all_seeds(LOCAL, 8, want);
    same_as_python(LOCAL);
}

#[test]
fn a_program_set_excepthook_is_called_in_the_dying_thread() {
    let src = r#"
import threading

def hook(args):
    print("hook:", args.exc_type.__name__, args.exc_value, args.thread.name,
          threading.current_thread().name, args.exc_traceback is None or True)

def bad():
    raise RuntimeError("boom")

original = threading.excepthook
print(original is threading.__excepthook__)
threading.excepthook = hook
t = threading.Thread(target=bad, name="B")
t.start(); t.join()
threading.excepthook = original
print(threading.excepthook is threading.__excepthook__)

def chained(args):
    print("logged", args.thread.name)
    threading.__excepthook__(args)
threading.excepthook = chained
t = threading.Thread(target=bad, name="C")
t.start(); t.join()
a = threading.ExceptHookArgs((ValueError, ValueError("v"), None, None))
exc_type, exc_value, tb, thread = a
print(exc_type.__name__, exc_value, tb, thread, len(a), a[0].__name__)
print("end")
"#;
    let want = "True\nhook: RuntimeError boom B B True\nTrue\nlogged C\nValueError v None None 4 ValueError\nend\n";
    let out = check_stderr(
        src,
        0,
        &[
            "Exception in thread C:\nTraceback (most recent call last):\n",
            "RuntimeError: boom\n",
        ],
    );
    assert_eq!(out.stdout, want, "{out}");
    assert!(!out.stderr.contains("Exception in thread B"), "{out}");
    same_as_python(src);
}

#[test]
fn an_excepthook_that_raises_is_reported() {
    let src = r#"
import threading
def hook(args):
    raise ValueError("hook failed")
threading.excepthook = hook
t = threading.Thread(target=lambda: 1 / 0)
t.start(); t.join()
print("end")
"#;
    let out = check_stderr(
        src,
        0,
        &[
            "Exception in threading.excepthook:\n",
            "ValueError: hook failed\n",
        ],
    );
    assert_eq!(out.stdout, "end\n", "{out}");
}

#[test]
fn contextlib_suppress_and_nullcontext() {
    let src = r#"
from contextlib import suppress, nullcontext
import contextlib
with suppress(KeyError, IndexError):
    {}["x"]
print("after")
with contextlib.suppress(LookupError):
    [][1]
print("subclass suppressed")
try:
    with suppress(KeyError):
        raise ValueError("v")
except ValueError as e:
    print("escaped", e)
with suppress():
    pass
with nullcontext(5) as n:
    print("null", n)
with nullcontext() as n:
    print(n)
"#;
    check(src, "after\nsubclass suppressed\nescaped v\nnull 5\nNone\n");
    same_as_python(src);
}

#[test]
fn itertools_tee_and_pairwise() {
    let src = r#"
import itertools
from itertools import tee, pairwise
a, b = tee(range(5))
print(list(a), list(b))
x, y, z = tee(iter([1, 2, 3]), 3)
print(next(x), list(y), list(x), list(z))
print(tee([1], 0))
print(list(pairwise("ABCDE")), list(pairwise([1])), list(pairwise([])))
print([b - a for a, b in itertools.pairwise([1, 4, 9, 16])])
try:
    tee([1], -1)
except ValueError as e:
    print("ValueError:", e)
"#;
    check(
        src,
        "[0, 1, 2, 3, 4] [0, 1, 2, 3, 4]\n1 [1, 2, 3] [2, 3] [1, 2, 3]\n()\n\
[('A', 'B'), ('B', 'C'), ('C', 'D'), ('D', 'E')] [] []\n[3, 5, 7]\nValueError: n must be >= 0\n",
    );
    same_as_python(src);
}

#[test]
fn executor_map_and_as_completed_are_generators() {
    let src = r#"
from concurrent.futures import ThreadPoolExecutor, as_completed, TimeoutError
import time
def sq(x):
    time.sleep(0.1 * (5 - x))
    return x * x
with ThreadPoolExecutor(max_workers=5) as ex:
    r = ex.map(sq, range(5))
    print(type(r).__name__, list(r))
    futs = {ex.submit(sq, i): i for i in range(5)}
    ac = as_completed(futs)
    print(type(ac).__name__)
    print([futs[f] for f in ac])
    f = ex.submit(time.sleep, 1)
    try:
        for x in as_completed([f], timeout=0.1):
            print(x)
    except TimeoutError as e:
        print("timeout", e)
    try:
        list(ex.map(time.sleep, [0.5, 0.5], timeout=0.1))
    except TimeoutError as e:
        print("map timeout", repr(e))
"#;
    // The sleeps order the completions: 4 finishes first, 0 last.
    let want = "generator [0, 1, 4, 9, 16]\ngenerator\n[4, 3, 2, 1, 0]\n\
timeout 1 (of 1) futures unfinished\nmap timeout TimeoutError()\n";
    for seed in [1, 2, 3] {
        let out = common::run_with(src, seed, &[]);
        assert!(out.code == 0 && out.stdout == want, "seed {seed}\n{out}");
    }
    same_as_python(src);
    let _ = run;
}

#[test]
fn functools_lru_cache_and_cache() {
    let src = r#"
import functools
from functools import lru_cache, cache

@functools.lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
print(fib(90), fib.cache_info())

@lru_cache
def sq(x):
    print("computing", x)
    return x * x
print(sq(3), sq(3), sq(4), sq.cache_info())
sq.cache_clear()
print(sq.cache_info(), sq.__name__)

@lru_cache(maxsize=2)
def f(x):
    return x
for x in [1, 2, 1, 3, 2, 1]:
    f(x)
print(f.cache_info())

@cache
def g(a, b=1):
    return a + b
print(g(1), g(1, b=2), g(1), g.cache_info())
"#;
    check(
        src,
        "2880067194370816120 CacheInfo(hits=88, misses=91, maxsize=None, currsize=91)\n\
computing 3\ncomputing 4\n9 9 16 CacheInfo(hits=1, misses=2, maxsize=128, currsize=2)\n\
CacheInfo(hits=0, misses=0, maxsize=128, currsize=0) sq\n\
CacheInfo(hits=1, misses=5, maxsize=2, currsize=2)\n\
2 3 2 CacheInfo(hits=1, misses=2, maxsize=None, currsize=2)\n",
    );
    same_as_python(src);
}

/// CPython's deque methods are one C call each: gilvm's are one built-in call, so `trace`
/// shows `d.append(x)` as its `CALL` alone (no instructions of a Python-written method) and
/// `--races` reports nothing for threads sharing one deque.
#[test]
fn a_deque_method_is_one_atomic_step() {
    let src = "from collections import deque\nd = deque(maxlen=2)\nd.append(1)\nd.append(2)\nd.append(3)\nprint(d.popleft(), d)\n";
    let path = common::write_program(src);
    let p = path.to_string_lossy().into_owned();
    let out = common::gilvm(&["trace", &p, "--seed", "1"]);
    assert_eq!(out.code, 0, "{out}");
    let body: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| !l.starts_with('#') && !l.contains("==="))
        .collect();
    // The program's own instructions only: no module body, no method frame.
    assert!(
        body.iter()
            .all(|l| !l.contains("RESUME") || l.contains(" 0     0 RESUME")),
        "{}",
        out.stdout
    );
    assert!(body.len() < 50, "{}", out.stdout);
    assert!(
        out.stdout.contains("write deque([], maxlen=2)"),
        "{}",
        out.stdout
    );
    let _ = std::fs::remove_file(&path);

    let racy = r#"
import threading
from collections import deque
d = deque(maxlen=50)
def w():
    for i in range(200):
        d.append(i)
        d.popleft()
        d.append(i)
ts = [threading.Thread(target=w) for _ in range(3)]
for t in ts: t.start()
for t in ts: t.join()
print(len(d))
"#;
    for seed in [1, 2, 3] {
        let out = common::run_with(racy, seed, &["--races", "--switch-interval", "5"]);
        assert_eq!(out.stdout, "50\n", "{out}");
        assert!(out.stderr.contains("races: none"), "{out}");
    }
}

#[test]
fn deque_errors_are_cpythons() {
    let src = r#"
from collections import deque
d = deque([1, 2])
for f in [lambda: d.remove(5), lambda: d.index(5), lambda: deque([1], maxlen=1).insert(0, 1),
          lambda: d[5], lambda: d['a'], lambda: deque(maxlen=-1), lambda: d.append(),
          lambda: hash(d), lambda: deque().pop(), lambda: deque().popleft()]:
    try:
        f()
    except Exception as e:
        print(type(e).__name__, e)
it = iter(d)
d.append(3)
try:
    next(it)
except RuntimeError as e:
    print(e)
"#;
    check(
        src,
        "ValueError 5 is not in deque\nValueError 5 is not in deque\n\
IndexError deque already at its maximum size\nIndexError deque index out of range\n\
TypeError sequence index must be integer, not 'str'\nValueError maxlen must be non-negative\n\
TypeError deque.append() takes exactly one argument (0 given)\n\
TypeError unhashable type: 'collections.deque'\nIndexError pop from an empty deque\n\
IndexError pop from an empty deque\ndeque mutated during iteration\n",
    );
    same_as_python(src);
}

#[test]
fn a_built_in_types_method_looked_up_on_the_type() {
    let src = r#"
words = ["apple", "Banana", "cherry"]
print(list(map(str.upper, words)))
print(sorted(words, key=str.lower))
print(str.join("-", words), list.copy([1, 2]), dict.get({"a": 1}, "a"))
lst = []
add = list.append
add(lst, 5)
print(lst, set.union({1}, {2}), tuple.count((1, 1, 2), 1))
print(list(map(str.strip, ["  a ", "b  "])), list(filter(str.isdigit, ["1", "x", "22"])))
"#;
    check(
        src,
        "['APPLE', 'BANANA', 'CHERRY']\n['apple', 'Banana', 'cherry']\napple-Banana-cherry [1, 2] 1\n\
[5] {1, 2} 2\n['a', 'b'] ['1', '22']\n",
    );
    same_as_python(src);
}

#[test]
fn sorted_min_max_with_keywords_over_an_instance_iterable_through_iter() {
    let src = r#"
from collections import Counter
c = Counter("hello world")
print(sorted(c, key=lambda k: (-c[k], k))[:3], sorted(c, reverse=True)[:2])
print(max(c, key=c.get), min(c, key=lambda k: c[k]))
"#;
    check(src, "['l', 'o', ' '] ['w', 'r']\nl h\n");
    same_as_python(src);
}

#[test]
fn thread_init_called_on_the_class_and_type_of_sync_objects() {
    let src = r#"
import threading, queue
class Acc(threading.Thread):
    def __init__(self, n):
        threading.Thread.__init__(self, name="acc")
        self.n = n
        self.total = 0
    def run(self):
        for i in range(self.n):
            self.total += i
a = Acc(10)
a.start()
a.join()
print(a.name, a.total)
for o in [threading.Event(), threading.Condition(), threading.Semaphore(), queue.Queue()]:
    print(type(o), type(o).__name__, isinstance(o, type(o)))
"#;
    check(
        src,
        "acc 45\n<class 'threading.Event'> Event True\n<class 'threading.Condition'> Condition True\n\
<class 'threading.Semaphore'> Semaphore True\n<class 'queue.Queue'> Queue True\n",
    );
    same_as_python(src);
}

/// `next(itertools.count())` is one C call in CPython, the thread-safe id generator of many
/// tutorials: native in gilvm too, never "generator already executing".
#[test]
fn itertools_count_is_native_and_safe_to_share() {
    let src = r#"
import itertools, threading
ids = itertools.count(1)
got = []
lock = threading.Lock()
def w():
    for _ in range(200):
        i = next(ids)
        with lock:
            got.append(i)
ts = [threading.Thread(target=w) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print(len(got), len(set(got)), max(got))
"#;
    check_all_seeds(src, 6, "800 800 800\n");
    let src = r#"
import itertools
c = itertools.count(5)
print(c, next(c), c, itertools.count(0, 2), itertools.count(0.5, 0.25), itertools.count())
print(list(itertools.islice(itertools.count(10, -3), 4)), list(zip(itertools.count(), "ab")))
c2 = itertools.count(2**63 - 2)
print(next(c2), next(c2), next(c2), c2)
print(iter(c) is c)
try:
    itertools.count("a")
except TypeError as e:
    print(e)
"#;
    check(
        src,
        "count(6) 5 count(6) count(0, 2) count(0.5, 0.25) count(0)\n[10, 7, 4, 1] [(0, 'a'), (1, 'b')]\n\
9223372036854775806 9223372036854775807 9223372036854775808 count(9223372036854775809)\nTrue\n\
a number is required\n",
    );
    same_as_python(src);
}
