//! The format-spec mini-language (`format(v, spec)`, `f"{v:spec}"`, `str.format`):
//! `[[fill]align][sign][z][#][0][width][grouping][.precision][type]` for int, float, bool, str
//! and None, with CPython 3.11's rules and error messages.
//!
//! Float digits come from Rust's exact decimal formatting (correctly rounded, ties to even on
//! the exact binary value), which is what CPython's `dtoa` produces too.

use crate::vm::format::{exp_suffix, fixed_from_digits, float_repr, split_exp, str_of};
use crate::vm::memory;
use crate::vm::ops::type_name;
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt, Throw};

/// `format(v, spec)`.
pub fn format_spec(rt: &Rt, v: Value, spec: &str) -> PyResult<String> {
    if spec.is_empty() {
        return str_of(rt, v);
    }
    let tname = type_name(rt, v);
    match v {
        Value::Int(i) => format_int(rt, i, &parse_fast(spec, '>', tname)?, tname),
        Value::Bool(b) => format_int(rt, b as i64, &parse_fast(spec, '>', tname)?, tname),
        Value::Float(f) => format_float(rt, f, &parse_fast(spec, '>', tname)?, tname),
        Value::Obj(_) if crate::vm::bigint::as_big(rt, v).is_some() => {
            format_big(rt, v, &parse(spec, '>', tname)?, tname)
        }
        _ => match rt.as_str(v) {
            Some(s) => format_str(rt, s, &parse_fast(spec, '<', tname)?),
            None => Err(Throw::type_error(format!(
                "unsupported format string passed to {tname}.__format__"
            ))),
        },
    }
}

/// A parsed format spec.
#[derive(Debug)]
struct Spec {
    fill: char,
    align: char,
    sign: Option<char>,
    z: bool,
    alt: bool,
    width: usize,
    grouping: Option<char>,
    precision: Option<usize>,
    ty: Option<char>,
}

// fmt: the common specs (`5d`, `.2f`, `>10`, `,`, `08.3f`) without collecting characters.
/// [`parse`] of a spec, by [`parse_plain`] when it is a plain ASCII one.
#[inline]
fn parse_fast(spec: &str, default_align: char, tname: &str) -> PyResult<Spec> {
    match parse_plain(spec.as_bytes(), default_align) {
        Some(s) => Ok(s),
        None => parse(spec, default_align, tname),
    }
}

/// [`parse`]'s `Spec` of an ASCII spec of at most 16 bytes with no `z` or `#`, a width and a
/// precision of at most four digits, and one grouping character that is valid with the type
/// (none, `d` or `f`); `None` for anything else (including every spec `parse` rejects), which
/// `parse` then reads. The same steps as `parse`, on bytes.
fn parse_plain(b: &[u8], default_align: char) -> Option<Spec> {
    if b.len() > 16 || !b.is_ascii() {
        return None;
    }
    let is_align = |ch: u8| matches!(ch, b'<' | b'>' | b'=' | b'^');
    let mut i = 0;
    let (mut fill, mut align) = (None, None);
    if b.len() >= 2 && is_align(b[1]) {
        fill = Some(b[0] as char);
        align = Some(b[1] as char);
        i = 2;
    } else if !b.is_empty() && is_align(b[0]) {
        align = Some(b[0] as char);
        i = 1;
    }
    let mut sign = None;
    if i < b.len() && matches!(b[i], b'+' | b'-' | b' ') {
        sign = Some(b[i] as char);
        i += 1;
    }
    if i < b.len() && matches!(b[i], b'z' | b'#') {
        return None;
    }
    if i < b.len() && b[i] == b'0' {
        if fill.is_none() {
            fill = Some('0');
            if align.is_none() && default_align == '>' {
                align = Some('=');
            }
        }
        i += 1;
    }
    // Up to four digits (longer ones may overflow: `parse` says so).
    let digits = |i: &mut usize| -> Option<Option<usize>> {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        match *i - start {
            0 => Some(None),
            1..=4 => Some(Some(
                b[start..*i]
                    .iter()
                    .fold(0, |n, &d| n * 10 + usize::from(d - b'0')),
            )),
            _ => None,
        }
    };
    let width = digits(&mut i)?.unwrap_or(0);
    let mut grouping = None;
    if i < b.len() && matches!(b[i], b',' | b'_') {
        grouping = Some(b[i] as char);
        i += 1;
        if i < b.len() && matches!(b[i], b',' | b'_') {
            return None;
        }
    }
    let mut precision = None;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        precision = Some(digits(&mut i)??);
    }
    if b.len() - i > 1 {
        return None;
    }
    let ty = b.get(i).map(|&t| t as char);
    if grouping.is_some() && !matches!(ty, None | Some('d' | 'f')) {
        return None;
    }
    Some(Spec {
        fill: fill.unwrap_or(' '),
        align: align.unwrap_or(default_align),
        sign,
        z: false,
        alt: false,
        width,
        grouping,
        precision,
        ty,
    })
}

