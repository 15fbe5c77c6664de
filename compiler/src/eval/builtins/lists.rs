//! List builtins.

use super::{b, Builtin};
use crate::eval::expr::{mentions, BinOp, Expr, Param};
use crate::eval::value::ThunkState;
use crate::eval::{Attr, Attrs, EvalResult, Evaluator, Thunk, Value};
use crate::source::{Pos, Span};
use std::rc::Rc;

fn length(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    Ok(Value::Int(ev.arg_list(&a[0], s)?.len() as i64))
}

fn head(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let l = ev.arg_list(&a[0], s)?;
    match l.first() {
        Some(t) => {
            let t = t.clone();
            ev.force(&t)
        }
        None => Err(ev.err("'builtins.head' called on an empty list", Some(s))),
    }
}

fn tail(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let l = ev.arg_list(&a[0], s)?;
    if l.is_empty() {
        return Err(ev.err("'builtins.tail' called on an empty list", Some(s)));
    }
    Ok(Value::list(l[1..].to_vec()))
}

fn elem_at(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let l = ev.arg_list(&a[0], s)?;
    let i = ev.arg_int(&a[1], s)?;
    if i < 0 || i as usize >= l.len() {
        return Err(ev.err(
            format!(
                "'builtins.elemAt' called with index {i} on a list of size {}",
                l.len()
            ),
            Some(s),
        ));
    }
    let t = l[i as usize].clone();
    ev.force(&t)
}

