//! Dict deletion (issue #21): `del d[k]`, `pop` and `popitem` leave a tombstone rather than
//! shifting later entries (`src/vm/dictmap.rs`). What a user sees must not change: insertion
//! order, repr, equality, iteration and its errors, all as CPython prints them.

mod common;

use common::{check, same_as_python};

#[test]
fn order_repr_and_equality_after_deletes_match_cpython() {
    same_as_python(
        r#"
d = {i: i * i for i in range(20)}
for k in list(d):
    if k % 3 == 0:
        del d[k]
print(d, len(d))
d[100] = 1
d[3] = 9
print(d, len(d))
print(list(d.items())[:4], list(d.values())[-3:], list(d.keys())[-2:])
print(d.popitem(), d.pop(4), d.pop(99, "none"), d)
e = {}
for i in range(1000):
    e[i] = i
for i in range(1000):
    if i % 7:
        del e[i]
print(e == {i: i for i in range(0, 1000, 7)}, list(e)[:5], len(e))
for i in range(50):
    e[-i] = i
print(list(e)[-5:], len(e), sum(e), sum(e.values()))
g = {1: "a", 2: "b"}
del g[2]
g[5] = "c"
print(g, g.popitem(), g.popitem(), g, len(g), g == {})
g["x"] = 1
print(g, list(reversed(list(g))))
"#,
    );
}

#[test]
fn emptied_and_refilled_dicts_keep_insertion_order() {
    same_as_python(
        r#"
d = {}
for round in range(5):
    for i in range(300):
        d[(round, i)] = i
    for i in range(0, 300, 2):
        del d[(round, i)]
    for k in list(d):
        if k[0] < round:
            del d[k]
    print(round, len(d), list(d)[:3], list(d)[-1])
while d:
    d.popitem()
print(d, len(d))
d["a"] = 1
print(d)
"#,
    );
}

#[test]
fn deleting_during_iteration_still_raises() {
    check(
        r#"
d = {i: i for i in range(10)}
it = iter(d)
print(next(it), next(it))
del d[5]
try:
    next(it)
except RuntimeError as e:
    print("RuntimeError:", e)
try:
    for k in d:
        d.pop(k)
except RuntimeError as e:
    print("RuntimeError:", e)
try:
    del d[42]
except KeyError as e:
    print("KeyError:", e)
"#,
        "0 1\nRuntimeError: dictionary changed size during iteration\n\
         RuntimeError: dictionary changed size during iteration\nKeyError: 42\n",
    );
}

#[test]
fn iterators_skip_deleted_entries() {
    same_as_python(
        r#"
d = {i: str(i) for i in range(12)}
for k in range(0, 12, 3):
    del d[k]
print([k for k in d], [v for v in d.values()], [kv for kv in d.items()])
it = iter(d.items())
print(next(it), list(it))
print(max(d), min(d), sorted(d, reverse=True)[:3], dict(d) == d, {**d, 0: "z"})
"#,
    );
}
