//! A timeline rebuilt from a journal, for `cognito-bulk report --html`: the journal records
//! when each row finished and how many calls and throttles it took, not the calls themselves
//! nor the rate limit, so this is an approximation of the timeline `apply` measures.

use std::path::Path;

use super::{LoadError, Outcome};
use crate::cognito::pacing::Second;

/// A pause longer than this between two rows starts a new run (a resume).
const NEW_RUN_GAP: f64 = 600.0;

/// Per second of the journal's last run: calls, successes, throttles and other errors of the
/// rows that finished in that second. The rate limit is not recorded (0).
pub fn from_journal(path: &Path) -> Result<Vec<Second>, LoadError> {
    let (_, entries) = super::entries(path)?;
    // (time, attempts, throttles, updated) of rows that made calls.
    let mut calls: Vec<(f64, u64, u64, bool)> = Vec::new();
    for e in entries.filter(|e| e.attempts > 0) {
        if calls.last().is_some_and(|last| e.t - last.0 > NEW_RUN_GAP) {
            calls.clear(); // an earlier run: only the last one is drawn
        }
        calls.push((
            e.t,
            u64::from(e.attempts),
            u64::from(e.throttled),
            e.outcome == Outcome::Updated,
        ));
    }
    Ok(per_second(&calls))
}

fn per_second(calls: &[(f64, u64, u64, bool)]) -> Vec<Second> {
    let Some(start) = calls.iter().map(|c| c.0).reduce(f64::min) else {
        return Vec::new();
    };
    let mut seconds: Vec<Second> = Vec::new();
    for &(t, attempts, throttles, updated) in calls {
        let i = (t - start).max(0.0) as usize;
        while seconds.len() <= i {
            let t = seconds.len() as u64;
            seconds.push(Second {
                t,
                ..Second::default()
            });
        }
        let s = &mut seconds[i];
        let successes = u64::from(updated);
        s.calls += attempts;
        s.throttles += throttles;
        s.successes += successes;
        s.errors += attempts.saturating_sub(throttles + successes);
    }
    seconds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_calls_by_the_second_their_row_finished() {
        let calls = [
            (100.2, 1, 0, true),
            (100.9, 3, 2, true),
            (102.5, 2, 0, false),
        ];
        let s = per_second(&calls);
        assert_eq!(s.len(), 3);
        assert_eq!(
            (s[0].calls, s[0].successes, s[0].throttles, s[0].errors),
            (4, 2, 2, 0)
        );
        assert_eq!(s[1].calls, 0);
        assert_eq!((s[2].calls, s[2].successes, s[2].errors), (2, 0, 2));
    }

    #[test]
    fn no_calls_no_timeline() {
        assert!(per_second(&[]).is_empty());
    }
}
