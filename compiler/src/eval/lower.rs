//! Lowering: rnix's CST to the `Expr` tree.
//!
//! This is also where Nix's parse-time checks live (rnix does not make
//! them): duplicate attributes and formals, undefined variables, dynamic
//! attributes in `let` and `inherit`.

use super::expr::*;
use super::lower_cache::{CacheKey, FileCache, Lowering, MIN_TEXT};
use super::symbol::Sym;
use super::value::Value;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};
use rnix::ast::{self, AstToken, HasEntry, InterpolPart};
use rowan::ast::AstNode;
use rustc_hash::FxHashMap;
use std::path::Path;
use std::rc::Rc;

/// What lowering needs to know about the world.
pub struct LowerCtx<'a> {
    pub file: FileId,
    /// Directory relative paths resolve against.
    pub dir: &'a Path,
    /// Names of the base environment (the builtins visible without
    /// `builtins.`), each with its slot in the base frame.
    pub globals: &'a FxHashMap<Sym, u32>,
    pub home: Option<String>,
    pub lints: Lints,
    /// The source text (for line numbers in messages).
    pub text: &'a str,
    /// Warnings from lints set to `warn`.
    pub warnings: &'a std::cell::RefCell<Vec<Diagnostic>>,
}

impl LowerCtx<'_> {
    /// 1-based line and column of a byte offset of the source.
    fn line_col(&self, offset: u32) -> (usize, usize) {
        let before = &self.text[..(offset as usize).min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count())
            .unwrap_or(0)
            + 1;
        (line, col)
    }
}

/// How a lint of path and URL literals reports (`--lint-*` flags).
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub enum LintLevel {
    #[default]
    Off,
    Warn,
    Fatal,
}

#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Lints {
    pub short_path: LintLevel,
    pub absolute_path: LintLevel,
    pub url: LintLevel,
}

enum Scope {
    Frame(FxHashMap<Sym, u32>),
    With,
}

pub struct Lowerer<'a> {
    ctx: LowerCtx<'a>,
    scopes: Vec<Scope>,
    pub errors: Vec<Diagnostic>,
    /// The values of the file's last lowering, to take again.
    cache: Option<Lowering>,
}

pub fn lower(ctx: LowerCtx<'_>, root: &ast::Root) -> Result<ExprRef, Vec<Diagnostic>> {
    lower_cached(ctx, root, None).0
}

/// `lower`, taking the unchanged values of the file's last lowering from
/// `cache` (`lower_cache`); returns what the next lowering may take.
pub(crate) fn lower_cached(
    ctx: LowerCtx<'_>,
    root: &ast::Root,
    cache: Option<FileCache>,
) -> (Result<ExprRef, Vec<Diagnostic>>, Option<FileCache>) {
    let cache = cache.map(|c| Lowering::new(c, ctx.text));
    let mut l = Lowerer {
        ctx,
        scopes: Vec::new(),
        errors: Vec::new(),
        cache,
    };
    let e = match root.expr() {
        Some(e) => l.expr(&e),
        None => {
            let span = l.span_of(root.syntax());
            l.err("nix::parse", "syntax error, unexpected end of file", span);
            Rc::new(Expr::Const(Value::Null))
        }
    };
    let cache = l.cache.take().map(Lowering::finish);
    in_nix_order(&mut l.errors);
    if l.errors.is_empty() {
        (Ok(e), cache)
    } else {
        (Err(l.errors), cache)
    }
}

/// Errors as Nix finds them: those its parser reports (duplicates, bad
/// attributes, lints) in the order of the text, then undefined variables
/// (found after parsing). Lowering meets them in another order: a nested
/// set is opened when it is lowered.
fn in_nix_order(errors: &mut [Diagnostic]) {
    errors.sort_by_key(|d| match d.code {
        "nix::undefined-variable" => (1, 0),
        _ => (0, d.span.map_or(0, |s| s.start)),
    });
}

/// `scopedImport`: the names of its set form the innermost static frame,
/// shadowing even the builtins (slot i is name i).
pub fn lower_scoped(
    ctx: LowerCtx<'_>,
    root: &ast::Root,
    names: &[Sym],
) -> Result<ExprRef, Vec<Diagnostic>> {
    let frame = names
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, i as u32))
        .collect();
    let mut l = Lowerer {
        ctx,
        scopes: vec![Scope::Frame(frame)],
        errors: Vec::new(),
        cache: None,
    };
    let e = match root.expr() {
        Some(e) => l.expr(&e),
        None => Rc::new(Expr::Const(Value::Null)),
    };
    in_nix_order(&mut l.errors);
    if l.errors.is_empty() {
        Ok(e)
    } else {
        Err(l.errors)
    }
}

