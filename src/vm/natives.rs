//! Names of everything built in: functions and types ([`NativeId`]), modules ([`ModuleId`]),
//! attribute names the VM understands ([`AttrSym`]) and built-in methods ([`MethodId`]).
//!
//! These are closed enums so the interpreter dispatches with a `match`, never a string hash:
//! at load time every entry of `Program::names` is mapped once to its `AttrSym`, and
//! `LOAD_METHOD`/`LOAD_ATTR` then match on `(type, AttrSym)`.

macro_rules! name_enum {
    ($(#[$m:meta])* $ty:ident { $( $name:ident = $text:literal ),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[allow(non_camel_case_types)]
        pub enum $ty {
            $( $name, )*
        }

        impl $ty {
            pub const ALL: &'static [$ty] = &[ $( $ty::$name, )* ];

            /// The Python name.
            pub fn name(self) -> &'static str {
                match self { $( $ty::$name => $text, )* }
            }

            /// Looks a Python name up (only at load time or on slow paths).
            #[allow(clippy::should_implement_trait)]
            pub fn from_str(s: &str) -> Option<$ty> {
                match s { $( $text => Some($ty::$name), )* _ => None }
            }
        }
    };
}

name_enum! {
    /// Importable modules.
    ModuleId {
        Threading = "threading",
        Queue = "queue",
        Time = "time",
        Random = "random",
        Sys = "sys",
        Functools = "functools",
        Dataclasses = "dataclasses",
        Typing = "typing",
        // stdlib: modules written in Python (`vm/pymodules.rs`, `vm/pylib/`) and their
        // native helpers
        Concurrent = "concurrent",
        ConcurrentFutures = "concurrent.futures",
        Operator = "operator",
        String = "string",
        Collections = "collections",
        Logging = "logging",
        Traceback = "traceback",
        // The Python-written part of `threading` (`Timer`), found through `threading`.
        ThreadingPy = "threading._py",
        // bigint area
        Math = "math",
        // ---- generators and iteration ----
        Itertools = "itertools",
        Contextlib = "contextlib",
        // ---- stdlib2: the Python-written parts of `contextlib` and `itertools` ----
        ContextlibPy = "contextlib._py",
        ItertoolsPy = "itertools._py",
        FunctoolsPy = "functools._py",
    }
}

