//! Advice followed exactly as printed, with only the AWS settings the user gave on the command
//! line (no AWS_REGION in the environment): the commands `plan`, `apply` and `rollback` print
//! carry `--region`, `--profile` and `--endpoint-url`; the conflict advice of a computed
//! backfill; `report` of a run that did not finish; the billable users a plan counts.

mod support;

use std::path::Path;

use support::*;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_get_plan_counts_only_the_users_it_found_as_billable() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    create_user(&c, &pool, "u0", &[("custom:tier", "free")]).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "g.csv",
        "username,custom:tier\nu0,pro\ngone,pro\n",
    );
    let args = [
        "plan",
        &input,
        "--user-pool-id",
        &pool,
        "--current-state",
        "get",
    ];
    let run = cognito_bulk(&moto.url(), &args, None).await;
    assert!(
        run.stdout
            .contains("Reading current values with AdminGetUser made 1 users billable"),
        "{run:?}"
    );
}

/// Runs `cognito-bulk ARGS` as a person would, with no AWS_REGION in the environment: the AWS
/// settings are only those on the command line (and `config`, an AWS config file, if given).
async fn run_bare(args: &[String], config: Option<&Path>) -> Run {
    let mut cmd = command(None, &args.iter().map(String::as_str).collect::<Vec<_>>());
    cmd.env_remove("AWS_REGION");
    if let Some(config) = config {
        cmd.env("AWS_CONFIG_FILE", config);
    }
    finish(cmd.spawn().expect("run cognito-bulk")).await
}

/// The command printed after `prefix` (to the end of its line), as words without the program
/// name, to be run exactly as printed.
fn printed(text: &str, prefix: &str) -> Vec<String> {
    let line = text
        .lines()
        .find_map(|l| l.split_once(prefix).map(|(_, c)| c))
        .unwrap_or_else(|| panic!("{prefix:?} printed in {text}"));
    // Advice inside a sentence ends with its closing parenthesis.
    let line = line.strip_suffix(')').unwrap_or(line);
    let words = shlex::split(line).expect("a command line");
    assert_eq!(words[0], "cognito-bulk", "{line}");
    words[1..].to_vec()
}

fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// F3: `apply it with:`, `undo that run with:` and `roll it back with:` followed exactly as
/// printed (a rollback's `--yes` added: no terminal to confirm on) reach the same endpoint and
/// region, whether they came from `--region` or from `--profile`.
#[tokio::test(flavor = "multi_thread")]
async fn printed_commands_carry_the_aws_flags_given_and_work_as_printed() {
    let moto = Moto::start();
    let c = moto.client();
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "aws-config",
        "[profile ops]\nregion = us-east-1\n",
    );
    let config = Path::new(&config);
    for (name, aws) in [
        ("region", ["--region", "us-east-1"]),
        ("profile", ["--profile", "ops"]),
    ] {
        let pool = create_pool(&c, &["tier"]).await;
        create_user(&c, &pool, "u0", &[("custom:tier", "free")]).await;
        let input = write(
            dir.path(),
            &format!("{name}.csv"),
            "username,custom:tier\nu0,pro\n",
        );
        let mut plan = strings(&["plan", &input, "--user-pool-id", &pool]);
        plan.extend(strings(&aws));
        plan.extend(strings(&["--endpoint-url", &moto.url()]));
        let run = run_bare(&plan, Some(config)).await;
        assert_eq!(run.code, 0, "{run:?}");
        let apply = printed(&run.stdout, "apply it with: ");
        assert!(apply.contains(&aws[1].to_string()), "{apply:?}");

        let run = run_bare(&apply, Some(config)).await;
        assert_eq!(run.code, 0, "{name}: {run:?}");
        assert_eq!(attributes(&c, &pool, "u0").await["custom:tier"], "pro");
        // Applied again: a new run (nothing to change); the finished one is kept aside.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let run = run_bare(&apply, Some(config)).await;
        assert_eq!(run.code, 0, "{name}: {run:?}");
        let undo = printed(&run.stderr, "undo that run with: ");

        // Rolling back the run that changed nothing names the one that did.
        let journal = format!("{}.journal", apply[2]);
        let mut rollback = strings(&["rollback", &journal, "--yes"]);
        rollback.extend(strings(&aws));
        rollback.extend(strings(&["--endpoint-url", &moto.url()]));
        let run = run_bare(&rollback, Some(config)).await;
        assert_eq!(run.code, 2, "{name}: {run:?}");
        let mut older = printed(&run.stderr, "roll it back with: ");
        older.push("--yes".into());
        assert_eq!(older[..2], undo[..2], "both name the kept journal");
        let run = run_bare(&older, Some(config)).await;
        assert_eq!(run.code, 0, "{name}: {run:?}");
        assert_eq!(attributes(&c, &pool, "u0").await["custom:tier"], "free");

        // The undo advice, followed: that run is already undone, so nothing is left to restore.
        let mut undo = undo;
        undo.push("--yes".into());
        let run = run_bare(&undo, Some(config)).await;
        assert_eq!(run.code, 0, "{name}: {run:?}");
        assert_eq!(attributes(&c, &pool, "u0").await["custom:tier"], "free");
    }
}

