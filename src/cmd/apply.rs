//! `cognito-bulk apply`: from an input file (with a diff against current values) or from a
//! plan file (exactly the planned changes).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use tokio_util::sync::CancellationToken;

use super::printer::Printer;
use super::{
    Failure, Outcome, can_ask, check_files, open_pool, reporter, resume_command, setup,
    setup_or_stopped, write_report,
};
use crate::cli::{ApplyArgs, Global};
use crate::cognito::pacing::RetryPolicy;
use crate::cognito::sdk::SdkPool;
use crate::files;
use crate::plan::file as planfile;
use crate::plan::summary::PlanSummary;
use crate::rows::input::Format;
use crate::send::{self, ApplyOptions, Preflight};

pub async fn run(global: &Global, args: ApplyArgs) -> Result<Outcome, Failure> {
    if args.backfill.active() {
        return Box::pin(super::backfill::apply(global, args)).await;
    }
    let (input, format) = match (&args.plan, &args.input) {
        (Some(plan), _) => (plan.clone(), Format::Plan),
        (None, Some(input)) => (input.clone(), input_format(input, args.input_args.format)?),
        (None, None) => unreachable!("clap requires INPUT or --plan"),
    };
    if args.plan.is_none() && !global.yes && !can_ask() {
        return Err(setup(anyhow!(
            "apply writes to the user pool and cannot ask for confirmation here (not a terminal): \
             pass --yes, or review with `cognito-bulk plan` and run `apply --plan`"
        )));
    }
    let (report_path, failed_path, journal_path) = paths(&args, &input, format);
    let input_options = args.input_args.options(format);
    let html = super::html_path(&report_path);
    let _lock = check_files(
        &[("the input", &input)],
        &[
            ("the report", &report_path),
            ("the HTML report", &html),
            ("the failed-rows file", &failed_path),
        ],
        journal_path.as_deref(),
    )?;

    let reporter = reporter(global);
    let call_timeout = Duration::from_secs_f64(args.call_timeout);
    let (pool, checked) = open_pool(global, call_timeout, &args.user_pool_id).await?;
    if let Some(warning) = &checked.warning {
        reporter.warning(warning);
    }
    // An allowance acts only where the command line states it: a plan can narrow what this
    // command allows, never widen it (a plan is only as trustworthy as its file; its
    // checksum guards against accidents, not a forger).
    let plan_allows = match &args.plan {
        Some(plan) => {
            let header = check_plan(plan, &args.user_pool_id).map_err(setup)?;
            allowances_stated(plan, &header, &args).map_err(setup)?;
            header.allow_verification_messages
        }
        None => true,
    };
    let preflight = Preflight {
        described: checked.pool.clone(),
        current_state: args.read.current_state,
        allow_verification_messages: args.read.allow_verification_messages && plan_allows,
        allow_overwritten_at_sign_in: args.read.allow_overwritten_at_sign_in,
        resend_pending: args.read.resend_pending,
    };
    let opts = options(
        &args,
        input,
        input_options,
        failed_path,
        journal_path,
        preflight,
    );
    // Signals are watched from here on: an interrupt stops the reads as well as the sending.
    let stop = super::stop_on_signals();
    let prepared = send::prepare(&pool, &opts, &*reporter, &stop)
        .await
        .map_err(setup_or_stopped(&stop))?;
    check_budget(&opts, &prepared, args.read.allow_over_email_limit, &stop)?;
    if args.plan.is_none()
        && !global.yes
        && !confirm_plan(global, &opts, &prepared, &args.user_pool_id, &stop).await?
    {
        Printer::new(global)
            .asking_if(true)
            .context("nothing was written");
        return Ok(Outcome::Success);
    }
    execute(global, pool, opts, prepared, reporter, &report_path, stop).await
}

/// The report, failed-rows file and journal: the flags, or names derived from the input.
fn paths(args: &ApplyArgs, input: &Path, format: Format) -> (PathBuf, PathBuf, Option<PathBuf>) {
    let ext = match format {
        Format::Csv => "csv",
        Format::Jsonl
            if input
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("ndjson")) =>
        {
            "ndjson"
        }
        Format::Jsonl | Format::Plan => "jsonl",
    };
    let report = args
        .report
        .clone()
        .unwrap_or_else(|| files::beside_input(input, "report.json"));
    let failed = args
        .failed
        .clone()
        .unwrap_or_else(|| files::beside_input(input, &format!("failed.{ext}")));
    let journal = (!args.no_journal).then(|| {
        args.journal
            .clone()
            .unwrap_or_else(|| files::beside_input(input, "journal"))
    });
    (report, failed, journal)
}

