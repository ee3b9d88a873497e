//! What the pool can send: the plan's messages against the pool's senders. Cognito's default
//! email sender delivers [`DEFAULT_EMAIL_DAILY_LIMIT`] emails a day for the account; past it
//! every further message fails for the rest of the day, so a run that would need more is
//! refused before its first write unless `--allow-over-email-limit`. SES (`DEVELOPER`) has
//! the account's SES quota, SMS goes through SNS (in its sandbox only to verified numbers),
//! and a custom message Lambda runs once per message.

use crate::cognito::config::{DEFAULT_EMAIL_DAILY_LIMIT, Messaging};
use crate::plan::summary::{PlanSummary, thousands};

/// The flag that lets a run go over the default sender's daily limit.
pub const ALLOW_FLAG: &str = "--allow-over-email-limit";

/// The summary's notes are written here, beside the senders' limits they end with, so that
/// the summary (plain counts) needs nothing from this file.
impl PlanSummary {
    /// What the run will cost the user: messages sent and billable users.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = vec![format!(
            "Applying makes the {} users it changes billable monthly active users this month (an attribute update counts as activity).",
            thousands(self.to_change)
        )];
        if self.users_read > 0 {
            notes.push(format!(
                "Reading current values with AdminGetUser made {} users billable this month; --current-state list does not.",
                thousands(self.users_read)
            ));
        }
        notes.push(format!(
            "{} users will receive a verification message.",
            thousands(self.messages)
        ));
        notes.extend(self::notes(self, &self.messaging));
        notes.extend(self.ops_notes());
        notes
    }
}

/// Notes on the messages a plan causes: senders, limits, triggers, pending changes, lockouts.
pub fn notes(summary: &PlanSummary, messaging: &Messaging) -> Vec<String> {
    let mut notes = Vec::new();
    if summary.pending > 0 {
        notes.push(format!(
            "{} users' email or phone number changes will stay pending until they confirm the code \
             (the pool requires verification before update): the pool keeps their old address until then.",
            thousands(summary.pending)
        ));
    }
    if !summary.locked_out.is_empty() {
        notes.push(format!(
            "{} users will be unable to sign in with either their old or new address until they verify it \
             (the pool signs in with it): {}.",
            thousands(summary.locked_out.len() as u64),
            names(&summary.locked_out)
        ));
    }
    if summary.emails > 0 {
        if messaging.default_email_sender {
            notes.push(format!(
                "{} emails through Cognito's default sender, which delivers {DEFAULT_EMAIL_DAILY_LIMIT} a day for the account{}.",
                thousands(summary.emails),
                if summary.emails > DEFAULT_EMAIL_DAILY_LIMIT {
                    format!("; apply and rollback refuse more unless {ALLOW_FLAG} (the rest would fail mid-run)")
                } else {
                    String::new()
                }
            ));
        } else {
            notes.push(format!(
                "{} emails through the pool's SES configuration: they count against the account's SES sending quota.",
                thousands(summary.emails)
            ));
        }
    }
    if summary.sms > 0 {
        notes.push(format!(
            "{} text messages through Amazon SNS{}: in the SNS sandbox only verified numbers receive them.",
            thousands(summary.sms),
            if messaging.sms_configured { "" } else { " (the pool has no SMS configuration: they will fail)" }
        ));
    }
    if let Some(lambda) = &messaging.custom_message_lambda
        && summary.emails + summary.sms > 0
    {
        notes.push(format!(
            "The pool's custom message Lambda ({lambda}) runs once per message ({} times) and receives each row's client metadata.",
            thousands(summary.emails + summary.sms)
        ));
    }
    if !messaging.known {
        notes.push(
            "DescribeUserPool was denied: every email and phone number change is taken to send a message."
                .into(),
        );
    }
    notes
}

/// Whether applying `summary`'s plan needs [`ALLOW_FLAG`]: more emails than the default
/// sender delivers in a day (the same test as [`check`]).
pub fn over_limit(summary: &PlanSummary) -> bool {
    summary.messaging.default_email_sender && summary.emails > DEFAULT_EMAIL_DAILY_LIMIT
}

/// Refuses a run whose emails exceed the default sender's daily limit, unless allowed.
pub fn check(summary: &PlanSummary, messaging: &Messaging, allow: bool) -> anyhow::Result<()> {
    if allow || !messaging.default_email_sender || summary.emails <= DEFAULT_EMAIL_DAILY_LIMIT {
        return Ok(());
    }
    anyhow::bail!(
        "this run would send {} emails through Cognito's default email sender, which delivers \
         {DEFAULT_EMAIL_DAILY_LIMIT} a day for the account: the rest would fail mid-run. Configure \
         the pool to send with SES, split the input, or pass {ALLOW_FLAG}",
        thousands(summary.emails)
    )
}

/// The first names of a list, quoted, then how many more.
fn names(users: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut out: Vec<String> = users.iter().take(SHOWN).map(|u| format!("{u:?}")).collect();
    if users.len() > SHOWN {
        out.push(format!(
            "and {} more",
            thousands((users.len() - SHOWN) as u64)
        ));
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(emails: u64) -> PlanSummary {
        PlanSummary {
            emails,
            ..PlanSummary::default()
        }
    }

    #[test]
    fn the_default_senders_limit_is_refused_unless_allowed() {
        let cognito = Messaging::unknown();
        assert!(check(&summary(50), &cognito, false).is_ok());
        let err = check(&summary(51), &cognito, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains(ALLOW_FLAG), "{err}");
        assert!(check(&summary(51), &cognito, true).is_ok());
        let ses = Messaging {
            default_email_sender: false,
            ..Messaging::unknown()
        };
        assert!(check(&summary(10_000), &ses, false).is_ok());
        assert!(notes(&summary(3), &ses)[0].contains("SES"));
    }
}
