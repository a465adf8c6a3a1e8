//! The virtual machine: green threads executing code objects under a simulated GIL.
//!
//! `Vm` owns the heap, the globals, the threads and the scheduler. The interpreter loop
//! (`interp.rs`) executes one thread's instructions and reports what happened; only the
//! scheduler (`scheduler.rs`) decides who runs next and when the next preemption comes.
//!
//! Architecture invariant: nothing in the VM consults the OS clock, a random source other than
//! the scheduler's seeded streams, an address, or the iteration order of a hash map.

pub mod attr;
pub mod attr_hooks;
pub mod attrtable;
// integers of any size, math and CPython's random (bigint area)
pub mod bigint;
pub mod builtins;
pub mod call;
// The lost-update detector's reads by built-in calls (`d.get(k)`; lessons audit).
pub mod call_reads;
// calls3: binding plans cached per call site.
pub mod callplan;
pub mod classes;
// Crashed threads and names of sync objects (the views of issue #17).
pub mod consume;
pub mod crash;
// Check-then-act detector (atomicity violations beyond `+=`).
pub mod cta;
pub mod dataclass;
pub mod deadlock;
pub mod deque;
pub mod descriptors;
pub mod dictmap;
pub mod driver;
pub mod dunder;
pub mod exceptions;
pub mod explore_step;
pub mod explore_stops;
pub mod fastcall;
pub mod fastclass;
pub mod fastdunder;
pub mod fastgen;
pub mod fastops;
pub mod fastvar;
pub mod format;
pub mod generator;
pub mod gil;
pub mod heap;
// Built-in function calls inside the hot loop (issue 21).
pub mod hotnative;
pub mod interp;
pub mod items;
pub mod iteration;
pub mod lifecycle;
pub mod lost;
pub mod machine;
// explore: a fresh VM from the last one.
pub mod matching;
// mcache: per-site attribute caches (issue 21).
pub mod mathmod;
pub mod mcache;
pub mod memory;
pub mod methods;
// ld3: built-in method calls on exact containers (issue 21)
pub mod methfast;
pub mod names;
pub mod natives;
pub mod numeric;
pub mod observe;
pub mod ops;
pub mod precompiled;
pub mod prefetch;
pub mod prelude;
pub mod pymodules;
pub mod pynames;
pub mod vm_reuse;
// xturn: the explorer's turn loop inside the explore slice.
pub mod xturn;
// Growable string buffers for `s += x` (performance, issue 21).
pub mod pyrandom;
pub mod pystr;
pub mod races;
pub mod raise_fast;
pub mod rng;
#[cfg(test)]
mod runtime_props;
pub mod scheduler;
pub mod set;
// comp2: `sorted(key=)` natively.
pub mod sortkey;
// subscr: `STORE_SUBSCR` in the hot loop.
pub mod subscr;
pub mod summary;
pub mod sync;
#[cfg(test)]
pub mod testutil;
pub mod thread;
// Issue 21: threads stay cheap (memory per idle thread, turns at a million threads).
pub mod thread_cheap;
pub mod thread_hooks;
pub mod threading;
pub mod traceback;
pub mod typing_alias;
pub mod value;

use std::io::Write;
use std::rc::Rc;

use crate::bytecode::Program;

use crate::vm::exceptions::ExcKind;
use crate::vm::heap::{ExcArgs, ExcObj, Heap, HeapFull, Obj};
use crate::vm::value::{ObjId, Value};

/// A Python exception being raised from Rust code.
///
/// Most errors are raised as `New` (kind + message) and turned into a heap exception object
/// only when the interpreter unwinds, so raising from a built-in costs no allocation until then.
#[derive(Clone, Debug, PartialEq)]
pub enum Throw {
    /// A fresh exception of a built-in class with a message (`TypeError: ...`).
    New { kind: ExcKind, msg: String },
    /// A fresh exception of a built-in class with arbitrary args (`KeyError('x')` needs the key
    /// value itself, so that `str(e)` is `'x'` with quotes).
    NewArgs { kind: ExcKind, args: Vec<Value> },
    /// An existing exception object (from `raise e`).
    Obj(ObjId),
    /// Not an exception: the run's work budget ran out inside a built-in (`--max-steps`
    /// bounds the items built-ins iterate over, so `sum(range(10**12))` stops). Nothing in
    /// the program can catch it; the interpreter ends the run with exit status 5.
    Limit,
    /// prop: not an exception: `hot`'s `LOAD_ATTR`/`STORE_ATTR` found a property whose
    /// accessor is this Python function, which `run_slice` calls (`Vm::enter_accessor`).
    /// Never leaves the interpreter loop.
    Accessor(crate::vm::value::ObjId),
    /// prop: not an exception: `hot`'s attribute arm leaves the instruction to the slow
    /// path (a property it does not call itself). Never leaves the interpreter loop.
    Slow,
    /// Not an exception: `hot`'s `BINARY_OP`, `COMPARE_OP` or `BINARY_SUBSCR` on an instance,
    /// or its `CALL` of `len`/`abs` on one, whose special method `hot` enters below its arms
    /// when it can (`Vm::hot_operator`), else the slow path. Never leaves the interpreter
    /// loop.
    Operator,
}

