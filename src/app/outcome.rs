//! How a command ends: an [`Outcome`] (the exit code `main` returns) or a [`Failure`] (an
//! error and the outcome it maps to). Commands return these; only `main` ends the process.

use crate::plan::summary::PlanSummary;
use tokio_util::sync::CancellationToken;

/// How a command ended, as the process exit code tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every row was updated.
    Success = 0,
    /// The run finished; some rows failed or were invalid.
    RowsFailed = 1,
    /// A usage or setup error, before any write.
    Setup = 2,
    /// The run was stopped by a fatal error or an interrupt.
    Stopped = 3,
    /// `plan --detailed-exitcode` only: some rows are invalid or their users not found (2
    /// there means "changes", 1 an error), so a CI gate tells "all broken" from "nothing to do".
    RowsInvalid = 4,
}

impl Outcome {
    /// A finished run's outcome: 1 if any row failed, was invalid or met a conflict (the
    /// users it left alone need a look), else 0. The one rule for `apply`, `rollback` and
    /// `report`.
    pub fn of_rows(report: &crate::report::Report) -> Outcome {
        if report.failed + report.invalid + report.conflicts > 0 {
            Outcome::RowsFailed
        } else {
            Outcome::Success
        }
    }
}

/// A command's error, with the outcome it maps to.
#[derive(Debug)]
pub struct Failure {
    pub outcome: Outcome,
    pub error: anyhow::Error,
}

pub fn setup(error: impl Into<anyhow::Error>) -> Failure {
    Failure {
        outcome: Outcome::Setup,
        error: error.into(),
    }
}

/// A setup step that failed: exit 3 if it failed because of an interrupt, else 2.
pub fn setup_or_stopped(stop: &CancellationToken) -> impl Fn(anyhow::Error) -> Failure + '_ {
    move |error| Failure {
        outcome: match stop.is_cancelled() {
            true => Outcome::Stopped,
            false => Outcome::Setup,
        },
        error,
    }
}

/// How a plan's error maps to an exit code: with --detailed-exitcode, 2 means "changes", so
/// every error is 1.
pub fn failure_for(detailed: bool) -> impl Fn(Failure) -> Failure + Copy {
    move |f| Failure {
        outcome: if detailed {
            Outcome::RowsFailed
        } else {
            f.outcome
        },
        error: f.error,
    }
}

/// The exit code of a plan: with --detailed-exitcode, 4 means some rows are invalid or not
/// found (whatever else), 2 "changes" (and every row fine), 0 nothing to do.
pub fn of_plan(detailed: bool, summary: &PlanSummary) -> Outcome {
    match (detailed, summary.to_change > 0) {
        (true, _) if summary.invalid + summary.not_found > 0 => Outcome::RowsInvalid,
        (true, true) => Outcome::Setup, // 2: there are changes
        (true, false) => Outcome::Success,
        (false, _) if summary.invalid + summary.not_found > 0 => Outcome::RowsFailed,
        (false, _) => Outcome::Success,
    }
}