fn elem(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let x = ev.force(&a[0])?;
    let l = ev.arg_list(&a[1], s)?;
    for t in l.iter() {
        let y = ev.force(t)?;
        if ev.values_equal(&x, &y, s)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn map(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let f = ev.force(&a[0])?;
    let l = ev.arg_list(&a[1], s)?;
    let cheap = Evaluator::cheap_function(&f);
    let out = l
        .iter()
        .map(|t| match cheap.then(|| ev.eager_apply(&f, t)).flatten() {
            Some(v) => Thunk::Val(v),
            None => ev
                .heap
                .thunk(ThunkState::Apply(Box::new((f.clone(), t.clone())))),
        })
        .collect();
    Ok(Value::list(out))
}

fn call_bool(ev: &mut Evaluator, f: &Value, args: &[Thunk], s: Span) -> EvalResult<bool> {
    match ev.apply(f, args, s)? {
        Value::Bool(b) => Ok(b),
        o => Err(ev.type_err("a Boolean", &o, Some(s))),
    }
}

fn filter(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let f = ev.force(&a[0])?;
    let l = ev.arg_list(&a[1], s)?;
    let mut out = Vec::new();
    for t in l.iter() {
        if call_bool(ev, &f, std::slice::from_ref(t), s)? {
            out.push(t.clone());
        }
    }
    if out.len() == l.len() {
        return Ok(Value::List(l));
    }
    Ok(Value::list(out))
}

fn foldl_strict(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let f = ev.arg_fn(&a[0], s)?;
    let l = ev.arg_list(&a[2], s)?;
    if l.is_empty() {
        return ev.force(&a[1]);
    }
    if let Some(v) = fold_update(ev, &f, &a[1], &l)? {
        return Ok(v);
    }
    // The initial accumulator is passed lazily; every result is forced.
    let mut acc = a[1].clone();
    for t in l.iter() {
        acc = Thunk::value(ev.call_value2(f.clone(), acc, t.clone(), Some(s))?);
    }
    ev.force(&acc)
}

/// `foldl' (acc: x: acc // e) init list` where `e` does not read `acc`:
/// the accumulator is then held by this loop alone, so each `//` adds to
/// it in place instead of copying the whole set (building a set one
/// attribute at a time is otherwise quadratic in copies). `None` when the
/// function has another shape or the accumulator is not a set: the
/// general loop then runs (and reports what `//` reports).
fn fold_update(
    ev: &mut Evaluator,
    f: &Value,
    init: &Thunk,
    l: &[Thunk],
) -> EvalResult<Option<Value>> {
    let Value::Lambda(c) = f else { return Ok(None) };
    let (Param::Ident, Expr::Lambda(inner)) = (&c.def.param, &*c.def.body) else {
        return Ok(None);
    };
    let (
        Param::Ident,
        Expr::Bin {
            op: BinOp::Update,
            lhs,
            rhs,
            span,
            ..
        },
    ) = (&inner.param, &*inner.body)
    else {
        return Ok(None);
    };
    if !matches!(**lhs, Expr::Var { depth: 1, slot: 0 }) || mentions(rhs, 1, 0) {
        return Ok(None);
    }
    let Value::Attrs(mut acc) = ev.force(init)? else {
        return Ok(None);
    };
    for t in l {
        // `acc`'s slot is never read: it holds null, not the set.
        let outer = ev.heap.env(
            smallvec::smallvec![Thunk::value(Value::Null)],
            Some(c.env.clone()),
        );
        let frame = ev.heap.env(smallvec::smallvec![t.clone()], Some(outer));
        ev.enter()?;
        let r = ev.eval(rhs, &frame);
        ev.leave();
        let other = match r? {
            Value::Attrs(o) => o,
            o => {
                return Err(ev
                    .type_err("a set", &o, Some(*span))
                    .context("in the operands of the update (//) operator", Some(*span)))
            }
        };
        match Rc::get_mut(&mut acc) {
            Some(attrs) => attrs.update_in_place(&other),
            None => acc = Rc::new(acc.update(&other)),
        }
    }
    Ok(Some(Value::Attrs(acc)))
}

fn gen_list(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let f = ev.force(&a[0])?;
    let n = ev.arg_int(&a[1], s)?;
    if n < 0 {
        return Err(ev.err(format!("cannot create list of size {n}"), Some(s)));
    }
    let cheap = Evaluator::cheap_function(&f);
    let out = (0..n)
        .map(|i| {
            let i = Thunk::value(Value::Int(i));
            match cheap.then(|| ev.eager_apply(&f, &i)).flatten() {
                Some(v) => Thunk::Val(v),
                None => ev.heap.thunk(ThunkState::Apply(Box::new((f.clone(), i)))),
            }
        })
        .collect();
    Ok(Value::list(out))
}

fn concat_lists(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let l = ev.arg_list(&a[0], s)?;
    let mut out = Vec::new();
    for t in l.iter() {
        out.extend(ev.arg_list(t, s)?.iter().cloned());
    }
    Ok(Value::list(out))
}

fn concat_map(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let f = ev.force(&a[0])?;
    let l = ev.arg_list(&a[1], s)?;
    let mut out = Vec::new();
    for t in l.iter() {
        match ev.apply(&f, std::slice::from_ref(t), s)? {
            Value::List(x) => out.extend(x.iter().cloned()),
            o => return Err(ev.type_err("a list", &o, Some(s))),
        }
    }
    Ok(Value::list(out))
}

fn any(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let f = ev.force(&a[0])?;
    let l = ev.arg_list(&a[1], s)?;
    for t in l.iter() {
        if call_bool(ev, &f, std::slice::from_ref(t), s)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn all(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let f = ev.force(&a[0])?;
    let l = ev.arg_list(&a[1], s)?;
    for t in l.iter() {
        if !call_bool(ev, &f, std::slice::from_ref(t), s)? {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

/// A stable merge sort whose comparator may fail.
fn merge_sort(
    ev: &mut Evaluator,
    items: &mut Vec<Thunk>,
    less: &mut dyn FnMut(&mut Evaluator, &Thunk, &Thunk) -> EvalResult<bool>,
) -> EvalResult<()> {
    let n = items.len();
    if n < 2 {
        return Ok(());
    }
    // Insertion sort for short runs, then bottom-up merges.
    let run = 16;
    for start in (0..n).step_by(run) {
        let end = (start + run).min(n);
        for i in start + 1..end {
            let mut j = i;
            while j > start && less(ev, &items[j], &items[j - 1])? {
                items.swap(j, j - 1);
                j -= 1;
            }
        }
    }
    let mut width = run;
    let mut buf: Vec<Thunk> = Vec::with_capacity(n);
    while width < n {
        buf.clear();
        for start in (0..n).step_by(2 * width) {
            let mid = (start + width).min(n);
            let end = (start + 2 * width).min(n);
            let (mut i, mut j) = (start, mid);
            while i < mid && j < end {
                if less(ev, &items[j], &items[i])? {
                    buf.push(items[j].clone());
                    j += 1;
                } else {
                    buf.push(items[i].clone());
                    i += 1;
                }
            }
            buf.extend_from_slice(&items[i..mid]);
            buf.extend_from_slice(&items[j..end]);
        }
        std::mem::swap(items, &mut buf);
        width *= 2;
    }
    Ok(())
}

fn sort(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let f = ev.arg_fn(&a[0], s)?;
    let l = ev.arg_list(&a[1], s)?;
    let mut items = l.to_vec();
    merge_sort(ev, &mut items, &mut |ev, x, y| {
        call_bool(ev, &f, &[x.clone(), y.clone()], s)
    })?;
    Ok(Value::list(items))
}

fn partition(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let f = ev.force(&a[0])?;
    let l = ev.arg_list(&a[1], s)?;
    let (mut right, mut wrong) = (Vec::new(), Vec::new());
    for t in l.iter() {
        if call_bool(ev, &f, std::slice::from_ref(t), s)? {
            right.push(t.clone());
        } else {
            wrong.push(t.clone());
        }
    }
    let entries = vec![
        Attr {
            name: crate::eval::Sym::new("right"),
            value: Thunk::value(Value::list(right)),
            pos: Pos::NONE,
        },
        Attr {
            name: crate::eval::Sym::new("wrong"),
            value: Thunk::value(Value::list(wrong)),
            pos: Pos::NONE,
        },
    ];
    Ok(Value::attrs(Attrs::from_sorted(entries)))
}

fn group_by(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let f = ev.force(&a[0])?;
    let l = ev.arg_list(&a[1], s)?;
    let mut groups: rustc_hash::FxHashMap<crate::eval::Sym, Vec<Thunk>> =
        rustc_hash::FxHashMap::default();
    for t in l.iter() {
        let k = match ev.apply(&f, std::slice::from_ref(t), s)? {
            Value::String(k) => k,
            o => return Err(ev.type_err("a string", &o, Some(s))),
        };
        groups
            .entry(crate::eval::Sym::new(&k.s))
            .or_default()
            .push(t.clone());
    }
    let entries = groups
        .into_iter()
        .map(|(k, v)| Attr {
            name: k,
            value: Thunk::value(Value::list(v)),
            pos: Pos::NONE,
        })
        .collect();
    Ok(Value::attrs(Attrs::from_unsorted(entries)))
}

fn generic_closure(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let args = ev.arg_attrs(&a[0], s)?;
    let start = args
        .get(crate::eval::Sym::new("startSet"))
        .cloned()
        .ok_or_else(|| ev.err("attribute 'startSet' missing", Some(s)))?;
    let op = args
        .get(crate::eval::Sym::new("operator"))
        .cloned()
        .ok_or_else(|| ev.err("attribute 'operator' missing", Some(s)))?;
    let op = ev.force(&op)?;
    let mut queue: std::collections::VecDeque<Thunk> =
        ev.arg_list(&start, s)?.iter().cloned().collect();
    let key = crate::eval::Sym::new("key");
    let mut seen: Vec<Value> = Vec::new();
    let mut seen_fast: rustc_hash::FxHashSet<String> = rustc_hash::FxHashSet::default();
    let mut out = Vec::new();
    let mut first_key: Option<Value> = None;
    while let Some(t) = queue.pop_front() {
        let item = ev.arg_attrs(&t, s)?;
        let k = item
            .get(key)
            .cloned()
            .ok_or_else(|| ev.err("attribute 'key' required", Some(s)))?;
        let k = ev.force(&k)?;
        let class = |v: &Value| match v {
            Value::Int(_) | Value::Float(_) => 0,
            Value::String(_) => 1,
            Value::Path(_) => 2,
            Value::List(_) => 3,
            _ => 4,
        };
        if let Some(first) = &first_key {
            let (c1, c2) = (class(first), class(&k));
            if c1 == 4 || c2 == 4 {
                return Err(ev.err(format!("cannot compare {} with {}; values of that type are incomparable (values are {} and {})", k.type_name(), first.type_name(), ev.show_short(&k), ev.show_short(first)), Some(s)));
            }
            if c1 != c2 {
                return Err(ev.err(
                    format!(
                        "cannot compare {} with {}; values are {} and {}",
                        k.type_name(),
                        first.type_name(),
                        ev.show_short(&k),
                        ev.show_short(first)
                    ),
                    Some(s),
                ));
            }
        } else {
            first_key = Some(k.clone());
        }
        let fast = match &k {
            Value::Int(i) => Some(format!("i{i}")),
            Value::String(x) => Some(format!("s{}", x.s)),
            Value::Path(p) => Some(format!("p{p}")),
            _ => None,
        };
        let is_new = match fast {
            Some(f) => seen_fast.insert(f),
            None => {
                let mut found = false;
                for x in &seen {
                    let numbers = matches!(x, Value::Int(_) | Value::Float(_))
                        && matches!(k, Value::Int(_) | Value::Float(_));
                    if std::mem::discriminant(x) != std::mem::discriminant(&k) && !numbers {
                        return Err(ev.err(
                            format!("cannot compare {} with {}", x.type_name(), k.type_name()),
                            Some(s),
                        ));
                    }
                    if ev.values_equal(x, &k, s)? {
                        found = true;
                        break;
                    }
                }
                if !found {
                    seen.push(k.clone());
                }
                !found
            }
        };
        if !is_new {
            continue;
        }
        out.push(t.clone());
        match ev.apply(&op, std::slice::from_ref(&t), s)? {
            Value::List(l) => queue.extend(l.iter().cloned()),
            o => return Err(ev.type_err("a list", &o, Some(s))),
        }
    }
    Ok(Value::list(out))
}

pub const BUILTINS: &[Builtin] = &[
    b("length", 1, length),
    b("head", 1, head),
    b("tail", 1, tail),
    b("elemAt", 2, elem_at),
    b("elem", 2, elem),
    b("map", 2, map),
    b("filter", 2, filter),
    b("foldl'", 3, foldl_strict),
    b("genList", 2, gen_list),
    b("concatLists", 1, concat_lists),
    b("concatMap", 2, concat_map),
    b("any", 2, any),
    b("all", 2, all),
    b("sort", 2, sort),
    b("partition", 2, partition),
    b("groupBy", 2, group_by),
    b("genericClosure", 1, generic_closure),
];

#[cfg(test)]
mod tests {
    use crate::eval::{EvalOptions, Evaluator, Value};

    fn holds(expr: &str) -> bool {
        let mut ev = Evaluator::new(EvalOptions::default());
        let v = ev.eval_string(expr, "/".into()).expect("evaluates");
        let v = ev.force_deep(&v).map(|_| v).expect("forces");
        matches!(v, Value::Bool(true))
    }

    /// `foldl'` with `acc: x: acc // e` (updated in place when `e` does
    /// not read `acc`) gives what `//` gives; the results agree with Nix.
    #[test]
    fn folds_that_update_a_set() {
        for (expr, want) in [
            (r#"builtins.foldl' (s: i: s // { "k${toString i}" = i; }) {} [1 2 3]"#, "{ k1 = 1; k2 = 2; k3 = 3; }"),
            (r#"builtins.foldl' (s: i: s // { "k${toString i}" = (s.k1 or 0) + i; }) {} [1 2 3]"#, "{ k1 = 1; k2 = 3; k3 = 4; }"),
            ("builtins.foldl' (acc: x: acc // (let y = acc; in { a = x; b = builtins.attrNames y; })) {} [1 2 3]", r#"{ a = 3; b = [ "a" "b" ]; }"#),
            ("builtins.foldl' (acc: x: acc // ((acc: { a = acc; }) x)) {} [1 2 3]", "{ a = 3; }"),
            ("let init = { a = 0; }; r = builtins.foldl' (s: i: s // { a = i; z = i; }) init [5 6]; in [ init r ]", "[ { a = 0; } { a = 6; z = 6; } ]"),
            ("builtins.foldl' (s: i: s // (with s; { c = i; })) { a = 0; } [5 6]", "{ a = 0; c = 6; }"),
            ("builtins.foldl' (s: i: s // rec { c = i; d = c; }) { a = 0; } [5 6]", "{ a = 0; c = 6; d = 6; }"),
            ("builtins.foldl' (s: i: s // { inherit (s) a; b = i; }) { a = 1; } [5 6]", "{ a = 1; b = 6; }"),
        ] {
            assert!(holds(&format!("({expr}) == {want}")), "{expr}");
        }
    }
}
