//! Splits a CSV input into records by its quotes, strictly, so that a stray quote never
//! merges rows silently.
//!
//! The csv crate, like most CSV readers, is lenient: text after a closing quote (`"C1"x`) is
//! appended to the value; a quoted value may close on a later line and go on unquoted
//! (`bob,"C2` then `carol,"C3`), which swallows the rows between into one cell; a quote never
//! closed swallows the rest of the file. This splitter follows csv-core's rules (quotes are
//! special only at the start of a field, `""` inside quotes is a quote, `\r`, `\n` and `\r\n`
//! end a record, blank lines are skipped) to find where each record ends, and says what was
//! wrong with its quotes:
//! - text after a closing quote, on the line the quote opened on: the record is read as the
//!   csv crate reads it, and flagged;
//! - a quote that closes on a later line with text after it: the record ends with the line
//!   the quote opened on, and the lines after it are read again, as records of their own;
//! - a quote never closed: the rest of the input is the record (nothing after it can be told
//!   apart from the value), flagged.
//!
//! A quoted value over several lines that closes right before a delimiter or the end of the
//! record is a value like any other, its line breaks kept. Lines are counted as an editor
//! shows them (`\n`, `\r\n` and a lone `\r` each end one), columns in characters. The fields
//! of a record are then unescaped by csv-core (`super::csv_input::fields`).

use std::io::{self, Read};

/// Where a quote opened: line and column (1-based), and the field it opens (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Quote {
    pub line: u64,
    pub column: u64,
    pub field: usize,
}

/// What was wrong with a record's quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum QuoteProblem {
    /// `"C1"x`: text after the closing quote, on the line the quote opened on.
    TextAfterClose(Quote),
    /// The quote closed on line `closed_on` with text after it: the record was cut.
    ClosedLaterWithText { quote: Quote, closed_on: u64 },
    /// Still open at the end of the input.
    NeverClosed(Quote),
}

impl QuoteProblem {
    pub(super) fn quote(&self) -> Quote {
        match *self {
            QuoteProblem::TextAfterClose(q)
            | QuoteProblem::ClosedLaterWithText { quote: q, .. }
            | QuoteProblem::NeverClosed(q) => q,
        }
    }

    /// The problem in words (the caller names the column's attribute).
    pub(super) fn message(&self) -> String {
        match *self {
            QuoteProblem::TextAfterClose(q) => format!(
                "text follows the closing quote of the value whose quote opened on line {}, \
                 column {}: put the whole value in quotes and double each quote inside it",
                q.line, q.column
            ),
            QuoteProblem::ClosedLaterWithText {
                quote: q,
                closed_on,
            } => format!(
                "the quote opened on line {}, column {} closes only on line {closed_on}, with \
                 text after it: rather than merge those lines into one value, this row ends \
                 with line {} and the lines after it are read as rows of their own",
                q.line, q.column, q.line
            ),
            QuoteProblem::NeverClosed(q) => format!(
                "a quote opened on line {} is never closed: the rest of the file, from column \
                 {} of that line, was read as one value",
                q.line, q.column
            ),
        }
    }
}

/// One record's bytes (without its line end), the line of its first byte, and what was wrong
/// with its quotes.
#[derive(Debug)]
pub(super) struct Split {
    pub bytes: Vec<u8>,
    pub line: u64,
    pub problems: Vec<QuoteProblem>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    StartField,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: the field's end, or the first half of `""`.
    QuoteInQuoted,
}

pub(super) struct Splitter<R> {
    inner: R,
    /// Bytes to read before the rest of `inner`: read ahead, or given back to be read again.
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
    /// The line and the characters seen on it so far, for the next byte.
    line: u64,
    column: u64,
    after_cr: bool,
    /// Line and column of the byte last read.
    at: (u64, u64),
}

const CHUNK: usize = 64 * 1024;

impl<R: Read> Splitter<R> {
    pub(super) fn new(inner: R) -> Self {
        Splitter {
            inner,
            buf: Vec::new(),
            pos: 0,
            eof: false,
            line: 1,
            column: 0,
            after_cr: false,
            at: (1, 1),
        }
    }