/// A nested attribute set under construction (for `a.b = 1; a.c = 2;`).
struct PendingSet {
    rec: bool,
    names: Vec<Sym>,
    /// Where each name is in `names`, once there are more than a few
    /// (most sets are small: a search of `names` is cheaper than a map).
    by_name: Option<FxHashMap<Sym, usize>>,
    values: Vec<(PendingValue, Span)>,
    dynamics: Vec<(ast::Attr, PendingValue, Span)>,
    inherit_sources: Vec<ast::Expr>,
}

enum PendingValue {
    Expr(ast::Expr),
    Nested(PendingSet),
    Inherit(Span),
    InheritFrom(u32, Span),
}

enum Key {
    Static(Sym, Span),
    Dynamic(ast::Attr, Span),
}

/// Sets with more names than this index them (`PendingSet::by_name`).
const INDEXED_SET: usize = 8;

impl PendingSet {
    fn position(&self, name: Sym) -> Option<usize> {
        match &self.by_name {
            Some(m) => m.get(&name).copied(),
            None => self.names.iter().position(|n| *n == name),
        }
    }

    fn insert(&mut self, name: Sym) {
        let i = self.names.len();
        self.names.push(name);
        match &mut self.by_name {
            Some(m) => {
                m.insert(name, i);
            }
            None if self.names.len() > INDEXED_SET => {
                self.by_name = Some(
                    self.names
                        .iter()
                        .enumerate()
                        .map(|(i, n)| (*n, i))
                        .collect(),
                );
            }
            None => {}
        }
    }

    fn new(rec: bool) -> Self {
        PendingSet {
            rec,
            names: Vec::new(),
            by_name: None,
            values: Vec::new(),
            dynamics: Vec::new(),
            inherit_sources: Vec::new(),
        }
    }
}

impl<'a> Lowerer<'a> {
    fn span_of(&self, n: &rnix::SyntaxNode) -> Span {
        let r = n.text_range();
        Span {
            file: self.ctx.file,
            start: r.start().into(),
            end: r.end().into(),
        }
    }

    fn err(&mut self, code: &'static str, msg: impl Into<String>, span: Span) {
        self.errors.push(Diagnostic::new(code, msg, Some(span)));
    }

    fn konst(v: Value) -> ExprRef {
        Rc::new(Expr::Const(v))
    }

