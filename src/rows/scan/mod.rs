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

use crate::model::keys::alias_key;
pub use crate::model::keys::user_key;
use crate::model::row::{Change, Code, Op, Problem, Record};
use crate::rows::input::{self, InputError, InputOptions};

/// What the first pass learned about the input.
#[derive(Debug, Default)]
pub struct Scan {
    pub rows: u64,
    /// Hashes of every user key (empty after [`fingerprint`]).
    pub users: HashSet<u64>,
    /// Attribute names the rows change.
    pub attributes: BTreeSet<String>,
    /// Groups the rows name (to add, remove, or in a full set): each must exist in the pool,
    /// and each one's members are read.
    pub groups: BTreeSet<String>,
    /// Whether a row gives a full set of groups (`groups`, `--exact-groups`): then every
    /// group of the pool is read.
    pub exact_groups: bool,
    /// Rows that disable their user (`enabled` false), before any diff: whether the
    /// mass-disable rail needs the rows decided to count them.
    pub disables: u64,
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
///
/// Memory and messages are linear in the input: each group is kept once (a line maps to its
/// group's index, never to a copy of the group), and a line's message names one other line
/// and the count of the rest, never every line (1,000,000 rows of one user would otherwise
/// need 10^12 line numbers).
pub struct Duplicates {
    /// Each group's lines, sorted.
    groups: Vec<Vec<u64>>,
    /// A line -> the index of its group.
    by_line: HashMap<u64, usize>,
}

impl Duplicates {
    /// Builds the index from groups of lines that name the same user. Groups that share a
    /// line are one group (the same key on several lines, and another key of the same user
    /// found once the pool is read), so every line of a user names the same others.
    pub fn from_groups(groups: Vec<Vec<u64>>) -> Self {
        let mut groups = merge_overlapping(groups);
        for group in &mut groups {
            group.sort_unstable();
            group.dedup();
        }
        groups.sort();
        let by_line = groups
            .iter()
            .enumerate()
            .flat_map(|(i, group)| group.iter().map(move |&line| (line, i)))
            .collect();
        Duplicates { groups, by_line }
    }

    /// The groups of lines that name the same user, sorted.
    pub fn groups(&self) -> Vec<Vec<u64>> {
        self.groups.clone()
    }

    /// Adds a problem to `record` if its user appears on other lines too: the first other
    /// line, and how many more.
    pub fn mark(&self, record: &mut Record) {
        let Some(&i) = self.by_line.get(&record.row.line) else {
            return;
        };
        let lines = &self.groups[i];
        let this = record.row.line;
        let Some(&first) = lines.iter().find(|&&l| l != this) else {
            return;
        };
        let more = match lines.len().saturating_sub(2) {
            0 => String::new(),
            n => format!(" and on {n} more lines"),
        };
        record.problems.push(Problem::row(
            Code::DuplicateUser,
            format!(
                "the user also appears on line {first}{more}; which row wins would be ambiguous, so none is sent"
            ),
        ));
    }
}

impl Scan {
    /// Notes the groups a record names and whether it disables its user.
    fn note_ops(&mut self, record: &Record) {
        for op in &record.row.ops {
            match op {
                Op::Group(c) if !self.groups.contains(&c.group) => {
                    self.groups.insert(c.group.clone());
                }
                Op::Enabled(false) => self.disables += 1,
                _ => {}
            }
        }
        if let Some(set) = &record.row.exact_groups {
            self.exact_groups = true;
            self.groups.extend(set.iter().cloned());
        }
    }

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

/// Unites groups that share a line (union-find over the groups): linear in the lines.
fn merge_overlapping(groups: Vec<Vec<u64>>) -> Vec<Vec<u64>> {
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut parent: Vec<usize> = (0..groups.len()).collect();
    let mut owner: HashMap<u64, usize> = HashMap::new();
    for (i, group) in groups.iter().enumerate() {
        for &line in group {
            if let Some(&j) = owner.get(&line) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a] = b;
            } else {
                owner.insert(line, i);
            }
        }
    }
    let mut merged: HashMap<usize, Vec<u64>> = HashMap::new();
    for (i, group) in groups.into_iter().enumerate() {
        let r = root(&mut parent, i);
        merged.entry(r).or_default().extend(group);
    }
    merged.into_values().collect()
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
        scan.note_ops(&record);
        for c in record.row.attrs() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_that_share_a_line_are_one_group() {
        // Lines 2, 3, 5 by one key; 2 and 4 by two keys of the same user (found later).
        let d = Duplicates::from_groups(vec![vec![2, 3, 5], vec![7, 8], vec![4, 2]]);
        assert_eq!(d.groups(), [vec![2, 3, 4, 5], vec![7, 8]]);
    }
}
