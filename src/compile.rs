//! The compiler: a scope-resolved AST to code objects with CPython 3.11's instructions.
//!
//! The code generator follows CPython 3.11's `compile.c` function by function (`compiler_if`,
//! `compiler_while`, `compiler_with`, `compiler_try_except`, `compiler_unwind_fblock`, …) and
//! emits into a control-flow graph of basic blocks; [`cfg::assemble`] then runs 3.11's assembler
//! passes (see `compile/cfg.rs`). Statements are here, expressions in `compile/expr.rs`,
//! constant folding in `compile/fold.rs`, scopes in `scope.rs`.
//!
//! Every instruction records the span of the statement or expression it comes from, and its
//! 1-based line (an artificial instruction inherits the line of the code before it, as in
//! CPython; the module's `RESUME` is on line 0, as `dis` shows for CPython).
//!
//! Known deviations from CPython 3.11 (operand shapes only; opnames and order match):
//! - No `CACHE`, `PRECALL`, `PUSH_NULL`, `EXTENDED_ARG`; offsets count one unit per instruction.
//! - `CALL n` counts every value above the callable. Where CPython relies on its NULL/self
//!   slot to pass one more argument than `n` says, gilvm's `n` is the true count: the `with`
//!   exit call is `CALL 3` (`__exit__(None, None, None)`, CPython: `CALL 2`), calling a
//!   comprehension's function with its iterator is `CALL 1` (CPython: `CALL 0`), and
//!   `assert x, msg` builds the error with `CALL 1` (CPython: `CALL 0`).
//! - `LOAD_METHOD` pushes one value (the bound method); `LOAD_GLOBAL`'s operand is the plain
//!   name index (no NULL bit).
//! - Name operands index the program-wide name table; `*_DEREF` slots are
//!   `len(varnames) + cell index` (a parameter that is also a cell keeps its parameter slot
//!   and gets a separate cell slot, which `MAKE_CELL` fills from the parameter).
//! - Generator expressions are compiled like list comprehensions (eagerly, to a list, as
//!   DESIGN.md §2 allows) under the name `<genexpr>`.
//! - Dict displays with more than 16 pairs are built with one `BUILD_MAP 0` and `MAP_ADD`s
//!   (CPython splits them with `DICT_UPDATE`).
//! - Not compiled (a `SyntaxError` that says so): starred assignment targets (`a, *b = x`,
//!   needs `UNPACK_EX`), `del obj.attr` (needs `DELETE_ATTR`), `from m import *`.

mod cfg;
mod expr;
mod fold;

use indexmap::IndexSet;

use crate::ast::{ExprKind, FunctionDef, Module, Span, Stmt, StmtKind, WithItem};
use crate::bytecode::{CodeObject, Const, Opcode, Program};
use crate::error::CompileError;
use crate::scope::{self, NameScope, ScopeId, ScopeTable};
use cfg::{add_const, BlockId, Cfg, Ins, Loc, Op};

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
    consts: Vec<Const>,
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
}

