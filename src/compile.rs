//! The compiler: a scope-resolved AST to code objects with CPython 3.11's instructions.
//!
//! The code generator follows CPython 3.11's `compile.c` function by function (`compiler_if`,
//! `compiler_while`, `compiler_with`, `compiler_try_except`, `compiler_unwind_fblock`, …) and
//! emits into a control-flow graph of basic blocks; `assemble::assemble` then runs 3.11's assembler
//! passes (see `compile/cfg.rs` and `compile/assemble.rs`). The compiler state, name resolution,
//! code objects and block unwinding are here; statements are in `compile/stmt.rs`, expressions
//! in `compile/expr.rs`, `match` statements in `compile/pattern.rs`, constant folding in
//! `compile/fold.rs`, scopes in `scope.rs`.
//!
//! Every instruction records the span of the statement or expression it comes from, and its
//! 1-based line (an artificial instruction inherits the line of the code before it, as in
//! CPython; the module's `RESUME` is on line 0, as `dis` shows for CPython).
//!
//! Known deviations from CPython 3.11 in the instructions the VM runs (`dis` hides them all: it
//! prints CPython's layout, derived by `dis_layout` from these instructions, the hints the
//! compiler leaves in `CodeObject::hints` where CPython pushes a NULL or passes an argument in
//! its NULL/self slot, and each code object's `co_names`, `CodeObject::names`):
//! - No `CACHE`, `PRECALL`, `PUSH_NULL`, `EXTENDED_ARG`; one unit per instruction.
//! - `CALL n`: the callable is the value pushed before the `n` arguments, except for the
//!   `with` exit call, which is `CALL 2` exactly as in CPython: the VM's bound `__exit__`
//!   (pushed by `BEFORE_WITH`) takes every value above it as an argument, like CPython's
//!   method slot. Where CPython uses its NULL/self slot to pass one more argument than `n`
//!   says in other places, gilvm's `n` is the true count: calling a comprehension's function
//!   with its iterator is `CALL 1` (CPython: `CALL 0`), and `assert x, msg` builds the error
//!   with `CALL 1` (CPython: `CALL 0`).
//! - `LOAD_METHOD` counts as pushing one value in the stack-depth computation (the VM may push
//!   a marker below the receiver; `stacksize` is then a reservation hint, one short per
//!   method call in flight). `LOAD_GLOBAL`'s operand is the plain name index (no NULL bit),
//!   (`dis` prints CPython's `(NULL + range)` from the hint).
//! - `CALL_FUNCTION_EX` may receive any iterable as its positional arguments (`f(*xs)` pushes
//!   `xs` itself, as CPython does); the VM converts it.
//! - Name operands index the program-wide name table; `*_DEREF` slots are
//!   `len(varnames) + cell index` for cells, then the free variables; a parameter that is also
//!   a cell keeps its parameter slot (CPython 3.11's layout), its `len(varnames) + i` slot
//!   is unused.
//! - Dict displays with more than 16 pairs are built with one `BUILD_MAP 0` and `MAP_ADD`s
//!   (CPython splits them with `DICT_UPDATE`).
//! - Not compiled (a `SyntaxError` that says so): starred assignment targets (`a, *b = x`,
//!   needs `UNPACK_EX`), `from m import *`.
//!
//! Kept on purpose because CPython 3.11 does it (so `dis` output matches): a name declared
//! `global` in any function is accessed with `LOAD_GLOBAL`/`STORE_GLOBAL` at module level too;
//! `obj.meth(...)` uses `LOAD_METHOD` unless `obj` is a module-level import (`threading.Lock()`
//! is `LOAD_ATTR` + `CALL`); `while` tests its condition at the top and again at the bottom;
//! small exit blocks without a line number are copied into each predecessor.

mod assemble;
mod cfg;
mod expr;
mod fold;
mod pattern;
mod stmt;
#[cfg(test)]
mod tests;

use indexmap::IndexSet;

use crate::ast::{ExprKind, FunctionDef, Module, Span, Stmt, StmtKind};
use crate::bytecode::{CodeObject, Const, Opcode, Program};
use crate::error::CompileError;
use crate::scope::{self, NameScope, ScopeId, ScopeTable};
use cfg::{BlockId, Cfg, ConstPool, Ins, Loc, Op};

