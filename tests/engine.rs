//! The middle tier: the whole engine (prepare, decide, send, journal, report) run in-process
//! against the fake pool, in milliseconds, no network: throttle storms, fatal answers mid-run
//! and resume, the verification messages real Cognito would send.

mod inprocess;

use std::path::{Path, PathBuf};

use cognito_bulk::cognito::Pool;
use cognito_bulk::cognito::api::Api;
use cognito_bulk::cognito::fake::FakePool;
use cognito_bulk::cognito::faults::{Fault, Faulty};
use cognito_bulk::model::source::Source;
use cognito_bulk::report::Report;
use cognito_bulk::rows::input::{EmptyCells, Format};
use cognito_bulk::send::ApplyOptions;

fn fake(users: usize) -> FakePool {
    let pool = FakePool::new(&[("tier", true)]);
    for i in 0..users {
        let email = format!("u{i}@old.example");
        pool.add_user(
            &format!("u{i:03}"),
            &[
                ("email", &email),
                ("email_verified", "true"),
                ("custom:tier", "free"),
            ],
        );
    }
    pool
}

fn options(input: &Path, dir: &Path) -> ApplyOptions {
    inprocess::options(input, dir)
}

async fn run<P: Pool>(pool: &P, mut opts: ApplyOptions, allow: bool) -> Report {
    opts.preflight = Some(inprocess::preflight(pool, Source::List, allow).await);
    inprocess::run_prepared(pool, opts).await
}

fn csv(dir: &Path, text: String) -> PathBuf {
    let path = dir.join("in.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn tiers(n: usize, tier: &str) -> String {
    let mut text = String::from("username,custom:tier\n");
    for i in 0..n {
        text.push_str(&format!("u{i:03},{tier}\n"));
    }
    text
}

#[tokio::test]
async fn a_throttle_storm_lands_every_row_once() {
    // The storm starts once the run is going (the pacer measures what got through).
    let pool = Faulty::new(fake(60));
    pool.fail_from(Api::Update, 15, Fault::throttle(), 15);
    let dir = tempfile::tempdir().unwrap();
    let input = csv(dir.path(), tiers(60, "pro"));
    let report = run(&pool, options(&input, dir.path()), false).await;
    assert_eq!(
        (report.updated, report.failed, report.throttled),
        (60, 0, 15)
    );
    assert_eq!(pool.count(Api::Update), 75);
    assert_eq!(pool.inner().count(Api::Update), 60, "each row applied once");
    let pool = pool.inner();
    for i in 0..60 {
        assert_eq!(pool.attributes(&format!("u{i:03}"))["custom:tier"], "pro");
    }
}

#[tokio::test]
async fn a_fatal_answer_stops_the_run_and_a_resume_sends_only_the_rest() {
    let pool = Faulty::new(fake(100));
    // The 40th update is refused as unauthorized: every other row would fail the same way.
    pool.fail_from(Api::Update, 40, Fault::fatal("NotAuthorizedException"), 1);
    let dir = tempfile::tempdir().unwrap();
    let input = csv(dir.path(), tiers(100, "pro"));
    let mut opts = options(&input, dir.path());
    opts.concurrency = 1;
    let first = run(&pool, opts.clone(), false).await;
    assert!(
        first
            .stopped
            .as_deref()
            .unwrap()
            .contains("NotAuthorizedException")
    );
    assert_eq!((first.updated, first.failed), (39, 1));

    opts.retry_failed = true;
    let second = run(&pool, opts, false).await;
    assert_eq!(
        (second.updated, second.failed, second.stopped),
        (100, 0, None)
    );
    // Every user got exactly one successful update; only the refused one was sent twice.
    let (sent, applied) = (pool.calls(), pool.inner().calls());
    for i in 0..100 {
        let user = format!("u{i:03}");
        let times = |calls: &[(Api, String)]| {
            let update = |(c, u): &&(Api, String)| *c == Api::Update && *u == user;
            calls.iter().filter(update).count()
        };
        assert_eq!(times(&sent), if i == 39 { 2 } else { 1 }, "{user}");
        assert_eq!(times(&applied), 1, "{user}");
    }
}

#[tokio::test]
async fn verification_messages_are_exactly_what_cognito_sends() {
    let pool = fake(4);
    let dir = tempfile::tempdir().unwrap();
    // u000/u001 keep their flag (already true in the pool): no message. u002 has none: one.
    let input = csv(
        dir.path(),
        "username,email,email_verified\n\
         u000,a@new.example,true\n\
         u001,b@new.example,true\n\
         u002,c@new.example,\n"
            .to_string(),
    );
    let mut opts = options(&input, dir.path());
    opts.input_options.empty_cells = EmptyCells::Ignore;
    let report = run(&pool, opts, true).await;
    assert_eq!(report.updated, 3);
    assert_eq!(
        pool.messages(),
        1,
        "the fake saw what real Cognito would send"
    );
    assert_eq!(report.verification_messages, pool.messages());
    assert_eq!(pool.attributes("u000")["email_verified"], "true");
    assert_eq!(pool.attributes("u002")["email_verified"], "false");
}

#[tokio::test]
async fn a_transient_storm_fails_rows_after_their_retries_and_goes_on() {
    let pool = Faulty::new(fake(20));
    pool.fail(Api::Update, Fault::internal_error(), 6);
    let dir = tempfile::tempdir().unwrap();
    let input = csv(dir.path(), tiers(20, "pro"));
    let mut opts = options(&input, dir.path());
    opts.concurrency = 1;
    let report = run(&pool, opts, false).await;
    // The first row used its 5 retries and failed; the others went through.
    assert_eq!((report.updated, report.failed), (19, 1));
    assert_eq!(report.failures_by_code["InternalErrorException"], 1);
    let failed = std::fs::read_to_string(dir.path().join("failed.csv")).unwrap();
    assert!(
        failed.contains("u000,pro,InternalErrorException"),
        "{failed}"
    );
}

#[tokio::test]
async fn rollback_restores_the_verified_flag_an_allowed_message_reset() {
    let pool = fake(2);
    let dir = tempfile::tempdir().unwrap();
    // Messages allowed: Cognito marks the new address unverified and mails a code.
    let input = csv(dir.path(), "username,email\nu000,a@new.example\n".into());
    let report = run(&pool, options(&input, dir.path()), true).await;
    assert_eq!((report.updated, pool.messages()), (1, 1));
    assert_eq!(pool.attributes("u000")["email_verified"], "false");
    // The rollback plan comes from the journal alone, and is applied as `rollback` does.
    let plan = dir.path().join("rollback.plan");
    assert_eq!(
        cognito_bulk::rows::rollback::make_plan(&dir.path().join("journal"), &plan, false).unwrap(),
        1
    );
    let mut opts = options(&plan, dir.path());
    opts.input_options.format = Format::Plan;
    opts.journal_path = Some(dir.path().join("rollback.journal"));
    opts.failed_path = dir.path().join("rollback.failed.jsonl");
    let report = run(&pool, opts, true).await;
    assert_eq!((report.updated, report.conflicts), (1, 0));
    let u = pool.attributes("u000");
    assert_eq!(
        (u["email"].as_str(), u["email_verified"].as_str()),
        ("u0@old.example", "true"),
        "the address and its flag, restored in one call"
    );
    assert_eq!(pool.messages(), 1, "the rollback mailed nobody");
    assert_eq!(pool.attributes("u001")["email"], "u1@old.example");
}
