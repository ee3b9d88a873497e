//! A timeline rebuilt from a journal, for `cognito-bulk report --html`: the journal records
//! when each row finished and how many calls and throttles it took, not the calls themselves
//! nor the rate limit, so this is an approximation of the timeline `apply` measures.

use std::collections::BTreeMap;
use std::path::Path;

use super::{LoadError, Outcome};
use crate::cognito::call::Category;
use crate::cognito::pacing::Second;

/// A pause longer than this between two rows starts a new run (a resume).
const NEW_RUN_GAP: f64 = 600.0;

/// Per second of the journal's last run: calls, successes, throttles and other errors of the
/// rows that finished in that second. The rate limit is not recorded (0).
pub fn from_journal(path: &Path) -> Result<Vec<Second>, LoadError> {
    let calls = last_run(path)?;
    let all: Vec<_> = calls.iter().map(|c| c.1).collect();
    Ok(per_second(&all))
}

/// [`from_journal`], by quota category (an entry without one is UserUpdate: every call of
/// the builds that did not record it). Every category's seconds count from the run's start.
pub fn by_category(path: &Path) -> Result<BTreeMap<Category, Vec<Second>>, LoadError> {
    let calls = last_run(path)?;
    let Some(start) = calls.iter().map(|c| c.1.0).reduce(f64::min) else {
        return Ok(BTreeMap::new());
    };
    let mut by: BTreeMap<Category, Vec<Row>> = BTreeMap::new();
    for (category, row) in calls {
        by.entry(category).or_default().push(row);
    }
    Ok(by
        .into_iter()
        .map(|(c, rows)| (c, per_second_from(start, &rows)))
        .collect())
}

/// (time, attempts, throttles, successful calls) of a row that made calls.
type Row = (f64, u64, u64, u64);

/// The rows of the journal's last run that made calls, with their category.
fn last_run(path: &Path) -> Result<Vec<(Category, Row)>, LoadError> {
    let (_, entries) = super::entries(path)?;
    let mut calls: Vec<(Category, Row)> = Vec::new();
    for e in entries.filter(|e| e.attempts > 0) {
        if calls
            .last()
            .is_some_and(|last| e.t - last.1.0 > NEW_RUN_GAP)
        {
            calls.clear(); // an earlier run: only the last one is drawn
        }
        let row = (
            e.t,
            u64::from(e.attempts),
            u64::from(e.throttled),
            // An updated row's calls all succeeded: one each (format 4 counts them).
            match e.outcome == Outcome::Updated {
                true => u64::from(e.calls.max(1)),
                false => 0,
            },
        );
        calls.push((e.category.unwrap_or(Category::UserUpdate), row));
    }
    Ok(calls)
}

fn per_second(calls: &[Row]) -> Vec<Second> {
    match calls.iter().map(|c| c.0).reduce(f64::min) {
        Some(start) => per_second_from(start, calls),
        None => Vec::new(),
    }
}

fn per_second_from(start: f64, calls: &[Row]) -> Vec<Second> {
    let mut seconds: Vec<Second> = Vec::new();
    for &(t, attempts, throttles, successes) in calls {
        let i = (t - start).max(0.0) as usize;
        while seconds.len() <= i {
            let t = seconds.len() as u64;
            seconds.push(Second {
                t,
                ..Second::default()
            });
        }
        let s = &mut seconds[i];
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
        let calls = [(100.2, 1, 0, 1), (100.9, 3, 2, 1), (102.5, 2, 0, 0)];
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
    fn a_rows_several_calls_all_count_as_successes_not_errors() {
        // A user's attribute, group and sign-out calls, each answered at once.
        let s = per_second(&[(100.0, 3, 0, 3)]);
        assert_eq!((s[0].calls, s[0].successes, s[0].errors), (3, 3, 0));
    }

    #[test]
    fn no_calls_no_timeline() {
        assert!(per_second(&[]).is_empty());
    }
}