/// Compiles a parsed module into a program.
pub fn compile(module: &Module, filename: &str, source: &str) -> Result<Program, CompileError> {
    let scopes = scope::analyze(module)?;
    let mut c = Compiler {
        scopes: &scopes,
        cur: Unit::placeholder(),
        outer: Vec::new(),
        codes: Vec::new(),
        names: IndexSet::new(),
        line_starts: line_starts(source),
    };
    c.compile_module(module)?;
    // Strings that could name an attribute (`getattr(obj, "balance")`, a dataclass's field
    // names in `__annotations__`) get a name id too, after every name an instruction uses (so
    // no operand changes): the VM keys attributes by name id.
    for code in &c.codes {
        intern_identifiers(&code.consts, &mut c.names);
    }
    for code in &mut c.codes {
        code.offsets = crate::dis_layout::offsets(code);
    }
    Ok(Program {
        codes: c.codes,
        names: c.names.into_iter().collect(),
        filename: filename.to_string(),
        source: source.to_string(),
    })
}

/// CPython's `CO_MAXBLOCKS`: how deeply loops, `try` and `with` may nest in one function.
const MAX_BLOCKS: usize = 20;

/// CPython's `STACK_USE_GUIDELINE`: above this many items, displays and calls are built
/// incrementally.
const STACK_USE_GUIDELINE: usize = 30;

fn line_starts(source: &str) -> Vec<u32> {
    let mut starts = vec![0u32];
    for (i, b) in source.bytes().enumerate() {
        if b == b'\n' {
            starts.push(i as u32 + 1);
        }
    }
    starts
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UnitKind {
    Module,
    Function,
    Lambda,
    Comprehension,
    Class,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    Load,
    Store,
    Del,
}

/// What an enclosing block needs when `break`, `continue` or `return` leaves it
/// (CPython's `fblockinfo`).
#[derive(Clone, Copy, Debug)]
enum FBlockKind<'a> {
    WhileLoop,
    ForLoop,
    TryExcept,
    FinallyTry(&'a [Stmt]),
    FinallyEnd,
    With(Loc),
    HandlerCleanup(Option<&'a str>),
    PopValue,
    ExceptionHandler,
}

#[derive(Clone, Copy, Debug)]
struct FBlock<'a> {
    kind: FBlockKind<'a>,
    block: Option<BlockId>,
    exit: Option<BlockId>,
}

/// One code object being compiled.
struct Unit<'a> {
    kind: UnitKind,
    scope: ScopeId,
    code_id: usize,
    cfg: Cfg,
    consts: ConstPool,
    varnames: Vec<String>,
    cellvars: Vec<String>,
    freevars: Vec<String>,
    fblocks: Vec<FBlock<'a>>,
    loc: Loc,
    name: String,
    qualname: String,
    first_line: u32,
    argcount: u32,
    kwonlyargcount: u32,
    has_varargs: bool,
    has_varkeywords: bool,
    /// CPython's `co_names` in the making: name ids in the order of first use.
    co_names: IndexSet<u32>,
    /// How many comparisons `jump_if` has tested, and the location the last one left set
    /// (see `jump_if`).
    compare_leaks: u32,
    compare_loc: Loc,
}

impl Unit<'_> {
    fn placeholder() -> Self {
        Unit {
            kind: UnitKind::Module,
            scope: 0,
            code_id: 0,
            cfg: Cfg::new(),
            consts: ConstPool::default(),
            varnames: Vec::new(),
            cellvars: Vec::new(),
            freevars: Vec::new(),
            fblocks: Vec::new(),
            loc: Loc {
                span: Span::default(),
                line: None,
            },
            name: String::new(),
            qualname: String::new(),
            first_line: 1,
            argcount: 0,
            kwonlyargcount: 0,
            has_varargs: false,
            has_varkeywords: false,
            co_names: IndexSet::new(),
            compare_leaks: 0,
            compare_loc: Loc {
                span: Span::default(),
                line: None,
            },
        }
    }
}

