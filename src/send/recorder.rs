//! The recorder: the one place where finished rows are written down and counted. Every outcome
//! goes to the journal first, then to the failed-rows file and the tally; the recorder also
//! trips the breakers that stop a run (a fatal answer, too many failures, a journal that cannot
//! be written).

use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::cognito::pacing::{CallError, ErrorKind, SendResult, Sent};
use crate::journal::{Journal, Outcome};
use crate::model::row::{Code, Record};
use crate::progress::Reporter;
use crate::report::{FailedRows, Tally};
use crate::send::stream::Work;

mod entries;
mod keeping;

/// How a computed run's conflict says it is sent anyway.
const PLAN_FORCE: &str = "`apply --plan` of this plan with --force, printed at the end of the run,";

/// Rows that must have been sent in this run before `--max-failure-rate` can trip.
pub const BREAKER_MIN_ROWS: u64 = 100;

pub struct Recorder {
    display: String,
    /// None with `--no-journal`.
    journal: Option<Journal>,
    failed: FailedRows,
    /// Counts over the whole journal, earlier runs included.
    tally: Tally,
    reporter: std::sync::Arc<dyn Reporter>,
    stop: CancellationToken,
    max_failure_rate: f64,
    /// This run only.
    sent: u64,
    sent_failed: u64,
    /// Retries after a lost answer, this run.
    pub unknown_outcomes: u64,
    /// Users this run changed an email or phone number of without keeping it verified.
    pub verification_messages: u64,
    /// Users whose address change this run left pending.
    pub pending_changes: u64,
    pub stopped: Option<String>,
    last_sync: Instant,
    /// Conflicts are sent anyway by `apply --plan` with `--force`, not by this command.
    force_elsewhere: bool,
    /// API calls, throttles and retries of earlier runs of the journal: the report's call
    /// counts are this run's, like its elapsed time and timeline.
    earlier_calls: (u64, u64, u64),
    /// Rows earlier runs of the journal finished.
    earlier_done: u64,
}

impl Recorder {
    pub fn new(
        display: String,
        journal: Option<Journal>,
        failed: FailedRows,
        tally: Tally,
        reporter: std::sync::Arc<dyn Reporter>,
        stop: CancellationToken,
        max_failure_rate: f64,
    ) -> Self {
        let r = &tally.report;
        let earlier_calls = (r.api_calls, r.throttled, r.retries);
        let earlier_done = r.done();
        Recorder {
            earlier_calls,
            earlier_done,
            display,
            journal,
            failed,
            tally,
            reporter,
            stop,
            max_failure_rate,
            sent: 0,
            sent_failed: 0,
            unknown_outcomes: 0,
            verification_messages: 0,
            pending_changes: 0,
            stopped: None,
            last_sync: Instant::now(),
            force_elsewhere: false,
        }
    }

    /// Conflicts say how to send them anyway where this command with `--force` would not:
    /// `force` is that command (printed at the end of the run).
    pub fn advising_force(mut self, force: Option<String>) -> Self {
        self.force_elsewhere = force.is_some();
        self
    }

    /// Stops the run; the first reason given is the one reported.
    pub fn stop(&mut self, reason: String) {
        self.stopped.get_or_insert(reason);
        self.stop.cancel();
    }

    pub fn invalid(&mut self, record: &Record) {
        let invalid = record.invalid(&self.display);
        self.reporter.row_message(&invalid.to_string());
        if self
            .tally
            .same_as_before(record.index, Outcome::Invalid, invalid.code().as_str())
        {
            // Decided again with the same result: already in the journal and failed rows.
            self.tally.done.insert(record.index);
            return;
        }
        let mut entry = entries::entry(
            record,
            Outcome::Invalid,
            Some(invalid.code().to_string()),
            0,
            0,
        );
        entry.message = Some(invalid.message());
        if self.write(&entry) {
            self.write_failed(record, invalid.code().as_str(), &invalid.message());
        }
    }

    /// The pre-read found no such user: the row fails as the call would have.
    pub fn not_found(&mut self, record: &Record) {
        let code = Code::UserNotFound.as_str();
        // A plan's row left out as not found says why, and its input line.
        let message = match record.not_found_by_plan() {
            Some(p) => p.message.as_str(),
            None => "the user does not exist (found when reading current values)",
        };
        self.report_failure(record, code, message);
        let mut entry = entries::entry(record, Outcome::Failed, Some(code.into()), 0, 0);
        entry.message = Some(message.into());
        if self.write(&entry) {
            self.write_failed(record, code, message);
        }
    }

