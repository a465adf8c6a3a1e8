//! The common cases of comprehension, container and formatting instructions inside the hot
//! loop (issue 21): `LIST_APPEND`, `BUILD_LIST`/`BUILD_TUPLE`, `BUILD_SLICE`, `GET_ITER`,
//! `FOR_ITER` over a list or tuple, `UNARY_NEGATIVE`/`UNARY_NOT`, `IS_OP`, `CONTAINS_OP`,
//! `BUILD_STRING` and `FORMAT_VALUE`.
//!
//! Each helper does exactly what `slow_op` does for the values it takes — the same objects,
//! allocated with the same sizes (so the heap's accounting, and with it every collection,
//! falls where it did), the same errors — so outputs, schedules and traces cannot tell the two
//! paths apart. What they save is the round trip out of `Vm::hot` and back through
//! `run_slice` (≈100–200 x86 instructions), which these instructions paid on every
//! execution. `Vm::hot` keeps anything unusual (special methods, generators, checks the
//! check-then-act detector watches) on the slow path.

use crate::bytecode::{Instr, Opcode};
use crate::vm::exceptions::ExcKind;
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::ops;
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt, Throw};

/// What [`Vm::comp_op`] did.
pub(crate) enum Step {
    /// Done: the new stack pointer.
    Sp(usize),
    /// Not a case it takes (nothing changed): the slow path.
    Slow,
    /// The instruction raised, and the stack pointer with its operands popped (as the slow
    /// path leaves it).
    Raise(Throw, usize),
}

impl Vm {
    /// One of the instructions above, on the value stack `s` with stack pointer `sp`, for
    /// `Vm::hot`: out of line, so that the hot loop's own registers stay as they were (an
    /// arm per opcode inside `hot` cost the seed's counter loop 4 x86 instructions per VM
    /// instruction, callgrind).
    #[inline(never)]
    pub(crate) fn comp_op(&mut self, ins: Instr, s: &mut [Value], mut sp: usize) -> Step {
        macro_rules! tri {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(e) => return Step::Raise(e, sp),
                }
            };
        }
        macro_rules! push {
            ($v:expr) => {{
                let v = $v;
                if sp >= s.len() {
                    // Only if the compiler's stacksize were wrong: an internal error.
                    return Step::Raise(
                        Throw::new(
                            ExcKind::RuntimeError,
                            "gilvm internal error: value stack overflow (wrong stacksize)",
                        ),
                        sp,
                    );
                }
                s[sp] = v;
                sp += 1;
            }};
        }
        macro_rules! pop {
            () => {{
                sp -= 1;
                s[sp]
            }};
        }
        let rt = &mut self.rt;
        match ins.op {
            Opcode::LIST_APPEND => {
                let v = pop!();
                let list = s[sp - ins.arg as usize];
                tri!(list_append(rt, list, v));
            }
            Opcode::BUILD_LIST | Opcode::BUILD_TUPLE => {
                let n = ins.arg as usize;
                let v = tri!(build_seq(rt, ins.op == Opcode::BUILD_LIST, &s[sp - n..sp]));
                sp -= n;
                push!(v);
            }
            // A `def`, `lambda` or closure made in a loop: with no keyword-only defaults and
            // no annotations, as `Vm::make_function` makes it (the same one allocation).
            Opcode::MAKE_FUNCTION
                if ins.arg
                    & !(crate::bytecode::MAKE_FUNCTION_CLOSURE
                        | crate::bytecode::MAKE_FUNCTION_DEFAULTS)
                    == 0 =>
            {
                let Value::Int(code) = s[sp - 1] else {
                    return Step::Slow;
                };
                sp -= 1;
                let items = |rt: &Rt, v: Value| match v {
                    Value::Obj(id) => match rt.heap.get(id) {
                        Obj::Tuple(t) | Obj::List(t) => t.clone(),
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                };
                let closure = if ins.arg & crate::bytecode::MAKE_FUNCTION_CLOSURE != 0 {
                    items(rt, pop!())
                } else {
                    Vec::new()
                };
                let defaults = if ins.arg & crate::bytecode::MAKE_FUNCTION_DEFAULTS != 0 {
                    items(rt, pop!())
                } else {
                    Vec::new()
                };
                let f = tri!(rt.alloc(Obj::Function(crate::vm::heap::Function {
                    code: code as u32,
                    defaults: defaults.into_boxed_slice(),
                    kwonly_defaults: Box::default(),
                    closure: closure.into_boxed_slice(),
                    extra: None,
                })));
                push!(f);
            }
            Opcode::BUILD_SLICE => {
                let step = if ins.arg == 3 { pop!() } else { Value::None };
                let stop = pop!();
                let start = pop!();
                let v = tri!(rt.alloc(Obj::Slice { start, stop, step }));
                push!(v);
            }
            Opcode::BUILD_STRING => {
                let n = ins.arg as usize;
                match tri!(build_string(rt, &s[sp - n..sp])) {
                    Some(v) => {
                        sp -= n;
                        push!(v);
                    }
                    None => return Step::Slow,
                }
            }
            // Special methods exist only once a class defines one (`Rt::user_dunders`).
            Opcode::GET_ITER if !rt.user_dunders => {
                let v = pop!();
                let it = tri!(ops::get_iter(rt, v));
                push!(it);
            }
            Opcode::UNARY_NEGATIVE => match s[sp - 1] {
                Value::Int(i) if i != i64::MIN => s[sp - 1] = Value::Int(-i),
                _ => return Step::Slow,
            },
            Opcode::UNARY_NOT => match ops::truth(rt, s[sp - 1]) {
                Some(t) => s[sp - 1] = Value::Bool(!t),
                // `__bool__` or `__len__`: the slow path calls it.
                None => return Step::Slow,
            },
            // A check the check-then-act detector watches: the slow path records it.
            Opcode::IS_OP if !ins.check => {
                let b = pop!();
                let a = pop!();
                push!(Value::Bool(ops::is(a, b) != (ins.arg == 1)));
            }
            Opcode::CONTAINS_OP
                if !(ins.check
                    || rt.user_dunders
                    || rt.generators && crate::vm::generator::is_generator(rt, s[sp - 1])) =>
            {
                let container = pop!();
                let item = pop!();
                let r = tri!(ops::contains(rt, container, item));
                push!(Value::Bool(r != (ins.arg == 1)));
            }
            // `__str__`/`__repr__` of a class: the slow path calls the prelude.
            Opcode::FORMAT_VALUE if !rt.str_dunders => {
                let spec = if ins.arg & crate::bytecode::FVS_HAVE_SPEC != 0 {
                    Some(pop!())
                } else {
                    None
                };
                let v = pop!();
                let r = tri!(format_value(rt, ins.arg, v, spec));
                push!(r);
            }
            // it2: a tuple or list of exactly `n` items (`a, b = pair`, `for a, b in pairs`
            // when the FOR_ITER could not take it): `ops::unpack`'s first case, without its
            // copy of the items. Anything else (an iterator, an instance, a wrong length,
            // which raises) takes the slow path.
            Opcode::UNPACK_SEQUENCE => {
                let n = ins.arg as usize;
                let Value::Obj(id) = s[sp - 1] else {
                    return Step::Slow;
                };
                match rt.heap.get(id) {
                    Obj::List(v) | Obj::Tuple(v) if v.len() == n && sp - 1 + n <= s.len() => {
                        for (o, &x) in s[sp - 1..sp - 1 + n].iter_mut().zip(v.iter().rev()) {
                            *o = x;
                        }
                        sp = sp - 1 + n;
                    }
                    _ => return Step::Slow,
                }
            }
            _ => return Step::Slow,
        }
        Step::Sp(sp)
    }
}

