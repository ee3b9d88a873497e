//! The pacer's unit tests, apart from the pacer: slow start, one decrease a cooldown, the cubic
//! recovery, where a run opens, and the ceiling, on a fake clock where the timing allows it.

use governor::clock::FakeRelativeClock;

use super::*;

#[test]
fn slow_start_then_one_decrease_per_cooldown_then_recovery() {
    let rc = RateControl::new(100.0);
    let t0 = match rc.state.lock().unwrap().phase {
        Phase::SlowStart { since, .. } => since,
        Phase::Cubic { .. } => unreachable!(),
    };
    let at = |secs: f64| t0 + Duration::from_secs_f64(secs);
    let rate = |secs: f64| rc.snapshot_at(at(secs)).current_rps;
    assert_eq!(rate(0.0), 25.0, "opens at a quarter of the ceiling");
    let before = rate(1.5);
    assert!(
        (before - 25.0 * 2f64.powf(1.5)).abs() < 0.01,
        "doubles every second: {before}"
    );
    // 120 calls got through in the last two seconds: 60 a second is what is free.
    for i in 0..120 {
        rc.on_success_at(at(0.01 + f64::from(i) / 60.0));
    }
    for i in 0..8 {
        rc.on_throttle_at(at(2.0 + f64::from(i) * 0.01));
    }
    let after = rate(2.0);
    assert!(
        (after - 0.9 * 60.0).abs() < 0.01,
        "one decrease for a burst: {after}"
    );
    let mid = rate(4.0);
    assert!(
        mid > 0.97 * 60.0 && mid < 60.0,
        "climbs back fast, flattens: {mid}"
    );
    let back = rate(6.0);
    assert!(
        (back - 60.0).abs() < 0.01,
        "back at w_max after RECOVERY_SECS: {back}"
    );
    assert_eq!(rate(60.0), 100.0, "then probes up to the ceiling");
}

/// When the pacer's slow start began.
fn began(rc: &RateControl) -> Instant {
    match rc.state.lock().unwrap().phase {
        Phase::SlowStart { since, .. } => since,
        Phase::Cubic { .. } => unreachable!(),
    }
}

#[test]
fn opens_at_a_quarter_of_a_bought_ceiling_and_reaches_it_in_two_seconds() {
    let opening = |max: f64| {
        let rc = RateControl::new(max);
        rc.snapshot_at(began(&rc)).current_rps
    };
    assert_eq!(opening(500.0), 125.0);
    assert_eq!(opening(20.0), START_RPS, "never below START_RPS");
    assert_eq!(opening(4.0), 4.0, "nor above the ceiling");
    let rc = RateControl::new(500.0);
    let t0 = began(&rc);
    let rate = |secs: u64| rc.snapshot_at(t0 + Duration::from_secs(secs)).current_rps;
    assert!((rate(1) - 250.0).abs() < 0.01, "{}", rate(1));
    assert_eq!(rate(2), 500.0);
}

#[test]
fn a_resumed_run_starts_at_the_rate_its_journal_held() {
    let start = |held: f64| {
        let rc = RateControl::new(500.0);
        rc.start_at(held);
        rc.snapshot_at(began(&rc)).current_rps
    };
    assert_eq!(start(430.0), 430.0);
    assert_eq!(start(900.0), 500.0, "never above the ceiling");
    assert_eq!(start(40.0), 125.0, "never below the opening rate");
    assert_eq!(start(f64::NAN), 125.0);
}

#[test]
fn the_ceiling_forgives_a_call_the_timer_released_late() {
    let clock = FakeRelativeClock::default();
    let ceiling = RateLimiter::direct_with_clock(ceiling_quota(500.0), clock.clone());
    let period = Duration::from_millis(2);
    // Calls on schedule, every 2 ms; one of them 1.5 ms late; the ones after it on time.
    for i in 0..100 {
        let late = if i == 50 {
            Duration::from_micros(1500)
        } else {
            Duration::ZERO
        };
        clock.advance(late);
        assert!(ceiling.check().is_ok(), "call {i} held back");
        clock.advance(period - late);
    }
    // And the slack is no burst: after a pause, 25 ms worth of calls and one more.
    clock.advance(Duration::from_secs(1));
    let burst = (0..100).take_while(|_| ceiling.check().is_ok()).count();
    assert_eq!(burst, 1 + 13);
}

#[test]
fn never_falls_below_half_the_rate_in_one_step() {
    let rc = RateControl::new(100.0);
    let t0 = Instant::now();
    rc.on_throttle_at(t0 + Duration::from_secs(2));
    let r = rc.snapshot_at(t0 + Duration::from_secs(2)).current_rps;
    assert!(r >= 0.9 * 0.5 * 22.0, "{r}");
}

#[tokio::test]
async fn paces_calls_at_the_ceiling() {
    let rc = RateControl::new(5.0);
    let start = std::time::Instant::now();
    for _ in 0..6 {
        rc.acquire().await;
    }
    // Five gaps of 200 ms at least.
    assert!(start.elapsed() >= Duration::from_millis(990));
}
