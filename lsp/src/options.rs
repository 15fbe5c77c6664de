//! The options nixcfg declares (its embedded modules), as a tree by path
//! segment; `<name>` and `*` stand for any attribute name / list item.

use nixcfg_compiler::modules::reference::{option_docs, OptionDoc};
use nixcfg_compiler::modules::static_check::DeclaredOptions;
use nixcfg_compiler::modules::{closed_namespaces, Configuration};
use std::collections::BTreeMap;

#[derive(Default)]
pub struct Node {
    pub children: BTreeMap<String, Node>,
    pub doc: Option<OptionDoc>,
}

pub struct OptionTree {
    pub root: Node,
    /// Names of `builtins` and of nixcfg's `lib`, for `builtins.`/`lib.`.
    pub builtins: Vec<String>,
    pub lib: Vec<String>,
    /// The same options for checking definitions without evaluation.
    pub declared: std::sync::Arc<DeclaredOptions>,
}

impl OptionTree {
    /// Evaluates the embedded modules once (on a big stack).
    pub fn load() -> OptionTree {
        let (docs, closed, builtins, lib) = nixcfg_compiler::eval::run::with_big_stack(|| {
            let opts = nixcfg_compiler::eval::EvalOptions::default();
            let (docs, closed) = match Configuration::load_embedded(opts.clone()) {
                Ok(mut c) => (
                    option_docs(&mut c).unwrap_or_default(),
                    closed_namespaces(&mut c),
                ),
                Err(_) => (Vec::new(), Vec::new()),
            };
            let mut ev = nixcfg_compiler::eval::Evaluator::new(opts);
            let mut names = |expr: &str| -> Vec<String> {
                match ev.eval_string(expr, "/".into()) {
                    Ok(nixcfg_compiler::eval::Value::Attrs(a)) => a
                        .entries
                        .iter()
                        .map(|e| e.name.as_str().to_string())
                        .filter(|n| !n.starts_with("__"))
                        .collect(),
                    _ => Vec::new(),
                }
            };
            let b = names("builtins");
            let l = names("import <nixcfg/lib>");
            (docs, closed, b, l)
        });
        let declared = std::sync::Arc::new(DeclaredOptions::new(&docs, closed));
        let mut root = Node::default();
        for d in docs {
            let mut node = &mut root;
            for seg in &d.loc {
                node = node.children.entry(seg.clone()).or_default();
            }
            node.doc = Some(d);
        }
        OptionTree {
            root,
            builtins,
            lib,
            declared,
        }
    }

    /// The node a path leads to (names match `<name>` placeholders).
    pub fn find(&self, path: &[String]) -> Option<&Node> {
        let mut node = &self.root;
        for p in path {
            node = node.children.get(p).or_else(|| {
                node.children
                    .iter()
                    .find(|(k, _)| k.starts_with('<') || k.as_str() == "*")
                    .map(|(_, n)| n)
            })?;
        }
        Some(node)
    }
}

/// Markdown about an option: type, default, description, declaration.
pub fn describe(d: &OptionDoc) -> String {
    let mut s = format!("**{}**\n\n", d.name);
    if !d.description.is_empty() {
        s.push_str(&d.description);
        s.push_str("\n\n");
    }
    s.push_str(&format!("*Type:* {}\n\n", d.type_));
    if let Some(def) = &d.default {
        s.push_str(&format!("*Default:* `{def}`\n\n"));
    }
    if let Some(e) = &d.example {
        s.push_str(&format!("*Example:* `{e}`\n\n"));
    }
    if !d.declarations.is_empty() {
        s.push_str(&format!("*Declared in:* {}\n", d.declarations.join(", ")));
    }
    s
}