fn parse(spec: &str, default_align: char, tname: &str) -> PyResult<Spec> {
    // Specs are short: their characters on the stack (a `Vec` was one allocation per
    // formatted value).
    let c: smallvec::SmallVec<[char; 24]> = spec.chars().collect();
    let mut i = 0;
    let is_align = |ch: char| matches!(ch, '<' | '>' | '=' | '^');
    let (mut fill, mut align) = (None, None);
    if c.len() >= 2 && is_align(c[1]) {
        fill = Some(c[0]);
        align = Some(c[1]);
        i = 2;
    } else if !c.is_empty() && is_align(c[0]) {
        align = Some(c[0]);
        i = 1;
    }
    let mut sign = None;
    if i < c.len() && matches!(c[i], '+' | '-' | ' ') {
        sign = Some(c[i]);
        i += 1;
    }
    let z = i < c.len() && c[i] == 'z';
    i += z as usize;
    let alt = i < c.len() && c[i] == '#';
    i += alt as usize;
    if i < c.len() && c[i] == '0' {
        if fill.is_none() {
            fill = Some('0');
            if align.is_none() && default_align == '>' {
                align = Some('=');
            }
        }
        i += 1;
    }
    let digits = |i: &mut usize| -> PyResult<Option<usize>> {
        let start = *i;
        while *i < c.len() && c[*i].is_ascii_digit() {
            *i += 1;
        }
        if *i == start {
            return Ok(None);
        }
        let mut n: usize = 0;
        for &d in &c[start..*i] {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(d as usize - '0' as usize))
                .ok_or_else(|| Throw::value_error("Too many decimal digits in format string"))?;
        }
        Ok(Some(n))
    };
    let width = digits(&mut i)?.unwrap_or(0);
    let mut grouping = None;
    if i < c.len() && matches!(c[i], ',' | '_') {
        grouping = Some(c[i]);
        i += 1;
        if i < c.len() && matches!(c[i], ',' | '_') {
            return Err(Throw::value_error(if grouping == Some(c[i]) {
                format!("Cannot specify '{}' with '{}'.", c[i], c[i])
            } else {
                "Cannot specify both ',' and '_'.".to_string()
            }));
        }
    }
    let mut precision = None;
    if i < c.len() && c[i] == '.' {
        i += 1;
        precision = digits(&mut i)?;
        if precision.is_none() {
            return Err(Throw::value_error("Format specifier missing precision"));
        }
    }
    if c.len() - i > 1 {
        return Err(Throw::value_error(format!(
            "Invalid format specifier '{spec}' for object of type '{tname}'"
        )));
    }
    let ty = c.get(i).copied();
    if let (Some(g), Some(t)) = (grouping, ty) {
        let ok = match g {
            ',' => matches!(t, 'd' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%'),
            _ => matches!(
                t,
                'd' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%' | 'b' | 'o' | 'x' | 'X'
            ),
        };
        if !ok {
            return Err(Throw::value_error(format!(
                "Cannot specify '{g}' with '{t}'."
            )));
        }
    }
    Ok(Spec {
        fill: fill.unwrap_or(' '),
        align: align.unwrap_or(default_align),
        sign,
        z,
        alt,
        width,
        grouping,
        precision,
        ty,
    })
}

fn unknown(t: char, tname: &str) -> Throw {
    Throw::value_error(format!(
        "Unknown format code '{t}' for object of type '{tname}'"
    ))
}

