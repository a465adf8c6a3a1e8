//! Code objects and the instruction set shared by the compiler and the VM.
//!
//! The instruction set is CPython 3.11's, by name and by meaning. CPython's purely internal
//! instructions (CACHE, PRECALL, PUSH_NULL, EXTENDED_ARG, …) are left out of what the VM runs;
//! gilvm adds none of its own where CPython has one. `gilvm dis` still prints exactly what
//! `python3.11 -m dis` prints: `dis_layout` derives CPython's layout from these instructions
//! and the display-only fields of [`CodeObject`] (`names`, `hints`, `offsets`).
//!
//! Two deliberate differences from CPython in the executed stream:
//! - Offsets: every instruction is one unit here (no inline caches); [`CodeObject::offsets`]
//!   gives CPython's byte offset of each.
//! - Names: the operand of `LOAD_GLOBAL`, `STORE_GLOBAL`, `LOAD_NAME`, `STORE_NAME`,
//!   `DELETE_*` of globals, `LOAD_ATTR`, `STORE_ATTR`, `LOAD_METHOD`, `IMPORT_NAME` and
//!   `IMPORT_FROM` is an index into the program-wide name table [`Program::names`], not a
//!   per-code `co_names` ([`CodeObject::names`] keeps CPython's order for `dis`). The VM keeps module globals in an array indexed by that same id, so a
//!   global access never hashes a string.
//!
//! Architecture invariant: this module depends on nothing else in the crate (the source
//! `Span` it keeps per instruction is defined here; the AST re-exports it).

/// A half-open byte range `start..end` into the program source (each instruction keeps the
/// span of the code it came from; the AST's nodes carry one too).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A whole compiled program: its code objects (index 0 is the module) and the name table.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Program {
    /// Index 0 is `<module>`; a `Const::Code(i)` refers to `codes[i]`.
    pub codes: Vec<CodeObject>,
    /// Interned names: globals, attribute names, module names. Operands of the name
    /// instructions index this table.
    pub names: Vec<String>,
    /// The file name as given on the command line (`-` is shown as `<stdin>`).
    pub filename: String,
    /// The program text, for tracebacks and traces.
    pub source: String,
}

/// Index of a code object in [`Program::codes`].
pub type CodeId = u32;

/// One function body (or the module body, a lambda, a comprehension), as CPython's code object.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CodeObject {
    /// `<module>`, the function name, `<lambda>`, `<listcomp>` or `<genexpr>`.
    pub name: String,
    /// Dotted qualified name as Python's `__qualname__` (`outer.<locals>.inner`).
    pub qualname: String,
    /// Line of the `def` (1 for the module).
    pub first_line: u32,
    /// Number of positional parameters.
    pub argcount: u32,
    /// Number of keyword-only parameters (they follow the positional ones in `varnames`).
    pub kwonlyargcount: u32,
    /// True if the function takes `*args` (its slot follows the keyword-only ones).
    pub has_varargs: bool,
    /// True if the function takes `**kwargs` (its slot follows `*args`'s, or the keyword-only
    /// ones).
    pub has_varkeywords: bool,
    /// Local variable names: parameters first (positional, keyword-only, `*args`, `**kwargs`),
    /// then the
    /// other locals. Indexes `LOAD_FAST` / `STORE_FAST`.
    pub varnames: Vec<String>,
    /// Names of this code's locals that are captured by inner functions (cells). In the frame's
    /// "fast locals" array cells follow the plain locals: cell `i` is slot `varnames.len() + i`.
    /// A parameter that is also a cell appears in both lists and keeps its parameter slot, as
    /// in CPython 3.11: `MAKE_CELL` wraps the argument in place and the `*_DEREF` instructions
    /// use that slot (its slot `varnames.len() + i` is unused).
    pub cellvars: Vec<String>,
    /// Names of free variables, received from the enclosing function's cells at call time.
    /// Free var `i` is slot `varnames.len() + cellvars.len() + i`.
    pub freevars: Vec<String>,
    /// Constants; `LOAD_CONST i` pushes `consts[i]`.
    pub consts: Vec<Const>,
    pub instrs: Vec<Instr>,
    /// Source location of each instruction (same length as `instrs`): the span of the
    /// expression or statement it came from.
    pub spans: Vec<Span>,
    /// Source line (1-based) of each instruction (same length as `instrs`).
    pub lines: Vec<u32>,
    /// Where an exception raised inside `start..end` goes: CPython 3.11's exception table.
    pub exception_table: Vec<ExceptionEntry>,
    /// Maximum depth of the value stack, computed by the compiler.
    pub stacksize: u32,
    // ---- CPython 3.11 layout, for `dis` and traces only (see `src/dis_layout.rs`) ----
    /// CPython's `co_names`: the program-wide name ids this code uses, in the order CPython's
    /// compiler adds them (first use during code generation, dead code included). Name
    /// operands print as their position here.
    pub names: Vec<u32>,
    /// Per instruction (same length as `instrs`): [`HINT_PUSH_NULL`], [`HINT_SELF_SLOT`].
    pub hints: Vec<u8>,
    /// Per instruction (same length as `instrs`): its offset in `python3.11 -m dis`, in bytes
    /// (after CPython's `PUSH_NULL`, `PRECALL`, `EXTENDED_ARG` and inline caches), computed
    /// by `dis_layout::offsets` once the code is compiled.
    pub offsets: Vec<u32>,
}