/// F4: a computed backfill's conflict is sent anyway by the command its advice prints (`apply
/// --plan PLAN --force`), not by the same command with `--force`, which computes a new plan
/// whose `--where` leaves the changed user out.
#[tokio::test(flavor = "multi_thread")]
async fn a_computed_runs_conflict_advice_sends_it_when_followed() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tenant"]).await;
    for u in ["u0", "u1", "u2"] {
        create_user(&c, &pool, u, &[("email", &format!("{u}@x.example"))]).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.plan").display().to_string();
    let url = moto.url();
    let apply = strings(&[
        "apply",
        "--user-pool-id",
        &pool,
        "--set",
        "custom:tenant={{ username | upper }}",
        "--where",
        "custom.tenant is not defined",
        "--out",
        &out,
        "--concurrency",
        "1",
        "--yes",
        "--region",
        "us-east-1",
        "--endpoint-url",
        &url,
    ]);
    // Stopped after one user, as an interrupt would stop it.
    let mut first = apply.clone();
    first.extend(strings(&["--limit", "1"]));
    let run = run_bare(&first, None).await;
    assert!(run.stdout.contains("2 not attempted"), "{run:?}");
    // Someone else sets u2's tenant meanwhile.
    c.admin_update_user_attributes()
        .user_pool_id(&pool)
        .username("u2")
        .user_attributes(
            aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
                .name("custom:tenant")
                .value("theirs")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let run = run_bare(&apply, None).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("conflict: custom:tenant"), "{run:?}");
    assert!(!run.stderr.contains("(--force sends it anyway)"), "{run:?}");
    let force = printed(&run.stderr, "send the conflicts anyway with: ");
    assert!(force.contains(&"--force".to_string()), "{force:?}");

    // The printed command sends it.
    let run = run_bare(&force, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(attributes(&c, &pool, "u2").await["custom:tenant"], "U2");
    assert_eq!(attributes(&c, &pool, "u1").await["custom:tenant"], "U1");
}

/// F5: `report` of a journal whose run did not finish says so, counts a row sent with no
/// outcome recorded (killed mid-call) as an unknown outcome, gives what the journal's header
/// recorded of the run, exits 3, and names the command that resumes it, which does.
#[tokio::test(flavor = "multi_thread")]
async fn report_of_an_unfinished_run_says_so_and_its_resume_advice_works() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    for u in ["u0", "u1", "u2", "u3"] {
        create_user(&c, &pool, u, &[("custom:tier", "free")]).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "a.csv",
        "username,custom:tier\nu0,pro\nu1,pro\nu2,pro\nu3,pro\n",
    );
    let url = moto.url();
    let first = [
        "apply",
        &input,
        "--user-pool-id",
        &pool,
        "--limit",
        "1",
        "--concurrency",
        "1",
    ];
    let run = cognito_bulk(&url, &first, None).await;
    assert!(run.stdout.contains("3 not attempted"), "{run:?}");
    // Killed while u1's call was in flight: its intent is in the journal, no outcome.
    let journal = format!("{input}.journal");
    let intent = serde_json::json!({
        "n": 1, "line": 3, "user": "u1", "username": "u1", "outcome": "intent",
        "attempts": 0, "t": 1.0e9, "before": {"custom:tier": "free"},
        "after": {"custom:tier": "pro"},
    });
    let mut text = std::fs::read_to_string(&journal).unwrap();
    text.push_str(&format!("{intent}\n"));
    std::fs::write(&journal, text).unwrap();

    let run = cognito_bulk(&url, &["report", &journal], None).await;
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stdout.contains("STOPPED: the run did not finish"),
        "{run:?}"
    );
    assert!(run.stdout.contains("2 not attempted"), "{run:?}");
    let run = cognito_bulk(&url, &["report", &journal, "--json"], None).await;
    assert_eq!(run.code, 3, "{run:?}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect(&run.stdout);
    assert!(json["stopped"].as_str().unwrap().contains("did not finish"));
    assert_eq!(json["unknown_rows"], 1, "{json}");
    assert_eq!(json["not_attempted"], 2, "{json}");
    assert_eq!(json["current_state"], "list", "{json}");
    assert_eq!(json["concurrency"], 1, "{json}");
    assert_eq!(json["max_rps"], 10.0, "{json}");

    // While a run holds the journal, no resume advice: it is being resumed.
    let lock = std::fs::File::create(format!("{journal}.lock")).unwrap();
    lock.try_lock().unwrap();
    std::fs::write(format!("{journal}.lock"), "4242\n").unwrap();
    let busy = cognito_bulk(&url, &["report", &journal], None).await;
    assert_eq!(busy.code, 3, "{busy:?}");
    assert!(
        busy.stdout
            .contains("a run is writing this journal now (pid 4242)"),
        "{busy:?}"
    );
    assert!(!busy.stderr.contains("resume with"), "{busy:?}");
    assert!(
        busy.stdout
            .contains("IN PROGRESS: a run is writing this journal now"),
        "a run writing the journal is not called stopped: {busy:?}"
    );
    assert!(!busy.stdout.contains("STOPPED"), "{busy:?}");
    drop(lock);

    // The advice, with the AWS flags that run had (the helper adds its --endpoint-url).
    let resume = resume_advice(&run.stderr);
    assert_eq!(resume[0], "cognito-bulk");
    let args: Vec<&str> = resume[1..].iter().map(String::as_str).collect();
    let run = cognito_bulk(&url, &args, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    for u in ["u0", "u1", "u2", "u3"] {
        assert_eq!(attributes(&c, &pool, u).await["custom:tier"], "pro", "{u}");
    }
    let run = cognito_bulk(&url, &["report", &journal], None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains("STOPPED"), "{run:?}");
}
