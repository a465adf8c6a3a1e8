//! JSON Lines: one record per line, exactly the [`Record`] types serialised with serde
//! (schema: docs/trace-schema.md).

use std::io::{self, Write};

use crate::trace::record::Record;
use crate::trace::recorder::Emit;

pub struct Jsonl<W: Write> {
    out: W,
}

impl<W: Write> Jsonl<W> {
    pub fn new(out: W) -> Jsonl<W> {
        Jsonl { out }
    }
}

impl<W: Write> Emit for Jsonl<W> {
    fn emit(&mut self, r: &Record) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, r)?;
        self.out.write_all(b"\n")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
