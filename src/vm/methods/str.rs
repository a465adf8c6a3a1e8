//! Methods of `str`. Strings are UTF-8 Rust strings while Python indexes by code point, so
//! positions (`find`, `start`/`end` arguments) are converted between the two here; ASCII
//! strings, the common case, take byte-offset fast paths.

use memchr::memmem;

use crate::vm::builtins::{check_kwargs, kwarg, Kwargs};
use crate::vm::format::str_format;
use crate::vm::heap::Obj;
use crate::vm::methods::{arg_range, exactly_one, no_args, no_attribute, titlecase};
use crate::vm::natives::AttrSym;
use crate::vm::ops::{self, collect_iterable, expect_index, str_len, type_name};
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt, Throw};

/// The str methods gilvm implements.
pub(super) const STR_METHODS: &[AttrSym] = {
    use AttrSym::*;
    &[
        join,
        split,
        rsplit,
        splitlines,
        upper,
        lower,
        strip,
        lstrip,
        rstrip,
        startswith,
        endswith,
        replace,
        find,
        rfind,
        index,
        rindex,
        count,
        format,
        isdigit,
        isdecimal,
        isnumeric,
        isalpha,
        isalnum,
        isspace,
        isupper,
        islower,
        title,
        capitalize,
        swapcase,
        casefold,
        zfill,
        center,
        ljust,
        rjust,
        partition,
        rpartition,
        removeprefix,
        removesuffix,
    ]
};

