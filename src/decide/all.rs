//! `plan`: what `apply` would do, without writing to the pool. Decides every row (the one
//! decision path, [`Planner`]), tallies and previews the result, and writes the plan file
//! ([`run`], in `all/written.rs`).
//! [`decide_all`] is also the preview `apply` and `rollback` show before they ask.

use std::path::PathBuf;

use tokio_util::sync::CancellationToken;

use crate::decide::diff::user_label;
use crate::decide::planner::{Decision, Planner, RowsFrom};
use crate::decide::prepare::{PoolState, Scanned};
use crate::model::op::OpDiff;
use crate::model::row::{Code, Identity, Record};
use crate::model::source::Source;
use crate::plan::summary::PlanSummary;
use crate::progress::Reporter;
use crate::rows::input::{self, InputOptions};

#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub input: PathBuf,
    pub input_options: InputOptions,
    pub user_pool_id: String,
    pub current_state: Source,
    pub out: PathBuf,
    /// How many attribute changes the preview shows.
    pub show: usize,
    pub allow_verification_messages: bool,
    pub concurrency: usize,
    /// A computed backfill's rule, and the input it came from (see [`Origin`]).
    /// the pool as input): recorded in the plan's header instead of the computed rows file.
    pub backfill: Option<Origin>,
    /// A file of plan entries for rows left out before deciding (a computed backfill's rows
    /// that could not be computed), written into the plan after the decided rows.
    pub left_out: Option<PathBuf>,
}

/// Where a computed backfill's rows came from, recorded in the plan's header instead of the
/// computed rows file that is decided.
#[derive(Debug, Clone)]
pub struct Origin {
    pub rule: crate::plan::file::Backfill,
    /// The input file's name and SHA-256 ("" for the pool as input).
    pub input: String,
    pub sha256: String,
    /// The input file's options (format, key column, ...), as the user gave them.
    pub options: InputOptions,
}

mod written;
pub use written::run;

/// What [`decide_all`] hands on for each row that goes into a plan.
pub enum Planned<'a> {
    /// A row to change, with exactly what will be sent.
    Change(&'a [OpDiff]),
    /// A row that is not sent: invalid, or its user not found. Its code and reason.
    LeftOut { code: Code, message: String },
}

/// The planner for `scanned` against `pool`: the same for the preview and for sending.
pub fn planner<'a>(
    scanned: &'a Scanned,
    pool: &'a PoolState,
    allow_verification_messages: bool,
    force: bool,
) -> Planner<'a> {
    Planner {
        schema: pool.schema.as_ref(),
        current: pool.current.as_ref(),
        repeated_aliases: &scanned.scan.repeated_aliases,
        allow_verification_messages,
        force,
        rows_from: RowsFrom::File,
        messaging: &pool.messaging,
        federation: &pool.federation,
        already_pending: &pool.already_pending,
    }
}

