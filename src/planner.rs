//! Deciding what each row comes to against the pool: the schema check, the diff against the
//! current values, and the safety rails (verification messages, email and phone number
//! aliases). Shared by `plan` and `apply`.

use std::collections::HashSet;

use crate::current::{Current, alias_key};
use crate::diff::{AttrDiff, RowPlan, diff};
use crate::row::{Change, Problem, Record};
use crate::scan::user_key;
use crate::schema::Schema;

/// What a row comes to.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The record has problems (now in `record.problems`): never sent.
    Invalid,
    NotFound,
    Unchanged,
    Change {
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
}

const ALIASES: [(&str, &str); 2] = [
    ("email", "email_verified"),
    ("phone_number", "phone_number_verified"),
];

impl Planner<'_> {
    /// Decides a record that passed the network-free checks (or not: invalid stays invalid).
    pub fn decide(&self, record: &mut Record) -> Decision {
        if let Some(schema) = self.schema {
            schema.check(record);
        }
        if !record.is_valid() {
            return Decision::Invalid;
        }
        let diffs = match self.current {
            Some(current) => match diff(&record.row, current.user(&record.row.username)) {
                RowPlan::NotFound => return Decision::NotFound,
                RowPlan::Unchanged => return Decision::Unchanged,
                RowPlan::Change(d) => d,
            },
            None => record
                .row
                .changes
                .iter()
                .map(|c| AttrDiff {
                    name: c.name.clone(),
                    before: None,
                    after: match &c.change {
                        Change::Set(v) => Some(v.clone()),
                        Change::Delete => None,
                    },
                })
                .collect(),
        };
        let mut messages = 0;
        for (alias, verified) in ALIASES {
            let Some(value) = diffs
                .iter()
                .find(|d| d.name == alias)
                .and_then(|d| d.after.as_ref())
            else {
                continue;
            };
            let marked_verified = record
                .row
                .changes
                .iter()
                .any(|c| c.name == verified && c.change == Change::Set("true".into()));
            if !marked_verified {
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
            if let Some(owner) = self.current.and_then(|c| c.alias_owner(value))
                && owner != user_key(&record.row.username)
            {
                record.problems.push(Problem::attr(
                    "AliasExists",
                    alias,
                    format!("another user of the pool already has this {alias}"),
                ));
            }
        }
        if record.is_valid() {
            Decision::Change { diffs, messages }
        } else {
            Decision::Invalid
        }
    }
}
