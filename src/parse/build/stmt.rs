//! Statement builders for the grammar's actions, and assignment/deletion target checks with
//! CPython's wording (`cannot assign to function call here. Maybe you meant '==' ...`).

// See the parent module for why these take boxed values.
#![allow(clippy::boxed_local, clippy::vec_box)]

use lalrpop_util::ParseError;

use super::{error, expr, exprs, params_from, push_front, Ex, PResult, ParamItem};
use crate::ast::*;
use crate::error::CompileError;

pub fn stmt(kind: StmtKind, l: usize, r: usize) -> Stmt {
    Stmt {
        kind,
        span: Span::new(l, r),
    }
}

/// The span from `l` to the end of the last statement of the last non-empty body.
pub(super) fn block_span(l: usize, bodies: &[&[Stmt]]) -> Span {
    let end = bodies
        .iter()
        .rev()
        .find_map(|b| b.last())
        .map_or(l as u32, |s| s.span.end);
    Span {
        start: l as u32,
        end,
    }
}

pub fn expr_stmt(e: Ex, l: usize, r: usize) -> PResult<Stmt> {
    if matches!(e.expr.kind, ExprKind::Starred(_)) {
        return Err(error("can't use starred expression here", e.expr.span));
    }
    Ok(stmt(StmtKind::Expr(e.expr), l, r))
}

pub fn assign(first: Ex, rest: Vec<Ex>, l: usize, r: usize) -> PResult<Stmt> {
    let mut all = push_front(first, rest);
    let value = all.pop().map(expr).unwrap_or(Expr {
        kind: ExprKind::None,
        span: Span::new(l, r),
    });
    let targets = exprs(all);
    for (i, t) in targets.iter().enumerate() {
        if let Err(mut e) = check_target(t, Target::Assign) {
            if i == 0 && targets.len() == 1 && suggests_equality(t) && e.span == t.span {
                e.message
                    .push_str(" here. Maybe you meant '==' instead of '='?");
            }
            return Err(ParseError::User { error: e });
        }
        if let ExprKind::Starred(_) = t.kind {
            return Err(error(
                "starred assignment target must be in a list or tuple",
                t.span,
            ));
        }
    }
    Ok(stmt(StmtKind::Assign { targets, value }, l, r))
}

/// CPython suggests `==` when the bad target is a simple (bitwise-or level) expression.
fn suggests_equality(e: &Expr) -> bool {
    !matches!(
        e.kind,
        ExprKind::Compare { .. }
            | ExprKind::BoolOp { .. }
            | ExprKind::UnaryOp {
                op: UnaryOp::Not,
                ..
            }
            | ExprKind::IfExp { .. }
            | ExprKind::Lambda { .. }
            | ExprKind::Tuple(_)
            | ExprKind::List(_)
            | ExprKind::GeneratorExp { .. }
            | ExprKind::True
            | ExprKind::False
            | ExprKind::None
    )
}

pub fn aug_assign(target: Ex, op: BinOp, value: Ex, l: usize, r: usize) -> PResult<Stmt> {
    let t = target.expr;
    if !matches!(
        t.kind,
        ExprKind::Name(_) | ExprKind::Attribute { .. } | ExprKind::Subscript { .. }
    ) {
        return Err(error(
            format!(
                "'{}' is an illegal expression for augmented assignment",
                expr_name(&t)
            ),
            t.span,
        ));
    }
    Ok(stmt(
        StmtKind::AugAssign {
            target: t,
            op,
            value: value.expr,
        },
        l,
        r,
    ))
}

/// Where a target appears, for the wording of errors.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Target {
    Assign,
    Delete,
}

