//! End-to-end tests of `apply`: the built binary against a real moto server.
//!
//! moto stores a blank value as "" instead of deleting the attribute, and validates nothing;
//! `present` below drops "" values so that assertions say what Cognito would hold.

mod support;

use std::collections::BTreeMap;

use support::proxy::{Config, Fault, FaultProxy, Scripted};
use support::*;

/// Attributes as Cognito would hold them: moto keeps deleted ones as "".
fn present(mut m: BTreeMap<String, String>) -> BTreeMap<String, String> {
    m.retain(|_, v| !v.is_empty());
    m
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_round_trips_awkward_values() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier", "bio"]).await;
    for u in ["alice", "bob", "carol", "dave"] {
        create_user(&c, &pool, u, &[("email", &format!("{u}@old.example"))]).await;
    }
    let long = "é".repeat(1024); // 1,024 characters, 2,048 bytes
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("users.csv");
    let mut w = csv::Writer::from_path(&input).unwrap();
    w.write_record(["username", "custom:tier", "custom:bio", "nickname"])
        .unwrap();
    w.write_record(["alice", "pro, \"gold\"", "line one\nline two", "  padded  "])
        .unwrap();
    w.write_record(["bob", "free", "emoji 🚀 ünïcödé, 中文", ""])
        .unwrap();
    w.write_record(["carol", "", &long, "c"]).unwrap();
    w.flush().unwrap();
    drop(w);

    let run = cognito_bulk(
        &moto.url(),
        &[
            "apply",
            input.to_str().unwrap(),
            "--user-pool-id",
            &pool,
            "--rps",
            "50",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");

    assert_eq!(
        present(attributes(&c, &pool, "alice").await),
        attrs(&[
            ("email", "alice@old.example"),
            ("custom:tier", "pro, \"gold\""),
            ("custom:bio", "line one\nline two"),
            ("nickname", "  padded  "),
        ])
    );
    // An empty cell leaves the attribute alone by default.
    assert_eq!(
        present(attributes(&c, &pool, "bob").await),
        attrs(&[
            ("email", "bob@old.example"),
            ("custom:tier", "free"),
            ("custom:bio", "emoji 🚀 ünïcödé, 中文"),
        ])
    );
    assert_eq!(
        present(attributes(&c, &pool, "carol").await),
        attrs(&[
            ("email", "carol@old.example"),
            ("custom:bio", &long),
            ("nickname", "c")
        ])
    );
    assert_eq!(
        present(attributes(&c, &pool, "dave").await),
        attrs(&[("email", "dave@old.example")])
    );

    let report_path = dir.path().join("users.csv.report.json");
    let report = read_report(&report_path);
    assert_eq!(report["rows_total"], 3);
    assert_eq!(report["updated"], 3);
    assert_eq!(report["failed"], 0);
    assert_eq!(report["invalid"], 0);
    assert_eq!(report["api_calls"], 3);
    assert_eq!(mode(&report_path), 0o600);
    assert!(!dir.path().join("users.csv.failed.csv").exists());
    assert!(run.stdout.contains("3 updated"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn jsonl_deletes_missing_users_and_client_metadata() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    create_user(
        &c,
        &pool,
        "alice",
        &[("nickname", "al"), ("custom:tier", "free")],
    )
    .await;
    create_user(&c, &pool, "bob", &[("nickname", "bobby")]).await;
    let proxy = FaultProxy::start(moto.addr, Config::recording()).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("changes.jsonl");
    std::fs::write(
        &input,
        concat!(
            r#"{"username": "alice", "attributes": {"custom:tier": "pro", "nickname": null}, "client_metadata": {"source": "crm"}}"#,
            "\n",
            r#"{"username": "ghost", "attributes": {"custom:tier": "pro"}}"#,
            "\n\n",
            r#"{"username": "bob", "attributes": {"custom:tier": "team"}}"#,
            "\n"
        ),
    )
    .unwrap();
    let run = cognito_bulk(
        &proxy.url(),
        &[
            "apply",
            input.to_str().unwrap(),
            "--user-pool-id",
            &pool,
            "--client-metadata",
            "run=42",
            "--client-metadata",
            "source=default",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 1, "some rows failed: {run:?}");
    assert!(
        run.stderr
            .contains("changes.jsonl:2: user \"ghost\": UserNotFoundException"),
        "{}",
        run.stderr
    );

    assert_eq!(
        present(attributes(&c, &pool, "alice").await),
        attrs(&[("custom:tier", "pro")])
    );
    assert_eq!(
        present(attributes(&c, &pool, "bob").await),
        attrs(&[("nickname", "bobby"), ("custom:tier", "team")])
    );

    // The delete went out as a blank value in the same call, with the row's metadata winning.
    let bodies: Vec<serde_json::Value> = proxy
        .stats()
        .bodies
        .iter()
        .filter(|(op, _)| op == "AdminUpdateUserAttributes")
        .map(|(_, b)| serde_json::from_str(b).unwrap())
        .collect();
    let alice = bodies.iter().find(|b| b["Username"] == "alice").unwrap();
    assert_eq!(
        alice["UserAttributes"],
        serde_json::json!([{"Name": "custom:tier", "Value": "pro"}, {"Name": "nickname", "Value": ""}])
    );
    assert_eq!(
        alice["ClientMetadata"],
        serde_json::json!({"run": "42", "source": "crm"})
    );
    let bob = bodies.iter().find(|b| b["Username"] == "bob").unwrap();
    assert_eq!(
        bob["ClientMetadata"],
        serde_json::json!({"run": "42", "source": "default"})
    );

    let report = read_report(&dir.path().join("changes.jsonl.report.json"));
    assert_eq!(report["updated"], 2);
    assert_eq!(report["failed"], 1);
    assert_eq!(report["failures_by_code"]["UserNotFoundException"], 1);

    // The failed-rows file holds the row as it was, plus the error, and can be fed back.
    let failed = dir.path().join("changes.jsonl.failed.jsonl");
    assert_eq!(mode(&failed), 0o600);
    let line: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&failed).unwrap().trim()).unwrap();
    assert_eq!(line["username"], "ghost");
    assert_eq!(line["attributes"]["custom:tier"], "pro");
    assert_eq!(line["error_code"], "UserNotFoundException");
    create_user(&c, &pool, "ghost", &[]).await;
    let again = cognito_bulk(
        &moto.url(),
        &["apply", failed.to_str().unwrap(), "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(
        present(attributes(&c, &pool, "ghost").await),
        attrs(&[("custom:tier", "pro")])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_rows_are_reported_and_never_sent() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    for u in ["ok", "dup", "big", "flag", "who", "none"] {
        create_user(&c, &pool, u, &[("nickname", "before")]).await;
    }
    let proxy = FaultProxy::start(moto.addr, Config::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("rows.jsonl");
    let big = "x".repeat(2049);
    let lines = [
        r#"{"username": "ok", "attributes": {"nickname": "after"}}"#.to_string(),
        r#"{"username": "dup", "attributes": {"nickname": "one"}}"#.to_string(),
        format!(r#"{{"username": "big", "attributes": {{"custom:tier": "{big}"}}}}"#),
        r#"{"username": "flag", "attributes": {"email_verified": "yes"}}"#.to_string(),
        r#"{"username": "who", "attributes": {"tier": "x", "sub": "y"}}"#.to_string(),
        r#"{"attributes": {"nickname": "x"}}"#.to_string(),
        r#"{"username": "none", "attributes": {}}"#.to_string(),
        r#"{"username": "DUP", "attributes": {"nickname": "two"}}"#.to_string(),
        r#"{"username": "broken", "attributes": "#.to_string(),
    ];
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let run = cognito_bulk(
        &proxy.url(),
        &["apply", input.to_str().unwrap(), "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    let f = input.display().to_string();
    for expected in [
        format!("{f}:2: user \"dup\": the user also appears on line 8"),
        format!("{f}:8: user \"DUP\": the user also appears on line 2"),
        format!("{f}:3: user \"big\": attribute custom:tier: value is 2049 characters"),
        format!("{f}:4: user \"flag\": attribute email_verified: must be \"true\" or \"false\""),
        format!("{f}:5: user \"who\": attribute tier: is not a standard Cognito attribute"),
        "attribute sub: is maintained by Cognito".to_string(),
        format!("{f}:6: the user key is missing"),
        format!("{f}:7: user \"none\": the row changes no attribute"),
        format!("{f}:9: the line is not valid JSON"),
    ] {
        assert!(
            run.stderr.contains(&expected),
            "missing {expected:?} in\n{}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains(&big), "values never appear in logs");
    // Only the one valid row was sent.
    let stats = proxy.stats();
    assert_eq!(stats.received.get("AdminUpdateUserAttributes"), Some(&1));
    assert_eq!(
        present(attributes(&c, &pool, "ok").await),
        attrs(&[("nickname", "after")])
    );
    for u in ["dup", "big", "flag", "who", "none"] {
        assert_eq!(
            present(attributes(&c, &pool, u).await),
            attrs(&[("nickname", "before")]),
            "{u}"
        );
    }
    let report = read_report(&dir.path().join("rows.jsonl.report.json"));
    assert_eq!(report["rows_total"], 9);
    assert_eq!(report["updated"], 1);
    assert_eq!(report["invalid"], 8);
    assert_eq!(report["failures_by_code"]["DuplicateUser"], 2);
    let failed = std::fs::read_to_string(dir.path().join("rows.jsonl.failed.jsonl")).unwrap();
    assert_eq!(failed.lines().count(), 8);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pool_that_does_not_exist_stops_before_any_write() {
    let moto = Moto::start();
    let proxy = FaultProxy::start(moto.addr, Config::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("u.csv");
    std::fs::write(&input, "username,nickname\nalice,a\nbob,b\n").unwrap();
    let run = cognito_bulk(
        &proxy.url(),
        &[
            "apply",
            input.to_str().unwrap(),
            "--user-pool-id",
            "us-east-1_missing",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("us-east-1_missing: ResourceNotFoundException"),
        "{}",
        run.stderr
    );
    assert_eq!(
        proxy.stats().received.get("AdminUpdateUserAttributes"),
        None
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fatal_error_mid_run_stops_at_the_first_occurrence() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    let mut csv = String::from("username,nickname\n");
    for i in 0..40 {
        create_user(&c, &pool, &format!("u{i}"), &[]).await;
        csv.push_str(&format!("u{i},n{i}\n"));
    }
    let proxy = FaultProxy::start(moto.addr, Config::default()).await;
    // The credentials stop working after the setup check.
    proxy.script([Scripted {
        op: Some("AdminUpdateUserAttributes".into()),
        fault: Fault::Error {
            status: 400,
            code: "NotAuthorizedException".into(),
        },
        count: 1000,
    }]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("u.csv");
    std::fs::write(&input, csv).unwrap();
    let run = cognito_bulk(
        &proxy.url(),
        &[
            "apply",
            input.to_str().unwrap(),
            "--user-pool-id",
            &pool,
            "--concurrency",
            "2",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 3, "{run:?}");
    let calls = proxy.stats().received["AdminUpdateUserAttributes"];
    assert!(
        calls <= 3,
        "stopped after the first fatal answer (calls in flight may finish): {calls}"
    );
    let report = read_report(&dir.path().join("u.csv.report.json"));
    assert!(
        report["stopped"]
            .as_str()
            .unwrap()
            .contains("NotAuthorizedException")
    );
    assert_eq!(
        report["not_attempted"].as_u64().unwrap() + report["failed"].as_u64().unwrap(),
        40
    );
    assert!(run.stdout.contains("STOPPED"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn stdin_key_column_and_empty_cells_delete() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    create_user(
        &c,
        &pool,
        "alice",
        &[("nickname", "al"), ("custom:tier", "free")],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let run = cognito_bulk(
        &moto.url(),
        &[
            "apply",
            "-",
            "--format",
            "csv",
            "--user-pool-id",
            &pool,
            "--key-column",
            "login",
            "--empty-cells",
            "delete",
            "--report",
            report.to_str().unwrap(),
            "--failed",
            dir.path().join("f.csv").to_str().unwrap(),
            "--journal",
            dir.path().join("j").to_str().unwrap(),
        ],
        Some(b"login,nickname,custom:tier,error_code,error_message\nalice,,gold,OldCode,old message\n"),
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        present(attributes(&c, &pool, "alice").await),
        attrs(&[("custom:tier", "gold")])
    );
    assert_eq!(read_report(&report)["updated"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_header_is_a_setup_error() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("u.csv");
    std::fs::write(&input, "username,tier\nalice,pro\n").unwrap();
    let run = cognito_bulk(
        &moto.url(),
        &["apply", input.to_str().unwrap(), "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("column \"tier\" is not a standard Cognito attribute"),
        "{}",
        run.stderr
    );
    std::fs::write(&input, "user,nickname\nalice,pro\n").unwrap();
    let run = cognito_bulk(
        &moto.url(),
        &["apply", input.to_str().unwrap(), "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("no column \"username\""),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_aws_environment_variables_pick_the_endpoint() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    create_user(&c, &pool, "alice", &[("nickname", "a")]).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("e.csv");
    std::fs::write(&input, "username,nickname\nalice,b\n").unwrap();
    // No --endpoint-url: the service-specific variable wins over the general one.
    let mut cmd = command(
        None,
        &confirmed(&["apply", input.to_str().unwrap(), "--user-pool-id", &pool]),
    );
    cmd.env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", moto.url());
    let run = finish(cmd.spawn().unwrap()).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(attributes(&c, &pool, "alice").await["nickname"], "b");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_credentials_stop_the_run_before_any_call() {
    let moto = Moto::start();
    let proxy = FaultProxy::start(moto.addr, Config::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("c.csv");
    std::fs::write(&input, "username,nickname\nalice,b\n").unwrap();
    let args = [
        "apply",
        input.to_str().unwrap(),
        "--user-pool-id",
        "us-east-1_x",
    ];
    let mut cmd = command(Some(&proxy.url()), &confirmed(&args));
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let run = finish(cmd.spawn().unwrap()).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("no usable AWS credentials"),
        "{}",
        run.stderr
    );
    assert!(proxy.stats().received.is_empty(), "no call was made");
}
