//! `fromTOML`.

use super::{b, Builtin};
use crate::eval::{Attr, Attrs, EvalResult, Evaluator, Sym, Thunk, Value};
use crate::source::{Pos, Span};

fn convert(ev: &Evaluator, v: toml::Value, s: Span) -> EvalResult<Value> {
    Ok(match v {
        toml::Value::String(x) => {
            Value::str(super::json::no_nul(x).map_err(|m| ev.err(m, Some(s)))?)
        }
        toml::Value::Integer(i) => Value::Int(i),
        toml::Value::Float(f) => Value::Float(f),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => {
            if !ev.opts_has_feature("parse-toml-timestamps") {
                return Err(ev.err(
                    format!("while parsing TOML: Dates and times are not supported ('{d}')"),
                    Some(s),
                ));
            }
            let entries = vec![
                Attr {
                    name: Sym::new("_type"),
                    value: Thunk::value(Value::str("timestamp")),
                    pos: Pos::NONE,
                },
                Attr {
                    name: Sym::new("value"),
                    value: Thunk::value(Value::str(pad_fraction(&d.to_string()))),
                    pos: Pos::NONE,
                },
            ];
            Value::attrs(Attrs::from_sorted(entries))
        }
        toml::Value::Array(a) => Value::list(
            a.into_iter()
                .map(|x| convert(ev, x, s).map(Thunk::value))
                .collect::<Result<_, _>>()?,
        ),
        toml::Value::Table(t) => {
            let entries = t
                .into_iter()
                .map(|(k, v)| {
                    Ok(Attr {
                        name: Sym::new(&super::json::no_nul(k).map_err(|m| ev.err(m, Some(s)))?),
                        value: Thunk::value(convert(ev, v, s)?),
                        pos: Pos::NONE,
                    })
                })
                .collect::<EvalResult<Vec<_>>>()?;
            Value::attrs(Attrs::from_unsorted(entries))
        }
    })
}

fn from_toml(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let text = ev.arg_str(&a[0], s)?;
    let v: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        ev.err(format!("while parsing TOML: {}", e.message()), Some(s))
    })?;
    convert(ev, toml::Value::Table(v), s)
}

pub const BUILTINS: &[Builtin] = &[b("fromTOML", 1, from_toml)];

/// Pads fractional seconds to milli-, micro- or nanoseconds, as Nix prints.
fn pad_fraction(t: &str) -> String {
    let Some(dot) = t.find('.') else {
        return t.to_string();
    };
    let digits = t[dot + 1..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let want = digits.div_ceil(3) * 3;
    let mut out = t[..dot + 1 + digits].to_string();
    out.extend(std::iter::repeat_n('0', want - digits));
    out.push_str(&t[dot + 1 + digits..]);
    out
}
