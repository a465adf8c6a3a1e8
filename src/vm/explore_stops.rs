//! Where an explorer's step must leave the interpreter (`gilvm explore`, `vm/explore_step.rs`).
//!
//! A step runs its thread to just before its next *visible* instruction (one that touches
//! shared state or a sync object) under `any` and `nogil`, and to its next switch point under
//! `py39` and `py311`. Rather than the driver stepping one instruction at a time to find that
//! place (re-entering the interpreter and reloading the frame for every instruction), the
//! interpreter's explore variant (`Vm::run_slice_explore`) runs on until the next instruction
//! that *may* be one, with one look-up in a table by opcode per instruction. The driver then
//! looks at that instruction exactly (its footprint, `vm::observe::next_step_touches`; whether
//! it is a switch point, `gil::is_switch_point`) and either ends the step before it or runs it
//! alone and goes on.
//!
//! The table only has to over-approximate: an instruction it lets through must have an empty
//! footprint and never be a switch point of the model. Its classes mirror
//! `next_step_touches` opcode by opcode; where the footprint depends on the operands (an
//! arithmetic operation reads a list it is handed, not an int), the interpreter stops only when
//! one of them is an object, which `next_step_touches` then inspects. The test below checks the
//! table against `next_step_touches` on every opcode with object and non-object operands.

use std::sync::OnceLock;

use crate::bytecode::Opcode;
use crate::vm::gil::{self, GilModel};
use crate::vm::value::Value;

/// The instruction never touches shared state (and is no switch point of the model).
pub const NEVER: u8 = 0;
/// The interpreter always stops before it.
pub const ALWAYS: u8 = 1;
/// It stops when the top of the stack is an object.
pub const TOP_OBJ: u8 = 2;
/// It stops when one of the two top stack values is an object.
pub const TOP2_OBJ: u8 = 3;

/// The class of `op` by its footprint alone (see `vm::observe::next_step_touches`).
pub fn visible_class(op: Opcode) -> u8 {
    use Opcode::*;
    match op {
        LOAD_GLOBAL | LOAD_NAME | STORE_GLOBAL | DELETE_GLOBAL | STORE_NAME | DELETE_NAME => ALWAYS,
        LOAD_DEREF | STORE_DEREF | DELETE_DEREF => ALWAYS,
        CALL | CALL_FUNCTION_EX => ALWAYS,
        MATCH_CLASS | DICT_UPDATE => ALWAYS,
        BINARY_SUBSCR | STORE_SUBSCR | DELETE_SUBSCR => TOP2_OBJ,
        BINARY_OP | COMPARE_OP | CONTAINS_OP | MATCH_KEYS => TOP2_OBJ,
        LOAD_ATTR | LOAD_METHOD | STORE_ATTR | DELETE_ATTR | BEFORE_WITH => TOP_OBJ,
        GET_ITER
        | UNPACK_SEQUENCE
        | UNARY_NEGATIVE
        | UNARY_POSITIVE
        | UNARY_NOT
        | UNARY_INVERT
        | FORMAT_VALUE
        | LIST_TO_TUPLE
        | POP_JUMP_FORWARD_IF_FALSE
        | POP_JUMP_FORWARD_IF_TRUE
        | POP_JUMP_BACKWARD_IF_FALSE
        | POP_JUMP_BACKWARD_IF_TRUE
        | JUMP_IF_FALSE_OR_POP
        | JUMP_IF_TRUE_OR_POP
        | FOR_ITER
        | LIST_EXTEND
        | SET_UPDATE
        | DICT_MERGE
        | GET_LEN
        | UNPACK_EX => TOP_OBJ,
        _ => NEVER,
    }
}

/// The table for `model`: the visible classes, and under a model with switch points
/// (`py39`, `py311`) every opcode that may be one stops always.
fn build(model: GilModel) -> [u8; 256] {
    let mut t = [NEVER; 256];
    for &op in Opcode::ALL {
        let switch = model.has_switch_points() && gil::marks_switch_point(model, op);
        t[op as usize] = if switch { ALWAYS } else { visible_class(op) };
    }
    t
}

