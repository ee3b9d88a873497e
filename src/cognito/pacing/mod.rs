//! Sending rows to Cognito: one AdminUpdateUserAttributes call per row, paced and retried.
//!
//! The sender sees Cognito only through the [`Pool`](crate::cognito::Pool) trait, so pacing and
//! retries run the same against the real pool and the in-process fake (tests/engine.rs).

mod backoff;
mod categories;
mod meter;
mod rate;
mod retry;

pub use categories::{CategoryFigures, Pacers, add_timeline};
pub use meter::{CallOutcome, Meter, Second};
pub use rate::{RateControl, RateSnapshot};
pub use retry::{
    Pacing, RetryPolicy, SendResult, Sent, interrupted, retrying, retrying_in, send_call,
    send_call_from,
};

pub use crate::cognito::{CallError, ErrorKind};
