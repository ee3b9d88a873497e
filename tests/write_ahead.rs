//! End to end (moto, the fault proxy): nothing lost to time or crashes (issue 17, items 1
//! and 2). A kill -9 while the pool has applied calls whose answers the proxy holds back,
//! then the same command again and a rollback: every user comes back, those in flight
//! included. A second run changing users while a paced run is going: the paced run reports
//! them as conflicts, and its rollback leaves the second run's values alone.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::proxy::{Config, Fault, FaultProxy, Scripted};
use support::*;

const USERS: usize = 10;

async fn seed(moto: &Moto, n: usize) -> String {
    let client = moto.client();
    let pool = create_pool(&client, &["tier"]).await;
    for i in 0..n {
        create_user(&client, &pool, &format!("u{i}"), &[("custom:tier", "free")]).await;
    }
    pool
}

fn write_input(dir: &Path, name: &str, users: &[usize], tier: &str) -> PathBuf {
    let mut text = String::from("username,custom:tier\n");
    for i in users {
        text.push_str(&format!("u{i},{tier}\n"));
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

async fn tier(moto: &Moto, pool: &str, user: &str) -> String {
    attributes(&moto.client(), pool, user).await["custom:tier"].clone()
}

/// Waits (30 s at most) until `users` hold `value` in the pool itself.
async fn wait_until_applied(moto: &Moto, pool: &str, users: &[&str], value: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut all = true;
        for u in users {
            all &= tier(moto, pool, u).await == value;
        }
        if all {
            return;
        }
        assert!(Instant::now() < deadline, "{users:?} never reached {value}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `apply INPUT` (plan None) or `plan INPUT` then `apply --plan PLAN`: the apply arguments
/// and the journal they write.
async fn apply_args(
    endpoint: &str,
    input: &Path,
    pool: &str,
    plan: bool,
    extra: &[&str],
) -> (Vec<String>, PathBuf) {
    let input = input.to_str().unwrap().to_string();
    let mut args: Vec<String> = match plan {
        true => {
            let made =
                cognito_bulk(endpoint, &["plan", &input, "--user-pool-id", pool], None).await;
            assert_eq!(made.code, 0, "{made:?}");
            vec!["apply".into(), "--plan".into(), format!("{input}.plan")]
        }
        false => vec!["apply".into(), input.clone()],
    };
    args.extend(["--user-pool-id".into(), pool.into()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let journal = match plan {
        true => format!("{input}.plan.journal"),
        false => format!("{input}.journal"),
    };
    (args, journal.into())
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

async fn kill_9_with_answers_held_back(plan: bool, concurrency: usize) {
    let moto = Moto::start();
    let pool = seed(&moto, 5).await;
    let proxy = FaultProxy::start(moto.addr, Config::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), "a.csv", &[0, 1, 2, 3, 4], "pro");
    let c = concurrency.to_string();
    let (args, journal) =
        apply_args(&proxy.url(), &input, &pool, plan, &["--concurrency", &c]).await;
    // The pool applies the first calls; their answers never come back before the kill.
    proxy.script([Scripted {
        op: Some("AdminUpdateUserAttributes".into()),
        fault: Fault::HoldAnswerMs(120_000),
        count: concurrency as u32,
    }]);
    let mut child = command(Some(&proxy.url()), &confirmed(&strs(&args)))
        .spawn()
        .unwrap();
    let in_flight: Vec<String> = (0..concurrency).map(|i| format!("u{i}")).collect();
    let in_flight: Vec<&str> = in_flight.iter().map(String::as_str).collect();
    wait_until_applied(&moto, &pool, &in_flight, "pro").await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "still waiting for the answers"
    );
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    let text = std::fs::read_to_string(&journal).unwrap();
    assert_eq!(
        text.matches("\"outcome\":\"intent\"").count(),
        concurrency,
        "{text}"
    );
    assert!(!text.contains("\"outcome\":\"updated\""), "{text}");

    // The same command again finishes the run; those in flight count as updated.
    let resumed = cognito_bulk(&proxy.url(), &strs(&args), None).await;
    assert_eq!(resumed.code, 0, "{resumed:?}");
    let report = read_report(&journal.with_extension("report.json"));
    assert_eq!(
        (report["updated"].as_u64(), report["unchanged"].as_u64()),
        (Some(5), Some(0))
    );

    // The rollback without its own reads (the flag the README offers) restores them too.
    let journal = journal.to_str().unwrap();
    let mut undo = vec!["rollback", journal, "--yes"];
    if plan {
        undo.push("--no-read-before-write");
    }
    let undo = cognito_bulk(&proxy.url(), &undo, None).await;
    assert_eq!(undo.code, 0, "{undo:?}");
    for i in 0..5 {
        assert_eq!(tier(&moto, &pool, &format!("u{i}")).await, "free", "u{i}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_with_an_answer_held_back_then_resume_and_rollback_restore_every_user() {
    kill_9_with_answers_held_back(false, 1).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_of_apply_plan_with_two_answers_held_back_then_rollback_restores_all() {
    kill_9_with_answers_held_back(true, 2).await;
}

async fn concurrent_writer_during_a_paced_run(plan: bool) {
    let moto = Moto::start();
    let pool = seed(&moto, USERS).await;
    let dir = tempfile::tempdir().unwrap();
    let all: Vec<usize> = (0..USERS).collect();
    let a = write_input(dir.path(), "a.csv", &all, "pro");
    let b = write_input(dir.path(), "b.csv", &[8, 9], "gold");
    let (args, journal) = apply_args(&moto.url(), &a, &pool, plan, &["--rps", "1", "--json"]).await;
    // Run A, one call a second; run B sets u8 and u9 while A is on its first users.
    let run_a = command(Some(&moto.url()), &confirmed(&strs(&args)))
        .spawn()
        .unwrap();
    wait_for_lines(&journal, 2).await;
    let b = b.to_str().unwrap();
    let run_b = cognito_bulk(&moto.url(), &["apply", b, "--user-pool-id", &pool], None).await;
    assert_eq!(run_b.code, 0, "{run_b:?}");
    let run_a = finish(run_a).await;
    assert_eq!(run_a.code, 1, "conflicts exit 1: {run_a:?}");
    let summary: serde_json::Value = serde_json::from_str(&run_a.stdout).unwrap();
    assert_eq!(
        (summary["updated"].as_u64(), summary["conflicts"].as_u64()),
        (Some(8), Some(2)),
        "{summary}"
    );
    assert!(
        run_a.stderr.contains("user \"u8\""),
        "listed: {}",
        run_a.stderr
    );
    assert_eq!(tier(&moto, &pool, "u8").await, "gold", "not overwritten");

    let journal = journal.to_str().unwrap();
    let undo = cognito_bulk(&moto.url(), &["rollback", journal, "--yes"], None).await;
    assert_eq!(undo.code, 0, "{undo:?}");
    for i in 0..8 {
        assert_eq!(tier(&moto, &pool, &format!("u{i}")).await, "free");
    }
    for u in ["u8", "u9"] {
        assert_eq!(tier(&moto, &pool, u).await, "gold", "B's value kept");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_during_a_paced_apply_is_a_conflict_and_survives_its_rollback() {
    concurrent_writer_during_a_paced_run(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_during_a_paced_apply_plan_is_a_conflict_and_survives_its_rollback() {
    concurrent_writer_during_a_paced_run(true).await;
}
