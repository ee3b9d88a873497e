//! `apply`: the whole run, wired as a one-way flow:
//! input (scan, then stream) -> validation -> workers -> recorder -> report.
//!
//! A blocking thread reads and checks rows; the dispatcher hands valid rows to at most
//! `concurrency` workers, each pacing its calls through the shared [`RateControl`]; every
//! finished row goes to the recorder (this task), which alone counts, writes failed rows and
//! decides to stop the run.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use crate::input::{self, InputError, InputOptions};
use crate::progress::{Progress, Reporter};
use crate::report::{FailedRows, Report};
use crate::row::Record;
use crate::scan;
use crate::sender::{Api, ErrorKind, Pacing, RetryPolicy, SendResult, Sent, send_row};
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
}

/// What flows from the reader and the workers to the recorder.
enum Event {
    Invalid(Record),
    Sent(Record, Sent),
    /// The input could not be read on: the run stops.
    InputFailed(InputError),
}

/// Runs `apply` to the end (or to a stop) and returns its report. Errors are for setup
/// problems found before any write, such as an unreadable input or a bad header.
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

    let scan = {
        let (path, display, io) = (path.clone(), display.clone(), opts.input_options.clone());
        tokio::task::spawn_blocking(move || scan::scan(input::open(&path)?, &display, &io))
            .await
            .context("input scan panicked")??
    };
    let opened = input::read(input::open(&path)?, &display, &opts.input_options)?;
    let mut failed = FailedRows::new(opts.failed_path.clone(), opened.csv_header);

    let mut report = Report {
        input: display.clone(),
        user_pool_id: opts.user_pool_id.clone(),
        input_sha256: scan.sha256.clone(),
        rows_total: scan.rows,
        max_rps: opts.rps,
        ..Report::default()
    };
    reporter.started(scan.rows);

    // Reader thread: records in file order, checked, into a bounded channel.
    let (records_tx, mut records_rx) = mpsc::channel::<Record>(1024);
    let (events_tx, mut events_rx) = mpsc::channel::<Event>(1024);
    let reader_events = events_tx.clone();
    let reader_stop = stop.clone();
    let reader = tokio::task::spawn_blocking(move || {
        for record in opened.records {
            match record {
                Ok(mut record) => {
                    validate::check(&mut record);
                    scan.duplicates().mark(&mut record);
                    let delivered = if record.is_valid() {
                        records_tx.blocking_send(record).is_ok()
                    } else {
                        reader_events.blocking_send(Event::Invalid(record)).is_ok()
                    };
                    if !delivered || reader_stop.is_cancelled() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = reader_events.blocking_send(Event::InputFailed(e));
                    return;
                }
            }
        }
    });

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

    // Recorder: the only place that counts and writes.
    while let Some(event) = events_rx.recv().await {
        match event {
            Event::Invalid(record) => {
                let invalid = record.invalid(&display);
                report.invalid += 1;
                report.count_failure(invalid.code());
                reporter.row_message(&invalid.to_string());
                let written = failed.write(&record.raw, invalid.code(), &invalid.message());
                stop_on_write_error(written, &failed, &mut report, &stop);
            }
            Event::Sent(record, sent) => {
                report.api_calls += u64::from(sent.attempts);
                report.retries += u64::from(sent.attempts.saturating_sub(1));
                report.throttled += u64::from(sent.throttled);
                report.unknown_outcomes += u64::from(sent.unknown_outcomes);
                match sent.result {
                    SendResult::Updated => report.updated += 1,
                    SendResult::Interrupted => {}
                    SendResult::Failed(err) => {
                        report.failed += 1;
                        report.count_failure(&err.code);
                        let user = &record.row.username;
                        reporter.row_message(&format!(
                            "{display}:{}: user {user:?}: {err}",
                            record.row.line
                        ));
                        let written = failed.write(&record.raw, &err.code, &err.message);
                        stop_on_write_error(written, &failed, &mut report, &stop);
                        if err.kind == ErrorKind::Fatal && report.stopped.is_none() {
                            report.stopped = Some(format!(
                                "{}: {} (every other row would fail the same way)",
                                err.code, err.message
                            ));
                            stop.cancel();
                        }
                    }
                }
            }
            Event::InputFailed(e) => {
                report
                    .stopped
                    .get_or_insert(format!("cannot read the input: {e}"));
                stop.cancel();
            }
        }
        let snapshot = pacing.rate.snapshot();
        reporter.progress(&Progress {
            done: report.done(),
            total: report.rows_total,
            failed: report.failed + report.invalid,
            throttled: report.throttled,
            retries: report.retries,
            current_rps: snapshot.current_rps,
        });
    }
    // The channel closes once the reader, the dispatcher and every worker are done.
    let _ = reader.await;
    let _ = dispatcher.await;
    let flushed = failed.flush();
    stop_on_write_error(flushed, &failed, &mut report, &stop);
    if stop.is_cancelled() && report.stopped.is_none() {
        report.stopped = Some("interrupted".into());
    }
    report.not_attempted = report.rows_total - report.done();
    report.final_rps = pacing.rate.snapshot().current_rps;
    report.timeline = pacing.meter.timeline();
    report.failed_rows_file = (failed.rows > 0).then(|| failed.path().display().to_string());
    report.elapsed_seconds = started.elapsed().as_secs_f64();
    reporter.finished();
    Ok(report)
}

/// A row outcome that cannot be written down must not be followed by more calls.
fn stop_on_write_error(
    written: std::io::Result<()>,
    failed: &FailedRows,
    report: &mut Report,
    stop: &CancellationToken,
) {
    if let Err(e) = written {
        report
            .stopped
            .get_or_insert(format!("cannot write {}: {e}", failed.path().display()));
        stop.cancel();
    }
}
