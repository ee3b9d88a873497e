//! `cognito-bulk apply`: from an input file (with a diff against current values), from a plan
//! file (exactly the planned changes), or from a computed rule (`--set`/`--where`/`--match`:
//! the plan computed first, then sent as `apply --plan` sends one). The three meet in
//! [`send_rows`], which goes down the one execution path of `send`.
//!
//! A computed run that finds an unfinished journal beside its plan applies the existing plan
//! instead of computing again, so a resume after a crash sends exactly what was planned, even
//! though the pool changed since.

use std::path::Path;
use std::sync::Arc;

use anyhow::anyhow;

use super::ask::{self, APPLY_UNASKED, PREVIEW_LINES, colour_on_stderr, confirm, show_preview};
use super::backfill::{self, Rule, compute_plan, resumable, rule_lines};
use super::context::{Connect, Context, Opened};
use super::flags::{ApplyRun, Files, Rows, Sending};
use super::outcome::{Failure, Outcome, setup, setup_or_stopped};
use super::outputs::{self, Output, refuse_plan_with_run};
use super::planned::{allowances_stated, check_plan};
use super::{disable_rail, execute};
use crate::cli::ApplyArgs;
use crate::files;
use crate::rows::input::Format;
use crate::send::Preflight;

pub async fn run<C: Connect>(ctx: &Context<C>, args: ApplyArgs) -> Result<Outcome, Failure> {
    let run = ApplyRun::parse(args)?;
    match &run.rows {
        Rows::Computed { rule, input } => computed(ctx, &run, rule, input.as_deref()).await,
        Rows::Input { path, format } => from_file(ctx, &run, path, *format).await,
        Rows::Plan(plan) => from_file(ctx, &run, plan, Format::Plan).await,
    }
}

/// `apply INPUT` and `apply --plan PLAN`: the files checked and the journal locked, the pool
/// opened, the rows sent.
async fn from_file<C: Connect>(
    ctx: &Context<C>,
    run: &ApplyRun,
    rows: &Path,
    format: Format,
) -> Result<Outcome, Failure> {
    if format != Format::Plan {
        ask::gate(ctx, APPLY_UNASKED)?;
    }
    let files = run.files(rows, format);
    let _lock = check_files(Some(rows), None, &files, files.journal.as_deref())?;
    let reporter = ctx.reporter();
    let opened = ctx.open(&run.pool_id, run.send.call_timeout).await?;
    if let Some(warning) = &opened.warning {
        reporter.warning(warning);
    }
    send_rows(
        ctx,
        run,
        opened,
        rows,
        format,
        &files,
        reporter,
        run.send.restart,
    )
    .await
}

/// `apply --set ...` / `apply INPUT --match ...`: compute the plan (or find the run to
/// resume), confirm, then send the plan as `apply --plan` does, with the files checked, the
/// journal locked and the pool opened once.
async fn computed<C: Connect>(
    ctx: &Context<C>,
    run: &ApplyRun,
    args: &crate::cli::BackfillArgs,
    input: Option<&Path>,
) -> Result<Outcome, Failure> {
    let rules = backfill::parse(args, input, &run.read)?;
    ask::gate(ctx, APPLY_UNASKED)?;
    let rule = Rule::new(args, rules, input, &run.input_args, &run.read)?;
    let out = run
        .out
        .clone()
        .unwrap_or_else(|| rule.default_out(&run.pool_id));
    let files = run.files(&out, Format::Plan);
    let journal = (run.journal.clone()).unwrap_or_else(|| files::beside_input(&out, "journal"));
    // Checked, and the journal locked, before the plan is (re)written: a second run must not
    // replace the plan a first one is sending.
    let _lock = check_files(input, Some(&out), &files, Some(&journal))?;
    // A plan at --out that was applied is the record of its run: only this rule's own plan
    // (in this pool) is computed again, its journal kept aside; any other is refused as
    // `plan --out` refuses it.
    if journal.exists() && !rule.made(&out, &run.pool_id) {
        return Err(refuse_plan_with_run(&out).err().unwrap_or_else(|| {
            setup(anyhow!("{} was applied: pass another --out", out.display()))
        }));
    }
    let resume =
        !run.send.restart && !run.no_journal && resumable(&out, &journal, run.send.retry_failed);
    let reporter = ctx.reporter();
    let opened = ctx.open(&run.pool_id, run.send.call_timeout).await?;
    let mut restart = run.send.restart;
    if resume {
        if let Some(warning) = &opened.warning {
            reporter.warning(warning);
        }
        reporter.warning(&format!(
            "resuming the run recorded in {}: applying its plan {} as it was computed \
             (pass --restart to compute the values again)",
            journal.display(),
            out.display()
        ));
    } else {
        // The address changes earlier runs left pending, which sending leaves out.
        let pending = (!run.no_journal && !run.read.resend_pending).then_some(&*journal);
        if !plan_rule(ctx, run, &rule, &opened, &out, pending, &*reporter).await? {
            return Ok(Outcome::Success);
        }
        // A finished earlier run of the same rule: a new run (its journal kept aside).
        restart = restart || journal.exists();
    }
    ctx.printer().note(format!(
        "applying {}; journal {}, report and failed rows beside it",
        out.display(),
        journal.display()
    ));
    // The rows that could not be computed are in the plan as rows left out: the run reports
    // them (and exits 1) as `apply --plan` does.
    let reporter = ctx.reporter();
    send_rows(
        ctx,
        run,
        opened,
        &out,
        Format::Plan,
        &files,
        reporter,
        restart,
    )
    .await
}

