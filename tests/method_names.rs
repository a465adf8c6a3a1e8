//! `__name__` of built-in methods bound to an object (`xs.append.__name__`), as CPython gives it.

mod common;

use common::{check, same_as_python};

const SOURCE: &str = r#"
import threading
xs = []
print(xs.append.__name__, len.__name__, "".join.__name__, {}.get.__name__)
def g():
    yield 1
print(g().send.__name__, threading.Lock().acquire.__name__)
f = xs.append
f(1)
print(f.__name__, xs)
"#;

#[test]
fn bound_builtin_methods_have_their_names() {
    check(SOURCE, "append len join get\nsend acquire\nappend [1]\n");
    same_as_python(SOURCE);
}
