//! `cognito-bulk plan`: the preview, the summary and the plan file; nothing is written to the
//! pool. Standard input (`plan -`) and any other stream (a FIFO, `/dev/stdin`, `<(...)`) is
//! first copied beside the plan, because `apply --plan`
//! checks that the plan's input has not changed since. `--markdown` writes the plan for
//! review, `--json` prints the summary for machines.

use std::ffi::OsStr;
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;

use super::backfill::{self, Rule, compute_plan, rule_lines};
use super::context::{Connect, Context};
use super::flags::input_format;
use super::outcome::{self, Failure, Outcome, setup, setup_or_stopped};
use super::outputs::{self, Output, refuse_plan_with_run, spool_stdin};
use super::printer::Printer;
use crate::cli::PlanArgs;
use crate::decide::all::{self as decide_all, PlanOptions};
use crate::decide::prepare::{self, Reading};
use crate::files;
use crate::plan::markdown;
use crate::plan::summary::PlanSummary;

/// How long a plan's reads wait for an answer.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn run<C: Connect>(ctx: &Context<C>, args: PlanArgs) -> Result<Outcome, Failure> {
    let fail = outcome::failure_for(args.detailed_exitcode);
    let result = match args.backfill.active() {
        true => computed(ctx, &args).await,
        false => from_input(ctx, &args).await,
    };
    result.map_err(fail)
}

/// `plan INPUT`: the input decided against the pool's current values.
async fn from_input<C: Connect>(ctx: &Context<C>, args: &PlanArgs) -> Result<Outcome, Failure> {
    let given = args
        .input
        .clone()
        .expect("clap requires INPUT without --set");
    let mut opts = options(args, &given)?;
    let inputs = [("the input", opts.input.as_path())];
    let _no_lock = outputs::check(&inputs, &plan_outputs(&opts.out, args), None)?;
    // A stream is copied beside the plan only once every output is known to be allowed.
    if outputs::is_stream(&given) {
        opts.input = spool_stdin(&opts.out, &given).map_err(setup)?;
    }
    let reporter = ctx.reporter();
    let (pool, described) = ctx
        .open_described(&opts.user_pool_id, CALL_TIMEOUT, "plan")
        .await?;
    let stop = ctx.stop();
    let summary = async {
        let mut scanned =
            prepare::scan_input(&opts.input, &opts.input_options, None, &stop).await?;
        let reading = Reading {
            pool: &pool,
            user_pool_id: &opts.user_pool_id,
            described: Some(&described),
            current_state: opts.current_state,
            concurrency: opts.concurrency,
            allow_overwritten_at_sign_in: args.read.allow_overwritten_at_sign_in,
        };
        let state = prepare::read_pool(
            &mut scanned,
            &opts.input_options,
            &reading,
            &*reporter,
            &stop,
        )
        .await?;
        decide_all::run(&scanned, &state, &opts, &*reporter, &stop)
    }
    .await
    .map_err(setup_or_stopped(&stop))?;
    reporter.finished();
    write_markdown(args, &opts.out, &summary)?;
    // The mass-disable rail refuses such a plan at `apply` unless allowed: said now, with
    // the users, and the allowance is in the command printed to apply it.
    let over_rail = crate::decide::planner::over_disable_rail(&summary, &described);
    show(ctx, args, &opts, &summary, over_rail.is_some());
    if let Some(why) = over_rail {
        ctx.printer().problem(format!(
            "apply will refuse this plan without the flag: {why}"
        ));
    }
    Ok(outcome::of_plan(args.detailed_exitcode, &summary))
}

/// `plan --set ...` / `plan INPUT --match ...`: the rows computed from the pool.
async fn computed<C: Connect>(ctx: &Context<C>, args: &PlanArgs) -> Result<Outcome, Failure> {
    let rules = backfill::parse(&args.backfill, args.input.as_deref(), &args.read)?;
    let rule = Rule::new(
        &args.backfill,
        rules,
        args.input.as_deref(),
        &args.input_args,
        &args.read,
    )?;
    let out = match (&args.out, &args.input) {
        (Some(out), _) => out.clone(),
        (None, Some(input)) => files::beside_input(input, "plan"),
        (None, None) => rule.default_out(&args.user_pool_id),
    };
    refuse_plan_with_run(&out)?;
    let inputs: Vec<(&str, &Path)> = rule.input.iter().map(|i| ("the input", *i)).collect();
    let _no_lock = outputs::check(&inputs, &plan_outputs(&out, args), None)?;
    let reporter = ctx.reporter();
    let (pool, described) = ctx
        .open_described(&args.user_pool_id, CALL_TIMEOUT, "--set and --match")
        .await?;
    let job = rule.job(
        &args.user_pool_id,
        args.read.allow_verification_messages,
        args.show,
    );
    let stop = ctx.stop();
    let (summary, skipped) = compute_plan(&pool, &described, &job, &out, &*reporter, &stop)
        .await
        .map_err(setup_or_stopped(&stop))?;
    reporter.finished();
    write_markdown(args, &out, &summary)?;
    let printer = ctx.printer();
    let mut object = serde_json::to_value(&summary).unwrap_or_default();
    object["user_pool_id"] = args.user_pool_id.clone().into();
    object["plan"] = out.display().to_string().into();
    object["skipped_by_where"] = skipped.into();
    printer.json(&object);
    for line in rule_lines(&args.backfill) {
        printer.out(line);
    }
    let colour = ctx.global.color.enabled();
    print_plan(
        &printer,
        &summary,
        &out,
        (&args.user_pool_id, &ctx.global.commands()),
        (
            args.show,
            crate::decide::planner::over_disable_rail(&summary, &described).is_some(),
        ),
        colour,
    );
    if args.backfill.where_.is_some() {
        printer.out(format!("{skipped} users left alone by --where."));
    }
    if let Some(md) = &args.markdown {
        printer.out(format!("plan for review written to {}", md.display()));
    }
    Ok(outcome::of_plan(args.detailed_exitcode, &summary))
}

