//! `derivationStrict`, `derivation` and `placeholder`: `.drv` files and
//! output paths computed exactly as Nix computes them (ATerm, hash modulo,
//! fixed outputs, several outputs).

use super::{b, Builtin};
use crate::eval::coerce::Coerce;
use crate::eval::store::{self, hex, sha256};
use crate::eval::value::{Context, ThunkState};
use crate::eval::{Attr, Attrs, EvalResult, Evaluator, NixString, Sym, Thunk, Value};
use crate::source::{Pos, Span};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

#[derive(Clone, Default)]
pub struct DrvOutput {
    pub path: String,
    pub hash_algo: String,
    pub hash: String,
}

#[derive(Clone, Default)]
pub struct Derivation {
    pub name: String,
    pub outputs: BTreeMap<String, DrvOutput>,
    pub input_drvs: BTreeMap<String, BTreeSet<String>>,
    pub input_srcs: BTreeSet<String>,
    pub platform: String,
    pub builder: String,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
}

fn aterm_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn aterm_list<T>(
    items: impl Iterator<Item = T>,
    out: &mut String,
    mut f: impl FnMut(T, &mut String),
) {
    out.push('[');
    for (i, x) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        f(x, out);
    }
    out.push(']');
}

impl Derivation {
    /// The ATerm text of the `.drv` file; `inputs` replaces `input_drvs`
    /// (hash modulo uses input hashes in place of paths).
    pub fn unparse(&self, inputs: Option<&BTreeMap<String, BTreeSet<String>>>) -> String {
        let mut o = String::from("Derive(");
        aterm_list(self.outputs.iter(), &mut o, |(name, out), o| {
            o.push('(');
            aterm_str(name, o);
            o.push(',');
            aterm_str(&out.path, o);
            o.push(',');
            aterm_str(&out.hash_algo, o);
            o.push(',');
            aterm_str(&out.hash, o);
            o.push(')');
        });
        o.push(',');
        aterm_list(
            inputs.unwrap_or(&self.input_drvs).iter(),
            &mut o,
            |(p, outs), o| {
                o.push('(');
                aterm_str(p, o);
                o.push(',');
                aterm_list(outs.iter(), o, |x, o| aterm_str(x, o));
                o.push(')');
            },
        );
        o.push(',');
        aterm_list(self.input_srcs.iter(), &mut o, |x, o| aterm_str(x, o));
        o.push(',');
        aterm_str(&self.platform, &mut o);
        o.push(',');
        aterm_str(&self.builder, &mut o);
        o.push(',');
        aterm_list(self.args.iter(), &mut o, |x, o| aterm_str(x, o));
        o.push(',');
        aterm_list(self.env.iter(), &mut o, |(k, v), o| {
            o.push('(');
            aterm_str(k, o);
            o.push(',');
            aterm_str(v, o);
            o.push(')');
        });
        o.push(')');
        o
    }

    fn fixed_output(&self) -> Option<&DrvOutput> {
        match self.outputs.get("out") {
            Some(o) if self.outputs.len() == 1 && !o.hash.is_empty() => Some(o),
            _ => None,
        }
    }

    /// References of the `.drv` file itself.
    pub fn references(&self) -> Vec<String> {
        self.input_srcs
            .iter()
            .chain(self.input_drvs.keys())
            .cloned()
            .collect()
    }
}

impl Evaluator {
    /// Nix's `hashDerivationModulo`.
    pub fn hash_modulo(&mut self, drv: &Derivation, span: Span) -> EvalResult<[u8; 32]> {
        if let Some(o) = drv.fixed_output() {
            return Ok(sha256(
                format!("fixed:out:{}:{}:{}", o.hash_algo, o.hash, o.path).as_bytes(),
            ));
        }
        let mut inputs = BTreeMap::new();
        for (p, outs) in &drv.input_drvs {
            let h = match self.drv_hashes.get(p) {
                Some(h) => *h,
                None => {
                    let d = self.derivations.get(p).cloned().ok_or_else(|| self.err(format!("cannot find derivation '{p}' (nixcfg only knows derivations instantiated in this evaluation)"), Some(span)))?;
                    let h = self.hash_modulo(&d, span)?;
                    self.drv_hashes.insert(p.clone(), h);
                    h
                }
            };
            inputs.insert(hex(&h), outs.clone());
        }
        Ok(sha256(drv.unparse(Some(&inputs)).as_bytes()))
    }

    /// The closure of a `.drv` among the derivations this evaluation made.
    fn drv_closure(&self, p: &str, out: &mut BTreeSet<String>) {
        if !out.insert(p.to_string()) {
            return;
        }
        if let Some(d) = self.derivations.get(p).cloned() {
            for s in &d.input_srcs {
                out.insert(s.clone());
            }
            for i in d.input_drvs.keys() {
                self.drv_closure(i, out);
            }
        }
    }
}

