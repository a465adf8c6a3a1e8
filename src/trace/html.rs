//! placeholder
use std::io::{self, Write};

use crate::trace::record::Record;
use crate::trace::recorder::Emit;

pub struct Html<W: Write> {
    out: W,
}

impl<W: Write> Html<W> {
    pub fn new(out: W, _program: &str, _source: &str) -> Html<W> {
        Html { out }
    }
}

impl<W: Write> Emit for Html<W> {
    fn emit(&mut self, _r: &Record) -> io::Result<()> {
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
