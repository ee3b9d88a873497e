//! The in-process tier's shared setup: `apply` on the fake pool (or the fake wrapped in
//! `Faulty`, any `Pool`) with the options and the preflight the commands would build, fast
//! (no pacing to speak of, millisecond backoffs).

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cognito_bulk::cognito::Pool;
use cognito_bulk::cognito::pacing::RetryPolicy;
use cognito_bulk::model::source::Source;
use cognito_bulk::progress::Quiet;
use cognito_bulk::report::Report;
use cognito_bulk::rows::input::{EmptyCells, Format, InputOptions};
use cognito_bulk::send::{self, ApplyOptions, Preflight};
use tokio_util::sync::CancellationToken;

/// `apply INPUT` of a CSV keyed by username, journaled in `dir`, reading before each update.
pub fn options(input: &Path, dir: &Path) -> ApplyOptions {
    ApplyOptions {
        input: input.to_path_buf(),
        input_options: InputOptions {
            format: Format::Csv,
            key_column: "username".into(),
            empty_cells: EmptyCells::Ignore,
            client_metadata: Default::default(),
            ops: Default::default(),
        },
        user_pool_id: "us-east-1_fake".into(),
        rps: 2000.0,
        category_rps: Vec::new(),
        concurrency: 8,
        retry: RetryPolicy {
            max_transient_retries: 5,
            max_throttles: None,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_throttle_delay: Duration::from_millis(5),
        },
        failed_path: dir.join("failed.csv"),
        journal_path: Some(dir.join("journal")),
        restart: false,
        retry_failed: false,
        max_failure_rate: 0.5,
        preflight: None,
        limit: None,
        force: false,
        read_before_write: Some(80.0),
        advice: Default::default(),
    }
}

/// The preflight of a pool whose DescribeUserPool answered, current values read by `source`.
pub async fn preflight<P: Pool>(pool: &P, source: Source, allow_messages: bool) -> Preflight {
    Preflight {
        described: Some(pool.describe().await.unwrap()),
        current_state: source,
        allow_verification_messages: allow_messages,
        allow_overwritten_at_sign_in: false,
        resend_pending: false,
    }
}

/// Prepares and runs `opts` to the end, as `apply` does; its preflight must be set.
pub async fn run_prepared<P: Pool>(pool: &P, opts: ApplyOptions) -> Report {
    let stop = CancellationToken::new();
    let prepared = send::prepare(pool, &opts, &Quiet, &stop).await.unwrap();
    send::run(
        Arc::new(pool.clone()),
        opts,
        prepared,
        Arc::new(Quiet),
        stop,
    )
    .await
    .unwrap()
}

/// Runs `cognito-bulk ARGS` in-process on `pool`: the command line parsed as the binary
/// parses it and run by the same `app::run`, with `pool` (the fake, or the fake behind the
/// fault wrapper) where the SDK pool would be.
pub async fn cognito_bulk<P: Pool>(
    pool: &P,
    args: &[&str],
) -> Result<cognito_bulk::app::Outcome, cognito_bulk::app::Failure> {
    use cognito_bulk::app::{self, Context, Given, Signals};
    let line = std::iter::once("cognito-bulk").chain(args.iter().copied());
    let cli = cognito_bulk::cli::Cli::try_parse_args(line).expect("a valid command line");
    let ctx = Context::in_process(Given(pool.clone()), cli.global.clone(), Signals::manual());
    app::run(&ctx, cli.command).await
}
