//! `str.format`: replacement fields `{}`, `{0}`, `{name}`, `{0[1]}`, `{x!r:>8}` and nested
//! fields inside a spec (`{:{width}}`), with CPython's messages for malformed strings.

use crate::vm::exceptions::ExcKind;
use crate::vm::format::{format_spec, repr, str_of};
use crate::vm::ops::{getitem, key_error, type_name};
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt, Throw};

/// `fmt.format(*args, **kwargs)`.
pub fn str_format(
    rt: &mut Rt,
    fmt: &str,
    args: &[Value],
    kwargs: &[(&str, Value)],
) -> PyResult<String> {
    let mut st = State {
        auto: None,
        args,
        kwargs,
    };
    render(rt, fmt, &mut st, 0)
}

struct State<'a> {
    /// `Some(next index)` once automatic numbering is used, `None` before; manual numbering
    /// sets it to `Some(usize::MAX)` so the two cannot be mixed.
    auto: Option<usize>,
    args: &'a [Value],
    kwargs: &'a [(&'a str, Value)],
}

const MANUAL: usize = usize::MAX;

fn render(rt: &mut Rt, fmt: &str, st: &mut State, depth: usize) -> PyResult<String> {
    let mut out = String::with_capacity(fmt.len() + 8);
    render_into(rt, fmt, st, depth, &mut out)?;
    Ok(out)
}

