//! The examples shown at the end of each subcommand's `--help` (clap's `after_help`). Every
//! command here runs from the repository's root as written; tests/cli_conventions.rs runs
//! those that name a file of `programs/` or `bench/` and checks that they run.

pub const DIS: &str = "\
Examples:
  gilvm dis programs/counter_race.toy
  gilvm dis programs/counter_race.toy --gil py311   # mark where 3.11 may switch threads";

pub const RUN: &str = "\
Examples:
  gilvm run programs/counter_race.toy --seed 7
  gilvm run programs/counter_race.toy --seed 7 --gil py39 --switch-interval 1us
  gilvm run programs/counter_race.toy --seed 7 --record race.schedule
  gilvm run programs/counter_race.toy --seed 7 --races -q";

pub const RACES: &str = "\
Examples:
  gilvm races programs/counter_race.toy --seed 7
  gilvm races programs/counter_locked.toy --seed 7 --races-json races.json";

pub const TRACE: &str = "\
Examples:
  gilvm trace programs/counter_race.toy --seed 7 --limit 40
  gilvm trace programs/counter_race.toy --seed 7 --var counter --thread T1
  gilvm trace programs/counter_race.toy --seed 7 --format html -o race.html";

pub const REPLAY: &str = "\
Examples:
  gilvm run programs/counter_race.toy --seed 7 --record race.schedule
  gilvm replay race.schedule
  gilvm replay programs/lesson_lost_update.schedule";

pub const SWEEP: &str = "\
Examples:
  gilvm sweep programs/lock_turns.toy --seeds 0..20 --gil py27 --gil py311
  gilvm sweep programs/bank_transfer_deadlock.toy --seeds 0..100 --fail-on deadlock";

pub const EXPLORE: &str = "\
Examples:
  gilvm explore bench/explore_two_threads.toy --first --record lost.schedule
  gilvm explore bench/explore_two_threads.toy --gil py311
  gilvm explore bench/explore_two_threads.toy --strategy pct --runs 50 --first";

pub const MERGE: &str = "\
Examples:
  gilvm explore prog.toy --json --shard 0/2 > a.json
  gilvm explore prog.toy --json --shard 1/2 > b.json
  gilvm merge a.json b.json";

pub const COMPLETIONS: &str = "\
Examples:
  gilvm completions bash > ~/.local/share/bash-completion/completions/gilvm
  gilvm completions zsh > ~/.zfunc/_gilvm      # with fpath+=~/.zfunc in ~/.zshrc
  gilvm completions fish > ~/.config/fish/completions/gilvm.fish";

pub const MAN: &str = "\
Examples:
  gilvm man | man -l -
  gilvm man -o ~/.local/share/man/man1   # gilvm.1, gilvm-run.1, …; then `man gilvm`";