impl Throw {
    pub fn new(kind: ExcKind, msg: impl Into<String>) -> Throw {
        Throw::New {
            kind,
            msg: msg.into(),
        }
    }

    pub fn type_error(msg: impl Into<String>) -> Throw {
        Throw::new(ExcKind::TypeError, msg)
    }

    pub fn value_error(msg: impl Into<String>) -> Throw {
        Throw::new(ExcKind::ValueError, msg)
    }

    pub fn memory() -> Throw {
        Throw::New {
            kind: ExcKind::MemoryError,
            msg: String::new(),
        }
    }
}

impl From<HeapFull> for Throw {
    fn from(_: HeapFull) -> Throw {
        Throw::memory()
    }
}

/// Result of anything that can raise a Python exception.
pub type PyResult<T> = Result<T, Throw>;

/// State shared by everything that runs Python-level operations: the heap and the program's
/// output. Built-ins, methods, formatting and operators take `&mut Rt`.
pub struct Rt {
    pub heap: Heap,
    /// Program output (`print`), buffered; flushed by the VM at exit.
    pub stdout: Box<dyn Write>,
    /// The program (for function names in reprs, code objects, the name table), with the
    /// prelude linked after its own code objects.
    pub program: Rc<Program>,
    /// Code objects from this index on are the prelude's.
    pub prelude_start: u32,
    /// stdlib: where each Python-written module's code objects start, in order.
    pub module_starts: Vec<(u32, natives::ModuleId)>,
    /// The `random` module's generator: CPython's Mersenne Twister (`vm/pyrandom.rs`), of its
    /// own so program randomness never perturbs the schedule; seeded as `random.seed(N)` for
    /// the run's seed `N` until the program calls `random.seed`.
    pub random: Box<crate::vm::pyrandom::PyRandom>,
    /// `sys.get_int_max_str_digits()` (CPython 3.11's int↔str limit; 0 is no limit).
    pub int_max_str_digits: usize,
    /// The `sys.argv` list (a GC root), made when the VM starts.
    pub argv: Option<ObjId>,
    /// Items built-ins may still iterate over in this run (`--max-steps`; see
    /// [`Throw::Limit`]). Instructions are bounded by the driver; this bounds the work a
    /// single instruction can do without allocating, which the heap limit cannot see.
    pub work_left: u64,
    /// Name ids of the dunder names the VM looks up on classes.
    pub dunders: crate::vm::classes::Dunders,
    /// Set once a class defining `__str__` or `__repr__` exists: `print`, `str`, `repr`,
    /// `format` and f-strings then look for them (nothing to check before).
    pub str_dunders: bool,
    /// Name ids of the special methods `vm::dunder` calls.
    /// (Boxed: a few hundred bytes the interpreter's hot fields need not be spread over.)
    pub special: Box<crate::vm::dunder::Names>,
    /// Set once a class defining one of them (or a `property`) exists: built-ins then look
    /// for them (nothing to check before).
    pub user_dunders: bool,
    /// Set once a class defines `__getitem__`, `__setitem__`, `__hash__`, `__eq__` or
    /// `__ne__` (at its creation or later; `Names::is_item_special`), never unset. Until
    /// then a subscript of a list or dict, and its built-in methods (`lst.append(x)`,
    /// `d.get(k)`), call no Python code whatever other special methods exist, so `hot` does
    /// them itself (issue 21, seventh round: before, any special method anywhere — a
    /// `@dataclass`, a property, an `__add__` — sent them all to the slow path, 7–43% more
    /// instructions for such loops).
    pub item_dunders: bool,
    /// Set once `@dataclass` made a class (never unset): until then instantiating a class
    /// does not look along its MRO for a generated `__init__`.
    pub any_dataclass: bool,
    /// Set once a class defines `__getattr__` or `__setattr__` (at its creation or later),
    /// or a frozen dataclass exists: attribute access then looks for them. While it is
    /// clear, `hot` does `LOAD_ATTR`, `LOAD_METHOD` and `STORE_ATTR` itself, special methods
    /// or not (a class with `__eq__` or `__add__` no longer sends attribute access to the
    /// slow path), and properties too (prop: a class's mask of property names,
    /// `Vm::maybe_property`, picks out the names that may be one; their accessors are called
    /// by `run_slice` with a frame pushed as a plain call's, `Vm::enter_accessor`).
    pub attr_hooks: bool,
    /// Set once a generator exists: built-ins then look for generator arguments (which
    /// they consume in the prelude, `vm::iteration`).
    pub generators: bool,
    /// classes2: bumped by every write to a class's namespace (or its dataclass record), so
    /// that each class's cached `ClassObj::attr_check` is worked out again (`vm::fastclass`).
    pub class_epoch: u64,
}