/// Computes the rule's plan into `out`, shows it and asks (unless `--yes`). False: the
/// answer was no.
async fn plan_rule<C: Connect>(
    ctx: &Context<C>,
    run: &ApplyRun,
    rule: &Rule<'_>,
    opened: &Opened<C::Pool>,
    out: &Path,
    pending_from: Option<&Path>,
    reporter: &dyn crate::progress::Reporter,
) -> Result<bool, Failure> {
    let described = opened.described(&run.pool_id, "--set and --match")?;
    let allow = run.read.allow_verification_messages;
    let job = rule
        .job(&run.pool_id, allow, PREVIEW_LINES)
        .pending_from(pending_from);
    let stop = ctx.stop();
    let (summary, skipped) = compute_plan(&opened.pool, described, &job, out, reporter, &stop)
        .await
        .map_err(setup_or_stopped(&stop))?;
    reporter.finished();
    // Over the default sender's daily limit: refused before the question (and so before any
    // write), as `apply INPUT` refuses it.
    crate::plan::budget::check(
        &summary,
        &summary.messaging,
        run.read.allow_over_email_limit,
    )
    .map_err(setup)?;
    let estimated = u64::try_from(described.estimated_number_of_users()).unwrap_or(0);
    let allow_disable = run.read.allow_mass_disable;
    crate::decide::planner::mass_disable(&summary, estimated, allow_disable)
        .map_err(|why| setup(anyhow::anyhow!(why)))?;
    let yes = ctx.global.yes;
    let printer = ctx.printer().asking_if(!yes);
    for line in rule_lines(rule.args) {
        printer.context(line);
    }
    show_preview(&printer, &summary, PREVIEW_LINES, colour_on_stderr(ctx));
    if rule.args.where_.is_some() {
        printer.context(format!("{skipped} users left alone by --where."));
    }
    let question = format!("Apply these changes to {}? [y/N] ", run.pool_id);
    if !yes && !confirm(&question, &stop).await? {
        printer.context(format!(
            "nothing was written; the plan is in {}",
            out.display()
        ));
        return Ok(false);
    }
    Ok(true)
}

/// The input (or the plan) and the outputs, checked; the journal's lock taken.
fn check_files(
    input: Option<&Path>,
    plan: Option<&Path>,
    files: &Files,
    journal: Option<&Path>,
) -> Result<Option<files::Lock>, Failure> {
    let inputs: Vec<(&str, &Path)> = input.iter().map(|i| ("the input", *i)).collect();
    let reports = outputs::reports(&files.report);
    let mut outputs: Vec<(Output, &Path)> = plan.iter().map(|p| (Output::Plan, *p)).collect();
    outputs.extend(reports.iter().map(|(kind, path)| (*kind, path.as_path())));
    outputs.push((Output::FailedRows, files.failed.as_path()));
    outputs::check(&inputs, &outputs, journal)
}

/// The one way `apply` sends, whatever its rows: a plan's header checked (its pool, its
/// input, its allowances), the rows prepared, previewed and asked about (an input file
/// without `--yes`), sent and reported.
#[allow(clippy::too_many_arguments)]
async fn send_rows<C: Connect>(
    ctx: &Context<C>,
    run: &ApplyRun,
    opened: Opened<C::Pool>,
    rows: &Path,
    format: Format,
    files: &Files,
    reporter: Arc<dyn crate::progress::Reporter>,
    restart: bool,
) -> Result<Outcome, Failure> {
    // An allowance acts only where the command line states it: a plan can narrow what this
    // command allows, never widen it (a plan is only as trustworthy as its file; its
    // checksum guards against accidents, not a forger).
    let plan_allows = match format {
        Format::Plan => {
            let header = check_plan(rows, &run.pool_id).map_err(setup)?;
            allowances_stated(rows, &header, &run.read).map_err(setup)?;
            header.allow_verification_messages
        }
        Format::Csv | Format::Jsonl => true,
    };
    let preflight = Preflight {
        described: opened.described.clone(),
        current_state: run.read.current_state,
        allow_verification_messages: run.read.allow_verification_messages && plan_allows,
        allow_overwritten_at_sign_in: run.read.allow_overwritten_at_sign_in,
        resend_pending: run.read.resend_pending,
    };
    let send = Sending {
        restart,
        ..run.send.clone()
    };
    let input_options = run.input_args.options(format);
    let advice = execute::advice(ctx, run, rows);
    let opts = send.options(
        &run.pool_id,
        rows.to_path_buf(),
        input_options,
        files,
        preflight,
        advice,
    );
    // Signals are watched from here on: an interrupt stops the reads as well as the sending.
    let stop = ctx.stop();
    let allow_over = run.read.allow_over_email_limit;
    let prepared = execute::prepare(&opened.pool, &opts, allow_over, &*reporter, &stop).await?;
    let allow_disable = run.read.allow_mass_disable;
    let described = opened.described.as_ref();
    disable_rail::check(&opts, &prepared, described, allow_disable, &stop)?;
    if format != Format::Plan && !ctx.global.yes {
        let summary = execute::preview(ctx, &prepared, &opts, PREVIEW_LINES, &stop)?;
        let question = format!("Apply these changes to {}? [y/N] ", run.pool_id);
        if !ask::preview_and_confirm(ctx, &summary, PREVIEW_LINES, None, &question, &stop).await? {
            return Ok(Outcome::Success);
        }
    }
    execute::finish(
        ctx,
        opened.pool,
        opts,
        prepared,
        reporter,
        &files.report,
        stop,
    )
    .await
}
