//! `parseFlakeRef` and `flakeRefToString`: the attribute form of flake
//! references, without fetching anything.

use super::{b, Builtin};
use crate::eval::{Attr, Attrs, EvalResult, Evaluator, Sym, Thunk, Value};
use crate::source::{Pos, Span};

fn is_rev(s: &str) -> bool {
    s.len() == 40 && s.chars().all(|c| c.is_ascii_hexdigit())
}

fn attr(n: &str, v: Value) -> Attr {
    Attr {
        name: Sym::new(n),
        value: Thunk::value(v),
        pos: Pos::NONE,
    }
}

fn query_value(v: &str) -> Value {
    match v.parse::<i64>() {
        Ok(i) if !v.starts_with('0') || v == "0" => Value::Int(i),
        _ => Value::str(v),
    }
}

fn parse_flake_ref(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let r = ev.arg_str(&a[0], s)?;
    let (main, query) = r
        .split_once('?')
        .map(|(m, q)| (m, Some(q)))
        .unwrap_or((&r, None));
    let mut entries = Vec::new();
    let bad = |ev: &Evaluator| ev.err(format!("'{r}' is not a valid flake reference"), Some(s));
    if let Some((ty, rest)) = main
        .split_once(':')
        .filter(|(t, _)| matches!(*t, "github" | "gitlab" | "sourcehut"))
    {
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.len() < 2 || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(bad(ev));
        }
        entries.push(attr("type", Value::str(ty)));
        entries.push(attr("owner", Value::str(parts[0])));
        entries.push(attr("repo", Value::str(parts[1])));
        if let Some(x) = parts.get(2) {
            entries.push(attr(if is_rev(x) { "rev" } else { "ref" }, Value::str(*x)));
        }
    } else if let Some(p) = main.strip_prefix("path:") {
        entries.push(attr("type", Value::str("path")));
        entries.push(attr("path", Value::str(p)));
    } else if main.starts_with('/') || main.starts_with('.') {
        entries.push(attr("type", Value::str("path")));
        entries.push(attr("path", Value::str(main)));
    } else if let Some((scheme, _)) = main.split_once("://") {
        let (ty, url) = match scheme.split_once('+') {
            Some((t, _)) => (t, main.split_once('+').map(|x| x.1).unwrap_or(main)),
            None => ("tarball", main),
        };
        entries.push(attr("type", Value::str(ty)));
        entries.push(attr("url", Value::str(url)));
    } else {
        let id = main.strip_prefix("flake:").unwrap_or(main);
        let parts: Vec<&str> = id.split('/').collect();
        if parts.is_empty()
            || parts[0].is_empty()
            || !parts[0]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
        {
            return Err(bad(ev));
        }
        entries.push(attr("type", Value::str("indirect")));
        entries.push(attr("id", Value::str(parts[0])));
        if let Some(x) = parts.get(1) {
            entries.push(attr(if is_rev(x) { "rev" } else { "ref" }, Value::str(*x)));
        }
    }
    if let Some(q) = query {
        for kv in q.split('&').filter(|x| !x.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            entries.push(attr(k, query_value(v)));
        }
    }
    Ok(Value::attrs(Attrs::from_unsorted(entries)))
}

fn flake_ref_to_string(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let set = ev.arg_attrs(&a[0], s)?;
    let mut fields: Vec<(String, String)> = Vec::new();
    for e in set.entries.iter() {
        let v = ev.force(&e.value)?;
        let text = match v {
            Value::String(x) => x.s.clone(),
            Value::Int(i) if i >= 0 => i.to_string(),
            Value::Int(i) => return Err(ev.err(format!("negative value given for flake input attribute {}: {i}", e.name), Some(s))),
            Value::Bool(b) => if b { "1".into() } else { "0".into() },
            o => return Err(ev.err(format!("flake input attribute '{}' is {} while a string, Boolean, or integer is expected", e.name, o.type_name()), Some(s))),
        };
        fields.push((e.name.as_str().to_string(), text));
    }
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let ty = get("type").ok_or_else(|| {
        ev.err(
            "attribute 'type' missing in call to 'flakeRefToString'",
            Some(s),
        )
    })?;
    let (base, used): (String, &[&str]) = match ty.as_str() {
        "github" | "gitlab" | "sourcehut" => {
            let mut b = format!(
                "{ty}:{}/{}",
                get("owner").unwrap_or_default(),
                get("repo").unwrap_or_default()
            );
            if let Some(r) = get("ref").or_else(|| get("rev")) {
                b.push('/');
                b.push_str(&r);
            }
            (b, &["type", "owner", "repo", "ref", "rev"])
        }
        "path" => (
            format!("path:{}", get("path").unwrap_or_default()),
            &["type", "path"],
        ),
        "indirect" => {
            let mut b = format!("flake:{}", get("id").unwrap_or_default());
            if let Some(r) = get("ref").or_else(|| get("rev")) {
                b.push('/');
                b.push_str(&r);
            }
            (b, &["type", "id", "ref", "rev"])
        }
        "tarball" | "file" => (get("url").unwrap_or_default(), &["type", "url"]),
        t => (
            format!("{t}+{}", get("url").unwrap_or_default()),
            &["type", "url"],
        ),
    };
    let query: Vec<String> = fields
        .iter()
        .filter(|(k, _)| !used.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let out = if query.is_empty() {
        base
    } else {
        format!("{base}?{}", query.join("&"))
    };
    Ok(Value::str(out))
}

pub const BUILTINS: &[Builtin] = &[
    b("parseFlakeRef", 1, parse_flake_ref),
    b("flakeRefToString", 1, flake_ref_to_string),
];
