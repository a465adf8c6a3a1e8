//! Turning values into text exactly as CPython 3.11 does: `repr`, `str`, the format-spec
//! mini-language (`format`, f-strings, `str.format`) and printf-style `%` formatting.
//!
//! Where CPython prints a memory address (`<function f at 0x7f3a…>`), gilvm prints a stable
//! fake one derived from the object's heap index ([`fake_address`]), the same number `id()`
//! returns, so output stays deterministic (DESIGN.md §4.5). Heap indices are reused after a
//! collection, just as CPython reuses addresses.
//! Nothing here allocates on the heap: results are Rust `String`s the caller may wrap.

mod percent;
mod spec;
mod strformat;

pub use percent::percent_format;
pub use spec::format_spec;
pub use strformat::str_format;

use crate::vm::exceptions::ExcKind;
use crate::vm::heap::{DictPart, Obj};
use crate::vm::natives::{ModuleId, NativeId};
use crate::vm::ops::{is_class, type_name, MAX_NESTING};
use crate::vm::sync::SyncObj;
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Rt, Throw};

/// `repr(v)`.
pub fn repr(rt: &Rt, v: Value) -> PyResult<String> {
    let mut out = String::new();
    write_repr(rt, v, &mut out, &mut Vec::new())?;
    Ok(out)
}

/// At least the first `max_chars` characters of `repr(v)` (all of it when shorter), without
/// building the rest: a trace shows a value in a few dozen characters, and the full repr of a
/// 500 MB list would cost seconds and memory outside the heap limit. Strings, lists, tuples and
/// dicts are cut short; other objects are small and use [`repr`].
pub fn repr_prefix(rt: &Rt, v: Value, max_chars: usize) -> PyResult<String> {
    let mut out = String::new();
    write_prefix(rt, v, max_chars, &mut out, &mut Vec::new())?;
    Ok(out)
}

fn write_prefix(
    rt: &Rt,
    v: Value,
    max: usize,
    out: &mut String,
    stack: &mut Vec<ObjId>,
) -> PyResult<()> {
    let Value::Obj(id) = v else {
        immediate_repr(v, out);
        return Ok(());
    };
    let full = |out: &mut String| -> PyResult<()> {
        out.push_str(&repr(rt, v)?);
        Ok(())
    };
    let obj = rt.heap.get(id);
    if let Obj::Str(s) = obj {
        // The quote depends on the whole string; the characters after `max` do not matter.
        let cut = s.char_indices().nth(max).map_or(s.len(), |(i, _)| i);
        if cut == s.len() {
            return full(out);
        }
        let quote = if s.contains('\'') && !s.contains('"') {
            '"'
        } else {
            '\''
        };
        let mut r = str_repr_quoted(&s[..cut], quote);
        r.pop(); // the closing quote: the string goes on
        out.push_str(&r);
        return Ok(());
    }
    let set_items;
    let (items, open, close, empty_cycle): (&[Value], &str, &str, &str) = match obj {
        Obj::Set(t) if !t.is_empty() => {
            set_items = t.entries().take(max).map(|e| e.value).collect::<Vec<_>>();
            (&set_items, "{", "}", "{...}")
        }
        Obj::List(items) => (items, "[", "]", "[...]"),
        Obj::Tuple(items) if items.len() != 1 => (items, "(", ")", "(...)"),
        Obj::Dict(_) => (&[], "{", "}", "{...}"),
        _ => return full(out),
    };
    if stack.contains(&id) {
        out.push_str(empty_cycle);
        return Ok(());
    }
    if stack.len() > MAX_NESTING {
        return Err(repr_too_deep());
    }
    stack.push(id);
    out.push_str(open);
    if let Obj::Dict(d) = obj {
        for (i, (k, val)) in d.values().enumerate() {
            if out.chars().count() > max {
                break;
            }
            if i > 0 {
                out.push_str(", ");
            }
            write_prefix(rt, *k, max, out, stack)?;
            out.push_str(": ");
            write_prefix(rt, *val, max, out, stack)?;
        }
    } else {
        for (i, &x) in items.iter().enumerate() {
            if out.chars().count() > max {
                break;
            }
            if i > 0 {
                out.push_str(", ");
            }
            write_prefix(rt, x, max, out, stack)?;
        }
    }
    out.push_str(close);
    stack.pop();
    Ok(())
}

