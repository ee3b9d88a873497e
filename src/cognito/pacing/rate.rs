//! Pacing: a fixed ceiling (`--rps`, enforced by governor) and, under it, an adaptive rate that
//! backs off when Cognito throttles and grows back while it does not.
//!
//! The quota is shared with the customer's live application, so the rate that is really free
//! moves. Governor's rate is fixed when the limiter is built, so the moving part is our own
//! pacer: the next send instant behind a mutex, spaced by the current rate.
//!
//! The rate follows a cubic curve (as TCP CUBIC does): on a throttle it drops to
//! `DECREASE x w_max`, climbs back quickly, flattens as it nears `w_max`, and only then probes
//! above it, faster the longer no throttle comes. `w_max` is the rate that really got through:
//! the successes of the last `WINDOW` (Cognito's bucket lets a burst through before it
//! throttles, so the sending rate at the first throttle overstates what is free), but never
//! less than half the current rate, so that one bad second does not floor the rate. It spends most of its time just under the free rate, so it
//! gets close to the quota with few throttles. Before the first throttle it starts at a
//! quarter of the ceiling (`START_SHARE`, at least `START_RPS`) and doubles every second (slow
//! start), so that an `--rps` above the free rate does not open with a burst of throttles, and
//! an `--rps` at a bought quota is reached in two seconds (a ramp from 10/s took ten at
//! 500/s: seconds of the quota lost at every start). A resumed run starts where its journal's
//! run left off ([`RateControl::start_at`]). Decreases happen at most once per `COOLDOWN`:
//! eight workers throttled in the same instant are one signal, not eight.
//!
//! The ceiling tolerates calls that come a little late (`CEILING_SLACK`): with a burst of
//! one, a call released a millisecond late by the timer pushed every later one back by as
//! much, and the run held less than `--rps` even with nothing throttling it.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Jitter, Quota, RateLimiter};
use tokio::time::Instant;

/// The lowest rate the pacer will fall to, in calls per second.
const MIN_RPS: f64 = 0.5;
/// The lowest rate slow start begins at (or the ceiling, if lower).
const START_RPS: f64 = 10.0;
/// The share of the ceiling slow start begins at, when that is more than `START_RPS`.
const START_SHARE: f64 = 0.25;
/// Growth per second in slow start.
const SLOW_START_GROWTH: f64 = 2.0;
/// How late a call may come and still not delay the next ones at the ceiling (a spacing kept
/// from each call's actual time would lose every timer delay for good).
const CEILING_SLACK: Duration = Duration::from_millis(25);
/// Multiplicative decrease on a throttle, from the measured rate.
const DECREASE: f64 = 0.9;
/// How far back successes count towards the measured rate.
const WINDOW: Duration = Duration::from_secs(2);
/// Seconds the cubic curve takes to climb back to `w_max`.
const RECOVERY_SECS: f64 = 4.0;
/// Minimum time between two decreases.
const COOLDOWN: Duration = Duration::from_secs(1);

/// Shared by all workers: call [`RateControl::acquire`] before every attempt and report
/// throttles with [`RateControl::on_throttle`].
pub struct RateControl {
    ceiling: DefaultDirectRateLimiter,
    unpaced: bool,
    max_rps: f64,
    jitter: Duration,
    state: Mutex<State>,
}

enum Phase {
    SlowStart { start: f64, since: Instant },
    Cubic { w_max: f64, since: Instant },
}

struct State {
    phase: Phase,
    next: Instant,
    last_decrease: Option<Instant>,
    started: Instant,
    /// When calls succeeded, over the last `WINDOW`.
    successes: VecDeque<Instant>,
    /// Decreases so far (throttles at most one a cooldown).
    decreases: u64,
}

/// The pacer's state for progress and the report.
#[derive(Debug, Clone, Copy)]
pub struct RateSnapshot {
    pub current_rps: f64,
    pub max_rps: f64,
    /// How many times a throttle lowered the rate.
    pub decreases: u64,
}

impl RateControl {
    /// A pacer that never exceeds `max_rps` calls per second.
    pub fn new(max_rps: f64) -> Self {
        let max_rps = max_rps.max(MIN_RPS);
        // No quota at all (an in-process pool): calls are not paced.
        let unpaced = max_rps.is_infinite();
        let max_rps = if unpaced { 1e9 } else { max_rps };
        // A burst of `CEILING_SLACK` worth of calls (at least one): the ceiling is a spacing
        // between calls, not a bucket that can dump a second's worth of calls at once on a
        // quota shared with a live application; the slack only absorbs timer delays.
        let period = Duration::from_secs_f64(1.0 / max_rps);
        RateControl {
            ceiling: RateLimiter::direct(ceiling_quota(max_rps)),
            unpaced,
            max_rps,
            jitter: period / 2,
            state: Mutex::new(State {
                phase: Phase::SlowStart {
                    start: (max_rps * START_SHARE).max(START_RPS).min(max_rps),
                    since: Instant::now(),
                },
                next: Instant::now(),
                last_decrease: None,
                started: Instant::now(),
                successes: VecDeque::new(),
                decreases: 0,
            }),
        }
    }

