//! Group membership, enable/disable and sign-out end to end: the built binary against moto.
//! Membership is read with ListUsersInGroup (a group of 65 members, so a second page), the
//! `enabled` flag with ListUsers (`list`) or AdminGetUser (`get`), and `plan` then
//! `apply --plan` send exactly the diffed operations.

mod support;

use aws_sdk_cognitoidentityprovider::Client;
use support::groups::{enabled, groups_of, join as put};
use support::*;

async fn group(c: &Client, pool: &str, name: &str) {
    c.create_group()
        .user_pool_id(pool)
        .group_name(name)
        .send()
        .await
        .unwrap();
}

/// 70 users `u00`..; `u00`..`u64` in group big (two ListUsersInGroup pages), u01 in beta,
/// u02 disabled; groups admin and beta.
async fn seeded(c: &Client) -> String {
    let pool = create_pool(c, &["tier"]).await;
    for g in ["admin", "beta", "big"] {
        group(c, &pool, g).await;
    }
    for i in 0..70 {
        let user = format!("u{i:02}");
        create_user(c, &pool, &user, &[("custom:tier", "free")]).await;
        if i < 65 {
            put(c, &pool, &user, "big").await;
        }
    }
    put(c, &pool, "u01", "beta").await;
    c.admin_disable_user()
        .user_pool_id(&pool)
        .username("u02")
        .send()
        .await
        .unwrap();
    pool
}

const INPUT: &str = "username,custom:tier,groups_add,groups_remove,enabled\n\
                     u01,pro,admin,beta,false\n\
                     u02,,,,false\n\
                     u64,,big,,\n\
                     u66,,big,,true\n";

#[tokio::test(flavor = "multi_thread")]
async fn plan_then_apply_plan_sends_exactly_the_membership_and_status_changes() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = seeded(&c).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, INPUT).unwrap();
    let plan = dir.path().join("in.plan");
    let (input_s, plan_s) = (input.to_str().unwrap(), plan.to_str().unwrap());
    for state in ["list", "get"] {
        let args = [
            "plan",
            input_s,
            "--user-pool-id",
            &pool,
            "--out",
            plan_s,
            "--current-state",
            state,
            "--sign-out",
        ];
        let run = cognito_bulk(&moto.url(), &args, None).await;
        assert_eq!(run.code, 0, "{run:?}");
        let out = &run.stdout;
        for line in [
            "+ u01  group admin",
            "- u01  group beta",
            "~ u01  enabled: true -> false",
            "! u01  sign out (cannot be undone)",
            "+ u66  group big",
        ] {
            assert!(out.contains(line), "{state}: {line} in {out}");
        }
        // u02 is disabled already and u64 is in big (on ListUsersInGroup's second page):
        // nothing to send for either, so no sign-out either.
        assert!(
            !out.contains("u02") && !out.contains("u64"),
            "{state}: {out}"
        );
        assert!(out.contains("cannot be undone"), "{out}");
    }
    let args = ["apply", "--plan", plan_s, "--user-pool-id", &pool];
    let run = cognito_bulk(&moto.url(), &args, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        groups_of(&c, &pool, "u01").await,
        ["admin", "big"].map(String::from).into()
    );
    assert!(!enabled(&c, &pool, "u01").await);
    assert!(groups_of(&c, &pool, "u66").await.contains("big"));
    assert!(enabled(&c, &pool, "u66").await);
    assert_eq!(attributes(&c, &pool, "u01").await["custom:tier"], "pro");
}

#[tokio::test(flavor = "multi_thread")]
async fn exact_groups_from_a_file_leave_each_user_in_exactly_its_set() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = seeded(&c).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"username\":\"u01\",\"groups\":[\"admin\"]}\n{\"username\":\"u03\",\"groups\":[]}\n",
    )
    .unwrap();
    let input_s = input.to_str().unwrap();
    let refused = cognito_bulk(
        &moto.url(),
        &["apply", input_s, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(refused.stderr.contains("--exact-groups"), "{refused:?}");
    let args = ["apply", input_s, "--user-pool-id", &pool, "--exact-groups"];
    let run = cognito_bulk(&moto.url(), &args, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        groups_of(&c, &pool, "u01").await,
        ["admin"].map(String::from).into()
    );
    assert!(groups_of(&c, &pool, "u03").await.is_empty());
    assert!(
        groups_of(&c, &pool, "u04").await.contains("big"),
        "not in the input"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_disabling_over_a_tenth_is_flagged_and_apply_plan_needs_the_flag() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = seeded(&c).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("off.csv");
    // 9 of 70 users (u02 is disabled already, so 8 change): more than a tenth.
    let mut text = String::from("username,enabled\n");
    for i in 2..11 {
        text.push_str(&format!("u{i:02},false\n"));
    }
    std::fs::write(&input, text).unwrap();
    let plan = dir.path().join("off.plan");
    let (input_s, plan_s) = (input.to_str().unwrap(), plan.to_str().unwrap());
    let args = ["plan", input_s, "--user-pool-id", &pool, "--out", plan_s];
    let plan_run = cognito_bulk(&moto.url(), &args, None).await;
    let run = &plan_run;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("apply will refuse this plan"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("8 users will be disabled: u03,"),
        "{run:?}"
    );
    let args = ["apply", "--plan", plan_s, "--user-pool-id", &pool];
    let refused = cognito_bulk(&moto.url(), &args, None).await;
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(
        refused.stderr.contains("--allow-mass-disable"),
        "{refused:?}"
    );
    assert!(enabled(&c, &pool, "u03").await, "nothing written");
    // The command `plan` printed to apply it carries the allowance: followed as printed.
    let printed = plan_run
        .stdout
        .lines()
        .find_map(|l| l.split_once("apply it with: ").map(|(_, c)| c.to_string()))
        .expect("apply it with:");
    let words = shlex::split(&printed).expect("a command line");
    assert!(
        words.iter().any(|w| w == "--allow-mass-disable"),
        "{printed}"
    );
    let words: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    let run = cognito_bulk_as_printed(&words).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!enabled(&c, &pool, "u10").await);
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_plan_refuses_the_flags_a_plan_already_decided() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("any.plan");
    std::fs::write(&plan, "").unwrap();
    for flag in ["--sign-out", "--exact-groups"] {
        let args = [
            "apply",
            "--plan",
            plan.to_str().unwrap(),
            "--user-pool-id",
            "p",
            flag,
        ];
        let run = cognito_bulk(&moto.url(), &args, None).await;
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.contains("cannot be used with"),
            "{flag}: {run:?}"
        );
    }
}
