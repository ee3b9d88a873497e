//! How a kept user is written to the temporary files of `joined.rs` and `in_order.rs`:
//! length-prefixed strings and counts of 4 bytes, little-endian; read back only by this
//! process.

use super::Kept;
use crate::model::row::Identity;

fn put(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
    buf.extend_from_slice(s.as_bytes());
}

/// A kept user and its names: length-prefixed strings, counts as 4 bytes.
pub fn encode(kept: &Kept, names: &[(String, bool)]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(128);
    put(&mut buf, &kept.identity.username);
    match &kept.identity.sub {
        Some(sub) => {
            buf.push(1);
            put(&mut buf, sub);
        }
        None => buf.push(0),
    }
    buf.extend_from_slice(&(kept.attributes.len() as u32).to_le_bytes());
    for (name, value) in &kept.attributes {
        put(&mut buf, name);
        put(&mut buf, value);
    }
    buf.extend_from_slice(&(names.len() as u32).to_le_bytes());
    for (name, folded) in names {
        put(&mut buf, name);
        buf.push(u8::from(*folded));
    }
    // Its `enabled` flag: 0 not given, 1 false, 2 true. (Its groups are not written: they
    // are read after the pool, and joined when a user is loaded: `Current::joined_groups`.)
    buf.push(match kept.enabled {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    });
    buf
}

/// Reads back what [`encode`] wrote.
pub fn decode(buf: &[u8]) -> std::io::Result<(Kept, Vec<(String, bool)>)> {
    let mut r = Reader { buf, at: 0 };
    let username = r.string()?;
    let sub = match r.byte()? {
        1 => Some(r.string()?),
        _ => None,
    };
    let mut attributes = std::collections::BTreeMap::new();
    for _ in 0..r.count()? {
        let name = r.string()?;
        attributes.insert(name, r.string()?);
    }
    let mut names = Vec::new();
    for _ in 0..r.count()? {
        let name = r.string()?;
        names.push((name, r.byte()? == 1));
    }
    let enabled = match r.byte()? {
        1 => Some(false),
        2 => Some(true),
        _ => None,
    };
    let identity = Identity { username, sub };
    Ok((
        Kept {
            identity,
            attributes,
            groups: None,
            enabled,
        },
        names,
    ))
}

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> std::io::Result<&[u8]> {
        let bytes = self.buf.get(self.at..self.at + n).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "a kept user cut short")
        })?;
        self.at += n;
        Ok(bytes)
    }

    fn byte(&mut self) -> std::io::Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn count(&mut self) -> std::io::Result<usize> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }

    fn string(&mut self) -> std::io::Result<String> {
        let n = self.count()?;
        String::from_utf8(self.take(n)?.to_vec()).map_err(std::io::Error::other)
    }
}

/// Bytes of kept users held in memory before they go to a temporary file: a small run
/// (tens of thousands of users) never touches the disk.
const SMALL: usize = 8 << 20;

/// Where kept users are written: memory up to [`SMALL`] bytes, then a private, unnamed
/// temporary file.
pub enum Sink {
    Memory(Vec<u8>),
    File(std::io::BufWriter<std::fs::File>),
}

/// Kept users written, read back by offset.
#[derive(Debug)]
pub enum Stored {
    Memory(Vec<u8>),
    File(std::fs::File),
}

impl Sink {
    pub fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        if let Sink::Memory(held) = self
            && held.len() + bytes.len() > SMALL
        {
            let mut file = std::io::BufWriter::with_capacity(256 * 1024, tempfile::tempfile()?);
            file.write_all(held)?;
            *self = Sink::File(file);
        }
        match self {
            Sink::Memory(held) => held.extend_from_slice(bytes),
            Sink::File(file) => file.write_all(bytes)?,
        }
        Ok(())
    }

    pub fn finish(self) -> std::io::Result<Stored> {
        Ok(match self {
            Sink::Memory(held) => Stored::Memory(held),
            Sink::File(file) => Stored::File(file.into_inner().map_err(|e| e.into_error())?),
        })
    }
}

impl Stored {
    pub fn read_exact_at(&self, buf: &mut [u8], at: u64) -> std::io::Result<()> {
        match self {
            Stored::File(file) => std::os::unix::fs::FileExt::read_exact_at(file, buf, at),
            Stored::Memory(held) => {
                let at = usize::try_from(at).map_err(std::io::Error::other)?;
                let bytes = held.get(at..at + buf.len()).ok_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "a kept user cut short")
                })?;
                buf.copy_from_slice(bytes);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_users_past_the_first_mebibytes_go_to_a_file_and_read_back_alike() {
        let mut sink = Sink::Memory(Vec::new());
        let chunk: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
        for _ in 0..9 {
            sink.write_all(&chunk).unwrap();
        }
        let stored = sink.finish().unwrap();
        assert!(matches!(stored, Stored::File(_)), "9 MiB went to a file");
        let mut back = vec![0u8; 300];
        stored.read_exact_at(&mut back, (8 << 20) + 5).unwrap();
        assert_eq!(back[..], chunk[5..305]);
        let mut small = Sink::Memory(Vec::new());
        small.write_all(b"alice").unwrap();
        let small = small.finish().unwrap();
        assert!(matches!(small, Stored::Memory(_)));
        let mut past = [0u8; 2];
        assert!(
            small.read_exact_at(&mut past, 4).is_err(),
            "read past the end"
        );
    }
}