    pub fn expr(&mut self, e: &ast::Expr) -> ExprRef {
        let span = self.span_of(e.syntax());
        match e {
            ast::Expr::Paren(p) => match p.expr() {
                Some(e) => self.expr(&e),
                None => Self::konst(Value::Null),
            },
            ast::Expr::Root(r) => match r.expr() {
                Some(e) => self.expr(&e),
                None => Self::konst(Value::Null),
            },
            ast::Expr::Literal(l) => self.literal(l, span),
            ast::Expr::Ident(id) => {
                let name = ident_text(id);
                self.var(Sym::new(&name), span)
            }
            ast::Expr::Str(s) => self.string(s, span),
            ast::Expr::PathAbs(_) | ast::Expr::PathRel(_) | ast::Expr::PathHome(_) => {
                let p = ast::Path::cast(e.syntax().clone()).expect("path node");
                self.path(&p, span)
            }
            ast::Expr::PathSearch(p) => {
                let text = p
                    .content()
                    .map(|c| c.text().to_string())
                    .unwrap_or_default();
                let inner = text
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string();
                let find = self.var(Sym::new("__findFile"), span);
                let nix_path = self.var(Sym::new("__nixPath"), span);
                Rc::new(Expr::Apply {
                    func: find,
                    args: vec![nix_path, Self::konst(Value::str(inner))],
                    span,
                    cheap: false,
                })
            }
            ast::Expr::List(l) => Rc::new(Expr::List(l.items().map(|i| self.expr(&i)).collect())),
            ast::Expr::AttrSet(s) => self.attr_set(s),
            ast::Expr::LetIn(l) => self.let_in(l, span),
            ast::Expr::LegacyLet(l) => {
                let mut set = PendingSet::new(true);
                self.collect_entries(&mut set, l.entries(), false);
                let attrs = self.finish_set(set, span);
                Rc::new(Expr::Select {
                    target: attrs,
                    path: vec![AttrKey::Static(Sym::new("body"))],
                    default: None,
                    span,
                })
            }
            ast::Expr::Lambda(l) => self.lambda(l, span, None),
            ast::Expr::Apply(_) => {
                let mut args = Vec::new();
                let mut cur = e.clone();
                while let ast::Expr::Apply(a) = &cur {
                    let next = match (a.lambda(), a.argument()) {
                        (Some(f), Some(x)) => {
                            args.push(x);
                            f
                        }
                        _ => return Self::konst(Value::Null),
                    };
                    cur = next;
                }
                let func = self.expr(&cur);
                let args: Vec<ExprRef> = args.iter().rev().map(|a| self.expr(a)).collect();
                let cheap = super::eager::cheap_to_string(self.is_global(&func, "toString"), &args);
                Rc::new(Expr::Apply {
                    func,
                    args,
                    span,
                    cheap,
                })
            }
            ast::Expr::Select(s) => {
                let target = match s.expr() {
                    Some(t) => self.expr(&t),
                    None => return Self::konst(Value::Null),
                };
                let path = s.attrpath().map(|p| self.attr_path(&p)).unwrap_or_default();
                let default = s.default_expr().map(|d| self.expr(&d));
                Rc::new(Expr::Select {
                    target,
                    path,
                    default,
                    span,
                })
            }
            ast::Expr::HasAttr(h) => {
                let target = match h.expr() {
                    Some(t) => self.expr(&t),
                    None => return Self::konst(Value::Null),
                };
                let path = h.attrpath().map(|p| self.attr_path(&p)).unwrap_or_default();
                Rc::new(Expr::HasAttr { target, path })
            }
            ast::Expr::IfElse(i) => {
                let cond = self.opt(i.condition());
                let then = self.opt(i.body());
                let else_ = self.opt(i.else_body());
                let cheap = super::eager::cheap_if(&cond, &then, &else_);
                Rc::new(Expr::If {
                    cond,
                    then,
                    else_,
                    span,
                    cheap,
                })
            }
            ast::Expr::Assert(a) => {
                let cond = self.opt(a.condition());
                let body = self.opt(a.body());
                let cspan = a
                    .condition()
                    .map(|c| self.span_of(c.syntax()))
                    .unwrap_or(span);
                Rc::new(Expr::Assert {
                    cond,
                    body,
                    span: cspan,
                })
            }
            ast::Expr::With(w) => {
                let namespace = self.opt(w.namespace());
                self.scopes.push(Scope::With);
                let body = self.opt(w.body());
                self.scopes.pop();
                Rc::new(Expr::With { namespace, body })
            }
            ast::Expr::UnaryOp(u) => {
                let inner = self.opt(u.expr());
                match u.operator() {
                    Some(ast::UnaryOpKind::Invert) => Rc::new(Expr::Not(inner, span)),
                    _ => Rc::new(Expr::Neg(inner, span)),
                }
            }
            ast::Expr::BinOp(b) => {
                let lhs = self.opt(b.lhs());
                let rhs = self.opt(b.rhs());
                use ast::BinOpKind as K;
                let op = match b.operator() {
                    Some(K::Concat) => BinOp::Concat,
                    Some(K::Update) => BinOp::Update,
                    Some(K::Add) => BinOp::Add,
                    Some(K::Sub) => BinOp::Sub,
                    Some(K::Mul) => BinOp::Mul,
                    Some(K::Div) => BinOp::Div,
                    Some(K::And) => BinOp::And,
                    Some(K::Or) => BinOp::Or,
                    Some(K::Implication) => BinOp::Impl,
                    Some(K::Equal) => BinOp::Eq,
                    Some(K::NotEqual) => BinOp::Neq,
                    Some(K::Less) => BinOp::Lt,
                    Some(K::LessOrEq) => BinOp::Le,
                    Some(K::More) => BinOp::Gt,
                    Some(K::MoreOrEq) => BinOp::Ge,
                    Some(K::PipeRight) | Some(K::PipeLeft) | None => {
                        self.err(
                            "nix::parse",
                            "experimental Nix feature 'pipe-operators' is disabled",
                            span,
                        );
                        BinOp::Add
                    }
                };
                let cheap = super::eager::cheap_bin(op, &lhs, &rhs);
                Rc::new(Expr::Bin {
                    op,
                    lhs,
                    rhs,
                    span,
                    cheap,
                })
            }
            ast::Expr::CurPos(_) => Rc::new(Expr::CurPos(span)),
            ast::Expr::Error(_) => {
                self.err("nix::parse", "syntax error", span);
                Self::konst(Value::Null)
            }
        }
    }

