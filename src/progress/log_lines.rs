//! The reporter for logs and pipes: plain log lines on standard error at most every so often,
//! the line held back in between logged when its phase ends. Apart from `progress.rs` (the
//! progress the core reports, and the bar): its timing and holding back are its own.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{HumanCount, HumanDuration};

use super::{Progress, Reporter, RowMessages, Status};

/// Plain log lines on standard error every `every`, for logs and pipes.
pub struct LogLines {
    every: Duration,
    last: Mutex<Option<Instant>>,
    /// The latest line not logged yet (too soon after the last one), and its phase if it is a
    /// status: logged when the phase ends, so that the last word is the true count ("reading
    /// the pool: 300 users").
    pending: Mutex<Option<(String, Option<Status>)>>,
    start: Instant,
    /// When the counted phase started (the rate is over this phase only).
    started: Mutex<Instant>,
    total: AtomicU64,
    announced: std::sync::atomic::AtomicBool,
    rows: RowMessages,
}

impl LogLines {
    pub fn new(every: Duration) -> Self {
        LogLines {
            every,
            last: Mutex::new(None),
            pending: Mutex::new(None),
            start: Instant::now(),
            started: Mutex::new(Instant::now()),
            total: AtomicU64::new(0),
            announced: std::sync::atomic::AtomicBool::new(true),
            rows: RowMessages::default(),
        }
    }
}

impl Reporter for LogLines {
    fn started(&self, total: u64) {
        self.flush();
        self.total.store(total, Ordering::Relaxed);
        *self.started.lock().expect("log lock") = Instant::now();
        // Announced with the first progress, which knows what is counted.
        self.announced.store(false, Ordering::Relaxed);
    }
    fn progress(&self, p: &Progress) {
        if !self.announced.swap(true, Ordering::Relaxed) {
            // A resumed run's first count holds the rows done by earlier runs.
            match p.earlier {
                0 => tracing::info!("{} {} to process", HumanCount(p.total), p.unit()),
                earlier => tracing::info!(
                    "{} {} to process ({} done by an earlier run)",
                    HumanCount(p.total),
                    p.unit(),
                    HumanCount(earlier)
                ),
            }
        }
        let elapsed = self.start.elapsed();
        let phase = self.started.lock().expect("log lock").elapsed();
        self.at_most_every(
            format!(
                "{}/{} {}, {}{}, {} so far",
                HumanCount(p.done),
                HumanCount(p.total),
                p.unit(),
                p.rate(phase.as_secs_f64()),
                p.sending(),
                HumanDuration(elapsed)
            ),
            None,
        );
    }
    fn row_message(&self, message: &str) {
        let (show, note) = self.rows.admit();
        if show {
            tracing::warn!("{message}");
        }
        if let Some(note) = note {
            tracing::warn!("{note}");
        }
    }
    fn warning(&self, message: &str) {
        tracing::warn!("{message}");
    }
    fn status(&self, status: Status) {
        // A new phase (reading the pool, then deciding rows): the last word of the one before
        // is logged first, so that it ends on its true count.
        let new_phase = match &*self.pending.lock().expect("log lock") {
            Some((_, held)) => !held.is_some_and(|held| held.same_phase(&status)),
            None => false,
        };
        if new_phase {
            self.flush();
        }
        self.at_most_every(status.to_string(), Some(status));
    }
    fn finished(&self) {
        self.flush();
    }
}

impl LogLines {
    /// Logs `message` unless a line was logged less than `every` ago; then it is held back
    /// (with its `status`, if it is one), and logged when the phase ends unless a newer one
    /// replaces it first.
    fn at_most_every(&self, message: String, status: Option<Status>) {
        let mut last = self.last.lock().expect("log lock");
        let mut pending = self.pending.lock().expect("log lock");
        let now = Instant::now();
        if last.is_none_or(|t| now - t >= self.every) {
            *last = Some(now);
            *pending = None;
            tracing::info!("{message}");
        } else {
            *pending = Some((message, status));
        }
    }

    /// Logs the line held back, if any.
    fn flush(&self) {
        if let Some((message, _)) = self.pending.lock().expect("log lock").take() {
            tracing::info!("{message}");
        }
    }
}
