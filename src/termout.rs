//! How gilvm words things on the terminal: plurals ("1 switch", "2 switches"), file sizes
//! ("wrote race.html (2.0 MB)") and the per-thread colours of the trace and the run summary
//! (`--color`, `NO_COLOR`). Plain functions over strings, used by the run layer and the
//! trace; nothing here runs per instruction.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

pub use crate::vm::summary::plural;

/// A byte count in decimal units with one decimal: "512 B", "3.4 kB", "2.0 MB", "1.2 GB".
pub fn size(bytes: u64) -> String {
    const UNITS: [(&str, f64); 3] = [("GB", 1e9), ("MB", 1e6), ("kB", 1e3)];
    for (unit, scale) in UNITS {
        if bytes as f64 >= scale {
            return format!("{:.1} {unit}", bytes as f64 / scale);
        }
    }
    format!("{bytes} B")
}

/// The line said on stderr after writing a file the user asked for (`-o`, `--record`,
/// `--races-json`, `man -o`): `gilvm: wrote race.html (2.0 MB)`.
pub fn wrote_message(path: &str, bytes: u64) -> String {
    format!("gilvm: wrote {path} ({})", size(bytes))
}

/// `wrote_message` for a file just written, its size read back; `None` when `path` is not a
/// regular file (`-o /dev/null`, a named pipe): there is nothing to name.
pub fn wrote_file(path: &str) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    meta.is_file().then(|| wrote_message(path, meta.len()))
}

/// When to colour: `--color auto|always|never`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set (to anything but the empty string) or `TERM`
    /// is `dumb`.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour a stream that is (`is_terminal`) or is not a terminal.
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        }
    }
}

/// The colours threads are drawn in, T0 (the main thread) first; past six they repeat.
const PALETTE: [AnsiColor; 6] = [
    AnsiColor::Cyan,
    AnsiColor::Magenta,
    AnsiColor::Yellow,
    AnsiColor::Green,
    AnsiColor::Blue,
    AnsiColor::Red,
];

/// The style of thread `tid`.
pub fn thread_style(tid: usize) -> Style {
    Style::new().fg_color(Some(PALETTE[tid % PALETTE.len()].into()))
}

fn painted(text: &str, style: Style) -> String {
    format!("{style}{text}{style:#}")
}

/// The thread a text-trace line belongs to: an instruction (`   0.004 T1    8 ...`), a
/// thread's end (`--- T1 finished`) or a hand-over (`=== GIL -> T1`), with the byte range to
/// paint: the whole line for an instruction, the rest from the marker for the others.
fn trace_line_thread(line: &str) -> Option<(usize, usize)> {
    let rest = line.trim_start();
    let time_len = rest.find(' ')?;
    let time = &rest[..time_len];
    if time.is_empty() || !time.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let after = rest[time_len..].trim_start();
    let start = line.len() - after.len();
    let label = if let Some(l) = after.strip_prefix("=== GIL -> ") {
        l
    } else if let Some(l) = after.strip_prefix("--- ") {
        l
    } else {
        after
    };
    let digits = label.strip_prefix('T')?;
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let tid = digits[..end].parse().ok()?;
    let from = if after.starts_with("===") || after.starts_with("---") {
        start
    } else {
        0
    };
    Some((tid, from))
}

/// One line of the text trace in its thread's colour (lines that belong to no thread, such
/// as the program's own output or `#` comments, unchanged).
pub fn paint_trace_line(line: &str) -> String {
    match trace_line_thread(line) {
        Some((tid, from)) => {
            let body = line.trim_end_matches('\n');
            let nl = &line[body.len()..];
            format!(
                "{}{}{nl}",
                &body[..from],
                painted(&body[from..], thread_style(tid))
            )
        }
        None => line.to_string(),
    }
}

