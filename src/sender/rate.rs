//! Pacing: a fixed ceiling (`--rps`, enforced by governor) and, under it, an adaptive rate that
//! backs off when Cognito throttles and creeps back up while calls succeed (AIMD).
//!
//! The quota is shared with the customer's live application, so the rate that is really free
//! moves. Governor's rate is fixed when the limiter is built, so the moving part is our own
//! pacer: the next send instant behind a mutex. Decreases happen at most once per `cooldown`,
//! because eight workers throttled in the same instant are one signal, not eight.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Jitter, Quota, RateLimiter};
use tokio::time::Instant;

/// The lowest rate the pacer will fall to, in calls per second.
const MIN_RPS: f64 = 0.5;
/// Multiplicative decrease on a throttle.
const DECREASE: f64 = 0.7;
/// Additive increase, as a fraction of the ceiling per second of successful calls.
const INCREASE_PER_SECOND: f64 = 0.02;
/// Minimum time between two decreases.
const COOLDOWN: Duration = Duration::from_secs(1);

/// Shared by all workers: call [`RateControl::acquire`] before every attempt and report how it
/// went.
pub struct RateControl {
    ceiling: DefaultDirectRateLimiter,
    max_rps: f64,
    jitter: Duration,
    state: Mutex<State>,
}

struct State {
    rate: f64,
    next: Instant,
    last_decrease: Option<Instant>,
}

/// The pacer's state for progress and the report.
#[derive(Debug, Clone, Copy)]
pub struct RateSnapshot {
    pub current_rps: f64,
    pub max_rps: f64,
}

impl RateControl {
    /// A pacer that starts at, and never exceeds, `max_rps` calls per second.
    pub fn new(max_rps: f64) -> Self {
        let max_rps = max_rps.max(MIN_RPS);
        // Burst of one: the ceiling is a spacing between calls, not a bucket that can dump a
        // second's worth of calls at once on a quota shared with a live application.
        let period = Duration::from_secs_f64(1.0 / max_rps);
        let quota = Quota::with_period(period)
            .expect("a positive period")
            .allow_burst(NonZeroU32::MIN);
        RateControl {
            ceiling: RateLimiter::direct(quota),
            max_rps,
            jitter: period / 2,
            state: Mutex::new(State {
                rate: max_rps,
                next: Instant::now(),
                last_decrease: None,
            }),
        }
    }

    /// Waits for this worker's turn to send.
    pub async fn acquire(&self) {
        let turn = {
            let mut s = self.state.lock().expect("pacer lock");
            let now = Instant::now();
            let turn = s.next.max(now);
            s.next = turn + Duration::from_secs_f64(1.0 / s.rate);
            turn
        };
        tokio::time::sleep_until(turn).await;
        self.ceiling
            .until_ready_with_jitter(Jitter::up_to(self.jitter))
            .await;
    }

    /// A call went through: raise the rate a little, towards the ceiling.
    pub fn on_success(&self) {
        let mut s = self.state.lock().expect("pacer lock");
        // One success per 1/rate seconds, so this adds INCREASE_PER_SECOND * max per second.
        s.rate = (s.rate + INCREASE_PER_SECOND * self.max_rps / s.rate).min(self.max_rps);
    }

    /// Cognito throttled a call: lower the rate, at most once per cooldown.
    pub fn on_throttle(&self) {
        let mut s = self.state.lock().expect("pacer lock");
        let now = Instant::now();
        if s.last_decrease.is_some_and(|t| now - t < COOLDOWN) {
            return;
        }
        s.last_decrease = Some(now);
        s.rate = (s.rate * DECREASE).max(MIN_RPS);
    }

    pub fn snapshot(&self) -> RateSnapshot {
        RateSnapshot {
            current_rps: self.state.lock().expect("pacer lock").rate,
            max_rps: self.max_rps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decreases_once_per_cooldown_and_recovers() {
        let rc = RateControl::new(20.0);
        for _ in 0..8 {
            rc.on_throttle();
        }
        let after = rc.snapshot().current_rps;
        assert!(
            (after - 14.0).abs() < 1e-9,
            "one decrease for a burst of throttles: {after}"
        );
        for _ in 0..10_000 {
            rc.on_success();
        }
        assert_eq!(rc.snapshot().current_rps, 20.0);
    }

    #[tokio::test]
    async fn paces_calls() {
        let rc = RateControl::new(50.0);
        let start = std::time::Instant::now();
        for _ in 0..11 {
            rc.acquire().await;
        }
        // Ten gaps of 20 ms at least.
        assert!(start.elapsed() >= Duration::from_millis(195));
    }
}
