//! Arithmetic, bit operations and comparisons.

use super::{b, Builtin};
use crate::eval::expr::BinOp;
use crate::eval::{EvalResult, Evaluator, Thunk, Value};
use crate::source::Span;

fn arith(ev: &mut Evaluator, op: BinOp, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let x = ev.force(&a[0])?;
    let y = ev.force(&a[1])?;
    for v in [&x, &y] {
        if !matches!(v, Value::Int(_) | Value::Float(_)) {
            return Err(ev.type_err("an integer", v, Some(s)));
        }
    }
    ev.arith(op, x, y, s)
}

fn add(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    arith(ev, BinOp::Add, a, s)
}
fn sub(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    arith(ev, BinOp::Sub, a, s)
}
fn mul(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    arith(ev, BinOp::Mul, a, s)
}
fn div(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    arith(ev, BinOp::Div, a, s)
}

fn less_than(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    let x = ev.force(&a[0])?;
    let y = ev.force(&a[1])?;
    Ok(Value::Bool(ev.less_than(&x, &y, s)?))
}

fn bit(ev: &mut Evaluator, a: &[Thunk], s: Span, f: fn(i64, i64) -> i64) -> EvalResult<Value> {
    let x = ev.arg_int(&a[0], s)?;
    let y = ev.arg_int(&a[1], s)?;
    Ok(Value::Int(f(x, y)))
}
fn bit_and(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    bit(ev, a, s, |x, y| x & y)
}
fn bit_or(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    bit(ev, a, s, |x, y| x | y)
}
fn bit_xor(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    bit(ev, a, s, |x, y| x ^ y)
}

fn round(
    ev: &mut Evaluator,
    a: &[Thunk],
    s: Span,
    f: fn(f64) -> f64,
    what: &str,
) -> EvalResult<Value> {
    match ev.force(&a[0])? {
        Value::Int(i) => Ok(Value::Int(i)),
        Value::Float(x) => {
            let r = f(x);
            if !(-9.223372036854776e18..9.223372036854776e18).contains(&r) {
                return Err(ev.err(
                    format!("{what}: value {x} cannot be represented as an integer"),
                    Some(s),
                ));
            }
            Ok(Value::Int(r as i64))
        }
        o => Err(ev.type_err("a float", &o, Some(s))),
    }
}
fn floor(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    round(ev, a, s, f64::floor, "floor")
}
fn ceil(ev: &mut Evaluator, a: &[Thunk], s: Span) -> EvalResult<Value> {
    round(ev, a, s, f64::ceil, "ceil")
}

pub const BUILTINS: &[Builtin] = &[
    b("add", 2, add),
    b("sub", 2, sub),
    b("mul", 2, mul),
    b("div", 2, div),
    b("lessThan", 2, less_than),
    b("bitAnd", 2, bit_and),
    b("bitOr", 2, bit_or),
    b("bitXor", 2, bit_xor),
    b("floor", 1, floor),
    b("ceil", 1, ceil),
];