// ---- `dis` hints (CPython 3.11 layout; area: dis) ----
/// CPython 3.11 pushes a NULL before this instruction (the first of a callee that is not a
/// method): `dis` shows `PUSH_NULL`, or `LOAD_GLOBAL`'s `NULL +`.
pub const HINT_PUSH_NULL: u8 = 1;
/// A `CALL` whose first argument CPython 3.11 passes in the NULL/self slot (a decorator, a
/// comprehension's function, `assert`'s message): CPython's operand is one less.
pub const HINT_SELF_SLOT: u8 = 2;
/// A `LOAD_DEREF` in a class body: CPython 3.11 emits `LOAD_CLASSDEREF` (the class namespace
/// first, then the cell). Without metaclasses a class body's namespace never holds a name the
/// compiler resolved as free (it is never bound there), so the VM runs the plain
/// `LOAD_DEREF`; `dis` and traces print CPython's name.
pub const HINT_CLASSDEREF: u8 = 4;
/// Bits 3–7: further `PUSH_NULL`s CPython 3.11 pushes before this instruction, beyond the one
/// [`HINT_PUSH_NULL`] stands for: a callee that is itself a call's result (`f()()` pushes
/// two NULLs before `f`), up to 31.
pub const HINT_EXTRA_NULLS_SHIFT: u8 = 3;

impl CodeObject {
    /// Size of the frame's fast-locals array: locals, then cells, then free variables.
    pub fn nlocalsplus(&self) -> usize {
        self.varnames.len() + self.cellvars.len() + self.freevars.len()
    }

    /// The name of fast-locals slot `i` (a local, a cell or a free variable).
    pub fn localsplus_name(&self, i: usize) -> &str {
        let nv = self.varnames.len();
        let nc = self.cellvars.len();
        if i < nv {
            &self.varnames[i]
        } else if i < nv + nc {
            &self.cellvars[i - nv]
        } else {
            &self.freevars[i - nv - nc]
        }
    }
}

/// One row of the exception table: an exception raised by an instruction in `start..end`
/// (instruction indices, end exclusive) pops the value stack down to `depth` entries, pushes
/// the offset of the raising instruction if `lasti`, pushes the exception, and jumps to `target`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExceptionEntry {
    pub start: u32,
    pub end: u32,
    pub target: u32,
    pub depth: u32,
    pub lasti: bool,
}

/// A compile-time constant.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Const {
    None,
    /// `...`
    Ellipsis,
    Bool(bool),
    Int(i64),
    /// An int beyond i64, as decimal digits (a literal, or a folded negation of one).
    BigInt(String),
    Float(f64),
    Str(String),
    /// A tuple of constants (default values, `KW_NAMES` name tuples, `('Thread',)` for imports).
    Tuple(Vec<Const>),
    /// A frozenset of constants, items in source order (`x in {1, 2, 3}`, `{1, 2, 3}`).
    FrozenSet(Vec<Const>),
    /// A nested code object, for `MAKE_FUNCTION`.
    Code(CodeId),
}

/// One instruction: an opcode and its operand (0 when the opcode takes none).
/// Jump operands are relative, in instructions, as in CPython 3.11:
/// forward jumps go to `index + 1 + arg`, backward jumps to `index + 1 - arg`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Instr {
    pub op: Opcode,
    pub arg: u32,
    /// For the interpreter only, set by [`Program::mark_fused_runs`] (always false in compiled
    /// code; it lives in the instruction's padding): this is the first instruction of a run
    /// that `Vm::hot` may execute in one step — a global read-modify-write `LOAD_GLOBAL x;
    /// LOAD_CONST c; BINARY_OP (+, -, +=, -=); STORE_GLOBAL y` (or the `_NAME` forms), such
    /// as `counter += 1`, a loop step `FOR_ITER; STORE_FAST i`, or a loop's back edge
    /// `JUMP_BACKWARD` to its `FOR_ITER`.
    pub fused: bool,
    /// For the interpreter only, set by `vm::cta::mark_checks` (check-then-act detector; false
    /// in compiled code, also in the padding): this instruction's result feeds a conditional
    /// jump and reads a location other threads may write — a check. `Vm::hot` sends a marked
    /// `COMPARE_OP` or jump to the slow path, which records the check.
    pub check: bool,
    /// For the interpreter only, set by [`Program::mark_fused_runs`] (false in compiled code,
    /// also in the padding): the next instruction takes this one's result at once — a
    /// `FOR_ITER` followed by an `UNPACK_SEQUENCE`, which `Vm::hot` may run with it in one
    /// step (`Vm::for_iter_step`, it2), or a `CALL` followed by `GET_ITER`, whose `range(…)`
    /// becomes its own iterator (`Vm::range_feeds_iter`).
    pub with_next: bool,
}

