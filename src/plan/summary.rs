//! What a plan found, counted: the summary line, the notes on what applying costs (billable
//! users, messages, the senders' limits), and the preview's first lines. Made by deciding
//! every row (`decide::all`); shown by `plan`, before `apply`'s question, in the Markdown plan
//! and by a rollback's dry run.

use crate::model::op::OpKind;
use crate::model::source::Source;

/// What the plan found.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct PlanSummary {
    pub to_change: u64,
    pub attributes: u64,
    /// The operations to make, by kind (`{"set_attribute": 3, "delete_attribute": 1}`).
    pub ops: crate::model::op::Counts,
    pub unchanged: u64,
    pub not_found: u64,
    pub invalid: u64,
    /// A plan's rows whose users changed since the plan was made.
    pub conflicts: u64,
    /// Users Cognito will send a verification message to.
    pub messages: u64,
    /// Verification emails and text messages (a user may get one of each).
    pub emails: u64,
    pub sms: u64,
    /// Users whose email or phone change stays pending until they confirm the code.
    pub pending: u64,
    /// Users who cannot sign in until they verify their new address, by name.
    pub locked_out: Vec<String>,
    /// Rows sent although their federated user's identity provider overwrites the change at
    /// sign-in (`--allow-overwritten-at-sign-in`): applying the plan needs the flag again.
    pub overwritten_at_sign_in: u64,
    /// The first users the plan disables (at most [`NAMED_DISABLED`]); how many in all is
    /// `ops`' count of `disable_user`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disabled_users: Vec<String>,
    /// Users made billable by reading them (AdminGetUser).
    pub users_read: u64,
    pub current_state: Option<Source>,
    /// The first changes, Terraform-style, and the invalid rows.
    #[serde(skip)]
    pub preview: Vec<String>,
    #[serde(skip)]
    pub problems: Vec<String>,
    /// How the pool messages its users (for the notes on senders and limits).
    #[serde(skip)]
    pub messaging: crate::cognito::config::Messaging,
}

/// How many disabled users the summary names.
pub const NAMED_DISABLED: usize = 20;

/// Groups digits by thousands: 12345 -> "12,345".
pub fn thousands(n: u64) -> String {
    indicatif::HumanCount(n).to_string()
}

impl PlanSummary {
    /// `Plan: 12,345 users to change (14,002 attributes), 3,210 unchanged, 17 not found, 4 invalid.`
    pub fn line(&self) -> String {
        let conflicts = if self.conflicts > 0 {
            format!(", {} conflicts", thousands(self.conflicts))
        } else {
            String::new()
        };
        format!(
            "Plan: {} users to change ({} attributes), {} unchanged, {} not found, {} invalid{conflicts}.",
            thousands(self.to_change),
            thousands(self.attributes),
            thousands(self.unchanged),
            thousands(self.not_found),
            thousands(self.invalid)
        )
    }
}

/// The notes on operations other than attribute changes: the counts by kind, sign-outs
/// (which cannot be undone) and the users disabled.
impl PlanSummary {
    /// Notes a row's changes of `user` (its name as the preview shows it).
    pub fn note_ops(&mut self, user: &str, diffs: &[crate::model::op::OpDiff]) {
        let disables = diffs.iter().any(|d| d.kind() == OpKind::DisableUser);
        if disables && self.disabled_users.len() < NAMED_DISABLED {
            self.disabled_users.push(user.to_string());
        }
    }

    /// `alice, bob (and 3 more)`: the users disabled, as far as they are named.
    pub fn disabled_names(&self) -> String {
        let all = self.ops.get(OpKind::DisableUser);
        let more = all.saturating_sub(self.disabled_users.len() as u64);
        let names = self.disabled_users.join(", ");
        match more {
            0 => names,
            n => format!("{names} (and {} more)", thousands(n)),
        }
    }

    pub fn ops_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let others = |k: &OpKind| !matches!(k, OpKind::SetAttribute | OpKind::DeleteAttribute);
        if self.ops.0.keys().any(others) {
            notes.push(format!("Operations: {}.", self.ops.line()));
        }
        let sign_outs = self.ops.get(OpKind::SignOut);
        if sign_outs > 0 {
            notes.push(format!(
                "{} users will be signed out everywhere after their other changes: sign-outs \
                 cannot be undone (rollback cannot reverse them).",
                thousands(sign_outs)
            ));
        }
        if self.ops.get(OpKind::DisableUser) > 0 {
            notes.push(format!(
                "{} users will be disabled: {}.",
                thousands(self.ops.get(OpKind::DisableUser)),
                self.disabled_names()
            ));
        }
        notes
    }
}
