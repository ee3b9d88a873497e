//! A per-second record of what the sender did, for the report's timeline: how the run
//! behaved against the quota, second by second.

use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

/// One second of the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Second {
    /// Seconds since the start of sending.
    pub t: u64,
    pub calls: u64,
    pub successes: u64,
    pub throttles: u64,
    /// Other failed calls (transient faults, row and fatal errors).
    pub errors: u64,
    /// The pacer's rate limit at the end of the second, calls per second.
    pub rate_limit: f64,
}

/// What one call came to.
#[derive(Debug, Clone, Copy)]
pub enum CallOutcome {
    Success,
    Throttle,
    Error,
}

/// Counts calls by the second they ended in.
pub struct Meter {
    start: Instant,
    seconds: Mutex<Vec<Second>>,
}

impl Default for Meter {
    fn default() -> Self {
        Meter {
            start: Instant::now(),
            seconds: Mutex::new(Vec::new()),
        }
    }
}

impl Meter {
    /// A meter whose seconds count from `start`: the meters of a run's categories share it,
    /// so that their timelines line up.
    pub fn starting_at(start: Instant) -> Meter {
        Meter {
            start,
            seconds: Mutex::new(Vec::new()),
        }
    }

    pub fn record(&self, outcome: CallOutcome, rate_limit: f64) {
        let t = self.start.elapsed().as_secs();
        let mut seconds = self.seconds.lock().expect("meter lock");
        while seconds.len() as u64 <= t {
            let t = seconds.len() as u64;
            seconds.push(Second {
                t,
                rate_limit,
                ..Second::default()
            });
        }
        let s = &mut seconds[t as usize];
        s.calls += 1;
        s.rate_limit = rate_limit;
        match outcome {
            CallOutcome::Success => s.successes += 1,
            CallOutcome::Throttle => s.throttles += 1,
            CallOutcome::Error => s.errors += 1,
        }
    }

    pub fn timeline(&self) -> Vec<Second> {
        self.seconds.lock().expect("meter lock").clone()
    }
}
