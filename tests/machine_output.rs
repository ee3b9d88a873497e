//! Machine output on every exit, and arguments read as OS strings (issue 17, items 6 and 7):
//! with `--json` standard output holds exactly one JSON object, errors included; a value that
//! is not UTF-8 is a usage error, never a panic; a path that is not UTF-8 is quoted in the
//! printed advice so that the advice runs.

mod support;

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

use support::*;

fn os(bytes: &[u8]) -> OsString {
    OsString::from_vec(bytes.to_vec())
}

/// Runs the binary with these arguments (then `--endpoint-url`, if given).
async fn run_os(args: &[OsString], endpoint: Option<&str>) -> Run {
    let mut cmd = command(None, &[]);
    cmd.args(args);
    if let Some(url) = endpoint {
        cmd.arg("--endpoint-url").arg(url);
    }
    finish(cmd.spawn().unwrap()).await
}

fn strs(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// Standard output is one JSON object, an error with this code and exit.
fn one_json_error(run: &Run, code: &str) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_str(run.stdout.trim())
        .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}): {run:?}"));
    assert!(value.is_object(), "{run:?}");
    assert_eq!(value["error"]["code"], code, "{run:?}");
    assert_eq!(value["exit"], run.code, "{run:?}");
    assert!(
        !value["error"]["message"].as_str().unwrap().is_empty(),
        "{run:?}"
    );
    value
}

fn no_panic(run: &Run) {
    assert!(!run.stderr.contains("panicked"), "{run:?}");
    assert_ne!(run.code, 101, "{run:?}");
}

#[tokio::test]
async fn a_value_that_is_not_utf8_is_a_usage_error_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("x.csv");
    std::fs::write(&input, "username,nickname\nu1,a\n").unwrap();
    let input = input.into_os_string();
    let cases: Vec<Vec<OsString>> = vec![
        vec![
            "plan".into(),
            input.clone(),
            "--user-pool-id".into(),
            os(b"\xff"),
        ],
        vec![
            "plan".into(),
            "--user-pool-id".into(),
            "p".into(),
            "--set".into(),
            os(b"nickname=\xff"),
        ],
        vec!["--json".into(), "report".into(), os(b"x\xff")],
        vec!["report".into(), "--json".into(), os(b"--x\xff")],
    ];
    for args in cases {
        let run = run_os(&args, None).await;
        no_panic(&run);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        if args.iter().any(|a| a == "--json") {
            one_json_error(&run, "usage");
        }
        // With --log-format json every line on standard error is a JSON event.
        let mut logged = args.clone();
        logged.extend(strs(&["--log-format", "json"]));
        let run = run_os(&logged, None).await;
        no_panic(&run);
        assert_eq!(run.code, 2, "{run:?}");
        for line in run.stderr.lines() {
            let event: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|_| panic!("{line:?} in {run:?}"));
            assert_eq!(event["level"], "ERROR");
        }
    }
    // A journal path that is not UTF-8 is a path: read (here: missing), not refused as text.
    let run = run_os(&["report".into(), os(b"x\xff.journal")], None).await;
    no_panic(&run);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("x\u{fffd}.journal"), "{run:?}");
}

