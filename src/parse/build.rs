//! AST construction for the grammar's actions: each action is one call to a function here
//! (expressions here, statements and target checks in [`stmt`]).
//!
//! These helpers own the checks that a context-free grammar cannot express: valid assignment
//! and deletion targets (with CPython's messages), parameter and argument order, and the
//! nesting limit. Every expression is built as an [`Ex`], which carries the depth of its tree,
//! so no tree deeper than [`MAX_EXPR_DEPTH`] is ever built; this keeps every recursive walk of
//! the AST (including `Drop`) far from the end of the stack.

// `Ex` and the grammar's `Box<Comp>`, `Box<Stmt>`, ... are boxed on purpose (see `Ex`); helpers
// take them as the grammar hands them over.
#![allow(clippy::boxed_local, clippy::vec_box)]

pub mod pattern;
mod stmt;

use lalrpop_util::ParseError;

use crate::ast::*;
use crate::error::CompileError;
use crate::lexer::{FPiece, StrTok, Tok};
pub use pattern::ClassPatArg;
pub use stmt::*;
use stmt::{check_target, Target};

/// Expressions may nest this deep; deeper is a syntax error, never a stack overflow.
pub const MAX_EXPR_DEPTH: u32 = 200;

pub type PError = ParseError<usize, Tok, CompileError>;
pub type PResult<T> = Result<T, PError>;

/// An expression under construction, with the depth of its tree (a leaf has depth 1).
///
/// Boxed so that the parser's symbol type stays small: in debug builds the generated
/// `__reduce` function reserves stack for every production's temporaries, and moving large
/// values dominated parse time.
pub type Ex = Box<ExNode>;

#[derive(Clone, Debug)]
pub struct ExNode {
    pub expr: Expr,
    pub depth: u32,
}

/// A comprehension clause under construction, with the depth of its deepest expression.
pub struct Comp {
    pub comp: Comprehension,
    pub depth: u32,
}

/// One item of a call's argument list, in source order.
pub enum ArgItem {
    Pos(Ex),
    Star(Ex, Span),
    Kw(Ident, Ex),
    /// `**mapping`.
    DoubleStar(Ex, Span),
    /// A bare generator expression: `sum(x for x in y)`.
    Gen(Ex, Vec<Box<Comp>>, Span),
}

/// One item of a parameter list, in source order.
pub enum ParamItem {
    /// `name`, `name=default`, `name: annotation`, `name: annotation = default`.
    Plain(Ident, Option<Ex>, Option<Ex>),
    /// `*args`, or a bare `*` when the name is absent.
    Star(Option<Ident>, Span),
    /// `**kwargs`.
    DoubleStar(Ident, Span),
    Slash(Span),
    /// `*args: T` (not supported).
    StarAnnotated(Span),
}

/// One item between the parentheses of a `class` header.
pub enum ClassArg {
    Base(Ex),
    /// `metaclass=…` and other class keywords (not supported).
    Keyword(Span),
    /// `*bases` / `**kw` (not supported).
    Star(Span),
}

/// A syntax error at `l..r`, as the parser's error type.
pub fn error(message: impl Into<String>, span: Span) -> PError {
    ParseError::User {
        error: CompileError::syntax(message, span),
    }
}

/// A construct that is valid Python but not in gilvm's language.
pub fn unsupported<T>(what: &str, l: usize, r: usize) -> PResult<T> {
    Err(error(
        format!("{what} not supported by gilvm"),
        Span::new(l, r),
    ))
}

fn ex(kind: ExprKind, span: Span, depth: u32) -> PResult<Ex> {
    if depth > MAX_EXPR_DEPTH {
        // Point at where the too-deep expression starts, not at all of it.
        return Err(error(
            format!("expression too deeply nested (more than {MAX_EXPR_DEPTH} levels)"),
            Span::new(span.start as usize, span.start as usize + 1),
        ));
    }
    Ok(Box::new(ExNode {
        expr: Expr { kind, span },
        depth,
    }))
}

fn leaf(kind: ExprKind, l: usize, r: usize) -> Ex {
    Box::new(ExNode {
        expr: Expr {
            kind,
            span: Span::new(l, r),
        },
        depth: 1,
    })
}

fn max_depth<'a>(items: impl IntoIterator<Item = &'a Ex>) -> u32 {
    items.into_iter().map(|e| e.depth).max().unwrap_or(0)
}

