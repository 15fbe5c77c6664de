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

/// Expression nodes one eager evaluation may visit. Only expressions of
/// at most this many nodes are marked cheap, so an attempt never runs out
/// half-way (and leaves its work to be done again lazily).
const FUEL: u32 = 24;

impl Evaluator {
    /// The value of `e` in `env`, if it can be computed now under the
    /// rules above. Only expressions the lowering marked `cheap` are
    /// tried: the others would fail on their shape alone.
    #[inline]
    pub(crate) fn eager_value(&mut self, e: &Expr, env: &Env) -> Option<Value> {
        match e {
            Expr::Bin { cheap: true, .. }
            | Expr::Interp { cheap: true, .. }
            | Expr::Apply { cheap: true, .. }
            | Expr::If { cheap: true, .. } => {
                let mut fuel = FUEL;
                self.eager(e, env, &mut fuel)
            }
            _ => None,
        }
    }

    /// Whether `f` is a function `x: …` whose body is cheap, so that
    /// `eager_apply` may compute its applications.
    pub(crate) fn cheap_function(f: &Value) -> bool {
        matches!(f, Value::Lambda(c) if matches!(c.def.param, Param::Ident)
            && matches!(*c.def.body, Expr::Bin { cheap: true, .. }
                | Expr::Interp { cheap: true, .. }
                | Expr::Apply { cheap: true, .. }
                | Expr::If { cheap: true, .. }))
    }

    /// `f x` at once, for a lazy application a builtin would make
    /// (`genList (i: i * 2)`, `map (x: "${x}/bin")`), when `f` is a
    /// `cheap_function` and `x` is computed; the frame is made only then.
    pub(crate) fn eager_apply(&mut self, f: &Value, x: &Thunk) -> Option<Value> {
        let Value::Lambda(c) = f else { return None };
        if let Thunk::Lazy(cell) = x {
            if !cell.is_done() {
                return None;
            }
        }
        let frame = self
            .heap
            .env(smallvec::smallvec![x.clone()], Some(c.env.clone()));
        self.eager_value(&c.def.body, &frame)
    }

