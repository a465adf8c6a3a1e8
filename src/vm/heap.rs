//! The object heap: every non-immediate value lives here, addressed by [`ObjId`], and is
//! reclaimed by a mark-and-sweep collector.
//!
//! Why a collector instead of `Rc`: values stay `Copy` (see `value.rs`), cycles (a list that
//! contains itself, a closure cell holding its own function) are reclaimed, and the heap can
//! account for its size to raise Python's `MemoryError` at a limit instead of letting the OS
//! kill gilvm.
//!
//! Architecture invariant: the collector runs only *between* instructions (the interpreter loop
//! asks [`Heap::wants_gc`] at its slow-path checks), so a value held in a Rust local during one
//! instruction can never be collected under it. Roots are supplied by the VM: every thread's
//! stack and frames, the globals, the constants, and the scheduler's pending results.

use indexmap::IndexMap;

use crate::bytecode::CodeId;
use crate::vm::exceptions::ExcKind;
use crate::vm::lost::LocMeta;
use crate::vm::natives::MethodId;
use crate::vm::set::SetTable;
use crate::vm::sync::SyncObj;
use crate::vm::value::{ObjId, Value};

/// foldhash with its fixed seed: deterministic across runs (DESIGN.md §4.2 forbids any hidden
/// source of nondeterminism), and no hash value is ever observable anyway: dicts iterate in
/// insertion order and sets follow Python's own hashes (`vm/set.rs`). It replaced std's SipHash,
/// which took ≈8% of a dict-heavy loop's instructions (callgrind, bench/programs/l_listdict.py).
pub type FixedState = foldhash::fast::FixedState;

/// A hashable image of a Python value, used as a dict key. Equal Python values map to equal
/// keys (`1`, `1.0` and `True` are all `Int(1)`), as Python's `hash`/`==` contract requires.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashKey {
    None,
    Int(i64),
    /// A float that is not integral, by its bits (NaN keys compare by identity of bits).
    Float(u64),
    Str(Box<str>),
    Tuple(Box<[HashKey]>),
    /// Objects hashed by identity (functions, locks, threads, …).
    Id(u32),
    /// Built-in callables, modules and exception classes, by their discriminant.
    Builtin(u32),
    /// A frozenset: its elements' keys, sorted (so equal sets have equal keys).
    FrozenSet(Box<[HashKey]>),
    /// An instance whose class defines `__hash__` (and `__eq__`): the hash it returned when
    /// it was stored, and the key object itself. `vm::dunder` finds the stored key equal to
    /// a looked-up one (calling `__eq__`), so equal keys share one entry.
    User(i64, u32),
    /// An instance of a frozen dataclass (`@dataclass(frozen=True)`, which generates
    /// `__hash__` from the fields): its class and its fields' keys. Hashes as the tuple of the
    /// fields, as CPython's generated `__hash__` does.
    Fields(Box<(u32, Box<[HashKey]>)>),
    /// An int outside i64 (a big int, or an integral float equal to one).
    Big(Box<num_bigint::BigInt>),
}

impl HashKey {
    /// The bytes this key holds outside the dict's slot (a string key's copy of its text, a
    /// tuple key's items), for the heap limit: a dict keyed by long strings holds each one
    /// twice, as the key object and as its `HashKey`.
    pub fn inline_bytes(&self) -> usize {
        match self {
            HashKey::Str(s) => s.len(),
            HashKey::Tuple(items) => items
                .iter()
                .fold(items.len() * std::mem::size_of::<HashKey>(), |n, k| {
                    n.saturating_add(k.inline_bytes())
                }),
            HashKey::Fields(f) => {
                f.1.iter()
                    .fold(f.1.len() * std::mem::size_of::<HashKey>(), |n, k| {
                        n.saturating_add(k.inline_bytes())
                    })
            }
            HashKey::FrozenSet(items) => items
                .iter()
                .fold(items.len() * std::mem::size_of::<HashKey>(), |n, k| {
                    n.saturating_add(k.inline_bytes())
                }),
            HashKey::Big(b) => crate::vm::bigint::byte_size(b),
            _ => 0,
        }
    }
}

/// A dict: insertion-ordered, keyed by [`HashKey`], keeping the original key value
/// (`vm::dictmap`: entries with tombstones, so deletion is O(1)).
pub use crate::vm::dictmap::DictMap;

