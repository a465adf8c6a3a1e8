//! The `gilvm` binary: parse arguments, call the library, map the result to an exit status.
fn main() {
    std::process::exit(gilvm::cli::main());
}
