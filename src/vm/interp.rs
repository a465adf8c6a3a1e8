//! The interpreter loop: executes the current thread's instructions until its budget runs
//! out, it blocks, it finishes, or an exception escapes it, and reports which.
//!
//! The loop never decides who runs next; it only counts the budget the scheduler gave it down.
//! Per instruction it does one decrement, one compare, one fetch and one `match`; there is no
//! allocation, hashing or random draw on the paths the seed's counter programs take
//! (LOAD_GLOBAL, LOAD_CONST, BINARY_OP on ints, STORE_GLOBAL, FOR_ITER over a range,
//! JUMP_BACKWARD), and the lost-update detector adds one array write per load and one array
//! read per store.
//!
//! While a thread runs, its stack and frames are moved out of `Vm::threads` into locals of
//! [`Vm::run_slice`], so the loop can hold `&mut self` for the heap and the globals.

use crate::bytecode::{
    CodeObject, Const, Instr, Opcode, Program, FVC_REPR, FVC_STR, FVS_HAVE_SPEC,
};
use crate::vm::dunder::{self, Then};
use crate::vm::exceptions::ExcKind;
use crate::vm::fastclass::Deref;
use crate::vm::generator::GenThen;
use crate::vm::gil;
use crate::vm::heap::{ExcObj, Obj, TbEntry};
use crate::vm::lost::{self, LocKey, ReadLog};
use crate::vm::machine::Vm;
use crate::vm::matching;
use crate::vm::ops;
use crate::vm::sync::{Site, SyncObj};
use crate::vm::thread::Tid;
use crate::vm::thread::{Frame, ThreadState};
use crate::vm::value::Value;
use crate::vm::{format, PyResult, Throw};

/// Why a slice ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SliceEnd {
    /// The budget ran out, at an instruction boundary.
    Budget,
    /// The thread blocked; its state says on what.
    Blocked,
    /// The thread's outermost frame returned.
    Finished,
    /// An exception (the heap object) escaped the thread's outermost frame.
    Died(Value),
    /// The heap wants a collection; the same thread continues afterwards.
    Gc,
    /// py27: the check interval's ticks ran out; the GIL is released and re-acquired.
    Tick,
    /// A built-in used up the run's work budget ([`Throw::Limit`]): the run stops.
    Limit,
}

/// Why `Vm::hot` returned.
enum Hot {
    /// The slice ends (budget, ticks or a collection), at an instruction boundary.
    End(SliceEnd),
    /// The instruction at pc - 1 raised.
    Raise(Throw),
    /// The instruction (fetched, counted, pc past it) needs the slow path.
    Slow(Instr),
}

/// The running frame's registers, in and out of `Vm::hot`.
struct HotRegs {
    code_id: u32,
    base: usize,
    pc: usize,
    sp: usize,
    kwnames: u32,
    /// `hot` called or returned: the top frame is another one (reload it).
    moved: bool,
}

/// What a call did.
pub enum CallDone {
    /// A Python frame was pushed; execution continues in it.
    Frame,
    /// The call completed and its result was pushed.
    Value,
    /// The calling thread blocked; its result is pushed when it wakes.
    Blocked,
}

const NO_KW: u32 = u32::MAX;

/// What a slow-path instruction did.
enum Flow {
    /// Go on with the next instruction of the same frame.
    Next,
    /// The frame changed (a call or a return): reload it.
    Frame,
    /// The slice ends.
    End(SliceEnd),
    /// The instruction raised.
    Raise(Throw),
}

/// The per-frame registers a slow-path instruction may read or change.
struct Regs {
    pc: usize,
    kwnames: u32,
    /// Set when the raise is a re-raise (no new traceback entry).
    reraise: bool,
}

impl Vm {
    /// Runs the current thread for at most `budget` instructions.
    /// Returns why it stopped and how many instructions it executed.
    pub fn run_slice(&mut self, budget: u64) -> (SliceEnd, u64) {
        // Only py27 counts ticks, and only `--races` checks accesses; monomorphising keeps
        // that bookkeeping out of the other runs' loop entirely.
        match (self.gil.counts_ticks(), self.races.is_some()) {
            (true, false) => self.run_slice_impl::<true, false, false, false>(budget),
            // A lone thread's slice may chain its next turns (`Vm::chain_turn`): a copy of
            // its own, so that the others do not test for it.
            (false, false) if self.drive.chain && self.sched.queue.len() == 1 => {
                self.run_slice_impl::<false, false, false, true>(budget)
            }
            (false, false) => self.run_slice_impl::<false, false, false, false>(budget),
            (true, true) => self.run_slice_impl::<true, true, false, false>(budget),
            (false, true) => self.run_slice_impl::<false, true, false, false>(budget),
        }
    }

    /// `gilvm explore`'s slice (`vm/explore_stops.rs`): as [`Vm::run_slice`], and it also
    /// stops before the next instruction that may be visible or a switch point of the model
    /// (setting `StepTouches::at_stop`). Only without py27's ticks and the race detector (the
    /// caller's check): a copy of the hot loop of its own, so that other runs do not test it.
    pub(crate) fn run_slice_explore(&mut self, budget: u64) -> (SliceEnd, u64) {
        debug_assert!(!self.gil.counts_ticks() && self.races.is_none());
        self.run_slice_impl::<false, false, true, false>(budget)
    }

