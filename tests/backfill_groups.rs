//! The computed backfill's group and status flags in-process on the fake pool: `--add-group`,
//! `--remove-group` and `--set enabled=` parse with `--where` and no input, wrong names are
//! setup errors before any call, and the rule the plan records holds them (so a plan of
//! another group rule is never taken for this one). The rows they compute are checked in
//! `decide/backfill/tests.rs`; applied on moto in `tests/export_groups_moto.rs`.

mod inprocess;

use cognito_bulk::app::Outcome;
use cognito_bulk::cli::Cli;
use cognito_bulk::cognito::fake::FakePool;
use inprocess::cognito_bulk;

const POOL: &str = "us-east-1_fake";

fn pool() -> FakePool {
    let pool = FakePool::new(&[("tier", true)]);
    pool.add_user("u000", &[("custom:tier", "pro")]);
    pool.add_user("u001", &[("custom:tier", "free")]);
    pool.add_group("pro");
    pool
}

fn parses(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_args(std::iter::once("cognito-bulk").chain(args.iter().copied()))
}

#[test]
fn group_flags_go_with_where_and_need_no_input() {
    let rule = ["--user-pool-id", POOL, "--where", "custom.tier == \"pro\""];
    for command in ["plan", "apply"] {
        let mut args = vec![command];
        args.extend(rule);
        args.extend(["--add-group", "pro", "--remove-group", "trial"]);
        assert!(parses(&args).is_ok(), "{args:?}: {:?}", parses(&args).err());
    }
    // --where alone computes nothing: refused by the parser, as before.
    let err = parses(&["plan", "--user-pool-id", POOL, "--where", "true"]).unwrap_err();
    assert!(err.to_string().contains("--where"), "{err}");
    // Not with a plan file: it is sent as planned.
    let plan = [
        "apply",
        "--user-pool-id",
        POOL,
        "--plan",
        "x.plan",
        "--add-group",
        "a",
    ];
    assert!(parses(&plan).is_err());
}

#[tokio::test]
async fn wrong_group_flags_are_setup_errors_before_any_call() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["--add-group", "two words"],
            "--add-group \"two words\": holds whitespace",
        ),
        (
            &["--add-group", "a", "--remove-group", "a"],
            "a group cannot be both",
        ),
        (
            &["--add-group", "a", "--set", "groups_add=b"],
            "--add-group and --set groups_add=... both name groups",
        ),
        (&["--remove-group", "{{x}}"], "looks like template syntax"),
    ];
    for (flags, message) in cases {
        let pool = pool();
        let mut args = vec!["plan", "--user-pool-id", POOL];
        args.extend(flags);
        let failure = cognito_bulk(&pool, &args).await.unwrap_err();
        assert_eq!(failure.outcome, Outcome::Setup, "{args:?}");
        assert!(
            failure.error.to_string().contains(message),
            "{}",
            failure.error
        );
        assert!(pool.calls().is_empty(), "{:?}", pool.calls());
    }
}

#[tokio::test]
async fn the_plan_records_the_group_flags_in_its_rule() {
    let pool = pool();
    // The groups exist: a computed plan checks them before any write.
    pool.add_group("pro");
    pool.add_group("all");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pro.plan");
    let args = [
        "plan",
        "--user-pool-id",
        POOL,
        "--where",
        "custom.tier == \"pro\"",
        "--add-group",
        "pro",
        "--add-group",
        "all",
        "--out",
        out.to_str().unwrap(),
    ];
    let _ = cognito_bulk(&pool, &args).await;
    let header = std::fs::read_to_string(&out).unwrap();
    let header: serde_json::Value = serde_json::from_str(header.lines().next().unwrap()).unwrap();
    assert_eq!(
        header["backfill"]["set"],
        serde_json::json!(["groups_add=pro all"])
    );
}
