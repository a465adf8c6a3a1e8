//! Exceptions raised and caught, issue 21's fifth pass (`exc5`): `int(s)` rejects an ASCII
//! literal without a decimal digit in one scan (bases up to 10) before its general parse.
//! The messages and `e.args` of every such literal, and of near misses on either side of the
//! rule (letters as digits in base 16 and 36, non-ASCII digits, prefixes, underscores,
//! quotes, a literal past the message's 200-character cut), are compared with `python3`'s.

mod common;

use common::{gilvm_full, root, same_full_as_cpython};

#[test]
fn int_of_a_literal_without_digits_fails_as_in_cpython() {
    let path = root().join("tests/exc5/digitless.toy");
    let (out, err, code) = gilvm_full(&path);
    assert_eq!(code, Some(0), "{out}\n{err}");
    for line in [
        "10 'x' ValueError (\"invalid literal for int() with base 10: 'x'\",)\n",
        "0 '0x' ValueError (\"invalid literal for int() with base 0: '0x'\",)\n",
        "2 '' ValueError (\"invalid literal for int() with base 2: ''\",)\n",
        "16 'ff' 255\n",
        "36 'ten' 38111\n",
        "10 '٣' 3\n",
        "\"ab'c\" ValueError('invalid literal for int() with base 10: \"ab\\'c\"') True\n",
    ] {
        assert!(out.contains(line), "missing {line:?}\n{out}");
    }
    same_full_as_cpython(&path, &(out, err, code), "");
}
