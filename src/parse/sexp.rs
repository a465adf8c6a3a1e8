//! A compact, S-expression rendering of the AST for the parser's unit tests:
//! `a + b * c` is `(+ a (* b c))`, statements are one per line with bodies indented.

use std::fmt::Write;

use crate::ast::*;

/// Renders a module, one statement per line.
pub fn module(m: &Module) -> String {
    let mut out = String::new();
    stmts(&m.body, 0, &mut out);
    out
}

fn stmts(body: &[Stmt], indent: usize, out: &mut String) {
    for s in body {
        stmt(s, indent, out);
    }
}

fn block(head: &str, body: &[Stmt], indent: usize, out: &mut String) {
    let _ = writeln!(out, "{}{head}", "  ".repeat(indent));
    stmts(body, indent + 1, out);
}

fn stmt(s: &Stmt, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    let line = |out: &mut String, text: String| {
        let _ = writeln!(out, "{pad}{text}");
    };
    match &s.kind {
        StmtKind::Expr(e) => line(out, expr(e)),
        StmtKind::Assign { targets, value } => {
            let t: Vec<String> = targets.iter().map(expr).collect();
            line(out, format!("{} = {}", t.join(" = "), expr(value)));
        }
        StmtKind::AnnAssign {
            target,
            annotation,
            value,
            ..
        } => line(
            out,
            match value {
                Some(v) => format!("{}: {} = {}", expr(target), expr(annotation), expr(v)),
                None => format!("{}: {}", expr(target), expr(annotation)),
            },
        ),
        StmtKind::AugAssign { target, op, value } => line(
            out,
            format!("{} {}= {}", expr(target), binop(*op), expr(value)),
        ),
        StmtKind::If { test, body, orelse } => {
            block(&format!("if {}", expr(test)), body, indent, out);
            if !orelse.is_empty() {
                block("else", orelse, indent, out);
            }
        }
        StmtKind::While { test, body, orelse } => {
            block(&format!("while {}", expr(test)), body, indent, out);
            if !orelse.is_empty() {
                block("else", orelse, indent, out);
            }
        }
        StmtKind::For {
            target,
            iter,
            body,
            orelse,
        } => {
            block(
                &format!("for {} in {}", expr(target), expr(iter)),
                body,
                indent,
                out,
            );
            if !orelse.is_empty() {
                block("else", orelse, indent, out);
            }
        }
        StmtKind::Break => line(out, "break".into()),
        StmtKind::Continue => line(out, "continue".into()),
        StmtKind::Pass => line(out, "pass".into()),
        StmtKind::FunctionDef(f) => {
            for d in &f.decorators {
                line(out, format!("@{}", expr(d)));
            }
            let ret = f
                .returns
                .as_ref()
                .map_or(String::new(), |r| format!(" -> {}", expr(r)));
            block(
                &format!("def {}{}{ret}", f.name.name, params(&f.params)),
                &f.body,
                indent,
                out,
            )
        }
        StmtKind::ClassDef(c) => {
            for d in &c.decorators {
                line(out, format!("@{}", expr(d)));
            }
            let bases: Vec<String> = c.bases.iter().map(expr).collect();
            block(
                &format!("class {}({})", c.name.name, bases.join(", ")),
                &c.body,
                indent,
                out,
            )
        }
        StmtKind::Return(v) => line(
            out,
            match v {
                Some(v) => format!("return {}", expr(v)),
                None => "return".into(),
            },
        ),
        StmtKind::Global(names) => line(out, format!("global {}", idents(names))),
        StmtKind::Nonlocal(names) => line(out, format!("nonlocal {}", idents(names))),
        StmtKind::With { items, body } => {
            let items: Vec<String> = items
                .iter()
                .map(|i| match &i.target {
                    Some(t) => format!("{} as {}", expr(&i.context), expr(t)),
                    None => expr(&i.context),
                })
                .collect();
            block(&format!("with {}", items.join(", ")), body, indent, out);
        }
        StmtKind::Assert { test, msg } => line(
            out,
            match msg {
                Some(m) => format!("assert {}, {}", expr(test), expr(m)),
                None => format!("assert {}", expr(test)),
            },
        ),
        StmtKind::Raise { exc, cause } => {
            let mut text = "raise".to_string();
            if let Some(e) = exc {
                let _ = write!(text, " {}", expr(e));
            }
            if let Some(c) = cause {
                let _ = write!(text, " from {}", expr(c));
            }
            line(out, text);
        }
        StmtKind::Try {
            body,
            handlers,
            orelse,
            finalbody,
        } => {
            block("try", body, indent, out);
            for h in handlers {
                let mut head = "except".to_string();
                if let Some(t) = &h.typ {
                    let _ = write!(head, " {}", expr(t));
                }
                if let Some(n) = &h.name {
                    let _ = write!(head, " as {}", n.name);
                }
                block(&head, &h.body, indent, out);
            }
            if !orelse.is_empty() {
                block("else", orelse, indent, out);
            }
            if !finalbody.is_empty() {
                block("finally", finalbody, indent, out);
            }
        }
        StmtKind::Delete(targets) => {
            let t: Vec<String> = targets.iter().map(expr).collect();
            line(out, format!("del {}", t.join(", ")));
        }
        StmtKind::Import(names) => line(out, format!("import {}", aliases(names))),
        StmtKind::ImportFrom { module, names } => line(
            out,
            format!("from {} import {}", module.name, aliases(names)),
        ),
        StmtKind::Match { subject, cases } => {
            line(out, format!("match {}", expr(subject)));
            for c in cases {
                let guard = c
                    .guard
                    .as_ref()
                    .map_or(String::new(), |g| format!(" if {}", expr(g)));
                block(
                    &format!("case {}{guard}", pattern(&c.pattern)),
                    &c.body,
                    indent + 1,
                    out,
                );
            }
        }
    }
}