/// `LIST_APPEND` (a comprehension's `[... for ...]`): a push when the list has room, else
/// `ops::list_push`, which grows it and charges the heap as the slow path does.
#[inline(always)]
pub(crate) fn list_append(rt: &mut Rt, list: Value, v: Value) -> PyResult<()> {
    if let Value::Obj(id) = list {
        if let Some(Obj::List(items)) = rt.heap.slot_mut(id) {
            if items.len() < items.capacity() {
                items.push(v);
                return Ok(());
            }
        }
        return ops::list_push(rt, id, v);
    }
    Ok(())
}

/// `BUILD_LIST n` / `BUILD_TUPLE n` of `items` (the top `n` values): a new list or tuple,
/// its `Vec` of exactly `n` as `slow_op`'s `split_off` makes it.
#[inline(always)]
pub(crate) fn build_seq(rt: &mut Rt, list: bool, items: &[Value]) -> PyResult<Value> {
    let v = items.to_vec();
    rt.alloc(if list { Obj::List(v) } else { Obj::Tuple(v) })
}

/// `BUILD_STRING n` when every part is a str (always, as the compiler emits it: each part is
/// a constant or a `FORMAT_VALUE`); `None` otherwise, for the slow path.
#[inline(never)]
pub(crate) fn build_string(rt: &mut Rt, parts: &[Value]) -> PyResult<Option<Value>> {
    let mut total = 0usize;
    for &p in parts {
        match rt.as_str(p) {
            Some(s) => total = total.saturating_add(s.len()),
            None => return Ok(None),
        }
    }
    rt.ensure_room(total)?;
    let mut s = crate::vm::memory::string_with_capacity(total)?;
    for &p in parts {
        s.push_str(rt.as_str(p).unwrap_or(""));
    }
    rt.new_str(s).map(Some)
}