/// A Python function object: code plus what `MAKE_FUNCTION` captured. Kept within a heap
/// slot's 64 bytes of payload (boxed slices; the keyword-only defaults' dict and attributes
/// behind one box): every object's slot is as large as its largest variant.
#[derive(Clone, Debug)]
pub struct Function {
    pub code: CodeId,
    /// Defaults of the last positional parameters.
    pub defaults: Box<[Value]>,
    /// calls2: the keyword-only parameters' defaults in parameter order (`Value::Undef` for
    /// one without a default; empty if none has one), resolved from the `__kwdefaults__` dict
    /// when the function is made so that a call binds them without searching the dict by
    /// name. The dict is private to the function (`__kwdefaults__` is not exposed), so the two
    /// agree.
    pub kwonly_defaults: Box<[Value]>,
    /// The cells of the free variables, in `freevars` order.
    pub closure: Box<[Value]>,
    /// The keyword-only defaults' dict and the function's attributes, if either.
    pub extra: Option<Box<FunctionExtra>>,
}

/// What few functions have.
#[derive(Clone, Debug, Default)]
pub struct FunctionExtra {
    /// Defaults of keyword-only parameters, by parameter name (a dict object), if any.
    pub kwdefaults: Option<ObjId>,
    /// Attributes set on the function (`f.calls = 0`, `functools.wraps`'s `__name__`).
    pub attrs: AttrMap,
}

impl Function {
    /// A function of `code` with no defaults, closure or attributes.
    pub fn plain(code: CodeId) -> Function {
        Function {
            code,
            defaults: Box::default(),
            kwonly_defaults: Box::default(),
            closure: Box::default(),
            extra: None,
        }
    }

    /// The dict of keyword-only defaults, if any.
    pub fn kwdefaults(&self) -> Option<ObjId> {
        self.extra.as_ref().and_then(|e| e.kwdefaults)
    }
}

/// Attributes keyed by name id (`Program::names`): a class's namespace, an instance's
/// `__dict__`. Insertion-ordered with the fixed hasher, as dicts are.
pub type AttrMap = IndexMap<u32, Value, FixedState>;

/// A class made by a `class` statement.
#[derive(Clone, Debug)]
pub struct ClassObj {
    pub name: String,
    /// `A.B` for a class `B` defined in class `A` (reprs print it).
    pub qualname: String,
    /// The direct bases in the order written (empty for `object`): classes, or a built-in
    /// class (`Exception`, `Thread`).
    pub bases: Vec<Value>,
    /// The method resolution order after this class, by C3 linearization as Python computes
    /// it (classes made by `class` statements only; a built-in base ends the chain, see
    /// `builtin_base`).
    pub mro: Vec<crate::vm::value::ObjId>,
    /// The built-in class at the root of the chain, if not `object` (`Exception`, …).
    pub builtin_base: Option<Value>,
    pub dict: AttrMap,
    /// What `@dataclass` recorded (fields, generated methods).
    pub dataclass: Option<Box<crate::vm::dataclass::DataclassInfo>>,
    /// classes2: whether this class's instances have plain attributes (no property,
    /// `__getattr__` or `__setattr__` in the MRO, not a frozen dataclass), as last worked
    /// out: `Rt::class_epoch << 1 | plain`, 0 before the first look (`vm::fastclass`).
    pub attr_check: std::cell::Cell<u64>,
    /// prop: the names of the properties in the MRO as a mask of bits `name % 64`, worked
    /// out with `attr_check` (`vm::fastclass`).
    pub prop_names: std::cell::Cell<u64>,
}

/// An instance of a class made by a `class` statement.
#[derive(Clone, Debug)]
pub struct Instance {
    pub class: crate::vm::value::ObjId,
    /// Instance attributes, each with its lost-update bookkeeping (a shared location).
    pub attrs: crate::vm::attrtable::AttrTable,
    /// The built-in object behind an instance of a subclass of a built-in class: the
    /// `threading.Thread` that `Thread.__init__` made for it.
    pub base_obj: Option<ObjId>,
}

/// One traceback line: a code object and the instruction that was executing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TbEntry {
    pub code: CodeId,
    pub pc: u32,
}