/// `str(v)`: the string itself for a str, Python's `str(e)` rules for exceptions, else repr.
/// A `__str__`/`__repr__` that a built-in would have to call from inside its own work (a
/// list's repr, `%` formatting): not supported yet, said rather than printed wrongly.
fn unsupported_dunder(rt: &Rt, v: Value, name: &str) -> crate::vm::Throw {
    crate::vm::Throw::new(
        ExcKind::NotImplementedError,
        format!(
            "gilvm cannot call {name} of a '{}' object here yet (only print(), str(), repr(), \
             format() and f-strings call it)",
            type_name(rt, v)
        ),
    )
}

pub fn str_of(rt: &Rt, v: Value) -> PyResult<String> {
    if let Value::Obj(id) = v {
        match rt.heap.get(id) {
            Obj::Str(s) => return Ok(s.to_string()),
            Obj::Instance(_) | Obj::Exception(_)
                if crate::vm::classes::user_dunder(rt, v, rt.dunders.str_).is_some() =>
            {
                return Err(unsupported_dunder(rt, v, "__str__"));
            }
            Obj::Exception(e) => {
                return match e.args.as_slice() {
                    [] => Ok(String::new()),
                    [a] if e.kind == ExcKind::KeyError => repr(rt, *a),
                    [a] => str_of(rt, *a),
                    args => {
                        let mut out = String::new();
                        write_seq(rt, args, "(", ")", args.len() == 1, &mut out, &mut vec![id])?;
                        Ok(out)
                    }
                }
            }
            _ => {}
        }
    }
    repr(rt, v)
}

/// `FORMAT_VALUE`: applies the conversion (`!s`, `!r`, `!a`; `None` for none) and then the
/// format spec, as an f-string field `f"{v!r:>10}"` does.
pub fn format_value(rt: &mut Rt, v: Value, conv: Option<char>, spec: &str) -> PyResult<String> {
    let converted = match conv {
        None => {
            // The common case `f"{x}"`: a str is itself, anything else its str().
            if spec.is_empty() {
                return str_of(rt, v);
            }
            v
        }
        Some('s') => {
            let s = str_of(rt, v)?;
            if spec.is_empty() {
                return Ok(s);
            }
            rt.new_str(s)?
        }
        Some(c) => {
            let s = if c == 'a' {
                ascii(rt, v)?
            } else {
                repr(rt, v)?
            };
            if spec.is_empty() {
                return Ok(s);
            }
            rt.new_str(s)?
        }
    };
    format_spec(rt, converted, spec)
}

/// `ascii(v)`: the repr with every non-ASCII character escaped (`'\\xe9'`).
pub fn ascii(rt: &Rt, v: Value) -> PyResult<String> {
    let r = repr(rt, v)?;
    if r.is_ascii() {
        return Ok(r);
    }
    let mut out = String::with_capacity(r.len() + 8);
    for c in r.chars() {
        match c as u32 {
            0..=0x7f => out.push(c),
            u @ 0x80..=0xff => out.push_str(&format!("\\x{u:02x}")),
            u @ 0x100..=0xffff => out.push_str(&format!("\\u{u:04x}")),
            u => out.push_str(&format!("\\U{u:08x}")),
        }
    }
    Ok(out)
}

/// The deterministic stand-in for an object's address, shared by reprs and `id()`.
pub fn fake_address(id: ObjId) -> i64 {
    0x7f00_0000_0000 + (id.0 as i64) * 16
}

