//! The moving parts of a run: the reader thread (records in file order, decided), the
//! dispatcher (rows to at most `concurrency` workers, each pacing its calls through the shared
//! [`Pacers`], one a quota category) and the recording loop, the only place that counts and
//! writes.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::ApplyOptions;
use crate::cognito::Pool;
use crate::cognito::pacing::Pacers;
use crate::journal::DoneSet;
use crate::progress::Reporter;
use crate::rows::input::Records;
use crate::send::recorder::Recorder;

use super::turn::{SendTime, send_one};
use crate::send::stream::{self, Checks, Event, StreamCounts, Work};

/// A run under way: its tasks and where their events arrive.
pub(super) struct Flow {
    events: mpsc::Receiver<Event>,
    reader: JoinHandle<()>,
    dispatcher: JoinHandle<()>,
    counts: Arc<StreamCounts>,
}

/// Starts the reader thread and the dispatcher.
pub(super) fn start<P: Pool>(
    records: Records,
    done: DoneSet,
    checks: Checks,
    pool: Arc<P>,
    pacers: &Arc<Pacers>,
    opts: &ApplyOptions,
    stop: &CancellationToken,
) -> Flow {
    // Bounded channels: the reader never runs far ahead of the sending.
    let (work_tx, work_rx) = mpsc::channel::<Work>(1024);
    let (events_tx, events) = mpsc::channel::<Event>(1024);
    let counts = Arc::new(StreamCounts::default());
    let reader = {
        let (events, stop, counts) = (events_tx.clone(), stop.clone(), counts.clone());
        tokio::task::spawn_blocking(move || {
            stream::read_rows(records, done, checks, work_tx, events, stop, counts)
        })
    };
    let at = Arc::new(SendTime::new(opts.read_before_write.is_some(), opts.force));
    let dispatcher = tokio::spawn(dispatch(
        pool,
        pacers.clone(),
        at,
        work_rx,
        events_tx,
        opts.concurrency.max(1),
        stop.clone(),
    ));
    Flow {
        events,
        reader,
        dispatcher,
        counts,
    }
}

/// Hands rows to workers, at most `concurrency` at a time, until the reader is done or the
/// run stops; each worker sends its row (`send.rs`: read, check, intent, update) and reports
/// the outcome as an event.
async fn dispatch<P: Pool>(
    pool: Arc<P>,
    pacers: Arc<Pacers>,
    at: Arc<SendTime>,
    mut work_rx: mpsc::Receiver<Work>,
    events: mpsc::Sender<Event>,
    concurrency: usize,
    stop: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(concurrency));
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
        let (pool, pacers, at, stop, events) = (
            pool.clone(),
            pacers.clone(),
            at.clone(),
            stop.clone(),
            events.clone(),
        );
        tokio::spawn(async move {
            let event = send_one(&*pool, &pacers, &at, work, &events, &stop).await;
            drop(permit);
            if let Some(event) = event {
                let _ = events.send(event).await;
            }
        });
    }
}

/// Records every event until the reader, the dispatcher and every worker are done. Ticks make
/// the journal durable at least every second even when no row finishes.
pub(super) async fn record(
    mut flow: Flow,
    mut recorder: Recorder,
    pacers: &Pacers,
    reporter: &dyn Reporter,
) -> (Recorder, Arc<StreamCounts>) {
    let (mut throttled, mut retries) = (0u64, 0u64);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        let event = tokio::select! {
            e = flow.events.recv() => match e {
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
            Event::Conflict(record, names) => recorder.conflict(&record, &names),
            Event::Recovered(record, before) => recorder.recovered(&record, before),
            Event::Sent(work, sent) => {
                throttled += u64::from(sent.throttled);
                retries += u64::from(sent.attempts.saturating_sub(work.calls_sent.max(1)));
                recorder.sent(&work, sent);
            }
            Event::Intent(work, ack) => {
                let written = recorder.intent(&work);
                let _ = ack.send((work, written));
            }
            Event::Step(work, op, ack) => {
                let written = recorder.step(&work, op);
                let _ = ack.send((work, written));
            }
            Event::InputFailed(e) => recorder.stop(format!("cannot read the input: {e}")),
        }
        let rate = pacers.writes_rps();
        reporter.progress(&recorder.progress(throttled, retries, rate));
    }
    // The channel closes once the reader, the dispatcher and every worker are done.
    let _ = flow.reader.await;
    let _ = flow.dispatcher.await;
    (recorder, flow.counts)
}