/// The plan file and the Markdown plan (a Markdown plan never replaces a plan file).
fn plan_outputs<'a>(out: &'a Path, args: &'a PlanArgs) -> Vec<(Output, &'a Path)> {
    let mut outputs = vec![(Output::Plan, out)];
    if let Some(md) = &args.markdown {
        outputs.push((Output::MarkdownPlan, md.as_path()));
    }
    outputs
}

/// The plan for review (`--markdown`), values redacted with `--redact`.
fn write_markdown(args: &PlanArgs, out: &Path, summary: &PlanSummary) -> Result<(), Failure> {
    let Some(md) = &args.markdown else {
        return Ok(());
    };
    markdown::write(out, summary, md, args.redact)
        .with_context(|| format!("writing the Markdown plan {}", md.display()))
        .map_err(setup)
}

/// The plan's options from the command line; standard input is copied beside the plan first.
fn options(args: &PlanArgs, given: &Path) -> Result<PlanOptions, Failure> {
    let format = input_format(given, args.input_args.format)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| files::beside_input(given, "plan"));
    refuse_plan_with_run(&out)?;
    // Any stream, not only `-`: a plan of `/dev/stdin` or `<(...)` would otherwise keep no
    // input that `apply --plan` could check. Its copy (`PLAN.input`) is the input, checked
    // with the outputs before it is written.
    let input = if outputs::is_stream(given) {
        outputs::check_copy(&out).map_err(setup)?;
        outputs::copy_path(&out)
    } else {
        given.to_path_buf()
    };
    Ok(PlanOptions {
        out,
        input,
        input_options: args.input_args.options(format),
        user_pool_id: args.user_pool_id.clone(),
        current_state: args.read.current_state,
        show: args.show,
        allow_verification_messages: args.read.allow_verification_messages,
        concurrency: usize::from(args.concurrency),
        backfill: None,
        left_out: None,
    })
}

/// The plan for a person (preview, problems, summary) or, with `--json`, the summary object.
fn show<C>(
    ctx: &Context<C>,
    args: &PlanArgs,
    opts: &PlanOptions,
    summary: &PlanSummary,
    over_rail: bool,
) {
    let printer = ctx.printer();
    if printer.is_json() {
        let mut object = serde_json::to_value(summary).unwrap_or_default();
        object["input"] = opts.input.display().to_string().into();
        object["user_pool_id"] = opts.user_pool_id.clone().into();
        object["plan"] = opts.out.display().to_string().into();
        object["markdown"] = args
            .markdown
            .as_ref()
            .map(|p| p.display().to_string())
            .into();
        printer.json(&object);
    }
    let colour = ctx.global.color.enabled();
    print_plan(
        &printer,
        summary,
        &opts.out,
        (&opts.user_pool_id, &ctx.global.commands()),
        (args.show, over_rail),
        colour,
    );
    if let Some(md) = &args.markdown {
        let redacted = if args.redact {
            " (values redacted)"
        } else {
            ""
        };
        printer.out(format!(
            "plan for review written to {}{redacted}",
            md.display()
        ));
    }
}

/// The preview (coloured on a terminal), the problems, the summary and how to apply the plan.
fn print_plan(
    printer: &Printer,
    summary: &PlanSummary,
    out: &Path,
    (pool, commands): (&str, &crate::files::shell::Commands),
    (show, over_rail): (usize, bool),
    colour: bool,
) {
    super::ask::print_changes(printer, summary, colour, Some(out));
    // The problems go to standard error, also with --json (they are not the summary).
    for problem in summary.problems.iter().take(show.max(20)) {
        printer.problem(problem);
    }
    printer.out("");
    printer.out(summary.line());
    for note in summary.notes() {
        printer.out(note);
    }
    // The allowances the plan was made with must be stated again where they act.
    let mut flags = vec!["--user-pool-id", pool];
    if summary.messages > 0 {
        flags.push("--allow-verification-messages");
    }
    if crate::plan::budget::over_limit(summary) {
        flags.push(crate::plan::budget::ALLOW_FLAG);
    }
    if summary.overwritten_at_sign_in > 0 {
        flags.push("--allow-overwritten-at-sign-in");
    }
    if over_rail {
        flags.push("--allow-mass-disable");
    }
    if summary.current_state.is_none() {
        flags.extend(["--current-state", "none"]);
    }
    let words = ["apply", "--plan"]
        .map(OsStr::new)
        .into_iter()
        .chain([out.as_os_str()])
        .chain(flags.into_iter().map(OsStr::new));
    printer.out(format!(
        "plan written to {}; apply it with: {}",
        out.display(),
        commands.line(words)
    ));
}