    fn opt(&mut self, e: Option<ast::Expr>) -> ExprRef {
        match e {
            Some(e) => self.expr(&e),
            None => Self::konst(Value::Null),
        }
    }

    fn literal(&mut self, l: &ast::Literal, span: Span) -> ExprRef {
        match l.kind() {
            ast::LiteralKind::Integer(i) => match i.value() {
                Ok(v) => Self::konst(Value::Int(v)),
                Err(_) => {
                    self.err(
                        "nix::parse",
                        format!("invalid integer '{}'", i.syntax().text()),
                        span,
                    );
                    Self::konst(Value::Null)
                }
            },
            ast::LiteralKind::Float(f) => match f.value() {
                Ok(v) => Self::konst(Value::Float(v)),
                Err(_) => {
                    self.err(
                        "nix::parse",
                        format!("invalid float '{}'", f.syntax().text()),
                        span,
                    );
                    Self::konst(Value::Null)
                }
            },
            ast::LiteralKind::Uri(u) => {
                let text = u.syntax().text().to_string();
                self.lint(self.ctx.lints.url, span, || format!("URL literals are {{}}. Consider using a string literal \"{text}\" instead (lint-url-literals)"), "discouraged", "disallowed");
                Self::konst(Value::str(text))
            }
        }
    }

    /// Whether `e` is the global `name`, not shadowed.
    fn is_global(&self, e: &Expr, name: &str) -> bool {
        match e {
            Expr::Var { depth, slot } => {
                *depth == self.scopes.len() as u32
                    && self.ctx.globals.get(&Sym::new(name)) == Some(slot)
            }
            _ => false,
        }
    }

    pub fn var(&mut self, name: Sym, span: Span) -> ExprRef {
        let mut withs = Vec::new();
        for (depth, scope) in self.scopes.iter().rev().enumerate() {
            match scope {
                Scope::Frame(names) => {
                    if let Some(&slot) = names.get(&name) {
                        return Rc::new(Expr::Var {
                            depth: depth as u32,
                            slot,
                        });
                    }
                }
                Scope::With => withs.push(depth as u32),
            }
        }
        if let Some(&slot) = self.ctx.globals.get(&name) {
            return Rc::new(Expr::Var {
                depth: self.scopes.len() as u32,
                slot,
            });
        }
        if withs.is_empty() {
            self.errors.push(
                Diagnostic::new(
                    "nix::undefined-variable",
                    format!("undefined variable '{name}'"),
                    Some(span),
                )
                .with_label("not bound in any enclosing scope"),
            );
            return Self::konst(Value::Null);
        }
        Rc::new(Expr::WithVar {
            name,
            withs: withs.into(),
            span,
        })
    }

    fn string(&mut self, s: &ast::Str, span: Span) -> ExprRef {
        let parts = s.normalized_parts();
        for p in &parts {
            if let InterpolPart::Literal(l) = p {
                if l.contains('\0') {
                    let shown = l.replace('\0', "␀");
                    self.err("nix::string-nul", format!("input string '{shown}' cannot be represented as Nix string because it contains null bytes"), span);
                }
            }
        }
        if parts.iter().all(|p| matches!(p, InterpolPart::Literal(_))) {
            let mut out = String::new();
            for p in parts {
                if let InterpolPart::Literal(l) = p {
                    out.push_str(&l);
                }
            }
            return Self::konst(Value::str(out));
        }
        let mut out = Vec::new();
        for p in parts {
            match p {
                InterpolPart::Literal(l) => {
                    if !l.is_empty() {
                        out.push(Self::konst(Value::str(l)))
                    }
                }
                InterpolPart::Interpolation(i) => out.push(self.opt(i.expr())),
            }
        }
        let cheap = super::eager::cheap_interp(&out);
        Rc::new(Expr::Interp {
            parts: out,
            span,
            cheap,
        })
    }

    fn lint(
        &mut self,
        level: LintLevel,
        span: Span,
        msg: impl FnOnce() -> String,
        warn_word: &str,
        fatal_word: &str,
    ) {
        match level {
            LintLevel::Off => {}
            LintLevel::Warn => {
                let m = msg().replace("{}", warn_word);
                self.ctx
                    .warnings
                    .borrow_mut()
                    .push(Diagnostic::new("nix::lint", m, Some(span)));
            }
            LintLevel::Fatal => {
                let m = msg().replace("{}", fatal_word);
                self.err("nix::lint", m, span);
            }
        }
    }

