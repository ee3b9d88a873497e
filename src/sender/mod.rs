//! Sending rows to Cognito: one AdminUpdateUserAttributes call per row, paced and retried.
//!
//! The sender sees the API only through the [`Api`] trait, so the retry and pacing logic can be
//! exercised without a network; [`sdk::SdkApi`] is the real implementation.

mod backoff;
mod meter;
mod rate;
mod retry;
pub mod sdk;

pub use meter::{CallOutcome, Meter, Second};
pub use rate::{RateControl, RateSnapshot};
pub use retry::{Pacing, RetryPolicy, SendResult, Sent, retrying, send_row};

use std::future::Future;

use crate::row::Row;

/// How a failed call should be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The service asked us to slow down: retry after backing off, and lower the rate.
    Throttled,
    /// A fault that may pass (5xx, internal error, timeout, broken connection): retry a
    /// bounded number of times.
    Transient,
    /// This row cannot be applied (e.g. the user does not exist): fail it, go on.
    Row,
    /// Every row would fail the same way (wrong pool, bad credentials, no permission):
    /// stop the run.
    Fatal,
}

/// A failed call, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    pub kind: ErrorKind,
    /// Cognito's error code, or a code of the tool's own for failures without one
    /// (`Timeout`, `ConnectionError`, `HttpStatus500`, ...).
    pub code: String,
    pub message: String,
    /// True when the request may have reached the service before the connection broke:
    /// the outcome is unknown. Retrying is still safe because an update sets absolute values.
    pub maybe_applied: bool,
}

impl CallError {
    pub fn new(kind: ErrorKind, code: impl Into<String>, message: impl Into<String>) -> Self {
        CallError {
            kind,
            code: code.into(),
            message: message.into(),
            maybe_applied: false,
        }
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// The one write the tool makes.
pub trait Api: Send + Sync + 'static {
    fn update(&self, row: &Row) -> impl Future<Output = Result<(), CallError>> + Send;
}
