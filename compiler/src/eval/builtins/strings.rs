//! String builtins.

use super::{b, Builtin};
use crate::eval::coerce::Coerce;
use crate::eval::value::Context;
use crate::eval::{Attr, Attrs, EvalResult, Evaluator, NixString, Sym, Thunk, Value};
use crate::source::{Pos, Span};

/// A byte slice of a string; cuts inside a character are made valid.
pub fn byte_slice(s: &str, start: usize, end: usize) -> String {
    let b = s.as_bytes();
    let (start, end) = (start.min(b.len()), end.min(b.len()));
    match std::str::from_utf8(&b[start..end]) {
        Ok(x) => x.to_string(),
        Err(_) => String::from_utf8_lossy(&b[start..end]).into_owned(),
    }
}

fn string_length(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let (st, _) = ev.arg_coerce(&a[0], s, Coerce::Interp)?;
    Ok(Value::Int(st.len() as i64))
}

fn substring(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let start = ev.arg_int(&a[0], s)?;
    let len = ev.arg_int(&a[1], s)?;
    let (st, ctx) = ev.arg_coerce(&a[2], s, Coerce::Interp)?;
    if start < 0 {
        return Err(ev.err("negative start position in 'substring'", Some(s)));
    }
    let start = start as usize;
    if start >= st.len() {
        return Ok(NixString::with_ctx("", ctx));
    }
    let end = if len < 0 {
        st.len()
    } else {
        start.saturating_add(len as usize).min(st.len())
    };
    Ok(NixString::with_ctx(byte_slice(&st, start, end), ctx))
}

fn concat_strings_sep(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let sep = ev.force_string(&a[0], s)?;
    let l = ev.arg_list(&a[1], s)?;
    let mut out = String::new();
    let mut ctx: Context = sep.ctx.clone();
    for (i, t) in l.iter().enumerate() {
        if i > 0 {
            out.push_str(&sep.s);
        }
        let (x, c) = ev.arg_coerce(t, s, Coerce::Interp)?;
        out.push_str(&x);
        ctx.extend(c);
    }
    Ok(NixString::with_ctx(out, ctx))
}

fn replace_strings(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let from = ev.arg_list(&a[0], s)?;
    let to = ev.arg_list(&a[1], s)?;
    let subject = ev.force_string(&a[2], s)?;
    if from.len() != to.len() {
        return Err(ev.err(
            "'from' and 'to' arguments passed to builtins.replaceStrings have different lengths",
            Some(s),
        ));
    }
    let mut froms = Vec::with_capacity(from.len());
    for t in from.iter() {
        froms.push(ev.force_string(t, s)?);
    }
    let mut tos: Vec<Option<std::rc::Rc<NixString>>> = vec![None; to.len()];
    let mut ctx = subject.ctx.clone();
    let src = subject.s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(src.len());
    let mut i = 0;
    while i <= src.len() {
        let mut matched = false;
        for (k, f) in froms.iter().enumerate() {
            let fb = f.s.as_bytes();
            if src[i..].starts_with(fb) {
                if tos[k].is_none() {
                    tos[k] = Some(ev.force_string(&to[k], s)?);
                }
                let r = tos[k].as_ref().expect("forced above");
                out.extend_from_slice(r.s.as_bytes());
                ctx.extend(r.ctx.iter().cloned());
                matched = true;
                if fb.is_empty() {
                    if i < src.len() {
                        // Copy one whole character after an empty match.
                        let ch = subject.s[i..]
                            .chars()
                            .next()
                            .map(|c| c.len_utf8())
                            .unwrap_or(1);
                        out.extend_from_slice(&src[i..i + ch]);
                        i += ch;
                    } else {
                        i += 1;
                    }
                } else {
                    i += fb.len();
                }
                break;
            }
        }
        if !matched {
            if i < src.len() {
                out.push(src[i]);
            }
            i += 1;
        }
    }
    Ok(NixString::with_ctx(
        String::from_utf8_lossy(&out).into_owned(),
        ctx,
    ))
}

