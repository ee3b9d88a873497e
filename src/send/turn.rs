//! One row's turn: the user read again just before the update (one AdminGetUser, paced
//! under the UserRead quota by that category's pacer), checked against what the decision
//! expected, its intent journaled, and only then the row's calls sent, each paced by the
//! pacer of its own quota category (`cognito::pacing::Pacers`).
//!
//! The read closes the window a long run leaves open: a user someone else changed since the
//! pre-read (or since the plan) is a conflict, not overwritten; and the journal's
//! before-values are what the user held just before this run touched it, so a rollback never
//! writes back a value older than someone else's change. The intent, written before the
//! call, means a crash while the call is in flight loses nothing: a resume reads that row as
//! an unknown outcome with these before-values.

use std::collections::BTreeMap;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::cognito::call::Category;
use crate::cognito::pacing::{Pacers, SendResult, Sent, retrying_in, send_call_from};
use crate::cognito::{Pool, User};
use crate::model::op::attributes::still_to_send;
use crate::model::row::{AttrChange, Before};
use crate::send::others;
use crate::send::stream::{Event, Work, note_unverified, overlay};

/// AdminGetUser just before each update, paced by default well under the UserRead quota of
/// 120/s (which the live app shares); the update pacer (`--rps`, 25/s of UserUpdate unless
/// capacity was bought) is the tighter one then. `--read-rps` raises it.
pub const READ_RPS: f64 = 80.0;

/// How rows are sent: shared by every worker of a run.
pub(super) struct SendTime {
    /// Read each user just before its update (off with `--no-read-before-write`), paced by
    /// the UserRead pacer.
    pub read: bool,
    /// Send a row even when its user changed since it was decided (`--force`).
    pub force: bool,
}

impl SendTime {
    pub fn new(read: bool, force: bool) -> SendTime {
        SendTime { read, force }
    }
}

/// What the read just before the update says about a row.
enum Checked {
    Send,
    Unchanged,
    Conflict(Vec<String>),
}

/// Sends one row: the read (its UserRead turn), the check, the first call's turn, the
/// intent, the calls. Returns the event to record (None only if the recorder is gone, which
/// ends the run anyway).
///
/// Each call waits for a turn of its own category's pacer just before it goes: a row that
/// ends at its read (not found, unchanged, a conflict) takes no turn of the writes' quota,
/// and a read throttled under UserRead holds no UserUpdate turn meanwhile. The first call's
/// turn comes before the intent, so that an interrupt while waiting for it leaves no intent
/// without an outcome.
pub(super) async fn send_one<P: Pool>(
    pool: &P,
    pacers: &Pacers,
    at: &SendTime,
    mut work: Work,
    events: &mpsc::Sender<Event>,
    stop: &CancellationToken,
) -> Option<Event> {
    // Everything an earlier run's calls did: nothing left to send.
    if work.record.row.ops.is_empty() {
        return Some(others::finished(work));
    }
    if at.read {
        work = match read_and_check(pool, pacers, at, work, stop).await {
            Ok(work) => work,
            Err(event) => return Some(event),
        };
    }
    // The first call's turn, in its own category.
    let first = work.calls().first().map(|c| pacers.of(c.category()));
    if let Some(first) = &first {
        tokio::select! {
            biased;
            _ = stop.cancelled() => return Some(not_sent(work)),
            _ = first.rate.acquire() => {}
        }
    }
    // Write-ahead: the intent is in the journal before the call leaves.
    let (ack, answer) = oneshot::channel();
    if let Err(mpsc::error::SendError(Event::Intent(work, _))) =
        events.send(Event::Intent(work, ack)).await
    {
        return Some(not_sent(work));
    }
    let (work, written) = answer.await.ok()?;
    if !written || stop.is_cancelled() {
        return Some(not_sent(work));
    }
    let (work, sent) = send_calls(pool, pacers, work, events, stop).await?;
    Some(Event::Sent(work, sent))
}

