//! Group membership, enable/disable and sign-out from input to decision, run in-process by
//! `app::run` on the fake pool: the columns diffed against membership read per group, the
//! full set with `--exact-groups`, the setup errors (a group the pool lacks, a `groups`
//! column without the flag: its advice followed), the groups-per-user limit, `--sign-out`
//! only for users that change, and the mass-disable rail (its advice followed).

mod inprocess;

use std::collections::BTreeSet;
use std::path::Path;

use cognito_bulk::cognito::api::Api;
use cognito_bulk::cognito::fake::FakePool;
use inprocess::cognito_bulk;

const POOL: &str = "us-east-1_fake";

/// A pool of `n` users `u0`.. (enabled, in no group), with groups admin, beta and gamma.
fn fake(n: usize) -> FakePool {
    let pool = FakePool::new(&[("tier", true)]);
    for i in 0..n {
        pool.add_user(&format!("u{i}"), &[("custom:tier", "free")]);
    }
    for g in ["admin", "beta", "gamma"] {
        pool.add_group(g);
    }
    pool
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

async fn apply(pool: &FakePool, input: &str, more: &[&str]) -> Result<(), String> {
    let mut args = vec!["apply", input, "--user-pool-id", POOL, "--yes"];
    args.extend(more);
    match cognito_bulk(pool, &args).await {
        Ok(_) => Ok(()),
        Err(f) => Err(format!("{:#}", f.error)),
    }
}

#[tokio::test]
async fn memberships_and_the_flag_are_diffed_and_a_member_costs_no_call() {
    let pool = fake(30);
    pool.put_in_group("u1", "beta");
    pool.put_in_group("u2", "admin");
    pool.set_enabled("u3", false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "in.csv",
        "username,custom:tier,groups_add,groups_remove,enabled\n\
         u1,pro,admin,beta,false\n\
         u2,,admin,,\n\
         u3,,,,false\n",
    );
    apply(&pool, &input, &[]).await.unwrap();
    assert_eq!(pool.groups_of("u1"), set(&["admin"]));
    assert_eq!(pool.enabled("u1"), Some(false));
    assert_eq!(pool.attributes("u1")["custom:tier"], "pro");
    // u2 already in admin, u3 already disabled: no call for either.
    assert_eq!(pool.count(Api::AddToGroup), 1);
    assert_eq!(pool.count(Api::RemoveFromGroup), 1);
    assert_eq!(pool.count(Api::DisableUser), 1);
    // Membership read once per group the input names, not per user.
    let groups_read: BTreeSet<String> = (pool.calls().into_iter())
        .filter(|(api, _)| *api == Api::ListUsersInGroup)
        .map(|(_, g)| g)
        .collect();
    assert_eq!(groups_read, set(&["admin", "beta"]));
}

#[tokio::test]
async fn a_full_set_adds_the_missing_groups_and_removes_every_other() {
    let pool = fake(30);
    pool.put_in_group("u1", "beta");
    pool.put_in_group("u1", "gamma");
    pool.put_in_group("u2", "gamma");
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "in.csv",
        "username,groups\nu1,admin\nu2,[]\nu3,\n",
    );
    apply(&pool, &input, &["--exact-groups"]).await.unwrap();
    assert_eq!(pool.groups_of("u1"), set(&["admin"]));
    assert_eq!(pool.groups_of("u2"), set(&[]));
    // Every group of the pool is read, including gamma, which no row names.
    assert!(pool.count(Api::ListGroups) >= 1);
    assert_eq!(pool.count(Api::ListUsersInGroup), 3);
    assert_eq!(pool.count(Api::AddToGroup), 1);
    assert_eq!(pool.count(Api::RemoveFromGroup), 3);
}

#[tokio::test]
async fn a_groups_column_without_the_flag_is_refused_and_both_ways_out_work() {
    let pool = fake(30);
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "in.csv", "username,groups\nu1,admin\n");
    let err = apply(&pool, &input, &[]).await.unwrap_err();
    assert!(err.contains("--exact-groups"), "{err}");
    assert!(err.contains("groups_add"), "{err}");
    assert_eq!(pool.count(Api::AddToGroup), 0);
    // The advice, followed: the flag ...
    apply(&pool, &input, &["--exact-groups"]).await.unwrap();
    assert_eq!(pool.groups_of("u1"), set(&["admin"]));
    // ... or the column renamed.
    let renamed = write(dir.path(), "add.csv", "username,groups_add\nu2,admin\n");
    apply(&pool, &renamed, &[]).await.unwrap();
    assert_eq!(pool.groups_of("u2"), set(&["admin"]));
}

#[tokio::test]
async fn groups_the_pool_lacks_are_a_setup_error_naming_each_before_any_write() {
    let pool = fake(30);
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "in.csv",
        "username,custom:tier,groups_add,groups_remove\nu1,pro,nope1 admin,\nu2,,,nope2\n",
    );
    let err = apply(&pool, &input, &[]).await.unwrap_err();
    assert!(err.contains("nope1") && err.contains("nope2"), "{err}");
    assert!(!err.contains("admin,"), "{err}");
    assert_eq!(pool.count(Api::Update), 0);
    assert_eq!(pool.count(Api::AddToGroup), 0);
}

