//! `apply` under faults, in-process: the engine on the fake pool wrapped in `Faulty`, which
//! answers scripted calls as the fault proxy would (a quota far below `--rps`, 500 and 503
//! answers, connections reset before and after the request left, slow and lost answers).
//! Every row must end updated, or failed with its code after the bounded retries, and the
//! report must agree with what the wrapper counted (received) and the pool saw (applied).
//! What only the wire shows (the SDK's mapping of a real reset, a 503 page or a timeout) stays
//! in `tests/faults.rs`, against moto and the proxy.

mod inprocess;

use std::path::{Path, PathBuf};
use std::time::Duration;

use cognito_bulk::cognito::Pool;
use cognito_bulk::cognito::api::Api;
use cognito_bulk::cognito::fake::FakePool;
use cognito_bulk::cognito::faults::{Fault, Faulty};
use cognito_bulk::model::source::Source;
use cognito_bulk::report::Report;
use cognito_bulk::send::ApplyOptions;

/// A pool with `n` users u0..u{n-1} on tier "free", wrapped for faults, and an input that sets
/// custom:tier to gold-{i} on each.
fn pool_and_input(n: usize, dir: &Path) -> (Faulty<FakePool>, PathBuf) {
    let fake = FakePool::new(&[("tier", true)]);
    let mut csv = String::from("username,custom:tier\n");
    for i in 0..n {
        fake.add_user(&format!("u{i}"), &[("custom:tier", "free")]);
        csv.push_str(&format!("u{i},gold-{i}\n"));
    }
    let input = dir.join("in.csv");
    std::fs::write(&input, csv).unwrap();
    (Faulty::new(fake), input)
}

async fn run<P: Pool>(pool: &P, mut opts: ApplyOptions) -> Report {
    opts.preflight = Some(inprocess::preflight(pool, Source::List, false).await);
    inprocess::run_prepared(pool, opts).await
}

fn assert_all_updated(pool: &FakePool, n: usize) {
    for i in 0..n {
        let got = pool.attributes(&format!("u{i}"));
        assert_eq!(got["custom:tier"], format!("gold-{i}"), "u{i}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_quota_far_below_rps_throttles_but_fails_no_row() {
    let dir = tempfile::tempdir().unwrap();
    let n = 400;
    let (pool, input) = pool_and_input(n, dir.path());
    pool.quota(Api::Update, 200.0, 5.0);
    let mut opts = inprocess::options(&input, dir.path());
    (opts.rps, opts.concurrency) = (2000.0, 16);
    // The update pacer alone: the read before each update has its own (80/s).
    opts.read_before_write = None;
    let report = run(&pool, opts).await;
    assert_all_updated(pool.inner(), n);
    let throttled = pool.injected() as u64;
    assert!(throttled > 0, "the quota was hit");
    assert_eq!((report.updated, report.failed), (n as u64, 0));
    assert_eq!(report.throttled, throttled);
    let received = pool.count(Api::Update) as u64;
    assert_eq!(report.api_calls, received);
    assert_eq!(report.retries, received - n as u64);
    assert_eq!(pool.inner().count(Api::Update), n, "each row applied once");
    // The pacer came down from the 2000/s ceiling.
    assert!(report.final_rps < 2000.0, "{}", report.final_rps);
    let successes: u64 = report.timeline.iter().map(|s| s.successes).sum();
    let throttles: u64 = report.timeline.iter().map(|s| s.throttles).sum();
    assert_eq!((successes, throttles), (n as u64, throttled));
}

#[tokio::test(flavor = "multi_thread")]
async fn scripted_faults_are_retried_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let n = 30;
    let (pool, input) = pool_and_input(n, dir.path());
    for (fault, count) in [
        (Fault::internal_error(), 3),
        (Fault::reset_before(), 2),
        (Fault::reset_after(), 2),
        (Fault::unavailable(), 1),
        (Fault::Delay(Duration::from_millis(300)), 2),
        (Fault::timeout(), 1),
    ] {
        pool.fail(Api::Update, fault, count);
    }
    let mut opts = inprocess::options(&input, dir.path());
    opts.concurrency = 4;
    opts.retry.max_transient_retries = 12;
    let report = run(&pool, opts).await;
    assert_all_updated(pool.inner(), n);
    assert_eq!((report.updated, report.failed), (n as u64, 0));
    // 3 x 500, 2 resets before, 2 after, 1 x 503 and one answer after the timeout.
    assert_eq!(report.retries, 9, "{report:?}");
    assert_eq!(report.api_calls, pool.count(Api::Update) as u64);
    assert_eq!(report.api_calls, n as u64 + 9);
    // Broken connections and the timeout leave the outcome unknown; the retry is still safe.
    assert_eq!(report.unknown_outcomes, 5, "{report:?}");
    // The resets after the request left and the late answer had been applied.
    assert_eq!(pool.inner().count(Api::Update), n + 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fault_that_persists_fails_the_row_after_bounded_retries() {
    let dir = tempfile::tempdir().unwrap();
    let (pool, input) = pool_and_input(3, dir.path());
    // The first row gets a 500 on its first attempt and on all three retries.
    pool.fail(Api::Update, Fault::internal_error(), 4);
    let mut opts = inprocess::options(&input, dir.path());
    opts.concurrency = 1;
    opts.retry.max_transient_retries = 3;
    let report = run(&pool, opts).await;
    assert_eq!((report.updated, report.failed), (2, 1));
    assert_eq!(report.failures_by_code["InternalErrorException"], 1);
    assert_eq!(report.api_calls, 6);
    let failed = std::fs::read_to_string(dir.path().join("failed.csv")).unwrap();
    assert!(
        failed.starts_with(
            "username,custom:tier,error_code,error_message\nu0,gold-0,InternalErrorException,"
        ),
        "{failed}"
    );
    assert_eq!(pool.inner().attributes("u0")["custom:tier"], "free");
}
