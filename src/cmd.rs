//! Turning parsed flags into a run: the outside world (AWS client, terminal, signals, files) is
//! built here and passed in to the core.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use tokio_util::sync::CancellationToken;

use crate::apply::{self, ApplyOptions};
use crate::aws::{self, Connection};
use crate::cli::{ApplyArgs, Cli, Command, Global, ReportArgs};
use crate::files;
use crate::input::{Format, InputOptions};
use crate::journal;
use crate::progress::{Bar, LogLines, Quiet, Reporter};
use crate::report::Report;
use crate::sender::RetryPolicy;
use crate::sender::sdk::SdkApi;

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
        Command::Apply(args) => apply(&cli.global, args).await,
        Command::Report(args) => report(&cli.global, &args),
    }
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

async fn apply(global: &Global, args: ApplyArgs) -> Result<Outcome, Failure> {
    let format = match args.format.or_else(|| Format::from_path(&args.input)) {
        Some(f) => f,
        None => {
            return Err(setup(anyhow!(
                "{}: cannot tell the format from the name; pass --format csv or --format jsonl",
                args.input.display()
            )));
        }
    };
    let ext = match format {
        Format::Csv => "csv",
        Format::Jsonl => args
            .input
            .extension()
            .and_then(|e| e.to_str())
            .filter(|e| e.eq_ignore_ascii_case("ndjson"))
            .unwrap_or("jsonl"),
    };
    let call_timeout = Duration::from_secs_f64(args.call_timeout);
    let report_path = args
        .report
        .clone()
        .unwrap_or_else(|| files::beside_input(&args.input, "report.json"));
    let opts = ApplyOptions {
        input: args.input.clone(),
        input_options: InputOptions {
            format,
            key_column: args.key_column,
            empty_cells: args.empty_cells,
            client_metadata: args.client_metadata.into_iter().collect(),
        },
        user_pool_id: args.user_pool_id,
        rps: args.rps,
        concurrency: usize::from(args.concurrency),
        retry: RetryPolicy {
            max_transient_retries: args.max_retries,
            ..RetryPolicy::default()
        },
        failed_path: args
            .failed
            .unwrap_or_else(|| files::beside_input(&args.input, &format!("failed.{ext}"))),
        journal_path: (!args.no_journal).then(|| {
            args.journal
                .clone()
                .unwrap_or_else(|| files::beside_input(&args.input, "journal"))
        }),
        restart: args.restart,
        retry_failed: args.retry_failed,
        max_failure_rate: args.max_failure_rate / 100.0,
    };

    let reporter = reporter(global);
    let (client, sdk) = aws::client(&connection(global, call_timeout))
        .await
        .map_err(setup)?;
    if let Some(warning) = aws::check_setup(&client, &sdk, &opts.user_pool_id)
        .await
        .map_err(setup)?
    {
        reporter.warning(&warning);
    }
    let api = Arc::new(SdkApi::new(client, opts.user_pool_id.clone()));
    let stop = CancellationToken::new();
    watch_signals(stop.clone());
    let report = apply::run(api, opts, reporter, stop).await.map_err(setup)?;
    write_report(&report, &report_path).map_err(|error| Failure {
        outcome: Outcome::Stopped,
        error,
    })?;
    if !global.quiet {
        print!("{}", report.summary());
        println!("report: {}", report_path.display());
    }
    if let Some(reason) = &report.stopped {
        // Everything finished is in the journal; the same command goes on from there.
        eprintln!("error: the run stopped: {reason}");
        eprintln!("resume with: {}", resume_command());
    }
    Ok(if report.stopped.is_some() {
        Outcome::Stopped
    } else if report.failed + report.invalid > 0 {
        Outcome::RowsFailed
    } else {
        Outcome::Success
    })
}

/// Prints the report rebuilt from a journal.
fn report(global: &Global, args: &ReportArgs) -> Result<Outcome, Failure> {
    let loaded = journal::load(&args.journal).map_err(setup)?;
    let mut report = loaded.to_report();
    report.journal = Some(args.journal.display().to_string());
    if args.json {
        let json = serde_json::to_string_pretty(&report).map_err(setup)?;
        println!("{json}");
    } else if !global.quiet {
        print!("{}", report.summary());
        if loaded.torn_tail {
            println!("(the journal ends in a torn entry, ignored: the run was killed mid-write)");
        }
    }
    Ok(if report.failed + report.invalid > 0 {
        Outcome::RowsFailed
    } else {
        Outcome::Success
    })
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
