//! `plan` and `apply` with `--set` / `--where` / `--match`: the rows are computed from the
//! pool (or an input file joined to it) into a plan file first, and `apply` then applies that
//! plan exactly as `apply --plan` does. So a resume after a crash sends exactly what was
//! planned, even though the pool changed since: running the same `apply` again finds the
//! unfinished journal beside the plan and applies the existing plan instead of recomputing.

use std::path::Path;

use anyhow::anyhow;

use super::apply::{colour_on_stderr, confirm, input_format, show_preview};
use super::plan::{outcome, print_plan};
use super::printer::Printer;
use super::{Failure, Outcome, can_ask, reporter, setup, setup_or_stopped};
use crate::cli::{ApplyArgs, BackfillArgs, Global, PlanArgs};
use crate::files;
use crate::plan::file as planfile;

mod job;

use job::{
    Job, check_reads, compute_plan, default_plan, filtered, parse, resumable, rule, rule_lines,
};

/// `plan --set ...` / `plan INPUT --match ...`.
pub async fn plan(global: &Global, args: PlanArgs) -> Result<Outcome, Failure> {
    let detailed = args.detailed_exitcode;
    let fail = super::plan::failure_for(detailed);
    let rules = parse(&args.backfill, args.input.as_deref(), &args.read).map_err(fail)?;
    let io = match &args.input {
        Some(input) => args
            .input_args
            .options(input_format(input, args.input_args.format).map_err(fail)?),
        None => args.input_args.options(crate::rows::input::Format::Jsonl),
    };
    check_reads(rules.as_ref(), args.input.as_deref(), &io).map_err(fail)?;
    let out = match (&args.out, &args.input) {
        (Some(out), _) => out.clone(),
        (None, Some(input)) => files::beside_input(input, "plan"),
        (None, None) => default_plan(&args.user_pool_id, &args.backfill, None, &io),
    };
    super::plan::refuse_plan_with_run(&out).map_err(fail)?;
    let inputs: Vec<(&str, &Path)> = args
        .input
        .iter()
        .map(|i| ("the input", i.as_path()))
        .collect();
    let mut outputs = vec![("the plan", out.as_path())];
    if let Some(md) = &args.markdown {
        outputs.push(("the Markdown plan", md.as_path()));
    }
    let _no_lock = super::check_files(&inputs, &outputs, None).map_err(fail)?;
    let reporter = reporter(global);
    let (client, pool) =
        super::open_described_pool(global, &args.user_pool_id, "--set and --match")
            .await
            .map_err(fail)?;
    let job = Job {
        args: &args.backfill,
        rules: rules.as_ref(),
        input: args.input.as_deref(),
        io: &io,
        user_pool_id: &args.user_pool_id,
        allow_verification_messages: args.read.allow_verification_messages,
        allow_overwritten_at_sign_in: args.read.allow_overwritten_at_sign_in,
        show: args.show,
        filtered: filtered(&args.read, &args.backfill),
    };
    let stop = super::stop_on_signals();
    let (summary, skipped) = compute_plan(&client, &pool, &job, &out, &*reporter, &stop)
        .await
        .map_err(setup_or_stopped(&stop))
        .map_err(fail)?;
    reporter.finished();
    if let Some(md) = &args.markdown {
        crate::plan::markdown::write(&out, &summary, md, args.redact).map_err(|e| {
            fail(setup(e.context(format!(
                "writing the Markdown plan {}",
                md.display()
            ))))
        })?;
    }
    let printer = Printer::new(global);
    let mut object = serde_json::to_value(&summary).unwrap_or_default();
    object["user_pool_id"] = args.user_pool_id.clone().into();
    object["plan"] = out.display().to_string().into();
    object["skipped_by_where"] = skipped.into();
    printer.json(&object);
    for line in rule_lines(&args.backfill) {
        printer.out(line);
    }
    print_plan(
        &printer,
        &summary,
        &out,
        &args.user_pool_id,
        args.show,
        global.color.enabled(),
    );
    if args.backfill.where_.is_some() {
        printer.out(format!("{skipped} users left alone by --where."));
    }
    if let Some(md) = &args.markdown {
        printer.out(format!("plan for review written to {}", md.display()));
    }
    Ok(outcome(detailed, &summary))
}