/// An exception's arguments (`e.args`), inline up to two (gen3: an exception raised and
/// caught in a loop, `KeyError(i)` or `int("x")`'s message, allocates no `Vec` for them).
pub type ExcArgs = smallvec::SmallVec<[Value; 2]>;

/// An exception's traceback entries, inline up to four frames (gen3: no allocation for the
/// traceback of an exception caught a few frames above its raise).
pub type Traceback = smallvec::SmallVec<[TbEntry; 4]>;

/// An exception instance.
#[derive(Clone, Debug)]
pub struct ExcObj {
    pub kind: ExcKind,
    /// The constructor arguments (`e.args`); `str(e)` is built from them as in Python.
    pub args: ExcArgs,
    /// Innermost frame last, as Python prints it.
    pub traceback: Traceback,
    /// `raise X from Y`.
    pub cause: Option<Value>,
    /// The exception being handled when this one was raised.
    pub context: Option<Value>,
    /// The class of an instance of a `class` deriving from a built-in exception (`kind` is
    /// then that built-in base).
    pub class: Option<ObjId>,
    /// Attributes set on the exception (`self.amount = …` in a custom exception).
    pub attrs: AttrMap,
}

/// What a dict view or dict iterator yields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DictPart {
    Keys,
    Values,
    Items,
}