struct Compiler<'a> {
    scopes: &'a ScopeTable,
    cur: Unit<'a>,
    outer: Vec<Unit<'a>>,
    codes: Vec<CodeObject>,
    names: IndexSet<String>,
    line_starts: Vec<u32>,
}

type R = Result<(), CompileError>;

fn internal(msg: impl std::fmt::Display, span: Span) -> CompileError {
    CompileError::syntax(format!("internal compiler error: {msg}"), span)
}

impl<'a> Compiler<'a> {
    // ----- locations -------------------------------------------------------------------

    fn line_of(&self, offset: u32) -> u32 {
        self.line_starts.partition_point(|&s| s <= offset) as u32
    }

    fn set_loc(&mut self, span: Span) {
        self.cur.loc = Loc {
            span,
            line: Some(self.line_of(span.start)),
        };
    }

    /// Marks the following instructions as artificial (CPython's `UNSET_LOC`).
    fn unset_loc(&mut self) {
        self.cur.loc.line = None;
    }

    // ----- emitting ----------------------------------------------------------------------

    fn emit(&mut self, op: Opcode, arg: u32) {
        let loc = self.cur.loc;
        self.cur.cfg.emit(Ins::new(Op::Real(op), arg, None, loc));
    }

    fn emit_noline(&mut self, op: Opcode, arg: u32) {
        let loc = Loc {
            line: None,
            ..self.cur.loc
        };
        self.cur.cfg.emit(Ins::new(Op::Real(op), arg, None, loc));
    }

    fn emit_jump(&mut self, op: Op, target: BlockId) {
        let loc = self.cur.loc;
        self.cur.cfg.emit(Ins::new(op, 0, Some(target), loc));
    }

    fn emit_jump_noline(&mut self, op: Op, target: BlockId) {
        let loc = Loc {
            line: None,
            ..self.cur.loc
        };
        self.cur.cfg.emit(Ins::new(op, 0, Some(target), loc));
    }

    /// `CALL n` of a method loaded by `LOAD_METHOD` (see `Op::MethodCall`).
    fn emit_method_call(&mut self, n: u32) {
        let loc = self.cur.loc;
        self.cur.cfg.emit(Ins::new(Op::MethodCall, n, None, loc));
    }

    /// A `CALL` whose first argument CPython passes in its NULL/self slot (see
    /// [`crate::bytecode::HINT_SELF_SLOT`]): the same call, printed as CPython's `CALL n - 1`.
    fn emit_self_slot_call(&mut self, n: u32) {
        let mut ins = Ins::new(Op::Real(Opcode::CALL), n, None, self.cur.loc);
        ins.hint = crate::bytecode::HINT_SELF_SLOT;
        self.cur.cfg.emit(ins);
    }

    /// CPython 3.11 pushes a NULL before the next instruction (a callee that is not a
    /// method); `dis` shows it.
    fn push_null_hint(&mut self) {
        self.cur.cfg.pending_nulls = self.cur.cfg.pending_nulls.saturating_add(1);
    }

    fn emit_pseudo(&mut self, op: Op) {
        let loc = self.cur.loc;
        self.cur.cfg.emit(Ins::new(op, 0, None, loc));
    }

    fn new_block(&mut self) -> BlockId {
        self.cur.cfg.new_block()
    }

    fn use_next_block(&mut self, b: BlockId) {
        self.cur.cfg.use_next_block(b);
    }

    /// Starts a fresh block after the current one (CPython's `NEXT_BLOCK`).
    fn next_block(&mut self) {
        let b = self.new_block();
        self.use_next_block(b);
    }

    fn load_const(&mut self, c: Const) {
        let i = self.cur.consts.add(c);
        self.emit(Opcode::LOAD_CONST, i);
    }

    fn name_id(&mut self, name: &str) -> u32 {
        let (i, _) = self.names.insert_full(name.to_string());
        self.cur.co_names.insert(i as u32);
        i as u32
    }

