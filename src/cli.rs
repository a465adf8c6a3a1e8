//! Command-line interface: clap definitions, validated once into plain settings, then handed to
//! library functions that take a config and writers. Nothing below this layer knows clap.
//!
//! Exit statuses (DESIGN.md §7): 0 success; 1 uncaught exception in the main thread; 2 usage
//! error or unreadable file; 3 syntax or compile error; 4 deadlock; 5 a resource limit.

use std::io::{IsTerminal, Read, Write};

use clap::{Parser, Subcommand};

use crate::error::render_compile_error;

/// Exit status: success.
pub const EXIT_OK: i32 = 0;
/// Exit status: usage error or unreadable file.
pub const EXIT_USAGE: i32 = 2;
/// Exit status: syntax or compile error.
pub const EXIT_COMPILE: i32 = 3;

#[derive(Parser, Debug)]
#[command(
    name = "gilvm",
    version,
    about = "Run Python-flavoured programs with green threads under a simulated GIL"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Print the bytecode of every code object, in CPython's `dis` layout.
    Dis {
        /// The program (`-` reads standard input).
        file: String,
    },
}

/// Runs the CLI with the process arguments and returns the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
        }
    };
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    match cli.command {
        Cmd::Dis { file } => dis(&file, color, &mut stdout.lock(), &mut stderr.lock()),
    }
}

/// Reads a program from a path, or standard input for `-`. Returns (display name, text).
pub fn read_source(file: &str) -> Result<(String, String), String> {
    if file == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("gilvm: cannot read standard input: {e}"))?;
        return Ok(("<stdin>".to_string(), text));
    }
    let bytes = std::fs::read(file).map_err(|e| format!("gilvm: cannot read {file}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "gilvm: {file} is not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok((file.to_string(), text))
}

fn dis(file: &str, color: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let (name, source) = match read_source(file) {
        Ok(s) => s,
        Err(msg) => {
            let _ = writeln!(err, "{msg}");
            return EXIT_USAGE;
        }
    };
    match crate::compile_source(&name, &source) {
        Ok(program) => {
            let _ = out.write_all(crate::dis::disassemble(&program).as_bytes());
            EXIT_OK
        }
        Err(e) => {
            let _ = err.write_all(render_compile_error(&e, &name, &source, color).as_bytes());
            EXIT_COMPILE
        }
    }
}
