//! End to end on moto (issue 19): a user's whole migration in one plan. Attributes, group
//! membership and the `enabled` flag read from one input file, planned, applied from the plan
//! and rolled back; a run killed between one user's operations, then resumed with only what
//! is left. (The export round trip and the computed `--add-group` backfill are in
//! `tests/export_groups_moto.rs`.)

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use aws_sdk_cognitoidentityprovider::Client;
use support::groups::{disable, enabled, groups_of as groups, join};
use support::proxy::{Config, Fault, FaultProxy, Scripted};
use support::*;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// A pool of `n` users `u0..` with `custom:tier` free, and the groups `admin` and `beta`.
async fn seed(c: &Client, n: usize) -> String {
    let pool = create_pool(c, &["tier"]).await;
    for i in 0..n {
        create_user(c, &pool, &format!("u{i}"), &[("custom:tier", "free")]).await;
    }
    for g in ["admin", "beta"] {
        support::groups::create_group(c, &pool, g).await;
    }
    pool
}

fn forwarded(proxy: &FaultProxy, op: &str) -> u64 {
    proxy.stats().forwarded.get(op).copied().unwrap_or(0)
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// What the test pool holds for `user`: tier, groups, enabled.
async fn state(c: &Client, pool: &str, user: &str) -> (String, BTreeSet<String>, bool) {
    (
        attributes(c, pool, user).await["custom:tier"].clone(),
        groups(c, pool, user).await,
        enabled(c, pool, user).await,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mixed_input_is_planned_applied_from_the_plan_and_rolled_back() {
    let moto = Moto::start();
    let c = moto.client();
    // Twelve users, so that disabling one stays under the mass-disable rail's 10%.
    let pool = seed(&c, 12).await;
    join(&c, &pool, "u1", "beta").await;
    join(&c, &pool, "u2", "admin").await;
    disable(&c, &pool, "u3").await;
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "m.csv",
        "username,custom:tier,groups_add,groups_remove,enabled\n\
         u0,pro,admin,,\n\
         u1,,admin,beta,false\n\
         u2,pro,admin,,\n\
         u3,,,,true\n",
    );
    let before = [
        state(&c, &pool, "u0").await,
        state(&c, &pool, "u1").await,
        state(&c, &pool, "u2").await,
        state(&c, &pool, "u3").await,
    ];

    let plan = cognito_bulk(
        &moto.url(),
        &["plan", &input, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(plan.code, 0, "{plan:?}");
    for line in [
        "+ u0  group admin",
        "+ u1  group admin",
        "- u1  group beta",
        "~ u1  enabled: true -> false",
        "~ u3  enabled: false -> true",
    ] {
        assert!(plan.stdout.contains(line), "{line:?} in {plan:?}");
    }
    assert!(
        !plan.stdout.contains("u2  group admin"),
        "u2 already is in admin: no change, no call: {plan:?}"
    );

    let plan_file = format!("{input}.plan");
    let apply = cognito_bulk(
        &moto.url(),
        &[
            "apply",
            "--plan",
            &plan_file,
            "--user-pool-id",
            &pool,
            "--yes",
        ],
        None,
    )
    .await;
    assert_eq!(apply.code, 0, "{apply:?}");
    assert_eq!(
        state(&c, &pool, "u0").await,
        ("pro".into(), set(&["admin"]), true)
    );
    assert_eq!(
        state(&c, &pool, "u1").await,
        ("free".into(), set(&["admin"]), false)
    );
    assert_eq!(
        state(&c, &pool, "u2").await,
        ("pro".into(), set(&["admin"]), true)
    );
    assert_eq!(
        state(&c, &pool, "u3").await,
        ("free".into(), set(&[]), true)
    );

    // Planned again: nothing left to do.
    let again = cognito_bulk(
        &moto.url(),
        &[
            "plan",
            &input,
            "--user-pool-id",
            &pool,
            "--out",
            &format!("{input}.2.plan"),
            "--detailed-exitcode",
        ],
        None,
    )
    .await;
    assert_eq!(again.code, 0, "no changes left: {again:?}");

    let journal = format!("{plan_file}.journal");
    let undo = cognito_bulk(&moto.url(), &["rollback", &journal, "--yes"], None).await;
    assert_eq!(undo.code, 0, "{undo:?}");
    for (i, was) in before.iter().enumerate() {
        let user = format!("u{i}");
        assert_eq!(&state(&c, &pool, &user).await, was, "{user} restored");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_between_a_users_operations_resumes_with_only_what_is_left() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = seed(&c, 12).await;
    let proxy = FaultProxy::start(moto.addr, Config::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "k.csv",
        "username,custom:tier,groups_add,enabled\nu0,pro,admin,false\n",
    );
    // The attribute call is answered; the group call reaches the pool, its answer never
    // comes back before the kill.
    proxy.script([Scripted {
        op: Some("AdminAddUserToGroup".into()),
        fault: Fault::HoldAnswerMs(120_000),
        count: 1,
    }]);
    let args = ["apply", &input, "--user-pool-id", &pool, "--yes"];
    let mut child = command(Some(&proxy.url()), &args).spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !groups(&c, &pool, "u0").await.contains("admin") {
        assert!(
            std::time::Instant::now() < deadline,
            "the group call never arrived"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    assert_eq!(
        state(&c, &pool, "u0").await,
        ("pro".into(), set(&["admin"]), true)
    );
    assert_eq!(forwarded(&proxy, "AdminUpdateUserAttributes"), 1);

    // The same command again: only the disable is left.
    let resumed = cognito_bulk(&proxy.url(), &args, None).await;
    assert_eq!(resumed.code, 0, "{resumed:?}");
    assert_eq!(
        state(&c, &pool, "u0").await,
        ("pro".into(), set(&["admin"]), false)
    );
    assert_eq!(
        forwarded(&proxy, "AdminUpdateUserAttributes"),
        1,
        "never sent again"
    );
    assert_eq!(
        forwarded(&proxy, "AdminAddUserToGroup"),
        1,
        "done: not sent again"
    );
    assert_eq!(forwarded(&proxy, "AdminDisableUser"), 1);

    // Its rollback undoes all three, the one in flight at the kill included.
    let journal = format!("{input}.journal");
    let undo = cognito_bulk(&proxy.url(), &["rollback", &journal, "--yes"], None).await;
    assert_eq!(undo.code, 0, "{undo:?}");
    assert_eq!(
        state(&c, &pool, "u0").await,
        ("free".into(), set(&[]), true)
    );
}

/// The review's case: a computed plan reads the selected users' groups and `enabled` flags,
/// so its preview shows only what changes, a group the pool lacks stops it before any write,
/// and users already disabled do not count toward the mass-disable rail.
#[tokio::test(flavor = "multi_thread")]
async fn a_computed_plan_diffs_membership_and_status_and_names_a_missing_group() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = seed(&c, 12).await;
    join(&c, &pool, "u1", "beta").await;
    for u in ["u3", "u4"] {
        disable(&c, &pool, u).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c.plan");
    let out = out.to_str().unwrap();
    let plan = |rule: Vec<&'static str>| {
        let mut args = vec!["plan", "--user-pool-id", &pool, "--out", out];
        args.extend(rule);
        let args: Vec<String> = args.into_iter().map(String::from).collect();
        let url = moto.url();
        async move {
            let words: Vec<&str> = args.iter().map(String::as_str).collect();
            cognito_bulk(&url, &words, None).await
        }
    };
    let run = plan(vec![
        "--where",
        "username in ['u1', 'u2']",
        "--add-group",
        "beta",
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("+ u2  group beta"), "{run:?}");
    assert!(
        !run.stdout.contains("u1  group beta"),
        "u1 is in beta already: {run:?}"
    );

    let run = plan(vec!["--where", "username == 'u1'", "--add-group", "nosuch"]).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("nosuch"), "{run:?}");

    // u3 and u4 are disabled already: nothing to change, and no rail (2 of 12 is over a tenth).
    let run = plan(vec![
        "--where",
        "username in ['u3', 'u4']",
        "--set",
        "enabled=false",
    ])
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains("enabled:"), "{run:?}");
    assert!(!run.stderr.contains("allow-mass-disable"), "{run:?}");
}
