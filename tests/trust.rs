//! The safety promises on every path a user takes (issue 9): what plan shows is what is sent,
//! every run can be undone, a re-run never silently does nothing. Against moto, through the
//! recording proxy where the wire matters. Undoing runs whose answers were lost is tested
//! in-process in `tests/resume_inprocess.rs`.

mod support;

use std::path::Path;

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, AttributeType, SchemaAttributeType,
};
use support::proxy::{Config, Fault, FaultProxy, Scripted};
use support::*;

/// A pool with `custom:tier` (mutable) and `custom:origin` (immutable), and users u0..u{n}
/// with a verified email and a tier.
async fn pool(c: &Client, n: usize) -> String {
    let custom = |name: &str, mutable: bool| {
        SchemaAttributeType::builder()
            .name(name)
            .attribute_data_type(AttributeDataType::String)
            .mutable(mutable)
            .build()
    };
    let pool = c
        .create_user_pool()
        .pool_name("trust")
        .auto_verified_attributes(
            aws_sdk_cognitoidentityprovider::types::VerifiedAttributeType::Email,
        )
        .schema(custom("tier", true))
        .schema(custom("origin", false))
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap();
    for i in 0..n {
        let email = format!("u{i}@old.example");
        create_user(
            c,
            &pool,
            &format!("u{i}"),
            &[
                ("email", &email),
                ("email_verified", "true"),
                ("custom:tier", "free"),
                ("custom:origin", "crm"),
            ],
        )
        .await;
    }
    pool
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

async fn set(c: &Client, pool: &str, user: &str, name: &str, value: &str) {
    let attr = AttributeType::builder()
        .name(name)
        .value(value)
        .build()
        .unwrap();
    c.admin_update_user_attributes()
        .user_pool_id(pool)
        .username(user)
        .user_attributes(attr)
        .send()
        .await
        .unwrap();
}

/// The AdminUpdateUserAttributes bodies the proxy saw.
fn update_bodies(proxy: &FaultProxy) -> Vec<String> {
    proxy
        .stats()
        .bodies
        .into_iter()
        .filter(|(op, _)| op == "AdminUpdateUserAttributes")
        .map(|(_, body)| body)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn verification_flag_is_sent_with_the_email_on_every_path() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c, 3).await;
    let dir = tempfile::tempdir().unwrap();
    // email_verified is already true in the pool: "send only what changes" must keep it.
    let input = write(
        dir.path(),
        "fix.csv",
        "username,email,email_verified\nu0,u0@new.example,true\nu1,u1@new.example,true\n",
    );
    let proxy = FaultProxy::start(moto.addr, Config::recording()).await;
    let run = cognito_bulk(
        &proxy.url(),
        &["plan", &input, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert!(
        run.stdout
            .contains("0 users will receive a verification message."),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("email_verified: \"true\" (unchanged, sent with the new address)")
    );
    let plan = format!("{input}.plan");
    let run = cognito_bulk(
        &proxy.url(),
        &["apply", "--plan", &plan, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let report = read_report(Path::new(&format!("{plan}.report.json")));
    assert_eq!(report["verification_messages"], 0);
    let bodies = update_bodies(&proxy);
    assert_eq!(bodies.len(), 2);
    for body in &bodies {
        assert!(
            body.contains("\"email_verified\""),
            "flag missing on the wire: {body}"
        );
        assert!(body.contains("new.example"), "{body}");
    }

    // Plain apply, the same rule.
    let input = write(
        dir.path(),
        "fix2.csv",
        "username,email,email_verified\nu2,u2@new.example,true\n",
    );
    let run = cognito_bulk(
        &proxy.url(),
        &["apply", &input, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let bodies = update_bodies(&proxy);
    assert!(bodies[2].contains("\"email_verified\"") && bodies[2].contains("u2@new.example"));
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_then_apply_plan_can_be_rolled_back() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c, 4).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "t.csv",
        "username,custom:tier\nu0,pro\nu1,pro\nu2,gold\n",
    );
    let run = cognito_bulk(
        &moto.url(),
        &["plan", &input, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let plan = format!("{input}.plan");
    let run = cognito_bulk(
        &moto.url(),
        &["apply", "--plan", &plan, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(attributes(&c, &pool, "u2").await["custom:tier"], "gold");
    // The plan's journal is PLAN.journal, and it carries the before-values.
    let journal = format!("{plan}.journal");
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(
        text.contains("\"before\":{\"custom:tier\":\"free\"}"),
        "{text}"
    );
    let run = cognito_bulk(&moto.url(), &["rollback", &journal, "--yes"], None).await;
    assert_eq!(run.code, 0, "{run:?}");
    for u in ["u0", "u1", "u2", "u3"] {
        assert_eq!(attributes(&c, &pool, u).await["custom:tier"], "free", "{u}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_leaves_nothing_a_rollback_trusts() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c, 3).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "t.csv",
        "username,custom:tier\nu0,pro\nu1,pro\nu2,pro\n",
    );
    let run = cognito_bulk(
        &moto.url(),
        &["apply", &input, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let journal = format!("{input}.journal");
    let run = cognito_bulk(&moto.url(), &["rollback", &journal, "--dry-run"], None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("Rollback: 3 users to restore"),
        "{}",
        run.stdout
    );
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("rollback") || n.starts_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "a dry run left {left:?}");

    // Someone edits u1 after the dry run: the real rollback still sees it.
    set(&c, &pool, "u1", "custom:tier", "vip").await;
    let run = cognito_bulk(&moto.url(), &["rollback", &journal], None).await;
    assert_eq!(
        run.code, 2,
        "no terminal and no --yes: asks, so refuses: {run:?}"
    );
    let run = cognito_bulk(&moto.url(), &["rollback", &journal, "--yes"], None).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("user \"u1\": conflict: custom:tier"),
        "{}",
        run.stderr
    );
    assert_eq!(attributes(&c, &pool, "u1").await["custom:tier"], "vip");
    assert_eq!(attributes(&c, &pool, "u0").await["custom:tier"], "free");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_plan_leaves_changed_users_alone_unless_forced() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c, 3).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "t.csv",
        "username,custom:tier\nu0,pro\nu1,pro\nu2,pro\n",
    );
    let run = cognito_bulk(
        &moto.url(),
        &["plan", &input, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    set(&c, &pool, "u1", "custom:tier", "vip").await;
    set(&c, &pool, "u2", "custom:tier", "pro").await; // already at the target: unchanged
    let plan = format!("{input}.plan");
    let run = cognito_bulk(
        &moto.url(),
        &["apply", "--plan", &plan, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    let report = read_report(Path::new(&format!("{plan}.report.json")));
    assert_eq!(
        (
            &report["updated"],
            &report["unchanged"],
            &report["conflicts"]
        ),
        (&1.into(), &1.into(), &1.into()),
        "{report}"
    );
    assert!(
        run.stderr.contains("--force sends it anyway"),
        "{}",
        run.stderr
    );
    assert_eq!(attributes(&c, &pool, "u1").await["custom:tier"], "vip");
    // The advice, followed: --force sends it (the finished journal starts a new run).
    let run = cognito_bulk(
        &moto.url(),
        &["apply", "--plan", &plan, "--user-pool-id", &pool, "--force"],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(attributes(&c, &pool, "u1").await["custom:tier"], "pro");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rerun_decides_invalid_rows_again_and_a_finished_run_starts_anew() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c, 3).await;
    let dir = tempfile::tempdir().unwrap();
    // u0's email change has no flag: refused by the rail, with advice.
    let input = write(
        dir.path(),
        "t.csv",
        "username,email,custom:tier\nu0,u0@new.example,\nu1,,pro\n",
    );
    let run = cognito_bulk(
        &moto.url(),
        &["apply", &input, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("pass --allow-verification-messages"),
        "{}",
        run.stderr
    );
    // The advice, followed: the refused row is decided again and sent.
    let run = cognito_bulk(
        &moto.url(),
        &[
            "apply",
            &input,
            "--user-pool-id",
            &pool,
            "--allow-verification-messages",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(attributes(&c, &pool, "u0").await["email"], "u0@new.example");
    let report = read_report(Path::new(&format!("{input}.report.json")));
    assert_eq!(
        (&report["invalid"], &report["verification_messages"]),
        (&0.into(), &1.into())
    );

    // That was a new run (the first one had finished): its journal holds only u0's change,
    // and the advice names the old journal, which holds u1's.
    assert!(
        run.stderr.contains("records a finished run"),
        "{}",
        run.stderr
    );
    let advice = "undo that run with: cognito-bulk rollback ";
    let at = run.stderr.find(advice).expect(&run.stderr) + advice.len();
    // The rest of the command (its AWS flags) after the journal's name.
    let old_journal = shlex::split(run.stderr[at..].split(')').next().unwrap()).unwrap()[0].clone();
    let journal = format!("{input}.journal");
    for j in [&journal, &old_journal] {
        let run = cognito_bulk(&moto.url(), &["rollback", j, "--yes"], None).await;
        assert_eq!(run.code, 0, "{j}: {run:?}");
    }
    assert_eq!(attributes(&c, &pool, "u0").await["email"], "u0@old.example");
    assert_eq!(attributes(&c, &pool, "u1").await["custom:tier"], "free");

    // Apply again after the rollbacks: a finished journal is not "already done".
    let run = cognito_bulk(
        &moto.url(),
        &[
            "apply",
            &input,
            "--user-pool-id",
            &pool,
            "--allow-verification-messages",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("2 updated"), "{}", run.stdout);
    assert_eq!(attributes(&c, &pool, "u1").await["custom:tier"], "pro");

    // Blind runs cannot diff: a finished one is refused with advice, which works.
    let blind = write(dir.path(), "b.csv", "username,custom:tier\nu2,gold\n");
    let args = [
        "apply",
        &blind,
        "--user-pool-id",
        &pool,
        "--current-state",
        "none",
    ];
    assert_eq!(cognito_bulk(&moto.url(), &args, None).await.code, 0);
    let run = cognito_bulk(&moto.url(), &args, None).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("Pass --restart"), "{}", run.stderr);
    let mut restart = args.to_vec();
    restart.push("--restart");
    let run = cognito_bulk(&moto.url(), &restart, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("1 updated"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_with_an_immutable_attribute_plans_to_no_change() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c, 3).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("backup.csv");
    let out_s = out.to_str().unwrap();
    let run = cognito_bulk(
        &moto.url(),
        &["export", "--user-pool-id", &pool, "--output", out_s],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.lines().next().unwrap().contains("custom:origin"),
        "a backup is complete"
    );
    let run = cognito_bulk(
        &moto.url(),
        &[
            "plan",
            out_s,
            "--user-pool-id",
            &pool,
            "--detailed-exitcode",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains(
            "Plan: 0 users to change (0 attributes), 3 unchanged, 0 not found, 0 invalid."
        )
    );
    // An actual change to it is still refused.
    let change = write(dir.path(), "o.csv", "username,custom:origin\nu0,web\n");
    let run = cognito_bulk(
        &moto.url(),
        &["plan", &change, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert!(
        run.stderr
            .contains("custom:origin: the user pool defines this attribute as immutable")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn derived_names_never_collide_and_a_finished_export_is_kept() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c, 2).await;
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "x.csv", "username,custom:tier\nu0,pro\n");
    let jsonl = write(
        dir.path(),
        "x.jsonl",
        "{\"username\":\"u1\",\"attributes\":{\"custom:tier\":\"pro\"}}\n",
    );
    for input in [&csv, &jsonl] {
        let run = cognito_bulk(&moto.url(), &["plan", input, "--user-pool-id", &pool], None).await;
        assert_eq!(run.code, 0, "{run:?}");
    }
    let plan = format!("{csv}.plan");
    let run = cognito_bulk(
        &moto.url(),
        &["apply", "--plan", &plan, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    for input in [&csv, &jsonl] {
        let run = cognito_bulk(
            &moto.url(),
            &["apply", input, "--user-pool-id", &pool],
            None,
        )
        .await;
        assert_eq!(run.code, 0, "{input}: {run:?}");
    }
    for name in [
        "x.csv.journal",
        "x.jsonl.journal",
        "x.csv.plan.journal",
        "x.jsonl.plan",
    ] {
        assert!(dir.path().join(name).exists(), "{name}");
    }

    let out = dir.path().join("before.csv");
    let out_s = out.to_str().unwrap();
    let export = ["export", "--user-pool-id", &pool, "--output", out_s];
    assert_eq!(cognito_bulk(&moto.url(), &export, None).await.code, 0);
    let backup = std::fs::read(&out).unwrap();
    set(&c, &pool, "u0", "custom:tier", "changed").await;
    let run = cognito_bulk(&moto.url(), &export, None).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("pass --force"), "{}", run.stderr);
    assert_eq!(
        std::fs::read(&out).unwrap(),
        backup,
        "the backup is untouched"
    );
    let mut forced = export.to_vec();
    forced.push("--force");
    assert_eq!(cognito_bulk(&moto.url(), &forced, None).await.code, 0);
    assert!(std::fs::read_to_string(&out).unwrap().contains("changed"));
}

/// Runs `cognito-bulk args` on a pseudo-terminal (util-linux `script`), typing `answer`.
async fn on_a_terminal(endpoint: &str, args: &[&str], answer: &str) -> Run {
    let mut line = vec![
        "exec".to_string(),
        env!("CARGO_BIN_EXE_cognito-bulk").to_string(),
    ];
    line.extend(args.iter().map(|a| a.to_string()));
    line.extend(["--endpoint-url".to_string(), endpoint.to_string()]);
    let line = line.join(" ");
    let mut cmd = command(None, &[]);
    let cmd = cmd.as_std_mut();
    let mut script = tokio::process::Command::new("script");
    script.args(["-qec", &line, "/dev/null"]);
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            script.env(k, v);
        }
    }
    script
        .env("TERM", "dumb")
        .env("SHELL", "/bin/sh")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = script.spawn().expect("run script(1)");
    use tokio::io::AsyncWriteExt;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(answer.as_bytes()).await.unwrap();
    // Keep standard input open until the run ends: `script` stops when it closes.
    let run = tokio::spawn(finish(child));
    let run = run.await.unwrap();
    drop(stdin);
    run
}

#[tokio::test(flavor = "multi_thread")]
async fn interactive_apply_shows_the_plan_and_sends_exactly_it() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c, 2).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "t.csv",
        "username,custom:tier\nu0,pro\nu1,free\n",
    );
    // DescribeUserPool denied: no schema check, in the preview and in the sending alike.
    let proxy = FaultProxy::start(moto.addr, Config::recording()).await;
    proxy.script([Scripted {
        op: Some("DescribeUserPool".into()),
        fault: Fault::Error {
            status: 400,
            code: "AccessDeniedException".into(),
        },
        count: 1,
    }]);
    let run = on_a_terminal(
        &proxy.url(),
        &["apply", &input, "--user-pool-id", &pool],
        "y\n",
    )
    .await;
    let screen = run.stdout.replace('\r', "");
    let preview = screen
        .find("~ u0  custom:tier: \"free\" -> \"pro\"")
        .expect(&screen);
    let question = screen.find("Apply these changes to").expect(&screen);
    assert!(preview < question, "{screen}");
    assert!(
        screen.contains(
            "Plan: 1 users to change (1 attributes), 1 unchanged, 0 not found, 0 invalid."
        ),
        "{screen}"
    );
    assert_eq!(run.code, 0, "{screen}");
    assert_eq!(attributes(&c, &pool, "u0").await["custom:tier"], "pro");
    assert_eq!(update_bodies(&proxy).len(), 1, "exactly the shown change");
    assert_eq!(
        proxy.stats().received["DescribeUserPool"],
        1,
        "one decision, one read"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_torn_or_altered_plan_is_refused_and_nothing_is_sent() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c, 30).await;
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("username,custom:tier\n");
    for i in 0..30 {
        text.push_str(&format!("u{i},pro\n"));
    }
    let input = write(dir.path(), "t.csv", &text);
    let run = cognito_bulk(
        &moto.url(),
        &["plan", &input, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let plan = format!("{input}.plan");
    let whole = std::fs::read_to_string(&plan).unwrap();
    assert!(
        whole
            .lines()
            .last()
            .unwrap()
            .contains("cognito-bulk-plan-end")
    );
    let proxy = FaultProxy::start(moto.addr, Config::recording()).await;
    // Cut short (as a full disk or an interrupt would), then with one entry altered.
    let lines: Vec<&str> = whole.lines().collect();
    let torn = lines[..12].join("\n") + "\n";
    let altered = whole.replacen("\"after\":\"pro\"", "\"after\":\"vip\"", 1);
    // The header is covered too: a plan edited to allow messages is refused, as is one made
    // by an older build (whose checksum did not cover it).
    let allowed = whole.replacen(
        "\"allow_verification_messages\":false",
        "\"allow_verification_messages\":true",
        1,
    );
    assert_ne!(allowed, whole);
    let written = format!("\"version\":{}", cognito_bulk::plan::file::VERSION);
    let older = whole.replacen(&written, "\"version\":2", 1);
    assert_ne!(older, whole);
    let respaced = whole.replacen("\"entries\":", "\"entries\": ", 1);
    assert_ne!(respaced, whole);
    let unterminated = whole.trim_end_matches('\n').to_string();
    for (bad, why) in [
        (torn, "is incomplete"),
        (altered, "do not match its end marker"),
        (allowed, "do not match its end marker"),
        (older, "made by an older cognito-bulk"),
        (respaced, "its end marker was altered"),
        (unterminated, "its last line was cut"),
    ] {
        std::fs::write(&plan, bad).unwrap();
        let run = cognito_bulk(
            &proxy.url(),
            &["apply", "--plan", &plan, "--user-pool-id", &pool],
            None,
        )
        .await;
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains(why), "{}", run.stderr);
    }
    assert!(update_bodies(&proxy).is_empty(), "nothing sent");
    // The advice, followed: plan again, then apply.
    let run = cognito_bulk(
        &moto.url(),
        &["plan", &input, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let run = cognito_bulk(
        &moto.url(),
        &["apply", "--plan", &plan, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("30 updated"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_at_the_question_ends_the_command_and_writes_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c, 2).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "t.csv", "username,custom:tier\nu0,pro\n");
    // `exec`: no shell may stay in the terminal's foreground group, or the Ctrl-C kills it
    // (dash, CI's /bin/sh, dies of SIGINT and script(1) reports 130 for the tool's exit 3).
    let line = format!(
        "exec {} apply {input} --user-pool-id {pool} --endpoint-url {}",
        env!("CARGO_BIN_EXE_cognito-bulk"),
        moto.url()
    );
    let mut cmd = command(None, &[]);
    let mut script = tokio::process::Command::new("script");
    script.args(["-qec", &line, "/dev/null"]);
    for (k, v) in cmd.as_std_mut().get_envs() {
        if let Some(v) = v {
            script.env(k, v);
        }
    }
    script
        .env("TERM", "dumb")
        .env("SHELL", "/bin/sh")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = script.spawn().expect("run script(1)");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    // Wait for the question (the preview comes first), then type Ctrl-C on the terminal.
    let mut screen = Vec::new();
    let asked = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&screen).contains("[y/N]") {
            let n = stdout.read(&mut buf).await.unwrap();
            assert!(
                n > 0,
                "ended before asking: {}",
                String::from_utf8_lossy(&screen)
            );
            screen.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    assert!(asked.is_ok(), "{}", String::from_utf8_lossy(&screen));
    stdin.write_all(b"\x03").await.unwrap();
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        stdout.read_to_end(&mut rest),
    )
    .await;
    screen.extend_from_slice(&rest);
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), child.wait())
        .await
        .expect("ends at once")
        .unwrap();
    drop(stdin);
    let screen = String::from_utf8_lossy(&screen).replace('\r', "");
    assert!(
        screen.contains("interrupted at the question; nothing was written"),
        "{screen}"
    );
    assert_eq!(status.code(), Some(3), "{screen}");
    assert_eq!(attributes(&c, &pool, "u0").await["custom:tier"], "free");
    assert!(
        !Path::new(&format!("{input}.journal")).exists(),
        "no run was started"
    );
}

/// A run that changed two emails without their flags (messages allowed): u0's address was
/// verified before it, w's was not. Returns the server, its pool, the folder and the input.
async fn applied_email_changes() -> (Moto, Client, String, tempfile::TempDir, String) {
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c, 1).await;
    create_user(
        &c,
        &pool,
        "w",
        &[("email", "w@old.example"), ("email_verified", "false")],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "e.csv",
        "username,email\nu0,a@new.example\nw,w@new.example\n",
    );
    let apply = [
        "apply",
        input.as_str(),
        "--user-pool-id",
        &pool,
        "--allow-verification-messages",
    ];
    assert_eq!(cognito_bulk(&moto.url(), &apply, None).await.code, 0);
    (moto, c, pool, dir, input)
}

/// Rollback keeps the verification rail: an address verified before the run comes back with
/// its flag in the same call (no message); one that was not verified would be mailed a code,
/// so it is refused, with the advice to pass --allow-verification-messages, which then works.
#[tokio::test(flavor = "multi_thread")]
async fn rollback_mails_nobody_unless_allowed() {
    let (moto, c, pool, _dir, input) = applied_email_changes().await;
    // The journal kept each flag as it was before the call, and what Cognito set it to.
    let journal = format!("{input}.journal");
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.contains("\"email_verified\":\"true\""), "{text}");
    assert!(text.contains("\"email_verified\":\"false\""), "{text}");
    let rollback = ["rollback", journal.as_str(), "--yes"];
    let run = cognito_bulk(&moto.url(), &rollback, None).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("user \"w\"") && run.stderr.contains("--allow-verification-messages"),
        "{}",
        run.stderr
    );
    assert_eq!(attributes(&c, &pool, "u0").await["email"], "u0@old.example");
    assert_eq!(attributes(&c, &pool, "w").await["email"], "w@new.example");
    // The advice, followed.
    let mut allowed = rollback.to_vec();
    allowed.push("--allow-verification-messages");
    let run = cognito_bulk(&moto.url(), &allowed, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(attributes(&c, &pool, "w").await["email"], "w@old.example");
}

/// A rollback dry run counts the rows it will refuse (an address unverified before the run
/// would be mailed a code): in its summary line, in its `--json` object (`invalid`) and in
/// its exit code (1), as the real rollback does; its advice, followed, clears them.
#[tokio::test(flavor = "multi_thread")]
async fn a_rollback_dry_run_counts_the_rows_it_will_refuse() {
    let (moto, c, pool, _dir, input) = applied_email_changes().await;
    let journal = format!("{input}.journal");
    let dry = ["rollback", journal.as_str(), "--dry-run"];
    let run = cognito_bulk(&moto.url(), &dry, None).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("Rollback: 1 users to restore (1 attributes), 0 already as before, 0 conflicts, 1 invalid."),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("user \"w\"") && run.stderr.contains("--allow-verification-messages"),
        "{}",
        run.stderr
    );
    let mut json = dry.to_vec();
    json.push("--json");
    let run = cognito_bulk(&moto.url(), &json, None).await;
    assert_eq!(run.code, 1, "{run:?}");
    let object: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(object["invalid"], 1, "{object}");
    assert_eq!(object["users"], 1, "{object}");
    // The real rollback agrees with its dry run.
    let run = cognito_bulk(&moto.url(), &["rollback", &journal, "--yes"], None).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(attributes(&c, &pool, "w").await["email"], "w@new.example");
    // The advice, followed: nothing refused, the message counted, exit 0.
    let mut allowed = dry.to_vec();
    allowed.push("--allow-verification-messages");
    let run = cognito_bulk(&moto.url(), &allowed, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("0 conflicts, 0 invalid.")
            && run
                .stdout
                .contains("1 users will receive a verification message."),
        "{}",
        run.stdout
    );
}

/// Rollback keeps apply's rail on Cognito's default email sender (50 emails a day): restoring
/// 55 addresses that were unverified before the run would mail 55 codes, so the rollback and
/// its dry run are refused before any write, naming the flag; the flag, passed, restores all.
#[tokio::test(flavor = "multi_thread")]
async fn rollback_over_the_default_senders_daily_limit_is_refused_until_allowed() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    let mut text = String::from("username,email\n");
    for i in 0..55 {
        let u = format!("u{i:02}");
        let email = format!("{u}@old.example");
        create_user(
            &c,
            &pool,
            &u,
            &[("email", &email), ("email_verified", "false")],
        )
        .await;
        text.push_str(&format!("{u},{u}@new.example\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "lim.csv", &text);
    let apply = [
        "apply",
        input.as_str(),
        "--user-pool-id",
        &pool,
        "--allow-verification-messages",
        "--allow-over-email-limit",
        "--rps",
        "50",
    ];
    let run = cognito_bulk(&moto.url(), &apply, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    let journal = format!("{input}.journal");
    let refused = |run: &Run| {
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.contains("55 emails") && run.stderr.contains("--allow-over-email-limit"),
            "{}",
            run.stderr
        );
    };
    let dry = [
        "rollback",
        journal.as_str(),
        "--dry-run",
        "--allow-verification-messages",
    ];
    refused(&cognito_bulk(&moto.url(), &dry, None).await);
    let real = [
        "rollback",
        journal.as_str(),
        "--yes",
        "--allow-verification-messages",
        "--rps",
        "50",
    ];
    refused(&cognito_bulk(&moto.url(), &real, None).await);
    assert_eq!(
        attributes(&c, &pool, "u00").await["email"],
        "u00@new.example",
        "nothing written"
    );
    // The advice, followed: the dry run shows the count and the limit, the rollback restores.
    let mut dry = dry.to_vec();
    dry.push("--allow-over-email-limit");
    let run = cognito_bulk(&moto.url(), &dry, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("55 users will receive a verification message.")
            && run
                .stderr
                .contains("55 emails through Cognito's default sender"),
        "{run:?}"
    );
    let mut real = real.to_vec();
    real.push("--allow-over-email-limit");
    let run = cognito_bulk(&moto.url(), &real, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        attributes(&c, &pool, "u54").await["email"],
        "u54@old.example"
    );
}