name_enum! {
    /// Built-in functions and types, and the functions and classes of the built-in modules.
    /// The Python name is the name inside its module (`Lock`, `sleep`).
    NativeId {
        // builtins
        Print = "print",
        Range = "range",
        Len = "len",
        Str = "str",
        Int = "int",
        Float = "float",
        Bool = "bool",
        List = "list",
        Dict = "dict",
        Tuple = "tuple",
        Set = "set",
        FrozenSet = "frozenset",
        Sum = "sum",
        Min = "min",
        Max = "max",
        Abs = "abs",
        Sorted = "sorted",
        Reversed = "reversed",
        Enumerate = "enumerate",
        Zip = "zip",
        All = "all",
        Any = "any",
        Isinstance = "isinstance",
        Repr = "repr",
        Format = "format",
        Round = "round",
        Iter = "iter",
        Next = "next",
        Divmod = "divmod",
        Pow = "pow",
        Chr = "chr",
        Ord = "ord",
        Hash = "hash",
        Id = "id",
        Hasattr = "hasattr",
        Type = "type",
        Object = "object",
        Super = "super",
        Issubclass = "issubclass",
        Callable = "callable",
        NotImplemented = "NotImplemented",
        Ellipsis = "Ellipsis",
        Getattr = "getattr",
        Setattr = "setattr",
        Delattr = "delattr",
        Property = "property",
        Staticmethod = "staticmethod",
        Classmethod = "classmethod",
        // `class` statements (`LOAD_BUILD_CLASS`) and `object.__init__`
        BuildClass = "__build_class__",
        ObjectInit = "__init__",
        // `object`'s `__new__`, `__setattr__`, `__getattribute__`, `__delattr__` (vm/attr_hooks.rs)
        ObjectNew = "__new__",
        ObjectSetattr = "__setattr__",
        ObjectGetattribute = "__getattribute__",
        ObjectDelattr = "__delattr__",
        // The prelude's `print_objects` prints the strings it made with it.
        PrintParts = "__print_parts__",
        // threading
        Thread = "Thread",
        Lock = "Lock",
        RLock = "RLock",
        Semaphore = "Semaphore",
        BoundedSemaphore = "BoundedSemaphore",
        Condition = "Condition",
        Event = "Event",
        Barrier = "Barrier",
        CurrentThread = "current_thread",
        MainThread = "main_thread",
        ActiveCount = "active_count",
        ThreadingEnumerate = "enumerate ",
        GetIdent = "get_ident",
        // queue
        Queue = "Queue",
        LifoQueue = "LifoQueue",
        PriorityQueue = "PriorityQueue",
        // time
        Sleep = "sleep",
        Time = "time",
        Monotonic = "monotonic",
        PerfCounter = "perf_counter",
        // random
        Random = "random",
        Randint = "randint",
        Randrange = "randrange",
        Choice = "choice",
        Uniform = "uniform",
        Shuffle = "shuffle",
        Seed = "seed",
        // sys
        SetSwitchInterval = "setswitchinterval",
        GetSwitchInterval = "getswitchinterval",
        SetCheckInterval = "setcheckinterval",
        GetRecursionLimit = "getrecursionlimit",
        SetRecursionLimit = "setrecursionlimit",
        Exit = "exit",
        // functools
        Wraps = "wraps",
        Partial = "partial",
        Reduce = "reduce",
        // dataclasses
        Dataclass = "dataclass",
        Field = "field",
        // typing: names that only stand in annotations (subscripting gives the name back)
        TypingAny = "Any",
        TypingOptional = "Optional",
        TypingUnion = "Union",
        TypingList = "List",
        TypingDict = "Dict",
        TypingTuple = "Tuple",
        TypingSet = "Set",
        TypingCallable = "Callable",
        TypingIterable = "Iterable",
        TypingIterator = "Iterator",
        TypingSequence = "Sequence",
        TypingMapping = "Mapping",
        TypingClassVar = "ClassVar",
        // stdlib: queue.SimpleQueue
        SimpleQueue = "SimpleQueue",
        // stdlib: threading._register_atexit
        RegisterAtexit = "_register_atexit",
        // stdlib: the native helpers of the Python-written `logging`
        StderrWrite = "_stderr_write",
        CurrentException = "_current_exception",
        FormatException = "_format_exception",
        // --- bigint area: random (CPython's), sys int limits, math ---
        Hex = "hex",
        Oct = "oct",
        Bin = "bin",
        Input = "input",
        SysStdout = "stdout",
        SysStderr = "stderr",
        // `sys.exception()` (3.11): the exception being handled, or None
        SysException = "exception",
        // `print_objects` (prelude) printing to sys.stderr
        PrintPartsErr = "__print_parts_err__",
        Choices = "choices",
        Sample = "sample",
        Gauss = "gauss",
        Getrandbits = "getrandbits",
        RandomClass = "Random",
        SetIntMaxStrDigits = "set_int_max_str_digits",
        GetIntMaxStrDigits = "get_int_max_str_digits",
        MathSqrt = "sqrt",
        MathFloor = "floor",
        MathCeil = "ceil",
        MathIsqrt = "isqrt",
        MathGcd = "gcd",
        MathLcm = "lcm",
        MathFactorial = "factorial",
        MathComb = "comb",
        MathPerm = "perm",
        MathLog = "log",
        MathLog2 = "log2",
        MathLog10 = "log10",
        MathLog1p = "log1p",
        MathExp = "exp",
        MathSin = "sin",
        MathCos = "cos",
        MathTan = "tan",
        MathAsin = "asin",
        MathAcos = "acos",
        MathAtan = "atan",
        MathAtan2 = "atan2",
        MathHypot = "hypot",
        MathFabs = "fabs",
        MathFsum = "fsum",
        MathIsclose = "isclose",
        MathProd = "prod",
        MathTrunc = "trunc",
        MathCopysign = "copysign",
        MathIsfinite = "isfinite",
        MathIsinf = "isinf",
        MathIsnan = "isnan",
        MathDegrees = "degrees",
        MathRadians = "radians",
        MathPow = "pow ",
        MathFmod = "fmod",
        MathModf = "modf",
        MathDist = "dist",
        // `dict.fromkeys` (looked up on `dict` only)
        DictFromKeys = "fromkeys",
        // ---- generators and iteration (`vm::iteration`) ----
        Map = "map",
        Filter = "filter",
        // itertools
        Count = "count",
        Cycle = "cycle",
        Repeat = "repeat",
        Accumulate = "accumulate",
        Chain = "chain",
        ChainFromIterable = "from_iterable",
        Islice = "islice",
        Product = "product",
        Permutations = "permutations",
        Combinations = "combinations",
        Groupby = "groupby",
        ZipLongest = "zip_longest",
        Starmap = "starmap",
        Takewhile = "takewhile",
        Dropwhile = "dropwhile",
        // contextlib
        Contextmanager = "contextmanager",
        // Wraps a generator in a context manager (what `contextmanager`'s helper returns).
        GenCm = "_GeneratorContextManager",
        // `type(g)` of a generator.
        GeneratorType = "generator",
        // ---- stdlib2: collections.deque (`vm::deque`) ----
        Deque = "deque",
    }
}