    fn varname(&mut self, name: &str) -> u32 {
        if let Some(i) = self.cur.varnames.iter().position(|v| v == name) {
            return i as u32;
        }
        self.cur.varnames.push(name.to_string());
        (self.cur.varnames.len() - 1) as u32
    }

    /// Index of a cell or free variable among `cellvars ++ freevars`; the assembler adds
    /// `len(varnames)` to make it a fast-locals slot.
    fn deref_index(&self, name: &str, span: Span) -> Result<u32, CompileError> {
        if let Some(i) = self.cur.cellvars.iter().position(|v| v == name) {
            return Ok(i as u32);
        }
        if let Some(i) = self.cur.freevars.iter().position(|v| v == name) {
            return Ok((self.cur.cellvars.len() + i) as u32);
        }
        Err(internal(format!("no cell for '{name}'"), span))
    }

    /// CPython's `compiler_nameop`: picks FAST, DEREF, GLOBAL or NAME for a name.
    fn name_op(&mut self, name: &str, ctx: Ctx, span: Span) -> R {
        let scope = self.scopes.scopes[self.cur.scope].resolve(name);
        let in_function = self.cur.kind != UnitKind::Module;
        use Opcode::*;
        let pick = |l, s, d| match ctx {
            Ctx::Load => l,
            Ctx::Store => s,
            Ctx::Del => d,
        };
        if self.cur.kind == UnitKind::Class {
            return self.class_name_op(name, scope, ctx, span);
        }
        match scope {
            Some(NameScope::Free | NameScope::Cell) => {
                let i = self.deref_index(name, span)?;
                self.emit(pick(LOAD_DEREF, STORE_DEREF, DELETE_DEREF), i);
            }
            Some(NameScope::Local) if in_function => {
                let i = self.varname(name);
                self.emit(pick(LOAD_FAST, STORE_FAST, DELETE_FAST), i);
            }
            Some(NameScope::GlobalExplicit) | Some(NameScope::GlobalImplicit) if in_function => {
                let i = self.name_id(name);
                self.emit(pick(LOAD_GLOBAL, STORE_GLOBAL, DELETE_GLOBAL), i);
            }
            Some(NameScope::GlobalExplicit) => {
                let i = self.name_id(name);
                self.emit(pick(LOAD_GLOBAL, STORE_GLOBAL, DELETE_GLOBAL), i);
            }
            _ => {
                let i = self.name_id(name);
                self.emit(pick(LOAD_NAME, STORE_NAME, DELETE_NAME), i);
            }
        }
        Ok(())
    }

    /// A name in a class body: the class namespace (`LOAD_NAME`/`STORE_NAME`, as CPython),
    /// or a declared global.
    fn class_name_op(&mut self, name: &str, scope: Option<NameScope>, ctx: Ctx, span: Span) -> R {
        use Opcode::*;
        // A variable of an enclosing function (CPython's `LOAD_CLASSDEREF`), or one declared
        // `nonlocal` in the class body.
        if scope == Some(NameScope::Free) {
            let d = self.deref_index(name, span)?;
            let op = match ctx {
                Ctx::Load => LOAD_DEREF,
                Ctx::Store => STORE_DEREF,
                Ctx::Del => DELETE_DEREF,
            };
            let mut ins = Ins::new(Op::Real(op), d, None, self.cur.loc);
            if ctx == Ctx::Load {
                ins.hint = crate::bytecode::HINT_CLASSDEREF;
            }
            self.cur.cfg.emit(ins);
            return Ok(());
        }
        let i = self.name_id(name);
        match (scope, ctx) {
            (Some(NameScope::GlobalExplicit), Ctx::Load) => self.emit(LOAD_GLOBAL, i),
            (Some(NameScope::GlobalExplicit), Ctx::Store) => self.emit(STORE_GLOBAL, i),
            // Only `__class__` is a cell of a class body (the methods' implicit one).
            (Some(NameScope::Free | NameScope::Cell), _) => {
                return Err(CompileError::syntax(
                    format!("a class body using '{name}' is not supported by gilvm"),
                    span,
                ))
            }
            (_, Ctx::Load) => self.emit(LOAD_CLASS_NAME, i),
            (_, Ctx::Store) => self.emit(STORE_CLASS_NAME, i),
            (_, Ctx::Del) => {
                return Err(CompileError::syntax(
                    "'del' in a class body is not supported by gilvm",
                    span,
                ))
            }
        }
        Ok(())
    }

