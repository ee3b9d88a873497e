//! Resuming after faults, in-process: the engine on the fake pool wrapped in `Faulty`. A
//! call whose answer was lost is an unknown outcome that a resume checks instead of sending
//! again, and that rollback restores; the failure-rate breaker stops a failing run and `--retry-failed` goes on; rows
//! wrong in themselves are not sent again. What needs a real process (kill -9, Ctrl-C, a
//! journal that cannot be written, the advice printed) stays in `tests/resume.rs`.

mod inprocess;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cognito_bulk::cognito::Pool;
use cognito_bulk::cognito::api::Api;
use cognito_bulk::cognito::fake::FakePool;
use cognito_bulk::cognito::faults::{Fault, Faulty};
use cognito_bulk::model::source::Source;
use cognito_bulk::report::Report;
use cognito_bulk::rows::input::Format;
use cognito_bulk::send::ApplyOptions;

/// A pool with users u0000..u{users-1} on tier "free", wrapped for faults.
fn seed(users: usize) -> Faulty<FakePool> {
    let fake = FakePool::new(&[("tier", true)]);
    for i in 0..users {
        fake.add_user(&format!("u{i:04}"), &[("custom:tier", "free")]);
    }
    Faulty::new(fake)
}

/// An input setting custom:tier to {value}-{i} for u0000..u{rows-1}.
fn write_input(dir: &Path, rows: usize, value: &str) -> PathBuf {
    let mut csv = String::from("username,custom:tier\n");
    for i in 0..rows {
        csv.push_str(&format!("u{i:04},{value}-{i}\n"));
    }
    let input = dir.join("in.csv");
    std::fs::write(&input, csv).unwrap();
    input
}

async fn run<P: Pool>(pool: &P, mut opts: ApplyOptions, source: Source) -> Report {
    opts.preflight = Some(inprocess::preflight(pool, source, false).await);
    inprocess::run_prepared(pool, opts).await
}

/// How many update calls of each user are in `calls`.
fn per_user(calls: Vec<(Api, String)>) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for (_, user) in calls.into_iter().filter(|(c, _)| *c == Api::Update) {
        *out.entry(user).or_default() += 1;
    }
    out
}

fn assert_pool(pool: &FakePool, users: usize, value: &str) {
    for i in 0..users {
        let got = pool.attributes(&format!("u{i:04}"));
        assert_eq!(got["custom:tier"], format!("{value}-{i}"), "u{i:04}");
    }
}

/// Rolls back the run journaled in `dir/journal`, as `rollback` does: its plan, applied.
async fn rollback<P: Pool>(pool: &P, dir: &Path) -> Report {
    let plan = dir.join("rollback.plan");
    cognito_bulk::rows::rollback::make_plan(&dir.join("journal"), &plan, false).unwrap();
    let mut opts = inprocess::options(&plan, dir);
    opts.input_options.format = Format::Plan;
    opts.journal_path = Some(dir.join("rollback.journal"));
    opts.failed_path = dir.join("rollback.failed.jsonl");
    run(pool, opts, Source::List).await
}

fn assert_restored(pool: &FakePool, users: usize) {
    for i in 0..users {
        let got = pool.attributes(&format!("u{i:04}"));
        assert_eq!(got["custom:tier"], "free", "u{i:04}");
    }
}

#[tokio::test]
async fn a_lost_answer_then_a_fatal_one_resume_applies_every_user_once_and_rolls_back() {
    let pool = seed(10);
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), 10, "gold");
    // u0002's call is applied but its answer lost, and its five retries never leave: its
    // outcome is unknown. u0005's call is refused as unauthorized: the run stops there.
    pool.fail_from(Api::Update, 3, Fault::reset_after(), 1);
    pool.fail_from(Api::Update, 4, Fault::reset_before(), 5);
    pool.fail_from(Api::Update, 11, Fault::fatal("NotAuthorizedException"), 1);
    let mut opts = inprocess::options(&input, dir.path());
    opts.concurrency = 1;
    let first = run(&pool, opts.clone(), Source::List).await;
    assert!(
        first
            .stopped
            .as_deref()
            .unwrap()
            .contains("NotAuthorizedException")
    );
    assert_eq!((first.updated, first.failed, first.unknown_rows), (4, 2, 1));

    // (A row of unknown outcome counts among the failed.)
    // The same command with --retry-failed: u0002 is read and found applied (not sent
    // again), u0005 and the rows never reached are sent.
    opts.retry_failed = true;
    let second = run(&pool, opts, Source::List).await;
    assert_eq!(
        (second.updated, second.failed, second.stopped),
        (10, 0, None)
    );
    assert_pool(pool.inner(), 10, "gold");
    assert!(
        per_user(pool.inner().calls()).values().all(|&c| c == 1),
        "every user's update applied exactly once: {:?}",
        per_user(pool.inner().calls())
    );
    assert_eq!(
        per_user(pool.calls())["u0002"],
        6,
        "sent six times, in the first run"
    );

    // The rollback restores every user, u0002 from the before-values of its intent.
    let undo = rollback(&pool, dir.path()).await;
    assert_eq!((undo.updated, undo.conflicts), (10, 0));
    assert_restored(pool.inner(), 10);
}

