//! `export` and `rollback` against moto: round trips through plan, an interrupted export
//! resumed, a migration rolled back to exactly the pool as exported before it, and conflicts.

mod support;

use support::proxy::{Config, Fault, FaultProxy, Scripted};
use support::*;

const AWKWARD: [&str; 5] = [
    "a, \"quoted\" value",
    "two\nlines",
    "emoji 🚀 ünï 中文",
    "  padded  ",
    "plain",
];

async fn awkward_pool(moto: &Moto, n: usize) -> String {
    let c = moto.client();
    let pool = create_pool(&c, &["tier", "note"]).await;
    for i in 0..n {
        let note = AWKWARD[i % AWKWARD.len()];
        create_user(
            &c,
            &pool,
            &format!("user{i:03}"),
            &[
                ("email", &format!("u{i}@example.com")),
                ("custom:tier", "free"),
                ("custom:note", note),
            ],
        )
        .await;
    }
    pool
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_plans_to_no_changes_in_both_formats() {
    let moto = Moto::start();
    let pool = awkward_pool(&moto, 12).await;
    let dir = tempfile::tempdir().unwrap();
    for name in ["all.csv", "all.jsonl"] {
        let out = dir.path().join(name);
        let run = cognito_bulk(
            &moto.url(),
            &[
                "export",
                "--user-pool-id",
                &pool,
                "--output",
                out.to_str().unwrap(),
                "--with-status",
            ],
            None,
        )
        .await;
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains("12 users"), "{}", run.stdout);
        assert_eq!(mode(&out), 0o600);
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(
            text.contains("user_status")
                && (text.contains("CONFIRMED") || text.contains("FORCE_CHANGE_PASSWORD")),
            "{text}"
        );
        let run = cognito_bulk(
            &moto.url(),
            &["plan", out.to_str().unwrap(), "--user-pool-id", &pool],
            None,
        )
        .await;
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stdout
                .contains("Plan: 0 users to change (0 attributes), 12 unchanged"),
            "{name}: {}",
            run.stdout
        );
    }
    // --attributes limits the columns, --filter passes a ListUsers filter through.
    let out = dir.path().join("some.csv");
    let run = cognito_bulk(
        &moto.url(),
        &[
            "export",
            "--user-pool-id",
            &pool,
            "--output",
            out.to_str().unwrap(),
            "--attributes",
            "email,custom:note",
            "--filter",
            "email ^= \"u1\"",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let mut reader = csv::Reader::from_path(&out).unwrap();
    assert_eq!(
        reader.headers().unwrap(),
        vec!["username", "email", "custom:note"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    // u1, u10, u11
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(
        rows.iter()
            .any(|r| &r[0] == "user001" && &r[2] == "two\nlines")
    );
    // A custom attribute the pool does not define would be an empty column: refused.
    let typo = dir.path().join("typo.csv");
    let run = cognito_bulk(
        &moto.url(),
        &[
            "export",
            "--user-pool-id",
            &pool,
            "--output",
            typo.to_str().unwrap(),
            "--attributes",
            "email,custom:nte",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("--attributes: custom:nte: the user pool does not define it"),
        "{}",
        run.stderr
    );
    assert!(!typo.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_export_resumes_where_it_stopped() {
    let moto = Moto::start();
    let pool = awkward_pool(&moto, 300).await;
    let proxy = FaultProxy::start(moto.addr, Config::default()).await;
    // Slow pages: 5 pages of 60, each 600 ms.
    proxy.script([Scripted {
        op: Some("ListUsers".into()),
        fault: Fault::DelayMs(600),
        count: 3,
    }]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big.jsonl");
    let args = [
        "export",
        "--user-pool-id",
        &pool,
        "--output",
        out.to_str().unwrap(),
    ];
    let child = command(Some(&proxy.url()), &args).spawn().unwrap();
    wait_for_lines(&out, 0).await;
    interrupt(&child);
    let first = child.wait_with_output().await.unwrap();
    assert_eq!(
        first.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let partial = std::fs::read_to_string(&out).unwrap().lines().count();
    assert!(partial > 0 && partial < 300, "stopped part-way: {partial}");
    // Leave a torn line, as a crash mid-page would: it is cut back to the last whole page.
    std::fs::OpenOptions::new().append(true).open(&out).unwrap();
    let mut text = std::fs::read(&out).unwrap();
    text.extend_from_slice(b"{\"username\": \"torn");
    std::fs::write(&out, text).unwrap();

    let run = cognito_bulk(&proxy.url(), &args, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("resumed after {partial} users")),
        "{}",
        run.stdout
    );
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut names: Vec<&str> = lines
        .iter()
        .map(|l| l["username"].as_str().unwrap())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!((lines.len(), names.len()), (300, 300), "every user once");
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_restores_the_pool_as_exported_and_leaves_conflicts() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = awkward_pool(&moto, 6).await;
    let dir = tempfile::tempdir().unwrap();
    let export = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let before = export("before.jsonl");
    let run = cognito_bulk(
        &moto.url(),
        &["export", "--user-pool-id", &pool, "--output", &before],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");

    // The migration: change, add and delete attributes.
    let input = dir.path().join("m.jsonl");
    let mut lines = Vec::new();
    for i in 0..6 {
        lines.push(format!(
            r#"{{"username": "user{i:03}", "attributes": {{"custom:tier": "gold", "nickname": "n{i}", "custom:note": null}}}}"#
        ));
    }
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let run = cognito_bulk(
        &moto.url(),
        &["apply", input.to_str().unwrap(), "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        attributes(&c, &pool, "user000").await["custom:tier"],
        "gold"
    );

    // Someone changes user002 after the run: a conflict.
    create_user_attr(&c, &pool, "user002", "custom:tier", "platinum").await;
    let journal = dir.path().join("m.jsonl.journal");
    let journal_s = journal.to_str().unwrap();
    let run = cognito_bulk(&moto.url(), &["rollback", journal_s, "--dry-run"], None).await;
    // A conflict would be left alone: the dry run says so with exit 1, as the rollback will.
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("~ user000  custom:tier: \"gold\" -> \"free\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "Rollback: 5 users to restore (15 attributes), 0 already as before, 1 conflicts, 0 invalid."
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("user \"user002\": conflict: custom:tier changed since the plan was made"),
        "{}",
        run.stderr
    );
    assert_eq!(
        attributes(&c, &pool, "user000").await["custom:tier"],
        "gold",
        "dry run writes nothing"
    );

    // A rollback that leaves a conflict alone says so and exits 1.
    let run = cognito_bulk(&moto.url(), &["rollback", journal_s, "--yes"], None).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("1 conflicts"), "{}", run.stdout);
    let report = read_report(&dir.path().join("m.jsonl.journal.rollback.plan.report.json"));
    assert_eq!(
        (report["updated"].as_u64(), report["conflicts"].as_u64()),
        (Some(5), Some(1))
    );
    assert_eq!(
        attributes(&c, &pool, "user002").await["custom:tier"],
        "platinum",
        "conflict left alone"
    );
    let run = cognito_bulk(
        &moto.url(),
        &["rollback", journal_s, "--yes", "--force", "--restart"],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");

    // The pool equals the export taken before the migration, attribute for attribute.
    let after = export("after.jsonl");
    let run = cognito_bulk(
        &moto.url(),
        &["export", "--user-pool-id", &pool, "--output", &after],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        std::fs::read_to_string(&after).unwrap(),
        std::fs::read_to_string(&before).unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_refuses_a_run_without_before_values() {
    let moto = Moto::start();
    let pool = awkward_pool(&moto, 2).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("b.csv");
    std::fs::write(&input, "username,custom:tier\nuser000,gold\n").unwrap();
    let run = cognito_bulk(
        &moto.url(),
        &[
            "apply",
            input.to_str().unwrap(),
            "--user-pool-id",
            &pool,
            "--current-state",
            "none",
            "--no-read-before-write",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let journal = dir.path().join("b.csv.journal");
    let run = cognito_bulk(
        &moto.url(),
        &["rollback", journal.to_str().unwrap(), "--yes"],
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("rollback is not possible"),
        "{}",
        run.stderr
    );
}

async fn create_user_attr(
    c: &aws_sdk_cognitoidentityprovider::Client,
    pool: &str,
    user: &str,
    name: &str,
    value: &str,
) {
    c.admin_update_user_attributes()
        .user_pool_id(pool)
        .username(user)
        .user_attributes(
            aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
                .name(name)
                .value(value)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}
