//! `rollback`: a plan that puts back what an apply run changed, built from its journal alone.
//! Each entry's before-values are what the run wrote and its after-values what the pool held
//! before the run. The plan is then applied by the engine of `apply --plan`, whose check of
//! the plan's before-values against the pool is the rollback's conflict check: an attribute
//! whose current value is no longer what the run wrote was changed by someone else since, and
//! its user is left alone unless `--force`.
//!
//! Per operation (journal format 4): a group membership the run added is removed, one it
//! removed added back, the `enabled` flag set back to what was read before the run's call;
//! these have two states, so one already back where it was is dropped at send time, not a
//! conflict. What has no inverse (a sign-out; a membership or flag whose state before the run
//! was not read) is listed by [`not_reversible`], never sent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};

use crate::files;
use crate::journal::{self, Outcome};
use crate::model::op::OpDiff;
use crate::model::row::AttrDiff;
use crate::model::source::Source;
use crate::plan::file::{self, PlanEntry, PlanHeader, PlanWriter};

mod changed;

pub use crate::model::op::not_reversible::NotReversible;
use changed::Changed;

/// Whether a journal records a row the run may have changed (with the values to restore).
fn changed_users(path: &Path) -> bool {
    journal::entries(path).is_ok_and(|(_, mut entries)| {
        entries.any(|e| {
            matches!(e.outcome, Outcome::Updated | Outcome::Unknown)
                && e.before.is_some()
                && e.after.is_some()
        })
    })
}

/// The newest of the journals kept beside `path` by later runs (`PATH.old-TIMESTAMP`,
/// `PATH.old-TIMESTAMP-N`) whose run changed users.
pub fn last_changing_journal(path: &Path) -> Option<std::path::PathBuf> {
    journal::kept_beside(path)
        .into_iter()
        .rev()
        .find(|p| changed_users(p))
}

/// Writes the rollback plan of the run recorded in `journal_path` to `out`; returns how many
/// users it restores. `allow_verification_messages`: rows whose restore makes Cognito send a
/// message (an address that was not verified before the run) are sent, not refused.
pub fn make_plan(
    journal_path: &Path,
    out: &Path,
    allow_verification_messages: bool,
) -> anyhow::Result<u64> {
    let (header, entries) = journal::entries(journal_path)?;
    let (rows, blind) = restorable(entries);
    let mut not_reversible = NotReversible::default();
    let entries: Vec<PlanEntry> = rows
        .into_values()
        .filter_map(|row| restore(row, &mut not_reversible))
        .collect();
    if entries.is_empty() && not_reversible.count == 0 {
        return Err(nothing_to_restore(journal_path, blind));
    }
    let plan_header = plan_header(&header, journal_path, allow_verification_messages)?;
    let writing = || format!("writing {}", out.display());
    let mut writer = PlanWriter::create(out, &plan_header).with_context(writing)?;
    let users = entries.len() as u64;
    for entry in &entries {
        writer.write(entry).with_context(writing)?;
    }
    writer.finish().with_context(writing)?;
    Ok(users)
}

/// What the run recorded in `journal_path` did that its rollback cannot undo (sign-outs,
/// states before the run that were not read): listed by the rollback, never sent.
pub fn not_reversible(journal_path: &Path) -> anyhow::Result<NotReversible> {
    let (_, entries) = journal::entries(journal_path)?;
    let mut list = NotReversible::default();
    for row in restorable(entries).0.into_values() {
        restore(row, &mut list);
    }
    Ok(list)
}

