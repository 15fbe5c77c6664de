//! Attribute set builtins.

use super::{b, Builtin};
use crate::eval::expr::Param;
use crate::eval::symbol::Sym;
use crate::eval::value::ThunkState;
use crate::eval::{Attr, Attrs, EvalResult, Evaluator, Thunk, Value};
use crate::source::{Pos, Span};

fn attr_names(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let set = ev.arg_attrs(&a[0], s)?;
    Ok(Value::list(
        set.entries
            .iter()
            .map(|e| Thunk::value(ev.name_string(e.name)))
            .collect(),
    ))
}

fn attr_values(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let set = ev.arg_attrs(&a[0], s)?;
    Ok(Value::list(
        set.entries.iter().map(|e| e.value.clone()).collect(),
    ))
}

fn get_attr(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let name = ev.arg_str(&a[0], s)?;
    let set = ev.arg_attrs(&a[1], s)?;
    let sym = Sym::new(&name);
    match set.get(sym) {
        Some(t) => {
            let t = t.clone();
            ev.force(&t)
        }
        None => Err(ev.missing_attr(sym, &set, s)),
    }
}

fn has_attr(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let name = ev.arg_str(&a[0], s)?;
    let set = ev.arg_attrs(&a[1], s)?;
    Ok(Value::Bool(set.get(Sym::new(&name)).is_some()))
}

fn remove_attrs(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let set = ev.arg_attrs(&a[0], s)?;
    let names = ev.arg_list(&a[1], s)?;
    let mut drop = rustc_hash::FxHashSet::default();
    for t in names.iter() {
        drop.insert(Sym::new(&ev.arg_str(t, s)?));
    }
    Ok(Value::attrs(Attrs::from_sorted(
        set.entries
            .iter()
            .filter(|e| !drop.contains(&e.name))
            .cloned()
            .collect(),
    )))
}

/// Builds a set from entries in which the first of equal names wins.
pub fn first_wins(mut entries: Vec<Attr>) -> Attrs {
    entries.sort_by(|a, b| a.name.cmp_text(b.name));
    entries.dedup_by(|later, earlier| later.name == earlier.name);
    Attrs::from_sorted(entries)
}

fn list_to_attrs(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let list = ev.arg_list(&a[0], s)?;
    let mut entries = Vec::with_capacity(list.len());
    for t in list.iter() {
        let item = ev.arg_attrs(t, s)?;
        let name_t = item.get(ev.syms.name).cloned().ok_or_else(|| {
            ev.err("attribute 'name' missing", Some(s)).context(
                "while evaluating an element of the list passed to builtins.listToAttrs",
                Some(s),
            )
        })?;
        let name = ev.arg_str(&name_t, s)?;
        let value = item.get(ev.syms.value).cloned().ok_or_else(|| {
            ev.err("attribute 'value' missing", Some(s)).context(
                "while evaluating an element of the list passed to builtins.listToAttrs",
                Some(s),
            )
        })?;
        let pos = item
            .get_attr(ev.syms.value)
            .map(|a| a.pos)
            .unwrap_or(Pos::NONE);
        entries.push(Attr {
            name: Sym::new(&name),
            value,
            pos,
        });
    }
    Ok(Value::attrs(first_wins(entries)))
}

/// `f name value` of an attribute, unevaluated.
fn lazy_call_with_name(ev: &mut Evaluator, f: &Value, e: &Attr) -> Thunk {
    let name = ev.name_string(e.name);
    ev.heap.thunk(ThunkState::Apply2(Box::new((
        f.clone(),
        Thunk::value(name),
        e.value.clone(),
    ))))
}

fn map_attrs(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let f = ev.force(&a[0])?;
    let set = ev.arg_attrs(&a[1], s)?;
    let entries = set
        .entries
        .iter()
        .map(|e| Attr {
            name: e.name,
            value: lazy_call_with_name(ev, &f, e),
            // Like Nix, the mapped set has no positions.
            pos: Pos::NONE,
        })
        .collect();
    Ok(Value::attrs(Attrs::from_sorted(entries)))
}

/// `nixcfgFilterAttrs pred set`: nixcfg's `lib.filterAttrs`, the same as
/// `removeAttrs set (filter (n: !pred n set.${n}) (attrNames set))`
/// without a Nix function call per attribute around `pred`'s.
fn filter_attrs(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let pred = ev.force(&a[0])?;
    let set = ev.arg_attrs(&a[1], s)?;
    let mut kept = Vec::with_capacity(set.entries.len());
    for e in set.entries.iter() {
        let name = Thunk::value(ev.name_string(e.name));
        match ev.apply(&pred, &[name, e.value.clone()], s)? {
            Value::Bool(true) => kept.push(e.clone()),
            Value::Bool(false) => {}
            o => return Err(ev.type_err("a Boolean", &o, Some(s))),
        }
    }
    if kept.len() == set.entries.len() {
        return Ok(Value::Attrs(set));
    }
    Ok(Value::attrs(Attrs::from_sorted(kept)))
}