    fn path(&mut self, p: &ast::Path, span: Span) -> ExprRef {
        let literal = p.syntax().text().to_string();
        match p {
            ast::Path::PathAbs(_) => self.lint(
                self.ctx.lints.absolute_path,
                span,
                || format!("absolute path literals are not portable. Consider replacing path literal '{literal}' by a string, relative path, or parameter (lint-absolute-path-literals)"),
                "",
                "",
            ),
            ast::Path::PathRel(_) if !literal.starts_with("./") && !literal.starts_with("../") => self.lint(
                self.ctx.lints.short_path,
                span,
                || format!("relative path literal '{literal}' should be prefixed with '.' for clarity: './{literal}' (lint-short-path-literals)"),
                "",
                "",
            ),
            _ => {}
        }
        let parts = p.parts();
        let home = matches!(p, ast::Path::PathHome(_));
        let mut first = true;
        let mut out = Vec::new();
        for part in parts {
            match part {
                InterpolPart::Literal(c) => {
                    let mut text = c.text().to_string();
                    if first {
                        text = self.resolve_path_prefix(&text, home, span);
                    }
                    out.push(Self::konst(Value::str(text)));
                }
                InterpolPart::Interpolation(i) => out.push(self.opt(i.expr())),
            }
            first = false;
        }
        if out.len() == 1 {
            if let Expr::Const(Value::String(s)) = &*out[0] {
                return Self::konst(Value::Path(canonicalize(&s.s).into()));
            }
        }
        Rc::new(Expr::PathInterp { parts: out, span })
    }

    fn resolve_path_prefix(&mut self, text: &str, home: bool, span: Span) -> String {
        if home {
            match &self.ctx.home {
                Some(h) => format!("{}{}", h, &text[1..]),
                None => {
                    self.err("nix::path", "cannot resolve '~': HOME is not set", span);
                    text.to_string()
                }
            }
        } else if text.starts_with('/') {
            text.to_string()
        } else {
            let mut s = self.ctx.dir.to_string_lossy().into_owned();
            if !s.ends_with('/') {
                s.push('/');
            }
            // Keep a trailing slash of an interpolated prefix (`./a/${x}`).
            s.push_str(text);
            s
        }
    }

    fn attr_key(&mut self, a: &ast::Attr) -> Key {
        let span = self.span_of(a.syntax());
        match a {
            ast::Attr::Ident(i) => Key::Static(Sym::new(&ident_text(i)), span),
            ast::Attr::Str(s) => match static_string(s) {
                Some(t) => Key::Static(Sym::new(&t), span),
                None => Key::Dynamic(a.clone(), span),
            },
            ast::Attr::Dynamic(d) => match d.expr() {
                Some(ast::Expr::Str(s)) => match static_string(&s) {
                    Some(t) => Key::Static(Sym::new(&t), span),
                    None => Key::Dynamic(a.clone(), span),
                },
                _ => Key::Dynamic(a.clone(), span),
            },
        }
    }

    fn dynamic_key_expr(&mut self, a: &ast::Attr) -> ExprRef {
        match a {
            ast::Attr::Str(s) => {
                let span = self.span_of(s.syntax());
                self.string(s, span)
            }
            ast::Attr::Dynamic(d) => self.opt(d.expr()),
            ast::Attr::Ident(i) => Self::konst(Value::str(ident_text(i))),
        }
    }

    fn attr_path(&mut self, p: &ast::Attrpath) -> Vec<AttrKey> {
        p.attrs()
            .map(|a| match self.attr_key(&a) {
                Key::Static(s, _) => AttrKey::Static(s),
                Key::Dynamic(a, _) => AttrKey::Dynamic(self.dynamic_key_expr(&a)),
            })
            .collect()
    }

    // ------------------------------------------------------ attribute sets

