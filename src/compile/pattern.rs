//! `match` statements, as CPython 3.11's `compile.c` compiles them: `compiler_match`, and
//! `compiler_pattern_*` for each kind of pattern.
//!
//! A pattern is compiled against the subject on top of the stack. It either consumes the
//! subject and falls through (a match), leaving the values it captured on the stack below
//! whatever it still works on, or jumps to one of the `fail_pop` blocks, which pop what was
//! left on the stack (`fail_pop[n]` pops `n` items, then falls into `fail_pop[n - 1]`). The
//! captures are stored into their names only once the whole pattern matched, so a failed case
//! binds nothing it did not share with CPython (CPython binds nothing either).
//!
//! The compile-time errors are CPython's, with its locations: the pattern being compiled when
//! the error was found.

use super::cfg::{BlockId, Op};
use super::{fold, Compiler, Ctx, R};
use crate::ast::{Expr, ExprKind, Ident, MatchCase, Pattern, PatternKind};
use crate::bytecode::{Const, Opcode, Program};
use crate::error::CompileError;

/// CPython's `pattern_context`.
struct PatternCtx {
    /// The names captured so far, in the order their values sit on the stack.
    stores: Vec<String>,
    /// Whether an irrefutable pattern is allowed here.
    allow_irrefutable: bool,
    /// Failure blocks: `fail_pop[n]` pops `n` items.
    fail_pop: Vec<BlockId>,
    /// Items on top of the stack that are not captures (subjects still being worked on).
    on_top: usize,
}

impl PatternCtx {
    fn new(allow_irrefutable: bool) -> PatternCtx {
        PatternCtx {
            stores: Vec::new(),
            allow_irrefutable,
            fail_pop: Vec::new(),
            on_top: 0,
        }
    }
}

/// CPython's `COMPARE_OP` operands for `==` and `>=`.
const CMP_EQ: u32 = 2;
const CMP_GE: u32 = 5;
/// `BINARY_OP` operand for `-`.
const NB_SUBTRACT: u32 = 10;

impl<'a> Compiler<'a> {
    /// CPython's `compiler_match_inner`.
    pub(super) fn match_stmt(&mut self, subject: &'a Expr, cases: &'a [MatchCase]) -> R {
        use Opcode::*;
        self.expr(subject)?;
        let end = self.new_block();
        let n = cases.len();
        let has_default = n > 1 && cases.last().is_some_and(|c| c.pattern.is_wildcard());
        for (i, case) in cases[..n - usize::from(has_default)].iter().enumerate() {
            self.set_loc(case.pattern.span);
            let last = i + 1 == n - usize::from(has_default);
            // Only copy the subject if this is not the last case to try.
            if !last {
                self.emit(COPY, 1);
            }
            // Irrefutable cases must be either guarded, last, or both.
            let mut pc = PatternCtx::new(case.guard.is_some() || i + 1 == n);
            self.pattern(&case.pattern, &mut pc)?;
            debug_assert_eq!(pc.on_top, 0);
            // A match: store the captured names (their values are on the stack).
            for name in &pc.stores {
                self.name_op(name, Ctx::Store, case.pattern.span)?;
            }
            if let Some(guard) = &case.guard {
                self.ensure_fail_pop(&mut pc, 0);
                self.jump_if(guard, pc.fail_pop[0], false)?;
            }
            // Done with the subject.
            if !last {
                self.emit(POP_TOP, 0);
            }
            self.stmts(&case.body)?;
            self.emit_jump(Op::Jump, end);
            // A failed match's clean-up belongs to the pattern's line, not the body's.
            self.set_loc(case.pattern.span);
            self.emit_and_reset_fail_pop(&mut pc);
        }
        if has_default {
            // A trailing `case _:` needs no copy of the subject, and pops nothing.
            let case = &cases[n - 1];
            self.set_loc(case.pattern.span);
            self.emit(NOP, 0);
            if let Some(guard) = &case.guard {
                self.jump_if(guard, end, false)?;
            }
            self.stmts(&case.body)?;
        }
        self.use_next_block(end);
        Ok(())
    }

    fn pattern_error(&self, message: impl Into<String>) -> CompileError {
        CompileError::syntax(message, self.cur.loc.span)
    }

