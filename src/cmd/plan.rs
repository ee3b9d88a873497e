//! `cognito-bulk plan`: the preview, the summary and the plan file; nothing is written to the
//! pool. Standard input (`plan -`) is first copied beside the plan, because `apply --plan`
//! checks that the plan's input has not changed since. `--markdown` writes the plan for
//! review, `--json` prints the summary for machines.

use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::apply::input_format;
use super::printer::Printer;
use super::{Failure, Outcome, check_files, reporter, setup, setup_or_stopped};
use crate::cli::{Global, PlanArgs};
use crate::decide::all::{self as decide_all, PlanOptions};
use crate::decide::prepare::{self, Reading};
use crate::files;
use crate::plan::markdown;
use crate::plan::summary::PlanSummary;

pub async fn run(global: &Global, args: PlanArgs) -> Result<Outcome, Failure> {
    if args.backfill.active() {
        return super::backfill::plan(global, args).await;
    }
    let given = args
        .input
        .clone()
        .expect("clap requires INPUT without --set");
    let detailed = args.detailed_exitcode;
    let fail = failure_for(detailed);
    let opts = options(&args, &given).map_err(fail)?;
    let mut outputs = vec![("the plan", opts.out.as_path())];
    if let Some(md) = &args.markdown {
        outputs.push(("the Markdown plan", md.as_path()));
    }
    let _no_lock = check_files(&[("the input", &opts.input)], &outputs, None).map_err(fail)?;
    let reporter = reporter(global);
    let (pool, described) = super::open_described_pool(global, &opts.user_pool_id, "plan")
        .await
        .map_err(fail)?;
    let stop = super::stop_on_signals();
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
    .map_err(setup_or_stopped(&stop))
    .map_err(fail)?;
    reporter.finished();
    if let Some(md) = &args.markdown {
        markdown::write(&opts.out, &summary, md, args.redact)
            .with_context(|| format!("writing the Markdown plan {}", md.display()))
            .map_err(setup)
            .map_err(fail)?;
    }
    show(global, &args, &opts, &summary);
    Ok(outcome(detailed, &summary))
}

