//! Generators inside the hot loop (issue 21): resuming a suspended generator from `FOR_ITER`
//! or `SEND` (`yield from`), and its `YIELD_VALUE` back to the resumer, without the slow path.
//!
//! Before, each of these left `Vm::hot` for `slow_op` (`gen_resume`, `gen_yield`) and came
//! back through `run_slice`, which reloads the frame registers: two round trips per value a
//! generator produced, the largest cost of `l/gen` and of the executor's generators
//! (docs/performance.md, "Issue 21: generators and exceptions in the hot loop").
//!
//! What these do is exactly what `gen_resume` and `gen_yield` in `vm/generator.rs` do for the
//! cases they take — the same frames, the same values on the thread's stack, the same
//! generator object (state, saved slots, pc, `then`, handled exceptions), the same saved
//! caller pc and call site, one instruction counted — so schedules, traces and outputs cannot
//! tell the paths apart. They take only what cannot fail: a resume of a generator that is
//! suspended (or just created, with `None` sent) below the recursion limit, and a yield whose
//! resumer is not `close()`. Anything else (a running or finished generator, a value sent to a
//! new one, the recursion limit, a yield during `close()`) answers `false` having changed
//! nothing, and the instruction takes the slow path, which resumes or raises as before.
//!
//! A suspended generator's fast locals and operand stack are still copied between its
//! `Generator::saved` buffer (reused, so nothing is allocated) and the thread's stack; the
//! copy is a few values, cheap next to the round trip it replaces.

use crate::bytecode::{Instr, Opcode, Program};
use crate::vm::consume::Fed;
use crate::vm::generator::{Consume, GenState, GenThen};
use crate::vm::heap::Obj;
use crate::vm::machine::Vm;
use crate::vm::sync::Site;
use crate::vm::thread::{Frame, Frames};
use crate::vm::value::{ObjId, Value};
use crate::vm::Throw;

/// No `KW_NAMES` pending (as `Frame::kwnames`).
const NO_KW: u32 = u32::MAX;

/// What [`Vm::hot_gen_yield`] did.
pub(crate) enum YieldStep {
    /// The generator is suspended and its frame popped: the value goes to the resumer.
    Left,
    /// A built-in consuming the generator took the value (`vm::consume`): the generator goes
    /// on, `None` the value of its `yield` expression.
    Stay,
    /// Nothing changed: the slow path.
    Slow,
}

/// What [`Vm::for_iter_step`] did.
pub(crate) enum ForStep {
    /// The iterator's next value, to push.
    Push(Value),
    /// Exhausted: pop it and jump past the loop.
    Done,
    /// A generator's frame was pushed (`hot_gen_resume`): its stack pointer.
    Frame(usize),
    /// Nothing changed: the slow path.
    Slow,
    /// The iterator raised.
    Raise(Throw),
    /// The next value, unpacked by the `UNPACK_SEQUENCE` after the `FOR_ITER`
    /// (`ops::iter::next_unpacked`): its items are on the stack up to this stack pointer, and
    /// the `UNPACK_SEQUENCE` is done (its pc and budget unit still to count).
    Unpacked(usize),
}