    // ----- code objects ------------------------------------------------------------------

    fn compile_module(&mut self, module: &'a Module) -> R {
        self.cur = Unit {
            name: "<module>".into(),
            qualname: "<module>".into(),
            ..Unit::placeholder()
        };
        self.codes.push(placeholder_code());
        self.cur.loc = Loc {
            span: Span::default(),
            line: Some(0),
        };
        self.emit(Opcode::RESUME, 0);
        let body = &module.body;
        if let Some(first) = body.first() {
            self.set_loc(first.span);
        }
        if has_annotations(body) {
            self.emit(Opcode::SETUP_ANNOTATIONS, 0);
        }
        let mut rest = &body[..];
        if let Some((first, tail)) = body.split_first() {
            if let StmtKind::Expr(e) = &first.kind {
                if let ExprKind::Str(_) = e.kind {
                    self.expr(e)?;
                    self.unset_loc();
                    self.name_op("__doc__", Ctx::Store, first.span)?;
                    rest = tail;
                }
            }
        }
        self.stmts(rest)?;
        let code = self.finish_unit(true)?;
        self.codes[0] = code;
        Ok(())
    }

    /// Starts compiling a nested code object (CPython's `compiler_enter_scope`).
    fn enter_scope(&mut self, kind: UnitKind, name: &str, scope: ScopeId, span: Span) {
        let first_line = self.line_of(span.start);
        let info = &self.scopes.scopes[scope];
        let qualname = self.qualname_for(kind, name);
        let unit = Unit {
            kind,
            scope,
            code_id: self.codes.len(),
            varnames: info.params.clone(),
            cellvars: info.cellvars.clone(),
            freevars: info.freevars.clone(),
            name: name.to_string(),
            qualname,
            first_line,
            loc: Loc {
                span,
                line: Some(first_line),
            },
            ..Unit::placeholder()
        };
        self.codes.push(placeholder_code());
        let parent = std::mem::replace(&mut self.cur, unit);
        self.outer.push(parent);
        self.emit(Opcode::RESUME, 0);
    }

    /// CPython's `compiler_set_qualname`.
    fn qualname_for(&self, kind: UnitKind, name: &str) -> String {
        let parent = &self.cur;
        if parent.kind == UnitKind::Module {
            return name.to_string();
        }
        if kind == UnitKind::Function
            && self.scopes.scopes[parent.scope].resolve(name) == Some(NameScope::GlobalExplicit)
        {
            return name.to_string();
        }
        match parent.kind {
            UnitKind::Function | UnitKind::Lambda => {
                format!("{}.<locals>.{name}", parent.qualname)
            }
            _ => format!("{}.{name}", parent.qualname),
        }
    }

    /// Finishes the current nested unit and returns its code id.
    fn exit_scope(&mut self) -> Result<usize, CompileError> {
        let add_none = self.cur.kind != UnitKind::Lambda;
        let code = self.finish_unit(add_none)?;
        let mut id = self.cur.code_id;
        self.codes[id] = code;
        // A `finally` body is compiled once per way out of the `try`; CPython merges the equal
        // code objects this produces into one constant, and so does gilvm.
        if let Some(same) = (0..id).find(|&other| self.same_code(other, id)) {
            id = same;
        }
        let parent = self
            .outer
            .pop()
            .ok_or_else(|| internal("scope stack underflow", Span::default()))?;
        self.cur = parent;
        Ok(id)
    }

