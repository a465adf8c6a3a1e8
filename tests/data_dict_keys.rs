//! Dict keys after the index change of issue #21 (`src/vm/dictmap.rs`): int keys hashed with
//! their low bits kept, string keys looked up by borrowed text (`ops::dict_index_of`). What a
//! user sees must be CPython's: which keys are equal, what is found, the insertion order.

mod common;

use common::same_as_python;

#[test]
fn string_keys_are_found_by_their_text_whatever_made_the_string() {
    same_as_python(
        r#"
d = {"alpha": 1, "": 2, "é": 3, "ab" * 40: 4}
parts = ["al", "pha"]
built = "".join(parts)
print(d[built], d["" + ""], d["e\u0301".replace("e\u0301", "é")], d["a" + "b" * 1 + "ab" * 39])
print(built in d, "alph" in d, "alphaa" in d, d.get("alph", "no"), d.get("".join(["é"])))
for w in ["alpha", "beta", "alpha", "", "gamma", "beta"]:
    d[w] = d.get(w, 0) + 10
print(d)
print("beta" in d.keys(), "delta" in d.keys(), list(d)[-2:])
n = {1: "int", "1": "str", 1.5: "float", (1, "1"): "tuple"}
print(n[1.0], n[True], n["1"], n[1.5], n[(1, "1")], "1.0" in n, len(n))
try:
    d["missing"]
except KeyError as e:
    print("KeyError", e)
"#,
    );
}

#[test]
fn int_keys_at_every_stride_keep_their_entries_and_order() {
    same_as_python(
        r#"
for stride in (1, 2, 7, 8, 1024, 4096, -3, 2 ** 40, -(2 ** 62)):
    d = {}
    for i in range(3000):
        d[i * stride] = i
    for i in range(0, 3000, 3):
        del d[i * stride]
    for i in range(3000, 3500):
        d[i * stride] = i
    found = sum(1 for i in range(3500) if i * stride in d)
    total = sum(d[i * stride] for i in range(3500) if i * stride in d)
    print(stride, len(d), found, total, list(d)[:4], list(d)[-2:])
e = {0: "zero", 1: "one", True: "true?", 1.0: "float", 2 ** 63: "big", -1: "minus"}
print(e, e[True], e[2.0 ** 63])
"#,
    );
}
