//! The `Vm` struct: everything a run owns, and how it is set up from a linked program image
//! (`prelude::Image`).

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::bytecode::{Const, Program};
use crate::vm::gil::{GilModel, GilParams};
use crate::vm::heap::Obj;
use crate::vm::lost::{LocKey, LocMeta, LostEvent, ReadLog};
use crate::vm::natives::AttrSym;
use crate::vm::prelude::{LocalImage, Prelude};
use crate::vm::scheduler::{Plan, Random, Recording, Replay, Scheduler, Strategy};
use crate::vm::sync::Site;
use crate::vm::thread::Tid;
use crate::vm::thread::{Frame, Thread};
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt};

/// Everything that shapes a run. Same config + same program ⇒ same run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub seed: u64,
    pub model: GilModel,
    /// The switch interval in the model's unit (see `gil.rs`).
    pub switch_interval: u64,
    /// Stop with exit status 5 after this many instructions.
    pub max_steps: u64,
    /// Virtual nanoseconds per instruction.
    pub ns_per_instr: u64,
    /// Heap budget in bytes before `MemoryError` (`--max-memory`).
    pub heap_limit: usize,
    /// Python's `sys.getrecursionlimit()`: frames per thread before `RecursionError`.
    pub recursion_limit: usize,
    /// Record the schedule (turns and waiter choices).
    pub record: bool,
    /// A schedule to replay.
    pub plan: Option<Plan>,
    /// Attach the data-race detector (`--races`, `vm/races.rs`).
    pub races: bool,
    /// `sys.argv`: the program's file as given, then its arguments (empty: `['']`).
    pub argv: Vec<String>,
}

impl Default for RunConfig {
    fn default() -> RunConfig {
        RunConfig {
            seed: 0,
            model: GilModel::Any,
            switch_interval: 100,
            max_steps: DEFAULT_MAX_STEPS,
            ns_per_instr: DEFAULT_NS_PER_INSTR,
            heap_limit: DEFAULT_HEAP_LIMIT,
            recursion_limit: 1000,
            record: false,
            plan: None,
            races: false,
            argv: Vec::new(),
        }
    }
}

/// Default `--max-steps`: two billion instructions, a few seconds of gilvm time.
pub const DEFAULT_MAX_STEPS: u64 = 2_000_000_000;
/// Default virtual cost of one instruction: CPython 3.11 runs the seed's counter loop at
/// ≈4.3 ns per bytecode on this kind of machine (3.04 ms per 100,000 iterations of 7).
pub const DEFAULT_NS_PER_INSTR: u64 = 4;
/// Default heap budget (`--max-memory`): 1 GiB of object size. Lists, tuples, strings and dicts
/// count their real capacity; with the interpreter and a transient copy of the biggest object
/// on top, a run stays under a 2 GB address-space limit and leaves a small machine usable.
pub const DEFAULT_HEAP_LIMIT: usize = 1 << 30;

/// Totals of the lost-update detector for one location.
#[derive(Clone, Copy, Debug, Default)]
pub struct LostTotals {
    /// Updates erased, net (see `lost.rs`): for a counter, exactly the missing increments.
    pub erased: i64,
    /// Stores that erased at least one update.
    pub events: u64,
}

/// A module global: its value (`Undef` when unset) and the lost-update detector's state.
#[derive(Clone, Copy, Debug)]
pub struct Global {
    pub value: Value,
    pub meta: LocMeta,
}

impl Default for Global {
    fn default() -> Global {
        Global {
            value: Value::Undef,
            meta: LocMeta::default(),
        }
    }
}