/// Nix's version components: runs of digits, or of other characters,
/// split at `.` and `-`.
pub fn split_version(v: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b: Vec<char> = v.chars().collect();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == '.' || c == '-' {
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        } else {
            while i < b.len() && !b[i].is_ascii_digit() && b[i] != '.' && b[i] != '-' {
                i += 1;
            }
        }
        out.push(b[start..i].iter().collect());
    }
    out
}

fn component_less(c1: &str, c2: &str) -> bool {
    let n1 = c1
        .parse::<u64>()
        .ok()
        .filter(|_| !c1.is_empty() && c1.chars().all(|c| c.is_ascii_digit()));
    let n2 = c2
        .parse::<u64>()
        .ok()
        .filter(|_| !c2.is_empty() && c2.chars().all(|c| c.is_ascii_digit()));
    match (n1, n2) {
        (Some(a), Some(b)) => a < b,
        _ => {
            // Nix's rules: empty < number; "pre" < anything else; numbers
            // sort after words; words compare as strings.
            (c1.is_empty() && n2.is_some())
                || (c1 == "pre" && c2 != "pre")
                || (c2 != "pre" && n1.is_none() && (n2.is_some() || c1 < c2))
        }
    }
}

pub fn compare_versions_str(a: &str, b: &str) -> i64 {
    let (x, y) = (split_version(a), split_version(b));
    let n = x.len().max(y.len());
    for i in 0..n {
        let c1 = x.get(i).map(String::as_str).unwrap_or("");
        let c2 = y.get(i).map(String::as_str).unwrap_or("");
        if component_less(c1, c2) {
            return -1;
        }
        if component_less(c2, c1) {
            return 1;
        }
    }
    0
}

fn compare_versions(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let x = ev.arg_str(&a[0], s)?;
    let y = ev.arg_str(&a[1], s)?;
    Ok(Value::Int(compare_versions_str(&x, &y)))
}

fn split_version_b(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let x = ev.arg_str(&a[0], s)?;
    Ok(Value::list(
        split_version(&x)
            .into_iter()
            .map(|c| Thunk::value(Value::str(c)))
            .collect(),
    ))
}

fn parse_drv_name(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let x = ev.arg_str(&a[0], s)?;
    let b = x.as_bytes();
    let mut split = b.len();
    for i in 0..b.len() {
        if b[i] == b'-' && i + 1 < b.len() && !b[i + 1].is_ascii_alphabetic() {
            split = i;
            break;
        }
    }
    let (name, version) = if split < b.len() {
        (&x[..split], &x[split + 1..])
    } else {
        (&x[..], "")
    };
    let entries = vec![
        Attr {
            name: Sym::new("name"),
            value: Thunk::value(Value::str(name)),
            pos: Pos::NONE,
        },
        Attr {
            name: Sym::new("version"),
            value: Thunk::value(Value::str(version)),
            pos: Pos::NONE,
        },
    ];
    Ok(Value::attrs(Attrs::from_sorted(entries)))
}

fn base_name_of(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let v = ev.force(&a[0])?;
    let (p, ctx) = ev.coerce_to_string(&v, s, Coerce::PathConcat)?;
    let t = p.strip_suffix('/').unwrap_or(&p);
    let base = match t.rfind('/') {
        Some(i) => &t[i + 1..],
        None => t,
    };
    Ok(NixString::with_ctx(base, ctx))
}

fn dir_of(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let v = ev.force(&a[0])?;
    let is_path = matches!(v, Value::Path(_));
    let (p, ctx) = ev.coerce_to_string(&v, s, Coerce::PathConcat)?;
    let dir = match p.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => p[..i].to_string(),
        None => ".".to_string(),
    };
    if is_path {
        Ok(Value::Path(dir.into()))
    } else {
        Ok(NixString::with_ctx(dir, ctx))
    }
}

pub const BUILTINS: &[Builtin] = &[
    b("stringLength", 1, string_length),
    b("substring", 3, substring),
    b("concatStringsSep", 2, concat_strings_sep),
    b("replaceStrings", 3, replace_strings),
    b("compareVersions", 2, compare_versions),
    b("splitVersion", 1, split_version_b),
    b("parseDrvName", 1, parse_drv_name),
    b("baseNameOf", 1, base_name_of),
    b("dirOf", 1, dir_of),
];