    fn collect_entries(
        &mut self,
        set: &mut PendingSet,
        entries: impl Iterator<Item = ast::Entry>,
        is_let: bool,
    ) {
        for entry in entries {
            match entry {
                ast::Entry::Inherit(inh) => {
                    let source = inh.from().and_then(|f| f.expr()).map(|e| {
                        set.inherit_sources.push(e);
                        set.inherit_sources.len() as u32 - 1
                    });
                    for a in inh.attrs() {
                        match self.attr_key(&a) {
                            Key::Static(name, span) => {
                                let v = match source {
                                    Some(i) => PendingValue::InheritFrom(i, span),
                                    None => PendingValue::Inherit(span),
                                };
                                self.add_static(set, name, span, v);
                            }
                            Key::Dynamic(_, span) => {
                                self.err(
                                    "nix::parse",
                                    "dynamic attributes not allowed in inherit",
                                    span,
                                );
                            }
                        }
                    }
                }
                ast::Entry::AttrpathValue(apv) => {
                    let (Some(path), Some(value)) = (apv.attrpath(), apv.value()) else {
                        continue;
                    };
                    let keys: Vec<Key> = path.attrs().map(|a| self.attr_key(&a)).collect();
                    if keys.is_empty() {
                        continue;
                    }
                    if is_let {
                        if let Key::Dynamic(_, span) = &keys[0] {
                            self.err("nix::parse", "dynamic attributes not allowed in let", *span);
                            continue;
                        }
                    }
                    self.add_path(set, keys, value);
                }
            }
        }
    }

    fn add_path(&mut self, set: &mut PendingSet, mut keys: Vec<Key>, value: ast::Expr) {
        let first = keys.remove(0);
        let leaf = if keys.is_empty() {
            PendingValue::Expr(value)
        } else {
            let mut nested = PendingSet::new(false);
            self.add_path(&mut nested, keys, value);
            PendingValue::Nested(nested)
        };
        match first {
            Key::Static(name, span) => self.add_static(set, name, span, leaf),
            Key::Dynamic(a, span) => set.dynamics.push((a, leaf, span)),
        }
    }

    fn add_static(&mut self, set: &mut PendingSet, name: Sym, span: Span, value: PendingValue) {
        let Some(i) = set.position(name) else {
            set.insert(name);
            // `a = { … };` stays one expression unless `a.b = …;` extends
            // it (then it is opened below): lowered whole, it may be
            // taken from the file's last lowering (`lambda_named`).
            set.values.push((value, span));
            return;
        };
        let incoming = match value {
            PendingValue::Expr(ast::Expr::AttrSet(s)) if s.rec_token().is_none() => {
                let mut nested = PendingSet::new(false);
                self.collect_entries(&mut nested, s.entries(), false);
                PendingValue::Nested(nested)
            }
            v => v,
        };
        if let (PendingValue::Expr(ast::Expr::AttrSet(s)), PendingValue::Nested(_)) =
            (&set.values[i].0, &incoming)
        {
            let s = s.clone();
            let mut nested = PendingSet::new(s.rec_token().is_some());
            self.collect_entries(&mut nested, s.entries(), false);
            set.values[i].0 = PendingValue::Nested(nested);
        }
        let prev_span = set.values[i].1;
        match (&mut set.values[i].0, incoming) {
            (PendingValue::Nested(existing), PendingValue::Nested(new)) => {
                let offset = existing.inherit_sources.len() as u32;
                existing.inherit_sources.extend(new.inherit_sources);
                for (n, (v, s)) in new.names.into_iter().zip(new.values) {
                    let v = match v {
                        PendingValue::InheritFrom(k, sp) => {
                            PendingValue::InheritFrom(k + offset, sp)
                        }
                        v => v,
                    };
                    self.add_static(existing, n, s, v);
                }
                existing.dynamics.extend(new.dynamics);
            }
            _ => {
                let (l, c) = self.ctx.line_col(prev_span.start);
                self.errors.push(
                    Diagnostic::new(
                        "nix::duplicate-attribute",
                        format!("attribute '{name}' already defined"),
                        Some(span),
                    )
                    .with_label("defined again here")
                    .with_help(format!(
                        "it is first defined at line {l}, column {c}; remove one of the two"
                    )),
                );
            }
        }
    }

    fn attr_set(&mut self, s: &ast::AttrSet) -> ExprRef {
        let span = self.span_of(s.syntax());
        let mut set = PendingSet::new(s.rec_token().is_some());
        self.collect_entries(&mut set, s.entries(), false);
        self.finish_set(set, span)
    }

    fn finish_set(&mut self, set: PendingSet, _span: Span) -> ExprRef {
        let rec = set.rec;
        if rec {
            let mut names: FxHashMap<Sym, u32> = FxHashMap::default();
            for (i, n) in set.names.iter().enumerate() {
                names.insert(*n, i as u32);
            }
            // `inherit x;` in a rec set reads the enclosing scope: lower
            // those before the new frame exists.
            let outer_inherits = self.lower_plain_inherits(&set);
            self.scopes.push(Scope::Frame(names));
            let bindings =
                self.lower_bindings(set.names, set.values, outer_inherits, &set.inherit_sources);
            let dynamics = self.lower_dynamics(set.dynamics);
            self.scopes.pop();
            Rc::new(Expr::Attrs(Rc::new(AttrsDef::new(
                true, bindings, dynamics,
            ))))
        } else {
            let outer_inherits = self.lower_plain_inherits(&set);
            let bindings =
                self.lower_bindings(set.names, set.values, outer_inherits, &set.inherit_sources);
            let dynamics = self.lower_dynamics(set.dynamics);
            Rc::new(Expr::Attrs(Rc::new(AttrsDef::new(
                false, bindings, dynamics,
            ))))
        }
    }

