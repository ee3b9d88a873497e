//! The command layer's orchestration run in-process: the same `app::run` the binary runs,
//! from a parsed command line, with the fake pool where the SDK pool would be. Resume after a
//! fatal answer, computed backfills planned and applied (and resumed from their plan), and
//! rollback with a conflict and its dry run, in milliseconds and without a server.

mod inprocess;

use std::path::Path;

use cognito_bulk::app::Outcome;
use cognito_bulk::cognito::api::Api;
use cognito_bulk::cognito::fake::FakePool;
use cognito_bulk::cognito::faults::{Fault, Faulty};
use inprocess::cognito_bulk;

const POOL: &str = "us-east-1_fake";
const UPDATE: Api = Api::Update;

/// A pool of `n` users `u000`.. with an email and `custom:tier` = free; `custom:tenant`
/// exists in the schema.
fn fake(n: usize) -> FakePool {
    let pool = FakePool::new(&[("tier", true), ("tenant", true)]);
    for i in 0..n {
        let email = format!("u{i}@Old.Example");
        let user = format!("u{i:03}");
        pool.add_user(
            &user,
            &[
                ("email", &email),
                ("email_verified", "true"),
                ("custom:tier", "free"),
            ],
        );
    }
    pool
}

fn tiers(dir: &Path, n: usize, tier: &str) -> String {
    let mut text = String::from("username,custom:tier\n");
    for i in 0..n {
        text.push_str(&format!("u{i:03},{tier}\n"));
    }
    let path = dir.join("in.csv");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn fatal() -> Fault {
    Fault::fatal("NotAuthorizedException")
}

/// How many updates of this user reached the pool (an answer the fault wrapper made up never
/// reaches it).
fn sent(pool: &FakePool, user: &str) -> usize {
    let calls = pool.calls();
    calls
        .iter()
        .filter(|(op, u)| *op == UPDATE && u == user)
        .count()
}

#[tokio::test]
async fn an_apply_stopped_by_a_fatal_answer_resumes_to_the_end() {
    let fake = fake(30);
    let pool = Faulty::new(fake.clone());
    pool.fail_from(Some(UPDATE), 12, fatal(), 1);
    let dir = tempfile::tempdir().unwrap();
    let input = tiers(dir.path(), 30, "pro");
    let journal = dir.path().join("run.journal");
    let journal = journal.to_str().unwrap();
    let apply = [
        "apply",
        &input,
        "--user-pool-id",
        POOL,
        "--yes",
        "--rps",
        "5000",
        "--concurrency",
        "1",
        "--journal",
        journal,
    ];
    let first = cognito_bulk(&pool, &apply).await.unwrap();
    assert_eq!(first, Outcome::Stopped);
    assert_eq!(fake.attributes("u010")["custom:tier"], "pro");
    assert_eq!(fake.attributes("u020")["custom:tier"], "free");

    // The same command goes on where the first stopped: the refused row stays failed (exit 1).
    let second = cognito_bulk(&pool, &apply).await.unwrap();
    assert_eq!(second, Outcome::RowsFailed);
    // --retry-failed sends it again, and only it.
    let mut retry = apply.to_vec();
    retry.push("--retry-failed");
    assert_eq!(cognito_bulk(&pool, &retry).await.unwrap(), Outcome::Success);
    for i in 0..30 {
        let user = format!("u{i:03}");
        assert_eq!(fake.attributes(&user)["custom:tier"], "pro", "{user}");
        // Every user updated once; the refused one was sent twice (refused, then updated).
        assert_eq!(sent(&fake, &user), 1, "{user}");
    }
}

const SET: &str = "custom:tenant={{ email | domain | lower }}";
const WHERE: &str = "custom.tenant is not defined and email is defined";

#[tokio::test]
async fn a_computed_backfill_is_planned_then_applied_as_planned() {
    let pool = fake(6);
    pool.set("u000", "custom:tenant", "kept");
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("tenant.plan");
    let plan = plan.to_str().unwrap();
    let planned = cognito_bulk(
        &pool,
        &[
            "plan",
            "--user-pool-id",
            POOL,
            "--set",
            SET,
            "--where",
            WHERE,
            "--out",
            plan,
        ],
    )
    .await
    .unwrap();
    assert_eq!(planned, Outcome::Success);
    assert_eq!(pool.count(UPDATE), 0, "plan writes nothing");
    // Planned, then the pool moves on: the plan is applied as planned, the new user untouched.
    pool.add_user("u900", &[("email", "late@new.example")]);
    let applied = cognito_bulk(&pool, &["apply", "--plan", plan, "--user-pool-id", POOL])
        .await
        .unwrap();
    assert_eq!(applied, Outcome::Success);
    assert_eq!(pool.attributes("u000")["custom:tenant"], "kept");
    for i in 1..6 {
        assert_eq!(
            pool.attributes(&format!("u{i:03}"))["custom:tenant"],
            "old.example"
        );
    }
    assert!(!pool.attributes("u900").contains_key("custom:tenant"));
    assert_eq!(pool.count(UPDATE), 5);
}

#[tokio::test]
async fn a_computed_apply_resumes_its_own_plan_not_a_new_one() {
    let fake = fake(8);
    let pool = Faulty::new(fake.clone());
    pool.fail_from(Some(UPDATE), 4, fatal(), 1);
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("tenant.plan");
    let plan = plan.to_str().unwrap();
    let apply = [
        "apply",
        "--user-pool-id",
        POOL,
        "--yes",
        "--set",
        SET,
        "--where",
        WHERE,
        "--out",
        plan,
        "--concurrency",
        "1",
        "--rps",
        "5000",
    ];
    assert_eq!(cognito_bulk(&pool, &apply).await.unwrap(), Outcome::Stopped);
    assert!(Path::new(plan).exists());
    // A user added since would be in a recomputed plan: the resume sends the planned rows.
    fake.add_user("u900", &[("email", "late@new.example")]);
    let resumed = cognito_bulk(&pool, &apply).await.unwrap();
    assert_eq!(resumed, Outcome::RowsFailed, "the refused row stays failed");
    assert!(!fake.attributes("u900").contains_key("custom:tenant"));
    for i in (0..8).filter(|i| *i != 3) {
        let user = format!("u{i:03}");
        assert_eq!(
            fake.attributes(&user)["custom:tenant"],
            "old.example",
            "{user}"
        );
        assert_eq!(sent(&fake, &user), 1, "{user}");
    }
    // The run is finished: the same command now computes the rule again, a new run, which
    // finds the refused user and the new one still without a tenant.
    let again = cognito_bulk(&pool, &apply).await.unwrap();
    assert_eq!(again, Outcome::Success);
    assert_eq!(fake.attributes("u003")["custom:tenant"], "old.example");
    assert_eq!(fake.attributes("u900")["custom:tenant"], "new.example");
}

#[tokio::test]
async fn a_rollback_leaves_a_user_changed_since_alone_and_its_dry_run_writes_nothing() {
    let pool = fake(5);
    let dir = tempfile::tempdir().unwrap();
    let input = tiers(dir.path(), 5, "pro");
    let journal = dir.path().join("run.journal");
    let journal = journal.to_str().unwrap();
    let apply = [
        "apply",
        &input,
        "--user-pool-id",
        POOL,
        "--yes",
        "--rps",
        "5000",
        "--journal",
        journal,
    ];
    assert_eq!(cognito_bulk(&pool, &apply).await.unwrap(), Outcome::Success);
    // Someone changes one user after the run.
    pool.set("u002", "custom:tier", "enterprise");
    let updates = pool.count(UPDATE);

    let dry = cognito_bulk(&pool, &["rollback", journal, "--dry-run"])
        .await
        .unwrap();
    assert_eq!(
        dry,
        Outcome::RowsFailed,
        "a conflict: exit 1, as the real rollback"
    );
    assert_eq!(pool.count(UPDATE), updates, "a dry run writes nothing");
    assert!(!Path::new(&format!("{journal}.rollback.plan")).exists());

    let rollback = ["rollback", journal, "--yes", "--rps", "5000"];
    let undone = cognito_bulk(&pool, &rollback).await.unwrap();
    assert_eq!(undone, Outcome::RowsFailed, "the conflict is reported");
    for user in ["u000", "u001", "u003", "u004"] {
        assert_eq!(pool.attributes(user)["custom:tier"], "free", "{user}");
    }
    assert_eq!(pool.attributes("u002")["custom:tier"], "enterprise");
    assert_eq!(pool.count(UPDATE), updates + 4);
}

/// A re-run of a computed `apply --set` that changes emails in a pool that keeps them pending
/// until verified: the preview (and its count against the default sender's 50 emails a day)
/// leaves out the changes the first run left pending, as the sending does, so the re-run is
/// not refused over the email limit and mails no one again.
#[tokio::test]
async fn a_computed_rerun_previews_without_the_changes_left_pending() {
    use aws_sdk_cognitoidentityprovider::types::{
        UserAttributeUpdateSettingsType, VerifiedAttributeType,
    };
    let fake = fake(60);
    fake.configure(|p| {
        p.user_attribute_update_settings = Some(
            UserAttributeUpdateSettingsType::builder()
                .attributes_require_verification_before_update(VerifiedAttributeType::Email)
                .build(),
        );
    });
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("emails.plan");
    let plan = plan.to_str().unwrap();
    let apply = [
        "apply",
        "--user-pool-id",
        POOL,
        "--yes",
        "--set",
        "email={{ username }}@new.example",
        "--allow-verification-messages",
        "--out",
        plan,
        "--rps",
        "5000",
    ];
    let mut first = apply.to_vec();
    first.push("--allow-over-email-limit");
    assert_eq!(cognito_bulk(&fake, &first).await.unwrap(), Outcome::Success);
    assert_eq!(fake.messages(), 60);
    assert_eq!(fake.pending("u007")["email"], "u007@new.example");
    // The same rule again, without the allowance: 60 emails would be over the limit, but
    // all 60 changes are pending already.
    let again = cognito_bulk(&fake, &apply).await;
    assert_eq!(
        again.ok(),
        Some(Outcome::Success),
        "not refused over the limit"
    );
    assert_eq!(fake.messages(), 60, "no one mailed again");
    assert_eq!(sent(&fake, "u007"), 1);
    let written = std::fs::read_to_string(plan).unwrap();
    assert!(
        !written.contains("u007@new.example"),
        "nothing planned for u007"
    );
}
