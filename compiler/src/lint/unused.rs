//! `nixcfg::unused-binding`, `nixcfg::unused-formal`, `nixcfg::unused-with`:
//! names bound and never used, resolved with Nix's scoping (lexical
//! bindings first, then the innermost `with`). Names starting with `_`
//! are meant to be unused.

use super::{Edit, Finding};
use crate::diagnostic::Severity;
use rnix::ast::{self, HasEntry};
use rnix::SyntaxKind;
use rowan::ast::AstNode;
use rowan::TextRange;

enum Kind {
    Let {
        entry: TextRange,
        only_name: bool,
    },
    Formal {
        entry: TextRange,
        comma: Option<TextRange>,
    },
    Param,
    Rec,
}

struct Binding {
    name: String,
    range: TextRange,
    /// The name with the whitespace before it (to remove one name of an
    /// `inherit`).
    with_space_before: TextRange,
    used: bool,
    kind: Kind,
}

enum Frame {
    Names(Vec<Binding>),
    With { range: TextRange, used: bool },
}

struct Walker<'a> {
    frames: Vec<Frame>,
    out: &'a mut Vec<Finding>,
    /// (use, definition) of every name resolved to a binding.
    uses: Vec<(TextRange, TextRange)>,
    /// Where each frame's names are visible, and the names.
    scopes: Vec<(TextRange, Vec<String>)>,
}

fn ident_name(i: &ast::Ident) -> String {
    i.syntax().text().to_string()
}

fn single_name(av: &ast::AttrpathValue) -> Option<(String, TextRange)> {
    let mut attrs = av.attrpath()?.attrs();
    let first = attrs.next()?;
    match first {
        ast::Attr::Ident(i) => Some((ident_name(&i), i.syntax().text_range())),
        _ => None,
    }
}

/// A node's range with the whitespace just before it.
fn space_before(node: &rnix::SyntaxNode) -> TextRange {
    let r = node.text_range();
    match node.first_token().and_then(|t| t.prev_token()) {
        Some(t) if t.kind() == SyntaxKind::TOKEN_WHITESPACE => {
            TextRange::new(t.text_range().start(), r.end())
        }
        _ => r,
    }
}

/// The range of an entry with the whitespace up to the end of its line,
/// so that removing it leaves no blank line.
fn with_line_end(node: &rnix::SyntaxNode) -> TextRange {
    let mut end = node.text_range().end();
    let mut tok = node.last_token().and_then(|t| t.next_token());
    while let Some(t) = tok {
        if t.kind() != SyntaxKind::TOKEN_WHITESPACE {
            break;
        }
        let text = t.text();
        match text.find('\n') {
            Some(i) => {
                end = t.text_range().start() + rowan::TextSize::from(i as u32 + 1);
                break;
            }
            None => {
                end = t.text_range().end();
                tok = t.next_token();
            }
        }
    }
    let mut start = node.text_range().start();
    if let Some(prev) = node.first_token().and_then(|t| t.prev_token()) {
        if prev.kind() == SyntaxKind::TOKEN_WHITESPACE && prev.text().contains('\n') {
            let nl = prev.text().rfind('\n').expect("contains a newline");
            start = prev.text_range().start() + rowan::TextSize::from(nl as u32 + 1);
        }
    }
    TextRange::new(start, end)
}