/// A pattern: `(== v)` for a value, `(is None)`, `[a *rest]`, `{k: p **rest}`,
/// `(C p x=q)`, `(as p name)`, `(| p q)`; captures and `_` as themselves.
fn pattern(p: &Pattern) -> String {
    let list = |ps: &[Pattern]| ps.iter().map(pattern).collect::<Vec<_>>().join(" ");
    match &p.kind {
        PatternKind::MatchValue(e) => format!("(== {})", expr(e)),
        PatternKind::MatchSingleton(e) => format!("(is {})", expr(e)),
        PatternKind::MatchSequence(items) => format!("[{}]", list(items)),
        PatternKind::MatchMapping {
            keys,
            patterns,
            rest,
        } => {
            let mut parts: Vec<String> = keys
                .iter()
                .zip(patterns)
                .map(|(k, p)| format!("{}: {}", expr(k), pattern(p)))
                .collect();
            parts.extend(rest.iter().map(|r| format!("**{}", r.name)));
            format!("{{{}}}", parts.join(" "))
        }
        PatternKind::MatchClass {
            cls,
            patterns,
            kwd_attrs,
            kwd_patterns,
        } => {
            let mut parts = vec![expr(cls)];
            parts.extend(patterns.iter().map(pattern));
            parts.extend(
                kwd_attrs
                    .iter()
                    .zip(kwd_patterns)
                    .map(|(a, p)| format!("{}={}", a.name, pattern(p))),
            );
            format!("({})", parts.join(" "))
        }
        PatternKind::MatchStar(name) => {
            format!("*{}", name.as_ref().map_or("_", |n| n.name.as_str()))
        }
        PatternKind::MatchAs {
            pattern: None,
            name,
        } => name.as_ref().map_or("_", |n| n.name.as_str()).to_string(),
        PatternKind::MatchAs {
            pattern: Some(p),
            name,
        } => format!(
            "(as {} {})",
            pattern(p),
            name.as_ref().map_or("_", |n| n.name.as_str())
        ),
        PatternKind::MatchOr(alts) => format!("(| {})", list(alts)),
    }
}

fn idents(names: &[Ident]) -> String {
    let v: Vec<&str> = names.iter().map(|n| n.name.as_str()).collect();
    v.join(", ")
}

fn aliases(names: &[Alias]) -> String {
    let v: Vec<String> = names
        .iter()
        .map(|a| match &a.asname {
            Some(n) => format!("{} as {}", a.name.name, n.name),
            None => a.name.name.clone(),
        })
        .collect();
    v.join(", ")
}

fn params(p: &Params) -> String {
    let mut parts = Vec::new();
    let one = |p: &Param| {
        let name = match &p.annotation {
            Some(a) => format!("{}:{}", p.name.name, expr(a)),
            None => p.name.name.clone(),
        };
        match &p.default {
            Some(d) => format!("{name}={}", expr(d)),
            None => name,
        }
    };
    parts.extend(p.args.iter().map(one));
    match &p.vararg {
        Some(v) => parts.push(format!("*{}", v.name)),
        None if !p.kwonly.is_empty() => parts.push("*".into()),
        None => {}
    }
    parts.extend(p.kwonly.iter().map(one));
    if let Some(k) = &p.kwarg {
        parts.push(format!("**{}", k.name));
    }
    format!("({})", parts.join(" "))
}

fn binop(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::BitAnd => "&",
        BinOp::FloorDiv => "//",
        BinOp::LShift => "<<",
        BinOp::MatMul => "@",
        BinOp::Mul => "*",
        BinOp::Mod => "%",
        BinOp::BitOr => "|",
        BinOp::Pow => "**",
        BinOp::RShift => ">>",
        BinOp::Sub => "-",
        BinOp::TrueDiv => "/",
        BinOp::BitXor => "^",
    }
}

fn cmpop(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Lt => "<",
        CmpOp::LtE => "<=",
        CmpOp::Eq => "==",
        CmpOp::NotEq => "!=",
        CmpOp::Gt => ">",
        CmpOp::GtE => ">=",
        CmpOp::In => "in",
        CmpOp::NotIn => "not-in",
        CmpOp::Is => "is",
        CmpOp::IsNot => "is-not",
    }
}

fn list(items: &[Expr]) -> String {
    let v: Vec<String> = items.iter().map(expr).collect();
    v.join(" ")
}

