//! `cognito-bulk plan`: the preview, the summary and the plan file; nothing is written to the
//! pool.

use std::time::Duration;

use anyhow::anyhow;

use tokio_util::sync::CancellationToken;

use super::apply::input_format;
use super::{
    Failure, Outcome, check_files, open_pool, reporter, setup, setup_or_stopped, watch_signals,
};
use crate::cli::{Global, PlanArgs};
use crate::files;
use crate::plan::{self, PlanOptions};
use crate::prepare::{self, Reading};

pub async fn run(global: &Global, args: PlanArgs) -> Result<Outcome, Failure> {
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
    let format = input_format(&args.input, args.input_args.format).map_err(fail)?;
    let opts = PlanOptions {
        out: args
            .out
            .clone()
            .unwrap_or_else(|| files::beside_input(&args.input, "plan")),
        input: args.input.clone(),
        input_options: args.input_args.options(format),
        user_pool_id: args.user_pool_id.clone(),
        current_state: args.read.current_state,
        show: args.show,
        allow_verification_messages: args.read.allow_verification_messages,
        concurrency: usize::from(args.concurrency),
    };
    let _no_lock = check_files(
        &[("the input", &opts.input)],
        &[("the plan", &opts.out)],
        None,
    )
    .map_err(fail)?;
    let reporter = reporter(global);
    let (pool, checked) = open_pool(global, Duration::from_secs(30), &opts.user_pool_id)
        .await
        .map_err(fail)?;
    let described = checked.pool.ok_or_else(|| {
        fail(setup(anyhow!(
            "plan needs DescribeUserPool on {} to check the schema: {}",
            opts.user_pool_id,
            checked.warning.unwrap_or_default()
        )))
    })?;
    let stop = CancellationToken::new();
    watch_signals(stop.clone());
    let summary = async {
        let scanned = prepare::scan_input(&opts.input, &opts.input_options, None, &stop).await?;
        let reading = Reading {
            pool: &pool,
            user_pool_id: &opts.user_pool_id,
            described: Some(&described),
            current_state: opts.current_state,
            concurrency: opts.concurrency,
        };
        let state =
            prepare::read_pool(&scanned, &opts.input_options, &reading, &*reporter, &stop).await?;
        plan::run(&scanned, &state, &opts, &*reporter)
    }
    .await
    .map_err(setup_or_stopped(&stop))
    .map_err(fail)?;
    reporter.finished();
    if !global.quiet {
        for line in &summary.preview {
            println!("{line}");
        }
        let shown = summary.preview.len() as u64;
        if summary.attributes > shown {
            println!(
                "... and {} more attribute changes in {}",
                summary.attributes - shown,
                opts.out.display()
            );
        }
        for problem in summary.problems.iter().take(args.show.max(20)) {
            eprintln!("{problem}");
        }
        println!();
        println!("{}", summary.line());
        for note in summary.notes() {
            println!("{note}");
        }
        println!(
            "plan written to {}; apply it with: cognito-bulk apply --plan {} --user-pool-id {}",
            opts.out.display(),
            opts.out.display(),
            opts.user_pool_id
        );
    }
    Ok(match (detailed, summary.to_change > 0) {
        (true, true) => Outcome::Setup, // 2: there are changes
        (true, false) => Outcome::Success,
        (false, _) if summary.invalid + summary.not_found > 0 => Outcome::RowsFailed,
        (false, _) => Outcome::Success,
    })
}