/// `nixcfgPresentValues set`: how nixcfg's `attrsOf` ends its merge, the
/// same as `mapAttrs (n: v: v.value) (filterAttrs (n: v: v ? value) set)`
/// without two Nix calls per name: each attribute is forced, and of those
/// that are sets with a `value`, that value is kept (unevaluated).
fn present_values(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let set = ev.arg_attrs(&a[0], s)?;
    let value = Sym::new("value");
    let mut kept = Vec::with_capacity(set.entries.len());
    for e in set.entries.iter() {
        if let Value::Attrs(v) = ev.force(&e.value)? {
            if let Some(t) = v.get(value) {
                kept.push(Attr {
                    name: e.name,
                    value: t.clone(),
                    // As `mapAttrs` makes it: no positions.
                    pos: Pos::NONE,
                });
            }
        }
    }
    Ok(Value::attrs(Attrs::from_sorted(kept)))
}

/// `nixcfgMapAttrsToList f set`: nixcfg's `lib.mapAttrsToList`, the same
/// as `map (n: f n set.${n}) (attrNames set)`: `f n v` for each
/// attribute, lazily, in name order.
fn map_attrs_to_list(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let f = ev.force(&a[0])?;
    let set = ev.arg_attrs(&a[1], s)?;
    let items = set
        .entries
        .iter()
        .map(|e| lazy_call_with_name(ev, &f, e))
        .collect();
    Ok(Value::list(items))
}

fn intersect_attrs(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let x = ev.arg_attrs(&a[0], s)?;
    let y = ev.arg_attrs(&a[1], s)?;
    let entries = y
        .entries
        .iter()
        .filter(|e| x.get(e.name).is_some())
        .cloned()
        .collect();
    Ok(Value::attrs(Attrs::from_sorted(entries)))
}

fn cat_attrs(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let name = Sym::new(&ev.arg_str(&a[0], s)?);
    let list = ev.arg_list(&a[1], s)?;
    let mut out = Vec::new();
    for t in list.iter() {
        let set = ev.arg_attrs(t, s)?;
        if let Some(v) = set.get(name) {
            out.push(v.clone());
        }
    }
    Ok(Value::list(out))
}

fn function_args(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    match ev.force(&a[0])? {
        Value::Lambda(c) => match &c.def.param {
            Param::Ident => Ok(Value::attrs(Attrs::default())),
            Param::Pattern { formals, .. } => {
                let entries = formals
                    .iter()
                    .map(|f| Attr {
                        name: f.name,
                        value: Thunk::value(Value::Bool(f.default.is_some())),
                        pos: Pos::from(f.span),
                    })
                    .collect();
                Ok(Value::attrs(Attrs::from_unsorted(entries)))
            }
        },
        Value::PrimOp(_) | Value::PrimOpApp(_) => Ok(Value::attrs(Attrs::default())),
        o => Err(ev.type_err("a function", &o, Some(s))),
    }
}

fn zip_attrs_with(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let f = ev.force(&a[0])?;
    let list = ev.arg_list(&a[1], s)?;
    let mut groups: rustc_hash::FxHashMap<Sym, Vec<Thunk>> = rustc_hash::FxHashMap::default();
    let mut order = Vec::new();
    for t in list.iter() {
        let set = ev.arg_attrs(t, s)?;
        for e in set.entries.iter() {
            groups
                .entry(e.name)
                .or_insert_with(|| {
                    order.push(e.name);
                    Vec::new()
                })
                .push(e.value.clone());
        }
    }
    let entries = order
        .into_iter()
        .map(|n| {
            let vals = groups.remove(&n).unwrap_or_default();
            let name = ev.name_string(n);
            let t = ev.heap.thunk(ThunkState::Apply2(Box::new((
                f.clone(),
                Thunk::value(name),
                Thunk::value(Value::list(vals)),
            ))));
            Attr {
                name: n,
                value: t,
                pos: Pos::NONE,
            }
        })
        .collect();
    Ok(Value::attrs(Attrs::from_unsorted(entries)))
}

fn unsafe_get_attr_pos(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let name = ev.arg_str(&a[0], s)?;
    let set = ev.arg_attrs(&a[1], s)?;
    match set.get_attr(Sym::new(&name)).and_then(|a| a.pos.span()) {
        Some(p) => Ok(ev.pos_value(p)),
        None => Ok(Value::Null),
    }
}

pub const BUILTINS: &[Builtin] = &[
    b("nixcfgFilterAttrs", 2, filter_attrs),
    b("nixcfgMapAttrsToList", 2, map_attrs_to_list),
    b("nixcfgPresentValues", 1, present_values),
    b("attrNames", 1, attr_names),
    b("attrValues", 1, attr_values),
    b("getAttr", 2, get_attr),
    b("hasAttr", 2, has_attr),
    b("removeAttrs", 2, remove_attrs),
    b("listToAttrs", 1, list_to_attrs),
    b("mapAttrs", 2, map_attrs),
    b("intersectAttrs", 2, intersect_attrs),
    b("catAttrs", 2, cat_attrs),
    b("functionArgs", 1, function_args),
    b("zipAttrsWith", 2, zip_attrs_with),
    b("unsafeGetAttrPos", 2, unsafe_get_attr_pos),
];
