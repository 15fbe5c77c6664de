//! Control and debugging: `throw`, `abort`, `seq`, `tryEval`, `trace`, ….

use super::{b, Builtin};
use crate::eval::coerce::Coerce;
use crate::eval::error::{ErrorKind, EvalError};
use crate::eval::{Attr, Attrs, EvalResult, Evaluator, Thunk, Value};
use crate::source::{Pos, Span};
use std::io::Write;

fn throw(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let (msg, _) = ev.arg_coerce(&a[0], s, Coerce::ToString)?;
    Err(EvalError::new(ErrorKind::Throw, "nix::throw", msg, Some(s)))
}

fn abort(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let (msg, _) = ev.arg_coerce(&a[0], s, Coerce::ToString)?;
    Err(EvalError::new(
        ErrorKind::Abort,
        "nix::abort",
        format!("evaluation aborted with the following error message: '{msg}'"),
        Some(s),
    ))
}

fn seq(ev: &mut Evaluator, a: &[Thunk], _s: Span) -> EvalResult<Value> {
    ev.force(&a[0])?;
    ev.force(&a[1])
}

fn deep_seq(ev: &mut Evaluator, a: &[Thunk], _s: Span) -> EvalResult<Value> {
    let v = ev.force(&a[0])?;
    ev.force_deep(&v)?;
    ev.force(&a[1])
}

fn try_eval(ev: &mut Evaluator, a: &[Thunk], _s: Span) -> EvalResult<Value> {
    let depth = ev.call_depth;
    let (ok, v) = match ev.force(&a[0]) {
        Ok(v) => (true, v),
        Err(e) if e.catchable() => {
            ev.call_depth = depth;
            (false, Value::Bool(false))
        }
        Err(e) => return Err(e),
    };
    let entries = vec![
        Attr {
            name: ev.syms.success,
            value: Thunk::value(Value::Bool(ok)),
            pos: Pos::NONE,
        },
        Attr {
            name: ev.syms.value,
            value: Thunk::value(v),
            pos: Pos::NONE,
        },
    ];
    Ok(Value::attrs(Attrs::from_unsorted(entries)))
}

fn trace(ev: &mut Evaluator, a: &[Thunk], _s: Span) -> EvalResult<Value> {
    let v = ev.force(&a[0])?;
    let text = match &v {
        Value::String(s) => s.s.clone(),
        other => ev.print_trace(other),
    };
    let _ = writeln!(ev.stderr, "trace: {text}");
    ev.force(&a[1])
}

fn warn(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let msg = ev.arg_str(&a[0], s)?;
    let indented = msg.replace(
        '\n',
        &format!("\n{}", " ".repeat("evaluation warning: ".len())),
    );
    let _ = writeln!(ev.stderr, "evaluation warning: {indented}");
    if ev.opts.abort_on_warn {
        return Err(EvalError::new(
            ErrorKind::Abort,
            "nix::warning",
            format!("aborting to reveal stack trace of warning, as abort-on-warn is set: {msg}"),
            Some(s),
        ));
    }
    ev.force(&a[1])
}

fn add_error_context(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    match ev.force(&a[1]) {
        Ok(v) => Ok(v),
        Err(e) => {
            let msg = match ev.arg_coerce(&a[0], s, Coerce::ToString) {
                Ok((m, _)) => m,
                Err(_) => return Err(e),
            };
            Err(e.context(msg, None))
        }
    }
}

fn break_(ev: &mut Evaluator, a: &[Thunk], _s: Span) -> EvalResult<Value> {
    ev.force(&a[0])
}

fn to_string(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let (st, ctx) = ev.arg_coerce(&a[0], s, Coerce::ToString)?;
    Ok(crate::eval::NixString::with_ctx(st, ctx))
}

pub const BUILTINS: &[Builtin] = &[
    b("throw", 1, throw),
    b("abort", 1, abort),
    b("seq", 2, seq),
    b("deepSeq", 2, deep_seq),
    b("tryEval", 1, try_eval),
    b("trace", 2, trace),
    b("traceVerbose", 2, seq_second),
    b("warn", 2, warn),
    b("addErrorContext", 2, add_error_context),
    b("break", 1, break_),
    b("toString", 1, to_string),
    b("nixcfgReuse", 2, crate::eval::reuse::reuse),
];

fn seq_second(ev: &mut Evaluator, a: &[Thunk], _s: Span) -> EvalResult<Value> {
    ev.force(&a[1])
}
