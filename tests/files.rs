//! The files the tool writes and reads, tried as a careless or hostile user would: outputs
//! planted as links or devices, outputs that name the input, damaged journals, two runs on
//! one journal, inputs that are streams or that change between reads, endless files, a pool
//! description that fails for a while. All against moto, through the proxy where calls must
//! be counted.

mod support;

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::proxy::{Config, Fault, FaultProxy, Scripted};
use support::*;

const OP: &str = "AdminUpdateUserAttributes";

/// A pool with users u0..u{n-1} (custom:tier = "free"), and an input setting their tier.
async fn setup(moto: &Moto, n: usize, dir: &Path) -> (String, PathBuf) {
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    let mut csv = String::from("username,custom:tier\n");
    for i in 0..n {
        create_user(&c, &pool, &format!("u{i}"), &[("custom:tier", "free")]).await;
        csv.push_str(&format!("u{i},pro\n"));
    }
    let input = dir.join("users.csv");
    std::fs::write(&input, csv).unwrap();
    (pool, input)
}

fn updates(proxy: &FaultProxy) -> u64 {
    proxy.stats().received.get(OP).copied().unwrap_or(0)
}

/// A file that must survive: its bytes and mode are checked after each run.
fn precious(dir: &Path) -> PathBuf {
    let target = dir.join("precious.txt");
    std::fs::write(&target, "precious\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
    target
}

fn assert_untouched(target: &Path) {
    assert_eq!(std::fs::read_to_string(target).unwrap(), "precious\n");
    assert_eq!(mode(target), 0o644, "not chmod-ed");
}

fn apply_args<'a>(input: &'a Path, pool: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["apply", input.to_str().unwrap(), "--user-pool-id", pool];
    args.extend_from_slice(extra);
    args
}

