//! `apply`: the whole run, wired as a one-way flow:
//! input (scan, then stream) -> validation -> workers -> recorder (journal) -> report.
//!
//! A blocking thread reads and checks rows, skipping those an earlier run finished; the
//! dispatcher hands valid rows to at most `concurrency` workers, each pacing its calls through
//! the shared [`Pacing`]; every finished row goes to the [`Recorder`], which alone writes the
//! journal, counts and decides to stop the run.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use crate::input::{self, InputError, InputOptions};
use crate::journal::{self, Header};
use crate::progress::Reporter;
use crate::recorder::Recorder;
use crate::report::{FailedRows, Report};
use crate::row::Record;
use crate::scan;
use crate::sender::{Api, Pacing, RetryPolicy, Sent, send_row};
use crate::validate;

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
}

/// What flows from the reader and the workers to the recorder.
enum Event {
    Invalid(Record),
    Sent(Record, Sent),
    /// The input could not be read on: the run stops.
    InputFailed(InputError),
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
    // Standard input is read twice, so it is copied to a private temporary file first.
    let (_spool, path) = if opts.input.as_os_str() == "-" {
        let (guard, path) = input::spool_stdin()?;
        (Some(guard), path)
    } else {
        (None, opts.input.clone())
    };

    // Resuming: the journal already knows the duplicated users, so the input is only
    // fingerprinted (constant memory) to check that it is the same file.
    let prior = match &opts.journal_path {
        Some(j) if !opts.restart && j.exists() => journal::read_header(j).ok(),
        _ => None,
    };
    let scan = {
        let (path, display, io) = (path.clone(), display.clone(), opts.input_options.clone());
        tokio::task::spawn_blocking(move || {
            if let Some(prior) = prior {
                let mut scan = scan::fingerprint(input::open(&path)?, &display, &io)?;
                if scan.sha256 == prior.input_sha256 {
                    scan.set_duplicates(scan::Duplicates::from_groups(prior.duplicate_lines));
                    return Ok(scan);
                }
            }
            scan::scan(|| input::open(&path), &display, &io)
        })
        .await
        .context("input scan panicked")??
    };
    let opened = input::read(input::open(&path)?, &display, &opts.input_options)?;

    let header = journal_header(&opts, &display, &scan);
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
        for n in tally.failed.keys() {
            tally.done.remove(*n);
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

    // Reader thread: records in file order, checked, into a bounded channel.
    let (records_tx, mut records_rx) = mpsc::channel::<Record>(1024);
    let (events_tx, mut events_rx) = mpsc::channel::<Event>(1024);
    let skipped = Arc::new(AtomicU64::new(0));
    let reader = {
        let (events, stop, skipped) = (events_tx.clone(), stop.clone(), skipped.clone());
        tokio::task::spawn_blocking(move || {
            for (index, record) in opened.records.enumerate() {
                let mut record = match record {
                    Ok(record) => record,
                    Err(e) => {
                        let _ = events.blocking_send(Event::InputFailed(e));
                        return;
                    }
                };
                record.index = index as u64;
                if done.contains(record.index) {
                    skipped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                validate::check(&mut record);
                scan.duplicates().mark(&mut record);
                let delivered = if record.is_valid() {
                    records_tx.blocking_send(record).is_ok()
                } else {
                    events.blocking_send(Event::Invalid(record)).is_ok()
                };
                if !delivered || stop.is_cancelled() {
                    return;
                }
            }
        })
    };

    // Dispatcher: valid rows to workers, at most `concurrency` at a time.
    let pacing = Arc::new(Pacing::new(opts.rps, opts.retry.clone()));
    let dispatcher = {
        let (pacing, stop) = (pacing.clone(), stop.clone());
        let slots = Arc::new(Semaphore::new(opts.concurrency.max(1)));
        tokio::spawn(async move {
            while let Some(record) = tokio::select! {
                biased;
                _ = stop.cancelled() => None,
                r = records_rx.recv() => r,
            } {
                let permit = tokio::select! {
                    biased;
                    _ = stop.cancelled() => break,
                    p = slots.clone().acquire_owned() => p.expect("semaphore open"),
                };
                let (api, pacing, stop, events) =
                    (api.clone(), pacing.clone(), stop.clone(), events_tx.clone());
                tokio::spawn(async move {
                    let sent = send_row(&*api, &pacing, &record.row, &stop).await;
                    drop(permit);
                    let _ = events.send(Event::Sent(record, sent)).await;
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
            Event::Sent(record, sent) => {
                throttled += u64::from(sent.throttled);
                retries += u64::from(sent.attempts.saturating_sub(1));
                recorder.sent(&record, sent);
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
    report.skipped_done = skipped.load(Ordering::Relaxed);
    report.max_rps = opts.rps;
    report.final_rps = pacing.rate.snapshot().current_rps;
    report.timeline = pacing.meter.timeline();
    report.elapsed_seconds = started.elapsed().as_secs_f64();
    reporter.finished();
    Ok(report)
}

/// The journal header for this run: what must match for a later run to resume it.
fn journal_header(opts: &ApplyOptions, display: &str, scan: &scan::Scan) -> Header {
    let io = &opts.input_options;
    Header {
        kind: Header::KIND.into(),
        version: journal::FORMAT_VERSION,
        input: display.to_string(),
        input_sha256: scan.sha256.clone(),
        user_pool_id: opts.user_pool_id.clone(),
        rows_total: scan.rows,
        options: serde_json::json!({
            "format": format!("{:?}", io.format).to_lowercase(),
            "key_column": io.key_column,
            "empty_cells": format!("{:?}", io.empty_cells).to_lowercase(),
            "client_metadata": io.client_metadata,
        }),
        created_unix: journal::now_unix() as u64,
        duplicate_lines: scan.duplicates().groups(),
    }
}
