//! The option reference (`nixcfg options --markdown`, docs/options.md):
//! every visible option of the embedded modules with its type, default,
//! example, description and the module that declares it.

use super::Configuration;
use crate::diagnostic::Diagnostic;
use crate::eval::{EvalError, Value};

fn eval_err(e: EvalError) -> Diagnostic {
    e.into_diagnostic()
}

/// A default or example as Nix text: `literalExpression`s verbatim.
fn nix_text(cfg: &mut Configuration, v: &Value) -> Result<String, EvalError> {
    if let Value::Attrs(_) = v {
        if let Some(Value::String(t)) = cfg.get(v, "_type")? {
            if t.s == "literalExpression" || t.s == "literalMD" {
                if let Some(Value::String(text)) = cfg.get(v, "text")? {
                    return Ok(text.s.clone());
                }
            }
        }
    }
    Ok(cfg.show(v, 2000))
}

/// `…/embedded-<hash>/nixcfg/nixos/x.nix` → `<nixcfg/nixos/x.nix>`.
fn declaration_name(file: &str) -> String {
    let Some(i) = file.find("/embedded-") else {
        return file.to_string();
    };
    match file[i + 1..].find('/') {
        Some(j) => format!("<{}>", &file[i + 1 + j + 1..]),
        None => file.to_string(),
    }
}

fn block(text: &str) -> String {
    if text.contains('\n') {
        format!(
            "\n\n  ```nix\n{}\n  ```\n",
            text.lines()
                .map(|l| format!("  {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    } else {
        format!(" `{text}`\n")
    }
}

/// One option of the reference.
#[derive(Debug, Clone)]
pub struct OptionDoc {
    /// The path, with `<name>` and `*` for attribute names and list items.
    pub loc: Vec<String>,
    pub name: String,
    pub description: String,
    pub type_: String,
    pub default: Option<String>,
    pub example: Option<String>,
    pub read_only: bool,
    pub declarations: Vec<String>,
}

/// Every visible option of `cfg`.
pub fn option_docs(cfg: &mut Configuration) -> Result<Vec<OptionDoc>, Diagnostic> {
    let list = cfg
        .ev
        .eval_string(
            "let lib = import <nixcfg/lib>; in opts: builtins.filter (o: o.visible && !o.internal) (lib.optionAttrSetToDocList opts)",
            "/".into(),
        )
        .map_err(|mut d| d.remove(0))?;
    let options = cfg.field("options").map_err(eval_err)?;
    let docs = cfg
        .ev
        .call_value(list, crate::eval::Thunk::Val(options), None)
        .map_err(eval_err)?;
    let Value::List(items) = docs else {
        return Err(Diagnostic::new(
            "nixcfg::internal",
            "option list is not a list",
            None,
        ));
    };
    let mut out = Vec::new();
    for t in items.iter() {
        let o = cfg.thunk_value(t).map_err(eval_err)?;
        let name = match cfg.get(&o, "name").map_err(eval_err)? {
            Some(Value::String(s)) => s.s.clone(),
            _ => continue,
        };
        let loc = match cfg.get(&o, "loc").map_err(eval_err)? {
            Some(Value::List(l)) => l
                .iter()
                .filter_map(|t| match cfg.thunk_value(t) {
                    Ok(Value::String(s)) => Some(s.s.clone()),
                    _ => None,
                })
                .collect(),
            _ => name.split('.').map(String::from).collect(),
        };
        let description = match cfg.get(&o, "description").map_err(eval_err)? {
            Some(Value::String(d)) => d.s.trim().to_string(),
            _ => String::new(),
        };
        let type_ = match cfg.get(&o, "type").map_err(eval_err)? {
            Some(Value::String(t)) => t.s.clone(),
            _ => String::new(),
        };
        let default = match cfg.get(&o, "default").map_err(eval_err)? {
            Some(d) => Some(nix_text(cfg, &d).map_err(eval_err)?),
            None => None,
        };
        let example = match cfg.get(&o, "example").map_err(eval_err)? {
            Some(e) => Some(nix_text(cfg, &e).map_err(eval_err)?),
            None => None,
        };
        let read_only = matches!(
            cfg.get(&o, "readOnly").map_err(eval_err)?,
            Some(Value::Bool(true))
        );
        let declarations = match cfg.get(&o, "declarations").map_err(eval_err)? {
            Some(Value::List(ds)) => ds
                .iter()
                .filter_map(|t| match cfg.thunk_value(t) {
                    Ok(Value::String(s)) => Some(declaration_name(&s.s)),
                    Ok(Value::Path(p)) => Some(declaration_name(p.as_ref())),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        out.push(OptionDoc {
            loc,
            name,
            description,
            type_,
            default,
            example,
            read_only,
            declarations,
        });
    }
    Ok(out)
}

/// The reference as Markdown.
pub fn markdown(cfg: &mut Configuration) -> Result<String, Diagnostic> {
    let docs = option_docs(cfg)?;
    let mut out = String::from(
        "# Options\n\n\
         The options nixcfg compiles, generated by `nixcfg options --markdown` from\n\
         the modules built into nixcfg (a test keeps this file current). They\n\
         follow NixOS's names, types and defaults; `docs/differences.md` lists\n\
         where nixcfg differs on purpose.\n",
    );
    for o in docs {
        out.push_str(&format!("\n## `{}`\n\n", o.name));
        if !o.description.is_empty() {
            out.push_str(&o.description);
            out.push_str("\n\n");
        }
        if !o.type_.is_empty() {
            out.push_str(&format!("- type: {}\n", o.type_));
        }
        if let Some(d) = &o.default {
            out.push_str(&format!("- default:{}", block(d)));
        }
        if let Some(e) = &o.example {
            out.push_str(&format!("- example:{}", block(e)));
        }
        if o.read_only {
            out.push_str("- read-only\n");
        }
        if !o.declarations.is_empty() {
            out.push_str(&format!("- declared in: {}\n", o.declarations.join(", ")));
        }
    }
    Ok(out)
}