/// Checks that `e` can be assigned to (or deleted); errors use CPython's wording.
pub(super) fn check_target(e: &Expr, ctx: Target) -> Result<(), CompileError> {
    match &e.kind {
        ExprKind::Name(_) | ExprKind::Attribute { .. } | ExprKind::Subscript { .. } => Ok(()),
        ExprKind::Tuple(items) | ExprKind::List(items) => {
            items.iter().try_for_each(|i| check_target(i, ctx))
        }
        ExprKind::Starred(inner) if ctx == Target::Assign => check_target(inner, ctx),
        _ => {
            let verb = match ctx {
                Target::Assign => "assign to",
                Target::Delete => "delete",
            };
            Err(CompileError::syntax(
                format!("cannot {verb} {}", expr_name(e)),
                e.span,
            ))
        }
    }
}

/// CPython's name for an expression kind in error messages.
fn expr_name(e: &Expr) -> &'static str {
    match &e.kind {
        ExprKind::Name(_) => "name",
        ExprKind::Int(_) | ExprKind::BigInt(_) | ExprKind::Float(_) | ExprKind::Str(_) => "literal",
        ExprKind::JoinedStr(_) => "f-string expression",
        ExprKind::True => "True",
        ExprKind::False => "False",
        ExprKind::None => "None",
        ExprKind::Ellipsis => "ellipsis",
        ExprKind::List(_) => "list",
        ExprKind::Tuple(_) => "tuple",
        ExprKind::Dict(_) => "dict literal",
        ExprKind::Set(_) => "set display",
        ExprKind::NamedExpr { .. } => "named expression",
        ExprKind::SetComp { .. } => "set comprehension",
        ExprKind::DictComp { .. } => "dict comprehension",
        ExprKind::Starred(_) => "starred",
        ExprKind::BinOp { .. } | ExprKind::UnaryOp { .. } | ExprKind::BoolOp { .. } => "expression",
        ExprKind::Compare { .. } => "comparison",
        ExprKind::Call { .. } => "function call",
        ExprKind::Attribute { .. } => "attribute",
        ExprKind::Subscript { .. } => "subscript",
        ExprKind::Slice { .. } => "slice",
        ExprKind::IfExp { .. } => "conditional expression",
        ExprKind::Lambda { .. } => "lambda",
        ExprKind::ListComp { .. } => "list comprehension",
        ExprKind::GeneratorExp { .. } => "generator expression",
        ExprKind::Yield(_) | ExprKind::YieldFrom(_) => "yield expression",
    }
}

pub fn delete(targets: Vec<Ex>, l: usize, r: usize) -> PResult<Stmt> {
    let targets = exprs(targets);
    for t in &targets {
        check_target(t, Target::Delete).map_err(|error| ParseError::User { error })?;
    }
    Ok(stmt(StmtKind::Delete(targets), l, r))
}

/// Checks a `for`/`with`/comprehension target.
pub fn target(e: Ex) -> PResult<Expr> {
    check_target(&e.expr, Target::Assign).map_err(|error| ParseError::User { error })?;
    if let ExprKind::Starred(_) = e.expr.kind {
        return Err(error(
            "starred assignment target must be in a list or tuple",
            e.expr.span,
        ));
    }
    Ok(e.expr)
}

pub fn return_stmt(value: Option<Ex>, l: usize, r: usize) -> Stmt {
    stmt(StmtKind::Return(value.map(expr)), l, r)
}

pub fn assert_stmt(test: Ex, msg: Option<Ex>, l: usize, r: usize) -> Stmt {
    stmt(
        StmtKind::Assert {
            test: test.expr,
            msg: msg.map(expr),
        },
        l,
        r,
    )
}

pub fn raise_stmt(e: Option<(Ex, Option<Ex>)>, l: usize, r: usize) -> Stmt {
    let (exc, cause) = match e {
        Some((exc, cause)) => (Some(exc.expr), cause.map(expr)),
        None => (None, None),
    };
    stmt(StmtKind::Raise { exc, cause }, l, r)
}

