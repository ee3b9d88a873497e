//! Deciding what each row comes to against the pool: the schema check, the diff against the
//! current values (or, for a plan's row, the check that the pool still holds what the plan
//! saw), and the safety rails (verification messages, email and phone number aliases).
//! The one decision path of `plan`, `apply`, `apply --plan` and `rollback`.

use std::collections::{BTreeMap, HashSet};

use crate::current::{Current, Resolved, alias_key};
use crate::diff::{AttrDiff, RowPlan, against_plan, diff};
use crate::row::{AttrChange, Change, Problem, Record, Row};
use crate::scan::{Duplicates, user_key};
use crate::schema::Schema;

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
        /// Exactly what is sent: the attributes that change, plus the row's
        /// `*_verified` flag when its email or phone number changes (see [`keep_verified`]).
        diffs: Vec<AttrDiff>,
        /// Verification messages Cognito will send for this row (0, 1 or 2).
        messages: u32,
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
}

pub use crate::validate::ALIASES;

impl Planner<'_> {
    /// The whole decision for a record as read: the row rules, users named on several lines,
    /// then [`Planner::decide`].
    pub fn check_and_decide(&self, record: &mut Record, duplicates: &Duplicates) -> Decision {
        crate::validate::check(record);
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
        let now = match self.current {
            Some(current) => {
                match current.resolve(&record.row.username, record.identity.as_ref()) {
                    Resolved::User(kept) => {
                        record.identity = Some(kept.identity.clone());
                        Some(&kept.attributes)
                    }
                    Resolved::NotFound => return Decision::NotFound,
                    Resolved::Ambiguous(users) => {
                        record.problems.push(ambiguous(&users));
                        return Decision::Invalid;
                    }
                    Resolved::Replaced => return Decision::Conflict(vec![REPLACED.into()]),
                }
            }
            None => None,
        };
        let planned = match (now, &record.before) {
            (Some(now), Some(before)) => against_plan(&record.row, before, now, self.force),
            (Some(now), None) => diff(&record.row, Some(now)),
            (None, _) => RowPlan::Change(as_is(&record.row, record.before.as_ref())),
        };
        let mut diffs = match planned {
            RowPlan::NotFound => return Decision::NotFound,
            RowPlan::Unchanged => return Decision::Unchanged,
            RowPlan::Conflict(names) => return Decision::Conflict(names),
            RowPlan::Change(d) => d,
        };
        if let Some(schema) = self.schema {
            let changed = diffs.iter().filter(|d| d.before != d.after);
            schema.check_mutable(record, changed.map(|d| d.name.as_str()));
        }
        keep_verified(&record.row, now, &mut diffs);
        let messages = self.rails(record, &diffs);
        if record.is_valid() {
            Decision::Change { diffs, messages }
        } else {
            Decision::Invalid
        }
    }

    /// The verification-message and alias rails; returns the messages Cognito will send.
    fn rails(&self, record: &mut Record, diffs: &[AttrDiff]) -> u32 {
        let mut messages = 0;
        for (alias, verified) in ALIASES {
            let Some(value) = diffs
                .iter()
                .find(|d| d.name == alias)
                .and_then(|d| d.after.as_ref())
            else {
                continue;
            };
            if !marks_verified(
                diffs.iter().map(|d| (&d.name, d.after.as_deref())),
                verified,
            ) {
                if self.allow_verification_messages {
                    messages += 1;
                } else {
                    record.problems.push(Problem::attr(
                        "VerificationMessage",
                        alias,
                        format!(
                            "changing {alias} makes Cognito send the user a verification message; \
                             set {verified} to true in the same row, or pass --allow-verification-messages"
                        ),
                    ));
                }
            }
            if self.repeated_aliases.contains(&alias_key(value)) {
                record.problems.push(Problem::attr(
                    "DuplicateAlias",
                    alias,
                    format!("another row sets the same {alias}: Cognito would refuse one or move the alias"),
                ));
            }
            let user = record
                .identity
                .as_ref()
                .map_or(&record.row.username, |i| &i.username);
            if let Some(owner) = self.current.and_then(|c| c.alias_owner(value))
                && owner != user_key(user)
            {
                record.problems.push(Problem::attr(
                    "AliasExists",
                    alias,
                    format!("another user of the pool already has this {alias}"),
                ));
            }
        }
        messages
    }
}

