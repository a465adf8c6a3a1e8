//! printf-style formatting, `'%5.2f %s' % (x, name)`: each conversion is translated to a
//! format spec and rendered by [`format_spec`], so both paths share one set of number rules.

use crate::vm::format::{format_spec, repr, str_of};
use crate::vm::heap::{HashKey, Obj};
use crate::vm::ops::key_error;
use crate::vm::ops::type_name;
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt, Throw};

/// `fmt % args` where `fmt` is a str.
///
/// strs: the format is scanned as bytes (`%`, `(`, `)`, the flags, digits and conversion
/// letters are ASCII, so every slice taken is whole characters), copied to the stack when it
/// is short, and literal text goes into the result as slices; the arguments of a short tuple
/// stay on the stack too. The result grows exactly as it did when it was pushed a character
/// at a time (its capacity starts at the format's length, which the literal text never
/// exceeds), so the heap's accounting is unchanged.
pub fn percent_format(rt: &mut Rt, fmt: Value, args: Value) -> PyResult<String> {
    if let Some(done) = simple(rt, fmt, args) {
        return done;
    }
    let fmt_buf: smallvec::SmallVec<[u8; 64]> =
        smallvec::SmallVec::from_slice(rt.as_str(fmt).unwrap_or_default().as_bytes());
    // SAFETY: `fmt_buf` holds a copy of a str's bytes, valid UTF-8 (validated again, it was
    // ≈70 x86 instructions of an ≈800-instruction `"line %d" % i`).
    let fmt = unsafe { std::str::from_utf8_unchecked(&fmt_buf) };
    let b = fmt.as_bytes();
    // As CPython: a tuple supplies the arguments; anything else is one argument, and a
    // subscriptable non-str (dict, list, range) may also serve `%(key)s` lookups, which also
    // excuses it from "not all arguments converted".
    let (positional, mapping): (smallvec::SmallVec<[Value; 8]>, Option<Value>) = match args {
        Value::Obj(id) => match rt.heap.get(id) {
            Obj::Tuple(items) => (smallvec::SmallVec::from_slice(items), None),
            Obj::Dict(_) | Obj::List(_) | Obj::Range { .. } => {
                (smallvec::smallvec![args], Some(args))
            }
            _ => (smallvec::smallvec![args], None),
        },
        _ => (smallvec::smallvec![args], None),
    };
    let mut next = 0usize;
    let mut used_mapping = false;
    // Room for the text and a number or a short str: `out` is not grown again for the
    // common one-argument format.
    let mut out = String::with_capacity(fmt.len() + 16);
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            let start = i;
            while i < b.len() && b[i] != b'%' {
                i += 1;
            }
            out.push_str(&fmt[start..i]);
            continue;
        }
        i += 1;
        let incomplete = || Throw::value_error("incomplete format");
        let mut arg_from_map = None;
        if b.get(i) == Some(&b'(') {
            let start = i + 1;
            let mut depth = 1;
            i += 1;
            while i < b.len() && depth > 0 {
                match b[i] {
                    b'(' => depth += 1,
                    b')' => depth -= 1,
                    _ => {}
                }
                i += 1;
            }
            if depth > 0 {
                return Err(Throw::value_error("incomplete format key"));
            }
            let key = &fmt[start..i - 1];
            let Some(map) = mapping else {
                return Err(Throw::type_error("format requires a mapping"));
            };
            used_mapping = true;
            arg_from_map = Some(lookup(rt, map, key)?);
        }
        let mut flags = String::new();
        while let Some(&f) = b.get(i).filter(|f| b"-+ #0".contains(f)) {
            flags.push(f as char);
            i += 1;
        }
        let mut take_arg = |_: &Rt| -> PyResult<Value> {
            if let Some(v) = arg_from_map {
                return Ok(v);
            }
            let v = positional
                .get(next)
                .copied()
                .ok_or_else(|| Throw::type_error("not enough arguments for format string"))?;
            next += 1;
            Ok(v)
        };
        let rt_ref: &Rt = rt;
        let number = |i: &mut usize, take: &mut dyn FnMut(&Rt) -> PyResult<Value>| {
            if b.get(*i) == Some(&b'*') {
                *i += 1;
                let v = take(rt_ref)?;
                return match v {
                    Value::Int(n) => Ok(Some(n)),
                    _ => Err(Throw::type_error("* wants int")),
                };
            }
            let start = *i;
            while b.get(*i).is_some_and(|c| c.is_ascii_digit()) {
                *i += 1;
            }
            let s = &fmt[start..*i];
            Ok(if s.is_empty() { None } else { s.parse().ok() })
        };
        let mut width = number(&mut i, &mut take_arg)?;
        if let Some(w) = width.filter(|&w| w < 0) {
            flags.push('-');
            width = Some(-w);
        }
        let mut precision = None;
        if b.get(i) == Some(&b'.') {
            i += 1;
            precision = Some(number(&mut i, &mut take_arg)?.unwrap_or(0).max(0));
        }
        while b.get(i).is_some_and(|c| b"hlL".contains(c)) {
            i += 1;
        }
        // `i` is at a character boundary (everything skipped so far is ASCII).
        let Some(conv) = fmt[i..].chars().next() else {
            return Err(incomplete());
        };
        let conv_at = i;
        i += conv.len_utf8();
        if conv == '%' {
            out.push('%');
            continue;
        }
        let arg = take_arg(rt)?;
        // `%d` of an int and `%s` of a str with no flags, width or precision (the common
        // case): written straight into `out`, without the spec string, the parsed spec
        // and the piece `convert` would make (≈6 allocations per conversion).
        if flags.is_empty() && width.is_none() && precision.is_none() {
            match (conv, arg) {
                ('d' | 'i' | 'u', Value::Int(n)) => {
                    let mut digits = itoa::Buffer::new();
                    let d = digits.format(n);
                    crate::vm::memory::try_reserve_str(&mut out, d.len())?;
                    out.push_str(d);
                    continue;
                }
                ('s', Value::Obj(_)) => {
                    if let Some(text) = rt.as_str(arg) {
                        crate::vm::memory::try_reserve_str(&mut out, text.len())?;
                        out.push_str(text);
                        continue;
                    }
                }
                _ => {}
            }
        }
        // CPython reports the conversion's position in characters.
        let index = fmt[..conv_at].chars().count();
        let piece = convert(rt, conv, arg, &flags, width, precision, index)?;
        crate::vm::memory::try_reserve_str(&mut out, piece.len())?;
        out.push_str(&piece);
    }
    if next < positional.len() && !used_mapping && mapping.is_none() {
        return Err(Throw::type_error(
            "not all arguments converted during string formatting",
        ));
    }
    Ok(out)
}