fn exprs(items: Vec<Ex>) -> Vec<Expr> {
    items.into_iter().map(|e| e.expr).collect()
}

pub fn expr(e: Ex) -> Expr {
    e.expr
}

pub fn boxed(e: Ex) -> Box<Expr> {
    Box::new(e.expr)
}

// ---- small list helpers used by the grammar's macros ----

pub fn push<T>(mut v: Vec<T>, last: T) -> Vec<T> {
    v.push(last);
    v
}

pub fn push_opt<T>(mut v: Vec<T>, last: Option<T>) -> Vec<T> {
    v.extend(last);
    v
}

pub fn flatten<T>(v: Vec<Vec<T>>) -> Vec<T> {
    v.into_iter().flatten().collect()
}

// ---- atoms ----

pub fn name(n: String, l: usize, r: usize) -> Ex {
    leaf(ExprKind::Name(n), l, r)
}

pub fn atom(kind: ExprKind, l: usize, r: usize) -> Ex {
    leaf(kind, l, r)
}

pub fn ident(name: String, l: usize, r: usize) -> Ident {
    Ident {
        name,
        span: Span::new(l, r),
    }
}

/// `a.b.c` in an import, as one identifier.
pub fn dotted(first: String, rest: Vec<String>, l: usize, r: usize) -> Ident {
    let mut name = first;
    for part in rest {
        name.push('.');
        name.push_str(&part);
    }
    ident(name, l, r)
}

/// Adjacent string literals: one `Str` if all are plain, else a `JoinedStr`.
pub fn strings(src: &str, parts: Vec<(usize, StrTok, usize)>, l: usize, r: usize) -> PResult<Ex> {
    let span = Span::new(l, r);
    if parts.iter().all(|p| matches!(p.1, StrTok::Plain(_))) {
        let mut s = String::new();
        for (_, part, _) in parts {
            if let StrTok::Plain(text) = part {
                s.push_str(&text);
            }
        }
        return Ok(leaf(ExprKind::Str(s), l, r));
    }
    let mut out = Vec::new();
    let mut depth = 1;
    for (_, part, _) in parts {
        match part {
            StrTok::Plain(text) => push_literal(&mut out, text),
            StrTok::Format(pieces) => depth = depth.max(fpieces(src, pieces, &mut out)?),
        }
    }
    ex(ExprKind::JoinedStr(out), span, depth + 1)
}

fn push_literal(out: &mut Vec<FStringPart>, text: String) {
    if text.is_empty() {
        return;
    }
    if let Some(FStringPart::Literal(prev)) = out.last_mut() {
        prev.push_str(&text);
    } else {
        out.push(FStringPart::Literal(text));
    }
}

/// Converts lexer f-string pieces into AST parts, parsing each field's expression.
/// Returns the depth of the deepest field.
fn fpieces(src: &str, pieces: Vec<FPiece>, out: &mut Vec<FStringPart>) -> PResult<u32> {
    let mut depth = 0;
    for piece in pieces {
        match piece {
            FPiece::Literal(text) => push_literal(out, text),
            FPiece::Field(field) => {
                if let Some(text) = field.debug {
                    push_literal(out, text);
                }
                let value = crate::parse::parse_field(src, field.expr)?;
                let mut spec = Vec::new();
                let spec_depth = fpieces(src, field.spec, &mut spec)?;
                depth = depth.max(value.depth).max(spec_depth);
                out.push(FStringPart::Value {
                    expr: boxed(value),
                    conversion: field.conversion,
                    spec,
                });
            }
        }
    }
    Ok(depth + 1)
}

// ---- displays ----

pub fn tuple(v: Vec<Ex>, last: Option<Ex>, l: usize, r: usize) -> PResult<Ex> {
    let v = push_opt(v, last);
    let depth = max_depth(&v) + 1;
    ex(ExprKind::Tuple(exprs(v)), Span::new(l, r), depth)
}

pub fn list(v: Vec<Ex>, l: usize, r: usize) -> PResult<Ex> {
    let depth = max_depth(&v) + 1;
    ex(ExprKind::List(exprs(v)), Span::new(l, r), depth)
}

