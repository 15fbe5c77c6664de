//! `toXML` and `nix-instantiate --xml`.

use super::{b, Builtin};
use crate::eval::expr::Param;
use crate::eval::value::Context;
use crate::eval::{EvalResult, Evaluator, NixString, Thunk, Value};
use crate::source::Span;
use rustc_hash::FxHashSet;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => o.push_str("&quot;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '\n' => o.push_str("&#xA;"),
            '\r' => o.push_str("&#xD;"),
            '\t' => o.push_str("&#x9;"),
            c => o.push(c),
        }
    }
    o
}

struct Xml {
    out: String,
    drvs_seen: FxHashSet<String>,
    ctx: Context,
    location: bool,
}

impl Xml {
    fn line(&mut self, depth: usize, s: &str) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
        self.out.push_str(s);
        self.out.push('\n');
    }
}

impl Evaluator {
    pub fn to_xml(
        &mut self,
        v: &Value,
        strict: bool,
        location: bool,
        s: Span,
    ) -> EvalResult<(String, Context)> {
        let mut x = Xml {
            out: String::new(),
            drvs_seen: FxHashSet::default(),
            ctx: Context::new(),
            location,
        };
        x.out.push_str("<?xml version='1.0' encoding='utf-8'?>\n");
        x.line(0, "<expr>");
        self.xml_value(&mut x, v, 1, strict, s)?;
        x.line(0, "</expr>");
        Ok((x.out, x.ctx))
    }

    fn xml_value(
        &mut self,
        x: &mut Xml,
        v: &Value,
        d: usize,
        strict: bool,
        s: Span,
    ) -> EvalResult<()> {
        match v {
            Value::Null => x.line(d, "<null />"),
            Value::Bool(b) => x.line(d, &format!("<bool value=\"{b}\" />")),
            Value::Int(i) => x.line(d, &format!("<int value=\"{i}\" />")),
            Value::Float(f) => x.line(
                d,
                &format!(
                    "<float value=\"{}\" />",
                    crate::eval::print::format_float(*f)
                ),
            ),
            Value::String(st) => {
                x.ctx.extend(st.ctx.iter().cloned());
                x.line(d, &format!("<string value=\"{}\" />", esc(&st.s)));
            }
            Value::Path(p) => x.line(d, &format!("<path value=\"{}\" />", esc(p))),
            Value::List(l) => {
                if l.is_empty() {
                    x.line(d, "<list />");
                    return Ok(());
                }
                x.line(d, "<list>");
                for t in l.iter() {
                    let e = if strict {
                        self.force(t)?
                    } else {
                        t.get().unwrap_or(Value::Null)
                    };
                    self.enter()?;
                    let r = self.xml_value(x, &e, d + 1, strict, s);
                    self.leave();
                    r?;
                }
                x.line(d, "</list>");
            }
            Value::Attrs(a) => {
                if self.is_derivation(a)? {
                    let mut attrs = String::new();
                    let mut drv = None;
                    if let Some(t) = a.get(self.syms.drv_path).cloned() {
                        if let Value::String(p) = self.force(&t)? {
                            attrs.push_str(&format!(" drvPath=\"{}\"", esc(&p.s)));
                            drv = Some(p.s.clone());
                        }
                    }
                    if let Some(t) = a.get(self.syms.out_path).cloned() {
                        if let Value::String(p) = self.force(&t)? {
                            attrs.push_str(&format!(" outPath=\"{}\"", esc(&p.s)));
                        }
                    }
                    x.line(d, &format!("<derivation{attrs}>"));
                    let first = drv.map(|p| x.drvs_seen.insert(p)).unwrap_or(true);
                    if first {
                        self.xml_attrs(x, a, d + 1, strict, s)?;
                    } else {
                        x.line(d + 1, "<repeated />");
                    }
                    x.line(d, "</derivation>");
                    return Ok(());
                }
                if a.is_empty() {
                    x.line(d, "<attrs />");
                    return Ok(());
                }
                x.line(d, "<attrs>");
                self.xml_attrs(x, a, d + 1, strict, s)?;
                x.line(d, "</attrs>");
            }
            Value::Lambda(c) => {
                let loc = if x.location {
                    let f = self.sources.get(c.def.span.file).clone();
                    let (l, col) = f.line_col(c.def.span.start);
                    format!(" column=\"{col}\" line=\"{l}\" path=\"{}\"", esc(&f.name))
                } else {
                    String::new()
                };
                x.line(d, &format!("<function{loc}>"));
                match &c.def.param {
                    Param::Ident => x.line(
                        d + 1,
                        &format!(
                            "<varpat name=\"{}\" />",
                            esc(c.def.param_name.map(|n| n.as_str()).unwrap_or(""))
                        ),
                    ),
                    Param::Pattern {
                        formals,
                        ellipsis,
                        at,
                    } => {
                        let mut head = String::from("<attrspat");
                        if *ellipsis {
                            head.push_str(" ellipsis=\"1\"");
                        }
                        if let Some(n) = at {
                            head.push_str(&format!(" name=\"{}\"", esc(n.as_str())));
                        }
                        head.push('>');
                        x.line(d + 1, &head);
                        let mut names: Vec<&str> =
                            formals.iter().map(|f| f.name.as_str()).collect();
                        names.sort();
                        for n in names {
                            x.line(d + 2, &format!("<attr name=\"{}\" />", esc(n)));
                        }
                        x.line(d + 1, "</attrspat>");
                    }
                }
                x.line(d, "</function>");
            }
            Value::PrimOp(_) | Value::PrimOpApp(_) => x.line(d, "<unevaluated />"),
        }
        Ok(())
    }

    fn xml_attrs(
        &mut self,
        x: &mut Xml,
        a: &crate::eval::Attrs,
        d: usize,
        strict: bool,
        s: Span,
    ) -> EvalResult<()> {
        for e in a.entries.iter() {
            let loc = match (x.location, e.pos.span()) {
                (true, Some(p)) => {
                    let f = self.sources.get(p.file).clone();
                    let (l, c) = f.line_col(p.start);
                    format!(" column=\"{c}\" line=\"{l}\" path=\"{}\"", esc(&f.name))
                }
                _ => String::new(),
            };
            x.line(d, &format!("<attr{loc} name=\"{}\">", esc(e.name.as_str())));
            let v = if strict {
                self.force(&e.value)?
            } else {
                e.value.get().unwrap_or(Value::Null)
            };
            self.enter()?;
            let r = self.xml_value(x, &v, d + 1, strict, s);
            self.leave();
            r?;
            x.line(d, "</attr>");
        }
        Ok(())
    }
}

fn to_xml(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let v = ev.force(&a[0])?;
    let (out, ctx) = ev.to_xml(&v, true, false, s)?;
    Ok(NixString::with_ctx(out, ctx))
}

pub const BUILTINS: &[Builtin] = &[b("toXML", 1, to_xml)];
