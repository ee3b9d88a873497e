//! Drops a UTF-8 byte-order mark at the start of an input. Spreadsheet programs and editors on
//! Windows often write one; it is not part of the first column's name or the first line's JSON.

use std::io::{self, Read};

const BOM: &[u8] = b"\xef\xbb\xbf";

pub(super) struct SkipBom<R> {
    inner: R,
    /// The first bytes, once read, when they are not a byte-order mark: served first.
    head: Vec<u8>,
    started: bool,
}

impl<R: Read> SkipBom<R> {
    pub(super) fn new(inner: R) -> Self {
        SkipBom {
            inner,
            head: Vec::new(),
            started: false,
        }
    }
}

impl<R: Read> Read for SkipBom<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !self.started {
            // Up to three bytes, however few a read returns at a time.
            (&mut self.inner)
                .take(BOM.len() as u64)
                .read_to_end(&mut self.head)?;
            self.started = true;
            if self.head == BOM {
                self.head.clear();
            }
        }
        if !self.head.is_empty() {
            let n = self.head.len().min(buf.len());
            buf[..n].copy_from_slice(&self.head[..n]);
            self.head.drain(..n);
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        // One byte at a time from below, as a pipe may deliver them.
        let slow = bytes
            .chunks(1)
            .fold(Box::new(io::empty()) as Box<dyn Read>, |r, c| {
                Box::new(r.chain(c))
            });
        SkipBom::new(slow).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn drops_only_a_leading_mark() {
        assert_eq!(read(b"\xef\xbb\xbfa,b\n"), b"a,b\n");
        assert_eq!(read(b"a\xef\xbb\xbf"), b"a\xef\xbb\xbf");
        assert_eq!(read(b"\xef\xbb"), b"\xef\xbb");
        assert_eq!(read(b"\xef\xbb\xbf"), b"");
        assert_eq!(read(b""), b"");
        assert_eq!(read(b"\xef\xbb\xbf\xef\xbb\xbf"), b"\xef\xbb\xbf");
    }
}