    /// CPython's `compiler_pattern`.
    fn pattern(&mut self, p: &'a Pattern, pc: &mut PatternCtx) -> R {
        self.set_loc(p.span);
        match &p.kind {
            PatternKind::MatchValue(value) => {
                self.expr(value)?;
                self.emit(Opcode::COMPARE_OP, CMP_EQ);
                self.jump_to_fail_pop(pc, Op::PopJumpIfFalse);
                Ok(())
            }
            PatternKind::MatchSingleton(value) => {
                self.expr(value)?;
                self.emit(Opcode::IS_OP, 0);
                self.jump_to_fail_pop(pc, Op::PopJumpIfFalse);
                Ok(())
            }
            PatternKind::MatchSequence(items) => self.pattern_sequence(items, pc),
            PatternKind::MatchMapping {
                keys,
                patterns,
                rest,
            } => self.pattern_mapping(keys, patterns, rest.as_ref(), pc),
            PatternKind::MatchClass {
                cls,
                patterns,
                kwd_attrs,
                kwd_patterns,
            } => self.pattern_class(cls, patterns, kwd_attrs, kwd_patterns, pc),
            PatternKind::MatchStar(name) => self.store_capture(name.as_ref(), pc),
            PatternKind::MatchAs { pattern, name } => self.pattern_as(pattern, name.as_ref(), pc),
            PatternKind::MatchOr(alts) => self.pattern_or(alts, pc),
        }
    }

    /// Like `pattern`, with irrefutable patterns allowed (CPython's
    /// `compiler_pattern_subpattern`).
    fn subpattern(&mut self, p: &'a Pattern, pc: &mut PatternCtx) -> R {
        let allow = pc.allow_irrefutable;
        pc.allow_irrefutable = true;
        self.pattern(p, pc)?;
        pc.allow_irrefutable = allow;
        Ok(())
    }

    /// Makes sure `fail_pop[n]` exists (CPython's `ensure_fail_pop`).
    fn ensure_fail_pop(&mut self, pc: &mut PatternCtx, n: usize) {
        while pc.fail_pop.len() <= n {
            let b = self.new_block();
            pc.fail_pop.push(b);
        }
    }

    /// Jumps with `op` to the failure block that pops what is on the stack now.
    fn jump_to_fail_pop(&mut self, pc: &mut PatternCtx, op: Op) {
        let pops = pc.on_top + pc.stores.len();
        self.ensure_fail_pop(pc, pops);
        self.emit_jump(op, pc.fail_pop[pops]);
    }

    /// Emits the failure blocks, deepest first, each popping one item into the next.
    fn emit_and_reset_fail_pop(&mut self, pc: &mut PatternCtx) {
        let blocks = std::mem::take(&mut pc.fail_pop);
        let Some((&first, deeper)) = blocks.split_first() else {
            return;
        };
        for &b in deeper.iter().rev() {
            self.use_next_block(b);
            self.emit(Opcode::POP_TOP, 0);
        }
        self.use_next_block(first);
    }

    /// CPython's `pattern_helper_rotate`: moves TOS `count - 1` places down.
    fn rotate(&mut self, count: usize) {
        for i in (2..=count).rev() {
            self.emit(Opcode::SWAP, i as u32);
        }
    }

    /// CPython's `pattern_helper_store_name`: keeps the value on TOS as a capture (below the
    /// items still being worked on), or pops it for a wildcard.
    fn store_capture(&mut self, name: Option<&'a Ident>, pc: &mut PatternCtx) -> R {
        let Some(name) = name else {
            self.emit(Opcode::POP_TOP, 0);
            return Ok(());
        };
        if pc.stores.contains(&name.name) {
            return Err(self.pattern_error(format!(
                "multiple assignments to name '{}' in pattern",
                name.name
            )));
        }
        self.rotate(pc.on_top + pc.stores.len() + 1);
        pc.stores.push(name.name.clone());
        Ok(())
    }

    /// CPython's `compiler_pattern_as`: a capture, the wildcard, or `pattern as name`.
    fn pattern_as(
        &mut self,
        pattern: &'a Option<Box<Pattern>>,
        name: Option<&'a Ident>,
        pc: &mut PatternCtx,
    ) -> R {
        let Some(pattern) = pattern else {
            if !pc.allow_irrefutable {
                return Err(self.pattern_error(match name {
                    Some(n) => format!(
                        "name capture '{}' makes remaining patterns unreachable",
                        n.name
                    ),
                    None => "wildcard makes remaining patterns unreachable".to_string(),
                }));
            }
            return self.store_capture(name, pc);
        };
        // A copy to store if the pattern matches.
        pc.on_top += 1;
        self.emit(Opcode::COPY, 1);
        self.pattern(pattern, pc)?;
        pc.on_top -= 1;
        self.store_capture(name, pc)
    }