impl Instr {
    pub fn new(op: Opcode, arg: u32) -> Instr {
        Instr {
            op,
            arg,
            fused: false,
            check: false,
            with_next: false,
        }
    }

    /// The index this jump instruction at `index` goes to, or `None` if it is not a jump.
    pub fn jump_target(&self, index: usize) -> Option<usize> {
        let next = index + 1;
        match self.op.jump_kind() {
            JumpKind::Forward => Some(next + self.arg as usize),
            JumpKind::Backward => Some(next.saturating_sub(self.arg as usize)),
            JumpKind::None => None,
        }
    }
}

/// Direction of a jump instruction's relative operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JumpKind {
    None,
    Forward,
    Backward,
}

/// `COMPARE_OP` operands, as CPython's `cmp_op` table.
pub const CMP_OPS: [&str; 6] = ["<", "<=", "==", "!=", ">", ">="];

/// `BINARY_OP` operand names, as CPython 3.11's `_nb_ops` (0..=12, then the in-place forms).
pub const BINARY_OPS: [&str; 26] = [
    "+", "&", "//", "<<", "@", "*", "%", "|", "**", ">>", "-", "/", "^", "+=", "&=", "//=", "<<=",
    "@=", "*=", "%=", "|=", "**=", ">>=", "-=", "/=", "^=",
];

/// `MAKE_FUNCTION` flag: a tuple of positional defaults is on the stack.
pub const MAKE_FUNCTION_DEFAULTS: u32 = 0x01;
/// `MAKE_FUNCTION` flag: a dict of keyword-only defaults is on the stack.
pub const MAKE_FUNCTION_KWDEFAULTS: u32 = 0x02;
/// `MAKE_FUNCTION` flag: a tuple of annotations (name, value pairs, flattened) is on the stack.
pub const MAKE_FUNCTION_ANNOTATIONS: u32 = 0x04;
/// `MAKE_FUNCTION` flag: a tuple of cells for the free variables is on the stack.
pub const MAKE_FUNCTION_CLOSURE: u32 = 0x08;

/// `FORMAT_VALUE` flags (low two bits: conversion; bit 2: a format spec is on the stack).
pub const FVC_NONE: u32 = 0;
pub const FVC_STR: u32 = 1;
pub const FVC_REPR: u32 = 2;
pub const FVC_ASCII: u32 = 3;
pub const FVS_HAVE_SPEC: u32 = 4;