impl Walker<'_> {
    fn resolve(&mut self, name: &str, at: TextRange) {
        for f in self.frames.iter_mut().rev() {
            if let Frame::Names(bs) = f {
                if let Some(b) = bs.iter_mut().find(|b| b.name == name) {
                    b.used = true;
                    self.uses.push((at, b.range));
                    return;
                }
            }
        }
        // Not lexically bound: the innermost `with` provides it (if any).
        for f in self.frames.iter_mut().rev() {
            if let Frame::With { used, .. } = f {
                *used = true;
                return;
            }
        }
    }

    fn record_scope(&mut self, extent: TextRange, names: &[Binding]) {
        self.scopes
            .push((extent, names.iter().map(|b| b.name.clone()).collect()));
    }

    fn pop(&mut self) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        match frame {
            Frame::With { range, used: false } => self.out.push(
                Finding::new(
                    "nixcfg::unused-with",
                    Severity::Warning,
                    "nothing in the body of this `with` uses its names".into(),
                    range,
                )
                .with_fix(
                    "remove the `with`",
                    vec![Edit {
                        start: range.start().into(),
                        end: range.end().into(),
                        text: String::new(),
                    }],
                ),
            ),
            Frame::With { .. } => {}
            Frame::Names(bs) => {
                for b in bs {
                    if b.used || b.name.starts_with('_') {
                        continue;
                    }
                    let (code, what, fix) = match b.kind {
                        Kind::Let { entry, only_name } => (
                            "nixcfg::unused-binding",
                            "let binding",
                            Some(if only_name {
                                entry
                            } else {
                                b.with_space_before
                            }),
                        ),
                        Kind::Formal { entry, comma } => (
                            "nixcfg::unused-formal",
                            "function argument",
                            Some(match comma {
                                Some(c) => entry.cover(c),
                                None => entry,
                            }),
                        ),
                        Kind::Param => ("nixcfg::unused-formal", "function argument", None),
                        Kind::Rec => continue,
                    };
                    let f = Finding::new(
                        code,
                        Severity::Warning,
                        format!("the {what} `{}' is never used", b.name),
                        b.range,
                    );
                    self.out.push(match fix {
                        Some(r) => f.with_fix(
                            format!("remove `{}'", b.name),
                            vec![Edit {
                                start: r.start().into(),
                                end: r.end().into(),
                                text: String::new(),
                            }],
                        ),
                        None => f,
                    });
                }
            }
        }
    }

    fn expr(&mut self, e: &ast::Expr) {
        match e {
            ast::Expr::Ident(i) => self.resolve(&ident_name(i), i.syntax().text_range()),
            ast::Expr::LetIn(l) => {
                let mut names = Vec::new();
                for entry in l.entries() {
                    match &entry {
                        ast::Entry::AttrpathValue(av) => {
                            if let Some((name, range)) = single_name(av) {
                                if !names.iter().any(|b: &Binding| b.name == name) {
                                    names.push(Binding {
                                        name,
                                        range,
                                        with_space_before: range,
                                        used: false,
                                        kind: Kind::Let {
                                            entry: with_line_end(av.syntax()),
                                            only_name: true,
                                        },
                                    });
                                }
                            }
                        }
                        ast::Entry::Inherit(inh) => {
                            let count = inh.attrs().count();
                            for a in inh.attrs() {
                                if let ast::Attr::Ident(i) = a {
                                    names.push(Binding {
                                        name: ident_name(&i),
                                        range: i.syntax().text_range(),
                                        with_space_before: space_before(i.syntax()),
                                        used: false,
                                        kind: Kind::Let {
                                            entry: with_line_end(inh.syntax()),
                                            only_name: count == 1,
                                        },
                                    });
                                }
                            }
                        }
                    }
                }
                // Plain `inherit x;` reads x from outside the let.
                for entry in l.entries() {
                    if let ast::Entry::Inherit(inh) = &entry {
                        if inh.from().is_none() {
                            for a in inh.attrs() {
                                if let ast::Attr::Ident(i) = a {
                                    self.resolve(&ident_name(&i), i.syntax().text_range());
                                }
                            }
                        }
                    }
                }
                self.record_scope(l.syntax().text_range(), &names);
                self.frames.push(Frame::Names(names));
                self.entries(l.entries(), true);
                if let Some(b) = l.body() {
                    self.expr(&b);
                }
                self.pop();
            }
            ast::Expr::AttrSet(s) => {
                if s.rec_token().is_some() {
                    let names: Vec<Binding> = s
                        .entries()
                        .filter_map(|en| match en {
                            ast::Entry::AttrpathValue(av) => single_name(&av),
                            ast::Entry::Inherit(_) => None,
                        })
                        .map(|(name, range)| Binding {
                            name,
                            range,
                            with_space_before: range,
                            used: false,
                            kind: Kind::Rec,
                        })
                        .collect();
                    self.record_scope(s.syntax().text_range(), &names);
                    self.frames.push(Frame::Names(names));
                    self.entries(s.entries(), false);
                    self.pop();
                } else {
                    self.entries(s.entries(), false);
                }
            }
            ast::Expr::Lambda(l) => {
                let mut names = Vec::new();
                let mut defaults = Vec::new();
                match l.param() {
                    Some(ast::Param::IdentParam(p)) => {
                        if let Some(i) = p.ident() {
                            names.push(Binding {
                                name: ident_name(&i),
                                range: i.syntax().text_range(),
                                with_space_before: i.syntax().text_range(),
                                used: false,
                                kind: Kind::Param,
                            });
                        }
                    }
                    Some(ast::Param::Pattern(p)) => {
                        let entries: Vec<ast::PatEntry> = p.pat_entries().collect();
                        for (k, pe) in entries.iter().enumerate() {
                            let Some(i) = pe.ident() else { continue };
                            // The comma after (or, for the last, before) the entry.
                            let next_comma = pe
                                .syntax()
                                .siblings_with_tokens(rowan::Direction::Next)
                                .skip(1)
                                .find(|t| t.kind() == SyntaxKind::TOKEN_COMMA)
                                .map(|t| t.text_range());
                            let prev_comma = pe
                                .syntax()
                                .siblings_with_tokens(rowan::Direction::Prev)
                                .skip(1)
                                .find(|t| t.kind() == SyntaxKind::TOKEN_COMMA)
                                .map(|t| t.text_range());
                            let is_last = k + 1 == entries.len() && p.ellipsis_token().is_none();
                            let comma = if is_last { prev_comma } else { next_comma };
                            let mut entry = pe.syntax().text_range();
                            if !is_last {
                                // Take the space after the comma too.
                                if let Some(c) = next_comma {
                                    let after = pe.syntax().parent().and_then(|par| {
                                        par.children_with_tokens()
                                            .find(|t| {
                                                t.text_range().start() == c.end()
                                                    && t.kind() == SyntaxKind::TOKEN_WHITESPACE
                                            })
                                            .map(|t| t.text_range())
                                    });
                                    entry = entry.cover(after.unwrap_or(c));
                                }
                            }
                            names.push(Binding {
                                name: ident_name(&i),
                                range: i.syntax().text_range(),
                                with_space_before: i.syntax().text_range(),
                                used: false,
                                kind: Kind::Formal { entry, comma },
                            });
                            if let Some(d) = pe.default() {
                                defaults.push(d);
                            }
                        }
                        if let Some(i) = p.pat_bind().and_then(|b| b.ident()) {
                            names.push(Binding {
                                name: ident_name(&i),
                                range: i.syntax().text_range(),
                                with_space_before: i.syntax().text_range(),
                                used: false,
                                kind: Kind::Param,
                            });
                        }
                    }
                    None => {}
                }
                self.record_scope(l.syntax().text_range(), &names);
                self.frames.push(Frame::Names(names));
                for d in defaults {
                    self.expr(&d);
                }
                if let Some(b) = l.body() {
                    self.expr(&b);
                }
                self.pop();
            }
            ast::Expr::With(w) => {
                if let Some(ns) = w.namespace() {
                    self.expr(&ns);
                }
                let range = match (w.with_token(), w.semicolon_token()) {
                    (Some(a), Some(b)) => {
                        let end = b
                            .next_token()
                            .filter(|t| t.kind() == SyntaxKind::TOKEN_WHITESPACE)
                            .map(|t| t.text_range().end())
                            .unwrap_or(b.text_range().end());
                        TextRange::new(a.text_range().start(), end)
                    }
                    _ => w.syntax().text_range(),
                };
                self.frames.push(Frame::With { range, used: false });
                if let Some(b) = w.body() {
                    self.expr(&b);
                }
                self.pop();
            }
            ast::Expr::Select(s) => {
                if let Some(e) = s.expr() {
                    self.expr(&e);
                }
                if let Some(p) = s.attrpath() {
                    self.attrpath(&p);
                }
                if let Some(d) = s.default_expr() {
                    self.expr(&d);
                }
            }
            ast::Expr::HasAttr(h) => {
                if let Some(e) = h.expr() {
                    self.expr(&e);
                }
                if let Some(p) = h.attrpath() {
                    self.attrpath(&p);
                }
            }
            other => {
                for child in other.syntax().children() {
                    if let Some(e) = ast::Expr::cast(child.clone()) {
                        self.expr(&e);
                    } else if let Some(i) = ast::Interpol::cast(child.clone()) {
                        if let Some(e) = i.expr() {
                            self.expr(&e);
                        }
                    } else {
                        self.node(&child);
                    }
                }
            }
        }
    }

    /// Nodes that are not expressions but hold some (interpolations in
    /// strings and paths).
    fn node(&mut self, n: &rnix::SyntaxNode) {
        for child in n.children() {
            if let Some(e) = ast::Expr::cast(child.clone()) {
                self.expr(&e);
            } else {
                self.node(&child);
            }
        }
    }

    /// Dynamic attributes (`a.${x}`) use names; static ones do not.
    fn attrpath(&mut self, p: &ast::Attrpath) {
        for a in p.attrs() {
            match a {
                ast::Attr::Dynamic(d) => {
                    if let Some(e) = d.expr() {
                        self.expr(&e);
                    }
                }
                ast::Attr::Str(s) => self.node(s.syntax()),
                ast::Attr::Ident(_) => {}
            }
        }
    }

    fn entries(&mut self, entries: impl Iterator<Item = ast::Entry>, in_let: bool) {
        for entry in entries {
            match entry {
                ast::Entry::AttrpathValue(av) => {
                    if let Some(p) = av.attrpath() {
                        self.attrpath(&p);
                    }
                    if let Some(v) = av.value() {
                        self.expr(&v);
                    }
                }
                ast::Entry::Inherit(inh) => {
                    if let Some(from) = inh.from().and_then(|f| f.expr()) {
                        self.expr(&from);
                    } else if !in_let {
                        for a in inh.attrs() {
                            if let ast::Attr::Ident(i) = a {
                                self.resolve(&ident_name(&i), i.syntax().text_range());
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn check(root: &ast::Root, out: &mut Vec<Finding>) {
    let Some(e) = root.expr() else { return };
    let mut w = Walker {
        frames: Vec::new(),
        out,
        uses: Vec::new(),
        scopes: Vec::new(),
    };
    w.expr(&e);
}

/// Where each name of the file is bound: (use, definition) ranges, for
/// "go to definition" and references.
pub fn name_uses(root: &ast::Root) -> Vec<(TextRange, TextRange)> {
    let Some(e) = root.expr() else {
        return Vec::new();
    };
    let mut sink = Vec::new();
    let mut w = Walker {
        frames: Vec::new(),
        out: &mut sink,
        uses: Vec::new(),
        scopes: Vec::new(),
    };
    w.expr(&e);
    w.uses
}

/// The names bound where `offset` is (`let`, arguments, `rec`), innermost
/// first, for completion.
pub fn names_at(root: &ast::Root, offset: u32) -> Vec<String> {
    let Some(e) = root.expr() else {
        return Vec::new();
    };
    let mut sink = Vec::new();
    let mut w = Walker {
        frames: Vec::new(),
        out: &mut sink,
        uses: Vec::new(),
        scopes: Vec::new(),
    };
    w.expr(&e);
    let mut inside: Vec<&(TextRange, Vec<String>)> = w
        .scopes
        .iter()
        .filter(|(r, _)| r.contains_inclusive(offset.into()))
        .collect();
    inside.sort_by_key(|(r, _)| r.len());
    let mut out: Vec<String> = Vec::new();
    for (_, names) in inside {
        for n in names {
            if !out.contains(n) {
                out.push(n.clone());
            }
        }
    }
    out
}