pub(super) fn call(
    rt: &mut Rt,
    attr: AttrSym,
    recv: Value,
    args: &[Value],
    kwargs: &Kwargs,
) -> PyResult<Value> {
    use AttrSym as A;
    // strs: the receiver's text copied to the stack when short (a `String` copy was a malloc
    // and a free per call of a str method, `", ".join(…)`, `"{}".format(…)`).
    let s_buf: smallvec::SmallVec<[u8; 64]> =
        smallvec::SmallVec::from_slice(rt.as_str(recv).unwrap_or_default().as_bytes());
    // SAFETY: `s_buf` holds a copy of a `str`'s bytes, valid UTF-8 (checking them again was
    // a pass over the receiver per call: fmt).
    let s: &str = unsafe { std::str::from_utf8_unchecked(&s_buf) };
    let mname = attr.name();
    match attr {
        A::split | A::rsplit => check_kwargs(mname, kwargs, &["sep", "maxsplit"])?,
        A::splitlines => check_kwargs(mname, kwargs, &["keepends"])?,
        A::format => {}
        _ if !kwargs.is_empty() => {
            return Err(Throw::type_error(format!(
                "{mname}() takes no keyword arguments"
            )))
        }
        _ => {}
    }
    let text = |rt: &mut Rt, t: String| rt.new_str(t);
    match attr {
        A::upper | A::lower | A::title | A::capitalize | A::swapcase | A::casefold => {
            if !args.is_empty() {
                no_args(&format!("str.{mname}"), args)?;
            }
            if s.is_ascii() {
                // ASCII: the case mappings are byte mappings (no Unicode tables, one pass).
                return text(rt, ascii_case(s, attr));
            }
            let t = match attr {
                A::upper => s.to_uppercase(),
                A::lower => s.to_lowercase(),
                A::title => title_case(s),
                A::capitalize => {
                    // CPython 3.8+: the first character's title case, the rest lowered.
                    let mut c = s.chars();
                    let mut t = String::with_capacity(s.len());
                    if let Some(f) = c.next() {
                        titlecase::push_title(&mut t, f);
                        t.push_str(&c.as_str().to_lowercase());
                    }
                    t
                }
                A::swapcase => {
                    // Upper to lower, lower to upper; anything else (a titlecase letter)
                    // unchanged.
                    let mut t = String::with_capacity(s.len());
                    for c in s.chars() {
                        if c.is_uppercase() {
                            t.extend(c.to_lowercase());
                        } else if c.is_lowercase() {
                            t.extend(c.to_uppercase());
                        } else {
                            t.push(c);
                        }
                    }
                    t
                }
                _ => s.to_lowercase().replace('ß', "ss"),
            };
            text(rt, t)
        }
        A::isdigit
        | A::isdecimal
        | A::isnumeric
        | A::isalpha
        | A::isalnum
        | A::isspace
        | A::isupper
        | A::islower => {
            if !args.is_empty() {
                no_args(&format!("str.{mname}"), args)?;
            }
            let all = |f: fn(char) -> bool| !s.is_empty() && s.chars().all(f);
            Ok(Value::Bool(match attr {
                A::isdigit => all(is_digit),
                A::isdecimal => all(is_decimal),
                A::isnumeric => all(|c| c.is_numeric()),
                A::isalpha => all(|c| c.is_alphabetic()),
                A::isalnum => all(|c| c.is_alphanumeric()),
                A::isspace => all(py_space),
                A::isupper => cased_all(s, true),
                _ => cased_all(s, false),
            }))
        }
        A::join => {
            let it = exactly_one("str.join", args)?;
            let items = collect_iterable(rt, it)?;
            let mut total = 0usize;
            for (i, &v) in items.iter().enumerate() {
                match rt.as_str(v) {
                    Some(p) => total = total.saturating_add(p.len() + s.len()),
                    None => {
                        return Err(Throw::type_error(format!(
                            "sequence item {i}: expected str instance, {} found",
                            type_name(rt, v)
                        )))
                    }
                }
            }
            rt.ensure_room(total)?;
            let mut out = crate::vm::memory::string_with_capacity(total)?;
            for (i, &v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(s);
                }
                out.push_str(rt.as_str(v).unwrap_or_default());
            }
            text(rt, out)
        }
        A::split | A::rsplit => {
            if args.len() > 2 {
                return Err(Throw::type_error(format!(
                    "{mname}() takes at most 2 arguments ({} given)",
                    args.len()
                )));
            }
            let sep = args.first().copied().or_else(|| kwarg(kwargs, "sep"));
            let maxsplit = match args.get(1).copied().or_else(|| kwarg(kwargs, "maxsplit")) {
                Some(v) => expect_index(rt, v)?,
                None => -1,
            };
            let parts: Vec<String> = match sep {
                None | Some(Value::None) => split_whitespace(s, maxsplit, attr == A::rsplit),
                Some(v) => {
                    let Some(sep) = rt.as_str(v) else {
                        return Err(Throw::type_error(format!(
                            "must be str or None, not {}",
                            type_name(rt, v)
                        )));
                    };
                    if sep.is_empty() {
                        return Err(Throw::value_error("empty separator"));
                    }
                    split_sep(s, sep, maxsplit, attr == A::rsplit)
                }
            };
            ops::ensure_items(rt, parts.len(), 64)?;
            let mut items = Vec::with_capacity(parts.len());
            for p in parts {
                items.push(rt.new_str(p)?);
            }
            rt.new_list(items)
        }
        A::splitlines => {
            arg_range("splitlines", args, 0, 1)?;
            let keep = args
                .first()
                .copied()
                .or_else(|| kwarg(kwargs, "keepends"))
                .is_some_and(|v| ops::truthy(rt, v));
            let mut items = Vec::new();
            for line in split_lines(s, keep) {
                items.push(rt.new_str(line)?);
            }
            rt.new_list(items)
        }
        A::strip | A::lstrip | A::rstrip => {
            arg_range(mname, args, 0, 1)?;
            let chars: Option<Vec<char>> = match args.first() {
                None | Some(Value::None) => None,
                Some(&v) => match rt.as_str(v) {
                    Some(c) => Some(c.chars().collect()),
                    None => {
                        return Err(Throw::type_error(format!(
                            "{mname} arg must be None or str"
                        )))
                    }
                },
            };
            let m = |c: char| match &chars {
                None => py_space(c),
                Some(set) => set.contains(&c),
            };
            let t = match attr {
                A::strip => s.trim_matches(m),
                A::lstrip => s.trim_start_matches(m),
                _ => s.trim_end_matches(m),
            };
            if t.len() == s.len() {
                // Nothing stripped: the string itself, as CPython returns it.
                return Ok(recv);
            }
            text(rt, t.to_string())
        }
        A::startswith | A::endswith => {
            if args.is_empty() || args.len() > 3 {
                return Err(Throw::type_error(format!(
                    "{mname}() takes at {} ({} given)",
                    if args.is_empty() {
                        "least 1 argument"
                    } else {
                        "most 3 arguments"
                    },
                    args.len()
                )));
            }
            let (lo, hi) = char_range(s, args.get(1), args.get(2))?;
            let Some(sub) = substr(s, lo, hi) else {
                return Ok(Value::Bool(false));
            };
            let candidates: Vec<Value> = match args[0].as_obj().map(|id| rt.heap.get(id)) {
                Some(Obj::Tuple(items)) => items.clone(),
                _ => vec![args[0]],
            };
            for c in candidates {
                let Some(p) = rt.as_str(c) else {
                    return Err(Throw::type_error(format!(
                        "{mname} first arg must be str or a tuple of str, not {}",
                        type_name(rt, c)
                    )));
                };
                let hit = if attr == A::startswith {
                    sub.starts_with(p)
                } else {
                    sub.ends_with(p)
                };
                if hit {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        A::replace => {
            arg_range("replace", args, 2, 3)?;
            let (Some(old), Some(new)) = (rt.as_str(args[0]), rt.as_str(args[1])) else {
                let bad = if rt.as_str(args[0]).is_none() {
                    args[0]
                } else {
                    args[1]
                };
                let pos = if rt.as_str(args[0]).is_none() { 1 } else { 2 };
                return Err(Throw::type_error(format!(
                    "replace() argument {pos} must be str, not {}",
                    type_name(rt, bad)
                )));
            };
            let limit = match args.get(2) {
                Some(&v) => expect_index(rt, v)?,
                None => -1,
            };
            if old.is_empty() {
                let hits = str_len(s) + 1;
                let hits = if limit >= 0 {
                    hits.min(limit as usize)
                } else {
                    hits
                };
                rt.ensure_room(hits.saturating_mul(new.len()).saturating_add(s.len()))?;
                let t = if limit < 0 {
                    s.replace(old, new)
                } else {
                    s.replacen(old, new, limit as usize)
                };
                return text(rt, t);
            }
            // memchr's substring search (SIMD) instead of `str::matches`' two-way searcher,
            // which cost ~50 instructions a character for a one-character needle.
            let finder = memmem::Finder::new(old.as_bytes());
            let most = if limit >= 0 {
                limit as usize
            } else {
                usize::MAX
            };
            let hits = finder.find_iter(s.as_bytes()).take(most).count();
            if hits == 0 {
                // Nothing replaced: the string itself, as CPython returns it.
                return Ok(recv);
            }
            let size = (s.len() - hits * old.len()).saturating_add(hits.saturating_mul(new.len()));
            rt.ensure_room(size)?;
            let mut t = crate::vm::memory::string_with_capacity(size)?;
            let mut last = 0;
            for i in finder.find_iter(s.as_bytes()).take(hits) {
                t.push_str(&s[last..i]);
                t.push_str(new);
                last = i + old.len();
            }
            t.push_str(&s[last..]);
            text(rt, t)
        }
        A::find | A::rfind | A::index | A::rindex | A::count => {
            if args.is_empty() || args.len() > 3 {
                return Err(Throw::type_error(format!(
                    "{mname}() takes at {} ({} given)",
                    if args.is_empty() {
                        "least 1 argument"
                    } else {
                        "most 3 arguments"
                    },
                    args.len()
                )));
            }
            let Some(sub) = rt.as_str(args[0]) else {
                return Err(Throw::type_error(format!(
                    "must be str, not {}",
                    type_name(rt, args[0])
                )));
            };
            let (lo, hi) = char_range(s, args.get(1), args.get(2))?;
            let Some(hay) = substr(s, lo, hi) else {
                return Ok(Value::Int(if attr == A::count { 0 } else { -1 }))
                    .and_then(|v| not_found(attr, v));
            };
            if attr == A::count {
                let n = if sub.is_empty() {
                    str_len(hay) + 1
                } else {
                    memmem::find_iter(hay.as_bytes(), sub.as_bytes()).count()
                };
                return Ok(Value::Int(n as i64));
            }
            let pos = if matches!(attr, A::find | A::index) {
                memmem::find(hay.as_bytes(), sub.as_bytes())
            } else {
                memmem::rfind(hay.as_bytes(), sub.as_bytes())
            };
            match pos {
                Some(b) => Ok(Value::Int((lo + str_len(&hay[..b])) as i64)),
                None => not_found(attr, Value::Int(-1)),
            }
        }
        A::format => {
            let out = str_format(rt, s, args, kwargs)?;
            text(rt, out)
        }
        A::zfill => {
            let w = exactly_one("str.zfill", args)?;
            let w = expect_index(rt, w)?;
            let len = str_len(s) as i64;
            if w <= len {
                return text(rt, s.to_string());
            }
            rt.ensure_room(w as usize)?;
            let zeros = (w - len) as usize;
            let t = match s.chars().next() {
                Some('+' | '-') => {
                    let mut t = crate::vm::memory::padded('0', 0, &[&s[..1]], zeros)?;
                    crate::vm::memory::try_reserve_str(&mut t, s.len() - 1)?;
                    t.push_str(&s[1..]);
                    t
                }
                _ => crate::vm::memory::padded('0', zeros, &[s], 0)?,
            };
            text(rt, t)
        }
        A::center | A::ljust | A::rjust => {
            arg_range(mname, args, 1, 2)?;
            let w = expect_index(rt, args[0])?;
            let fill = match args.get(1) {
                None => ' ',
                Some(&f) => {
                    let fs = rt.as_str(f).ok_or_else(|| {
                        Throw::type_error(format!(
                            "{mname}() argument 2 must be str, not {}",
                            type_name(rt, f)
                        ))
                    })?;
                    let mut cs = fs.chars();
                    match (cs.next(), cs.next()) {
                        (Some(c), None) => c,
                        _ => {
                            return Err(Throw::type_error(
                                "The fill character must be exactly one character long",
                            ))
                        }
                    }
                }
            };
            let len = str_len(s) as i64;
            if w <= len {
                return text(rt, s.to_string());
            }
            rt.ensure_room((w as usize).saturating_mul(fill.len_utf8()))?;
            let marg = w - len;
            let left = match attr {
                A::center => marg / 2 + (marg & w & 1),
                A::ljust => 0,
                _ => marg,
            };
            let t = crate::vm::memory::padded(fill, left as usize, &[s], (marg - left) as usize)?;
            text(rt, t)
        }
        A::partition | A::rpartition => {
            let sep = exactly_one(&format!("str.{mname}"), args)?;
            let Some(sep) = rt.as_str(sep).map(str::to_string) else {
                return Err(Throw::type_error(format!(
                    "must be str, not {}",
                    type_name(rt, sep)
                )));
            };
            if sep.is_empty() {
                return Err(Throw::value_error("empty separator"));
            }
            let found = if attr == A::partition {
                s.find(&sep)
            } else {
                s.rfind(&sep)
            };
            let (a, b, c) = match found {
                Some(i) => (&s[..i], sep.as_str(), &s[i + sep.len()..]),
                None if attr == A::partition => (s, "", ""),
                None => ("", "", s),
            };
            let parts = [a.to_string(), b.to_string(), c.to_string()];
            let mut items = Vec::with_capacity(3);
            for p in parts {
                items.push(rt.new_str(p)?);
            }
            rt.new_tuple(items)
        }
        A::removeprefix | A::removesuffix => {
            let a = exactly_one(&format!("str.{mname}"), args)?;
            let Some(p) = rt.as_str(a) else {
                return Err(Throw::type_error(format!(
                    "{mname}() argument must be str, not {}",
                    type_name(rt, a)
                )));
            };
            let t = if attr == A::removeprefix {
                s.strip_prefix(p).unwrap_or(s)
            } else {
                s.strip_suffix(p).unwrap_or(s)
            };
            text(rt, t.to_string())
        }
        _ => Err(no_attribute(rt, recv, mname)),
    }
}

fn not_found(attr: AttrSym, v: Value) -> PyResult<Value> {
    match attr {
        AttrSym::index | AttrSym::rindex if v == Value::Int(-1) => {
            Err(Throw::value_error("substring not found"))
        }
        _ => Ok(v),
    }
}

/// Python's `str.isspace` for one character.
pub(crate) fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

fn is_decimal(c: char) -> bool {
    c.is_ascii_digit() || crate::vm::builtins::unicode_digit(c).is_some()
}

fn is_digit(c: char) -> bool {
    is_decimal(c)
        || matches!(
            c,
            '\u{b2}' | '\u{b3}' | '\u{b9}' | '\u{2070}' | '\u{2074}'..='\u{2079}'
        )
        || matches!(c, '\u{2080}'..='\u{2089}' | '\u{2460}'..='\u{2468}')
}

/// `isupper`/`islower`: at least one cased character, none of the other case.
fn cased_all(s: &str, upper: bool) -> bool {
    let mut cased = false;
    for c in s.chars() {
        let (this, other) = if upper {
            (c.is_uppercase(), c.is_lowercase())
        } else {
            (c.is_lowercase(), c.is_uppercase())
        };
        if other {
            return false;
        }
        cased |= this;
    }
    cased
}

/// `upper`, `lower`, `title`, `capitalize`, `swapcase` or `casefold` of an ASCII string: the
/// same as the Unicode mappings (ASCII letters map to ASCII letters), byte by byte.
fn ascii_case(s: &str, attr: AttrSym) -> String {
    use AttrSym as A;
    let mut b = s.as_bytes().to_vec();
    match attr {
        A::upper => b.make_ascii_uppercase(),
        A::lower | A::casefold => b.make_ascii_lowercase(),
        A::capitalize => {
            b.make_ascii_lowercase();
            if let Some(f) = b.first_mut() {
                f.make_ascii_uppercase();
            }
        }
        A::swapcase => {
            for c in &mut b {
                if c.is_ascii_alphabetic() {
                    *c ^= 0x20;
                }
            }
        }
        _ => {
            // title: a letter after a letter is lowered, any other letter raised.
            let mut prev_cased = false;
            for c in &mut b {
                if prev_cased {
                    c.make_ascii_lowercase();
                } else {
                    c.make_ascii_uppercase();
                }
                prev_cased = c.is_ascii_alphabetic();
            }
        }
    }
    // ASCII in, ASCII out: valid UTF-8.
    String::from_utf8(b).unwrap_or_default()
}

fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_cased = false;
    for c in s.chars() {
        if prev_cased {
            out.extend(c.to_lowercase());
        } else {
            titlecase::push_title(&mut out, c);
        }
        prev_cased = c.is_uppercase() || c.is_lowercase() || titlecase::is_title_letter(c);
    }
    out
}

/// Char positions `[lo, hi)` of `start`/`end` arguments, adjusted as CPython's
/// `ADJUST_INDICES`: negatives count from the end, `end` is clamped, `start` is not (a start
/// past the end finds nothing, not even the empty string).
fn char_range(s: &str, start: Option<&Value>, end: Option<&Value>) -> PyResult<(usize, usize)> {
    let len = str_len(s) as i64;
    let part = |v: Option<&Value>, default: i64| -> PyResult<i64> {
        match v {
            None | Some(Value::None) => Ok(default),
            Some(&v) => {
                let i = ops::as_index(v).ok_or_else(|| {
                    Throw::type_error(
                        "slice indices must be integers or None or have an __index__ method",
                    )
                })?;
                Ok(if i < 0 { (i + len).max(0) } else { i })
            }
        }
    };
    let lo = part(start, 0)?;
    let hi = part(end, len)?.min(len);
    Ok((lo as usize, hi as usize))
}

/// The substring between char positions `lo..hi`, or `None` when `lo > hi` (Python's
/// `find` then fails even for an empty needle) or `lo` is past the end.
fn substr(s: &str, lo: usize, hi: usize) -> Option<&str> {
    if lo > hi || lo > str_len(s) {
        return None;
    }
    let byte = |i: usize| s.char_indices().nth(i).map_or(s.len(), |(b, _)| b);
    if s.is_ascii() {
        return s.get(lo..hi.min(s.len()));
    }
    Some(&s[byte(lo)..byte(hi)])
}

fn split_whitespace(s: &str, maxsplit: i64, from_right: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if from_right {
        let mut rest = s.trim_end_matches(py_space);
        while !rest.is_empty() {
            if maxsplit >= 0 && out.len() as i64 == maxsplit {
                out.push(rest.to_string());
                break;
            }
            match rest.rfind(py_space) {
                Some(i) => {
                    let w = rest[i..].chars().next().map_or(1, char::len_utf8);
                    out.push(rest[i + w..].to_string());
                    rest = rest[..i].trim_end_matches(py_space);
                }
                None => {
                    out.push(rest.to_string());
                    break;
                }
            }
        }
        out.reverse();
        return out;
    }
    // fmt: `text.split()` of an ASCII str: its words found by bytes (each `String` as the
    // general loop's `to_string` makes it), without decoding characters twice a word.
    if maxsplit < 0 && s.is_ascii() {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            while i < b.len() && py_space(char::from(b[i])) {
                i += 1;
            }
            let start = i;
            while i < b.len() && !py_space(char::from(b[i])) {
                i += 1;
            }
            if start < i {
                out.push(s[start..i].to_string());
            }
        }
        return out;
    }
    let mut rest = s.trim_start_matches(py_space);
    while !rest.is_empty() {
        if maxsplit >= 0 && out.len() as i64 == maxsplit {
            out.push(rest.to_string());
            break;
        }
        match rest.find(py_space) {
            Some(i) => {
                out.push(rest[..i].to_string());
                rest = rest[i..].trim_start_matches(py_space);
            }
            None => {
                out.push(rest.to_string());
                break;
            }
        }
    }
    out
}

