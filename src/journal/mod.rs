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
//!
//! Write-ahead: before a row's call is sent, an `intent` entry records the user's values just
//! before it and what it sets; the outcome entry follows. A row with an intent and no outcome
//! was in flight when the process died: it is read as an unknown outcome, never as unsent.
//!
//! Per operation (format 4): a row may make several calls (its attributes in one, then each
//! group membership, its `enabled` flag, its sign-out: `model::op::calls`). Its intent lists
//! every operation with what the user held just before (`before`/`after` for attributes,
//! `ops` for the others, as the plan file writes them: `model::op::OpDiff`). After each call
//! that succeeds, and before the next is sent, a `step` entry records what that call did
//! (the attributes it set, or the one operation); the outcome closes the row and lists every
//! operation done, earlier runs' steps included. So a row cut short (its attribute call went,
//! its group call did not) resumes with only what is left, a finished operation (a sign-out
//! above all, whose effect cannot be read back) is never sent again, and rollback knows which
//! operations were applied and what each changed from. `groups_unread` marks group
//! operations sent without reading the user's groups first (`--no-read-before-write`): their
//! before-state is unknown, and rollback lists them as not reversible. Format 3 journals (no
//! `ops`, no steps) load as before: their rows changed attributes only.

mod done;
mod held;
mod load;
pub mod pending;
mod start;
pub mod steps;
mod timeline;

pub use done::DoneSet;
pub use held::HeldRate;
pub use load::{Counts, LoadError, Loaded, entries, load, load_counted, read_header};
pub use pending::{Pending, pending_changes};
pub use start::{ResumeError, check_compatible, kept_beside, kept_name, open_for_run};
pub use timeline::by_category as timeline_by_category;
pub use timeline::from_journal as timeline;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The version this build writes and the newest it reads.
/// Version 3 added [`Outcome::Intent`]: entries written before a call is sent. Version 4 added
/// operations other than attributes ([`Entry::ops`]) and [`Outcome::Step`]: a row's calls
/// recorded one by one.
pub const FORMAT_VERSION: u32 = 4;

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
    /// How the run that made the journal sent, for `report JOURNAL` (absent in journals of
    /// older builds). Not compared on resume: a resumed run may send otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sending: Option<Sending>,
}

/// The sending settings of the run that made a journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sending {
    /// Where current values came from (`list`, `get`), absent for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_state: Option<String>,
    pub concurrency: u64,
    /// The ceiling of updates a second (`--rps`).
    pub rps: f64,
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
    /// Not an outcome: written (and handed to the operating system) before the row's call is
    /// sent, with the user's values just before it (`before`) and what the call sets
    /// (`after`). The row's outcome follows; an intent without one (the process died while
    /// the call was in flight) is read as an unknown outcome, so its before-values are the
    /// ones a resume keeps and rollback restores (added in format version 3).
    Intent,
    /// Not an outcome either: one of a row's calls succeeded (written before the next call is
    /// sent): the attributes it set (`before`/`after`) or the one operation it made (`ops`).
    /// A resume never sends it again; rollback undoes it even if the row's outcome never
    /// followed or was a failure (added in format version 4).
    Step,
}

/// One finished row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The row's index among the input's records (0-based).
    pub n: u64,
    /// The line where the row starts.
    pub line: u64,
    /// The key the row used (a username, a `sub` or an alias).
    pub user: String,
    /// The user the key resolved to: the real username the call was sent with, and the
    /// `sub`, by which rollback and a resume find the user even if the run changed the
    /// email the row was keyed by. Absent when current values were not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub attempts: u32,
    #[serde(default)]
    pub throttled: u32,
    /// The quota category of the row's calls (`attempts`, `throttled`), for the report's
    /// timeline by category; absent in entries that made no call and in journals of builds
    /// before issue 19 (whose calls were all UserUpdate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<crate::cognito::call::Category>,
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
    /// Addresses (`email`, `phone_number`) the call asked to change, with the value asked
    /// for, that the pool keeps until the user confirms the code
    /// (AttributesRequireVerificationBeforeUpdate): their `after` is the value the pool still
    /// holds, so rollback restores nothing for them, and a re-run does not mail them again.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending: BTreeMap<String, String>,
    /// The row's operations other than attributes (group memberships, `enabled`, sign-out),
    /// each with what the user held before it, in the plan file's form: on an intent, what
    /// its calls will do; on a step, the one its call did; on an outcome, every one done or
    /// (unknown outcome) that may have been (added in format version 4).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ops: Vec<crate::model::op::OpDiff>,
    /// The group operations were sent without reading the user's groups just before: whether
    /// the user was a member before the run is unknown (added in format version 4).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub groups_unread: bool,
    /// How many of the row's calls were sent (absent: one), so that `attempts` beyond them
    /// count as retries (added in format version 4).
    #[serde(default, skip_serializing_if = "is_one_or_less")]
    pub calls: u32,
}

fn is_one_or_less(n: &u32) -> bool {
    *n <= 1
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
