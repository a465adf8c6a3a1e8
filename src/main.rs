//! The `gilvm` binary: parse arguments, call the library, map the result to an exit status.

/// A refused allocation ends gilvm with status 5 and a message, never with SIGABRT
/// (`vm/memory.rs`).
#[global_allocator]
static ALLOC: gilvm::vm::memory::OomGuard = gilvm::vm::memory::OomGuard;

fn main() {
    std::process::exit(gilvm::cli::main());
}
