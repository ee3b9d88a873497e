//! Watches the bytes a CSV reader reads for a quote that is never closed.
//!
//! The csv crate, like most CSV readers, ends an open quoted field silently at the end of the
//! input: after `bob,"Bo` the value is `Bo` plus everything up to the end of the file, newlines
//! included, so one missing quote swallows the rest of the file into one cell. This reader
//! passes the bytes through unchanged and follows the same quoting rules as csv-core (quotes are
//! special only at the start of a field, `""` inside quotes is a quote), so that at the end of
//! the input it knows whether a quote is still open, and on which line it opened.

use std::io::{self, Read};

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    StartField,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: the field's end, or the first half of `""`.
    QuoteInQuoted,
}

pub(super) struct QuoteWatch<R> {
    inner: R,
    state: State,
    /// The line being read (1-based, counted as csv-core counts: by `\n`).
    line: u64,
    /// The line where the current quoted field opened.
    opened_on: u64,
    bytes: u64,
    at_eof: bool,
}

impl<R: Read> QuoteWatch<R> {
    pub(super) fn new(inner: R) -> Self {
        QuoteWatch {
            inner,
            state: State::StartField,
            line: 1,
            opened_on: 1,
            bytes: 0,
            at_eof: false,
        }
    }

    /// Once the whole input was read: the line of a quote that was never closed.
    pub(super) fn unclosed_quote(&self) -> Option<u64> {
        (self.at_eof && self.state == State::Quoted).then_some(self.opened_on)
    }

    /// Bytes read so far (the input's size once it was read to the end).
    pub(super) fn bytes_read(&self) -> u64 {
        self.bytes
    }

    fn watch(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let separator = matches!(b, b',' | b'\n' | b'\r');
            self.state = match (self.state, b) {
                (State::StartField, b'"') => {
                    self.opened_on = self.line;
                    State::Quoted
                }
                (State::Quoted, b'"') => State::QuoteInQuoted,
                (State::Quoted, _) => State::Quoted,
                (State::QuoteInQuoted, b'"') => State::Quoted,
                (_, _) if separator => State::StartField,
                (_, _) => State::Unquoted,
            };
            if b == b'\n' {
                self.line += 1;
            }
        }
    }
}

impl<R: Read> Read for QuoteWatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.at_eof = true;
        }
        self.watch(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unclosed(text: &[u8]) -> Option<u64> {
        let mut w = QuoteWatch::new(text);
        io::copy(&mut w, &mut io::sink()).unwrap();
        assert_eq!(w.bytes_read(), text.len() as u64);
        w.unclosed_quote()
    }

    #[test]
    fn finds_the_line_of_a_quote_never_closed() {
        assert_eq!(unclosed(b"a,b\n1,\"x\n2,y\n"), Some(2));
        assert_eq!(unclosed(b"a,b\n1,\"x\"\"\n\"\n2,\"y"), Some(4));
        assert_eq!(unclosed(b"a,b\n1,\"x\"\"\n\"\n2,y"), None);
        // Quotes inside an unquoted field are plain characters.
        assert_eq!(unclosed(b"a,b\n1,x\"y\n"), None);
        assert_eq!(unclosed(b"a,b\n1,\"x\"y\"\n"), None);
        assert_eq!(unclosed(b""), None);
    }
}
