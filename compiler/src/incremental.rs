//! The whole check of a configuration again after an edit, in the
//! evaluator of the check before, reusing its submodule instances
//! (`eval::reuse`): the language server's final diagnostics.
//!
//! Reuse is sound when everything an unchanged instance read is unchanged.
//! An instance reads its own definitions (in its fingerprint) and options
//! outside every instance (`cfg.mutableUsers`): so the evaluator is kept
//! only when each edit since the check before lies inside the definition
//! of an instance (`users.users.alice.description = …`) of the
//! configuration file, and every other file it read is unchanged.
//! Otherwise — and when the kept evaluation's cycles have grown to twice
//! those of a fresh one — the check starts from a new evaluator.

use crate::diagnostic::Diagnostic;
use crate::eval::{EvalOptions, Evaluator};
use crate::lint::options::attr_name;
use crate::modules::{check_with, Configuration};
use crate::source::SourceMap;
use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// A configuration's evaluator, kept from one check to the next.
#[derive(Default)]
pub struct IncrementalCheck {
    ev: Option<Evaluator>,
    path: PathBuf,
    /// The user's files the last check read, with their texts.
    texts: HashMap<String, Rc<str>>,
    /// The configuration file's text in the last check and its tree
    /// (without syntax errors), to compare the next text with.
    tree: Option<(Rc<str>, rnix::Root)>,
    /// The next check's text, parsed and compared already (`prepare`).
    prepared: Option<Prepared>,
    /// Registered objects after the last fresh evaluation.
    fresh_live: usize,
    /// What the last check did (for tests and `NIXCFG_REUSE_STATS`).
    pub last: Outcome,
    /// Never start afresh because the heap grew (tests).
    pub unbounded: bool,
    /// Report growth earlier, at one and a half times a fresh evaluation
    /// (`Outcome::grown`), and keep the grown evaluator until it is three
    /// times one: the language server starts afresh in the background
    /// meanwhile.
    pub keep_grown: bool,
}

/// A text to check, parsed, and whether its check keeps the evaluator.
struct Prepared {
    path: PathBuf,
    text: Rc<str>,
    tree: Option<rnix::Root>,
    keep: bool,
}

#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Whether it ran in the evaluator of the check before.
    pub kept: bool,
    pub reused: usize,
    pub computed: usize,
    /// Its heap has grown to twice a fresh evaluation's (one and a half
    /// times, with `keep_grown`).
    pub grown: bool,
}

impl IncrementalCheck {
    /// The kept evaluator (for tools that look into it).
    pub fn evaluator(&self) -> Option<&Evaluator> {
        self.ev.as_ref()
    }

    /// Evaluates and checks the configuration `path` (its text `text`,
    /// other open files in `opts.overlays`): the errors, and the sources
    /// their spans point into.
    pub fn check(
        &mut self,
        path: &Path,
        text: &str,
        opts: &EvalOptions,
    ) -> (Vec<Diagnostic>, SourceMap) {
        let prepared = match self.prepared.take() {
            Some(p) if p.path == path && &*p.text == text => p,
            _ => self.decide(path, text, opts),
        };
        let Prepared {
            text, tree, keep, ..
        } = prepared;

        let mut ev = match (keep, self.ev.take()) {
            (true, Some(mut ev)) => {
                ev.restart(opts.clone());
                ev
            }
            (_, old) => {
                drop(old);
                let mut ev = Evaluator::new(opts.clone());
                ev.reuse = Some(Box::default());
                ev
            }
        };
        if let (Some(t), Ok(name)) = (&tree, std::fs::canonicalize(path)) {
            ev.preparsed = Some((name.display().to_string(), text.clone(), t.clone()));
        }
        let first_file = ev.sources.len();
        let (errors, ev) = match Configuration::load_in(ev, path, false) {
            Ok(mut cfg) => {
                let errors = check_with(&mut cfg, None);
                let Configuration { ev, result } = cfg;
                drop(result);
                (errors, ev)
            }
            Err((ev, ds)) => (ds.into_iter().flat_map(|d| d.flatten()).collect(), ev),
        };
        let mut ev = ev;
        ev.preparsed = None;
        self.tree = tree.map(|t| (text.clone(), t));
        let completed = !ev.was_stopped();
        let (reused, computed, unkeyed) = match ev.reuse.as_mut() {
            Some(r) => {
                r.finish(completed);
                (r.reused, r.computed, r.unkeyed)
            }
            None => (0, 0, 0),
        };
        self.last = Outcome {
            kept: keep,
            reused,
            computed,
            grown: false,
        };
        if std::env::var_os("NIXCFG_REUSE_STATS").is_some() {
            eprintln!(
                "nixcfg: check kept={keep} reused={reused} computed={computed} unkeyed={unkeyed} live={}",
                ev.live_objects()
            );
        }
        if !keep {
            self.fresh_live = ev.live_objects();
        }
        // What this check read is what the next compares with.
        if !keep {
            self.texts.clear();
        }
        for f in ev.sources.files().skip(first_file) {
            if f.name.starts_with('/') && !f.name.contains("/embedded-") {
                self.texts.insert(f.name.clone(), f.text.clone());
            }
        }
        let sources = ev.sources.clone();
        let over = |halves: usize| ev.live_objects() > halves * self.fresh_live / 2 + 100_000;
        let grown = !self.unbounded && over(if self.keep_grown { 3 } else { 4 });
        let dropped = !self.unbounded && over(if self.keep_grown { 6 } else { 4 });
        self.last.grown = grown;
        self.path = path.to_path_buf();
        // A failed load or an interrupted check proves nothing about
        // reuse; a grown heap is freed and started again.
        self.ev = (!dropped).then_some(ev);
        (errors, sources)
    }

