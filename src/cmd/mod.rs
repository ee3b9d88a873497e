//! Turning parsed flags into a run: the outside world (AWS client, terminal, signals, files) is
//! built here and passed in to the core. One file per command; what they share is here.

mod apply;
mod backfill;
mod export;
mod plan;
mod printer;
mod report;
mod rollback;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::cli::{Cli, Command, Global};
use crate::cognito::aws::{self, Connection};
use crate::cognito::sdk::SdkPool;
use crate::files;
use crate::progress::{Bar, LogLines, Quiet, Reporter};
use crate::report::{Report, html};
use printer::Printer;
pub use printer::json_printed;

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
        Command::Completions(args) => {
            let mut command = <Cli as clap::CommandFactory>::command();
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

/// Whether a question can be asked: both standard input and standard error are a terminal.
fn can_ask() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

fn reporter(global: &Global) -> Arc<dyn Reporter> {
    if global.quiet {
        Arc::new(Quiet)
    } else if std::io::stderr().is_terminal() && !global.log_json {
        Arc::new(Bar::new())
    } else {
        Arc::new(LogLines::new(Duration::from_secs(5)))
    }
}

/// The pool `pool_id` through the AWS SDK, checked before any write: credentials resolve and
/// DescribeUserPool answers (or is denied, which only skips the schema check).
async fn open_pool(
    global: &Global,
    call_timeout: Duration,
    pool_id: &str,
) -> Result<(SdkPool, aws::Setup), Failure> {
    let (client, sdk) = aws::client(&connection(global, call_timeout))
        .await
        .map_err(setup)?;
    let pool = SdkPool::new(client, pool_id.to_string());
    let checked = aws::check_setup(&pool, &sdk, pool_id)
        .await
        .map_err(setup)?;
    Ok((pool, checked))
}

/// The pool and its description, for the commands that check the schema before deciding
/// (`plan`, computed backfills, named by `who`): there a denied DescribeUserPool is a setup
/// error, not a skipped check.
async fn open_described_pool(
    global: &Global,
    pool_id: &str,
    who: &str,
) -> Result<
    (
        SdkPool,
        aws_sdk_cognitoidentityprovider::types::UserPoolType,
    ),
    Failure,
> {
    let (pool, checked) = open_pool(global, Duration::from_secs(30), pool_id).await?;
    let described = checked.pool.ok_or_else(|| {
        setup(anyhow::anyhow!(
            "{who} needs DescribeUserPool on {pool_id} to check the schema: {}",
            checked.warning.unwrap_or_default()
        ))
    })?;
    Ok((pool, described))
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

fn connection(global: &Global, call_timeout: Duration) -> Connection {
    Connection {
        region: global.region.clone(),
        profile: global.profile.clone(),
        endpoint_url: global.endpoint_url.clone(),
        call_timeout,
    }
}

/// This process's command line, shell-quoted, without `--restart` (which would start over).
/// Read as OS strings: a path that is not UTF-8 is quoted byte for byte (`shell::quote`).
fn resume_command() -> String {
    let args: Vec<std::ffi::OsString> = std::env::args_os().filter(|a| a != "--restart").collect();
    crate::files::shell::join(args.iter().map(|a| a.as_os_str()))
}

/// Refuses an output path that holds another run's journal or plan (a report or failed-rows
/// file written over it would lose that run's memory); a plan may replace a plan.
fn refuse_another_runs_file(role: &str, path: &Path) -> Result<(), Failure> {
    let mut head = [0u8; 40];
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .unwrap_or(0);
    let head = &head[..n];
    let kind = match () {
        _ if head.starts_with(b"{\"kind\":\"cognito-bulk-journal\"") => "a journal",
        _ if head.starts_with(b"{\"kind\":\"cognito-bulk-plan\"") && !role.ends_with("plan") => {
            "a plan"
        }
        _ => return Ok(()),
    };
    Err(setup(anyhow::anyhow!(
        "{} (given as {role}) is {kind} of another run; choose another path",
        path.display()
    )))
}

/// Checks a run's files before anything is written: no output may be a link or a device, the
/// same file as an input or as another output, or in a folder that cannot be written. Then
/// takes the lock of the journal (one run per journal), held until the returned guard drops.
fn check_files(
    inputs: &[(&str, &Path)],
    outputs: &[(&str, &Path)],
    journal: Option<&Path>,
) -> Result<Option<files::Lock>, Failure> {
    for (role, path) in outputs {
        refuse_another_runs_file(role, path)?;
    }
    let mut all = outputs.to_vec();
    if let Some(journal) = journal {
        all.push(("the journal", journal));
    }
    files::check_outputs(inputs, &all).map_err(setup)?;
    journal.map(files::lock).transpose().map_err(setup)
}

/// Writes the JSON report to `path` and the HTML report beside it (`.html` for `.json`).
fn write_report(report: &Report, path: &Path) -> anyhow::Result<()> {
    let mut json = serde_json::to_vec_pretty(report)?;
    json.push(b'\n');
    files::write_private_atomic(path, &json)
        .with_context(|| format!("writing the report {}", path.display()))?;
    let page = html_path(path);
    html::write(report, html::TimelineSource::Measured, &page)
        .with_context(|| format!("writing the HTML report {}", page.display()))
}

/// The HTML report's path: the JSON report's with `.html` instead of `.json` (`.html` added
/// when that would be the JSON report itself).
fn html_path(report: &Path) -> PathBuf {
    let page = report.with_extension("html");
    if page == report {
        PathBuf::from(format!("{}.html", report.display()))
    } else {
        page
    }
}

/// The end of a run on standard output: the JSON summary with `--json` (and nothing else),
/// else the human summary and where the reports are.
fn show_report(global: &Global, report: &Report, path: &Path) {
    let printer = Printer::new(global);
    printer.json(report);
    printer.out(report.summary().trim_end());
    printer.out(format!("report: {}", path.display()));
    printer.out(format!("HTML report: {}", html_path(path).display()));
}

/// The process's stop token, cancelled by the first Ctrl-C or SIGTERM. One watcher for the
/// whole process: a command of several phases (a backfill computes, asks, then sends) shares
/// it, so an interrupt is announced once and none falls between two phases.
fn stop_on_signals() -> CancellationToken {
    static STOP: std::sync::OnceLock<CancellationToken> = std::sync::OnceLock::new();
    STOP.get_or_init(|| {
        let stop = CancellationToken::new();
        watch_signals(stop.clone());
        stop
    })
    .clone()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_html_report_sits_beside_the_json_one_and_never_over_it() {
        let p = |s: &str| html_path(Path::new(s));
        assert_eq!(
            p("a/users.csv.report.json"),
            Path::new("a/users.csv.report.html")
        );
        assert_eq!(p("report"), Path::new("report.html"));
        assert_eq!(p("r.html"), Path::new("r.html.html"));
    }
}
