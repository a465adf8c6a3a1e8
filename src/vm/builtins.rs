//! TEMP shim until the runtime's built-ins land.
use std::io::Write;

use crate::vm::heap::Obj;
use crate::vm::natives::NativeId;
use crate::vm::value::Value;
use crate::vm::{format, PyResult, Rt, Throw};
pub fn call_builtin(
    rt: &mut Rt,
    id: NativeId,
    a: &[Value],
    _k: &[(&str, Value)],
) -> PyResult<Value> {
    match id {
        NativeId::Print => {
            let mut parts = Vec::new();
            for v in a {
                parts.push(format::str_of(rt, *v)?);
            }
            let _ = writeln!(rt.stdout, "{}", parts.join(" "));
            Ok(Value::None)
        }
        NativeId::Range => {
            let (start, stop) = match a {
                [Value::Int(n)] => (0, *n),
                [Value::Int(s), Value::Int(n)] => (*s, *n),
                _ => return Err(Throw::type_error("range")),
            };
            rt.alloc(Obj::Range {
                start,
                stop,
                step: 1,
            })
        }
        _ => Err(Throw::type_error("shim")),
    }
}
