//! The journal: an append-only record of every finished row, from which a killed run resumes.
//!
//! Format (JSON lines): a header line naming the format version and fingerprinting the run
//! (input SHA-256, pool, options that change meaning), then one [`Entry`] per finished row.
//! Each entry is handed to the operating system as it is written (one `write` per line, no
//! user-space buffer), so a killed process loses nothing it recorded; the file is fsynced at
//! least every second, so a power loss loses at most the last second of entries, and those
//! rows are simply sent again (an update sets absolute values, so sending twice is harmless).
//! A torn last line is ignored; a bad line anywhere else is refused with its line number (a
//! crash tears only the last line, so such a journal was damaged or edited).

mod done;
mod held;
mod load;
mod resume;
mod timeline;

pub use done::DoneSet;
pub use held::HeldRate;
pub use load::{LoadError, Loaded, entries, load, read_header};
pub use resume::{ResumeError, check_compatible, kept_name, open_for_run};
pub use timeline::from_journal as timeline;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The version this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 2;

/// The first line of a journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Always "cognito-bulk-journal".
    pub kind: String,
    pub version: u32,
    pub input: String,
    pub input_sha256: String,
    pub user_pool_id: String,
    pub rows_total: u64,
    /// Options that change what a row means (format, key column, empty cells, client metadata).
    pub options: serde_json::Value,
    pub created_unix: u64,
    /// Groups of input lines that name the same user (all invalid), found by the first run's
    /// scan, so that a resumed run needs no memory to find them again.
    #[serde(default)]
    pub duplicate_lines: Vec<Vec<u64>>,
}

impl Header {
    pub const KIND: &'static str = "cognito-bulk-journal";
}

/// How a row finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Updated,
    Failed,
    Invalid,
    /// Every attribute already had its target value: nothing was sent.
    Unchanged,
    /// A plan's row whose user changed since the plan was made: left alone, not sent
    /// (added in format version 2).
    Conflict,
    /// The call may have been applied (the connection broke or timed out after the request
    /// was sent) and no retry settled it: recorded with its before- and after-values, counted
    /// as failed, decided again by the next run, and restored by rollback if it was applied
    /// (added in format version 2).
    Unknown,
}

/// One finished row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The row's index among the input's records (0-based).
    pub n: u64,
    /// The line where the row starts.
    pub line: u64,
    pub user: String,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub attempts: u32,
    #[serde(default)]
    pub throttled: u32,
    /// Seconds since 1970 when the row finished.
    pub t: f64,
    /// Why a failed or invalid row failed (never attribute values), for the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The changed attributes' values before the run (null: absent), for rollback; missing
    /// when the run did not read current values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<BTreeMap<String, Option<String>>>,
    /// The values the run wrote (null: deleted), recorded with `before`: rollback restores
    /// `before` only where the pool still holds these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<BTreeMap<String, Option<String>>>,
}

/// An open journal being appended to.
pub struct Journal {
    path: PathBuf,
    out: File,
}

impl Journal {
    /// Creates a new journal (mode 0600) with its header, durably.
    pub fn create(path: &Path, header: &Header) -> io::Result<Journal> {
        let file = crate::files::create_private(path)?;
        let mut journal = Journal {
            path: path.to_path_buf(),
            out: file,
        };
        journal.write_line(header)?;
        journal.sync()?;
        Ok(journal)
    }

    /// Opens an existing journal to append after its last whole entry (`valid_len` bytes; a
    /// torn last line beyond it is cut off). No link is followed; it must be this user's file.
    pub fn append(path: &Path, valid_len: u64) -> io::Result<Journal> {
        let mut out = crate::files::append_private(path)?;
        out.set_len(valid_len)?;
        out.seek(io::SeekFrom::End(0))?;
        Ok(Journal {
            path: path.to_path_buf(),
            out,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn record(&mut self, entry: &Entry) -> io::Result<()> {
        self.write_line(entry)
    }

    fn write_line<T: Serialize>(&mut self, value: &T) -> io::Result<()> {
        // One write of the whole line, so that a crash tears at most the last one.
        let mut line = serde_json::to_vec(value)?;
        line.push(b'\n');
        self.out.write_all(&line)
    }

    /// Fsyncs: everything recorded so far survives a power loss.
    pub fn sync(&mut self) -> io::Result<()> {
        self.out.sync_data()
    }
}

/// Seconds since 1970, for entries.
pub fn now_unix() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