/// Every kind of heap object.
///
/// `repr(u8)`: an explicit one-byte tag first, so the interpreter's test for one kind of
/// object in a heap slot (`Some(Obj::RangeIter { .. })`, `Option`'s `None` being a tag value
/// no variant uses) is one byte comparison. Left to the compiler, the tag hid in a niche of
/// the `String` of `Str`, and the same test took two 64-bit comparisons (callgrind: ≈0.3 x86
/// instructions per VM instruction on the seed's counter loop).
#[derive(Debug)]
#[repr(u8)]
pub enum Obj {
    /// A `str`: its own `String`, or a prefix of a growable buffer (`vm::pystr`).
    Str(crate::vm::pystr::PyStr),
    List(Vec<Value>),
    Tuple(Vec<Value>),
    Dict(DictMap),
    /// A `set` (CPython's table, for CPython's iteration order: see `vm/set.rs`).
    Set(SetTable),
    /// A `frozenset`.
    FrozenSet(SetTable),
    /// Iterator over a set: the next slot to look at, and the set's size when it started
    /// ("Set changed size during iteration").
    SetIter {
        set: ObjId,
        index: usize,
        len_at_start: usize,
    },
    Function(Function),
    /// A closure cell; `value` is `Value::Undef` when empty. `meta` feeds the lost-update
    /// detector (a cell shared by several threads' closures is a shared location).
    Cell {
        value: Value,
        meta: LocMeta,
    },
    /// `obj.method` looked up without calling it (`f = lst.append`).
    BoundMethod {
        recv: Value,
        method: MethodId,
    },
    Range {
        start: i64,
        stop: i64,
        step: i64,
    },
    Slice {
        start: Value,
        stop: Value,
        step: Value,
    },
    /// `d.keys()`, `d.values()`, `d.items()`.
    DictView {
        dict: ObjId,
        part: DictPart,
    },
    /// Iterator over a range; `cur` advances by `step` until it passes `stop`.
    RangeIter {
        cur: i64,
        stop: i64,
        step: i64,
    },
    /// Iterator over a list or tuple by index (sees appends, as Python's list iterator does).
    SeqIter {
        seq: ObjId,
        index: usize,
    },
    /// Iterator over a string's characters; `pos` is a byte offset.
    StrIter {
        s: ObjId,
        pos: usize,
    },
    /// Iterator over a dict (`len_at_start` detects "dictionary changed size during iteration").
    DictIter {
        dict: ObjId,
        index: usize,
        part: DictPart,
        len_at_start: usize,
    },
    /// `reversed(list_or_tuple)`: walks `seq` backwards; `next` is one past the index of the
    /// next item (0 once exhausted), so a list that shrinks meanwhile just ends the iteration.
    RevSeqIter {
        seq: ObjId,
        next: usize,
    },
    /// `enumerate(iterable, start)`.
    Enumerate {
        iter: Value,
        count: i64,
    },
    /// `zip(a, b, …)`.
    Zip {
        iters: Vec<Value>,
    },
    Exception(Box<ExcObj>),
    Class(Box<ClassObj>),
    Instance(Instance),
    /// A Python function bound to its receiver (`f = obj.method`).
    BoundPyMethod {
        func: Value,
        recv: Value,
    },
    /// `super()`: look up after `class` in the MRO of `obj`'s class.
    Super {
        class: ObjId,
        obj: Value,
    },
    /// The frame function of a running class body (`__build_class__`): its namespace, and
    /// what the class is made of when the body returns.
    ClassBody {
        func: ObjId,
        name: Value,
        /// The checked bases (`object` left out).
        bases: Box<[Value]>,
        /// Boxed: a class body is rare, and inline its map would make every slot larger.
        ns: Box<AttrMap>,
    },
    /// The frame function of an `__init__` called by instantiation: its return value is
    /// replaced by the instance. `raise_it` for `raise C` of an exception class with its own
    /// `__init__`: the instance is raised then (with `raise … from` its cause, if any).
    InitCall {
        func: ObjId,
        inst: Value,
        raise_it: Option<Option<Value>>,
    },
    /// A `threading.Thread`, `Lock`, `Queue`, … (state in `vm::sync`).
    Sync(SyncObj),
    /// `property(fget, fset, fdel)`: `Value::None` for an absent accessor.
    Property {
        fget: Value,
        fset: Value,
        fdel: Value,
    },
    /// `staticmethod(f)`.
    StaticMethod(Value),
    /// `classmethod(f)`.
    ClassMethod(Value),
    /// `functools.partial(func, *args, **kw)`; `kw` holds (name str, value) pairs.
    Partial {
        func: Value,
        args: Vec<Value>,
        kw: Vec<(Value, Value)>,
    },
    /// `functools.wraps(wrapped)`: called with a wrapper function, it gives the wrapper the
    /// wrapped function's name and returns it.
    Wraps(Value),
    /// `object()`.
    PlainObject,
    /// A subscripted type or `typing` name in a type hint (`list[int]`, `typing.List[int]`,
    /// `Optional[str]`): `vm/typing_alias.rs`.
    Alias {
        origin: Value,
        args: Box<[Value]>,
    },
    /// `X | Y` of type hints (`types.UnionType`).
    UnionType(Box<[Value]>),
    // --- integers of any size and CPython's random (bigint area) ---
    /// An int outside i64's range (`vm/bigint.rs`). Always normalised: a value that fits an
    /// i64 is a `Value::Int`, never this.
    BigInt(Box<num_bigint::BigInt>),
    /// A `random.Random` instance: CPython's Mersenne Twister state (`vm/pyrandom.rs`).
    Random(Box<crate::vm::pyrandom::PyRandom>),
    /// The frame function of a special method the VM called for an operation (`a + b` calling
    /// `__add__`): what becomes of its return value (`vm::dunder`).
    DunderCall {
        func: ObjId,
        then: crate::vm::dunder::Then,
    },
    // ---- generators ----
    /// A generator object: its suspended frame (`vm::generator`).
    Generator(Box<crate::vm::generator::Generator>),
    /// What a `@contextlib.contextmanager` function returns: the generator it drives.
    GenCm(Value),
    // ---- stdlib2 ----
    /// A `collections.deque` (`vm::deque`).
    Deque(Box<crate::vm::deque::Deque>),
    /// Iterator over a deque: the next index, and the deque's mutation count when it began.
    DequeIter {
        deque: ObjId,
        index: usize,
        state: u64,
    },
    /// `itertools.count(start, step)`, native as CPython's, so `next(c)` is one atomic step
    /// (the thread-safe id generator of many tutorials).
    ItCount {
        cur: Value,
        step: Value,
    },
}