pub struct Vm {
    pub rt: Rt,
    pub prog: Rc<Program>,
    /// Constants of each code object, materialised on the heap once.
    pub consts: Rc<Vec<Vec<Value>>>,
    /// The attribute symbol of each entry of the name table, if it is one gilvm knows.
    pub attr_of: Rc<Vec<Option<AttrSym>>>,
    /// Module globals, indexed by name id, each beside its lost-update bookkeeping (one
    /// bounds check and one cache line for both in `LOAD_GLOBAL`/`STORE_GLOBAL`).
    pub globals: Vec<Global>,
    /// Built-in value of each name id (`Undef` if none): consulted when a global is unset.
    pub builtins: Vec<Value>,
    pub threads: Vec<Thread>,
    pub sched: Scheduler,
    /// The run loop's state between turns (`driver.rs`).
    pub drive: crate::vm::driver::DriveState,
    /// The GIL model's live parameters (`sys.setswitchinterval` writes them).
    pub gil: GilParams,
    pub config: RunConfig,
    /// The thread holding the GIL.
    pub current: Tid,
    /// Instructions executed by all threads before the current slice.
    pub steps: u64,
    /// Instructions executed so far in the current slice (kept up to date before calls into
    /// built-ins, so that `time.time()` sees the right virtual time).
    pub slice_steps: u64,
    /// Virtual time in ns at the start of the current slice.
    pub clock_ns: u64,
    /// GIL hand-overs between different threads.
    pub switches: u64,
    pub lost: BTreeMap<LocKey, LostTotals>,
    /// The first lost updates, for the summary's explanation.
    pub lost_events: Vec<LostEvent>,
    /// Each thread's recent reads (the lost-update detector's per-thread state), by thread id,
    /// grown on a thread's first slice. Kept apart from `threads` so a slice moves the whole
    /// table out and back (three words) instead of copying a 320-byte log in and out:
    /// ≈280 x86 instructions per thread switch under callgrind.
    pub read_logs: Vec<ReadLog>,
    /// The check-then-act detector's state (`cta.rs`).
    pub cta: crate::vm::cta::CtaState,
    /// Per thread, where its turn after a wake-up will read first, noted when it blocked
    /// (see `Vm::prefetch_turn`).
    pub turn_hints: Vec<TurnHint>,
    /// Locks released during the current turn while threads waited on them: one of their
    /// waiters is woken when the turn ends (`Vm::wake_released_locks`).
    pub released_locks: Vec<crate::vm::value::ObjId>,
    /// Set by an instruction that armed a timer inside the running slice (a lock waiter's
    /// wake-up under py27/py39): the slice must end after this many more instructions, when
    /// the timer falls due, as it would in tracing's one-instruction slices.
    pub slice_cap: Option<u64>,
    /// Where the name `threading.Thread` objects get their `Thread-N` numbers.
    pub thread_counter: u64,
    /// Lost-update bookkeeping for list slots and dict keys.
    pub items: crate::vm::items::ItemTable,
    /// Where the prelude's functions are.
    pub prelude: Prelude,
    /// The program instruction that made the current call into a built-in (kept by the
    /// interpreter at every call; the current thread's frames are not in `threads` meanwhile).
    pub call_site: Site,
    /// An attached tracer (`gilvm trace`): when set, the driver runs in step mode and reports
    /// to it (see `trace/hook.rs`). `None` costs the run nothing.
    pub tracer: Option<Box<dyn crate::vm::observe::Observer>>,
    /// `gilvm explore`'s record of the current step's touches (`vm/explore_step.rs`), filled
    /// by the driver in [`crate::vm::scheduler::Length::Step`] turns. `None` outside explore.
    pub step_touches: Option<Box<crate::vm::explore_step::StepTouches>>,
    /// The tracer once it is done (closed output, `--limit`), kept to finish its output.
    pub finished_tracer: Option<Box<dyn crate::vm::observe::Observer>>,
    /// The data-race detector (`--races`, `vm/races.rs`). `None` runs the interpreter's copy
    /// of the hot loop without its checks.
    pub races: Option<Box<crate::vm::races::RaceDetector>>,
    /// Threads an uncaught exception ended (not the main thread), in the order they died.
    pub crashes: Vec<crate::vm::crash::Crash>,
    /// stdlib: the Python-written modules linked in, and which of them have been imported
    /// (bit `i` for `py_modules[i]`: its body ran, or is running).
    pub py_modules: Rc<Vec<crate::vm::pymodules::LinkedModule>>,
    pub modules_loaded: u64,
    /// stdlib: `threading._register_atexit`'s functions, run by the main thread when it
    /// ends, last registered first, before the interpreter waits for the other threads
    /// (CPython's `threading._shutdown`).
    pub atexit: Vec<Value>,
    /// stdlib2: the threads that called the program's `threading.excepthook` (once each).
    pub excepthook_ran: Vec<crate::vm::thread::Tid>,
    /// stdlib: what the program wrote to stderr during the turn (`logging`), written out by
    /// the driver when the turn ends.
    pub stderr_buf: String,
    /// explore: where the heap stood when the VM was made, for the next VM of the same image
    /// to start from (`vm/vm_reuse.rs`).
    pub reuse: crate::vm::vm_reuse::ReuseMark,
    /// mcache: the caches of `LOAD_ATTR`/`LOAD_METHOD`'s class look-ups in the hot loop, by
    /// attribute name (`vm/mcache.rs`).
    pub mcache: crate::vm::mcache::AttrCaches,
    /// calls3: binding plans of call sites with keywords or defaults (`vm/callplan.rs`).
    pub call_plans: crate::vm::callplan::Plans,
    /// kw2: binding plans of call sites of functions with `*args`/`**kw` (`vm/fastvar.rs`).
    pub var_plans: crate::vm::fastvar::VarPlans,
}

