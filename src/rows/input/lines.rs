//! Line numbers of CSV records as an editor shows them.
//!
//! The csv crate counts lines its own way: a CRLF file (what Excel and most exporters write)
//! came out one line short per record, and the blank lines it skips shifted the count. This
//! reader passes the bytes through unchanged and notes where each non-blank line starts, so
//! that a record's line is the line of its first byte: `\n`, `\r\n` and a lone `\r` (which
//! the csv crate also ends a record on) each end one line, blank lines included.
//!
//! Memory: one entry per line between the record asked about and what the CSV reader has
//! read ahead (its buffer), dropped as records are asked about in order.

use std::collections::VecDeque;
use std::io::{self, Read};

pub struct LineIndex<R> {
    inner: R,
    /// Offset of the next byte to be read.
    offset: u64,
    /// The line the next byte is on (1-based).
    line: u64,
    /// The last byte read was a `\r`: a `\n` right after it ends the same line.
    after_cr: bool,
    /// Whether the current line has had a byte other than a line end.
    line_has_content: bool,
    /// (offset of the first byte, line) of each non-blank line not yet asked past.
    starts: VecDeque<(u64, u64)>,
}

impl<R: Read> LineIndex<R> {
    pub fn new(inner: R) -> Self {
        LineIndex {
            inner,
            offset: 0,
            line: 1,
            after_cr: false,
            line_has_content: false,
            starts: VecDeque::new(),
        }
    }

    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The line of the first byte that is not a line end at or after `offset` (a record's
    /// start, as the csv crate reports it, may point at the blank lines before the record).
    /// Offsets must be asked in increasing order: earlier lines are forgotten.
    pub fn line_at(&mut self, offset: u64) -> u64 {
        while self.starts.front().is_some_and(|&(at, _)| at < offset) {
            self.starts.pop_front();
        }
        self.starts.front().map_or(self.line, |&(_, line)| line)
    }

    fn watch(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                b'\n' if self.after_cr => {}
                b'\n' | b'\r' => {
                    self.line += 1;
                    self.line_has_content = false;
                }
                _ => {
                    if !self.line_has_content {
                        self.line_has_content = true;
                        self.starts.push_back((self.offset, self.line));
                    }
                }
            }
            self.after_cr = b == b'\r';
            self.offset += 1;
        }
    }
}

impl<R: Read> Read for LineIndex<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.watch(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lines of the records of `text`, as the CSV reader sees them.
    fn record_lines(text: &[u8]) -> Vec<u64> {
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(LineIndex::new(text));
        let mut record = csv::ByteRecord::new();
        let mut out = vec![];
        while csv.read_byte_record(&mut record).unwrap() {
            let at = record.position().unwrap().byte();
            out.push(csv.get_mut().line_at(at));
        }
        out
    }

    #[test]
    fn lines_are_counted_the_same_for_every_line_end_and_blank_lines_count() {
        assert_eq!(record_lines(b"h,v\na,1\nb,2\n"), [2, 3]);
        assert_eq!(record_lines(b"h,v\r\na,1\r\nb,2\r\n"), [2, 3]);
        assert_eq!(record_lines(b"h,v\ra,1\rb,2\r"), [2, 3]);
        assert_eq!(record_lines(b"h,v\r\n\r\na,1\r\n\r\n\r\nb,2"), [3, 6]);
        assert_eq!(record_lines(b"\nh,v\n\na,1\n\nb,2\n\n"), [4, 6]);
        // A quoted value over several lines: the next record's line counts them.
        assert_eq!(record_lines(b"h,v\r\na,\"x\r\ny\r\n\"\r\nb,2\r\n"), [2, 5]);
    }

    #[test]
    fn a_small_reader_buffer_gives_the_same_lines() {
        let text = b"h,v\r\n\r\na,1\r\n\r\nb,\"2\r\n\r\n\"\r\nc,3\r\n";
        let mut csv = csv::ReaderBuilder::new()
            .buffer_capacity(1)
            .from_reader(LineIndex::new(&text[..]));
        let mut record = csv::ByteRecord::new();
        let mut out = vec![];
        while csv.read_byte_record(&mut record).unwrap() {
            let at = record.position().unwrap().byte();
            out.push(csv.get_mut().line_at(at));
        }
        assert_eq!(out, [3, 5, 8]);
    }
}
