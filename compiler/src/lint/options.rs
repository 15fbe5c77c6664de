//! Option definitions as a module writes them, read from the syntax tree:
//! `a.b.c = v;` and `a = { b = { c = v; }; }` both give the path
//! `a.b.c`, through `{ … }:` module functions, `let … in`, `config = …`
//! and `lib.mkIf`/`mkMerge`/`mkDefault`/`mkForce` wrappers.

use rnix::ast::{self, HasEntry};
use rowan::ast::AstNode;
use rowan::TextRange;

#[derive(Debug, Clone)]
pub struct Def {
    pub path: Vec<String>,
    /// The range of each path segment's attribute.
    pub ranges: Vec<TextRange>,
    pub value: ast::Expr,
}

impl Def {
    /// Whether the path is `pattern` (`*` matches any one name).
    pub fn is(&self, pattern: &[&str]) -> bool {
        self.path.len() == pattern.len()
            && self
                .path
                .iter()
                .zip(pattern)
                .all(|(a, p)| *p == "*" || a == p)
    }

    /// A string literal without interpolation, and its content's range.
    pub fn literal_string(&self) -> Option<(String, TextRange)> {
        string_literal(&self.value)
    }

    pub fn literal_int(&self) -> Option<i64> {
        let e = peel(&self.value);
        let ast::Expr::Literal(l) = e else {
            return None;
        };
        l.syntax().text().to_string().parse().ok()
    }
}

pub fn string_literal(e: &ast::Expr) -> Option<(String, TextRange)> {
    let ast::Expr::Str(s) = peel(e) else {
        return None;
    };
    let mut text = String::new();
    for part in s.normalized_parts() {
        match part {
            ast::InterpolPart::Literal(t) => text.push_str(&t),
            ast::InterpolPart::Interpolation(_) => return None,
        }
    }
    Some((text, s.syntax().text_range()))
}

fn peel(e: &ast::Expr) -> ast::Expr {
    match e {
        ast::Expr::Paren(p) => p.expr().map(|x| peel(&x)).unwrap_or_else(|| e.clone()),
        _ => e.clone(),
    }
}

/// The name an attribute spells, if it is static.
pub fn attr_name(a: &ast::Attr) -> Option<String> {
    match a {
        ast::Attr::Ident(i) => Some(i.syntax().text().to_string()),
        ast::Attr::Str(s) => string_literal(&ast::Expr::Str(s.clone())).map(|(t, _)| t),
        ast::Attr::Dynamic(_) => None,
    }
}

/// The function an application calls, by its last name (`lib.mkIf` → mkIf),
/// with its arguments.
fn call(e: &ast::Expr) -> Option<(String, Vec<ast::Expr>)> {
    let mut args = Vec::new();
    let mut f = peel(e);
    while let ast::Expr::Apply(a) = &f {
        args.push(a.argument()?);
        f = peel(&a.lambda()?);
    }
    args.reverse();
    let name = match &f {
        ast::Expr::Ident(i) => i.syntax().text().to_string(),
        ast::Expr::Select(s) => s.attrpath()?.attrs().last().and_then(|a| attr_name(&a))?,
        _ => return None,
    };
    Some((name, args))
}

/// What a definition value stands for once wrappers are removed.
fn unwrap(e: &ast::Expr) -> Vec<ast::Expr> {
    if let Some((name, args)) = call(e) {
        match (name.as_str(), args.len()) {
            ("mkIf", 2) => return unwrap(&args[1]),
            ("mkMerge", 1) => {
                if let ast::Expr::List(l) = peel(&args[0]) {
                    return l.items().flat_map(|x| unwrap(&x)).collect();
                }
            }
            ("mkDefault" | "mkForce" | "mkBefore" | "mkAfter" | "mkOptionDefault", 1) => {
                return unwrap(&args[0])
            }
            ("mkOverride" | "mkOrder", 2) => return unwrap(&args[1]),
            _ => {}
        }
    }
    vec![peel(e)]
}

/// Every definition of the module in `root`.
pub fn definitions(root: &ast::Root) -> Vec<Def> {
    let mut out = Vec::new();
    let Some(mut e) = root.expr() else { return out };
    // `{ config, ... }:` and `let … in` around the module's set.
    loop {
        e = match peel(&e) {
            ast::Expr::Lambda(l) => match l.body() {
                Some(b) => b,
                None => return out,
            },
            ast::Expr::LetIn(l) => match l.body() {
                Some(b) => b,
                None => return out,
            },
            other => break e = other,
        };
    }
    for v in unwrap(&e) {
        if let ast::Expr::AttrSet(set) = v {
            // With `options`/`config` at the top, only `config` defines.
            let explicit = set.entries().any(|en| {
                matches!(&en, ast::Entry::AttrpathValue(av)
                    if av.attrpath().and_then(|p| p.attrs().next()).and_then(|a| attr_name(&a)).as_deref() == Some("config"))
            });
            walk(&set, &mut Vec::new(), &mut Vec::new(), explicit, &mut out);
        }
    }
    out
}

fn walk(
    set: &ast::AttrSet,
    path: &mut Vec<String>,
    ranges: &mut Vec<TextRange>,
    top_config: bool,
    out: &mut Vec<Def>,
) {
    if set.rec_token().is_some() && !path.is_empty() {
        return;
    }
    for entry in set.entries() {
        let ast::Entry::AttrpathValue(av) = entry else {
            continue;
        };
        let (Some(ap), Some(value)) = (av.attrpath(), av.value()) else {
            continue;
        };
        let attrs: Vec<ast::Attr> = ap.attrs().collect();
        let names: Option<Vec<String>> = attrs.iter().map(attr_name).collect();
        let Some(mut names) = names else { continue };
        let mut rs: Vec<TextRange> = attrs.iter().map(|a| a.syntax().text_range()).collect();
        if path.is_empty() && top_config {
            match names.first().map(String::as_str) {
                Some("config") => {
                    names.remove(0);
                    rs.remove(0);
                }
                _ => continue,
            }
        }
        let depth = path.len();
        path.extend(names);
        ranges.extend(rs);
        if !path.is_empty() {
            out.push(Def {
                path: path.clone(),
                ranges: ranges.clone(),
                value: value.clone(),
            });
        }
        for v in unwrap(&value) {
            if let ast::Expr::AttrSet(inner) = v {
                walk(&inner, path, ranges, false, out);
            }
        }
        path.truncate(depth);
        ranges.truncate(depth);
    }
}