    /// Whether the check of `text` will run in the kept evaluator
    /// (`Outcome::kept`), decided before it runs: the language server
    /// computes the edit's own consequences beside a check that is not.
    pub fn prepare(&mut self, path: &Path, text: &str, opts: &EvalOptions) -> bool {
        let p = self.decide(path, text, opts);
        let keep = p.keep;
        self.prepared = Some(p);
        keep
    }

    fn decide(&self, path: &Path, text: &str, opts: &EvalOptions) -> Prepared {
        // Parsed once: compared with the last tree, then evaluated.
        let text: Rc<str> = text.into();
        // An edit inside one binding: only that binding is parsed again.
        let reparsed = self.tree.as_ref().filter(|_| self.path == path);
        let reparsed = reparsed.and_then(|(last, tree)| crate::syntax::reparse(last, tree, &text));
        let tree = reparsed.or_else(|| {
            let parsed = crate::syntax::parse(&text, crate::source::FileId(0));
            parsed.errors.is_empty().then_some(parsed.root)
        });
        let keep = self.ev.is_some()
            && self.path == path
            && self.unchanged_outside_instances(path, &text, tree.as_ref(), opts);
        Prepared {
            path: path.to_path_buf(),
            text,
            tree,
            keep,
        }
    }

    /// The configuration's tree in the last check, if it parsed.
    pub fn last_tree(&self) -> Option<&rnix::Root> {
        self.tree.as_ref().map(|(_, t)| t)
    }

    /// Frees the kept evaluation, waiting while `pause` is set.
    pub fn free_pausing(&mut self, pause: std::sync::Arc<std::sync::atomic::AtomicBool>) {
        if let Some(mut ev) = self.ev.take() {
            ev.opts.pause = Some(pause);
            drop(ev);
        }
        *self = IncrementalCheck {
            keep_grown: self.keep_grown,
            unbounded: self.unbounded,
            ..Default::default()
        };
    }

    /// Whether every file the last check read has the same text now,
    /// except `path`, whose edit lies inside one reused instance.
    fn unchanged_outside_instances(
        &self,
        path: &Path,
        text: &str,
        tree: Option<&rnix::Root>,
        opts: &EvalOptions,
    ) -> bool {
        let Some(cache) = self.ev.as_ref().and_then(|ev| ev.reuse.as_ref()) else {
            return false;
        };
        let Ok(root) = std::fs::canonicalize(path) else {
            return false;
        };
        let root = root.display().to_string();
        if !self.texts.contains_key(&root) {
            return false;
        }
        self.texts.iter().all(|(name, before)| {
            if *name == root {
                if &**before == text {
                    return true;
                }
                let (Some((last, a)), Some(b)) = (&self.tree, tree) else {
                    return false;
                };
                let texts = Texts {
                    before: last,
                    after: text,
                };
                return **last == **before
                    && changed_definitions_in(&texts, a, b).is_some_and(|ps| {
                        ps.iter().all(|p| !p.is_empty() && cache.inside_instance(p))
                    });
            }
            let now = match opts.overlays.get(Path::new(name)) {
                Some(t) => t.clone(),
                None => match std::fs::read_to_string(name) {
                    Ok(t) => t,
                    Err(_) => return false,
                },
            };
            **before == *now
        })
    }
}

