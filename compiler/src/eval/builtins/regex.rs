//! `match` and `split`: POSIX extended regular expressions, run by the
//! `regex` crate (leftmost-first where POSIX says leftmost-longest; the
//! difference only shows with ambiguous alternations).

use super::{b, Builtin};
use crate::eval::{EvalResult, Evaluator, NixString, Thunk, Value};
use crate::source::Span;
use std::rc::Rc;

thread_local! {
    static CACHE: std::cell::RefCell<rustc_hash::FxHashMap<(String, bool), Rc<regex::Regex>>> = Default::default();
}

/// Translates the POSIX ERE features the regex crate spells differently.
fn translate(re: &str) -> String {
    let mut out = String::with_capacity(re.len());
    let cs: Vec<char> = re.chars().collect();
    let mut i = 0;
    let mut in_class = false;
    while i < cs.len() {
        let c = cs[i];
        if in_class {
            if c == '[' && cs.get(i + 1) == Some(&':') {
                if let Some(end) =
                    (i + 2..cs.len().saturating_sub(1)).find(|&j| cs[j] == ':' && cs[j + 1] == ']')
                {
                    out.extend(&cs[i..end + 2]);
                    i = end + 2;
                    continue;
                }
            }
            if c == ']' {
                in_class = false;
            }
            // Inside a POSIX bracket expression a backslash is literal, and
            // `[` needs escaping for the regex crate.
            if c == '\\'
                || c == '['
                || c == '&'
                || c == '~'
                || c == '-' && cs.get(i + 1) == Some(&'-')
            {
                out.push('\\');
            }
            out.push(c);
            i += 1;
            continue;
        }
        if c == '[' {
            in_class = true;
            out.push('[');
            i += 1;
            if cs.get(i) == Some(&'^') {
                out.push('^');
                i += 1;
            }
            if cs.get(i) == Some(&']') {
                out.push_str("\\]");
                i += 1;
            }
            continue;
        }
        if c == '\\' && i + 1 < cs.len() {
            out.push(c);
            out.push(cs[i + 1]);
            i += 2;
            continue;
        }
        if c == '{' && !cs.get(i + 1).is_some_and(|d| d.is_ascii_digit()) {
            out.push_str("\\{");
            i += 1;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn compile(ev: &Evaluator, re: &str, whole: bool, s: Span) -> EvalResult<Rc<regex::Regex>> {
    let key = (re.to_string(), whole);
    if let Some(r) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(r);
    }
    let t = translate(re);
    let pattern = if whole {
        format!("^(?s:{t})$")
    } else {
        format!("(?s:{t})")
    };
    let r = regex::Regex::new(&pattern)
        .map_err(|_| ev.err(format!("invalid regular expression '{re}'"), Some(s)))?;
    let r = Rc::new(r);
    CACHE.with(|c| c.borrow_mut().insert(key, r.clone()));
    Ok(r)
}

fn captures_list(caps: &regex::Captures) -> Value {
    Value::list(
        (1..caps.len())
            .map(|i| {
                Thunk::value(match caps.get(i) {
                    Some(m) => Value::str(m.as_str()),
                    None => Value::Null,
                })
            })
            .collect(),
    )
}

fn match_(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let re = ev.arg_str(&a[0], s)?;
    let subject = ev.force_string(&a[1], s)?;
    let r = compile(ev, &re, true, s)?;
    match r.captures(&subject.s) {
        Some(c) => Ok(captures_list(&c)),
        None => Ok(Value::Null),
    }
}

fn split(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let re = ev.arg_str(&a[0], s)?;
    let subject = ev.force_string(&a[1], s)?;
    let r = compile(ev, &re, false, s)?;
    let mut out = Vec::new();
    let mut last = 0;
    for c in r.captures_iter(&subject.s) {
        let m = c.get(0).expect("group 0");
        out.push(Thunk::value(NixString::with_ctx(
            &subject.s[last..m.start()],
            subject.ctx.clone(),
        )));
        out.push(Thunk::value(captures_list(&c)));
        last = m.end();
    }
    out.push(Thunk::value(NixString::with_ctx(
        &subject.s[last..],
        subject.ctx.clone(),
    )));
    Ok(Value::list(out))
}

pub const BUILTINS: &[Builtin] = &[b("match", 2, match_), b("split", 2, split)];
