//! Generates the parser from `grammar/toy.lalrpop` into `OUT_DIR` (never checked in).
fn main() {
    // Worktrees of this repository may share one target dir, where cargo keeps a single
    // build-script run for the package and judges it fresh by file times alone. Rerunning when
    // the checkout (the shell's PWD) changes keeps the generated parser in step with this
    // checkout's grammar; lalrpop skips the work when the grammar's hash already matches.
    println!("cargo:rerun-if-env-changed=PWD");
    lalrpop::Configuration::new()
        .set_in_dir("grammar")
        .emit_rerun_directives(true)
        .process()
        .expect("lalrpop failed to generate the parser from grammar/toy.lalrpop");
}