fn format_str(rt: &Rt, s: &str, spec: &Spec) -> PyResult<String> {
    if let Some(t) = spec.ty.filter(|&t| t != 's') {
        return Err(unknown(t, "str"));
    }
    if let Some(sign) = spec.sign {
        return Err(Throw::value_error(if sign == ' ' {
            "Space not allowed in string format specifier"
        } else {
            "Sign not allowed in string format specifier"
        }));
    }
    if spec.alt {
        return Err(Throw::value_error(
            "Alternate form (#) not allowed in string format specifier",
        ));
    }
    if spec.align == '=' {
        return Err(Throw::value_error(
            "'=' alignment not allowed in string format specifier",
        ));
    }
    if let Some(g) = spec.grouping {
        return Err(Throw::value_error(format!(
            "Cannot specify '{g}' with 's'."
        )));
    }
    let body: String = match spec.precision {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    };
    pad(rt, "", &body, spec)
}

fn format_int(rt: &Rt, i: i64, spec: &Spec, tname: &str) -> PyResult<String> {
    let ty = spec.ty.unwrap_or('d');
    match ty {
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%' => return format_float(rt, i as f64, spec, tname),
        'b' | 'c' | 'd' | 'o' | 'x' | 'X' | 'n' => {}
        t => return Err(unknown(t, tname)),
    }
    if spec.precision.is_some() {
        return Err(Throw::value_error(
            "Precision not allowed in integer format specifier",
        ));
    }
    if ty == 'c' {
        if spec.sign.is_some() {
            return Err(Throw::value_error(
                "Sign not allowed with integer format specifier 'c'",
            ));
        }
        if spec.alt {
            return Err(Throw::value_error(
                "Alternate form (#) not allowed with integer format specifier 'c'",
            ));
        }
        let ch = u32::try_from(i)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| {
                Throw::new(
                    crate::vm::exceptions::ExcKind::OverflowError,
                    "%c arg not in range(0x110000)",
                )
            })?;
        return pad(rt, "", &ch.to_string(), spec);
    }
    let mag = i.unsigned_abs();
    if ty == 'd' && spec.grouping.is_none() {
        // Decimal without grouping (`f"{n:>6}"`, `"%5d" % n`): the digits on the stack and
        // one string, where the general path below makes four.
        let mut buf = [0u8; 20];
        let mut at = buf.len();
        let mut m = mag;
        loop {
            at -= 1;
            buf[at] = b'0' + (m % 10) as u8;
            m /= 10;
            if m == 0 {
                break;
            }
        }
        let digits = std::str::from_utf8(&buf[at..]).unwrap_or("0");
        rt.ensure_room(spec.width)?;
        return pad(rt, sign_str(i < 0, spec.sign), digits, spec);
    }
    let (digits, prefix, group) = match ty {
        'b' => (format!("{mag:b}"), "0b", 4),
        'o' => (format!("{mag:o}"), "0o", 4),
        'x' => (format!("{mag:x}"), "0x", 4),
        'X' => (format!("{mag:X}"), "0X", 4),
        _ => (mag.to_string(), "", 3),
    };
    let sign = sign_str(i < 0, spec.sign);
    let prefix = if spec.alt { prefix } else { "" };
    let lead = memory::cat(sign, prefix);
    number(rt, &lead, &digits, "", group, spec)
}

/// `format(big, spec)`: as [`format_int`], with the digits of a big int.
fn format_big(rt: &Rt, v: Value, spec: &Spec, tname: &str) -> PyResult<String> {
    let ty = spec.ty.unwrap_or('d');
    match ty {
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%' => {
            let f = crate::vm::bigint::to_f64(rt, v)?;
            return format_float(rt, f, spec, tname);
        }
        'b' | 'd' | 'o' | 'x' | 'X' | 'n' => {}
        'c' => {
            return Err(Throw::new(
                crate::vm::exceptions::ExcKind::OverflowError,
                "Python int too large to convert to C int",
            ))
        }
        t => return Err(unknown(t, tname)),
    }
    if spec.precision.is_some() {
        return Err(Throw::value_error(
            "Precision not allowed in integer format specifier",
        ));
    }
    let radix = match ty {
        'b' => 2,
        'o' => 8,
        'x' | 'X' => 16,
        _ => 10,
    };
    let (neg, digits) = if radix == 10 {
        let b = crate::vm::bigint::as_big(rt, v)
            .cloned()
            .unwrap_or_default();
        let s = crate::vm::bigint::to_decimal(rt, &b)?;
        (s.starts_with('-'), s.trim_start_matches('-').to_string())
    } else {
        crate::vm::bigint::radix_digits(rt, v, radix).unwrap_or_default()
    };
    let digits = if ty == 'X' {
        digits.to_ascii_uppercase()
    } else {
        digits
    };
    let (prefix, group) = match ty {
        'b' => ("0b", 4),
        'o' => ("0o", 4),
        'x' => ("0x", 4),
        'X' => ("0X", 4),
        _ => ("", 3),
    };
    let sign = sign_str(neg, spec.sign);
    let prefix = if spec.alt { prefix } else { "" };
    let lead = memory::cat(sign, prefix);
    number(rt, &lead, &digits, "", group, spec)
}

