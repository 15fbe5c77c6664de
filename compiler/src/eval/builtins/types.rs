//! Type predicates: `typeOf`, `isInt`, ….

use super::b;
use super::Builtin;
use crate::eval::value::Value;

macro_rules! pred {
    ($name:ident, $pat:pat) => {
        fn $name(
            ev: &mut crate::eval::Evaluator,
            a: &[crate::eval::Thunk],
            _s: crate::source::Span,
        ) -> crate::eval::EvalResult<Value> {
            Ok(Value::Bool(matches!(ev.force(&a[0])?, $pat)))
        }
    };
}

pred!(is_attrs, Value::Attrs(_));
pred!(is_bool, Value::Bool(_));
pred!(is_float, Value::Float(_));
pred!(is_int, Value::Int(_));
pred!(is_list, Value::List(_));
pred!(is_null, Value::Null);
pred!(is_path, Value::Path(_));
pred!(is_string, Value::String(_));
pred!(
    is_function,
    Value::Lambda(_) | Value::PrimOp(_) | Value::PrimOpApp(_)
);

fn type_of(
    ev: &mut crate::eval::Evaluator,
    a: &[crate::eval::Thunk],
    _s: crate::source::Span,
) -> crate::eval::EvalResult<Value> {
    Ok(Value::str(ev.force(&a[0])?.type_of()))
}

pub const BUILTINS: &[Builtin] = &[
    b("isAttrs", 1, is_attrs),
    b("isBool", 1, is_bool),
    b("isFloat", 1, is_float),
    b("isInt", 1, is_int),
    b("isList", 1, is_list),
    b("isNull", 1, is_null),
    b("isPath", 1, is_path),
    b("isString", 1, is_string),
    b("isFunction", 1, is_function),
    b("typeOf", 1, type_of),
];
