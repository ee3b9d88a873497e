//! Thin entry point: parse the command line, set up logging, open the real pool's way
//! (`app::Sdk`) and the process's signals, run, and decide the exit code: the only place
//! the process ends.

use std::io::IsTerminal;
use std::process::ExitCode;

use cognito_bulk::app::{self, Context, Outcome, Sdk, Signals};
use cognito_bulk::cli::{Cli, LogFormat};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse_args();
    init_logs(&cli);
    let log_json = cli.output.log_format == LogFormat::Json;
    let json = cli.global.json;
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            let text = format!("cannot start the async runtime: {e}");
            error(log_json, &text);
            json_error(json, Outcome::Setup, &text);
            return ExitCode::from(Outcome::Setup as u8);
        }
    };
    let signals = Signals::from_os();
    let abort = signals.abort();
    let ctx = Context::new(Sdk::new(&cli.global), cli.global.clone(), signals);
    let ran = runtime.block_on(async {
        tokio::select! {
            // A second interrupt: exit now, whatever is in flight (the journal holds what
            // finished; the same command resumes).
            _ = abort.cancelled() => None,
            result = app::run(&ctx, cli.command) => Some(result),
        }
    });
    let Some(ran) = ran else {
        runtime.shutdown_background();
        return ExitCode::from(Outcome::Stopped as u8);
    };
    let outcome = match ran {
        Ok(outcome) => {
            // A path that ends without a summary (a question answered no): still one object.
            if json && !app::json_printed() {
                println!("{}", serde_json::json!({ "exit": outcome as u8 }));
            }
            outcome
        }
        Err(failure) => {
            let text = describe(&failure.error);
            error(log_json, &text);
            json_error(json, failure.outcome, &text);
            failure.outcome
        }
    };
    // A thread still blocked reading a stream that never ends (an interrupted spool of a
    // FIFO) must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    ExitCode::from(outcome as u8)
}

/// The error that ends the run: a line of text, or with `--log-format json` a log event like
/// every other line on standard error.
fn error(log_json: bool, text: &str) {
    if log_json {
        tracing::error!("{text}");
    } else {
        eprintln!("error: {text}");
    }
}

/// With `--json`, the error as the one JSON object on standard output, unless the command
/// already printed its summary there. The code says which kind of error it is: `setup`
/// (nothing was written) or `stopped` (the run stopped; the same command resumes).
fn json_error(json: bool, outcome: Outcome, text: &str) {
    if !json || app::json_printed() {
        return;
    }
    let code = match outcome {
        Outcome::Stopped => "stopped",
        _ => "setup",
    };
    println!(
        "{}",
        cognito_bulk::cli::json_error(code, text, outcome as i32)
    );
}

/// An error and its causes on one line, each said once: an error that already quotes its
/// source ("users.csv: No such file or directory") is not followed by that source again.
fn describe(error: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Logs go to standard error. `RUST_LOG` (or `COGNITO_BULK_LOG`) picks what is logged;
/// otherwise the tool's own logs at info (error with --quiet, debug with --verbose), and the
/// AWS SDK's internal logs (e.g. "failed to load region from IMDS") only with --verbose: the
/// tool reports what matters of them in its own words.
fn init_logs(cli: &Cli) {
    let default = if cli.output.quiet {
        "off,cognito_bulk=error"
    } else if cli.output.verbose {
        "warn,aws_config=debug,aws_sdk_cognitoidentityprovider=debug,aws_smithy_runtime=debug,cognito_bulk=debug"
    } else {
        "off,cognito_bulk=info"
    };
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .or_else(|_| EnvFilter::try_from_env("COGNITO_BULK_LOG"))
        .unwrap_or_else(|_| EnvFilter::new(default));
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_env_filter(filter);
    match cli.output.log_format {
        LogFormat::Json => logs.json().init(),
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
    }
}