/// The common shape, `"%d-%s" % (i, name)`: only `%d`/`%i`/`%u` of ints, `%s` of strs and
/// `%%`, no flags, width, precision or keys, and exactly as many arguments as conversions.
/// Read in place — the format and the arguments are only read, so nothing is copied out of
/// the heap first — into a result grown exactly as the general path grows it (the same
/// capacity, so the same heap charge). `None` for any other shape or any error: the general
/// path then does the whole work again (nothing has been changed) and reports it.
fn simple(rt: &Rt, fmt: Value, args: Value) -> Option<PyResult<String>> {
    let fmt = rt.as_str(fmt)?;
    let one = [args];
    let positional: &[Value] = match args {
        Value::Obj(id) => match rt.heap.get(id) {
            Obj::Tuple(items) => items,
            Obj::Dict(_) | Obj::List(_) | Obj::Range { .. } => return None,
            _ => &one,
        },
        _ => &one,
    };
    let b = fmt.as_bytes();
    let mut out = String::with_capacity(fmt.len() + 16);
    let mut next = 0;
    let mut i = 0;
    while i < b.len() {
        let Some(at) = memchr::memchr(b'%', &b[i..]) else {
            out.push_str(&fmt[i..]);
            break;
        };
        // Whole characters: `%` is ASCII.
        out.push_str(&fmt[i..i + at]);
        let conv = *b.get(i + at + 1)?;
        i += at + 2;
        if conv == b'%' {
            out.push('%');
            continue;
        }
        let arg = *positional.get(next)?;
        next += 1;
        match (conv, arg) {
            (b'd' | b'i' | b'u', Value::Int(n)) => {
                let mut digits = itoa::Buffer::new();
                let d = digits.format(n);
                if let Err(e) = crate::vm::memory::try_reserve_str(&mut out, d.len()) {
                    return Some(Err(e));
                }
                out.push_str(d);
            }
            (b's', Value::Obj(_)) => {
                let text = rt.as_str(arg)?;
                if let Err(e) = crate::vm::memory::try_reserve_str(&mut out, text.len()) {
                    return Some(Err(e));
                }
                out.push_str(text);
            }
            _ => return None,
        }
    }
    (next == positional.len()).then_some(Ok(out))
}

fn lookup(rt: &mut Rt, map: Value, key: &str) -> PyResult<Value> {
    let Some(Obj::Dict(d)) = map.as_obj().map(|id| rt.heap.get(id)) else {
        let k = rt.new_str(key)?;
        return crate::vm::ops::getitem(rt, map, k);
    };
    match d.get(&HashKey::Str(key.into())) {
        Some(&(_, v)) => Ok(v),
        None => {
            let k = rt.new_str(key)?;
            Err(key_error(k))
        }
    }
}