pub fn dict(v: Vec<(Option<Ex>, Ex)>, l: usize, r: usize) -> PResult<Ex> {
    let depth = v
        .iter()
        .map(|(k, x)| k.as_ref().map_or(0, |k| k.depth).max(x.depth))
        .max()
        .unwrap_or(0)
        + 1;
    let items = v.into_iter().map(|(k, x)| (k.map(expr), x.expr)).collect();
    ex(ExprKind::Dict(items), Span::new(l, r), depth)
}

pub fn set(v: Vec<Ex>, l: usize, r: usize) -> PResult<Ex> {
    let depth = max_depth(&v) + 1;
    ex(ExprKind::Set(exprs(v)), Span::new(l, r), depth)
}

/// `name := value`.
pub fn named_expr(target: Ident, value: Ex, l: usize, r: usize) -> PResult<Ex> {
    let depth = value.depth + 1;
    let target = Expr {
        kind: ExprKind::Name(target.name),
        span: target.span,
    };
    let kind = ExprKind::NamedExpr {
        target: Box::new(target),
        value: boxed(value),
    };
    ex(kind, Span::new(l, r), depth)
}

/// `(e)`: the inner expression itself; a lone starred expression is not allowed there.
pub fn paren(e: Ex) -> PResult<Ex> {
    if matches!(e.expr.kind, ExprKind::Starred(_)) {
        return Err(error("cannot use starred expression here", e.expr.span));
    }
    Ok(e)
}

pub fn starred(e: Ex, l: usize, r: usize) -> PResult<Ex> {
    let depth = e.depth + 1;
    ex(ExprKind::Starred(boxed(e)), Span::new(l, r), depth)
}

pub fn comprehension(target: Ex, iter: Ex, ifs: Vec<Ex>) -> PResult<Comp> {
    check_target(&target.expr, Target::Assign)?;
    let depth = target.depth.max(iter.depth).max(max_depth(&ifs));
    Ok(Comp {
        comp: Comprehension {
            target: target.expr,
            iter: iter.expr,
            ifs: exprs(ifs),
        },
        depth,
    })
}

fn comp_parts(elt: Ex, comps: Vec<Box<Comp>>) -> (Box<Expr>, Vec<Comprehension>, u32) {
    let depth = comps
        .iter()
        .map(|c| c.depth)
        .max()
        .unwrap_or(0)
        .max(elt.depth)
        + 1;
    let generators = comps.into_iter().map(|c| c.comp).collect();
    (boxed(elt), generators, depth)
}

pub fn list_comp(elt: Ex, comps: Vec<Box<Comp>>, l: usize, r: usize) -> PResult<Ex> {
    let (elt, generators, depth) = comp_parts(elt, comps);
    ex(
        ExprKind::ListComp { elt, generators },
        Span::new(l, r),
        depth,
    )
}

pub fn set_comp(elt: Ex, comps: Vec<Box<Comp>>, l: usize, r: usize) -> PResult<Ex> {
    let (elt, generators, depth) = comp_parts(elt, comps);
    ex(
        ExprKind::SetComp { elt, generators },
        Span::new(l, r),
        depth,
    )
}

pub fn dict_comp(key: Ex, value: Ex, comps: Vec<Box<Comp>>, l: usize, r: usize) -> PResult<Ex> {
    let key_depth = key.depth;
    let (value, generators, depth) = comp_parts(value, comps);
    ex(
        ExprKind::DictComp {
            key: boxed(key),
            value,
            generators,
        },
        Span::new(l, r),
        depth.max(key_depth + 1),
    )
}

pub fn gen_exp(elt: Ex, comps: Vec<Box<Comp>>, l: usize, r: usize) -> PResult<Ex> {
    let (elt, generators, depth) = comp_parts(elt, comps);
    ex(
        ExprKind::GeneratorExp { elt, generators },
        Span::new(l, r),
        depth,
    )
}

/// `yield` or `yield value`.
pub fn yield_expr(value: Option<Ex>, l: usize, r: usize) -> PResult<Ex> {
    let depth = value.as_ref().map_or(0, |v| v.depth) + 1;
    ex(ExprKind::Yield(value.map(boxed)), Span::new(l, r), depth)
}

/// `yield from iterable`.
pub fn yield_from(value: Ex, l: usize, r: usize) -> PResult<Ex> {
    let depth = value.depth + 1;
    ex(ExprKind::YieldFrom(boxed(value)), Span::new(l, r), depth)
}

// ---- operators ----

