//! `apply`: the whole run, wired as a one-way flow:
//! input (scan, then stream) -> validation -> workers -> recorder (journal) -> report.
//!
//! A blocking thread reads and checks rows, skipping those an earlier run finished; the
//! dispatcher hands valid rows to at most `concurrency` workers, each pacing its calls through
//! the shared [`Pacing`]; every finished row goes to the [`Recorder`], which alone writes the
//! journal, counts and decides to stop the run.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use crate::current::{Current, Source};
use crate::input::{self, InputOptions};
use crate::journal::{self, Header};
use crate::plan;
use crate::progress::Reporter;
use crate::recorder::Recorder;
use crate::report::{FailedRows, Report};
use crate::scan;
use crate::schema::Schema;
use crate::sender::{Api, Pacing, RetryPolicy, send_row};
use crate::stream::{self, Checks, Event, StreamCounts, Work};

/// Failures that say the row itself is wrong: sending it again as it is would fail again, so
/// `--retry-failed` leaves them; fix them in the failed-rows file and apply that file.
const NOT_RETRYABLE_AS_IS: &[&str] = &["InvalidParameterException"];

/// Everything `apply` needs to know, resolved from the command line.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// The input file, or `-` for standard input.
    pub input: PathBuf,
    pub input_options: InputOptions,
    pub user_pool_id: String,
    pub rps: f64,
    pub concurrency: usize,
    pub retry: RetryPolicy,
    pub failed_path: PathBuf,
    /// None: keep no journal (`--no-journal`).
    pub journal_path: Option<PathBuf>,
    /// Start over even if the journal belongs to another run (the old one is kept).
    pub restart: bool,
    /// Send again the rows an earlier run recorded as failed.
    pub retry_failed: bool,
    pub max_failure_rate: f64,
    /// Schema check and diff against current values; None sends rows as they are (a plan).
    pub preflight: Option<Preflight>,
    /// Apply only this many changes, then stop (`--limit`).
    pub limit: Option<u64>,
}

/// What `apply` reads before writing: the pool's schema and the users' current values.
#[derive(Debug, Clone)]
pub struct Preflight {
    pub client: aws_sdk_cognitoidentityprovider::Client,
    /// The pool as DescribeUserPool gave it (None if that call was denied).
    pub pool: Option<aws_sdk_cognitoidentityprovider::types::UserPoolType>,
    pub current_state: Source,
    pub allow_verification_messages: bool,
}

