//! Generates the parser from `grammar/toy.lalrpop` into `OUT_DIR` (never checked in).
fn main() {
    lalrpop::Configuration::new()
        .set_in_dir("grammar")
        .emit_rerun_directives(true)
        .process()
        .expect("lalrpop failed to generate the parser from grammar/toy.lalrpop");
}