fn split_sep(s: &str, sep: &str, maxsplit: i64, from_right: bool) -> Vec<String> {
    match (maxsplit >= 0, from_right) {
        // memchr's substring search, not `str::split`'s two-way searcher (≈50 x86
        // instructions a character for a one-character separator): the same pieces, as
        // both find non-overlapping matches from the left. `sep` is not empty (the caller).
        // A one-byte separator (`","`, `"-"`, `" "`) by `memchr` itself: memmem builds a
        // searcher for each call first (≈200 x86 instructions, a quarter of splitting a short
        // line in three).
        (false, _) => {
            let mut out = Vec::new();
            let mut last = 0;
            let mut piece = |i: usize, out: &mut Vec<String>| {
                out.push(s[last..i].to_string());
                last = i + sep.len();
            };
            match sep.as_bytes() {
                &[b] => memchr::memchr_iter(b, s.as_bytes()).for_each(|i| piece(i, &mut out)),
                bytes => memmem::find_iter(s.as_bytes(), bytes).for_each(|i| piece(i, &mut out)),
            }
            out.push(s[last..].to_string());
            out
        }
        (true, false) => s
            .splitn(maxsplit as usize + 1, sep)
            .map(str::to_string)
            .collect(),
        (true, true) => {
            let mut v: Vec<String> = s
                .rsplitn(maxsplit as usize + 1, sep)
                .map(str::to_string)
                .collect();
            v.reverse();
            v
        }
    }
}

/// `str.splitlines`: breaks at \n, \r, \r\n and the other Unicode line boundaries.
fn split_lines(s: &str, keep: bool) -> Vec<String> {
    let is_break = |c: char| {
        matches!(
            c,
            '\n' | '\r'
                | '\x0b'
                | '\x0c'
                | '\x1c'
                | '\x1d'
                | '\x1e'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        )
    };
    let mut out = Vec::new();
    let mut start = 0;
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if !is_break(c) {
            continue;
        }
        let mut end = i + c.len_utf8();
        if c == '\r' {
            if let Some(&(j, '\n')) = it.peek() {
                end = j + 1;
                it.next();
            }
        }
        out.push(s[start..if keep { end } else { i }].to_string());
        start = end;
    }
    if start < s.len() {
        out.push(s[start..].to_string());
    }
    out
}
