//! A NixOS option index (the `options.json` NixOS's manual build makes,
//! given with `--options-json`): with it, definitions of options nixcfg
//! does not compile are checked against the types NixOS declares for
//! them, and names NixOS does not know are errors.

use crate::eval::{EvalError, Evaluator, Value};
use std::collections::BTreeMap;

/// Option names as a trie; `<name>` and `*` match any key / list element.
#[derive(Default, Debug)]
pub struct OptionsIndex {
    root: Node,
}

#[derive(Default, Debug)]
struct Node {
    children: BTreeMap<String, Node>,
    /// The type description, if an option ends here.
    option: Option<String>,
}

impl OptionsIndex {
    /// Reads options.json text: `{ "a.b": { "type": "…", … }, … }`.
    pub fn from_json(text: &str) -> Result<OptionsIndex, String> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("options.json: {e}"))?;
        let obj = v
            .as_object()
            .ok_or("options.json: expected an object of options")?;
        let mut index = OptionsIndex::default();
        for (name, decl) in obj {
            let ty = decl
                .get("type")
                .and_then(|t| t.as_str())
                .unwrap_or("unspecified")
                .to_string();
            let mut node = &mut index.root;
            for part in split_name(name) {
                node = node.children.entry(part).or_default();
            }
            node.option = Some(ty);
        }
        Ok(index)
    }

    /// An index of option paths (with `<name>` and `*` placeholders) and
    /// their type descriptions.
    pub fn from_types(options: impl IntoIterator<Item = (Vec<String>, String)>) -> OptionsIndex {
        let mut index = OptionsIndex::default();
        for (loc, ty) in options {
            let mut node = &mut index.root;
            for part in loc {
                node = node.children.entry(part).or_default();
            }
            node.option = Some(ty);
        }
        index
    }

    /// The type description of the option at `path` (None when the path
    /// leads between options), or the index of the first name not known.
    pub fn lookup(&self, path: &[String]) -> Result<Option<String>, usize> {
        let mut node = &self.root;
        for (i, p) in path.iter().enumerate() {
            node = Self::child(node, p).ok_or(i)?;
        }
        Ok(node.option.clone())
    }

    fn child<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
        node.children
            .get(key)
            .or_else(|| node.children.get("<name>"))
            .or_else(|| {
                node.children
                    .iter()
                    .find(|(k, _)| k.starts_with('<') && k.ends_with('>'))
                    .map(|(_, n)| n)
            })
    }

    /// Names known beside `path` (for "did you mean").
    pub fn siblings(&self, path: &[String]) -> Vec<String> {
        let mut node = &self.root;
        for p in path {
            match Self::child(node, p) {
                Some(n) => node = n,
                None => return Vec::new(),
            }
        }
        node.children.keys().cloned().collect()
    }
}

