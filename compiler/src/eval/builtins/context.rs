//! String context introspection: `getContext`, `appendContext`, ….

use super::{b, Builtin};
use crate::eval::value::Context;
use crate::eval::{Attr, Attrs, EvalResult, Evaluator, NixString, Sym, Thunk, Value};
use crate::source::{Pos, Span};
use std::collections::BTreeMap;

fn get_context(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let st = ev.force_string(&a[0], s)?;
    // path → (plain, allOutputs, outputs)
    let mut info: BTreeMap<String, (bool, bool, Vec<String>)> = BTreeMap::new();
    for c in st.ctx.iter() {
        if let Some(p) = c.strip_prefix('=') {
            info.entry(p.to_string()).or_default().1 = true;
        } else if let Some(rest) = c.strip_prefix('!') {
            let (out, p) = rest.split_once('!').unwrap_or((rest, ""));
            info.entry(p.to_string())
                .or_default()
                .2
                .push(out.to_string());
        } else {
            info.entry(c.clone()).or_default().0 = true;
        }
    }
    let entries = info
        .into_iter()
        .map(|(p, (plain, all, outs))| {
            let mut e = Vec::new();
            if all {
                e.push(Attr {
                    name: Sym::new("allOutputs"),
                    value: Thunk::value(Value::Bool(true)),
                    pos: Pos::NONE,
                });
            }
            if !outs.is_empty() {
                e.push(Attr {
                    name: Sym::new("outputs"),
                    value: Thunk::value(Value::list(
                        outs.into_iter()
                            .map(|o| Thunk::value(Value::str(o)))
                            .collect(),
                    )),
                    pos: Pos::NONE,
                });
            }
            if plain {
                e.push(Attr {
                    name: Sym::new("path"),
                    value: Thunk::value(Value::Bool(true)),
                    pos: Pos::NONE,
                });
            }
            Attr {
                name: Sym::new(&p),
                value: Thunk::value(Value::attrs(Attrs::from_unsorted(e))),
                pos: Pos::NONE,
            }
        })
        .collect();
    Ok(Value::attrs(Attrs::from_unsorted(entries)))
}

fn has_context(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    Ok(Value::Bool(!ev.force_string(&a[0], s)?.ctx.is_empty()))
}

fn discard(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    Ok(Value::str(ev.force_string(&a[0], s)?.s.clone()))
}

fn discard_output_dependency(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let st = ev.force_string(&a[0], s)?;
    let ctx = st
        .ctx
        .iter()
        .map(|c| {
            c.strip_prefix('=')
                .map(str::to_string)
                .unwrap_or_else(|| c.clone())
        })
        .collect();
    Ok(NixString::with_ctx(st.s.clone(), ctx))
}

fn add_drv_output_dependencies(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let st = ev.force_string(&a[0], s)?;
    if st.ctx.len() != 1 {
        return Err(ev.err(
            format!(
                "context of string '{}' must have exactly one element, but has {}",
                st.s,
                st.ctx.len()
            ),
            Some(s),
        ));
    }
    let c = st.ctx.iter().next().expect("one element").clone();
    let new = if c.starts_with('!') {
        return Err(ev.err(format!("`addDrvOutputDependencies` can only act on derivations, not on a derivation output such as '{}'", c.rsplit('!').next().unwrap_or("")), Some(s)));
    } else if c.starts_with('=') {
        c
    } else {
        if !c.ends_with(".drv") {
            return Err(ev.err(format!("path '{c}' is not a derivation"), Some(s)));
        }
        format!("={c}")
    };
    let mut ctx = Context::new();
    ctx.insert(new);
    Ok(NixString::with_ctx(st.s.clone(), ctx))
}

fn append_context(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let st = ev.force_string(&a[0], s)?;
    let add = ev.arg_attrs(&a[1], s)?;
    let mut ctx = st.ctx.clone();
    let store = ev.opts.store_dir.clone();
    for e in add.entries.iter() {
        let path = e.name.as_str();
        if !path.starts_with(&format!("{store}/")) {
            return Err(ev.err(format!("context key '{path}' is not a store path"), Some(s)));
        }
        let info = ev.arg_attrs(&e.value, s)?;
        if let Some(t) = info.get(Sym::new("path")).cloned() {
            if ev.arg_bool(&t, s)? {
                ctx.insert(path.to_string());
            }
        }
        if let Some(t) = info.get(Sym::new("allOutputs")).cloned() {
            if ev.arg_bool(&t, s)? {
                if !path.ends_with(".drv") {
                    return Err(ev.err(format!("tried to add all-outputs context of {path}, which is not a derivation, to a string"), Some(s)));
                }
                ctx.insert(format!("={path}"));
            }
        }
        if let Some(t) = info.get(Sym::new("outputs")).cloned() {
            let outs = ev.arg_list(&t, s)?;
            if !outs.is_empty() && !path.ends_with(".drv") {
                return Err(ev.err(format!("tried to add derivation output context of {path}, which is not a derivation, to a string"), Some(s)));
            }
            for o in outs.iter() {
                let o = ev.arg_str(o, s)?;
                ctx.insert(format!("!{o}!{path}"));
            }
        }
    }
    Ok(NixString::with_ctx(st.s.clone(), ctx))
}

pub const BUILTINS: &[Builtin] = &[
    b("getContext", 1, get_context),
    b("hasContext", 1, has_context),
    b("unsafeDiscardStringContext", 1, discard),
    b(
        "unsafeDiscardOutputDependency",
        1,
        discard_output_dependency,
    ),
    b("addDrvOutputDependencies", 1, add_drv_output_dependencies),
    b("appendContext", 2, append_context),
];