impl Rt {
    pub fn new(
        program: Rc<Program>,
        heap_limit: usize,
        stdout: Box<dyn Write>,
        random: crate::vm::pyrandom::PyRandom,
    ) -> Rt {
        let names = crate::vm::prelude::ImageNames::new(&program);
        Rt::with_names(program, &names, heap_limit, stdout, random)
    }

    /// [`Rt::new`] with the name ids found already (the image's).
    pub fn with_names(
        program: Rc<Program>,
        names: &crate::vm::prelude::ImageNames,
        heap_limit: usize,
        stdout: Box<dyn Write>,
        random: crate::vm::pyrandom::PyRandom,
    ) -> Rt {
        Rt {
            dunders: names.dunders,
            str_dunders: false,
            special: Box::new(names.special),
            user_dunders: false,
            item_dunders: false,
            any_dataclass: false,
            attr_hooks: false,
            generators: false,
            class_epoch: 1,
            heap: Heap::new(heap_limit),
            stdout,
            prelude_start: program.codes.len() as u32,
            module_starts: Vec::new(),
            program,
            random: Box::new(random),
            int_max_str_digits: crate::vm::bigint::DEFAULT_MAX_STR_DIGITS,
            argv: None,
            work_left: u64::MAX,
        }
    }

    /// Spends `n` units of the work budget, or stops the run ([`Throw::Limit`]).
    #[inline]
    pub fn spend(&mut self, n: u64) -> PyResult<()> {
        match self.work_left.checked_sub(n) {
            Some(left) => {
                self.work_left = left;
                Ok(())
            }
            None => Err(Throw::Limit),
        }
    }

    /// Allocates an object, raising `MemoryError` at the heap limit.
    #[inline]
    pub fn alloc(&mut self, obj: Obj) -> PyResult<Value> {
        Ok(Value::Obj(self.heap.alloc(obj)?))
    }

    pub fn new_str(&mut self, s: impl Into<String>) -> PyResult<Value> {
        let s = s.into();
        // `Obj::size_estimate` of the string it becomes, without its `match` over every kind
        // of object (a fifth of making a short string).
        let size = 48 + s.capacity();
        let obj = Obj::Str(crate::vm::pystr::PyStr::from(s));
        debug_assert_eq!(size, obj.size_estimate());
        Ok(Value::Obj(self.heap.alloc_charging(obj, size)?))
    }

    pub fn new_list(&mut self, items: Vec<Value>) -> PyResult<Value> {
        self.alloc(Obj::List(items))
    }

    pub fn new_tuple(&mut self, items: Vec<Value>) -> PyResult<Value> {
        self.alloc(Obj::Tuple(items))
    }

    pub fn new_dict(&mut self, map: crate::vm::heap::DictMap) -> PyResult<Value> {
        self.alloc(Obj::Dict(map))
    }

    /// Raises `MemoryError` if `bytes` more would pass the heap limit, without charging them:
    /// call it before building a result whose size the program controls.
    #[inline]
    pub fn ensure_room(&self, bytes: usize) -> PyResult<()> {
        Ok(self.heap.check(bytes)?)
    }

    /// Materialises a [`Throw`] as an exception object.
    pub fn exception_object(&mut self, t: Throw) -> PyResult<ObjId> {
        let (kind, args) = match t {
            Throw::Obj(id) => return Ok(id),
            Throw::New { kind, msg } if msg.is_empty() && kind == ExcKind::MemoryError => {
                (kind, ExcArgs::new())
            }
            Throw::New { kind, msg } => (kind, smallvec::smallvec![self.new_str(msg)?]),
            Throw::NewArgs { kind, args } => (kind, ExcArgs::from_vec(args)),
            // The interpreter stops the run before unwinding a `Limit`; should one get here,
            // it is at least never mistaken for a catchable exception of the program's.
            Throw::Limit => (
                ExcKind::RuntimeError,
                smallvec::smallvec![self.new_str("gilvm: work limit reached".to_string())?],
            ),
            Throw::Accessor(_) | Throw::Slow | Throw::Operator => (
                ExcKind::RuntimeError,
                smallvec::smallvec![self.new_str("gilvm: internal attribute step".to_string())?],
            ),
        };
        Ok(self.heap.alloc(Obj::Exception(Box::new(ExcObj {
            kind,
            args,
            traceback: Default::default(),
            cause: None,
            context: None,
            class: None,
            attrs: Default::default(),
        })))?)
    }

    /// The string content if `v` is a str.
    pub fn as_str(&self, v: Value) -> Option<&str> {
        match v {
            Value::Obj(id) => self.heap.str(id),
            _ => None,
        }
    }
}