    /// Whether two code objects are equal, comparing nested code objects by content.
    fn same_code(&self, a: usize, b: usize) -> bool {
        let (x, y) = (&self.codes[a], &self.codes[b]);
        x.name == y.name
            && x.first_line == y.first_line
            && x.instrs == y.instrs
            && x.spans == y.spans
            && x.lines == y.lines
            && x.qualname == y.qualname
            && x.argcount == y.argcount
            && x.kwonlyargcount == y.kwonlyargcount
            && x.has_varargs == y.has_varargs
            && x.has_varkeywords == y.has_varkeywords
            && x.varnames == y.varnames
            && x.cellvars == y.cellvars
            && x.freevars == y.freevars
            && x.exception_table == y.exception_table
            && x.stacksize == y.stacksize
            && x.consts.len() == y.consts.len()
            && x.consts.iter().zip(&y.consts).all(|(p, q)| match (p, q) {
                (Const::Code(i), Const::Code(j)) => {
                    i == j || self.same_code(*i as usize, *j as usize)
                }
                _ => p == q,
            })
    }

    /// Adds the implicit `return None`, the cell prologue, and assembles the current unit.
    fn finish_unit(&mut self, add_none: bool) -> Result<CodeObject, CompileError> {
        if !self.cur.cfg.ends_with_return() {
            self.unset_loc();
            if add_none {
                self.load_const(Const::None);
            }
            self.emit(Opcode::RETURN_VALUE, 0);
        }
        let unit = &mut self.cur;
        // Cell and free variables were numbered `cellvars ++ freevars`; now give them their
        // fast-locals slots. A cell that is also a parameter stays in the parameter's slot, as
        // in CPython 3.11 (`MAKE_CELL` wraps the argument in place); other cells follow the
        // locals, and free variables come last.
        let nvars = unit.varnames.len();
        let nparams = self.scopes.scopes[unit.scope].params.len();
        let slots: Vec<u32> = unit
            .cellvars
            .iter()
            .enumerate()
            .map(|(i, name)| {
                match unit.varnames[..nparams.min(nvars)]
                    .iter()
                    .position(|v| v == name)
                {
                    Some(p) => p as u32,
                    None => (nvars + i) as u32,
                }
            })
            .chain((0..unit.freevars.len()).map(|j| (nvars + unit.cellvars.len() + j) as u32))
            .collect();
        for block in &mut unit.cfg.blocks {
            for ins in &mut block.instrs {
                if matches!(
                    ins.op,
                    Op::Real(
                        Opcode::LOAD_DEREF
                            | Opcode::STORE_DEREF
                            | Opcode::DELETE_DEREF
                            | Opcode::LOAD_CLOSURE
                    )
                ) {
                    ins.arg = slots.get(ins.arg as usize).copied().unwrap_or(ins.arg);
                }
            }
        }
        // Prologue, as CPython's insert_prefix_instructions: COPY_FREE_VARS, then MAKE_CELL
        // in slot order.
        let loc = Loc {
            span: unit.loc.span,
            line: None,
        };
        let mut prefix = Vec::new();
        // A generator's code starts with RETURN_GENERATOR and the POP_TOP of the first value
        // sent, after its cells are made (insert_prefix_instructions), on the `def` line.
        let generator = if self.scopes.scopes[unit.scope].is_generator {
            let on_def = Loc {
                span: unit.loc.span,
                line: Some(unit.first_line.max(1)),
            };
            vec![
                Ins::new(Op::Real(Opcode::RETURN_GENERATOR), 0, None, on_def),
                Ins::new(Op::Real(Opcode::POP_TOP), 0, None, on_def),
            ]
        } else {
            Vec::new()
        };
        if !unit.freevars.is_empty() {
            prefix.push(Ins::new(
                Op::Real(Opcode::COPY_FREE_VARS),
                unit.freevars.len() as u32,
                None,
                loc,
            ));
        }
        let mut cell_slots: Vec<u32> = slots[..unit.cellvars.len()].to_vec();
        cell_slots.sort_unstable();
        for slot in cell_slots {
            prefix.push(Ins::new(Op::Real(Opcode::MAKE_CELL), slot, None, loc));
        }
        prefix.extend(generator);
        let entry = unit.cfg.entry;
        unit.cfg.blocks[entry].instrs.splice(0..0, prefix);
        let first_line = unit.first_line.max(1);
        let asm = assemble::assemble(&mut unit.cfg, &mut unit.consts, first_line)
            .map_err(|m| internal(m, unit.loc.span))?;
        Ok(CodeObject {
            name: unit.name.clone(),
            qualname: unit.qualname.clone(),
            first_line,
            argcount: unit.argcount,
            kwonlyargcount: unit.kwonlyargcount,
            has_varargs: unit.has_varargs,
            has_varkeywords: unit.has_varkeywords,
            varnames: unit.varnames.clone(),
            cellvars: unit.cellvars.clone(),
            freevars: unit.freevars.clone(),
            consts: std::mem::take(&mut unit.consts).list,
            instrs: asm.instrs,
            spans: asm.spans,
            lines: asm.lines,
            exception_table: asm.exception_table,
            stacksize: asm.stacksize,
            names: unit.co_names.iter().copied().collect(),
            hints: asm.hints,
            offsets: Vec::new(),
        })
    }

