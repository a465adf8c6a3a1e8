//! The trace's records: what every output format is made from, and the JSON Lines schema
//! (docs/trace-schema.md documents each field; bump [`SCHEMA_VERSION`] on any change that is
//! not a pure addition).
//!
//! Records are plain owned data: the recorder resolves thread names, source lines, the
//! instruction text (through `dis::format_instr`) and value reprs while the VM is at hand, so
//! a format never needs the VM.

use serde::Serialize;

/// Version of the JSON Lines schema (the `v` field of the header record).
pub const SCHEMA_VERSION: u32 = 1;

/// One trace record. In JSON Lines each is an object with a `type` field.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// First record: what was run and how.
    Header(Header),
    /// A thread appears (it got the GIL for the first time).
    Thread {
        t_ns: u64,
        tid: u32,
        /// Short label used in text traces: `T1`.
        label: String,
        /// Python's name: `Thread-1 (increment)`.
        name: String,
    },
    /// A thread takes the GIL.
    Gil {
        t_ns: u64,
        step: u64,
        tid: u32,
        /// The thread that held it last, if another one.
        from: Option<u32>,
        /// Why that thread let it go.
        reason: Option<Reason>,
    },
    /// A thread's turn holding the GIL ended (a running slice, for timelines).
    Turn {
        tid: u32,
        start_ns: u64,
        end_ns: u64,
        start_step: u64,
        instructions: u64,
        reason: Reason,
    },
    /// A thread blocked.
    Block {
        t_ns: u64,
        step: u64,
        tid: u32,
        line: u32,
        /// What it waits for, in words.
        waits_for: String,
    },
    /// A blocked thread became runnable.
    Wake {
        t_ns: u64,
        step: u64,
        tid: u32,
        /// `woken` (by another thread's action) or `timeout` (its sleep or timeout ran out).
        cause: String,
        /// The thread whose action woke it (for `woken`).
        by: Option<u32>,
        /// What the wake-up means when it is more than a wake-up: `notified on cond: …`.
        note: Option<String>,
    },
    /// One executed instruction.
    Instr(Instr),
    /// A lost update: the store of `tid` erased another thread's update.
    Lost(Lost),
    /// A check-then-act violation: `tid` acted on a check another thread's write had made
    /// stale (the check-then-act detector, `vm/cta.rs`).
    CheckThenAct(CheckThenAct),
    /// A data race (`--races`), right after the access that completed it.
    Race(RaceRec),
    /// A line the program printed (only when the trace and the program share stdout).
    Print { t_ns: u64, tid: u32, text: String },
    /// The trace stopped early (`--limit`); the run went on untraced.
    Truncated {
        t_ns: u64,
        step: u64,
        reason: String,
    },
    /// A thread acquired, released, waited on or notified a lock, condition or semaphore
    /// (named by where the program keeps it: docs/trace-schema.md).
    Sync(SyncEvent),
    /// An exception escaped a thread other than the main thread: it died.
    Crash(Crash),
    /// An exception escaped the main thread: the program ends with exit status 1 (Python
    /// prints the traceback). Same fields as `crash` (`SystemExit` is not reported).
    MainException(Crash),
    /// No thread can ever run again: the deadlock report, as `run` prints it, and its facts.
    Deadlock(Deadlock),
    /// Last record: how the run ended.
    End(End),
}

/// A synchronisation event of one thread (views of issue #17).
#[derive(Clone, Debug, Serialize)]
pub struct SyncEvent {
    pub t_ns: u64,
    pub step: u64,
    pub tid: u32,
    pub line: u32,
    /// `acquire`, `release`, `wait`, `notify`, or `reacquire` (a thread that waited took the
    /// lock: after a lock's release, or back after `Condition.wait`).
    pub op: String,
    /// The object's name: `locks['alice']`, `self.lock`, `cond`, `cond's lock`.
    pub obj: String,
    /// `Lock`, `RLock`, `Condition`, `Semaphore`, `BoundedSemaphore`.
    pub kind: String,
    /// The line that created the object.
    pub created_line: u32,
    /// For `reacquire`: the thread whose release let it take the lock; for `notify`: the
    /// threads it woke are the `wake` records that follow.
    pub by: Option<u32>,
}

/// A thread that died of an uncaught exception.
#[derive(Clone, Debug, Serialize)]
pub struct Crash {
    pub t_ns: u64,
    pub step: u64,
    pub tid: u32,
    /// `IndexError`.
    pub kind: String,
    /// `IndexError: pop from empty list`.
    pub exception: String,
    pub line: u32,
    pub function: String,
    /// `Thread-1 (consumer) died of IndexError: pop from empty list at line 19, in consumer`.
    pub explanation: String,
}