    /// A plan's row whose user changed since the plan was made: left alone, listed.
    pub fn conflict(&mut self, record: &Record, names: &[String]) {
        // Where --force on the same command would not send it (a computed run), say what does.
        let message = match self.force_elsewhere {
            true => crate::decide::all::conflict_sent_by(names, PLAN_FORCE),
            false => crate::decide::all::conflict(names),
        };
        let (line, user) = (record.row.line, &record.row.username);
        self.reporter.row_message(&format!(
            "{}:{line}: user {user:?}: {message}",
            self.display
        ));
        if self
            .tally
            .same_as_before(record.index, Outcome::Conflict, "")
        {
            self.tally.done.insert(record.index);
            return;
        }
        if self.write(&entries::entry(
            record,
            Outcome::Conflict,
            Some("Conflict".into()),
            0,
            0,
        )) {
            self.write_failed(record, "Conflict", &message);
        }
    }

    /// A row whose earlier outcome was unknown and whose values the pool now holds: it was
    /// applied. Recorded as updated with the values from before the first attempt, so that
    /// rollback restores it.
    pub fn recovered(&mut self, record: &Record, before: crate::model::row::Before) {
        let mut entry = entries::entry(record, Outcome::Updated, None, 0, 0);
        entry.after = Some(entries::recovered_after(record, &before));
        entry.before = Some(before);
        self.write(&entry);
    }

    /// Nothing to change: recorded as done, nothing sent.
    pub fn unchanged(&mut self, record: &Record) {
        self.write(&entries::entry(record, Outcome::Unchanged, None, 0, 0));
    }

    pub fn sent(&mut self, work: &Work, sent: Sent) {
        let record = &work.record;
        // A call may have been applied though no answer said so.
        let maybe_applied = sent.unknown_outcomes > 0;
        self.unknown_outcomes += u64::from(sent.unknown_outcomes);
        let (outcome, err) = match sent.result {
            SendResult::Interrupted if maybe_applied => {
                let err = CallError::new(
                    ErrorKind::Transient,
                    crate::cognito::codes::INTERRUPTED,
                    "interrupted after a call whose answer was lost",
                );
                (Outcome::Unknown, Some(err))
            }
            // Not finished: not recorded, so a resumed run sends it again.
            SendResult::Interrupted => return,
            SendResult::Updated => {
                self.verification_messages += u64::from(work.messages > 0);
                self.pending_changes += u64::from(!work.pending.is_empty());
                (Outcome::Updated, None)
            }
            SendResult::Failed(err) if maybe_applied || err.maybe_applied => {
                (Outcome::Unknown, Some(err))
            }
            SendResult::Failed(err) => (Outcome::Failed, Some(err)),
        };
        let code = err.as_ref().map(|e| e.code.clone());
        let mut entry = entries::entry(record, outcome, code, sent.attempts, sent.throttled);
        entry.before = work.before.clone();
        entry.message = err.as_ref().map(|e| e.message.clone());
        if entry.before.is_some() {
            entries::sent_after(work, outcome, &mut entry);
        }
        entries::others(work, &mut entry, true);
        if !self.write(&entry) {
            return;
        }
        self.sent += 1;
        let Some(err) = err else {
            return;
        };
        self.sent_failed += 1;
        self.report_failure(record, &err.code, &err.message);
        self.write_failed(record, &err.code, &err.message);
        self.trip_breakers(&err);
    }

    /// A fatal answer, or more failures than `--max-failure-rate` allows once
    /// [`BREAKER_MIN_ROWS`] rows were sent, stops the run.
    fn trip_breakers(&mut self, err: &CallError) {
        if err.kind == ErrorKind::Fatal {
            self.stop(format!(
                "{}: {} (every other row would fail the same way)",
                err.code, err.message
            ));
        } else if self.sent >= BREAKER_MIN_ROWS
            && self.sent_failed as f64 > self.max_failure_rate * self.sent as f64
        {
            self.stop(format!(
                "{} of the {} rows sent failed, more than --max-failure-rate {:.0}%",
                self.sent_failed,
                self.sent,
                self.max_failure_rate * 100.0
            ));
        }
    }

    /// Writes a row's intent before its call is sent: the user's values just before it and
    /// what it sets. Returns false when it cannot be written (the run is then stopped, and
    /// the call must not be sent: it could not be undone).
    pub fn intent(&mut self, work: &Work) -> bool {
        let mut entry = entries::entry(&work.record, Outcome::Intent, None, 0, 0);
        entry.before = work.before.clone();
        entry.after = Some(entries::after_values(work));
        entries::others(work, &mut entry, false);
        self.write(&entry)
    }

    /// Writes what one of a row's calls did (None: the attribute call; else the operation)
    /// before the next is sent; false when it cannot be written (the next is not sent).
    pub fn step(&mut self, work: &Work, op: Option<crate::model::op::OpDiff>) -> bool {
        let entry = entries::step(work, op);
        self.write(&entry)
    }

    /// `FILE:LINE: user "NAME": CODE: MESSAGE`, for the reporter.
    fn report_failure(&self, record: &Record, code: &str, message: &str) {
        let (line, user) = (record.row.line, &record.row.username);
        self.reporter.row_message(&format!(
            "{}:{line}: user {user:?}: {code}: {message}",
            self.display
        ));
    }
}
