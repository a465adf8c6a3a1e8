//! GIL models: where each CPython version can switch threads, and when it asks to.
//!
//! Design note. A model answers two questions (DESIGN.md §4.3, research/cpython-gil.md):
//!
//! - *When is a switch requested?* `any` and `nogil`: after a seeded random quantum of
//!   instructions. `py27`: every `check_interval` "ticks", a tick being the boundary after a
//!   non-fast opcode (CPython 2.7's `_Py_Ticker`); the GIL is released and re-taken, and the
//!   seed decides who wins, the releasing thread included. `py39` and `py311`: after the switch
//!   interval of *virtual time* (5 ms by default), i.e. `interval / ns_per_instr` instructions
//!   with ±25% jitter ([`TIME_JITTER_PERCENT`]) — the "drop request" a waiting thread sets.
//! - *Where may it happen?* `any`/`nogil`: at every instruction boundary. `py39`: at the
//!   boundary after any opcode except CPython 3.9's FAST_DISPATCH ones, and never right before
//!   a `with` (SETUP_WITH). `py311`: only after `RESUME` (function entry), a taken backward jump,
//!   and a call that returned (CPython 3.10–3.13's eval-breaker sites). A requested switch waits
//!   for the next such boundary.
//!
//! Our bytecode is CPython 3.11's, so the 2.7 and 3.9 opcode lists are mapped onto it:
//! `COPY`/`SWAP` stand for `DUP_TOP`/`ROT_*`, `RESUME` for nothing (a no-op, fast), `BEFORE_WITH`
//! for `SETUP_WITH`, `JUMP_BACKWARD` for `JUMP_ABSOLUTE` (not fast), and the conditional jumps are
//! taken as fast (CPython's exact-bool fast path, which a comparison's result always takes).
//!
//! Calibration: virtual ns per instruction make the seed's 100,000-iteration loop take about as
//! long as on CPython here (research/cpython-gil.md §6.7: 3.9 4.41 ms, 3.11 3.04 ms, 3.13
//! 4.27 ms per 100k iterations of 7 bytecodes; 2.7 measured ≈1.3× 3.11 on this machine).

use crate::bytecode::Opcode;

/// How far a time model's turn may fall from the switch interval, in percent either way: a
/// turn lasts `interval ± 25%` of virtual time.
///
/// Why so wide. In CPython the drop request comes from a *waiting* thread's timed wait, and
/// when that wait began is not when the running thread's turn began: thread start-up
/// (`start()` waits for the new thread to signal it has started) and exit hand the GIL back
/// and forth, and the OS wakes threads late. Measured on this machine (4 threads × 10⁵
/// iterations, per-thread loop start/end times): on 3.11 a thread whose loop takes 4.2 ms —
/// well under 5 ms — was still preempted mid-loop in 3 of 6 runs, and the loss frequencies of
/// the two loops that take 4.2–4.4 ms (the plain counter on 3.9, `counter = counter + one()`
/// on 3.11) range from 0/10 to 8/10 runs with machine load (docs/fidelity.md). ±10% (the
/// first calibration) made gilvm answer "never" for both, which CPython contradicts; ±25% lets
/// a loop within ≈20% of the interval be preempted in some seeds, as CPython's is in some runs,
/// and keeps loops far from it (10⁶ iterations: always; a short `make()`: never) unchanged.
pub const TIME_JITTER_PERCENT: u64 = 25;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GilModel {
    /// The textbook model: a switch may happen between any two instructions.
    Any,
    /// CPython 2.7: check interval of 100 ticks, release and re-acquire.
    Py27,
    /// CPython 3.2–3.9: time-based drop request, checked after most opcodes.
    Py39,
    /// CPython 3.10–3.13: drop request honoured at function entry, back-edges and after calls.
    Py311,
    /// Free-threaded CPython 3.13t: threads run in parallel, interleaving at every instruction.
    Nogil,
}

/// How a model measures its switch interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntervalUnit {
    /// A mean number of instructions (`any`, `nogil`).
    Instructions,
    /// A number of ticks (`py27`'s check interval).
    Ticks,
    /// Virtual nanoseconds (`py39`, `py311`).
    Nanos,
}