/// The engine's options from the command line.
fn options(
    args: &ApplyArgs,
    input: PathBuf,
    input_options: crate::rows::input::InputOptions,
    failed_path: PathBuf,
    journal_path: Option<PathBuf>,
    preflight: Preflight,
) -> ApplyOptions {
    ApplyOptions {
        input,
        input_options,
        user_pool_id: args.user_pool_id.clone(),
        rps: args.rps,
        concurrency: usize::from(args.concurrency),
        retry: RetryPolicy {
            max_transient_retries: args.max_retries,
            ..RetryPolicy::default()
        },
        failed_path,
        journal_path,
        restart: args.restart,
        retry_failed: args.retry_failed,
        max_failure_rate: args.max_failure_rate / 100.0,
        preflight: Some(preflight),
        limit: args.limit,
        force: args.force,
        read_before_write: (!args.no_read_before_write).then_some(args.read_rps),
    }
}

/// Shows what sending `prepared` will do (the changes, the problems, the summary) and asks.
/// The sending pass decides from the same state, so it sends exactly what was shown.
pub async fn confirm_plan(
    global: &Global,
    opts: &ApplyOptions,
    prepared: &send::Prepared,
    pool: &str,
    stop: &CancellationToken,
) -> Result<bool, Failure> {
    // A reporter of its own: the preview's progress ends before the question.
    let preview_reporter = super::reporter(global);
    let summary = send::preview(prepared, opts, PREVIEW_LINES, &*preview_reporter, stop);
    preview_reporter.finished();
    let summary = summary.map_err(super::setup_or_stopped(stop))?;
    show_preview(
        &Printer::new(global).asking_if(true),
        &summary,
        PREVIEW_LINES,
        colour_on_stderr(global),
    );
    confirm(&format!("Apply these changes to {pool}? [y/N] "), stop).await
}

/// Refuses, before any write, a run whose verification emails exceed what Cognito's default
/// sender delivers in a day (see [`crate::plan::budget`]). Decides the rows once more only when
/// messages are allowed and the pool emails through the default sender.
pub fn check_budget(
    opts: &ApplyOptions,
    prepared: &send::Prepared,
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
    let summary = send::preview(prepared, opts, 0, &crate::progress::Quiet, stop)
        .map_err(super::setup_or_stopped(stop))?;
    crate::plan::budget::check(&summary, messaging, allow).map_err(setup)
}

/// How many changes and problems the confirmation shows.
const PREVIEW_LINES: usize = 20;

/// Whether the preview on standard error is coloured (`--color`, `NO_COLOR`, a terminal).
pub fn colour_on_stderr(global: &Global) -> bool {
    global
        .color
        .enabled_on(std::io::IsTerminal::is_terminal(&std::io::stderr()))
}

/// The preview on standard error (standard output stays for the summary). The changes, which
/// show values, only when a question is asked: otherwise (`--yes`) the problems and counts.
pub fn show_preview(printer: &Printer, summary: &PlanSummary, show: usize, colour: bool) {
    if printer.asking() {
        for line in &summary.preview {
            printer.context(super::plan::paint(line, colour));
        }
        if summary.attributes > summary.preview.len() as u64 {
            printer.context(format!(
                "... and {} more attribute changes",
                summary.attributes - summary.preview.len() as u64
            ));
        }
    }
    for problem in summary.problems.iter().take(show) {
        printer.problem(problem);
    }
    printer.context("");
    printer.context(summary.line());
    for note in summary.notes() {
        printer.context(note);
    }
}