#[tokio::test]
async fn a_user_over_the_groups_per_user_limit_is_an_invalid_row_and_others_go_on() {
    let pool = fake(30);
    for i in 0..99 {
        pool.put_in_group("u3", &format!("g{i:03}"));
    }
    pool.add_group("x1");
    pool.add_group("x2");
    let dir = tempfile::tempdir().unwrap();
    // u4's full set makes every group of the pool read, so u3's 99 are known: two more
    // would pass Cognito's 100.
    let input = write(
        dir.path(),
        "in.csv",
        "username,groups,groups_add\nu3,,x1 x2\nu4,admin,x1\n",
    );
    apply(&pool, &input, &["--exact-groups"]).await.unwrap();
    assert!(!pool.groups_of("u3").contains("x1"), "u3 refused");
    assert_eq!(pool.groups_of("u4"), set(&["admin", "x1"]), "u4 went on");
    let failed = std::fs::read_to_string(format!("{input}.failed.csv")).unwrap();
    assert!(failed.contains("TooManyGroups"), "{failed}");
    assert!(
        failed.contains("u3,,x1 x2,"),
        "written back as read: {failed}"
    );
}

#[tokio::test]
async fn sign_out_follows_a_change_and_a_user_with_nothing_to_change_is_left_alone() {
    let pool = fake(30);
    pool.put_in_group("u2", "admin");
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "in.csv",
        "username,groups_add\nu1,admin\nu2,admin\n",
    );
    apply(&pool, &input, &["--sign-out"]).await.unwrap();
    assert_eq!(pool.sign_outs("u1"), 1);
    assert_eq!(pool.sign_outs("u2"), 0);
    // The sign-out went after the user's other call.
    let calls = pool.calls();
    let at = |api: Api| calls.iter().position(|(a, u)| *a == api && u == "u1");
    assert!(at(Api::AddToGroup) < at(Api::GlobalSignOut));
}

#[tokio::test]
async fn disabling_over_a_tenth_of_the_pool_is_refused_naming_them_until_allowed() {
    let pool = fake(10);
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "in.csv",
        "username,enabled\nu1,false\nu2,false\nu3,true\n",
    );
    let err = apply(&pool, &input, &[]).await.unwrap_err();
    assert!(err.contains("u1") && err.contains("u2"), "{err}");
    assert!(err.contains("--allow-mass-disable"), "{err}");
    assert_eq!(pool.count(Api::DisableUser), 0, "refused before any write");
    // The advice, followed.
    apply(&pool, &input, &["--allow-mass-disable"])
        .await
        .unwrap();
    assert_eq!(pool.enabled("u1"), Some(false));
    assert_eq!(pool.enabled("u2"), Some(false));
}

#[tokio::test]
async fn a_plan_shows_the_new_operations_and_apply_plan_sends_them() {
    let pool = fake(30);
    pool.put_in_group("u1", "beta");
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "in.csv",
        "username,groups_add,groups_remove,enabled\nu1,admin,beta,false\nu2,,,\nu3,,,true\n",
    );
    let plan = dir.path().join("in.plan");
    let md = dir.path().join("in.md");
    let (plan_s, md_s) = (plan.to_str().unwrap(), md.to_str().unwrap());
    let args = [
        "plan",
        &input,
        "--user-pool-id",
        POOL,
        "--out",
        plan_s,
        "--markdown",
        md_s,
        "--sign-out",
    ];
    cognito_bulk(&pool, &args)
        .await
        .map_err(|f| f.error)
        .unwrap();
    let text = std::fs::read_to_string(&plan).unwrap();
    for form in [
        r#"{"op":"add_to_group","group":"admin"}"#,
        r#"{"op":"remove_from_group","group":"beta"}"#,
        r#"{"op":"set_enabled","before":true,"after":false}"#,
        r#"{"op":"sign_out"}"#,
    ] {
        assert!(text.contains(form), "{form} in {text}");
    }
    // u3 is already enabled: nothing to change, so not signed out either.
    assert!(!text.contains("\"u3\""), "{text}");
    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(markdown.contains("group"), "{markdown}");
    assert!(markdown.contains("sign-out"), "{markdown}");
    assert_eq!(pool.count(Api::AddToGroup), 0, "plan writes nothing");

    let args = ["apply", "--plan", plan_s, "--user-pool-id", POOL, "--yes"];
    cognito_bulk(&pool, &args)
        .await
        .map_err(|f| f.error)
        .unwrap();
    assert_eq!(pool.groups_of("u1"), set(&["admin"]));
    assert_eq!(pool.enabled("u1"), Some(false));
    assert_eq!(pool.sign_outs("u1"), 1);
    assert_eq!(pool.sign_outs("u3"), 0);
}

#[tokio::test]
async fn a_match_input_with_memberships_is_refused_row_by_row_never_dropped() {
    let pool = FakePool::new(&[("tier", true)]);
    pool.add_user("u1", &[("email", "a@x.example"), ("custom:tier", "free")]);
    pool.add_user("u2", &[("email", "b@x.example"), ("custom:tier", "free")]);
    pool.add_group("admin");
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "crm.csv",
        "email,custom:tier,groups_add\na@x.example,pro,admin\nb@x.example,pro,\n",
    );
    let plan = dir.path().join("crm.plan");
    let plan_s = plan.to_str().unwrap();
    let args = [
        "plan",
        &input,
        "--key-column",
        "email",
        "--match",
        "email",
        "--user-pool-id",
        POOL,
        "--out",
        plan_s,
    ];
    cognito_bulk(&pool, &args)
        .await
        .map_err(|f| f.error)
        .unwrap();
    let text = std::fs::read_to_string(&plan).unwrap();
    assert!(text.contains("attribute changes only"), "{text}");
    assert!(
        text.contains("\"u2\""),
        "the row without groups goes on: {text}"
    );
}
