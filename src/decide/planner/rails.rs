//! The safety rails a change meets after its diff: a federated user's mapped attributes
//! (rewritten at every sign-in), what the pool's settings make Cognito do besides storing the
//! values (messages, pending changes, lockouts), and the alias rails. Apart from planner.rs so
//! that the decision reads as its steps and each rail as its rule.

use std::collections::BTreeMap;

use super::{ALIASES, Planner};
use crate::decide::current::alias_key;
use crate::model::op::attributes::marks_verified;
use crate::model::row::AttrDiff;
use crate::model::row::{Code, Problem, Record};
use crate::rows::scan::user_key;

impl Planner<'_> {
    /// The federated-user rail: a user who signs in through an identity provider (an
    /// `identities` attribute) gets every attribute it maps written again at each sign-in, so
    /// changing one would silently revert.
    pub(super) fn overwritten_at_sign_in(
        &self,
        record: &mut Record,
        diffs: &[AttrDiff],
        now: Option<&BTreeMap<String, String>>,
    ) -> bool {
        if !now.is_some_and(|n| n.contains_key("identities")) {
            return false;
        }
        let mut mapped = false;
        for d in diffs.iter().filter(|d| d.before != d.after) {
            if let Some(providers) = self.federation.mapped.get(&d.name) {
                mapped = true;
                if self.federation.allow {
                    continue;
                }
                record.problems.push(Problem::attr(
                    Code::OverwrittenAtSignIn,
                    &d.name,
                    format!(
                        "the user signs in through {}, which writes {} at every sign-in: the change \
                         would revert; pass --allow-overwritten-at-sign-in to send it anyway",
                        providers.join(", "),
                        d.name
                    ),
                ));
            }
        }
        // Only an allowed change is sent (and so needs the allowance where it is applied).
        mapped && self.federation.allow
    }

    /// What Cognito does besides storing the values, for these changes to a user whose
    /// current values are `now`: the pool's settings decide (see [`Messaging`]).
    pub(super) fn effects(
        &self,
        diffs: &[AttrDiff],
        now: Option<&BTreeMap<String, String>>,
    ) -> Effects {
        let mut out = Effects::default();
        for (alias, verified) in ALIASES {
            let sets = diffs.iter().any(|d| d.name == alias && d.after.is_some());
            let sent = diffs.iter().map(|d| (&d.name, d.after.as_deref()));
            if !sets || marks_verified(sent, verified) {
                continue;
            }
            if self.messaging.messages(alias) {
                out.messages.push(alias);
            }
            // A pending change keeps the old address, which only helps if it is verified
            // (unknown current values: as the pool's setting says).
            let old_verified = now.is_none_or(|n| n.get(verified).is_some_and(|v| v == "true"));
            if self.messaging.messages(alias) && self.messaging.pending(alias) && old_verified {
                out.pending.push(alias);
            } else if self.messaging.signs_in_with(alias) {
                out.locks_out = true;
            }
        }
        out
    }

    /// The verification-message and alias rails.
    pub(super) fn rails(&self, record: &mut Record, diffs: &[AttrDiff], effects: &Effects) {
        for (alias, verified) in ALIASES {
            let Some(value) = diffs
                .iter()
                .find(|d| d.name == alias)
                .and_then(|d| d.after.as_ref())
            else {
                continue;
            };
            if effects.messages.contains(&alias) && !self.allow_verification_messages {
                record.problems.push(Problem::attr(
                    Code::VerificationMessage,
                    alias,
                    self.rows_from.verification_advice(alias, verified),
                ));
            }
            if self.repeated_aliases.contains(&alias_key(value)) {
                record.problems.push(Problem::attr(
                    Code::DuplicateAlias,
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
                    Code::AliasExists,
                    alias,
                    format!("another user of the pool already has this {alias}"),
                ));
            }
        }
    }
}

/// What a row's call makes Cognito do besides storing values.
#[derive(Debug, Default)]
pub(super) struct Effects {
    /// Addresses a code is sent for.
    pub(super) messages: Vec<&'static str>,
    /// Addresses whose change waits for the user's confirmation.
    pub(super) pending: Vec<&'static str>,
    pub(super) locks_out: bool,
}
