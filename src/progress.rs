//! Progress as the core reports it, and the ways of showing it: a bar on a terminal, periodic
//! log lines elsewhere, nothing with `--quiet`. The core calls a [`Reporter`]; it never prints.

use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{HumanCount, ProgressBar, ProgressDrawTarget, ProgressStyle};

mod log_lines;

pub use log_lines::LogLines;

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
    /// The sender's rate limit, calls per second (0: not a sending run, not shown).
    pub current_rps: f64,
    /// What is counted ("rows" when empty; export counts "users").
    pub unit: &'static str,
    /// Rows this run sent (a sending run's rate counts these, not the rows it skipped as
    /// done before or found unchanged or invalid).
    pub sent: u64,
    /// Rows earlier runs of the same journal finished (a resume skips them).
    pub earlier: u64,
}

impl Progress {
    fn unit(&self) -> &'static str {
        if self.unit.is_empty() {
            "rows"
        } else {
            self.unit
        }
    }

    /// The rate over `seconds`: rows sent per second in a sending run, else what was read.
    fn rate(&self, seconds: f64) -> String {
        let seconds = seconds.max(0.001);
        if self.current_rps > 0.0 {
            format!("{:.1} {} sent/s", self.sent as f64 / seconds, self.unit())
        } else {
            format!("{:.1} {}/s", self.done as f64 / seconds, self.unit())
        }
    }

    /// What follows the count: failures, throttles, retries and the rate limit of a sending
    /// run; nothing for a reading one.
    fn sending(&self) -> String {
        if self.current_rps <= 0.0 {
            return String::new();
        }
        format!(
            ", {} failed, {} throttled, {} retries, rate limit {:.1}/s",
            HumanCount(self.failed),
            HumanCount(self.throttled),
            HumanCount(self.retries),
            self.current_rps
        )
    }
}

/// What the tool is doing before rows flow, and how far it got: a phase, not a free text, so
/// that a reporter tells phases apart by their kind (the log's last word on one phase is its
/// true count before the next begins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Paging through the pool (ListUsers): users seen so far.
    ReadingPool { seen: u64 },
    /// Reading the input's users one at a time (AdminGetUser): users read so far.
    ReadingUsers { read: u64 },
    /// Deciding rows, which sends nothing: rows decided, of `total`.
    Deciding { done: u64, total: u64 },
}

impl Status {
    /// Whether `other` is the same phase (at another count).
    fn same_phase(&self, other: &Status) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::ReadingPool { seen } => write!(f, "reading the pool: {seen} users so far"),
            Status::ReadingUsers { read } => write!(f, "reading users: {read}"),
            Status::Deciding { done, total } => {
                write!(f, "deciding rows: {done}/{total} (nothing is sent)")
            }
        }
    }
}

/// What the core tells the outside world while it runs.
pub trait Reporter: Send + Sync {
    fn started(&self, total: u64);
    fn progress(&self, p: &Progress);
    /// A row that failed or was invalid, described without attribute values.
    fn row_message(&self, message: &str);
    fn warning(&self, message: &str);
    /// What the tool is doing before rows flow (reading the pool, deciding rows).
    fn status(&self, _status: Status) {}
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
            ProgressStyle::with_template("{bar:30} {human_pos}/{human_len}  ETA {eta}  {msg}")
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
        self.bar.set_message(format!(
            "{}{}",
            p.rate(self.bar.elapsed().as_secs_f64()),
            p.sending().replace(", ", "  ")
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
    fn status(&self, status: Status) {
        self.bar.set_message(status.to_string());
        self.bar.tick();
    }
    fn finished(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::Status;

    /// The words the log and the bar show (tests of the binary look for them).
    #[test]
    fn statuses_read_as_before_and_phases_are_told_apart_by_kind() {
        let pool = Status::ReadingPool { seen: 300 };
        assert_eq!(pool.to_string(), "reading the pool: 300 users so far");
        assert_eq!(
            Status::ReadingUsers { read: 100 }.to_string(),
            "reading users: 100"
        );
        let deciding = Status::Deciding {
            done: 12,
            total: 12,
        };
        assert_eq!(
            deciding.to_string(),
            "deciding rows: 12/12 (nothing is sent)"
        );
        assert!(pool.same_phase(&Status::ReadingPool { seen: 360 }));
        assert!(!pool.same_phase(&deciding));
        assert!(!pool.same_phase(&Status::ReadingUsers { read: 300 }));
    }
}
