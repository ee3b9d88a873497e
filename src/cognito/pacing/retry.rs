//! One row, sent until it is done: throttles are retried for as long as it takes (throttling
//! alone never fails a row), other passing faults a bounded number of times.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{CallError, CallOutcome, ErrorKind, Meter, RateControl, backoff};
use crate::cognito::Pool;
use crate::cognito::call::Call;

/// How hard to try before giving up on a row.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after transient faults (5xx, timeouts, broken connections) before the row fails.
    pub max_transient_retries: u32,
    /// First backoff delay; doubles with each retry.
    pub base_delay: Duration,
    /// Longest backoff delay after a transient fault.
    pub max_delay: Duration,
    /// Longest backoff delay after a throttle. Kept short: the pacer already slows every
    /// worker down, and a worker sleeping long on one row is a slot of concurrency lost.
    pub max_throttle_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_transient_retries: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(20),
            max_throttle_delay: Duration::from_secs(2),
        }
    }
}

/// What all workers share: the pacer, the per-second meter and the retry policy.
pub struct Pacing {
    pub rate: RateControl,
    pub meter: Meter,
    pub policy: RetryPolicy,
}

impl Pacing {
    pub fn new(max_rps: f64, policy: RetryPolicy) -> Self {
        Pacing {
            rate: RateControl::new(max_rps),
            meter: Meter::default(),
            policy,
        }
    }

    fn record(&self, outcome: CallOutcome) {
        self.meter.record(outcome, self.rate.snapshot().current_rps);
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

/// Sends `call`, retrying as the policy says. Stops early, with `Interrupted`, once `stop` is
/// cancelled: no new attempt is started after that.
pub async fn send_call<P: Pool>(
    pool: &P,
    pacing: &Pacing,
    call: &Call,
    stop: &CancellationToken,
) -> Sent {
    send_call_from(pool, pacing, call, stop, false).await
}

/// [`send_call`], for a caller that already waited for this row's first turn of the pacer
/// (`turn_taken`): it read the user in that turn, and the call follows the read at once.
pub async fn send_call_from<P: Pool>(
    pool: &P,
    pacing: &Pacing,
    call: &Call,
    stop: &CancellationToken,
    mut turn_taken: bool,
) -> Sent {
    let (rate, policy) = (&pacing.rate, &pacing.policy);
    let mut sent = Sent {
        result: SendResult::Interrupted,
        attempts: 0,
        throttled: 0,
        unknown_outcomes: 0,
    };
    let mut transient_retries = 0;
    loop {
        if !std::mem::take(&mut turn_taken) {
            tokio::select! {
                biased;
                _ = stop.cancelled() => return sent,
                _ = rate.acquire() => {}
            }
        }
        sent.attempts += 1;
        let err = match pool.send(call).await {
            Ok(()) => {
                rate.on_success();
                pacing.record(CallOutcome::Success);
                sent.result = SendResult::Updated;
                return sent;
            }
            Err(err) => err,
        };
        tracing::debug!(
            user = %call.username(),
            api = call.api(),
            attempt = sent.attempts,
            code = %err.code,
            kind = ?err.kind,
            "call failed"
        );
        pacing.record(if err.kind == ErrorKind::Throttled {
            CallOutcome::Throttle
        } else {
            CallOutcome::Error
        });
        let wait = match err.kind {
            ErrorKind::Throttled => {
                rate.on_throttle();
                sent.throttled += 1;
                backoff::delay(sent.throttled, policy.base_delay, policy.max_throttle_delay)
            }
            ErrorKind::Transient if transient_retries < policy.max_transient_retries => {
                transient_retries += 1;
                if err.maybe_applied {
                    sent.unknown_outcomes += 1;
                }
                backoff::delay(transient_retries, policy.base_delay, policy.max_delay)
            }
            ErrorKind::Transient | ErrorKind::Row | ErrorKind::Fatal => {
                sent.result = SendResult::Failed(err);
                return sent;
            }
        };
        tokio::select! {
            _ = stop.cancelled() => return sent,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Calls `call` until it succeeds, pacing every attempt through `rate`: for the tool's reads
/// (ListUsers, AdminGetUser), which have no row to record. Throttles are retried up to 100
/// times, transient faults as the policy says; any other error is returned.
pub async fn retrying<T, F, Fut>(
    rate: &RateControl,
    policy: &RetryPolicy,
    mut call: F,
) -> Result<T, CallError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, CallError>>,
{
    let (mut throttles, mut transient) = (0u32, 0u32);
    loop {
        rate.acquire().await;
        let err = match call().await {
            Ok(v) => {
                rate.on_success();
                return Ok(v);
            }
            Err(e) => e,
        };
        let wait = match err.kind {
            ErrorKind::Throttled if throttles < 100 => {
                throttles += 1;
                rate.on_throttle();
                backoff::delay(throttles, policy.base_delay, policy.max_throttle_delay)
            }
            ErrorKind::Transient if transient < policy.max_transient_retries => {
                transient += 1;
                backoff::delay(transient, policy.base_delay, policy.max_delay)
            }
            _ => return Err(err),
        };
        tokio::time::sleep(wait).await;
    }
}
