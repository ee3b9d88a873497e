//! One row, sent until it is done: throttles are retried for as long as it takes (throttling
//! alone never fails a row), other passing faults a bounded number of times.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{Api, CallError, ErrorKind, RateControl, backoff};
use crate::row::Row;

/// How hard to try before giving up on a row.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after transient faults (5xx, timeouts, broken connections) before the row fails.
    pub max_transient_retries: u32,
    /// First backoff delay; doubles with each retry.
    pub base_delay: Duration,
    /// Longest backoff delay.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_transient_retries: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(20),
        }
    }
}

/// How a row ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendResult {
    Updated,
    Failed(CallError),
    /// The run was stopped before the row finished; it was not applied, or its outcome is
    /// unknown, and it will be sent again on resume.
    Interrupted,
}

/// A row's result and what it took to get there.
#[derive(Debug, Clone)]
pub struct Sent {
    pub result: SendResult,
    pub attempts: u32,
    pub throttled: u32,
    /// Retries after a connection broke once the request may have been sent.
    pub unknown_outcomes: u32,
}

/// Sends `row`, retrying as the policy says. Stops early, with `Interrupted`, once `stop` is
/// cancelled: no new attempt is started after that.
pub async fn send_row<A: Api>(
    api: &A,
    rate: &RateControl,
    row: &Row,
    policy: &RetryPolicy,
    stop: &CancellationToken,
) -> Sent {
    let mut sent = Sent {
        result: SendResult::Interrupted,
        attempts: 0,
        throttled: 0,
        unknown_outcomes: 0,
    };
    let mut transient_retries = 0;
    let mut backoff_step = 0;
    loop {
        tokio::select! {
            biased;
            _ = stop.cancelled() => return sent,
            _ = rate.acquire() => {}
        }
        sent.attempts += 1;
        let err = match api.update(row).await {
            Ok(()) => {
                rate.on_success();
                sent.result = SendResult::Updated;
                return sent;
            }
            Err(err) => err,
        };
        match err.kind {
            ErrorKind::Throttled => {
                rate.on_throttle();
                sent.throttled += 1;
            }
            ErrorKind::Transient if transient_retries < policy.max_transient_retries => {
                transient_retries += 1;
                if err.maybe_applied {
                    sent.unknown_outcomes += 1;
                }
            }
            ErrorKind::Transient | ErrorKind::Row | ErrorKind::Fatal => {
                sent.result = SendResult::Failed(err);
                return sent;
            }
        }
        backoff_step += 1;
        let wait = backoff::delay(backoff_step, policy.base_delay, policy.max_delay);
        tokio::select! {
            _ = stop.cancelled() => return sent,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}
