//! The `traceback` module (`src/vm/pylib/traceback.toy`): `print_exc`, `format_exc`,
//! `print_exception`, `format_exception` and `format_exception_only`, compared with python3
//! (stdout, stderr with the program's path as `P`, exit status), and what it refuses. The
//! programs are `tests/traceback_module/*.py`.

mod common;

use common::{gilvm_full, root, same_full_as_cpython};

fn same_as_cpython(name: &str) {
    let path = root().join("tests/traceback_module").join(name);
    same_full_as_cpython(&path, &gilvm_full(&path), name);
}

#[test]
fn print_exc_in_a_worker_thread() {
    same_as_cpython("worker_thread.py");
}

#[test]
fn format_exception_chunks_and_chains() {
    same_as_cpython("chunks_and_chains.py");
}

#[test]
fn no_exception_and_the_old_form() {
    same_as_cpython("old_form.py");
}

#[test]
fn limit_and_chain_are_refused() {
    let path = root().join("tests/traceback_module/refused.py");
    let (stdout, stderr, code) = gilvm_full(&path);
    assert_eq!(
        (stdout.as_str(), stderr.as_str(), code),
        (
            "traceback: limit= is not supported by gilvm\n\
             traceback: chain=False is not supported by gilvm\n",
            "",
            Some(0)
        )
    );
}