/// See [`GilModel::lock_wake_latency_ns`].
pub const LOCK_WAKE_LATENCY_NS: u64 = 1_500;

impl GilModel {
    pub const ALL: [GilModel; 5] = [
        GilModel::Any,
        GilModel::Py27,
        GilModel::Py39,
        GilModel::Py311,
        GilModel::Nogil,
    ];

    pub fn name(self) -> &'static str {
        match self {
            GilModel::Any => "any",
            GilModel::Py27 => "py27",
            GilModel::Py39 => "py39",
            GilModel::Py311 => "py311",
            GilModel::Nogil => "nogil",
        }
    }

    pub fn from_name(s: &str) -> Option<GilModel> {
        GilModel::ALL.iter().copied().find(|m| m.name() == s)
    }

    pub fn unit(self) -> IntervalUnit {
        match self {
            GilModel::Any | GilModel::Nogil => IntervalUnit::Instructions,
            GilModel::Py27 => IntervalUnit::Ticks,
            GilModel::Py39 | GilModel::Py311 => IntervalUnit::Nanos,
        }
    }

    /// The default `--switch-interval`, in the model's unit.
    pub fn default_interval(self) -> u64 {
        match self {
            GilModel::Any => 100,
            GilModel::Nogil => 2,
            GilModel::Py27 => 100,
            GilModel::Py39 | GilModel::Py311 => 5_000_000,
        }
    }

    /// Virtual nanoseconds per instruction (see the calibration note above).
    pub fn ns_per_instr(self) -> u64 {
        match self {
            GilModel::Any | GilModel::Py311 => 4,
            GilModel::Py27 | GilModel::Py39 | GilModel::Nogil => 6,
        }
    }

    /// How long (virtual ns) a thread blocked on a lock takes to wake up when the lock is
    /// released, for the models of CPython up to 3.10, where the woken thread takes the lock's
    /// semaphore itself, without the GIL, if the lock is free at that moment — so the threads
    /// of a loop around `with lock:` alternate every few dozen iterations (2.7–3.10: mean runs
    /// of 34–44 increments, docs/fidelity.md). `None` for the others: from 3.11 on the thread
    /// holding the GIL wins ("barging"; the waiter is woken at the end of the releaser's turn,
    /// `sync/lock.rs`). Calibrated on that measurement: gilvm `py39` and `py27` give mean runs
    /// of the same order.
    pub fn lock_wake_latency_ns(self) -> Option<u64> {
        match self {
            GilModel::Py27 | GilModel::Py39 => Some(LOCK_WAKE_LATENCY_NS),
            GilModel::Py311 | GilModel::Any | GilModel::Nogil => None,
        }
    }

    /// Whether a requested switch must wait for an eligible boundary (checked by the driver).
    pub fn has_switch_points(self) -> bool {
        matches!(self, GilModel::Py39 | GilModel::Py311)
    }

    /// Whether the thread that loses the GIL may win it straight back (py27 releases and
    /// re-acquires with no hand-off guarantee; the others force a switch when anyone waits).
    pub fn may_reacquire(self) -> bool {
        self == GilModel::Py27
    }

    /// Human description of the interval for the summary.
    pub fn describe_interval(self, interval: u64) -> String {
        match self.unit() {
            IntervalUnit::Instructions => format!("mean quantum {interval} instructions"),
            IntervalUnit::Ticks => format!("check interval {interval} ticks"),
            IntervalUnit::Nanos => format!("switch interval {}", format_duration(interval)),
        }
    }
}

/// The GIL model's parameters for one run: the one place they live. The driver owns them
/// (`Vm::gil`); the strategy reads them when it sizes a turn; `sys.setswitchinterval()` and
/// `sys.setcheckinterval()` write them through [`GilParams::set_switch_interval`] and
/// [`GilParams::set_check_interval`], with the semantics of the CPython the model stands for.
#[derive(Clone, Debug)]
pub struct GilParams {
    pub model: GilModel,
    /// The switch interval in the model's unit (instructions, ticks or virtual ns).
    pub interval: u64,
    /// Virtual ns per instruction, to turn a time interval into instructions.
    pub ns_per_instr: u64,
    /// `sys.getswitchinterval()`, in seconds.
    pub switch_interval_seconds: f64,
    /// py27: `sys.setcheckinterval()`, ticks between releases.
    pub check_interval: u64,
    /// py27: ticks left before the GIL is released (CPython 2.7's `_Py_Ticker`).
    pub ticks: u64,
}

