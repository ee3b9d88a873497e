//! Deciding what each row comes to against the pool: the schema check, the diff against the
//! current values (or, for a plan's row, the check that the pool still holds what the plan
//! saw), and the safety rails (verification messages, email and phone number aliases).
//! The one decision path of `plan`, `apply`, `apply --plan` and `rollback`.

use std::collections::HashSet;

use crate::cognito::config::{Federation, Messaging};
use crate::decide::current::{Current, Kept, Resolved};
use crate::decide::diff::{RowPlan, against_plan, changes_more_than_sign_out, diff};
use crate::decide::groups::exact;
use crate::decide::schema::Schema;
use crate::model::op::{Now, OpDiff, attributes_apart};
use crate::model::row::{Code, Problem, Record};
use crate::rows::scan::{Duplicates, user_key};

mod limits;
mod rails;

use limits::group_limit;
pub use limits::{MASS_DISABLE_SHARE, mass_disable, over_disable_rail};

/// What a row comes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The record has problems (now in `record.problems`): never sent.
    Invalid,
    NotFound,
    Unchanged,
    /// A plan's row whose user changed since the plan was made: these attributes no longer
    /// hold the value the plan saw. Not sent unless `--force`.
    Conflict(Vec<String>),
    Change {
        /// Exactly what is sent, as operations against what the pool holds: the attributes
        /// that change, plus the row's `*_verified` flag when its email or phone number
        /// changes (see [`keep_verified`]).
        diffs: Vec<OpDiff>,
        /// The addresses (`email`, `phone_number`) Cognito sends a verification message to for
        /// this row: only those the pool auto-verifies ([`Messaging`]).
        messages: Vec<&'static str>,
        /// Addresses whose change stays pending until the user confirms the code (the pool's
        /// AttributesRequireVerificationBeforeUpdate): the pool keeps the old value until then.
        pending: Vec<&'static str>,
        /// The change leaves the user unable to sign in with either address until they verify
        /// (a sign-in address changed unverified and stored at once).
        locks_out: bool,
        /// The row changes an attribute its federated user's identity provider writes at each
        /// sign-in, sent because `--allow-overwritten-at-sign-in` allowed it: applying the plan
        /// needs that allowance again.
        overwritten_at_sign_in: bool,
    },
}

pub struct Planner<'a> {
    pub schema: Option<&'a Schema>,
    /// None: no current values (`--current-state none`): every row is sent as it is.
    pub current: Option<&'a Current>,
    /// Emails and phone numbers that more than one input row sets.
    pub repeated_aliases: &'a HashSet<u64>,
    pub allow_verification_messages: bool,
    /// Send a plan's row even when its user changed since the plan was made.
    pub force: bool,
    /// Where the rows come from, for the advice of a refusal.
    pub rows_from: RowsFrom,
    /// How the pool messages its users: which changes send a code, wait, or lock out.
    pub messaging: &'a Messaging,
    /// The attributes identity providers write at every sign-in of a federated user.
    pub federation: &'a Federation,
    /// Address changes an earlier run left pending (user key, attribute, value): not sent
    /// again (the user already has the code).
    pub already_pending: &'a HashSet<(u64, String, String)>,
}

/// Where the rows being decided come from: a refusal's advice names what the user can do in
/// the command they ran.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RowsFrom {
    /// An input file (or a plan made from one): the row itself can carry a flag.
    #[default]
    File,
    /// Computed by `--set`: only another `--set` adds an attribute.
    Set,
    /// A rollback plan: it has no rows to edit; only the rollback command's flags change it.
    Rollback,
}

impl RowsFrom {
    /// How to send a change of `alias` without a verification message, or with one.
    fn verification_advice(self, alias: &str, verified: &str) -> String {
        match self {
            RowsFrom::File => format!(
                "changing {alias} makes Cognito send the user a verification message; \
                 set {verified} to true in the same row, or pass --allow-verification-messages"
            ),
            RowsFrom::Set => format!(
                "changing {alias} makes Cognito send the user a verification message; \
                 add --set {verified}=true (only for addresses known to be the user's), or \
                 pass --allow-verification-messages"
            ),
            RowsFrom::Rollback => format!(
                "restoring {alias} makes Cognito send the user a verification message (it was \
                 not verified before the run); to restore it all the same, run rollback again \
                 with --allow-verification-messages"
            ),
        }
    }
}

pub use crate::cognito::rules::ALIASES;