/// Runs `apply` to the end (or to a stop) and returns its report. Errors are for setup
/// problems found before any write: an unreadable input, a bad header, a foreign journal.
pub async fn run<A: Api>(
    api: Arc<A>,
    opts: ApplyOptions,
    reporter: Arc<dyn Reporter>,
    stop: CancellationToken,
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let display = opts.input.display().to_string();
    // The input is read twice: standard input, a FIFO and the like are copied to a private
    // temporary file first (stopped by an interrupt if the writer never finishes).
    let (_spool, path) = {
        let input = opts.input.clone();
        tokio::select! {
            r = tokio::task::spawn_blocking(move || input::readable_twice(&input)) => r??,
            _ = stop.cancelled() => anyhow::bail!("interrupted while reading {display}; nothing was sent"),
        }
    };

    // Resuming: the journal already knows the duplicated users, so the input is only
    // fingerprinted (constant memory) to check that it is the same file.
    // (Reading current values needs every user key, so a diffing run scans in full.)
    let diffing = opts
        .preflight
        .as_ref()
        .is_some_and(|p| p.current_state != Source::None);
    let prior = match &opts.journal_path {
        Some(j) if !opts.restart && !diffing && j.exists() => journal::read_header(j).ok(),
        _ => None,
    };
    let scan = {
        let (path, display, io) = (path.clone(), display.clone(), opts.input_options.clone());
        tokio::task::spawn_blocking(move || {
            if let Some(prior) = prior {
                let mut scan = scan::fingerprint(&path, &display, &io)?;
                if scan.sha256 == prior.input_sha256 {
                    scan.set_duplicates(scan::Duplicates::from_groups(prior.duplicate_lines));
                    return Ok(scan);
                }
            }
            scan::scan(&path, &display, &io)
        })
        .await
        .context("input scan panicked")??
    };
    let header = journal_header(&opts, &display, &scan);
    if let Some(path) = &opts.journal_path {
        journal::check_compatible(path, &header, opts.restart)?;
    }
    let (schema, current) = match &opts.preflight {
        Some(p) => preflight(p, &scan, &path, &display, &opts, &*reporter).await?,
        None => (None, None),
    };
    // Checked against the scan as it is read: no row outside the fingerprint is sent.
    let opened = input::read(scan.reopen(&path)?, &display, &opts.input_options)?;

    let (journal, mut tally, kept) = match &opts.journal_path {
        Some(path) => {
            let (journal, tally, kept) = journal::open_for_run(path, &header, opts.restart)?;
            (Some(journal), tally, kept)
        }
        None => (None, journal::Loaded::new(header), None),
    };
    if let Some(old) = kept {
        reporter.warning(&format!(
            "starting over; the old journal is kept as {}",
            old.display()
        ));
    }
    if opts.retry_failed {
        for (n, code) in &tally.failed {
            if !NOT_RETRYABLE_AS_IS.contains(&code.as_str()) {
                tally.done.remove(*n);
            }
        }
    }
    let resuming = !tally.done.is_empty() || !tally.failed.is_empty();
    let done = tally.done.clone();
    let failed = FailedRows::new(opts.failed_path.clone(), opened.csv_header, resuming);
    let mut recorder = Recorder::new(
        display.clone(),
        journal,
        failed,
        tally,
        reporter.clone(),
        stop.clone(),
        opts.max_failure_rate,
    );
    reporter.started(scan.rows);

    // Reader thread: records in file order, checked and diffed, into bounded channels.
    let (work_tx, mut work_rx) = mpsc::channel::<Work>(1024);
    let (events_tx, mut events_rx) = mpsc::channel::<Event>(1024);
    let counts = Arc::new(StreamCounts::default());
    let current_state = current.as_ref().and_then(|c| c.source);
    let checks = Checks {
        scan,
        schema,
        current,
        // A plan's rows passed the rails when the plan was made, with its own flags.
        allow_verification_messages: opts
            .preflight
            .as_ref()
            .is_none_or(|p| p.allow_verification_messages),
        limit: opts.limit,
    };
    let reader = {
        let (events, stop, counts) = (events_tx.clone(), stop.clone(), counts.clone());
        tokio::task::spawn_blocking(move || {
            stream::read_rows(opened.records, done, checks, work_tx, events, stop, counts)
        })
    };

    // Dispatcher: valid rows to workers, at most `concurrency` at a time.
    let pacing = Arc::new(Pacing::new(opts.rps, opts.retry.clone()));
    let dispatcher = {
        let (pacing, stop) = (pacing.clone(), stop.clone());
        let slots = Arc::new(Semaphore::new(opts.concurrency.max(1)));
        tokio::spawn(async move {
            while let Some(work) = tokio::select! {
                biased;
                _ = stop.cancelled() => None,
                r = work_rx.recv() => r,
            } {
                let permit = tokio::select! {
                    biased;
                    _ = stop.cancelled() => break,
                    p = slots.clone().acquire_owned() => p.expect("semaphore open"),
                };
                let (api, pacing, stop, events) =
                    (api.clone(), pacing.clone(), stop.clone(), events_tx.clone());
                tokio::spawn(async move {
                    let sent = send_row(&*api, &pacing, &work.record.row, &stop).await;
                    drop(permit);
                    let _ = events.send(Event::Sent(work, sent)).await;
                });
            }
        })
    };

    // Recorder: the only place that counts and writes. Ticks make the journal durable at
    // least every second even when no row finishes.
    let (mut throttled, mut retries) = (0u64, 0u64);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        let event = tokio::select! {
            e = events_rx.recv() => match e {
                Some(e) => e,
                None => break,
            },
            _ = tick.tick() => {
                recorder.sync();
                continue;
            }
        };
        match event {
            Event::Invalid(record) => recorder.invalid(&record),
            Event::NotFound(record) => recorder.not_found(&record),
            Event::Unchanged(record) => recorder.unchanged(&record),
            Event::Sent(work, sent) => {
                throttled += u64::from(sent.throttled);
                retries += u64::from(sent.attempts.saturating_sub(1));
                recorder.sent(&work, sent);
            }
            Event::InputFailed(e) => recorder.stop(format!("cannot read the input: {e}")),
        }
        let rate = pacing.rate.snapshot().current_rps;
        reporter.progress(&recorder.progress(throttled, retries, rate));
    }
    // The channel closes once the reader, the dispatcher and every worker are done.
    let _ = reader.await;
    let _ = dispatcher.await;
    if stop.is_cancelled() && recorder.stopped.is_none() {
        recorder.stopped = Some("interrupted".into());
    }
    let mut report = recorder.finish();
    report.skipped_done = counts.skipped.load(Ordering::Relaxed);
    report.verification_messages = counts.messages.load(Ordering::Relaxed);
    report.limit = counts
        .limited
        .load(Ordering::Relaxed)
        .then_some(opts.limit)
        .flatten();
    report.current_state = current_state.map(|s| format!("{s:?}").to_lowercase());
    report.max_rps = opts.rps;
    report.final_rps = pacing.rate.snapshot().current_rps;
    report.timeline = pacing.meter.timeline();
    report.elapsed_seconds = started.elapsed().as_secs_f64();
    reporter.finished();
    Ok(report)
}