/// An option path as NixOS shows it: `a.b."c.d".e`.
pub fn show_path(path: &[String]) -> String {
    path.iter()
        .map(|p| {
            let plain = !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-'<>*".contains(c))
                && !p.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '\'');
            if plain {
                p.clone()
            } else {
                format!("{p:?}")
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// `a.b."c.d".e` → [a, b, c.d, e]
fn split_name(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in name.chars() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    parts
}

/// What checking one definition against the index found.
#[derive(Debug, PartialEq)]
pub enum Finding {
    /// The option exists and the value has its type (still not compiled).
    Known(String),
    /// No such option: its path and the names beside it.
    Unknown(Vec<String>, Vec<String>),
    /// The value does not have the declared type.
    Mismatch(String, String),
}

/// Checks a definition of `path` with `value` against the index.
pub fn check_definition(
    ev: &mut Evaluator,
    index: &OptionsIndex,
    path: &[String],
    value: &Value,
    out: &mut Vec<Finding>,
) -> Result<(), EvalError> {
    let mut node = &index.root;
    for (i, p) in path.iter().enumerate() {
        match OptionsIndex::child(node, p) {
            Some(n) => node = n,
            None => {
                out.push(Finding::Unknown(path.to_vec(), index.siblings(&path[..i])));
                return Ok(());
            }
        }
    }
    walk(ev, node, path.to_vec(), value, out)
}

fn walk(
    ev: &mut Evaluator,
    node: &Node,
    path: Vec<String>,
    value: &Value,
    out: &mut Vec<Finding>,
) -> Result<(), EvalError> {
    let name = show_path(&path);
    if let Some(ty) = &node.option {
        if !node.children.is_empty() {
            // A submodule option: its own sub-options are listed too.
            if let Value::Attrs(a) = value {
                let entries: Vec<_> = a
                    .entries
                    .iter()
                    .map(|e| (e.name, e.value.clone()))
                    .collect();
                for (k, t) in entries {
                    let v = ev.force(&t)?;
                    let mut p = path.clone();
                    p.push(k.as_str().to_string());
                    match OptionsIndex::child(node, k.as_str()) {
                        Some(n) => walk(ev, n, p, &v, out)?,
                        None if ty.contains("submodule") => {
                            let sib = node.children.keys().cloned().collect();
                            out.push(Finding::Unknown(p, sib));
                        }
                        None => {}
                    }
                }
                return Ok(());
            }
        }
        if has_type(ev, ty, value)? {
            out.push(Finding::Known(name));
        } else {
            out.push(Finding::Mismatch(name, ty.clone()));
        }
        return Ok(());
    }
    let Value::Attrs(a) = value else {
        out.push(Finding::Unknown(
            path.clone(),
            node.children.keys().cloned().collect(),
        ));
        return Ok(());
    };
    let entries: Vec<_> = a
        .entries
        .iter()
        .map(|e| (e.name, e.value.clone()))
        .collect();
    for (k, t) in entries {
        let mut p = path.clone();
        p.push(k.as_str().to_string());
        match OptionsIndex::child(node, k.as_str()) {
            Some(n) => {
                let v = ev.force(&t)?;
                walk(ev, n, p, &v, out)?;
            }
            None => out.push(Finding::Unknown(p, node.children.keys().cloned().collect())),
        }
    }
    Ok(())
}

/// Whether a value has the type a NixOS type description names. Types
/// it does not understand accept every value.
pub fn has_type(ev: &mut Evaluator, ty: &str, v: &Value) -> Result<bool, EvalError> {
    let ty = ty.trim();
    if let Some(inner) = strip_parens(ty) {
        return has_type(ev, inner, v);
    }
    // Alternatives bind loosest: "null or string or signed integer".
    let alts = split_top(ty, " or ");
    if alts.len() > 1 {
        for a in alts {
            if has_type(ev, a, v)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    if let Some(elem) = ty.strip_prefix("list of ") {
        let Value::List(l) = v else { return Ok(false) };
        let items: Vec<_> = l.iter().cloned().collect();
        for t in items {
            let x = ev.force(&t)?;
            if !has_type(ev, elem, &x)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    for prefix in ["attribute set of ", "lazy attribute set of "] {
        if let Some(elem) = ty.strip_prefix(prefix) {
            let Value::Attrs(a) = v else { return Ok(false) };
            let items: Vec<_> = a.entries.iter().map(|e| e.value.clone()).collect();
            for t in items {
                let x = ev.force(&t)?;
                if !has_type(ev, elem, &x)? {
                    return Ok(false);
                }
            }
            return Ok(true);
        }
    }
    if let Some(list) = ty.strip_prefix("one of ") {
        let shown = match v {
            Value::String(s) => format!("\"{}\"", s.s),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return Ok(false),
        };
        return Ok(split_top(list, ", ").iter().any(|x| x.trim() == shown));
    }
    let is_drv =
        |v: &Value| matches!(v, Value::Attrs(a) if a.get(crate::eval::Sym::new("type")).is_some());
    Ok(match ty {
        "null" => matches!(v, Value::Null),
        "boolean" => matches!(v, Value::Bool(_)),
        "floating point number" | "float" => matches!(v, Value::Float(_)),
        "number" => matches!(v, Value::Int(_) | Value::Float(_)),
        "package" => is_drv(v),
        "path" | "absolute path" => {
            matches!(v, Value::Path(_))
                || matches!(v, Value::String(s) if s.s.starts_with('/'))
                || is_drv(v)
        }
        "attribute set" | "submodule" => matches!(v, Value::Attrs(_)),
        t if t.contains("integer") => matches!(v, Value::Int(_)),
        t if t.contains("string") || t == "str" => {
            matches!(v, Value::String(_) | Value::Path(_)) || is_drv(v)
        }
        _ => true,
    })
}

/// "(x)" → "x" when the parentheses enclose the whole text.
fn strip_parens(ty: &str) -> Option<&str> {
    let inner = ty.strip_prefix('(')?.strip_suffix(')')?;
    let mut depth = 0;
    for c in inner.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return None,
            ')' => depth -= 1,
            _ => {}
        }
    }
    Some(inner)
}

/// Splits at `sep` outside parentheses and quotes.
fn split_top<'a>(s: &'a str, sep: &str) -> Vec<&'a str> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth -= 1,
            _ if !quoted && depth == 0 && s[i..].starts_with(sep) => {
                parts.push(&s[start..i]);
                i += sep.len();
                start = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&s[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_types() {
        assert_eq!(
            split_top("null or (list of (string or package))", " or "),
            vec!["null", "(list of (string or package))"]
        );
        assert_eq!(strip_parens("(a or b)"), Some("a or b"));
        assert_eq!(strip_parens("(a) or (b)"), None);
        assert_eq!(split_name("a.\"b.c\".d"), vec!["a", "b.c", "d"]);
    }
}
