//! `concurrent.futures` as gilvm writes it (in Python, `vm/pylib/concurrent_futures.toy`):
//! what a user sees of its threads, its races, its errors and its cost.

mod common;
use common::*;

/// CPython 3.11's names: `ThreadPoolExecutor-<executor>_<worker>`, or the prefix given.
#[test]
fn worker_threads_are_named_as_cpython_names_them() {
    let src = r#"
import threading
from concurrent.futures import ThreadPoolExecutor

def name():
    threading.Event().wait(0.01)
    return threading.current_thread().name

with ThreadPoolExecutor(max_workers=2) as ex:
    names = sorted(set(f.result() for f in [ex.submit(name) for _ in range(6)]))
print(names)
with ThreadPoolExecutor(max_workers=1) as ex:
    print(ex.submit(name).result())
with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fetch") as ex:
    print(ex.submit(name).result())
"#;
    check_all_seeds(
        src,
        6,
        "['ThreadPoolExecutor-0_0', 'ThreadPoolExecutor-0_1']\nThreadPoolExecutor-1_0\nfetch_0\n",
    );
    same_as_python(src);
}

/// Workers start lazily (`_adjust_thread_count`): one per submit while none is idle, at most
/// `max_workers`; the default is min(32, cpu_count + 4) with gilvm's cpu_count of 4.
#[test]
fn workers_start_lazily_up_to_max_workers() {
    let src = r#"
import threading
from concurrent.futures import ThreadPoolExecutor

gate = threading.Event()
ex = ThreadPoolExecutor(max_workers=3)
fs = [ex.submit(gate.wait) for _ in range(5)]
print(threading.active_count())
gate.set()
ex.shutdown()
print(threading.active_count())
print(ThreadPoolExecutor()._max_workers)
one = ThreadPoolExecutor(max_workers=4)
for _ in range(3):
    one.submit(len, "x").result()
print(len(one._threads))
one.shutdown()
"#;
    check_all_seeds(src, 6, "4\n1\n8\n1\n");
}

/// An exception in a task comes back from `result()` with the traceback CPython prints: the
/// caller's line, the executor's frames, then the task's own.
#[test]
fn a_task_exception_is_reraised_with_cpythons_traceback_shape() {
    let out = check_stderr(
        r#"
from concurrent.futures import ThreadPoolExecutor

def task(n):
    return 10 // n

with ThreadPoolExecutor() as ex:
    print(ex.submit(task, 5).result())
    ex.submit(task, 0).result()
"#,
        1,
        &[
            "Traceback (most recent call last):\n",
            "line 9, in <module>\n    ex.submit(task, 0).result()\n",
            "\"<gilvm concurrent.futures>\", line ",
            ", in result\n    return self.__get_result()\n",
            ", in __get_result\n    raise self._exception\n",
            ", in run\n    result = self.fn(*self.args, **self.kwargs)\n",
            "line 5, in task\n    return 10 // n\n           ~~~^^~~\nZeroDivisionError: integer division or modulo by zero\n",
        ],
    );
    assert_eq!(out.stdout, "2\n");
}

/// A program that never shuts its executor down still ends: the interpreter's exit hook
/// (`threading._register_atexit`) stops and joins the workers, as in CPython.
#[test]
fn an_executor_left_open_is_joined_at_exit() {
    let src = r#"
from concurrent.futures import ThreadPoolExecutor
ex = ThreadPoolExecutor(max_workers=2)
fs = [ex.submit(pow, 2, i) for i in range(5)]
print([f.result() for f in fs])
ex.submit(print, "last task")
"#;
    check_all_seeds(src, 8, "[1, 2, 4, 8, 16]\nlast task\n");
    same_as_python(src);
}

/// `--races` sees through the executor: nothing inside it is a race (its hand-offs are a
/// queue, a condition, locks and a semaphore), and a race between two tasks is reported.
#[test]
fn races_inside_tasks_are_reported_and_the_executor_has_none() {
    let racy = r#"
from concurrent.futures import ThreadPoolExecutor
hits = 0
def work(n):
    global hits
    for _ in range(n):
        hits += 1
with ThreadPoolExecutor(max_workers=2) as ex:
    fs = [ex.submit(work, 50) for _ in range(2)]
print(hits <= 100)
"#;
    for seed in 1..6 {
        let out = run_with(racy, seed, &["--races"]);
        assert!(out.stderr.contains("data race on hits"), "{out}");
        assert!(out.stderr.contains("races: 1 (on hits)"), "{out}");
    }
    let clean = r#"
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed, wait
lock = threading.Lock()
hits = 0
def work(n):
    global hits
    for _ in range(n):
        with lock:
            hits += 1
    return n
with ThreadPoolExecutor(max_workers=3) as ex:
    fs = [ex.submit(work, 20) for _ in range(6)]
    print(sum(f.result() for f in as_completed(fs)), sum(ex.map(work, [1, 2])))
    wait(fs)
print(hits)
"#;
    for seed in 1..10 {
        let out = run_with(clean, seed, &["--races", "--switch-interval", "7"]);
        assert_eq!(out.code, 0, "{out}");
        assert_eq!(out.stdout, "120 3\n123\n", "{out}");
        assert!(out.stderr.contains("races: none"), "seed {seed}: {out}");
    }
}

/// A program that does not import a Python-written module links none of it.
#[test]
fn programs_without_the_import_pay_nothing() {
    let plain = gilvm::compile_source("p.toy", "print(1)\n").expect("compiles");
    let img = gilvm::run::image(&plain).expect("links");
    assert!(img.modules.is_empty());
    // `threading` is native; its Python-written `Timer` comes only with a program naming it.
    let threads =
        gilvm::compile_source("p.toy", "import threading\nthreading.Lock()\n").expect("compiles");
    assert!(gilvm::run::image(&threads)
        .expect("links")
        .modules
        .is_empty());
    let timer =
        gilvm::compile_source("p.toy", "import threading\nthreading.Timer\n").expect("compiles");
    assert_eq!(gilvm::run::image(&timer).expect("links").modules.len(), 1);
    assert!(!img.program.names.iter().any(|n| n.contains(':')));
    let with = gilvm::compile_source("p.toy", "import concurrent.futures\n").expect("compiles");
    let img2 = gilvm::run::image(&with).expect("links");
    assert_eq!(img2.modules.len(), 1);
    assert!(img2.program.codes.len() > img.program.codes.len());
}

/// Every way of importing the package works; what gilvm cannot run says so.
#[test]
fn import_forms_and_what_is_not_provided() {
    let src = r#"
from concurrent import futures
import concurrent.futures as cf
import concurrent.futures
with futures.ThreadPoolExecutor(2) as ex:
    print(ex.submit(abs, -3).result(), cf.Future is futures.Future,
          concurrent.futures.wait is cf.wait)
"#;
    check(src, "3 True True\n");
    same_as_python(src);
    check_stderr(
        "from concurrent.futures import ProcessPoolExecutor\nProcessPoolExecutor()\n",
        1,
        &["NotImplementedError: ProcessPoolExecutor is not provided by gilvm (it runs one process); use ThreadPoolExecutor"],
    );
}
