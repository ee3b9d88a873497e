//! Never lose work: real process kills and interrupts, torn and foreign journals, a journal
//! that cannot be written. All against moto, with the proxy counting what was sent for each
//! user. The engine's side of resuming (lost answers, the failure-rate breaker,
//! `--retry-failed`) is tested in-process in `tests/resume_inprocess.rs`.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use support::proxy::{Config, FaultProxy};
use support::*;

const OP: &str = "AdminUpdateUserAttributes";

/// Creates users u0000.. in bulk (concurrently: moto handles it for plain-username pools).
async fn seed(moto: &Moto, n: usize) -> String {
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(n.div_ceil(8).max(1)) {
        let (c, pool, chunk) = (c.clone(), pool.clone(), chunk.to_vec());
        tasks.spawn(async move {
            for i in chunk {
                create_user(&c, &pool, &format!("u{i:04}"), &[("custom:tier", "free")]).await;
            }
        });
    }
    tasks.join_all().await;
    pool
}

fn write_input(dir: &Path, n: usize, value: &str) -> PathBuf {
    let mut csv = String::from("username,custom:tier\n");
    for i in 0..n {
        csv.push_str(&format!("u{i:04},{value}-{i}\n"));
    }
    let input = dir.join("in.csv");
    std::fs::write(&input, csv).unwrap();
    input
}

/// How many update calls reached the proxy for each user.
fn calls_per_user(proxy: &FaultProxy) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (op, body) in proxy.stats().bodies {
        if op == OP {
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            *out.entry(v["Username"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    out
}

/// Journal entries: (row index, outcome), the intents written before each call left out. A
/// torn last line (a write cut short) is left out.
fn journal_entries(path: &Path) -> Vec<(u64, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.split_inclusive('\n').skip(1).collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(v) if line.ends_with('\n') => out.push((
                v["n"].as_u64().unwrap(),
                v["outcome"].as_str().unwrap().to_string(),
            )),
            _ => assert_eq!(i, lines.len() - 1, "only the last line may be torn"),
        }
    }
    out.retain(|(_, outcome)| outcome != "intent");
    out
}

async fn assert_pool(moto: &Moto, pool: &str, n: usize, value: &str) {
    let c = moto.client();
    for i in 0..n {
        let got = attributes(&c, pool, &format!("u{i:04}")).await;
        assert_eq!(got["custom:tier"], format!("{value}-{i}"), "u{i:04}");
    }
}

/// Starts the binary in the background, as a user would.
fn spawn(endpoint: &str, args: &[&str]) -> tokio::process::Child {
    command(Some(endpoint), &confirmed(args)).spawn().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_at_random_moments_then_resume() {
    let n = 1500;
    let moto = Moto::start();
    let pool = seed(&moto, n).await;
    let proxy = FaultProxy::start(moto.addr, Config::recording()).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), n, "gold");
    // Blind (no pre-read), so that rows in flight at a kill are sent again as they are; with
    // the default diff they would be found unchanged (see the torn-tail test).
    let args = [
        "apply",
        input.to_str().unwrap(),
        "--user-pool-id",
        &pool,
        "--rps",
        "300",
        "--current-state",
        "none",
    ];
    let mut kills = 0;
    let journal = dir.path().join("in.csv.journal");
    for delay_ms in [300u64, 700, 100] {
        let mut child = spawn(&proxy.url(), &args);
        // Some rows recorded by this run, then a little more: a moment mid-run.
        let before = std::fs::read_to_string(&journal).map_or(0, |t| t.lines().count());
        wait_for_lines(&journal, before + 20).await;
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        if child.try_wait().unwrap().is_some() {
            break;
        }
        child.start_kill().unwrap(); // SIGKILL
        child.wait().await.unwrap();
        kills += 1;
    }
    assert!(kills >= 2, "the run was killed mid-way at least twice");
    let run = cognito_bulk(&proxy.url(), &args, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("skipped: already done"),
        "{}",
        run.stdout
    );
    assert_pool(&moto, &pool, n, "gold").await;

    // Every row is in the journal exactly once, as finished.
    let entries = journal_entries(&dir.path().join("in.csv.journal"));
    assert_eq!(entries.len(), n);
    let mut seen: Vec<u64> = entries.iter().map(|e| e.0).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), n);
    assert!(entries.iter().all(|e| e.1 == "updated"));

    // No row was sent twice, except the few in flight at each kill (8 workers).
    let twice: Vec<_> = calls_per_user(&proxy)
        .into_iter()
        .filter(|(_, c)| *c > 1)
        .collect();
    assert!(
        twice.len() <= kills * 8,
        "{} rows sent more than once: {twice:?}",
        twice.len()
    );
    assert_eq!(calls_per_user(&proxy).len(), n);

    let report = read_report(&dir.path().join("in.csv.report.json"));
    assert_eq!(report["updated"], n as u64);
    assert_eq!(report["rows_total"], n as u64);
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_cleanly_and_the_printed_command_resumes() {
    let n = 600;
    let moto = Moto::start();
    let pool = seed(&moto, n).await;
    let proxy = FaultProxy::start(moto.addr, Config::recording()).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), n, "silver");
    let child = spawn(
        &proxy.url(),
        &[
            "apply",
            input.to_str().unwrap(),
            "--user-pool-id",
            &pool,
            "--rps",
            "100",
        ],
    );
    wait_for_lines(&dir.path().join("in.csv.journal"), 30).await;
    interrupt(&child);
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let report = read_report(&dir.path().join("in.csv.report.json"));
    assert_eq!(report["stopped"], "interrupted");
    let updated = report["updated"].as_u64().unwrap();
    assert!(updated > 0 && updated < n as u64, "{report}");
    // Calls in flight finished and were recorded: the journal knows every call that was sent.
    assert_eq!(
        journal_entries(&dir.path().join("in.csv.journal")).len() as u64,
        updated
    );
    assert_eq!(calls_per_user(&proxy).len() as u64, updated);

    let words = resume_advice(&stderr);
    assert!(words[0].ends_with("cognito-bulk"));
    let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    // The printed command carries the endpoint the test gave; run it as printed.
    let run = cognito_bulk_exact(&args).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_pool(&moto, &pool, n, "silver").await;
    assert!(
        calls_per_user(&proxy).values().all(|&c| c == 1),
        "no row sent twice"
    );
}