    fn lower_plain_inherits(&mut self, set: &PendingSet) -> Vec<Option<ExprRef>> {
        set.names
            .iter()
            .zip(&set.values)
            .map(|(n, (v, _))| match v {
                PendingValue::Inherit(span) => Some(self.var(*n, *span)),
                _ => None,
            })
            .collect()
    }

    fn lower_bindings(
        &mut self,
        names: Vec<Sym>,
        values: Vec<(PendingValue, Span)>,
        outer: Vec<Option<ExprRef>>,
        sources: &[ast::Expr],
    ) -> Bindings {
        let inherit_sources = sources.iter().map(|e| self.expr(e)).collect();
        let list = names
            .into_iter()
            .zip(values)
            .zip(outer)
            .map(|((name, (v, span)), outer)| {
                let value = match v {
                    PendingValue::Expr(e) => BindingValue::Expr(self.lambda_named(&e, name)),
                    PendingValue::Nested(n) => BindingValue::Expr(self.finish_set(n, span)),
                    PendingValue::Inherit(_) => {
                        BindingValue::Inherit(outer.expect("lowered above"))
                    }
                    PendingValue::InheritFrom(source, sp) => BindingValue::InheritFrom {
                        source,
                        name,
                        span: sp,
                    },
                };
                Binding { name, value, span }
            })
            .collect();
        Bindings {
            list,
            inherit_sources,
        }
    }

    /// Lowers a binding's value, naming it when it is a function (for
    /// traces: "while calling 'f'"); or takes it from the file's last
    /// lowering, unchanged.
    fn lambda_named(&mut self, e: &ast::Expr, name: Sym) -> ExprRef {
        let node = e.syntax();
        let range = node.text_range();
        let Some(cache) = self
            .cache
            .as_ref()
            .filter(|_| u32::from(range.len()) >= MIN_TEXT)
        else {
            return self.lower_named(e, name);
        };
        let start = u32::from(range.start());
        let (line, col) = cache.line_col(start);
        let green = node.green();
        let key = CacheKey {
            green: green as *const rowan::GreenNodeData as usize,
            name,
            line,
            col,
            scopes: self.scope_stamp(),
        };
        let prefix = &self.ctx.text[(start - col) as usize..start as usize];
        if let Some(x) = self.cache.as_mut().and_then(|c| c.get(key, prefix)) {
            return x;
        }
        let (errors, warnings) = (self.errors.len(), self.ctx.warnings.borrow().len());
        let x = self.lower_named(e, name);
        // What reported something is lowered again, to report it again.
        if self.errors.len() == errors && self.ctx.warnings.borrow().len() == warnings {
            let green = green.to_owned();
            if let Some(c) = self.cache.as_mut() {
                c.insert(key, green, prefix, x.clone());
            }
        }
        x
    }

    /// The scopes' names and slots, as a number (a value lowered in other
    /// scopes may read other variables).
    fn scope_stamp(&self) -> u64 {
        let mix = |mut z: u64| {
            // splitmix64's finaliser.
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
            z ^ (z >> 31)
        };
        self.scopes.iter().fold(self.scopes.len() as u64, |h, s| {
            let frame = match s {
                // Order-free: a map's order is not its content.
                Scope::Frame(names) => names.iter().fold(names.len() as u64, |f, (n, slot)| {
                    f.wrapping_add(mix(n.addr() as u64 ^ ((*slot as u64) << 48)))
                }),
                Scope::With => u64::MAX,
            };
            mix(h ^ mix(frame))
        })
    }

    fn lower_named(&mut self, e: &ast::Expr, name: Sym) -> ExprRef {
        if let ast::Expr::Lambda(l) = e {
            let span = self.span_of(l.syntax());
            return self.lambda(l, span, Some(name));
        }
        self.expr(e)
    }

