//! The program's stdout during a trace that shares stdout with it: printed text is captured
//! and handed to the recorder as `print` records, in order with the instructions.
//!
//! Once the trace is done the capture either passes the program's output straight through
//! (a text trace after `--limit`), keeps at most [`MAX_KEPT_AFTER_STOP`] bytes of it for the
//! `print` records at the end (a structured trace after `--limit`: the rest of the run is not
//! bounded by the trace, only by `--max-steps`), or discards it (the trace's reader went away,
//! e.g. `| head`).

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;

/// What happens to the program's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Capture,
    Pass,
    Discard,
    /// The output goes to stdout as with `gilvm run` and a copy is captured too (an HTML page
    /// written with `-o` shows the program's output).
    Tee,
}

/// How much of the program's output a structured trace keeps once it has stopped.
pub const MAX_KEPT_AFTER_STOP: usize = 1 << 20;

#[derive(Debug)]
struct State {
    buf: Vec<u8>,
    mode: Mode,
    /// At most this many bytes stay in `buf` (set when the trace stops).
    bound: Option<usize>,
    /// Bytes dropped at the bound.
    dropped: u64,
}

/// A cloneable handle on the captured output: one clone is the program's stdout, the other
/// stays with the recorder.
#[derive(Clone, Debug)]
pub struct Capture(Rc<RefCell<State>>);

impl Default for Capture {
    fn default() -> Capture {
        Capture(Rc::new(RefCell::new(State {
            buf: Vec::new(),
            mode: Mode::Capture,
            bound: None,
            dropped: 0,
        })))
    }
}

impl Capture {
    /// A capture whose output also goes straight to stdout.
    pub fn tee() -> Capture {
        let c = Capture::default();
        c.0.borrow_mut().mode = Mode::Tee;
        c
    }

    /// Takes the complete lines printed so far (without their newlines). With `all`, a last
    /// unfinished line is taken too.
    pub fn take_lines(&self, all: bool) -> Vec<String> {
        let mut st = self.0.borrow_mut();
        let cut = if all {
            st.buf.len()
        } else {
            match st.buf.iter().rposition(|&b| b == b'\n') {
                Some(i) => i + 1,
                None => return Vec::new(),
            }
        };
        if cut == 0 {
            return Vec::new();
        }
        let rest = st.buf.split_off(cut);
        let done = std::mem::replace(&mut st.buf, rest);
        let text = String::from_utf8_lossy(&done);
        let text = text.strip_suffix('\n').unwrap_or(&text);
        text.split('\n').map(str::to_string).collect()
    }

    /// From now on the program's output goes straight to stdout.
    pub fn pass_through(&self) {
        let mut st = self.0.borrow_mut();
        if st.mode == Mode::Tee {
            st.buf.clear();
            st.mode = Mode::Pass;
            return;
        }
        let pending = std::mem::take(&mut st.buf);
        st.mode = Mode::Pass;
        let _ = io::stdout().write_all(&pending);
    }

    /// From now on the program's output is dropped.
    pub fn discard(&self) {
        let mut st = self.0.borrow_mut();
        st.buf.clear();
        // A copy's original still goes to stdout.
        st.mode = if st.mode == Mode::Tee {
            Mode::Pass
        } else {
            Mode::Discard
        };
    }

    /// From now on at most [`MAX_KEPT_AFTER_STOP`] bytes wait in the capture; the rest of the
    /// program's output is dropped and counted ([`Capture::dropped`]).
    pub fn bound(&self) {
        self.0.borrow_mut().bound = Some(MAX_KEPT_AFTER_STOP);
    }

    /// Bytes of output dropped at the bound.
    pub fn dropped(&self) -> u64 {
        self.0.borrow().dropped
    }

    pub fn has_pending(&self) -> bool {
        !self.0.borrow().buf.is_empty()
    }
}

impl Write for Capture {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut st = self.0.borrow_mut();
        match st.mode {
            Mode::Capture | Mode::Tee => {
                let room = st
                    .bound
                    .map_or(data.len(), |b| b.saturating_sub(st.buf.len()));
                let (keep, drop) = data.split_at(room.min(data.len()));
                st.buf.extend_from_slice(keep);
                if st.mode == Mode::Tee {
                    // The whole output went to stdout: nothing is lost, the page just shows less.
                    let _ = io::stdout().write_all(data);
                } else {
                    st.dropped += drop.len() as u64;
                }
            }
            // A closed stdout is not the program's problem: its output is simply lost.
            Mode::Pass => {
                let _ = io::stdout().write_all(data);
            }
            Mode::Discard => {}
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if matches!(self.0.borrow().mode, Mode::Pass | Mode::Tee) {
            let _ = io::stdout().flush();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_out_whole() {
        let c = Capture::default();
        let mut w = c.clone();
        write!(w, "a\nb").unwrap();
        assert_eq!(c.take_lines(false), vec!["a".to_string()]);
        write!(w, "c\n\n").unwrap();
        assert_eq!(c.take_lines(false), vec!["bc".to_string(), String::new()]);
        write!(w, "tail").unwrap();
        assert_eq!(c.take_lines(true), vec!["tail".to_string()]);
        assert!(!c.has_pending());
    }
}