/// The deadlock that ended the run.
#[derive(Clone, Debug, Serialize)]
pub struct Deadlock {
    pub t_ns: u64,
    pub step: u64,
    /// The report, line by line, as `run` prints it.
    pub report: Vec<String>,
    /// `cycle: Thread-1 (transfer) -> …` or `no cycle: …`.
    pub summary: String,
    /// Each blocked thread: what it waits for, and the thread it waits on.
    pub blocked: Vec<crate::vm::deadlock::BlockedView>,
    /// The wait-for cycle (thread ids), empty when there is none.
    pub cycle: Vec<u32>,
}

/// Why a thread let the GIL go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Its quantum ran out and the scheduler chose another thread.
    Preempted,
    /// It blocked (lock, join, sleep, queue, …).
    Blocked,
    /// Its target returned.
    Finished,
    /// An exception escaped it.
    Died,
    /// The run ended while it held the GIL.
    End,
}

impl Reason {
    pub fn word(self) -> &'static str {
        match self {
            Reason::Preempted => "preempted",
            Reason::Blocked => "blocked",
            Reason::Finished => "finished",
            Reason::Died => "died",
            Reason::End => "end of run",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Header {
    /// Schema version ([`SCHEMA_VERSION`]).
    pub v: u32,
    pub gilvm: String,
    pub program: String,
    pub seed: u64,
    pub model: String,
    /// In the model's unit: instructions (any, nogil), ticks (py27), ns (py39, py311).
    pub switch_interval: u64,
    /// The interval in words: `mean quantum 100 instructions`, `switch interval 5 ms`.
    pub interval: String,
    pub ns_per_instr: u64,
    /// The filters in effect (instructions not matching them are left out).
    pub threads: Vec<String>,
    pub vars: Vec<String>,
    pub lines: Option<(u32, u32)>,
    pub limit: Option<u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Instr {
    pub t_ns: u64,
    /// Instructions executed before this one, by all threads.
    pub step: u64,
    pub tid: u32,
    pub line: u32,
    /// Name of the code object (`increment`, `<module>`).
    pub code: String,
    /// `dis` offset (2 × instruction index).
    pub offset: u32,
    pub op: String,
    pub arg: u32,
    /// The instruction as `gilvm dis` prints it: `14 LOAD_GLOBAL 1 (counter)` with dis spacing.
    pub text: String,
    pub access: Option<Access>,
}

/// With `--races`: a data race the access just recorded completes (the first time for its
/// pair of source lines), naming the earlier access.
#[derive(Clone, Debug, Serialize)]
pub struct RaceRec {
    pub t_ns: u64,
    pub step: u64,
    /// The thread whose access completed the race, and that access.
    pub tid: u32,
    pub access: String,
    pub line: u32,
    /// The location: `counter`, `self.balance`, `balances['alice']`.
    pub var: String,
    /// The earlier access it races with.
    pub other_tid: u32,
    pub other_access: String,
    pub other_line: u32,
}

/// The value an instruction loaded or stored.
#[derive(Clone, Debug, Serialize)]
pub struct Access {
    /// `load` or `store`.
    pub kind: String,
    /// The variable (or `name[index]` for an item), when it has a name.
    pub var: String,
    /// repr of the value.
    pub value: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Lost {
    pub t_ns: u64,
    pub step: u64,
    /// The thread whose store erased updates.
    pub tid: u32,
    /// The location (`counter`, `item [3] of a list`).
    pub var: String,
    /// How many updates this store erased.
    pub erased: u32,
    /// Where and what the erasing thread read (value and step when the trace saw it).
    pub read_line: u32,
    pub read_value: Option<String>,
    pub read_step: Option<u64>,
    /// The virtual time of that read (the page draws the read-to-stale-store window from it).
    pub read_t_ns: Option<u64>,
    /// The other thread's store that got erased.
    pub other_tid: u32,
    pub other_line: u32,
    pub other_value: Option<String>,
    pub other_step: Option<u64>,
    pub other_t_ns: Option<u64>,
    /// The erasing store.
    pub store_line: u32,
    pub stored_value: Option<String>,
    /// The whole story in plain words.
    pub explanation: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckThenAct {
    pub t_ns: u64,
    pub step: u64,
    /// The thread that acted on its stale check.
    pub tid: u32,
    /// The check as the program wrote it (`key not in cache`), when the source has it on one
    /// line, its result (`True`, `1`, `None`) and its line.
    pub check: Option<String>,
    pub result: String,
    pub check_line: u32,
    /// When the acting thread last ran the check, and when the other thread made its write
    /// (when the trace saw them).
    pub check_step: Option<u64>,
    pub check_t_ns: Option<u64>,
    pub other_step: Option<u64>,
    pub other_t_ns: Option<u64>,
    /// The other thread's write in between, and its line.
    pub other_tid: u32,
    pub other_line: u32,
    /// The act's line.
    pub act_line: u32,
    /// The whole story in plain words.
    pub explanation: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct End {
    pub t_ns: u64,
    pub steps: u64,
    pub exit_code: i32,
    pub switches: u64,
    /// Stores that erased updates, and updates erased (net), over all locations.
    pub lost_events: u64,
    pub lost_updates: i64,
}