fn opt(e: &Option<Box<Expr>>) -> String {
    e.as_ref().map_or("_".into(), |e| expr(e))
}

fn comps(gens: &[Comprehension]) -> String {
    let v: Vec<String> = gens
        .iter()
        .map(|g| {
            let mut s = format!("(for {} {}", expr(&g.target), expr(&g.iter));
            for c in &g.ifs {
                let _ = write!(s, " (if {})", expr(c));
            }
            s.push(')');
            s
        })
        .collect();
    v.join(" ")
}

fn fparts(parts: &[FStringPart]) -> String {
    let v: Vec<String> = parts
        .iter()
        .map(|p| match p {
            FStringPart::Literal(s) => format!("{s:?}"),
            FStringPart::Value {
                expr: e,
                conversion,
                spec,
            } => {
                let mut s = format!("{{{}", expr(e));
                if let Some(c) = conversion {
                    let _ = write!(s, "!{c}");
                }
                if !spec.is_empty() {
                    let _ = write!(s, ":{}", fparts(spec));
                }
                s.push('}');
                s
            }
        })
        .collect();
    v.join(" ")
}

/// Renders an expression.
pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Name(n) => n.clone(),
        ExprKind::Int(v) => v.to_string(),
        ExprKind::BigInt(v) => v.clone(),
        ExprKind::Float(v) => format!("{v:?}"),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::JoinedStr(parts) => format!("(f {})", fparts(parts)),
        ExprKind::True => "True".into(),
        ExprKind::False => "False".into(),
        ExprKind::None => "None".into(),
        ExprKind::Ellipsis => "...".into(),
        ExprKind::List(items) => format!("[{}]", list(items)),
        ExprKind::Tuple(items) => format!("(tuple {})", list(items)).replace("tuple )", "tuple)"),
        ExprKind::Dict(items) => {
            let v: Vec<String> = items
                .iter()
                .map(|(k, v)| match k {
                    Some(k) => format!("{}: {}", expr(k), expr(v)),
                    None => format!("**{}", expr(v)),
                })
                .collect();
            format!("{{{}}}", v.join(", "))
        }
        ExprKind::Set(items) => format!("(set {})", list(items)),
        ExprKind::NamedExpr { target, value } => format!("(:= {} {})", expr(target), expr(value)),
        ExprKind::SetComp { elt, generators } => {
            format!("(setcomp {} {})", expr(elt), comps(generators))
        }
        ExprKind::DictComp {
            key,
            value,
            generators,
        } => format!(
            "(dictcomp {} {} {})",
            expr(key),
            expr(value),
            comps(generators)
        ),
        ExprKind::Starred(inner) => format!("*{}", expr(inner)),
        ExprKind::Yield(None) => "(yield)".to_string(),
        ExprKind::Yield(Some(v)) => format!("(yield {})", expr(v)),
        ExprKind::YieldFrom(v) => format!("(yield-from {})", expr(v)),
        ExprKind::BinOp { left, op, right } => {
            format!("({} {} {})", binop(*op), expr(left), expr(right))
        }
        ExprKind::UnaryOp { op, operand } => {
            let name = match op {
                UnaryOp::Neg => "neg",
                UnaryOp::Pos => "pos",
                UnaryOp::Not => "not",
                UnaryOp::Invert => "~",
            };
            format!("({name} {})", expr(operand))
        }
        ExprKind::BoolOp { op, values } => {
            let name = match op {
                BoolOp::And => "and",
                BoolOp::Or => "or",
            };
            format!("({name} {})", list(values))
        }
        ExprKind::Compare { left, ops } => {
            let mut s = format!("(cmp {}", expr(left));
            for (op, e) in ops {
                let _ = write!(s, " {} {}", cmpop(*op), expr(e));
            }
            s.push(')');
            s
        }
        ExprKind::Call {
            func,
            args,
            keywords,
        } => {
            let mut s = format!("(call {}", expr(func));
            for a in args {
                let _ = write!(s, " {}", expr(a));
            }
            for k in keywords {
                match &k.name {
                    Some(n) => {
                        let _ = write!(s, " {}={}", n.name, expr(&k.value));
                    }
                    None => {
                        let _ = write!(s, " **{}", expr(&k.value));
                    }
                }
            }
            s.push(')');
            s
        }
        ExprKind::Attribute { value, attr } => format!("(. {} {})", expr(value), attr.name),
        ExprKind::Subscript { value, index } => format!("([] {} {})", expr(value), expr(index)),
        ExprKind::Slice { lower, upper, step } => {
            format!("(slice {} {} {})", opt(lower), opt(upper), opt(step))
        }
        ExprKind::IfExp { test, body, orelse } => {
            format!("(if {} {} {})", expr(test), expr(body), expr(orelse))
        }
        ExprKind::Lambda { params: p, body } => format!("(lambda {} {})", params(p), expr(body)),
        ExprKind::ListComp { elt, generators } => {
            format!("(listcomp {} {})", expr(elt), comps(generators))
        }
        ExprKind::GeneratorExp { elt, generators } => {
            format!("(genexp {} {})", expr(elt), comps(generators))
        }
    }
}