/// `FORMAT_VALUE` (`f"{v}"`, `f"{v!r}"`, `f"{v:>6}"`) when no class defines `__str__` or
/// `__repr__` (`Rt::str_dunders`, which the hot loop tests): `format::format_value`, as the
/// slow path calls it, with a short spec copied to the stack instead of a `String`.
#[inline(never)]
pub(crate) fn format_value(
    rt: &mut Rt,
    arg: u32,
    v: Value,
    spec: Option<Value>,
) -> PyResult<Value> {
    use crate::bytecode::{FVC_ASCII, FVC_REPR, FVC_STR};
    if let Some(same) = str_itself(rt, arg, v, spec) {
        return Ok(same);
    }
    // comp2: `f"{i}"` of an int: its digits, straight into the new str.
    if let (Value::Int(i), None, FVC_STR | crate::bytecode::FVC_NONE) = (v, spec, arg & 3) {
        // The capacity of a `String` grown from empty as `format::repr` grows it (at least 8:
        // `RawVec`'s smallest for bytes), so the str's heap charge is the slow path's; taken
        // from the pool at once instead of through the growth path (≈110 x86 instructions).
        let mut digits = itoa::Buffer::new();
        let d = digits.format(i);
        let mut text = crate::vm::memory::string_with_capacity(d.len().max(8))?;
        text.push_str(d);
        return rt.new_str(text);
    }
    // strs: `f"{i:>6}"` of an int with only an alignment and a width.
    if let (Value::Int(i), Some(spec), crate::bytecode::FVC_NONE) = (v, spec, arg & 3) {
        if let Some(text) = int_aligned(rt, i, spec)? {
            return rt.new_str(text);
        }
    }
    // fmt: `f"{name!r}"` of a plain str: its repr in one string.
    if let (FVC_REPR, None) = (arg & 3, spec) {
        if let Some(text) = rt.as_str(v).and_then(crate::vm::format::plain_str_repr) {
            return rt.new_str(text);
        }
    }
    let conv = match arg & 3 {
        FVC_STR => Some('s'),
        FVC_REPR => Some('r'),
        FVC_ASCII => Some('a'),
        _ => None,
    };
    let mut buf = [0u8; 32];
    let spec_text = spec.and_then(|s| rt.as_str(s)).unwrap_or("");
    let s = if spec_text.len() <= buf.len() {
        let n = spec_text.len();
        buf[..n].copy_from_slice(spec_text.as_bytes());
        // The bytes of a `str`'s prefix of whole characters: valid UTF-8.
        let spec = std::str::from_utf8(&buf[..n]).unwrap_or("");
        crate::vm::format::format_value(rt, v, conv, spec)?
    } else {
        let spec = spec_text.to_string();
        crate::vm::format::format_value(rt, v, conv, &spec)?
    };
    rt.new_str(s)
}

// comp2: `f"{s}" is s`.
/// `FORMAT_VALUE` of a `str` with no conversion or `!s` and no (or an empty) spec: the str
/// itself, as CPython's `FORMAT_VALUE` returns an exact str unchanged (`f"{s}" is s`), and
/// without a copy. `None` for anything else.
#[inline]
pub(crate) fn str_itself(rt: &Rt, arg: u32, v: Value, spec: Option<Value>) -> Option<Value> {
    use crate::bytecode::{FVC_ASCII, FVC_REPR};
    if matches!(arg & 3, FVC_REPR | FVC_ASCII) {
        return None;
    }
    if let Some(sp) = spec {
        if rt.as_str(sp) != Some("") {
            return None;
        }
    }
    match v {
        Value::Obj(id) if matches!(rt.heap.get(id), Obj::Str(_)) => Some(v),
        _ => None,
    }
}

// strs: `f"{i:>6}"`.
/// `format(i, spec)` of an int when `spec` is an optional `<`, `>` or `^`, a width of one
/// to four digits not starting with `0` (the zero-padding flag) and an optional type `d`:
/// the digits on the stack and
/// one string, built with the same calls as `format::spec::format_int`'s decimal branch and
/// `pad` (so the same capacity, and the same heap accounting), without parsing a `Spec` or
/// going through `format_value` and `format_spec`. `None` for any other spec.
#[inline(never)]
pub(crate) fn int_aligned(rt: &Rt, i: i64, spec: Value) -> PyResult<Option<String>> {
    let Some(spec) = rt.as_str(spec) else {
        return Ok(None);
    };
    let b = spec.as_bytes();
    let (align, digits) = match b.first() {
        Some(&a @ (b'<' | b'>' | b'^')) => (a, &b[1..]),
        _ => (b'>', b),
    };
    // fmt: `f"{i:5d}"`: the type `d` is the default's decimal.
    let digits = digits.strip_suffix(b"d").unwrap_or(digits);
    if digits.is_empty()
        || digits.len() > 4
        || digits[0] == b'0'
        || !digits.iter().all(u8::is_ascii_digit)
    {
        return Ok(None);
    }
    let width = digits
        .iter()
        .fold(0usize, |w, &d| w * 10 + usize::from(d - b'0'));
    let mut buf = itoa::Buffer::new();
    let text = buf.format(i.unsigned_abs());
    let lead = if i < 0 { "-" } else { "" };
    rt.ensure_room(width)?;
    let len = lead.len() + text.len();
    if len >= width {
        return Ok(Some(crate::vm::memory::cat(lead, text)));
    }
    let n = width - len;
    let (left, right) = match align {
        b'<' => (0, n),
        b'^' => (n / 2, n - n / 2),
        _ => (n, 0),
    };
    crate::vm::memory::padded(' ', left, &[lead, text], right).map(Some)
}
