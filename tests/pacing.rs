//! Pacing across runs, in-process against the fake pool: a resumed run starts its pacer at the
//! rate its journal's run held instead of ramping up again (issue 20). The rates themselves
//! are measured by bench/quota_bought.sh, never asserted here.

mod inprocess;

use std::path::Path;

use cognito_bulk::cognito::Pool;
use cognito_bulk::cognito::api::Api;
use cognito_bulk::cognito::fake::FakePool;
use cognito_bulk::cognito::faults::{Fault, Faulty};
use cognito_bulk::cognito::pacing::RetryPolicy;
use cognito_bulk::model::source::Source;
use cognito_bulk::report::Report;
use cognito_bulk::send::ApplyOptions;

fn options(input: &Path, dir: &Path, rps: f64) -> ApplyOptions {
    ApplyOptions {
        rps,
        retry: RetryPolicy::default(),
        // Measures the update pacer alone: the read before each update has its own.
        read_before_write: None,
        advice: Default::default(),
        ..inprocess::options(input, dir)
    }
}

async fn run<P: Pool>(pool: &P, mut opts: ApplyOptions) -> Report {
    opts.preflight = Some(inprocess::preflight(pool, Source::None, false).await);
    inprocess::run_prepared(pool, opts).await
}

/// Rewrites the finish times of the journal's entries as if its run had updated `per_second`
/// rows a second.
fn spread_journal(path: &Path, per_second: f64) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    // A row's intent (written before its call) shares the time of its outcome.
    let mut i = 0usize;
    for line in lines {
        let mut entry: serde_json::Value = serde_json::from_str(line).unwrap();
        entry["t"] = serde_json::json!(1_000_000.0 + i as f64 / per_second);
        if entry["outcome"] != "intent" {
            i += 1;
        }
        out.push_str(&format!("{entry}\n"));
    }
    std::fs::write(path, out).unwrap();
}

#[tokio::test]
async fn a_resumed_run_starts_at_the_rate_its_journal_held() {
    let pool = FakePool::new(&[("tier", true)]);
    let mut text = String::from("username,custom:tier\n");
    for i in 0..3000 {
        pool.add_user(&format!("u{i:04}"), &[("custom:tier", "free")]);
        text.push_str(&format!("u{i:04},pro\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, text).unwrap();
    // The first run stops at the 2,500th update (a fatal answer), fast.
    let pool = Faulty::new(pool);
    pool.fail_from(Api::Update, 2500, Fault::fatal("NotAuthorizedException"), 1);
    let first = run(&pool, options(&input, dir.path(), 5000.0)).await;
    assert!(first.stopped.is_some(), "{:?}", first.stopped);
    assert!(first.updated > 2000, "{}", first.updated);
    // As if it had held 600 updates a second over its last seconds.
    spread_journal(&dir.path().join("journal"), 600.0);

    // The resume at --rps 800 opens at 600/s, not at a quarter of 800 (200/s, doubling each
    // second): its first second's rate limit is at least 600 whatever its length.
    let second = run(&pool, options(&input, dir.path(), 800.0)).await;
    assert_eq!(second.stopped, None);
    let opening = second.timeline[0].rate_limit;
    assert!(opening >= 599.0, "{:?}", &second.timeline);
}

#[tokio::test]
async fn a_new_run_opens_at_a_quarter_of_the_ceiling() {
    let pool = FakePool::new(&[("tier", true)]);
    let mut text = String::from("username,custom:tier\n");
    for i in 0..50 {
        pool.add_user(&format!("u{i:04}"), &[("custom:tier", "free")]);
        text.push_str(&format!("u{i:04},pro\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, text).unwrap();
    let report = run(&pool, options(&input, dir.path(), 800.0)).await;
    assert_eq!(report.updated, 50);
    // Slow start only grows: from 10/s (the opening before issue 20) the rate would reach
    // 200/s after seven seconds.
    let opening = report.timeline[0].rate_limit;
    assert!(opening >= 199.0, "{opening}");
}
