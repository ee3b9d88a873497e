//! The one execution path of every command that writes to the pool (`apply INPUT`, `apply
//! --plan`, computed backfills, `rollback`): the rows prepared against the pool and held to
//! the email rail, previewed for a question if the command asks one, sent, and reported.
//! Commands call these steps in order; what differs between them (where the rows come from,
//! what is asked) stays in the command.

use std::ffi::OsStr;
use std::path::Path;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::context::{Connect, Context};
use super::flags::{ApplyRun, Rows};
use super::outcome::{Failure, Outcome, setup, setup_or_stopped};
use super::printer::Printer;
use crate::cognito::Pool;
use crate::plan::summary::PlanSummary;
use crate::progress::Reporter;
use crate::report::Report;
use crate::report::formats::Format as ReportFormat;
use crate::send::{self as engine, ApplyOptions, Prepared};

/// Everything before the first write: the input scanned, the journal checked, the pool read;
/// then the run refused if its verification emails exceed what Cognito's default sender
/// delivers in a day (see [`crate::plan::budget`]) unless `allow_over_email_limit`.
pub async fn prepare<P: Pool>(
    pool: &P,
    opts: &ApplyOptions,
    allow_over_email_limit: bool,
    reporter: &dyn Reporter,
    stop: &CancellationToken,
) -> Result<Prepared, Failure> {
    let prepared = engine::prepare(pool, opts, reporter, stop)
        .await
        .map_err(setup_or_stopped(stop))?;
    check_budget(opts, &prepared, allow_over_email_limit, stop)?;
    Ok(prepared)
}

/// Decides the rows once more only when messages are allowed and the pool emails through the
/// default sender.
fn check_budget(
    opts: &ApplyOptions,
    prepared: &Prepared,
    allow: bool,
    stop: &CancellationToken,
) -> Result<(), Failure> {
    let messaging = prepared.messaging();
    let allowed = opts
        .preflight
        .as_ref()
        .is_some_and(|p| p.allow_verification_messages);
    if allow || !allowed || !messaging.default_email_sender || !messaging.messages("email") {
        return Ok(());
    }
    let summary = engine::preview(prepared, opts, 0, &crate::progress::Quiet, stop)
        .map_err(setup_or_stopped(stop))?;
    crate::plan::budget::check(&summary, messaging, allow).map_err(setup)
}

/// What sending `prepared` will do (the changes, the problems, the summary), `show` changes
/// listed. The sending pass decides from the same state, so it sends exactly what was shown.
pub fn preview<C: Connect>(
    ctx: &Context<C>,
    prepared: &Prepared,
    opts: &ApplyOptions,
    show: usize,
    stop: &CancellationToken,
) -> Result<PlanSummary, Failure> {
    // A reporter of its own: the preview's progress ends before the question.
    let reporter = ctx.reporter();
    let summary = engine::preview(prepared, opts, show, &*reporter, stop);
    reporter.finished();
    summary.map_err(setup_or_stopped(stop))
}

/// Sends, writes the reports, says how the run ended (and how to resume a stopped one).
pub async fn finish<C: Connect>(
    ctx: &Context<C>,
    pool: C::Pool,
    opts: ApplyOptions,
    prepared: Prepared,
    reporter: Arc<dyn Reporter>,
    report_path: &Path,
    stop: CancellationToken,
) -> Result<Outcome, Failure> {
    let sending = (opts, prepared, reporter);
    finish_with(ctx, pool, sending, report_path, stop, |_| {}).await
}

/// [`finish`], with what the command adds to the report before it is written (a rollback:
/// what it cannot undo).
pub async fn finish_with<C: Connect>(
    ctx: &Context<C>,
    pool: C::Pool,
    (opts, prepared, reporter): (ApplyOptions, Prepared, Arc<dyn Reporter>),
    report_path: &Path,
    stop: CancellationToken,
    amend: impl FnOnce(&mut Report),
) -> Result<Outcome, Failure> {
    let force = opts.advice.force.clone();
    let mut report = engine::run(Arc::new(pool), opts, prepared, reporter, stop)
        .await
        .map_err(setup)?;
    amend(&mut report);
    write_report(&report, report_path).map_err(|error| Failure {
        outcome: Outcome::Stopped,
        error,
    })?;
    show_report(&ctx.printer(), &report, report_path);
    if let Some(force) = force.filter(|_| report.conflicts > 0) {
        ctx.printer()
            .advice(format!("send the conflicts anyway with: {force}"));
    }
    if let Some(reason) = &report.stopped {
        // Everything finished is in the journal; the same command goes on from there.
        let printer = ctx.printer();
        printer.error(format!("the run stopped: {reason}"));
        printer.advice(format!("resume with: {}", resume_command()));
    }
    Ok(match report.stopped {
        Some(_) => Outcome::Stopped,
        None => Outcome::of_rows(&report),
    })
}

/// This process's command line, shell-quoted, without `--restart` (which would start over).
/// Read as OS strings: a path that is not UTF-8 is quoted byte for byte (`shell::quote`).
pub fn resume_command() -> String {
    let args: Vec<std::ffi::OsString> = std::env::args_os().filter(|a| a != "--restart").collect();
    crate::files::shell::join(args.iter().map(|a| a.as_os_str()))
}

/// Writes the report in every format, beside each other (`report::formats`).
fn write_report(report: &Report, path: &Path) -> anyhow::Result<()> {
    ReportFormat::ALL
        .iter()
        .try_for_each(|format| format.write(report, path))
}

/// The end of a run on standard output: the JSON summary with `--json` (and nothing else),
/// else the human summary and where the reports are.
fn show_report(printer: &Printer, report: &Report, path: &Path) {
    printer.json(report);
    printer.out(report.summary().trim_end());
    for format in ReportFormat::ALL {
        printer.out(format!(
            "{}: {}",
            format.name(),
            format.path(path).display()
        ));
    }
}

/// How the run's advice is written. A computed run's conflicts are sent anyway by `apply
/// --plan` of its plan with `--force` (the same command with `--force` would compute a new
/// plan, which the `--where` that chose them may now leave them out of), with the journal and
/// the allowances this command was given.
pub fn advice<C>(ctx: &Context<C>, run: &ApplyRun, plan: &Path) -> crate::files::shell::Advice {
    let commands = ctx.global.commands();
    let force = matches!(run.rows, Rows::Computed { .. }).then(|| {
        let mut words = vec![OsStr::new("apply"), OsStr::new("--plan"), plan.as_os_str()];
        words.extend([
            OsStr::new("--user-pool-id"),
            OsStr::new(run.pool_id.as_str()),
        ]);
        if let Some(journal) = &run.journal {
            words.extend([OsStr::new("--journal"), journal.as_os_str()]);
        }
        let read = &run.read;
        let stated = [
            (
                read.allow_verification_messages,
                "--allow-verification-messages",
            ),
            (read.allow_over_email_limit, crate::plan::budget::ALLOW_FLAG),
            (
                read.allow_overwritten_at_sign_in,
                "--allow-overwritten-at-sign-in",
            ),
        ];
        words.extend(
            stated
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, f)| OsStr::new(*f)),
        );
        words.push(OsStr::new("--force"));
        commands.line(words)
    });
    crate::files::shell::Advice { commands, force }
}