impl GilParams {
    pub fn new(model: GilModel, interval: u64, ns_per_instr: u64) -> GilParams {
        let switch_interval_seconds = match model.unit() {
            IntervalUnit::Nanos => interval as f64 / 1e9,
            _ => 0.005,
        };
        GilParams {
            model,
            interval: interval.max(1),
            ns_per_instr: ns_per_instr.max(1),
            switch_interval_seconds,
            check_interval: interval,
            ticks: interval,
        }
    }

    /// Whether the interpreter counts py27's ticks.
    #[inline]
    pub fn counts_ticks(&self) -> bool {
        self.model == GilModel::Py27
    }

    /// `sys.setswitchinterval(seconds)` (already checked to be positive).
    pub fn set_switch_interval(&mut self, seconds: f64) {
        self.switch_interval_seconds = seconds;
        let ns = (seconds * 1e9).clamp(1.0, 1e15) as u64;
        match self.model.unit() {
            IntervalUnit::Nanos => self.interval = ns,
            // The textbook model turns the time into a mean count of instructions;
            // free-threading has no GIL to hand over, so the interval does not matter.
            IntervalUnit::Instructions if self.model == GilModel::Any => {
                self.interval = (ns / self.ns_per_instr).max(1)
            }
            _ => {}
        }
    }

    /// `sys.setcheckinterval(n)`: py27's ticks between releases; the textbook model takes it
    /// as its mean quantum.
    pub fn set_check_interval(&mut self, n: u64) {
        let n = n.max(1);
        if self.model == GilModel::Py27 {
            self.check_interval = n;
            self.ticks = self.ticks.min(n);
        } else {
            self.interval = n;
        }
    }

    /// Whether `sys.setcheckinterval` exists in the Python this model stands for (2.7, and
    /// the textbook model, which accepts both).
    pub fn has_check_interval(&self) -> bool {
        matches!(self.model, GilModel::Py27 | GilModel::Any)
    }

    /// Whether `sys.setswitchinterval` exists (3.2 and later).
    pub fn has_switch_interval(&self) -> bool {
        self.model != GilModel::Py27
    }
}

/// CPython 2.7's "fast" opcodes (they `goto fast_next_opcode` and skip the tick), mapped onto
/// our instruction set.
pub fn py27_fast(op: Opcode) -> bool {
    use Opcode::*;
    matches!(
        op,
        NOP | RESUME
            | LOAD_FAST
            | LOAD_CONST
            | STORE_FAST
            | POP_TOP
            | COPY
            | SWAP
            | JUMP_FORWARD
            | POP_JUMP_FORWARD_IF_FALSE
            | POP_JUMP_FORWARD_IF_TRUE
            | POP_JUMP_BACKWARD_IF_FALSE
            | POP_JUMP_BACKWARD_IF_TRUE
            | POP_JUMP_BACKWARD_IF_NONE
            | POP_JUMP_BACKWARD_IF_NOT_NONE
            | JUMP_IF_FALSE_OR_POP
            | JUMP_IF_TRUE_OR_POP
    )
}

/// CPython 3.9's FAST_DISPATCH opcodes (no eval-breaker check after them), mapped onto ours.
pub fn py39_fast(op: Opcode) -> bool {
    use Opcode::*;
    matches!(
        op,
        NOP | RESUME
            | LOAD_FAST
            | LOAD_CONST
            | STORE_FAST
            | POP_TOP
            | COPY
            | SWAP
            | IS_OP
            | CONTAINS_OP
            | JUMP_FORWARD
            | POP_JUMP_FORWARD_IF_FALSE
            | POP_JUMP_FORWARD_IF_TRUE
            | POP_JUMP_BACKWARD_IF_FALSE
            | POP_JUMP_BACKWARD_IF_TRUE
            | POP_JUMP_BACKWARD_IF_NONE
            | POP_JUMP_BACKWARD_IF_NOT_NONE
            | JUMP_IF_FALSE_OR_POP
            | JUMP_IF_TRUE_OR_POP
            | LOAD_ASSERTION_ERROR
    )
}

