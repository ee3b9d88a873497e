//! The run's tally: a journal's entries counted into a [`Report`], and what each row's latest
//! outcome means for the next run (failed rows `--retry-failed` sends again, rows decided
//! again, rows of unknown outcome, calls in flight). The same counting serves a journal
//! loaded to resume, the recorder during a run, and `cognito-bulk report`.

use std::collections::BTreeMap;
use std::path::Path;

use super::{FIRST_FAILURES, FailedRow, Report};
use crate::journal::{self, Counts, DoneSet, Entry, Header, HeldRate, LoadError, Outcome};
use crate::model::row::Before;

/// What a journal's entries add up to.
#[derive(Debug)]
pub struct Tally {
    pub header: Header,
    /// Rows finished (updated, failed or invalid).
    pub done: DoneSet,
    /// Rows whose latest outcome is `failed`, with their code: `--retry-failed` sends these
    /// again. Memory is proportional to the failures, which the breakers keep few.
    pub failed: BTreeMap<u64, String>,
    /// Rows whose latest outcome is `invalid` or `conflict`, with their code: decided again
    /// by every run (that costs no call), so that a flag added since takes effect.
    pub redecide: BTreeMap<u64, (Outcome, String)>,
    /// Rows whose latest outcome is `unknown`, with their code and the values before the
    /// first attempt: decided again by every run, which keeps these before-values.
    pub unknown: BTreeMap<u64, (String, Before)>,
    /// Rows with an intent entry and no outcome after it (yet): in flight, or in flight when
    /// the process died. Their before-values, as written before the call was sent.
    pub intents: BTreeMap<u64, Before>,
    /// What the calls of rows not finished as updated already did (their step entries,
    /// format 4): a resume sends none of it again.
    pub steps: BTreeMap<u64, journal::steps::Done>,
    /// Counts rebuilt from the entries.
    pub report: Report,
    /// Unix time of the first and last entries.
    pub first_t: Option<f64>,
    pub last_t: Option<f64>,
    /// The rate the last run held at its end, where a resumed run's pacer starts.
    pub held: HeldRate,
}

impl Tally {
    /// Reads the journal at `path` and counts it; with what the journal itself tells (its
    /// header, finished rows, torn tail).
    pub fn load(path: &Path) -> Result<(Tally, journal::Loaded), LoadError> {
        journal::load_counted(path).map(|(loaded, tally)| (tally, loaded))
    }

    /// The tally of a journal that has only its header.
    pub fn new(header: Header) -> Tally {
        Tally {
            report: Report {
                input: header.input.clone(),
                user_pool_id: header.user_pool_id.clone(),
                input_sha256: header.input_sha256.clone(),
                rows_total: header.rows_total,
                ..Report::default()
            },
            header,
            done: DoneSet::default(),
            failed: BTreeMap::new(),
            redecide: BTreeMap::new(),
            unknown: BTreeMap::new(),
            intents: BTreeMap::new(),
            steps: BTreeMap::new(),
            first_t: None,
            last_t: None,
            held: Default::default(),
        }
    }

    /// Counts one entry. A later entry for the same row (a `--retry-failed` run) replaces the
    /// earlier failure in the counts.
    pub fn record(&mut self, e: &Entry) {
        // An intent is not an outcome: kept until the row's outcome follows it.
        if e.outcome == Outcome::Intent {
            self.intents
                .insert(e.n, e.before.clone().unwrap_or_default());
            return;
        }
        // A call of the row succeeded: kept until the row is updated.
        if e.outcome == Outcome::Step {
            self.steps.entry(e.n).or_default().add(e);
            return;
        }
        self.intents.remove(&e.n);
        if matches!(e.outcome, Outcome::Updated | Outcome::Unchanged) {
            self.steps.remove(&e.n);
        }
        self.count_calls(e);
        if !self.replace_earlier(e) {
            return; // already counted (should not happen)
        }
        if matches!(e.outcome, Outcome::Failed | Outcome::Invalid) {
            first_failure(&mut self.report, e);
        }
        self.count_outcome(e);
    }

    /// The entry's time, calls, retries and throttles.
    fn count_calls(&mut self, e: &Entry) {
        self.first_t.get_or_insert(e.t);
        self.last_t = Some(e.t);
        if e.attempts > 0 {
            self.held.record(e.t, e.outcome == Outcome::Updated);
        }
        let r = &mut self.report;
        r.api_calls += u64::from(e.attempts);
        // Attempts beyond the row's calls (format 4: several a row) are retries.
        r.retries += u64::from(e.attempts.saturating_sub(e.calls.max(1)));
        r.throttled += u64::from(e.throttled);
    }

