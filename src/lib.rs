//! gilvm: run Python-flavoured `.toy` programs with green threads under a simulated GIL.
//!
//! The pipeline is the layout: source → [`lexer`] → [`parse`] (grammar in `grammar/`) →
//! [`ast`] → [`scope`] + [`compile`] → [`bytecode`] → the VM. See ARCHITECTURE.md.

pub mod ast;
pub mod bytecode;
pub mod error;