fn convert(
    rt: &Rt,
    conv: char,
    arg: Value,
    flags: &str,
    width: Option<i64>,
    precision: Option<i64>,
    index: usize,
) -> PyResult<String> {
    rt.ensure_room(width.unwrap_or(0).unsigned_abs() as usize)?;
    let left = flags.contains('-');
    let mut spec = String::new();
    let numeric = "diuxXoeEfFgG".contains(conv);
    if left {
        spec.push('<');
    } else if !numeric || !flags.contains('0') {
        spec.push('>');
    }
    if numeric {
        if flags.contains('+') {
            spec.push('+');
        } else if flags.contains(' ') {
            spec.push(' ');
        }
        if flags.contains('#') && conv != 'd' && conv != 'i' && conv != 'u' {
            spec.push('#');
        }
        if flags.contains('0') && !left {
            spec.push('0');
        }
    }
    if let Some(w) = width {
        spec.push_str(&w.to_string());
    }
    let tname = type_name(rt, arg);
    match conv {
        'd' | 'i' | 'u' if crate::vm::bigint::as_big(rt, arg).is_some() => {
            format_spec(rt, arg, &(spec + "d"))
        }
        'd' | 'i' | 'u' => {
            let n = match arg {
                Value::Int(n) => n,
                Value::Bool(b) => b as i64,
                Value::Float(f) => crate::vm::builtins::float_to_int(f)?,
                _ => {
                    return Err(Throw::type_error(format!(
                        "%{conv} format: a real number is required, not {tname}"
                    )))
                }
            };
            match precision {
                Some(p) if p > 0 => {
                    let digits = format!("{:0>w$}", n.unsigned_abs(), w = p as usize);
                    let body = if n < 0 { format!("-{digits}") } else { digits };
                    Ok(pad_plain(&body, width, left))
                }
                _ => format_spec(rt, Value::Int(n), &(spec + "d")),
            }
        }
        'x' | 'X' | 'o' => match arg {
            Value::Int(_) | Value::Bool(_) => format_spec(rt, arg, &format!("{spec}{conv}")),
            _ if crate::vm::bigint::as_big(rt, arg).is_some() => {
                format_spec(rt, arg, &format!("{spec}{conv}"))
            }
            _ => Err(Throw::type_error(format!(
                "%{conv} format: an integer is required, not {tname}"
            ))),
        },
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
            let f = match arg {
                Value::Int(n) => n as f64,
                Value::Bool(b) => b as i64 as f64,
                Value::Float(f) => f,
                _ if crate::vm::bigint::as_big(rt, arg).is_some() => {
                    crate::vm::bigint::to_f64(rt, arg)?
                }
                _ => {
                    return Err(Throw::type_error(format!(
                        "must be real number, not {tname}"
                    )))
                }
            };
            let p = precision.unwrap_or(6);
            format_spec(rt, Value::Float(f), &format!("{spec}.{p}{conv}"))
        }
        'c' => {
            let ch = match crate::vm::ops::as_index(arg) {
                Some(n) => u32::try_from(n)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| {
                        Throw::new(
                            crate::vm::exceptions::ExcKind::OverflowError,
                            "%c arg not in range(0x110000)",
                        )
                    })?,
                None => rt
                    .as_str(arg)
                    .filter(|s| s.chars().count() == 1)
                    .and_then(|s| s.chars().next())
                    .ok_or_else(|| Throw::type_error("%c requires int or char"))?,
            };
            Ok(pad_plain(&ch.to_string(), width, left))
        }
        's' | 'r' | 'a' => {
            let s = match conv {
                's' => str_of(rt, arg)?,
                'r' => repr(rt, arg)?,
                _ => crate::vm::format::ascii(rt, arg)?,
            };
            let s: String = match precision {
                Some(p) => s.chars().take(p as usize).collect(),
                None => s,
            };
            Ok(pad_plain(&s, width, left))
        }
        c => Err(Throw::value_error(format!(
            "unsupported format character '{c}' ({:#x}) at index {index}",
            c as u32
        ))),
    }
}

fn pad_plain(s: &str, width: Option<i64>, left: bool) -> String {
    let w = width.unwrap_or(0).max(0) as usize;
    let n = s.chars().count();
    if n >= w {
        return s.to_string();
    }
    let fill = " ".repeat(w - n);
    if left {
        format!("{s}{fill}")
    } else {
        format!("{fill}{s}")
    }
}
