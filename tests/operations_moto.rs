//! Rows with group membership, `enabled` and sign-out beside attributes, end to end: the
//! built binary against moto (which implements groups, AdminListGroupsForUser and
//! enable/disable). A plan written by hand as `plan` writes one, `apply --plan`, then
//! `rollback`: what the SDK pool sends and reads, and what the pool holds after each.

mod support;

use std::path::{Path, PathBuf};

use aws_sdk_cognitoidentityprovider::Client;
use cognito_bulk::model::op::{AttrDiff, EnabledDiff, GroupChange, OpDiff, SignOutDiff};
use cognito_bulk::model::source::Source;
use cognito_bulk::plan::file::{self, PlanEntry, PlanHeader, PlanWriter};
use support::groups::enabled;
use support::*;

/// The groups `user` is in, in name order.
async fn groups(c: &Client, pool: &str, user: &str) -> Vec<String> {
    support::groups::groups_of(c, pool, user)
        .await
        .into_iter()
        .collect()
}

fn plan(dir: &Path, pool: &str, rows: &[(&str, Vec<OpDiff>)]) -> PathBuf {
    let path = dir.join("ops.plan");
    let header = PlanHeader {
        kind: file::KIND.into(),
        version: file::VERSION,
        user_pool_id: pool.into(),
        input: "ops.csv".into(),
        input_path: None,
        input_path_hex: None,
        input_sha256: "0".repeat(64),
        created_unix: cognito_bulk::journal::now_unix() as u64,
        current_state: Source::List,
        options: serde_json::json!({}),
        allow_verification_messages: false,
        backfill: None,
    };
    let mut writer = PlanWriter::create(&path, &header).unwrap();
    for (i, (user, changes)) in rows.iter().enumerate() {
        let entry = PlanEntry {
            line: i as u64 + 2,
            user: user.to_string(),
            username: None,
            sub: None,
            changes: changes.clone(),
            client_metadata: Default::default(),
            left_out: None,
        };
        writer.write(&entry).unwrap();
    }
    writer.finish().unwrap();
    path
}

#[tokio::test]
async fn a_mixed_plan_applies_on_moto_and_rolls_back_all_but_the_sign_out() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    for user in ["al", "bo"] {
        create_user(&c, &pool, user, &[("custom:tier", "free")]).await;
    }
    for group in ["admin", "beta"] {
        c.create_group()
            .user_pool_id(&pool)
            .group_name(group)
            .send()
            .await
            .unwrap();
    }
    let add = c.admin_add_user_to_group().user_pool_id(&pool);
    add.username("bo").group_name("beta").send().await.unwrap();
    let tier = OpDiff::Attribute(AttrDiff {
        name: "custom:tier".into(),
        before: Some("free".into()),
        after: Some("pro".into()),
    });
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        (
            "al",
            vec![
                tier.clone(),
                OpDiff::Group(GroupChange::add("admin")),
                OpDiff::Enabled(EnabledDiff::new(Some(true), false)),
                OpDiff::SignOut(SignOutDiff::default()),
            ],
        ),
        // bo joined admin since the plan: that costs no call.
        (
            "bo",
            vec![
                tier,
                OpDiff::Group(GroupChange::remove("beta")),
                OpDiff::Group(GroupChange::add("admin")),
            ],
        ),
    ];
    let plan = plan(dir.path(), &pool, &rows);
    let add = c.admin_add_user_to_group().user_pool_id(&pool);
    add.username("bo").group_name("admin").send().await.unwrap();
    let p = plan.to_str().unwrap();
    let args = [
        "apply",
        "--plan",
        p,
        "--user-pool-id",
        &pool,
        "--yes",
        "--rps",
        "200",
        // Two users: one disabled is over the rail's tenth of the pool.
        "--allow-mass-disable",
    ];
    let run = cognito_bulk(&moto.url(), &args, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(attributes(&c, &pool, "al").await["custom:tier"], "pro");
    assert_eq!(groups(&c, &pool, "al").await, ["admin"]);
    assert!(!enabled(&c, &pool, "al").await);
    assert_eq!(groups(&c, &pool, "bo").await, ["admin"]);
    let report = read_report(&dir.path().join("ops.plan.report.json"));
    assert_eq!(
        report["ops"]["add_to_group"], 1,
        "bo's costs no call: {report}"
    );
    assert_eq!(report["ops"]["sign_out"], 1, "{report}");

    let journal = format!("{p}.journal");
    let undo = ["rollback", &journal, "--yes", "--rps", "200"];
    let run = cognito_bulk(&moto.url(), &undo, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("cannot be undone") || run.stderr.contains("cannot be undone"),
        "{run:?}"
    );
    assert_eq!(attributes(&c, &pool, "al").await["custom:tier"], "free");
    assert!(groups(&c, &pool, "al").await.is_empty());
    assert!(enabled(&c, &pool, "al").await);
    let mut bo = groups(&c, &pool, "bo").await;
    bo.sort();
    assert_eq!(
        bo,
        ["admin", "beta"],
        "beta back; admin was bo's before the run"
    );
}
