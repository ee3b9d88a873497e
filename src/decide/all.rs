//! `plan`: what `apply` would do, without writing to the pool. Decides every row (the one
//! decision path, [`Planner`]), tallies and previews the result, and writes the plan file.
//! [`decide_all`] is also the preview `apply` and `rollback` show before they ask.

use std::path::{Path, PathBuf};

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::decide::diff::user_label;
use crate::decide::planner::{Decision, Planner, RowsFrom};
use crate::decide::prepare::{PoolState, Scanned};
use crate::model::op::OpDiff;
use crate::model::row::{Code, Identity, Record};
use crate::model::source::Source;
use crate::plan::file::{self as planfile, PlanEntry, PlanHeader, PlanWriter};
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

/// What [`decide_all`] hands on for each row that goes into a plan.
pub enum Planned<'a> {
    /// A row to change, with exactly what will be sent.
    Change(&'a [OpDiff]),
    /// A row that is not sent: invalid, or its user not found. Its code and reason.
    LeftOut { code: Code, message: String },
}

/// Writes the plan of `scanned` against `pool` to `opts.out`.
pub fn run(
    scanned: &Scanned,
    pool: &PoolState,
    opts: &PlanOptions,
    reporter: &dyn Reporter,
    stop: &CancellationToken,
) -> anyhow::Result<PlanSummary> {
    let header = PlanHeader {
        kind: planfile::KIND.into(),
        version: planfile::VERSION,
        user_pool_id: opts.user_pool_id.clone(),
        input: match &opts.backfill {
            Some(o) => o.input.clone(),
            None => scanned.display.clone(),
        },
        input_path: input_path(match &opts.backfill {
            Some(o) => Path::new(&o.input),
            None => &opts.input,
        })
        .map(|p| p.display().to_string()),
        input_path_hex: input_path(match &opts.backfill {
            Some(o) => Path::new(&o.input),
            None => &opts.input,
        })
        .filter(|p| p.to_str().is_none())
        .map(|p| hex::encode(std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str()))),
        input_sha256: match &opts.backfill {
            Some(o) => o.sha256.clone(),
            None => scanned.scan.sha256.clone(),
        },
        created_unix: crate::journal::now_unix() as u64,
        current_state: pool.source,
        options: match &opts.backfill {
            Some(o) => o.options.to_json(),
            None => opts.input_options.to_json(),
        },
        allow_verification_messages: opts.allow_verification_messages,
        backfill: opts.backfill.as_ref().map(|o| o.rule.clone()),
    };
    let writing = || format!("writing the plan {}", opts.out.display());
    let mut out = PlanWriter::create(&opts.out, &header).with_context(writing)?;
    let mut planner = planner(scanned, pool, opts.allow_verification_messages, false);
    if opts
        .backfill
        .as_ref()
        .is_some_and(|o| !o.rule.set.is_empty())
    {
        planner.rows_from = RowsFrom::Set;
    }
    let summary = decide_all(
        scanned,
        &opts.input_options,
        &planner,
        opts.show,
        reporter,
        stop,
        |record, planned| {
            let entry = match planned {
                Planned::Change(diffs) => PlanEntry {
                    line: record.row.line,
                    user: record.row.username.clone(),
                    username: record.identity.as_ref().map(|i| i.username.clone()),
                    sub: record.identity.as_ref().and_then(|i| i.sub.clone()),
                    changes: diffs.to_vec(),
                    client_metadata: record.row.client_metadata.clone(),
                    left_out: None,
                },
                Planned::LeftOut { code, message } => {
                    let mut entry = PlanEntry::left_out(
                        record.row.line,
                        &record.row.username,
                        code.as_str(),
                        message,
                    );
                    if let Some(left) = entry.left_out.as_mut() {
                        left.attributes = record
                            .row
                            .attrs()
                            .map(|c| (c.name.clone(), c.change.value().map(str::to_string)))
                            .collect();
                    }
                    entry
                }
            };
            out.write(&entry).with_context(writing)
        },
    )?;
    // Rows a computed backfill could not make (a template failed, no or several users
    // matched): left out like the invalid rows above.
    if let Some(path) = &opts.left_out {
        let file = std::fs::File::open(path).with_context(writing)?;
        for line in std::io::BufRead::lines(std::io::BufReader::new(file)) {
            let entry: PlanEntry = serde_json::from_str(&line.with_context(writing)?)?;
            out.write(&entry).with_context(writing)?;
        }
    }
    out.finish().with_context(writing)?;
    Ok(summary)
}

/// The absolute path of a plan's input file, recorded so that `apply --plan` finds it from any
/// folder and checks it has not changed; None for a stream or the pool itself (nothing to
/// compare: the plan's trailer guards the plan).
fn input_path(input: &Path) -> Option<PathBuf> {
    std::fs::metadata(input)
        .is_ok_and(|m| m.is_file())
        .then(|| std::fs::canonicalize(input).ok())
        .flatten()
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
                summary.to_change += 1;
                // Each operation counted by its kind; a `*_verified` flag sent along at its
                // value changes nothing.
                for d in diffs.iter().filter(|d| d.changes_anything()) {
                    summary.attributes += u64::from(d.attribute().is_some());
                    summary.ops.add(d.kind(), 1);
                }
                summary.messages += u64::from(!messages.is_empty());
                summary.emails += u64::from(messages.contains(&"email"));
                summary.sms += u64::from(messages.contains(&"phone_number"));
                summary.pending += u64::from(!pending.is_empty());
                if locks_out {
                    summary.locked_out.push(user.clone());
                }
                for d in &diffs {
                    if summary.preview.len() < show {
                        let label = resolved_label(planner, &user, record.identity.as_ref());
                        summary.preview.push(d.preview_line(&label));
                    }
                }
                on_row(&record, Planned::Change(&diffs))?;
            }
        }
    }
    reporter.status(deciding(scanned.scan.rows));
    Ok(summary)
}

/// How the preview names a row's user: the key it used and, when that is not the username
/// (an email, a `sub`, another case), the user it resolved to: `ana@example.com (= 5f1d…)`.
fn resolved_label(planner: &Planner, key: &str, identity: Option<&Identity>) -> String {
    let Some(identity) = identity.filter(|i| i.username != key) else {
        let email = planner.current.and_then(|c| c.user(key)?.get("email"));
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
    if let [only] = names
        && only == crate::decide::planner::REPLACED
    {
        return format!("conflict: {only}; left alone");
    }
    format!(
        "conflict: {} changed since the plan was made or read; left alone (--force sends it anyway)",
        names.join(", ")
    )
}