/// The option paths of the definitions that hold the differences between
/// two texts of a module (`[["users" "users" "alice" "description"]]`;
/// several after several edits), when the module's function, its `let`
/// and every other definition are the same text; `None` otherwise (or when
/// either does not parse). A path is that of the innermost set holding
/// its difference (`[]`: the module's own set).
pub fn changed_definitions(before: &str, after: &str) -> Option<Vec<Vec<String>>> {
    let a = crate::syntax::parse(before, crate::source::FileId(0));
    let b = crate::syntax::parse(after, crate::source::FileId(0));
    if !a.errors.is_empty() || !b.errors.is_empty() {
        return None;
    }
    changed_definitions_in(&Texts { before, after }, &a.root, &b.root)
}

/// `changed_definitions` of two trees already parsed (of `texts`).
fn changed_definitions_in(
    texts: &Texts<'_>,
    a: &rnix::Root,
    b: &rnix::Root,
) -> Option<Vec<Vec<String>>> {
    let mut out = Vec::new();
    differences(texts, a.expr()?, b.expr()?, Vec::new(), true, &mut out)?;
    // Equal expressions in different texts: the difference is in what
    // surrounds them.
    (!out.is_empty()).then_some(out)
}

/// The two texts whose trees are compared: a node's text is a slice of
/// its file's (a byte comparison, not a walk over the tree's tokens).
struct Texts<'a> {
    before: &'a str,
    after: &'a str,
}

impl Texts<'_> {
    fn same(&self, x: &rnix::SyntaxNode, y: &rnix::SyntaxNode) -> bool {
        let (rx, ry) = (x.text_range(), y.text_range());
        match (
            self.before
                .get(usize::from(rx.start())..usize::from(rx.end())),
            self.after
                .get(usize::from(ry.start())..usize::from(ry.end())),
        ) {
            (Some(a), Some(b)) => a == b,
            // Not the trees of these texts: their own texts, token by token.
            _ => x.text() == y.text(),
        }
    }
}

/// Adds to `out` the paths of the definitions where `x` and `y` (at
/// `path`) differ; `None` if they differ in something not a definition.
fn differences(
    texts: &Texts<'_>,
    mut x: ast::Expr,
    mut y: ast::Expr,
    path: Vec<String>,
    top: bool,
    out: &mut Vec<Vec<String>>,
) -> Option<()> {
    loop {
        if texts.same(x.syntax(), y.syntax()) {
            return Some(());
        }
        match (&x, &y) {
            (ast::Expr::Paren(p), ast::Expr::Paren(q)) => {
                (x, y) = (p.expr()?, q.expr()?);
            }
            (ast::Expr::Lambda(l), ast::Expr::Lambda(m)) if top => {
                if !texts.same(l.param()?.syntax(), m.param()?.syntax()) {
                    return None;
                }
                (x, y) = (l.body()?, m.body()?);
            }
            (ast::Expr::LetIn(l), ast::Expr::LetIn(m)) if top => {
                let (le, me): (Vec<_>, Vec<_>) = (l.entries().collect(), m.entries().collect());
                if le.len() != me.len()
                    || le
                        .iter()
                        .zip(&me)
                        .any(|(a, b)| !texts.same(a.syntax(), b.syntax()))
                {
                    return None;
                }
                (x, y) = (l.body()?, m.body()?);
            }
            (ast::Expr::AttrSet(s), ast::Expr::AttrSet(t)) => {
                return set_differences(texts, s, t, path, top, out);
            }
            _ => {
                out.push(path);
                return Some(());
            }
        }
    }
}