pub fn if_stmt(
    l: usize,
    test: Ex,
    body: Vec<Stmt>,
    elifs: Vec<(usize, Ex, Vec<Stmt>)>,
    orelse: Option<Vec<Stmt>>,
) -> Stmt {
    // Build the elif chain from the back: each elif is an `If` in its predecessor's orelse.
    let mut tail = orelse.unwrap_or_default();
    for (el, etest, ebody) in elifs.into_iter().rev() {
        let span = block_span(el, &[&ebody, &tail]);
        let kind = StmtKind::If {
            test: etest.expr,
            body: ebody,
            orelse: tail,
        };
        tail = vec![Stmt { kind, span }];
    }
    let span = block_span(l, &[&body, &tail]);
    let kind = StmtKind::If {
        test: test.expr,
        body,
        orelse: tail,
    };
    Stmt { kind, span }
}

pub fn while_stmt(l: usize, test: Ex, body: Vec<Stmt>, orelse: Option<Vec<Stmt>>) -> Stmt {
    let orelse = orelse.unwrap_or_default();
    let span = block_span(l, &[&body, &orelse]);
    let kind = StmtKind::While {
        test: test.expr,
        body,
        orelse,
    };
    Stmt { kind, span }
}

pub fn for_stmt(
    l: usize,
    target_ex: Ex,
    iter: Ex,
    body: Vec<Stmt>,
    orelse: Option<Vec<Stmt>>,
) -> PResult<Stmt> {
    let target = target(target_ex)?;
    let orelse = orelse.unwrap_or_default();
    let span = block_span(l, &[&body, &orelse]);
    let kind = StmtKind::For {
        target,
        iter: iter.expr,
        body,
        orelse,
    };
    Ok(Stmt { kind, span })
}

pub fn handler(
    typ: Option<(Ex, Option<Ident>)>,
    body: Vec<Stmt>,
    l: usize,
    r: usize,
) -> ExceptHandler {
    let (typ, name) = match typ {
        Some((t, n)) => (Some(t.expr), n),
        None => (None, None),
    };
    ExceptHandler {
        typ,
        name,
        body,
        span: Span::new(l, r),
    }
}

pub fn try_stmt(
    l: usize,
    body: Vec<Stmt>,
    handlers: Vec<Box<ExceptHandler>>,
    orelse: Option<Vec<Stmt>>,
    finalbody: Option<Vec<Stmt>>,
) -> PResult<Stmt> {
    let handlers: Vec<ExceptHandler> = handlers.into_iter().map(|h| *h).collect();
    if let Some(h) = handlers.iter().rev().skip(1).find(|h| h.typ.is_none()) {
        return Err(error("default 'except:' must be last", h.span));
    }
    let orelse = orelse.unwrap_or_default();
    let finalbody = finalbody.unwrap_or_default();
    let last_handler: &[Stmt] = handlers.last().map_or(&[], |h| &h.body);
    let span = block_span(l, &[&body, last_handler, &orelse, &finalbody]);
    let kind = StmtKind::Try {
        body,
        handlers,
        orelse,
        finalbody,
    };
    Ok(Stmt { kind, span })
}

pub fn with_item(context: Ex, target_ex: Option<Ex>) -> PResult<WithItem> {
    let target = target_ex.map(target).transpose()?;
    Ok(WithItem {
        context: context.expr,
        target,
    })
}

pub fn with_stmt(src: &str, l: usize, items: Vec<Box<WithItem>>, body: Vec<Stmt>) -> Stmt {
    let mut items: Vec<WithItem> = items.into_iter().map(|i| *i).collect();
    // `with (a, b):` is two context managers in Python 3.9+, not one tuple (but
    // `with ((a, b)):` is a tuple).
    if let [WithItem {
        context: Expr {
            kind: ExprKind::Tuple(elts),
            span,
        },
        target: None,
    }] = items.as_mut_slice()
    {
        let before = src
            .get(l + "with".len()..span.start as usize)
            .unwrap_or("(");
        if !elts.is_empty() && before.trim().is_empty() {
            items = std::mem::take(elts)
                .into_iter()
                .map(|context| WithItem {
                    context,
                    target: None,
                })
                .collect();
        }
    }
    let span = block_span(l, &[&body]);
    Stmt {
        kind: StmtKind::With { items, body },
        span,
    }
}

