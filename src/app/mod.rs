//! The command layer: parsed flags become a typed run ([`flags`]), which one execution path
//! ([`send`]) carries to the engine. One file per command (`plan`, `apply`, `rollback`,
//! `export`, `report`); what they share lives in files of its own (the [`Context`], the
//! question and preview in `ask`, output-file checks in `outputs`, the computed rule in
//! `backfill`, signals, the printer). No command file imports another, and the commands never
//! build the outside world: the [`Context`] hands them the pool (real or fake), the printer,
//! the reporter and the stop token, and `main` alone decides the exit.

mod apply;
mod ask;
mod backfill;
mod context;
mod export;
mod flags;
mod outputs;
mod plan;
mod printer;
mod report;
mod rollback;
mod sdk;
mod send;
mod signals;

pub use context::{Connect, Context, Given, Opened};
pub use printer::json_printed;
pub use sdk::Sdk;
pub use signals::Signals;

use tokio_util::sync::CancellationToken;

use crate::cli::Command;

/// How a command ended, as the process exit code tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every row was updated.
    Success = 0,
    /// The run finished; some rows failed or were invalid.
    RowsFailed = 1,
    /// A usage or setup error, before any write.
    Setup = 2,
    /// The run was stopped by a fatal error or an interrupt.
    Stopped = 3,
    /// `plan --detailed-exitcode` only: some rows are invalid or their users not found (2
    /// there means "changes", 1 an error), so a CI gate tells "all broken" from "nothing to do".
    RowsInvalid = 4,
}

impl Outcome {
    /// A finished run's outcome: 1 if any row failed, was invalid or met a conflict (the
    /// users it left alone need a look), else 0. The one rule for `apply`, `rollback` and
    /// `report`.
    pub fn of_rows(report: &crate::report::Report) -> Outcome {
        if report.failed + report.invalid + report.conflicts > 0 {
            Outcome::RowsFailed
        } else {
            Outcome::Success
        }
    }
}

/// A command's error, with the outcome it maps to.
#[derive(Debug)]
pub struct Failure {
    pub outcome: Outcome,
    pub error: anyhow::Error,
}

fn setup(error: impl Into<anyhow::Error>) -> Failure {
    Failure {
        outcome: Outcome::Setup,
        error: error.into(),
    }
}

/// A setup step that failed: exit 3 if it failed because of an interrupt, else 2.
fn setup_or_stopped(stop: &CancellationToken) -> impl Fn(anyhow::Error) -> Failure + '_ {
    move |error| Failure {
        outcome: match stop.is_cancelled() {
            true => Outcome::Stopped,
            false => Outcome::Setup,
        },
        error,
    }
}

/// Runs one command in `ctx`: the binary's entry (with the SDK pool) and the in-process
/// tests' (with a fake) are this same function.
pub async fn run<C: Connect>(ctx: &Context<C>, command: Command) -> Result<Outcome, Failure> {
    match command {
        Command::Apply(args) => apply::run(ctx, args).await,
        Command::Plan(args) => plan::run(ctx, args).await,
        Command::Report(args) => report::run(ctx, &args),
        Command::Export(args) => export::run(ctx, args).await,
        Command::Rollback(args) => rollback::run(ctx, args).await,
        Command::Completions(args) => {
            let mut command = <crate::cli::Cli as clap::CommandFactory>::command();
            clap_complete::generate(
                args.shell,
                &mut command,
                "cognito-bulk",
                &mut std::io::stdout(),
            );
            Ok(Outcome::Success)
        }
    }
}
