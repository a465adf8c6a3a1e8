//! Crashed threads: an exception that escapes a thread other than the main thread is an
//! outcome of the run. Python prints `Exception in thread Thread-1 (worker):` and its
//! traceback and carries on (gilvm prints the same, unchanged); gilvm also keeps the crash —
//! which thread, which exception, which line — for the run summary, `sweep`'s verdict and the
//! trace's `!!! EXCEPTION` block. Noted once per thread, when it dies: never on the
//! interpreter's path.

use serde::Serialize;

use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::thread::Tid;
use crate::vm::traceback::{exception_line, line_of};
use crate::vm::value::Value;

/// One thread that died of an uncaught exception.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Crash {
    pub tid: Tid,
    /// Python's name: `Thread-1 (worker)`.
    pub thread: String,
    /// The exception's class: `IndexError`.
    pub kind: String,
    /// The last line of the traceback: `IndexError: pop from empty list`.
    pub exception: String,
    /// Where it was raised: the innermost line of the program (not of gilvm's prelude).
    pub line: u32,
    /// The function it was raised in.
    pub function: String,
    pub t_ns: u64,
    pub step: u64,
}

impl Crash {
    /// `Thread-1 (worker) died of IndexError: pop from empty list at line 4, in worker`.
    pub fn sentence(&self) -> String {
        format!(
            "{} died of {} at line {}, in {}",
            self.thread, self.exception, self.line, self.function
        )
    }
}

impl Vm {
    /// The crash `exc` escaping thread `tid` means, if it is one: not the main thread's
    /// exception (that ends the run with status 1) and not `SystemExit`.
    pub fn crash_of(&self, tid: Tid, exc: Value) -> Option<Crash> {
        if tid == 0 {
            return None;
        }
        self.uncaught_of(tid, exc)
    }

    /// The uncaught exception `exc` that escaped thread `tid` (the main thread's too), unless
    /// it is `SystemExit`: its kind, last traceback line and innermost line of the program.
    pub fn uncaught_of(&self, tid: Tid, exc: Value) -> Option<Crash> {
        let (exception, kind, tb) = match exc {
            Value::Obj(id) => match self.rt.heap.get(id) {
                Obj::Exception(e) => {
                    if e.kind == ExcKind::SystemExit {
                        return None;
                    }
                    let line = exception_line(&self.rt, e, exc);
                    let kind = line.split(':').next().unwrap_or("").to_string();
                    (line, kind, e.traceback.to_vec())
                }
                _ => return None,
            },
            _ => (
                "MemoryError".to_string(),
                "MemoryError".to_string(),
                Vec::new(),
            ),
        };
        // The traceback is stored innermost first (it is printed reversed).
        let inner = tb
            .iter()
            .find(|e| e.code < self.rt.prelude_start)
            .or(tb.first());
        let (line, function) = match inner {
            Some(e) => (
                line_of(&self.prog, e.code, e.pc),
                self.prog.codes[e.code as usize].name.clone(),
            ),
            None => (0, String::new()),
        };
        Some(Crash {
            tid,
            thread: self.threads[tid as usize].name.clone(),
            kind,
            exception,
            line,
            function,
            t_ns: self.now_ns(),
            step: self.steps,
        })
    }

    /// The summary's line about crashed threads (empty when none crashed).
    pub fn crash_summary(&self) -> String {
        match self.crashes.as_slice() {
            [] => String::new(),
            [c] => format!("gilvm: crashed threads: 1 — {}\n", c.sentence()),
            [first, rest @ ..] => format!(
                "gilvm: crashed threads: {} — the first: {} (and {} more)\n",
                self.crashes.len(),
                first.sentence(),
                rest.len()
            ),
        }
    }
}