impl NativeId {
    /// Built-ins visible without an import (`print`, `len`, …).
    pub fn builtin_from_str(s: &str) -> Option<NativeId> {
        let id = NativeId::from_str(s)?;
        let numeric = matches!(
            id,
            NativeId::Hex | NativeId::Oct | NativeId::Bin | NativeId::Input
        );
        let lazy = matches!(id, NativeId::Map | NativeId::Filter);
        (id <= NativeId::Classmethod || numeric || lazy).then_some(id)
    }

    /// The built-ins `Vm::class_native` implements (`getattr`, `property`, `object()`,
    /// `functools`, `dataclasses`, `typing`): other calls skip it.
    pub fn is_class_native(self) -> bool {
        (NativeId::NotImplemented..=NativeId::Classmethod).contains(&self)
            || (NativeId::Wraps..=NativeId::TypingClassVar).contains(&self)
            || self == NativeId::Object
            || (NativeId::ObjectNew..=NativeId::ObjectDelattr).contains(&self)
    }

    /// `map`, `filter`, `itertools`, `contextlib` (`vm::iteration`).
    pub fn is_iteration_native(self) -> bool {
        (NativeId::Map..=NativeId::GeneratorType).contains(&self)
    }

    /// A `typing` name (`List`, `Optional`, …).
    pub fn is_typing(self) -> bool {
        (NativeId::TypingAny..=NativeId::TypingClassVar).contains(&self)
    }

    /// Whether calling it creates an instance of a type (for `isinstance` and `repr`).
    pub fn is_type(self) -> bool {
        matches!(
            self,
            NativeId::Str
                | NativeId::Int
                | NativeId::Float
                | NativeId::Bool
                | NativeId::List
                | NativeId::Dict
                | NativeId::Tuple
                | NativeId::Set
                | NativeId::FrozenSet
                | NativeId::Range
                | NativeId::Enumerate
                | NativeId::Zip
                | NativeId::Reversed
                | NativeId::Type
                | NativeId::Object
                | NativeId::Super
                | NativeId::Property
                | NativeId::Staticmethod
                | NativeId::Classmethod
                | NativeId::GeneratorType
                | NativeId::Deque
        )
    }
}

