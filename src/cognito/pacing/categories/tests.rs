//! The per-category pacers: made on first use with their own ceilings, and a throttle in one
//! category lowers that category's rate alone.

use super::*;

fn pacers() -> Pacers {
    let ceilings = BTreeMap::from([(Category::UserUpdate, 100.0), (Category::UserRead, 300.0)]);
    Pacers::new(ceilings, RetryPolicy::default())
}

#[test]
fn a_throttle_in_one_category_does_not_lower_another() {
    let p = pacers();
    let (update, read) = (p.of(Category::UserUpdate), p.of(Category::UserRead));
    let update_before = update.rate.snapshot().current_rps;
    for _ in 0..8 {
        read.rate.on_throttle(); // eight at once: one decrease
    }
    let (u, r) = (update.rate.snapshot(), read.rate.snapshot());
    assert_eq!(r.decreases, 1, "the throttled category backed off once");
    assert_eq!(u.decreases, 0, "the other did not");
    // Slow start only grows: the update pacer is where it was, or higher.
    assert!(u.current_rps >= update_before, "{u:?} vs {update_before}");
    // And the same pacer is handed out again, with the decrease.
    assert_eq!(p.of(Category::UserRead).rate.snapshot().decreases, 1);
    assert_eq!(p.of(Category::UserUpdate).rate.snapshot().decreases, 0);
}

#[test]
fn each_category_has_its_ceiling_and_is_made_on_first_use() {
    let p = pacers();
    assert!(p.used().is_empty(), "no pacer before a call");
    assert_eq!(p.of(Category::UserUpdate).rate.snapshot().max_rps, 100.0);
    assert_eq!(p.of(Category::UserRead).rate.snapshot().max_rps, 300.0);
    // No flag for UserList: its default share of the quota.
    let list = p.of(Category::UserList).rate.snapshot().max_rps;
    assert_eq!(list, Category::UserList.default_ceiling());
    let used: Vec<Category> = p.used().into_iter().map(|(c, _)| c).collect();
    assert_eq!(
        used,
        [Category::UserUpdate, Category::UserRead, Category::UserList]
    );
}

#[test]
fn figures_and_timelines_are_kept_per_category() {
    let p = pacers();
    let update = p.of(Category::UserUpdate);
    let read = p.of(Category::UserRead);
    update
        .meter
        .record(super::super::CallOutcome::Success, 10.0);
    read.meter.record(super::super::CallOutcome::Throttle, 20.0);
    read.meter.record(super::super::CallOutcome::Success, 20.0);
    p.of(Category::UserList); // made, never called: not in the figures
    let figures = p.figures();
    assert_eq!(figures.len(), 2);
    let by = |name: &str| figures.iter().find(|f| f.category == name).unwrap().clone();
    let (u, r) = (by("UserUpdate"), by("UserRead"));
    assert_eq!((u.calls, u.successes, u.throttles), (1, 1, 0));
    assert_eq!((r.calls, r.successes, r.throttles), (2, 1, 1));
    assert_eq!((u.max_rps, r.max_rps), (100.0, 300.0));
    // Added up, the timeline of both: their calls together.
    let both = p.timeline(|_| true);
    assert_eq!(both.iter().map(|s| s.calls).sum::<u64>(), 3);
    let writes = p.timeline(|c| c == Category::UserUpdate);
    assert_eq!(writes.iter().map(|s| s.calls).sum::<u64>(), 1);
}

#[test]
fn timelines_add_up_second_by_second() {
    let second = |t, calls| Second {
        t,
        calls,
        successes: calls,
        rate_limit: 5.0,
        ..Second::default()
    };
    let mut total = vec![second(0, 1)];
    add_timeline(&mut total, &[second(0, 2), second(1, 0), second(2, 4)]);
    let calls: Vec<u64> = total.iter().map(|s| s.calls).collect();
    assert_eq!(calls, [3, 0, 4]);
    assert_eq!(total[0].rate_limit, 10.0);
    assert_eq!(total[1].t, 1);
}