/// `text` with every whole-word mention of a thread's name in that thread's colour.
/// `names[tid]` is thread `tid`'s name (`MainThread`, `Thread-2 (increment)`); of names that
/// start alike, the longest match wins ("Thread-10" is not "Thread-1").
pub fn paint_names(text: &str, names: &[String]) -> String {
    let mut order: Vec<usize> = (0..names.len()).filter(|&t| !names[t].is_empty()).collect();
    order.sort_by_key(|&t| std::cmp::Reverse(names[t].len()));
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut i = 0;
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
    'scan: while i < text.len() {
        let before = text[..i].chars().next_back();
        if !word(before) {
            for &t in &order {
                let name = &names[t];
                if text[i..].starts_with(name.as_str())
                    && !word(text[i + name.len()..].chars().next())
                {
                    out.push_str(&painted(name, thread_style(t)));
                    i += name.len();
                    continue 'scan;
                }
            }
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// A writer that paints the text trace line by line ([`paint_trace_line`]) on its way to
/// `inner`. Only used when the trace goes to a terminal (or `--color always`).
pub struct TracePainter<W: Write> {
    inner: W,
    line: Vec<u8>,
}

impl<W: Write> TracePainter<W> {
    pub fn new(inner: W) -> Self {
        TracePainter {
            inner,
            line: Vec::with_capacity(256),
        }
    }

    fn flush_line(&mut self) -> io::Result<()> {
        match std::str::from_utf8(&self.line) {
            Ok(s) => {
                let p = paint_trace_line(s);
                self.inner.write_all(p.as_bytes())?;
            }
            Err(_) => self.inner.write_all(&self.line)?,
        }
        self.line.clear();
        Ok(())
    }
}

impl<W: Write> Write for TracePainter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for chunk in buf.split_inclusive(|&b| b == b'\n') {
            self.line.extend_from_slice(chunk);
            if chunk.ends_with(b"\n") {
                self.flush_line()?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.line.is_empty() {
            self.flush_line()?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for TracePainter<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals() {
        assert_eq!(plural(1, "switch", "switches"), "1 switch");
        assert_eq!(plural(0, "switch", "switches"), "0 switches");
        assert_eq!(plural(28_002, "switch", "switches"), "28,002 switches");
    }

    #[test]
    fn sizes() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(999), "999 B");
        assert_eq!(size(3_400), "3.4 kB");
        assert_eq!(size(2_049_000), "2.0 MB");
        assert_eq!(size(1_250_000_000), "1.2 GB");
        assert_eq!(
            wrote_message("race.html", 2_000_000),
            "gilvm: wrote race.html (2.0 MB)"
        );
    }

    #[test]
    fn trace_lines_take_their_threads_colour() {
        let t1 = thread_style(1);
        let line = "       0.004 T1      8    24 LOAD_GLOBAL   1 (counter)\n";
        assert_eq!(
            paint_trace_line(line),
            format!("{t1}{}{t1:#}\n", line.trim_end())
        );
        let gil = "      0.400 === GIL -> T2 (T1 preempted after 100 instructions)";
        let t2 = thread_style(2);
        assert_eq!(
            paint_trace_line(gil),
            format!("      0.400 {t2}=== GIL -> T2 (T1 preempted after 100 instructions){t2:#}")
        );
        for plain in ["177460", "# T0 is MainThread", "", "1.5 T"] {
            assert_eq!(paint_trace_line(plain), plain);
        }
    }

    #[test]
    fn names_are_painted_whole() {
        let names: Vec<String> = ["MainThread", "Thread-1", "Thread-10"]
            .map(String::from)
            .to_vec();
        let (s1, s10) = (thread_style(1), thread_style(2));
        assert_eq!(
            paint_names("Thread-10 then Thread-1; Thread-1x", &names),
            format!("{s10}Thread-10{s10:#} then {s1}Thread-1{s1:#}; Thread-1x")
        );
    }

    #[test]
    fn painter_passes_bytes_in_any_chunks() {
        let mut out = Vec::new();
        {
            let mut p = TracePainter::new(&mut out);
            p.write_all(b"hello\n   0.0").unwrap();
            p.write_all(b"04 T0   1 X\nbye").unwrap();
        }
        let t0 = thread_style(0);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("hello\n{t0}   0.004 T0   1 X{t0:#}\nbye")
        );
    }

    #[test]
    fn choice() {
        assert!(ColorChoice::Always.enabled(false));
        assert!(!ColorChoice::Never.enabled(true));
        assert!(!ColorChoice::Auto.enabled(false));
    }
}