impl Obj {
    /// A rough size in bytes, for the heap limit (MemoryError) and the collection trigger.
    pub fn size_estimate(&self) -> usize {
        const V: usize = std::mem::size_of::<Value>();
        48 + match self {
            Obj::Str(s) => s.bytes(),
            Obj::List(v) | Obj::Tuple(v) => v.capacity() * V,
            // The keys' own bytes make this linear in the dict's size: it is only called when
            // the dict is allocated (built whole) and by the collector, which visits every entry
            // anyway; an insertion charges its key (`ops::setitem`, `dict_update`, …).
            Obj::Dict(d) => d
                .keys()
                .fold(d.capacity() * (V * 2 + 40), |n, k| n + k.inline_bytes()),
            Obj::Set(t) | Obj::FrozenSet(t) => t.capacity() * crate::vm::set::SLOT_BYTES,
            Obj::Function(f) => (f.defaults.len() + f.closure.len()) * V,
            Obj::Zip { iters } => iters.len() * V,
            Obj::Exception(e) => (e.args.len() + e.traceback.len()) * V,
            Obj::Sync(s) => s.size_estimate(),
            Obj::Class(c) => (c.dict.capacity() + c.mro.len()) * (V + 16),
            Obj::Instance(i) => i.attrs.capacity() * (V + 40),
            Obj::ClassBody { ns, .. } => ns.capacity() * (V + 16),
            Obj::BigInt(b) => crate::vm::bigint::byte_size(b),
            Obj::Random(_) => crate::vm::pyrandom::BYTES,
            Obj::Generator(g) => g.saved.capacity() * V,
            Obj::Deque(d) => d.items.capacity() * V,
            _ => 0,
        }
    }

    /// Calls `f` on every value this object refers to (for marking).
    fn for_each_child<F: FnMut(Value)>(&self, f: &mut F) {
        match self {
            Obj::Str(_) | Obj::Range { .. } | Obj::RangeIter { .. } => {}
            Obj::List(v) | Obj::Tuple(v) => v.iter().copied().for_each(f),
            Obj::Dict(d) => {
                for (k, v) in d.values() {
                    f(*k);
                    f(*v);
                }
            }
            Obj::Set(t) | Obj::FrozenSet(t) => t.entries().for_each(|e| f(e.value)),
            Obj::SetIter { set, .. } => f(Value::Obj(*set)),
            Obj::Function(func) => {
                func.defaults.iter().copied().for_each(&mut *f);
                func.closure.iter().copied().for_each(&mut *f);
                if let Some(kw) = func.kwdefaults() {
                    f(Value::Obj(kw));
                }
                if let Some(e) = &func.extra {
                    e.attrs.values().copied().for_each(&mut *f);
                }
            }
            Obj::Cell { value, .. } => f(*value),
            Obj::BoundMethod { recv, .. } => f(*recv),
            Obj::Slice { start, stop, step } => {
                f(*start);
                f(*stop);
                f(*step);
            }
            Obj::DictView { dict, .. } | Obj::DictIter { dict, .. } => f(Value::Obj(*dict)),
            Obj::SeqIter { seq, .. } | Obj::RevSeqIter { seq, .. } => f(Value::Obj(*seq)),
            Obj::StrIter { s, .. } => f(Value::Obj(*s)),
            Obj::Enumerate { iter, .. } => f(*iter),
            Obj::Zip { iters } => iters.iter().copied().for_each(f),
            Obj::Exception(e) => {
                e.args.iter().copied().for_each(&mut *f);
                if let Some(c) = e.class {
                    f(Value::Obj(c));
                }
                e.attrs.values().copied().for_each(&mut *f);
                if let Some(c) = e.cause {
                    f(c);
                }
                if let Some(c) = e.context {
                    f(c);
                }
            }
            Obj::Sync(s) => s.for_each_value(f),
            Obj::Class(c) => {
                c.bases.iter().copied().for_each(&mut *f);
                c.dict.values().copied().for_each(&mut *f);
                if let Some(d) = &c.dataclass {
                    d.for_each_value(f);
                }
            }
            Obj::Instance(i) => {
                f(Value::Obj(i.class));
                if let Some(b) = i.base_obj {
                    f(Value::Obj(b));
                }
                i.attrs.values().for_each(|v| f(*v));
            }
            Obj::BoundPyMethod { func, recv } => {
                f(*func);
                f(*recv);
            }
            Obj::Super { class, obj } => {
                f(Value::Obj(*class));
                f(*obj);
            }
            Obj::ClassBody {
                func,
                name,
                bases,
                ns,
            } => {
                f(Value::Obj(*func));
                f(*name);
                bases.iter().copied().for_each(&mut *f);
                ns.values().copied().for_each(f);
            }
            Obj::InitCall {
                func,
                inst,
                raise_it,
            } => {
                f(Value::Obj(*func));
                f(*inst);
                if let Some(Some(c)) = raise_it {
                    f(*c);
                }
            }
            Obj::Property { fget, fset, fdel } => {
                f(*fget);
                f(*fset);
                f(*fdel);
            }
            Obj::StaticMethod(v) | Obj::ClassMethod(v) | Obj::Wraps(v) => f(*v),
            Obj::Alias { origin, args } => {
                f(*origin);
                args.iter().copied().for_each(&mut *f);
            }
            Obj::UnionType(m) => m.iter().copied().for_each(&mut *f),
            Obj::Partial { func, args, kw } => {
                f(*func);
                args.iter().copied().for_each(&mut *f);
                for (k, v) in kw {
                    f(*k);
                    f(*v);
                }
            }
            Obj::PlainObject | Obj::BigInt(_) | Obj::Random(_) => {}
            Obj::DunderCall { func, then } => {
                f(Value::Obj(*func));
                then.for_each_value(f);
            }
            Obj::Generator(g) => g.for_each_value(f),
            Obj::GenCm(g) => f(*g),
            Obj::Deque(d) => d.items.iter().copied().for_each(f),
            Obj::DequeIter { deque, .. } => f(Value::Obj(*deque)),
            Obj::ItCount { cur, step } => {
                f(*cur);
                f(*step);
            }
        }
    }
}