pub fn funcdef(
    l: usize,
    name: Ident,
    params: Vec<ParamItem>,
    returns: Option<Ex>,
    r: usize,
    body: Vec<Stmt>,
) -> PResult<Stmt> {
    let (params, _) = params_from(params)?;
    let span = block_span(l, &[&body]);
    let def = FunctionDef {
        name,
        params,
        returns: returns.map(expr),
        decorators: Vec::new(),
        body,
        span: Span::new(l, r),
    };
    Ok(Stmt {
        kind: StmtKind::FunctionDef(Box::new(def)),
        span,
    })
}

pub fn classdef(
    l: usize,
    name: Ident,
    args: Option<Vec<super::ClassArg>>,
    r: usize,
    body: Vec<Stmt>,
) -> PResult<Stmt> {
    let mut bases = Vec::new();
    for a in args.unwrap_or_default() {
        match a {
            super::ClassArg::Base(e) => bases.push(e.expr),
            super::ClassArg::Keyword(span) => {
                return Err(error(
                    "class keyword arguments (metaclass=...) are not supported by gilvm",
                    span,
                ))
            }
            super::ClassArg::Star(span) => {
                return Err(error(
                    "starred base classes are not supported by gilvm",
                    span,
                ))
            }
        }
    }
    let span = block_span(l, &[&body]);
    let def = ClassDef {
        name,
        bases,
        decorators: Vec::new(),
        body,
        span: Span::new(l, r),
    };
    Ok(Stmt {
        kind: StmtKind::ClassDef(Box::new(def)),
        span,
    })
}

/// `@d1 @d2 def f(): …` / `… class C: …`: the definition with its decorators. The statement
/// keeps the `def`/`class` line as its span start, as Python's ast does.
pub fn decorated(_l: usize, decorators: Vec<Ex>, mut s: Box<Stmt>) -> Box<Stmt> {
    let decorators = exprs(decorators);
    match &mut s.kind {
        StmtKind::FunctionDef(def) => def.decorators = decorators,
        StmtKind::ClassDef(def) => def.decorators = decorators,
        _ => {}
    }
    s
}

/// `target: annotation [= value]`, with CPython's checks of the target.
pub fn ann_assign(
    target: Ex,
    annotation: Ex,
    value: Option<Ex>,
    l: usize,
    r: usize,
) -> PResult<Stmt> {
    let t = target.expr;
    match &t.kind {
        ExprKind::Name(_) | ExprKind::Attribute { .. } | ExprKind::Subscript { .. } => {}
        ExprKind::Tuple(_) => {
            return Err(error(
                "only single target (not tuple) can be annotated",
                t.span,
            ))
        }
        ExprKind::List(_) => {
            return Err(error(
                "only single target (not list) can be annotated",
                t.span,
            ))
        }
        _ => return Err(error("illegal target for annotation", t.span)),
    }
    // A parenthesized name `(x): int` is not simple: its span starts after the statement's.
    let simple = matches!(t.kind, ExprKind::Name(_)) && t.span.start as usize == l;
    Ok(stmt(
        StmtKind::AnnAssign {
            target: t,
            annotation: annotation.expr,
            value: value.map(expr),
            simple,
        },
        l,
        r,
    ))
}

pub fn alias(name: Ident, asname: Option<Ident>) -> Alias {
    Alias { name, asname }
}

pub fn import_from(module: Ident, names: Vec<Alias>, l: usize, r: usize) -> Stmt {
    stmt(StmtKind::ImportFrom { module, names }, l, r)
}
