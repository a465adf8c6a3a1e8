//! Python-style tracebacks with `.toy` source lines, and exception chaining
//! ("During handling of the above exception, another exception occurred:").

use crate::bytecode::Program;
use crate::vm::heap::{ExcObj, Obj, TbEntry};
use crate::vm::value::Value;
use crate::vm::{format, prelude, Rt};

/// The text Python prints for an uncaught exception, ending with a newline.
pub fn format_exception(rt: &Rt, exc: Value) -> String {
    let mut out = String::new();
    write_chain(rt, exc, &mut out, 0);
    out
}

fn write_chain(rt: &Rt, exc: Value, out: &mut String, depth: usize) {
    let Value::Obj(id) = exc else {
        out.push_str("MemoryError\n");
        return;
    };
    let Obj::Exception(e) = rt.heap.get(id) else {
        return;
    };
    // Python prints the chain oldest first; stop runaway chains.
    if depth < 50 {
        if let Some(c) = e.cause.filter(|c| *c != Value::None) {
            write_chain(rt, c, out, depth + 1);
            out.push_str(
                "\nThe above exception was the direct cause of the following exception:\n\n",
            );
        } else if let Some(c) = e.context.filter(|c| *c != Value::None) {
            if e.cause.is_none() {
                write_chain(rt, c, out, depth + 1);
                out.push_str(
                    "\nDuring handling of the above exception, another exception occurred:\n\n",
                );
            }
        }
    }
    write_one(rt, e, exc, out);
}

fn write_one(rt: &Rt, e: &ExcObj, exc: Value, out: &mut String) {
    if !e.traceback.is_empty() {
        out.push_str("Traceback (most recent call last):\n");
        // Like CPython, print a line repeated more than three times once per extra repeat.
        let mut last: Option<(u32, u32)> = None;
        let mut repeats = 0usize;
        for entry in e.traceback.iter().rev() {
            let key = (entry.code, line_of(&rt.program, entry.code, entry.pc));
            if last == Some(key) {
                repeats += 1;
            } else {
                flush_repeats(repeats, out);
                repeats = 0;
                last = Some(key);
            }
            if repeats < RECURSIVE_CUTOFF {
                write_entry(rt, *entry, out);
            }
        }
        flush_repeats(repeats, out);
    }
    out.push_str(&exception_line(rt, e, exc));
    out.push('\n');
}

/// CPython's `_TRACEBACK_RECURSIVE_CUTOFF`: identical lines printed before summarising.
const RECURSIVE_CUTOFF: usize = 3;

fn flush_repeats(repeats: usize, out: &mut String) {
    if repeats >= RECURSIVE_CUTOFF {
        let n = repeats - RECURSIVE_CUTOFF + 1;
        out.push_str(&format!(
            "  [Previous line repeated {n} more time{}]\n",
            if n == 1 { "" } else { "s" }
        ));
    }
}

/// `KeyError: 'x'`, `ZeroDivisionError: division by zero`, or just the class name.
pub fn exception_line(rt: &Rt, e: &ExcObj, exc: Value) -> String {
    let msg = format::str_of(rt, exc)
        .unwrap_or_else(|_| "<gilvm cannot call this exception's __str__ here yet>".to_string());
    let name = match e.class {
        Some(c) => crate::vm::classes::class_qualname(rt, c),
        None => e.kind.name(),
    };
    if msg.is_empty() {
        name.to_string()
    } else {
        format!("{name}: {msg}")
    }
}

/// `  File "f.toy", line 3, in worker` and the stripped source line.
pub fn write_entry(rt: &Rt, entry: TbEntry, out: &mut String) {
    let prog = &rt.program;
    let code = &prog.codes[entry.code as usize];
    let line = line_of(prog, entry.code, entry.pc);
    let module_file;
    let (filename, source) = if entry.code >= rt.prelude_start {
        match crate::vm::pymodules::module_of(&rt.module_starts, entry.code) {
            Some((file, source)) => {
                module_file = file;
                (module_file.as_str(), source)
            }
            None => (prelude::FILENAME, prelude::SOURCE),
        }
    } else {
        (prog.filename.as_str(), prog.source.as_str())
    };
    out.push_str(&format!(
        "  File \"{filename}\", line {line}, in {}\n",
        code.name
    ));
    if let Some(text) = source.lines().nth(line.saturating_sub(1) as usize) {
        let t = text.trim();
        if !t.is_empty() {
            out.push_str("    ");
            out.push_str(t);
            out.push('\n');
            // CPython 3.11's `~~~^^^` under the failing expression.
            if let Some(span) = code.spans.get(entry.pc as usize) {
                if let Some(carets) = crate::carets::caret_line(source, line, *span) {
                    out.push_str(&carets);
                }
            }
        }
    }
}

/// The source line (1-based) of instruction `pc` of code `code`.
pub fn line_of(prog: &Program, code: u32, pc: u32) -> u32 {
    let c = &prog.codes[code as usize];
    c.lines.get(pc as usize).copied().unwrap_or(c.first_line)
}