/// What a plan's row whose user is gone reports as its conflict (its key names another user).
pub const REPLACED: &str =
    "the user (by sub) no longer exists and the key names another user now: deleted and re-created";

/// A key that names several users: Cognito would pick one; the tool sends to none.
fn ambiguous(users: &[&str]) -> Problem {
    let names: Vec<String> = users.iter().map(|u| format!("{u:?}")).collect();
    Problem::row(
        "AmbiguousMatch",
        format!(
            "the key names {} users ({}): the username of one is an alias of another; \
             key the row by the username or the sub",
            users.len(),
            names.join(", ")
        ),
    )
}

/// A row sent as it is (no current values): every change, with the plan's before-values
/// when the row comes from a plan.
fn as_is(row: &Row, before: Option<&crate::row::Before>) -> Vec<AttrDiff> {
    row.changes
        .iter()
        .map(|c| AttrDiff {
            name: c.name.clone(),
            before: before.and_then(|b| b.get(&c.name).cloned().flatten()),
            after: c.change.value().map(str::to_string),
        })
        .collect()
}

/// Cognito marks a changed email (phone number) unverified and sends a code unless the *same
/// call* sets `email_verified` (`phone_number_verified`) to true: so when the alias changes,
/// the row's flag is sent with it even if the pool already holds that value.
fn keep_verified(row: &Row, now: Option<&BTreeMap<String, String>>, diffs: &mut Vec<AttrDiff>) {
    for (alias, verified) in ALIASES {
        let alias_changes = diffs.iter().any(|d| d.name == alias && d.after.is_some());
        if !alias_changes || diffs.iter().any(|d| d.name == verified) {
            continue;
        }
        let Some(Change::Set(flag)) = row
            .changes
            .iter()
            .find(|c| c.name == verified)
            .map(|c| &c.change)
        else {
            continue;
        };
        diffs.push(AttrDiff {
            name: verified.to_string(),
            before: now.and_then(|n| n.get(verified)).cloned(),
            after: Some(flag.clone()),
        });
    }
}

/// Whether `changes` (name, value to set) set `verified` to true.
fn marks_verified<'a>(
    mut changes: impl Iterator<Item = (&'a String, Option<&'a str>)>,
    verified: &str,
) -> bool {
    changes.any(|(name, value)| name == verified && value == Some("true"))
}

/// Verification messages a call with these changes makes Cognito send: one for each alias it
/// sets without setting its flag to true. Counted from what is sent, for the report.
pub fn messages_sent(changes: &[AttrChange]) -> u32 {
    unverified_by(changes).count() as u32
}