/// One executed instruction, as the driver sees it when it steps to a switch point.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    pub op: Opcode,
    /// Its index, and the frame depth it ran at.
    pub pc: u32,
    pub depth: usize,
    /// Where the thread is after it: next index, frame depth, and the next opcode.
    pub next_pc: u32,
    pub next_depth: usize,
    pub next_op: Option<Opcode>,
}

/// Whether the boundary after `s` is a switch point of `model`.
pub fn is_switch_point(model: GilModel, s: &Step) -> bool {
    use Opcode::*;
    match model {
        GilModel::Any | GilModel::Nogil => true,
        // Where 2.7's ticker can run out: after an opcode that counts a tick. (The driver
        // does not step py27 to switch points — its ticks end a turn in the interpreter — but
        // a turn measured in switch points, `Length::SwitchPoints`, uses this.)
        GilModel::Py27 => !py27_fast(s.op),
        GilModel::Py39 => !py39_fast(s.op) && s.next_op != Some(BEFORE_WITH),
        GilModel::Py311 => match s.op {
            // 3.11's RESUME checks the eval breaker only for oparg < 2: at a function's start
            // (0) and after a `yield` (1), not in `yield from`'s loop (`RESUME 2`, always
            // followed by its `JUMP_BACKWARD_NO_INTERRUPT`, which does not check either).
            RESUME => s.next_op != Some(JUMP_BACKWARD_NO_INTERRUPT),
            JUMP_BACKWARD => true,
            POP_JUMP_BACKWARD_IF_FALSE
            | POP_JUMP_BACKWARD_IF_TRUE
            | POP_JUMP_BACKWARD_IF_NONE
            | POP_JUMP_BACKWARD_IF_NOT_NONE => s.next_depth == s.depth && s.next_pc <= s.pc,
            // After a call that returned here (not one that entered a Python frame, whose
            // RESUME is the check).
            CALL | CALL_FUNCTION_EX => s.next_depth == s.depth,
            _ => false,
        },
    }
}

/// Whether an instruction is, by itself, a possible switch point of `model` (for `dis`).
pub fn marks_switch_point(model: GilModel, op: Opcode) -> bool {
    use Opcode::*;
    match model {
        GilModel::Any | GilModel::Nogil => true,
        GilModel::Py27 => !py27_fast(op),
        GilModel::Py39 => !py39_fast(op),
        GilModel::Py311 => matches!(
            op,
            RESUME
                | JUMP_BACKWARD
                | POP_JUMP_BACKWARD_IF_FALSE
                | POP_JUMP_BACKWARD_IF_TRUE
                | POP_JUMP_BACKWARD_IF_NONE
                | POP_JUMP_BACKWARD_IF_NOT_NONE
                | CALL
                | CALL_FUNCTION_EX
        ),
    }
}

/// Parses a `--switch-interval` value for `model`: a count, or for the time-based models a
/// duration (`5ms`, `1us`, `250ns`, `0.5s`; a bare number means seconds, like
/// `sys.setswitchinterval`).
pub fn parse_interval(model: GilModel, s: &str) -> Result<u64, String> {
    let s = s.trim();
    match model.unit() {
        IntervalUnit::Instructions | IntervalUnit::Ticks => {
            s.parse::<u64>().ok().filter(|&n| n > 0).ok_or_else(|| {
                format!(
                    "--switch-interval for --gil {} is a positive instruction count, not `{s}`",
                    model.name()
                )
            })
        }
        IntervalUnit::Nanos => {
            let unit = [
                ("ns", 1.0),
                ("us", 1e3),
                ("µs", 1e3),
                ("ms", 1e6),
                ("s", 1e9),
            ]
            .iter()
            .find_map(|(suffix, scale)| s.strip_suffix(suffix).map(|n| (n, *scale)));
            let (num, scale) = unit.unwrap_or((s, 1e9));
            let v: f64 = num.trim().parse().map_err(|_| {
                format!(
                    "--switch-interval for --gil {} is a duration like 5ms or 1us, not `{s}`",
                    model.name()
                )
            })?;
            let ns = v * scale;
            if !(1.0..1e15).contains(&ns) {
                // A bare number is seconds; someone typing `5000000` most likely meant ns.
                let hint = if unit.is_none() {
                    "; a number without a unit is seconds, as in sys.setswitchinterval: \
                     write 5ms, 50us or 250ns"
                } else {
                    ""
                };
                return Err(format!(
                    "--switch-interval `{s}` is out of range (1ns to 11 days){hint}"
                ));
            }
            Ok(ns as u64)
        }
    }
}

