//! What a newcomer trips on (issue 21): line numbers of CRLF files and blank lines everywhere
//! a line is shown, a plan with a run beside it, advice that can be followed in the command
//! that printed it, counts with one scope each, and review gaps.

mod support;

use std::path::Path;

use serde_json::Value;
use support::*;

/// A plan file's entries (header and end marker left out).
fn plan_entries(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    lines[1..lines.len() - 1]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The same rows as CSV and as JSONL, with Windows line ends and blank lines: `alice` (a
/// change) on line 3, `ghost` (not in the pool) on line 4, `bob` (nothing to change) on line 6.
fn crlf_inputs(dir: &Path) -> Vec<String> {
    let csv = "username,nickname\r\n\r\nalice,Al\r\nghost,x\r\n\r\nbob,\r\n";
    let jsonl = concat!(
        "\r\n\r\n",
        "{\"username\":\"alice\",\"attributes\":{\"nickname\":\"Jl\"}}\r\n",
        "{\"username\":\"ghost\",\"attributes\":{\"nickname\":\"x\"}}\r\n",
        "\r\n",
        "{\"username\":\"bob\",\"attributes\":{}}\r\n",
    );
    [("crlf.csv", csv), ("crlf.jsonl", jsonl)]
        .into_iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path.to_str().unwrap().to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn line_numbers_of_crlf_files_with_blank_lines_are_right_everywhere() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    create_user(&c, &pool, "alice", &[]).await;
    create_user(&c, &pool, "bob", &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let url = moto.url();
    for input in crlf_inputs(dir.path()) {
        // plan: stderr, the plan's `line`, the Markdown plan.
        let (plan, md) = (format!("{input}.plan"), format!("{input}.md"));
        let args = ["plan", &input, "--user-pool-id", &pool, "--markdown", &md];
        let run = cognito_bulk(&url, &args, None).await;
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr.contains(&format!("{input}:4: user \"ghost\"")),
            "{run:?}"
        );
        assert!(
            run.stderr.contains(&format!("{input}:6: user \"bob\"")),
            "{run:?}"
        );
        let lines: Vec<(String, u64)> = plan_entries(Path::new(&plan))
            .iter()
            .map(|e| {
                (
                    e["user"].as_str().unwrap().into(),
                    e["line"].as_u64().unwrap(),
                )
            })
            .collect();
        let expected = [("alice", 3), ("ghost", 4), ("bob", 6)].map(|(u, l)| (u.to_string(), l));
        assert_eq!(lines, expected, "{input}");
        let md = std::fs::read_to_string(&md).unwrap();
        for row in ["| 3 | `alice` |", "| 4 | `ghost` |", "| 6 | `bob` |"] {
            assert!(md.contains(row), "{row} in\n{md}");
        }

        // apply --plan: "input line N" in messages and in the report's first failed rows.
        let report = dir.path().join("plan-report.json");
        let args = ["apply", "--plan", &plan, "--user-pool-id", &pool];
        let run = cognito_bulk(
            &url,
            &[&args[..], &["--report", report.to_str().unwrap()]].concat(),
            None,
        )
        .await;
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("input line 4"), "{run:?}");
        assert!(run.stderr.contains("input line 6"), "{run:?}");
        let failures = read_report(&report)["first_failures"].to_string();
        assert!(
            failures.contains("input line 4") && failures.contains("input line 6"),
            "{failures}"
        );
        std::fs::remove_file(&report).unwrap();

        // apply INPUT: stderr and the report's first failed rows name the input's lines.
        let report = dir.path().join("report.json");
        let args = [
            "apply",
            &input,
            "--user-pool-id",
            &pool,
            "--report",
            report.to_str().unwrap(),
        ];
        let run = cognito_bulk(&url, &args, None).await;
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stderr.contains(&format!("{input}:4: user \"ghost\"")),
            "{run:?}"
        );
        let report = read_report(&report);
        let failed: Vec<(String, u64)> = report["first_failures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["user"].as_str().unwrap().into(),
                    f["line"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            failed,
            [("ghost".to_string(), 4), ("bob".to_string(), 6)],
            "{input}"
        );
        std::fs::remove_file(dir.path().join("report.json")).unwrap();

        // A backfill over the same file: its rows keep the input's lines.
        let out = format!("{input}.backfill.plan");
        let args = [
            "plan",
            &input,
            "--user-pool-id",
            &pool,
            "--set",
            "nickname=n-{{ username }}",
            "--out",
            &out,
        ];
        let run = cognito_bulk(&url, &args, None).await;
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains(":4: user \"ghost\""), "{run:?}");
        let ghost = plan_entries(Path::new(&out))
            .into_iter()
            .find(|e| e["user"] == "ghost")
            .unwrap();
        assert_eq!(ghost["line"], 4, "{input}");
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// A second `plan` over a plan that was applied (its journal beside it) keeps that plan, the
/// record of the run, and says how to write the new one; the advice, followed, works.
#[tokio::test(flavor = "multi_thread")]
async fn plan_keeps_a_plan_that_was_applied() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tenant"]).await;
    create_user(&c, &pool, "alice", &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let url = moto.url();
    let input = write(dir.path(), "t.csv", "username,nickname\nalice,Al\n");
    let plan = format!("{input}.plan");
    let set = "custom:tenant=t-{{ username }}";
    let computed = dir.path().join("b.plan").display().to_string();
    for args in [
        vec!["plan", &input, "--user-pool-id", &pool],
        vec![
            "plan",
            "--set",
            set,
            "--user-pool-id",
            &pool,
            "--out",
            &computed,
        ],
    ] {
        let out = if args.contains(&"--set") {
            &computed
        } else {
            &plan
        };
        let run = cognito_bulk(&url, &args, None).await;
        assert_eq!(run.code, 0, "{run:?}");
        let apply = ["apply", "--plan", out, "--user-pool-id", &pool];
        assert_eq!(cognito_bulk(&url, &apply, None).await.code, 0);
        let applied = std::fs::read(out).unwrap();

        // Planned again: refused, the applied plan kept byte for byte, nothing else written.
        let run = cognito_bulk(&url, &args, None).await;
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains("was applied"), "{run:?}");
        assert_eq!(std::fs::read(out).unwrap(), applied);
        assert!(!run.stdout.contains("apply it with"), "{run:?}");

        // The advice, followed: --out NEW.plan writes the new plan, which applies.
        assert!(run.stderr.contains("--out NEW.plan"), "{run:?}");
        let new = format!("{out}.new.plan");
        let mut again = args.clone();
        if let Some(i) = again.iter().position(|a| *a == "--out") {
            again.drain(i..i + 2);
        }
        again.extend(["--out", &new]);
        let run = cognito_bulk(&url, &again, None).await;
        assert_eq!(run.code, 0, "{run:?}");
        let apply = ["apply", "--plan", &new, "--user-pool-id", &pool];
        let run = cognito_bulk(&url, &apply, None).await;
        assert_eq!(run.code, 0, "{run:?}");
    }
    assert_eq!(
        attributes(&c, &pool, "alice").await["custom:tenant"],
        "t-alice"
    );
}

/// The verification rail's advice names what can be done in the command that was refused: in
/// a file, the flag in the same row; with --set, another --set; in a rollback, its flag. Each
/// followed as printed.
#[tokio::test(flavor = "multi_thread")]
async fn verification_advice_is_followed_in_the_command_that_printed_it() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    let verified = [("email", "old@x.example"), ("email_verified", "true")];
    for user in ["f", "s"] {
        create_user(&c, &pool, user, &verified).await;
    }
    create_user(
        &c,
        &pool,
        "r",
        &[("email", "r@old.example"), ("email_verified", "false")],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let url = moto.url();

    // A file's row: the flag in the same row.
    let input = write(dir.path(), "f.csv", "username,email\nf,f@new.example\n");
    let run = cognito_bulk(&url, &["apply", &input, "--user-pool-id", &pool], None).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("set email_verified to true in the same row"),
        "{run:?}"
    );
    let input = write(
        dir.path(),
        "f2.csv",
        "username,email,email_verified\nf,f@new.example,true\n",
    );
    let run = cognito_bulk(&url, &["apply", &input, "--user-pool-id", &pool], None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(attributes(&c, &pool, "f").await["email"], "f@new.example");

    // --set: no row to edit; another --set, as printed.
    let out = dir.path().join("s.plan").display().to_string();
    let mut args = vec![
        "apply",
        "--user-pool-id",
        &pool,
        "--set",
        "email={{ username }}@new.example",
        "--where",
        "username == \"s\"",
        "--out",
        &out,
    ];
    let run = cognito_bulk(&url, &args, None).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!run.stderr.contains("same row"), "{run:?}");
    let advice = run
        .stderr
        .split("add --set ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("advice printed")
        .to_string();
    assert_eq!(advice, "email_verified=true");
    args.extend(["--set", &advice]);
    let out2 = dir.path().join("s2.plan").display().to_string();
    let n = args.len();
    args[n - 3] = &out2;
    let run = cognito_bulk(&url, &args, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    let now = attributes(&c, &pool, "s").await;
    assert_eq!(
        (now["email"].as_str(), now["email_verified"].as_str()),
        ("s@new.example", "true")
    );

    // A rollback: no row either; rollback again with its flag.
    let input = write(dir.path(), "r.csv", "username,email\nr,r@new.example\n");
    let apply = [
        "apply",
        &input,
        "--user-pool-id",
        &pool,
        "--allow-verification-messages",
    ];
    assert_eq!(cognito_bulk(&url, &apply, None).await.code, 0);
    let journal = format!("{input}.journal");
    let rollback = ["rollback", journal.as_str(), "--yes"];
    let run = cognito_bulk(&url, &rollback, None).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!run.stderr.contains("same row"), "{run:?}");
    assert!(
        run.stderr
            .contains("run rollback again with --allow-verification-messages"),
        "{run:?}"
    );
    let run = cognito_bulk(
        &url,
        &[&rollback[..], &["--allow-verification-messages"]].concat(),
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(attributes(&c, &pool, "r").await["email"], "r@old.example");
}

/// Each figure has one scope: plan decides rows and says so (it sends nothing); a sending
/// run's rate counts the rows it sent; a resumed run's report gives this run's calls and time
/// (the row counts cover the journal), and `report JOURNAL` gives the whole journal's.
#[tokio::test(flavor = "multi_thread")]
async fn counts_have_one_scope_each() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    let mut csv = String::from("username,nickname\n");
    for i in 0..12 {
        create_user(&c, &pool, &format!("u{i}"), &[]).await;
        csv.push_str(&format!("u{i},n{i}\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let url = moto.url();
    let input = write(dir.path(), "n.csv", &csv);

    let run = cognito_bulk(&url, &["plan", &input, "--user-pool-id", &pool], None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("deciding rows: 12/12 (nothing is sent)"),
        "{run:?}"
    );
    assert!(
        !run.stderr.contains("to process") && !run.stderr.contains("rows/s"),
        "{run:?}"
    );

    let apply = ["apply", &input, "--user-pool-id", &pool, "--rps", "3"];
    let run = cognito_bulk(&url, &[&apply[..], &["--limit", "6"]].concat(), None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("12 rows to process\n"), "{run:?}");
    let run = cognito_bulk(&url, &apply, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("12 rows to process (6 done by an earlier run)"),
        "{run:?}"
    );
    // The last progress line: 6 rows sent at 3 a second, the 6 skipped ones not counted.
    let rate: f64 = run
        .stderr
        .lines()
        .rev()
        .filter_map(|l| {
            l.split(" rows sent/s")
                .next()
                .filter(|_| l.contains("rows sent/s"))
        })
        .find_map(|head| head.rsplit(' ').next()?.parse().ok())
        .expect("a progress line with the rate");
    assert!(rate < 5.0, "{rate} rows sent/s at --rps 3: {run:?}");
    assert!(run.stdout.contains("this run: 6 API calls"), "{run:?}");

    let report = read_report(Path::new(&format!("{input}.report.json")));
    assert_eq!(
        (&report["updated"], &report["skipped_done"]),
        (&12.into(), &6.into())
    );
    assert_eq!(
        report["api_calls"], 6,
        "this run's calls, as its elapsed time"
    );
    let calls: u64 = report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["calls"].as_u64().unwrap())
        .sum();
    assert_eq!(calls, 6, "the timeline is this run's too");
    let journal = format!("{input}.journal");
    let run = cognito_bulk(&url, &["report", &journal, "--json"], None).await;
    let whole: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        whole["api_calls"], 12,
        "report JOURNAL covers every run: {run:?}"
    );
}

/// Review gaps: the redacted Markdown plan keeps the username of a user named twice (as it
/// keeps the changes' usernames) and hashes a key that found no user; `rollback --dry-run`
/// says how many changes it did not show, and `--show all`, as advised, shows them.
#[tokio::test(flavor = "multi_thread")]
async fn review_shows_what_it_leaves_out() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    let mut csv = String::from("username,nickname\n");
    for i in 0..25 {
        create_user(&c, &pool, &format!("u{i:02}"), &[]).await;
        csv.push_str(&format!("u{i:02},n{i}\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let url = moto.url();

    let twice = write(
        dir.path(),
        "d.csv",
        "username,nickname\nu00,a\nu00,b\nnobody@x.example,c\nu01,d\n",
    );
    let md = dir.path().join("d.md").display().to_string();
    let args = [
        "plan",
        &twice,
        "--user-pool-id",
        &pool,
        "--markdown",
        &md,
        "--redact",
    ];
    let run = cognito_bulk(&url, &args, None).await;
    assert_eq!(run.code, 1, "{run:?}");
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("| 2 | `u00` | `DuplicateUser` |"), "{text}");
    assert!(text.contains("| 3 | `u00` | `DuplicateUser` |"), "{text}");
    assert!(
        text.contains("| 5 | `u01` |") && !text.contains("nobody@"),
        "{text}"
    );

    let input = write(dir.path(), "n.csv", &csv);
    let run = cognito_bulk(&url, &["apply", &input, "--user-pool-id", &pool], None).await;
    assert_eq!(run.code, 0, "{run:?}");
    let journal = format!("{input}.journal");
    let dry = ["rollback", journal.as_str(), "--dry-run"];
    let run = cognito_bulk(&url, &dry, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    let shown = run.stdout.lines().filter(|l| l.starts_with("- u")).count();
    assert_eq!(shown, 20, "{run:?}");
    assert!(
        run.stdout
            .contains("... and 5 more attribute changes (--show all lists them)"),
        "{run:?}"
    );
    let run = cognito_bulk(&url, &[&dry[..], &["--show", "all"]].concat(), None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout.lines().filter(|l| l.starts_with("- u")).count(),
        25
    );
    assert!(!run.stdout.contains("more attribute changes"), "{run:?}");
}

/// The example lines that end `cognito-bulk COMMAND --help`, split into words.
async fn help_examples(command: &str) -> Vec<Vec<String>> {
    let run = finish(
        support::command(None, &[command, "--help"])
            .spawn()
            .unwrap(),
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let (_, examples) = run
        .stdout
        .split_once("\nExamples:\n")
        .expect("examples at the end");
    let lines: Vec<Vec<String>> = examples
        .lines()
        .map(|l| shlex::split(l.trim()).expect("a command line"))
        .collect();
    assert!((2..=3).contains(&lines.len()), "{command}: {examples}");
    assert!(
        lines
            .iter()
            .all(|l| l[0] == "cognito-bulk" && l[1] == command)
    );
    lines
}

/// Every example of every command's --help runs as printed (the example pool id replaced by
/// the test's, `--yes` added to `apply` as a test is not a terminal), in the order a job
/// takes: plan, apply, report, rollback, export; and `--user-pool-id` is not filed under AWS.
#[tokio::test(flavor = "multi_thread")]
async fn help_examples_run_as_printed() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tenant", "plan"]).await;
    create_user(&c, &pool, "alice", &[("email", "alice@Corp.example")]).await;
    create_user(&c, &pool, "bob", &[("email", "bob@b.example")]).await;
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "users.csv",
        "username,nickname\nalice,Al\nbob,Bob\n",
    );
    write(
        dir.path(),
        "crm.csv",
        "email,plan\nALICE@corp.example,GOLD\n",
    );
    for command in [
        "plan",
        "apply",
        "report",
        "rollback",
        "export",
        "completions",
    ] {
        for example in help_examples(command).await {
            let mut args: Vec<&str> = example[1..]
                .iter()
                .map(|a| match a.as_str() {
                    "us-east-1_AbCdEf123" => pool.as_str(),
                    a => a,
                })
                .collect();
            // A redirection is the shell's: the command writes the script to standard output.
            if let Some(i) = args.iter().position(|a| *a == ">") {
                args.truncate(i);
            }
            // `report` and `completions` call no AWS: they take no --endpoint-url.
            let url = ["plan", "apply", "rollback", "export"]
                .contains(&command)
                .then(|| moto.url());
            let mut cmd = support::command(url.as_deref(), &confirmed(&args));
            let run = finish(cmd.current_dir(dir.path()).spawn().unwrap()).await;
            assert_eq!(run.code, 0, "{example:?}: {run:?}");
            if args.contains(&"-") || command == "completions" {
                assert!(!run.stdout.is_empty(), "{example:?}");
            }
        }
        if ["plan", "apply", "export"].contains(&command) {
            let run = finish(
                support::command(None, &[command, "--help"])
                    .spawn()
                    .unwrap(),
            )
            .await;
            let aws = run
                .stdout
                .split("\nAWS:\n")
                .nth(1)
                .unwrap()
                .split("\n\n")
                .next()
                .unwrap();
            assert!(!aws.contains("--user-pool-id"), "{command}: {aws}");
            assert!(run.stdout.contains("--user-pool-id"), "{command}");
        }
    }
    // What the examples did: the rollback put the nicknames back; the backfill and the CRM
    // join stay.
    let alice = attributes(&c, &pool, "alice").await;
    assert!(
        !alice.contains_key("nickname") || alice["nickname"].is_empty(),
        "{alice:?}"
    );
    assert_eq!(alice["custom:tenant"], "corp.example");
    assert!(dir.path().join("run.html").exists() && dir.path().join("backup.jsonl").exists());
}
