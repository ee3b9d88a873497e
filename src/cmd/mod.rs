//! Turning parsed flags into a run: the outside world (AWS client, terminal, signals, files) is
//! built here and passed in to the core. One file per command; what they share is here.

mod apply;
mod backfill;
mod export;
mod plan;
mod report;
mod rollback;

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::aws::Connection;
use crate::cli::{Cli, Command, Global};
use crate::files;
use crate::progress::{Bar, LogLines, Quiet, Reporter};
use crate::report::Report;

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

pub async fn run(cli: Cli) -> Result<Outcome, Failure> {
    match cli.command {
        Command::Apply(args) => apply::run(&cli.global, args).await,
        Command::Plan(args) => plan::run(&cli.global, args).await,
        Command::Report(args) => report::run(&cli.global, &args),
        Command::Export(args) => export::run(&cli.global, args).await,
        Command::Rollback(args) => rollback::run(&cli.global, args).await,
    }
}

/// Whether a question can be asked: both standard input and standard error are a terminal.
fn can_ask() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

fn reporter(global: &Global) -> Arc<dyn Reporter> {
    if global.quiet {
        Arc::new(Quiet)
    } else if std::io::stderr().is_terminal() {
        Arc::new(Bar::new())
    } else {
        Arc::new(LogLines::new(Duration::from_secs(5)))
    }
}

fn connection(global: &Global, call_timeout: Duration) -> Connection {
    Connection {
        region: global.region.clone(),
        profile: global.profile.clone(),
        endpoint_url: global.endpoint_url.clone(),
        call_timeout,
    }
}

/// This process's command line, shell-quoted, without `--restart` (which would start over).
fn resume_command() -> String {
    let args: Vec<String> = std::env::args().filter(|a| a != "--restart").collect();
    shlex::try_join(args.iter().map(String::as_str)).unwrap_or_else(|_| args.join(" "))
}

fn write_report(report: &Report, path: &Path) -> anyhow::Result<()> {
    let mut json = serde_json::to_vec_pretty(report)?;
    json.push(b'\n');
    files::write_private_atomic(path, &json)
        .with_context(|| format!("writing the report {}", path.display()))
}

/// First Ctrl-C or SIGTERM: stop dispatching, let calls in flight finish. Second: exit now.
fn watch_signals(stop: CancellationToken) {
    tokio::spawn(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        for n in 0.. {
            let term_recv = async {
                match term.as_mut() {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term_recv => {}
            }
            if n == 0 {
                tracing::warn!(
                    "interrupted: finishing calls in flight (interrupt again to exit now)"
                );
                stop.cancel();
            } else {
                std::process::exit(Outcome::Stopped as i32);
            }
        }
    });
}