/// Runs the binary with exactly these arguments (no added endpoint).
async fn cognito_bulk_exact(args: &[&str]) -> Run {
    finish(command(None, args).spawn().unwrap()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_torn_journal_tail_is_ignored_and_its_row_sent_again() {
    let n = 20;
    let moto = Moto::start();
    let pool = seed(&moto, n).await;
    let proxy = FaultProxy::start(moto.addr, Config::recording()).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), n, "tin");
    let args = [
        "apply",
        input.to_str().unwrap(),
        "--user-pool-id",
        &pool,
        "--concurrency",
        "1",
    ];
    assert_eq!(cognito_bulk(&proxy.url(), &args, None).await.code, 0);
    // Tear the last entry, as a crash in the middle of its write would.
    let journal = dir.path().join("in.csv.journal");
    let bytes = std::fs::read(&journal).unwrap();
    std::fs::write(&journal, &bytes[..bytes.len() - 10]).unwrap();
    let report = cognito_bulk(&proxy.url(), &["report", journal.to_str().unwrap()], None).await;
    // The torn row has no outcome: the run, as the journal tells it, did not finish.
    assert_eq!(report.code, 3, "{report:?}");
    assert!(
        report.stdout.contains("did not finish"),
        "{}",
        report.stdout
    );
    assert!(report.stdout.contains("19 updated"), "{}", report.stdout);
    assert!(report.stdout.contains("torn entry"), "{}", report.stdout);

    let run = cognito_bulk(&proxy.url(), &args, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("19 rows skipped"), "{}", run.stdout);
    // The torn row is checked again: its intent (written before its call) survived, so it is
    // an unknown outcome; it had been applied, so it is recorded as updated with the intent's
    // before-values (rollback restores it), and nothing is sent twice.
    assert!(run.stdout.contains("20 updated"), "{}", run.stdout);
    assert!(run.stdout.contains("0 unchanged"), "{}", run.stdout);
    assert!(calls_per_user(&proxy).values().all(|&c| c == 1));
    assert_eq!(
        journal_entries(&journal).len(),
        n,
        "the torn tail was cut off, not kept"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_journal_of_another_input_or_a_newer_version_is_refused() {
    let moto = Moto::start();
    let pool = seed(&moto, 3).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), 3, "a");
    let args = ["apply", input.to_str().unwrap(), "--user-pool-id", &pool];
    assert_eq!(cognito_bulk(&moto.url(), &args, None).await.code, 0);
    write_input(dir.path(), 3, "b");
    let run = cognito_bulk(&moto.url(), &args, None).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("records a run of another input"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--restart"), "{}", run.stderr);
    assert_pool(&moto, &pool, 3, "a").await;

    let mut restart = args.to_vec();
    restart.push("--restart");
    let run = cognito_bulk(&moto.url(), &restart, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_pool(&moto, &pool, 3, "b").await;
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("in.csv.journal.old-")
        })
        .collect();
    assert_eq!(kept.len(), 1, "the old journal is kept");

    // Another pool is refused too.
    let other = create_pool(&moto.client(), &[]).await;
    let run = cognito_bulk(
        &moto.url(),
        &["apply", input.to_str().unwrap(), "--user-pool-id", &other],
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains(&format!("user pool {pool}")),
        "{}",
        run.stderr
    );

    // A journal written by a newer version is refused, not misread.
    let journal = dir.path().join("in.csv.journal");
    let text = std::fs::read_to_string(&journal).unwrap();
    std::fs::write(
        &journal,
        text.replacen(
            &format!("\"version\":{}", cognito_bulk::journal::FORMAT_VERSION),
            "\"version\":99",
            1,
        ),
    )
    .unwrap();
    let run = cognito_bulk(&moto.url(), &args, None).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("format version 99 is newer"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_journal_that_cannot_be_written_stops_sending_at_once() {
    let n = 300;
    let moto = Moto::start();
    let pool = seed(&moto, n).await;
    let proxy = FaultProxy::start(moto.addr, Config::recording()).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), n, "iron");
    let args = [
        "apply",
        input.to_str().unwrap(),
        "--user-pool-id",
        &pool,
        "--rps",
        "200",
    ];
    // A file-size limit makes writes fail mid-run as a full disk would (a read-only file
    // would not stop root, who runs CI). SIGXFSZ is ignored so that write() returns EFBIG.
    let mut cmd = command(Some(&proxy.url()), &confirmed(&args));
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            // Room for the reports written at the end (the HTML one, with a chart per
            // quota category, is over 8 KiB), not for the journal of 300 rows.
            let limit = libc::rlimit {
                rlim_cur: 32 * 1024,
                rlim_max: 32 * 1024,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
            Ok(())
        });
    }
    let out = cmd.output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot write the journal"), "{stderr}");
    let recorded = journal_entries(&dir.path().join("in.csv.journal")).len();
    let sent = calls_per_user(&proxy).len();
    assert!(
        recorded < n && sent < n,
        "stopped early: {recorded} recorded, {sent} sent"
    );
    assert!(
        sent <= recorded + 8 + 1,
        "no more than the calls in flight went out unrecorded: {sent} sent, {recorded} recorded"
    );

    // Once the disk has room again, the run resumes and finishes.
    let run = cognito_bulk(&proxy.url(), &args, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_pool(&moto, &pool, n, "iron").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resumed_run_still_refuses_users_named_twice() {
    let n = 200;
    let moto = Moto::start();
    let pool = seed(&moto, n).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), n, "zinc");
    // The last line names the first user again: both rows are invalid.
    let mut text = std::fs::read_to_string(&input).unwrap();
    text.push_str("U0000,other\n");
    std::fs::write(&input, text).unwrap();
    let args = [
        "apply",
        input.to_str().unwrap(),
        "--user-pool-id",
        &pool,
        "--rps",
        "100",
    ];
    let child = spawn(&moto.url(), &args);
    wait_for_lines(&dir.path().join("in.csv.journal"), 5).await;
    interrupt(&child);
    assert_eq!(
        child.wait_with_output().await.unwrap().status.code(),
        Some(3)
    );
    // The journal's header carries the duplicates; the resumed run does not rescan for them.
    // (Invalid rows are recorded as soon as they are read, so the first run found them both;
    // drop their entries, as if it had died before reading that far.)
    let journal = dir.path().join("in.csv.journal");
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains("\"duplicate_lines\":[[2,202]]"),
        "{text}"
    );
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("\"invalid\""))
        .collect();
    std::fs::write(&journal, kept.join("\n") + "\n").unwrap();
    let run = cognito_bulk(&moto.url(), &args, None).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains(":202: user \"U0000\": the user also appears on line 2"),
        "{}",
        run.stderr
    );
    let report = read_report(&dir.path().join("in.csv.report.json"));
    assert_eq!(report["invalid"], 2);
    assert_eq!(report["updated"], n as u64 - 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_interrupt_exits_at_once_and_the_journal_stays_valid() {
    let n = 50;
    let moto = Moto::start();
    let pool = seed(&moto, n).await;
    // Every update takes 30 s: the first interrupt would wait for the calls in flight.
    let proxy = FaultProxy::start(
        moto.addr,
        Config {
            random: support::proxy::RandomFaults {
                ops: Some(vec![OP.into()]),
                slow: 1.0,
                slow_ms: 30_000,
                ..Default::default()
            },
            ..Config::default()
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let input = write_input(dir.path(), n, "lead");
    let args = [
        "apply",
        input.to_str().unwrap(),
        "--user-pool-id",
        &pool,
        "--current-state",
        "none",
        "--call-timeout",
        "60",
    ];
    let child = spawn(&proxy.url(), &args);
    // Calls in flight, the journal header written.
    wait_for_lines(&dir.path().join("in.csv.journal"), 0).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    interrupt(&child);
    tokio::time::sleep(Duration::from_millis(300)).await;
    interrupt(&child);
    let started = std::time::Instant::now();
    let run = finish(child).await;
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "did not wait for the 30 s calls"
    );
    let report = cognito_bulk(
        &proxy.url(),
        &[
            "report",
            dir.path().join("in.csv.journal").to_str().unwrap(),
        ],
        None,
    )
    .await;
    // Readable, and it says the run did not finish (exit 3, as the run itself).
    assert_eq!(report.code, 3, "the journal is readable: {report:?}");
    assert!(
        report.stdout.contains("did not finish"),
        "{}",
        report.stdout
    );
    assert!(report.stdout.contains("0 updated"), "{}", report.stdout);
}
