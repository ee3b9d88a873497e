//! How the recorder keeps what it records: the journal first, then the failed-rows file, made
//! durable every second; and what it reads back from them, the progress while the run goes and
//! the report at the end. Apart from `recorder.rs`, which decides what each outcome records
//! and when the run stops.

use std::time::Instant;

use super::Recorder;
use crate::journal::Entry;
use crate::model::row::Record;
use crate::progress::Progress;
use crate::report::Report;

impl Recorder {
    /// Journal first: a row whose outcome cannot be recorded stops the run.
    pub(super) fn write(&mut self, entry: &Entry) -> bool {
        self.tally.record(entry);
        let Some(journal) = self.journal.as_mut() else {
            return true;
        };
        let due = self.last_sync.elapsed().as_secs() >= 1;
        let written = journal
            .record(entry)
            .and_then(|()| if due { journal.sync() } else { Ok(()) });
        if due {
            self.last_sync = Instant::now();
        }
        if let Err(e) = written {
            let path = journal.path().display().to_string();
            self.stop(format!("cannot write the journal {path}: {e}"));
            return false;
        }
        true
    }

    pub(super) fn write_failed(&mut self, record: &Record, code: &str, message: &str) {
        if let Err(e) = self.failed.write(&record.raw, code, message) {
            let path = self.failed.path().display().to_string();
            self.stop(format!("cannot write {path}: {e}"));
        }
    }

    /// Makes everything recorded so far durable (called every second and at the end).
    pub fn sync(&mut self) {
        self.last_sync = Instant::now();
        if let Some(journal) = self.journal.as_mut()
            && let Err(e) = journal.sync()
        {
            let path = journal.path().display().to_string();
            self.stop(format!("cannot write the journal {path}: {e}"));
        }
        if let Err(e) = self.failed.flush() {
            let path = self.failed.path().display().to_string();
            self.stop(format!("cannot write {path}: {e}"));
        }
    }

    pub fn progress(&self, throttled: u64, retries: u64, current_rps: f64) -> Progress {
        let r = &self.tally.report;
        Progress {
            done: r.done(),
            total: r.rows_total,
            failed: r.failed + r.invalid,
            throttled,
            retries,
            current_rps,
            unit: "rows",
            sent: self.sent,
            earlier: self.earlier_done,
        }
    }

    /// The report over the whole journal; the caller adds this run's own figures.
    pub fn finish(mut self) -> Report {
        self.sync();
        let mut report = self.tally.to_report();
        let (calls, throttled, retries) = self.earlier_calls;
        report.api_calls -= calls;
        report.throttled -= throttled;
        report.retries -= retries;
        report.stopped = self.stopped.take();
        report.verification_messages = self.verification_messages;
        report.pending_changes = self.pending_changes;
        report.unknown_outcomes = self.unknown_outcomes;
        report.failed_rows_file = std::fs::metadata(self.failed.path())
            .is_ok_and(|m| m.len() > 0)
            .then(|| self.failed.path().display().to_string());
        report.journal = self
            .journal
            .as_ref()
            .map(|j| j.path().display().to_string());
        report
    }
}
