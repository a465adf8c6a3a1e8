//! The race report of `--races` (`gilvm run --races`, `gilvm races`, `gilvm trace --races`):
//! each race the detector (`vm/races.rs`) found, in the order it found them, as text on stderr
//! in the manner of ThreadSanitizer — the location, both accesses with the instruction as `dis`
//! prints it and the source line with a caret, the locks each thread held, why it is a race
//! and the fix when it is plain — and as JSON (`--races-json FILE`).
//!
//! This layer only renders: the VM decided what is a race and named everything the report
//! needs when it found it (so a replay prints the same report).

use serde::{Deserialize, Serialize};

use crate::bytecode::Program;
use crate::vm::machine::Vm;
use crate::vm::races::{Race, RaceAccess};
use crate::vm::traceback::line_of;

/// Why any reported pair is a race (happens-before decided it).
pub const WHY: &str = "no lock in common and nothing orders these two accesses (no start/join, \
                       lock, condition, semaphore, event, queue or barrier between them)";

/// One access of a race, as the report shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessView {
    pub thread: String,
    /// `read` or `write`.
    pub access: String,
    /// The instruction as `dis` prints it: `LOAD_GLOBAL 0 (counter)`.
    pub instruction: String,
    pub file: String,
    pub line: u32,
    /// The function it is in.
    pub function: String,
    /// The source line, without its indentation.
    pub source: String,
    /// Carets under the instruction's part of `source` (empty when unknown).
    pub caret: String,
    pub locks_held: Vec<String>,
}

/// One race, as the report shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaceView {
    pub location: String,
    pub kind: String,
    /// The later access (the one that found the race), then the earlier.
    pub access: AccessView,
    pub previous: AccessView,
    pub why: String,
    /// The fix, when it is plain.
    pub hint: Option<String>,
}

/// What `--races-json` writes.
#[derive(Clone, Debug, Serialize)]
pub struct RacesJson {
    /// Races found: distinct pairs of source lines.
    pub races: u64,
    /// Reports kept in full (the first ones).
    pub reports: Vec<RaceView>,
    /// Accesses to locations the bounded shadow state could not track.
    pub untracked_accesses: u64,
}

/// The races of `vm`'s run, ready to print.
pub fn views(vm: &Vm) -> Vec<RaceView> {
    let Some(d) = vm.races.as_ref() else {
        return Vec::new();
    };
    d.races.iter().map(|r| view(vm, r)).collect()
}

fn view(vm: &Vm, r: &Race) -> RaceView {
    let access = access_view(vm, &r.later);
    let previous = access_view(vm, &r.earlier);
    let hint = hint(&r.location, &access, &previous);
    RaceView {
        location: r.location.clone(),
        kind: r.kind.to_string(),
        access,
        previous,
        why: WHY.to_string(),
        hint,
    }
}

fn access_view(vm: &Vm, a: &RaceAccess) -> AccessView {
    let prog: &Program = &vm.prog;
    let code = &prog.codes[a.code as usize];
    let line = line_of(prog, a.code, a.pc);
    let (file, text) = if a.code >= vm.prelude.start {
        crate::vm::pymodules::module_of(&vm.rt.module_starts, a.code).unwrap_or((
            crate::vm::prelude::FILENAME.to_string(),
            crate::vm::prelude::SOURCE,
        ))
    } else {
        (prog.filename.clone(), prog.source.as_str())
    };
    // `  14 LOAD_GLOBAL ...`: the offset goes (the line number says where).
    let instruction = crate::dis::format_instr(prog, code, a.pc as usize)
        .trim()
        .split_once(' ')
        .map(|(_, rest)| rest.trim().to_string())
        .unwrap_or_default();
    let (source, caret) = source_and_caret(text, line, code.spans.get(a.pc as usize).copied());
    AccessView {
        thread: a.thread.clone(),
        access: if a.write { "write" } else { "read" }.to_string(),
        instruction: squeeze(&instruction),
        file,
        line,
        function: code.name.clone(),
        source,
        caret,
        locks_held: a.locks.clone(),
    }
}

/// `LOAD_GLOBAL              0 (counter)` with its column padding folded: `LOAD_GLOBAL 0
/// (counter)` (a string constant's own spaces are kept).
fn squeeze(s: &str) -> String {
    let mut words = Vec::new();
    let mut rest = s.trim();
    for _ in 0..2 {
        match rest.split_once(' ') {
            Some((w, r)) => {
                words.push(w);
                rest = r.trim_start();
            }
            None => break,
        }
    }
    if !rest.is_empty() {
        words.push(rest);
    }
    words.join(" ")
}

/// Source line `line` (1-based) of `text` without its indentation, and carets under the part
/// `span` covers on that line.
fn source_and_caret(
    text: &str,
    line: u32,
    span: Option<crate::bytecode::Span>,
) -> (String, String) {
    let mut start = 0usize;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line as usize {
            let raw = l.trim_end_matches(['\n', '\r']);
            let indent = raw.len() - raw.trim_start().len();
            let shown = raw.trim_start().to_string();
            let caret = span
                .map(|s| {
                    let lo = (s.start as usize).clamp(start + indent, start + raw.len());
                    let hi = (s.end as usize).clamp(lo, start + raw.len());
                    let col = text[start + indent..lo].chars().count();
                    let width = text[lo..hi].chars().count().max(1);
                    format!("{}{}", " ".repeat(col), "^".repeat(width))
                })
                .filter(|_| text.is_char_boundary(start) && !shown.is_empty())
                .unwrap_or_default();
            return (shown, caret);
        }
        start += l.len();
    }
    (String::new(), String::new())
}