#[tokio::test]
async fn json_holds_one_object_on_every_exit_2_path() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    create_user(&c, &pool, "u1", &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("users.csv");
    std::fs::write(&input, "username,custom:tier\nu1,pro\n").unwrap();
    let input = input.to_str().unwrap();
    let missing = dir.path().join("missing.csv");
    let missing = missing.to_str().unwrap();
    let url = moto.url();
    let refused = "http://127.0.0.1:9";
    let cases: Vec<(&str, Vec<&str>, Option<&str>, &str)> = vec![
        (
            "missing file",
            vec!["plan", missing, "--user-pool-id", &pool, "--json"],
            Some(&url),
            "setup",
        ),
        (
            "bad flag",
            vec!["plan", input, "--user-pool-id", &pool, "--json", "--bogus"],
            None,
            "usage",
        ),
        (
            "pool not found",
            vec![
                "plan",
                input,
                "--user-pool-id",
                "us-east-1_nothere",
                "--json",
            ],
            Some(&url),
            "setup",
        ),
        (
            "no --yes",
            vec!["apply", input, "--user-pool-id", &pool, "--json"],
            Some(&url),
            "setup",
        ),
        (
            "template setup error",
            vec![
                "plan",
                "--user-pool-id",
                &pool,
                "--set",
                "nickname={{ famly_name }}",
                "--json",
            ],
            Some(&url),
            "setup",
        ),
        (
            "connection refused",
            vec!["plan", input, "--user-pool-id", &pool, "--json"],
            Some(refused),
            "setup",
        ),
        (
            "report of a missing journal",
            vec!["report", missing, "--json"],
            None,
            "setup",
        ),
        (
            "rollback without --yes",
            vec!["rollback", missing, "--json"],
            Some(&url),
            "setup",
        ),
    ];
    for (what, args, endpoint, code) in cases {
        let run = run_os(&strs(&args), endpoint).await;
        no_panic(&run);
        assert_eq!(run.code, 2, "{what}: {run:?}");
        let value = one_json_error(&run, code);
        // The message is the error that standard error shows.
        let message = value["error"]["message"].as_str().unwrap();
        assert!(
            run.stderr.contains(message.lines().next().unwrap()),
            "{what}: {message:?} not in {:?}",
            run.stderr
        );
    }
    // With --detailed-exitcode an error is 1, and the object says so.
    let run = run_os(
        &strs(&[
            "plan",
            input,
            "--user-pool-id",
            &pool,
            "--json",
            "--detailed-exitcode",
            "--bogus",
        ]),
        None,
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    one_json_error(&run, "usage");
    // A successful run still prints its summary, once.
    let run = run_os(
        &strs(&["plan", input, "--user-pool-id", &pool, "--json"]),
        Some(&url),
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let value: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(value["to_change"], 1, "{run:?}");
}

#[tokio::test]
async fn detailed_exitcode_is_4_when_every_row_is_invalid_or_not_found() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    create_user(&c, &pool, "u1", &[("custom:tier", "pro")]).await;
    let dir = tempfile::tempdir().unwrap();
    let run_plan = |text: &'static str| {
        let path = dir.path().join("in.csv");
        std::fs::write(&path, text).unwrap();
        let (url, pool) = (moto.url(), pool.clone());
        async move {
            cognito_bulk(
                &url,
                &[
                    "plan",
                    path.to_str().unwrap(),
                    "--user-pool-id",
                    &pool,
                    "--detailed-exitcode",
                ],
                None,
            )
            .await
        }
    };
    assert_eq!(run_plan("username,custom:tier\nghost,x\n").await.code, 4);
    assert_eq!(run_plan("username,custom:tier\nu1,\"\n").await.code, 4);
    assert_eq!(run_plan("username,custom:tier\nu1,pro\n").await.code, 0);
    assert_eq!(run_plan("username,custom:tier\nu1,free\n").await.code, 2);
    assert_eq!(
        run_plan("username,custom:tier\nu1,free\nghost,x\n")
            .await
            .code,
        4
    );
}

#[tokio::test]
async fn a_path_that_is_not_utf8_gets_advice_that_runs() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    create_user(&c, &pool, "u1", &[("custom:tier", "free")]).await;
    let dir = tempfile::tempdir().unwrap();
    let mut name = dir.path().as_os_str().as_bytes().to_vec();
    name.extend_from_slice(b"/caf\xe9 'x'.csv");
    let input = os(&name);
    std::fs::write(Path::new(&input), "username,custom:tier\nu1,pro\n").unwrap();
    let run = run_os(
        &[
            "plan".into(),
            input.clone(),
            "--user-pool-id".into(),
            pool.clone().into(),
        ],
        Some(&moto.url()),
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let advice = run
        .stdout
        .lines()
        .find_map(|l| l.split_once("apply it with: ").map(|(_, c)| c.to_string()))
        .expect("advice printed");
    assert!(!advice.contains('\u{fffd}'), "{advice}");
    // Followed as printed, by a shell (bash reads $'...'), it applies the plan.
    let bin = env!("CARGO_BIN_EXE_cognito-bulk");
    // It carries the --endpoint-url the plan was given.
    let script = format!("{} --yes", advice.replacen("cognito-bulk", bin, 1));
    let mut cmd = command(None, &[]);
    let cmd = cmd.as_std_mut();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .output()
        .unwrap();
    assert!(out.status.success(), "{script}: {out:?}");
    assert_eq!(
        attributes(&c, &pool, "u1")
            .await
            .get("custom:tier")
            .map(String::as_str),
        Some("pro")
    );
}
