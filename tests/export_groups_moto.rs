//! `export --with-groups --with-status` against moto, through the fault proxy: the `groups`
//! column is each user's set as AdminListGroupsForUser tells it, read with one ListGroups and
//! one ListUsersInGroup per 60 members (never a call per user); an export interrupted (Ctrl-C)
//! in its membership read resumes without reading a saved group again. And, once the readers
//! of the `groups`, `groups_add` and `enabled` columns are merged (branch `decide`): an export
//! planned back with `--exact-groups` shows no changes, and a computed `--add-group` /
//! `--set enabled=` backfill applied on moto.

mod support;

use std::collections::BTreeSet;

use aws_sdk_cognitoidentityprovider::Client;
use support::proxy::{Config, Fault, FaultProxy, Scripted};
use support::*;

/// 70 users `u000`..; `admin` = u000, u001; `beta` = u001; `big` = u000..u064 (two pages of
/// ListUsersInGroup); `empty`; u002 disabled; `custom:tier` pro for u000..u009, else free;
/// `custom:tenant` X for u060..u064, else Y.
async fn grouped_pool(c: &Client) -> String {
    let pool = create_pool(c, &["tier", "tenant"]).await;
    for i in 0..70 {
        let tier = if i < 10 { "pro" } else { "free" };
        let tenant = if (60..65).contains(&i) { "X" } else { "Y" };
        let email = format!("u{i}@example.com");
        let attrs = [
            ("email", email.as_str()),
            ("custom:tier", tier),
            ("custom:tenant", tenant),
        ];
        create_user(c, &pool, &format!("u{i:03}"), &attrs).await;
    }
    for group in ["admin", "beta", "big", "empty", "pro"] {
        let make = c.create_group().user_pool_id(&pool).group_name(group);
        make.send().await.unwrap();
    }
    let mut members = vec![("u000", "admin"), ("u001", "admin"), ("u001", "beta")];
    let big: Vec<String> = (0..65).map(|i| format!("u{i:03}")).collect();
    members.extend(big.iter().map(|u| (u.as_str(), "big")));
    for (user, group) in members {
        let add = c.admin_add_user_to_group().user_pool_id(&pool);
        add.username(user).group_name(group).send().await.unwrap();
    }
    let disable = c.admin_disable_user().user_pool_id(&pool).username("u002");
    disable.send().await.unwrap();
    pool
}

/// A user's groups as AdminListGroupsForUser tells them (the per-user truth).
async fn groups_of(c: &Client, pool: &str, user: &str) -> BTreeSet<String> {
    let list = c
        .admin_list_groups_for_user()
        .user_pool_id(pool)
        .username(user);
    let out = list.limit(60).send().await.unwrap();
    let names = out.groups().iter().filter_map(|g| g.group_name());
    names.map(str::to_string).collect()
}

fn export_args<'a>(pool: &'a str, out: &'a str) -> Vec<&'a str> {
    let export = ["export", "--user-pool-id", pool, "--output", out];
    let mut args = export.to_vec();
    args.extend(["--with-groups", "--with-status"]);
    args
}