/// `differences` of two sets: those of each definition that differs, when
/// every one that differs has the same name in both; the set itself
/// otherwise.
fn set_differences(
    texts: &Texts<'_>,
    s: &ast::AttrSet,
    t: &ast::AttrSet,
    path: Vec<String>,
    top: bool,
    out: &mut Vec<Vec<String>>,
) -> Option<()> {
    let (es, et): (Vec<_>, Vec<_>) = (s.entries().collect(), t.entries().collect());
    if s.rec_token().is_some() || t.rec_token().is_some() || es.len() != et.len() {
        out.push(path);
        return Some(());
    }
    // A module with `config`/`options` at the top defines in `config` only.
    let explicit = top
        && es.iter().any(|en| {
            matches!(en, ast::Entry::AttrpathValue(av)
                if av.attrpath().and_then(|p| p.attrs().next()).and_then(|a| attr_name(&a)).is_some_and(|n| n == "config" || n == "options"))
        });
    let mut pairs = Vec::new();
    for (a, b) in es.iter().zip(&et) {
        if texts.same(a.syntax(), b.syntax()) {
            continue;
        }
        let (ast::Entry::AttrpathValue(p), ast::Entry::AttrpathValue(q)) = (a, b) else {
            out.push(path);
            return Some(());
        };
        let (pa, qa) = (p.attrpath()?, q.attrpath()?);
        let names: Option<Vec<String>> = pa.attrs().map(|a| attr_name(&a)).collect();
        let (true, Some(mut names)) = (texts.same(pa.syntax(), qa.syntax()), names) else {
            out.push(path);
            return Some(());
        };
        if explicit {
            if names.first().map(String::as_str) != Some("config") {
                return None;
            }
            names.remove(0);
        }
        pairs.push((names, p.value()?, q.value()?));
    }
    for (names, a, b) in pairs {
        let mut at = path.clone();
        at.extend(names);
        differences(texts, a, b, at, false, out)?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::{changed_definitions, IncrementalCheck};
    use crate::eval::EvalOptions;

    /// A group's members come from the users' `extraGroups`, outside the
    /// group's own definitions: a kept check after an edit of a user's
    /// groups must not reuse the group with its old members.
    #[test]
    fn a_kept_check_sees_a_groups_new_members() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("configuration.nix");
        let text = "{ config, ... }: {\n  users.users.alice = { isNormalUser = true; extraGroups = [ ]; };\n  users.users.bob = { isNormalUser = true; extraGroups = [ \"wheel\" ]; };\n  assertions = [ { assertion = !(builtins.elem \"alice\" config.users.groups.wheel.members); message = \"alice is in wheel\"; } ];\n}\n";
        let opts = EvalOptions::default();
        let mut kept = IncrementalCheck::default();
        let mut check = |text: &str| {
            std::fs::write(&path, text).unwrap();
            let (errors, _) = kept.check(&path, text, &opts);
            let messages: Vec<String> = errors.iter().map(|d| d.message.clone()).collect();
            (kept.last.kept, kept.last.reused, messages)
        };
        let (_, _, before) = check(text);
        assert!(
            !before.iter().any(|m| m.contains("alice is in wheel")),
            "{before:?}"
        );
        let (_, _, settled) = check(text);
        assert!(settled.is_empty(), "{settled:?}");
        let edited = text.replace("extraGroups = [ ];", "extraGroups = [ \"wheel\" ];");
        let (was_kept, reused, after) = check(&edited);
        assert!(
            was_kept && reused > 0,
            "the evaluator is kept: {reused} reused"
        );
        assert!(
            after.iter().any(|m| m.contains("alice is in wheel")),
            "{after:?}"
        );
    }

    /// A kept check lowers again only the edited value; a value it takes
    /// from the lowering before (its spans in that version of the file) is
    /// reported where a fresh check reports it, though the edit before it
    /// moved its bytes; and a value that moved to another line is lowered
    /// again.
    #[test]
    fn a_kept_check_places_the_errors_of_values_lowered_before() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("configuration.nix");
        let text = "{ ... }: {\n  users.users.alice = { isNormalUser = true; description = \"A\"; };\n  networking.hostName = { first = \"a\"; second = \"b\"; }.third + \"-host-of-alice\";\n}\n";
        let opts = EvalOptions::default();
        let mut kept = IncrementalCheck::default();
        let check = |kept: &mut IncrementalCheck, text: &str| {
            std::fs::write(&path, text).unwrap();
            let (errors, sources) = kept.check(&path, text, &opts);
            let found: Vec<(String, Option<String>, bool)> = errors
                .iter()
                .map(|d| {
                    let current = d
                        .span
                        .is_some_and(|s| sources.get(s.file).text.as_ref() == text);
                    (d.message.clone(), d.location(&sources), current)
                })
                .collect();
            (kept.last.kept, found)
        };
        check(&mut kept, text);
        check(&mut kept, text);
        let longer = text.replace("\"A\"", "\"Alice\"");
        let (was_kept, found) = check(&mut kept, &longer);
        let (_, fresh) = check(&mut IncrementalCheck::default(), &longer);
        assert!(was_kept);
        assert!(!found.is_empty(), "the hostName has no attribute third");
        let placed = |f: &[(String, Option<String>, bool)]| {
            f.iter()
                .map(|(m, l, _)| (m.clone(), l.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(placed(&found), placed(&fresh));
        // Taken from the lowering before: its span is in the text before.
        assert!(found.iter().any(|(_, _, current)| !current), "{found:?}");
        // A line added before a value (in an instance, so the evaluator
        // is kept): the value is lowered again, placed on its new line.
        let bob = "  users.users.bob = { isNormalUser = true; description = { first = \"a\"; }.third; };\n";
        let two = format!("{{ ... }}: {{\n  users.users.alice = {{ isNormalUser = true; description = \"Alice\"; }};\n{bob}}}\n");
        check(&mut kept, &two);
        check(&mut kept, &two);
        let moved = two.replace(
            "description = \"Alice\";",
            "description = \"Alice\n  Liddell\";",
        );
        let (was_kept, found) = check(&mut kept, &moved);
        let (_, fresh) = check(&mut IncrementalCheck::default(), &moved);
        assert!(was_kept);
        assert!(
            found.iter().any(|(m, l, _)| m.contains("'third'")
                && l.as_ref().is_some_and(|l| l.ends_with(":4:58"))),
            "{found:?}"
        );
        assert_eq!(placed(&found), placed(&fresh));
    }

    /// The changed paths, dotted, joined by commas.
    fn path(a: &str, b: &str) -> Option<String> {
        changed_definitions(a, b)
            .map(|ps| ps.iter().map(|p| p.join(".")).collect::<Vec<_>>().join(","))
    }

    #[test]
    fn the_definition_an_edit_is_in() {
        let base = "{ lib, ... }: {\n  users.users.alice = { uid = 1; description = \"A\"; };\n  users.users.bob.uid = 2;\n  networking.hostName = \"h\";\n}";
        let edited = base.replace("\"A\"", "\"Alice\"");
        assert_eq!(
            path(base, &edited).as_deref(),
            Some("users.users.alice.description")
        );
        let bob = base.replace("bob.uid = 2", "bob.uid = 3");
        assert_eq!(path(base, &bob).as_deref(), Some("users.users.bob.uid"));
        // Two definitions changed: each of them.
        let both = edited.replace("bob.uid = 2", "bob.uid = 3");
        assert_eq!(
            path(base, &both).as_deref(),
            Some("users.users.alice.description,users.users.bob.uid")
        );
        // One changed, one renamed: the set that holds the renamed one.
        let and_renamed = edited.replace("bob.uid", "carol.uid");
        assert_eq!(path(base, &and_renamed).as_deref(), Some(""));
        // The function's arguments, or a binding added: not one definition.
        assert_eq!(
            path(base, &base.replace("{ lib, ... }", "{ lib, pkgs, ... }")),
            None
        );
        let added = base.replace(
            "  networking",
            "  users.mutableUsers = false;\n  networking",
        );
        assert_eq!(path(base, &added).as_deref(), Some(""));
        // A name changed: the set that holds it.
        let renamed = base.replace("alice = {", "carol = {");
        assert_eq!(path(base, &renamed).as_deref(), Some(""));
        let whole = "{ config = { users.users.alice.uid = 1; }; }";
        assert_eq!(
            path(whole, &whole.replace("= 1", "= 2")).as_deref(),
            Some("users.users.alice.uid")
        );
        let let_ = "let x = 1; in { users.users.a.uid = x; }";
        assert_eq!(path(let_, &let_.replace("x = 1", "x = 2")), None);
        assert_eq!(path("{ a = 1; }", "{ a = 1 }"), None);
    }
}
