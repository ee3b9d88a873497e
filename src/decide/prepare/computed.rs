//! The scan of the rows the pool as input computed, without a set of their users: their
//! users were written beside them in the same order (`decide::current`, `in_order.rs`), which
//! already found the lines whose usernames hash alike. The file is fingerprinted (count,
//! SHA-256, the seal later reads are held to), then read once for the attributes the rows
//! change and the emails and phone numbers more than one row sets.

use std::collections::HashSet;
use std::path::Path;

use crate::model::keys::alias_key;
use crate::model::row::Change;
use crate::rows::input::{self, InputOptions};
use crate::rows::scan::{self, Duplicates, Scan};

/// Scans computed rows whose duplicated users are already known (`duplicates`: groups of
/// lines); the scan's user set stays empty (nothing reads it for computed rows).
pub(super) fn scan_in_order(
    path: &Path,
    display: &str,
    io: &InputOptions,
    duplicates: Vec<Vec<u64>>,
) -> anyhow::Result<Scan> {
    let mut scan = scan::fingerprint(path, display, io)?;
    // Each alias a row sets, as a hash: sorted afterwards, so a repeated one is found
    // with 8 bytes a row (and none when no row sets one).
    let mut aliases: Vec<u64> = Vec::new();
    for record in input::read(scan.reopen(path)?, display, io)?.records {
        let record = record?;
        for op in &record.row.ops {
            if let crate::model::op::Op::Group(c) = op {
                scan.groups.insert(c.group.clone());
            }
        }
        for c in record.row.attrs() {
            if !scan.attributes.contains(&c.name) {
                scan.attributes.insert(c.name.clone());
            }
            if let ("email" | "phone_number", Change::Set(v)) = (c.name.as_str(), &c.change) {
                aliases.push(alias_key(v));
            }
        }
    }
    aliases.sort_unstable();
    scan.repeated_aliases = aliases
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0])
        .collect::<HashSet<u64>>();
    scan.set_duplicates(Duplicates::from_groups(duplicates));
    Ok(scan)
}