    /// Pushes the function object for a finished nested code object (`compiler_make_closure`).
    fn make_closure(&mut self, code_id: usize, mut flags: u32, span: Span) -> R {
        let freevars = self.codes[code_id].freevars.clone();
        if !freevars.is_empty() {
            for name in &freevars {
                let i = self.deref_index(name, span)?;
                self.emit(Opcode::LOAD_CLOSURE, i);
            }
            self.emit(Opcode::BUILD_TUPLE, freevars.len() as u32);
            flags |= crate::bytecode::MAKE_FUNCTION_CLOSURE;
        }
        self.load_const(Const::Code(code_id as u32));
        self.emit(Opcode::MAKE_FUNCTION, flags);
        Ok(())
    }

    fn scope_of_def(&self, def: &FunctionDef) -> Result<ScopeId, CompileError> {
        self.scopes
            .scope_of_def(def)
            .ok_or_else(|| internal("function without a scope", def.span))
    }

    // ----- fblocks -----------------------------------------------------------------------

    fn push_fblock(
        &mut self,
        kind: FBlockKind<'a>,
        block: Option<BlockId>,
        exit: Option<BlockId>,
    ) -> R {
        if self.cur.fblocks.len() >= MAX_BLOCKS {
            return Err(CompileError::syntax(
                "too many statically nested blocks",
                self.cur.loc.span,
            ));
        }
        self.cur.fblocks.push(FBlock { kind, block, exit });
        Ok(())
    }

    fn pop_fblock(&mut self) {
        self.cur.fblocks.pop();
    }

    /// Emits what leaving one enclosing block requires (`compiler_unwind_fblock`).
    fn unwind_fblock(&mut self, info: &FBlock<'a>, preserve_tos: bool) -> R {
        use Opcode::*;
        match info.kind {
            FBlockKind::WhileLoop | FBlockKind::ExceptionHandler => {}
            FBlockKind::ForLoop => {
                if preserve_tos {
                    self.emit(SWAP, 2);
                }
                self.emit(POP_TOP, 0);
            }
            FBlockKind::TryExcept => self.emit_pseudo(Op::PopBlock),
            FBlockKind::FinallyTry(body) => {
                self.emit_pseudo(Op::PopBlock);
                if preserve_tos {
                    self.push_fblock(FBlockKind::PopValue, None, None)?;
                }
                self.stmts(body)?;
                if preserve_tos {
                    self.pop_fblock();
                }
                self.unset_loc();
            }
            FBlockKind::FinallyEnd => {
                if preserve_tos {
                    self.emit(SWAP, 2);
                }
                self.emit(POP_TOP, 0);
                if preserve_tos {
                    self.emit(SWAP, 2);
                }
                self.emit_pseudo(Op::PopBlock);
                self.emit(POP_EXCEPT, 0);
            }
            FBlockKind::With(loc) => {
                self.cur.loc = loc;
                self.emit_pseudo(Op::PopBlock);
                if preserve_tos {
                    self.emit(SWAP, 2);
                }
                self.call_exit_with_nones();
                self.emit(POP_TOP, 0);
                self.unset_loc();
            }
            FBlockKind::HandlerCleanup(name) => {
                if name.is_some() {
                    self.emit_pseudo(Op::PopBlock);
                }
                if preserve_tos {
                    self.emit(SWAP, 2);
                }
                self.emit_pseudo(Op::PopBlock);
                self.emit(POP_EXCEPT, 0);
                if let Some(name) = name {
                    let span = self.cur.loc.span;
                    self.load_const(Const::None);
                    self.name_op(name, Ctx::Store, span)?;
                    self.name_op(name, Ctx::Del, span)?;
                }
            }
            FBlockKind::PopValue => {
                if preserve_tos {
                    self.emit(SWAP, 2);
                }
                self.emit(POP_TOP, 0);
            }
        }
        Ok(())
    }