    fn lower_dynamics(
        &mut self,
        dynamics: Vec<(ast::Attr, PendingValue, Span)>,
    ) -> Vec<(ExprRef, ExprRef, Span)> {
        dynamics
            .into_iter()
            .map(|(a, v, span)| {
                let key = self.dynamic_key_expr(&a);
                let value = match v {
                    PendingValue::Expr(e) => self.expr(&e),
                    PendingValue::Nested(n) => self.finish_set(n, span),
                    _ => Self::konst(Value::Null),
                };
                (key, value, span)
            })
            .collect()
    }

    fn let_in(&mut self, l: &ast::LetIn, span: Span) -> ExprRef {
        let mut set = PendingSet::new(true);
        self.collect_entries(&mut set, l.entries(), true);
        let mut names: FxHashMap<Sym, u32> = FxHashMap::default();
        for (i, n) in set.names.iter().enumerate() {
            names.insert(*n, i as u32);
        }
        let outer = self.lower_plain_inherits(&set);
        self.scopes.push(Scope::Frame(names));
        let sources = std::mem::take(&mut set.inherit_sources);
        let bindings = self.lower_bindings(set.names, set.values, outer, &sources);
        let body = match l.body() {
            Some(b) => self.expr(&b),
            None => {
                self.err("nix::parse", "syntax error, missing body of let", span);
                Self::konst(Value::Null)
            }
        };
        self.scopes.pop();
        Rc::new(Expr::Let {
            bindings: Rc::new(bindings),
            body,
        })
    }

    fn lambda(&mut self, l: &ast::Lambda, span: Span, name: Option<Sym>) -> ExprRef {
        let mut names: FxHashMap<Sym, u32> = FxHashMap::default();
        let (param, param_name, pattern) = match l.param() {
            Some(ast::Param::IdentParam(p)) => {
                let n = Sym::new(&p.ident().map(|i| ident_text(&i)).unwrap_or_default());
                names.insert(n, 0);
                (Param::Ident, Some(n), None)
            }
            Some(ast::Param::Pattern(p)) => {
                let at = p
                    .pat_bind()
                    .and_then(|b| b.ident())
                    .map(|i| Sym::new(&ident_text(&i)));
                let mut entries = Vec::new();
                for (i, e) in p.pat_entries().enumerate() {
                    let Some(id) = e.ident() else { continue };
                    let n = Sym::new(&ident_text(&id));
                    let sp = self.span_of(id.syntax());
                    if names.insert(n, i as u32).is_some() {
                        self.err(
                            "nix::duplicate-formal",
                            format!("duplicate formal function argument '{n}'"),
                            sp,
                        );
                    }
                    entries.push((n, e.default(), sp));
                }
                if let Some(a) = at {
                    if names.contains_key(&a) {
                        self.err(
                            "nix::duplicate-formal",
                            format!("duplicate formal function argument '{a}'"),
                            span,
                        );
                    }
                    names.insert(a, entries.len() as u32);
                }
                (
                    Param::Ident,
                    at,
                    Some((entries, p.ellipsis_token().is_some(), at)),
                )
            }
            None => (Param::Ident, None, None),
        };
        let nslots = names.len().max(1) as u32;
        self.scopes.push(Scope::Frame(names));
        let param = match pattern {
            None => param,
            Some((entries, ellipsis, at)) => {
                let formals = entries
                    .into_iter()
                    .map(|(name, d, span)| Formal {
                        name,
                        default: d.map(|d| self.expr(&d)),
                        span,
                    })
                    .collect();
                Param::Pattern {
                    formals,
                    ellipsis,
                    at,
                }
            }
        };
        let body = self.opt(l.body());
        self.scopes.pop();
        let strict = matches!(param, Param::Pattern { .. }) || forces_first(&body, 0);
        let selector = super::expr::selector(&param, &body);
        Rc::new(Expr::Lambda(Rc::new(LambdaDef {
            strict,
            name,
            param_name,
            param,
            body,
            nslots,
            span,
            selector,
        })))
    }
}

fn ident_text(i: &ast::Ident) -> String {
    i.syntax().text().to_string()
}

/// The text of a string without interpolations, or `None`.
fn static_string(s: &ast::Str) -> Option<String> {
    let mut out = String::new();
    for p in s.normalized_parts() {
        match p {
            InterpolPart::Literal(l) => out.push_str(&l),
            InterpolPart::Interpolation(_) => return None,
        }
    }
    Some(out)
}

/// Nix's `canonPath`: removes `.`, `..` and repeated slashes, lexically.
pub fn canonicalize(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = String::with_capacity(p.len());
    for c in &parts {
        out.push('/');
        out.push_str(c);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}