/// Addresses a blocked thread's next turn reads first, noted when it blocked (the run queue
/// keeps a runnable thread's beside its entry).
pub use crate::vm::scheduler::TurnHint;

/// How many lost-update events are kept for explanations.
pub const LOST_EVENTS_KEPT: usize = 8;

impl Vm {
    /// A VM about to run `image` (this thread's copy; see [`Image::local`]) under `config`.
    /// Fails only if the program's constants do not fit in the heap limit.
    ///
    /// [`Image::local`]: crate::vm::prelude::Image::local
    pub fn new(
        image: &LocalImage,
        config: RunConfig,
        stdout: Box<dyn std::io::Write>,
    ) -> PyResult<Vm> {
        Vm::new_reusing(image, config, stdout, None)
    }

    /// [`Vm::new`], from what an earlier VM of the same image left (`vm/vm_reuse.rs`) when
    /// `spare` is one: its constants and heap, restored to where they stood when it was
    /// made, and its buffers. The VM is the one `new` would make, object for object.
    pub fn new_reusing(
        image: &LocalImage,
        config: RunConfig,
        stdout: Box<dyn std::io::Write>,
        spare: Option<Box<crate::vm::vm_reuse::Spare>>,
    ) -> PyResult<Vm> {
        let spare = spare.filter(|s| s.fits(image, config.heap_limit));
        let prog = image.program.clone();
        let prelude = image.prelude;
        let random = crate::vm::pyrandom::PyRandom::from_run_seed(config.seed);
        let mut rt = Rt::with_names(
            prog.clone(),
            &image.names,
            config.heap_limit,
            stdout,
            random,
        );
        rt.prelude_start = prelude.start;
        rt.module_starts = image.modules.iter().map(|m| (m.body, m.id)).collect();
        rt.work_left = config.max_steps;
        let (consts, main_str, mut globals, mut builtins, mut threads) = match spare {
            Some(s) => {
                let s = *s;
                rt.heap = s.heap;
                (s.consts, s.main_str, s.globals, s.builtins, s.threads)
            }
            None => {
                let mut consts = Vec::with_capacity(prog.codes.len());
                for code in &prog.codes {
                    let mut vals = Vec::with_capacity(code.consts.len());
                    for c in &code.consts {
                        vals.push(materialize(&mut rt, c)?);
                    }
                    consts.push(vals);
                }
                // The program runs as a script: `if __name__ == "__main__":` holds.
                let main_str = match image.names.dunder_name {
                    Some(_) => Some(rt.new_str("__main__")?),
                    None => None,
                };
                let threads = Vec::with_capacity(1);
                (Rc::new(consts), main_str, Vec::new(), Vec::new(), threads)
            }
        };
        let heap_mark = rt.heap.mark();
        let names = &prog.names;
        let mut sched = match (&config.plan, config.record) {
            (None, false) => Scheduler::seeded(config.seed),
            (plan, record) => {
                let base: Box<dyn Strategy> = match plan {
                    Some(plan) => Box::new(Replay::new(plan.clone(), config.seed)),
                    None => Box::new(Random::new(config.seed)),
                };
                let strategy: Box<dyn Strategy> = if record {
                    Box::new(Recording::new(base))
                } else {
                    base
                };
                Scheduler::new(config.seed, strategy)
            }
        };
        let gil = GilParams::new(config.model, config.switch_interval, config.ns_per_instr);
        let mut main = Thread::new(0, "MainThread".into(), false);
        let module = &prog.codes[0];
        main.stack = vec![Value::Undef; module.nlocalsplus()];
        main.frames.push(Frame {
            code: 0,
            pc: 0,
            base: 0,
            func: Value::None,
            kwnames: u32::MAX,
        });
        main.state = crate::vm::thread::ThreadState::Runnable;
        sched.make_runnable(0);
        globals.clear();
        globals.resize(names.len(), Global::default());
        if let (Some(i), Some(v)) = (image.names.dunder_name, main_str) {
            globals[i].value = v;
        }
        builtins.clone_from(&image.builtins);
        threads.clear();
        threads.push(main);
        let races = config.races;
        let mut vm = Vm {
            rt,
            consts,
            attr_of: image.attr_of.clone(),
            globals,
            builtins,
            threads,
            sched,
            drive: Default::default(),
            gil,
            config,
            current: 0,
            steps: 0,
            slice_steps: 0,
            clock_ns: 0,
            switches: 0,
            lost: BTreeMap::new(),
            lost_events: Vec::new(),
            read_logs: Vec::new(),
            cta: Default::default(),
            turn_hints: Vec::new(),
            released_locks: Vec::new(),
            slice_cap: None,
            thread_counter: 0,
            items: Default::default(),
            prelude,
            tracer: None,
            step_touches: None,
            finished_tracer: None,
            races: None,
            crashes: Vec::new(),
            prog,
            call_site: Site::default(),
            py_modules: image.modules.clone(),
            modules_loaded: 0,
            atexit: Vec::new(),
            excepthook_ran: Vec::new(),
            stderr_buf: String::new(),
            call_plans: Default::default(),
            var_plans: Default::default(),
            reuse: crate::vm::vm_reuse::ReuseMark {
                heap: heap_mark,
                main_str,
                explain_lost: true,
            },
            mcache: Default::default(),
        };
        if races {
            vm.attach_race_detector(crate::vm::races::DEFAULT_MAX_LOCATIONS);
        }
        Ok(vm)
    }

