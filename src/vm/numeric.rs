//! Numeric and I/O built-ins of the bigint area: `hex`, `oct`, `bin` (ints of any size),
//! `input()` (a line of standard input, `EOFError` at its end), and `sys.stdout` /
//! `sys.stderr` with `write` and `flush` (`print(..., file=sys.stderr)`).

use std::io::{BufRead, Write};

use crate::vm::builtins::Kwargs;
use crate::vm::exceptions::ExcKind;
use crate::vm::natives::{AttrSym, NativeId};
use crate::vm::ops::type_name;
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt, Throw};

/// `hex(v)`, `oct(v)`, `bin(v)`.
pub fn radix_str(rt: &mut Rt, id: NativeId, v: Value) -> PyResult<Value> {
    let (radix, prefix) = match id {
        NativeId::Hex => (16, "0x"),
        NativeId::Oct => (8, "0o"),
        _ => (2, "0b"),
    };
    let Some((neg, digits)) = crate::vm::bigint::radix_digits(rt, v, radix) else {
        return Err(Throw::type_error(format!(
            "'{}' object cannot be interpreted as an integer",
            type_name(rt, v)
        )));
    };
    let sign = if neg { "-" } else { "" };
    rt.new_str(format!("{sign}{prefix}{digits}"))
}

/// Writes to the process's standard error (unbuffered, as CPython's `sys.stderr` is for a
/// line). A write error (a closed pipe) is ignored, as print's are.
pub fn write_stderr(s: &str) {
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(s.as_bytes());
    let _ = e.flush();
}

/// `input(prompt='')`: the prompt on stdout (flushed), then one line of standard input
/// without its newline; `EOFError: EOF when reading a line` at the end of input.
pub fn input(rt: &mut Rt, args: &[Value], kwargs: &Kwargs) -> PyResult<Value> {
    if let Some((k, _)) = kwargs.first() {
        return Err(Throw::type_error(format!(
            "input() takes no keyword arguments (got '{k}')"
        )));
    }
    if args.len() > 1 {
        return Err(Throw::type_error(format!(
            "input expected at most 1 argument, got {}",
            args.len()
        )));
    }
    if let Some(&p) = args.first() {
        let prompt = crate::vm::format::str_of(rt, p)?;
        let _ = rt.stdout.write_all(prompt.as_bytes());
    }
    let _ = rt.stdout.flush();
    let mut line = String::new();
    let n = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Throw::new(ExcKind::OSError, e.to_string()))?;
    if n == 0 {
        return Err(Throw::new(ExcKind::EOFError, "EOF when reading a line"));
    }
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    rt.ensure_room(line.len())?;
    rt.new_str(line)
}

/// `sys.stdout.write(s)` / `sys.stderr.write(s)` (returns the length written) and `flush()`.
pub fn stream_method(
    rt: &mut Rt,
    attr: AttrSym,
    recv: Value,
    args: &[Value],
    kwargs: &Kwargs,
) -> PyResult<Value> {
    if !kwargs.is_empty() {
        return Err(Throw::type_error(format!(
            "TextIOWrapper.{}() takes no keyword arguments",
            attr.name()
        )));
    }
    let to_stderr = recv == Value::Native(NativeId::SysStderr);
    match attr {
        AttrSym::write => {
            let [s] = args else {
                return Err(Throw::type_error(format!(
                    "TextIOWrapper.write() takes exactly one argument ({} given)",
                    args.len()
                )));
            };
            let Some(text) = rt.as_str(*s).map(str::to_string) else {
                return Err(Throw::type_error(format!(
                    "write() argument must be str, not {}",
                    type_name(rt, *s)
                )));
            };
            if to_stderr {
                write_stderr(&text);
            } else {
                let _ = rt.stdout.write_all(text.as_bytes());
            }
            Ok(Value::Int(crate::vm::ops::str_len(&text) as i64))
        }
        _ => {
            if !args.is_empty() {
                return Err(Throw::type_error(format!(
                    "TextIOWrapper.flush() takes no arguments ({} given)",
                    args.len()
                )));
            }
            if !to_stderr {
                let _ = rt.stdout.flush();
            }
            Ok(Value::None)
        }
    }
}

/// The `sys.argv` list: the program's file as given, then its arguments; `['']` when the VM
/// was not given any (a program run from a test, not the command line).
pub fn make_argv(rt: &mut Rt, argv: &[String]) -> PyResult<crate::vm::value::ObjId> {
    let mut items = Vec::with_capacity(argv.len().max(1));
    for a in argv {
        items.push(rt.new_str(a.clone())?);
    }
    if items.is_empty() {
        items.push(rt.new_str("")?);
    }
    match rt.new_list(items)? {
        Value::Obj(id) => Ok(id),
        _ => Err(Throw::memory()),
    }
}