fn derivation_strict(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let attrs = ev.arg_attrs(&a[0], s)?;
    let get = |n: &str| attrs.get(Sym::new(n)).cloned();
    let name_t = get("name").ok_or_else(|| ev.err("required attribute 'name' missing", Some(s)))?;
    let name = ev.arg_str(&name_t, s).map_err(|e| {
        e.context(
            "while evaluating the `name` attribute passed to builtins.derivationStrict",
            Some(s),
        )
    })?;
    let name_pos = attrs.get_attr(Sym::new("name")).and_then(|x| x.pos.span());
    store::check_name(&name).map_err(|m| {
        ev.err(
            format!("invalid derivation name: {m}. Please pass a different 'name'."),
            name_pos.or(Some(s)),
        )
    })?;
    let ignore_nulls = match get("__ignoreNulls") {
        Some(t) => ev.arg_bool(&t, s)?,
        None => false,
    };
    let structured = match get("__structuredAttrs") {
        Some(t) => ev.arg_bool(&t, s)?,
        None => false,
    };
    let mut drv = Derivation {
        name: name.clone(),
        ..Default::default()
    };
    let mut ctx = Context::new();
    let mut outputs: Vec<String> = vec!["out".into()];
    let mut json = serde_json::Map::new();
    let (mut output_hash, mut output_hash_algo, mut output_hash_mode) = (None, None, None);
    for e in attrs.entries.iter() {
        let key = e.name.as_str();
        if key == "__ignoreNulls" {
            continue;
        }
        let v = ev.force(&e.value).map_err(|err| {
            err.context(
                format!("while evaluating attribute '{key}' of derivation '{name}'"),
                e.pos.span(),
            )
        })?;
        if ignore_nulls && matches!(v, Value::Null) {
            continue;
        }
        let werr = |err: crate::eval::EvalError| {
            err.context(
                format!("while evaluating attribute '{key}' of derivation '{name}'"),
                e.pos.span(),
            )
        };
        if key == "args" {
            let l = match &v {
                Value::List(l) => l.clone(),
                o => return Err(werr(ev.type_err("a list", o, Some(s)))),
            };
            for t in l.iter() {
                let x = ev.force(t)?;
                let (st, c) = ev.coerce_to_string(&x, s, Coerce::DrvAttr).map_err(werr)?;
                ctx.extend(c);
                drv.args.push(st);
            }
            continue;
        }
        if key == "outputs" {
            let l = match &v {
                Value::List(l) => l.clone(),
                o => return Err(werr(ev.type_err("a list", o, Some(s)))),
            };
            let mut outs = Vec::new();
            for t in l.iter() {
                let o = ev.arg_str(t, s).map_err(werr)?;
                if o == "drvPath" {
                    return Err(werr(
                        ev.err("invalid derivation output name 'drvPath'", Some(s)),
                    ));
                }
                if outs.contains(&o) {
                    return Err(werr(
                        ev.err(format!("duplicate derivation output '{o}'"), Some(s)),
                    ));
                }
                outs.push(o);
            }
            if outs.is_empty() {
                return Err(werr(
                    ev.err("derivation cannot have an empty set of outputs", Some(s)),
                ));
            }
            outputs = outs;
        }
        let text = if structured && key != "__structuredAttrs" {
            let mut out = String::new();
            let mut c = Context::new();
            ev.to_json(&v, s, &mut c, &mut out).map_err(werr)?;
            ctx.extend(c);
            json.insert(
                key.to_string(),
                serde_json::from_str(&out).unwrap_or(serde_json::Value::Null),
            );
            match &v {
                Value::String(st) => Some(st.s.clone()),
                _ => None,
            }
        } else if structured {
            None
        } else {
            let (st, c) = ev.coerce_to_string(&v, s, Coerce::DrvAttr).map_err(werr)?;
            ctx.extend(c);
            drv.env.insert(key.to_string(), st.clone());
            Some(st)
        };
        let text_or = |ev: &mut Evaluator| -> EvalResult<String> {
            match &text {
                Some(t) => Ok(t.clone()),
                None => Ok(ev.coerce_to_string(&v, s, Coerce::DrvAttr)?.0),
            }
        };
        match key {
            "builder" => drv.builder = text_or(ev)?,
            "system" => drv.platform = text_or(ev)?,
            "outputHash" => output_hash = Some(text_or(ev)?),
            "outputHashAlgo" => output_hash_algo = Some(text_or(ev)?),
            "outputHashMode" => output_hash_mode = Some(text_or(ev)?),
            _ => {}
        }
    }
    if structured {
        drv.env
            .insert("__json".into(), serde_json::Value::Object(json).to_string());
    }
    if drv.builder.is_empty() && get("builder").is_none() {
        return Err(ev
            .err("required attribute 'builder' missing", Some(s))
            .context(format!("while evaluating derivation '{name}'"), Some(s)));
    }
    if get("system").is_none() {
        return Err(ev
            .err("required attribute 'system' missing", Some(s))
            .context(format!("while evaluating derivation '{name}'"), Some(s)));
    }
    // Inputs from the context of every string that went in.
    for c in &ctx {
        if let Some(p) = c.strip_prefix('=') {
            let mut closure = BTreeSet::new();
            ev.drv_closure(p, &mut closure);
            for q in closure {
                if q.ends_with(".drv") {
                    if let Some(d) = ev.derivations.get(&q).cloned() {
                        drv.input_drvs
                            .entry(q.clone())
                            .or_default()
                            .extend(d.outputs.keys().cloned());
                    }
                }
                drv.input_srcs.insert(q);
            }
        } else if let Some(rest) = c.strip_prefix('!') {
            let (out, p) = rest.split_once('!').unwrap_or((rest, ""));
            drv.input_drvs
                .entry(p.to_string())
                .or_default()
                .insert(out.to_string());
        } else {
            drv.input_srcs.insert(c.clone());
        }
    }
    let store_dir = ev.opts.store_dir.clone();
    if let Some(h) = output_hash {
        if outputs != ["out"] {
            return Err(ev.err(
                "multiple outputs are not supported in fixed-output derivations",
                Some(s),
            ));
        }
        let recursive = match output_hash_mode.as_deref() {
            None | Some("flat") => false,
            Some("recursive") | Some("nar") => true,
            Some(m) => {
                return Err(ev.err(
                    format!("invalid value '{m}' for 'outputHashMode' attribute"),
                    Some(s),
                ))
            }
        };
        let (algo, bytes) =
            super::hash::parse_hash(&h, output_hash_algo.as_deref().filter(|a| !a.is_empty()))
                .map_err(|m| ev.err(m, Some(s)))?;
        let path = store::make_fixed_output_path(&store_dir, &name, recursive, &algo, &bytes);
        drv.env.insert("out".into(), path.clone());
        drv.outputs.insert(
            "out".into(),
            DrvOutput {
                path,
                hash_algo: format!("{}{algo}", if recursive { "r:" } else { "" }),
                hash: hex(&bytes),
            },
        );
    } else {
        for o in &outputs {
            drv.env.insert(o.clone(), String::new());
            drv.outputs.insert(o.clone(), DrvOutput::default());
        }
        let h = ev.hash_modulo(&drv, s)?;
        for o in &outputs {
            let p = store::make_output_path(&store_dir, o, &h, &name);
            drv.env.insert(o.clone(), p.clone());
            drv.outputs.get_mut(o).expect("inserted above").path = p;
        }
    }
    let text = drv.unparse(None);
    let drv_path = store::make_text_path(
        &store_dir,
        &format!("{name}.drv"),
        text.as_bytes(),
        &drv.references(),
    );
    let mut entries = Vec::new();
    let mut dctx = Context::new();
    dctx.insert(format!("={drv_path}"));
    entries.push(Attr {
        name: Sym::new("drvPath"),
        value: Thunk::value(NixString::with_ctx(drv_path.clone(), dctx)),
        pos: Pos::NONE,
    });
    for (o, out) in &drv.outputs {
        let mut c = Context::new();
        c.insert(format!("!{o}!{drv_path}"));
        entries.push(Attr {
            name: Sym::new(o),
            value: Thunk::value(NixString::with_ctx(out.path.clone(), c)),
            pos: Pos::NONE,
        });
    }
    ev.derivations.insert(drv_path, Rc::new(drv));
    Ok(Value::attrs(Attrs::from_unsorted(entries)))
}