    /// Starts slow start from `rps` instead (never above the ceiling), if that is higher: for
    /// a resumed run, the rate its journal's run last held.
    pub fn start_at(&self, rps: f64) {
        let mut s = self.state.lock().expect("pacer lock");
        if let Phase::SlowStart { start, since } = &mut s.phase
            && rps.is_finite()
        {
            *start = start.max(rps.min(self.max_rps));
            *since = Instant::now();
        }
    }

    /// The rate at `now`, from the curve of the current phase.
    fn rate(&self, phase: &Phase, now: Instant) -> f64 {
        let rate = match *phase {
            Phase::SlowStart { start, since } => {
                start * SLOW_START_GROWTH.powf((now - since).as_secs_f64())
            }
            Phase::Cubic { w_max, since } => {
                let x = (now - since).as_secs_f64() / RECOVERY_SECS - 1.0;
                w_max * (1.0 + (1.0 - DECREASE) * x * x * x)
            }
        };
        rate.clamp(MIN_RPS, self.max_rps)
    }

    /// Waits for this worker's turn to send.
    pub async fn acquire(&self) {
        if self.unpaced {
            return;
        }
        let turn = {
            let mut s = self.state.lock().expect("pacer lock");
            let now = Instant::now();
            let turn = s.next.max(now);
            let rate = self.rate(&s.phase, turn);
            s.next = turn + Duration::from_secs_f64(1.0 / rate);
            turn
        };
        tokio::time::sleep_until(turn).await;
        self.ceiling
            .until_ready_with_jitter(Jitter::up_to(self.jitter))
            .await;
    }

    /// A call went through: it counts towards the measured rate.
    pub fn on_success(&self) {
        self.on_success_at(Instant::now());
    }

    fn on_success_at(&self, now: Instant) {
        let mut s = self.state.lock().expect("pacer lock");
        s.successes.push_back(now);
        while s.successes.front().is_some_and(|&t| now - t > WINDOW) {
            s.successes.pop_front();
        }
    }

    /// Cognito throttled a call: restart the curve below the rate that got through, at most
    /// once per cooldown.
    pub fn on_throttle(&self) {
        self.on_throttle_at(Instant::now());
    }

    fn on_throttle_at(&self, now: Instant) {
        let mut s = self.state.lock().expect("pacer lock");
        if s.last_decrease.is_some_and(|t| now - t < COOLDOWN) {
            return;
        }
        s.last_decrease = Some(now);
        s.decreases += 1;
        let current = self.rate(&s.phase, now);
        let span = (now - s.started).min(WINDOW).as_secs_f64().max(0.1);
        let recent = s.successes.iter().filter(|&&t| now - t <= WINDOW).count();
        let measured = recent as f64 / span;
        let w_max = measured.clamp(current / 2.0, current);
        // Turns already handed out keep their spacing; new ones are spaced at the new rate.
        // (Pulling `next` earlier here would interleave new turns with the queued ones.)
        s.phase = Phase::Cubic { w_max, since: now };
    }

    pub fn snapshot(&self) -> RateSnapshot {
        self.snapshot_at(Instant::now())
    }

    fn snapshot_at(&self, now: Instant) -> RateSnapshot {
        let s = self.state.lock().expect("pacer lock");
        RateSnapshot {
            current_rps: self.rate(&s.phase, now),
            max_rps: self.max_rps,
            decreases: s.decreases,
        }
    }
}

/// The ceiling: one call every `1 / max_rps`, with a burst of the calls of `CEILING_SLACK` and
/// one more, so that a call the timer released late does not push back the ones after it.
fn ceiling_quota(max_rps: f64) -> Quota {
    let period = Duration::from_secs_f64(1.0 / max_rps);
    let slack = (max_rps * CEILING_SLACK.as_secs_f64())
        .ceil()
        .min(f64::from(u32::MAX - 1));
    let burst = NonZeroU32::new(1 + slack as u32).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period)
        .expect("a positive period")
        .allow_burst(burst)
}

#[cfg(test)]
mod tests;
