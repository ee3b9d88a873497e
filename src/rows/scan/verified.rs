//! The input is read more than once (checked whole, then sent), so every later read is held
//! to what the first one saw: no row is sent that is not in the fingerprinted input.
//!
//! The rule: the first read records the SHA-256 of the whole file (the fingerprint) and of
//! each 1 MiB block, and the file's device, inode, size and modification time. A later read
//! refuses to start when those differ (nothing is sent), and hands on a block's bytes only
//! after they hashed to the recorded value; a block that differs, or bytes beyond the recorded
//! end, stop that read with an error (an `apply` stops with exit 3, before any row from the
//! changed block was sent). The cost is one more SHA-256 per byte on each read, and 32 bytes
//! of memory per MiB of input.

use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::rows::input::InputError;

/// Bytes per verified block.
pub const BLOCK: usize = 1 << 20;

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
}

impl Stamp {
    fn of(m: &Metadata) -> Stamp {
        Stamp {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime: (m.mtime(), m.mtime_nsec()),
        }
    }
}

/// What a later read of the input is checked against.
#[derive(Debug, Clone)]
pub struct Seal {
    stamp: Stamp,
    blocks: Arc<Vec<[u8; 32]>>,
}

/// The hashes of the bytes read so far.
#[derive(Default)]
pub struct Digests {
    whole: Sha256,
    block: Sha256,
    in_block: usize,
    blocks: Vec<[u8; 32]>,
    len: u64,
}

impl Digests {
    fn update(&mut self, mut bytes: &[u8]) {
        self.whole.update(bytes);
        self.len += bytes.len() as u64;
        while !bytes.is_empty() {
            let take = (BLOCK - self.in_block).min(bytes.len());
            self.block.update(&bytes[..take]);
            self.in_block += take;
            if self.in_block == BLOCK {
                self.blocks.push(self.block.finalize_reset().into());
                self.in_block = 0;
            }
            bytes = &bytes[take..];
        }
    }
}

/// The first read: the input's bytes, hashed as they pass.
pub struct FirstRead {
    digests: Arc<Mutex<Digests>>,
    opened: Stamp,
}

fn changed(path: &Path, what: &str) -> InputError {
    InputError::Changed {
        path: path.display().to_string(),
        what: what.to_string(),
    }
}

fn open(path: &Path) -> Result<(File, Metadata), InputError> {
    let io = |source| InputError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = crate::files::open_regular(path)?;
    let meta = file.metadata().map_err(io)?;
    Ok((file, meta))
}

impl FirstRead {
    /// Opens `path` (a regular file) for the first read.
    pub fn open(path: &Path) -> Result<(FirstRead, Box<dyn Read + Send>), InputError> {
        let (file, meta) = open(path)?;
        let digests = Arc::new(Mutex::new(Digests::default()));
        let reader = Hashing {
            inner: io::BufReader::with_capacity(256 * 1024, file),
            digests: digests.clone(),
        };
        let first = FirstRead {
            digests,
            opened: Stamp::of(&meta),
        };
        Ok((first, Box::new(reader)))
    }

    /// After the whole file was read: its hex SHA-256 and the seal for later reads. A file
    /// that changed while it was read is refused.
    pub fn finish(self, path: &Path) -> Result<(String, Seal), InputError> {
        let mut d = std::mem::take(&mut *self.digests.lock().expect("hash lock"));
        if d.in_block > 0 {
            d.blocks.push(d.block.finalize_reset().into());
        }
        let now = std::fs::metadata(path).map_err(|source| InputError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let stamp = Stamp::of(&now);
        if (stamp.dev, stamp.ino) != (self.opened.dev, self.opened.ino) || stamp.len != d.len {
            return Err(changed(path, "it changed while it was being read"));
        }
        let sha = hex::encode(d.whole.finalize());
        let seal = Seal {
            stamp,
            blocks: Arc::new(d.blocks),
        };
        Ok((sha, seal))
    }
}

impl Seal {
    /// Opens `path` again, refusing it if it is not the file that was read first; its bytes
    /// are checked block by block as they are read.
    pub fn reopen(&self, path: &Path) -> Result<Box<dyn Read + Send>, InputError> {
        let (file, meta) = open(path)?;
        let now = Stamp::of(&meta);
        if (now.dev, now.ino) != (self.stamp.dev, self.stamp.ino) {
            return Err(changed(path, "another file is at its path now"));
        }
        if now != self.stamp {
            return Err(changed(path, "its size or modification time differ"));
        }
        Ok(Box::new(Verifying {
            inner: file,
            len: self.stamp.len,
            blocks: self.blocks.clone(),
            next: 0,
            buf: Vec::new(),
            pos: 0,
        }))
    }
}

/// Passes bytes through while hashing them.
struct Hashing {
    inner: io::BufReader<File>,
    digests: Arc<Mutex<Digests>>,
}

impl Read for Hashing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.digests.lock().expect("hash lock").update(&buf[..n]);
        Ok(n)
    }
}

/// Hands out bytes only once their block hashed to the recorded value.
struct Verifying {
    inner: File,
    /// The length the first read saw.
    len: u64,
    blocks: Arc<Vec<[u8; 32]>>,
    /// The next block to read.
    next: usize,
    buf: Vec<u8>,
    pos: usize,
}

impl Verifying {
    fn fill(&mut self) -> io::Result<()> {
        self.buf.clear();
        self.pos = 0;
        let start = self.next as u64 * BLOCK as u64;
        let differ = |what: String| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the file changed since it was checked ({what}); nothing from the changed part was sent: run the command again"
                ),
            )
        };
        let Some(expected) = self.blocks.get(self.next) else {
            // Past the recorded end: the file must end here too.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(()),
                _ => Err(differ(format!("it grew beyond its {start} bytes"))),
            };
        };
        (&mut self.inner)
            .take((self.len - start).min(BLOCK as u64))
            .read_to_end(&mut self.buf)?;
        let got: [u8; 32] = Sha256::digest(&self.buf).into();
        if &got != expected {
            let end = start + self.buf.len() as u64;
            self.buf.clear();
            return Err(differ(format!("bytes {start}..{end} differ")));
        }
        self.next += 1;
        Ok(())
    }
}

impl Read for Verifying {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.buf.len() {
            self.fill()?;
        }
        let n = (self.buf.len() - self.pos).min(out.len());
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