/// `5 ms`, `1 µs`, `250 ns`.
pub fn format_duration(ns: u64) -> String {
    if ns >= 1_000_000_000 && ns.is_multiple_of(1_000_000) {
        format!("{} s", ns as f64 / 1e9)
    } else if ns >= 1_000_000 && ns.is_multiple_of(1_000) {
        format!("{} ms", ns as f64 / 1e6)
    } else if ns >= 1_000 {
        format!("{} µs", ns as f64 / 1e3)
    } else {
        format!("{ns} ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_parsing() {
        assert_eq!(parse_interval(GilModel::Py39, "5ms"), Ok(5_000_000));
        assert_eq!(parse_interval(GilModel::Py311, "1us"), Ok(1_000));
        assert_eq!(parse_interval(GilModel::Py311, "0.005"), Ok(5_000_000));
        assert!(parse_interval(GilModel::Py311, "fast").is_err());
        let e = parse_interval(GilModel::Py39, "5000000").unwrap_err();
        assert!(
            e.contains("without a unit is seconds") && e.contains("5ms"),
            "{e}"
        );
        let e = parse_interval(GilModel::Py39, "0ns").unwrap_err();
        assert!(!e.contains("without a unit"), "{e}");
        assert_eq!(parse_interval(GilModel::Any, "7"), Ok(7));
        assert!(parse_interval(GilModel::Any, "5ms").is_err());
        assert!(parse_interval(GilModel::Any, "0").is_err());
    }

    #[test]
    fn py311_switches_only_at_eval_breaker_sites() {
        let step = |op, pc, next_pc, depth, next_depth| Step {
            op,
            pc,
            depth,
            next_pc,
            next_depth,
            next_op: None,
        };
        let m = GilModel::Py311;
        assert!(!is_switch_point(m, &step(Opcode::LOAD_GLOBAL, 3, 4, 1, 1)));
        assert!(!is_switch_point(m, &step(Opcode::BINARY_OP, 5, 6, 1, 1)));
        assert!(is_switch_point(m, &step(Opcode::JUMP_BACKWARD, 8, 2, 1, 1)));
        assert!(is_switch_point(m, &step(Opcode::CALL, 8, 9, 1, 1)));
        assert!(!is_switch_point(m, &step(Opcode::CALL, 8, 0, 1, 2)));
        assert!(is_switch_point(
            m,
            &step(Opcode::POP_JUMP_BACKWARD_IF_TRUE, 8, 2, 1, 1)
        ));
        assert!(!is_switch_point(
            m,
            &step(Opcode::POP_JUMP_BACKWARD_IF_TRUE, 8, 9, 1, 1)
        ));
    }

    #[test]
    fn py39_never_switches_after_fast_opcodes_or_before_with() {
        let s = |op, next_op| Step {
            op,
            pc: 0,
            depth: 1,
            next_pc: 1,
            next_depth: 1,
            next_op,
        };
        let m = GilModel::Py39;
        assert!(!is_switch_point(m, &s(Opcode::LOAD_CONST, None)));
        assert!(is_switch_point(m, &s(Opcode::BINARY_OP, None)));
        assert!(!is_switch_point(
            m,
            &s(Opcode::LOAD_GLOBAL, Some(Opcode::BEFORE_WITH))
        ));
    }
}
