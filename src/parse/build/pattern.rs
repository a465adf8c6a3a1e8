//! Builders for `match` statements and their patterns (PEP 634), with the checks CPython's
//! grammar makes while parsing (`_` is never a capture target, keyword sub-patterns come
//! last, f-strings are not literals). The checks CPython makes while compiling (names bound
//! twice, unreachable patterns, alternatives binding different names) are the compiler's, in
//! `compile/pattern.rs`, so the two report them in the same order as CPython.

// See the parent module for why these take boxed values.
#![allow(clippy::boxed_local, clippy::vec_box)]

use super::{error, stmt::block_span, Ex, PResult};
use crate::ast::*;

/// One item between the parentheses of a class pattern.
pub enum ClassPatArg {
    Pos(Box<Pattern>),
    Kw(Ident, Box<Pattern>),
}

pub fn match_stmt(l: usize, subject: Ex, cases: Vec<Box<MatchCase>>) -> PResult<Stmt> {
    if let ExprKind::Starred(_) = subject.expr.kind {
        let end = subject.expr.span.end as usize;
        return Err(error("invalid syntax", Span::new(end, end + 1)));
    }
    let cases: Vec<MatchCase> = cases.into_iter().map(|c| *c).collect();
    let last: &[Stmt] = cases.last().map_or(&[], |c| &c.body);
    let span = block_span(l, &[last]);
    let kind = StmtKind::Match {
        subject: subject.expr,
        cases,
    };
    Ok(Stmt { kind, span })
}

pub fn case(pattern: Box<Pattern>, guard: Option<Ex>, body: Vec<Stmt>) -> MatchCase {
    MatchCase {
        pattern: *pattern,
        guard: guard.map(|g| g.expr),
        body,
    }
}

fn pattern(kind: PatternKind, l: usize, r: usize) -> Box<Pattern> {
    Box::new(Pattern {
        kind,
        span: Span::new(l, r),
    })
}

/// A bare name: a capture, or the wildcard `_`.
pub fn capture(name: Ident) -> Box<Pattern> {
    let span = name.span;
    let name = (name.name != "_").then_some(name);
    Box::new(Pattern {
        kind: PatternKind::MatchAs {
            pattern: None,
            name,
        },
        span,
    })
}

/// `*name` or `*_` inside a sequence pattern.
pub fn star(name: Ident, l: usize, r: usize) -> Box<Pattern> {
    let name = (name.name != "_").then_some(name);
    pattern(PatternKind::MatchStar(name), l, r)
}

/// `pattern as name`.
pub fn as_pattern(p: Box<Pattern>, name: Ident, l: usize, r: usize) -> PResult<Box<Pattern>> {
    if name.name == "_" {
        return Err(error("cannot use '_' as a target", name.span));
    }
    let kind = PatternKind::MatchAs {
        pattern: Some(p),
        name: Some(name),
    };
    Ok(pattern(kind, l, r))
}

pub fn or_pattern(
    first: Box<Pattern>,
    rest: Vec<Box<Pattern>>,
    l: usize,
    r: usize,
) -> Box<Pattern> {
    let mut alts = vec![*first];
    alts.extend(rest.into_iter().map(|p| *p));
    pattern(PatternKind::MatchOr(alts), l, r)
}

/// `[a, b]`, `(a, *b)`, `a, b` (the items in order; the last one may be absent).
pub fn sequence(
    items: Vec<Box<Pattern>>,
    last: Option<Box<Pattern>>,
    l: usize,
    r: usize,
) -> Box<Pattern> {
    let items = items.into_iter().chain(last).map(|p| *p).collect();
    pattern(PatternKind::MatchSequence(items), l, r)
}

/// A literal or dotted-name pattern, compared with `==`; `None`, `True` and `False` are
/// compared with `is`.
pub fn value(e: Ex) -> PResult<Box<Pattern>> {
    let span = e.expr.span;
    let kind = match e.expr.kind {
        ExprKind::JoinedStr(_) => {
            return Err(error(
                "patterns may only match literals and attribute lookups",
                span,
            ))
        }
        ExprKind::None | ExprKind::True | ExprKind::False => PatternKind::MatchSingleton(e.expr),
        _ => PatternKind::MatchValue(e.expr),
    };
    Ok(Box::new(Pattern { kind, span }))
}

/// A mapping pattern's key: a literal or a dotted name (f-strings are refused).
pub fn mapping_key(e: Ex) -> PResult<Ex> {
    if let ExprKind::JoinedStr(_) = e.expr.kind {
        return Err(error(
            "mapping pattern keys may only match literals and attribute lookups",
            e.expr.span,
        ));
    }
    Ok(e)
}

/// `1 + 2` where a complex literal belongs: CPython's message.
pub fn not_complex<T>(imag: Ex) -> PResult<T> {
    Err(error(
        "imaginary number required in complex literal",
        imag.expr.span,
    ))
}

pub fn mapping(
    items: Vec<(Ex, Box<Pattern>)>,
    rest: Option<Ident>,
    l: usize,
    r: usize,
) -> PResult<Box<Pattern>> {
    if let Some(rest) = &rest {
        if rest.name == "_" {
            return Err(error("invalid syntax", rest.span));
        }
    }
    let (keys, patterns) = items.into_iter().map(|(k, p)| (k.expr, *p)).unzip();
    let kind = PatternKind::MatchMapping {
        keys,
        patterns,
        rest,
    };
    Ok(pattern(kind, l, r))
}

pub fn class(cls: Ex, args: Vec<ClassPatArg>, l: usize, r: usize) -> PResult<Box<Pattern>> {
    let mut patterns = Vec::new();
    let mut kwd_attrs = Vec::new();
    let mut kwd_patterns = Vec::new();
    for arg in args {
        match arg {
            ClassPatArg::Pos(p) => {
                if !kwd_attrs.is_empty() {
                    return Err(error("positional patterns follow keyword patterns", p.span));
                }
                patterns.push(*p);
            }
            ClassPatArg::Kw(name, p) => {
                kwd_attrs.push(name);
                kwd_patterns.push(*p);
            }
        }
    }
    let kind = PatternKind::MatchClass {
        cls: cls.expr,
        patterns,
        kwd_attrs,
        kwd_patterns,
    };
    Ok(pattern(kind, l, r))
}
