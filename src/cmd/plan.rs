//! `cognito-bulk plan`: the preview, the summary and the plan file; nothing is written to the
//! pool.

use std::path::Path;
use std::time::Duration;

use anyhow::anyhow;

use super::apply::input_format;
use super::{Failure, Outcome, connection, reporter, setup};
use crate::aws;
use crate::cli::{Global, PlanArgs};
use crate::files;
use crate::plan::{self, PlanOptions, PlanSummary};
use crate::prepare::{self, Reading};

pub async fn run(global: &Global, args: PlanArgs) -> Result<Outcome, Failure> {
    if args.backfill.active() {
        return super::backfill::plan(global, args).await;
    }
    let input = args
        .input
        .clone()
        .expect("clap requires INPUT without --set");
    // With --detailed-exitcode, 2 means "changes", so every error is 1.
    let detailed = args.detailed_exitcode;
    let fail = |f: Failure| Failure {
        outcome: if detailed {
            Outcome::RowsFailed
        } else {
            f.outcome
        },
        error: f.error,
    };
    let format = input_format(&input, args.input_args.format).map_err(fail)?;
    let opts = PlanOptions {
        out: args
            .out
            .clone()
            .unwrap_or_else(|| files::beside_input(&input, "plan")),
        input: input.clone(),
        input_options: args.input_args.options(format),
        user_pool_id: args.user_pool_id.clone(),
        current_state: args.read.current_state,
        show: args.show,
        allow_verification_messages: args.read.allow_verification_messages,
        concurrency: usize::from(args.concurrency),
        backfill: None,
    };
    let reporter = reporter(global);
    let conn = connection(global, Duration::from_secs(30));
    let (client, sdk) = aws::client(&conn).await.map_err(setup).map_err(fail)?;
    let checked = aws::check_setup(&client, &sdk, &opts.user_pool_id)
        .await
        .map_err(setup)
        .map_err(fail)?;
    let pool = checked.pool.ok_or_else(|| {
        fail(setup(anyhow!(
            "plan needs DescribeUserPool on {} to check the schema: {}",
            opts.user_pool_id,
            checked.warning.unwrap_or_default()
        )))
    })?;
    let summary = async {
        let scanned = prepare::scan_input(&opts.input, &opts.input_options, None).await?;
        let reading = Reading {
            client: &client,
            user_pool_id: &opts.user_pool_id,
            pool: Some(&pool),
            current_state: opts.current_state,
            concurrency: opts.concurrency,
        };
        let state = prepare::read_pool(&scanned, &opts.input_options, &reading, &*reporter).await?;
        plan::run(&scanned, &state, &opts, &*reporter)
    }
    .await
    .map_err(setup)
    .map_err(fail)?;
    reporter.finished();
    if !global.quiet {
        print_plan(&summary, &opts.out, &opts.user_pool_id, args.show);
    }
    Ok(outcome(detailed, &summary))
}

/// The preview, the problems, the summary and how to apply the plan.
pub(super) fn print_plan(summary: &PlanSummary, out: &Path, pool: &str, show: usize) {
    for line in &summary.preview {
        println!("{line}");
    }
    let shown = summary.preview.len() as u64;
    if summary.attributes > shown {
        println!(
            "... and {} more attribute changes in {}",
            summary.attributes - shown,
            out.display()
        );
    }
    for problem in summary.problems.iter().take(show.max(20)) {
        eprintln!("{problem}");
    }
    println!();
    println!("{}", summary.line());
    for note in summary.notes() {
        println!("{note}");
    }
    println!(
        "plan written to {}; apply it with: cognito-bulk apply --plan {} --user-pool-id {pool}",
        out.display(),
        out.display(),
    );
}

/// The exit code of a plan: with --detailed-exitcode, 2 means "changes".
pub(super) fn outcome(detailed: bool, summary: &PlanSummary) -> Outcome {
    match (detailed, summary.to_change > 0) {
        (true, true) => Outcome::Setup, // 2: there are changes
        (true, false) => Outcome::Success,
        (false, _) if summary.invalid + summary.not_found > 0 => Outcome::RowsFailed,
        (false, _) => Outcome::Success,
    }
}
