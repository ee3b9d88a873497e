//! The first pass over the input: count the rows, find users named twice, fingerprint the file.
//!
//! Running this before any write means a duplicated user is reported on both of its lines
//! before either is sent, and the progress bar knows the total. Memory is one 64-bit hash per
//! distinct user (about 15 bytes each), not the rows; the lines of duplicated users are
//! collected by a second, cheap pass that runs only when there are any.

mod verified;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use crate::input::{self, InputError, InputOptions};
use crate::keys::alias_key;
pub use crate::keys::user_key;
use crate::row::{Change, Problem, Record};

/// What the first pass learned about the input.
#[derive(Debug, Default)]
pub struct Scan {
    pub rows: u64,
    /// Hashes of every user key (empty after [`fingerprint`]).
    pub users: HashSet<u64>,
    /// Attribute names the rows change.
    pub attributes: BTreeSet<String>,
    /// Emails and phone numbers that more than one row sets, by [`alias_key`].
    pub repeated_aliases: HashSet<u64>,
    /// Hex SHA-256 of the input's bytes.
    pub sha256: String,
    duplicates: Duplicates,
    /// What later reads are checked against (see [`verified`]).
    seal: Option<verified::Seal>,
}

/// Users that appear on more than one line: each such line, with all the lines of its user.
/// Kept in the journal header, so that a resumed run need not look for them again.
#[derive(Debug, Default, Clone)]
pub struct Duplicates {
    by_line: HashMap<u64, Vec<u64>>,
}

impl Duplicates {
    /// Builds the index from groups of lines that name the same user.
    pub fn from_groups(groups: Vec<Vec<u64>>) -> Self {
        let mut by_line = HashMap::new();
        for group in groups {
            for &line in &group {
                by_line.insert(line, group.clone());
            }
        }
        Duplicates { by_line }
    }

    /// The groups of lines that name the same user, sorted.
    pub fn groups(&self) -> Vec<Vec<u64>> {
        let mut groups: Vec<Vec<u64>> = self
            .by_line
            .iter()
            .filter(|(line, group)| group.first() == Some(line))
            .map(|(_, group)| group.clone())
            .collect();
        groups.sort();
        groups
    }

    /// Adds a problem to `record` if its user appears on other lines too.
    pub fn mark(&self, record: &mut Record) {
        if let Some(lines) = self.by_line.get(&record.row.line) {
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

    pub fn set_duplicates(&mut self, duplicates: Duplicates) {
        self.duplicates = duplicates;
    }

    /// Opens the scanned input again: refused if it is no longer the file that was scanned,
    /// and checked as it is read, so that no row outside the fingerprint is ever handed out.
    pub fn reopen(&self, path: &Path) -> Result<Box<dyn Read + Send>, InputError> {
        match &self.seal {
            Some(seal) => seal.reopen(path),
            None => input::open(path),
        }
    }
}

/// Reads the input once for its row count and SHA-256 only, in constant memory (a resumed
/// run takes the duplicates from its journal). `path` must be a regular file.
pub fn fingerprint(path: &Path, display: &str, opts: &InputOptions) -> Result<Scan, InputError> {
    let (first, reader) = verified::FirstRead::open(path)?;
    let mut scan = Scan::default();
    for record in input::read(reader, display, opts)?.records {
        record?;
        scan.rows += 1;
    }
    let (sha256, seal) = first.finish(path)?;
    scan.sha256 = sha256;
    scan.seal = Some(seal);
    Ok(scan)
}

/// Reads the whole input at `path` (a regular file: standard input and other streams are
/// spooled to one first).
pub fn scan(path: &Path, display: &str, opts: &InputOptions) -> Result<Scan, InputError> {
    let (first, reader) = verified::FirstRead::open(path)?;
    let mut scan = Scan::default();
    let mut repeated: HashSet<u64> = HashSet::new();
    let mut aliases: HashSet<u64> = HashSet::new();
    for record in input::read(reader, display, opts)?.records {
        let record = record?;
        scan.rows += 1;
        // A plan's left-out entries were decided when it was made (both rows of a duplicated
        // user are left out): they never make another entry a duplicate.
        let left_out = opts.format == input::Format::Plan && !record.is_valid();
        if let Some(user) = record.username().filter(|_| !left_out) {
            let key = user_key(user);
            if !scan.users.insert(key) {
                repeated.insert(key);
            }
            // A plan's row acts on the user it resolved to, found by sub.
            if let Some(sub) = record.identity.as_ref().and_then(|i| i.sub.as_deref()) {
                scan.users.insert(user_key(sub));
            }
        }
        for c in &record.row.changes {
            if !scan.attributes.contains(&c.name) {
                scan.attributes.insert(c.name.clone());
            }
            if let ("email" | "phone_number", Change::Set(v)) = (c.name.as_str(), &c.change)
                && !aliases.insert(alias_key(v))
            {
                scan.repeated_aliases.insert(alias_key(v));
            }
        }
    }
    let (sha256, seal) = first.finish(path)?;
    scan.sha256 = sha256;
    scan.seal = Some(seal);
    if !repeated.is_empty() {
        let mut groups: HashMap<u64, Vec<u64>> = HashMap::new();
        for record in input::read(scan.reopen(path)?, display, opts)?.records {
            let record = record?;
            let left_out = opts.format == input::Format::Plan && !record.is_valid();
            if let Some(user) = record.username().filter(|_| !left_out) {
                let key = user_key(user);
                if repeated.contains(&key) {
                    groups.entry(key).or_default().push(record.row.line);
                }
            }
        }
        scan.duplicates = Duplicates::from_groups(groups.into_values().collect());
    }
    Ok(scan)
}