pub fn binop(a: Ex, op: BinOp, b: Ex, l: usize, r: usize) -> PResult<Ex> {
    let depth = a.depth.max(b.depth) + 1;
    let kind = ExprKind::BinOp {
        left: boxed(a),
        op,
        right: boxed(b),
    };
    ex(kind, Span::new(l, r), depth)
}

pub fn unary(op: UnaryOp, e: Ex, l: usize, r: usize) -> PResult<Ex> {
    let depth = e.depth + 1;
    let kind = ExprKind::UnaryOp {
        op,
        operand: boxed(e),
    };
    ex(kind, Span::new(l, r), depth)
}

pub fn boolop(op: BoolOp, first: Ex, rest: Vec<Ex>, l: usize, r: usize) -> PResult<Ex> {
    let values = push_front(first, rest);
    let depth = max_depth(&values) + 1;
    let kind = ExprKind::BoolOp {
        op,
        values: exprs(values),
    };
    ex(kind, Span::new(l, r), depth)
}

fn push_front<T>(first: T, rest: Vec<T>) -> Vec<T> {
    let mut v = Vec::with_capacity(rest.len() + 1);
    v.push(first);
    v.extend(rest);
    v
}

pub fn compare(first: Ex, rest: Vec<(CmpOp, Ex)>, l: usize, r: usize) -> PResult<Ex> {
    let depth = rest
        .iter()
        .map(|(_, e)| e.depth)
        .max()
        .unwrap_or(0)
        .max(first.depth)
        + 1;
    let ops = rest.into_iter().map(|(op, e)| (op, e.expr)).collect();
    let kind = ExprKind::Compare {
        left: boxed(first),
        ops,
    };
    ex(kind, Span::new(l, r), depth)
}

pub fn if_exp(body: Ex, test: Ex, orelse: Ex, l: usize, r: usize) -> PResult<Ex> {
    let depth = body.depth.max(test.depth).max(orelse.depth) + 1;
    let kind = ExprKind::IfExp {
        test: boxed(test),
        body: boxed(body),
        orelse: boxed(orelse),
    };
    ex(kind, Span::new(l, r), depth)
}

pub fn lambda(params: Vec<ParamItem>, body: Ex, l: usize, r: usize) -> PResult<Ex> {
    let (params, pdepth) = params_from(params)?;
    let depth = body.depth.max(pdepth) + 1;
    let kind = ExprKind::Lambda {
        params: Box::new(params),
        body: boxed(body),
    };
    ex(kind, Span::new(l, r), depth)
}

// ---- primaries ----

pub fn attribute(value: Ex, attr: Ident, l: usize, r: usize) -> PResult<Ex> {
    let depth = value.depth + 1;
    let kind = ExprKind::Attribute {
        value: boxed(value),
        attr,
    };
    ex(kind, Span::new(l, r), depth)
}

pub fn subscript(value: Ex, index: Ex, l: usize, r: usize) -> PResult<Ex> {
    let depth = value.depth.max(index.depth) + 1;
    let kind = ExprKind::Subscript {
        value: boxed(value),
        index: boxed(index),
    };
    ex(kind, Span::new(l, r), depth)
}

pub fn slice(
    lower: Option<Ex>,
    upper: Option<Ex>,
    step: Option<Ex>,
    l: usize,
    r: usize,
) -> PResult<Ex> {
    let depth = [&lower, &upper, &step]
        .iter()
        .filter_map(|e| e.as_ref().map(|e| e.depth))
        .max()
        .unwrap_or(0)
        + 1;
    let kind = ExprKind::Slice {
        lower: lower.map(boxed),
        upper: upper.map(boxed),
        step: step.map(boxed),
    };
    ex(kind, Span::new(l, r), depth)
}

