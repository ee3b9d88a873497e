//! The rate a journal's last run held: rows updated a second over its last whole seconds. A
//! resumed run starts its pacer there instead of ramping up from the opening rate again,
//! which on a bought quota of hundreds of calls a second would cost seconds of it.
//!
//! Kept in a few counters while the journal is read, whatever its length.

use std::collections::VecDeque;

/// How many whole seconds at the end of the run count.
const SECONDS: i64 = 10;
/// Fewer whole seconds than this say too little about the rate.
const MIN_SECONDS: i64 = 3;
/// A pause longer than this between two rows starts a new run (as in the report's timeline).
const NEW_RUN_GAP: f64 = 600.0;

/// Rows updated per second of the journal's last run, over its last seconds.
#[derive(Debug, Clone, Default)]
pub struct HeldRate {
    /// The unix second of the last run's first call.
    run_start: Option<i64>,
    /// (unix second, rows updated in it) of the last seconds with calls, oldest first.
    seconds: VecDeque<(i64, u32)>,
}

impl HeldRate {
    /// Counts one journal entry that made calls, finished at unix time `t`.
    pub fn record(&mut self, t: f64, updated: bool) {
        if !t.is_finite() {
            return; // a damaged entry says nothing about the rate
        }
        // Saturating: a journal's times are read from a file and may be anything.
        let second = t.floor() as i64;
        let last = self.seconds.back().map(|&(s, _)| s);
        if last.is_some_and(|last| (t - last as f64) > NEW_RUN_GAP) {
            self.run_start = None;
            self.seconds.clear();
        }
        self.run_start.get_or_insert(second);
        match self.seconds.back_mut() {
            // Entries come in time order; one a little out of it counts in the last second.
            Some((s, n)) if *s >= second => *n = n.saturating_add(u32::from(updated)),
            _ => self.seconds.push_back((second, u32::from(updated))),
        }
        while self
            .seconds
            .front()
            .is_some_and(|&(s, _)| s < second.saturating_sub(SECONDS))
        {
            self.seconds.pop_front();
        }
    }

    /// Rows updated a second over the run's last whole seconds: not its last second (the run
    /// stopped in it) nor its first (it started in it). None if the run had too few.
    pub fn rps(&self) -> Option<f64> {
        let (&(last, _), start) = (self.seconds.back()?, self.run_start?);
        let from = last.saturating_sub(SECONDS).max(start.saturating_add(1));
        if last.saturating_sub(from) < MIN_SECONDS {
            return None;
        }
        let updated: u64 = self
            .seconds
            .iter()
            .filter(|&&(s, _)| s >= from && s < last)
            .map(|&(_, n)| u64::from(n))
            .sum();
        Some(updated as f64 / last.saturating_sub(from) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(from: f64, seconds: u32, per_second: u32) -> HeldRate {
        let mut h = HeldRate::default();
        for s in 0..seconds {
            for i in 0..per_second {
                h.record(
                    from + f64::from(s) + f64::from(i) / f64::from(per_second),
                    true,
                );
            }
        }
        h
    }

    #[test]
    fn the_last_whole_seconds_of_the_run() {
        let mut h = run(1000.0, 30, 10);
        // The last seconds held 200 a second; the stop cut the very last one short.
        for s in 30..40 {
            for i in 0..200 {
                h.record(1000.0 + f64::from(s) + f64::from(i) / 200.0, true);
            }
        }
        h.record(1040.1, true);
        assert_eq!(h.rps(), Some(200.0));
    }

    #[test]
    fn seconds_without_updates_count_as_zero() {
        let mut h = run(1000.0, 20, 100);
        // Five seconds of throttles only, then one update: the last ten whole seconds held
        // 400 updates.
        for s in 20..25 {
            h.record(1000.0 + f64::from(s), false);
        }
        h.record(1026.0, true);
        assert_eq!(h.rps(), Some(40.0));
    }

    #[test]
    fn too_short_a_run_says_nothing() {
        assert_eq!(run(1000.0, 3, 50).rps(), None);
        assert_eq!(HeldRate::default().rps(), None);
        // Two whole seconds between the first and the last: not enough.
        let short = run(1000.0, 4, 50);
        assert_eq!(short.rps(), None);
        assert_eq!(run(1000.0, 5, 50).rps(), Some(50.0));
    }

    #[test]
    fn only_the_last_run_counts() {
        let mut h = run(1000.0, 20, 300);
        let later = 1020.0 + NEW_RUN_GAP + 1.0;
        for s in 0..6 {
            for i in 0..20 {
                h.record(later + f64::from(s) + f64::from(i) / 20.0, true);
            }
        }
        assert_eq!(h.rps(), Some(20.0));
    }

    #[test]
    fn any_time_a_damaged_journal_holds_is_read_without_panic() {
        let mut h = HeldRate::default();
        for t in [
            -1e300,
            1e300,
            f64::NAN,
            f64::INFINITY,
            0.0,
            -5.0,
            9.3e18,
            -9.3e18,
        ] {
            h.record(t, true);
            let _ = h.rps();
        }
    }
}