/// `id(v)` for any value: heap objects by [`fake_address`]; immediates by value in a range of
/// their own (ints beyond ±2**40 may share an id with another int, never with an object).
pub fn fake_id(v: Value) -> i64 {
    match v {
        Value::Obj(id) => fake_address(id),
        Value::None => 0x5f00_0000_0010,
        Value::Undef => 0x5f00_0000_0000,
        Value::Bool(b) => 0x5f00_0000_0020 + 16 * b as i64,
        Value::Int(i) => 0x6000_0000_0000_i64.wrapping_add(i.wrapping_mul(32)),
        Value::Float(f) => 0x3000_0000_0000 + ((f.to_bits() >> 12) as i64 & 0xfff_ffff_fff0),
        Value::Native(n) => 0x5e00_0000_0000 + 16 * n as i64,
        Value::Method(m) => 0x5e10_0000_0000 + 16 * (((m.ty as i64) << 8) | m.attr as i64),
        Value::Module(m) => 0x5e20_0000_0000 + 16 * m as i64,
        Value::ExcType(k) => 0x5e30_0000_0000 + 16 * k as i64,
        Value::BoundExit(id) => fake_address(id) + 8,
        Value::PyMethod(id) => fake_address(id) + 8,
    }
}

/// Python's `repr` of a float: the shortest digits that round-trip, in fixed notation when the
/// decimal exponent is in -4..16, else scientific (`1e+16`, `1e-05`), always with a `.0` or
/// an exponent so it reads back as a float.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    let (digits, exp) = shortest_digits(f);
    let sign = if f.is_sign_negative() { "-" } else { "" };
    let decpt = exp + 1;
    let body = if -4 < decpt && decpt <= 16 {
        fixed_from_digits(&digits, decpt, true)
    } else {
        sci_from_digits(&digits, exp)
    };
    format!("{sign}{body}")
}

/// The shortest round-trip decimal digits of `|f|` and the exponent of the first digit.
fn shortest_digits(f: f64) -> (String, i32) {
    split_exp(&format!("{:e}", f.abs()))
}

/// Splits Rust's `1.2345e3` form into digits `12345` and exponent `3`.
fn split_exp(s: &str) -> (String, i32) {
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    (mant.replace('.', ""), exp.parse().unwrap_or(0))
}

/// Digits with the decimal point after `decpt` of them (padding with zeros either side).
fn fixed_from_digits(digits: &str, decpt: i32, dot_zero: bool) -> String {
    let n = digits.len() as i32;
    if decpt <= 0 {
        format!("0.{}{digits}", "0".repeat((-decpt) as usize))
    } else if decpt >= n {
        let zeros = "0".repeat((decpt - n) as usize);
        if dot_zero {
            format!("{digits}{zeros}.0")
        } else {
            format!("{digits}{zeros}")
        }
    } else {
        let (a, b) = digits.split_at(decpt as usize);
        format!("{a}.{b}")
    }
}

fn sci_from_digits(digits: &str, exp: i32) -> String {
    let (first, rest) = digits.split_at(1.min(digits.len()));
    let dot = if rest.is_empty() { "" } else { "." };
    format!("{first}{dot}{rest}e{}", exp_suffix(exp))
}

/// An exponent as Python writes it: sign always, at least two digits (`+16`, `-05`).
fn exp_suffix(exp: i32) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{sign}{:02}", exp.unsigned_abs())
}

/// `repr` of a string with Python's choice of quotes and escapes.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    str_repr_quoted(s, quote)
}

// fmt: `f"{name!r}"`.
/// `repr(s)` of a str of printable ASCII with no backslash and not both quotes, as [`repr`]
/// returns it (the same capacity: `str_repr`'s text pushed into an empty `String` makes it
/// `max(len, 8)`), without the character-by-character escaping. `None` for any other str.
pub(crate) fn plain_str_repr(s: &str) -> Option<String> {
    let (mut single, mut double) = (false, false);
    for &c in s.as_bytes() {
        if !(0x20..=0x7e).contains(&c) || c == b'\\' {
            return None;
        }
        single |= c == b'\'';
        double |= c == b'"';
    }
    if single && double {
        return None;
    }
    let quote = if single { '"' } else { '\'' };
    let mut out = String::with_capacity((s.len() + 2).max(8));
    out.push(quote);
    out.push_str(s);
    out.push(quote);
    Some(out)
}