fn sign_str(negative: bool, sign: Option<char>) -> &'static str {
    match (negative, sign) {
        (true, _) => "-",
        (false, Some('+')) => "+",
        (false, Some(' ')) => " ",
        _ => "",
    }
}

fn format_float(rt: &Rt, f: f64, spec: &Spec, tname: &str) -> PyResult<String> {
    let ty = spec.ty;
    if let Some(t) = ty {
        if !matches!(t, 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | 'n' | '%') {
            return Err(unknown(t, tname));
        }
    }
    if let Some(p) = spec.precision {
        rt.ensure_room(p)?;
    }
    let mag = f.abs();
    // fmt: `{x:.2f}` of a finite float: its digits on the stack (`fixed_exact`), then what
    // `number` does without grouping (its `format!`s copy the same text), so the same string.
    if matches!(ty, Some('f' | 'F')) && f.is_finite() && !spec.alt && spec.grouping.is_none() {
        let mut buf = [0u8; 64];
        if let Some(body) = fixed_exact(mag, spec.precision.unwrap_or(6), &mut buf) {
            let nonzero = body.bytes().any(|c| (b'1'..=b'9').contains(&c));
            let negative = f.is_sign_negative() && (nonzero || !spec.z);
            rt.ensure_room(spec.width)?;
            return pad(rt, sign_str(negative, spec.sign), body, spec);
        }
    }
    let upper = matches!(ty, Some('E' | 'F' | 'G'));
    let body = if !f.is_finite() {
        let s = if f.is_nan() { "nan" } else { "inf" };
        let s = if upper {
            s.to_uppercase()
        } else {
            s.to_string()
        };
        if ty == Some('%') {
            format!("{s}%")
        } else {
            s
        }
    } else {
        match ty {
            Some('f' | 'F') => fixed(mag, spec.precision.unwrap_or(6), spec.alt),
            Some('%') => fixed(mag * 100.0, spec.precision.unwrap_or(6), spec.alt) + "%",
            Some('e' | 'E') => {
                let s = sci(mag, spec.precision.unwrap_or(6), spec.alt);
                if upper {
                    s.to_uppercase()
                } else {
                    s
                }
            }
            Some('g' | 'G' | 'n') => {
                let s = general(mag, spec.precision.unwrap_or(6), spec.alt, false);
                if upper {
                    s.to_uppercase()
                } else {
                    s
                }
            }
            _ => match spec.precision {
                Some(p) => general(mag, p, spec.alt, true),
                None => float_repr(mag),
            },
        }
    };
    let negative = f.is_sign_negative() && !f.is_nan();
    // `z` turns a negative zero into a zero; `-inf` stays negative (CPython 3.11).
    let nonzero = !f.is_finite() || body.chars().any(|c| ('1'..='9').contains(&c));
    let negative = negative && (nonzero || !spec.z);
    let sign = sign_str(negative, spec.sign);
    let split = body
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(body.len());
    let (int_part, rest) = body.split_at(split);
    number(rt, sign, int_part, rest, 3, spec)
}

/// `{:.pf}` of a non-negative finite float.
fn fixed(x: f64, p: usize, alt: bool) -> String {
    let s = format!("{x:.p$}");
    if alt && p == 0 {
        s + "."
    } else {
        s
    }
}

