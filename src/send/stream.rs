//! The reader thread: records in file order, skipped if an earlier run finished them, checked
//! (row rules, duplicates, schema, rails), diffed against the current values, and sent on:
//! rows to change to the dispatcher, everything else straight to the recorder.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::cognito::pacing::Sent;
use crate::decide::planner::{Decision, RowsFrom};
use crate::decide::prepare::{PoolState, Scanned};
use crate::journal::DoneSet;
use crate::journal::steps::Done;
use crate::model::op::OpDiff;
use crate::model::row::Record;
use crate::rows::input::{InputError, Records};

use crate::model::row::Before;

/// A row to send, with what it changes from.
pub struct Work {
    pub record: Record,
    /// The before-values the journal records for rollback (replaced by the values read just
    /// before the call, when the run reads them).
    pub before: Option<Before>,
    /// Verification messages Cognito sends for this row (by the pool's settings).
    pub messages: u32,
    /// Addresses whose change stays pending until the user confirms it: the pool keeps the
    /// old value (and its verified flag) meanwhile.
    pub pending: Vec<&'static str>,
    /// What the decision expected the pool to hold (the pre-read's values, or a plan's
    /// before-values; None: nothing was expected, `--current-state none` on a plain input):
    /// the read just before the call is checked against it.
    pub expected: Option<Before>,
    /// For a row whose earlier outcome was unknown: its values before the first attempt,
    /// which stay its before-values.
    pub earlier: Option<Before>,
    /// The row's operations other than attributes, as decided (each with what the user held
    /// before it; decided again against the read just before the calls): what its intent
    /// and outcome record (`send/others.rs`).
    pub others: Vec<OpDiff>,
    /// Whether the user's groups were read just before the calls: only then is the
    /// membership before each group operation known (rollback needs it).
    pub groups_read: bool,
    /// What earlier runs' calls of this row already did (their step entries): never sent
    /// again, and listed in the row's outcome.
    pub done: Done,
    /// How many of the row's calls this run sent (the journal counts retries beyond them).
    pub calls_sent: u32,
}

impl Work {
    /// The username the calls are sent with: the real username the row's key resolved to.
    /// Cognito would resolve an alias itself, but the row may change the very email it is
    /// keyed by: a retry after the change landed would find nobody, or someone else.
    pub fn username(&self) -> &str {
        match &self.record.identity {
            Some(id) => &id.username,
            None => &self.record.row.username,
        }
    }

    /// The calls that send the row's operations, in order (`model::op::calls`).
    pub fn calls(&self) -> Vec<crate::cognito::call::Call> {
        let row = &self.record.row;
        crate::model::op::calls(self.username(), &row.ops, &row.client_metadata)
    }
}

/// What flows to the recorder.
pub enum Event {
    Invalid(Record),
    NotFound(Record),
    Unchanged(Record),
    Conflict(Record, Vec<String>),
    /// A row whose earlier outcome was unknown, found applied: with its first before-values.
    Recovered(Record, Before),
    Sent(Work, Sent),
    /// A row about to be sent: its intent is journaled, then the work comes back with
    /// whether it was written (the call is sent only if it was).
    Intent(Work, tokio::sync::oneshot::Sender<(Work, bool)>),
    /// One of a row's calls succeeded and another follows: what it did (None: the attribute
    /// call; else the operation) is journaled before the next is sent, then the work comes
    /// back with whether it was written.
    Step(
        Work,
        Option<OpDiff>,
        tokio::sync::oneshot::Sender<(Work, bool)>,
    ),
    /// The input could not be read on: the run stops.
    InputFailed(InputError),
}

/// Everything the checks need, moved into the thread.
pub struct Checks {
    pub scanned: Scanned,
    /// The schema and current values (None: rows are sent as they are).
    pub pool: PoolState,
    pub allow_verification_messages: bool,
    /// Send a plan's rows even when their users changed since the plan was made.
    pub force: bool,
    /// Stop after this many rows to change were handed out (`--limit`).
    pub limit: Option<u64>,
    /// Where the rows come from, for the advice of a refusal.
    pub rows_from: RowsFrom,
    /// Rows an earlier run left with an unknown outcome, with their values before its first
    /// attempt: kept as the before-values whatever the pool holds now.
    pub unknown: BTreeMap<u64, Before>,
    /// The users an earlier run resolved those rows to: they act on them (by sub).
    pub resolved: BTreeMap<u64, crate::model::row::Identity>,
    /// What earlier runs' calls already did for rows not finished as updated (their step
    /// entries): never sent again.
    pub steps: BTreeMap<u64, Done>,
}

/// Counters the thread keeps for the report.
#[derive(Default)]
pub struct StreamCounts {
    pub skipped: AtomicU64,
    pub limited: AtomicBool,
}