    /// Takes the row's earlier outcome out of the counts; false if it was already counted.
    fn replace_earlier(&mut self, e: &Entry) -> bool {
        let r = &mut self.report;
        if let Some(code) = self.failed.remove(&e.n) {
            r.failed -= 1;
            uncount(r, &code);
            r.first_failures.retain(|f| f.line != e.line);
            self.done.insert(e.n);
        } else if let Some((code, _)) = self.unknown.remove(&e.n) {
            r.failed -= 1;
            r.unknown_rows -= 1;
            uncount(r, &code);
            self.done.insert(e.n);
        } else if let Some((outcome, code)) = self.redecide.remove(&e.n) {
            if outcome == Outcome::Invalid {
                r.invalid -= 1;
                uncount(r, &code);
            } else {
                r.conflicts -= 1;
            }
            self.done.insert(e.n);
        } else if !self.done.insert(e.n) {
            return false;
        }
        true
    }

    /// The entry's outcome in the counts, and what it means for the next run.
    fn count_outcome(&mut self, e: &Entry) {
        let r = &mut self.report;
        match e.outcome {
            Outcome::Updated => {
                r.updated += 1;
                for after in e.after.iter().flat_map(|a| a.values()) {
                    r.ops
                        .add(crate::model::op::attributes::kind_of(after.as_deref()), 1);
                }
                // Format 4: the row's other operations (group memberships, enabled, sign-out).
                for op in &e.ops {
                    r.ops.add(op.kind(), 1);
                }
            }
            Outcome::Failed => {
                r.failed += 1;
                let code = e.code.clone().unwrap_or_default();
                r.count_failure(&code);
                self.failed.insert(e.n, code);
            }
            Outcome::Invalid => {
                r.invalid += 1;
                let code = e.code.clone().unwrap_or_default();
                r.count_failure(&code);
                self.redecide.insert(e.n, (Outcome::Invalid, code));
            }
            Outcome::Conflict => {
                r.conflicts += 1;
                self.redecide
                    .insert(e.n, (Outcome::Conflict, String::new()));
            }
            Outcome::Unchanged => r.unchanged += 1,
            Outcome::Intent | Outcome::Step => unreachable!("handled above"),
            Outcome::Unknown => {
                r.failed += 1;
                r.unknown_rows += 1;
                let code = e.code.clone().unwrap_or_default();
                r.count_failure(&code);
                let before = e.before.clone().unwrap_or_default();
                self.unknown.insert(e.n, (code, before));
            }
        }
    }

    /// Whether row `n` was already recorded with this outcome and code (a row decided again
    /// that came to the same end is not recorded twice).
    pub fn same_as_before(&self, n: u64, outcome: Outcome, code: &str) -> bool {
        self.redecide
            .get(&n)
            .is_some_and(|(o, c)| *o == outcome && (outcome == Outcome::Conflict || c == code))
    }

    /// The report as the journal tells it.
    pub fn to_report(&self) -> Report {
        let mut r = self.report.clone();
        r.not_attempted = r.rows_total.saturating_sub(r.done());
        if let (Some(a), Some(b)) = (self.first_t, self.last_t) {
            r.elapsed_seconds = b - a;
        }
        r.started_at = Some(super::rfc3339(self.header.created_unix as f64));
        r.finished_at = self.last_t.map(super::rfc3339);
        r
    }
}

impl Counts for Tally {
    fn begin(header: &Header) -> Tally {
        Tally::new(header.clone())
    }

    fn count(&mut self, entry: &Entry) {
        self.record(entry);
    }
}

/// A failed or invalid row among the report's first failures, while there is room.
fn first_failure(r: &mut Report, e: &Entry) {
    if r.first_failures.len() < FIRST_FAILURES {
        r.first_failures.push(FailedRow {
            line: e.line,
            user: e.user.clone(),
            code: e.code.clone().unwrap_or_default(),
            message: e.message.clone(),
        });
    }
}

fn uncount(r: &mut Report, code: &str) {
    if let Some(n) = r.failures_by_code.get_mut(code) {
        *n -= 1;
        if *n == 0 {
            r.failures_by_code.remove(code);
        }
    }
}

#[cfg(test)]
mod tests;
