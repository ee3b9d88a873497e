//! The one retry loop of every call the tool makes (updates and reads alike): each attempt
//! waits for its pacer's turn; throttles are retried for as long as it takes (throttling alone
//! never fails a row or a read), other passing faults a bounded number of times; an
//! interrupt (Ctrl-C) ends the wait for a turn or between attempts at once, and no attempt
//! starts after it. What differs between calls is in the [`RetryPolicy`], not in the loop.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::{CallError, CallOutcome, ErrorKind, Meter, RateControl, backoff};
use crate::cognito::Pool;
use crate::cognito::call::Call;

/// How hard to try before giving up on a call.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after transient faults (5xx, timeouts, broken connections) before the call fails.
    pub max_transient_retries: u32,
    /// Throttles retried before the call fails; None (the default): for as long as it takes,
    /// which an interrupt still ends. Only the setup check bounds them: it is not worth
    /// starting a run against a pool that cannot be described.
    pub max_throttles: Option<u32>,
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
            max_throttles: None,
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
    turn_taken: bool,
) -> Sent {
    let attempt = AtomicU32::new(0);
    let update = || async {
        let n = attempt.fetch_add(1, Ordering::Relaxed) + 1;
        let answer = pool.send(call).await;
        if let Err(err) = &answer {
            tracing::debug!(
                user = %call.username(),
                api = %call.api(),
                attempt = n,
                code = %err.code,
                kind = ?err.kind,
                "call failed"
            );
        }
        answer
    };
    let paced = Paced {
        rate: &pacing.rate,
        meter: Some(&pacing.meter),
        policy: &pacing.policy,
    };
    let tried = paced.call(stop, turn_taken, update).await;
    Sent {
        result: match tried.result {
            Some(Ok(())) => SendResult::Updated,
            Some(Err(err)) => SendResult::Failed(err),
            None => SendResult::Interrupted,
        },
        attempts: tried.attempts,
        throttled: tried.throttled,
        unknown_outcomes: tried.unknown_outcomes,
    }
}

/// Calls `call` until it succeeds, as `policy` says, pacing every attempt through `rate`:
/// for the tool's reads (ListUsers, AdminGetUser, DescribeUserPool), which have no row to
/// record. Once `stop` is cancelled it returns [`interrupted`] without another attempt.
pub async fn retrying<T, F, Fut>(
    rate: &RateControl,
    policy: &RetryPolicy,
    stop: &CancellationToken,
    call: F,
) -> Result<T, CallError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, CallError>>,
{
    let paced = Paced {
        rate,
        meter: None,
        policy,
    };
    let tried = paced.call(stop, false, call).await;
    tried.result.unwrap_or_else(|| Err(interrupted()))
}

/// [`retrying`] under a category's [`Pacing`]: its pacer, its meter (so that the report
/// counts the read in its category) and its policy. For the read just before each update.
pub async fn retrying_in<T, F, Fut>(
    pacing: &Pacing,
    stop: &CancellationToken,
    call: F,
) -> Result<T, CallError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, CallError>>,
{
    let paced = Paced {
        rate: &pacing.rate,
        meter: Some(&pacing.meter),
        policy: &pacing.policy,
    };
    let tried = paced.call(stop, false, call).await;
    tried.result.unwrap_or_else(|| Err(interrupted()))
}

/// The error a read returns when the run was interrupted.
pub fn interrupted() -> CallError {
    CallError::new(
        ErrorKind::Fatal,
        crate::cognito::codes::INTERRUPTED,
        "interrupted; nothing was written",
    )
}

/// What one call is retried under: its pacer, the meter that counts its answers (the
/// sending run's; none for reads) and the policy.
struct Paced<'a> {
    rate: &'a RateControl,
    meter: Option<&'a Meter>,
    policy: &'a RetryPolicy,
}

/// A call's result and what it took to get there.
struct Tried<T> {
    /// None: stopped before the call succeeded or failed for good.
    result: Option<Result<T, CallError>>,
    attempts: u32,
    throttled: u32,
    /// Retries after a connection broke once the request may have been sent.
    unknown_outcomes: u32,
}

impl Paced<'_> {
    /// The one retry loop. `turn_taken`: the caller already waited for the first attempt's
    /// turn of the pacer.
    async fn call<T, F, Fut>(
        &self,
        stop: &CancellationToken,
        mut turn_taken: bool,
        mut call: F,
    ) -> Tried<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, CallError>>,
    {
        let (rate, policy) = (self.rate, self.policy);
        let mut tried = Tried {
            result: None,
            attempts: 0,
            throttled: 0,
            unknown_outcomes: 0,
        };
        let mut transient_retries = 0;
        loop {
            if !std::mem::take(&mut turn_taken) {
                tokio::select! {
                    biased;
                    _ = stop.cancelled() => return tried,
                    _ = rate.acquire() => {}
                }
            }
            tried.attempts += 1;
            let err = match call().await {
                Ok(v) => {
                    rate.on_success();
                    self.record(CallOutcome::Success);
                    tried.result = Some(Ok(v));
                    return tried;
                }
                Err(err) => err,
            };
            self.record(if err.kind == ErrorKind::Throttled {
                CallOutcome::Throttle
            } else {
                CallOutcome::Error
            });
            let wait = match err.kind {
                ErrorKind::Throttled
                    if policy.max_throttles.is_none_or(|n| tried.throttled < n) =>
                {
                    rate.on_throttle();
                    tried.throttled += 1;
                    backoff::delay(
                        tried.throttled,
                        policy.base_delay,
                        policy.max_throttle_delay,
                    )
                }
                ErrorKind::Transient if transient_retries < policy.max_transient_retries => {
                    transient_retries += 1;
                    if err.maybe_applied {
                        tried.unknown_outcomes += 1;
                    }
                    backoff::delay(transient_retries, policy.base_delay, policy.max_delay)
                }
                ErrorKind::Throttled | ErrorKind::Transient | ErrorKind::Row | ErrorKind::Fatal => {
                    tried.result = Some(Err(err));
                    return tried;
                }
            };
            tokio::select! {
                biased;
                _ = stop.cancelled() => return tried,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    fn record(&self, outcome: CallOutcome) {
        if let Some(meter) = self.meter {
            meter.record(outcome, self.rate.snapshot().current_rps);
        }
    }
}

#[cfg(test)]
mod tests;
