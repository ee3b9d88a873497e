//! In-process (fake pool): what happens at the moment a row is sent. Each user is read again
//! just before its update, so a change someone else makes during a long run is a conflict
//! (not overwritten) and the journal's before-values are the values read then; every call is
//! preceded by its intent in the journal, so a crash while it is in flight loses no undo.

mod inprocess;

use std::path::{Path, PathBuf};
use std::time::Duration;

use cognito_bulk::cognito::api::Api;
use cognito_bulk::cognito::fake::FakePool;
use cognito_bulk::model::source::Source;
use cognito_bulk::report::Report;
use cognito_bulk::rows::input::Format;
use cognito_bulk::send::ApplyOptions;

fn fake(users: usize) -> FakePool {
    let pool = FakePool::new(&[("tier", true)]);
    for i in 0..users {
        pool.add_user(&format!("u{i}"), &[("custom:tier", "free")]);
    }
    pool
}

fn options(input: &Path, dir: &Path, rps: f64) -> ApplyOptions {
    ApplyOptions {
        rps,
        ..inprocess::options(input, dir)
    }
}

async fn run(pool: &FakePool, mut opts: ApplyOptions, current_state: Source) -> Report {
    opts.preflight = Some(inprocess::preflight(pool, current_state, false).await);
    inprocess::run_prepared(pool, opts).await
}

/// Rolls back the run journaled in `dir/journal`, as `rollback` does: its plan, applied.
async fn rollback(pool: &FakePool, dir: &Path) -> Report {
    let plan = dir.join("rollback.plan");
    let _ = std::fs::remove_file(&plan);
    cognito_bulk::rows::rollback::make_plan(&dir.join("journal"), &plan, false).unwrap();
    let mut opts = options(&plan, dir, 2000.0);
    opts.input_options.format = Format::Plan;
    opts.journal_path = Some(dir.join("rollback.journal"));
    opts.failed_path = dir.join("rollback.failed.jsonl");
    opts.restart = true;
    run(pool, opts, Source::List).await
}