/// The fix, when it is plain: the same lock around both accesses.
fn hint(location: &str, a: &AccessView, b: &AccessView) -> Option<String> {
    let lines = if a.line == b.line && a.file == b.file {
        format!("line {}", a.line)
    } else {
        format!("lines {} and {}", b.line.min(a.line), b.line.max(a.line))
    };
    let common = a.locks_held.iter().any(|l| b.locks_held.contains(l));
    match (a.locks_held.first(), b.locks_held.first()) {
        _ if common => None,
        (None, None) => Some(format!(
            "guard every access to {location} with one lock: `with lock:` around {lines}, in every thread"
        )),
        (Some(l), None) => Some(one_side(l, a, b)),
        (None, Some(l)) => Some(one_side(l, b, a)),
        (Some(x), Some(y)) => Some(format!(
            "the two threads hold different locks ({}, {}): guard {location} with the same one",
            quoted(x),
            quoted(y)
        )),
    }
}

/// The fix when `locked` held `lock` and `bare` held nothing.
fn one_side(lock: &str, locked: &AccessView, bare: &AccessView) -> String {
    let with = if is_name(lock) {
        format!(" (`with {lock}:`)")
    } else {
        String::new()
    };
    format!(
        "{} holds {} at line {} but {} holds no lock at line {}: take it there too{with}",
        locked.thread,
        quoted(lock),
        locked.line,
        bare.thread,
        bare.line
    )
}

/// Whether a lock's name is an expression of the program (`lock`, `self.lock`) rather than a
/// description (`the Lock created at line 3`).
fn is_name(lock: &str) -> bool {
    !lock.is_empty()
        && lock
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
}

/// A lock's name in backquotes when it is the program's, else its description.
fn quoted(lock: &str) -> String {
    if is_name(lock) {
        format!("`{lock}`")
    } else {
        lock.to_string()
    }
}

fn held(locks: &[String]) -> String {
    if locks.is_empty() {
        "holding no lock".to_string()
    } else {
        let names: Vec<String> = locks.iter().map(|l| quoted(l)).collect();
        format!("holding {}", names.join(", "))
    }
}

fn write_access(out: &mut String, a: &AccessView, label: &str) {
    out.push_str(&format!(
        "  {label} by {}, {}:\n    {}:{}, in {}: {}\n",
        a.thread,
        held(&a.locks_held),
        a.file,
        a.line,
        a.function,
        a.instruction
    ));
    if !a.source.is_empty() {
        out.push_str(&format!("        {}\n", a.source));
        if !a.caret.is_empty() {
            out.push_str(&format!("        {}\n", a.caret));
        }
    }
}

impl RaceView {
    /// The pair of source lines it is reported once for: (file, line) of both accesses, the
    /// smaller first.
    pub fn lines(&self) -> ((String, u32), (String, u32)) {
        let a = (self.access.file.clone(), self.access.line);
        let b = (self.previous.file.clone(), self.previous.line);
        if a <= b {
            (a, b)
        } else {
            (b, a)
        }
    }

    /// One line: `counter: T1 writes at line 7, T2 reads at line 7, unordered`.
    pub fn short(&self) -> String {
        let verb = |a: &AccessView| {
            if a.access == "write" {
                "writes"
            } else {
                "reads"
            }
        };
        format!(
            "data race on {}: {} {} it at line {}, {} {} it at line {}, with nothing ordering them",
            self.location,
            self.previous.thread,
            verb(&self.previous),
            self.previous.line,
            self.access.thread,
            verb(&self.access),
            self.access.line
        )
    }
}

/// One race as text (ends with a newline).
pub fn render(r: &RaceView) -> String {
    let mut out = format!("gilvm: data race on {} ({})\n", r.location, r.kind);
    let verb = |a: &AccessView| if a.access == "write" { "Write" } else { "Read" };
    write_access(&mut out, &r.access, verb(&r.access));
    let prev = format!("Previous {}", verb(&r.previous).to_lowercase());
    write_access(&mut out, &r.previous, &prev);
    out.push_str(&format!("  why: {}\n", r.why));
    if let Some(h) = &r.hint {
        out.push_str(&format!("  fix: {h}\n"));
    }
    out
}

/// Every kept race as text, one blank line between them.
pub fn report(vm: &Vm) -> String {
    views(vm).iter().map(render).collect::<Vec<_>>().join("\n")
}

/// The races as JSON.
pub fn json(vm: &Vm) -> String {
    let (races, untracked) = vm.races.as_ref().map_or((0, 0), |d| (d.count, d.untracked));
    let doc = RacesJson {
        races,
        reports: views(vm),
        untracked_accesses: untracked,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_string()) + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carets_sit_under_the_span_on_its_line() {
        let text = "x = 1\nif x:\n    counter += 1\n";
        let start = text.find("counter").unwrap();
        let span = crate::bytecode::Span::new(start, start + 7);
        let (src, caret) = source_and_caret(text, 3, Some(span));
        assert_eq!(src, "counter += 1");
        assert_eq!(caret, "^^^^^^^");
        assert_eq!(
            squeeze("LOAD_GLOBAL        0 (counter)"),
            "LOAD_GLOBAL 0 (counter)"
        );
        assert_eq!(squeeze("LOAD_CONST   1 ('a  b')"), "LOAD_CONST 1 ('a  b')");
        assert_eq!(squeeze("BINARY_SUBSCR"), "BINARY_SUBSCR");
    }
}