impl ModuleId {
    /// The functions and classes a module exports (exceptions are looked up separately).
    pub fn member(self, name: &str) -> Option<NativeId> {
        use NativeId::*;
        let members: &[NativeId] = match self {
            ModuleId::Threading => &[
                Thread,
                Lock,
                RLock,
                Semaphore,
                BoundedSemaphore,
                Condition,
                Event,
                Barrier,
                CurrentThread,
                MainThread,
                ActiveCount,
                GetIdent,
                RegisterAtexit,
                // stdlib2: for `threading.excepthook`, written in Python
                StderrWrite,
                FormatException,
            ],
            ModuleId::Queue => &[Queue, LifoQueue, PriorityQueue, SimpleQueue],
            ModuleId::Time => &[Sleep, Time, Monotonic, PerfCounter],
            ModuleId::Random => &[
                Random,
                Randint,
                Randrange,
                Choice,
                Uniform,
                Shuffle,
                Seed,
                Choices,
                Sample,
                Gauss,
                Getrandbits,
                RandomClass,
            ],
            ModuleId::Sys => &[
                SetSwitchInterval,
                GetSwitchInterval,
                SetCheckInterval,
                GetRecursionLimit,
                SetRecursionLimit,
                Exit,
                SetIntMaxStrDigits,
                GetIntMaxStrDigits,
                SysStdout,
                SysStderr,
                SysException,
            ],
            ModuleId::Functools => &[Wraps, Partial, Reduce],
            ModuleId::Dataclasses => &[Dataclass, Field],
            ModuleId::Math => &[],
            ModuleId::Typing => &[
                TypingAny,
                TypingOptional,
                TypingUnion,
                TypingList,
                TypingDict,
                TypingTuple,
                TypingSet,
                TypingCallable,
                TypingIterable,
                TypingIterator,
                TypingSequence,
                TypingMapping,
                TypingClassVar,
            ],
            // stdlib: the Python-written modules' members are their globals
            // (`Vm::module_member`); the native helpers' are listed here.
            ModuleId::Concurrent
            | ModuleId::ConcurrentFutures
            | ModuleId::Operator
            | ModuleId::String
            | ModuleId::ThreadingPy
            | ModuleId::ContextlibPy
            | ModuleId::ItertoolsPy
            | ModuleId::FunctoolsPy => &[],
            ModuleId::Logging | ModuleId::Traceback => {
                &[StderrWrite, CurrentException, FormatException]
            }
            ModuleId::Itertools | ModuleId::Contextlib | ModuleId::Collections => &[],
        };
        let members: &[NativeId] = match self {
            ModuleId::Itertools => &[
                Count,
                Cycle,
                Repeat,
                Accumulate,
                Chain,
                Islice,
                Product,
                Permutations,
                Combinations,
                Groupby,
                ZipLongest,
                Starmap,
                Takewhile,
                Dropwhile,
            ],
            ModuleId::Contextlib => &[Contextmanager],
            ModuleId::Collections => &[Deque],
            _ => members,
        };
        if self == ModuleId::Threading && name == "enumerate" {
            return Some(ThreadingEnumerate);
        }
        if self == ModuleId::Math {
            if name == "pow" {
                return Some(MathPow);
            }
            let id = NativeId::from_str(name)?;
            return (MathSqrt..=MathDist).contains(&id).then_some(id);
        }
        members.iter().copied().find(|m| m.name() == name)
    }
}

