//! The pool's users an input joined by `--match` may name, out of memory: while the pool is
//! read, each user one of whose matching values hashes to an input key is written, with that
//! key, to a private, unnamed temporary file, and found again by the key's 64-bit hash (16
//! bytes a match in memory, sorted once the pool is read). A row's lookup reads back the
//! users its key hashes to and keeps those whose key is its own, so a hash collision costs a
//! read, never a wrong user. Lookups by filter (`--current-state get`) stay in memory.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;

use anyhow::Context;

use super::{Attributes, Index};
use crate::model::keys::user_key;

/// The users found for each folded key, by filter (in memory) or by a whole-pool read.
pub(super) enum Found {
    Held(Index),
    Spilled(Matches),
}

/// Users written while the pool is read.
pub(super) struct Spilling {
    out: BufWriter<File>,
    written: u64,
    entries: Vec<(u64, u64)>,
}

/// Users written, found by the hash of their folded key.
pub(super) struct Matches {
    file: File,
    /// (hash of the folded key, offset << 24 | length), sorted: pool order within a key.
    entries: Vec<(u64, u64)>,
}

/// Hash of a folded key (see `fold`): the index and the input's keys agree on it.
pub(super) fn key_hash(folded: &str) -> u64 {
    user_key(folded)
}

impl Spilling {
    pub(super) fn new() -> anyhow::Result<Spilling> {
        let file = tempfile::tempfile().context("creating a temporary file for the matches")?;
        Ok(Spilling {
            out: BufWriter::with_capacity(256 * 1024, file),
            written: 0,
            entries: Vec::new(),
        })
    }

    /// Notes that `user` has the folded key `key`.
    pub(super) fn add(
        &mut self,
        key: &str,
        user: &str,
        attrs: &[(String, String)],
    ) -> anyhow::Result<()> {
        let record = serde_json::to_vec(&(key, user, attrs))?;
        let len = record.len() as u64;
        anyhow::ensure!(
            len < 1 << 24,
            "the values of user {user:?} are too large to keep"
        );
        self.out
            .write_all(&record)
            .context("writing the matches to a temporary file")?;
        self.entries.push((key_hash(key), self.written << 24 | len));
        self.written += len;
        Ok(())
    }

    pub(super) fn finish(self) -> anyhow::Result<Matches> {
        let Spilling {
            out, mut entries, ..
        } = self;
        let file = out
            .into_inner()
            .map_err(|e| e.into_error())
            .context("writing the matches to a temporary file")?;
        entries.sort_unstable();
        entries.shrink_to_fit();
        Ok(Matches { file, entries })
    }
}

impl Found {
    /// The users whose matching value folds to `folded`, in the order the pool listed them.
    pub(super) fn users(&self, folded: &str) -> anyhow::Result<Vec<(String, Attributes)>> {
        let matches = match self {
            Found::Held(index) => return Ok(index.get(folded).cloned().unwrap_or_default()),
            Found::Spilled(matches) => matches,
        };
        let hash = key_hash(folded);
        let from = matches.entries.partition_point(|&(h, _)| h < hash);
        let mut users = Vec::new();
        for &(_, at) in matches.entries[from..]
            .iter()
            .take_while(|&&(h, _)| h == hash)
        {
            let mut record = vec![0u8; (at & ((1 << 24) - 1)) as usize];
            matches
                .file
                .read_exact_at(&mut record, at >> 24)
                .context("reading the matches back from their temporary file")?;
            let (key, user, attrs): (String, String, Attributes) = serde_json::from_slice(&record)?;
            if key == folded {
                users.push((user, attrs));
            }
        }
        Ok(users)
    }
}