/// `repr` of a string between `quote`s.
fn str_repr_quoted(s: &str, quote: char) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_printable(c) => out.push(c),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push(quote);
    out
}

/// Python's `str.isprintable` for one character, for the ranges programs meet: controls,
/// separators other than the space, format characters, surrogates and private use are not.
fn is_printable(c: char) -> bool {
    let u = c as u32;
    match u {
        0x20..=0x7e => true,
        0..=0x1f | 0x7f..=0xa0 | 0xad => false,
        0x1680 | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x2064 | 0x3000 | 0xfeff => false,
        0x180e | 0x2066..=0x206f | 0xfff9..=0xfffb => false,
        0xd800..=0xf8ff | 0xf0000.. => false,
        _ => true,
    }
}

fn write_repr(rt: &Rt, v: Value, out: &mut String, stack: &mut Vec<ObjId>) -> PyResult<()> {
    match v {
        Value::Obj(id) => write_obj_repr(rt, id, v, out, stack),
        _ => {
            immediate_repr(v, out);
            Ok(())
        }
    }
}

#[inline(never)]
fn immediate_repr(v: Value, out: &mut String) {
    match v {
        Value::None | Value::Undef => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Int(i) => out.push_str(::itoa::Buffer::new().format(i)),
        Value::Float(f) => out.push_str(&float_repr(f)),
        Value::Native(n) => out.push_str(&native_repr(n)),
        Value::Method(m) => out.push_str(&method_repr(m)),
        Value::Module(m) => out.push_str(&module_repr(m)),
        Value::ExcType(k) => {
            let prefix = if k == ExcKind::BrokenBarrierError {
                "threading."
            } else {
                ""
            };
            out.push_str(&format!("<class '{prefix}{}'>", k.name()));
        }
        Value::BoundExit(_) => out.push_str("<built-in method __exit__>"),
        Value::PyMethod(_) => out.push_str("<bound method>"),
        Value::Obj(_) => {}
    }
}

fn native_repr(n: NativeId) -> String {
    use NativeId::*;
    let module = match n {
        Thread | Semaphore | BoundedSemaphore | Condition | Event | Barrier => "threading.",
        Queue | LifoQueue | PriorityQueue => "queue.",
        SimpleQueue => "_queue.",
        Deque => "collections.",
        _ => "",
    };
    if n.is_type() || is_class(n) {
        format!("<class '{module}{}'>", n.name().trim_end())
    } else {
        if n == NotImplemented || n == Ellipsis {
            return n.name().to_string();
        }
        if let SysStdout | SysStderr = n {
            return format!(
                "<_io.TextIOWrapper name='<{}>' mode='w' encoding='utf-8'>",
                n.name()
            );
        }
        if n.is_typing() {
            return format!("typing.{}", n.name());
        }
        let name = match n {
            Lock => "allocate_lock",
            _ => n.name().trim_end(),
        };
        format!("<built-in function {name}>")
    }
}

fn module_repr(m: ModuleId) -> String {
    match m {
        ModuleId::Time | ModuleId::Sys => format!("<module '{}' (built-in)>", m.name()),
        _ => format!("<module '{}'>", m.name()),
    }
}