fn placeholder(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let o = ev.arg_str(&a[0], s)?;
    Ok(Value::str(format!(
        "/{}",
        store::base32_encode(&sha256(format!("nix-output:{o}").as_bytes()))
    )))
}

fn derivation_unset(ev: &mut Evaluator, _a: &[Thunk], s: Span) -> EvalResult<Value> {
    Err(ev.err("internal: derivation wrapper not installed", Some(s)))
}

/// `derivation` as Nix defines it: `derivationStrict`'s paths joined to
/// the attributes given, one set per output.
const WRAPPER: &str = r#"
attrs:
let
  paths = derivationStrict attrs;
  names = attrs.outputs or [ "out" ];
  shared = attrs // byName // { all = map (o: o.value) perOutput; drvAttrs = attrs; };
  forOutput = outputName: {
    name = outputName;
    value = shared // {
      outPath = paths.${outputName};
      drvPath = paths.drvPath;
      type = "derivation";
      inherit outputName;
    };
  };
  perOutput = map forOutput names;
  byName = builtins.listToAttrs perOutput;
in
(builtins.head perOutput).value
"#;

pub fn install_wrapper(ev: &mut Evaluator) {
    let e = ev
        .parse(
            "«nixcfg-internal»/derivation.nix".into(),
            "/".into(),
            WRAPPER,
        )
        .unwrap_or_else(|_| panic!("the built-in derivation wrapper parses"));
    let v = ev
        .eval_root(&e)
        .unwrap_or_else(|_| panic!("the built-in derivation wrapper evaluates"));
    if let Value::Attrs(b) = &ev.builtins_attrs {
        if let Some(t @ Thunk::Lazy(c)) = b.get(Sym::new("derivation")) {
            c.replace(ThunkState::Done(v));
            // The wrapper closes over the base frame that holds it.
            t.register();
        }
    }
}

pub const BUILTINS: &[Builtin] = &[
    b("derivationStrict", 1, derivation_strict),
    b("derivation", 1, derivation_unset),
    b("placeholder", 1, placeholder),
];
