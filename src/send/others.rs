//! A row's operations other than attributes at send time: group memberships, the `enabled`
//! flag and the sign-out. Just before the calls (after AdminGetUser, which returns `Enabled`)
//! the user's groups are read once when the row has group operations (AdminListGroupsForUser,
//! UserResourceRead, 60 groups a page: one call for almost every user, since a user may be in at most
//! 100 groups), and each operation is diffed again: one already done (the user was added to
//! the group since the plan, or disabled by someone else) costs no call, and what the journal
//! records before each operation is what the user held just before this run touched it, so
//! that rollback never removes a user from a group it was in before the run.
//!
//! Reading the groups per user rather than the members per group (ListUsersInGroup, the
//! plan's read) costs one call per user with group operations instead of one per 60 members
//! of each group; at send time only that user matters, and its membership must be read as
//! late as possible.

use std::collections::BTreeSet;

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use crate::cognito::pacing::{RateControl, RetryPolicy, SendResult, retrying};
use crate::cognito::{CallError, Pool};
use crate::model::op::{Now, OpDiff};
use crate::send::stream::{Event, Work};

/// Whether the row has group operations to check against the user's groups.
pub(super) fn has_groups(work: &Work) -> bool {
    work.others.iter().any(|d| matches!(d, OpDiff::Group(_)))
}

/// Every group `username` is in (AdminListGroupsForUser, page by page), each page paced and
/// retried as the read before it (`reads`).
pub(super) async fn read_groups<P: Pool>(
    pool: &P,
    reads: &RateControl,
    policy: &RetryPolicy,
    stop: &CancellationToken,
    username: &str,
) -> Result<BTreeSet<String>, CallError> {
    let mut groups = BTreeSet::new();
    let mut token: Option<String> = None;
    loop {
        let page = retrying(reads, policy, stop, || {
            pool.user_groups_page(username, token.as_deref())
        })
        .await?;
        groups.extend(page.groups);
        match page.next {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => return Ok(groups),
        }
    }
}

/// Diffs the row's other operations again against the user as read just before its calls
/// (`enabled`; `groups`, None: not read): one that already holds drops out (a membership or
/// a flag has two states: changed since the decision, it holds the target, which is not a
/// conflict), the others carry what was read as their before-state.
pub(super) fn recheck(work: &mut Work, enabled: Option<bool>, groups: Option<&BTreeSet<String>>) {
    let attributes = Default::default();
    let now = Now {
        attributes: &attributes,
        groups,
        enabled,
    };
    let others: Vec<OpDiff> = std::mem::take(&mut work.others)
        .iter()
        .filter_map(|d| d.op().diff(now))
        .collect();
    work.groups_read |= groups.is_some();
    let row = &mut work.record.row;
    row.ops.retain(|op| op.attribute().is_some());
    row.ops.extend(others.iter().map(OpDiff::op));
    work.others = others;
}

/// The row's calls in order (`model::op::calls`), each with the operation it makes (None:
/// the attribute call), for the step entries written between them.
pub(super) fn calls(work: &Work) -> Vec<(crate::cognito::call::Call, Option<OpDiff>)> {
    let one =
        |d: &OpDiff| crate::model::op::calls(work.username(), &[d.op()], &Default::default()).pop();
    work.calls()
        .into_iter()
        .map(|call| {
            let op = work.others.iter().find(|d| one(d).as_ref() == Some(&call));
            (call, op.cloned())
        })
        .collect()
}

/// Journals what one of the row's calls did before the next is sent; false if it could not
/// be written (the next call is then not sent).
pub(super) async fn step(
    work: Work,
    op: Option<OpDiff>,
    events: &mpsc::Sender<Event>,
) -> Option<(Work, bool)> {
    let (ack, answer) = oneshot::channel();
    match events.send(Event::Step(work, op, ack)).await {
        Err(mpsc::error::SendError(Event::Step(work, _, _))) => Some((work, false)),
        Err(_) => None,
        Ok(()) => answer.await.ok(),
    }
}