pub fn call(func: Ex, items: Vec<ArgItem>, l: usize, r: usize) -> PResult<Ex> {
    let span = Span::new(l, r);
    let mut depth = func.depth;
    let mut args = Vec::new();
    let mut keywords: Vec<Keyword> = Vec::new();
    let n = items.len();
    for item in items {
        match item {
            ArgItem::Pos(e) => {
                if !keywords.is_empty() {
                    let msg = if keywords.iter().all(|k| k.name.is_some()) {
                        "positional argument follows keyword argument"
                    } else {
                        "positional argument follows keyword argument unpacking"
                    };
                    // CPython marks the token after the argument.
                    let at = e.expr.span.end as usize;
                    return Err(error(msg, Span::new(at, at + 1)));
                }
                depth = depth.max(e.depth);
                args.push(e.expr);
            }
            ArgItem::Star(e, s) => {
                if keywords.iter().any(|k| k.name.is_none()) {
                    return Err(error(
                        "iterable argument unpacking follows keyword argument unpacking",
                        s,
                    ));
                }
                depth = depth.max(e.depth + 1);
                args.push(Expr {
                    kind: ExprKind::Starred(boxed(e)),
                    span: s,
                });
            }
            ArgItem::Kw(name, e) => {
                if keywords
                    .iter()
                    .any(|k| k.name.as_ref().is_some_and(|k| k.name == name.name))
                {
                    return Err(error(
                        format!("keyword argument repeated: {}", name.name),
                        Span::new(name.span.start as usize, e.expr.span.end as usize),
                    ));
                }
                depth = depth.max(e.depth);
                keywords.push(Keyword {
                    name: Some(name),
                    value: e.expr,
                });
            }
            ArgItem::DoubleStar(e, _) => {
                depth = depth.max(e.depth + 1);
                keywords.push(Keyword {
                    name: None,
                    value: e.expr,
                });
            }
            ArgItem::Gen(elt, comps, s) => {
                if n > 1 {
                    return Err(error("Generator expression must be parenthesized", s));
                }
                let g = gen_exp(elt, comps, s.start as usize, s.end as usize)?;
                depth = depth.max(g.depth);
                args.push(g.expr);
            }
        }
    }
    let kind = ExprKind::Call {
        func: boxed(func),
        args,
        keywords,
    };
    ex(kind, span, depth + 1)
}

// ---- parameters ----

/// Builds a parameter list from its items in source order, with Python's ordering rules.
/// Returns the list and the depth of its deepest default.
pub fn params_from(items: Vec<ParamItem>) -> PResult<(Params, u32)> {
    let mut params = Params::default();
    let mut depth = 0;
    let mut seen_star: Option<Span> = None;
    let mut bare_star = false;
    let mut names: Vec<String> = Vec::new();
    let mut check_dup = |id: &Ident| -> PResult<()> {
        if names.contains(&id.name) {
            return Err(error(
                format!("duplicate argument '{}' in function definition", id.name),
                id.span,
            ));
        }
        names.push(id.name.clone());
        Ok(())
    };
    for item in items {
        if params.kwarg.is_some() {
            let span = match &item {
                ParamItem::Plain(n, _, _) | ParamItem::DoubleStar(n, _) => n.span,
                ParamItem::Star(_, s) | ParamItem::Slash(s) | ParamItem::StarAnnotated(s) => *s,
            };
            return Err(error("arguments cannot follow var-keyword argument", span));
        }
        match item {
            ParamItem::Plain(name, default, annotation) => {
                check_dup(&name)?;
                for e in default.iter().chain(annotation.iter()) {
                    depth = depth.max(e.depth);
                }
                let param = Param {
                    name,
                    default: default.map(expr),
                    annotation: annotation.map(expr),
                };
                if seen_star.is_some() {
                    params.kwonly.push(param);
                } else {
                    let after_default = params.args.last().is_some_and(|p| p.default.is_some());
                    if after_default && param.default.is_none() {
                        return Err(error(
                            "non-default argument follows default argument",
                            param.name.span,
                        ));
                    }
                    params.args.push(param);
                }
            }
            ParamItem::Star(name, span) => {
                if seen_star.is_some() {
                    return Err(error("* argument may appear only once", span));
                }
                seen_star = Some(span);
                match name {
                    Some(n) => {
                        check_dup(&n)?;
                        params.vararg = Some(n);
                    }
                    None => bare_star = true,
                }
            }
            ParamItem::DoubleStar(name, _) => {
                check_dup(&name)?;
                params.kwarg = Some(name);
            }
            ParamItem::Slash(span) => {
                return Err(error(
                    "positional-only parameters ('/') are not supported by gilvm",
                    span,
                ))
            }
            ParamItem::StarAnnotated(span) => {
                return Err(error(
                    "annotations of '*' parameters are not supported by gilvm",
                    span,
                ))
            }
        }
    }
    if let (true, Some(span)) = (bare_star, seen_star) {
        if params.kwonly.is_empty() {
            return Err(error("named arguments must follow bare *", span));
        }
    }
    Ok((params, depth))
}
