//! Progress as the core reports it, and the ways of showing it: a bar on a terminal, periodic
//! log lines elsewhere, nothing with `--quiet`. The core calls a [`Reporter`]; it never prints.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// At most this many row messages are shown; the rest are in the failed-rows file.
const MAX_ROW_MESSAGES: u64 = 20;

/// A snapshot of a run in progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    pub failed: u64,
    pub throttled: u64,
    pub retries: u64,
    pub current_rps: f64,
}

/// What the core tells the outside world while it runs.
pub trait Reporter: Send + Sync {
    fn started(&self, total: u64);
    fn progress(&self, p: &Progress);
    /// A row that failed or was invalid, described without attribute values.
    fn row_message(&self, message: &str);
    fn warning(&self, message: &str);
    /// What the tool is doing before rows flow (reading the pool, ...).
    fn status(&self, _message: &str) {}
    fn finished(&self);
}

/// Reports nothing (`--quiet`).
pub struct Quiet;

impl Reporter for Quiet {
    fn started(&self, _: u64) {}
    fn progress(&self, _: &Progress) {}
    fn row_message(&self, _: &str) {}
    fn warning(&self, _: &str) {}
    fn finished(&self) {}
}

/// Counts row messages so that a run with a million bad rows does not print a million lines.
#[derive(Default)]
struct RowMessages(AtomicU64);

impl RowMessages {
    /// Whether to show this message, and a note when the limit is first passed.
    fn admit(&self) -> (bool, Option<String>) {
        let n = self.0.fetch_add(1, Ordering::Relaxed);
        match n.cmp(&MAX_ROW_MESSAGES) {
            std::cmp::Ordering::Less => (true, None),
            std::cmp::Ordering::Equal => (
                false,
                Some("more failed rows are not shown: see the failed-rows file".into()),
            ),
            std::cmp::Ordering::Greater => (false, None),
        }
    }
}

/// A progress bar on standard error, for a terminal.
pub struct Bar {
    bar: ProgressBar,
    rows: RowMessages,
}

impl Bar {
    pub fn new() -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(5));
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len}  ETA {eta}  {msg}")
                .expect("valid template"),
        );
        Bar {
            bar,
            rows: RowMessages::default(),
        }
    }
}

impl Default for Bar {
    fn default() -> Self {
        Self::new()
    }
}

impl Reporter for Bar {
    fn started(&self, total: u64) {
        self.bar.set_length(total);
        self.bar.reset_elapsed();
    }
    fn progress(&self, p: &Progress) {
        self.bar.set_position(p.done);
        let per_sec = p.done as f64 / self.bar.elapsed().as_secs_f64().max(0.001);
        self.bar.set_message(format!(
            "{per_sec:.1}/s  failed {}  throttled {}  retries {}  rate limit {:.1}/s",
            p.failed, p.throttled, p.retries, p.current_rps
        ));
    }
    fn row_message(&self, message: &str) {
        let (show, note) = self.rows.admit();
        if show {
            self.bar.println(message);
        }
        if let Some(note) = note {
            self.bar.println(note);
        }
    }
    fn warning(&self, message: &str) {
        self.bar.println(format!("warning: {message}"));
    }
    fn status(&self, message: &str) {
        self.bar.set_message(message.to_string());
        self.bar.tick();
    }
    fn finished(&self) {
        self.bar.finish_and_clear();
    }
}

/// Plain log lines on standard error every `every`, for logs and pipes.
pub struct LogLines {
    every: Duration,
    last: Mutex<Option<Instant>>,
    start: Instant,
    total: AtomicU64,
    rows: RowMessages,
}

impl LogLines {
    pub fn new(every: Duration) -> Self {
        LogLines {
            every,
            last: Mutex::new(None),
            start: Instant::now(),
            total: AtomicU64::new(0),
            rows: RowMessages::default(),
        }
    }
}

impl Reporter for LogLines {
    fn started(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        tracing::info!("{total} rows to process");
    }
    fn progress(&self, p: &Progress) {
        let mut last = self.last.lock().expect("log lock");
        let now = Instant::now();
        if last.is_some_and(|t| now - t < self.every) {
            return;
        }
        *last = Some(now);
        let secs = self.start.elapsed().as_secs_f64().max(0.001);
        tracing::info!(
            "{}/{} rows, {:.1} rows/s, {} failed, {} throttled, {} retries, rate limit {:.1}/s",
            p.done,
            p.total,
            p.done as f64 / secs,
            p.failed,
            p.throttled,
            p.retries,
            p.current_rps
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
    fn status(&self, message: &str) {
        let mut last = self.last.lock().expect("log lock");
        let now = Instant::now();
        if last.is_none_or(|t| now - t >= self.every) {
            *last = Some(now);
            tracing::info!("{message}");
        }
    }
    fn finished(&self) {}
}