/// The heap ran out of its budget: the caller raises `MemoryError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeapFull;

/// The garbage-collected object store.
pub struct Heap {
    slots: Vec<Option<Obj>>,
    marks: Vec<bool>,
    free: Vec<u32>,
    /// Estimated bytes of live objects (exact after a collection, grows with allocations).
    bytes: usize,
    /// Bytes allocated since the last collection.
    since_gc: usize,
    /// Collect when `since_gc` passes this (grows with the live size, like a generational
    /// threshold, so collection cost stays proportional to allocation).
    gc_threshold: usize,
    /// Estimated bytes beyond which allocation fails with `MemoryError`.
    limit: usize,
    /// Number of collections run (reported in the run summary).
    pub collections: u64,
}

const MIN_GC_THRESHOLD: usize = 1 << 20;

impl Heap {
    pub fn new(limit: usize) -> Heap {
        Heap {
            slots: Vec::new(),
            marks: Vec::new(),
            free: Vec::new(),
            bytes: 0,
            since_gc: 0,
            gc_threshold: MIN_GC_THRESHOLD,
            limit,
            collections: 0,
        }
    }

    /// Makes room for `n` slots in all without growing (`gilvm explore` starts each execution's
    /// heap at the size the last one reached).
    pub fn reserve_slots(&mut self, n: usize) {
        let more = n.saturating_sub(self.slots.len());
        self.slots.reserve(more);
        self.marks.reserve(more);
    }

    /// Slots in use or free (the heap's high-water mark of objects).
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Allocates an object, or fails if the heap limit would be exceeded.
    pub fn alloc(&mut self, obj: Obj) -> Result<ObjId, HeapFull> {
        let size = obj.size_estimate();
        self.alloc_charging(obj, size)
    }

