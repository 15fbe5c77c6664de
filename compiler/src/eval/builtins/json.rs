//! `toJSON` and `fromJSON`.

use super::{b, Builtin};
use crate::eval::coerce::Coerce;
use crate::eval::value::Context;
use crate::eval::{Attr, Attrs, EvalResult, Evaluator, NixString, Sym, Thunk, Value};
use crate::source::{Pos, Span};

pub fn json_escape(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

pub fn format_json_float(f: f64) -> String {
    if f.is_finite() && f == f.trunc() && f.abs() < 1e16 {
        // nlohmann prints integral doubles with a trailing `.0`.
        return format!("{f:.1}");
    }
    let s = format!("{f:?}");
    // Rust's `1e20` is `1e+20` in nlohmann's rendering.
    match s.split_once('e') {
        Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
        _ => s,
    }
}

impl Evaluator {
    /// Renders a value as JSON; `strict` values are forced as needed.
    pub fn to_json(
        &mut self,
        v: &Value,
        s: Span,
        ctx: &mut Context,
        out: &mut String,
    ) -> EvalResult<()> {
        match v {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => crate::eval::value::push_int(out, *i),
            Value::Float(f) => out.push_str(&format_json_float(*f)),
            Value::String(x) => {
                json_escape(&x.s, out);
                ctx.extend(x.ctx.iter().cloned());
            }
            Value::Path(_) => {
                let (p, c) = self.coerce_to_string(v, s, Coerce::Interp)?;
                json_escape(&p, out);
                ctx.extend(c);
            }
            Value::List(l) => {
                out.push('[');
                for (i, t) in l.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let x = self.force(t)?;
                    self.enter()?;
                    let r = self.to_json(&x, s, ctx, out);
                    self.leave();
                    r?;
                }
                out.push(']');
            }
            Value::Attrs(a) => {
                if a.get(self.syms.to_string).is_some() {
                    let (st, c) = self.coerce_to_string(v, s, Coerce::Interp)?;
                    json_escape(&st, out);
                    ctx.extend(c);
                    return Ok(());
                }
                if let Some(o) = a.get(self.syms.out_path).cloned() {
                    let o = self.force(&o)?;
                    return self.to_json(&o, s, ctx, out);
                }
                out.push('{');
                for (i, e) in a.entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json_escape(e.name.as_str(), out);
                    out.push(':');
                    let x = self.force(&e.value)?;
                    self.enter()?;
                    let r = self.to_json(&x, s, ctx, out).map_err(|err| {
                        err.context(
                            format!("while evaluating attribute '{}'", e.name),
                            e.pos.span(),
                        )
                    });
                    self.leave();
                    r?;
                }
                out.push('}');
            }
            other => {
                return Err(self.err(
                    format!("cannot convert {} to JSON", other.type_name()),
                    Some(s),
                ))
            }
        }
        Ok(())
    }
}

fn to_json(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let v = ev.force(&a[0])?;
    let mut out = String::new();
    let mut ctx = Context::new();
    ev.to_json(&v, s, &mut ctx, &mut out)?;
    Ok(NixString::with_ctx(out, ctx))
}

pub fn from_serde(v: serde_json::Value) -> Result<Value, String> {
    Ok(match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None if n.is_u64() => {
                return Err(format!(
                    "unsigned json number {n} outside of Nix integer range"
                ))
            }
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::str(no_nul(s)?),
        serde_json::Value::Array(a) => Value::list(
            a.into_iter()
                .map(|x| from_serde(x).map(Thunk::value))
                .collect::<Result<_, _>>()?,
        ),
        serde_json::Value::Object(o) => {
            let entries = o
                .into_iter()
                .map(|(k, v)| {
                    Ok(Attr {
                        name: Sym::new(&no_nul(k)?),
                        value: Thunk::value(from_serde(v)?),
                        pos: Pos::NONE,
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            Value::attrs(Attrs::from_unsorted(entries))
        }
    })
}

/// Nix strings cannot hold NUL bytes.
pub fn no_nul(s: String) -> Result<String, String> {
    if s.contains('\0') {
        Err(format!(
            "input string '{}' cannot be represented as Nix string because it contains null bytes",
            s.replace('\0', "␀")
        ))
    } else {
        Ok(s)
    }
}

fn from_json(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let text = ev.arg_str(&a[0], s)?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| ev.err(format!("JSON parse error: {e}"), Some(s)))?;
    from_serde(v).map_err(|m| ev.err(m, Some(s)))
}

pub const BUILTINS: &[Builtin] = &[b("toJSON", 1, to_json), b("fromJSON", 1, from_json)];