#[tokio::test(flavor = "multi_thread")]
async fn outputs_that_are_links_or_devices_are_refused_before_any_write() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let (pool, input) = setup(&moto, 2, dir.path()).await;
    let proxy = FaultProxy::start(moto.addr, Config::default()).await;
    let target = precious(dir.path());
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let dangling = dir.path().join("dangling.journal");
    let nowhere = dir.path().join("nowhere");
    std::os::unix::fs::symlink(&nowhere, &dangling).unwrap();
    let link_s = link.to_str().unwrap();

    // The failed-rows path, a dangling journal link, a device as the report.
    for (flag, path) in [
        ("--failed", link_s),
        ("--journal", dangling.to_str().unwrap()),
        ("--report", "/dev/null"),
    ] {
        let run = cognito_bulk(
            &proxy.url(),
            &apply_args(&input, &pool, &[flag, path]),
            None,
        )
        .await;
        assert_eq!(run.code, 2, "{flag}: {run:?}");
        assert!(run.stderr.contains(path), "{flag}: {}", run.stderr);
        assert!(
            run.stderr.contains("symbolic link") || run.stderr.contains("a device"),
            "{}",
            run.stderr
        );
    }
    assert_eq!(updates(&proxy), 0, "nothing was sent");
    assert!(
        !nowhere.exists(),
        "the dangling link's target was not created"
    );
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device(),
        "/dev/null is still a device"
    );

    // The plan file.
    let run = cognito_bulk(
        &proxy.url(),
        &[
            "plan",
            input.to_str().unwrap(),
            "--user-pool-id",
            &pool,
            "--out",
            link_s,
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains(link_s), "{}", run.stderr);

    // The export output.
    let run = cognito_bulk(
        &proxy.url(),
        &[
            "export",
            "--user-pool-id",
            &pool,
            "--output",
            link_s,
            "--format",
            "csv",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains(link_s), "{}", run.stderr);
    assert_eq!(proxy.stats().received.get("ListUsers"), None);
    assert_untouched(&target);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_output_that_is_the_input_or_another_output_is_refused() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let (pool, input) = setup(&moto, 2, dir.path()).await;
    let proxy = FaultProxy::start(moto.addr, Config::default()).await;
    let before = std::fs::read(&input).unwrap();
    let input_s = input.to_str().unwrap();
    // The same file by another name: a hard link.
    let alias = dir.path().join("alias.csv");
    std::fs::hard_link(&input, &alias).unwrap();
    let same = dir.path().join("same.out");
    let same_s = same.to_str().unwrap();
    for extra in [
        vec!["--failed", input_s],
        vec!["--report", input_s],
        vec!["--journal", alias.to_str().unwrap()],
        vec!["--journal", same_s, "--report", same_s],
    ] {
        let run = cognito_bulk(&proxy.url(), &apply_args(&input, &pool, &extra), None).await;
        assert_eq!(run.code, 2, "{extra:?}: {run:?}");
        assert!(run.stderr.contains("the same file"), "{}", run.stderr);
        assert_eq!(std::fs::read(&input).unwrap(), before, "{extra:?}");
    }
    assert!(!same.exists());
    // plan --out naming the input.
    let run = cognito_bulk(
        &proxy.url(),
        &["plan", input_s, "--user-pool-id", &pool, "--out", input_s],
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(std::fs::read(&input).unwrap(), before);
    assert_eq!(updates(&proxy), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_output_folder_that_cannot_be_written_is_found_before_any_write() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let (pool, input) = setup(&moto, 2, dir.path()).await;
    let proxy = FaultProxy::start(moto.addr, Config::default()).await;
    // A "folder" that is a file: nothing can be created in it, even by root.
    let report = dir.path().join("users.csv").join("report.json");
    let run = cognito_bulk(
        &proxy.url(),
        &apply_args(&input, &pool, &["--report", report.to_str().unwrap()]),
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("cannot write in the folder"),
        "{}",
        run.stderr
    );
    assert_eq!(updates(&proxy), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_line_in_the_middle_of_a_journal_is_refused_not_cut() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let (pool, input) = setup(&moto, 6, dir.path()).await;
    let journal = dir.path().join("users.journal");
    let args = apply_args(
        &input,
        &pool,
        &["--concurrency", "1", "--journal", journal.to_str().unwrap()],
    );
    assert_eq!(cognito_bulk(&moto.url(), &args, None).await.code, 0);
    let text = std::fs::read_to_string(&journal).unwrap();
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    // The header, then an intent and an outcome per user.
    assert_eq!(lines.len(), 13, "{text}");
    lines.insert(3, "{\"n\":99,\"garbage\n");
    let damaged = lines.concat();
    std::fs::write(&journal, &damaged).unwrap();

    let resume = cognito_bulk(&moto.url(), &args, None).await;
    let report = cognito_bulk(&moto.url(), &["report", journal.to_str().unwrap()], None).await;
    let rollback = cognito_bulk(
        &moto.url(),
        &["rollback", journal.to_str().unwrap(), "--yes"],
        None,
    )
    .await;
    for run in [&resume, &report, &rollback] {
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.contains("line 4 is not a journal entry"),
            "{}",
            run.stderr
        );
    }
    assert_eq!(
        std::fs::read_to_string(&journal).unwrap(),
        damaged,
        "nothing was truncated"
    );
    // The advice: the apply that wrote it starts over with --restart, keeping it aside.
    assert!(
        rollback
            .stderr
            .contains("the `apply` that wrote it starts over with --restart"),
        "{}",
        rollback.stderr
    );
    let mut restart = args.clone();
    restart.push("--restart");
    let again = cognito_bulk(&moto.url(), &restart, None).await;
    assert_eq!(again.code, 0, "{again:?}");
    let kept = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("users.journal.old-")
        });
    assert!(kept, "the damaged journal is kept aside");
    // Every user keeps what the first run wrote.
    for i in 0..6 {
        let got = attributes(&moto.client(), &pool, &format!("u{i}")).await;
        assert_eq!(got["custom:tier"], "pro");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_on_a_journal_in_use_is_refused_with_the_holders_pid() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let (pool, input) = setup(&moto, 4, dir.path()).await;
    let proxy = FaultProxy::start(moto.addr, Config::recording()).await;
    // Slow answers keep the first run going while the second one starts.
    proxy.script([Scripted {
        op: Some(OP.into()),
        fault: Fault::DelayMs(700),
        count: 4,
    }]);
    let journal = dir.path().join("users.journal");
    let args = apply_args(
        &input,
        &pool,
        &[
            "--concurrency",
            "1",
            "--current-state",
            "none",
            "--journal",
            journal.to_str().unwrap(),
        ],
    );
    let first = command(Some(&proxy.url()), &confirmed(&args))
        .spawn()
        .unwrap();
    let pid = first.id().unwrap();
    let lock = dir.path().join("users.journal.lock");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&lock).map_or(true, |t| t.trim().is_empty()) {
        assert!(
            Instant::now() < deadline,
            "the first run never took the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = cognito_bulk(&proxy.url(), &args, None).await;
    let first = finish(first).await;
    assert_eq!(second.code, 2, "{second:?}");
    assert!(
        second.stderr.contains(&format!("pid {pid}")) && second.stderr.contains("in use"),
        "{}",
        second.stderr
    );
    assert_eq!(first.code, 0, "{first:?}");
    assert_eq!(updates(&proxy), 4, "each user was sent once");
    assert!(!lock.exists(), "the lock file is removed at the end");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_in_progress_locks_its_state() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let (pool, _) = setup(&moto, 2, dir.path()).await;
    let out = dir.path().join("backup.jsonl");
    let state = dir.path().join("backup.jsonl.export-state");
    // Held by this test, as another export would hold it.
    let lock_file = dir.path().join("backup.jsonl.export-state.lock");
    std::fs::write(&lock_file, "").unwrap();
    let file = std::fs::File::options()
        .read(true)
        .write(true)
        .open(&lock_file)
        .unwrap();
    file.lock().unwrap();
    std::fs::write(&lock_file, "4242\n").unwrap();
    let args = [
        "export",
        "--user-pool-id",
        &pool,
        "--output",
        out.to_str().unwrap(),
    ];
    let run = cognito_bulk(&moto.url(), &args, None).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("pid 4242"), "{}", run.stderr);
    assert!(!out.exists() && !state.exists());
    drop(file);
    let run = cognito_bulk(&moto.url(), &args, None).await;
    assert_eq!(run.code, 0, "{run:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn streams_are_spooled_a_fifo_and_dev_stdin() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let (pool, input) = setup(&moto, 3, dir.path()).await;
    let text = std::fs::read(&input).unwrap();
    let fifo = dir.path().join("users.fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let writer = {
        let (fifo, text) = (fifo.clone(), text.clone());
        std::thread::spawn(move || std::fs::write(fifo, text).unwrap())
    };
    let run = cognito_bulk(
        &moto.url(),
        &apply_args(
            &fifo,
            &pool,
            &[
                "--format",
                "csv",
                "--journal",
                dir.path().join("f.journal").to_str().unwrap(),
                "--report",
                dir.path().join("f.report.json").to_str().unwrap(),
                "--failed",
                dir.path().join("f.failed.csv").to_str().unwrap(),
            ],
        ),
        None,
    )
    .await;
    writer.join().unwrap();
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("3 updated"), "{}", run.stdout);

    // /dev/stdin is a link to a pipe here.
    let mut csv = String::from("username,custom:tier\n");
    for i in 0..3 {
        csv.push_str(&format!("u{i},gold\n"));
    }
    let run = cognito_bulk(
        &moto.url(),
        &apply_args(
            Path::new("/dev/stdin"),
            &pool,
            &[
                "--format",
                "csv",
                "--journal",
                dir.path().join("s.journal").to_str().unwrap(),
                "--report",
                dir.path().join("s.report.json").to_str().unwrap(),
                "--failed",
                dir.path().join("s.failed.csv").to_str().unwrap(),
            ],
        ),
        Some(csv.as_bytes()),
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let got = attributes(&moto.client(), &pool, "u2").await;
    assert_eq!(got["custom:tier"], "gold");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupt_stops_a_fifo_whose_writer_never_finishes() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let (pool, _) = setup(&moto, 1, dir.path()).await;
    let fifo = dir.path().join("users.fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let child = command(
        Some(&moto.url()),
        &confirmed(&apply_args(&fifo, &pool, &["--format", "csv"])),
    )
    .spawn()
    .unwrap();
    // Opening the FIFO for writing returns once the run has opened it to read: it is then
    // waiting for data that never comes (the writer stays open, silent).
    let writer = {
        let fifo = fifo.clone();
        tokio::task::spawn_blocking(move || {
            let mut w = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
            std::io::Write::write_all(&mut w, b"username,custom:tier\n").unwrap();
            w
        })
    };
    let writer = writer.await.unwrap();
    interrupt(&child);
    let run = finish(child).await;
    drop(writer);
    // Stopped by the interrupt (exit 3); nothing was sent, so running again starts over.
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains("interrupted while reading"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn report_refuses_endless_and_huge_files() {
    let run = cognito_bulk("http://127.0.0.1:9", &["report", "/dev/zero"], None).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("/dev/zero is a device"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn describe_user_pool_faults_are_retried_never_skipped() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let (pool, _) = setup(&moto, 1, dir.path()).await;
    // An attribute the pool does not define: only the schema check finds it before sending.
    let input = dir.path().join("bad.csv");
    std::fs::write(&input, "username,custom:nope\nu0,x\n").unwrap();
    let proxy = FaultProxy::start(moto.addr, Config::default()).await;
    proxy.script([Scripted {
        op: Some("DescribeUserPool".into()),
        fault: Fault::Error500,
        count: 2,
    }]);
    let run = cognito_bulk(&proxy.url(), &apply_args(&input, &pool, &[]), None).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("custom:nope"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("without a schema check"),
        "{}",
        run.stderr
    );

    // Failing for good: refused, nothing sent.
    proxy.script([Scripted {
        op: Some("DescribeUserPool".into()),
        fault: Fault::Error500,
        count: 100,
    }]);
    let run = cognito_bulk(&proxy.url(), &apply_args(&input, &pool, &[]), None).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("DescribeUserPool still failing"),
        "{}",
        run.stderr
    );
    assert_eq!(updates(&proxy), 0);
}
