//! `cognito-bulk rollback JOURNAL`: build the rollback plan, check it against the pool (the
//! conflicts), show it, and apply it; or resume a rollback that already started sending.
//! A dry run builds its plan in a temporary file that is gone when it ends, so nothing it did
//! is trusted by a later run.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::ask::{self, ROLLBACK_UNASKED};
use super::context::{Connect, Context};
use super::execute;
use super::flags::{Files, UndoRun};
use super::outcome::{Failure, Outcome, setup};
use super::outputs::{self, Output};
use super::printer::Printer;
use crate::cli::RollbackArgs;
use crate::files;
use crate::journal;
use crate::model::source::Source;
use crate::plan::summary::{PlanSummary, thousands};
use crate::rows::input::{EmptyCells, Format, InputOptions};
use crate::rows::rollback;
use crate::send::Preflight;

pub async fn run<C: Connect>(ctx: &Context<C>, args: RollbackArgs) -> Result<Outcome, Failure> {
    let UndoRun {
        undo,
        plan,
        journal: rollback_journal,
        files,
        mut send,
    } = UndoRun::parse(&args);
    if !args.dry_run {
        ask::gate(ctx, ROLLBACK_UNASKED)?;
    }
    let _lock = check_files(&undo, &plan, &files, &rollback_journal)?;
    // The run being undone must not be sending at the same time.
    let _source_lock = files::lock(&undo).map_err(setup)?;
    let header = journal::read_header(&undo).map_err(setup)?;
    // What the run did that nothing undoes (sign-outs): listed in the preview, the dry run
    // and the report, never sent.
    let irreversible = rollback::not_reversible(&undo).map_err(setup)?;
    let pool_id = header.user_pool_id;
    let reporter = ctx.reporter();
    let opened = ctx.open(&pool_id, send.call_timeout).await?;
    // Only a rollback that already started sending is resumed; anything else is planned
    // afresh and checked against the pool as it is now.
    let resuming =
        !args.restart && !args.dry_run && started_sending(&plan, &rollback_journal, &undo);
    let (plan_path, _dry_plan) = rollback_plan(&args, &plan, resuming, ctx)?;
    let temporary = plan_path.display().to_string();
    // A new rollback plan starts a new rollback journal (an old one is kept beside it).
    send.restart = !resuming;
    let preflight = preflight(&args, opened.described.clone());
    let advice = crate::files::shell::Advice {
        commands: ctx.global.commands(),
        force: None,
    };
    let opts = send.options(&pool_id, plan_path, plan_rows(), &files, preflight, advice);
    let stop = ctx.stop();
    // The same rail as apply's, before the dry run's summary or the question: a dry run
    // refuses what the real rollback would refuse.
    let allow_over = args.allow_over_email_limit;
    let prepared = execute::prepare(&opened.pool, &opts, allow_over, &*reporter, &stop).await?;
    if args.dry_run || !ctx.global.yes {
        let mut summary = execute::preview(ctx, &prepared, &opts, args.show, &stop)?;
        if args.dry_run {
            // Its plan is a temporary file, gone at the end: messages name the plan a real
            // rollback would write instead.
            let shown = format!("{} (dry run, not written)", plan.display());
            for problem in &mut summary.problems {
                *problem = problem.replace(&temporary, &shown);
            }
            let shown = (&summary, &irreversible);
            return Ok(dry_run(&ctx.printer(), shown, args.show, &pool_id, ctx));
        }
        irreversible
            .lines()
            .iter()
            .for_each(|l| ctx.printer().note(l));
        let question = format!("Restore these values in {pool_id}? [y/N] ");
        let line = Some(rollback_line(&summary));
        if !ask::preview_and_confirm(ctx, &summary, args.show, line, &question, &stop).await? {
            return Ok(Outcome::Success);
        }
    }
    let sending = (opts, prepared, reporter);
    let listed = (irreversible.count > 0).then_some(irreversible);
    let amend = |report: &mut crate::report::Report| report.not_reversible = listed;
    execute::finish_with(ctx, opened.pool, sending, &files.report, stop, amend).await
}

/// The rollback's files, checked before the first write (the journal being undone is its
/// input); the rollback journal's lock taken.
fn check_files(
    undo: &Path,
    plan: &Path,
    files: &Files,
    rollback_journal: &Path,
) -> Result<Option<crate::files::Lock>, Failure> {
    let reports = outputs::reports(&files.report);
    let mut written = vec![(Output::RollbackPlan, plan)];
    written.extend(reports.iter().map(|(kind, path)| (*kind, path.as_path())));
    written.push((Output::FailedRows, files.failed.as_path()));
    outputs::check(
        &[("the journal being rolled back", undo)],
        &written,
        Some(rollback_journal),
    )
}

/// What the rollback reads before writing: current values (the conflict check) and the
/// verification rail as apply's.
fn preflight(
    args: &RollbackArgs,
    described: Option<aws_sdk_cognitoidentityprovider::types::UserPoolType>,
) -> Preflight {
    Preflight {
        described,
        current_state: Source::Auto,
        allow_verification_messages: args.allow_verification_messages,
        // Restoring what the run changed puts back what sign-in writes anyway.
        allow_overwritten_at_sign_in: true,
        resend_pending: false,
    }
}

/// How a rollback plan is read.
fn plan_rows() -> InputOptions {
    InputOptions {
        format: Format::Plan,
        key_column: "username".into(),
        empty_cells: EmptyCells::Ignore,
        client_metadata: Default::default(),
        ops: Default::default(),
    }
}

