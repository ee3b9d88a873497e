//! End-to-end tests of broken and awkward inputs: the built binary against a real moto server.
//! Each bad row is reported with a clear code and message, the good rows around it go on, and
//! nothing (a tampered journal included) makes the tool panic.

mod support;

use std::path::Path;

use aws_sdk_cognitoidentityprovider::types::{AttributeDataType, SchemaAttributeType};
use support::*;

/// Runs `apply` on `input`, with the journal, report and failed rows named explicitly beside
/// it: `run.journal`, `run.report.json`, `run.failed.csv` (or `.jsonl`, as the input).
async fn apply(moto: &Moto, input: &Path, pool: &str) -> Run {
    let dir = input.parent().unwrap();
    let ext = input.extension().unwrap().to_str().unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let (journal, report, failed) = (
        path("run.journal"),
        path("run.report.json"),
        path(&format!("run.failed.{ext}")),
    );
    let args = [
        "apply",
        input.to_str().unwrap(),
        "--user-pool-id",
        pool,
        "--rps",
        "50",
        "--journal",
        &journal,
        "--report",
        &report,
        "--failed",
        &failed,
    ];
    cognito_bulk(&moto.url(), &args, None).await
}

/// The failed-rows file of a run in `dir`, as text.
fn failed_rows(dir: &Path, ext: &str) -> String {
    let path = dir.join(format!("run.failed.{ext}"));
    String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned()
}

fn report(dir: &Path) -> serde_json::Value {
    read_report(&dir.join("run.report.json"))
}