/// `{x:.pf}` of a non-negative finite `x` (as [`fixed`] without `alt`), written into `buf`:
/// exact, the value `m * 2^e` times `10^p` rounded half to even in 128-bit integers, as
/// CPython's `dtoa` (and `core::fmt`'s exact mode) round. `None` when `p > 19` or `x >= 2^63`
/// (the product might not fit), for [`fixed`].
fn fixed_exact(x: f64, p: usize, buf: &mut [u8; 64]) -> Option<&str> {
    if p > 19 {
        return None;
    }
    let pow = 10u128.pow(p as u32);
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (m, e) = match exp {
        0 => (frac, -1074),
        _ => (frac | (1u64 << 52), exp - 1075),
    };
    let q: u128 = if m == 0 {
        0
    } else if e >= 0 {
        // m < 2^53, so m * 2^e < 2^63 and the product with 10^p (< 2^64) fits.
        if e > 10 {
            return None;
        }
        (u128::from(m) << e) * pow
    } else {
        let shift = (-e) as u32;
        let n = u128::from(m) * pow; // < 2^117
        if shift >= 120 {
            0 // below 1/8: rounds to zero
        } else {
            let q = n >> shift;
            let r = n & ((1u128 << shift) - 1);
            let half = 1u128 << (shift - 1);
            if r > half || (r == half && q & 1 == 1) {
                q + 1
            } else {
                q
            }
        }
    };
    let mut digits = itoa::Buffer::new();
    // As a u64 when it fits (nearly always): itoa's u128 path divides in 128 bits.
    let d = match u64::try_from(q) {
        Ok(q) => digits.format(q),
        Err(_) => digits.format(q),
    }
    .as_bytes();
    let mut n = 0;
    let mut put = |bytes: &[u8], n: &mut usize| {
        buf[*n..*n + bytes.len()].copy_from_slice(bytes);
        *n += bytes.len();
    };
    if p == 0 {
        put(d, &mut n);
    } else if d.len() <= p {
        put(b"0.", &mut n);
        for _ in d.len()..p {
            put(b"0", &mut n);
        }
        put(d, &mut n);
    } else {
        let (int, fr) = d.split_at(d.len() - p);
        put(int, &mut n);
        put(b".", &mut n);
        put(fr, &mut n);
    }
    // SAFETY: `buf[..n]` holds ASCII digits and a '.', put there above.
    Some(unsafe { std::str::from_utf8_unchecked(&buf[..n]) })
}

/// `{:.pe}` in Python's form (`1.500000e+00`).
fn sci(x: f64, p: usize, alt: bool) -> String {
    let (digits, exp) = split_exp(&format!("{x:.p$e}"));
    let (first, rest) = digits.split_at(1);
    let dot = if rest.is_empty() && !alt { "" } else { "." };
    format!("{first}{dot}{rest}e{}", exp_suffix(exp))
}

/// The `g` format (and the no-type format with a precision when `dot_zero`), following
/// CPython's `format_float_short`.
fn general(x: f64, p: usize, alt: bool, dot_zero: bool) -> String {
    let p = p.max(1);
    let (mut digits, exp) = if x == 0.0 {
        ("0".to_string(), 0)
    } else {
        split_exp(&format!("{x:.prec$e}", prec = p - 1))
    };
    if x == 0.0 && alt {
        digits = "0".repeat(p);
    }
    if !alt {
        let trimmed = digits.trim_end_matches('0');
        digits = if trimmed.is_empty() {
            "0".into()
        } else {
            trimmed.into()
        };
    }
    let decpt = exp + 1;
    let limit = if dot_zero { p as i32 - 1 } else { p as i32 };
    if decpt <= -4 || decpt > limit {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() && !alt { "" } else { "." };
        format!("{first}{dot}{rest}e{}", exp_suffix(exp))
    } else {
        let s = fixed_from_digits(&digits, decpt, dot_zero);
        if alt && !s.contains('.') {
            s + "."
        } else {
            s
        }
    }
}

/// Assembles `lead` (sign and prefix), the integer digits (grouped if asked), and `rest`
/// (fraction, exponent, `%`), then pads to the width; zero padding with grouping inserts
/// separators into the padding, as CPython does.
fn number(
    rt: &Rt,
    lead: &str,
    int_digits: &str,
    rest: &str,
    group: usize,
    spec: &Spec,
) -> PyResult<String> {
    rt.ensure_room(spec.width)?;
    let all_digits = !int_digits.is_empty() && int_digits.bytes().all(|b| b.is_ascii_hexdigit());
    let grouped = match spec.grouping {
        Some(sep) if all_digits => {
            let mut d = int_digits.to_string();
            if spec.fill == '0' && spec.align == '=' {
                let used = lead.chars().count() + rest.chars().count();
                let min = spec.width.saturating_sub(used);
                let glen = |n: usize| n + (n.max(1) - 1) / group;
                // Start near the answer (n digits take about n * (g+1) / g places) and step
                // up, so a wide field costs no more than its own length.
                let mut n = d.len().max(min.saturating_mul(group) / (group + 1));
                while glen(n) < min {
                    n += 1;
                }
                d = memory::padded('0', n - d.len(), &[&d], 0)?;
            }
            group_digits(&d, sep, group)
        }
        _ => int_digits.to_string(),
    };
    let body = memory::cat(&grouped, rest);
    pad(rt, lead, &body, spec)
}

