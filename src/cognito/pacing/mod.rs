//! Sending rows to Cognito: one AdminUpdateUserAttributes call per row, paced and retried.
//!
//! The sender sees Cognito only through the [`Pool`](crate::cognito::Pool) trait, so pacing and
//! retries run the same against the real pool and the in-process fake (tests/engine.rs).

mod backoff;
mod meter;
mod rate;
mod retry;

pub use meter::{CallOutcome, Meter, Second};
pub use rate::{RateControl, RateSnapshot};
pub use retry::{
    Pacing, RetryPolicy, SendResult, Sent, interrupted, retrying, send_call, send_call_from,
};

pub use crate::cognito::{CallError, ErrorKind};