impl Unit<'_> {
    fn placeholder() -> Self {
        Unit {
            kind: UnitKind::Module,
            scope: 0,
            code_id: 0,
            cfg: Cfg::new(),
            consts: Vec::new(),
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
        let i = add_const(&mut self.cur.consts, c);
        self.emit(Opcode::LOAD_CONST, i);
    }

    fn name_id(&mut self, name: &str) -> u32 {
        let (i, _) = self.names.insert_full(name.to_string());
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
        let id = self.cur.code_id;
        self.codes[id] = code;
        let parent = self
            .outer
            .pop()
            .ok_or_else(|| internal("scope stack underflow", Span::default()))?;
        self.cur = parent;
        Ok(id)
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
        let base = unit.varnames.len() as u32;
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
                    ins.arg += base;
                }
            }
        }
        // Prologue, as CPython's insert_prefix_instructions: COPY_FREE_VARS, then MAKE_CELL.
        let loc = Loc {
            span: unit.loc.span,
            line: None,
        };
        let mut prefix = Vec::new();
        if !unit.freevars.is_empty() {
            prefix.push(Ins::new(
                Op::Real(Opcode::COPY_FREE_VARS),
                unit.freevars.len() as u32,
                None,
                loc,
            ));
        }
        for i in 0..unit.cellvars.len() {
            prefix.push(Ins::new(
                Op::Real(Opcode::MAKE_CELL),
                base + i as u32,
                None,
                loc,
            ));
        }
        let entry = unit.cfg.entry;
        unit.cfg.blocks[entry].instrs.splice(0..0, prefix);
        let first_line = unit.first_line.max(1);
        let asm = cfg::assemble(&mut unit.cfg, &mut unit.consts, first_line)
            .map_err(|m| internal(m, unit.loc.span))?;
        Ok(CodeObject {
            name: unit.name.clone(),
            qualname: unit.qualname.clone(),
            first_line,
            argcount: unit.argcount,
            kwonlyargcount: unit.kwonlyargcount,
            has_varargs: unit.has_varargs,
            varnames: unit.varnames.clone(),
            cellvars: unit.cellvars.clone(),
            freevars: unit.freevars.clone(),
            consts: std::mem::take(&mut unit.consts),
            instrs: asm.instrs,
            spans: asm.spans,
            lines: asm.lines,
            exception_table: asm.exception_table,
            stacksize: asm.stacksize,
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

    /// `__exit__(None, None, None)`: the callable is below the three arguments.
    fn call_exit_with_nones(&mut self) {
        self.load_const(Const::None);
        self.load_const(Const::None);
        self.load_const(Const::None);
        self.emit(Opcode::CALL, 3);
    }

    // ----- statements --------------------------------------------------------------------

    fn stmts(&mut self, body: &'a [Stmt]) -> R {
        for s in body {
            self.stmt(s)?;
        }
        Ok(())
    }

    fn stmt(&mut self, s: &'a Stmt) -> R {
        use Opcode::*;
        self.set_loc(s.span);
        match &s.kind {
            StmtKind::Expr(e) => {
                if fold::const_value(e).is_some() {
                    self.emit(NOP, 0);
                    return Ok(());
                }
                self.expr(e)?;
                self.unset_loc();
                self.emit(POP_TOP, 0);
            }
            StmtKind::Assign { targets, value } => {
                self.expr(value)?;
                for (i, t) in targets.iter().enumerate() {
                    if i + 1 < targets.len() {
                        self.emit(COPY, 1);
                    }
                    self.store_target(t)?;
                }
            }
            StmtKind::AugAssign { target, op, value } => self.aug_assign(target, *op, value)?,
            StmtKind::If { .. } => self.if_stmt(s)?,
            StmtKind::While { test, body, orelse } => self.while_stmt(test, body, orelse)?,
            StmtKind::For {
                target,
                iter,
                body,
                orelse,
            } => {
                let start = self.new_block();
                let body_block = self.new_block();
                let cleanup = self.new_block();
                let end = self.new_block();
                self.push_fblock(FBlockKind::ForLoop, Some(start), Some(end))?;
                self.iter_expr(iter)?;
                self.emit(GET_ITER, 0);
                self.use_next_block(start);
                self.emit_jump(Op::Real(FOR_ITER), cleanup);
                self.use_next_block(body_block);
                self.store_target(target)?;
                self.stmts(body)?;
                self.unset_loc();
                self.emit_jump(Op::Jump, start);
                self.use_next_block(cleanup);
                self.pop_fblock();
                self.stmts(orelse)?;
                self.use_next_block(end);
            }
            StmtKind::Break => {
                self.emit(NOP, 0);
                let Some(lp) = self.unwind_fblock_stack(false, true)? else {
                    return Err(CompileError::syntax("'break' outside loop", s.span));
                };
                self.unwind_fblock(&lp, false)?;
                if let Some(exit) = lp.exit {
                    self.emit_jump(Op::Jump, exit);
                }
                self.next_block();
            }
            StmtKind::Continue => {
                self.emit(NOP, 0);
                let Some(lp) = self.unwind_fblock_stack(false, true)? else {
                    return Err(CompileError::syntax(
                        "'continue' not properly in loop",
                        s.span,
                    ));
                };
                if let Some(start) = lp.block {
                    self.emit_jump(Op::Jump, start);
                }
                self.next_block();
            }
            StmtKind::Pass => self.emit(NOP, 0),
            StmtKind::FunctionDef(def) => self.function_def(s, def)?,
            StmtKind::Return(value) => self.return_stmt(s, value.as_ref())?,
            StmtKind::Global(_) | StmtKind::Nonlocal(_) => {}
            StmtKind::With { items, body } => self.with_stmt(s, items, body, 0)?,
            StmtKind::Assert { test, msg } => {
                let end = self.new_block();
                self.jump_if(test, end, true)?;
                self.emit(LOAD_ASSERTION_ERROR, 0);
                if let Some(m) = msg {
                    self.expr(m)?;
                    self.emit(CALL, 1);
                }
                self.emit(RAISE_VARARGS, 1);
                self.use_next_block(end);
            }
            StmtKind::Raise { exc, cause } => {
                let mut n = 0;
                if let Some(e) = exc {
                    self.expr(e)?;
                    n += 1;
                    if let Some(c) = cause {
                        self.expr(c)?;
                        n += 1;
                    }
                }
                self.emit(RAISE_VARARGS, n);
                self.next_block();
            }
            StmtKind::Try {
                body,
                handlers,
                orelse,
                finalbody,
            } => {
                if finalbody.is_empty() {
                    self.try_except(s, body, handlers, orelse)?;
                } else {
                    self.try_finally(s, body, handlers, orelse, finalbody)?;
                }
            }
            StmtKind::Delete(targets) => {
                for t in targets {
                    self.delete_target(t)?;
                }
            }
            StmtKind::Import(aliases) => {
                for a in aliases {
                    self.load_const(Const::Int(0));
                    self.load_const(Const::None);
                    let id = self.name_id(&a.name.name);
                    self.emit(IMPORT_NAME, id);
                    let parts: Vec<&str> = a.name.name.split('.').collect();
                    match &a.asname {
                        Some(asname) => {
                            if parts.len() > 1 {
                                for (i, part) in parts[1..].iter().enumerate() {
                                    let id = self.name_id(part);
                                    self.emit(IMPORT_FROM, id);
                                    if i + 2 < parts.len() {
                                        self.emit(SWAP, 2);
                                        self.emit(POP_TOP, 0);
                                    }
                                }
                                self.name_op(&asname.name, Ctx::Store, asname.span)?;
                                self.emit(POP_TOP, 0);
                            } else {
                                self.name_op(&asname.name, Ctx::Store, asname.span)?;
                            }
                        }
                        None => self.name_op(parts[0], Ctx::Store, a.name.span)?,
                    }
                }
            }
            StmtKind::ImportFrom { module, names } => {
                if names.iter().any(|a| a.name.name == "*") {
                    return Err(CompileError::syntax(
                        "gilvm does not support 'from ... import *'",
                        s.span,
                    ));
                }
                self.load_const(Const::Int(0));
                let fromlist = names
                    .iter()
                    .map(|a| Const::Str(a.name.name.clone()))
                    .collect();
                self.load_const(Const::Tuple(fromlist));
                let id = self.name_id(&module.name);
                self.emit(IMPORT_NAME, id);
                for a in names {
                    let id = self.name_id(&a.name.name);
                    self.emit(IMPORT_FROM, id);
                    let store = a.asname.as_ref().unwrap_or(&a.name);
                    self.name_op(&store.name, Ctx::Store, store.span)?;
                }
                self.emit(POP_TOP, 0);
            }
        }
        Ok(())
    }

    /// `if`/`elif`/`else`. An `elif` chain is walked in a loop, not by recursion, so that a
    /// very long chain cannot overflow the stack; all arms jump to one shared end block, which
    /// is what CPython's nested end blocks collapse to.
    fn if_stmt(&mut self, s: &'a Stmt) -> R {
        let end = self.new_block();
        let mut cur = s;
        loop {
            let StmtKind::If { test, body, orelse } = &cur.kind else {
                break;
            };
            self.set_loc(cur.span);
            let next = if orelse.is_empty() {
                end
            } else {
                self.new_block()
            };
            self.jump_if(test, next, false)?;
            self.stmts(body)?;
            if orelse.is_empty() {
                break;
            }
            self.emit_jump_noline(Op::Jump, end);
            self.use_next_block(next);
            match orelse.as_slice() {
                [elif @ Stmt {
                    kind: StmtKind::If { .. },
                    ..
                }] => cur = elif,
                _ => {
                    self.stmts(orelse)?;
                    break;
                }
            }
        }
        self.use_next_block(end);
        Ok(())
    }

    /// CPython 3.11's `compiler_while`: the test at the top, and a copy of it at the bottom.
    fn while_stmt(
        &mut self,
        test: &'a crate::ast::Expr,
        body: &'a [Stmt],
        orelse: &'a [Stmt],
    ) -> R {
        let lp = self.new_block();
        let body_block = self.new_block();
        let anchor = self.new_block();
        let end = self.new_block();
        let stmt_loc = self.cur.loc;
        self.use_next_block(lp);
        self.push_fblock(FBlockKind::WhileLoop, Some(lp), Some(end))?;
        self.jump_if(test, anchor, false)?;
        self.use_next_block(body_block);
        self.stmts(body)?;
        self.cur.loc = stmt_loc;
        self.jump_if(test, body_block, true)?;
        self.pop_fblock();
        self.use_next_block(anchor);
        self.stmts(orelse)?;
        self.use_next_block(end);
        Ok(())
    }

    fn return_stmt(&mut self, s: &'a Stmt, value: Option<&'a crate::ast::Expr>) -> R {
        if self.cur.kind != UnitKind::Function {
            return Err(CompileError::syntax("'return' outside function", s.span));
        }
        let folded = value.and_then(fold::const_value);
        let preserve_tos = value.is_some() && folded.is_none();
        if let Some(v) = value {
            if preserve_tos {
                self.expr(v)?;
            } else {
                self.set_loc(v.span);
                self.emit(Opcode::NOP, 0);
            }
        }
        let stmt_line = self.line_of(s.span.start);
        if value.is_none_or(|v| self.line_of(v.span.start) != stmt_line) {
            self.set_loc(s.span);
            self.emit(Opcode::NOP, 0);
        }
        self.unwind_fblock_stack(preserve_tos, false)?;
        if value.is_none() {
            self.load_const(Const::None);
        } else if let Some(c) = folded {
            self.load_const(c);
        }
        self.emit(Opcode::RETURN_VALUE, 0);
        self.next_block();
        Ok(())
    }

    fn function_def(&mut self, s: &'a Stmt, def: &'a FunctionDef) -> R {
        let flags = self.default_arguments(&def.params)?;
        let scope = self.scope_of_def(def)?;
        self.enter_scope(UnitKind::Function, &def.name.name, scope, s.span);
        let mut body = &def.body[..];
        let mut doc = Const::None;
        if let Some((first, rest)) = body.split_first() {
            if let StmtKind::Expr(e) = &first.kind {
                if let ExprKind::Str(text) = &e.kind {
                    doc = Const::Str(text.clone());
                    body = rest;
                }
            }
        }
        add_const(&mut self.cur.consts, doc);
        self.cur.argcount = def.params.args.len() as u32;
        self.cur.kwonlyargcount = def.params.kwonly.len() as u32;
        self.cur.has_varargs = def.params.vararg.is_some();
        self.stmts(body)?;
        let code = self.exit_scope()?;
        self.set_loc(s.span);
        self.make_closure(code, flags, s.span)?;
        self.name_op(&def.name.name, Ctx::Store, def.name.span)
    }

    /// CPython's `compiler_with`, one item at a time.
    fn with_stmt(&mut self, s: &'a Stmt, items: &'a [WithItem], body: &'a [Stmt], pos: usize) -> R {
        use Opcode::*;
        let Some(item) = items.get(pos) else {
            return self.stmts(body);
        };
        let block = self.new_block();
        let final_block = self.new_block();
        let exit = self.new_block();
        self.expr(&item.context)?;
        self.emit(BEFORE_WITH, 0);
        self.emit_jump(Op::SetupWith, final_block);
        self.use_next_block(block);
        let with_loc = Loc {
            span: s.span,
            line: Some(self.line_of(s.span.start)),
        };
        self.push_fblock(FBlockKind::With(with_loc), Some(block), Some(final_block))?;
        match &item.target {
            Some(t) => self.store_target(t)?,
            None => self.emit(POP_TOP, 0),
        }
        if pos + 1 == items.len() {
            self.stmts(body)?;
        } else {
            self.with_stmt(s, items, body, pos + 1)?;
        }
        self.unset_loc();
        self.emit_pseudo(Op::PopBlock);
        self.pop_fblock();
        self.cur.loc = with_loc;
        self.call_exit_with_nones();
        self.emit(POP_TOP, 0);
        self.emit_jump(Op::Jump, exit);

        self.use_next_block(final_block);
        let cleanup = self.new_block();
        self.emit_jump(Op::SetupCleanup, cleanup);
        self.emit(PUSH_EXC_INFO, 0);
        self.emit(WITH_EXCEPT_START, 0);
        self.with_except_finish(cleanup);
        self.use_next_block(exit);
        Ok(())
    }

    fn with_except_finish(&mut self, cleanup: BlockId) {
        use Opcode::*;
        self.unset_loc();
        let exit = self.new_block();
        self.emit_jump(Op::PopJumpIfTrue, exit);
        self.emit(RERAISE, 2);
        self.use_next_block(cleanup);
        self.pop_except_and_reraise();
        self.use_next_block(exit);
        self.emit(POP_TOP, 0);
        self.emit_pseudo(Op::PopBlock);
        self.emit(POP_EXCEPT, 0);
        self.emit(POP_TOP, 0);
        self.emit(POP_TOP, 0);
    }

    fn pop_except_and_reraise(&mut self) {
        self.emit(Opcode::COPY, 3);
        self.emit(Opcode::POP_EXCEPT, 0);
        self.emit(Opcode::RERAISE, 1);
    }

    fn try_except(
        &mut self,
        s: &'a Stmt,
        body: &'a [Stmt],
        handlers: &'a [crate::ast::ExceptHandler],
        orelse: &'a [Stmt],
    ) -> R {
        use Opcode::*;
        let body_block = self.new_block();
        let mut except = self.new_block();
        let end = self.new_block();
        let cleanup = self.new_block();
        self.set_loc(s.span);
        self.emit_jump(Op::SetupFinally, except);
        self.use_next_block(body_block);
        self.push_fblock(FBlockKind::TryExcept, Some(body_block), None)?;
        self.stmts(body)?;
        self.pop_fblock();
        self.emit_pseudo_noline(Op::PopBlock);
        self.stmts(orelse)?;
        self.emit_jump_noline(Op::Jump, end);
        self.use_next_block(except);

        self.unset_loc();
        self.emit_jump(Op::SetupCleanup, cleanup);
        self.emit(PUSH_EXC_INFO, 0);
        self.push_fblock(FBlockKind::ExceptionHandler, None, None)?;
        let n = handlers.len();
        for (i, h) in handlers.iter().enumerate() {
            self.set_loc(h.span);
            if h.typ.is_none() && i + 1 < n {
                return Err(CompileError::syntax(
                    "default 'except:' must be last",
                    h.span,
                ));
            }
            except = self.new_block();
            if let Some(t) = &h.typ {
                self.expr(t)?;
                self.emit(CHECK_EXC_MATCH, 0);
                self.emit_jump(Op::PopJumpIfFalse, except);
            }
            if let Some(name) = &h.name {
                let cleanup_end = self.new_block();
                let cleanup_body = self.new_block();
                self.name_op(&name.name, Ctx::Store, name.span)?;
                self.emit_jump(Op::SetupCleanup, cleanup_end);
                self.use_next_block(cleanup_body);
                self.push_fblock(
                    FBlockKind::HandlerCleanup(Some(&name.name)),
                    Some(cleanup_body),
                    None,
                )?;
                self.stmts(&h.body)?;
                self.pop_fblock();
                self.unset_loc();
                self.emit_pseudo(Op::PopBlock);
                self.emit_pseudo(Op::PopBlock);
                self.emit(POP_EXCEPT, 0);
                self.load_const(Const::None);
                self.name_op(&name.name, Ctx::Store, name.span)?;
                self.name_op(&name.name, Ctx::Del, name.span)?;
                self.emit_jump(Op::Jump, end);

                self.use_next_block(cleanup_end);
                self.unset_loc();
                self.load_const(Const::None);
                self.name_op(&name.name, Ctx::Store, name.span)?;
                self.name_op(&name.name, Ctx::Del, name.span)?;
                self.emit(RERAISE, 1);
            } else {
                let cleanup_body = self.new_block();
                self.emit(POP_TOP, 0);
                self.use_next_block(cleanup_body);
                self.push_fblock(FBlockKind::HandlerCleanup(None), Some(cleanup_body), None)?;
                self.stmts(&h.body)?;
                self.pop_fblock();
                self.unset_loc();
                self.emit_pseudo(Op::PopBlock);
                self.emit(POP_EXCEPT, 0);
                self.emit_jump(Op::Jump, end);
            }
            self.use_next_block(except);
        }
        self.unset_loc();
        self.pop_fblock();
        self.emit(RERAISE, 0);
        self.use_next_block(cleanup);
        self.pop_except_and_reraise();
        self.use_next_block(end);
        Ok(())
    }

    fn try_finally(
        &mut self,
        s: &'a Stmt,
        body: &'a [Stmt],
        handlers: &'a [crate::ast::ExceptHandler],
        orelse: &'a [Stmt],
        finalbody: &'a [Stmt],
    ) -> R {
        use Opcode::*;
        let body_block = self.new_block();
        let end = self.new_block();
        let exit = self.new_block();
        let cleanup = self.new_block();
        self.emit_jump(Op::SetupFinally, end);
        self.use_next_block(body_block);
        self.push_fblock(
            FBlockKind::FinallyTry(finalbody),
            Some(body_block),
            Some(end),
        )?;
        if handlers.is_empty() {
            self.stmts(body)?;
        } else {
            self.try_except(s, body, handlers, orelse)?;
        }
        self.emit_pseudo_noline(Op::PopBlock);
        self.pop_fblock();
        self.stmts(finalbody)?;
        self.emit_jump_noline(Op::Jump, exit);
        self.use_next_block(end);

        self.unset_loc();
        self.emit_jump(Op::SetupCleanup, cleanup);
        self.emit(PUSH_EXC_INFO, 0);
        self.push_fblock(FBlockKind::FinallyEnd, Some(end), None)?;
        self.stmts(finalbody)?;
        self.pop_fblock();
        self.emit(RERAISE, 0);
        self.use_next_block(cleanup);
        self.pop_except_and_reraise();
        self.use_next_block(exit);
        Ok(())
    }

    fn emit_pseudo_noline(&mut self, op: Op) {
        let loc = Loc {
            line: None,
            ..self.cur.loc
        };
        self.cur.cfg.emit(Ins::new(op, 0, None, loc));
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
        varnames: Vec::new(),
        cellvars: Vec::new(),
        freevars: Vec::new(),
        consts: Vec::new(),
        instrs: Vec::new(),
        spans: Vec::new(),
        lines: Vec::new(),
        exception_table: Vec::new(),
        stacksize: 0,
    }
}
