//! The first pass over the input: count the rows, find users named twice, fingerprint the file.
//!
//! Running this before any write means a duplicated user is reported on both of its lines
//! before either is sent, and the progress bar knows the total. Memory is one 64-bit hash per
//! distinct user (about 15 bytes each), not the rows; the lines of duplicated users are
//! collected by a second, cheap pass that runs only when there are any.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::io::{self, Read};

use sha2::{Digest, Sha256};

use crate::input::{self, InputError, InputOptions};
use crate::row::{Problem, Record};

/// What the first pass learned about the input.
#[derive(Debug, Default)]
pub struct Scan {
    pub rows: u64,
    /// Hex SHA-256 of the input's bytes.
    pub sha256: String,
    duplicates: Duplicates,
}

/// Users that appear on more than one line, by the hash of their folded name.
#[derive(Debug, Default)]
pub struct Duplicates {
    lines: HashMap<u64, Vec<u64>>,
}

/// Usernames are compared case-insensitively: Cognito pools are case-insensitive by default,
/// and rows differing only in case are suspicious even where they are not.
fn user_key(username: &str) -> u64 {
    // A fixed-key hasher: the same name must give the same key in every pass.
    BuildHasherDefault::<DefaultHasher>::default().hash_one(username.to_lowercase())
}

impl Duplicates {
    /// Adds a problem to `record` if its user appears on other lines too.
    pub fn mark(&self, record: &mut Record) {
        let Some(user) = record.username() else {
            return;
        };
        if let Some(lines) = self.lines.get(&user_key(user)) {
            let others: Vec<String> = lines
                .iter()
                .filter(|&&l| l != record.row.line)
                .map(u64::to_string)
                .collect();
            record.problems.push(Problem::row(
                "DuplicateUser",
                format!(
                    "the user also appears on line {}; which row wins would be ambiguous, so neither is sent",
                    others.join(", ")
                ),
            ));
        }
    }
}

impl Scan {
    pub fn duplicates(&self) -> &Duplicates {
        &self.duplicates
    }
}

/// Reads the whole input; `open` gives the raw file, from its start, each time it is called.
pub fn scan(
    open: impl Fn() -> Result<Box<dyn Read + Send>, InputError>,
    display: &str,
    opts: &InputOptions,
) -> Result<Scan, InputError> {
    let hashing = HashingReader::new(open()?);
    let digest = hashing.digest.clone();
    let mut scan = Scan::default();
    let mut seen: HashSet<u64> = HashSet::new();
    let mut repeated: HashSet<u64> = HashSet::new();
    for record in input::read(Box::new(hashing), display, opts)?.records {
        let record = record?;
        scan.rows += 1;
        if let Some(user) = record.username() {
            let key = user_key(user);
            if !seen.insert(key) {
                repeated.insert(key);
            }
        }
    }
    scan.sha256 = hex::encode(digest.lock().expect("hash lock").clone().finalize());
    drop(seen);
    if !repeated.is_empty() {
        for record in input::read(open()?, display, opts)?.records {
            let record = record?;
            if let Some(user) = record.username() {
                let key = user_key(user);
                if repeated.contains(&key) {
                    scan.duplicates
                        .lines
                        .entry(key)
                        .or_default()
                        .push(record.row.line);
                }
            }
        }
    }
    Ok(scan)
}

/// Passes bytes through while hashing them.
struct HashingReader {
    inner: Box<dyn Read + Send>,
    digest: std::sync::Arc<std::sync::Mutex<Sha256>>,
}

impl HashingReader {
    fn new(inner: Box<dyn Read + Send>) -> Self {
        HashingReader {
            inner,
            digest: Default::default(),
        }
    }
}

impl Read for HashingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.digest.lock().expect("hash lock").update(&buf[..n]);
        Ok(n)
    }
}