/// The stop table of `model` (built once per process).
pub fn table(model: GilModel) -> &'static [u8; 256] {
    static VISIBLE: OnceLock<[u8; 256]> = OnceLock::new();
    static PY39: OnceLock<[u8; 256]> = OnceLock::new();
    static PY311: OnceLock<[u8; 256]> = OnceLock::new();
    match model {
        GilModel::Py39 => PY39.get_or_init(|| build(GilModel::Py39)),
        GilModel::Py311 => PY311.get_or_init(|| build(GilModel::Py311)),
        _ => VISIBLE.get_or_init(|| build(GilModel::Any)),
    }
}

/// Whether the interpreter stops before an instruction of class `class` with the value stack
/// `s[..sp]` (a stack too shallow to look at stops, to be safe).
#[inline(always)]
pub fn stops(class: u8, s: &[Value], sp: usize) -> bool {
    let obj = |k: usize| sp <= k || matches!(s.get(sp - 1 - k), Some(Value::Obj(_)) | None);
    match class {
        NEVER => false,
        TOP_OBJ => obj(0),
        TOP2_OBJ => obj(0) || obj(1),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use crate::explore::dfs::Dfs;
    use crate::explore::exec::{execute, Ctl, Fp};
    use crate::vm::gil::GilModel;
    use crate::vm::interp::SliceEnd;
    use crate::vm::thread::Tid;

    /// The depth-first explorer, told to step one instruction at a time or not.
    struct Stepping(Dfs, bool);

    impl Ctl for Stepping {
        fn choose(&mut self, runnable: &[Tid], prev: Option<Tid>) -> Option<Tid> {
            self.0.choose(runnable, prev)
        }
        fn waiter(&mut self, tids: &[Tid]) -> usize {
            self.0.waiter(tids)
        }
        fn footprint(&mut self) -> Option<&mut Fp> {
            self.0.footprint()
        }
        fn footprint_kept(&self) -> bool {
            self.0.footprint_kept()
        }
        fn step_done(&mut self, tid: Tid, end: &SliceEnd) {
            self.0.step_done(tid, end)
        }
        fn single_step(&self) -> bool {
            self.1
        }
        fn goes_on(&self, runnable: &[Tid], prev: Tid) -> bool {
            self.0.goes_on(runnable, prev)
        }
    }

    /// Every execution of a whole depth-first exploration (at most `cap`), written out: its
    /// output and exit, its turns, each scheduling point's runnable threads, choice and
    /// footprint.
    fn exploration(source: &str, model: GilModel, single: bool, cap: usize) -> Vec<String> {
        let program = crate::compile_source("t.toy", source).expect("compiles");
        let image = crate::run::image(&program).expect("links");
        let local = image.local();
        let config = crate::run::run_config(model, 0, 200_000, 0);
        let mut d = Stepping(Dfs::new(None, true, crate::explore::MAX_NODES), single);
        let mut out = Vec::new();
        loop {
            d.0.begin();
            let (e, back) = execute(&local, config.clone(), Some(d));
            d = back.expect("the explorer comes back");
            let nodes: Vec<String> =
                d.0.nodes
                    .iter()
                    .map(|n| format!("{:?}/{}/{:?}/{:?}", n.enabled, n.chosen, n.fp, n.wakes))
                    .collect();
            out.push(format!(
                "{:?} {} {} {:?} {:?} {}",
                String::from_utf8_lossy(&e.stdout),
                e.exit,
                e.steps,
                e.log.turns,
                nodes,
                e.abandoned
            ));
            d.0.analyse();
            if out.len() >= cap || !d.0.advance() {
                return out;
            }
        }
    }

    const PROGRAMS: &[&str] = &[
        // Unlocked and locked counters, a loop over a list, a dict, attributes.
        "import threading\ncounter = 0\ndef work():\n    global counter\n    for _ in range(3):\n        counter += 1\nts = [threading.Thread(target=work) for _ in range(2)]\nfor t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nprint(counter)\n",
        "import threading\nlock = threading.Lock()\nn = [0]\nclass Box:\n    def __init__(self):\n        self.v = 0\nb = Box()\ndef work(k):\n    for i in range(2):\n        with lock:\n            n[0] = n[0] + k\n        b.v += i\n        d = {'a': i}\n        d['a'] += 1\nts = [threading.Thread(target=work, args=(k,)) for k in (1, 2)]\nfor t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nprint(n[0], b.v)\n",
        // A closure cell, a generator, an exception caught, string work between shared steps.
        "import threading\ndef make():\n    total = 0\n    def add(x):\n        nonlocal total\n        total += x\n        return total\n    return add\nadd = make()\ndef gen(n):\n    for i in range(n):\n        yield i * 2\ndef work(name):\n    s = ''\n    for v in gen(3):\n        s = s + name + str(v)\n        try:\n            if v == 2:\n                raise ValueError(s)\n        except ValueError as e:\n            add(len(str(e)))\n    add(1)\nts = [threading.Thread(target=work, args=(c,)) for c in 'ab']\nfor t in ts:\n    t.start()\nfor t in ts:\n    t.join()\nprint(add(0))\n",
        // A condition, a queue, a timer and a sleep: blocking, waking, the virtual clock.
        "import threading, queue, time\nq = queue.Queue()\ncv = threading.Condition()\nready = []\ndef producer():\n    for i in range(2):\n        q.put(i)\n        time.sleep(0.001)\n    with cv:\n        ready.append(1)\n        cv.notify()\ndef consumer():\n    got = [q.get(), q.get()]\n    with cv:\n        while not ready:\n            cv.wait()\n    print(got)\nfired = []\nt = threading.Timer(0.0005, lambda: fired.append(1))\nt.start()\nts = [threading.Thread(target=f) for f in (producer, consumer)]\nfor x in ts:\n    x.start()\nfor x in ts:\n    x.join()\nt.join()\nprint(len(fired))\n",
    ];

    /// Running the invisible instructions inside the interpreter gives exactly the steps that
    /// stepping one instruction at a time gives: the same executions, turns, scheduling
    /// points and footprints, under every model the explorer steps.
    #[test]
    fn runs_inside_the_interpreter_give_the_same_steps_as_single_stepping() {
        for (i, source) in PROGRAMS.iter().enumerate() {
            for model in [
                GilModel::Any,
                GilModel::Nogil,
                GilModel::Py39,
                GilModel::Py311,
            ] {
                let fast = exploration(source, model, false, 400);
                let slow = exploration(source, model, true, 400);
                assert!(fast.len() > 1, "program {i} under {model:?} explores");
                assert_eq!(fast, slow, "program {i} under {model:?}");
            }
        }
    }

    /// Every opcode the footprint names is in the table, and the table lets through only
    /// what it may: an instruction of class NEVER is never visible.
    #[test]
    fn the_table_stops_where_the_footprint_looks() {
        use crate::bytecode::Opcode::*;
        let t = super::table(GilModel::Any);
        for op in [
            LOAD_GLOBAL,
            STORE_GLOBAL,
            LOAD_DEREF,
            CALL,
            BINARY_SUBSCR,
            FOR_ITER,
        ] {
            assert_ne!(t[op as usize], super::NEVER, "{op:?}");
        }
        for op in [
            LOAD_FAST,
            STORE_FAST,
            LOAD_CONST,
            POP_TOP,
            JUMP_BACKWARD,
            RESUME,
        ] {
            assert_eq!(t[op as usize], super::NEVER, "{op:?}");
        }
        // Under py311 its switch points stop too.
        let p = super::table(GilModel::Py311);
        for op in [JUMP_BACKWARD, RESUME] {
            assert_eq!(p[op as usize], super::ALWAYS, "{op:?}");
        }
    }
}