    /// The next record, or `None` at the end of the input.
    pub(super) fn next_record(&mut self) -> io::Result<Option<Split>> {
        // Blank lines between records are skipped, as the csv crate does.
        let mut c = loop {
            match self.next_byte()? {
                None => return Ok(None),
                Some(b'\r' | b'\n') => continue,
                Some(b) => break b,
            }
        };
        let line = self.at.0;
        let mut bytes = Vec::new();
        let mut problems = Vec::new();
        let (mut state, mut field) = (State::StartField, 0);
        // The quote of the field being read, and where it is in `bytes`.
        let mut open = (
            Quote {
                line,
                column: 1,
                field,
            },
            0,
        );
        loop {
            state = match (state, c) {
                (State::StartField, b'"') => {
                    let (line, column) = self.at;
                    open = (
                        Quote {
                            line,
                            column,
                            field,
                        },
                        bytes.len(),
                    );
                    State::Quoted
                }
                (State::Quoted, b'"') => State::QuoteInQuoted,
                (State::Quoted, _) => State::Quoted,
                (State::QuoteInQuoted, b'"') => State::Quoted,
                (_, b',') => {
                    field += 1;
                    State::StartField
                }
                (_, b'\r' | b'\n') => break,
                (State::QuoteInQuoted, _) if self.at.0 == open.0.line => {
                    problems.push(QuoteProblem::TextAfterClose(open.0));
                    State::Unquoted
                }
                (State::QuoteInQuoted, _) => {
                    let closed_on = self.at.0;
                    bytes.push(c);
                    self.cut(&mut bytes, open.1, open.0.line + 1);
                    problems.push(QuoteProblem::ClosedLaterWithText {
                        quote: open.0,
                        closed_on,
                    });
                    break;
                }
                (_, _) => State::Unquoted,
            };
            bytes.push(c);
            match self.next_byte()? {
                Some(b) => c = b,
                None => {
                    if state == State::Quoted {
                        problems.push(QuoteProblem::NeverClosed(open.0));
                    }
                    break;
                }
            }
        }
        Ok(Some(Split {
            bytes,
            line,
            problems,
        }))
    }

    /// Ends the record at the end of the line its quote (at `quote`) opened on, and gives
    /// the bytes after that line back, to be read again from line `next_line`.
    fn cut(&mut self, bytes: &mut Vec<u8>, quote: usize, next_line: u64) {
        let Some(end) = bytes[quote..]
            .iter()
            .position(|&b| b == b'\r' || b == b'\n')
            .map(|i| quote + i)
        else {
            return; // cannot happen: the quote closed on a later line
        };
        let skip = match &bytes[end..] {
            [b'\r', b'\n', ..] => 2,
            _ => 1,
        };
        let again = bytes.split_off(end + skip);
        bytes.truncate(end);
        let rest = self.buf.split_off(self.pos);
        self.buf = again;
        self.buf.extend_from_slice(&rest);
        self.pos = 0;
        (self.line, self.column, self.after_cr) = (next_line, 0, false);
    }

    fn next_byte(&mut self) -> io::Result<Option<u8>> {
        if self.pos == self.buf.len() && !self.fill()? {
            return Ok(None);
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        match b {
            b'\n' if self.after_cr => self.at = (self.line - 1, self.column + 1),
            b'\n' | b'\r' => {
                self.at = (self.line, self.column + 1);
                self.line += 1;
                self.column = 0;
            }
            // A UTF-8 continuation byte is part of the character before it.
            _ if b & 0xC0 == 0x80 => self.at = (self.line, self.column.max(1)),
            _ => {
                self.column += 1;
                self.at = (self.line, self.column);
            }
        }
        self.after_cr = b == b'\r';
        Ok(Some(b))
    }

    /// Reads the next chunk of the input; false at its end.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        self.buf.clear();
        self.buf.resize(CHUNK, 0);
        self.pos = 0;
        let n = loop {
            match self.inner.read(&mut self.buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.clear();
                    return Err(e);
                }
            }
        };
        self.buf.truncate(n);
        self.eof = n == 0;
        Ok(n > 0)
    }
}

#[cfg(test)]
mod tests;