pub fn read_rows(
    records: Records,
    done: DoneSet,
    mut checks: Checks,
    work_tx: mpsc::Sender<Work>,
    events: mpsc::Sender<Event>,
    stop: CancellationToken,
    counts: Arc<StreamCounts>,
) {
    let mut planner = crate::decide::all::planner(
        &checks.scanned,
        &checks.pool,
        checks.allow_verification_messages,
        checks.force,
    );
    planner.rows_from = checks.rows_from;
    let mut handed_out = 0u64;
    for (index, record) in records.enumerate() {
        let mut record = match record {
            Ok(record) => record,
            Err(e) => {
                let _ = events.blocking_send(Event::InputFailed(e));
                return;
            }
        };
        record.index = index as u64;
        if done.contains(record.index) {
            counts.skipped.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        if checks.limit.is_some_and(|limit| handed_out >= limit) {
            counts.limited.store(true, Ordering::Relaxed);
            return;
        }
        let earlier = checks.unknown.remove(&record.index);
        let done_before = checks.steps.remove(&record.index).unwrap_or_default();
        if let Some(identity) = checks.resolved.remove(&record.index) {
            record.identity = Some(identity);
        }
        let decision = planner.check_and_decide(&mut record, checks.scanned.scan.duplicates());
        let decision =
            super::others::sign_out_owed(decision, &record, earlier.is_some(), &done_before);
        let event = match decision {
            Decision::Invalid => Event::Invalid(record),
            Decision::NotFound => Event::NotFound(record),
            Decision::Unchanged => match earlier {
                Some(first) => Event::Recovered(record, first),
                None => Event::Unchanged(record),
            },
            Decision::Conflict(names) => Event::Conflict(record, names),
            Decision::Change {
                diffs,
                messages,
                pending,
                ..
            } => {
                handed_out += 1;
                let current = checks.pool.current.as_ref();
                let decided = (diffs, messages.len() as u32, pending);
                let work = to_send(record, decided, current, earlier, done_before);
                if work_tx.blocking_send(work).is_err() || stop.is_cancelled() {
                    return;
                }
                continue;
            }
        };
        let delivered = events.blocking_send(event).is_ok();
        if !delivered || stop.is_cancelled() {
            return;
        }
    }
}

/// A decided change made the work to send: what an earlier attempt's calls already did left
/// out (never sent again), a lone sign-out made a row with nothing to send (`send_one`
/// finishes it without a call), and the row's unverified addresses noted against the user's
/// current values.
fn to_send(
    record: Record,
    (mut diffs, messages, pending): (Vec<OpDiff>, u32, Vec<&'static str>),
    current: Option<&crate::decide::current::Current>,
    earlier: Option<Before>,
    done_before: Done,
) -> Work {
    diffs.retain(|d| !done_before.has(&d.op()));
    let (key, identity) = (&record.row.username, record.identity.as_ref());
    let around = current.and_then(|c| c.around(key, identity).ok());
    let now = around
        .as_deref()
        .and_then(|c| match c.resolve(key, identity) {
            crate::decide::current::Resolved::User(kept) => Some(kept.attributes.clone()),
            _ => None,
        });
    let mut work = work(record, diffs, current.is_some(), earlier);
    work.done = done_before;
    if super::others::lone_sign_out(&work.others, &work) && work.record.row.ops.len() == 1 {
        work.others.clear();
        work.record.row.ops.clear();
    }
    work.messages = messages;
    work.pending = pending;
    note_unverified(&mut work, now.as_ref());
    work
}

/// A row to send: exactly the decided changes, with what the pool held before them (read now,
/// or as the plan saw it; for a resend, as it was before the first attempt), for rollback.
fn work(mut record: Record, diffs: Vec<OpDiff>, read: bool, earlier: Option<Before>) -> Work {
    let expected = match read {
        true => Some(
            diffs
                .iter()
                .filter_map(OpDiff::attribute)
                .map(|d| (d.name.clone(), d.before.clone()))
                .collect::<Before>(),
        ),
        false => record.before.take(),
    };
    let before = overlay(expected.clone(), earlier.as_ref());
    record.row.ops = diffs.iter().map(OpDiff::op).collect();
    let others = diffs.into_iter().filter(|d| d.attribute().is_none());
    Work {
        record,
        before,
        messages: 0,
        pending: Vec::new(),
        expected,
        earlier,
        others: others.collect(),
        groups_read: false,
        done: Done::default(),
        calls_sent: 0,
    }
}

/// `now`, with the values of `first` (from before an earlier attempt) in place of its own.
pub fn overlay(now: Option<Before>, first: Option<&Before>) -> Option<Before> {
    match (now, first) {
        (Some(now), Some(first)) => {
            let mut first = first.clone();
            for (name, value) in now {
                first.entry(name).or_insert(value);
            }
            Some(first)
        }
        (now, _) => now,
    }
}

/// Adds to a row's before-values the `*_verified` flags its call makes Cognito reset (an
/// email or phone number changed without its flag, messages allowed), as the pool held them:
/// the journal then lets rollback restore the flag with the address, in the same call.
pub fn note_unverified(work: &mut Work, now: Option<&BTreeMap<String, String>>) {
    let flags: Vec<&str> = unverified_flags(work).collect();
    let Some(before) = work.before.as_mut() else {
        return;
    };
    for verified in flags {
        before
            .entry(verified.to_string())
            .or_insert_with(|| now.and_then(|n| n.get(verified)).cloned());
    }
}

/// The `*_verified` flags a row's call makes Cognito set to false: each address it sets
/// without its flag, except a pending change, which leaves the old address and its flag.
pub fn unverified_flags(work: &Work) -> impl Iterator<Item = &'static str> + '_ {
    crate::model::op::attributes::unverified_by(work.record.row.attrs()).filter(|verified| {
        !crate::decide::planner::ALIASES
            .iter()
            .any(|(alias, flag)| flag == verified && work.pending.contains(alias))
    })
}