    /// Allocates an object, charging `size` bytes for it instead of its size estimate: a
    /// string view that grew a shared buffer (`vm::pystr`) pays for the growth, not again
    /// for the whole buffer.
    pub fn alloc_charging(&mut self, obj: Obj, size: usize) -> Result<ObjId, HeapFull> {
        self.charge(size)?;
        let id = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(obj);
                i
            }
            None => {
                let i = self.slots.len() as u32;
                self.slots.push(Some(obj));
                self.marks.push(false);
                i
            }
        };
        Ok(ObjId(id))
    }

    /// it2: allocates an empty tuple (no `Vec` behind it) charged `size` bytes: the slot and
    /// the bytes of a tuple that nothing will refer to (`ops::iter::next_unpacked`). As
    /// [`Heap::alloc_charging`], written for that one object.
    #[inline]
    pub fn alloc_empty_tuple_charging(&mut self, size: usize) -> Result<(), HeapFull> {
        self.charge(size)?;
        match self.free.pop() {
            Some(i) => self.slots[i as usize] = Some(Obj::Tuple(Vec::new())),
            None => {
                self.slots.push(Some(Obj::Tuple(Vec::new())));
                self.marks.push(false);
            }
        }
        Ok(())
    }

    /// Whether the next allocation takes a freed slot (rather than a new one): what
    /// [`Heap::unalloc`] needs to know to take it back.
    pub fn reuses_slot(&self) -> bool {
        !self.free.is_empty()
    }

    /// Takes back allocation `id` of `size` bytes, the newest one, which took a freed slot
    /// when `reused` (`reuses_slot` before it): the heap is as before it — the same slots, the
    /// same free list in the same order, the same byte counts. (classes: the hot loop's
    /// instantiation, when `__init__`'s binding turns out to need the slow path after its
    /// objects were made, `vm::fastclass`.)
    pub fn unalloc(&mut self, id: ObjId, size: usize, reused: bool) {
        if reused {
            self.slots[id.0 as usize] = None;
            self.free.push(id.0);
        } else {
            self.slots.pop();
            self.marks.pop();
        }
        self.bytes -= size;
        self.since_gc -= size;
    }

    /// Accounts for `bytes` more memory (an allocation, or an object growing in place).
    /// Call it *before* growing, so a huge request fails without being attempted.
    pub fn charge(&mut self, bytes: usize) -> Result<(), HeapFull> {
        if self.bytes.saturating_add(bytes) > self.limit {
            return Err(HeapFull);
        }
        self.bytes += bytes;
        self.since_gc += bytes;
        Ok(())
    }

    /// Fails if `bytes` more would pass the limit, without charging them: refuses a huge result
    /// (`'x' * 10**10`) before it is built; the allocation then charges its real size.
    pub fn check(&self, bytes: usize) -> Result<(), HeapFull> {
        if self.bytes.saturating_add(bytes) > self.limit {
            return Err(HeapFull);
        }
        Ok(())
    }

    /// True when enough has been allocated that a collection is due.
    #[inline]
    pub fn wants_gc(&self) -> bool {
        self.since_gc > self.gc_threshold
    }

    /// Estimated live bytes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Number of live objects.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub fn get(&self, id: ObjId) -> &Obj {
        match &self.slots[id.0 as usize] {
            Some(o) => o,
            None => unreachable_freed(id),
        }
    }

    /// Where object `id` is stored: an address for a prefetch hint, never dereferenced.
    #[inline]
    pub fn addr(&self, id: ObjId) -> *const u8 {
        self.slots.as_ptr().wrapping_add(id.0 as usize) as *const u8
    }

    /// Object `id`'s slot, for the interpreter's hot paths that test for one kind of object
    /// (`Some(Obj::RangeIter { .. })`): matching the slot itself is one comparison of the
    /// niche-encoded tag, where `get_mut` and then a match on the object cost a second
    /// comparison for the freed case (`None`, which such a test sends to its general path).
    #[inline]
    pub fn slot_mut(&mut self, id: ObjId) -> &mut Option<Obj> {
        &mut self.slots[id.0 as usize]
    }

    #[inline]
    pub fn get_mut(&mut self, id: ObjId) -> &mut Obj {
        match &mut self.slots[id.0 as usize] {
            Some(o) => o,
            None => unreachable_freed(id),
        }
    }

    /// Marks everything reachable from `roots` and frees the rest.
    pub fn collect(&mut self, roots: impl IntoIterator<Item = Value>) {
        let mut stack: Vec<ObjId> = Vec::new();
        let push = |v: Value, marks: &mut Vec<bool>, stack: &mut Vec<ObjId>| {
            if let Value::Obj(id) | Value::PyMethod(id) = v {
                let m = &mut marks[id.0 as usize];
                if !*m {
                    *m = true;
                    stack.push(id);
                }
            }
        };
        for r in roots {
            push(r, &mut self.marks, &mut stack);
        }
        while let Some(id) = stack.pop() {
            let marks = &mut self.marks;
            if let Some(obj) = &self.slots[id.0 as usize] {
                obj.for_each_child(&mut |v| push(v, marks, &mut stack));
            }
        }
        let mut live = 0usize;
        for (i, slot) in self.slots.iter_mut().enumerate() {
            if self.marks[i] {
                self.marks[i] = false;
                if let Some(o) = slot {
                    live += o.size_estimate();
                }
            } else if slot.is_some() {
                *slot = None;
                self.free.push(i as u32);
            }
        }
        self.bytes = live;
        self.since_gc = 0;
        self.gc_threshold = MIN_GC_THRESHOLD.max(live);
        self.collections += 1;
    }

    /// The live objects, by id (for the HTML page's look-ahead: `trace/scrub.rs`).
    pub fn live(&self) -> impl Iterator<Item = (ObjId, &Obj)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|o| (ObjId(i as u32), o)))
    }

    /// Whether `id` names a live object (false for a slot freed by the last collection).
    pub fn is_live(&self, id: ObjId) -> bool {
        self.slots.get(id.0 as usize).is_some_and(|s| s.is_some())
    }

    /// Convenience accessors used all over the VM.
    pub fn str(&self, id: ObjId) -> Option<&str> {
        match self.get(id) {
            Obj::Str(s) => Some(s.as_str()),
            _ => None,
        }
    }

    // explore (VM reuse, `vm/vm_reuse.rs`): the heap as a fresh VM leaves it, and back.

    /// Where the heap stands now: its objects so far and its byte counts.
    pub fn mark(&self) -> HeapMark {
        HeapMark {
            slots: self.slots.len(),
            bytes: self.bytes,
            since_gc: self.since_gc,
            gc_threshold: self.gc_threshold,
        }
    }

    /// Back to `m` (taken on this heap when it had only the objects it still has below
    /// `m.slots`): the objects allocated since are dropped, the counts are `m`'s, and the
    /// buffers keep their capacity. `false` (and nothing done) when a collection has run
    /// since, which may have freed and reused a slot below the mark.
    pub fn reset_to(&mut self, m: &HeapMark) -> bool {
        if self.collections > 0 || self.slots.len() < m.slots {
            return false;
        }
        self.slots.truncate(m.slots);
        self.marks.truncate(m.slots);
        self.free.clear();
        self.bytes = m.bytes;
        self.since_gc = m.since_gc;
        self.gc_threshold = m.gc_threshold;
        true
    }
}