    #[inline(never)]
    fn eager(&mut self, e: &Expr, env: &Env, fuel: &mut u32) -> Option<Value> {
        *fuel = fuel.checked_sub(1)?;
        let v = match e {
            Expr::Const(v) => v.clone(),
            Expr::Var { depth, slot } => computed(env, *depth, *slot)?,
            Expr::Bin {
                op, lhs, rhs, span, ..
            } => {
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
            Expr::If {
                cond, then, else_, ..
            } => match self.eager(cond, env, fuel)? {
                Value::Bool(true) => self.eager(then, env, fuel).filter(is_scalar)?,
                Value::Bool(false) => self.eager(else_, env, fuel).filter(is_scalar)?,
                _ => return None,
            },
            Expr::Not(x, _) => match self.eager(x, env, fuel)? {
                Value::Bool(b) => Value::Bool(!b),
                _ => return None,
            },
            Expr::Neg(x, _) => match self.eager(x, env, fuel)? {
                Value::Int(i) => Value::Int(i.checked_neg()?),
                Value::Float(f) => Value::Float(-f),
                _ => return None,
            },
            Expr::Interp { .. } | Expr::Apply { .. } => {
                let mut s = String::with_capacity(32);
                let mut ctx = Context::new();
                self.eager_string(e, env, fuel, &mut s, &mut ctx)?;
                NixString::with_ctx(s, ctx)
            }
            _ => return None,
        };
        Some(v)
    }

    /// Appends the string `e` evaluates to (an interpolation, `toString`,
    /// or any cheap expression giving a string) to `out`, without making
    /// the pieces values of their own.
    fn eager_string(
        &mut self,
        e: &Expr,
        env: &Env,
        fuel: &mut u32,
        out: &mut String,
        ctx: &mut Context,
    ) -> Option<()> {
        match e {
            Expr::Interp { parts, .. } => {
                *fuel = fuel.checked_sub(1)?;
                for p in parts {
                    self.eager_string(p, env, fuel, out, ctx)?;
                }
            }
            Expr::Apply { func, args, .. } if args.len() == 1 => {
                *fuel = fuel.checked_sub(1)?;
                match self.eager(func, env, fuel)? {
                    Value::PrimOp(op) if op.name == "toString" => {}
                    _ => return None,
                }
                match self.eager(&args[0], env, fuel)? {
                    Value::Int(i) => push_int(out, i),
                    Value::String(x) => {
                        out.push_str(&x.s);
                        ctx.extend(x.ctx.iter().cloned());
                    }
                    Value::Bool(true) => out.push('1'),
                    Value::Bool(false) | Value::Null => {}
                    _ => return None,
                }
            }
            Expr::Const(Value::String(x)) => out.push_str(&x.s),
            _ => {
                // Anything but a string would be coerced, which may fail
                // or copy a path to the store.
                let Value::String(x) = self.eager(e, env, fuel)? else {
                    return None;
                };
                out.push_str(&x.s);
                ctx.extend(x.ctx.iter().cloned());
            }
        }
        Some(())
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
    e.with_slots(|slots| match slots.get(slot as usize)? {
        Thunk::Val(v) => Some(v.clone()),
        Thunk::Lazy(c) => c.done(),
    })
}

/// Operands whose operations are pure and shallow.
fn is_scalar(v: &Value) -> bool {
    matches!(
        v,
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::String(_)
    )
}

// ------------------------------------------------------------- shapes
// Decided once, when the expression is lowered.

/// Operators that never force or copy anything when their operands are
/// scalars.
fn cheap_op(op: BinOp) -> bool {
    !matches!(op, BinOp::Update | BinOp::Concat)
}

/// An operand a cheap expression may have.
pub(crate) fn cheap_operand(e: &Expr) -> bool {
    match e {
        Expr::Const(v) => is_scalar(v),
        Expr::Var { .. } => true,
        Expr::Not(x, _) | Expr::Neg(x, _) => cheap_operand(x),
        Expr::Bin { cheap, .. }
        | Expr::Interp { cheap, .. }
        | Expr::Apply { cheap, .. }
        | Expr::If { cheap, .. } => *cheap,
        _ => false,
    }
}

pub(crate) fn cheap_bin(op: BinOp, lhs: &Expr, rhs: &Expr) -> bool {
    cheap_op(op) && cheap_operand(lhs) && cheap_operand(rhs) && 1 + size(lhs) + size(rhs) <= FUEL
}

/// `"…${a}…${b}…"` whose parts are cheap.
pub(crate) fn cheap_interp(parts: &[ExprRef]) -> bool {
    parts.iter().all(|p| cheap_operand(p)) && parts.iter().map(|p| size(p)).sum::<u32>() < FUEL
}

/// `if c then a else b` whose three parts are cheap.
pub(crate) fn cheap_if(cond: &Expr, then: &Expr, else_: &Expr) -> bool {
    cheap_operand(cond)
        && cheap_operand(then)
        && cheap_operand(else_)
        && 1 + size(cond) + size(then) + size(else_) <= FUEL
}

/// `toString x` (the global builtin, `is_toString`) with `x` cheap.
pub(crate) fn cheap_to_string(is_to_string: bool, args: &[ExprRef]) -> bool {
    is_to_string && args.len() == 1 && cheap_operand(&args[0]) && 2 + size(&args[0]) <= FUEL
}

/// The nodes an eager evaluation of `e` may visit (more than `FUEL` for
/// anything not cheap).
fn size(e: &Expr) -> u32 {
    let n = match e {
        Expr::Const(_) | Expr::Var { .. } => 1,
        Expr::Not(x, _) | Expr::Neg(x, _) => 1 + size(x),
        Expr::Bin { lhs, rhs, .. } => 1 + size(lhs) + size(rhs),
        Expr::If {
            cond, then, else_, ..
        } => 1 + size(cond) + size(then) + size(else_),
        Expr::Interp { parts, .. } => 1 + parts.iter().map(|p| size(p)).sum::<u32>(),
        Expr::Apply { func, args, .. } => {
            1 + size(func) + args.iter().map(|p| size(p)).sum::<u32>()
        }
        _ => FUEL + 1,
    };
    n.min(FUEL + 1)
}