/// The plan's options from the command line; standard input is copied beside the plan first.
fn options(args: &PlanArgs, given: &Path) -> Result<PlanOptions, Failure> {
    let format = input_format(given, args.input_args.format)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| files::beside_input(given, "plan"));
    refuse_plan_with_run(&out)?;
    let input = if given.as_os_str() == "-" {
        spool_stdin(&out).map_err(setup)?
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

/// A plan that was applied (a journal beside it, finished or not) is the record of that run:
/// replacing it would leave the journal describing a plan that no longer exists, and the
/// printed `apply --plan` would then fail on it. As `export` protects a finished backup.
pub(super) fn refuse_plan_with_run(out: &Path) -> Result<(), Failure> {
    let journal = files::beside_input(out, "journal");
    if std::fs::symlink_metadata(&journal).is_err() {
        return Ok(());
    }
    Err(setup(anyhow::anyhow!(
        "{} was applied (its run's journal {} is beside it): it is kept as the record of that \
         run. Write the new plan to another file with --out NEW.plan",
        out.display(),
        journal.display()
    )))
}

/// The plan for a person (preview, problems, summary) or, with `--json`, the summary object.
fn show(global: &Global, args: &PlanArgs, opts: &PlanOptions, summary: &PlanSummary) {
    let printer = Printer::new(global);
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
    let colour = global.color.enabled();
    print_plan(
        &printer,
        summary,
        &opts.out,
        &opts.user_pool_id,
        args.show,
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

/// How a plan's error maps to an exit code: with --detailed-exitcode, 2 means "changes", so
/// every error is 1.
pub(super) fn failure_for(detailed: bool) -> impl Fn(Failure) -> Failure + Copy {
    move |f| Failure {
        outcome: if detailed {
            Outcome::RowsFailed
        } else {
            f.outcome
        },
        error: f.error,
    }
}

/// The exit code of a plan: with --detailed-exitcode, 4 means some rows are invalid or not
/// found (whatever else), 2 "changes" (and every row fine), 0 nothing to do.
pub(super) fn outcome(detailed: bool, summary: &PlanSummary) -> Outcome {
    match (detailed, summary.to_change > 0) {
        (true, _) if summary.invalid + summary.not_found > 0 => Outcome::RowsInvalid,
        (true, true) => Outcome::Setup, // 2: there are changes
        (true, false) => Outcome::Success,
        (false, _) if summary.invalid + summary.not_found > 0 => Outcome::RowsFailed,
        (false, _) => Outcome::Success,
    }
}

/// The preview (coloured on a terminal), the problems, the summary and how to apply the plan.
pub(super) fn print_plan(
    printer: &Printer,
    summary: &PlanSummary,
    out: &Path,
    pool: &str,
    show: usize,
    colour: bool,
) {
    for line in &summary.preview {
        printer.out(paint(line, colour));
    }
    let shown = summary.preview.len() as u64;
    if summary.attributes > shown {
        printer.out(format!(
            "... and {} more attribute changes in {} (--show all lists them)",
            summary.attributes - shown,
            out.display()
        ));
    }
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
    let mut flags = String::new();
    if summary.messages > 0 {
        flags.push_str(" --allow-verification-messages");
    }
    if crate::plan::budget::over_limit(summary) {
        flags.push(' ');
        flags.push_str(crate::plan::budget::ALLOW_FLAG);
    }
    if summary.overwritten_at_sign_in > 0 {
        flags.push_str(" --allow-overwritten-at-sign-in");
    }
    if summary.current_state.is_none() {
        flags.push_str(" --current-state none");
    }
    printer.out(format!(
        "plan written to {}; apply it with: cognito-bulk apply --plan {} --user-pool-id {}{flags}",
        out.display(),
        crate::files::shell::quote(out.as_os_str()),
        crate::files::shell::quote(std::ffi::OsStr::new(pool)),
    ));
}

/// A preview line in Terraform's colours: `+` green, `~` yellow, `-` red.
pub fn paint(line: &str, colour: bool) -> String {
    let style = console::Style::new().force_styling(true);
    let style = match line.as_bytes().first() {
        Some(b'+') => style.green(),
        Some(b'~') => style.yellow(),
        Some(b'-') => style.red(),
        _ => return line.to_string(),
    };
    if colour {
        style.apply_to(line).to_string()
    } else {
        line.to_string()
    }
}

/// Copies standard input to `PLAN.input` (owner-only, created new): the plan's input, kept
/// so that `apply --plan` can check it has not changed.
fn spool_stdin(plan: &Path) -> anyhow::Result<PathBuf> {
    let copy = PathBuf::from(format!("{}.input", plan.display()));
    // A copy left by an earlier `plan -` is replaced; anything else in the way is refused.
    if std::fs::symlink_metadata(&copy).is_ok_and(|m| m.file_type().is_file()) {
        std::fs::remove_file(&copy).with_context(|| format!("replacing {}", copy.display()))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&copy)
        .with_context(|| format!("creating {}", copy.display()))?;
    io::copy(&mut io::stdin().lock(), &mut file)
        .and_then(|_| file.flush())
        .with_context(|| format!("copying standard input to {}", copy.display()))?;
    Ok(copy)
}

#[cfg(test)]
mod tests {
    use super::paint;

    #[test]
    fn colours_only_when_asked() {
        assert_eq!(paint("+ a  x: \"1\"", false), "+ a  x: \"1\"");
        assert!(paint("+ a  x: \"1\"", true).starts_with("\u{1b}[32m"));
        assert!(paint("~ a  x", true).starts_with("\u{1b}[33m"));
        assert!(paint("- a  x", true).starts_with("\u{1b}[31m"));
        assert_eq!(paint("  a  x", true), "  a  x");
    }
}