/// The `*_verified` flags a call with these changes makes Cognito set to false (each alias
/// it sets without setting its flag to true), with a message sent for each. The journal
/// records their values from before the call, so that rollback restores them too.
pub fn unverified_by(changes: &[AttrChange]) -> impl Iterator<Item = &'static str> + '_ {
    let pairs = move || changes.iter().map(|c| (&c.name, c.change.value()));
    ALIASES.iter().filter_map(move |(alias, verified)| {
        let resets =
            pairs().any(|(n, v)| n == alias && v.is_some()) && !marks_verified(pairs(), verified);
        resets.then_some(*verified)
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::row::RawRecord;

    fn record(changes: &[(&str, Option<&str>)], before: Option<&[(&str, Option<&str>)]>) -> Record {
        let pairs = |p: &[(&str, Option<&str>)]| -> BTreeMap<String, Option<String>> {
            p.iter()
                .map(|(n, v)| (n.to_string(), v.map(str::to_string)))
                .collect()
        };
        Record {
            index: 0,
            raw: RawRecord::Text(String::new()),
            row: Row {
                line: 2,
                username: "alice".into(),
                changes: changes
                    .iter()
                    .map(|(n, v)| AttrChange {
                        name: n.to_string(),
                        change: v.map_or(Change::Delete, |v| Change::Set(v.into())),
                    })
                    .collect(),
                client_metadata: Default::default(),
            },
            problems: vec![],
            before: before.map(pairs),
            identity: None,
        }
    }

    fn current(attrs: &[(&str, &str)]) -> Current {
        let mut c = Current::default();
        c.insert_for_tests("alice", attrs);
        c
    }

    fn planner<'a>(current: &'a Current, aliases: &'a HashSet<u64>, force: bool) -> Planner<'a> {
        Planner {
            schema: None,
            current: Some(current),
            repeated_aliases: aliases,
            allow_verification_messages: false,
            force,
        }
    }

    #[test]
    fn the_verified_flag_travels_with_its_email() {
        let now = current(&[("email", "a@old"), ("email_verified", "true")]);
        let none = HashSet::new();
        let mut r = record(
            &[("email", Some("a@new")), ("email_verified", Some("true"))],
            None,
        );
        let Decision::Change { diffs, messages } = planner(&now, &none, false).decide(&mut r)
        else {
            panic!("{:?}", r.problems)
        };
        assert_eq!(messages, 0);
        let names: Vec<&str> = diffs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["email", "email_verified"]);
        // Without the flag the rail refuses the row.
        let mut r = record(&[("email", Some("a@new"))], None);
        assert_eq!(
            planner(&now, &none, false).decide(&mut r),
            Decision::Invalid
        );
        assert_eq!(r.problems[0].code, "VerificationMessage");
    }

    #[test]
    fn a_plan_row_is_checked_against_the_pool() {
        let none = HashSet::new();
        let planned = [("custom:tier", Some("free"))];
        let row = [("custom:tier", Some("pro"))];
        // As planned: sent.
        let now = current(&[("custom:tier", "free")]);
        let mut r = record(&row, Some(&planned));
        assert!(matches!(
            planner(&now, &none, false).decide(&mut r),
            Decision::Change { .. }
        ));
        // Already at the target: unchanged.
        let now = current(&[("custom:tier", "pro")]);
        let mut r = record(&row, Some(&planned));
        assert_eq!(
            planner(&now, &none, false).decide(&mut r),
            Decision::Unchanged
        );
        // Changed by someone else: a conflict, unless forced.
        let now = current(&[("custom:tier", "vip")]);
        let mut r = record(&row, Some(&planned));
        assert_eq!(
            planner(&now, &none, false).decide(&mut r),
            Decision::Conflict(vec!["custom:tier".into()])
        );
        let mut r = record(&row, Some(&planned));
        let Decision::Change { diffs, .. } = planner(&now, &none, true).decide(&mut r) else {
            panic!()
        };
        assert_eq!(diffs[0].before.as_deref(), Some("vip"));
    }

    #[test]
    fn messages_are_counted_from_what_is_sent() {
        let set = |pairs: &[(&str, &str)]| -> Vec<AttrChange> {
            pairs
                .iter()
                .map(|(n, v)| AttrChange {
                    name: n.to_string(),
                    change: Change::Set(v.to_string()),
                })
                .collect()
        };
        assert_eq!(messages_sent(&set(&[("email", "x")])), 1);
        assert_eq!(
            messages_sent(&set(&[("email", "x"), ("email_verified", "true")])),
            0
        );
        assert_eq!(
            messages_sent(&set(&[("email", "x"), ("phone_number", "+1")])),
            2
        );
        assert_eq!(messages_sent(&set(&[("custom:tier", "x")])), 0);
    }
}