/// Runs the apply engine and reports: shared by `apply` and `rollback`.
pub async fn execute(
    global: &Global,
    pool: SdkPool,
    opts: ApplyOptions,
    prepared: send::Prepared,
    reporter: Arc<dyn crate::progress::Reporter>,
    report_path: &Path,
    stop: CancellationToken,
) -> Result<Outcome, Failure> {
    let report = send::run(Arc::new(pool), opts, prepared, reporter, stop)
        .await
        .map_err(setup)?;
    write_report(&report, report_path).map_err(|error| Failure {
        outcome: Outcome::Stopped,
        error,
    })?;
    super::show_report(global, &report, report_path);
    if let Some(reason) = &report.stopped {
        // Everything finished is in the journal; the same command goes on from there.
        let printer = Printer::new(global);
        printer.error(format!("the run stopped: {reason}"));
        printer.advice(format!("resume with: {}", resume_command()));
    }
    Ok(if report.stopped.is_some() {
        Outcome::Stopped
    } else if report.failed + report.invalid + report.conflicts > 0 {
        Outcome::RowsFailed
    } else {
        Outcome::Success
    })
}

/// The input's format: `--format`, or from the extension.
pub fn input_format(input: &Path, flag: Option<Format>) -> Result<Format, Failure> {
    flag.or_else(|| Format::from_path(input)).ok_or_else(|| {
        setup(anyhow!(
            "{}: cannot tell the format from the name; pass --format csv or --format jsonl",
            input.display()
        ))
    })
}

/// Refuses a plan made for another pool, or whose input has changed since.
fn check_plan(plan: &Path, pool: &str) -> anyhow::Result<planfile::PlanHeader> {
    files::open_regular(plan)?; // not a device or a FIFO, which would be read forever
    let header = planfile::verify(plan)?;
    if header.user_pool_id != pool {
        anyhow::bail!(
            "{} was made for user pool {}, not {pool}",
            plan.display(),
            header.user_pool_id
        );
    }
    // The input as the plan recorded it (its absolute path). A plan of a stream (standard
    // input, a FIFO) or of the pool itself has none: nothing to compare, its trailer guards it.
    // (Reading a FIFO's path here would wait for a writer forever.)
    let Some(input) = header.input_file() else {
        return Ok(header);
    };
    let now = files::sha256_file(&input).map_err(|e| {
        anyhow!(
            "{}: cannot read the plan's input {}: {e}",
            plan.display(),
            input.display()
        )
    })?;
    if now != header.input_sha256 {
        anyhow::bail!(
            "{} changed since {} was made: run plan again",
            input.display(),
            plan.display()
        );
    }
    Ok(header)
}

/// Refuses a plan that lifts a rail the command line does not lift too: a plan made without
/// reading current values (`--current-state none`) has no before-values, so its rows would
/// be sent with no conflict check. (The verification rail is narrowed in `run`: the plan's
/// rows that need a message are refused, naming the flag.) Plans older than a week are
/// named: the pool has likely moved on since (its conflicts are still checked row by row).
fn allowances_stated(
    plan: &Path,
    header: &planfile::PlanHeader,
    args: &ApplyArgs,
) -> anyhow::Result<()> {
    use crate::model::source::Source;
    if header.current_state == Source::None && args.read.current_state != Source::None {
        anyhow::bail!(
            "{} was made with --current-state none: its rows carry no before-values, so \
             they would be sent without checking who changed them since; pass \
             --current-state none to apply --plan to send them so, or plan again without it",
            plan.display()
        );
    }
    let age = (crate::journal::now_unix() as u64).saturating_sub(header.created_unix);
    if age > PLAN_AGE_WARNING_SECS {
        tracing::warn!(
            "{} was made {} days ago: users changed since are left alone as conflicts; \
             consider planning again",
            plan.display(),
            age / 86_400
        );
    }
    Ok(())
}

/// A plan older than this is named when applied (7 days).
const PLAN_AGE_WARNING_SECS: u64 = 7 * 86_400;

/// Asks on the terminal; anything but y/yes is a no. An interrupt while it waits ends the
/// command at once (exit 3): nothing was written.
pub async fn confirm(question: &str, stop: &CancellationToken) -> Result<bool, Failure> {
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let read = tokio::task::spawn_blocking(|| {
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map(|_| answer)
    });
    tokio::select! {
        _ = stop.cancelled() => Err(Failure {
            outcome: Outcome::Stopped,
            error: anyhow!("interrupted at the question; nothing was written"),
        }),
        answer = read => {
            let answer = answer.ok().and_then(Result::ok).unwrap_or_default();
            Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
        }
    }
}
