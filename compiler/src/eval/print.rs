//! Printing values exactly as `nix-instantiate --eval` does.

use super::error::EvalResult;
use super::value::*;
use super::Evaluator;
use rustc_hash::FxHashSet;

/// Formats a float like C++'s default ostream (`%g`, 6 significant digits).
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return if f.is_sign_negative() {
            "-nan".into()
        } else {
            "nan".into()
        };
    }
    if f.is_infinite() {
        return if f < 0.0 { "-inf".into() } else { "inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let prec = 6i32;
    let exp = {
        let s = format!("{:.*e}", (prec - 1) as usize, f);
        let e = s.split('e').nth(1).unwrap_or("0");
        e.parse::<i32>().unwrap_or(0)
    };
    if exp < -4 || exp >= prec {
        let s = format!("{:.*e}", (prec - 1) as usize, f);
        let (mant, e) = s.split_once('e').unwrap_or((&s, "0"));
        let mant = trim_zeros(mant);
        let e: i32 = e.parse().unwrap_or(0);
        format!("{mant}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
    } else {
        let decimals = (prec - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{f:.decimals$}")).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

pub fn escape_string(s: &str, out: &mut String) {
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
}

const KEYWORDS: &[&str] = &[
    "if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or",
];

pub fn is_plain_identifier(s: &str) -> bool {
    let mut cs = s.chars();
    match cs.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    cs.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '\'' || c == '-')
        && !KEYWORDS.contains(&s)
}

pub fn print_attr_name(s: &str, out: &mut String) {
    if is_plain_identifier(s) {
        out.push_str(s);
    } else {
        escape_string(s, out);
    }
}

/// Prints without forcing anything: thunks show as `«thunk»`.
pub fn print_shallow(v: &Value) -> String {
    let mut out = String::new();
    shallow(v, &mut out, 0);
    out
}

fn shallow(v: &Value, out: &mut String, depth: usize) {
    match v {
        Value::Attrs(a) => {
            if depth > 0 {
                out.push_str("{ … }");
                return;
            }
            out.push_str("{ ");
            for attr in a.entries.iter().take(8) {
                print_attr_name(attr.name.as_str(), out);
                out.push_str(" = ");
                match attr.value.get() {
                    Some(x) => shallow(&x, out, depth + 1),
                    None => out.push_str("«thunk»"),
                }
                out.push_str("; ");
            }
            if a.len() > 8 {
                out.push_str("«…» ");
            }
            out.push('}');
        }
        Value::List(l) => {
            if depth > 0 {
                out.push_str("[ … ]");
                return;
            }
            out.push_str("[ ");
            for t in l.iter().take(8) {
                match t.get() {
                    Some(x) => shallow(&x, out, depth + 1),
                    None => out.push_str("«thunk»"),
                }
                out.push(' ');
            }
            if l.len() > 8 {
                out.push_str("«…» ");
            }
            out.push(']');
        }
        other => scalar(other, out, false),
    }
}

fn scalar(v: &Value, out: &mut String, legacy: bool) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => super::value::push_int(out, *i),
        Value::Float(f) => out.push_str(&format_float(*f)),
        Value::String(s) => escape_string(&s.s, out),
        Value::Path(p) => out.push_str(p),
        Value::Lambda(_) => out.push_str(if legacy { "<LAMBDA>" } else { "«lambda»" }),
        Value::PrimOp(p) => {
            if legacy {
                out.push_str("<PRIMOP>")
            } else {
                out.push_str(&format!("«primop {}»", p.name))
            }
        }
        Value::PrimOpApp(p) => {
            if legacy {
                out.push_str("<PRIMOP-APP>")
            } else {
                out.push_str(&format!("«partially applied primop {}»", p.op.name))
            }
        }
        Value::Attrs(_) | Value::List(_) => {}
    }
}

impl Evaluator {
    /// nix-instantiate's printer. With `strict`, forces everything it
    /// prints; without, unevaluated parts print as `<CODE>`.
    pub fn print_value(&mut self, v: &Value, strict: bool) -> EvalResult<String> {
        let mut out = String::new();
        let mut seen = FxHashSet::default();
        self.print_into(v, None, strict, &mut seen, &mut out)?;
        Ok(out)
    }

    /// How `builtins.trace` shows a value: nothing is forced.
    pub fn print_trace(&mut self, v: &Value) -> String {
        let mut out = String::new();
        let mut seen = FxHashSet::default();
        self.thunk_repr = "«thunk»";
        let _ = self.print_into(v, None, false, &mut seen, &mut out);
        self.thunk_repr = "<CODE>";
        out
    }

    fn print_into(
        &mut self,
        v: &Value,
        id: Option<usize>,
        strict: bool,
        seen: &mut FxHashSet<usize>,
        out: &mut String,
    ) -> EvalResult<()> {
        match v {
            Value::Attrs(a) => {
                // Like Nix, a set is repeated when the same attributes
                // (not merely an equal copy) were printed before; a list
                // when the same value was.
                if !a.is_empty() && !seen.insert(std::rc::Rc::as_ptr(a) as usize) {
                    out.push_str("«repeated»");
                    return Ok(());
                }
                out.push('{');
                for attr in a.entries.iter() {
                    out.push(' ');
                    print_attr_name(attr.name.as_str(), out);
                    out.push_str(" = ");
                    self.print_thunk(&attr.value, strict, seen, out)?;
                    out.push(';');
                }
                out.push_str(" }");
            }
            Value::List(l) => {
                if let Some(id) = id {
                    if !seen.insert(id) {
                        out.push_str("«repeated»");
                        return Ok(());
                    }
                }
                out.push('[');
                for t in l.iter() {
                    out.push(' ');
                    self.print_thunk(t, strict, seen, out)?;
                }
                out.push_str(" ]");
            }
            other => scalar(other, out, true),
        }
        Ok(())
    }

    fn print_thunk(
        &mut self,
        t: &Thunk,
        strict: bool,
        seen: &mut FxHashSet<usize>,
        out: &mut String,
    ) -> EvalResult<()> {
        let v = if strict {
            self.force(t)?
        } else {
            match t.get() {
                Some(v) => v,
                None => {
                    out.push_str(self.thunk_repr);
                    return Ok(());
                }
            }
        };
        self.enter()?;
        let r = self.print_into(&v, Some(t.ptr()), strict, seen, out);
        self.leave();
        r
    }
}