impl Planner<'_> {
    /// The whole decision for a record as read: the row rules, users named on several lines,
    /// then [`Planner::decide`].
    pub fn check_and_decide(&self, record: &mut Record, duplicates: &Duplicates) -> Decision {
        crate::decide::validate::check(record);
        duplicates.mark(record);
        self.decide(record)
    }

    /// Decides a record that passed the network-free checks (or not: invalid stays invalid).
    pub fn decide(&self, record: &mut Record) -> Decision {
        if let Some(schema) = self.schema {
            schema.check(record);
        }
        if record.not_found_by_plan().is_some() {
            return Decision::NotFound;
        }
        if !record.is_valid() {
            return Decision::Invalid;
        }
        // The users the key may name (those kept out of memory loaded for it).
        let around = match self
            .current
            .map(|c| c.around(&record.row.username, record.identity.as_ref()))
        {
            Some(Err(e)) => {
                record.problems.push(unreadable(&e));
                return Decision::Invalid;
            }
            around => around.and_then(Result::ok),
        };
        let kept = match resolve_user(around.as_deref(), record) {
            Ok(kept) => kept,
            Err(decision) => return decision,
        };
        let now = kept.map(|k| &k.attributes);
        let held = kept.map(|k| Now {
            attributes: &k.attributes,
            groups: k.groups.as_ref(),
            enabled: k.enabled,
        });
        let planned = match (held, &record.before) {
            (Some(held), Some(before)) => against_plan(&record.row, before, held, self.force),
            (Some(held), None) => diff(&record.row, Some(held)),
            // No current values: every operation is sent as it is.
            (None, _) => RowPlan::Change(
                (exact::ops(&record.row, None).iter())
                    .map(|op| op.unread(record.before.as_ref()))
                    .collect(),
            ),
        };
        // The rules below are about attributes (the schema, the aliases, the messages);
        // other operations pass through them.
        let (mut diffs, others) = match planned {
            RowPlan::NotFound => return Decision::NotFound,
            RowPlan::Unchanged => return Decision::Unchanged,
            RowPlan::Conflict(names) => return Decision::Conflict(names),
            RowPlan::Change(d) => attributes_apart(d),
        };
        if let Some(schema) = self.schema {
            let changed = diffs.iter().filter(|d| d.before != d.after);
            schema.check_mutable(record, changed.map(|d| d.name.as_str()));
        }
        keep_verified(record.row.attrs(), now, &mut diffs);
        if !self.already_pending.is_empty() {
            let user = user_key(&record.row.username);
            diffs.retain(|d| {
                let key = (user, d.name.clone(), d.after.clone().unwrap_or_default());
                !self.already_pending.contains(&key)
            });
            if diffs.iter().all(|d| d.before == d.after) && !changes_more_than_sign_out(&others) {
                return Decision::Unchanged;
            }
        }
        let overwritten_at_sign_in = self.overwritten_at_sign_in(record, &diffs, now);
        let effects = self.effects(&diffs, now);
        self.rails(record, &diffs, &effects);
        group_limit(record, kept.and_then(|k| k.groups.as_ref()), &others);
        if record.is_valid() {
            Decision::Change {
                diffs: diffs.into_iter().map(OpDiff::from).chain(others).collect(),
                messages: effects.messages,
                pending: effects.pending,
                locks_out: effects.locks_out,
                overwritten_at_sign_in,
            }
        } else {
            Decision::Invalid
        }
    }
}

/// What a plan's row whose user is gone reports as its conflict (its key names another user).
pub const REPLACED: &str =
    "the user (by sub) no longer exists and the key names another user now: deleted and re-created";

/// The users kept for this row could not be read back from their temporary file.
fn unreadable(e: &std::io::Error) -> Problem {
    Problem::row(
        Code::InvalidRow,
        format!("the user's current values could not be read back from a temporary file: {e}"),
    )
}

/// A key that names several users: Cognito would pick one; the tool sends to none.
fn ambiguous(users: &[&str]) -> Problem {
    let names: Vec<String> = users.iter().map(|u| format!("{u:?}")).collect();
    Problem::row(
        Code::AmbiguousMatch,
        format!(
            "the key names {} users ({}): it is a name of more than one (the username, sub \
             or alias of each); key the row by the sub of the user you mean (no two users \
             share one)",
            users.len(),
            names.join(", ")
        ),
    )
}

/// The user a record's key names among `current` (None: no current values), noted on the
/// record; or the decision that ends the row there (not found, ambiguous, replaced).
fn resolve_user<'c>(
    current: Option<&'c Current>,
    record: &mut Record,
) -> Result<Option<&'c Kept>, Decision> {
    let Some(current) = current else {
        return Ok(None);
    };
    match current.resolve(&record.row.username, record.identity.as_ref()) {
        Resolved::User(kept) => {
            record.identity = Some(kept.identity.clone());
            Ok(Some(kept))
        }
        Resolved::NotFound => Err(Decision::NotFound),
        Resolved::Ambiguous(users) => {
            record.problems.push(ambiguous(&users));
            Err(Decision::Invalid)
        }
        Resolved::Replaced => Err(Decision::Conflict(vec![REPLACED.into()])),
    }
}

use crate::model::op::attributes::keep_verified;
pub use crate::model::op::attributes::unverified_by;

#[cfg(test)]
mod tests;
