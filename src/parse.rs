//! Parsing: tokens (from [`crate::lexer`]) to an [`crate::ast::Module`] via the lalrpop grammar
//! in `grammar/toy.lalrpop`.
//!
//! The grammar's actions call [`build`]; parser errors (lalrpop's expected-token sets) are
//! turned into Python-style messages by [`errors`]. F-string fields are parsed here too, by
//! re-entering the expression grammar on the field's text, so their spans point into the
//! original source. Only the first error is reported; a tokenizer error anywhere in the file
//! wins over a parser error, as in CPython.
//!
//! The language is Python 3.11's syntax (CPython is the oracle, see `oracle_tests.rs`), except:
//! - deliberate limits, each a `SyntaxError` (so no input can overflow the stack of a later
//!   recursive walk): brackets nest at most 200 deep (CPython's own limit), indentation at most
//!   99 levels (CPython's), expressions at most 200 levels (`1 + 1 + ...` with more than 200
//!   operators is valid Python but rejected here), integer literals must fit in a signed 64-bit
//!   int (so the smallest int is written `-9223372036854775807 - 1`);
//! - valid Python outside gilvm's language is rejected at its position with "... not supported
//!   by gilvm": `yield`, `async`/`await`, decorators, annotations, class keywords,
//!   positional-only `/`, `...`, `:=` unparenthesized in a subscript, bytes and complex
//!   literals, `\N{...}` escapes, `import *`, relative imports, `except*`, and `as` inside a
//!   parenthesized `with (...)` (plain `with (a, b):` works). `coverage_tests.rs` lists valid
//!   Python constructs and checks each one compiles or is refused that way.
//! - `match` and `case` are soft keywords decided by the lexer from the shape of the line
//!   (see `Lexer::soft_keyword`); the pattern grammar is CPython's, without complex literals.

pub mod build;
#[cfg(test)]
mod coverage_tests;
pub mod errors;
#[cfg(test)]
mod oracle_tests;
#[cfg(test)]
mod sexp;
#[cfg(test)]
mod tests;

use lalrpop_util::{lalrpop_mod, ParseError};

use crate::ast::{Module, Span};
use crate::error::CompileError;
use crate::lexer::Lexer;
use build::{Ex, PResult};

lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, unused)]
    toy
);

/// Parses a whole program.
pub fn parse_module(source: &str) -> Result<Module, CompileError> {
    match toy::ModuleParser::new().parse(source, Lexer::new(source)) {
        Ok(body) => Ok(Module { body }),
        // As CPython does: an error the tokenizer finds anywhere in the file (an unclosed
        // bracket, an unterminated string) wins over the parser's, which it usually explains.
        Err(e) => match Lexer::new(source).find_map(Result::err) {
            Some(lex_error) => Err(lex_error),
            None => Err(errors::friendly(source, None, e)),
        },
    }
}

/// Parses the expression of an f-string field at `span` of the program `src`.
pub(crate) fn parse_field(src: &str, span: Span) -> PResult<Ex> {
    let lexer = Lexer::expression(src, span);
    toy::FieldParser::new().parse(src, lexer).map_err(|e| {
        let mut error = errors::friendly(src, Some(span), e);
        if !error.message.starts_with("f-string") {
            error.message = format!("f-string: {}", error.message);
        }
        ParseError::User { error }
    })
}