/// The rows the run changed, each with what it changed (`changed.rs`); and how many rows
/// were updated without before-values (a blind run).
fn restorable(entries: impl Iterator<Item = journal::Entry>) -> (BTreeMap<u64, Changed>, u64) {
    let mut rows: BTreeMap<u64, Changed> = BTreeMap::new();
    let mut blind = 0u64;
    // Rows whose call was sent and whose outcome never followed (the run died): restored
    // like unknown outcomes, from the values written before the call.
    let mut in_flight: BTreeMap<u64, journal::Entry> = BTreeMap::new();
    for mut e in entries {
        match e.outcome {
            Outcome::Intent => {
                // An earlier intent of the row with no outcome: that run died mid-row.
                if let Some(earlier) = in_flight.insert(e.n, e) {
                    changed::in_flight(&mut rows, earlier);
                }
                continue;
            }
            Outcome::Step => {
                rows.entry(e.n).or_insert_with(|| Changed::of(&e)).step(&e);
                continue;
            }
            _ => {}
        }
        let intent = in_flight.remove(&e.n);
        let pending = std::mem::take(&mut e.pending);
        if matches!(e.outcome, Outcome::Updated | Outcome::Unknown) {
            let row = rows.entry(e.n).or_insert_with(|| Changed::of(&e));
            // A resumed row found done (recovered) lists nothing itself: its intent's
            // operations went, in the run that died.
            intent.iter().for_each(|i| row.ops_of(i));
            row.ops_of(&e);
        }
        match (e.outcome, e.before, e.after) {
            // A row whose outcome is unknown may have been applied: its plan entry restores it
            // only where the pool holds what was sent (the conflict check sees the rest).
            (Outcome::Updated | Outcome::Unknown, Some(mut before), Some(after)) => {
                // A value the run did not change (a pending email or phone change, which the
                // pool never stored) has nothing to restore.
                before.retain(|name, old| {
                    !pending.contains_key(name) || after.get(name) != Some(old)
                });
                let row = rows.get_mut(&e.n).expect("added above");
                row.attrs = (!before.is_empty()).then_some((before, after));
            }
            (Outcome::Updated, _, _) if e.ops.is_empty() => blind += 1,
            _ => {}
        }
    }
    for (_, e) in in_flight {
        changed::in_flight(&mut rows, e);
    }
    rows.retain(|_, row| !row.is_empty());
    (rows, blind)
}

/// Why a journal with no row to restore gives no plan: a blind run recorded no before-values;
/// otherwise its run changed no user (never restore nothing quietly).
fn nothing_to_restore(journal_path: &Path, blind: u64) -> anyhow::Error {
    if blind > 0 {
        return anyhow!(
            "{} recorded no before-values (the run used --current-state none): rollback is not possible",
            journal_path.display()
        );
    }
    // A re-run of a finished apply (every row now unchanged) starts a new journal: the
    // run that changed users is in an older one beside it.
    NothingChanged {
        journal: journal_path.to_path_buf(),
        older: last_changing_journal(journal_path),
    }
    .into()
}

/// A journal whose run changed no user, and the older journal beside it whose run did (the
/// command layer says how to roll that one back, with the AWS flags it was given).
#[derive(Debug, thiserror::Error)]
#[error(
    "{}: its run changed no user (no row was updated), so there is nothing to roll back{}",
    journal.display(),
    older.as_ref().map(|o| format!("; the last run that changed users is recorded in {}", o.display())).unwrap_or_default()
)]
pub struct NothingChanged {
    pub journal: PathBuf,
    pub older: Option<PathBuf>,
}

/// The rollback plan's header: the journal is its input, the pool's current values its state.
fn plan_header(
    header: &journal::Header,
    journal_path: &Path,
    allow_verification_messages: bool,
) -> anyhow::Result<PlanHeader> {
    Ok(PlanHeader {
        kind: file::KIND.into(),
        version: file::VERSION,
        user_pool_id: header.user_pool_id.clone(),
        input: journal_path.display().to_string(),
        input_path: None,
        input_path_hex: None,
        input_sha256: files::sha256_file(journal_path)?,
        created_unix: journal::now_unix() as u64,
        current_state: Source::List,
        options: serde_json::json!({ "rollback_of": journal_path.display().to_string() }),
        // An address restored with its verified flag true sends nothing; one that was not
        // verified before the run would be mailed a code: only when allowed.
        allow_verification_messages,
        backfill: None,
    })
}

/// A row's plan entry: what the run did to each attribute and each other operation, undone
/// by its inverse (`model::op`); None when nothing of it can be undone. What cannot be (a
/// sign-out; a flag or membership whose state before the run was not read) is listed in
/// `not_reversible`.
fn restore(row: Changed, not_reversible: &mut NotReversible) -> Option<PlanEntry> {
    let (before, after) = row.attributes();
    let mut changes: Vec<OpDiff> = before
        .into_iter()
        .map(|(name, old)| AttrDiff {
            after: after.get(&name).cloned().flatten(),
            name,
            before: old,
        })
        .filter_map(|done| OpDiff::from(done).inverse())
        .collect();
    let (user, username, sub) = row.who;
    for (done, known) in row.ops {
        match done.inverse().filter(|_| known) {
            Some(undo) => changes.push(undo),
            None => not_reversible.add(row.line, &user, &done),
        }
    }
    (!changes.is_empty()).then_some(PlanEntry {
        line: row.line,
        user,
        // The user the run changed, by sub: one deleted and made again under the
        // same name since is a conflict, not a target.
        username,
        sub,
        changes,
        client_metadata: BTreeMap::new(),
        left_out: None,
    })
}

#[cfg(test)]
mod tests;
