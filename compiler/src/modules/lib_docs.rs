//! Documentation of nixcfg's `lib` functions (for the language server):
//! the usage line comes from the function's parameters, the text from the
//! `#` comment above its definition; builtins re-exported by `lib` use
//! the builtins' own entries.

use crate::eval::builtins::docs::builtin_doc;
use crate::eval::expr::{Expr, LambdaDef, Param};
use crate::eval::{Evaluator, Sym, Value};

pub struct LibDoc {
    /// `lib.filterAttrs pred set`
    pub usage: String,
    pub text: String,
    /// `file:line`, where the function is defined.
    pub location: Option<String>,
}

/// The documentation of `lib.<path>` (for example `["types", "attrsOf"]`).
pub fn lib_doc(ev: &mut Evaluator, path: &[String]) -> Option<LibDoc> {
    let (last, parents) = path.split_last()?;
    let mut set = ev.eval_string("import <nixcfg/lib>", "/".into()).ok()?;
    for p in parents {
        let Value::Attrs(a) = &set else { return None };
        let t = a.get(Sym::new(p))?.clone();
        set = ev.force(&t).ok()?;
    }
    let Value::Attrs(a) = &set else { return None };
    let attr = a.get_attr(Sym::new(last))?.clone();
    let value = ev.force(&attr.value).ok()?;
    let shown = format!("lib.{}", path.join("."));
    if let Value::PrimOp(op) = &value {
        let d = builtin_doc(op.name)?;
        return Some(LibDoc {
            usage: d.usage.replacen(op.name, &shown, 1),
            text: format!("{} (`builtins.{}`)", d.text, op.name),
            location: None,
        });
    }
    let usage = match &value {
        Value::Lambda(c) => format!("{shown} {}", params(&c.def)),
        _ => shown,
    };
    // The attribute's position may be an `inherit`: prefer the line that
    // defines the name in the same file.
    let (location, text) = match attr.pos.span() {
        Some(span) => {
            let file = ev.sources.get(span.file).clone();
            let line = definition_line(&file.text, last)
                .unwrap_or_else(|| file.line_col(span.start).0 as usize);
            (
                Some(format!("{}:{line}", file.name)),
                comment_above(&file.text, line),
            )
        }
        None => (None, String::new()),
    };
    Some(LibDoc {
        usage,
        text,
        location,
    })
}

/// `a b { x, y ? … }`: the parameters of a curried function.
fn params(def: &LambdaDef) -> String {
    let mut out = Vec::new();
    let mut def = def;
    loop {
        out.push(match &def.param {
            Param::Ident => def
                .param_name
                .map(|n| n.as_str().to_string())
                .unwrap_or_else(|| "x".into()),
            Param::Pattern {
                formals, ellipsis, ..
            } => {
                let mut names: Vec<String> = formals
                    .iter()
                    .map(|f| {
                        if f.default.is_some() {
                            format!("{} ? …", f.name)
                        } else {
                            f.name.to_string()
                        }
                    })
                    .collect();
                if *ellipsis {
                    names.push("...".into());
                }
                format!("{{ {} }}", names.join(", "))
            }
        });
        match &*def.body {
            Expr::Lambda(inner) => def = inner,
            _ => break,
        }
    }
    out.join(" ")
}

/// The line (1-based) of the first `name = …` binding in `text`.
fn definition_line(text: &str, name: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            l.trim_start().strip_prefix(name).is_some_and(|rest| {
                rest.trim_start().starts_with('=') && !rest.trim_start().starts_with("==")
            })
        })
        .map(|i| i + 1)
}

/// The `#` comment lines right above line `line` (1-based), as one text.
fn comment_above(text: &str, line: usize) -> String {
    let lines: Vec<&str> = text.lines().take(line.saturating_sub(1)).collect();
    let mut comment: Vec<&str> = lines
        .iter()
        .rev()
        .map(|l| l.trim())
        .take_while(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#').trim())
        .collect();
    comment.reverse();
    comment.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::EvalOptions;

    fn doc(path: &[&str]) -> LibDoc {
        let mut ev = Evaluator::new(EvalOptions::default());
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        lib_doc(&mut ev, &path).expect("documented")
    }

    #[test]
    fn usage_from_parameters_and_text_from_the_comment() {
        let d = doc(&["mkIf"]);
        assert_eq!(d.usage, "lib.mkIf condition content");
        assert!(d.text.contains("only when"), "{}", d.text);
        let at = d.location.unwrap_or_default();
        assert!(at.contains("modules.nix"), "{at}");
        let d = doc(&["mkOption"]);
        assert!(d.usage.starts_with("lib.mkOption { "), "{}", d.usage);
        let d = doc(&["types", "attrsOf"]);
        assert_eq!(d.usage, "lib.types.attrsOf elemType");
    }

    #[test]
    fn builtins_reexported_by_lib_use_the_builtin_docs() {
        let d = doc(&["attrNames"]);
        assert_eq!(d.usage, "lib.attrNames set");
        assert!(d.text.contains("builtins.attrNames"));
    }
}