    fn run_slice_impl<
        const TICKS: bool,
        const RACES: bool,
        const EXPLORE: bool,
        const CHAIN: bool,
    >(
        &mut self,
        mut budget: u64,
    ) -> (SliceEnd, u64) {
        let tid = self.current as usize;
        let prog = self.prog.clone();
        let consts_all = self.consts.clone();
        let mut stack = std::mem::take(&mut self.threads[tid].stack);
        let mut frames = std::mem::take(&mut self.threads[tid].frames);
        // The lost-update detector's per-thread read logs, moved out so that this thread's
        // log can be borrowed beside `&mut self` (grown on a thread's first slice).
        let mut logs = std::mem::take(&mut self.read_logs);
        if logs.len() <= tid {
            crate::vm::thread_cheap::reserve_for_threads(&mut logs, tid);
            logs.resize_with(tid + 1, ReadLog::default);
        }
        let reads = &mut logs[tid];
        let mut left = budget;
        let mut ticks = self.gil.ticks;
        self.slice_steps = 0;

        let end = 'run: {
            if let Some(start) = self.threads[tid].start.take() {
                // A new thread: call target(*args, **kwargs) as its first action. One
                // allocation, of the stack its first frame needs (`thread_cheap.rs`).
                stack.reserve_exact(self.first_stack_len(&start));
                stack.push(start.target);
                stack.extend_from_slice(&start.args);
                let kw = match start.kwargs {
                    Some(d) => match self.dict_as_kwargs(d) {
                        Ok(kw) => kw,
                        Err(t) => break 'run self.die(t),
                    },
                    None => Vec::new(),
                };
                let kwrefs: Vec<(&str, Value)> = kw.iter().map(|(k, v)| (k.as_str(), *v)).collect();
                for (_, v) in &kwrefs {
                    stack.push(*v);
                }
                match self.do_call(&mut stack, &mut frames, 0, &kwrefs) {
                    Ok(CallDone::Frame) => {}
                    Ok(CallDone::Value) => break 'run SliceEnd::Finished,
                    Ok(CallDone::Blocked) => break 'run SliceEnd::Blocked,
                    Err(t) => break 'run self.die(t),
                }
            }
            if frames.is_empty() {
                // Woken from a blocking call made by the thread's start call itself.
                break 'run SliceEnd::Finished;
            }
            if let Some(t) = self.threads[tid].wake_throw.take().map(|t| *t) {
                // The blocking call this thread was woken from raises.
                if let Err(exc) = self.unwind(&mut stack, &mut frames, t, false) {
                    break 'run SliceEnd::Died(exc);
                }
            }
            'frame: loop {
                let fr = match frames.last() {
                    Some(f) => *f,
                    None => break 'run SliceEnd::Finished,
                };
                // The running frame's registers. `hot` may call and return (issue 21: it
                // pushes and pops Python frames itself), so they are reloaded from the top
                // frame when it says it moved.
                let mut code_id = fr.code;
                let mut func = fr.func;
                let mut code = &prog.codes[code_id as usize];
                let mut consts = &consts_all[code_id as usize][..];
                let mut base = fr.base as usize;
                let mut pc = fr.pc as usize;
                let mut kwnames = fr.kwnames;
                let mut reraise = false;

                macro_rules! save_pc {
                    () => {
                        if let Some(f) = frames.last_mut() {
                            f.pc = pc as u32;
                            f.kwnames = kwnames;
                        }
                        // Built-ins see where they were called from (deadlock reports name
                        // the line that created or took a lock); calls made by the prelude
                        // keep the program's own call site.
                        if code_id < self.prelude.start {
                            self.call_site = Site {
                                code: code_id,
                                pc: (pc as u32).saturating_sub(1),
                            };
                        }
                    };
                }

                // The frame's value stack. Outside `hot` the `stack` Vec's length is the stack
                // pointer, as the rest of the VM expects; while `hot` runs, the Vec is kept at
                // least as long as this frame can need (locals + the compiler's `stacksize`)
                // and `hot` works on a slice of it with its own stack pointer in a register.
                // genexc: and the room of the frame below, which a return or a yield in `hot`
                // goes back to (`fastgen::has_room`).
                let mut need = (base + code.nlocalsplus() + code.stacksize as usize + 1)
                    .max(crate::vm::fastgen::caller_need(&prog, &frames));
                let mut sp = stack.len();
                loop {
                    if stack.len() < need {
                        stack.resize(need, Value::Undef);
                    }
                    let mut regs = HotRegs {
                        code_id,
                        base,
                        pc,
                        sp,
                        kwnames,
                        moved: false,
                    };
                    // The check-then-act detector's acts on globals are looked for only in
                    // a copy of `hot` chosen while a global check is armed (`cta.rs`); checks
                    // are armed on the slow path, so the choice holds for the whole call.
                    let exit = if self.cta.globals != 0 {
                        self.hot::<TICKS, RACES, true, EXPLORE>(
                            &prog,
                            &consts_all,
                            code,
                            consts,
                            &mut stack,
                            &mut frames,
                            reads,
                            &mut regs,
                            &mut left,
                            &mut ticks,
                        )
                    } else {
                        self.hot::<TICKS, RACES, false, EXPLORE>(
                            &prog,
                            &consts_all,
                            code,
                            consts,
                            &mut stack,
                            &mut frames,
                            reads,
                            &mut regs,
                            &mut left,
                            &mut ticks,
                        )
                    };
                    pc = regs.pc;
                    sp = regs.sp;
                    kwnames = regs.kwnames;
                    if regs.moved {
                        code_id = regs.code_id;
                        base = regs.base;
                        func = frames.last().map_or(Value::None, |f| f.func);
                        code = &prog.codes[code_id as usize];
                        consts = &consts_all[code_id as usize][..];
                        need = (base + code.nlocalsplus() + code.stacksize as usize + 1)
                            .max(crate::vm::fastgen::caller_need(&prog, &frames));
                    }
                    // An operation on an instance failed in `hot`: its special methods, on the
                    // slow path, with the operands `hot` popped put back (still in place:
                    // the Vec is not truncated yet).
                    let exit = match exit {
                        // prop: or a property's accessor sent back by `hot`'s attribute
                        // arms (`Throw::Accessor`), its frame pushed here; or such an arm's
                        // instruction again on the slow path (`Throw::Slow`).
                        Hot::Raise(t) => match self.retry_after_hot(
                            t,
                            &prog,
                            code,
                            code_id,
                            pc,
                            sp,
                            &mut stack,
                            &mut frames,
                        ) {
                            Ok((ins, popped)) => {
                                sp += popped;
                                Hot::Slow(ins)
                            }
                            Err(Some(t)) => Hot::Raise(t),
                            Err(None) => continue 'frame,
                        },
                        other => other,
                    };
                    // Values are Copy: truncating drops nothing.
                    stack.truncate(sp);
                    let err = match exit {
                        Hot::End(e) => {
                            save_pc!();
                            // xturn: an explorer's step stopped here; when its thread goes on,
                            // the next step begins here, the frame's registers kept
                            // (`vm/xturn.rs`).
                            if EXPLORE && e == SliceEnd::Budget {
                                if let Some(b) =
                                    self.xturn_stop(&stack, &frames, code_id, pc, budget - left)
                                {
                                    budget = b;
                                    left = b;
                                    continue;
                                }
                            }
                            // A lone thread's next turn, chained without leaving
                            // (`Vm::chain_turn`).
                            if CHAIN && e == SliceEnd::Budget && left == 0 {
                                if let Some(b) = self.chain_turn(tid as Tid, budget) {
                                    budget = b;
                                    left = b;
                                    continue;
                                }
                            }
                            if e == SliceEnd::Tick {
                                ticks = self.gil.check_interval;
                            }
                            break 'run e;
                        }
                        Hot::Raise(t) => t,
                        Hot::Slow(ins) => {
                            // comp: a native `sorted(key=)`'s key function returned and
                            // another item follows: its frame runs again from its start
                            // (`Vm::sort_key_again`) instead of leaving through `slow_op`.
                            if ins.op == Opcode::RETURN_VALUE {
                                if let Some(at) = self.sort_key_again(&mut stack, &frames) {
                                    stack.truncate(at);
                                    sp = at;
                                    pc = 0;
                                    kwnames = u32::MAX;
                                    continue;
                                }
                            }
                            let mut r = Regs {
                                pc,
                                kwnames,
                                reraise: false,
                            };
                            self.slice_steps = budget - left;
                            let flow = self.slow_op(
                                ins,
                                code_id,
                                base,
                                func,
                                &mut r,
                                &mut stack,
                                &mut frames,
                                reads,
                                &prog,
                                code,
                            );
                            pc = r.pc;
                            kwnames = r.kwnames;
                            sp = stack.len();
                            if let Some(cap) = self.slice_cap {
                                // A timer now falls due within this slice: stop there. (Left
                                // set for the driver's step mode, `Vm::slice`; applying it
                                // again later in the slice changes nothing, `left` only
                                // shrinks.)
                                let new_left = left.min(cap);
                                budget -= left - new_left;
                                left = new_left;
                            }
                            match flow {
                                Flow::Next => continue,
                                Flow::Frame => continue 'frame,
                                Flow::End(e) => break 'run e,
                                Flow::Raise(t) => {
                                    reraise = r.reraise;
                                    t
                                }
                            }
                        }
                    };
                    // An exception was raised by the instruction at pc - 1.
                    save_pc!();
                    if let Throw::Limit = err {
                        break 'run SliceEnd::Limit;
                    }
                    match self.unwind(&mut stack, &mut frames, err, reraise) {
                        Ok(()) => continue 'frame,
                        Err(exc) => break 'run SliceEnd::Died(exc),
                    }
                }
            }
        };
        let executed = budget - left;
        self.gil.ticks = ticks;
        self.read_logs = logs;
        if end == SliceEnd::Blocked && self.threads.len() >= crate::vm::sync::lock::PREFETCH_WAITERS
        {
            self.note_turn_hint(tid, &stack, &frames);
        }
        let t = &mut self.threads[tid];
        t.stack = stack;
        t.frames = frames;
        (end, executed)
    }

    /// `tid` blocked: notes where its turn after the wake-up will read first, its running
    /// frame's stack slots and the first object on them (in a loop, the loop's iterator).
    fn note_turn_hint(&mut self, tid: usize, stack: &[Value], frames: &crate::vm::thread::Frames) {
        let Some(f) = frames.last() else { return };
        let base = (f.base as usize).min(stack.len());
        let slots = &stack[base..];
        let obj = self.first_obj_addr(slots);
        if self.turn_hints.len() <= tid {
            crate::vm::thread_cheap::reserve_for_threads(&mut self.turn_hints, tid);
            self.turn_hints.resize(tid + 1, Default::default());
        }
        self.turn_hints[tid] = crate::vm::machine::TurnHint {
            stack: slots.as_ptr() as usize,
            obj,
        };
    }

    /// Starts loading what `tid`'s next turn reads first, all at once: its `Thread`, its read
    /// log, and the stack slots and iterator its turn hint names.
    pub fn prefetch_turn(&self, tid: Tid) {
        use crate::vm::prefetch::line;
        let t = (&self.threads[tid as usize]) as *const _ as *const u8;
        line(t);
        line(t.wrapping_add(64));
        line(t.wrapping_add(128));
        if let Some(l) = self.read_logs.get(tid as usize) {
            let l = l as *const _ as *const u8;
            // 192 bytes: three lines, four when the log does not start on a line boundary.
            for off in [0, 64, 128, 191] {
                line(l.wrapping_add(off));
            }
        }
        if let Some(h) = self.turn_hints.get(tid as usize) {
            let st = h.stack as *const u8;
            line(st);
            line(st.wrapping_add(64));
            line(st.wrapping_add(128));
            if h.obj != 0 {
                // A heap slot is 72 bytes (`heap.rs` checks it): its first 32 (the tag and a range iterator's
                // fields) may straddle two lines.
                line(h.obj as *const u8);
                line((h.obj + 31) as *const u8);
            }
        }
    }

    /// The interpreter's hot loop: runs the instructions of the seed's loops (and the other
    /// cheap ones) of one frame until the budget runs out, an instruction raises, or an
    /// instruction needs the slow path, which it hands back to `run_slice_impl` fetched and
    /// counted. It is a function of its own, with the frame's registers (`pc`, the stack
    /// pointer, the budget) as locals and the value stack as a slice, so that LLVM keeps them
    /// in machine registers: inside the one large function they were spilled to memory on
    /// every instruction. Measured with callgrind on the seed's counter loop: see
    /// docs/performance.md.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn hot<'p, const TICKS: bool, const RACES: bool, const CHECKS: bool, const EXPLORE: bool>(
        &mut self,
        prog: &'p Program,
        consts_all: &'p [Vec<Value>],
        mut code: &'p CodeObject,
        mut consts: &'p [Value],
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
        reads: &mut ReadLog,
        regs: &mut HotRegs,
        left_io: &mut u64,
        ticks_io: &mut u64,
    ) -> Hot {
        let tid = self.current;
        let mut code_id = regs.code_id;
        let mut instrs = &code.instrs[..];
        let mut base = regs.base;
        let mut pc = regs.pc;
        let mut sp = regs.sp;
        let mut kwnames = regs.kwnames;
        let mut moved = false;
        let mut left = *left_io;
        let mut ticks = *ticks_io;
        // `gilvm explore`'s copy stops before what may be visible (`vm/explore_stops.rs`).
        let stops = if EXPLORE {
            crate::vm::explore_stops::table(self.gil.model)
        } else {
            &[0u8; 256]
        };
        // The step's first instruction runs whatever it is (`StepTouches::first_free`).
        let mut free = EXPLORE
            && self
                .step_touches
                .as_deref_mut()
                .is_some_and(|r| std::mem::take(&mut r.first_free));
        // The value stack as a slice (its length at least what the frame needs: `run_slice`
        // and `enter_py` see to it), re-taken after a call may have grown the `Vec`.
        let mut s: &mut [Value] = &mut stack[..];
        macro_rules! leave {
            ($e:expr) => {{
                regs.pc = pc;
                regs.sp = sp;
                regs.kwnames = kwnames;
                if moved {
                    regs.code_id = code_id;
                    regs.base = base;
                    regs.moved = true;
                }
                *left_io = left;
                *ticks_io = ticks;
                return $e;
            }};
        }
        // The top frame changed (a call or a return): load its registers.
        macro_rules! enter_frame {
            () => {{
                let Some(f) = frames.last() else {
                    leave!(Hot::End(SliceEnd::Finished));
                };
                code_id = f.code;
                code = &prog.codes[code_id as usize];
                consts = &consts_all[code_id as usize][..];
                instrs = &code.instrs[..];
                base = f.base as usize;
                pc = f.pc as usize;
                kwnames = f.kwnames;
                moved = true;
            }};
        }
        macro_rules! push {
            ($v:expr) => {{
                let v = $v;
                if sp >= s.len() {
                    // Only if the compiler's stacksize were wrong: an internal error, not
                    // a crash.
                    leave!(Hot::Raise(stack_overflow()));
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
        // A range `FOR_ITER` produced `$c`: with the following `STORE_FAST` fused
        // (`$fused`, and the budget covers it) store it straight into the local, else push
        // it. The loop-step fusion saves a dispatch and a push/pop per iteration.
        // SAFETY: a fused FOR_ITER is followed by a STORE_FAST (`mark_fused_runs`), which is
        // at index `pc` here.
        macro_rules! loop_var {
            ($fused:expr, $c:expr) => {{
                if !TICKS && !EXPLORE && $fused && left >= 1 {
                    let dst = unsafe { instrs.get_unchecked(pc) }.arg;
                    s[base + dst as usize] = Value::Int($c);
                    left -= 1;
                    pc += 1;
                } else {
                    push!(Value::Int($c));
                }
            }};
        }
        macro_rules! top {
            () => {
                s[sp - 1]
            };
        }
        'instr: loop {
            // py27's ticks first: a turn whose last instruction used up the check interval
            // ends as a release of the GIL (which resets the ticker) even when its budget ran
            // out on the same instruction — as a replayed turn of exactly that length does.
            if TICKS && ticks == 0 {
                leave!(Hot::End(SliceEnd::Tick));
            }
            if left == 0 {
                leave!(Hot::End(SliceEnd::Budget));
            }
            if EXPLORE {
                // SAFETY: as the fetch below.
                let op = unsafe { instrs.get_unchecked(pc) }.op;
                if !std::mem::take(&mut free)
                    && crate::vm::explore_stops::stops(stops[op as usize], s, sp)
                {
                    if let Some(rec) = self.step_touches.as_deref_mut() {
                        rec.at_stop = true;
                    }
                    leave!(Hot::End(SliceEnd::Budget));
                }
            }
            left -= 1;
            // SAFETY: `pc < instrs.len()`: `Vm::new` refuses a program that fails
            // `Program::check_control_flow`, which makes every way `pc` changes land inside
            // the code. Skipping the bounds check saves ≈2.9 of ≈49 x86 instructions per VM
            // instruction on the seed's counter loop (callgrind), 6% of its run time.
            debug_assert!(pc < instrs.len());
            // A reference, not a copy: each arm loads the fields it uses, so the dispatch
            // loads only the opcode (a copy loaded all four fields there, into four registers).
            let ins = unsafe { instrs.get_unchecked(pc) };
            if TICKS && !gil::py27_fast(ins.op) {
                ticks -= 1;
            }
            pc += 1;
            // A Python frame entered by `CALL` or an operator's special method: the new
            // frame's registers (one copy of them for both).
            'entered: {
                let err: Throw = 'op: {
                    macro_rules! tri {
                        ($e:expr) => {
                            match $e {
                                Ok(v) => v,
                                Err(e) => break 'op to_throw(e),
                            }
                        };
                    }
                    match ins.op {
                        Opcode::NOP | Opcode::RESUME => continue 'instr,
                        Opcode::LOAD_FAST => {
                            // The local is tested in place and copied slot to slot in one piece:
                            // read into a local and tested, a `Value` was copied field by field
                            // through a stack temporary (≈13 x86 instructions more per LOAD_FAST).
                            let i = base + ins.arg as usize;
                            if let Value::Undef = s[i] {
                                break 'op unbound_local(code.localsplus_name(ins.arg as usize));
                            }
                            if sp >= s.len() {
                                leave!(Hot::Raise(stack_overflow()));
                            }
                            copy_slot(s, i, sp);
                            sp += 1;
                            continue 'instr;
                        }
                        Opcode::STORE_FAST => {
                            let v = pop!();
                            s[base + ins.arg as usize] = v;
                            continue 'instr;
                        }
                        Opcode::LOAD_CONST => {
                            push!(consts[ins.arg as usize]);
                            continue 'instr;
                        }
                        Opcode::LOAD_GLOBAL | Opcode::LOAD_NAME => {
                            let slot = ins.arg as usize;
                            // `counter += 1` in one step: a marked `LOAD_GLOBAL; LOAD_CONST;
                            // BINARY_OP; STORE_GLOBAL` run (`Program::mark_fused_runs`) runs at once
                            // when the budget covers all four instructions — so no switch, no
                            // collection and no tracer could come between them anyway — and the
                            // operands are ints that do not overflow; otherwise one at a time, as
                            // always. Same values, the same detector bookkeeping at the same pcs,
                            // the same instruction count (tests/trace_cli.rs compares traced runs,
                            // which step one instruction at a time, with untraced ones). Not under
                            // py27, whose ticks count opcodes one by one. It saves three dispatches
                            // and three push/pop pairs: 45.5 -> 36.8 x86 instructions per VM
                            // instruction on the seed's counter loop (callgrind).
                            if !TICKS && !EXPLORE && ins.fused && left >= 3 {
                                // SAFETY: a marked run has three more instructions after this
                                // one (`mark_fused_runs` checks `i + 3 < len`), and `pc` is this
                                // one's index + 1.
                                let (k, op, dst) = unsafe {
                                    (
                                        instrs.get_unchecked(pc).arg as usize,
                                        instrs.get_unchecked(pc + 1).arg,
                                        instrs.get_unchecked(pc + 2).arg as usize,
                                    )
                                };
                                let c = consts[k];
                                if let (Value::Int(x), Value::Int(y)) =
                                    (self.globals[slot].value, c)
                                {
                                    // `op` is +, +=, - or -= (`mark_fused_runs`); `int_add_sub`'s
                                    // fourth case cost 1 x86 instruction per VM instruction here.
                                    let r = if op == 0 || op == 13 {
                                        x.checked_add(y)
                                    } else {
                                        x.checked_sub(y)
                                    };
                                    if let Some(r) = r {
                                        let at = (pc + 2) as u32;
                                        // `x = x + c` (the same global read and stored, no detector
                                        // but the lost-update one): the read recorded here would be
                                        // taken back by the store at once and be current (nothing
                                        // runs in between), so the store erases nothing and the log
                                        // ends as it would have: this location's slot empty.
                                        if !RACES && !CHECKS && slot == dst {
                                            reads.forget(LocKey::Global(slot as u32));
                                            let g = &mut self.globals[slot];
                                            g.value = Value::Int(r);
                                            lost::store_applied(&mut g.meta, tid, code_id, at);
                                            left -= 3;
                                            pc += 3;
                                            continue 'instr;
                                        }
                                        reads.record(
                                            LocKey::Global(slot as u32),
                                            &self.globals[slot].meta,
                                            code_id,
                                            (pc - 1) as u32,
                                        );
                                        if RACES {
                                            let key = LocKey::Global(slot as u32);
                                            self.race_access(key, false, code_id, (pc - 1) as u32);
                                        }
                                        if CHECKS && self.cta.globals != 0 {
                                            self.cta_global_store(
                                                dst as u32,
                                                code_id,
                                                base,
                                                at as usize,
                                            );
                                        }
                                        self.store_global(
                                            reads,
                                            tid,
                                            dst,
                                            Value::Int(r),
                                            code_id,
                                            at,
                                        );
                                        if RACES {
                                            let key = LocKey::Global(dst as u32);
                                            self.race_access(key, true, code_id, at);
                                        }
                                        left -= 3;
                                        pc += 3;
                                        continue 'instr;
                                    }
                                }
                            }
                            let g = &self.globals[slot];
                            let v = g.value;
                            if let Value::Undef = v {
                                let b = self.builtins[slot];
                                if let Value::Undef = b {
                                    break 'op name_error(&self.prog.names[slot]);
                                }
                                push!(b);
                            } else {
                                reads.record(
                                    LocKey::Global(slot as u32),
                                    &g.meta,
                                    code_id,
                                    (pc - 1) as u32,
                                );
                                push!(v);
                                if RACES {
                                    let key = LocKey::Global(slot as u32);
                                    self.race_access(key, false, code_id, (pc - 1) as u32);
                                }
                            }
                            continue 'instr;
                        }
                        Opcode::STORE_GLOBAL | Opcode::STORE_NAME => {
                            let v = pop!();
                            if CHECKS && self.cta.globals != 0 {
                                self.cta_global_store(ins.arg, code_id, base, pc - 1);
                            }
                            self.store_global(
                                reads,
                                tid,
                                ins.arg as usize,
                                v,
                                code_id,
                                (pc - 1) as u32,
                            );
                            if RACES {
                                let key = LocKey::Global(ins.arg);
                                self.race_access(key, true, code_id, (pc - 1) as u32);
                            }
                            continue 'instr;
                        }
                        Opcode::POP_TOP => {
                            sp -= 1;
                            continue 'instr;
                        }
                        Opcode::COPY => {
                            let n = ins.arg as usize;
                            let v = s[sp - n];
                            push!(v);
                            continue 'instr;
                        }
                        Opcode::SWAP => {
                            let n = ins.arg as usize;
                            s.swap(sp - 1, sp - n);
                            continue 'instr;
                        }
                        // comp: comprehensions, containers and formatting (issue 21): their
                        // common cases in one out-of-line step (`vm::fastops`), as `slow_op` does
                        // them; anything unusual answers `Slow`. One call site keeps the loop's
                        // registers as they were (an arm per opcode made the counter loop dearer).
                        Opcode::LIST_APPEND
                        | Opcode::BUILD_LIST
                        | Opcode::BUILD_TUPLE
                        | Opcode::BUILD_SLICE
                        | Opcode::BUILD_STRING
                        | Opcode::UNARY_NEGATIVE
                        | Opcode::UNARY_NOT
                        | Opcode::GET_ITER
                        | Opcode::IS_OP
                        | Opcode::CONTAINS_OP
                        | Opcode::UNPACK_SEQUENCE
                        | Opcode::MAKE_FUNCTION
                        | Opcode::FORMAT_VALUE => match self.comp_op(*ins, s, sp) {
                            crate::vm::fastops::Step::Sp(new_sp) => {
                                sp = new_sp;
                                continue 'instr;
                            }
                            crate::vm::fastops::Step::Slow => leave!(Hot::Slow(*ins)),
                            crate::vm::fastops::Step::Raise(t, new_sp) => {
                                sp = new_sp;
                                break 'op t;
                            }
                        },
                        Opcode::BINARY_OP => {
                            let b = pop!();
                            let a = pop!();
                            // Fast path: int + int and int - int, the counter's operations.
                            if let (Value::Int(x), Value::Int(y)) = (a, b) {
                                if let Some(r) = int_add_sub(ins.arg, x, y) {
                                    push!(Value::Int(r));
                                    continue 'instr;
                                }
                            }
                            // An instance on the left (`v + w` through `__add__`): straight to
                            // the slow path, which calls its special method. `binary_op` would
                            // only build the TypeError that sent it there (≈600 x86
                            // instructions of a dunder `+`, callgrind).
                            if dunder::is_instance(&self.rt, a) {
                                // Its special method's frame entered below the arms
                                // (`vm::fastdunder`), else the slow path.
                                if !RACES {
                                    break 'op Throw::Operator;
                                }
                                sp += 2;
                                leave!(Hot::Slow(*ins));
                            }
                            let r = tri!(ops::binary_op(&mut self.rt, ins.arg, a, b));
                            push!(r);
                            continue 'instr;
                        }
                        Opcode::COMPARE_OP => {
                            // A check of a shared value (`counter < N` before a jump): the slow
                            // path records it for the check-then-act detector (`cta.rs`), once a
                            // second thread exists (a module-level loop alone stays here).
                            if ins.check && self.threads.len() > 1 {
                                leave!(Hot::Slow(*ins));
                            }
                            let b = pop!();
                            let a = pop!();
                            if let (Value::Int(x), Value::Int(y)) = (a, b) {
                                let r = match ins.arg {
                                    0 => x < y,
                                    1 => x <= y,
                                    2 => x == y,
                                    3 => x != y,
                                    4 => x > y,
                                    _ => x >= y,
                                };
                                push!(Value::Bool(r));
                                continue 'instr;
                            }
                            // As `BINARY_OP`'s: `v == w` on an instance, to `compare_dunder`.
                            if self.rt.user_dunders && dunder::is_instance(&self.rt, a) {
                                // Its special method's frame entered below the arms
                                // (`vm::fastdunder`), else the slow path.
                                if !RACES {
                                    break 'op Throw::Operator;
                                }
                                sp += 2;
                                leave!(Hot::Slow(*ins));
                            }
                            let r = tri!(ops::compare(&mut self.rt, ins.arg, a, b));
                            push!(r);
                            continue 'instr;
                        }
                        Opcode::FOR_ITER => {
                            let it = top!();
                            if let Value::Obj(id) = it {
                                if let Some(Obj::RangeIter { cur, stop, step }) =
                                    self.rt.heap.slot_mut(id)
                                {
                                    // The step of `ops::iter_next` for a range, written out: calling a
                                    // shared function returning `Option` cost 0.6 x86 instructions per VM
                                    // instruction more here (callgrind).
                                    let c = *cur;
                                    if (*step > 0 && c < *stop) || (*step < 0 && c > *stop) {
                                        *cur = c.checked_add(*step).unwrap_or(*stop);
                                        loop_var!(ins.fused, c);
                                    } else {
                                        sp -= 1;
                                        pc += ins.arg as usize;
                                    }
                                    continue 'instr;
                                }
                            }
                            // Any other iterator (a list's, a suspended generator's, …): one
                            // out-of-line step (`fastgen::ForStep`), so that the range loop above
                            // keeps its registers (two call sites here cost the counter loop 0.9
                            // x86 instructions per VM instruction, callgrind).
                            let fuse = !TICKS && !EXPLORE && ins.with_next && left >= 1;
                            match self.for_iter_step::<RACES>(
                                *ins, s, frames, prog, pc, kwnames, sp, fuse,
                            ) {
                                crate::vm::fastgen::ForStep::Push(v) => push!(v),
                                crate::vm::fastgen::ForStep::Unpacked(nsp) => {
                                    // The UNPACK_SEQUENCE after it, done: counted here.
                                    sp = nsp;
                                    pc += 1;
                                    left -= 1;
                                }
                                crate::vm::fastgen::ForStep::Done => {
                                    sp -= 1;
                                    pc += ins.arg as usize;
                                }
                                crate::vm::fastgen::ForStep::Frame(nsp) => {
                                    enter_frame!();
                                    sp = nsp;
                                }
                                crate::vm::fastgen::ForStep::Slow => leave!(Hot::Slow(*ins)),
                                crate::vm::fastgen::ForStep::Raise(t) => break 'op t,
                            }
                            continue 'instr;
                        }
                        Opcode::BEFORE_WITH => {
                            // `with lock:` on a free plain Lock (the seed's locked counter) takes
                            // it here, as `Vm::enter` would; a held lock or any other context
                            // manager takes the slow path. With the exit call below, it keeps
                            // `with lock: counter += 1` inside the hot loop: leaving and re-entering
                            // it for these two cost ≈550 x86 instructions per `with` (callgrind,
                            // guard_locked_5k: 31.0 M -> 19.9 M).
                            if let Value::Obj(id) = s[sp - 1] {
                                if sp < s.len() {
                                    let site = if code_id < self.prelude.start {
                                        Site {
                                            code: code_id,
                                            pc: pc as u32 - 1,
                                        }
                                    } else {
                                        self.call_site
                                    };
                                    if let Some(Obj::Sync(SyncObj::Lock(l))) =
                                        self.rt.heap.slot_mut(id)
                                    {
                                        // A woken waiter that has not run yet goes back to
                                        // waiting when the lock is taken: `Vm::lock_take`.
                                        if l.owner.is_none() && l.woken.is_none() {
                                            l.owner = Some(tid);
                                            l.count = 1;
                                            l.cold.acquired_at = site;
                                            s[sp - 1] = Value::BoundExit(id);
                                            s[sp] = Value::Bool(true);
                                            sp += 1;
                                            if RACES {
                                                self.race_lock_taken(tid, id);
                                            }
                                            continue 'instr;
                                        }
                                    }
                                }
                            }
                            leave!(Hot::Slow(*ins));
                        }
                        Opcode::CALL => {
                            // The exit call of `with lock:` (`LOAD_CONST None` ×3; `CALL 2` on the
                            // `BoundExit` below them, see `slow_op`) on a held plain Lock that no
                            // thread waits for: released here, as `Vm::exit` would. Waiters (a
                            // seeded wake-up) and every other call take the slow path. The
                            // preceding `LOAD_CONST` rules out a pending `KW_NAMES`.
                            if ins.arg == 2 && sp >= base + 4 && pc >= 2 {
                                // SAFETY: `pc - 2` is this instruction's predecessor.
                                let prev = unsafe { instrs.get_unchecked(pc - 2) }.op;
                                if let (
                                    Value::BoundExit(id),
                                    Value::None,
                                    Value::None,
                                    Value::None,
                                ) = (s[sp - 4], s[sp - 3], s[sp - 2], s[sp - 1])
                                {
                                    if prev == Opcode::LOAD_CONST {
                                        if let Some(Obj::Sync(SyncObj::Lock(l))) =
                                            self.rt.heap.slot_mut(id)
                                        {
                                            // Waiters under py27/py39 arm a timer: the slow path.
                                            if l.owner.is_some()
                                                && (l.waiters.is_empty()
                                                    || self
                                                        .config
                                                        .model
                                                        .lock_wake_latency_ns()
                                                        .is_none())
                                            {
                                                let owner = l.owner;
                                                l.owner = None;
                                                l.count = 0;
                                                // Waiters: one is woken at the turn's end, as
                                                // `Vm::lock_released` does (inline: a call on
                                                // every release cost 6% of guard_locked_5k; this
                                                // one is made once a turn).
                                                if !l.waiters.is_empty() && !l.wake_pending {
                                                    self.wake_at_turn_end(id);
                                                }
                                                if RACES {
                                                    self.race_lock_released(owner, id);
                                                }
                                                sp -= 3;
                                                s[sp - 1] = Value::None;
                                                continue 'instr;
                                            }
                                        }
                                    }
                                }
                            }
                            // A Python function (issue 21): its frame is pushed here and the loop
                            // goes on in it, as `slow_op` and `do_call` would have left things.
                            // Not under `--races`, and not for a call the check-then-act
                            // detector watches (a check, or an act while one is armed).
                            // (The marker test here keeps built-in method calls, `q.get()`, from
                            // paying for the call to `enter_py`.)
                            let at = sp - ins.arg as usize - 1;
                            let py = match if at > base { s[at - 1] } else { Value::Undef } {
                                Value::PyMethod(_) => true,
                                // A built-in method of a list, dict, str, tuple or set
                                // (`items.append(x)`, `d.get(k)`, `", ".join(parts)`): called here
                                // when nothing else needs to see the call (`Vm::hot_method_ok`).
                                Value::Method(m) => {
                                    if kwnames == NO_KW
                                    && !RACES
                                    // A checked call (`if len(w) > 3:`) records a check
                                    // only once a second thread exists
                                    // (`Vm::cta_call_check`): until then it is any call.
                                    && (!ins.check || self.threads.len() < 2)
                                    && !self.items.wholes
                                    && !self.cta.armed(tid)
                                    && self.hot_method_ok(m, &s[at + 1..sp])
                                    {
                                        if code_id < self.prelude.start {
                                            self.call_site = Site {
                                                code: code_id,
                                                pc: pc as u32 - 1,
                                            };
                                        }
                                        // The lost-update detector: `d.get(k)` reads `d[k]`
                                        // (`call_reads.rs`), as on the slow path.
                                        if self.threads.len() > 1 {
                                            self.note_call_read(
                                                reads,
                                                &s[..sp],
                                                at - 1,
                                                code_id,
                                                pc as u32 - 1,
                                            );
                                        }
                                        let r = self.hot_call_method(m, s[at], &s[at + 1..sp]);
                                        let v = tri!(r);
                                        sp = at;
                                        s[sp - 1] = v;
                                        continue 'instr;
                                    }
                                    false
                                }
                                Value::BoundExit(_) => false,
                                _ => match s[at] {
                                    Value::Obj(_) => true,
                                    // A built-in function (`len(x)`, `str(i)`, `min(a, b)`):
                                    // called here on the terms of `vm::hotnative`.
                                    Value::Native(nid) if kwnames == NO_KW && !RACES => {
                                        let site = Site {
                                            code: code_id,
                                            pc: pc as u32 - 1,
                                        };
                                        match self.hot_call_native(
                                            nid,
                                            ins.check,
                                            site,
                                            &s[at + 1..sp],
                                        ) {
                                            Some(r) => {
                                                let v = tri!(r);
                                                sp = at + 1;
                                                s[at] = v;
                                                continue 'instr;
                                            }
                                            None => false,
                                        }
                                    }
                                    _ => false,
                                },
                            };
                            if py
                                && !RACES
                                && (!ins.check || self.threads.len() < 2)
                                && !self.items.wholes
                                && !self.cta.armed(tid)
                            {
                                let kwn: &[Const] = match kwnames {
                                    NO_KW => &[],
                                    k => match &code.consts[k as usize] {
                                        Const::Tuple(t) => t,
                                        _ => &[],
                                    },
                                };
                                if self.enter_py(
                                    stack,
                                    frames,
                                    prog,
                                    code_id,
                                    base,
                                    pc,
                                    sp,
                                    ins.arg as usize,
                                    kwn,
                                ) {
                                    break 'entered;
                                }
                            }
                            leave!(Hot::Slow(*ins));
                        }
                        Opcode::KW_NAMES => {
                            kwnames = ins.arg;
                            continue 'instr;
                        }
                        // Attribute access while no property, `__getattr__` or `__setattr__`
                        // exists (`Rt::attr_hooks`), and subscripts while no class defines
                        // `__getitem__`, `__setitem__`, `__hash__`, `__eq__` or `__ne__`
                        // (`Rt::item_dunders`; `vm::fastcall`): as `slow_op` does them then.
                        Opcode::LOAD_ATTR if !RACES && !self.rt.attr_hooks => {
                            let obj = pop!();
                            let v = tri!(self.hot_load_attr(
                                reads,
                                obj,
                                ins.arg,
                                code_id,
                                pc as u32 - 1
                            ));
                            push!(v);
                            continue 'instr;
                        }
                        Opcode::LOAD_METHOD if !RACES && !self.rt.attr_hooks => {
                            let obj = pop!();
                            let (a, b) = tri!(self.hot_load_method(obj, ins.arg));
                            push!(a);
                            if let Some(b) = b {
                                push!(b);
                            }
                            continue 'instr;
                        }
                        Opcode::STORE_ATTR if !RACES && !self.rt.attr_hooks => {
                            let obj = pop!();
                            let v = pop!();
                            tri!(self.hot_store_attr(
                                reads,
                                obj,
                                ins.arg,
                                v,
                                code_id,
                                base,
                                pc - 1
                            ));
                            continue 'instr;
                        }
                        Opcode::BINARY_SUBSCR
                            if !RACES && !matches!(s[sp - 2], Value::Native(_)) =>
                        {
                            let index = pop!();
                            let container = pop!();
                            let r = tri!(self.hot_subscr(
                                reads,
                                container,
                                index,
                                code_id,
                                pc as u32 - 1
                            ));
                            push!(r);
                            continue 'instr;
                        }
                        // subscr: `lst[i] = v` / `d[k] = v` on an exact list or dict, as `slow_op`
                        // does it (detectors included; `vm::subscr`), in one out-of-line step;
                        // anything else, and `--races` runs, take the slow path.
                        Opcode::STORE_SUBSCR if !RACES && !self.rt.item_dunders => {
                            let (index, container, value) = (s[sp - 1], s[sp - 2], s[sp - 3]);
                            let at = pc - 1;
                            match self
                                .hot_store_subscr(reads, container, index, value, code_id, base, at)
                            {
                                Ok(true) => {
                                    sp -= 3;
                                    continue 'instr;
                                }
                                Ok(false) => leave!(Hot::Slow(*ins)),
                                Err(e) => {
                                    sp -= 3;
                                    break 'op to_throw(e);
                                }
                            }
                        }
                        Opcode::LOAD_ATTR
                        | Opcode::LOAD_METHOD
                        | Opcode::STORE_ATTR
                        | Opcode::BINARY_SUBSCR => leave!(Hot::Slow(*ins)),
                        Opcode::RETURN_VALUE => {
                            // Back to a Python caller (issue 21), as `return_value` does for a
                            // plain function's frame; class bodies, `__init__`, special methods,
                            // generators and a thread's outermost frame take the slow path.
                            if frames.len() >= 2 {
                                if let Some(&Frame {
                                    func: Value::Obj(f),
                                    base: done,
                                    ..
                                }) = frames.last()
                                {
                                    // genexc: a caller entered in an earlier slice may have
                                    // a stack `Vec` sized for this frame only: the slow path
                                    // (`run_slice` gives the caller its room).
                                    if let Obj::Function(_) = self.rt.heap.get(f) {
                                        if !crate::vm::fastgen::has_room(prog, frames, s.len()) {
                                            leave!(Hot::Slow(*ins));
                                        }
                                        let v = pop!();
                                        frames.pop();
                                        self.cta.returned(tid, done);
                                        enter_frame!();
                                        sp = done as usize;
                                        s[sp] = v;
                                        sp += 1;
                                        continue 'instr;
                                    }
                                    // classes: `__init__` run by `C(…)` returns the instance;
                                    // an operator's special method its result (`vm::fastdunder`).
                                    // Its caller's room as for a plain function above.
                                    if let Some(inst) = self.marker_return(f, top!()) {
                                        if !crate::vm::fastgen::has_room(prog, frames, s.len()) {
                                            leave!(Hot::Slow(*ins));
                                        }
                                        frames.pop();
                                        self.cta.returned(tid, done);
                                        enter_frame!();
                                        sp = done as usize;
                                        s[sp] = inst;
                                        sp += 1;
                                        continue 'instr;
                                    }
                                }
                            }
                            leave!(Hot::Slow(*ins));
                        }
                        // genexc: a generator's yield back to its resumer, and `yield from`
                        // resuming a generator (`vm::fastgen`), as `gen_yield` and `gen_resume`
                        // would on the slow path.
                        Opcode::YIELD_VALUE if !RACES => {
                            let v = top!();
                            match self.hot_gen_yield(prog, s, frames, base, sp - 1, pc) {
                                crate::vm::fastgen::YieldStep::Left => {
                                    let at = base;
                                    enter_frame!();
                                    sp = at;
                                    push!(v);
                                    continue 'instr;
                                }
                                // gen4: consumed natively (`vm::consume`): `None` is sent.
                                crate::vm::fastgen::YieldStep::Stay => {
                                    s[sp - 1] = Value::None;
                                    continue 'instr;
                                }
                                crate::vm::fastgen::YieldStep::Slow => leave!(Hot::Slow(*ins)),
                            }
                        }
                        Opcode::SEND if !RACES => {
                            if let Value::Obj(g) = s[sp - 2] {
                                if let Obj::Generator(_) = self.rt.heap.get(g) {
                                    let v = s[sp - 1];
                                    let then = GenThen::Send { delta: ins.arg };
                                    if let Some(nsp) = self.hot_gen_resume(
                                        s,
                                        frames,
                                        prog,
                                        g,
                                        v,
                                        then,
                                        code_id,
                                        pc,
                                        kwnames,
                                        sp - 1,
                                    ) {
                                        enter_frame!();
                                        sp = nsp;
                                        continue 'instr;
                                    }
                                }
                            }
                            leave!(Hot::Slow(*ins));
                        }
                        // genexc: entering, matching and leaving an `except` clause, and `raise`
                        // of an exception instance (handed to `run_slice`'s unwinding as any
                        // exception `hot` raises), as `slow_op` does them.
                        Opcode::PUSH_EXC_INFO if !RACES => {
                            let exc = pop!();
                            let prev =
                                std::mem::replace(&mut self.threads[tid as usize].exc_info, exc);
                            push!(prev);
                            push!(exc);
                            continue 'instr;
                        }
                        Opcode::POP_EXCEPT if !RACES => {
                            let prev = pop!();
                            self.threads[tid as usize].exc_info = prev;
                            continue 'instr;
                        }
                        Opcode::CHECK_EXC_MATCH if !RACES => {
                            let typ = pop!();
                            let exc = top!();
                            let m = tri!(self.exception_matches(exc, typ));
                            push!(Value::Bool(m));
                            continue 'instr;
                        }
                        Opcode::RAISE_VARARGS if !RACES && ins.arg == 1 => {
                            if let Value::Obj(id) = top!() {
                                if let Obj::Exception(_) = self.rt.heap.get(id) {
                                    sp -= 1;
                                    break 'op Throw::Obj(id);
                                }
                            }
                            leave!(Hot::Slow(*ins));
                        }
                        Opcode::JUMP_FORWARD => {
                            pc += ins.arg as usize;
                            continue 'instr;
                        }
                        Opcode::JUMP_BACKWARD_NO_INTERRUPT => {
                            pc -= ins.arg as usize;
                            continue 'instr;
                        }
                        Opcode::JUMP_BACKWARD => {
                            pc -= ins.arg as usize;
                            if self.rt.heap.wants_gc() {
                                leave!(Hot::End(SliceEnd::Gc));
                            }
                            if !TICKS && !EXPLORE && ins.fused && left >= 1 {
                                // A loop's back edge straight into its `FOR_ITER` over a range, on
                                // the terms of the runs above (the budget covers the FOR_ITER):
                                // one indirect dispatch fewer per iteration. An exhausted range or
                                // another iterator takes the ordinary path.
                                // SAFETY: a marked JUMP_BACKWARD lands on a FOR_ITER
                                // (`mark_fused_runs`), now at index `pc`.
                                let fi = unsafe { *instrs.get_unchecked(pc) };
                                if let Value::Obj(id) = top!() {
                                    if let Some(Obj::RangeIter { cur, stop, step }) =
                                        self.rt.heap.slot_mut(id)
                                    {
                                        // As in `FOR_ITER` above.
                                        let c = *cur;
                                        if (*step > 0 && c < *stop) || (*step < 0 && c > *stop) {
                                            *cur = c.checked_add(*step).unwrap_or(*stop);
                                            left -= 1;
                                            pc += 1;
                                            loop_var!(fi.fused, c);
                                            continue 'instr;
                                        }
                                    }
                                }
                            }
                            continue 'instr;
                        }
                        Opcode::POP_JUMP_FORWARD_IF_FALSE
                        | Opcode::POP_JUMP_FORWARD_IF_TRUE
                        | Opcode::POP_JUMP_BACKWARD_IF_FALSE
                        | Opcode::POP_JUMP_BACKWARD_IF_TRUE => {
                            // A truth test of a shared value (`if items:`): the slow path records
                            // the check (`cta.rs`), once a second thread exists.
                            if ins.check && self.threads.len() > 1 {
                                leave!(Hot::Slow(*ins));
                            }
                            let v = pop!();
                            let t = match v {
                                Value::Bool(b) => b,
                                _ => match ops::truth(&self.rt, v) {
                                    Some(t) => t,
                                    // An instance whose class defines `__bool__` or `__len__`:
                                    // `run_slice` sends the jump to the slow path.
                                    None => break 'op dunder::ask_instance(),
                                },
                            };
                            let want = matches!(
                                ins.op,
                                Opcode::POP_JUMP_FORWARD_IF_TRUE
                                    | Opcode::POP_JUMP_BACKWARD_IF_TRUE
                            );
                            if t == want {
                                if ins.op.jump_kind() == crate::bytecode::JumpKind::Forward {
                                    pc += ins.arg as usize;
                                } else {
                                    pc -= ins.arg as usize;
                                }
                            }
                            continue 'instr;
                        }
                        // classes: closure cells in the hot loop (issue 21, `vm::fastclass`), as
                        // `slow_op` runs them; an empty cell or slot takes the slow path, which
                        // raises. Not under `--races` (the detector sees them on the slow path,
                        // as every other access: tests/classes.rs compares the two paths).
                        Opcode::MAKE_CELL if !RACES => {
                            let slot = base + ins.arg as usize;
                            let c = tri!(self.hot_make_cell(s[slot]));
                            s[slot] = c;
                            continue 'instr;
                        }
                        Opcode::COPY_FREE_VARS if !RACES => {
                            let n = ins.arg as usize;
                            let first = base + code.nlocalsplus() - n;
                            let func = frames.last().map_or(Value::None, |f| f.func);
                            self.hot_copy_free_vars(func, &mut s[first..first + n]);
                            continue 'instr;
                        }
                        Opcode::LOAD_CLOSURE if !RACES => {
                            push!(s[base + ins.arg as usize]);
                            continue 'instr;
                        }
                        Opcode::LOAD_DEREF if !RACES => {
                            let cell = s[base + ins.arg as usize];
                            match self.hot_load_deref(reads, cell, code_id, pc as u32 - 1) {
                                Deref::Value(v) => {
                                    push!(v);
                                    continue 'instr;
                                }
                                Deref::Unbound => leave!(Hot::Slow(*ins)),
                            }
                        }
                        Opcode::STORE_DEREF if !RACES => {
                            if let Some(cid) = self.cell_id(s[base + ins.arg as usize]) {
                                let v = pop!();
                                self.hot_store_deref(reads, cid, v, code_id, pc as u32 - 1);
                                continue 'instr;
                            }
                            leave!(Hot::Slow(*ins));
                        }
                        Opcode::MAKE_CELL
                        | Opcode::COPY_FREE_VARS
                        | Opcode::LOAD_CLOSURE
                        | Opcode::LOAD_DEREF
                        | Opcode::STORE_DEREF => leave!(Hot::Slow(*ins)),
                        // Every other opcode, listed rather than `_`: an exhaustive match lets the
                        // jump table cover every opcode, with no range check before each dispatch
                        // (45.9 -> 45.5 x86 instructions per VM instruction, callgrind), and a new
                        // opcode must be placed here or above explicitly.
                        Opcode::UNARY_POSITIVE
                        | Opcode::UNARY_INVERT
                        | Opcode::STORE_SUBSCR
                        | Opcode::DELETE_SUBSCR
                        | Opcode::DELETE_NAME
                        | Opcode::DELETE_GLOBAL
                        | Opcode::DELETE_FAST
                        | Opcode::DELETE_DEREF
                        | Opcode::BUILD_MAP
                        | Opcode::BUILD_CONST_KEY_MAP
                        | Opcode::LIST_EXTEND
                        | Opcode::LIST_TO_TUPLE
                        | Opcode::MAP_ADD
                        | Opcode::BUILD_SET
                        | Opcode::SET_ADD
                        | Opcode::SET_UPDATE
                        | Opcode::DICT_UPDATE
                        | Opcode::DICT_MERGE
                        | Opcode::UNPACK_EX
                        | Opcode::DELETE_ATTR
                        | Opcode::GET_LEN
                        | Opcode::MATCH_SEQUENCE
                        | Opcode::MATCH_MAPPING
                        | Opcode::MATCH_KEYS
                        | Opcode::MATCH_CLASS
                        | Opcode::POP_JUMP_FORWARD_IF_NONE
                        | Opcode::POP_JUMP_FORWARD_IF_NOT_NONE
                        | Opcode::POP_JUMP_BACKWARD_IF_NONE
                        | Opcode::POP_JUMP_BACKWARD_IF_NOT_NONE
                        | Opcode::JUMP_IF_FALSE_OR_POP
                        | Opcode::JUMP_IF_TRUE_OR_POP
                        | Opcode::CALL_FUNCTION_EX
                        | Opcode::WITH_EXCEPT_START
                        | Opcode::PUSH_EXC_INFO
                        | Opcode::POP_EXCEPT
                        | Opcode::RERAISE
                        | Opcode::CHECK_EXC_MATCH
                        | Opcode::RAISE_VARARGS
                        | Opcode::LOAD_ASSERTION_ERROR
                        | Opcode::IMPORT_NAME
                        | Opcode::IMPORT_FROM
                        | Opcode::LOAD_BUILD_CLASS
                        | Opcode::SETUP_ANNOTATIONS
                        | Opcode::LOAD_CLASS_NAME
                        | Opcode::STORE_CLASS_NAME
                        | Opcode::RETURN_GENERATOR
                        | Opcode::YIELD_VALUE
                        | Opcode::SEND
                        | Opcode::GET_YIELD_FROM_ITER => leave!(Hot::Slow(*ins)),
                    }
                };
                // An operator on an instance: its special method's frame entered here
                // (`vm::fastdunder`; one call for both arms), else the slow path.
                // A property's accessor (`Throw::Accessor`): its frame entered here too.
                let next = match err {
                    Throw::Operator => self.hot_operator(stack, frames, prog, code_id, pc, sp),
                    Throw::Accessor(f) => {
                        self.hot_accessor(prog, code_id, pc, sp, f, stack, frames)
                    }
                    _ => leave!(Hot::Raise(err)),
                };
                match next {
                    None => break 'entered,
                    Some(popped) => {
                        sp += popped;
                        leave!(Hot::Slow(instrs[pc - 1]));
                    }
                }
            }
            enter_frame!();
            sp = base + code.nlocalsplus();
            s = &mut stack[..];
        }
    }

    /// `STORE_GLOBAL`: stores `v` in global `slot` at instruction `at` of `code`, with the
    /// lost-update detector's bookkeeping (its fast path inline, a stale read out of line).
    #[inline(always)]
    fn store_global(
        &mut self,
        reads: &mut ReadLog,
        tid: Tid,
        slot: usize,
        v: Value,
        code: u32,
        at: u32,
    ) {
        let read = reads.take(LocKey::Global(slot as u32));
        let g = &mut self.globals[slot];
        // The replaced value is only needed to explain a lost update: only the cold branch
        // keeps it (`store_fast` looks at the metadata only), and the stored value is read
        // back from the global there, so the fast path stores `v` straight into the slot.
        match lost::store_fast(&mut g.meta, read, tid, code, at) {
            None => g.value = v,
            Some(r) => {
                let old = std::mem::replace(&mut g.value, v);
                self.stale_global_store(slot, r, old, code, at);
            }
        }
    }

    /// The detectors' bookkeeping for a store of `value` to item location `loc` (a list slot,
    /// a dict key or an attribute; `STORE_SUBSCR`, `STORE_ATTR`): the lost-update check against
    /// this thread's read of it, and the race detector's write. The replaced value is gone by
    /// now, so a lost update's overwritten value is unknown.
    pub(crate) fn item_stored(
        &mut self,
        reads: &mut ReadLog,
        loc: u32,
        value: Value,
        code: u32,
        pc: u32,
    ) {
        let tid = self.current;
        let key = LocKey::Item(loc);
        let read = reads.take(key).copied();
        let st = lost::on_store(&mut self.items.locs[loc as usize].meta, read, tid, code, pc);
        if st.erased != 0 {
            let ev = st.event(key, tid, code, pc);
            self.note_lost(key, st.erased, ev, value, Value::Undef);
        }
        if self.races.is_some() {
            self.race_access(key, true, code, pc);
        }
    }

    /// A store to a global after a stale read (another thread stored in between): the lost-
    /// update detector's slow path, out of the hot loop.
    #[cold]
    #[inline(never)]
    fn stale_global_store(
        &mut self,
        slot: usize,
        read: lost::ReadEntry,
        old: Value,
        code: u32,
        pc: u32,
    ) {
        let tid = self.current;
        let key = LocKey::Global(slot as u32);
        let stored = self.globals[slot].value;
        let st = lost::on_store(&mut self.globals[slot].meta, Some(read), tid, code, pc);
        if st.erased != 0 {
            let ev = st.event(key, tid, code, pc);
            self.note_lost(key, st.erased, ev, stored, old);
        }
    }

    /// Everything but the hot instructions (those of the seed's loops), kept out of
    /// `run_slice_impl` so the hot loop reads in one screen. Measured under callgrind it saves
    /// about 1% of instructions on the counter programs; the loop's remaining overhead is the
    /// value stack living in memory (its `Vec` is passed to calls), see docs/performance.md.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn slow_op(
        &mut self,
        ins: Instr,
        code_id: u32,
        base: usize,
        func: Value,
        rg: &mut Regs,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
        reads: &mut ReadLog,
        prog: &Program,
        code: &CodeObject,
    ) -> Flow {
        let tid = self.current as usize;
        macro_rules! tri {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(e) => return Flow::Raise(to_throw(e)),
                }
            };
        }
        macro_rules! save_pc {
            () => {
                if let Some(f) = frames.last_mut() {
                    f.pc = rg.pc as u32;
                    f.kwnames = rg.kwnames;
                }
                // As in `run_slice_impl`: built-ins see the program line that called them.
                if code_id < self.prelude.start {
                    self.call_site = Site {
                        code: code_id,
                        pc: (rg.pc as u32).saturating_sub(1),
                    };
                }
            };
        }
        macro_rules! pop {
            () => {
                stack.pop().unwrap_or(Value::Undef)
            };
        }
        macro_rules! top {
            () => {
                *stack.last().unwrap_or(&Value::Undef)
            };
        }
        // A special method called for this instruction (`vm::dunder`): the frame's pc is
        // saved first, so its return lands after the instruction (or, `rewind`, on it again).
        macro_rules! dunder {
            ($func:expr, $args:expr, $then:expr) => {{
                save_pc!();
                let (func, args, then) = ($func, $args, $then);
                flow_of(self.call_dunder(stack, frames, func, &args, then))
            }};
        }
        macro_rules! rewind {
            () => {
                rg.pc -= 1;
            };
        }
        // An instruction that needs the items of a generator on top (unpacking, `in`,
        // `[*g]`, `f(*g)`): the prelude's `to_list` makes them a list, then the instruction
        // runs again on it.
        // `x in g` over a generator: the prelude's `contains_objects` loop, which stops at the
        // first match as CPython's iterator search does (the rest stays in the generator).
        if self.rt.generators
            && ins.op == Opcode::CONTAINS_OP
            && crate::vm::generator::is_generator(&self.rt, top!())
        {
            let g = pop!();
            let item = pop!();
            let f = tri!(self.prelude_function(crate::vm::prelude::PreludeFn::ContainsObjects));
            let then = Then::Contains {
                negate: ins.arg == 1,
            };
            return dunder!(f, [g, item], then);
        }
        if self.rt.generators
            && (matches!(
                ins.op,
                Opcode::UNPACK_SEQUENCE
                    | Opcode::UNPACK_EX
                    | Opcode::LIST_EXTEND
                    | Opcode::SET_UPDATE
            ) || (ins.op == Opcode::CALL_FUNCTION_EX && ins.arg & 1 == 0))
            && crate::vm::generator::is_generator(&self.rt, top!())
        {
            let g = pop!();
            rewind!();
            let f = tri!(self.prelude_function(crate::vm::prelude::PreludeFn::ItToList));
            return dunder!(f, [g], Then::Value);
        }
        if self.rt.generators
            && ins.op == Opcode::CALL_FUNCTION_EX
            && ins.arg & 1 == 1
            && stack.len() >= 2
            && crate::vm::generator::is_generator(&self.rt, stack[stack.len() - 2])
        {
            let kw = pop!();
            let g = pop!();
            rewind!();
            let f = tri!(self.prelude_function(crate::vm::prelude::PreludeFn::ItToList));
            return dunder!(f, [g], Then::PushThen(kw));
        }
        match ins.op {
            Opcode::BINARY_OP => {
                let b = pop!();
                let a = pop!();
                save_pc!();
                flow_of(self.binary_dunder(stack, frames, ins.arg, a, b))
            }
            Opcode::COMPARE_OP => {
                let at = rg.pc - 1;
                let checked = match ins.check {
                    true => Some(self.cta_operands(code_id, at, stack, base)),
                    false => None,
                };
                let b = pop!();
                let a = pop!();
                save_pc!();
                let r = self.compare_dunder(stack, frames, ins.arg, a, b);
                if let (Some(ops), Ok(CallDone::Value)) = (checked, &r) {
                    let result = stack.last().copied().unwrap_or(Value::None);
                    self.cta_arm_operands(ops, code_id, at, base, result);
                }
                flow_of(r)
            }
            Opcode::FOR_ITER => {
                let it = top!();
                if let Value::Obj(g) = it {
                    if let Obj::Generator(_) = self.rt.heap.get(g) {
                        save_pc!();
                        let then = crate::vm::generator::GenThen::ForIter { delta: ins.arg };
                        let r = self.gen_resume(stack, frames, g, Value::None, then);
                        return self.gen_flow(r, rg);
                    }
                }
                match dunder::method(&self.rt, it, self.rt.special.next) {
                    Some(f) => dunder!(f, [it], Then::ForIter { delta: ins.arg }),
                    None => match ops::iter_next(&mut self.rt, it) {
                        Ok(Some(v)) => {
                            stack.push(v);
                            Flow::Next
                        }
                        Ok(None) => {
                            stack.pop();
                            rg.pc += ins.arg as usize;
                            Flow::Next
                        }
                        Err(e) => Flow::Raise(e),
                    },
                }
            }
            Opcode::POP_JUMP_FORWARD_IF_FALSE
            | Opcode::POP_JUMP_FORWARD_IF_TRUE
            | Opcode::POP_JUMP_BACKWARD_IF_FALSE
            | Opcode::POP_JUMP_BACKWARD_IF_TRUE => {
                // `__bool__`/`__len__` makes the truth value; the jump then runs again on it.
                let v = pop!();
                if ins.check {
                    self.cta_test(code_id, rg.pc - 1, v, stack, base);
                }
                match self.truth_method(v) {
                    Some((f, len)) => {
                        rewind!();
                        dunder!(f, [v], Then::Truth { len })
                    }
                    None => {
                        let want = matches!(
                            ins.op,
                            Opcode::POP_JUMP_FORWARD_IF_TRUE | Opcode::POP_JUMP_BACKWARD_IF_TRUE
                        );
                        if ops::truthy(&self.rt, v) == want {
                            if ins.op.jump_kind() == crate::bytecode::JumpKind::Forward {
                                rg.pc += ins.arg as usize;
                            } else {
                                rg.pc -= ins.arg as usize;
                            }
                        }
                        Flow::Next
                    }
                }
            }
            Opcode::DELETE_ATTR => {
                let obj = pop!();
                // Properties exist only once one was made (`Rt::user_dunders`).
                if self.rt.user_dunders {
                    if let Some((f, args)) = tri!(self.descriptor_delete(obj, ins.arg)) {
                        return dunder!(f, args, Then::Discard);
                    }
                }
                if let Some((f, args)) = tri!(self.delattr_hook(obj, ins.arg)) {
                    return dunder!(f, args, Then::Discard);
                }
                tri!(self.delete_attr(obj, ins.arg));
                Flow::Next
            }
            Opcode::DELETE_FAST => {
                let slot = &mut stack[base + ins.arg as usize];
                if let Value::Undef = *slot {
                    return Flow::Raise(unbound_local(code.localsplus_name(ins.arg as usize)));
                }
                *slot = Value::Undef;
                Flow::Next
            }
            Opcode::DELETE_GLOBAL | Opcode::DELETE_NAME => {
                let slot = ins.arg as usize;
                if let Value::Undef = self.globals[slot].value {
                    // Python's message, even for a built-in's name: `del` only sees globals.
                    let name = &self.prog.names[slot];
                    return Flow::Raise(Throw::new(
                        ExcKind::NameError,
                        format!("name '{name}' is not defined"),
                    ));
                }
                self.globals[slot].value = Value::Undef;
                if self.races.is_some() {
                    self.race_access(LocKey::Global(ins.arg), true, code_id, (rg.pc - 1) as u32);
                }
                Flow::Next
            }
            Opcode::MAKE_CELL => {
                let slot = base + ins.arg as usize;
                let v = stack[slot];
                stack[slot] = tri!(self.rt.alloc(Obj::Cell {
                    value: v,
                    meta: Default::default()
                }));
                Flow::Next
            }
            Opcode::COPY_FREE_VARS => {
                let n = ins.arg as usize;
                let first = base + code.nlocalsplus() - n;
                if let Some(f) = self.frame_function(func) {
                    if let Obj::Function(func) = self.rt.heap.get(f) {
                        for (i, c) in func.closure.iter().take(n).enumerate() {
                            stack[first + i] = *c;
                        }
                    }
                }
                Flow::Next
            }
            Opcode::LOAD_CLOSURE => {
                stack.push(stack[base + ins.arg as usize]);
                Flow::Next
            }
            Opcode::LOAD_DEREF => {
                let cell = stack[base + ins.arg as usize];
                let Value::Obj(cid) = cell else {
                    return Flow::Raise(unbound_local(code.localsplus_name(ins.arg as usize)));
                };
                let (v, meta) = match self.rt.heap.get(cid) {
                    Obj::Cell { value, meta } => (*value, *meta),
                    _ => (Value::Undef, Default::default()),
                };
                if let Value::Undef = v {
                    return Flow::Raise(unbound_deref(code, ins.arg as usize));
                }
                reads.record(LocKey::Cell(cid.0), &meta, code_id, (rg.pc - 1) as u32);
                stack.push(v);
                if self.races.is_some() {
                    self.race_access(LocKey::Cell(cid.0), false, code_id, (rg.pc - 1) as u32);
                }
                Flow::Next
            }
            Opcode::STORE_DEREF | Opcode::DELETE_DEREF => {
                let v = if ins.op == Opcode::STORE_DEREF {
                    pop!()
                } else {
                    Value::Undef
                };
                let cell = stack[base + ins.arg as usize];
                if let Value::Obj(cid) = cell {
                    let key = LocKey::Cell(cid.0);
                    let read = reads.take(key).copied();
                    let mut result = None;
                    let mut old = Value::Undef;
                    let pc = (rg.pc - 1) as u32;
                    if let Obj::Cell { value, meta } = self.rt.heap.get_mut(cid) {
                        if ins.op == Opcode::DELETE_DEREF && *value == Value::Undef {
                            return Flow::Raise(unbound_deref(code, ins.arg as usize));
                        }
                        old = *value;
                        *value = v;
                        result = Some(lost::on_store(meta, read, tid as u32, code_id, pc));
                    }
                    if let Some(st) = result.filter(|st| st.erased != 0) {
                        let ev = st.event(key, tid as u32, code_id, pc);
                        self.note_lost(key, st.erased, ev, v, old);
                    }
                    if self.races.is_some() {
                        self.race_access(key, true, code_id, pc);
                    }
                }
                Flow::Next
            }
            Opcode::IS_OP => {
                let checked = match ins.check {
                    true => Some(self.cta_operands(code_id, rg.pc - 1, stack, base)),
                    false => None,
                };
                let b = pop!();
                let a = pop!();
                let r = Value::Bool(ops::is(a, b) != (ins.arg == 1));
                if let Some(ops) = checked {
                    self.cta_arm_operands(ops, code_id, rg.pc - 1, base, r);
                }
                stack.push(r);
                Flow::Next
            }
            Opcode::CONTAINS_OP => {
                let container = pop!();
                let item = pop!();
                // Special methods exist only once a class defines one (`Rt::user_dunders`).
                if self.rt.user_dunders {
                    if let Some(f) = dunder::method(&self.rt, container, self.rt.special.contains) {
                        return dunder!(
                            f,
                            [container, item],
                            Then::Contains {
                                negate: ins.arg == 1
                            }
                        );
                    }
                    if dunder::method(&self.rt, container, self.rt.special.iter).is_some() {
                        // No `__contains__` but `__iter__`: `in` iterates, as CPython's does.
                        let f =
                            tri!(self
                                .prelude_function(crate::vm::prelude::PreludeFn::ContainsObjects));
                        let then = Then::Contains {
                            negate: ins.arg == 1,
                        };
                        return dunder!(f, [container, item], then);
                    }
                    save_pc!();
                    let op = dunder::KeyOp::Contains {
                        negate: ins.arg == 1,
                    };
                    if let Some(r) =
                        self.dict_key_op(stack, frames, op, container, item, Value::None)
                    {
                        return flow_of(r);
                    }
                }
                let r = match ops::contains(&mut self.rt, container, item) {
                    Ok(r) => r,
                    // A list or tuple of instances compared by their `__eq__`: the
                    // prelude's loop, whose `==` calls it.
                    Err(Throw::New {
                        kind: ExcKind::NotImplementedError,
                        ..
                    }) if self.rt.user_dunders => {
                        let f =
                            tri!(self
                                .prelude_function(crate::vm::prelude::PreludeFn::ContainsObjects));
                        return dunder!(
                            f,
                            [container, item],
                            Then::Contains {
                                negate: ins.arg == 1
                            }
                        );
                    }
                    Err(e) => return Flow::Raise(e),
                };
                let r = Value::Bool(r != (ins.arg == 1));
                if ins.check {
                    self.cta_contains(code_id, rg.pc - 1, base, container, item, r);
                }
                stack.push(r);
                Flow::Next
            }
            Opcode::UNARY_NOT => {
                let v = pop!();
                if let Some((f, len)) = self.truth_method(v) {
                    rewind!();
                    return dunder!(f, [v], Then::Truth { len });
                }
                stack.push(Value::Bool(!ops::truthy(&self.rt, v)));
                Flow::Next
            }
            Opcode::UNARY_NEGATIVE | Opcode::UNARY_POSITIVE | Opcode::UNARY_INVERT => {
                let v = pop!();
                let kind = match ins.op {
                    Opcode::UNARY_NEGATIVE => ops::UnaryKind::Neg,
                    Opcode::UNARY_POSITIVE => ops::UnaryKind::Pos,
                    _ => ops::UnaryKind::Invert,
                };
                let n = &self.rt.special;
                let name = match kind {
                    ops::UnaryKind::Neg => n.neg,
                    ops::UnaryKind::Pos => n.pos,
                    _ => n.invert,
                };
                if let Some(f) = dunder::method(&self.rt, v, name) {
                    return dunder!(f, [v], Then::Value);
                }
                let r = tri!(ops::unary(&mut self.rt, kind, v));
                stack.push(r);
                Flow::Next
            }
            Opcode::BINARY_SUBSCR => {
                let index = pop!();
                let container = pop!();
                // Special methods exist only once a class defines one (`Rt::user_dunders`).
                if self.rt.user_dunders {
                    if let Some(f) = dunder::method(&self.rt, container, self.rt.special.getitem) {
                        return dunder!(f, [container, index], Then::Value);
                    }
                    save_pc!();
                    let op = dunder::KeyOp::Get;
                    if let Some(r) =
                        self.dict_key_op(stack, frames, op, container, index, Value::None)
                    {
                        return flow_of(r);
                    }
                }
                let r = match ops::getitem(&mut self.rt, container, index) {
                    Ok(r) => r,
                    // `List[int]`, `Optional[str]`, `list[int]` in annotations: the name itself
                    // stands for the generic alias.
                    Err(_) if matches!(container, Value::Native(n) if n.is_typing() || n.is_type()) =>
                    {
                        let alias = tri!(crate::vm::typing_alias::subscript(
                            &mut self.rt,
                            container,
                            index
                        ));
                        stack.push(alias);
                        return Flow::Next;
                    }
                    Err(e) => return Flow::Raise(e),
                };
                if let Some(loc) = self.item_loc(container, index) {
                    let meta = self.items.locs[loc as usize].meta;
                    reads.record(LocKey::Item(loc), &meta, code_id, (rg.pc - 1) as u32);
                    if self.races.is_some() {
                        self.race_access(LocKey::Item(loc), false, code_id, (rg.pc - 1) as u32);
                    }
                }
                stack.push(r);
                Flow::Next
            }
            Opcode::STORE_SUBSCR => {
                let index = pop!();
                let container = pop!();
                let value = pop!();
                // Special methods exist only once a class defines one (`Rt::user_dunders`).
                if self.rt.user_dunders {
                    if let Some(f) = dunder::method(&self.rt, container, self.rt.special.setitem) {
                        return dunder!(f, [container, index, value], Then::Discard);
                    }
                    save_pc!();
                    let op = dunder::KeyOp::Set;
                    if let Some(r) = self.dict_key_op(stack, frames, op, container, index, value) {
                        return flow_of(r);
                    }
                }
                tri!(ops::setitem(&mut self.rt, container, index, value));
                if let Some(loc) = self.item_loc(container, index) {
                    let at = rg.pc - 1;
                    if let Some(c) = container.as_obj() {
                        if self.cta.armed(self.current) {
                            self.cta_act(LocKey::Item(loc), c.0, false, code_id, base, at);
                        }
                        self.cta_wrote(c.0, None, code_id, at as u32);
                    }
                    self.item_stored(reads, loc, value, code_id, at as u32);
                }
                Flow::Next
            }
            Opcode::DELETE_SUBSCR => {
                let index = pop!();
                let container = pop!();
                // Special methods exist only once a class defines one (`Rt::user_dunders`).
                if self.rt.user_dunders {
                    if let Some(f) = dunder::method(&self.rt, container, self.rt.special.delitem) {
                        return dunder!(f, [container, index], Then::Discard);
                    }
                    save_pc!();
                    let op = dunder::KeyOp::Del;
                    if let Some(r) =
                        self.dict_key_op(stack, frames, op, container, index, Value::None)
                    {
                        return flow_of(r);
                    }
                }
                // The location is looked up before the item goes (a deleted dict key or list
                // slot has none after), and only for the race detector.
                let loc = match self.races.is_some() {
                    true => self.item_loc(container, index),
                    false => None,
                };
                // The check-then-act detector: a deletion is an act, and a write of the item
                // (if a check made its location) and of the container (`cta.rs`).
                let at = rg.pc - 1;
                let cta_key = match container.as_obj() {
                    Some(c) if self.items.wholes || self.cta.armed(self.current) => {
                        let key = match self.rt.heap.get(c) {
                            Obj::Dict(_) => self.existing_key_loc(c.0, index).map(LocKey::Item),
                            _ => None,
                        };
                        if self.cta.armed(self.current) {
                            let k = key.unwrap_or(LocKey::Item(u32::MAX));
                            self.cta_act(k, c.0, key.is_none(), code_id, base, at);
                        }
                        Some((c.0, key))
                    }
                    _ => None,
                };
                tri!(ops::delitem(&mut self.rt, container, index));
                if let Some((c, key)) = cta_key {
                    self.cta_wrote(c, key, code_id, at as u32);
                }
                if let Some(loc) = loc {
                    self.race_access(LocKey::Item(loc), true, code_id, (rg.pc - 1) as u32);
                }
                Flow::Next
            }
            Opcode::BUILD_SLICE => {
                let step = if ins.arg == 3 { pop!() } else { Value::None };
                let stop = pop!();
                let start = pop!();
                let s = tri!(self.rt.alloc(Obj::Slice { start, stop, step }));
                stack.push(s);
                Flow::Next
            }
            Opcode::GET_ITER => {
                let v = pop!();
                if let Some(f) = dunder::method(&self.rt, v, self.rt.special.iter) {
                    return dunder!(f, [v], Then::Iter);
                }
                if dunder::method(&self.rt, v, self.rt.special.getitem).is_some() {
                    return Flow::Raise(Throw::new(
                        ExcKind::NotImplementedError,
                        format!(
                            "iterating over a '{}' object through __getitem__ is not supported \
                             by gilvm; define __iter__",
                            ops::type_name(&self.rt, v)
                        ),
                    ));
                }
                let it = tri!(ops::get_iter(&mut self.rt, v));
                stack.push(it);
                Flow::Next
            }
            Opcode::BUILD_TUPLE | Opcode::BUILD_LIST => {
                let n = ins.arg as usize;
                let items = stack.split_off(stack.len() - n);
                let obj = if ins.op == Opcode::BUILD_TUPLE {
                    Obj::Tuple(items)
                } else {
                    Obj::List(items)
                };
                let v = tri!(self.rt.alloc(obj));
                stack.push(v);
                Flow::Next
            }
            Opcode::BUILD_MAP => {
                let n = ins.arg as usize;
                let items = stack.split_off(stack.len() - 2 * n);
                if let Some((f, args)) = tri!(self.build_dict_call(&items)) {
                    return dunder!(f, args, Then::Value);
                }
                let mut map = crate::vm::heap::DictMap::default();
                for kv in items.chunks(2) {
                    let k = tri!(ops::hash_key(&self.rt, kv[0]));
                    ops::dict_insert(&mut map, k, kv[0], kv[1]);
                }
                let v = tri!(self.rt.alloc(Obj::Dict(map)));
                stack.push(v);
                Flow::Next
            }
            Opcode::BUILD_CONST_KEY_MAP => {
                let n = ins.arg as usize;
                let keys = pop!();
                let vals = stack.split_off(stack.len() - n);
                let key_items = match keys {
                    Value::Obj(k) => match self.rt.heap.get(k) {
                        Obj::Tuple(t) => t.clone(),
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                };
                let mut map = crate::vm::heap::DictMap::default();
                for (k, v) in key_items.into_iter().zip(vals) {
                    let hk = tri!(ops::hash_key(&self.rt, k));
                    ops::dict_insert(&mut map, hk, k, v);
                }
                let v = tri!(self.rt.alloc(Obj::Dict(map)));
                stack.push(v);
                Flow::Next
            }
            Opcode::BUILD_STRING => {
                let n = ins.arg as usize;
                let parts = stack.split_off(stack.len() - n);
                let total = parts
                    .iter()
                    .map(|&p| self.rt.as_str(p).map_or(0, str::len))
                    .fold(0usize, usize::saturating_add);
                tri!(self.rt.ensure_room(total));
                let mut s = tri!(crate::vm::memory::string_with_capacity(total));
                for p in parts {
                    s.push_str(self.rt.as_str(p).unwrap_or(""));
                }
                let v = tri!(self.rt.new_str(s));
                stack.push(v);
                Flow::Next
            }
            Opcode::LIST_APPEND => {
                let v = pop!();
                let list = stack[stack.len() - ins.arg as usize];
                tri!(self.list_append(list, v));
                Flow::Next
            }
            Opcode::LIST_EXTEND => {
                let it = pop!();
                let list = stack[stack.len() - ins.arg as usize];
                let items = tri!(ops::collect_iterable(&mut self.rt, it));
                if let Value::Obj(l) = list {
                    tri!(ops::reserve_list(&mut self.rt, l, items.len()));
                    if let Obj::List(v) = self.rt.heap.get_mut(l) {
                        v.extend(items);
                    }
                }
                Flow::Next
            }
            Opcode::LIST_TO_TUPLE => {
                let l = pop!();
                let items = match l {
                    Value::Obj(id) => match self.rt.heap.get(id) {
                        Obj::List(v) => v.clone(),
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                };
                let t = tri!(self.rt.new_tuple(items));
                stack.push(t);
                Flow::Next
            }
            Opcode::MAP_ADD => {
                let v = pop!();
                let k = pop!();
                let d = stack[stack.len() - ins.arg as usize];
                tri!(ops::setitem(&mut self.rt, d, k, v));
                Flow::Next
            }
            Opcode::BUILD_SET => {
                let n = ins.arg as usize;
                let items = stack.split_off(stack.len() - n);
                let mut t = crate::vm::set::SetTable::new();
                for v in items {
                    t.add(tri!(crate::vm::set::entry(&self.rt, v)));
                }
                let v = tri!(self.rt.alloc(Obj::Set(t)));
                stack.push(v);
                Flow::Next
            }
            Opcode::SET_ADD | Opcode::SET_UPDATE => {
                let v = pop!();
                let set = stack[stack.len() - ins.arg as usize];
                if let Value::Obj(id) = set {
                    tri!(crate::vm::set::with_table(&mut self.rt, id, |rt, t| {
                        if ins.op == Opcode::SET_ADD {
                            let e = crate::vm::set::entry(rt, v)?;
                            rt.ensure_room(t.capacity() * 4 * crate::vm::set::SLOT_BYTES)?;
                            t.add(e);
                            Ok(())
                        } else {
                            crate::vm::set::update_from(rt, t, v)
                        }
                    }));
                }
                Flow::Next
            }
            Opcode::DICT_UPDATE | Opcode::DICT_MERGE => {
                let src = pop!();
                let at = stack.len() - ins.arg as usize;
                let callee = (ins.op == Opcode::DICT_MERGE && at >= 2).then(|| stack[at - 2]);
                tri!(self.dict_update_op(stack[at], src, callee));
                Flow::Next
            }
            Opcode::UNPACK_EX => {
                let seq = pop!();
                let (before, after) = ((ins.arg & 0xff) as usize, (ins.arg >> 8) as usize);
                let items = tri!(ops::unpack_ex(&mut self.rt, seq, before, after));
                stack.extend(items.into_iter().rev());
                Flow::Next
            }
            Opcode::UNPACK_SEQUENCE => {
                let seq = pop!();
                // stdlib: an instance whose class defines `__iter__` unpacks through it.
                if dunder::is_instance(&self.rt, seq)
                    && dunder::method(&self.rt, seq, self.rt.special.iter).is_some()
                {
                    let f =
                        tri!(self.prelude_function(crate::vm::prelude::PreludeFn::UnpackIterable));
                    return dunder!(f, [seq], Then::Unpack(ins.arg));
                }
                let items = tri!(ops::unpack(&mut self.rt, seq, ins.arg as usize));
                stack.extend(items.into_iter().rev());
                Flow::Next
            }
            Opcode::GET_LEN => {
                stack.push(tri!(matching::get_len(&self.rt, top!())));
                Flow::Next
            }
            Opcode::MATCH_SEQUENCE => {
                stack.push(Value::Bool(matching::is_match_sequence(&self.rt, top!())));
                Flow::Next
            }
            Opcode::MATCH_MAPPING => {
                stack.push(Value::Bool(matching::is_match_mapping(&self.rt, top!())));
                Flow::Next
            }
            Opcode::MATCH_KEYS => {
                let keys = top!();
                let map = stack[stack.len() - 2];
                let at = (code_id, rg.pc as u32 - 1);
                stack.push(tri!(self.match_keys_op(map, keys, reads, at)));
                Flow::Next
            }
            Opcode::MATCH_CLASS => {
                let names = pop!();
                let cls = pop!();
                let subject = pop!();
                save_pc!();
                let at = (code_id, rg.pc as u32 - 1);
                let attrs = tri!(self.match_class_op(subject, cls, ins.arg, names, reads, at));
                stack.push(attrs);
                Flow::Next
            }
            Opcode::FORMAT_VALUE => {
                let spec = if ins.arg & FVS_HAVE_SPEC != 0 {
                    Some(pop!())
                } else {
                    None
                };
                let v = pop!();
                if self.rt.str_dunders {
                    let d = self.rt.dunders;
                    let user = crate::vm::classes::user_dunder(&self.rt, v, d.str_)
                        .or_else(|| crate::vm::classes::user_dunder(&self.rt, v, d.repr));
                    if user.is_some() {
                        // `format_object(v, conv, spec)` in the prelude calls str()/repr().
                        let use_repr = ins.arg & 3 == FVC_REPR;
                        let spec = match spec {
                            Some(s) => s,
                            None => tri!(self.rt.new_str("")),
                        };
                        if ins.arg & 3 != FVC_REPR && ins.arg & 3 != FVC_STR {
                            tri!(crate::vm::classes::check_format_spec(&self.rt, v, spec));
                        }
                        let conv = Value::Bool(use_repr);
                        let f = tri!(
                            self.prelude_function(crate::vm::prelude::PreludeFn::FormatObject)
                        );
                        let callee_at = stack.len();
                        stack.push(f);
                        stack.push(v);
                        stack.push(conv);
                        stack.push(spec);
                        save_pc!();
                        return match self.do_call(stack, frames, callee_at, &[]) {
                            Ok(CallDone::Value) => Flow::Next,
                            Ok(CallDone::Frame) => Flow::Frame,
                            Ok(CallDone::Blocked) => Flow::End(SliceEnd::Blocked),
                            Err(e) => Flow::Raise(to_throw(e)),
                        };
                    }
                }
                // comp2: an exact str with no conversion or spec is itself (`f"{s}" is s`).
                if let Some(same) = crate::vm::fastops::str_itself(&self.rt, ins.arg, v, spec) {
                    stack.push(same);
                    return Flow::Next;
                }
                // !s, !r, !a, then the spec: one call, no intermediate string object.
                let conv = match ins.arg & 3 {
                    FVC_STR => Some('s'),
                    FVC_REPR => Some('r'),
                    crate::bytecode::FVC_ASCII => Some('a'),
                    _ => None,
                };
                let spec_str = spec
                    .and_then(|s| self.rt.as_str(s))
                    .unwrap_or("")
                    .to_string();
                let s = tri!(format::format_value(&mut self.rt, v, conv, &spec_str));
                let r = tri!(self.rt.new_str(s));
                stack.push(r);
                Flow::Next
            }
            Opcode::POP_JUMP_FORWARD_IF_NONE | Opcode::POP_JUMP_FORWARD_IF_NOT_NONE => {
                let v = pop!();
                if ins.check {
                    self.cta_test(code_id, rg.pc - 1, v, stack, base);
                }
                if v.is_none() == (ins.op == Opcode::POP_JUMP_FORWARD_IF_NONE) {
                    rg.pc += ins.arg as usize;
                }
                Flow::Next
            }
            Opcode::POP_JUMP_BACKWARD_IF_NONE | Opcode::POP_JUMP_BACKWARD_IF_NOT_NONE => {
                let v = pop!();
                if ins.check {
                    self.cta_test(code_id, rg.pc - 1, v, stack, base);
                }
                if v.is_none() == (ins.op == Opcode::POP_JUMP_BACKWARD_IF_NONE) {
                    rg.pc -= ins.arg as usize;
                }
                Flow::Next
            }
            Opcode::JUMP_IF_FALSE_OR_POP | Opcode::JUMP_IF_TRUE_OR_POP => {
                if let Some((f, _)) = self.truth_method(top!()) {
                    let then = Then::OrPop {
                        jump_if: ins.op == Opcode::JUMP_IF_TRUE_OR_POP,
                        delta: ins.arg,
                    };
                    return dunder!(f, [top!()], then);
                }
                let t = ops::truthy(&self.rt, top!());
                if t == (ins.op == Opcode::JUMP_IF_TRUE_OR_POP) {
                    rg.pc += ins.arg as usize;
                } else {
                    stack.pop();
                }
                Flow::Next
            }
            Opcode::KW_NAMES => {
                rg.kwnames = ins.arg;
                Flow::Next
            }
            Opcode::CALL => {
                // exc4: `KeyError(i)`, `int(s)`, and a handler found for their errors,
                // without the general call (`vm::raise_fast`).
                // (The callee's kind tested here: other calls pay no call for it.)
                if self.races.is_none()
                    && matches!(
                        stack
                            .len()
                            .checked_sub(ins.arg as usize + 1)
                            .map(|a| stack[a]),
                        Some(Value::ExcType(_) | Value::Native(crate::vm::natives::NativeId::Int))
                    )
                {
                    use crate::vm::raise_fast::Caught;
                    match self.call_builtin_fast(
                        prog, stack, frames, ins, base, code_id, rg.pc, rg.kwnames,
                    ) {
                        Caught::Value => return Flow::Next,
                        Caught::Handler => return Flow::Frame,
                        Caught::Raise(t) => return Flow::Raise(t),
                        Caught::Slow => {}
                    }
                }
                let argc = ins.arg as usize;
                let kwn: &[Const] = if rg.kwnames == NO_KW {
                    &[]
                } else {
                    match &code.consts[rg.kwnames as usize] {
                        Const::Tuple(t) => t,
                        _ => &[],
                    }
                };
                rg.kwnames = NO_KW;
                let mut callee_at = stack.len() - argc - 1;
                if callee_at > 0 && callee_at > base {
                    // A `Method` marker always owns the call above it. A
                    // `BoundExit` stays below a whole `with` body, so it is the
                    // callee only of the exit call: `CALL 2` on three `None`s
                    // (any other call in the body has its own callee on top).
                    match stack[callee_at - 1] {
                        Value::Method(_) | Value::PyMethod(_) => callee_at -= 1,
                        Value::BoundExit(_) if argc == 2 && stack[callee_at] == Value::None => {
                            callee_at -= 1
                        }
                        _ => {}
                    }
                }
                let kw: Vec<(&str, Value)> = if kwn.is_empty() {
                    Vec::new()
                } else {
                    let first = stack.len() - kwn.len();
                    kwn.iter()
                        .enumerate()
                        .map(|(i, c)| match c {
                            Const::Str(s) => (s.as_str(), stack[first + i]),
                            _ => ("", Value::None),
                        })
                        .collect()
                };
                save_pc!();
                // The check-then-act detector (`cta.rs`): a checked call (`len(items)`,
                // `cache.get(key)`), and a mutating method as an act.
                let at = rg.pc - 1;
                // The lost-update detector: `d.get(k)` reads `d[k]` (`call_reads.rs`).
                if self.threads.len() > 1 {
                    self.note_call_read(reads, stack, callee_at, code_id, at as u32);
                }
                let checked = match ins.check {
                    true => self.cta_call_check(stack, callee_at),
                    false => None,
                };
                let act = match self.items.wholes || self.cta.armed(self.current) {
                    true => self.cta_call_act(stack, callee_at, code_id, at, base),
                    false => None,
                };
                // `for … in range(…)`: the range becomes its iterator (`range_feeds_iter`).
                let range_iter = ins.with_next
                    && stack[callee_at] == Value::Native(crate::vm::natives::NativeId::Range);
                let r = self.do_call(stack, frames, callee_at, &kw);
                if let Some(a) = act {
                    self.cta_wrote(a.container, a.key, code_id, at as u32);
                }
                match r {
                    Ok(CallDone::Value) => {
                        if range_iter {
                            let v = stack.last().copied().unwrap_or(Value::None);
                            self.range_feeds_iter(v);
                        }
                        if let Some(c) = checked {
                            let result = stack.last().copied().unwrap_or(Value::None);
                            self.cta_arm_call(c, code_id, at, base, result);
                        }
                        Flow::Next
                    }
                    Ok(CallDone::Frame) => Flow::Frame,
                    Ok(CallDone::Blocked) => Flow::End(SliceEnd::Blocked),
                    Err(e) => Flow::Raise(to_throw(e)),
                }
            }
            Opcode::CALL_FUNCTION_EX => {
                let kwargs = if ins.arg & 1 != 0 { Some(pop!()) } else { None };
                let args = pop!();
                let callee_at = stack.len() - 1;
                if ops::get_iter(&mut self.rt, args).is_err() {
                    let f = self.function_str(stack[callee_at]);
                    let ty = ops::type_name(&self.rt, args);
                    return Flow::Raise(Throw::type_error(format!(
                        "{f} argument after * must be an iterable, not {ty}"
                    )));
                }
                let items = tri!(ops::collect_iterable(&mut self.rt, args));
                stack.extend_from_slice(&items);
                let kw_owned = match kwargs {
                    Some(d) => tri!(self.dict_as_kwargs(d)),
                    None => Vec::new(),
                };
                for (_, v) in &kw_owned {
                    stack.push(*v);
                }
                let kw: Vec<(&str, Value)> =
                    kw_owned.iter().map(|(k, v)| (k.as_str(), *v)).collect();
                save_pc!();
                match self.do_call(stack, frames, callee_at, &kw) {
                    Ok(CallDone::Value) => Flow::Next,
                    Ok(CallDone::Frame) => Flow::Frame,
                    Ok(CallDone::Blocked) => Flow::End(SliceEnd::Blocked),
                    Err(e) => Flow::Raise(to_throw(e)),
                }
            }
            Opcode::MAKE_FUNCTION => {
                let f = tri!(self.make_function(stack, ins.arg));
                stack.push(f);
                Flow::Next
            }
            // ---- generators ----
            Opcode::RETURN_GENERATOR => {
                let Some(fr) = frames.last().copied() else {
                    return Flow::End(SliceEnd::Finished);
                };
                let g = tri!(self.make_generator(stack, &fr, rg.pc));
                self.return_value(g, stack, frames)
            }
            Opcode::YIELD_VALUE => {
                let v = pop!();
                let r = self.gen_yield(v, rg.pc, stack, frames);
                self.after_frame_left(r, stack, frames)
            }
            Opcode::SEND => {
                let v = pop!();
                let recv = top!();
                if let Value::Obj(g) = recv {
                    if let Obj::Generator(_) = self.rt.heap.get(g) {
                        save_pc!();
                        let then = crate::vm::generator::GenThen::Send { delta: ins.arg };
                        let r = self.gen_resume(stack, frames, g, v, then);
                        return self.gen_flow(r, rg);
                    }
                }
                if v != Value::None {
                    // CPython calls `recv.send(v)`: only generators have it here.
                    return Flow::Raise(Throw::new(
                        ExcKind::AttributeError,
                        format!(
                            "'{}' object has no attribute 'send'",
                            ops::type_name(&self.rt, recv)
                        ),
                    ));
                }
                match dunder::method(&self.rt, recv, self.rt.special.next) {
                    // `yield from` over an instance: its `__next__`, whose StopIteration
                    // ends the delegation with its value (`Vm::stop_iteration`).
                    Some(f) => dunder!(f, [recv], Then::YieldFromNext { delta: ins.arg }),
                    None => match ops::iter_next(&mut self.rt, recv) {
                        Ok(Some(x)) => {
                            stack.push(x);
                            Flow::Next
                        }
                        Ok(None) => {
                            stack.pop();
                            stack.push(Value::None);
                            rg.pc += ins.arg as usize;
                            Flow::Next
                        }
                        Err(e) => Flow::Raise(e),
                    },
                }
            }
            Opcode::GET_YIELD_FROM_ITER => {
                let v = top!();
                if crate::vm::generator::is_generator(&self.rt, v) {
                    return Flow::Next;
                }
                let v = pop!();
                if let Some(f) = dunder::method(&self.rt, v, self.rt.special.iter) {
                    return dunder!(f, [v], Then::Iter);
                }
                let it = tri!(ops::get_iter(&mut self.rt, v));
                stack.push(it);
                Flow::Next
            }
            Opcode::RETURN_VALUE => {
                let v = pop!();
                self.return_value(v, stack, frames)
            }
            Opcode::LOAD_ATTR => {
                let obj = pop!();
                // Properties exist only once one was made (`Rt::user_dunders`); classes2: an
                // instance of a plain class has none (`Vm::attr_plain_obj`).
                if self.rt.user_dunders && !self.attr_plain_obj(obj) {
                    if let Some((f, args)) = tri!(self.descriptor_get(obj, ins.arg)) {
                        return dunder!(f, args, Then::Value);
                    }
                }
                let v = match self.load_attr(obj, ins.arg) {
                    Ok(v) => v,
                    Err(e) if self.rt.user_dunders => {
                        let (f, args) = tri!(self.getattr_fallback(obj, ins.arg, e));
                        return dunder!(f, args, Then::Value);
                    }
                    Err(e) => return Flow::Raise(to_throw(e)),
                };
                if let Some(loc) = self.attr_loc(obj, ins.arg) {
                    let meta = self.items.locs[loc as usize].meta;
                    reads.record(LocKey::Item(loc), &meta, code_id, (rg.pc - 1) as u32);
                    if self.races.is_some() {
                        self.race_access(LocKey::Item(loc), false, code_id, (rg.pc - 1) as u32);
                    }
                }
                stack.push(v);
                Flow::Next
            }
            Opcode::LOAD_METHOD => {
                let obj = pop!();
                // Properties exist only once one was made (`Rt::user_dunders`); classes2: an
                // instance of a plain class has none (`Vm::attr_plain_obj`).
                if self.rt.user_dunders && !self.attr_plain_obj(obj) {
                    if let Some((f, args)) = tri!(self.descriptor_get(obj, ins.arg)) {
                        return dunder!(f, args, Then::Value);
                    }
                }
                let (a, b) = match self.load_method(obj, ins.arg) {
                    Ok(r) => r,
                    Err(e) if self.rt.user_dunders => {
                        let (f, args) = tri!(self.getattr_fallback(obj, ins.arg, e));
                        return dunder!(f, args, Then::Value);
                    }
                    Err(e) => return Flow::Raise(to_throw(e)),
                };
                if self.races.is_some() {
                    // `--races`: `obj.f()` reads `obj.f` as `LOAD_ATTR` would (`vm/races.rs`).
                    self.race_method_read(obj, ins.arg, code_id, (rg.pc - 1) as u32);
                }
                stack.push(a);
                if let Some(b) = b {
                    stack.push(b);
                }
                Flow::Next
            }
            Opcode::STORE_ATTR => {
                let obj = pop!();
                let v = pop!();
                // Properties exist only once one was made (`Rt::user_dunders`); classes2: an
                // instance of a plain class has none, nor `__setattr__` (`Vm::attr_plain_obj`).
                if self.rt.user_dunders && !self.attr_plain_obj(obj) {
                    if let Some((f, args)) = tri!(self.descriptor_set(obj, ins.arg, v)) {
                        return dunder!(f, args, Then::Discard);
                    }
                    if let Some((f, args)) = tri!(self.setattr_hook(obj, ins.arg, v)) {
                        return dunder!(f, args, Then::Discard);
                    }
                }
                tri!(self.store_attr(obj, ins.arg, v));
                if let Some(loc) = self.attr_loc(obj, ins.arg) {
                    if self.cta.armed(self.current) {
                        let c = obj.as_obj().map_or(crate::vm::cta::NO_CONTAINER, |o| o.0);
                        self.cta_act(LocKey::Item(loc), c, false, code_id, base, rg.pc - 1);
                    }
                    self.item_stored(reads, loc, v, code_id, (rg.pc - 1) as u32);
                }
                Flow::Next
            }
            Opcode::BEFORE_WITH => {
                let mgr = pop!();
                let Value::Obj(id) = mgr else {
                    return Flow::Raise(no_context_manager(&self.rt, mgr));
                };
                if dunder::is_instance(&self.rt, mgr) {
                    let n = *self.rt.special;
                    let enter = dunder::cm_method(&self.rt, mgr, n.enter);
                    let exit = dunder::cm_method(&self.rt, mgr, n.exit);
                    let Some(enter) = enter else {
                        return Flow::Raise(no_context_manager(&self.rt, mgr));
                    };
                    if exit.is_none() {
                        return Flow::Raise(Throw::type_error(format!(
                            "'{}' object does not support the context manager protocol \
                             (missed __exit__ method)",
                            ops::type_name(&self.rt, mgr)
                        )));
                    }
                    stack.push(Value::BoundExit(id));
                    return dunder!(enter, [mgr], Then::Value);
                }
                if let Obj::GenCm(g) = self.rt.heap.get(id) {
                    let g = *g;
                    stack.push(Value::BoundExit(id));
                    let (f, args) = tri!(self.gen_cm_enter(g));
                    return dunder!(f, args, Then::Value);
                }
                if !self.is_context_manager(id) {
                    return Flow::Raise(no_context_manager(&self.rt, mgr));
                }
                stack.push(Value::BoundExit(id));
                save_pc!();
                match tri!(self.enter(id)) {
                    Some(v) => stack.push(v),
                    None => return Flow::End(SliceEnd::Blocked),
                }
                Flow::Next
            }
            Opcode::WITH_EXCEPT_START => {
                let exc = top!();
                let exit = stack[stack.len() - 4];
                if let Value::BoundExit(id) = exit {
                    if let Obj::GenCm(g) = self.rt.heap.get(id) {
                        // The exception goes on (if it does) with the traceback it had.
                        let g = *g;
                        let typ = self.exception_type(exc);
                        let len = match exc {
                            Value::Obj(e) => match self.rt.heap.get(e) {
                                Obj::Exception(x) => x.traceback.len() as u32,
                                _ => 0,
                            },
                            _ => 0,
                        };
                        let (f, args) = tri!(self.gen_cm_exit(g, typ, exc));
                        return dunder!(f, args, Then::RestoreTb { exc, len });
                    }
                    let mgr = Value::Obj(id);
                    if let Some(f) = dunder::cm_method(&self.rt, mgr, self.rt.special.exit) {
                        let typ = self.exception_type(exc);
                        return dunder!(f, [mgr, typ, exc, Value::None], Then::Value);
                    }
                }
                let r = match exit {
                    Value::BoundExit(id) => tri!(self.exit(id)),
                    _ => Value::None,
                };
                let _ = exc;
                stack.push(r);
                Flow::Next
            }
            Opcode::PUSH_EXC_INFO => {
                let exc = pop!();
                let prev = std::mem::replace(&mut self.threads[tid].exc_info, exc);
                stack.push(prev);
                stack.push(exc);
                Flow::Next
            }
            Opcode::POP_EXCEPT => {
                let prev = pop!();
                self.threads[tid].exc_info = prev;
                Flow::Next
            }
            Opcode::CHECK_EXC_MATCH => {
                let typ = pop!();
                let exc = top!();
                let m = tri!(self.exception_matches(exc, typ));
                stack.push(Value::Bool(m));
                Flow::Next
            }
            Opcode::RERAISE => {
                // CPython restores `lasti` from the stack for the frame's
                // line; the handler search still starts at this RERAISE, and
                // a re-raise adds no traceback entry, so only that matters.
                let exc = pop!();
                rg.reraise = true;
                Flow::Raise(match exc {
                    Value::Obj(id) => Throw::Obj(id),
                    _ => Throw::new(ExcKind::RuntimeError, "No active exception to reraise"),
                })
            }
            Opcode::RAISE_VARARGS => {
                let (exc, cause) = match ins.arg {
                    0 => {
                        rg.reraise = true;
                        match self.threads[tid].exc_info {
                            Value::Obj(id) => return Flow::Raise(Throw::Obj(id)),
                            _ => {
                                return Flow::Raise(Throw::new(
                                    ExcKind::RuntimeError,
                                    "No active exception to reraise",
                                ))
                            }
                        }
                    }
                    1 => (pop!(), None),
                    _ => {
                        let cause = pop!();
                        (pop!(), Some(cause))
                    }
                };
                save_pc!();
                if let Some(flow) = self.raise_new_instance(stack, frames, exc, cause) {
                    return flow;
                }
                Flow::Raise(match self.make_raisable(exc, cause) {
                    Ok(t) | Err(t) => t,
                })
            }
            Opcode::LOAD_BUILD_CLASS => {
                stack.push(Value::Native(crate::vm::natives::NativeId::BuildClass));
                Flow::Next
            }
            Opcode::LOAD_CLASS_NAME => {
                let slot = ins.arg as usize;
                let mut v = Value::Undef;
                if let Value::Obj(f) = func {
                    if let Obj::ClassBody { ns, .. } = self.rt.heap.get(f) {
                        v = ns.get(&ins.arg).copied().unwrap_or(Value::Undef);
                    }
                }
                if v == Value::Undef {
                    v = self.globals[slot].value;
                }
                if v == Value::Undef {
                    v = self.builtins[slot];
                }
                if v == Value::Undef {
                    if prog.names[slot] == "__name__" {
                        v = tri!(self.rt.new_str("__main__"));
                    } else {
                        return Flow::Raise(name_error(&prog.names[slot]));
                    }
                }
                stack.push(v);
                Flow::Next
            }
            Opcode::STORE_CLASS_NAME => {
                let v = pop!();
                if prog.names[ins.arg as usize].starts_with("__") {
                    tri!(crate::vm::classes::check_class_name(
                        &prog.names[ins.arg as usize]
                    ));
                }
                if let Value::Obj(f) = func {
                    if let Obj::ClassBody { ns, .. } = self.rt.heap.get_mut(f) {
                        ns.insert(ins.arg, v);
                    }
                }
                Flow::Next
            }
            Opcode::SETUP_ANNOTATIONS => {
                let name = self.rt.dunders.annotations;
                if name == u32::MAX {
                    return Flow::Next;
                }
                let fresh = |vm: &mut Vm| vm.rt.alloc(Obj::Dict(Default::default()));
                match func {
                    Value::Obj(f) if matches!(self.rt.heap.get(f), Obj::ClassBody { .. }) => {
                        let d = tri!(fresh(self));
                        if let Obj::ClassBody { ns, .. } = self.rt.heap.get_mut(f) {
                            ns.entry(name).or_insert(d);
                        }
                    }
                    _ => {
                        if self.globals[name as usize].value == Value::Undef {
                            self.globals[name as usize].value = tri!(fresh(self));
                        }
                    }
                }
                Flow::Next
            }
            Opcode::LOAD_ASSERTION_ERROR => {
                stack.push(Value::ExcType(ExcKind::AssertionError));
                Flow::Next
            }
            Opcode::IMPORT_NAME => {
                let fromlist = pop!();
                let _level = pop!();
                let name = &prog.names[ins.arg as usize];
                match crate::vm::natives::ModuleId::from_str(name) {
                    Some(m) => {
                        // `import concurrent.futures` binds the package; `from … import`
                        // and `import … as` want the module itself.
                        let push = match crate::vm::pymodules::package_of(m) {
                            Some(p) if fromlist == Value::None => p,
                            _ => m,
                        };
                        // `from concurrent import futures` runs the module it names.
                        let run = match m {
                            crate::vm::natives::ModuleId::Concurrent if fromlist != Value::None => {
                                crate::vm::natives::ModuleId::ConcurrentFutures
                            }
                            _ => m,
                        };
                        if let Some(body) = self.module_body_to_run(run) {
                            let f = tri!(self
                                .rt
                                .alloc(Obj::Function(crate::vm::heap::Function::plain(body))));
                            return dunder!(f, [], Then::Import(push));
                        }
                        stack.push(Value::Module(push))
                    }
                    None => {
                        // A standard module is refused at load time (`run::check_imports`);
                        // this is for programs compiled without that check.
                        let msg = if crate::vm::pynames::is_python_stdlib_module(name) {
                            crate::vm::pynames::module_not_provided(name)
                        } else {
                            format!("No module named '{name}'")
                        };
                        return Flow::Raise(Throw::new(ExcKind::ModuleNotFoundError, msg));
                    }
                }
                Flow::Next
            }
            Opcode::IMPORT_FROM => {
                let m = top!();
                let v = match self.load_attr(m, ins.arg) {
                    Ok(v) => v,
                    Err(_) => {
                        let modname = match m {
                            Value::Module(m) => m.name(),
                            _ => "?",
                        };
                        return Flow::Raise(Throw::new(
                            ExcKind::ImportError,
                            format!(
                                "cannot import name '{}' from '{}' (unknown location)",
                                prog.names[ins.arg as usize], modname
                            ),
                        ));
                    }
                };
                stack.push(v);
                Flow::Next
            }
            _ => Flow::Next,
        }
    }

    /// prop: `hot`'s `LOAD_ATTR` (the instance popped, at `stack[sp]`) or `STORE_ATTR` (the
    /// value and the instance popped, at `stack[sp]` and `stack[sp + 1]`) before `pc` found
    /// a property whose accessor is Python function `f`: the accessor's frame pushed
    /// (`Vm::enter_accessor`) with the instruction's result slot as its base; the new stack
    /// pointer. `None`: nothing done.
    /// What `run_slice` does with an error `hot` raised at the instruction before `pc` (the
    /// operands it popped at `stack[sp..]`): `Ok`: the instruction again on the slow path,
    /// with how many operands to put back (an operation on an instance, `dunder_retry`;
    /// `Throw::Slow`; a property's accessor not called here); `Err(None)`: a property's
    /// accessor (`Throw::Accessor`) was called, its frame pushed and the stack truncated at
    /// its locals' end; `Err(Some(t))`: `t` is raised.
    #[allow(clippy::too_many_arguments)]
    #[cold]
    #[inline(never)]
    fn retry_after_hot(
        &mut self,
        t: Throw,
        prog: &Program,
        code: &CodeObject,
        code_id: u32,
        pc: usize,
        sp: usize,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
    ) -> Result<(Instr, usize), Option<Throw>> {
        match t {
            Throw::Accessor(f) => {
                match self.accessor_exit(prog, code, code_id, pc, sp, f, stack, frames) {
                    Some(nsp) => {
                        stack.truncate(nsp);
                        Err(None)
                    }
                    None => Ok(attr_popped(code, pc)),
                }
            }
            Throw::Slow => Ok(attr_popped(code, pc)),
            // (`hot` takes these itself.)
            Throw::Operator => Ok((code.instrs[pc - 1], 2)),
            t => match self.dunder_retry(code, pc, stack, sp) {
                Some(r) => Ok(r),
                None => Err(Some(t)),
            },
        }
    }

    /// `hot`'s attribute instruction before `pc` found a property whose accessor is Python
    /// function `f` (`Throw::Accessor`; its operands popped, at `stack[sp..]`): its frame
    /// entered (`Vm::enter_accessor`), `None`; else, nothing changed, how many operands to
    /// put back for the slow path. (Before, `hot` left for `run_slice` to call it there,
    /// ≈290 x86 instructions more a property read.)
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn hot_accessor(
        &mut self,
        prog: &Program,
        code_id: u32,
        pc: usize,
        sp: usize,
        f: crate::vm::value::ObjId,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
    ) -> Option<usize> {
        let code = &prog.codes[code_id as usize];
        match self.accessor_exit(prog, code, code_id, pc, sp, f, stack, frames) {
            Some(_) => None,
            None => Some(attr_popped(code, pc).1),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn accessor_exit(
        &mut self,
        prog: &Program,
        code: &CodeObject,
        code_id: u32,
        pc: usize,
        sp: usize,
        f: crate::vm::value::ObjId,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
    ) -> Option<usize> {
        let ins = *code.instrs.get(pc.checked_sub(1)?)?;
        match ins.op {
            Opcode::LOAD_ATTR => {
                let obj = *stack.get(sp)?;
                self.enter_accessor(stack, frames, prog, code_id, pc, sp, f, &[obj], false)
            }
            Opcode::STORE_ATTR => {
                let (v, obj) = (*stack.get(sp)?, *stack.get(sp + 1)?);
                self.enter_accessor(stack, frames, prog, code_id, pc, sp, f, &[obj, v], true)
            }
            _ => None,
        }
    }

    /// Whether the instruction before `pc`, which raised in `hot`, was an operation on an
    /// instance that its special methods may define (`a + b`, `a < b`, `for x in obj`,
    /// `if obj:`): then the instruction again, for the slow path, and how many operands `hot`
    /// had popped (they are still at `stack[sp..]`).
    #[cold]
    fn dunder_retry(
        &self,
        code: &CodeObject,
        pc: usize,
        stack: &[Value],
        sp: usize,
    ) -> Option<(Instr, usize)> {
        let ins = *code.instrs.get(pc.checked_sub(1)?)?;
        let inst = |i: usize| {
            stack
                .get(i)
                .is_some_and(|v| dunder::is_instance(&self.rt, *v))
        };
        match ins.op {
            Opcode::BINARY_OP | Opcode::COMPARE_OP if inst(sp) || inst(sp + 1) => Some((ins, 2)),
            Opcode::FOR_ITER if sp > 0 && inst(sp - 1) => Some((ins, 0)),
            Opcode::POP_JUMP_FORWARD_IF_FALSE
            | Opcode::POP_JUMP_FORWARD_IF_TRUE
            | Opcode::POP_JUMP_BACKWARD_IF_FALSE
            | Opcode::POP_JUMP_BACKWARD_IF_TRUE
                if inst(sp) =>
            {
                Some((ins, 1))
            }
            _ => None,
        }
    }

    /// `RETURN_VALUE` of `v` (popped) from the top frame, and `RETURN_GENERATOR`'s return of
    /// the generator: pops the frame and hands `v` to its caller as the frame's function
    /// says (a class body, `__init__`, a special method, a generator, or a plain call).
    fn return_value(
        &mut self,
        mut v: Value,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
    ) -> Flow {
        let done = frames.pop();
        if let Some(done) = done {
            if self.cta.armed(self.current) {
                self.cta.returned(self.current, done.base);
            }
            stack.truncate(done.base as usize);
            // prop: a property's setter called by `hot`'s `STORE_ATTR`
            // (`Vm::enter_accessor`): its value is dropped.
            if let Value::PyMethod(_) = done.func {
                if frames.is_empty() {
                    return Flow::End(SliceEnd::Finished);
                }
                return Flow::Frame;
            }
            // A class body or an `__init__` run by instantiation (see `classes.rs`).
            if let Value::Obj(f) = done.func {
                match self.rt.heap.get(f) {
                    Obj::Function(_) => {}
                    Obj::ClassBody { .. } | Obj::InitCall { .. } => {
                        let made = if matches!(self.rt.heap.get(f), Obj::ClassBody { .. }) {
                            self.finish_class(f, v)
                        } else {
                            self.finish_init(f, v)
                        };
                        let raise_it = match self.rt.heap.get(f) {
                            Obj::InitCall { raise_it, .. } => *raise_it,
                            _ => None,
                        };
                        let made = match (made, raise_it) {
                            // `raise C` of a class with its own `__init__`.
                            (Ok(inst), Some(cause)) => match self.make_raisable(inst, cause) {
                                Ok(t) | Err(t) => Err(t),
                            },
                            (r, _) => r,
                        };
                        match made {
                            Ok(made) => v = made,
                            Err(t) if frames.is_empty() => return Flow::Raise(to_throw(t)),
                            // Raised by the caller's instruction (`class …:`, `C(…)`,
                            // `raise C`), whose frame is now on top.
                            Err(t) => return self.after_frame_left(Err(t), stack, frames),
                        }
                    }
                    Obj::DunderCall { then, .. } => {
                        let then = *then;
                        if frames.is_empty() {
                            return Flow::End(SliceEnd::Finished);
                        }
                        let r = if let crate::vm::dunder::Then::SortKey { .. } = then {
                            // `f`'s frame is gone: the next key's frame reuses the marker.
                            self.sort_key_next(then, v, stack, frames, Some(f))
                        } else {
                            self.finish_dunder(then, v, stack, frames)
                        };
                        return self.after_frame_left(r, stack, frames);
                    }
                    Obj::Generator(_) => {
                        if frames.is_empty() {
                            return Flow::End(SliceEnd::Finished);
                        }
                        let r = self.gen_return(f, v, stack, frames);
                        return self.after_frame_left(r, stack, frames);
                    }
                    _ => {}
                }
            }
        }
        if frames.is_empty() {
            return Flow::End(SliceEnd::Finished);
        }
        stack.push(v);
        Flow::Frame
    }

    /// What a frame that just left (returned or yielded) made its caller, now on top with
    /// its pc saved, do. An error is raised by the caller's instruction: unwound here, as
    /// the run loop would save the left frame's pc into the caller.
    fn after_frame_left(
        &mut self,
        r: PyResult<CallDone>,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
    ) -> Flow {
        match r {
            Ok(CallDone::Blocked) => Flow::End(SliceEnd::Blocked),
            Ok(_) if frames.is_empty() => Flow::End(SliceEnd::Finished),
            Ok(_) => Flow::Frame,
            Err(Throw::Limit) => Flow::End(SliceEnd::Limit),
            Err(t) => match self.unwind(stack, frames, t, false) {
                Ok(()) => Flow::Frame,
                Err(exc) => Flow::End(SliceEnd::Died(exc)),
            },
        }
    }

    /// The flow after resuming a generator from an instruction of the current frame (its pc
    /// saved): a value or a jump was applied to the saved frame, so the frame is reloaded.
    fn gen_flow(&mut self, r: PyResult<CallDone>, rg: &mut Regs) -> Flow {
        let _ = rg;
        match r {
            Ok(CallDone::Blocked) => Flow::End(SliceEnd::Blocked),
            Ok(_) => Flow::Frame,
            Err(e) => Flow::Raise(to_throw(e)),
        }
    }

    /// An exception escaping a thread before it ran any frame (its start call failed).
    fn die(&mut self, t: Throw) -> SliceEnd {
        if let Throw::Limit = t {
            return SliceEnd::Limit;
        }
        match self.rt.exception_object(t) {
            Ok(id) => SliceEnd::Died(Value::Obj(id)),
            Err(_) => SliceEnd::Died(Value::ExcType(ExcKind::MemoryError)),
        }
    }

    /// Finds a handler for `t` raised at the current instruction of the top frame, popping
    /// frames as needed (and recording traceback entries). `Ok` when a handler was found and
    /// the top frame now points at it; `Err(exception)` when it escaped the thread.
    fn unwind(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
        t: Throw,
        reraise: bool,
    ) -> Result<(), Value> {
        let mut exc = match self.rt.exception_object(t) {
            Ok(id) => id,
            Err(_) => match self.rt.exception_object(Throw::memory()) {
                Ok(id) => id,
                Err(_) => return Err(Value::ExcType(ExcKind::MemoryError)),
            },
        };
        let tid = self.current as usize;
        let handled = self.threads[tid].exc_info;
        let mut add_entry = !reraise;
        if let Obj::Exception(e) = self.rt.heap.get_mut(exc) {
            if e.context.is_none() && handled != Value::Obj(exc) && handled != Value::None {
                e.context = Some(handled);
            }
        }
        while let Some(fr) = frames.last_mut() {
            let index = fr.pc.saturating_sub(1);
            if add_entry {
                if let Obj::Exception(e) = self.rt.heap.get_mut(exc) {
                    e.traceback.push(TbEntry {
                        code: fr.code,
                        pc: index,
                    });
                }
            }
            add_entry = true;
            let code = &self.prog.codes[fr.code as usize];
            if let Some(h) = code
                .exception_table
                .iter()
                .find(|h| h.start <= index && index < h.end)
            {
                let depth = fr.base as usize + code.nlocalsplus() + h.depth as usize;
                stack.truncate(depth);
                if h.lasti {
                    stack.push(Value::Int(index as i64));
                }
                stack.push(Value::Obj(exc));
                fr.pc = h.target;
                return Ok(());
            }
            let base = fr.base as usize;
            let func = fr.func;
            frames.pop();
            stack.truncate(base);
            // An exception left a generator's frame: it is closed (`vm::generator`).
            if let Value::Obj(g) = func {
                if let Obj::Generator(_) = self.rt.heap.get(g) {
                    match self.gen_unwound(g, exc, stack) {
                        None if !frames.is_empty() => return Ok(()),
                        None => return Err(Value::None),
                        Some(e) => exc = e,
                    }
                }
            }
            // A `__next__` called by `FOR_ITER` (or `next(it, default)`) raised StopIteration.
            if !frames.is_empty() && self.stop_iteration(func, exc, stack, frames) {
                return Ok(());
            }
        }
        Err(Value::Obj(exc))
    }

    /// `CHECK_EXC_MATCH`: does exception `exc` match `typ` (a class or a tuple of classes)?
    /// Out of line: `hot` runs it too, and its loop keeps its registers better without it.
    #[inline(never)]
    fn exception_matches(&self, exc: Value, typ: Value) -> PyResult<bool> {
        let kind = match exc {
            Value::Obj(id) => match self.rt.heap.get(id) {
                Obj::Exception(e) => e.kind,
                _ => return Ok(false),
            },
            _ => return Ok(false),
        };
        match typ {
            Value::ExcType(k) => Ok(kind.is_subclass_of(k)),
            Value::Obj(id) => match self.rt.heap.get(id) {
                Obj::Class(c) if c.builtin_base.is_some() => {
                    Ok(crate::vm::classes::class_of(&self.rt, exc)
                        .is_some_and(|ec| crate::vm::classes::is_subclass(&self.rt, ec, typ)))
                }
                Obj::Tuple(items) => {
                    for t in items.clone() {
                        if self.exception_matches(exc, t)? {
                            return Ok(true);
                        }
                    }
                    Ok(false)
                }
                _ => Err(catch_type_error()),
            },
            _ => Err(catch_type_error()),
        }
    }

    /// `raise C` of an exception class with its own `__init__`: CPython calls the class, so
    /// `C()` runs as a frame whose `InitCall` marker raises the instance when it returns.
    /// `None` for any other operand.
    fn raise_new_instance(
        &mut self,
        stack: &mut Vec<Value>,
        frames: &mut crate::vm::thread::Frames,
        exc: Value,
        cause: Option<Value>,
    ) -> Option<Flow> {
        let Value::Obj(cls) = exc else { return None };
        if !matches!(self.rt.heap.get(cls), Obj::Class(_)) {
            return None;
        }
        crate::vm::classes::class_lookup(&self.rt, cls, self.rt.dunders.init)?;
        let callee_at = stack.len();
        stack.push(exc);
        let depth = frames.len();
        Some(match self.do_call(stack, frames, callee_at, &[]) {
            Ok(CallDone::Frame) if frames.len() > depth => {
                if let Some(fr) = frames.last() {
                    if let Value::Obj(m) = fr.func {
                        if let Obj::InitCall { raise_it, .. } = self.rt.heap.get_mut(m) {
                            *raise_it = Some(cause);
                        }
                    }
                }
                Flow::Frame
            }
            Ok(CallDone::Blocked) => Flow::End(SliceEnd::Blocked),
            Ok(_) => {
                let inst = stack.pop().unwrap_or(Value::None);
                Flow::Raise(match self.make_raisable(inst, cause) {
                    Ok(t) | Err(t) => t,
                })
            }
            Err(e) => Flow::Raise(to_throw(e)),
        })
    }

    /// Turns the operand of `raise` into the exception to throw.
    fn make_raisable(&mut self, exc: Value, cause: Option<Value>) -> PyResult<Throw> {
        let id = match exc {
            Value::ExcType(kind) => self
                .rt
                .exception_object(Throw::NewArgs { kind, args: vec![] })?,
            Value::Obj(id) if matches!(self.rt.heap.get(id), Obj::Exception(_)) => id,
            Value::Obj(id) if matches!(self.rt.heap.get(id), Obj::Class(_)) => {
                self.raise_class(id)?
            }
            _ => {
                return Err(Throw::type_error(
                    "exceptions must derive from BaseException",
                ));
            }
        };
        if let Some(c) = cause {
            let c = match c {
                Value::ExcType(kind) => Value::Obj(
                    self.rt
                        .exception_object(Throw::NewArgs { kind, args: vec![] })?,
                ),
                Value::None => Value::None,
                Value::Obj(cid) if matches!(self.rt.heap.get(cid), Obj::Exception(_)) => c,
                _ => {
                    return Err(Throw::type_error(
                        "exception causes must derive from BaseException",
                    ))
                }
            };
            if let Obj::Exception(e) = self.rt.heap.get_mut(id) {
                e.cause = Some(c);
            }
        }
        Ok(Throw::Obj(id))
    }

    /// Appends to a list (LIST_APPEND), charging the heap for the capacity it grows by.
    fn list_append(&mut self, list: Value, v: Value) -> PyResult<()> {
        match list {
            Value::Obj(l) => ops::list_push(&mut self.rt, l, v),
            _ => Ok(()),
        }
    }

    /// Creates an exception object of `kind` with no message (used by `raise ValueError`).
    pub fn new_exception(&mut self, kind: ExcKind, args: &[Value]) -> PyResult<Value> {
        Ok(Value::Obj(self.rt.heap.alloc(Obj::Exception(Box::new(
            ExcObj {
                kind,
                args: crate::vm::heap::ExcArgs::from_slice(args),
                traceback: Default::default(),
                cause: None,
                context: None,
                class: None,
                attrs: Default::default(),
            },
        )))?))
    }

    /// Puts a woken thread's blocking-call result on its stack.
    pub fn deliver_wake_value(&mut self, tid: u32) {
        let t = &mut self.threads[tid as usize];
        let v = std::mem::replace(&mut t.wake_value, Value::None);
        if !t.frames.is_empty() && t.wake_throw.is_none() {
            t.stack.push(v);
        }
        t.state = ThreadState::Runnable;
    }
}

/// `BINARY_OP` on two ints for the operators the hot loop handles inline (`+`, `-`, `+=`,
/// `-=`); `None` for any other operator or on overflow (the generic path then raises).
#[inline(always)]
fn int_add_sub(arg: u32, x: i64, y: i64) -> Option<i64> {
    match arg {
        0 | 13 => x.checked_add(y),
        10 | 23 => x.checked_sub(y),
        _ => None,
    }
}

/// Any error an instruction can hit, as the exception it raises.
#[inline]
fn to_throw<E: Into<Throw>>(e: E) -> Throw {
    e.into()
}

fn unbound_local(name: &str) -> Throw {
    Throw::new(
        ExcKind::UnboundLocalError,
        format!("cannot access local variable '{name}' where it is not associated with a value"),
    )
}

fn unbound_deref(code: &crate::bytecode::CodeObject, slot: usize) -> Throw {
    let name = code.localsplus_name(slot);
    if slot >= code.varnames.len() + code.cellvars.len() {
        Throw::new(
            ExcKind::NameError,
            format!("cannot access free variable '{name}' where it is not associated with a value in enclosing scope"),
        )
    } else {
        unbound_local(name)
    }
}

#[cold]
fn stack_overflow() -> Throw {
    Throw::new(
        ExcKind::RuntimeError,
        "gilvm internal error: value stack overflow (wrong stacksize)".to_string(),
    )
}

/// The `NameError` of loading a global that resolved to nothing (not even a built-in): it
/// says so when the name is a Python built-in gilvm does not provide.
#[cold]
fn name_error(name: &str) -> Throw {
    Throw::new(
        ExcKind::NameError,
        crate::vm::pynames::name_not_defined(name),
    )
}

fn catch_type_error() -> Throw {
    Throw::type_error("catching classes that do not inherit from BaseException is not allowed")
}

/// What a call made for an instruction means for the interpreter.
fn flow_of(r: PyResult<CallDone>) -> Flow {
    match r {
        Ok(CallDone::Value) => Flow::Next,
        Ok(CallDone::Frame) => Flow::Frame,
        Ok(CallDone::Blocked) => Flow::End(SliceEnd::Blocked),
        Err(e) => Flow::Raise(e),
    }
}

fn no_context_manager(rt: &crate::vm::Rt, v: Value) -> Throw {
    Throw::type_error(format!(
        "'{}' object does not support the context manager protocol",
        ops::type_name(rt, v)
    ))
}

/// `s[dst] = s[src]` as one 16-byte copy. Both indexes are checked (the checks fold into the
/// caller's own when it made them). A `Value` read into a local whose tag is then tested is
/// split by LLVM into its tag byte and two overlapping words and copied through a stack
/// temporary; a slot-to-slot copy is one load and one store.
#[inline(always)]
fn copy_slot(s: &mut [Value], src: usize, dst: usize) {
    assert!(src < s.len() && dst < s.len());
    // SAFETY: both indexes are inside `s` (asserted above); `ptr::copy` allows `src == dst`.
    unsafe {
        let p = s.as_mut_ptr();
        std::ptr::copy(p.add(src), p.add(dst), 1);
    }
}

/// prop: the attribute instruction before `pc` that `hot` sent back with `Throw::Accessor`
/// or `Throw::Slow`, and how many operands it had popped (still at `stack[sp..]`).
#[cold]
fn attr_popped(code: &CodeObject, pc: usize) -> (Instr, usize) {
    let ins = code.instrs[pc - 1];
    let popped = match ins.op {
        Opcode::STORE_ATTR => 2,
        _ => 1,
    };
    (ins, popped)
}