/// The read just before a row's calls (AdminGetUser, and the user's groups when the row
/// changes any, each in the UserRead pacer), and the row checked against it: the work to
/// send on, or the event that ends the row here (not found, unchanged, a conflict, a failed
/// read, interrupted, or nothing left to send).
async fn read_and_check<P: Pool>(
    pool: &P,
    pacers: &Pacers,
    at: &SendTime,
    mut work: Work,
    stop: &CancellationToken,
) -> Result<Work, Event> {
    let username = work.username().to_string();
    let reads = pacers.of(Category::UserRead);
    let read = tokio::select! {
        biased;
        _ = stop.cancelled() => return Err(not_sent(work)),
        r = retrying_in(&reads, stop, || pool.get_user(&username)) => r,
    };
    let user = match read {
        Err(mut err) => {
            // Only read: nothing was sent, whatever became of the read.
            err.maybe_applied = false;
            err.message = format!("reading the user before its update: {}", err.message);
            return Err(Event::Sent(work, sent(SendResult::Failed(err))));
        }
        Ok(None) => return Err(Event::NotFound(work.record)),
        Ok(Some(user)) => user,
    };
    // The user's groups, when the row changes any: its group operations are diffed
    // again with `enabled`, as AdminGetUser returned it (`send/others.rs`).
    let mut groups = None;
    if others::has_groups(&work) {
        // AdminListGroupsForUser is metered apart from AdminGetUser (docs/QUOTAS.md).
        let group_reads = pacers.of(Category::UserResourceRead);
        let (rate, policy) = (&group_reads.rate, &group_reads.policy);
        match others::read_groups(pool, rate, policy, stop, &username).await {
            Ok(read) => groups = Some(read),
            Err(mut err) => {
                err.maybe_applied = false;
                err.message = format!("reading the user's groups: {}", err.message);
                return Err(Event::Sent(work, sent(SendResult::Failed(err))));
            }
        }
    }
    others::recheck(&mut work, user.enabled, groups.as_ref());
    match recheck(&mut work, &user, at.force) {
        Checked::Send => {}
        Checked::Unchanged => {
            return Err(match work.earlier {
                Some(first) => Event::Recovered(work.record, first),
                None => Event::Unchanged(work.record),
            });
        }
        Checked::Conflict(names) => return Err(Event::Conflict(work.record, names)),
    }
    others::drop_lone_sign_out(&mut work);
    if work.record.row.ops.is_empty() {
        return Err(others::finished(work));
    }
    Ok(work)
}

/// Sends the row's calls in order (`model::op::calls`; one for attribute operations), each
/// paced by its category's pacer, the first in the turn already taken; stops at the first
/// that does not succeed. Between two calls, what the first did is journaled (a step)
/// before the next is sent. The work comes back with only the operations whose calls were
/// sent (`others`); None only if the recorder is gone (which ends the run anyway).
async fn send_calls<P: Pool>(
    pool: &P,
    pacers: &Pacers,
    mut work: Work,
    events: &mpsc::Sender<Event>,
    stop: &CancellationToken,
) -> Option<(Work, Sent)> {
    let mut total = sent(SendResult::Updated);
    let calls = others::calls(&work);
    let mut reached = Vec::new();
    for (i, (call, op)) in calls.iter().enumerate() {
        reached.extend(op.clone());
        work.calls_sent += 1;
        let pacing = pacers.of(call.category());
        let one = send_call_from(pool, &pacing, call, stop, i == 0).await;
        total.attempts += one.attempts;
        total.throttled += one.throttled;
        total.unknown_outcomes += one.unknown_outcomes;
        total.result = one.result;
        if !matches!(total.result, SendResult::Updated) || i + 1 == calls.len() {
            break;
        }
        let written;
        (work, written) = others::step(work, op.clone(), events).await?;
        if !written || stop.is_cancelled() {
            total.result = SendResult::Interrupted;
            break;
        }
    }
    work.others.retain(|d| reached.contains(d));
    Some((work, total))
}

pub(super) fn sent(result: SendResult) -> Sent {
    Sent {
        result,
        attempts: 0,
        throttled: 0,
        unknown_outcomes: 0,
    }
}

/// A row stopped before its call was sent: not recorded as finished.
fn not_sent(work: Work) -> Event {
    Event::Sent(work, sent(SendResult::Interrupted))
}

/// Checks a row against the user as read just before its update. An attribute that holds
/// neither what the decision expected nor the target was changed by someone else since: a
/// conflict (unless `force`). One already at its target is dropped (the `*_verified` flag of
/// an address still changing stays: it keeps the address verified). The before-values become
/// the values read now (earlier ones kept for a row whose outcome was unknown).
fn recheck(work: &mut Work, user: &User, force: bool) -> Checked {
    let now = |name: &str| user.attribute(name).map(str::to_string);
    let at_target = |c: &AttrChange| now(&c.name).as_deref() == c.change.value();
    if let Some(expected) = &work.expected {
        let conflicts: Vec<String> = work
            .record
            .row
            .attrs()
            .filter(|c| {
                expected
                    .get(&c.name)
                    .is_some_and(|e| now(&c.name) != *e && !at_target(c))
            })
            .map(|c| c.name.clone())
            .collect();
        if !conflicts.is_empty() && !force {
            return Checked::Conflict(conflicts);
        }
        // The attribute operations are checked here; a row with operations of another kind
        // still has those to send.
        let changes: Vec<AttrChange> = work.record.row.attrs().cloned().collect();
        let kept = still_to_send(&changes, now);
        let others = work.record.row.ops.len() > changes.len();
        if kept.iter().all(at_target) && !others {
            return Checked::Unchanged;
        }
        work.record.row.set_attrs(kept);
    }
    let fresh: Before = work
        .record
        .row
        .attrs()
        .map(|c| (c.name.clone(), now(&c.name)))
        .collect();
    work.before = overlay(Some(fresh), work.earlier.as_ref());
    let attributes: BTreeMap<String, String> = user.attributes.iter().cloned().collect();
    note_unverified(work, Some(&attributes));
    Checked::Send
}

#[cfg(test)]
mod tests;