#[tokio::test(flavor = "multi_thread")]
async fn the_groups_column_is_each_users_set_read_per_group() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = grouped_pool(&c).await;
    let proxy = FaultProxy::start(moto.addr, Config::recording()).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("all.csv");
    let run = cognito_bulk(
        &proxy.url(),
        &export_args(&pool, out.to_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("70 users"), "{}", run.stdout);
    let read = "groups from 5 groups (68 memberships), read per group";
    assert!(run.stdout.contains(read), "{}", run.stdout);
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let header = reader.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (groups, enabled) = (at("groups"), at("enabled"));
    for record in reader.records().map(Result::unwrap) {
        let user = &record[0];
        let truth = groups_of(&c, &pool, user).await;
        let cell: BTreeSet<String> = match &record[groups] {
            "[]" => BTreeSet::new(),
            cell => cell.split_whitespace().map(str::to_string).collect(),
        };
        assert_eq!(cell, truth, "{user}");
        let expected = if user == "u002" { "false" } else { "true" };
        assert_eq!(&record[enabled], expected, "{user}");
    }
    // One ListGroups, then 1 + 1 + 2 + 1 + 1 ListUsersInGroup pages (60 members a page);
    // no call per user.
    let stats = proxy.stats();
    let received = |op: &str| stats.received.get(op).copied().unwrap_or(0);
    assert_eq!(received("ListGroups"), 1, "{stats:?}");
    assert_eq!(received("ListUsersInGroup"), 6, "{stats:?}");
    assert_eq!(
        received("AdminListGroupsForUser") + received("AdminGetUser"),
        0
    );
    let limits = stats
        .bodies
        .iter()
        .filter(|(op, _)| op == "ListUsersInGroup");
    assert!(
        limits
            .clone()
            .all(|(_, body)| body.contains("\"Limit\":60")),
        "{stats:?}"
    );
    // To standard output (JSONL): the membership is kept in memory only, nothing beside.
    let run = cognito_bulk(&moto.url(), &export_args(&pool, "-"), None).await;
    assert_eq!(run.code, 0, "{run:?}");
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let u001 = lines.iter().find(|l| l["username"] == "u001").unwrap();
    assert_eq!(u001["groups"], serde_json::json!(["admin", "beta", "big"]));
    assert_eq!(lines.len(), 70);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_interrupted_in_its_membership_read_resumes_at_the_next_group() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = grouped_pool(&c).await;
    let proxy = FaultProxy::start(moto.addr, Config::default()).await;
    proxy.script([Scripted {
        op: Some("ListUsersInGroup".into()),
        fault: Fault::DelayMs(700),
        count: 6,
    }]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("all.jsonl");
    let saved = dir.path().join("all.jsonl.export-groups");
    let args = export_args(&pool, out.to_str().unwrap());
    let child = command(Some(&proxy.url()), &args).spawn().unwrap();
    // The header and a first group saved.
    wait_for_lines(&saved, 1).await;
    interrupt(&child);
    let first = finish(child).await;
    assert_eq!(first.code, 3, "{first:?}");
    assert!(first.stderr.contains("resume with:"), "{}", first.stderr);
    let groups_saved = std::fs::read_to_string(&saved).unwrap().lines().count() - 1;
    assert!(
        (1..5).contains(&groups_saved),
        "stopped part-way: {groups_saved}"
    );

    let run = cognito_bulk(&proxy.url(), &args, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    // Every group's pages read once over both runs: none saved was read again.
    let stats = proxy.stats();
    assert_eq!(
        stats.received.get("ListUsersInGroup"),
        Some(&6),
        "{stats:?}"
    );
    assert!(!saved.exists());
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 70);
    let u001 = lines.iter().find(|l| l["username"] == "u001").unwrap();
    assert_eq!(u001["groups"], serde_json::json!(["admin", "beta", "big"]));
}

/// `plan --exact-groups` of `file` against `pool`, asserting that it shows no changes.
async fn plans_to_nothing(moto: &Moto, pool: &str, file: &str) {
    let plan = ["plan", file, "--user-pool-id", pool, "--exact-groups"];
    let run = cognito_bulk(&moto.url(), &plan, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("Plan: 0 users to change"),
        "{file}: {}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_with_groups_and_status_plans_back_to_nothing_and_restores_the_pool() {
    // Enable after merging `decide`: its readers take `groups` (with --exact-groups) and
    // `enabled` as operations. The README's restore workflow, as written there.
    let moto = Moto::start();
    let c = moto.client();
    let pool = grouped_pool(&c).await;
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup.csv");
    let backup = backup.to_str().unwrap();
    for out in [backup, dir.path().join("all.jsonl").to_str().unwrap()] {
        let run = cognito_bulk(&moto.url(), &export_args(&pool, out), None).await;
        assert_eq!(run.code, 0, "{run:?}");
        plans_to_nothing(&moto, &pool, out).await;
    }
    // Someone changes membership and status behind the backup's back.
    let remove = c.admin_remove_user_from_group().user_pool_id(&pool);
    remove
        .username("u001")
        .group_name("beta")
        .send()
        .await
        .unwrap();
    let add = c.admin_add_user_to_group().user_pool_id(&pool);
    add.username("u069")
        .group_name("admin")
        .send()
        .await
        .unwrap();
    let enable = c.admin_enable_user().user_pool_id(&pool).username("u002");
    enable.send().await.unwrap();
    let plan = ["plan", backup, "--user-pool-id", &pool, "--exact-groups"];
    let run = cognito_bulk(&moto.url(), &plan, None).await;
    assert!(
        run.stdout.contains("Plan: 3 users to change"),
        "{}",
        run.stdout
    );
    let apply = ["apply", backup, "--user-pool-id", &pool, "--exact-groups"];
    let run = cognito_bulk(&moto.url(), &apply, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(groups_of(&c, &pool, "u001").await.contains("beta"));
    assert!(groups_of(&c, &pool, "u069").await.is_empty());
    plans_to_nothing(&moto, &pool, backup).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_computed_add_group_and_disable_backfill_applies_on_moto() {
    // Enable after merging `decide`: the computed rows carry `groups_add` and `enabled`,
    // which its readers turn into AdminAddUserToGroup and AdminDisableUser. The README's
    // examples, as written there.
    let moto = Moto::start();
    let c = moto.client();
    let pool = grouped_pool(&c).await;
    // Run where the README's reader would, in a folder of their own: the computed plan
    // (`backfill-*.plan`, no --out) and its journal are written to the working directory.
    let work = tempfile::tempdir().unwrap();
    let cognito_bulk = |url: String, args: Vec<String>| {
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cmd = command(Some(&url), &confirmed(&words));
        cmd.current_dir(work.path());
        async move { finish(cmd.spawn().expect("run cognito-bulk")).await }
    };
    // "every user whose tier is pro joins group pro"
    let args = [
        "apply",
        "--user-pool-id",
        &pool,
        "--where",
        "custom.tier == \"pro\"",
        "--add-group",
        "pro",
    ];
    let run = cognito_bulk(moto.url(), args.map(String::from).to_vec()).await;
    assert_eq!(run.code, 0, "{run:?}");
    for i in 0..70 {
        let user = format!("u{i:03}");
        let in_pro = groups_of(&c, &pool, &user).await.contains("pro");
        assert_eq!(in_pro, i < 10, "{user}");
    }
    // "disable every user of tenant X" (u060..u064: 7% of the pool, under the 10% rail)
    let args = [
        "apply",
        "--user-pool-id",
        &pool,
        "--where",
        "custom.tenant == \"X\"",
        "--set",
        "enabled=false",
    ];
    let run = cognito_bulk(moto.url(), args.map(String::from).to_vec()).await;
    assert_eq!(run.code, 0, "{run:?}");
    for n in 0..70 {
        let name = format!("u{n:03}");
        let get = c.admin_get_user().user_pool_id(&pool).username(&name);
        let enabled = get.send().await.unwrap().enabled();
        let expected = !((60..65).contains(&n) || n == 2);
        assert_eq!(enabled, expected, "{name}");
    }
    // Exported and planned back with --exact-groups: nothing left to change.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("after.csv");
    let out = out.to_str().unwrap();
    let args = export_args(&pool, out)
        .iter()
        .map(|s| s.to_string())
        .collect();
    let run = cognito_bulk(moto.url(), args).await;
    assert_eq!(run.code, 0, "{run:?}");
    plans_to_nothing(&moto, &pool, out).await;
    assert!(
        std::fs::read_dir(work.path()).unwrap().count() > 0,
        "the computed plans went to the working directory"
    );
}