/// Renders `fmt` onto `out`. comp2: scanned by bytes (the braces are ASCII, so every slice
/// taken at one is whole characters) and written into the one result string: the text
/// between fields as slices, and a field with no conversion and no spec — `{}`, `{0}`,
/// `{name}` of an int or a str — written straight in, with no `Vec<char>` of the format and
/// no string per field.
fn render_into(
    rt: &mut Rt,
    fmt: &str,
    st: &mut State,
    depth: usize,
    out: &mut String,
) -> PyResult<()> {
    if depth > 1 {
        return Err(Throw::value_error("Max string recursion exceeded"));
    }
    let b = fmt.as_bytes();
    let mut i = 0;
    let mut lit = 0;
    while i < b.len() {
        match b[i] {
            c @ (b'{' | b'}') if b.get(i + 1) == Some(&c) => {
                crate::vm::memory::try_reserve_str(out, i + 1 - lit)?;
                out.push_str(&fmt[lit..i + 1]);
                i += 2;
                lit = i;
            }
            b'}' => {
                return Err(Throw::value_error(
                    "Single '}' encountered in format string",
                ))
            }
            b'{' => {
                crate::vm::memory::try_reserve_str(out, i - lit)?;
                out.push_str(&fmt[lit..i]);
                // Find the matching '}' (specs may nest one level of braces).
                let start = i + 1;
                let mut nest = 1;
                let mut j = start;
                while j < b.len() {
                    match b[j] {
                        b'{' => nest += 1,
                        b'}' => {
                            nest -= 1;
                            if nest == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                if j >= b.len() {
                    return Err(Throw::value_error(if start >= b.len() {
                        "Single '{' encountered in format string"
                    } else {
                        "expected '}' before end of string"
                    }));
                }
                let field = &fmt[start..j];
                if !field.contains(['!', ':', '.', '[']) {
                    // A bare field: its value's str() (`format(v, "")`) written in place.
                    let value = resolve(rt, field, st)?;
                    match value {
                        Value::Int(n) => {
                            // strs: `itoa` rather than `core::fmt` (room for 20 reserved
                            // first either way, so the same capacity).
                            crate::vm::memory::try_reserve_str(out, 20)?;
                            out.push_str(itoa::Buffer::new().format(n));
                        }
                        _ => match rt.as_str(value) {
                            Some(t) => {
                                crate::vm::memory::try_reserve_str(out, t.len())?;
                                out.push_str(t);
                            }
                            None => {
                                let piece = format_spec(rt, value, "")?;
                                crate::vm::memory::try_reserve_str(out, piece.len())?;
                                out.push_str(&piece);
                            }
                        },
                    }
                } else {
                    let piece = field_text(rt, field, st, depth)?;
                    crate::vm::memory::try_reserve_str(out, piece.len())?;
                    out.push_str(&piece);
                }
                i = j + 1;
                lit = i;
            }
            _ => i += 1,
        }
    }
    crate::vm::memory::try_reserve_str(out, b.len() - lit)?;
    out.push_str(&fmt[lit..]);
    Ok(())
}

fn field_text(rt: &mut Rt, field: &str, st: &mut State, depth: usize) -> PyResult<String> {
    // Split `name!conv:spec`; the name ends at the first '!' or ':' outside brackets.
    let mut name_end = field.len();
    let mut in_bracket = false;
    for (k, c) in field.char_indices() {
        match c {
            '[' => in_bracket = true,
            ']' => in_bracket = false,
            '!' | ':' if !in_bracket => {
                name_end = k;
                break;
            }
            _ => {}
        }
    }
    let name = &field[..name_end];
    let rest = &field[name_end..];
    let (conv, spec) = if let Some(r) = rest.strip_prefix('!') {
        let mut it = r.chars();
        let conv = it.next().ok_or_else(|| {
            Throw::value_error("end of string while looking for conversion specifier")
        })?;
        let after = it.as_str();
        let spec = match after.strip_prefix(':') {
            Some(s) => s,
            None if after.is_empty() => "",
            None => {
                return Err(Throw::value_error(
                    "expected ':' after conversion specifier",
                ))
            }
        };
        (Some(conv), spec)
    } else {
        (None, rest.strip_prefix(':').unwrap_or(""))
    };
    let value = resolve(rt, name, st)?;
    let spec = if spec.contains('{') {
        render(rt, spec, st, depth + 1)?
    } else {
        spec.to_string()
    };
    let value = match conv {
        None => value,
        Some(c) => {
            let s = match c {
                's' => str_of(rt, value)?,
                'r' => repr(rt, value)?,
                'a' => crate::vm::format::ascii(rt, value)?,
                c => {
                    return Err(Throw::value_error(format!(
                        "Unknown conversion specifier {c}"
                    )))
                }
            };
            rt.new_str(s)?
        }
    };
    format_spec(rt, value, &spec)
}

/// Looks up `0`, `name`, `` (automatic), then applies `[key]` indexing.
fn resolve(rt: &mut Rt, name: &str, st: &mut State) -> PyResult<Value> {
    let first_end = name.find(['.', '[']).unwrap_or(name.len());
    let (first, mut tail) = name.split_at(first_end);
    let mut value = if first.is_empty() {
        let next =
            match st.auto {
                Some(MANUAL) => return Err(Throw::value_error(
                    "cannot switch from manual field specification to automatic field numbering",
                )),
                Some(n) => n,
                None => 0,
            };
        st.auto = Some(next + 1);
        positional(st, next)?
    } else if first.bytes().all(|b| b.is_ascii_digit()) {
        if matches!(st.auto, Some(n) if n != MANUAL) {
            return Err(Throw::value_error(
                "cannot switch from automatic field numbering to manual field specification",
            ));
        }
        st.auto = Some(MANUAL);
        let n = first.parse().unwrap_or(usize::MAX);
        positional(st, n)?
    } else {
        match st.kwargs.iter().find(|(k, _)| *k == first) {
            Some(&(_, v)) => v,
            None => {
                let k = rt.new_str(first)?;
                return Err(key_error(k));
            }
        }
    };
    while !tail.is_empty() {
        if let Some(r) = tail.strip_prefix('[') {
            let close = r
                .find(']')
                .ok_or_else(|| Throw::value_error("Missing ']' in format string"))?;
            let key = &r[..close];
            let k = match key.parse::<i64>() {
                Ok(n) if key.bytes().all(|b| b.is_ascii_digit()) => Value::Int(n),
                _ => rt.new_str(key)?,
            };
            value = getitem(rt, value, k)?;
            tail = &r[close + 1..];
        } else if let Some(r) = tail.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let attr = &r[..end];
            value = match (attr, value) {
                ("real", Value::Int(_) | Value::Float(_)) => value,
                ("real", Value::Bool(b)) => Value::Int(b as i64),
                ("imag", Value::Int(_) | Value::Bool(_)) => Value::Int(0),
                ("imag", Value::Float(_)) => Value::Float(0.0),
                _ => {
                    return Err(Throw::new(
                        ExcKind::AttributeError,
                        format!(
                            "'{}' object has no attribute '{attr}'",
                            type_name(rt, value)
                        ),
                    ))
                }
            };
            tail = &r[end..];
        } else {
            return Err(Throw::value_error(
                "Only '.' or '[' may follow ']' in format field specifier",
            ));
        }
    }
    Ok(value)
}

fn positional(st: &State, n: usize) -> PyResult<Value> {
    st.args.get(n).copied().ok_or_else(|| {
        Throw::new(
            ExcKind::IndexError,
            format!("Replacement index {n} out of range for positional args tuple"),
        )
    })
}
