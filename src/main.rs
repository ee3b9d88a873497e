//! Thin entry point: parse the command line, run it, map the result to an exit code.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use cognito_bulk::cli::Cli;
use cognito_bulk::cmd::{self, Outcome};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = if cli.global.quiet {
        "error"
    } else if cli.global.verbose {
        "debug"
    } else {
        "info"
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_env_filter(
            EnvFilter::try_from_env("COGNITO_BULK_LOG")
                .unwrap_or_else(|_| EnvFilter::new(format!("warn,cognito_bulk={level}"))),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(Outcome::Setup as u8);
        }
    };
    let outcome = match runtime.block_on(cmd::run(cli)) {
        Ok(outcome) => outcome,
        Err(failure) => {
            eprintln!("error: {:#}", failure.error);
            failure.outcome
        }
    };
    // A thread still blocked reading a stream that never ends (an interrupted spool of a
    // FIFO) must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    ExitCode::from(outcome as u8)
}