/// A heap's state at a point (see [`Heap::mark`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct HeapMark {
    slots: usize,
    bytes: usize,
    since_gc: usize,
    gc_threshold: usize,
}

#[cold]
fn unreachable_freed(id: ObjId) -> ! {
    // A freed object can only be reached through a missing GC root: a VM bug, not user input.
    panic!(
        "internal error: object {} used after it was collected",
        id.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collect_frees_unreachable_and_keeps_cycles_alive_only_if_rooted() {
        let mut h = Heap::new(1 << 30);
        let a = h.alloc(Obj::List(vec![])).unwrap();
        let b = h.alloc(Obj::List(vec![Value::Obj(a)])).unwrap();
        if let Obj::List(v) = h.get_mut(a) {
            v.push(Value::Obj(b));
        }
        let c = h.alloc(Obj::Str("garbage".into())).unwrap();
        h.collect([Value::Obj(a)]);
        assert_eq!(h.len(), 2);
        assert!(matches!(h.get(b), Obj::List(_)));
        let d = h.alloc(Obj::Str("reuses a slot".into())).unwrap();
        assert_eq!(d, c);
        h.collect([]);
        assert!(h.is_empty());
    }

    #[test]
    fn limit_raises_instead_of_allocating() {
        let mut h = Heap::new(1000);
        assert!(h.charge(2000).is_err());
        assert!(h.alloc(Obj::Str("x".repeat(10).into())).is_ok());
    }
}
#[cfg(test)]
mod size_tests {
    /// Every heap object moves through `Heap::alloc` by value and every slot is this size:
    /// the rarely used big states (an exception, a queue, a barrier, a thread's record, a
    /// semaphore, a class body's namespace, a function's keyword-only defaults, a lock's
    /// creation and acquisition sites) are boxed so that lists, strings, iterators and locks
    /// do not pay for them. 160 -> 104 bytes took ≈4% of the x86 instructions of
    /// guard_threads_1000 (callgrind); 104 -> 72 in issue 21's eleventh round.
    #[test]
    fn heap_objects_stay_small() {
        assert_eq!(std::mem::size_of::<Option<super::Obj>>(), 72);
        assert!(
            std::mem::size_of::<super::Obj>() <= 72,
            "Obj grew to {} bytes: box the new big variant",
            std::mem::size_of::<super::Obj>()
        );
    }
}
