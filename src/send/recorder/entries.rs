//! The journal entries the recorder writes: one per finished row (or intent), and the values
//! they record after a row's call. Apart from `recorder.rs`, which decides when to write them.

use crate::decide::planner::unverified_by;
use crate::journal::{Entry, Outcome, now_unix};
use crate::model::row::{Before, Record};
use crate::send::stream::Work;

pub(super) fn entry(
    record: &Record,
    outcome: Outcome,
    code: Option<String>,
    attempts: u32,
    throttled: u32,
) -> Entry {
    Entry {
        n: record.index,
        line: record.row.line,
        user: record.row.username.clone(),
        username: record.identity.as_ref().map(|i| i.username.clone()),
        sub: record.identity.as_ref().and_then(|i| i.sub.clone()),
        outcome,
        code,
        attempts,
        throttled,
        category: (attempts > 0)
            .then(|| record.row.ops.first().map(|op| op.category()))
            .flatten(),
        t: now_unix(),
        message: None,
        before: None,
        after: None,
        pending: Default::default(),
        ops: Vec::new(),
        groups_unread: false,
        calls: 0,
    }
}

/// What a row's call leaves in the pool: its changes (None: deleted), and the `*_verified`
/// flags Cognito resets besides (their earlier values are in the before-values, see
/// `stream::note_unverified`).
pub(super) fn after_values(work: &Work) -> Before {
    let mut after: Before = work
        .record
        .row
        .attrs()
        .map(|c| (c.name.clone(), c.change.value().map(str::to_string)))
        .collect();
    for verified in crate::send::stream::unverified_flags(work) {
        after.insert(verified.to_string(), Some("false".into()));
    }
    after
}

/// The values a row of unknown outcome that the pool now holds left after its call: its
/// changes, and the `*_verified` flags it reset.
pub(super) fn recovered_after(record: &Record, before: &Before) -> Before {
    let reset: Vec<&str> = unverified_by(record.row.attrs()).collect();
    before
        .keys()
        .map(|name| {
            let change = record.row.attrs().find(|c| &c.name == name);
            let value = match change {
                Some(c) => c.change.value().map(str::to_string),
                None if reset.contains(&name.as_str()) => Some("false".into()),
                None => None,
            };
            (name.clone(), value)
        })
        .collect()
}

/// A sent row's after-values. A pending change: the pool still holds the old value, and the
/// entry keeps the value asked for apart.
pub(super) fn sent_after(work: &Work, outcome: Outcome, entry: &mut Entry) {
    let mut after = after_values(work);
    if outcome == Outcome::Updated {
        for alias in &work.pending {
            let old = work.before.as_ref().and_then(|b| b.get(*alias).cloned());
            if let Some(Some(asked)) = after.insert(alias.to_string(), old.flatten()) {
                entry.pending.insert(alias.to_string(), asked);
            }
        }
    }
    entry.after = Some(after);
}

/// Format 4: the row's operations other than attributes on its intent or outcome entry, and
/// (on an outcome, `with_done`) what earlier runs' calls of the row did (their steps), so
/// that the outcome lists every operation of the row, whichever run sent it.
pub(super) fn others(work: &Work, entry: &mut Entry, with_done: bool) {
    let done = &work.done;
    if with_done {
        entry.ops.extend(done.ops.iter().cloned());
        if !done.after.is_empty() {
            let before = entry.before.get_or_insert_with(Default::default);
            for (name, value) in &done.before {
                before.entry(name.clone()).or_insert(value.clone());
            }
            let after = entry.after.get_or_insert_with(Default::default);
            for (name, value) in &done.after {
                after.entry(name.clone()).or_insert(value.clone());
            }
        }
    }
    entry.ops.extend(work.others.iter().cloned());
    entry.calls = work.calls_sent;
    entry.groups_unread = !work.groups_read
        && entry
            .ops
            .iter()
            .any(|d| matches!(d, crate::model::op::OpDiff::Group(_)));
}

/// A step: what one of the row's calls did (None: the attribute call, with the values it
/// changed from and to; else the one operation), journaled before the next call is sent.
pub(super) fn step(work: &Work, op: Option<crate::model::op::OpDiff>) -> Entry {
    let mut entry = entry(&work.record, Outcome::Step, None, 0, 0);
    match op {
        None => {
            let after = after_values(work);
            let before = work.before.as_ref().map(|b| {
                b.iter()
                    .filter(|(name, _)| after.contains_key(*name))
                    .map(|(n, v)| (n.clone(), v.clone()))
                    .collect()
            });
            entry.before = before;
            entry.after = Some(after);
        }
        Some(op) => {
            entry.ops.push(op);
            entry.groups_unread = !work.groups_read
                && entry
                    .ops
                    .iter()
                    .any(|d| matches!(d, crate::model::op::OpDiff::Group(_)));
        }
    }
    entry
}
