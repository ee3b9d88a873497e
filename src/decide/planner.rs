//! Deciding what each row comes to against the pool: the schema check, the diff against the
//! current values (or, for a plan's row, the check that the pool still holds what the plan
//! saw), and the safety rails (verification messages, email and phone number aliases).
//! The one decision path of `plan`, `apply`, `apply --plan` and `rollback`.

use std::collections::{BTreeMap, HashSet};

use crate::cognito::config::{Federation, Messaging};
use crate::decide::current::{Current, Resolved, alias_key};
use crate::decide::diff::{RowPlan, against_plan, diff};
use crate::decide::schema::Schema;
use crate::model::op::{OpDiff, attributes_apart};
use crate::model::row::AttrDiff;
use crate::model::row::{Code, Problem, Record};
use crate::rows::scan::{Duplicates, user_key};

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
            // No current values: every operation is sent as it is.
            (None, _) => RowPlan::Change(
                (record.row.ops.iter())
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
            if diffs.iter().all(|d| d.before == d.after) && others.is_empty() {
                return Decision::Unchanged;
            }
        }
        let overwritten_at_sign_in = self.overwritten_at_sign_in(record, &diffs, now);
        let effects = self.effects(&diffs, now);
        self.rails(record, &diffs, &effects);
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

    /// The federated-user rail: a user who signs in through an identity provider (an
    /// `identities` attribute) gets every attribute it maps written again at each sign-in, so
    /// changing one would silently revert.
    fn overwritten_at_sign_in(
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
    fn effects(&self, diffs: &[AttrDiff], now: Option<&BTreeMap<String, String>>) -> Effects {
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
    fn rails(&self, record: &mut Record, diffs: &[AttrDiff], effects: &Effects) {
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
struct Effects {
    /// Addresses a code is sent for.
    messages: Vec<&'static str>,
    /// Addresses whose change waits for the user's confirmation.
    pending: Vec<&'static str>,
    locks_out: bool,
}

/// What a plan's row whose user is gone reports as its conflict (its key names another user).
pub const REPLACED: &str =
    "the user (by sub) no longer exists and the key names another user now: deleted and re-created";

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

pub use crate::model::op::attributes::unverified_by;
use crate::model::op::attributes::{keep_verified, marks_verified};

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn record(changes: &[(&str, Option<&str>)], before: Option<&[(&str, Option<&str>)]>) -> Record {
        let pairs = |p: &[(&str, Option<&str>)]| -> BTreeMap<String, Option<String>> {
            p.iter()
                .map(|(n, v)| (n.to_string(), v.map(str::to_string)))
                .collect()
        };
        Record {
            before: before.map(pairs),
            ..Record::for_test("alice", changes)
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
            rows_from: RowsFrom::File,
            messaging: &EVERY_ADDRESS,
            federation: &NO_PROVIDERS,
            already_pending: aliases_none(),
        }
    }

    /// A pool that auto-verifies both addresses (as DescribeUserPool denied is taken).
    fn aliases_none() -> &'static HashSet<(u64, String, String)> {
        static NONE: std::sync::LazyLock<HashSet<(u64, String, String)>> =
            std::sync::LazyLock::new(HashSet::new);
        &NONE
    }

    static NO_PROVIDERS: std::sync::LazyLock<Federation> =
        std::sync::LazyLock::new(Federation::default);
    static EVERY_ADDRESS: std::sync::LazyLock<Messaging> =
        std::sync::LazyLock::new(Messaging::unknown);

    #[test]
    fn the_verified_flag_travels_with_its_email() {
        let now = current(&[("email", "a@old"), ("email_verified", "true")]);
        let none = HashSet::new();
        let mut r = record(
            &[("email", Some("a@new")), ("email_verified", Some("true"))],
            None,
        );
        let Decision::Change {
            diffs, messages, ..
        } = planner(&now, &none, false).decide(&mut r)
        else {
            panic!("{:?}", r.problems)
        };
        assert!(messages.is_empty());
        let names: Vec<&str> = diffs
            .iter()
            .filter_map(OpDiff::attribute)
            .map(|d| d.name.as_str())
            .collect();
        assert_eq!(names, ["email", "email_verified"]);
        // Without the flag the rail refuses the row.
        let mut r = record(&[("email", Some("a@new"))], None);
        assert_eq!(
            planner(&now, &none, false).decide(&mut r),
            Decision::Invalid
        );
        assert_eq!(r.problems[0].code.as_str(), "VerificationMessage");
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
        assert_eq!(diffs[0].attribute().unwrap().before.as_deref(), Some("vip"));
    }

    fn with(
        messaging: &Messaging,
        now: &Current,
        row: &[(&str, Option<&str>)],
        allow: bool,
    ) -> (Decision, Vec<&'static str>) {
        let none = HashSet::new();
        let mut p = planner(now, &none, false);
        p.messaging = messaging;
        p.allow_verification_messages = allow;
        let mut r = record(row, None);
        let d = p.decide(&mut r);
        (d, r.problems.iter().map(|p| p.code.as_str()).collect())
    }

    #[test]
    fn messages_follow_the_pools_auto_verified_attributes() {
        // A pool that auto-verifies only email: a phone change sends nothing, is not refused.
        let email_only = Messaging {
            auto_verified: vec!["email"],
            ..Messaging::unknown()
        };
        let now = current(&[("email", "a@old"), ("phone_number", "+15550000001")]);
        let (d, problems) = with(
            &email_only,
            &now,
            &[("phone_number", Some("+15550000002"))],
            false,
        );
        assert!(problems.is_empty(), "{problems:?}");
        let Decision::Change { messages, .. } = d else {
            panic!("{d:?}")
        };
        assert!(messages.is_empty());
        // Its email change is a message, refused without the flag.
        let (_, problems) = with(&email_only, &now, &[("email", Some("a@new"))], false);
        assert_eq!(problems, ["VerificationMessage"]);
        let (d, _) = with(&email_only, &now, &[("email", Some("a@new"))], true);
        assert!(matches!(d, Decision::Change { ref messages, .. } if messages == &["email"]));
        // A pool that auto-verifies nothing sends nothing.
        let none = Messaging {
            auto_verified: vec![],
            ..Messaging::unknown()
        };
        let (d, problems) = with(&none, &now, &[("email", Some("a@new"))], false);
        assert!(problems.is_empty());
        assert!(matches!(d, Decision::Change { ref messages, .. } if messages.is_empty()));
    }

    #[test]
    fn pending_changes_and_lockouts_follow_the_pool() {
        let pending = Messaging {
            auto_verified: vec!["email"],
            pending_until_verified: vec!["email"],
            sign_in_with: vec!["email"],
            ..Messaging::unknown()
        };
        // A verified address changed unverified: pending, the old one still signs in.
        let verified = current(&[("email", "a@old"), ("email_verified", "true")]);
        let (d, _) = with(&pending, &verified, &[("email", Some("a@new"))], true);
        let Decision::Change {
            pending: p,
            locks_out,
            ..
        } = d
        else {
            panic!("{d:?}")
        };
        assert_eq!((p, locks_out), (vec!["email"], false));
        // Sent with email_verified=true the change is immediate: nothing pending.
        let row = [("email", Some("a@new")), ("email_verified", Some("true"))];
        let (d, _) = with(&pending, &verified, &row, false);
        assert!(
            matches!(d, Decision::Change { ref pending, locks_out: false, .. } if pending.is_empty())
        );
        // An unverified old address is not kept: the change is stored, the user locked out.
        let unverified = current(&[("email", "a@old"), ("email_verified", "false")]);
        let (d, _) = with(&pending, &unverified, &[("email", Some("a@new"))], true);
        assert!(
            matches!(d, Decision::Change { ref pending, locks_out: true, .. } if pending.is_empty())
        );
        // Without the pending setting, a sign-in address changed unverified locks out.
        let sign_in = Messaging {
            pending_until_verified: vec![],
            ..pending
        };
        let (d, _) = with(&sign_in, &verified, &[("email", Some("a@new"))], true);
        assert!(matches!(
            d,
            Decision::Change {
                locks_out: true,
                ..
            }
        ));
    }
}