fn write_obj_repr(
    rt: &Rt,
    id: ObjId,
    v: Value,
    out: &mut String,
    stack: &mut Vec<ObjId>,
) -> PyResult<()> {
    let obj = rt.heap.get(id);
    if !matches!(
        obj,
        Obj::List(_)
            | Obj::Tuple(_)
            | Obj::Dict(_)
            | Obj::Set(_)
            | Obj::FrozenSet(_)
            | Obj::DictView { .. }
            | Obj::Exception(_)
            | Obj::Deque(_)
    ) {
        return leaf_repr(rt, id, v, out, stack);
    }
    if stack.contains(&id) {
        out.push_str(match obj {
            Obj::List(_) => "[...]",
            Obj::Tuple(_) => "(...)",
            Obj::Deque(_) => "[...]",
            _ => "{...}",
        });
        return Ok(());
    }
    if stack.len() > MAX_NESTING {
        return Err(repr_too_deep());
    }
    stack.push(id);
    match obj {
        Obj::List(items) => write_seq(rt, items, "[", "]", false, out, stack)?,
        Obj::Deque(_) => {
            let items = crate::vm::deque::snapshot(rt, id);
            let (open, close) = crate::vm::deque::repr_ends(rt, id);
            write_seq(rt, &items, open, &close, false, out, stack)?
        }
        Obj::Tuple(items) => write_seq(rt, items, "(", ")", items.len() == 1, out, stack)?,
        Obj::Dict(d) => {
            out.push('{');
            for (i, (k, val)) in d.values().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(rt, *k, out, stack)?;
                out.push_str(": ");
                write_repr(rt, *val, out, stack)?;
            }
            out.push('}');
        }
        Obj::Set(t) | Obj::FrozenSet(t) => {
            let frozen = matches!(obj, Obj::FrozenSet(_));
            let name = if frozen { "frozenset" } else { "set" };
            if t.is_empty() {
                out.push_str(name);
                out.push_str("()");
            } else {
                if frozen {
                    out.push_str("frozenset(");
                }
                write_seq(rt, &t.values(), "{", "}", false, out, stack)?;
                if frozen {
                    out.push(')');
                }
            }
        }
        Obj::DictView { dict, part } => {
            out.push_str(type_name(rt, v));
            out.push_str("([");
            if let Obj::Dict(d) = rt.heap.get(*dict) {
                for (i, (k, val)) in d.values().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    match part {
                        DictPart::Keys => write_repr(rt, *k, out, stack)?,
                        DictPart::Values => write_repr(rt, *val, out, stack)?,
                        DictPart::Items => {
                            out.push('(');
                            write_repr(rt, *k, out, stack)?;
                            out.push_str(", ");
                            write_repr(rt, *val, out, stack)?;
                            out.push(')');
                        }
                    }
                }
            }
            out.push_str("])");
        }
        Obj::Exception(e) => {
            if crate::vm::classes::user_dunder(rt, v, rt.dunders.repr).is_some() {
                return Err(unsupported_dunder(rt, v, "__repr__"));
            }
            match e.class {
                Some(c) => out.push_str(crate::vm::classes::class_name(rt, c)),
                None => out.push_str(e.kind.attr_name()),
            }
            write_seq(rt, &e.args, "(", ")", false, out, stack)?;
        }
        _ => {}
    }
    stack.pop();
    Ok(())
}

#[cold]
#[inline(never)]
fn repr_too_deep() -> Throw {
    Throw::new(
        ExcKind::RecursionError,
        "maximum recursion depth exceeded while getting the repr of an object",
    )
}