    /// CPython's `compiler_pattern_or`: each alternative on its own copy of the subject; the
    /// alternatives must bind the same names, which are then put in the first one's order.
    fn pattern_or(&mut self, alts: &'a [Pattern], pc: &mut PatternCtx) -> R {
        use Opcode::*;
        let end = self.new_block();
        let old_allow = pc.allow_irrefutable;
        let mut control: Option<Vec<String>> = None;
        for (i, alt) in alts.iter().enumerate() {
            self.set_loc(alt.span);
            // An irrefutable alternative must be the last, if it is allowed at all.
            let mut alt_pc = PatternCtx::new(i + 1 == alts.len() && old_allow);
            self.emit(COPY, 1);
            self.pattern(alt, &mut alt_pc)?;
            match &control {
                None => control = Some(alt_pc.stores.clone()),
                Some(control) => {
                    if alt_pc.stores.len() != control.len() {
                        return Err(self.pattern_error("alternative patterns bind different names"));
                    }
                    // Reorder this alternative's captures (stack and list alike) to the
                    // control's order.
                    for icontrol in (0..control.len()).rev() {
                        let Some(istores) =
                            alt_pc.stores.iter().position(|s| *s == control[icontrol])
                        else {
                            return Err(
                                self.pattern_error("alternative patterns bind different names")
                            );
                        };
                        if icontrol != istores {
                            let rotations = istores + 1;
                            let rotated: Vec<String> = alt_pc.stores.drain(..rotations).collect();
                            let at = icontrol - istores;
                            alt_pc.stores.splice(at..at, rotated);
                            for _ in 0..rotations {
                                self.rotate(icontrol + 1);
                            }
                        }
                    }
                }
            }
            self.emit_jump(Op::Jump, end);
            self.emit_and_reset_fail_pop(&mut alt_pc);
        }
        // No alternative matched: pop the remaining copy of the subject and fail.
        self.emit(POP_TOP, 0);
        self.jump_to_fail_pop(pc, Op::Jump);
        self.use_next_block(end);
        let control = control.unwrap_or_default();
        // Move each capture below the other captures, the subject's copy, whatever else is on
        // top, and the captures made before this pattern.
        let nrots = control.len() + 1 + pc.on_top + pc.stores.len();
        for name in control {
            self.rotate(nrots);
            if pc.stores.contains(&name) {
                return Err(
                    self.pattern_error(format!("multiple assignments to name '{name}' in pattern"))
                );
            }
            pc.stores.push(name);
        }
        // Pop the copy of the subject.
        self.emit(POP_TOP, 0);
        Ok(())
    }

    /// CPython's `compiler_pattern_sequence`.
    fn pattern_sequence(&mut self, items: &'a [Pattern], pc: &mut PatternCtx) -> R {
        use Opcode::*;
        let size = items.len();
        let mut star = None;
        let mut only_wildcard = true;
        let mut star_wildcard = false;
        for (i, p) in items.iter().enumerate() {
            if let PatternKind::MatchStar(name) = &p.kind {
                if star.is_some() {
                    return Err(self.pattern_error("multiple starred names in sequence pattern"));
                }
                star_wildcard = name.is_none();
                only_wildcard &= star_wildcard;
                star = Some(i);
                continue;
            }
            only_wildcard &= p.is_wildcard();
        }
        // The subject stays on top during the sequence and length checks.
        pc.on_top += 1;
        self.emit(MATCH_SEQUENCE, 0);
        self.jump_to_fail_pop(pc, Op::PopJumpIfFalse);
        match star {
            None => {
                self.emit(GET_LEN, 0);
                self.load_const(Const::Int(size as i64));
                self.emit(COMPARE_OP, CMP_EQ);
                self.jump_to_fail_pop(pc, Op::PopJumpIfFalse);
            }
            Some(_) if size > 1 => {
                self.emit(GET_LEN, 0);
                self.load_const(Const::Int(size as i64 - 1));
                self.emit(COMPARE_OP, CMP_GE);
                self.jump_to_fail_pop(pc, Op::PopJumpIfFalse);
            }
            Some(_) => {}
        }
        // What follows consumes the subject.
        pc.on_top -= 1;
        if only_wildcard {
            // `[]`, `[_]`, `[_, *_]`, ...
            self.emit(POP_TOP, 0);
        } else if star_wildcard {
            self.sequence_subscr(items, star.unwrap_or(size), pc)?;
        } else {
            self.sequence_unpack(items, star, pc)?;
        }
        Ok(())
    }

