//! Expressions, assignment targets and conditional jumps, as CPython 3.11's `compile.c`.
//!
//! Each `compiler_*` function of CPython has a method of the same name here (`boolop`,
//! `compare`, `call_helper`, `starunpack_helper`, `jump_if`, `comprehension`, …). Expressions set
//! the current location while they are compiled and restore it afterwards, so every instruction
//! carries the span of the innermost expression that produced it.

use super::cfg::{BlockId, Op};
use super::fold;
use super::{Compiler, Ctx, UnitKind, R, STACK_USE_GUIDELINE};
use crate::ast::{
    BinOp, BoolOp, CmpOp, Comprehension, Expr, ExprKind, FStringPart, Keyword, Params, Span,
    UnaryOp,
};
use crate::bytecode::{Const, Opcode, FVC_ASCII, FVC_NONE, FVC_REPR, FVC_STR, FVS_HAVE_SPEC};
use crate::error::CompileError;

/// `not (a is b)` is `a is not b`, and likewise for `is not`, `in` and `not in` (CPython's
/// AST optimizer rewrites these; `not (a < b)` stays, since `<` has no safe inverse).
fn negated_compare(e: &Expr) -> Option<(&Expr, CmpOp, &Expr)> {
    let ExprKind::UnaryOp {
        op: UnaryOp::Not,
        operand,
    } = &e.kind
    else {
        return None;
    };
    let ExprKind::Compare { left, ops } = &operand.kind else {
        return None;
    };
    let [(op, right)] = ops.as_slice() else {
        return None;
    };
    let inverted = match op {
        CmpOp::Is => CmpOp::IsNot,
        CmpOp::IsNot => CmpOp::Is,
        CmpOp::In => CmpOp::NotIn,
        CmpOp::NotIn => CmpOp::In,
        _ => return None,
    };
    Some((left, inverted, right))
}

/// What a comprehension's innermost loop adds.
#[derive(Clone, Copy)]
enum CompElt<'a> {
    One(&'a Expr),
    Pair(&'a Expr, &'a Expr),
}

/// What `starunpack_helper` builds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Seq {
    List,
    Tuple,
    Set,
}

impl<'a> Compiler<'a> {
    /// Compiles an expression that leaves its value on the stack.
    pub(super) fn expr(&mut self, e: &'a Expr) -> R {
        let old = self.cur.loc;
        self.set_loc(e.span);
        let result = self.expr_inner(e);
        self.cur.loc = old;
        result
    }