impl Vm {
    /// `FOR_ITER` in `Vm::hot` on an iterator that is not a range (`it`, the top of `s`
    /// below `sp`): a suspended generator is resumed here (`hot_gen_resume`, not under
    /// `--races`, whose reads the slow path records), a list's or tuple's iterator read in
    /// place, anything else stepped by `ops::iter_next`. Out of line for the counter loop's
    /// sake: see the call site.
    ///
    /// it2: with `fuse` (an `UNPACK_SEQUENCE n` next, `Instr::with_next`, and the slice's
    /// budget covers it; no py27 ticks, not exploring), an iterator that `ops::iter::next_unpacked`
    /// takes has its next value unpacked here: both instructions in one step, which no switch,
    /// collection or tracer could come between anyway (as the other fused runs of `Vm::hot`).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    pub(crate) fn for_iter_step<const RACES: bool>(
        &mut self,
        ins: Instr,
        s: &mut [Value],
        frames: &mut Frames,
        prog: &Program,
        pc: usize,
        kwnames: u32,
        sp: usize,
        fuse: bool,
    ) -> ForStep {
        let it = s[sp - 1];
        if let Value::Obj(id) = it {
            if fuse && !RACES {
                if let Some(step) = self.for_iter_unpack(s, frames, prog, pc, sp, id) {
                    return step;
                }
            }
            // A list's or tuple's iterator (most `for x in xs`), stepped in place: first, and
            // without a call (`fastops::iter_next` out of line cost ≈25 x86 instructions
            // per item of a comprehension over a list). The same step as `ops::iter`'s
            // `iter_next_depth` and `inner_next`, written out: one shared inlined helper for
            // the three measured +0.4% Ir on l/gen (this function also resumes generators).
            if let Some(Obj::SeqIter { seq, index }) = *self.rt.heap.slot_mut(id) {
                let item = match self.rt.heap.get(seq) {
                    Obj::List(v) | Obj::Tuple(v) => v.get(index).copied(),
                    _ => None,
                };
                if let Some(Obj::SeqIter { index, .. }) = self.rt.heap.slot_mut(id) {
                    // Once exhausted, stay exhausted even if the list grows later (as CPython
                    // and `ops::iter_next`).
                    *index = if item.is_some() {
                        *index + 1
                    } else {
                        usize::MAX
                    };
                }
                return match item {
                    Some(v) => ForStep::Push(v),
                    None => ForStep::Done,
                };
            }
            if let Obj::Generator(_) = self.rt.heap.get(id) {
                if RACES {
                    return ForStep::Slow;
                }
                let Some(code_id) = frames.last().map(|f| f.code) else {
                    return ForStep::Slow;
                };
                let then = GenThen::ForIter { delta: ins.arg };
                return match self.gen_resume_inline(
                    s,
                    frames,
                    prog,
                    id,
                    Value::None,
                    then,
                    code_id,
                    pc,
                    kwnames,
                    sp,
                ) {
                    Some(nsp) => ForStep::Frame(nsp),
                    None => ForStep::Slow,
                };
            }
        }
        match crate::vm::ops::iter_next(&mut self.rt, it) {
            Ok(Some(v)) => ForStep::Push(v),
            Ok(None) => ForStep::Done,
            Err(e) => ForStep::Raise(e),
        }
    }

    /// `FOR_ITER` fused with the `UNPACK_SEQUENCE` at `pc`, if that is the next instruction
    /// and iterator `id` is one `ops::iter::next_unpacked` takes; `None` having changed
    /// nothing otherwise.
    #[inline(always)]
    fn for_iter_unpack(
        &mut self,
        s: &mut [Value],
        frames: &Frames,
        prog: &Program,
        pc: usize,
        sp: usize,
        id: ObjId,
    ) -> Option<ForStep> {
        let code = frames.last()?.code;
        let next = prog.codes.get(code as usize)?.instrs.get(pc)?;
        if next.op != Opcode::UNPACK_SEQUENCE {
            return None;
        }
        let n = next.arg as usize;
        let out = s.get_mut(sp..sp + n)?;
        match crate::vm::ops::iter::next_unpacked(&mut self.rt, id, out) {
            Ok(Some(true)) => Some(ForStep::Unpacked(sp + n)),
            Ok(Some(false)) => Some(ForStep::Done),
            Ok(None) => None,
            Err(e) => Some(ForStep::Raise(e)),
        }
    }

    /// Resumes generator `gen` with `sent` from the instruction at `caller_pc - 1` of code
    /// `caller_code` (`caller_kwnames` pending), its frame based at `at` on the thread's stack
    /// (the stack pointer: the slots from `at` up are free), as `gen_resume` does after
    /// `slow_op`'s `save_pc!`; what its next yield or return does is `then`'s. Returns the
    /// generator frame's stack pointer, its frame pushed, or `None` having changed nothing:
    /// the slow path (also when `stack` is shorter than the generator's frame needs).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    pub(crate) fn hot_gen_resume(
        &mut self,
        stack: &mut [Value],
        frames: &mut Frames,
        prog: &Program,
        gen: ObjId,
        sent: Value,
        then: GenThen,
        caller_code: u32,
        caller_pc: usize,
        caller_kwnames: u32,
        at: usize,
    ) -> Option<usize> {
        self.gen_resume_inline(
            stack,
            frames,
            prog,
            gen,
            sent,
            then,
            caller_code,
            caller_pc,
            caller_kwnames,
            at,
        )
    }

    /// [`Vm::hot_gen_resume`], inlined into `for_iter_step` (gx: one call and its ten
    /// arguments fewer per value a `for` loop takes from a generator).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn gen_resume_inline(
        &mut self,
        stack: &mut [Value],
        frames: &mut Frames,
        prog: &Program,
        gen: ObjId,
        sent: Value,
        then: GenThen,
        caller_code: u32,
        caller_pc: usize,
        caller_kwnames: u32,
        at: usize,
    ) -> Option<usize> {
        if frames.len() >= self.config.recursion_limit {
            return None;
        }
        let tid = self.current as usize;
        let outer = self.threads[tid].exc_info;
        let Obj::Generator(g) = self.rt.heap.get_mut(gen) else {
            return None;
        };
        match g.state {
            GenState::Suspended => {}
            GenState::Created if sent == Value::None => {}
            _ => return None,
        }
        let code = prog.codes.get(g.code as usize)?;
        let n = g.saved.len();
        // The room the generator's frame can need, which `hot` does not grow (that would
        // re-take its slice of the stack): without it, the slow path (`run_slice` grows it).
        let need = at + (code.nlocalsplus() + code.stacksize as usize).max(n) + 1;
        if stack.len() < need {
            return None;
        }
        // `gen_resume`: the saved slots above the resumer's stack, then the value sent in;
        // the buffer stays with the generator (emptied) for its next yield.
        copy_short(&mut stack[at..at + n], &g.saved);
        stack[at + n] = sent;
        g.saved.clear();
        g.state = GenState::Running;
        g.then = then;
        // `enter_generator`: the resumer's handled exception is kept to restore at the
        // yield; the generator's own (if it yielded inside a handler) becomes the thread's.
        g.outer_exc = outer;
        let own = g.exc;
        let (code_id, pc) = (g.code, g.pc);
        if own != Value::None {
            self.threads[tid].exc_info = own;
        }
        // The resumer's registers, as `slow_op`'s `save_pc!` leaves them.
        if let Some(c) = frames.last_mut() {
            c.pc = caller_pc as u32;
            c.kwnames = caller_kwnames;
        }
        if caller_code < self.prelude.start {
            self.call_site = Site {
                code: caller_code,
                pc: (caller_pc as u32).saturating_sub(1),
            };
        }
        frames.push(Frame {
            code: code_id,
            pc,
            base: at as u32,
            func: Value::Obj(gen),
            kwnames: NO_KW,
        });
        Some(at + n + 1)
    }

    /// `YIELD_VALUE` in the top frame, a generator's, based at `base` with its operand stack
    /// (the yielded value already popped) ending at `sp` and its pc `pc` past the instruction:
    /// suspends it as `gen_yield` does and pops its frame. The caller then pushes the value at
    /// `base` and goes on in the resumer's frame. `false` having changed nothing: the slow
    /// path (not a generator's frame, no resumer below it, a resumer entered in an earlier
    /// slice without the stack room it needs, or `close()` waiting for it). `Stay` when a
    /// built-in consuming the generator took the value (gen4).
    #[inline(never)]
    pub(crate) fn hot_gen_yield(
        &mut self,
        prog: &Program,
        stack: &[Value],
        frames: &mut Frames,
        base: usize,
        sp: usize,
        pc: usize,
    ) -> YieldStep {
        let Some(&Frame {
            func: Value::Obj(gen),
            ..
        }) = frames.last()
        else {
            return YieldStep::Slow;
        };
        let tid = self.current as usize;
        let cur = self.threads[tid].exc_info;
        // gx: the generator looked up once for both paths.
        let Obj::Generator(g) = self.rt.heap.get_mut(gen) else {
            return YieldStep::Slow;
        };
        // gen4: a built-in consuming this generator (`vm::consume`) takes the value and the
        // generator goes on in its frame.
        if let GenThen::Consume { kind, acc } = g.then {
            let Some(&x) = stack.get(sp) else {
                return YieldStep::Slow;
            };
            // gx: `sum` of ints, `consume_feed`'s `binary_op(ADD, acc, x)` when it does not
            // overflow, without its call and the second look-up of the generator.
            if let (Consume::Sum, Value::Int(a), Value::Int(b)) = (kind, acc, x) {
                if let Some(t) = a.checked_add(b) {
                    g.then = GenThen::Consume {
                        kind,
                        acc: Value::Int(t),
                    };
                    return YieldStep::Stay;
                }
            }
            return match self.consume_feed(kind, acc, x) {
                Fed::More(then) => {
                    if let Obj::Generator(g) = self.rt.heap.get_mut(gen) {
                        g.then = then;
                    }
                    YieldStep::Stay
                }
                _ => YieldStep::Slow,
            };
        }
        if g.then == GenThen::Close
            || g.state != GenState::Running
            || base > sp
            || !has_room(prog, frames, stack.len())
        {
            return YieldStep::Slow;
        }
        let outer = g.outer_exc;
        // gen3: outside any handler (both `None`, the common case) without `Value`'s
        // out-of-line comparison.
        g.exc = match (cur, outer) {
            (Value::None, _) => Value::None,
            _ if cur == outer => Value::None,
            _ => cur,
        };
        g.outer_exc = Value::None;
        save_short(&mut g.saved, &stack[base..sp]);
        g.pc = pc as u32;
        g.state = GenState::Suspended;
        g.then = GenThen::Value;
        self.threads[tid].exc_info = outer;
        frames.pop();
        YieldStep::Left
    }
}

