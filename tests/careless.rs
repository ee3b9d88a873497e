//! A careless user's paths, found by trying the tool from its README: runs in quick
//! succession, edited outputs, streams as inputs, plans applied from another folder, outputs
//! aimed at another run's files.

mod support;

use std::path::Path;

use support::*;

async fn setup(moto: &Moto, users: usize) -> String {
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    for i in 0..users {
        create_user(&c, &pool, &format!("u{i}"), &[("custom:tier", "free")]).await;
    }
    pool
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn runs_in_one_second_never_overwrite_a_kept_journal() {
    let moto = Moto::start();
    let pool = setup(&moto, 1).await;
    let dir = tempfile::tempdir().unwrap();
    for tier in ["a", "b", "c", "d"] {
        let input = write(
            dir.path(),
            "b.csv",
            &format!("username,custom:tier\nu0,{tier}\n"),
        );
        let run = cognito_bulk(
            &moto.url(),
            &["apply", &input, "--user-pool-id", &pool, "--restart"],
            None,
        )
        .await;
        assert_eq!(run.code, 0, "{run:?}");
    }
    let kept = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("b.csv.journal.old-")
        })
        .count();
    assert_eq!(kept, 3, "every earlier run's journal is kept");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_run_sets_the_old_failed_rows_aside() {
    let moto = Moto::start();
    let pool = setup(&moto, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "f.csv",
        "username,custom:tier\nu0,pro\nghost,pro\n",
    );
    let args = ["apply", &input, "--user-pool-id", &pool];
    assert_eq!(cognito_bulk(&moto.url(), &args, None).await.code, 1);
    let failed = format!("{input}.failed.csv");
    assert!(std::fs::read_to_string(&failed).unwrap().contains("ghost"));
    // Fixed: the ghost row is gone; another input, so a new run, as the refusal advises.
    let input = write(dir.path(), "f.csv", "username,custom:tier\nu0,pro\n");
    let run = cognito_bulk(&moto.url(), &args, None).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("Pass --restart"), "{}", run.stderr);
    let mut restart = args.to_vec();
    restart.push("--restart");
    let run = cognito_bulk(&moto.url(), &restart, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!Path::new(&failed).exists(), "no stale failed rows");
    assert!(
        !run.stdout.contains("failed and invalid rows"),
        "{}",
        run.stdout
    );
    let report = read_report(Path::new(&format!("{input}.report.json")));
    assert!(report["failed_rows_file"].is_null(), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blind_plan_is_applied_without_false_conflicts() {
    let moto = Moto::start();
    let pool = setup(&moto, 2).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "n.csv",
        "username,custom:tier\nu0,pro\nu1,pro\n",
    );
    let run = cognito_bulk(
        &moto.url(),
        &[
            "plan",
            &input,
            "--user-pool-id",
            &pool,
            "--current-state",
            "none",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let plan = format!("{input}.plan");
    // A blind plan lifts the conflict check: only where apply --plan says so too (issue 17).
    let run = cognito_bulk(
        &moto.url(),
        &["apply", "--plan", &plan, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("pass --current-state none to apply --plan"),
        "{run:?}"
    );
    let run = cognito_bulk(
        &moto.url(),
        &[
            "apply",
            "--plan",
            &plan,
            "--user-pool-id",
            &pool,
            "--current-state",
            "none",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("2 updated"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn outputs_aimed_at_another_runs_journal_or_plan_are_refused() {
    let moto = Moto::start();
    let pool = setup(&moto, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.csv", "username,custom:tier\nu0,pro\n");
    assert_eq!(
        cognito_bulk(&moto.url(), &["apply", &a, "--user-pool-id", &pool], None)
            .await
            .code,
        0
    );
    let journal = format!("{a}.journal");
    let before = std::fs::read(&journal).unwrap();
    let b = write(dir.path(), "b.csv", "username,custom:tier\nu0,gold\n");
    for flag in ["--report", "--failed"] {
        let run = cognito_bulk(
            &moto.url(),
            &["apply", &b, "--user-pool-id", &pool, flag, &journal],
            None,
        )
        .await;
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.contains("is a journal of another run"),
            "{}",
            run.stderr
        );
    }
    let run = cognito_bulk(
        &moto.url(),
        &["plan", &b, "--user-pool-id", &pool, "--out", &journal],
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        std::fs::read(&journal).unwrap(),
        before,
        "the journal is untouched"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_is_applied_from_any_folder_and_streams_write_beside_the_caller() {
    let moto = Moto::start();
    let pool = setup(&moto, 2).await;
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("in.csv"), "username,custom:tier\nu0,pro\n").unwrap();
    // plan run from inside sub/ with a relative name, applied from the parent folder.
    let mut plan = command(
        Some(&moto.url()),
        &["plan", "in.csv", "--user-pool-id", &pool],
    );
    plan.current_dir(&sub);
    let run = finish(plan.spawn().unwrap()).await;
    assert_eq!(run.code, 0, "{run:?}");
    let mut apply = command(
        Some(&moto.url()),
        &[
            "apply",
            "--plan",
            "sub/in.csv.plan",
            "--user-pool-id",
            &pool,
        ],
    );
    apply.current_dir(dir.path());
    let run = finish(apply.spawn().unwrap()).await;
    assert_eq!(run.code, 0, "{run:?}");
    // /dev/stdin as the input: derived files in the current folder, never in /dev.
    let mut piped = command(
        Some(&moto.url()),
        &[
            "apply",
            "/dev/stdin",
            "--format",
            "csv",
            "--user-pool-id",
            &pool,
            "--yes",
        ],
    );
    piped
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped());
    let mut child = piped.spawn().unwrap();
    {
        use tokio::io::AsyncWriteExt;
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(b"username,custom:tier\nu1,gold\n")
            .await
            .unwrap();
    }
    let run = finish(child).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(dir.path().join("stdin.journal").exists());
    assert!(!Path::new("/dev/stdin.journal").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_whose_output_was_cut_is_not_resumed_over_the_gap() {
    let moto = Moto::start();
    let pool = setup(&moto, 130).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.jsonl");
    let out_s = out.to_str().unwrap();
    let state = format!("{out_s}.export-state");
    assert_eq!(
        cognito_bulk(
            &moto.url(),
            &["export", "--user-pool-id", &pool, "--output", out_s],
            None
        )
        .await
        .code,
        0
    );
    // As if interrupted after the first page, then the output was cut short by hand.
    let mut saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    saved["done"] = false.into();
    saved["token"] = "not-used".into();
    std::fs::write(&state, serde_json::to_vec(&saved).unwrap()).unwrap();
    let text = std::fs::read(&out).unwrap();
    std::fs::write(&out, &text[..100]).unwrap();
    let args = ["export", "--user-pool-id", &pool, "--output", out_s];
    let run = cognito_bulk(&moto.url(), &args, None).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("pass --restart"), "{}", run.stderr);
    // The advice, followed.
    let mut restart = args.to_vec();
    restart.push("--restart");
    assert_eq!(cognito_bulk(&moto.url(), &restart, None).await.code, 0);
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 130);
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_plans_and_computed_plans_never_land_on_an_input_or_a_journal() {
    let moto = Moto::start();
    let pool = setup(&moto, 2).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "w.csv", "username,custom:tier\nu0,pro\n");
    let original = std::fs::read(&input).unwrap();
    assert_eq!(
        cognito_bulk(
            &moto.url(),
            &["apply", &input, "--user-pool-id", &pool],
            None
        )
        .await
        .code,
        0
    );
    let journal = format!("{input}.journal");
    let kept = std::fs::read(&journal).unwrap();
    let runs = [
        vec!["report", journal.as_str(), "--html", journal.as_str()],
        vec!["report", journal.as_str(), "--html", input.as_str()],
        vec![
            "plan",
            input.as_str(),
            "--user-pool-id",
            pool.as_str(),
            "--markdown",
            input.as_str(),
        ],
        vec![
            "plan",
            input.as_str(),
            "--user-pool-id",
            pool.as_str(),
            "--match",
            "username",
            "--set",
            "custom:tier={{ row.tier }}",
            "--out",
            input.as_str(),
        ],
    ];
    for args in &runs {
        let run = cognito_bulk(&moto.url(), args, None).await;
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
    }
    assert_eq!(
        std::fs::read(&input).unwrap(),
        original,
        "the input is untouched"
    );
    assert_eq!(
        std::fs::read(&journal).unwrap(),
        kept,
        "the journal is untouched"
    );
    // Backfill flags mean nothing to a plan made already: refused, not ignored.
    let run = cognito_bulk(
        &moto.url(),
        &[
            "apply",
            "--plan",
            "x.plan",
            "--user-pool-id",
            &pool,
            "--where",
            "false",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn another_rule_does_not_resume_the_plan_at_the_same_out() {
    let moto = Moto::start();
    let pool = setup(&moto, 3).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("shared.plan");
    let out = out.to_str().unwrap();
    let first = [
        "apply",
        "--user-pool-id",
        &pool,
        "--set",
        "nickname=AAA",
        "--out",
        out,
        "--limit",
        "1",
    ];
    assert_eq!(cognito_bulk(&moto.url(), &first, None).await.code, 0);
    let second = [
        "apply",
        "--user-pool-id",
        &pool,
        "--set",
        "nickname=BBB",
        "--out",
        out,
    ];
    let run = cognito_bulk(&moto.url(), &second, None).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("was applied") && run.stderr.contains("--out NEW.plan"),
        "{}",
        run.stderr
    );
    // --restart does not replace the record of another rule's run either.
    let mut restart = second.to_vec();
    restart.push("--restart");
    assert_eq!(cognito_bulk(&moto.url(), &restart, None).await.code, 2);
    // The advice, followed.
    let new = dir.path().join("new.plan");
    let mut other = second.to_vec();
    *other.last_mut().unwrap() = new.to_str().unwrap();
    let run = cognito_bulk(&moto.url(), &other, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    let c = moto.client();
    for i in 0..3 {
        assert_eq!(
            attributes(&c, &pool, &format!("u{i}")).await["nickname"],
            "BBB"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backfill_apply_keeps_a_plan_that_was_applied() {
    let moto = Moto::start();
    let pool = setup(&moto, 2).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("u.csv");
    std::fs::write(&input, "username,nickname\nu0,first\n").unwrap();
    let plan = dir.path().join("p9.plan");
    let plan = plan.to_str().unwrap();
    let made = [
        "plan",
        input.to_str().unwrap(),
        "--user-pool-id",
        &pool,
        "--out",
        plan,
    ];
    assert_eq!(cognito_bulk(&moto.url(), &made, None).await.code, 0);
    let applied = ["apply", "--plan", plan, "--user-pool-id", &pool];
    assert_eq!(cognito_bulk(&moto.url(), &applied, None).await.code, 0);
    let kept = std::fs::read(plan).unwrap();
    let report = std::fs::read(format!("{plan}.report.json")).unwrap();

    let backfill = [
        "apply",
        "--user-pool-id",
        &pool,
        "--set",
        "nickname={{ username }}!",
        "--out",
        plan,
    ];
    let run = cognito_bulk(&moto.url(), &backfill, None).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--out NEW.plan"), "{run:?}");
    assert_eq!(
        std::fs::read(plan).unwrap(),
        kept,
        "the applied plan is kept"
    );
    assert_eq!(
        std::fs::read(format!("{plan}.report.json")).unwrap(),
        report,
        "and its report"
    );
    let c = moto.client();
    assert_eq!(attributes(&c, &pool, "u1").await.get("nickname"), None);

    // The advice, followed: the new plan goes to another file and applies.
    let new = dir.path().join("NEW.plan");
    let mut again = backfill.to_vec();
    *again.last_mut().unwrap() = new.to_str().unwrap();
    let run = cognito_bulk(&moto.url(), &again, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(attributes(&c, &pool, "u1").await["nickname"], "u1!");

    // The same rule run again after its run finished computes a new plan (documented).
    let run = cognito_bulk(&moto.url(), &again, None).await;
    assert_eq!(run.code, 0, "{run:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backfill_plan_honours_json_and_markdown() {
    let moto = Moto::start();
    let pool = setup(&moto, 3).await;
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("b.md");
    let out = dir.path().join("b.plan");
    let run = cognito_bulk(
        &moto.url(),
        &[
            "plan",
            "--user-pool-id",
            &pool,
            "--set",
            "nickname=n-{{ username }}",
            "--out",
            out.to_str().unwrap(),
            "--markdown",
            md.to_str().unwrap(),
            "--redact",
            "--json",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let summary: serde_json::Value =
        serde_json::from_str(&run.stdout).expect("only JSON on stdout");
    assert_eq!(summary["to_change"], 3, "{summary}");
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.contains("nickname") && !text.contains("n-u0"),
        "redacted: {text}"
    );
    // The review names the rule and where the rows came from, not the computed rows' format.
    assert!(
        text.contains("| Computed by | `--set 'nickname=n-{{ username }}'` |")
            && text.contains(&format!("# Plan: the users of {pool} (ListUsers)"))
            && !text.contains("| Key column |"),
        "{text}"
    );
    // With an input file: its own format and key column.
    let crm = dir.path().join("crm.csv");
    std::fs::write(
        &crm,
        "Id,Nick
u0,zed
",
    )
    .unwrap();
    let md = dir.path().join("crm.md");
    let run = cognito_bulk(
        &moto.url(),
        &[
            "plan",
            crm.to_str().unwrap(),
            "--user-pool-id",
            &pool,
            "--key-column",
            "Id",
            "--set",
            "nickname={{ row.Nick }}",
            "--markdown",
            md.to_str().unwrap(),
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.contains("| Format | csv |") && text.contains("| Key column | `Id` |"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_made_from_a_fifo_is_applied_without_waiting_on_the_fifo() {
    let moto = Moto::start();
    let pool = setup(&moto, 2).await;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("in.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            std::fs::write(fifo, "username,custom:tier\nu0,pro\nu1,pro\n").unwrap()
        })
    };
    let plan = dir.path().join("f.plan");
    let plan_s = plan.to_str().unwrap();
    let run = cognito_bulk(
        &moto.url(),
        &[
            "plan",
            fifo.to_str().unwrap(),
            "--format",
            "csv",
            "--user-pool-id",
            &pool,
            "--out",
            plan_s,
        ],
        None,
    )
    .await;
    writer.join().unwrap();
    assert_eq!(run.code, 0, "{run:?}");
    // Nothing writes to the FIFO now: apply --plan must not try to read it again.
    let run = cognito_bulk(
        &moto.url(),
        &["apply", "--plan", plan_s, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("2 updated"), "{}", run.stdout);
}

/// A run stopped while creating its journal leaves a header cut short: every command says
/// so, that nothing was sent, and what to do; the advice (`--restart`) then works.
#[tokio::test(flavor = "multi_thread")]
async fn a_journal_header_cut_short_is_named_and_restart_goes_on() {
    let moto = Moto::start();
    let pool = setup(&moto, 2).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "t.csv",
        "username,custom:tier\nu0,pro\nu1,pro\n",
    );
    let journal = format!("{input}.journal");
    for torn in [
        "",
        "{\"kind\":\"cognito-bulk-jour",
        "{\"kind\":\"cognito-bulk-journal\",\"ver",
    ] {
        std::fs::write(&journal, torn).unwrap();
        let apply = ["apply", &input, "--user-pool-id", &pool];
        let run = cognito_bulk(&moto.url(), &apply, None).await;
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.contains("the journal's header was cut short")
                && run.stderr.contains("with --restart starts over"),
            "{}",
            run.stderr
        );
        for other in [
            vec!["report", journal.as_str()],
            vec!["rollback", journal.as_str(), "--dry-run"],
        ] {
            let run = cognito_bulk(&moto.url(), &other, None).await;
            assert_eq!(run.code, 2, "{run:?}");
            assert!(
                run.stderr.contains("header was cut short"),
                "{}",
                run.stderr
            );
        }
        let mut restart = apply.to_vec();
        restart.push("--restart");
        let run = cognito_bulk(&moto.url(), &restart, None).await;
        assert_eq!(run.code, 0, "{run:?}");
        std::fs::remove_file(&journal).unwrap();
    }
    // Each torn journal was kept aside, never deleted.
    let kept = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().starts_with("t.csv.journal.old-")
        })
        .count();
    assert_eq!(kept, 3);
}
