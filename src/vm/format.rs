//! TEMP shim
use crate::vm::value::{ObjId, Value};
use crate::vm::{PyResult, Rt};
pub fn repr(_rt: &Rt, _v: Value) -> PyResult<String> {
    Ok(String::new())
}
pub fn str_of(_rt: &Rt, _v: Value) -> PyResult<String> {
    Ok(String::new())
}
pub fn format_spec(_rt: &Rt, _v: Value, _s: &str) -> PyResult<String> {
    Ok(String::new())
}
pub fn fake_address(id: ObjId) -> String {
    format!("0x{:x}", id.0)
}
