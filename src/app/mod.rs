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
mod disable_rail;
mod execute;
mod export;
mod flags;
mod outcome;
mod outputs;
mod plan;
mod planned;
mod printer;
mod report;
mod rollback;
mod sdk;
mod signals;

pub use context::{Connect, Context, Given, Opened};
pub use outcome::{Failure, Outcome};
pub use printer::json_printed;
pub use sdk::Sdk;
pub use signals::Signals;

use crate::cli::Command;

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
