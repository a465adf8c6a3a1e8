//! Statements, as CPython 3.11's `compile.c` compiles them: `compiler_if`, `compiler_while`,
//! `compiler_for`, `compiler_with`, `compiler_try_except`, `compiler_try_finally`,
//! `compiler_return`, `compiler_function`, imports, `break` and `continue`.
//!
//! `break`, `continue` and `return` inside `with` and `try` emit the exit call or the
//! `finally` body inline before jumping, through `Compiler::unwind_fblock_stack`.

use super::cfg::{BlockId, Ins, Loc, Op};
use super::fold;
use super::{Compiler, Ctx, FBlockKind, UnitKind, R};
use crate::ast::{
    ClassDef, ExceptHandler, Expr, ExprKind, FunctionDef, Span, Stmt, StmtKind, WithItem,
};
use crate::bytecode::{Const, Opcode};
use crate::error::CompileError;

impl<'a> Compiler<'a> {
    pub(super) fn stmts(&mut self, body: &'a [Stmt]) -> R {
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
            StmtKind::AnnAssign {
                target,
                annotation,
                value,
                simple,
            } => self.ann_assign(target, annotation, value.as_ref(), *simple)?,
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
            StmtKind::ClassDef(def) => self.class_def(s, def)?,
            StmtKind::Return(value) => self.return_stmt(s, value.as_ref())?,
            StmtKind::Global(_) | StmtKind::Nonlocal(_) => {}
            StmtKind::With { items, body } => self.with_stmt(s, items, body, 0)?,
            StmtKind::Match { subject, cases } => self.match_stmt(subject, cases)?,
            StmtKind::Assert { test, msg } => {
                let end = self.new_block();
                self.jump_if(test, end, true)?;
                self.emit(LOAD_ASSERTION_ERROR, 0);
                if let Some(m) = msg {
                    self.expr(m)?;
                    self.emit_self_slot_call(1);
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
        while let StmtKind::If { test, body, orelse } = &cur.kind {
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
    fn while_stmt(&mut self, test: &'a Expr, body: &'a [Stmt], orelse: &'a [Stmt]) -> R {
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

    fn return_stmt(&mut self, s: &'a Stmt, value: Option<&'a Expr>) -> R {
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
        self.decorator_exprs(&def.decorators)?;
        self.set_loc(s.span);
        let mut flags = self.default_arguments(&def.params)?;
        flags |= self.annotations(def)?;
        let scope = self.scope_of_def(def)?;
        // The code object starts at the first decorator's line, as CPython's does.
        let first = def.decorators.first().map_or(s.span, |d| Span {
            start: d.span.start,
            end: s.span.end,
        });
        self.enter_scope(UnitKind::Function, &def.name.name, scope, first);
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
        self.cur.consts.add(doc);
        self.cur.argcount = def.params.args.len() as u32;
        self.cur.kwonlyargcount = def.params.kwonly.len() as u32;
        self.cur.has_varargs = def.params.vararg.is_some();
        self.cur.has_varkeywords = def.params.kwarg.is_some();
        self.stmts(body)?;
        let code = self.exit_scope()?;
        self.set_loc(s.span);
        self.make_closure(code, flags, s.span)?;
        self.decorator_calls(&def.decorators)?;
        self.set_loc(s.span);
        self.name_op(&def.name.name, Ctx::Store, def.name.span)
    }

    /// Evaluates the decorators, outermost first, before the function or class is made.
    fn decorator_exprs(&mut self, decorators: &'a [Expr]) -> R {
        for d in decorators {
            self.set_loc(d.span);
            self.expr(d)?;
        }
        Ok(())
    }

    /// Calls the decorators on the new function or class, innermost first. CPython 3.11 emits
    /// `CALL 0` here (the decorator sits in the method slot, the function as `self`); gilvm
    /// has no such slot, so it is `CALL 1`, the same call.
    fn decorator_calls(&mut self, decorators: &'a [Expr]) -> R {
        for d in decorators.iter().rev() {
            self.set_loc(d.span);
            self.emit_self_slot_call(1);
        }
        Ok(())
    }

    /// Pushes the tuple of a function's annotations (`'x', int, 'return', int`) and returns
    /// `MAKE_FUNCTION_ANNOTATIONS`, or pushes nothing and returns 0 (CPython's
    /// `compiler_visit_annotations`).
    fn annotations(&mut self, def: &'a FunctionDef) -> Result<u32, CompileError> {
        let mut n = 0;
        for p in def.params.args.iter().chain(&def.params.kwonly) {
            if let Some(a) = &p.annotation {
                self.load_const(Const::Str(p.name.name.clone()));
                self.expr(a)?;
                n += 2;
            }
        }
        if let Some(r) = &def.returns {
            self.load_const(Const::Str("return".into()));
            self.expr(r)?;
            n += 2;
        }
        if n == 0 {
            return Ok(0);
        }
        self.emit(Opcode::BUILD_TUPLE, n);
        Ok(crate::bytecode::MAKE_FUNCTION_ANNOTATIONS)
    }

    /// `target: annotation [= value]` (CPython's `compiler_annassign`): the assignment, then
    /// the annotation — stored in `__annotations__` for a simple name in a module or class
    /// body, evaluated and dropped for other targets there, not evaluated in a function.
    fn ann_assign(
        &mut self,
        target: &'a Expr,
        annotation: &'a Expr,
        value: Option<&'a Expr>,
        simple: bool,
    ) -> R {
        use Opcode::*;
        if let Some(v) = value {
            self.expr(v)?;
            self.store_target(target)?;
        }
        let body_scope = matches!(self.cur.kind, UnitKind::Module | UnitKind::Class);
        match &target.kind {
            ExprKind::Name(name) if simple => {
                if body_scope {
                    self.expr(annotation)?;
                    self.name_op("__annotations__", Ctx::Load, target.span)?;
                    self.load_const(Const::Str(name.clone()));
                    self.emit(STORE_SUBSCR, 0);
                }
                return Ok(());
            }
            ExprKind::Attribute { value: obj, .. } if value.is_none() => {
                self.expr(obj)?;
                self.emit(POP_TOP, 0);
            }
            ExprKind::Subscript { value: obj, index } if value.is_none() => {
                self.expr(obj)?;
                self.emit(POP_TOP, 0);
                self.expr(index)?;
                self.emit(POP_TOP, 0);
            }
            _ => {}
        }
        if body_scope {
            self.expr(annotation)?;
            self.emit(POP_TOP, 0);
        }
        Ok(())
    }

    /// CPython's `compiler_class`: the body is a code object run by `__build_class__`
    /// (`LOAD_BUILD_CLASS; MAKE_FUNCTION; LOAD_CONST name; bases…; CALL n`).
    fn class_def(&mut self, s: &'a Stmt, def: &'a ClassDef) -> R {
        use Opcode::*;
        self.decorator_exprs(&def.decorators)?;
        let scope = self
            .scopes
            .scope_of_class(def)
            .ok_or_else(|| super::internal("class without a scope", def.span))?;
        let first = def.decorators.first().map_or(s.span, |d| Span {
            start: d.span.start,
            end: s.span.end,
        });
        self.enter_scope(UnitKind::Class, &def.name.name, scope, first);
        // The prologue is on the first decorator's line, as CPython's (co_firstlineno).
        self.set_loc(first);
        self.name_op("__name__", Ctx::Load, def.span)?;
        self.name_op("__module__", Ctx::Store, def.span)?;
        let qualname = self.cur.qualname.clone();
        self.load_const(Const::Str(qualname));
        self.name_op("__qualname__", Ctx::Store, def.span)?;
        if super::has_annotations(&def.body) {
            self.emit(SETUP_ANNOTATIONS, 0);
        }
        let mut body = &def.body[..];
        if let Some((first, rest)) = body.split_first() {
            if let StmtKind::Expr(e) = &first.kind {
                if let ExprKind::Str(_) = &e.kind {
                    self.set_loc(first.span);
                    self.expr(e)?;
                    self.name_op("__doc__", Ctx::Store, first.span)?;
                    body = rest;
                }
            }
        }
        self.stmts(body)?;
        if self.cur.cellvars.iter().any(|c| c == "__class__") {
            self.unset_loc();
            let i = self.deref_index("__class__", def.span)?;
            self.emit(LOAD_CLOSURE, i);
            self.emit(COPY, 1);
            self.name_op("__classcell__", Ctx::Store, def.span)?;
            self.emit(RETURN_VALUE, 0);
        }
        let code = self.exit_scope()?;
        self.set_loc(s.span);
        self.push_null_hint();
        self.emit(LOAD_BUILD_CLASS, 0);
        self.make_closure(code, 0, def.span)?;
        self.load_const(Const::Str(def.name.name.clone()));
        for b in &def.bases {
            self.expr(b)?;
        }
        self.set_loc(s.span);
        self.emit(CALL, def.bases.len() as u32 + 2);
        self.decorator_calls(&def.decorators)?;
        self.set_loc(s.span);
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
        handlers: &'a [ExceptHandler],
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
        handlers: &'a [ExceptHandler],
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