fn input(dir: &Path, users: usize, tier: &str) -> PathBuf {
    let mut text = String::from("username,custom:tier\n");
    for i in 0..users {
        text.push_str(&format!("u{i},{tier}\n"));
    }
    let path = dir.join("in.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn tier(pool: &FakePool, user: &str) -> String {
    pool.attributes(user)["custom:tier"].clone()
}

/// Run B: once run A has sent two updates, sets u8 and u9 to "gold" behind A's back.
fn concurrent_writer(pool: &FakePool) -> tokio::task::JoinHandle<()> {
    let pool = pool.clone();
    tokio::spawn(async move {
        while pool.count(Api::Update) < 2 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        pool.set("u8", "custom:tier", "gold");
        pool.set("u9", "custom:tier", "gold");
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_changed_during_a_paced_run_is_a_conflict_and_rollback_keeps_it() {
    let pool = fake(10);
    let dir = tempfile::tempdir().unwrap();
    let input = input(dir.path(), 10, "pro");
    let writer = concurrent_writer(&pool);
    // Run A at 5 calls a second: B writes while A is still going.
    let report = run(&pool, options(&input, dir.path(), 5.0), Source::List).await;
    writer.await.unwrap();
    assert_eq!((report.updated, report.conflicts), (8, 2), "{report:?}");
    assert_eq!(
        (tier(&pool, "u8"), tier(&pool, "u9")),
        ("gold".into(), "gold".into())
    );
    assert_eq!(pool.count(Api::Update), 8, "u8, u9 not sent");
    // Each update was preceded by its own read (10 reads: the 8 sent and the 2 conflicts).
    assert_eq!(pool.count(Api::GetUser), 10);
    let failed = std::fs::read_to_string(dir.path().join("failed.csv")).unwrap();
    assert!(failed.contains("u8,pro,Conflict"), "{failed}");

    let undo = rollback(&pool, dir.path()).await;
    assert_eq!((undo.updated, undo.conflicts), (8, 0));
    for i in 0..8 {
        assert_eq!(tier(&pool, &format!("u{i}")), "free");
    }
    assert_eq!(
        (tier(&pool, "u8"), tier(&pool, "u9")),
        ("gold".into(), "gold".into())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn forced_over_a_concurrent_change_the_journal_keeps_the_value_read_just_before() {
    let pool = fake(10);
    let dir = tempfile::tempdir().unwrap();
    let input = input(dir.path(), 10, "pro");
    let writer = concurrent_writer(&pool);
    let mut opts = options(&input, dir.path(), 5.0);
    opts.force = true;
    let report = run(&pool, opts, Source::List).await;
    writer.await.unwrap();
    assert_eq!((report.updated, report.conflicts), (10, 0));
    // The rollback restores what u8 and u9 held just before A wrote them: B's value.
    rollback(&pool, dir.path()).await;
    assert_eq!(
        (tier(&pool, "u8"), tier(&pool, "u9")),
        ("gold".into(), "gold".into())
    );
    assert_eq!(tier(&pool, "u0"), "free");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_read_a_concurrent_change_is_overwritten_and_its_undo_is_lost() {
    // What --no-read-before-write gives up (the README says so): no conflict, and the
    // journal's before-value is the pre-read's, older than B's change.
    let pool = fake(10);
    let dir = tempfile::tempdir().unwrap();
    let input = input(dir.path(), 10, "pro");
    let writer = concurrent_writer(&pool);
    let mut opts = options(&input, dir.path(), 5.0);
    opts.read_before_write = None;
    let report = run(&pool, opts, Source::List).await;
    writer.await.unwrap();
    assert_eq!((report.updated, report.conflicts), (10, 0));
    assert_eq!(pool.count(Api::GetUser), 0, "no UserRead quota spent");
    rollback(&pool, dir.path()).await;
    assert_eq!(tier(&pool, "u8"), "free", "B's value is gone");
}

#[tokio::test(flavor = "multi_thread")]
async fn current_state_none_reads_before_each_update_so_rollback_works() {
    let pool = fake(3);
    pool.set("u2", "custom:tier", "pro");
    let dir = tempfile::tempdir().unwrap();
    let input = input(dir.path(), 3, "pro");
    let report = run(&pool, options(&input, dir.path(), 2000.0), Source::None).await;
    // Sent as they are (no diff): u2, already "pro", costs a call too.
    assert_eq!(report.updated, 3);
    pool.set("u1", "custom:tier", "gold"); // changed after the run: rollback leaves it
    let undo = rollback(&pool, dir.path()).await;
    assert_eq!((undo.conflicts, tier(&pool, "u0")), (1, "free".into()));
    assert_eq!(
        (tier(&pool, "u1"), tier(&pool, "u2")),
        ("gold".into(), "pro".into())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_in_flight_at_a_crash_is_restored_by_the_rollback_after_the_resume() {
    let pool = fake(5);
    let dir = tempfile::tempdir().unwrap();
    let input = input(dir.path(), 5, "pro");
    let mut opts = options(&input, dir.path(), 2000.0);
    opts.concurrency = 1;
    run(&pool, opts.clone(), Source::List).await;
    // The run as a kill -9 leaves it while u0's call is in flight: the call reached the pool
    // (u0 holds "pro"), its intent is journaled, its outcome and everything after are not.
    let journal = dir.path().join("journal");
    let text = std::fs::read_to_string(&journal).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].contains("\"outcome\":\"intent\""), "{}", lines[1]);
    assert!(
        lines[1].contains("\"before\":{\"custom:tier\":\"free\"}"),
        "{}",
        lines[1]
    );
    std::fs::write(&journal, format!("{}\n{}\n", lines[0], lines[1])).unwrap();
    for i in 1..5 {
        pool.set(&format!("u{i}"), "custom:tier", "free");
    }
    // The resume finds u0 at its target: applied, with the before-values of its intent.
    let resumed = run(&pool, opts, Source::List).await;
    assert_eq!((resumed.updated, resumed.unchanged), (5, 0), "{resumed:?}");
    let undo = rollback(&pool, dir.path()).await;
    assert_eq!(undo.updated, 5);
    for i in 0..5 {
        assert_eq!(tier(&pool, &format!("u{i}")), "free", "u{i}");
    }
}

/// `apply --read-rps N` from the command line, in-process, on `fake(10)` wrapped so that
/// AdminGetUser is throttled over 10 calls a second (a burst of one); returns the wrapper.
async fn read_paced(read_rps: Option<&str>) -> cognito_bulk::cognito::faults::Faulty<FakePool> {
    use cognito_bulk::cognito::faults::Faulty;
    let pool = Faulty::new(fake(10));
    pool.quota(Api::GetUser, 10.0, 1.0);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let mut text = String::from("username,custom:tier\n");
    for i in 0..10 {
        text.push_str(&format!("u{i},pro\n"));
    }
    std::fs::write(&input, text).unwrap();
    let journal = dir.path().join("journal");
    let (input, journal) = (input.to_str().unwrap(), journal.to_str().unwrap());
    let mut args = vec![
        "apply",
        input,
        "--user-pool-id",
        "us-east-1_fake",
        "--yes",
        "--journal",
        journal,
        "--rps",
        "5000",
        "--concurrency",
        "8",
    ];
    args.extend(read_rps.map(|r| ["--read-rps", r]).into_iter().flatten());
    let outcome = inprocess::cognito_bulk(&pool, &args).await;
    assert_eq!(outcome.ok(), Some(cognito_bulk::app::Outcome::Success));
    assert_eq!(pool.count(Api::Update), 10);
    pool
}

/// `--read-rps` reaches the sender: at 4 a second, the reads just before the updates stay
/// under a quota of 10 a second (not one throttled), where the default (80, opening at 20)
/// runs into it; each update comes after its user's read.
#[tokio::test(flavor = "multi_thread")]
async fn a_low_read_rps_paces_the_reads_before_the_updates() {
    let paced = read_paced(Some("4")).await;
    assert_eq!(paced.injected(), 0, "no read throttled at --read-rps 4");
    let calls = paced.calls();
    for i in 0..10 {
        let user = format!("u{i}");
        let at = |api| calls.iter().position(|(c, u)| *c == api && *u == user);
        let (read, update) = (at(Api::GetUser), at(Api::Update));
        assert!(
            read.is_some() && read < update,
            "{user}: read before update"
        );
    }
    let unpaced = read_paced(None).await;
    assert!(
        unpaced.injected() > 0,
        "the default read ceiling runs into the same quota (the control)"
    );
}