/// Reads the schema and the current values, and refuses an input that uses attributes the
/// pool does not define. Before any write, so errors here are setup errors.
async fn preflight(
    p: &Preflight,
    scan: &scan::Scan,
    path: &std::path::Path,
    display: &str,
    opts: &ApplyOptions,
    reporter: &dyn Reporter,
) -> anyhow::Result<(Option<Schema>, Option<Current>)> {
    let schema = p.pool.as_ref().map(Schema::from_pool);
    if let Some(schema) = &schema {
        plan::check_attributes(schema, scan, &opts.user_pool_id)?;
    }
    let estimate = p.pool.as_ref().map_or(0, |pool| {
        u64::try_from(pool.estimated_number_of_users()).unwrap_or(0)
    });
    let source = plan::resolve(p.current_state, scan.rows, estimate);
    if source == Source::None {
        reporter.warning(
            "--current-state none: rows are sent without reading current values; \
             unchanged users cost a call each, and rollback will not be possible",
        );
    }
    let current = plan::read_current(
        &p.client,
        &opts.user_pool_id,
        source,
        scan,
        || plan::input_keys(path, display, &opts.input_options),
        opts.concurrency,
        reporter,
    )
    .await?;
    Ok((schema, current))
}

/// The input options that change what a row means, as recorded in journals and plans.
pub fn options_json(io: &InputOptions) -> serde_json::Value {
    serde_json::json!({
        "format": format!("{:?}", io.format).to_lowercase(),
        "key_column": io.key_column,
        "empty_cells": format!("{:?}", io.empty_cells).to_lowercase(),
        "client_metadata": io.client_metadata,
    })
}

/// The journal header for this run: what must match for a later run to resume it.
fn journal_header(opts: &ApplyOptions, display: &str, scan: &scan::Scan) -> Header {
    Header {
        kind: Header::KIND.into(),
        version: journal::FORMAT_VERSION,
        input: display.to_string(),
        input_sha256: scan.sha256.clone(),
        user_pool_id: opts.user_pool_id.clone(),
        rows_total: scan.rows,
        options: options_json(&opts.input_options),
        created_unix: journal::now_unix() as u64,
        duplicate_lines: scan.duplicates().groups(),
    }
}
