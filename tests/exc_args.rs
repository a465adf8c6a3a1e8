//! `BaseException.args` assigned after the exception was made: CPython stores `tuple(x)`, and
//! `str(e)`/`repr(e)` are built from it. The program's output is checked line by line and
//! against `python3`.

mod common;

use common::{root, run_file, same_stdout_as_cpython};

#[test]
fn assigning_args_changes_what_the_exception_shows() {
    let path = root().join("tests/exc_args/args_setter.toy");
    let out = run_file(&path, 1, &["-q"]);
    assert_eq!(out.code, 0, "{out}");
    let expected = "\
4 ValueError(4) (4,)
(4,) 4
('b', 'c') E('b', 'c') ('b', 'c')
(5,) 5
('x', 'y') KeyError('x', 'y')
TypeError: 'int' object is not iterable
(3, 3) (3, 3) H(3, 3)
(3, 3)
";
    assert_eq!(out.stdout, expected, "{out}");
    same_stdout_as_cpython(&path, &out);
}