fn group_digits(d: &str, sep: char, size: usize) -> String {
    let n = d.len();
    let mut out = String::with_capacity(n + n / size);
    for (i, ch) in d.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(size) {
            out.push(sep);
        }
        out.push(ch);
    }
    out
}

/// Pads `lead + body` to the spec's width with its fill and alignment.
fn pad(rt: &Rt, lead: &str, body: &str, spec: &Spec) -> PyResult<String> {
    let len = lead.chars().count() + body.chars().count();
    if len >= spec.width {
        return Ok(memory::cat(lead, body));
    }
    rt.ensure_room(spec.width.saturating_mul(spec.fill.len_utf8()))?;
    let n = spec.width - len;
    let f = spec.fill;
    match spec.align {
        '<' => memory::padded(f, 0, &[lead, body], n),
        '^' => memory::padded(f, n / 2, &[lead, body], n - n / 2),
        '=' => {
            let mut out = memory::padded(f, 0, &[lead], n)?;
            memory::try_reserve_str(&mut out, body.len())?;
            out.push_str(body);
            Ok(out)
        }
        _ => memory::padded(f, n, &[lead, body], 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `parse_plain` reads every spec it accepts as `parse` does, and leaves the rest (all
    /// those `parse` rejects among them) to it.
    #[test]
    fn plain_specs_parse_as_the_general_parser() {
        let parts: [&[&str]; 7] = [
            &["", "*<", ">", "0=", "^", "=", "x^"],
            &["", "+", "-", " "],
            &["", "0"],
            &["", "5", "12", "0", "1234", "12345"],
            &["", ",", "_", ",,", "_,"],
            &["", ".2", ".0", ".", ".1234", ".12345"],
            &["", "d", "f", "F", "s", "x", "e", "%", "g", "c", "dd", "q"],
        ];
        let mut n = 0;
        let mut specs = vec![String::new()];
        for options in parts {
            specs = specs
                .iter()
                .flat_map(|s| options.iter().map(move |o| format!("{s}{o}")))
                .collect();
        }
        specs.extend(["z.2f", "#x", "é>5", "99999999999999999999d"].map(String::from));
        for spec in &specs {
            for align in ['>', '<'] {
                if let Some(fast) = parse_plain(spec.as_bytes(), align) {
                    n += 1;
                    let slow = parse(spec, align, "int");
                    assert!(slow.is_ok(), "{spec:?}: {slow:?}");
                    let slow = slow.ok();
                    assert_eq!(format!("{:?}", Some(fast)), format!("{slow:?}"), "{spec:?}");
                }
            }
        }
        assert!(n > 10_000, "{n}");
    }

    /// `fixed_exact` writes what `core::fmt`'s exact formatting writes, for values with
    /// exponents from subnormal to 2^63 and every precision it takes.
    #[test]
    fn fixed_exact_is_core_fmts_rounding() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut values = vec![
            0.0, 0.5, 1.5, 2.5, 0.125, 0.375, 2.675, 1.005, 5e-324, 1e-30,
        ];
        for k in -64..64 {
            values.push(f64::from(k) / 16.0);
            values.push(f64::from(k) / 1000.0);
        }
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = f64::from_bits(x >> 1);
            if f.is_finite() {
                values.push(f);
                values.push(f64::from_bits((x >> 12) | 0x3ff0_0000_0000_0000) * 1e6);
            }
        }
        let mut buf = [0u8; 64];
        let mut checked = 0;
        for &v in &values {
            let v = v.abs();
            for p in 0..=20 {
                if let Some(fast) = fixed_exact(v, p, &mut buf) {
                    checked += 1;
                    assert_eq!(fast, fixed(v, p, false), "{v:e} .{p}f");
                }
            }
        }
        assert!(checked > 100_000, "{checked}");
    }
}