    /// Replaces the strategy that makes the run's choices (before the run starts: an
    /// explorer's or a person's chooser instead of the seed's).
    pub fn set_strategy(&mut self, strategy: Box<dyn Strategy>) {
        self.sched.set_strategy(strategy);
    }

    /// Virtual time now, in ns.
    pub fn now_ns(&self) -> u64 {
        self.clock_ns
            .saturating_add(self.slice_steps.saturating_mul(self.config.ns_per_instr))
    }

    /// Every GC root: constants, globals, threads.
    pub fn collect_garbage(&mut self) {
        let mut roots: Vec<Value> = Vec::new();
        for c in self.consts.iter() {
            roots.extend_from_slice(c);
        }
        roots.extend(self.globals.iter().map(|g| g.value));
        for t in &self.threads {
            t.roots(&mut roots);
        }
        roots.extend(self.released_locks.iter().map(|&l| Value::Obj(l)));
        roots.extend_from_slice(&self.atexit);
        roots.extend(self.rt.argv.map(Value::Obj));
        self.rt.heap.collect(roots);
        self.forget_dead_items();
        if let Some(d) = self.races.as_mut() {
            d.forget_dead(&self.rt.heap);
        }
    }

    /// Records a lost update reported by a store of `stored` over `overwritten` (the value
    /// the erased update wrote; `Undef` when unknown). Values are rendered only for the
    /// events kept for explanations, or when a tracer is attached.
    pub fn note_lost(
        &mut self,
        loc: LocKey,
        erased: i64,
        event: Option<LostEvent>,
        stored: Value,
        overwritten: Value,
    ) {
        let t = self.lost.entry(loc).or_default();
        t.erased += erased;
        if let Some(mut ev) = event {
            t.events += 1;
            let keep = self.lost_events.len() < LOST_EVENTS_KEPT;
            if keep && self.reuse.explain_lost || self.tracer.is_some() {
                ev.stored = self.value_text(stored);
                ev.overwritten = self.value_text(overwritten);
            }
            if self.tracer.is_some() {
                self.trace(crate::vm::observe::Hook::Lost(&ev));
            }
            if keep {
                self.lost_events.push(ev);
            }
        }
    }

    /// A short repr of a value for explanations (empty for `Undef`, i.e. unknown).
    pub fn value_text(&self, v: Value) -> String {
        if let Value::Undef = v {
            return String::new();
        }
        // Only the first characters are shown: never build the whole repr of a big object.
        let mut s = crate::vm::format::repr_prefix(&self.rt, v, 61).unwrap_or_else(|_| "?".into());
        if s.chars().count() > 60 {
            s = s.chars().take(57).collect::<String>() + "...";
        }
        s
    }
}

fn materialize(rt: &mut Rt, c: &Const) -> PyResult<Value> {
    Ok(match c {
        Const::None => Value::None,
        Const::Ellipsis => Value::Native(crate::vm::natives::NativeId::Ellipsis),
        Const::Bool(b) => Value::Bool(*b),
        Const::Int(i) => Value::Int(*i),
        Const::Float(f) => Value::Float(*f),
        Const::BigInt(s) => match s.parse::<num_bigint::BigInt>() {
            Ok(b) => crate::vm::bigint::int_value(rt, b)?,
            Err(_) => return Err(crate::vm::Throw::value_error("invalid integer constant")),
        },
        Const::Str(s) => rt.alloc(Obj::Str(s.clone().into()))?,
        Const::Tuple(items) => {
            let mut vals = Vec::with_capacity(items.len());
            for i in items {
                vals.push(materialize(rt, i)?);
            }
            rt.alloc(Obj::Tuple(vals))?
        }
        Const::FrozenSet(items) => {
            let mut t = crate::vm::set::SetTable::new();
            for i in items {
                let v = materialize(rt, i)?;
                t.add(crate::vm::set::entry(rt, v)?);
            }
            rt.alloc(Obj::FrozenSet(t))?
        }
        // A code constant is only ever used by MAKE_FUNCTION, which reads the code id.
        Const::Code(id) => Value::Int(*id as i64),
    })
}