/// The plan this rollback sends: the one a started rollback sends on (checked whole), or a
/// new one written to a temporary file beside the journal, renamed into place for a real
/// rollback and removed at the end of a dry run (the returned guard).
fn rollback_plan<C>(
    args: &RollbackArgs,
    plan: &Path,
    resuming: bool,
    ctx: &Context<C>,
) -> Result<(PathBuf, Option<tempfile::NamedTempFile>), Failure> {
    if resuming {
        crate::plan::file::verify(plan).map_err(setup)?;
        return Ok((plan.to_path_buf(), None));
    }
    let dir = args
        .journal
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // Named after the rollback plan, so that messages (and a file left by kill -9) say what it is.
    let name = plan.file_name().map(|n| n.to_string_lossy().into_owned());
    let fresh = tempfile::Builder::new()
        .prefix(&format!(".{}.", name.unwrap_or_default()))
        .tempfile_in(dir)
        .map_err(setup)?;
    rollback::make_plan(
        &args.journal,
        fresh.path(),
        args.allow_verification_messages,
    )
    .map_err(|e| setup(roll_back_older(e, ctx)))?;
    if args.dry_run {
        return Ok((fresh.path().to_path_buf(), Some(fresh)));
    }
    keep_applied_plan(plan)?;
    fresh.persist(plan).map_err(|e| setup(e.error))?;
    Ok((plan.to_path_buf(), None))
}

/// A journal whose run changed nothing names the older one whose run did: how to roll that
/// back, as a command to run.
fn roll_back_older<C>(error: anyhow::Error, ctx: &Context<C>) -> anyhow::Error {
    let Some(older) = error
        .downcast_ref::<rollback::NothingChanged>()
        .and_then(|n| n.older.clone())
    else {
        return error;
    };
    let words = [std::ffi::OsStr::new("rollback"), older.as_os_str()];
    anyhow::anyhow!(
        "{error}: roll it back with: {}",
        ctx.global.commands().line(words)
    )
}

/// A rollback plan that was applied (its journal beside it) is the record of that run: it is
/// kept aside as `PLAN.old-TIMESTAMP`, TIMESTAMP that of its journal, which the new run keeps
/// aside as `PLAN.journal.old-TIMESTAMP`.
fn keep_applied_plan(plan: &Path) -> Result<(), Failure> {
    let journal_path = files::beside_input(plan, "journal");
    let Ok(header) = journal::read_header(&journal_path) else {
        return Ok(());
    };
    if !std::fs::symlink_metadata(plan).is_ok_and(|m| m.file_type().is_file()) {
        return Ok(());
    }
    let aside = journal::kept_name(plan, header.created_unix);
    std::fs::rename(plan, &aside)
        .with_context(|| format!("keeping {} aside as {}", plan.display(), aside.display()))
        .map_err(setup)
}

/// Whether a rollback of this plan recorded a row and did not finish, and the plan was made
/// from the journal as it is now (a journal that grew since, its run resumed, needs a new
/// plan).
fn started_sending(plan: &Path, rollback_journal: &Path, journal: &Path) -> bool {
    let same_journal = crate::plan::file::read_header(plan)
        .ok()
        .zip(files::sha256_file(journal).ok())
        .is_some_and(|(h, now)| h.input_sha256 == now);
    same_journal
        && journal::load(rollback_journal).is_ok_and(|l| !l.done.is_empty() && !l.is_complete())
}

/// `Rollback: 5 users to restore (15 attributes), 0 already as before, 1 conflicts, 2 invalid.`
/// Invalid rows (such as `VerificationMessage`: an address unverified before the run) are
/// refused, not restored, so they are counted apart from the users to restore.
fn rollback_line(s: &PlanSummary) -> String {
    // Group memberships and `enabled` flags restored too, counted by kind.
    let others: u64 = s.ops.total() - s.attributes.min(s.ops.total());
    let what = match others {
        0 => format!("{} attributes", thousands(s.attributes)),
        _ => s.ops.line(),
    };
    format!(
        "Rollback: {} users to restore ({what}), {} already as before, {} conflicts, {} invalid.",
        thousands(s.to_change),
        thousands(s.unchanged),
        thousands(s.conflicts),
        thousands(s.invalid)
    )
}

/// The dry run's output: the preview and the summary (or, with `--json`, one object). Exit 1
/// when users would be left alone (conflicts), refused (invalid rows) or are gone, as a real
/// rollback would.
fn dry_run<C>(
    printer: &Printer,
    (summary, irreversible): (&PlanSummary, &rollback::NotReversible),
    show: usize,
    pool: &str,
    ctx: &Context<C>,
) -> Outcome {
    printer.json(&serde_json::json!({
        "dry_run": true,
        "user_pool_id": pool,
        "users": summary.to_change,
        "attributes": summary.attributes,
        "already": summary.unchanged,
        "conflicts": summary.conflicts,
        "invalid": summary.invalid,
        "not_found": summary.not_found,
        "verification_messages": summary.messages,
        "not_reversible": irreversible,
    }));
    ask::print_changes(printer, summary, ctx.global.color.enabled(), None);
    for problem in summary.problems.iter().take(show.max(20)) {
        printer.note(problem);
    }
    irreversible.lines().iter().for_each(|l| printer.note(l));
    printer.out(rollback_line(summary));
    printer.out(format!(
        "{} users will receive a verification message.",
        thousands(summary.messages)
    ));
    for note in summary.notes() {
        printer.note(note);
    }
    printer.out("nothing was written (dry run)");
    match summary.conflicts + summary.invalid + summary.not_found {
        0 => Outcome::Success,
        _ => Outcome::RowsFailed,
    }
}