#[tokio::test(flavor = "multi_thread")]
async fn jsonl_numbers_reach_cognito_as_written() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["p", "e", "big"]).await;
    create_user(&c, &pool, "alice", &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("users.jsonl");
    std::fs::write(
        &input,
        r#"{"username":"alice","attributes":{"custom:p":1.50,"custom:e":1e2,"custom:big":12345678901234567890123}}"#,
    )
    .unwrap();
    let run = apply(&moto, &input, &pool).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        attributes(&c, &pool, "alice").await,
        attrs(&[
            ("custom:p", "1.50"),
            ("custom:e", "1e2"),
            ("custom:big", "12345678901234567890123"),
        ])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_csv_rows_are_named_and_the_others_applied() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    for u in ["alice", "bob", "carol", "dave", "erin"] {
        create_user(&c, &pool, u, &[]).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("users.csv");
    let long = "é".repeat(2048); // 2,048 characters, 4,096 bytes: allowed
    let mut text = b"username,nickname,given_name\n".to_vec();
    text.extend_from_slice(format!("alice,{long},A\n").as_bytes());
    text.extend_from_slice(b"bob,b\xffb,Bob\n"); // invalid UTF-8
    text.extend_from_slice(b"carol,c\x00c,Carol\n"); // NUL
    text.extend_from_slice(format!("dave,{long}x,D\n").as_bytes()); // 2,049 characters
    text.extend_from_slice(b"erin,\"Erin,E\n"); // a quote never closed
    std::fs::write(&input, &text).unwrap();

    let run = apply(&moto, &input, &pool).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!run.stderr.contains("Utf8"), "{}", run.stderr);
    assert_eq!(
        attributes(&c, &pool, "alice").await,
        attrs(&[("nickname", &long), ("given_name", "A")])
    );
    for u in ["bob", "carol", "dave", "erin"] {
        assert!(attributes(&c, &pool, u).await.is_empty(), "{u} untouched");
    }
    let r = report(dir.path());
    assert_eq!(r["updated"], 1, "{r}");
    assert_eq!(r["invalid"], 4, "{r}");

    let failed = failed_rows(dir.path(), "csv");
    let lines: Vec<&str> = failed.lines().collect();
    let bob = lines
        .iter()
        .find(|l| l.starts_with("bob,"))
        .expect("bob kept");
    assert!(
        bob.contains("Bob") && bob.contains("invalid UTF-8 at byte 2"),
        "{bob}"
    );
    let carol = lines.iter().find(|l| l.starts_with("carol,")).unwrap();
    assert!(
        carol.contains("InvalidCharacter") && carol.contains("nickname"),
        "{carol}"
    );
    let dave = lines.iter().find(|l| l.starts_with("dave,")).unwrap();
    assert!(
        dave.contains("ValueTooLong") && dave.contains("2049 characters"),
        "{dave}"
    );
    assert!(
        failed.contains("quote opened on line 6 is never closed"),
        "{failed}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_jsonl_rows_are_named_and_the_others_applied() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    for u in ["a", "b", "c", "d", "e"] {
        create_user(&c, &pool, u, &[]).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("users.jsonl");
    let mut text = b"\xef\xbb\xbf".to_vec(); // a byte-order mark
    text.extend_from_slice(b"{\"username\":\"a\",\"attributes\":{\"nickname\":\"A\"}}\n");
    text.extend_from_slice(
        b"{\"username\":\"b\",\"username\":\"c\",\"attributes\":{\"nickname\":\"B\"}}\n",
    );
    text.extend_from_slice(
        b"{\"username\":\"d\",\"attributes\":{\"given_name\":\"D\",\"given_name\":\"E\"}}\n",
    );
    text.extend_from_slice(b"{\"username\":\"e\",\"attributes\":{\"nickname\":\"e\xffe\"}}\n");
    std::fs::write(&input, &text).unwrap();

    let run = apply(&moto, &input, &pool).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        attributes(&c, &pool, "a").await,
        attrs(&[("nickname", "A")])
    );
    for u in ["b", "c", "d", "e"] {
        assert!(attributes(&c, &pool, u).await.is_empty(), "{u} untouched");
    }
    let failed = failed_rows(dir.path(), "jsonl");
    let rows: Vec<serde_json::Value> = failed
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let code_of = |needle: &str| {
        rows.iter()
            .find(|r| r["error_message"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("no failed row says {needle:?}: {failed}"))["error_code"]
            .clone()
    };
    assert_eq!(
        code_of("\"username\" appears more than once"),
        "MalformedRow"
    );
    assert_eq!(code_of("attribute given_name"), "DuplicateAttribute");
    assert_eq!(code_of("invalid UTF-8 at byte 44"), "MalformedRow");
    // The user is kept, and so is a line with a key twice, as it was.
    assert!(rows.iter().any(|r| r["username"] == "e"), "{failed}");
    assert!(
        failed.contains(r#"\"given_name\":\"D\",\"given_name\":\"E\""#),
        "{failed}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn number_attributes_take_plain_decimals_only() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = c
        .create_user_pool()
        .pool_name("numbers")
        .schema(
            SchemaAttributeType::builder()
                .name("score")
                .attribute_data_type(AttributeDataType::Number)
                .mutable(true)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap();
    let values = ["42", "-7", "3.25", "NaN", " 5 ", "1e3", "+5", "inf"];
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("users.csv");
    let mut text = "username,custom:score\n".to_string();
    for (i, v) in values.iter().enumerate() {
        create_user(&c, &pool, &format!("u{i}"), &[]).await;
        text.push_str(&format!("u{i},\"{v}\"\n"));
    }
    std::fs::write(&input, text).unwrap();
    let run = apply(&moto, &input, &pool).await;
    assert_eq!(run.code, 1, "{run:?}");
    for (i, v) in values.iter().enumerate() {
        let got = attributes(&c, &pool, &format!("u{i}")).await;
        let sent = i < 3;
        assert_eq!(
            got.get("custom:score").map(String::as_str),
            sent.then_some(*v),
            "{v:?}"
        );
    }
    let r = report(dir.path());
    assert_eq!(r["failures_by_code"]["SchemaViolation"], 5, "{r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tampered_journal_header_is_refused_without_a_panic() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    create_user(&c, &pool, "alice", &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("users.csv");
    std::fs::write(&input, "username,nickname\nalice,Al\n").unwrap();
    // A header whose input SHA-256 is not hex: its first 12 bytes end inside a character.
    let header = serde_json::json!({
        "kind": "cognito-bulk-journal",
        "version": 1,
        "input": input.to_str().unwrap(),
        "input_sha256": format!("x{}", "é".repeat(40)),
        "user_pool_id": pool,
        "rows_total": 1,
        "options": {},
        "created_unix": 1,
    });
    let journal = dir.path().join("run.journal");
    std::fs::write(&journal, format!("{header}\n")).unwrap();

    let run = apply(&moto, &input, &pool).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(run.stderr.contains("another input"), "{}", run.stderr);
    assert!(attributes(&c, &pool, "alice").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_of_a_stream_keeps_its_input_for_apply_to_check() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    create_user(&c, &pool, "alice", &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("ds.plan");
    let copy = dir.path().join("ds.plan.input");
    let text = "username,nickname\nalice,Al\n";
    let plan_of = |input: &str| {
        let args = [
            "plan",
            input,
            "--format",
            "csv",
            "--user-pool-id",
            &pool,
            "--out",
            plan.to_str().unwrap(),
        ];
        args.map(str::to_string)
    };
    let apply_args = [
        "apply",
        "--plan",
        plan.to_str().unwrap(),
        "--user-pool-id",
        &pool,
    ];

    // `plan /dev/stdin`: the stream is copied beside the plan, as `plan -` does.
    let args = plan_of("/dev/stdin");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = cognito_bulk(&moto.url(), &args, Some(text.as_bytes())).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(mode(&copy), 0o600);
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), text);
    // And apply checks it: a changed copy is refused before any write.
    std::fs::write(&copy, "username,nickname\nalice,Mallory\n").unwrap();
    let refused = cognito_bulk(&moto.url(), &apply_args, None).await;
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("changed since"), "{refused:?}");
    assert!(attributes(&c, &pool, "alice").await.is_empty());

    // A FIFO (what a shell's `<(...)` gives): copied too, and the plan applies.
    let fifo = dir.path().join("fifo");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, text).unwrap())
    };
    let args = plan_of(fifo.to_str().unwrap());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = cognito_bulk(&moto.url(), &args, None).await;
    writer.join().unwrap();
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), text);
    let applied = cognito_bulk(&moto.url(), &apply_args, None).await;
    assert_eq!(applied.code, 0, "{applied:?}");
    assert_eq!(
        attributes(&c, &pool, "alice").await,
        attrs(&[("nickname", "Al")])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stray_csv_quote_never_merges_rows() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    for u in ["alice", "bob", "carol", "erin"] {
        create_user(&c, &pool, u, &[]).await;
    }
    let dir = tempfile::tempdir().unwrap();

    // The reviewer's file: nothing in it may be planned as a change.
    let bad4 = dir.path().join("bad4.csv");
    std::fs::write(
        &bad4,
        "username,nickname\nalice,\"C1\"x\nbob,\"C2\ncarol,\"C3\nerin,E3\n",
    )
    .unwrap();
    let args = ["plan", bad4.to_str().unwrap(), "--user-pool-id", &pool];
    let plan = cognito_bulk(&moto.url(), &args, None).await;
    assert_eq!(plan.code, 1, "{plan:?}");
    assert!(plan.stdout.contains("0 users to change"), "{plan:?}");
    assert!(plan.stdout.contains("3 invalid"), "{plan:?}");
    assert!(!plan.stdout.contains("C2"), "{plan:?}");
    let f = bad4.display();
    for said in [
        format!("{f}:2: user \"alice\": attribute nickname: text follows the closing quote"),
        format!(
            "{f}:3: user \"bob\": attribute nickname: the quote opened on line 3, column 5 closes only on line 4"
        ),
        format!(
            "{f}:4: user \"carol\": attribute nickname: a quote opened on line 4 is never closed"
        ),
    ] {
        assert!(plan.stderr.contains(&said), "{said}\n{}", plan.stderr);
    }

    // With carol's quote closed, the rows around the bad ones are applied as written.
    let input = dir.path().join("users.csv");
    std::fs::write(
        &input,
        "username,nickname\nalice,\"C1\"x\nbob,\"C2\ncarol,\"C3\"\nerin,E3\n",
    )
    .unwrap();
    let run = apply(&moto, &input, &pool).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(attributes(&c, &pool, "alice").await.is_empty());
    assert!(attributes(&c, &pool, "bob").await.is_empty());
    assert_eq!(
        attributes(&c, &pool, "carol").await,
        attrs(&[("nickname", "C3")])
    );
    assert_eq!(
        attributes(&c, &pool, "erin").await,
        attrs(&[("nickname", "E3")])
    );
    let failed = failed_rows(dir.path(), "csv");
    // Their cells cannot be trusted: written back empty, the key too, so that fed back they
    // stay refused (the message names the line to fix them from).
    assert_eq!(failed.matches(",,MalformedRow,").count(), 2, "{failed}");
    assert!(
        !failed.contains("C1x") && !failed.contains("C2"),
        "{failed}"
    );
    assert!(
        failed.contains("line 2") && failed.contains("line 3"),
        "{failed}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_plan_never_replaces_a_file_in_the_way_of_its_copy() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    create_user(&c, &pool, "alice", &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let text = "username,nickname\nalice,Al\n";
    let plan_into = |out: &str| {
        let plan = dir.path().join(out).to_str().unwrap().to_string();
        [
            "plan",
            "-",
            "--format",
            "csv",
            "--user-pool-id",
            &pool,
            "--out",
            &plan,
        ]
        .map(String::from)
    };
    let run_plan = |args: [String; 8]| {
        let url = moto.url();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            cognito_bulk(&url, &args, Some(text.as_bytes())).await
        }
    };
    // Something of the user's at `e.plan.input` (an export, notes): refused before any write,
    // kept byte for byte, and no plan written.
    let theirs = dir.path().join("e.plan.input");
    std::fs::write(&theirs, "username,email\nbob,b@example.com\n").unwrap();
    let refused = run_plan(plan_into("e.plan")).await;
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(refused.stderr.contains("is in the way"), "{refused:?}");
    assert!(refused.stderr.contains("--out"), "{refused:?}");
    let kept = std::fs::read_to_string(&theirs).unwrap();
    assert_eq!(kept, "username,email\nbob,b@example.com\n");
    assert!(!dir.path().join("e.plan").exists());
    // The advice followed: another --out works, and planning it again replaces its own copy.
    for _ in 0..2 {
        let run = run_plan(plan_into("f.plan")).await;
        assert_eq!(run.code, 0, "{run:?}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("f.plan.input")).unwrap(),
        text
    );
}

/// The failed-rows file of rows whose quotes could not be read, fed back: still refused, never
/// a change to a value nobody typed.
#[tokio::test(flavor = "multi_thread")]
async fn rows_with_stray_quotes_fed_back_from_the_failed_rows_file_stay_refused() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    for u in ["alice", "bob", "carol"] {
        create_user(&c, &pool, u, &[]).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("d.csv");
    std::fs::write(
        &d,
        "username,nickname\nalice,\"C1\"x\nbob,\"C2\ncarol,\"C3\"x\n",
    )
    .unwrap();
    let args = [
        "apply",
        d.to_str().unwrap(),
        "--user-pool-id",
        &pool,
        "--yes",
    ];
    let run = cognito_bulk(&moto.url(), &args, None).await;
    assert_eq!(run.code, 1, "{run:?}");
    let failed = dir.path().join("d.csv.failed.csv");
    let text = std::fs::read_to_string(&failed).unwrap();
    assert!(!text.contains("C1") && !text.contains("C2"), "{text}");
    let args = ["plan", failed.to_str().unwrap(), "--user-pool-id", &pool];
    let plan = cognito_bulk(&moto.url(), &args, None).await;
    assert!(plan.stdout.contains("0 users to change"), "{plan:?}");
    assert!(!plan.stdout.contains("C1"), "{plan:?}");
}
