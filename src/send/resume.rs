//! The journal of a run: a new one, the one being resumed, or a finished one kept aside; and
//! which recorded rows this run decides again (invalid rows and conflicts always, rows whose
//! outcome is unknown always (a call in flight when a run died included), failed rows with
//! `--retry-failed`).

use std::collections::BTreeMap;

use super::ApplyOptions;
use crate::journal::{self, DoneSet, Header, Journal};
use crate::model::row::Before;
use crate::progress::Reporter;
use crate::report::Tally;

/// Failures that say the row itself is wrong: sending it again as it is would fail again, so
/// `--retry-failed` leaves them; fix them in the failed-rows file and apply that file.
const NOT_RETRYABLE_AS_IS: &[&str] = &[crate::cognito::codes::INVALID_PARAMETER];

/// Opens (or creates) the run's journal and says so when an old one was kept aside.
pub(super) fn open_journal(
    opts: &ApplyOptions,
    header: Header,
    reporter: &dyn Reporter,
) -> anyhow::Result<(Option<Journal>, Tally)> {
    let Some(path) = &opts.journal_path else {
        return Ok((None, Tally::new(header)));
    };
    let (journal, tally, kept) =
        journal::open_for_run::<Tally>(path, &header, opts.restart, opts.retry_failed)?;
    if let Some(old) = kept {
        // The earlier run's failed rows belong to it: kept aside too, not mixed with these.
        if std::fs::symlink_metadata(&opts.failed_path).is_ok_and(|m| m.is_file()) {
            let aside = journal::kept_name(&opts.failed_path, tally.header.created_unix);
            std::fs::rename(&opts.failed_path, &aside)?;
        }
        // Advice to undo it only if it changed anything.
        let changed =
            Tally::load(&old).is_ok_and(|(t, _)| t.report.updated + t.report.unknown_rows > 0);
        let old = old.display();
        let undo = match changed {
            true => format!(" (undo that run with: cognito-bulk rollback {old})"),
            false => String::new(),
        };
        reporter.warning(&match opts.restart {
            true => format!("starting over; the old journal is kept as {old}{undo}"),
            false => format!(
                "the journal records a finished run: starting a new one against the pool's \
                 current values; the old journal is kept as {old}{undo}"
            ),
        });
    }
    Ok((Some(journal), tally))
}

/// What this run skips and what it decides again.
pub(super) struct Again {
    /// Rows finished for good: skipped without a call.
    pub done: DoneSet,
    /// Rows whose outcome was unknown, with their values before the first attempt.
    pub unknown: BTreeMap<u64, Before>,
    /// Whether an earlier run recorded anything (the failed-rows file is appended to).
    pub resuming: bool,
}

pub(super) fn decide_again(tally: &mut Tally, retry_failed: bool) -> Again {
    let resuming = !tally.done.is_empty();
    // Invalid rows and conflicts cost no call: decided again, so that a flag added since
    // (--allow-verification-messages, --force) takes effect.
    let redecide: Vec<u64> = tally.redecide.keys().copied().collect();
    for n in redecide {
        tally.done.remove(n);
    }
    // A row whose outcome was unknown is decided again, keeping its first before-values.
    let mut unknown: BTreeMap<u64, Before> = tally
        .unknown
        .iter()
        .map(|(n, (_, before))| (*n, before.clone()))
        .collect();
    // So is a row whose call was in flight when its run died (an intent without an
    // outcome): it may have been applied, so what it changed from is kept, whatever the
    // pool shows now. The intent's before-values already hold any earlier ones.
    for (n, before) in std::mem::take(&mut tally.intents) {
        unknown.insert(n, before);
    }
    for n in unknown.keys() {
        tally.done.remove(*n);
    }
    if retry_failed {
        for (n, code) in &tally.failed {
            if !NOT_RETRYABLE_AS_IS.contains(&code.as_str()) {
                tally.done.remove(*n);
            }
        }
    }
    Again {
        done: tally.done.clone(),
        unknown,
        resuming,
    }
}

/// The address changes a journal's runs left pending (see [`journal::pending_changes`]).
pub(super) fn pending_changes(path: &std::path::Path) -> journal::Pending {
    journal::pending_changes(path)
}

/// The users an earlier run resolved its rows of unknown outcome to: decided again, such a
/// row acts on that user (by sub), since the call may have changed the email it is keyed by.
/// Only for a journal this run resumes (of this input, not finished or `--retry-failed`); an
/// unreadable journal gives none (opening it for the run reports why).
pub(super) fn resolved_before(
    path: &std::path::Path,
    input_sha256: &str,
    retry_failed: bool,
) -> BTreeMap<u64, crate::model::row::Identity> {
    let resumed = journal::load(path)
        .is_ok_and(|l| l.header.input_sha256 == input_sha256 && (!l.is_complete() || retry_failed));
    let Ok((_, entries)) = journal::entries(path)
        .map_err(drop)
        .and_then(|e| match resumed {
            true => Ok(e),
            false => Err(()),
        })
    else {
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    for e in entries {
        match (e.outcome, e.username) {
            // An intent with no outcome after it: the run died with the call in flight.
            (journal::Outcome::Unknown | journal::Outcome::Intent, Some(username)) => {
                let sub = e.sub;
                out.insert(e.n, crate::model::row::Identity { username, sub });
            }
            _ => {
                out.remove(&e.n);
            }
        }
    }
    out
}
