//! What a run did: counters kept while it runs (the tally of its journal, `tally.rs`), the
//! JSON report and the human summary.

mod failed;
pub mod formats;
pub mod html;
mod tally;

pub use failed::FailedRows;
pub use tally::Tally;

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::cognito::pacing::Second;

/// The JSON report (`INPUT.report.json`). Field names are a public interface: add, never rename.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Report {
    pub input: String,
    pub user_pool_id: String,
    pub input_sha256: String,
    pub rows_total: u64,
    pub updated: u64,
    /// The operations the updated rows made, by kind (`{"set_attribute": 3, ...}`; a
    /// `*_verified` flag Cognito reset counts as set).
    pub ops: crate::model::op::Counts,
    pub failed: u64,
    pub invalid: u64,
    /// Rows whose attributes already had their target values: not sent.
    pub unchanged: u64,
    /// A plan's rows whose users changed since the plan was made: left alone, not sent
    /// (`--force` sends them anyway).
    pub conflicts: u64,
    /// Rows neither finished nor found invalid because the run stopped first.
    pub not_attempted: u64,
    pub api_calls: u64,
    pub throttled: u64,
    pub retries: u64,
    /// Retries after a connection broke once the request may have been sent.
    pub unknown_outcomes: u64,
    /// Rows whose last call may have been applied (the connection broke or timed out after the
    /// request was sent) with no retry left: counted in `failed` too, decided again by the next
    /// run, restored by rollback if they were applied.
    pub unknown_rows: u64,
    pub elapsed_seconds: f64,
    pub failures_by_code: BTreeMap<String, u64>,
    /// Why the run stopped early, if it did.
    pub stopped: Option<String>,
    /// For `report` of a journal a run is writing now: where that run is (then `stopped`
    /// is absent: it has not stopped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_progress: Option<String>,
    pub failed_rows_file: Option<String>,
    /// The journal this run recorded to.
    pub journal: Option<String>,
    /// Rows skipped because an earlier run of the same journal finished them.
    pub skipped_done: u64,
    /// Users this run changed an email or phone number of without marking it verified
    /// (allowed by --allow-verification-messages): Cognito sent each a message.
    pub verification_messages: u64,
    /// Users whose email or phone change this run left pending until they confirm the code
    /// (the pool requires verification before update): the pool keeps the old value.
    pub pending_changes: u64,
    /// Set when the run stopped at `--limit` changes.
    pub limit: Option<u64>,
    /// Where current values came from (list, get), or none.
    pub current_state: Option<String>,
    pub max_rps: f64,
    pub final_rps: f64,
    /// Second by second: calls, successes, throttles, errors and the rate limit (the rows'
    /// calls, every write category added up).
    pub timeline: Vec<Second>,
    /// Each quota category the run called in (UserUpdate, UserRead, ...): its pacer's ceiling
    /// and final rate, its calls, throttles and timeline.
    pub categories: Vec<crate::cognito::pacing::CategoryFigures>,
    /// When the run started and ended (RFC 3339, UTC).
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// Most calls in flight at once (`--concurrency`).
    pub concurrency: Option<u64>,
    /// The first rows that failed or were invalid (at most [`FIRST_FAILURES`]); never values.
    pub first_failures: Vec<FailedRow>,
    /// A rollback's: what the run it undoes did that cannot be undone (sign-outs; a flag or
    /// membership whose state before the run was not read), left as it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_reversible: Option<crate::model::op::not_reversible::NotReversible>,
}

/// How many failed rows the report describes; all of them are in the failed-rows file.
pub const FIRST_FAILURES: usize = 20;

/// A row that failed or was invalid, as the report describes it: where, who and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedRow {
    pub line: u64,
    pub user: String,
    pub code: String,
    pub message: Option<String>,
}

/// One category's line of the summary: its calls, throttles and rates.
pub fn category_line(c: &crate::cognito::pacing::CategoryFigures) -> String {
    let mut line = format!(
        "{}: {} calls, {} throttled, {} other errors",
        c.category, c.calls, c.throttles, c.errors
    );
    if c.max_rps > 0.0 {
        let _ = write!(
            line,
            "; at most {:.1}/s, {:.1}/s at the end",
            c.max_rps, c.final_rps
        );
    }
    line
}

/// Seconds since 1970 as RFC 3339 in UTC, e.g. `2026-11-30T14:00:00Z`.
pub fn rfc3339(unix: f64) -> String {
    use aws_sdk_cognitoidentityprovider::primitives::{DateTime, DateTimeFormat};
    DateTime::from_secs(unix as i64)
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_else(|_| format!("{unix:.0}"))
}

impl Report {
    pub fn count_failure(&mut self, code: &str) {
        *self.failures_by_code.entry(code.to_string()).or_default() += 1;
    }

    /// Rows finished one way or another.
    pub fn done(&self) -> u64 {
        self.updated + self.failed + self.invalid + self.unchanged + self.conflicts
    }

    /// A few lines for a person at the end of a run.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} rows: {} updated, {} unchanged, {} failed, {} invalid{}",
            self.rows_total,
            self.updated,
            self.unchanged,
            self.failed,
            self.invalid,
            if self.not_attempted > 0 {
                format!(", {} not attempted", self.not_attempted)
            } else {
                String::new()
            },
        );
        if self.conflicts > 0 {
            let _ = writeln!(
                s,
                "{} conflicts: users changed since the plan was made or read, left alone (--force sends them, except a user deleted and made again, who is never a target)",
                self.conflicts
            );
        }
        if self.skipped_done > 0 {
            let _ = writeln!(
                s,
                "{} rows skipped: already done by an earlier run",
                self.skipped_done
            );
        }
        if self.ops.total() > 0 {
            let _ = writeln!(s, "operations: {}", self.ops.line());
        }
        for line in self.not_reversible.iter().flat_map(|n| n.lines()) {
            let _ = writeln!(s, "{line}");
        }
        // Calls and time are this run's; the row counts above cover every run of the journal.
        let _ = writeln!(
            s,
            "{}{} API calls, {} throttled, {} retries in {:.1}s",
            if self.skipped_done > 0 {
                "this run: "
            } else {
                ""
            },
            self.api_calls,
            self.throttled,
            self.retries,
            self.elapsed_seconds
        );
        for c in &self.categories {
            let _ = writeln!(s, "  {}", category_line(c));
        }
        self.closing_lines(&mut s);
        s
    }

    /// The summary's last lines: failures, files, messages, and why the run stopped.
    fn closing_lines(&self, s: &mut String) {
        if !self.failures_by_code.is_empty() {
            let codes: Vec<String> = self
                .failures_by_code
                .iter()
                .map(|(c, n)| format!("{c} x{n}"))
                .collect();
            let _ = writeln!(s, "failures: {}", codes.join(", "));
        }
        if let Some(f) = &self.failed_rows_file {
            let _ = writeln!(s, "failed and invalid rows: {f}");
        }
        if self.verification_messages > 0 {
            let _ = writeln!(
                s,
                "{} users were sent a verification message",
                self.verification_messages
            );
        }
        if self.pending_changes > 0 {
            let _ = writeln!(
                s,
                "{} users' address changes are pending until they confirm the code (the old address stays until then)",
                self.pending_changes
            );
        }
        if let Some(limit) = self.limit {
            let _ = writeln!(
                s,
                "stopped after --limit {limit} changes; run the same command again to go on"
            );
        }
        if let Some(why) = &self.stopped {
            let _ = writeln!(s, "STOPPED: {why}");
        }
        if let Some(where_) = &self.in_progress {
            let _ = writeln!(s, "IN PROGRESS: {where_}");
        }
    }
}
