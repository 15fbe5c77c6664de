//! String coercion, equality and ordering, as Nix defines them.

use super::error::EvalResult;
use super::value::*;
use super::Evaluator;
use crate::source::Span;
use std::rc::Rc;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Coerce {
    /// `"${x}"`: strings, paths (copied to the store), sets with
    /// `__toString`/`outPath`.
    Interp,
    /// `path + x`: like `Interp`, but paths are not copied.
    PathConcat,
    /// `toString x`: also numbers, booleans, null and lists; paths stay
    /// paths (no store copy).
    ToString,
    /// Derivation attributes: like `ToString`, and paths are copied.
    DrvAttr,
}

impl Evaluator {
    pub fn coerce_to_string(
        &mut self,
        v: &Value,
        span: Span,
        mode: Coerce,
    ) -> EvalResult<(String, Context)> {
        let more = matches!(mode, Coerce::ToString | Coerce::DrvAttr);
        match v {
            Value::String(s) => Ok((s.s.clone(), s.ctx.clone())),
            Value::Path(p) => {
                if matches!(mode, Coerce::Interp | Coerce::DrvAttr) {
                    let sp = self.copy_path_to_store(p, span)?;
                    let mut ctx = Context::new();
                    ctx.insert(sp.clone());
                    Ok((sp, ctx))
                } else {
                    Ok((p.to_string(), Context::new()))
                }
            }
            Value::Attrs(a) => {
                if let Some(f) = a.get(self.syms.to_string).cloned() {
                    let f = self.force(&f)?;
                    let r = self.call_value(f, Thunk::value(v.clone()), Some(span))?;
                    return self.coerce_to_string(&r, span, mode).map_err(|e| {
                        e.context("while evaluating the result of __toString", Some(span))
                    });
                }
                if let Some(o) = a.get(self.syms.out_path).cloned() {
                    let o = self.force(&o)?;
                    return self.coerce_to_string(&o, span, mode);
                }
                Err(self.err(
                    format!("cannot coerce a set to a string: {}", self.show_short(v)),
                    Some(span),
                ))
            }
            Value::Int(i) if more => {
                let mut s = String::new();
                super::value::push_int(&mut s, *i);
                Ok((s, Context::new()))
            }
            Value::Float(f) if more => Ok((format!("{f:.6}"), Context::new())),
            Value::Bool(b) if more => {
                Ok((if *b { "1".into() } else { String::new() }, Context::new()))
            }
            Value::Null if more => Ok((String::new(), Context::new())),
            Value::List(l) if more => {
                let mut s = String::new();
                let mut ctx = Context::new();
                for (i, t) in l.iter().enumerate() {
                    let x = self.force(t)?;
                    let (part, c) = self.coerce_to_string(&x, span, mode)?;
                    if i > 0 && !(matches!(x, Value::List(ref l) if l.is_empty())) {
                        s.push(' ');
                    }
                    s.push_str(&part);
                    ctx.extend(c);
                }
                Ok((s, ctx))
            }
            other => Err(self.err(
                format!(
                    "cannot coerce {} to a string: {}",
                    other.type_name(),
                    self.show_short(other)
                ),
                Some(span),
            )),
        }
    }

    /// Forces a value that must be a string (context is kept).
    pub fn force_string(&mut self, t: &Thunk, span: Span) -> EvalResult<Rc<NixString>> {
        match self.force(t)? {
            Value::String(s) => Ok(s),
            other => Err(self.type_err("a string", &other, Some(span))),
        }
    }

    pub fn values_equal(&mut self, a: &Value, b: &Value, _span: Span) -> EvalResult<bool> {
        Ok(match (a, b) {
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                super::interp::as_f64(a) == super::interp::as_f64(b)
            }
            (Value::String(x), Value::String(y)) => x.s == y.s,
            (Value::Path(x), Value::Path(y)) => x == y,
            (Value::Null, Value::Null) => true,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::List(x), Value::List(y)) => {
                if Rc::ptr_eq(x, y) {
                    return Ok(true);
                }
                if x.len() != y.len() {
                    return Ok(false);
                }
                for (p, q) in x.iter().zip(y.iter()) {
                    if p.ptr() != 0 && p.ptr() == q.ptr() {
                        continue;
                    }
                    let p = self.force(p)?;
                    let q = self.force(q)?;
                    self.enter()?;
                    let r = self.values_equal(&p, &q, _span);
                    self.leave();
                    if !r? {
                        return Ok(false);
                    }
                }
                true
            }
            (Value::Attrs(x), Value::Attrs(y)) => {
                if Rc::ptr_eq(x, y) {
                    return Ok(true);
                }
                // Derivations compare by output path.
                if self.is_derivation(x)? && self.is_derivation(y)? {
                    if let (Some(p), Some(q)) = (
                        x.get(self.syms.out_path).cloned(),
                        y.get(self.syms.out_path).cloned(),
                    ) {
                        let p = self.force(&p)?;
                        let q = self.force(&q)?;
                        return self.values_equal(&p, &q, _span);
                    }
                }
                if x.len() != y.len() {
                    return Ok(false);
                }
                for (p, q) in x.entries.iter().zip(y.entries.iter()) {
                    if p.name != q.name {
                        return Ok(false);
                    }
                    if p.value.ptr() != 0 && p.value.ptr() == q.value.ptr() {
                        continue;
                    }
                    let pv = self.force(&p.value)?;
                    let qv = self.force(&q.value)?;
                    self.enter()?;
                    let r = self.values_equal(&pv, &qv, _span);
                    self.leave();
                    if !r? {
                        return Ok(false);
                    }
                }
                true
            }
            _ => false,
        })
    }

    pub fn is_derivation(&mut self, a: &Attrs) -> EvalResult<bool> {
        match a.get(self.syms.type_).cloned() {
            Some(t) => Ok(matches!(self.force(&t)?, Value::String(s) if s.s == "derivation")),
            None => Ok(false),
        }
    }

    pub fn less_than(&mut self, a: &Value, b: &Value, span: Span) -> EvalResult<bool> {
        match (a, b) {
            (Value::Int(x), Value::Int(y)) => Ok(x < y),
            (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
                Ok(super::interp::as_f64(a) < super::interp::as_f64(b))
            }
            (Value::String(x), Value::String(y)) => Ok(x.s < y.s),
            (Value::Path(x), Value::Path(y)) => Ok(x < y),
            (Value::List(x), Value::List(y)) => {
                for (p, q) in x.iter().zip(y.iter()) {
                    let p = self.force(p)?;
                    let q = self.force(q)?;
                    if !self.values_equal(&p, &q, span)? {
                        return self.less_than(&p, &q, span);
                    }
                }
                Ok(x.len() < y.len())
            }
            _ => Err(self.err(
                format!("cannot compare {} with {}", a.type_name(), b.type_name()),
                Some(span),
            )),
        }
    }

    /// A short rendering of a value for error messages.
    pub fn show_short(&self, v: &Value) -> String {
        let s = super::print::print_shallow(v);
        if s.chars().count() > 60 {
            let cut: String = s.chars().take(60).collect();
            format!("{cut}«…»")
        } else {
            s
        }
    }
}