/// Reprs of objects that are not containers (kept out of the recursive path so its stack
/// frames stay small; a slice's parts are ints or None in practice).
#[inline(never)]
fn leaf_repr(
    rt: &Rt,
    id: ObjId,
    v: Value,
    out: &mut String,
    stack: &mut Vec<ObjId>,
) -> PyResult<()> {
    match rt.heap.get(id) {
        Obj::Str(s) => out.push_str(&str_repr(s)),
        o @ (Obj::Alias { .. } | Obj::UnionType(_)) => {
            crate::vm::typing_alias::write_repr(rt, o, out)?
        }
        Obj::BigInt(b) => out.push_str(&crate::vm::bigint::to_decimal(rt, b)?),
        &Obj::ItCount { cur, step } => {
            out.push_str("count(");
            write_repr(rt, cur, out, stack)?;
            if step != Value::Int(1) {
                out.push_str(", ");
                write_repr(rt, step, out, stack)?;
            }
            out.push(')');
        }
        Obj::Random(_) => out.push_str(&format!(
            "<random.Random object at {:#x}>",
            fake_address(id)
        )),
        Obj::Function(f) => {
            let name = rt
                .program
                .codes
                .get(f.code as usize)
                .map_or("?", |c| c.qualname.as_str());
            out.push_str(&format!("<function {name} at {:#x}>", fake_address(id)));
        }
        Obj::Generator(g) => {
            let name = rt
                .program
                .codes
                .get(g.code as usize)
                .map_or("?", |c| c.qualname.as_str());
            out.push_str(&format!(
                "<generator object {name} at {:#x}>",
                fake_address(id)
            ));
        }
        Obj::BoundMethod { recv, method } => out.push_str(&format!(
            "<built-in method {} of {} object at {:#x}>",
            method.attr.name(),
            type_name(rt, *recv),
            fake_id(*recv)
        )),
        Obj::Range { start, stop, step } => {
            if *step == 1 {
                out.push_str(&format!("range({start}, {stop})"));
            } else {
                out.push_str(&format!("range({start}, {stop}, {step})"));
            }
        }
        Obj::Slice { start, stop, step } => {
            out.push_str("slice(");
            write_repr(rt, *start, out, stack)?;
            out.push_str(", ");
            write_repr(rt, *stop, out, stack)?;
            out.push_str(", ");
            write_repr(rt, *step, out, stack)?;
            out.push(')');
        }
        Obj::Cell { value: c, .. } => {
            if *c == Value::Undef {
                out.push_str(&format!("<cell at {:#x}: empty>", fake_address(id)));
            } else {
                out.push_str(&format!(
                    "<cell at {:#x}: {} object at {:#x}>",
                    fake_address(id),
                    type_name(rt, *c),
                    fake_id(*c)
                ));
            }
        }
        Obj::Sync(s) => out.push_str(&sync_repr(rt, s, id)),
        Obj::Class(c) => out.push_str(&format!("<class '__main__.{}'>", c.qualname)),
        Obj::Instance(i) => {
            if let Some((qual, fields)) = crate::vm::dataclass::repr_fields(rt, v) {
                // CPython's generated `__repr__`, with `reprlib.recursive_repr`'s `...`.
                if stack.contains(&id) {
                    out.push_str("...");
                    return Ok(());
                }
                stack.push(id);
                out.push_str(&qual);
                out.push('(');
                for (i, (n, fv)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(n);
                    out.push('=');
                    write_repr(rt, *fv, out, stack)?;
                }
                out.push(')');
                stack.pop();
                return Ok(());
            }
            if crate::vm::classes::user_dunder(rt, v, rt.dunders.repr).is_some() {
                return Err(unsupported_dunder(rt, v, "__repr__"));
            }
            let name = match rt.heap.get(i.class) {
                Obj::Class(c) => c.qualname.as_str(),
                _ => "?",
            };
            out.push_str(&format!(
                "<__main__.{name} object at {:#x}>",
                fake_address(id)
            ));
        }
        Obj::BoundPyMethod { func, recv } => {
            let name = match func {
                Value::Obj(f) => match rt.heap.get(*f) {
                    Obj::Function(f) => rt
                        .program
                        .codes
                        .get(f.code as usize)
                        .map_or("?", |c| c.qualname.as_str()),
                    _ => "?",
                },
                _ => "?",
            };
            let mut r = String::new();
            write_repr(rt, *recv, &mut r, stack)?;
            out.push_str(&format!("<bound method {name} of {r}>"));
        }
        Obj::Super { class, obj } => {
            let cname = match rt.heap.get(*class) {
                Obj::Class(c) => c.name.as_str(),
                _ => "?",
            };
            out.push_str(&format!(
                "<super: <class '{cname}'>, <{} object>>",
                type_name(rt, *obj)
            ));
        }
        _ => out.push_str(&format!(
            "<{} object at {:#x}>",
            type_name(rt, v),
            fake_address(id)
        )),
    }
    Ok(())
}