name_enum! {
    /// Attribute names that built-in objects have (methods and data attributes).
    AttrSym {
        // list / str / dict methods
        append = "append",
        pop = "pop",
        extend = "extend",
        insert = "insert",
        remove = "remove",
        index = "index",
        count = "count",
        sort = "sort",
        reverse = "reverse",
        copy = "copy",
        clear = "clear",
        join = "join",
        split = "split",
        upper = "upper",
        lower = "lower",
        strip = "strip",
        lstrip = "lstrip",
        rstrip = "rstrip",
        startswith = "startswith",
        endswith = "endswith",
        replace = "replace",
        find = "find",
        format = "format",
        isdigit = "isdigit",
        // more str methods (runtime)
        rfind = "rfind",
        rindex = "rindex",
        rsplit = "rsplit",
        splitlines = "splitlines",
        isalpha = "isalpha",
        isalnum = "isalnum",
        isspace = "isspace",
        isupper = "isupper",
        islower = "islower",
        isdecimal = "isdecimal",
        isnumeric = "isnumeric",
        title = "title",
        capitalize = "capitalize",
        swapcase = "swapcase",
        casefold = "casefold",
        zfill = "zfill",
        center = "center",
        ljust = "ljust",
        rjust = "rjust",
        partition = "partition",
        rpartition = "rpartition",
        removeprefix = "removeprefix",
        removesuffix = "removesuffix",
        popitem = "popitem",
        get = "get",
        items = "items",
        keys = "keys",
        values = "values",
        setdefault = "setdefault",
        update = "update",
        // set methods
        add = "add",
        discard = "discard",
        union = "union",
        intersection = "intersection",
        difference = "difference",
        symmetric_difference = "symmetric_difference",
        intersection_update = "intersection_update",
        difference_update = "difference_update",
        symmetric_difference_update = "symmetric_difference_update",
        issubset = "issubset",
        issuperset = "issuperset",
        isdisjoint = "isdisjoint",
        // threads
        start = "start",
        run = "run",
        is_alive = "is_alive",
        name = "name",
        ident = "ident",
        native_id = "native_id",
        daemon = "daemon",
        // locks and friends
        acquire = "acquire",
        release = "release",
        locked = "locked",
        wait = "wait",
        wait_for = "wait_for",
        notify = "notify",
        notify_all = "notify_all",
        set = "set",
        is_set = "is_set",
        reset = "reset",
        abort = "abort",
        parties = "parties",
        n_waiting = "n_waiting",
        broken = "broken",
        // `Barrier._release`: the prelude's `barrier_action` calls it after the action.
        barrier_release = "_release",
        // queues
        put = "put",
        get_nowait = "get_nowait",
        put_nowait = "put_nowait",
        qsize = "qsize",
        empty = "empty",
        full = "full",
        task_done = "task_done",
        maxsize = "maxsize",
        // exceptions and misc
        args = "args",
        dunder_cause = "__cause__",
        dunder_context = "__context__",
        dunder_suppress_context = "__suppress_context__",
        enter = "__enter__",
        exit = "__exit__",
        dunder_name = "__name__",
        dunder_defaults = "__defaults__",
        dunder_class = "__class__",
        dunder_init = "__init__",
        real = "real",
        imag = "imag",
        // properties, static and class methods, functools.partial
        setter = "setter",
        getter = "getter",
        deleter = "deleter",
        fget = "fget",
        fset = "fset",
        fdel = "fdel",
        func = "func",
        // stdlib: Thread's old-style accessors
        getName = "getName",
        setName = "setName",
        isDaemon = "isDaemon",
        setDaemon = "setDaemon",
        // --- bigint area: int and random.Random methods ---
        bit_length = "bit_length",
        random = "random",
        randint = "randint",
        randrange = "randrange",
        choice = "choice",
        choices = "choices",
        shuffle = "shuffle",
        sample = "sample",
        uniform = "uniform",
        gauss = "gauss",
        getrandbits = "getrandbits",
        seed = "seed",
        write = "write",
        flush = "flush",
        // generators
        send = "send",
        throw = "throw",
        close = "close",
        from_iterable = "from_iterable",
        fromkeys = "fromkeys",
        value = "value",
        // stdlib2: collections.deque
        appendleft = "appendleft",
        popleft = "popleft",
        extendleft = "extendleft",
        rotate = "rotate",
        maxlen = "maxlen",
    }
}

/// The built-in types whose instances have methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TypeTag {
    Str,
    List,
    Tuple,
    Dict,
    Set,
    FrozenSet,
    Thread,
    Lock,
    RLock,
    Semaphore,
    Condition,
    Event,
    Barrier,
    Queue,
    /// `BaseException.__init__`, reached through `super()` in a custom exception.
    Exception,
    /// `property.setter`, `getter`, `deleter`.
    Property,
    // bigint area
    /// `int.bit_length` (small and big ints).
    Int,
    /// A `random.Random` instance.
    Random,
    /// `sys.stdout` / `sys.stderr` (`write`, `flush`).
    Stream,
    // ---- generators ----
    /// `send`, `throw`, `close`.
    Generator,
    // stdlib2
    /// A `collections.deque`.
    Deque,
}

/// A built-in method: the receiver's type and the attribute name. Carried by
/// `Value::Method` (4 bytes, so `Value` stays 16) and by bound-method objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MethodId {
    pub ty: TypeTag,
    pub attr: AttrSym,
}