macro_rules! opcodes {
    ($( $(#[$doc:meta])* $name:ident = $text:literal, $jump:ident; )*) => {
        /// The instruction set: CPython 3.11 opcodes that gilvm's compiler emits.
        /// Each variant's doc gives its operand and its stack effect.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[repr(u8)]
        #[allow(non_camel_case_types)]
        pub enum Opcode {
            $( $(#[$doc])* $name, )*
        }

        impl Opcode {
            /// Every opcode, in declaration order.
            pub const ALL: &'static [Opcode] = &[ $( Opcode::$name, )* ];

            /// The CPython opname, e.g. `"LOAD_GLOBAL"`.
            pub fn name(self) -> &'static str {
                match self { $( Opcode::$name => $text, )* }
            }

            /// Whether the operand is a relative jump, and in which direction.
            pub fn jump_kind(self) -> JumpKind {
                match self { $( Opcode::$name => JumpKind::$jump, )* }
            }
        }
    };
}

opcodes! {
    /// No operand. Does nothing.
    NOP = "NOP", None;
    /// No operand. Pops TOS.
    POP_TOP = "POP_TOP", None;
    /// `COPY i`: pushes a copy of the i-th item (1 = TOS).
    COPY = "COPY", None;
    /// `SWAP i`: swaps TOS with the i-th item.
    SWAP = "SWAP", None;
    /// Operand: 0 at a function's start. Function entry; a switch point for the 3.10+ models.
    RESUME = "RESUME", None;

    /// No operand. TOS = -TOS.
    UNARY_NEGATIVE = "UNARY_NEGATIVE", None;
    /// No operand. TOS = +TOS.
    UNARY_POSITIVE = "UNARY_POSITIVE", None;
    /// No operand. TOS = not TOS.
    UNARY_NOT = "UNARY_NOT", None;
    /// No operand. TOS = ~TOS.
    UNARY_INVERT = "UNARY_INVERT", None;
    /// Operand: [`BINARY_OPS`] index (13+ = in-place). Pops rhs, lhs; pushes lhs op rhs.
    BINARY_OP = "BINARY_OP", None;
    /// Operand: [`CMP_OPS`] index. Pops rhs, lhs; pushes the comparison.
    COMPARE_OP = "COMPARE_OP", None;
    /// Operand: 0 for `is`, 1 for `is not`. Pops two, pushes a bool.
    IS_OP = "IS_OP", None;
    /// Operand: 0 for `in`, 1 for `not in`. Pops container (TOS), item; pushes a bool.
    CONTAINS_OP = "CONTAINS_OP", None;

    /// No operand. Pops index, container; pushes container[index].
    BINARY_SUBSCR = "BINARY_SUBSCR", None;
    /// No operand. Pops index (TOS), container, value; does container[index] = value.
    STORE_SUBSCR = "STORE_SUBSCR", None;
    /// No operand. Pops index, container; does del container[index].
    DELETE_SUBSCR = "DELETE_SUBSCR", None;
    /// Operand 2 or 3: pops step?, stop, start; pushes a slice object.
    BUILD_SLICE = "BUILD_SLICE", None;

    /// No operand. TOS = iter(TOS).
    GET_ITER = "GET_ITER", None;
    /// Relative forward jump. TOS is an iterator: pushes its next item, or (exhausted) pops
    /// the iterator and jumps.
    FOR_ITER = "FOR_ITER", Forward;

    /// Operand: const index. Pushes `consts[i]`.
    LOAD_CONST = "LOAD_CONST", None;
    /// Operand: name id. Module-level load: globals, then builtins.
    LOAD_NAME = "LOAD_NAME", None;
    /// Operand: name id. Module-level store into globals.
    STORE_NAME = "STORE_NAME", None;
    /// Operand: name id. Module-level `del`.
    DELETE_NAME = "DELETE_NAME", None;
    /// Operand: name id. Pushes the global, or the builtin of that name.
    LOAD_GLOBAL = "LOAD_GLOBAL", None;
    /// Operand: name id. Pops TOS into the global.
    STORE_GLOBAL = "STORE_GLOBAL", None;
    /// Operand: name id. Deletes the global.
    DELETE_GLOBAL = "DELETE_GLOBAL", None;
    /// Operand: fast-locals slot. Pushes the local (UnboundLocalError if unset).
    LOAD_FAST = "LOAD_FAST", None;
    /// Operand: fast-locals slot. Pops TOS into the local.
    STORE_FAST = "STORE_FAST", None;
    /// Operand: fast-locals slot. Unbinds the local.
    DELETE_FAST = "DELETE_FAST", None;
    /// Operand: fast-locals slot holding a cell. Replaces the slot's value by a new cell
    /// holding it (emitted at function start for captured locals).
    MAKE_CELL = "MAKE_CELL", None;
    /// Operand: number of free variables. Copies the function's closure cells into the
    /// last slots of fast locals (emitted at function start).
    COPY_FREE_VARS = "COPY_FREE_VARS", None;
    /// Operand: fast-locals slot of a cell. Pushes the cell itself (to build a closure).
    LOAD_CLOSURE = "LOAD_CLOSURE", None;
    /// Operand: fast-locals slot of a cell. Pushes the cell's content.
    LOAD_DEREF = "LOAD_DEREF", None;
    /// Operand: fast-locals slot of a cell. Pops TOS into the cell.
    STORE_DEREF = "STORE_DEREF", None;
    /// Operand: fast-locals slot of a cell. Empties the cell.
    DELETE_DEREF = "DELETE_DEREF", None;
    /// Operand: name id. TOS = TOS.name.
    LOAD_ATTR = "LOAD_ATTR", None;
    /// Operand: name id. Pops obj (TOS), value; does obj.name = value.
    STORE_ATTR = "STORE_ATTR", None;
    /// Operand: name id. Pops obj; does del obj.name.
    DELETE_ATTR = "DELETE_ATTR", None;
    /// Operand: name id. Pops obj; pushes what `CALL` needs to call obj.name (a method, bound).
    LOAD_METHOD = "LOAD_METHOD", None;

    /// Operand: count. Pops that many items; pushes a tuple of them.
    BUILD_TUPLE = "BUILD_TUPLE", None;
    /// Operand: count. Pops that many items; pushes a list of them.
    BUILD_LIST = "BUILD_LIST", None;
    /// Operand: count of pairs. Pops 2*count items (k1, v1, k2, v2 …); pushes a dict.
    BUILD_MAP = "BUILD_MAP", None;
    /// Operand: count. Pops a tuple of keys, then count values; pushes a dict.
    BUILD_CONST_KEY_MAP = "BUILD_CONST_KEY_MAP", None;
    /// Operand: count. Pops that many strings; pushes their concatenation (f-strings).
    BUILD_STRING = "BUILD_STRING", None;
    /// Operand i: pops TOS and appends it to the list at stack position i (comprehensions).
    LIST_APPEND = "LIST_APPEND", None;
    /// Operand i: pops an iterable, extends the list at stack position i with it.
    LIST_EXTEND = "LIST_EXTEND", None;
    /// No operand. TOS = tuple(TOS) for a list TOS.
    LIST_TO_TUPLE = "LIST_TO_TUPLE", None;
    /// Operand i: pops value, key; sets dict at stack position i [key] = value.
    MAP_ADD = "MAP_ADD", None;
    /// Operand: count. Pops that many items; pushes a set of them.
    BUILD_SET = "BUILD_SET", None;
    /// Operand i: pops TOS and adds it to the set at stack position i.
    SET_ADD = "SET_ADD", None;
    /// Operand i: pops an iterable, adds its items to the set at stack position i.
    SET_UPDATE = "SET_UPDATE", None;
    /// Operand i: pops a mapping, updates the dict at stack position i with it (`{**m}`).
    DICT_UPDATE = "DICT_UPDATE", None;
    /// Operand i: as `DICT_UPDATE`, but a key already there is an error (`f(**a, **b)`; the
    /// callee, named in the message, is at stack position i + 2).
    DICT_MERGE = "DICT_MERGE", None;
    /// Operand: `before | after << 8`. Pops a sequence; pushes its last `after` items, a list
    /// of the middle ones, then its first `before` items (the first item on top):
    /// `a, *b, c = seq`, and star patterns of `match`.
    UNPACK_EX = "UNPACK_EX", None;
    /// Operand: count. Pops a sequence, pushes its items (the first item on top).
    UNPACK_SEQUENCE = "UNPACK_SEQUENCE", None;
    /// Operand: [`FVC_NONE`]… flags. Pops spec? and value; pushes the formatted string.
    FORMAT_VALUE = "FORMAT_VALUE", None;

    /// No operand. Pushes `len(TOS)` (TOS stays).
    GET_LEN = "GET_LEN", None;
    /// No operand. Pushes whether TOS is a sequence for pattern matching (list, tuple,
    /// range; not str). TOS stays.
    MATCH_SEQUENCE = "MATCH_SEQUENCE", None;
    /// No operand. Pushes whether TOS is a mapping for pattern matching (a dict). TOS stays.
    MATCH_MAPPING = "MATCH_MAPPING", None;
    /// No operand. TOS is a tuple of keys, TOS1 a mapping: pushes a tuple of their values,
    /// or None if a key is missing. Both stay.
    MATCH_KEYS = "MATCH_KEYS", None;
    /// Operand: number of positional sub-patterns. Pops a tuple of keyword attribute names
    /// and a class; replaces the subject (now TOS) with a tuple of the attributes the
    /// sub-patterns match against, or None if it is not an instance or lacks one.
    MATCH_CLASS = "MATCH_CLASS", None;

    /// Relative forward jump, unconditional.
    JUMP_FORWARD = "JUMP_FORWARD", Forward;
    /// Relative backward jump, unconditional: closes every loop. A switch point for 3.10+.
    JUMP_BACKWARD = "JUMP_BACKWARD", Backward;
    /// Relative forward jump. Pops TOS; jumps if it is false.
    POP_JUMP_FORWARD_IF_FALSE = "POP_JUMP_FORWARD_IF_FALSE", Forward;
    /// Relative forward jump. Pops TOS; jumps if it is true.
    POP_JUMP_FORWARD_IF_TRUE = "POP_JUMP_FORWARD_IF_TRUE", Forward;
    /// Relative forward jump. Pops TOS; jumps if it is None.
    POP_JUMP_FORWARD_IF_NONE = "POP_JUMP_FORWARD_IF_NONE", Forward;
    /// Relative forward jump. Pops TOS; jumps if it is not None.
    POP_JUMP_FORWARD_IF_NOT_NONE = "POP_JUMP_FORWARD_IF_NOT_NONE", Forward;
    /// Relative backward jump. Pops TOS; jumps back if it is false (a switch point when taken).
    POP_JUMP_BACKWARD_IF_FALSE = "POP_JUMP_BACKWARD_IF_FALSE", Backward;
    /// Relative backward jump. Pops TOS; jumps back if it is true (a switch point when taken).
    POP_JUMP_BACKWARD_IF_TRUE = "POP_JUMP_BACKWARD_IF_TRUE", Backward;
    /// Relative backward jump. Pops TOS; jumps back if it is None (a switch point when taken).
    POP_JUMP_BACKWARD_IF_NONE = "POP_JUMP_BACKWARD_IF_NONE", Backward;
    /// Relative backward jump. Pops TOS; jumps back if it is not None (a switch point when
    /// taken).
    POP_JUMP_BACKWARD_IF_NOT_NONE = "POP_JUMP_BACKWARD_IF_NOT_NONE", Backward;
    /// Relative forward jump. If TOS is false jumps and keeps it, else pops it (`and`).
    JUMP_IF_FALSE_OR_POP = "JUMP_IF_FALSE_OR_POP", Forward;
    /// Relative forward jump. If TOS is true jumps and keeps it, else pops it (`or`).
    JUMP_IF_TRUE_OR_POP = "JUMP_IF_TRUE_OR_POP", Forward;

    /// Operand: const index of a tuple of keyword names for the next `CALL`.
    KW_NAMES = "KW_NAMES", None;
    /// Operand: argc (positional + keyword). Pops argc arguments and the callable (pushed
    /// before them); pushes the result. The last `len(kw_names)` arguments are keywords.
    CALL = "CALL", None;
    /// Operand: 1 if a dict of keyword arguments is on top. Pops kwargs?, an args tuple and
    /// the callable; pushes the result (`f(*args)`).
    CALL_FUNCTION_EX = "CALL_FUNCTION_EX", None;
    /// Operand: MAKE_FUNCTION_* flags. Pops the code constant, then closure?, kwdefaults?,
    /// defaults? (in that order from the top); pushes a function.
    MAKE_FUNCTION = "MAKE_FUNCTION", None;
    /// No operand. Pops TOS and returns it to the caller.
    RETURN_VALUE = "RETURN_VALUE", None;

    /// No operand. Pops a context manager; pushes its bound `__exit__`, then the result of
    /// `__enter__()` (which may block, e.g. a contended lock).
    BEFORE_WITH = "BEFORE_WITH", None;
    /// No operand. Stack: exit, lasti, prev_exc, exc (TOS): calls exit(type, exc, tb) and
    /// pushes its result.
    WITH_EXCEPT_START = "WITH_EXCEPT_START", None;
    /// No operand. Pops exc; pushes the previously handled exception, then exc.
    PUSH_EXC_INFO = "PUSH_EXC_INFO", None;
    /// No operand. Pops the saved previous exception and restores it as the one handled.
    POP_EXCEPT = "POP_EXCEPT", None;
    /// Operand: if nonzero, the stack item at that depth is `lasti` to restore. Re-raises TOS.
    RERAISE = "RERAISE", None;
    /// No operand. TOS is an exception type (or tuple); pushes whether TOS1 matches it,
    /// popping the type.
    CHECK_EXC_MATCH = "CHECK_EXC_MATCH", None;
    /// Operand 0: re-raise; 1: raise TOS; 2: raise TOS1 from TOS.
    RAISE_VARARGS = "RAISE_VARARGS", None;
    /// No operand. Pushes AssertionError.
    LOAD_ASSERTION_ERROR = "LOAD_ASSERTION_ERROR", None;

    /// Operand: name id of the module. Pops fromlist, level; pushes the module.
    IMPORT_NAME = "IMPORT_NAME", None;
    /// Operand: name id. Pushes TOS.name for a module TOS (kept on the stack).
    IMPORT_FROM = "IMPORT_FROM", None;

    /// No operand. Makes `__annotations__` (an empty dict) in the module or class namespace
    /// unless it is there already.
    SETUP_ANNOTATIONS = "SETUP_ANNOTATIONS", None;
    /// No operand. Pushes the `__build_class__` built-in (a `class` statement).
    LOAD_BUILD_CLASS = "LOAD_BUILD_CLASS", None;
    /// Operand: name id. `LOAD_NAME` in a class body: the class namespace, then globals, then
    /// builtins. Printed as `LOAD_NAME` (it is CPython's `LOAD_NAME`; the VM keeps module-level
    /// `LOAD_NAME` on the fast global path and class bodies off it).
    LOAD_CLASS_NAME = "LOAD_NAME", None;
    /// Operand: name id. `STORE_NAME` in a class body: into the class namespace. Printed as
    /// `STORE_NAME`.
    STORE_CLASS_NAME = "STORE_NAME", None;

    // ---- generators (CPython 3.11's shapes) ----
    /// No operand. The first instruction of a generator's code (after its cell prologue):
    /// makes the generator, which keeps the frame, and returns it to the caller. Resumed, the
    /// frame goes on at the next instruction (a `POP_TOP` of the first value sent).
    RETURN_GENERATOR = "RETURN_GENERATOR", None;
    /// No operand. Pops TOS and suspends the generator, handing TOS to whoever resumed it;
    /// resumed, pushes the value sent in (None for `next`).
    YIELD_VALUE = "YIELD_VALUE", None;
    /// Relative forward jump. Stack: receiver, value (TOS). Sends value to the receiver (a
    /// generator, or `next()` of another iterator for None): if it yields, TOS becomes the
    /// value it yielded; if it returns, both are popped, its return value is pushed and the
    /// jump is taken (`yield from`).
    SEND = "SEND", Forward;
    /// No operand. TOS = iter(TOS), unless TOS is a generator (`yield from`).
    GET_YIELD_FROM_ITER = "GET_YIELD_FROM_ITER", None;
    /// Relative backward jump that does not check the eval breaker: the back edge of
    /// `yield from`'s loop (never a switch point).
    JUMP_BACKWARD_NO_INTERRUPT = "JUMP_BACKWARD_NO_INTERRUPT", Backward;
}

impl Opcode {
    /// Whether the operand indexes [`Program::names`].
    pub fn has_name_operand(self) -> bool {
        use Opcode::*;
        matches!(
            self,
            LOAD_NAME
                | STORE_NAME
                | DELETE_NAME
                | LOAD_CLASS_NAME
                | STORE_CLASS_NAME
                | LOAD_GLOBAL
                | STORE_GLOBAL
                | DELETE_GLOBAL
                | LOAD_ATTR
                | STORE_ATTR
                | DELETE_ATTR
                | LOAD_METHOD
                | IMPORT_NAME
                | IMPORT_FROM
        )
    }
}

impl Program {
    /// Checks what the interpreter's unchecked instruction fetch relies on (see `Vm::hot`):
    /// in every code object, every jump and every exception handler lands inside the code,
    /// no backward jump goes before its start, and the last instruction never falls through
    /// (it returns, raises or jumps). Then the index of the next instruction is always in
    /// bounds: after a non-final instruction it is at most the last index, and every other
    /// way `pc` changes (a jump, a handler, a call's `pc = 0`, a return to a saved `pc`)
    /// lands on a checked index. A failure is a compiler bug.
    pub fn check_control_flow(&self) -> Result<(), String> {
        for (ci, code) in self.codes.iter().enumerate() {
            let n = code.instrs.len();
            let bad = |what: String| Err(format!("code object {ci} ({}): {what}", code.name));
            match code.instrs.last() {
                None => return bad("no instructions".into()),
                Some(last)
                    if !matches!(
                        last.op,
                        Opcode::RETURN_VALUE
                            | Opcode::RERAISE
                            | Opcode::RAISE_VARARGS
                            | Opcode::JUMP_FORWARD
                            | Opcode::JUMP_BACKWARD
                            | Opcode::JUMP_BACKWARD_NO_INTERRUPT
                    ) =>
                {
                    return bad(format!("the last instruction {:?} falls through", last.op));
                }
                Some(_) => {}
            }
            for (i, ins) in code.instrs.iter().enumerate() {
                let in_range = match ins.op.jump_kind() {
                    JumpKind::None => true,
                    JumpKind::Forward => i + 1 + (ins.arg as usize) < n,
                    JumpKind::Backward => ins.arg as usize <= i + 1,
                };
                if !in_range {
                    return bad(format!("the jump at {i} leaves the code"));
                }
            }
            if let Some(e) = code.exception_table.iter().find(|e| e.target as usize >= n) {
                return bad(format!("handler target {} is out of range", e.target));
            }
        }
        Ok(())
    }

    /// Marks, in every code object, the runs the interpreter may execute as one step
    /// ([`Instr::fused`]; see `Vm::hot`).
    pub fn mark_fused_runs(&mut self) {
        for code in &mut self.codes {
            let ins = &mut code.instrs;
            for i in 0..ins.len() {
                let rmw = i + 3 < ins.len()
                    && matches!(ins[i].op, Opcode::LOAD_GLOBAL | Opcode::LOAD_NAME)
                    && ins[i + 1].op == Opcode::LOAD_CONST
                    && ins[i + 2].op == Opcode::BINARY_OP
                    && matches!(ins[i + 2].arg, 0 | 13 | 10 | 23)
                    && matches!(ins[i + 3].op, Opcode::STORE_GLOBAL | Opcode::STORE_NAME);
                let loop_step = i + 1 < ins.len()
                    && ins[i].op == Opcode::FOR_ITER
                    && ins[i + 1].op == Opcode::STORE_FAST;
                let back_edge = ins[i].op == Opcode::JUMP_BACKWARD
                    && (i + 1)
                        .checked_sub(ins[i].arg as usize)
                        .is_some_and(|t| t < ins.len() && ins[t].op == Opcode::FOR_ITER);
                ins[i].fused = rmw || loop_step || back_edge;
                ins[i].with_next = i + 1 < ins.len()
                    && matches!(
                        (ins[i].op, ins[i + 1].op),
                        (Opcode::FOR_ITER, Opcode::UNPACK_SEQUENCE)
                            | (Opcode::CALL, Opcode::GET_ITER)
                    );
            }
        }
    }

    /// Appends the code objects of `other` (compiled separately) to this program, renumbering
    /// its code constants and name operands. Returns the index of `other`'s first code object.
    pub fn link(&mut self, other: &Program) -> CodeId {
        let offset = self.codes.len() as CodeId;
        let name_map: Vec<u32> = other
            .names
            .iter()
            .map(|n| match self.names.iter().position(|m| m == n) {
                Some(i) => i as u32,
                None => {
                    self.names.push(n.clone());
                    (self.names.len() - 1) as u32
                }
            })
            .collect();
        fn shift(c: &Const, offset: CodeId) -> Const {
            match c {
                Const::Code(i) => Const::Code(i + offset),
                Const::Tuple(items) => {
                    Const::Tuple(items.iter().map(|c| shift(c, offset)).collect())
                }
                Const::FrozenSet(items) => {
                    Const::FrozenSet(items.iter().map(|c| shift(c, offset)).collect())
                }
                other => other.clone(),
            }
        }
        for code in &other.codes {
            let mut code = code.clone();
            for n in &mut code.names {
                *n = name_map[*n as usize];
            }
            code.consts = code.consts.iter().map(|c| shift(c, offset)).collect();
            for ins in &mut code.instrs {
                if ins.op.has_name_operand() {
                    ins.arg = name_map[ins.arg as usize];
                }
            }
            self.codes.push(code);
        }
        offset
    }
}

impl std::fmt::Display for Opcode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opnames_are_unique_and_cpython_shaped() {
        // The class-body forms print as the CPython instruction they are.
        let mut names: Vec<&str> = Opcode::ALL
            .iter()
            .filter(|o| !matches!(o, Opcode::LOAD_CLASS_NAME | Opcode::STORE_CLASS_NAME))
            .map(|o| o.name())
            .collect();
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n);
        assert!(names
            .iter()
            .all(|s| s.chars().all(|c| c.is_ascii_uppercase() || c == '_')));
    }

    #[test]
    fn jump_targets_are_relative_to_the_next_instruction() {
        assert_eq!(
            Instr::new(Opcode::JUMP_FORWARD, 2).jump_target(10),
            Some(13)
        );
        assert_eq!(
            Instr::new(Opcode::JUMP_BACKWARD, 5).jump_target(10),
            Some(6)
        );
        assert_eq!(Instr::new(Opcode::LOAD_CONST, 5).jump_target(10), None);
    }

    #[test]
    fn control_flow_check_rejects_what_would_leave_the_code() {
        let ok = crate::compile_source("t.py", "x = 0\nwhile x < 3:\n    x += 1\n").unwrap();
        assert_eq!(ok.check_control_flow(), Ok(()));
        let broken = |f: &dyn Fn(&mut CodeObject)| {
            let mut p = ok.clone();
            f(&mut p.codes[0]);
            p.check_control_flow()
        };
        // Falls off the end.
        let e = broken(&|c| c.instrs.push(Instr::new(Opcode::NOP, 0))).unwrap_err();
        assert!(e.contains("falls through"), "{e}");
        let e = broken(&|c| c.instrs.clear()).unwrap_err();
        assert!(e.contains("no instructions"), "{e}");
        // Jumps out, forwards and backwards.
        let e = broken(&|c| c.instrs.insert(0, Instr::new(Opcode::JUMP_FORWARD, 1000)));
        assert!(e.unwrap_err().contains("leaves the code"));
        let e = broken(&|c| c.instrs.insert(0, Instr::new(Opcode::JUMP_BACKWARD, 2)));
        assert!(e.unwrap_err().contains("leaves the code"));
        let e = broken(&|c| {
            c.exception_table.push(ExceptionEntry {
                start: 0,
                end: 1,
                target: 10_000,
                depth: 0,
                lasti: false,
            })
        });
        assert!(e.unwrap_err().contains("out of range"));
    }

    #[test]
    fn fused_runs_are_marked_at_global_increments_loop_steps_and_back_edges_only() {
        let src = "c = 0\nc += 1\nc = c - 2\nc *= 3\nx = c + 1\nfor j in range(2):\n    pass\ndef f():\n    global c\n    c += 1\n    y = 1\n    y += 1\n    for i in range(3):\n        pass\n";
        let mut p = crate::compile_source("t.py", src).unwrap();
        assert!(p.codes.iter().flat_map(|c| &c.instrs).all(|i| !i.fused));
        p.mark_fused_runs();
        let marked = |ci: usize| -> Vec<Opcode> {
            p.codes[ci]
                .instrs
                .iter()
                .filter(|i| i.fused)
                .map(|i| i.op)
                .collect()
        };
        // Module: `c += 1`, `c = c - 2`, `x = c + 1` and the loop's back edge; not `c *= 3`
        // (neither + nor -) and not the loop step, which stores to a global.
        assert_eq!(
            marked(0),
            [
                Opcode::LOAD_GLOBAL,
                Opcode::LOAD_GLOBAL,
                Opcode::LOAD_GLOBAL,
                Opcode::JUMP_BACKWARD
            ]
        );
        // f: `c += 1` (LOAD_GLOBAL ... STORE_GLOBAL), the loop step into the local `i` and the
        // back edge; not the local `y += 1` (LOAD_FAST).
        assert_eq!(
            marked(1),
            [Opcode::LOAD_GLOBAL, Opcode::FOR_ITER, Opcode::JUMP_BACKWARD]
        );
        for code in &p.codes {
            for (i, ins) in code.instrs.iter().enumerate() {
                if ins.fused && ins.op == Opcode::FOR_ITER {
                    assert_eq!(code.instrs[i + 1].op, Opcode::STORE_FAST);
                } else if ins.fused && ins.op == Opcode::JUMP_BACKWARD {
                    let target = ins.jump_target(i).unwrap();
                    assert_eq!(code.instrs[target].op, Opcode::FOR_ITER);
                } else if ins.fused {
                    assert!(matches!(ins.op, Opcode::LOAD_GLOBAL | Opcode::LOAD_NAME));
                    assert_eq!(code.instrs[i + 1].op, Opcode::LOAD_CONST);
                    assert_eq!(code.instrs[i + 2].op, Opcode::BINARY_OP);
                    assert!(matches!(
                        code.instrs[i + 3].op,
                        Opcode::STORE_GLOBAL | Opcode::STORE_NAME
                    ));
                }
            }
        }
    }
}