fn sync_repr(rt: &Rt, s: &SyncObj, id: ObjId) -> String {
    let addr = fake_address(id);
    match s {
        SyncObj::Thread(t) => {
            let state = if t.tid.is_some() {
                "started"
            } else {
                "initial"
            };
            let daemon = if t.daemon { " daemon" } else { "" };
            format!("<Thread({}, {state}{daemon})>", t.name)
        }
        SyncObj::Lock(l) => format!(
            "<{} _thread.lock object at {addr:#x}>",
            if l.owner.is_some() {
                "locked"
            } else {
                "unlocked"
            },
        ),
        SyncObj::RLock(l) => match l.owner {
            Some(o) => format!(
                "<locked _thread.RLock object owner={} count={} at {addr:#x}>",
                crate::vm::sync::thread::ident_of(o),
                l.count
            ),
            None => format!("<unlocked _thread.RLock object owner=0 count=0 at {addr:#x}>"),
        },
        SyncObj::Semaphore(sem) => match sem.bound {
            Some(b) => format!(
                "<threading.BoundedSemaphore at {addr:#x}: value={}/{b}>",
                sem.value
            ),
            None => format!("<threading.Semaphore at {addr:#x}: value={}>", sem.value),
        },
        SyncObj::Condition(c) => {
            let lock = match rt.heap.get(c.lock) {
                Obj::Sync(l) => sync_repr(rt, l, c.lock),
                _ => String::new(),
            };
            format!("<Condition({lock}, {})>", c.waiters.len())
        }
        SyncObj::Event(e) => format!(
            "<threading.Event at {addr:#x}: {}>",
            if e.flag { "set" } else { "unset" }
        ),
        SyncObj::Barrier(b) if b.broken => format!("<threading.Barrier at {addr:#x}: broken>"),
        SyncObj::Barrier(b) => format!(
            "<threading.Barrier at {addr:#x}: waiters={}/{}>",
            b.waiting.len() + b.runner.is_some() as usize,
            b.parties
        ),
        SyncObj::Queue(q) => {
            let module = if q.kind == crate::vm::sync::queue::QueueKind::Simple {
                "_queue"
            } else {
                "queue"
            };
            format!("<{module}.{} object at {addr:#x}>", q.kind.name())
        }
    }
}

fn write_seq(
    rt: &Rt,
    items: &[Value],
    open: &str,
    close: &str,
    trailing_comma: bool,
    out: &mut String,
    stack: &mut Vec<ObjId>,
) -> PyResult<()> {
    out.push_str(open);
    for (i, &x) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_repr(rt, x, out, stack)?;
    }
    if trailing_comma {
        out.push(',');
    }
    out.push_str(close);
    Ok(())
}

#[cfg(test)]
mod tests;

/// A built-in type's method looked up on the type (`list.append`): CPython's
/// `<method 'append' of 'list' objects>` for the container types' named methods; the other
/// few (`Thread.__init__` through a subclass, …) as a built-in method.
fn method_repr(m: crate::vm::natives::MethodId) -> String {
    use crate::vm::natives::TypeTag;
    let ty = match m.ty {
        TypeTag::Str => "str",
        TypeTag::List => "list",
        TypeTag::Tuple => "tuple",
        TypeTag::Dict => "dict",
        TypeTag::Set => "set",
        TypeTag::FrozenSet => "frozenset",
        _ => "",
    };
    let name = m.attr.name();
    if ty.is_empty() || name.starts_with("__") {
        format!("<built-in method {name}>")
    } else {
        format!("<method '{name}' of '{ty}' objects>")
    }
}