#[tokio::test]
async fn lost_answers_are_unknown_outcomes_that_rollback_restores() {
    let pool = seed(10);
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), 10, "pro");
    // The first three updates reach the pool, then the connection breaks: no retry left.
    pool.fail(Api::Update, Fault::reset_after(), 3);
    let mut opts = inprocess::options(&input, dir.path());
    (opts.concurrency, opts.retry.max_transient_retries) = (1, 0);
    let first = run(&pool, opts.clone(), Source::List).await;
    assert_eq!((first.updated, first.failed, first.unknown_rows), (7, 3, 3));
    assert_pool(pool.inner(), 10, "pro");
    // A resend (--retry-failed) finds them applied and keeps their first before-values.
    opts.retry_failed = true;
    let second = run(&pool, opts, Source::List).await;
    assert_eq!((second.updated, second.unknown_rows), (10, 0));
    assert_eq!(pool.count(Api::Update), 10, "none sent again");
    // So rollback restores every user, those three included.
    let undo = rollback(&pool, dir.path()).await;
    assert_eq!((undo.updated, undo.conflicts), (10, 0));
    assert_restored(pool.inner(), 10);
}

#[tokio::test]
async fn rollback_restores_users_whose_answer_was_lost() {
    let pool = seed(4);
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), 4, "pro");
    pool.fail(Api::Update, Fault::reset_after(), 2);
    let mut opts = inprocess::options(&input, dir.path());
    (opts.concurrency, opts.retry.max_transient_retries) = (1, 0);
    let first = run(&pool, opts, Source::List).await;
    assert_eq!((first.updated, first.unknown_rows), (2, 2));
    // Straight to rollback: the unknown ones hold the values sent, so they are restored.
    let undo = rollback(&pool, dir.path()).await;
    assert_eq!((undo.updated, undo.conflicts), (4, 0));
    assert_restored(pool.inner(), 4);
}

#[tokio::test]
async fn the_failure_rate_breaker_stops_a_failing_run_and_retry_failed_goes_on() {
    // 40 users exist; 260 do not. Sent blind, so that the calls fail (a pre-read, or the read
    // just before each update, would find the missing users without an update).
    let pool = seed(40);
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), 300, "lead");
    let mut opts = inprocess::options(&input, dir.path());
    opts.read_before_write = None;
    assert_eq!(opts.max_failure_rate, 0.5);
    let first = run(&pool, opts.clone(), Source::None).await;
    let stopped = first.stopped.as_deref().unwrap_or("");
    assert!(stopped.contains("--max-failure-rate 50%"), "{first:?}");
    let sent = per_user(pool.calls()).len();
    assert!(
        (100..=110).contains(&sent),
        "stopped soon after 100 rows: {sent}"
    );

    // The missing users are created; --retry-failed sends the failed rows again and goes on.
    for i in 40..300 {
        pool.inner().add_user(&format!("u{i:04}"), &[]);
    }
    opts.retry_failed = true;
    let second = run(&pool, opts, Source::None).await;
    assert_eq!(
        (second.updated, second.failed, second.stopped.as_deref()),
        (300, 0, None)
    );
    assert!(second.failures_by_code.is_empty(), "{second:?}");
    assert_pool(pool.inner(), 300, "lead");
    // Rows updated in the first run were not sent again.
    let calls = per_user(pool.calls());
    assert!(calls.iter().all(|(u, &c)| c == 1 || u.as_str() >= "u0040"));
}

#[tokio::test]
async fn retry_failed_leaves_rows_that_are_wrong_in_themselves() {
    let pool = seed(4);
    // The first row is refused as bad data, the second as a missing user.
    pool.fail(Api::Update, Fault::row("InvalidParameterException"), 1);
    pool.fail(Api::Update, Fault::row("UserNotFoundException"), 1);
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), 4, "tin");
    let mut opts = inprocess::options(&input, dir.path());
    opts.concurrency = 1;
    let first = run(&pool, opts.clone(), Source::None).await;
    assert_eq!((first.updated, first.failed), (2, 2));
    opts.retry_failed = true;
    let report = run(&pool, opts, Source::None).await;
    let calls = per_user(pool.calls());
    assert_eq!(calls["u0000"], 1, "bad data is not sent again as it is");
    assert_eq!(calls["u0001"], 2, "the missing user is tried again");
    assert_eq!((report.updated, report.failed), (3, 1));
    assert_eq!(report.failures_by_code["InvalidParameterException"], 1);
}