    /// Unwinds enclosing blocks up to (not including) the innermost loop if `want_loop`, or
    /// all of them; returns that loop.
    fn unwind_fblock_stack(
        &mut self,
        preserve_tos: bool,
        want_loop: bool,
    ) -> Result<Option<FBlock<'a>>, CompileError> {
        let Some(top) = self.cur.fblocks.last().copied() else {
            return Ok(None);
        };
        if want_loop && matches!(top.kind, FBlockKind::WhileLoop | FBlockKind::ForLoop) {
            return Ok(Some(top));
        }
        self.cur.fblocks.pop();
        let result = self
            .unwind_fblock(&top, preserve_tos)
            .and_then(|_| self.unwind_fblock_stack(preserve_tos, want_loop));
        self.cur.fblocks.push(top);
        result
    }

    /// `__exit__(None, None, None)`: `CALL 2` as in CPython, with the bound `__exit__` that
    /// `BEFORE_WITH` pushed below the three `None`s (the VM passes all three).
    fn call_exit_with_nones(&mut self) {
        self.load_const(Const::None);
        self.load_const(Const::None);
        self.load_const(Const::None);
        self.emit_pseudo(Op::ExitCall);
    }
}

fn placeholder_code() -> CodeObject {
    CodeObject {
        name: String::new(),
        qualname: String::new(),
        first_line: 1,
        argcount: 0,
        kwonlyargcount: 0,
        has_varargs: false,
        has_varkeywords: false,
        varnames: Vec::new(),
        cellvars: Vec::new(),
        freevars: Vec::new(),
        consts: Vec::new(),
        instrs: Vec::new(),
        spans: Vec::new(),
        lines: Vec::new(),
        exception_table: Vec::new(),
        stacksize: 0,
        names: Vec::new(),
        hints: Vec::new(),
        offsets: Vec::new(),
    }
}

/// Whether a module or class body holds an annotated assignment outside nested functions and
/// classes (CPython's `find_ann`): then it starts with `SETUP_ANNOTATIONS`. A work list, not
/// recursion: a long `elif` chain is deeply nested `If`s.
fn has_annotations(body: &[Stmt]) -> bool {
    let mut work: Vec<&[Stmt]> = vec![body];
    while let Some(stmts) = work.pop() {
        for s in stmts {
            match &s.kind {
                StmtKind::AnnAssign { .. } => return true,
                StmtKind::If { body, orelse, .. }
                | StmtKind::While { body, orelse, .. }
                | StmtKind::For { body, orelse, .. } => {
                    work.push(body);
                    work.push(orelse);
                }
                StmtKind::With { body, .. } => work.push(body),
                StmtKind::Try {
                    body,
                    handlers,
                    orelse,
                    finalbody,
                } => {
                    work.push(body);
                    work.extend(handlers.iter().map(|h| &h.body[..]));
                    work.push(orelse);
                    work.push(finalbody);
                }
                _ => {}
            }
        }
    }
    false
}

fn intern_identifiers(consts: &[crate::bytecode::Const], names: &mut IndexSet<String>) {
    use crate::bytecode::Const;
    for k in consts {
        match k {
            Const::Str(s) => {
                let ident = s
                    .chars()
                    .next()
                    .is_some_and(|c| c == '_' || c.is_alphabetic())
                    && s.chars().all(|c| c == '_' || c.is_alphanumeric());
                if ident && !names.contains(s) {
                    names.insert(s.clone());
                }
            }
            Const::Tuple(items) => intern_identifiers(items, names),
            _ => {}
        }
    }
}
