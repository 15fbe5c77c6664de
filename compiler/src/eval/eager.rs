//! Values computed at once where a thunk would be made, when computing
//! them is cheap and certain to be invisible: `"user${toString i}"`,
//! `1000 + i`, `i / 2 * 2 == i` with `i` already known.
//!
//! A lazy cell costs an allocation, a later force, and 56 bytes for as long
//! as the value lives; a scalar inline costs none of these. The rules keep
//! the change unobservable: only expressions of a few nodes, only
//! variables whose values are already computed (nothing is forced, so no
//! recursion, no trace, no error can be triggered early), only scalar
//! operands (no deep comparison, no copy of a path to the store), and
//! any error means "not now": the thunk is made as before and reports the
//! error, with its position, if it is ever forced.

use super::expr::*;
use super::value::*;
use super::Evaluator;

/// Expression nodes one eager evaluation may visit.
const FUEL: u32 = 12;

impl Evaluator {
    /// The value of `e` in `env`, if it can be computed now under the
    /// rules above.
    #[inline]
    pub(crate) fn eager_value(&mut self, e: &Expr, env: &Env) -> Option<Value> {
        match e {
            Expr::Bin { .. } | Expr::Interp { .. } | Expr::Not(..) | Expr::Neg(..) => {
                let mut fuel = FUEL;
                self.eager(e, env, &mut fuel)
            }
            Expr::Apply { args, .. } if args.len() == 1 => {
                let mut fuel = FUEL;
                self.eager(e, env, &mut fuel)
            }
            _ => None,
        }
    }

    #[inline(never)]
    fn eager(&mut self, e: &Expr, env: &Env, fuel: &mut u32) -> Option<Value> {
        *fuel = fuel.checked_sub(1)?;
        let v = match e {
            Expr::Const(v) => v.clone(),
            Expr::Var { depth, slot } => computed(env, *depth, *slot)?,
            Expr::Bin { op, lhs, rhs, span } => {
                let a = self.eager(lhs, env, fuel).filter(is_scalar)?;
                match (op, &a) {
                    (BinOp::And, Value::Bool(false)) => return Some(a),
                    (BinOp::Or, Value::Bool(true)) => return Some(a),
                    (BinOp::Impl, Value::Bool(false)) => return Some(Value::Bool(true)),
                    (BinOp::And | BinOp::Or | BinOp::Impl, Value::Bool(_)) => {
                        return self
                            .eager(rhs, env, fuel)
                            .filter(|b| matches!(b, Value::Bool(_)));
                    }
                    (BinOp::And | BinOp::Or | BinOp::Impl | BinOp::Update | BinOp::Concat, _) => {
                        return None
                    }
                    _ => {}
                }
                let b = self.eager(rhs, env, fuel).filter(is_scalar)?;
                self.scalar_bin(*op, a, b, *span)?
            }
            Expr::Not(x, _) => match self.eager(x, env, fuel)? {
                Value::Bool(b) => Value::Bool(!b),
                _ => return None,
            },
            Expr::Neg(x, _) => match self.eager(x, env, fuel)? {
                Value::Int(i) => Value::Int(i.checked_neg()?),
                Value::Float(f) => Value::Float(-f),
                _ => return None,
            },
            Expr::Interp { parts, .. } => {
                let mut s = String::new();
                let mut ctx = Context::new();
                for p in parts {
                    // Anything but a string would be coerced, which may
                    // fail or copy a path to the store.
                    let Value::String(x) = self.eager(p, env, fuel)? else {
                        return None;
                    };
                    s.push_str(&x.s);
                    ctx.extend(x.ctx.iter().cloned());
                }
                NixString::with_ctx(s, ctx)
            }
            Expr::Apply { func, args, .. } if args.len() == 1 => {
                let Value::PrimOp(op) = self.eager(func, env, fuel)? else {
                    return None;
                };
                if op.name != "toString" {
                    return None;
                }
                match self.eager(&args[0], env, fuel)? {
                    Value::Int(i) => Value::str(i.to_string()),
                    s @ Value::String(_) => s,
                    Value::Bool(true) => Value::str("1"),
                    Value::Bool(false) | Value::Null => Value::str(""),
                    _ => return None,
                }
            }
            _ => return None,
        };
        Some(v)
    }

    /// A binary operation on two scalars; `None` where it would fail.
    fn scalar_bin(
        &mut self,
        op: BinOp,
        a: Value,
        b: Value,
        span: crate::source::Span,
    ) -> Option<Value> {
        if let (Value::Int(x), Value::Int(y)) = (&a, &b) {
            let (x, y) = (*x, *y);
            return match op {
                BinOp::Add => x.checked_add(y).map(Value::Int),
                BinOp::Sub => x.checked_sub(y).map(Value::Int),
                BinOp::Mul => x.checked_mul(y).map(Value::Int),
                BinOp::Div if y != 0 => x.checked_div(y).map(Value::Int),
                BinOp::Div => None,
                BinOp::Lt => Some(Value::Bool(x < y)),
                BinOp::Le => Some(Value::Bool(x <= y)),
                BinOp::Gt => Some(Value::Bool(x > y)),
                BinOp::Ge => Some(Value::Bool(x >= y)),
                BinOp::Eq => Some(Value::Bool(x == y)),
                BinOp::Neq => Some(Value::Bool(x != y)),
                _ => None,
            };
        }
        self.eval_bin_values(op, a, b, span).ok()
    }
}

/// A variable's value if it is already computed. Slots of a frame still
/// being filled are absent, and so never read early.
fn computed(env: &Env, depth: u32, slot: u32) -> Option<Value> {
    let mut e = env;
    for _ in 0..depth {
        e = e.parent.as_ref()?;
    }
    let slots = e.slots.borrow();
    match slots.get(slot as usize)? {
        Thunk::Val(v) => Some(v.clone()),
        Thunk::Lazy(c) => match &*c.borrow() {
            ThunkState::Done(v) => Some(v.clone()),
            _ => None,
        },
    }
}

/// Operands whose operations are pure and shallow.
fn is_scalar(v: &Value) -> bool {
    matches!(
        v,
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::String(_)
    )
}