/// `dst.copy_from_slice(src)` (same lengths) for a generator's saved slots: a suspended
/// generator holds a few values (its locals and the loop iterators on its operand stack), and
/// for up to four the moves are made in place instead of through a `memcpy` call (gx).
#[inline(always)]
fn copy_short(dst: &mut [Value], src: &[Value]) {
    match (dst, src) {
        ([], []) => {}
        ([d0], [s0]) => *d0 = *s0,
        ([d0, d1], [s0, s1]) => {
            *d0 = *s0;
            *d1 = *s1;
        }
        ([d0, d1, d2], [s0, s1, s2]) => {
            *d0 = *s0;
            *d1 = *s1;
            *d2 = *s2;
        }
        ([d0, d1, d2, d3], [s0, s1, s2, s3]) => {
            *d0 = *s0;
            *d1 = *s1;
            *d2 = *s2;
            *d3 = *s3;
        }
        (dst, src) => dst.copy_from_slice(src),
    }
}

/// `saved.clear(); saved.extend_from_slice(src)`: a yield's slots into the generator's
/// buffer, which keeps its capacity from one resume to the next: up to four are written
/// into the room it has, without `extend_from_slice`'s call and `memcpy`.
#[inline(always)]
fn save_short(saved: &mut Vec<Value>, src: &[Value]) {
    saved.clear();
    let n = src.len();
    if n > 4 || saved.capacity() < n {
        saved.extend_from_slice(src);
        return;
    }
    let room = saved.spare_capacity_mut();
    match (room, src) {
        (_, []) => {}
        ([d0, ..], [s0]) => {
            d0.write(*s0);
        }
        ([d0, d1, ..], [s0, s1]) => {
            d0.write(*s0);
            d1.write(*s1);
        }
        ([d0, d1, d2, ..], [s0, s1, s2]) => {
            d0.write(*s0);
            d1.write(*s1);
            d2.write(*s2);
        }
        ([d0, d1, d2, d3, ..], [s0, s1, s2, s3]) => {
            d0.write(*s0);
            d1.write(*s1);
            d2.write(*s2);
            d3.write(*s3);
        }
        _ => {
            saved.extend_from_slice(src);
            return;
        }
    }
    // SAFETY: the first `n` slots of the spare capacity were written just above.
    unsafe { saved.set_len(n) };
}

/// Whether the frame below the top one (the one a return or a yield goes back to) has the
/// room its value stack can need in a stack of `len` slots. `hot` keeps the stack `Vec` as
/// long as the frames it enters need and `run_slice` sizes it for the top two frames
/// (`caller_need`), but a frame two or more below may find it short: then the return or
/// yield takes the slow path, and `run_slice` gives the caller its room.
#[inline(always)]
pub(crate) fn has_room(prog: &Program, frames: &Frames, len: usize) -> bool {
    let need = caller_need(prog, frames);
    need != 0 && need <= len
}

/// The stack length the frame below the top one can need (0 without one). `run_slice` keeps
/// the stack `Vec` at least this long as well as what the top frame needs, so that a return
/// or a yield in `hot` finds its caller's room (a frame entered in an earlier slice, or before
/// a slow instruction, which leaves the `Vec` sized for the top frame).
#[inline(always)]
pub(crate) fn caller_need(prog: &Program, frames: &Frames) -> usize {
    let n = frames.len();
    if n < 2 {
        return 0;
    }
    let c = &frames[n - 2];
    prog.codes.get(c.code as usize).map_or(0, |code| {
        c.base as usize + code.nlocalsplus() + code.stacksize as usize + 1
    })
}
