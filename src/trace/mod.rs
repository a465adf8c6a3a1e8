//! `gilvm trace`: the interleaving of a run, instruction by instruction, in four forms —
//! text, JSON Lines, Chrome Trace Event JSON (Perfetto) and a self-contained HTML page.
//!
//! How it works: [`run_traced`] attaches a [`recorder::Recorder`] to the VM
//! (`Vm::tracer`). The driver then runs in step mode (`hook.rs`) and the recorder turns what
//! it observes into [`record::Record`]s, which one format writes as they come. A traced run
//! makes exactly the scheduling decisions of `gilvm run` with the same seed and options, so
//! the program prints the same output and loses the same updates.
//!
//! Where the program's own output goes: when the trace is written to stdout, the program's
//! output becomes `print` records inside the trace (so the two cannot garble each other);
//! with `-o FILE` the program's output goes to stdout untouched, exactly as with `gilvm run`
//! (an HTML page keeps a copy of it for its output panel).
//!
//! This module must not change what a run does; it only reads the VM.

pub mod capture;
pub mod chrome;
pub mod html;
pub mod jsonl;
pub mod record;
pub mod recorder;
// The HTML page's scrubber and value tracks (issue #17: show the race, not only its end).
pub mod scrub;
// Sync-object events, crashes and deadlocks in the trace (issue #17's views).
pub mod sync_events;
pub mod text;

use std::io::{self, Write};

use crate::trace::capture::Capture;
use crate::trace::record::{Header, SCHEMA_VERSION};
use crate::trace::recorder::{Emit, Filters, Recorder};
use crate::vm::driver::Ending;
use crate::vm::machine::{RunConfig, Vm};
use crate::vm::prelude::LocalImage;

/// The output format of a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Jsonl,
    Chrome,
    Html,
}

impl Format {
    pub fn from_name(s: &str) -> Option<Format> {
        Some(match s {
            "text" => Format::Text,
            "jsonl" => Format::Jsonl,
            "chrome" => Format::Chrome,
            "html" => Format::Html,
            _ => return None,
        })
    }
}

/// Everything `gilvm trace` needs besides the run's own configuration.
#[derive(Clone, Debug)]
pub struct TraceSettings {
    pub format: Format,
    pub filters: Filters,
    /// The program's name as shown (`programs/counter_race.toy`).
    pub program: String,
    /// Its source text (for the HTML page's source view).
    pub source: String,
    /// The GIL model's name and its interval in words (for the header).
    pub model: String,
    pub interval: String,
    /// The trace goes to stdout: capture the program's output into the trace.
    pub shares_stdout: bool,
    /// How many instructions of the run a trace without `--limit` follows (`gilvm trace` gives
    /// [`recorder::DEFAULT_STEP_LIMIT`]).
    pub default_limit: u64,
}

/// Runs the program of `image` (linked by the run layer) with a tracer writing to `out`. Returns the finished VM (for the run
/// summary) and how the run ended, or `None` if the program's constants do not fit the heap.
pub fn run_traced(
    image: &LocalImage,
    config: RunConfig,
    settings: &TraceSettings,
    out: Box<dyn Write>,
    err: &mut dyn Write,
) -> Option<(Vm, Ending)> {
    // An HTML page written with `-o` shows the program's output too: a copy of it is captured
    // while it goes to stdout as usual.
    let capture = if settings.shares_stdout {
        Some(Capture::default())
    } else if settings.format == Format::Html {
        Some(Capture::tee())
    } else {
        None
    };
    let stdout: Box<dyn Write> = match &capture {
        Some(c) => Box::new(c.clone()),
        None => Box::new(io::BufWriter::new(io::stdout())),
    };
    let header = Header {
        v: SCHEMA_VERSION,
        gilvm: env!("CARGO_PKG_VERSION").into(),
        program: settings.program.clone(),
        seed: config.seed,
        model: settings.model.clone(),
        switch_interval: config.switch_interval,
        interval: settings.interval.clone(),
        ns_per_instr: config.ns_per_instr,
        threads: settings.filters.threads.clone(),
        vars: settings.filters.vars.clone(),
        lines: settings.filters.lines,
        limit: settings.filters.limit,
    };
    let first_lost = match settings.format {
        Format::Text => first_lost_update(image, &config),
        _ => None,
    };
    let config_for_lookahead = config.clone();
    let mut vm = Vm::new(image, config, stdout).ok()?;
    let emit: Box<dyn Emit> = match settings.format {
        Format::Text => Box::new(text::Text::new(out, first_lost)),
        Format::Jsonl => Box::new(jsonl::Jsonl::new(out)),
        Format::Chrome => {
            let instants =
                settings.filters.narrows_instructions() || settings.filters.limit.is_some();
            Box::new(chrome::Chrome::new(out, instants))
        }
        Format::Html => Box::new(html::Html::new(out, &settings.program, &settings.source)),
    };
    let mut recorder = Recorder::new(&vm, header, settings.filters.clone(), emit, capture.clone());
    recorder.text = settings.format == Format::Text;
    recorder.default_limit = settings.default_limit;
    if settings.format == Format::Html {
        recorder.with_scrub(scrub::Scrub::new(scrub::watched(
            image,
            &config_for_lookahead,
            &settings.filters,
        )));
    }
    vm.tracer = Some(Box::new(recorder));
    let ending = vm.run(err);
    let _ = vm.rt.stdout.flush();
    if let Some(mut t) = vm.tracer.take().or_else(|| vm.finished_tracer.take()) {
        t.finish(&vm, &ending);
    }
    if let Some(dropped) = capture.map(|c| c.dropped()).filter(|&d| d > 0) {
        let _ = writeln!(
            err,
            "gilvm: the trace kept the first {} bytes of the program's output after it stopped and left out {dropped} more (with -o FILE the output goes to stdout whole)",
            capture::MAX_KEPT_AFTER_STOP
        );
    }
    Some((vm, ending))
}

/// How many instructions the look-ahead run of a text trace may take.
const LOOKAHEAD_STEPS: u64 = 50_000_000;

/// The first lost update of the run, in plain words, found by running the program once
/// untraced beforehand (the run is deterministic, so the traced run loses the same update).
/// It opens a text trace, so a reader sees the story on the first screen even when the
/// update is lost thousands of lines down.
fn first_lost_update(image: &LocalImage, config: &RunConfig) -> Option<String> {
    let config = RunConfig {
        max_steps: config.max_steps.min(LOOKAHEAD_STEPS),
        races: false,
        ..config.clone()
    };
    let mut vm = Vm::new(image, config, Box::new(io::sink())).ok()?;
    vm.run(&mut io::sink());
    let ev = vm.lost_events.first()?;
    Some(vm.explain_lost(ev))
}

/// Parses `--lines A-B` (or a single line `A`).
pub fn parse_lines(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("expected a line range like 7-9, found `{s}`");
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (a.trim(), b.trim()),
        None => (s.trim(), s.trim()),
    };
    let a: u32 = a.parse().map_err(|_| bad())?;
    let b: u32 = b.parse().map_err(|_| bad())?;
    if a > b {
        return Err(format!(
            "the line range {s} is empty (it starts after it ends)"
        ));
    }
    Ok((a, b))
}