    fn expr_inner(&mut self, e: &'a Expr) -> R {
        use Opcode::*;
        if let Some(c) = fold::const_value(e) {
            self.load_const(c);
            return Ok(());
        }
        if let Some((left, op, right)) = negated_compare(e) {
            self.expr(left)?;
            self.comparator(op, right, true)?;
            self.compare_op(op);
            return Ok(());
        }
        match &e.kind {
            ExprKind::Name(name) => self.name_op(name, Ctx::Load, e.span)?,
            ExprKind::Int(_)
            | ExprKind::BigInt(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::True
            | ExprKind::False
            | ExprKind::None
            | ExprKind::Ellipsis => {}
            ExprKind::JoinedStr(parts) => self.joined_str(parts)?,
            ExprKind::List(elts) => self.starunpack_helper(elts, Seq::List)?,
            ExprKind::Tuple(elts) => self.starunpack_helper(elts, Seq::Tuple)?,
            ExprKind::Set(elts) => self.starunpack_helper(elts, Seq::Set)?,
            ExprKind::Dict(pairs) => self.dict(pairs)?,
            ExprKind::NamedExpr { target, value } => {
                self.expr(value)?;
                self.emit(COPY, 1);
                self.store_target(target)?;
            }
            ExprKind::Starred(_) => {
                return Err(CompileError::syntax(
                    "can't use starred expression here",
                    e.span,
                ))
            }
            ExprKind::BinOp { left, op, right } => {
                self.expr(left)?;
                self.expr(right)?;
                self.emit(BINARY_OP, *op as u32);
            }
            ExprKind::UnaryOp { op, operand } => {
                self.expr(operand)?;
                self.emit(
                    match op {
                        UnaryOp::Neg => UNARY_NEGATIVE,
                        UnaryOp::Pos => UNARY_POSITIVE,
                        UnaryOp::Not => UNARY_NOT,
                        UnaryOp::Invert => UNARY_INVERT,
                    },
                    0,
                );
            }
            ExprKind::BoolOp { op, values } => self.boolop(*op, values)?,
            ExprKind::Compare { left, ops } => self.compare(left, ops)?,
            ExprKind::Call {
                func,
                args,
                keywords,
            } => self.call(func, args, keywords)?,
            ExprKind::Attribute { value, attr } => {
                self.expr(value)?;
                let old = self.cur.loc;
                self.attr_loc(attr.span);
                let id = self.name_id(&attr.name);
                self.emit(LOAD_ATTR, id);
                self.cur.loc = old;
            }
            ExprKind::Subscript { value, index } => {
                self.expr(value)?;
                self.expr(index)?;
                self.emit(BINARY_SUBSCR, 0);
            }
            ExprKind::Slice { lower, upper, step } => {
                let mut n = 2;
                match lower {
                    Some(l) => self.expr(l)?,
                    None => self.load_const(Const::None),
                }
                match upper {
                    Some(u) => self.expr(u)?,
                    None => self.load_const(Const::None),
                }
                if let Some(s) = step {
                    self.expr(s)?;
                    n = 3;
                }
                self.emit(BUILD_SLICE, n);
            }
            ExprKind::IfExp { test, body, orelse } => {
                let end = self.new_block();
                let next = self.new_block();
                self.jump_if(test, next, false)?;
                self.expr(body)?;
                self.emit_jump_noline(Op::Jump, end);
                self.use_next_block(next);
                self.expr(orelse)?;
                self.use_next_block(end);
            }
            ExprKind::Lambda { params, body } => self.lambda(e, params, body)?,
            ExprKind::Yield(value) => {
                match value {
                    Some(v) => self.expr(v)?,
                    None => self.load_const(Const::None),
                }
                self.emit(Opcode::YIELD_VALUE, 0);
                self.emit(Opcode::RESUME, 1);
            }
            ExprKind::YieldFrom(value) => {
                self.expr(value)?;
                self.emit(Opcode::GET_YIELD_FROM_ITER, 0);
                self.load_const(Const::None);
                self.add_yield_from();
            }
            ExprKind::ListComp { elt, generators } => {
                self.comprehension(e, "<listcomp>", elt, generators)?
            }
            ExprKind::GeneratorExp { elt, generators } => {
                self.comprehension(e, "<genexpr>", elt, generators)?
            }
            ExprKind::SetComp { elt, generators } => {
                self.comprehension(e, "<setcomp>", elt, generators)?
            }
            ExprKind::DictComp {
                key,
                value,
                generators,
            } => self.comprehension_of(e, "<dictcomp>", CompElt::Pair(key, value), generators)?,
        }
        Ok(())
    }

    /// Attribute instructions take the line of the attribute name (CPython's
    /// `update_start_location_to_match_attr`), which matters for `obj\n.method()`.
    fn attr_loc(&mut self, attr: Span) {
        let line = self.line_of(attr.start);
        self.cur.loc.line = Some(line);
    }

    /// The iterable of a `for` or comprehension: a list display is built as a tuple
    /// (CPython's AST optimizer `fold_iter`).
    pub(super) fn iter_expr(&mut self, e: &'a Expr) -> R {
        if let ExprKind::List(elts) = &e.kind {
            if !elts.iter().any(|x| matches!(x.kind, ExprKind::Starred(_))) {
                let old = self.cur.loc;
                self.set_loc(e.span);
                match fold::const_tuple(elts) {
                    Some(c) => self.load_const(c),
                    None => self.starunpack_helper(elts, Seq::Tuple)?,
                }
                self.cur.loc = old;
                return Ok(());
            }
        }
        if let ExprKind::Set(elts) = &e.kind {
            if let Some(Const::Tuple(items)) = fold::const_tuple(elts) {
                let old = self.cur.loc;
                self.set_loc(e.span);
                self.load_const(Const::FrozenSet(items));
                self.cur.loc = old;
                return Ok(());
            }
        }
        self.expr(e)
    }

    // ----- targets -----------------------------------------------------------------------

    pub(super) fn store_target(&mut self, t: &'a Expr) -> R {
        let old = self.cur.loc;
        self.set_loc(t.span);
        let result = self.store_target_inner(t);
        self.cur.loc = old;
        result
    }

    fn store_target_inner(&mut self, t: &'a Expr) -> R {
        use Opcode::*;
        match &t.kind {
            ExprKind::Name(name) => self.name_op(name, Ctx::Store, t.span),
            ExprKind::Attribute { value, attr } => {
                self.expr(value)?;
                self.attr_loc(attr.span);
                let id = self.name_id(&attr.name);
                self.emit(STORE_ATTR, id);
                Ok(())
            }
            ExprKind::Subscript { value, index } => {
                self.expr(value)?;
                self.expr(index)?;
                self.emit(STORE_SUBSCR, 0);
                Ok(())
            }
            ExprKind::Tuple(elts) | ExprKind::List(elts) => {
                // CPython's `unpack_helper`: one starred target makes it `UNPACK_EX`.
                let mut star = None;
                for (i, e) in elts.iter().enumerate() {
                    if matches!(e.kind, ExprKind::Starred(_)) {
                        if star.is_some() {
                            return Err(CompileError::syntax(
                                "multiple starred expressions in assignment",
                                e.span,
                            ));
                        }
                        star = Some(i);
                    }
                }
                match star {
                    Some(i) => {
                        let after = elts.len() - i - 1;
                        if i >= 256 || after >= (1 << 24) {
                            return Err(CompileError::syntax(
                                "too many expressions in star-unpacking assignment",
                                t.span,
                            ));
                        }
                        self.emit(UNPACK_EX, i as u32 | (after as u32) << 8);
                    }
                    None => self.emit(UNPACK_SEQUENCE, elts.len() as u32),
                }
                for e in elts {
                    match &e.kind {
                        ExprKind::Starred(inner) => self.store_target(inner)?,
                        _ => self.store_target(e)?,
                    }
                }
                Ok(())
            }
            ExprKind::Starred(_) => Err(CompileError::syntax(
                "starred assignment target must be in a list or tuple",
                t.span,
            )),
            _ => Err(CompileError::syntax("cannot assign to expression", t.span)),
        }
    }

    pub(super) fn delete_target(&mut self, t: &'a Expr) -> R {
        let old = self.cur.loc;
        self.set_loc(t.span);
        let result = match &t.kind {
            ExprKind::Name(name) => self.name_op(name, Ctx::Del, t.span),
            ExprKind::Subscript { value, index } => self
                .expr(value)
                .and_then(|_| self.expr(index))
                .map(|_| self.emit(Opcode::DELETE_SUBSCR, 0)),
            ExprKind::Tuple(elts) | ExprKind::List(elts) => {
                elts.iter().try_for_each(|e| self.delete_target(e))
            }
            ExprKind::Attribute { value, attr } => self.expr(value).map(|_| {
                self.attr_loc(attr.span);
                let id = self.name_id(&attr.name);
                self.emit(Opcode::DELETE_ATTR, id);
            }),
            _ => Err(CompileError::syntax("cannot delete expression", t.span)),
        };
        self.cur.loc = old;
        result
    }

    /// CPython's `compiler_augassign`: load the target once, operate in place, store back.
    pub(super) fn aug_assign(&mut self, target: &'a Expr, op: BinOp, value: &'a Expr) -> R {
        use Opcode::*;
        let stmt_loc = self.cur.loc;
        self.set_loc(target.span);
        match &target.kind {
            ExprKind::Name(name) => self.name_op(name, Ctx::Load, target.span)?,
            ExprKind::Attribute { value: obj, attr } => {
                self.expr(obj)?;
                self.emit(COPY, 1);
                let saved = self.cur.loc;
                self.attr_loc(attr.span);
                let id = self.name_id(&attr.name);
                self.emit(LOAD_ATTR, id);
                self.cur.loc = saved;
            }
            ExprKind::Subscript { value: obj, index } => {
                self.expr(obj)?;
                self.expr(index)?;
                self.emit(COPY, 2);
                self.emit(COPY, 2);
                self.emit(BINARY_SUBSCR, 0);
            }
            _ => {
                return Err(CompileError::syntax(
                    "'expression' is an illegal expression for augmented assignment",
                    target.span,
                ))
            }
        }
        self.cur.loc = stmt_loc;
        self.expr(value)?;
        self.emit(BINARY_OP, op as u32 + 13);
        self.set_loc(target.span);
        match &target.kind {
            ExprKind::Name(name) => self.name_op(name, Ctx::Store, target.span)?,
            ExprKind::Attribute { attr, .. } => {
                self.attr_loc(attr.span);
                self.emit(SWAP, 2);
                let id = self.name_id(&attr.name);
                self.emit(STORE_ATTR, id);
            }
            _ => {
                self.emit(SWAP, 3);
                self.emit(SWAP, 2);
                self.emit(STORE_SUBSCR, 0);
            }
        }
        Ok(())
    }

    // ----- control flow inside expressions ----------------------------------------------

    /// Jumps to `next` if the truth of `e` equals `cond` (CPython's `compiler_jump_if`).
    pub(super) fn jump_if(&mut self, e: &'a Expr, next: BlockId, cond: bool) -> R {
        let old = self.cur.loc;
        let leaks = self.cur.compare_leaks;
        self.set_loc(e.span);
        let result = self.jump_if_inner(e, next, cond);
        // CPython 3.11's `compiler_jump_if` sets the location of a comparison it tests and
        // leaves it set: the instructions after the test (an `assert`'s raise) carry the
        // comparison's position, which its traceback underlines.
        let mut tested = e;
        while let ExprKind::UnaryOp {
            op: UnaryOp::Not,
            operand,
        } = &tested.kind
        {
            tested = operand;
        }
        if matches!(tested.kind, ExprKind::Compare { .. }) && fold::const_value(e).is_none() {
            self.set_loc(tested.span);
            self.cur.compare_leaks += 1;
            self.cur.compare_loc = self.cur.loc;
        } else if self.cur.compare_leaks != leaks {
            self.cur.loc = self.cur.compare_loc;
        } else {
            self.cur.loc = old;
        }
        result
    }

    fn jump_if_inner(&mut self, e: &'a Expr, next: BlockId, cond: bool) -> R {
        use Opcode::*;
        if fold::const_value(e).is_none() && negated_compare(e).is_none() {
            match &e.kind {
                ExprKind::UnaryOp {
                    op: UnaryOp::Not,
                    operand,
                } => return self.jump_if(operand, next, !cond),
                ExprKind::BoolOp { op, values } => {
                    let Some((last, rest)) = values.split_last() else {
                        return Ok(());
                    };
                    let cond2 = *op == BoolOp::Or;
                    let next2 = if cond2 != cond {
                        self.new_block()
                    } else {
                        next
                    };
                    for v in rest {
                        self.jump_if(v, next2, cond2)?;
                    }
                    self.jump_if(last, next, cond)?;
                    if next2 != next {
                        self.use_next_block(next2);
                    }
                    return Ok(());
                }
                ExprKind::IfExp { test, body, orelse } => {
                    let end = self.new_block();
                    let next2 = self.new_block();
                    self.jump_if(test, next2, false)?;
                    self.jump_if(body, next, cond)?;
                    self.emit_jump_noline(Op::Jump, end);
                    self.use_next_block(next2);
                    self.jump_if(orelse, next, cond)?;
                    self.use_next_block(end);
                    return Ok(());
                }
                ExprKind::Compare { left, ops } if ops.len() > 1 => {
                    let cleanup = self.new_block();
                    self.expr(left)?;
                    let (last, init) = ops.split_last().unwrap_or((&ops[0], &[]));
                    for (op, right) in init {
                        self.expr(right)?;
                        self.emit(SWAP, 2);
                        self.emit(COPY, 2);
                        self.compare_op(*op);
                        self.emit_jump(Op::PopJumpIfFalse, cleanup);
                    }
                    self.expr(&last.1)?;
                    self.compare_op(last.0);
                    let jump = if cond {
                        Op::PopJumpIfTrue
                    } else {
                        Op::PopJumpIfFalse
                    };
                    self.emit_jump(jump, next);
                    let end = self.new_block();
                    self.emit_jump_noline(Op::Jump, end);
                    self.use_next_block(cleanup);
                    self.emit(POP_TOP, 0);
                    if !cond {
                        self.emit_jump_noline(Op::Jump, next);
                    }
                    self.use_next_block(end);
                    return Ok(());
                }
                _ => {}
            }
        }
        self.expr(e)?;
        let jump = if cond {
            Op::PopJumpIfTrue
        } else {
            Op::PopJumpIfFalse
        };
        self.emit_jump(jump, next);
        Ok(())
    }

    fn boolop(&mut self, op: BoolOp, values: &'a [Expr]) -> R {
        let jump = match op {
            BoolOp::And => Opcode::JUMP_IF_FALSE_OR_POP,
            BoolOp::Or => Opcode::JUMP_IF_TRUE_OR_POP,
        };
        let end = self.new_block();
        let Some((last, rest)) = values.split_last() else {
            return Ok(());
        };
        for v in rest {
            self.expr(v)?;
            self.emit_jump(Op::Real(jump), end);
            self.next_block();
        }
        self.expr(last)?;
        self.use_next_block(end);
        Ok(())
    }

    fn compare_op(&mut self, op: CmpOp) {
        use Opcode::*;
        let (opcode, arg) = match op {
            CmpOp::Lt => (COMPARE_OP, 0),
            CmpOp::LtE => (COMPARE_OP, 1),
            CmpOp::Eq => (COMPARE_OP, 2),
            CmpOp::NotEq => (COMPARE_OP, 3),
            CmpOp::Gt => (COMPARE_OP, 4),
            CmpOp::GtE => (COMPARE_OP, 5),
            CmpOp::Is => (IS_OP, 0),
            CmpOp::IsNot => (IS_OP, 1),
            CmpOp::In => (CONTAINS_OP, 0),
            CmpOp::NotIn => (CONTAINS_OP, 1),
        };
        self.emit(opcode, arg);
    }

    /// The right operand of a comparison; a list after `in` is built as a tuple.
    fn comparator(&mut self, op: CmpOp, right: &'a Expr, is_last: bool) -> R {
        if is_last && matches!(op, CmpOp::In | CmpOp::NotIn) {
            self.iter_expr(right)
        } else {
            self.expr(right)
        }
    }

    fn compare(&mut self, left: &'a Expr, ops: &'a [(CmpOp, Expr)]) -> R {
        use Opcode::*;
        self.expr(left)?;
        let n = ops.len();
        if n == 1 {
            self.comparator(ops[0].0, &ops[0].1, true)?;
            self.compare_op(ops[0].0);
            return Ok(());
        }
        let cleanup = self.new_block();
        for (op, right) in &ops[..n - 1] {
            self.expr(right)?;
            self.emit(SWAP, 2);
            self.emit(COPY, 2);
            self.compare_op(*op);
            self.emit_jump(Op::Real(JUMP_IF_FALSE_OR_POP), cleanup);
            self.next_block();
        }
        let (op, right) = &ops[n - 1];
        self.comparator(*op, right, true)?;
        self.compare_op(*op);
        let end = self.new_block();
        self.emit_jump_noline(Op::Jump, end);
        self.use_next_block(cleanup);
        self.emit(SWAP, 2);
        self.emit(POP_TOP, 0);
        self.use_next_block(end);
        Ok(())
    }

    // ----- displays ----------------------------------------------------------------------

    /// CPython's `starunpack_helper` for list, tuple and set displays (and call arguments).
    fn starunpack_helper(&mut self, elts: &'a [Expr], seq: Seq) -> R {
        use Opcode::*;
        let tuple = seq == Seq::Tuple;
        let (build, add, extend) = match seq {
            Seq::Set => (BUILD_SET, SET_ADD, SET_UPDATE),
            _ => (BUILD_LIST, LIST_APPEND, LIST_EXTEND),
        };
        let n = elts.len();
        if n > 2 {
            if let Some(Const::Tuple(items)) = fold::const_tuple(elts) {
                if tuple {
                    self.load_const(Const::Tuple(items));
                } else {
                    self.emit(build, 0);
                    self.load_const(if seq == Seq::Set {
                        Const::FrozenSet(items)
                    } else {
                        Const::Tuple(items)
                    });
                    self.emit(extend, 1);
                }
                return Ok(());
            }
        }
        let big = n > STACK_USE_GUIDELINE;
        let seen_star = elts.iter().any(|e| matches!(e.kind, ExprKind::Starred(_)));
        if !seen_star && !big {
            for e in elts {
                self.expr(e)?;
            }
            self.emit(if tuple { BUILD_TUPLE } else { build }, n as u32);
            return Ok(());
        }
        let mut built = false;
        if big {
            self.emit(build, 0);
            built = true;
        }
        for (i, e) in elts.iter().enumerate() {
            if let ExprKind::Starred(value) = &e.kind {
                if !built {
                    self.emit(build, i as u32);
                    built = true;
                }
                self.expr(value)?;
                self.emit(extend, 1);
            } else {
                self.expr(e)?;
                if built {
                    self.emit(add, 1);
                }
            }
        }
        if tuple {
            self.emit(LIST_TO_TUPLE, 0);
        }
        Ok(())
    }

    /// CPython's `compiler_dict`: runs of `key: value` pairs become dicts (`compiler_subdict`),
    /// merged with each `**mapping` by `DICT_UPDATE`.
    fn dict(&mut self, pairs: &'a [(Option<Expr>, Expr)]) -> R {
        use Opcode::*;
        let mut have_dict = false;
        let mut run: Vec<(&'a Expr, &'a Expr)> = Vec::new();
        for (k, v) in pairs {
            match k {
                Some(k) => run.push((k, v)),
                None => {
                    if !run.is_empty() {
                        self.subdict(&run)?;
                        if have_dict {
                            self.emit(DICT_UPDATE, 1);
                        }
                        have_dict = true;
                        run.clear();
                    }
                    if !have_dict {
                        self.emit(BUILD_MAP, 0);
                        have_dict = true;
                    }
                    self.expr(v)?;
                    self.emit(DICT_UPDATE, 1);
                }
            }
        }
        if !run.is_empty() {
            self.subdict(&run)?;
            if have_dict {
                self.emit(DICT_UPDATE, 1);
            }
            have_dict = true;
        }
        if !have_dict {
            self.emit(BUILD_MAP, 0);
        }
        Ok(())
    }

    fn subdict(&mut self, pairs: &[(&'a Expr, &'a Expr)]) -> R {
        use Opcode::*;
        let n = pairs.len();
        let big = n * 2 > STACK_USE_GUIDELINE;
        if n > 1 && !big {
            let keys: Option<Vec<Const>> =
                pairs.iter().map(|&(k, _)| fold::const_value(k)).collect();
            if let Some(keys) = keys {
                for &(_, v) in pairs {
                    self.expr(v)?;
                }
                self.load_const(Const::Tuple(keys));
                self.emit(BUILD_CONST_KEY_MAP, n as u32);
                return Ok(());
            }
        }
        if big {
            self.emit(BUILD_MAP, 0);
        }
        for &(k, v) in pairs {
            self.expr(k)?;
            self.expr(v)?;
            if big {
                self.emit(MAP_ADD, 1);
            }
        }
        if !big {
            self.emit(BUILD_MAP, n as u32);
        }
        Ok(())
    }

    fn joined_str(&mut self, parts: &'a [FStringPart]) -> R {
        use Opcode::*;
        let parts: Vec<&'a FStringPart> = parts
            .iter()
            .filter(|p| !matches!(p, FStringPart::Literal(s) if s.is_empty()))
            .collect();
        if parts.len() > STACK_USE_GUIDELINE {
            self.load_const(Const::Str(String::new()));
            let id = self.name_id("join");
            self.emit(LOAD_METHOD, id);
            self.emit(BUILD_LIST, 0);
            for p in &parts {
                self.fstring_part(p)?;
                self.emit(LIST_APPEND, 1);
            }
            self.emit_method_call(1);
            return Ok(());
        }
        for p in &parts {
            self.fstring_part(p)?;
        }
        if parts.len() != 1 {
            self.emit(BUILD_STRING, parts.len() as u32);
        }
        Ok(())
    }

    fn fstring_part(&mut self, part: &'a FStringPart) -> R {
        match part {
            FStringPart::Literal(s) => {
                self.load_const(Const::Str(s.clone()));
                Ok(())
            }
            FStringPart::Value {
                expr,
                conversion,
                spec,
            } => {
                self.expr(expr)?;
                let mut flags = match conversion {
                    Some('s') => FVC_STR,
                    Some('r') => FVC_REPR,
                    Some('a') => FVC_ASCII,
                    _ => FVC_NONE,
                };
                if !spec.is_empty() {
                    self.joined_str(spec)?;
                    flags |= FVS_HAVE_SPEC;
                }
                self.emit(Opcode::FORMAT_VALUE, flags);
                Ok(())
            }
        }
    }

    // ----- calls -------------------------------------------------------------------------

    fn call(&mut self, func: &'a Expr, args: &'a [Expr], keywords: &'a [Keyword]) -> R {
        for (i, k) in keywords.iter().enumerate() {
            let Some(name) = &k.name else { continue };
            if let Some(other) = keywords[i + 1..]
                .iter()
                .find(|o| o.name.as_ref().is_some_and(|n| n.name == name.name))
            {
                let span = other.name.as_ref().map_or(other.value.span, |n| n.span);
                return Err(CompileError::syntax(
                    format!("keyword argument repeated: {}", name.name),
                    span.to(other.value.span),
                ));
            }
        }
        let starred = args.iter().any(|a| matches!(a.kind, ExprKind::Starred(_)))
            || keywords.iter().any(|k| k.name.is_none());
        let nkw = keywords.len();
        if let ExprKind::Attribute { value, attr } = &func.kind {
            let imported =
                matches!(&value.kind, ExprKind::Name(n) if self.scopes.is_module_import(n));
            if !imported
                && !starred
                && args.len() + nkw + usize::from(nkw > 0) < STACK_USE_GUIDELINE
            {
                self.expr(value)?;
                let old = self.cur.loc;
                self.attr_loc(attr.span);
                // Positions as CPython 3.11's (the traceback's `^^^`): `LOAD_METHOD` is the
                // attribute expression, the call the whole call; when the attribute name is on
                // a later line than the object, both start at the name.
                let multiline = self.line_of(attr.span.start) != self.line_of(func.span.start);
                let call_span = if multiline {
                    Span::new(attr.span.start as usize, old.span.end as usize)
                } else {
                    old.span
                };
                self.cur.loc.span = if multiline { attr.span } else { func.span };
                let id = self.name_id(&attr.name);
                self.emit(Opcode::LOAD_METHOD, id);
                self.cur.loc.span = call_span;
                for a in args {
                    self.expr(a)?;
                }
                self.keyword_args(keywords)?;
                self.emit_method_call((args.len() + nkw) as u32);
                self.cur.loc = old;
                return Ok(());
            }
        }
        self.push_null_hint();
        self.expr(func)?;
        self.call_helper(args, keywords)
    }

    /// The name of a keyword argument (`None` only for `**`, which never gets here).
    fn kw_name(k: &Keyword) -> Const {
        Const::Str(k.name.as_ref().map_or(String::new(), |n| n.name.clone()))
    }

    fn keyword_args(&mut self, keywords: &'a [Keyword]) -> R {
        if keywords.is_empty() {
            return Ok(());
        }
        for k in keywords {
            self.expr(&k.value)?;
        }
        let names = keywords.iter().map(Self::kw_name).collect();
        let i = self.cur.consts.add(Const::Tuple(names));
        self.emit(Opcode::KW_NAMES, i);
        Ok(())
    }

    /// CPython's `compiler_call_helper`: `CALL n`, or `CALL_FUNCTION_EX` when there are
    /// `*args`, `**kwargs` or too many arguments.
    fn call_helper(&mut self, args: &'a [Expr], keywords: &'a [Keyword]) -> R {
        use Opcode::*;
        let starred = args.iter().any(|a| matches!(a.kind, ExprKind::Starred(_)))
            || keywords.iter().any(|k| k.name.is_none());
        if !starred && args.len() + keywords.len() * 2 <= STACK_USE_GUIDELINE {
            for a in args {
                self.expr(a)?;
            }
            self.keyword_args(keywords)?;
            self.emit(CALL, (args.len() + keywords.len()) as u32);
            return Ok(());
        }
        match args {
            [Expr {
                kind: ExprKind::Starred(value),
                ..
            }] => self.expr(value)?,
            _ => self.starunpack_helper(args, Seq::Tuple)?,
        }
        if !keywords.is_empty() {
            let mut have_dict = false;
            let mut seen = 0;
            for (i, k) in keywords.iter().enumerate() {
                if k.name.is_some() {
                    seen += 1;
                    continue;
                }
                if seen > 0 {
                    self.subkwargs(&keywords[i - seen..i])?;
                    if have_dict {
                        self.emit(DICT_MERGE, 1);
                    }
                    have_dict = true;
                    seen = 0;
                }
                if !have_dict {
                    self.emit(BUILD_MAP, 0);
                    have_dict = true;
                }
                self.expr(&k.value)?;
                self.emit(DICT_MERGE, 1);
            }
            if seen > 0 {
                self.subkwargs(&keywords[keywords.len() - seen..])?;
                if have_dict {
                    self.emit(DICT_MERGE, 1);
                }
            }
        }
        self.emit(CALL_FUNCTION_EX, u32::from(!keywords.is_empty()));
        Ok(())
    }

    /// CPython's `compiler_subkwargs`: a dict of named keyword arguments.
    fn subkwargs(&mut self, keywords: &'a [Keyword]) -> R {
        use Opcode::*;
        let big = keywords.len() * 2 > STACK_USE_GUIDELINE;
        if keywords.len() > 1 && !big {
            for k in keywords {
                self.expr(&k.value)?;
            }
            let names = keywords.iter().map(Self::kw_name).collect();
            self.load_const(Const::Tuple(names));
            self.emit(BUILD_CONST_KEY_MAP, keywords.len() as u32);
            return Ok(());
        }
        if big {
            self.emit_noline(BUILD_MAP, 0);
        }
        for k in keywords {
            self.load_const(Self::kw_name(k));
            self.expr(&k.value)?;
            if big {
                self.emit_noline(MAP_ADD, 1);
            }
        }
        if !big {
            self.emit(BUILD_MAP, keywords.len() as u32);
        }
        Ok(())
    }

    // ----- functions ---------------------------------------------------------------------

    /// Pushes the defaults tuple and keyword-only defaults dict; returns MAKE_FUNCTION flags.
    pub(super) fn default_arguments(&mut self, params: &'a Params) -> Result<u32, CompileError> {
        let mut flags = 0;
        let defaults: Vec<&'a Expr> = params
            .args
            .iter()
            .filter_map(|p| p.default.as_ref())
            .collect();
        if !defaults.is_empty() {
            for d in &defaults {
                self.expr(d)?;
            }
            self.emit(Opcode::BUILD_TUPLE, defaults.len() as u32);
            flags |= crate::bytecode::MAKE_FUNCTION_DEFAULTS;
        }
        let mut keys = Vec::new();
        for p in &params.kwonly {
            if let Some(d) = &p.default {
                keys.push(Const::Str(p.name.name.clone()));
                self.expr(d)?;
            }
        }
        if !keys.is_empty() {
            let n = keys.len() as u32;
            self.load_const(Const::Tuple(keys));
            self.emit(Opcode::BUILD_CONST_KEY_MAP, n);
            flags |= crate::bytecode::MAKE_FUNCTION_KWDEFAULTS;
        }
        Ok(flags)
    }

    fn lambda(&mut self, e: &'a Expr, params: &'a Params, body: &'a Expr) -> R {
        let flags = self.default_arguments(params)?;
        let scope = self
            .scopes
            .scope_of_expr(e)
            .ok_or_else(|| super::internal("lambda without a scope", e.span))?;
        self.enter_scope(UnitKind::Lambda, "<lambda>", scope, e.span);
        self.cur.consts.add(Const::None);
        self.cur.argcount = params.args.len() as u32;
        self.cur.kwonlyargcount = params.kwonly.len() as u32;
        self.cur.has_varargs = params.vararg.is_some();
        self.cur.has_varkeywords = params.kwarg.is_some();
        self.expr(body)?;
        self.emit(Opcode::RETURN_VALUE, 0);
        let code = self.exit_scope()?;
        self.make_closure(code, flags, e.span)
    }

    /// CPython 3.11's `compiler_add_yield_from`: `SEND` to the exit, `YIELD_VALUE`,
    /// `RESUME 2`, and `JUMP_BACKWARD_NO_INTERRUPT` back to the `SEND`.
    fn add_yield_from(&mut self) {
        let start = self.new_block();
        let resume = self.new_block();
        let exit = self.new_block();
        self.use_next_block(start);
        self.emit_jump(Op::Real(Opcode::SEND), exit);
        self.use_next_block(resume);
        self.emit(Opcode::YIELD_VALUE, 0);
        self.emit(Opcode::RESUME, 2);
        self.emit_jump(Op::JumpNoInterrupt, start);
        self.use_next_block(exit);
    }

    /// CPython 3.11's `compiler_comprehension`: a nested function that takes the outermost
    /// iterator as `.0`, called at once.
    fn comprehension(
        &mut self,
        e: &'a Expr,
        name: &str,
        elt: &'a Expr,
        generators: &'a [Comprehension],
    ) -> R {
        self.comprehension_of(e, name, CompElt::One(elt), generators)
    }

    /// A list, set or dict comprehension: `BUILD_LIST` / `BUILD_SET` / `BUILD_MAP` and
    /// `LIST_APPEND` / `SET_ADD` / `MAP_ADD`, as CPython; or a generator expression, whose
    /// innermost loop yields each item (`YIELD_VALUE; RESUME 1; POP_TOP`).
    fn comprehension_of(
        &mut self,
        e: &'a Expr,
        name: &str,
        elt: CompElt<'a>,
        generators: &'a [Comprehension],
    ) -> R {
        let Some(first) = generators.first() else {
            return Err(CompileError::syntax("comprehension without 'for'", e.span));
        };
        let scope = self
            .scopes
            .scope_of_expr(e)
            .ok_or_else(|| super::internal("comprehension without a scope", e.span))?;
        self.enter_scope(UnitKind::Comprehension, name, scope, e.span);
        self.set_loc(e.span);
        let build = match name {
            "<setcomp>" => Some(Opcode::BUILD_SET),
            "<dictcomp>" => Some(Opcode::BUILD_MAP),
            "<genexpr>" => None,
            _ => Some(Opcode::BUILD_LIST),
        };
        if let Some(build) = build {
            self.emit(build, 0);
        }
        self.cur.argcount = 1;
        self.comprehension_generator(generators, 0, 0, elt)?;
        if build.is_some() {
            self.emit(Opcode::RETURN_VALUE, 0);
        }
        let code = self.exit_scope()?;
        self.make_closure(code, 0, e.span)?;
        self.iter_expr(&first.iter)?;
        self.emit(Opcode::GET_ITER, 0);
        self.emit_self_slot_call(1);
        Ok(())
    }

    fn comprehension_generator(
        &mut self,
        generators: &'a [Comprehension],
        index: usize,
        mut depth: u32,
        elt: CompElt<'a>,
    ) -> R {
        use Opcode::*;
        let gen = &generators[index];
        let mut start = Some(self.new_block());
        let if_cleanup = self.new_block();
        let anchor = self.new_block();
        if index == 0 {
            self.emit(LOAD_FAST, 0);
        } else {
            let single = match &gen.iter.kind {
                ExprKind::List(elts) | ExprKind::Tuple(elts)
                    if fold::const_value(&gen.iter).is_none() =>
                {
                    match elts.as_slice() {
                        [only] if !matches!(only.kind, ExprKind::Starred(_)) => Some(only),
                        _ => None,
                    }
                }
                _ => None,
            };
            match single {
                Some(only) => {
                    self.expr(only)?;
                    start = None;
                }
                None => {
                    self.iter_expr(&gen.iter)?;
                    self.emit(GET_ITER, 0);
                }
            }
        }
        if let Some(start) = start {
            depth += 1;
            self.use_next_block(start);
            self.emit_jump(Op::Real(FOR_ITER), anchor);
        }
        self.store_target(&gen.target)?;
        for cond in &gen.ifs {
            self.jump_if(cond, if_cleanup, false)?;
        }
        if index + 1 < generators.len() {
            self.comprehension_generator(generators, index + 1, depth, elt)?;
        } else {
            match elt {
                CompElt::One(x) if self.cur.name == "<genexpr>" => {
                    self.expr(x)?;
                    self.emit(YIELD_VALUE, 0);
                    self.emit(RESUME, 1);
                    self.emit(POP_TOP, 0);
                }
                CompElt::One(x) => {
                    self.expr(x)?;
                    let add = if self.cur.name == "<setcomp>" {
                        SET_ADD
                    } else {
                        LIST_APPEND
                    };
                    self.emit(add, depth + 1);
                }
                CompElt::Pair(k, v) => {
                    self.expr(k)?;
                    self.expr(v)?;
                    self.emit(MAP_ADD, depth + 1);
                }
            }
        }
        self.use_next_block(if_cleanup);
        if let Some(start) = start {
            self.emit_jump(Op::Jump, start);
            self.use_next_block(anchor);
        }
        Ok(())
    }
}
