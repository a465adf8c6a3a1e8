//! TEMP shim
use crate::vm::natives::{AttrSym, MethodId};
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt};
pub fn lookup_method(_rt: &Rt, _v: Value, _a: AttrSym) -> Option<MethodId> {
    None
}
pub fn call_method(
    _rt: &mut Rt,
    _m: MethodId,
    _r: Value,
    _a: &[Value],
    _k: &[(&str, Value)],
) -> PyResult<Value> {
    Ok(Value::None)
}
