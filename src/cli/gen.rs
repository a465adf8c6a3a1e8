//! `gilvm completions SHELL` and `gilvm man`: shell completion scripts (clap_complete) and man
//! pages (clap_mangen), both generated from the clap definitions of `cli.rs`, so they cannot
//! disagree with the options gilvm really takes.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use crate::run::{EXIT_OK, EXIT_USAGE};
use crate::termout::wrote_message;

/// Writes the completion script of `shell` on `out`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> i32 {
    let mut cmd = super::Cli::command();
    clap_complete::generate(shell, &mut cmd, "gilvm", out);
    EXIT_OK
}

/// The roff source of one man page.
fn page(man: &clap_mangen::Man) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    man.render(&mut buf)?;
    Ok(buf)
}

/// Without a directory: gilvm.1 on `out`. With one: gilvm.1 and a page per subcommand
/// (gilvm-run.1, …) written there, each named on `err`.
pub fn man(dir: Option<&str>, quiet: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    // Built, the subcommands have their display names (`gilvm-run`): their pages' titles and
    // file names (gilvm-run.1).
    let mut cmd = super::Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = dir else {
        return match page(&clap_mangen::Man::new(cmd)).and_then(|p| out.write_all(&p)) {
            Ok(()) => EXIT_OK,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
            Err(e) => {
                let _ = writeln!(err, "error: cannot write the man page: {e}");
                EXIT_USAGE
            }
        };
    };
    let mut pages = vec![clap_mangen::Man::new(cmd.clone())];
    pages.extend(
        cmd.get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| clap_mangen::Man::new(s.clone())),
    );
    if let Err(e) = std::fs::create_dir_all(dir) {
        let _ = writeln!(err, "error: cannot create {dir}: {e}");
        return EXIT_USAGE;
    }
    for man in pages {
        let path = Path::new(dir).join(man.get_filename());
        let shown = path.display().to_string();
        match page(&man).and_then(|p| std::fs::write(&path, &p).map(|()| p.len())) {
            Ok(len) => {
                if !quiet {
                    let _ = writeln!(err, "{}", wrote_message(&shown, len as u64));
                }
            }
            Err(e) => {
                let _ = writeln!(err, "error: cannot write {shown}: {e}");
                return EXIT_USAGE;
            }
        }
    }
    EXIT_OK
}
