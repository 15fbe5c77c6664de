//! Running an evaluation the way nix-instantiate does: auto-calling
//! functions with `--arg`/`--argstr`, selecting `-A` paths, and running on
//! a thread with a large stack so deep recursion ends in an error.

use super::*;
use crate::source::Pos;

/// A value given on the command line for a function argument.
#[derive(Clone)]
pub enum AutoArg {
    /// `--arg name EXPR`
    Expr(String),
    /// `--argstr name VALUE`
    Str(String),
}

/// Stack for the evaluation thread: deep enough for `max-call-depth`
/// nested calls of real-world code; only touched pages are committed.
pub const EVAL_STACK: usize = 2 << 30;

/// The evaluation stack size: `NIXCFG_EVAL_STACK` (bytes, or with a K, M
/// or G suffix) or `EVAL_STACK`.
pub fn eval_stack_size() -> usize {
    let Ok(v) = std::env::var("NIXCFG_EVAL_STACK") else {
        return EVAL_STACK;
    };
    let v = v.trim();
    let (num, mult) = match v.chars().last() {
        Some('K' | 'k') => (&v[..v.len() - 1], 1 << 10),
        Some('M' | 'm') => (&v[..v.len() - 1], 1 << 20),
        Some('G' | 'g') => (&v[..v.len() - 1], 1 << 30),
        _ => (v, 1),
    };
    num.parse::<usize>()
        .map(|n| (n * mult).max(1 << 20))
        .unwrap_or(EVAL_STACK)
}

/// Runs `f` on a thread with a large stack.
/// Makes the current thread (spawned with `eval_stack_size()` bytes of
/// stack) fit for evaluation: the stack guard knows its size and base.
pub fn enter_eval_thread() {
    let size = eval_stack_size();
    interp::STACK_SIZE.with(|s| s.set(size));
    interp::set_stack_base();
}

pub fn with_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let size = eval_stack_size();
    std::thread::Builder::new()
        .name("nixcfg-eval".into())
        .stack_size(size)
        .spawn(move || {
            interp::STACK_SIZE.with(|s| s.set(size));
            interp::set_stack_base();
            f()
        })
        .expect("spawning the evaluation thread")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

impl Evaluator {
    /// nix-instantiate's `autoCallFunction`.
    pub fn auto_call(&mut self, v: Value, args: &[(String, AutoArg)]) -> EvalResult<Value> {
        match &v {
            Value::Attrs(a) if a.get(self.syms.functor).is_some() => {
                let f = a.get(self.syms.functor).cloned().expect("checked");
                let f = self.force(&f)?;
                let inner = self.call_value(f, Thunk::value(v.clone()), None)?;
                self.auto_call(inner, args)
            }
            Value::Lambda(c) => {
                let expr::Param::Pattern {
                    formals, ellipsis, ..
                } = &c.def.param
                else {
                    return Ok(v);
                };
                let mut entries = Vec::new();
                for (name, arg) in args {
                    let sym = Sym::new(name);
                    if !*ellipsis && !formals.iter().any(|f| f.name == sym) {
                        continue;
                    }
                    let t = self.auto_arg_thunk(arg)?;
                    entries.push(Attr {
                        name: sym,
                        value: t,
                        pos: Pos::NONE,
                    });
                }
                for f in formals {
                    if f.default.is_none() && !entries.iter().any(|e| e.name == f.name) {
                        return Err(self.err(
                            format!("cannot evaluate a function that has an argument without a value ('{}')", f.name),
                            Some(c.def.span),
                        )
                        .help(format!("pass it with --arg {} EXPR or --argstr {} STRING", f.name, f.name)));
                    }
                }
                self.call_value(
                    v.clone(),
                    Thunk::value(Value::attrs(Attrs::from_unsorted(entries))),
                    None,
                )
            }
            _ => Ok(v),
        }
    }

    fn auto_arg_thunk(&mut self, a: &AutoArg) -> EvalResult<Thunk> {
        match a {
            AutoArg::Str(s) => Ok(Thunk::value(Value::str(s.clone()))),
            AutoArg::Expr(e) => {
                let cwd = std::env::current_dir().unwrap_or_else(|_| "/".into());
                let parsed = self
                    .parse("«arg»".into(), cwd, e)
                    .map_err(|mut d| EvalError::from_diagnostic(ErrorKind::Other, d.remove(0)))?;
                let env = self.base_env.clone();
                Ok(self.thunk_of(&parsed, &env))
            }
        }
    }

    /// `-A a.b.0.c`: attribute names and list indices.
    pub fn select_attr_path(
        &mut self,
        mut v: Value,
        path: &str,
        args: &[(String, AutoArg)],
    ) -> EvalResult<Value> {
        if path.is_empty() {
            return Ok(v);
        }
        for part in split_attr_path(path) {
            v = self.auto_call(v, args)?;
            match &v {
                Value::List(l) if part.parse::<usize>().is_ok() => {
                    let i: usize = part.parse().expect("checked");
                    let t = l.get(i).cloned().ok_or_else(|| {
                        self.err(
                            format!("list index {i} in selection path '{path}' is out of range"),
                            None,
                        )
                    })?;
                    v = self.force(&t)?;
                }
                Value::Attrs(a) => {
                    let t = a.get(Sym::new(&part)).cloned().ok_or_else(|| {
                        let names: Vec<&str> = a.entries.iter().map(|e| e.name.as_str()).collect();
                        let mut e = self.err(
                            format!("attribute '{part}' in selection path '{path}' not found"),
                            None,
                        );
                        if let Some(s) = builtins::suggest(&part, &names) {
                            e = e.help(format!("did you mean '{s}'?"));
                        }
                        e
                    })?;
                    v = self.force(&t)?;
                }
                other => {
                    return Err(self.err(format!("the expression selected by the selection path '{path}' should be a set but is {}", other.type_name()), None));
                }
            }
        }
        Ok(v)
    }
}

/// Splits `a."b.c".d` into its parts.
pub fn split_attr_path(p: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in p.chars() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

impl Evaluator {
    /// The `.drv` paths of the derivations in a value (instantiate mode).
    pub fn find_derivations(&mut self, v: &Value) -> EvalResult<Vec<String>> {
        let mut out = Vec::new();
        self.collect_drvs(v, &mut out, 0)?;
        Ok(out)
    }

    fn collect_drvs(&mut self, v: &Value, out: &mut Vec<String>, depth: usize) -> EvalResult<()> {
        match v {
            Value::Attrs(a) => {
                if self.is_derivation(a)? {
                    let t = a
                        .get(self.syms.drv_path)
                        .cloned()
                        .ok_or_else(|| self.err("derivation has no drvPath", None))?;
                    match self.force(&t)? {
                        Value::String(s) => out.push(s.s.clone()),
                        o => return Err(self.type_err("a string", &o, None)),
                    }
                } else if depth == 0 {
                    for e in a.entries.iter() {
                        let x = self.force(&e.value)?;
                        self.collect_drvs(&x, out, depth + 1)?;
                    }
                }
            }
            Value::List(l) => {
                for t in l.iter() {
                    let x = self.force(t)?;
                    self.collect_drvs(&x, out, depth + 1)?;
                }
            }
            Value::Lambda(_)
            | Value::PrimOp(_)
            | Value::PrimOpApp(_)
            | Value::Null
            | Value::Bool(_)
            | Value::Int(_)
            | Value::Float(_)
            | Value::String(_)
            | Value::Path(_) => {
                if depth == 0 {
                    return Err(self.err(format!("expression does not evaluate to a derivation (or a set or list of those): {}", v.type_name()), None));
                }
            }
        }
        Ok(())
    }
}
