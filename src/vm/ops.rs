//! TEMP shim
use crate::vm::heap::HashKey;
use crate::vm::value::Value;
use crate::vm::{PyResult, Rt, Throw};
pub enum UnaryKind {
    Neg,
    Pos,
    Invert,
}
pub fn truthy(_rt: &Rt, v: Value) -> bool {
    !matches!(v, Value::None | Value::Bool(false) | Value::Int(0))
}
pub fn binary_op(_rt: &mut Rt, _op: u32, _a: Value, _b: Value) -> PyResult<Value> {
    Err(Throw::type_error("x"))
}
pub fn compare(_rt: &mut Rt, _op: u32, _a: Value, _b: Value) -> PyResult<Value> {
    Err(Throw::type_error("x"))
}
pub fn is(a: Value, b: Value) -> bool {
    a == b
}
pub fn contains(_rt: &mut Rt, _c: Value, _i: Value) -> PyResult<bool> {
    Ok(false)
}
pub fn unary(_rt: &mut Rt, _k: UnaryKind, v: Value) -> PyResult<Value> {
    Ok(v)
}
pub fn hash_key(_rt: &Rt, _v: Value) -> PyResult<HashKey> {
    Ok(HashKey::None)
}
pub fn getitem(_rt: &mut Rt, _c: Value, _i: Value) -> PyResult<Value> {
    Ok(Value::None)
}
pub fn setitem(_rt: &mut Rt, _c: Value, _i: Value, _v: Value) -> PyResult<()> {
    Ok(())
}
pub fn delitem(_rt: &mut Rt, _c: Value, _i: Value) -> PyResult<()> {
    Ok(())
}
pub fn get_iter(_rt: &mut Rt, v: Value) -> PyResult<Value> {
    Ok(v)
}
pub fn iter_next(_rt: &mut Rt, _v: Value) -> PyResult<Option<Value>> {
    Ok(None)
}
pub fn type_name(_rt: &Rt, _v: Value) -> &'static str {
    "x"
}
pub fn collect_iterable(_rt: &mut Rt, _v: Value) -> PyResult<Vec<Value>> {
    Ok(vec![])
}
pub fn unpack(_rt: &mut Rt, _v: Value, _n: usize) -> PyResult<Vec<Value>> {
    Ok(vec![])
}