/// Decides every row of `scanned` and tallies the result; `on_row` gets each row to change,
/// with exactly what will be sent for it, and each row left out, with why.
pub fn decide_all(
    scanned: &Scanned,
    io: &InputOptions,
    planner: &Planner,
    show: usize,
    reporter: &dyn Reporter,
    stop: &CancellationToken,
    mut on_row: impl FnMut(&Record, Planned) -> anyhow::Result<()>,
) -> anyhow::Result<PlanSummary> {
    let display = &scanned.display;
    let mut summary = PlanSummary {
        current_state: planner.current.and_then(|c| c.source),
        users_read: planner.current.map_or(0, |c| c.users_read),
        messaging: planner.messaging.clone(),
        ..PlanSummary::default()
    };
    // Deciding sends nothing: a status, not the progress of rows to process.
    let deciding = |done: u64| crate::progress::Status::Deciding {
        done,
        total: scanned.scan.rows,
    };
    // Checked against the scan as it is read: no row outside the fingerprint is decided.
    let records = input::read(scanned.scan.reopen(&scanned.path)?, display, io)?.records;
    for (done, record) in records.enumerate() {
        if done % 1000 == 0 && done > 0 {
            reporter.status(deciding(done as u64));
        }
        if stop.is_cancelled() {
            anyhow::bail!("interrupted; nothing was written");
        }
        let mut record = record?;
        let user = record.row.username.clone();
        let line = record.row.line;
        match planner.check_and_decide(&mut record, scanned.scan.duplicates()) {
            Decision::Invalid => {
                summary.invalid += 1;
                let invalid = record.invalid(display);
                summary.problems.push(invalid.to_string());
                let (code, message) = (invalid.code(), invalid.message());
                on_row(&record, Planned::LeftOut { code, message })?;
            }
            Decision::NotFound => {
                summary.not_found += 1;
                summary.problems.push(format!(
                    "{display}:{line}: user {user:?}: not found in the pool"
                ));
                let message = "the user does not exist (found when the plan was made)".into();
                let code = Code::UserNotFound;
                on_row(&record, Planned::LeftOut { code, message })?;
            }
            Decision::Conflict(names) => {
                summary.conflicts += 1;
                summary.problems.push(format!(
                    "{display}:{line}: user {user:?}: {}",
                    conflict(&names)
                ));
            }
            Decision::Unchanged => summary.unchanged += 1,
            Decision::Change {
                diffs,
                messages,
                pending,
                locks_out,
                overwritten_at_sign_in,
            } => {
                summary.overwritten_at_sign_in += u64::from(overwritten_at_sign_in);
                count_change(&mut summary, &diffs, &messages, &pending);
                summary.note_ops(&user, &diffs);
                if locks_out {
                    summary.locked_out.push(user.clone());
                }
                let identity = record.identity.as_ref();
                preview(&mut summary, planner, &user, identity, &diffs, show);
                on_row(&record, Planned::Change(&diffs))?;
            }
        }
    }
    reporter.status(deciding(scanned.scan.rows));
    Ok(summary)
}

/// Counts a row to change: each operation by its kind, the messages Cognito sends for it
/// and whether its change waits for the user's confirmation.
fn count_change(summary: &mut PlanSummary, diffs: &[OpDiff], messages: &[&str], pending: &[&str]) {
    summary.to_change += 1;
    // A `*_verified` flag sent along at its value changes nothing.
    for d in diffs.iter().filter(|d| d.changes_anything()) {
        summary.attributes += u64::from(d.attribute().is_some());
        summary.ops.add(d.kind(), 1);
    }
    summary.messages += u64::from(!messages.is_empty());
    summary.emails += u64::from(messages.contains(&"email"));
    summary.sms += u64::from(messages.contains(&"phone_number"));
    summary.pending += u64::from(!pending.is_empty());
}

/// A row's changes previewed while the preview has room for `show` lines.
fn preview(
    summary: &mut PlanSummary,
    planner: &Planner,
    user: &str,
    identity: Option<&Identity>,
    diffs: &[OpDiff],
    show: usize,
) {
    for d in diffs {
        if summary.preview.len() < show {
            let label = resolved_label(planner, user, identity);
            summary.preview.push(d.preview_line(&label));
        }
    }
}

/// How the preview names a row's user: the key it used and, when that is not the username
/// (an email, a `sub`, another case), the user it resolved to: `ana@example.com (= 5f1d…)`.
fn resolved_label(planner: &Planner, key: &str, identity: Option<&Identity>) -> String {
    let Some(identity) = identity.filter(|i| i.username != key) else {
        let around = planner.current.and_then(|c| c.around(key, None).ok());
        let email = around.as_ref().and_then(|c| c.user(key)?.get("email"));
        return user_label(key, email.map(String::as_str));
    };
    format!(
        "{} (= {})",
        user_label(key, None),
        user_label(&identity.username, None)
    )
}

/// Why a conflicting row is left alone, naming its attributes.
pub fn conflict(names: &[String]) -> String {
    conflict_sent_by(names, "--force")
}

/// The same, where `how` (not `--force` on the same command) sends it anyway.
pub fn conflict_sent_by(names: &[String], how: &str) -> String {
    if let [only] = names
        && only == crate::decide::planner::REPLACED
    {
        return format!("conflict: {only}; left alone");
    }
    format!(
        "conflict: {} changed since the plan was made or read; left alone ({how} sends it anyway)",
        names.join(", ")
    )
}