/// `apply --set ...` / `apply INPUT --match ...`: compute the plan (or find the run to
/// resume), confirm, then apply the plan as `apply --plan` does.
pub async fn apply(global: &Global, mut args: ApplyArgs) -> Result<Outcome, Failure> {
    let rules = parse(&args.backfill, args.input.as_deref(), &args.read)?;
    if !global.yes && !can_ask() {
        return Err(setup(anyhow!(
            "apply writes to the user pool and cannot ask for confirmation here (not a terminal): \
             pass --yes, or review with `cognito-bulk plan` and run `apply --plan`"
        )));
    }
    let io = match &args.input {
        Some(input) => args
            .input_args
            .options(input_format(input, args.input_args.format)?),
        None => args.input_args.options(crate::rows::input::Format::Jsonl),
    };
    check_reads(rules.as_ref(), args.input.as_deref(), &io)?;
    let out = args.out.clone().unwrap_or_else(|| {
        default_plan(
            &args.user_pool_id,
            &args.backfill,
            args.input.as_deref(),
            &io,
        )
    });
    let journal_path = args
        .journal
        .clone()
        .unwrap_or_else(|| files::beside_input(&out, "journal"));
    // Checked, and the journal locked, before the plan is (re)written: a second run must not
    // replace the plan a first one is sending. The lock is taken again by the sending run.
    let inputs: Vec<(&str, &Path)> = args
        .input
        .iter()
        .map(|i| ("the input", i.as_path()))
        .collect();
    let lock = super::check_files(&inputs, &[("the plan", &out)], Some(&journal_path))?;
    // A plan at --out that was applied is the record of its run: only this rule's own plan
    // (in this pool) is computed again, its journal kept aside; any other is refused as
    // `plan --out` refuses it.
    if journal_path.exists() && !same_rule(&out, &args) {
        return Err(super::plan::refuse_plan_with_run(&out)
            .err()
            .unwrap_or_else(|| {
                setup(anyhow!("{} was applied: pass another --out", out.display()))
            }));
    }
    let resume =
        !args.restart && !args.no_journal && resumable(&out, &journal_path, args.retry_failed);
    let reporter = reporter(global);
    if resume {
        reporter.warning(&format!(
            "resuming the run recorded in {}: applying its plan {} as it was computed \
             (pass --restart to compute the values again)",
            journal_path.display(),
            out.display()
        ));
    } else {
        let (client, pool) =
            super::open_described_pool(global, &args.user_pool_id, "--set and --match").await?;
        let job = Job {
            args: &args.backfill,
            rules: rules.as_ref(),
            input: args.input.as_deref(),
            io: &io,
            user_pool_id: &args.user_pool_id,
            allow_verification_messages: args.read.allow_verification_messages,
            allow_overwritten_at_sign_in: args.read.allow_overwritten_at_sign_in,
            show: PREVIEW_LINES,
            filtered: filtered(&args.read, &args.backfill),
        };
        let stop = super::stop_on_signals();
        let (summary, skipped) = compute_plan(&client, &pool, &job, &out, &*reporter, &stop)
            .await
            .map_err(setup_or_stopped(&stop))?;
        reporter.finished();
        // Over the default sender's daily limit: refused before the question (and so before
        // any write), as `apply INPUT` refuses it.
        crate::plan::budget::check(
            &summary,
            &summary.messaging,
            args.read.allow_over_email_limit,
        )
        .map_err(setup)?;
        let printer = Printer::new(global).asking_if(!global.yes);
        for line in rule_lines(&args.backfill) {
            printer.context(line);
        }
        show_preview(&printer, &summary, PREVIEW_LINES, colour_on_stderr(global));
        if args.backfill.where_.is_some() {
            printer.context(format!("{skipped} users left alone by --where."));
        }
        if !global.yes
            && !confirm(
                &format!("Apply these changes to {}? [y/N] ", args.user_pool_id),
                &stop,
            )
            .await?
        {
            printer.context(format!(
                "nothing was written; the plan is in {}",
                out.display()
            ));
            return Ok(Outcome::Success);
        }
        // A finished earlier run of the same rule: a new run (its journal kept aside).
        args.restart = args.restart || journal_path.exists();
    }
    Printer::new(global).note(format!(
        "applying {}; journal {}, report and failed rows beside it",
        out.display(),
        journal_path.display()
    ));
    drop(lock);
    args.plan = Some(out);
    args.input = None;
    args.out = None;
    args.backfill = BackfillArgs::default();
    // The rows that could not be computed are in the plan as rows left out: the run reports
    // them (and exits 1) as `apply --plan` does.
    Box::pin(super::apply::run(global, args)).await
}

/// Whether the plan at `out` is this rule's plan for this pool (a backfill plan whose rule
/// and pool are the command line's).
fn same_rule(out: &Path, args: &ApplyArgs) -> bool {
    planfile::read_header(out).is_ok_and(|h| {
        h.backfill.as_ref() == Some(&rule(&args.backfill)) && h.user_pool_id == args.user_pool_id
    })
}

/// How many changes and problems the confirmation shows.
const PREVIEW_LINES: usize = 20;