/// A row with nothing left to send: updated if an earlier run's calls did some of it (their
/// steps), unchanged (or recovered, after an unknown outcome) otherwise.
pub(super) fn finished(work: Work) -> Event {
    if !work.done.is_empty() {
        return Event::Sent(work, super::turn::sent(SendResult::Updated));
    }
    match work.earlier {
        Some(first) => Event::Recovered(work.record, first),
        None => Event::Unchanged(work.record),
    }
}

/// Whether all that is left of a row is its sign-out while neither this run nor an earlier
/// attempt changed anything else of the user (no step done, no unknown outcome): then it is
/// not sent. A sign-out follows a user's changes so that its next tokens carry them; a user
/// with nothing else to change is not signed out (as `--sign-out` decides), and a plan
/// applied again does not sign its users out again.
pub(super) fn lone_sign_out(ops: &[OpDiff], work: &Work) -> bool {
    !ops.is_empty()
        && ops.iter().all(|d| matches!(d, OpDiff::SignOut(_)))
        && work.done.is_empty()
        && work.earlier.is_none()
}

/// Drops a lone sign-out (see [`lone_sign_out`]) from a row checked just before its calls.
pub(super) fn drop_lone_sign_out(work: &mut Work) {
    let attrs = work.record.row.attrs().count();
    if attrs == 0 && lone_sign_out(&work.others, work) {
        work.others.clear();
        work.record.row.ops.clear();
    }
}

/// A user an earlier attempt of this run already changed (its calls cut short by a crash,
/// an interrupt or a failure: an unknown outcome or journaled steps) still owes the
/// sign-out its row asked for, even when nothing else is left to change now: that earlier
/// change is why it signs out. Without this the resumed row would be found unchanged and
/// the user would keep tokens with its old values.
pub(super) fn sign_out_owed(
    decision: crate::decide::planner::Decision,
    record: &crate::model::row::Record,
    unknown_before: bool,
    done_before: &crate::journal::steps::Done,
) -> crate::decide::planner::Decision {
    use crate::decide::planner::Decision::{Change, Unchanged};
    use crate::model::op::{Op, SignOutDiff};
    let asked = record.row.ops.contains(&Op::SignOut);
    let changed_before = unknown_before || !done_before.is_empty();
    match decision {
        Unchanged if asked && changed_before && !done_before.has(&Op::SignOut) => Change {
            diffs: vec![OpDiff::SignOut(SignOutDiff::default())],
            messages: Vec::new(),
            pending: Vec::new(),
            locks_out: false,
            overwritten_at_sign_in: false,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::op::{EnabledDiff, GroupChange, Op, SignOutDiff};
    use crate::model::row::Record;

    fn work(others: Vec<OpDiff>) -> Work {
        let mut record = Record::for_test("al", &[("nickname", Some("new"))]);
        record.row.ops.extend(others.iter().map(OpDiff::op));
        Work {
            record,
            before: None,
            expected: None,
            earlier: None,
            messages: 0,
            pending: Vec::new(),
            others,
            groups_read: false,
            done: Default::default(),
            calls_sent: 0,
        }
    }

    #[test]
    fn an_operation_done_since_costs_no_call_and_the_rest_carry_what_was_read() {
        let mut w = work(vec![
            OpDiff::Group(GroupChange::add("admin")),
            OpDiff::Group(GroupChange::remove("beta")),
            OpDiff::Enabled(EnabledDiff::new(None, false)),
            OpDiff::SignOut(SignOutDiff::default()),
        ]);
        let groups: BTreeSet<String> = ["admin".to_string(), "beta".to_string()].into();
        recheck(&mut w, Some(true), Some(&groups));
        assert_eq!(
            w.others,
            [
                OpDiff::Group(GroupChange::remove("beta")),
                OpDiff::Enabled(EnabledDiff::new(Some(true), false)),
                OpDiff::SignOut(SignOutDiff::default()),
            ]
        );
        assert!(w.groups_read);
        assert!(
            !w.record
                .row
                .ops
                .contains(&Op::Group(GroupChange::add("admin")))
        );
        let calls = calls(&w);
        assert_eq!(calls.len(), 4, "attributes, beta, disable, sign-out");
        assert_eq!(calls[0].1, None);
        assert_eq!(calls[3].1, Some(OpDiff::SignOut(SignOutDiff::default())));
    }
}