    /// CPython's `pattern_helper_sequence_unpack`: `UNPACK_SEQUENCE` or `UNPACK_EX`, then each
    /// item against its sub-pattern.
    fn sequence_unpack(
        &mut self,
        items: &'a [Pattern],
        star: Option<usize>,
        pc: &mut PatternCtx,
    ) -> R {
        let size = items.len();
        match star {
            Some(i) => {
                let after = size - i - 1;
                if i >= 1 << 8 || after >= (i32::MAX >> 8) as usize {
                    return Err(self
                        .pattern_error("too many expressions in star-unpacking sequence pattern"));
                }
                self.emit(Opcode::UNPACK_EX, (i + (after << 8)) as u32);
            }
            None => self.emit(Opcode::UNPACK_SEQUENCE, size as u32),
        }
        // The items stay on the stack until their sub-patterns consume them.
        pc.on_top += size;
        for p in items {
            pc.on_top -= 1;
            self.subpattern(p, pc)?;
        }
        Ok(())
    }

    /// CPython's `pattern_helper_sequence_subscr`: with a `*_` in the pattern, each item is
    /// read by index (from the end, after the star) instead of unpacking them all.
    fn sequence_subscr(&mut self, items: &'a [Pattern], star: usize, pc: &mut PatternCtx) -> R {
        use Opcode::*;
        let size = items.len();
        // The subject stays for reading items from it.
        pc.on_top += 1;
        for (i, p) in items.iter().enumerate() {
            if p.is_wildcard() || i == star {
                continue;
            }
            self.emit(COPY, 1);
            if i < star {
                self.load_const(Const::Int(i as i64));
            } else {
                // The subject may not support negative indexes: compute a nonnegative one.
                self.emit(GET_LEN, 0);
                self.load_const(Const::Int((size - i) as i64));
                self.emit(BINARY_OP, NB_SUBTRACT);
            }
            self.emit(BINARY_SUBSCR, 0);
            self.subpattern(p, pc)?;
        }
        // Done with the subject.
        pc.on_top -= 1;
        self.emit(POP_TOP, 0);
        Ok(())
    }

