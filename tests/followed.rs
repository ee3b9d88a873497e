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