    /// CPython's `compiler_pattern_mapping`.
    fn pattern_mapping(
        &mut self,
        keys: &'a [Expr],
        patterns: &'a [Pattern],
        rest: Option<&'a Ident>,
        pc: &mut PatternCtx,
    ) -> R {
        use Opcode::*;
        let size = keys.len();
        // The subject stays on top during the mapping and length checks.
        pc.on_top += 1;
        self.emit(MATCH_MAPPING, 0);
        self.jump_to_fail_pop(pc, Op::PopJumpIfFalse);
        if size == 0 && rest.is_none() {
            // `{}`: done, pop the subject.
            pc.on_top -= 1;
            self.emit(POP_TOP, 0);
            return Ok(());
        }
        if size > 0 {
            self.emit(GET_LEN, 0);
            self.load_const(Const::Int(size as i64));
            self.emit(COMPARE_OP, CMP_GE);
            self.jump_to_fail_pop(pc, Op::PopJumpIfFalse);
        }
        // The keys, into a tuple for MATCH_KEYS (and for `**rest`); constant keys must differ.
        let mut seen: Vec<Const> = Vec::new();
        for key in keys {
            if let Some(c) = fold::const_value(key) {
                if seen.iter().any(|s| python_eq(s, &c)) {
                    let empty = Program {
                        codes: Vec::new(),
                        names: Vec::new(),
                        filename: String::new(),
                        source: String::new(),
                    };
                    let repr = crate::dis::const_repr(&empty, &c);
                    return Err(self
                        .pattern_error(format!("mapping pattern checks duplicate key ({repr})")));
                }
                seen.push(c);
            } else if !matches!(key.kind, ExprKind::Attribute { .. }) {
                return Err(self.pattern_error(
                    "mapping pattern keys may only match literals and attribute lookups",
                ));
            }
            self.expr(key)?;
        }
        self.emit(BUILD_TUPLE, size as u32);
        self.emit(MATCH_KEYS, 0);
        // A tuple of keys and a tuple of values (or None) are now on top of the subject.
        pc.on_top += 2;
        self.emit(COPY, 1);
        self.load_const(Const::None);
        self.emit(IS_OP, 1);
        self.jump_to_fail_pop(pc, Op::PopJumpIfFalse);
        // Match the values against the sub-patterns.
        self.emit(UNPACK_SEQUENCE, size as u32);
        pc.on_top += size;
        pc.on_top -= 1;
        for p in patterns {
            pc.on_top -= 1;
            self.subpattern(p, pc)?;
        }
        // A match: what follows consumes the tuple of keys and the subject.
        pc.on_top -= 2;
        match rest {
            Some(rest) => {
                // rest = dict(subject); del rest[key] for each key.
                self.emit(BUILD_MAP, 0);
                self.emit(SWAP, 3);
                self.emit(DICT_UPDATE, 2);
                self.emit(UNPACK_SEQUENCE, size as u32);
                for left in (1..=size).rev() {
                    self.emit(COPY, 1 + left as u32);
                    self.emit(SWAP, 2);
                    self.emit(DELETE_SUBSCR, 0);
                }
                self.store_capture(Some(rest), pc)?;
            }
            None => {
                self.emit(POP_TOP, 0); // The tuple of keys.
                self.emit(POP_TOP, 0); // The subject.
            }
        }
        Ok(())
    }

    /// CPython's `compiler_pattern_class`.
    fn pattern_class(
        &mut self,
        cls: &'a Expr,
        patterns: &'a [Pattern],
        kwd_attrs: &'a [Ident],
        kwd_patterns: &'a [Pattern],
        pc: &mut PatternCtx,
    ) -> R {
        use Opcode::*;
        let nargs = patterns.len();
        let nattrs = kwd_attrs.len();
        for (i, attr) in kwd_attrs.iter().enumerate() {
            if let Some(j) = kwd_attrs[i + 1..]
                .iter()
                .position(|other| other.name == attr.name)
            {
                self.set_loc(kwd_patterns[i + 1 + j].span);
                return Err(self.pattern_error(format!(
                    "attribute name repeated in class pattern: {}",
                    attr.name
                )));
            }
        }
        self.expr(cls)?;
        // The VM reads attributes by name id: make sure the keyword names have one (CPython
        // keeps them in the constant tuple only, so they are not in this code's `co_names`).
        for attr in kwd_attrs {
            self.names.insert(attr.name.clone());
        }
        let names = kwd_attrs
            .iter()
            .map(|a| Const::Str(a.name.clone()))
            .collect();
        self.load_const(Const::Tuple(names));
        self.emit(MATCH_CLASS, nargs as u32);
        self.emit(COPY, 1);
        self.load_const(Const::None);
        self.emit(IS_OP, 1);
        // TOS is a tuple of the attributes (or None).
        pc.on_top += 1;
        self.jump_to_fail_pop(pc, Op::PopJumpIfFalse);
        self.emit(UNPACK_SEQUENCE, (nargs + nattrs) as u32);
        pc.on_top += nargs + nattrs;
        pc.on_top -= 1;
        for p in patterns.iter().chain(kwd_patterns) {
            pc.on_top -= 1;
            if p.is_wildcard() {
                self.emit(POP_TOP, 0);
                continue;
            }
            self.subpattern(p, pc)?;
        }
        Ok(())
    }
}

/// Python's `==` between two constant mapping keys (`1`, `1.0` and `True` are one key).
fn python_eq(a: &Const, b: &Const) -> bool {
    let num = |c: &Const| match c {
        Const::Int(i) => Some(*i as f64),
        Const::Float(f) => Some(*f),
        Const::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    };
    match (a, b) {
        (Const::Int(x), Const::Int(y)) => x == y,
        (Const::Str(x), Const::Str(y)) => x == y,
        (Const::None, Const::None) => true,
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}
