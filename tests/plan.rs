//! `plan` and the diff in `apply`: schema preflight, current values, the preview, the plan
//! file, `apply --plan`, the safety rails and `--limit`. moto returns custom attributes and
//! their constraints from DescribeUserPool but enforces none of them, so these tests exercise
//! the tool's own checks.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, NumberAttributeConstraintsType, SchemaAttributeType,
    StringAttributeConstraintsType,
};
use support::proxy::{Config, FaultProxy};
use support::*;

/// A pool with custom:tier (String, at most 8 characters), custom:score (Number 0..100) and
/// custom:plan (immutable).
async fn pool(c: &Client) -> String {
    let string = |name: &str, max: &str, mutable: bool| {
        SchemaAttributeType::builder()
            .name(name)
            .attribute_data_type(AttributeDataType::String)
            .mutable(mutable)
            .string_attribute_constraints(
                StringAttributeConstraintsType::builder()
                    .min_length("1")
                    .max_length(max)
                    .build(),
            )
            .build()
    };
    let score = SchemaAttributeType::builder()
        .name("score")
        .attribute_data_type(AttributeDataType::Number)
        .mutable(true)
        .number_attribute_constraints(
            NumberAttributeConstraintsType::builder()
                .min_value("0")
                .max_value("100")
                .build(),
        )
        .build();
    c.create_user_pool()
        .pool_name("plan")
        .auto_verified_attributes(
            aws_sdk_cognitoidentityprovider::types::VerifiedAttributeType::Email,
        )
        .schema(string("tier", "8", true))
        .schema(string("plan", "20", false))
        .schema(score)
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap()
}

/// Every user's attributes (but sub), as the pool holds them.
async fn snapshot(c: &Client, pool: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let users = c.list_users().user_pool_id(pool).send().await.unwrap();
    let mut out = BTreeMap::new();
    for u in users.users() {
        let name = u.username().unwrap().to_string();
        out.insert(name.clone(), attributes(c, pool, &name).await);
    }
    out
}

fn jsonl(dir: &Path, name: &str, lines: &[&str]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path.to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_previews_writes_nothing_and_apply_plan_does_exactly_that() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c).await;
    create_user(
        &c,
        &pool,
        "alice",
        &[("custom:tier", "free"), ("nickname", "al")],
    )
    .await;
    create_user(&c, &pool, "bob", &[("custom:tier", "pro")]).await;
    // Immutable: only a change to it is invalid (see the export round trip for the rest).
    create_user(&c, &pool, "bob4", &[("custom:plan", "y")]).await;
    create_user(
        &c,
        &pool,
        "carol",
        &[("nickname", "cc"), ("custom:score", "5")],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let input = jsonl(
        dir.path(),
        "m.jsonl",
        &[
            r#"{"username": "alice", "attributes": {"custom:tier": "pro", "nickname": "al", "given_name": "Alice"}}"#,
            r#"{"username": "bob", "attributes": {"custom:tier": "pro"}}"#,
            r#"{"username": "carol", "attributes": {"nickname": null, "custom:score": 7}}"#,
            r#"{"username": "ghost", "attributes": {"custom:tier": "pro"}}"#,
            r#"{"username": "bob2", "attributes": {"custom:tier": "platinum-plus"}}"#,
            r#"{"username": "bob3", "attributes": {"custom:score": "high"}}"#,
            r#"{"username": "bob4", "attributes": {"custom:plan": "x"}}"#,
        ],
    );
    let before = snapshot(&c, &pool).await;
    let proxy = FaultProxy::start(moto.addr, Config::recording()).await;
    let run = cognito_bulk(
        &proxy.url(),
        &[
            "plan",
            &input,
            "--user-pool-id",
            &pool,
            "--detailed-exitcode",
        ],
        None,
    )
    .await;
    // --detailed-exitcode: 4, rows are invalid or not found (2 would be "changes", all fine).
    assert_eq!(run.code, 4, "invalid and not-found rows: {run:?}");
    for line in [
        "~ alice  custom:tier: \"free\" -> \"pro\"",
        "+ alice  given_name: \"Alice\"",
        "- carol  nickname: \"cc\"",
        "~ carol  custom:score: \"5\" -> \"7\"",
        "Plan: 2 users to change (4 attributes), 1 unchanged, 1 not found, 3 invalid.",
        "Applying makes the 2 users it changes billable",
        "0 users will receive a verification message.",
    ] {
        assert!(
            run.stdout.contains(line),
            "missing {line:?} in\n{}",
            run.stdout
        );
    }
    for problem in [
        "m.jsonl:4: user \"ghost\": not found in the pool",
        "m.jsonl:5: user \"bob2\": attribute custom:tier: value has 13 characters, the pool allows 1..8",
        "m.jsonl:6: user \"bob3\": attribute custom:score: is a Number attribute and the value is not a number",
        "m.jsonl:7: user \"bob4\": attribute custom:plan: the user pool defines this attribute as immutable",
    ] {
        assert!(
            run.stderr.contains(problem),
            "missing {problem:?} in\n{}",
            run.stderr
        );
    }
    // Nothing was written: no update call, and every attribute of every user is as it was.
    assert!(
        !proxy
            .stats()
            .received
            .contains_key("AdminUpdateUserAttributes")
    );
    assert_eq!(snapshot(&c, &pool).await, before);
    let plan = dir.path().join("m.jsonl.plan");
    assert_eq!(mode(&plan), 0o600);

    // apply --plan sends exactly the planned changes.
    let plan_s = plan.to_str().unwrap();
    let run = cognito_bulk(
        &proxy.url(),
        &["apply", "--plan", plan_s, "--user-pool-id", &pool],
        None,
    )
    .await;
    // The rows the plan left out are reported as `apply INPUT` would: exit 1.
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(proxy.stats().received["AdminUpdateUserAttributes"], 2);
    let report = read_report(&dir.path().join("m.jsonl.plan.report.json"));
    assert_eq!(
        (report["invalid"].as_u64(), report["failed"].as_u64()),
        (Some(3), Some(1)),
        "{report}"
    );
    let after = snapshot(&c, &pool).await;
    let present = |u: &str| -> BTreeMap<String, String> {
        after[u]
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    assert_eq!(
        present("alice"),
        attrs(&[
            ("custom:tier", "pro"),
            ("nickname", "al"),
            ("given_name", "Alice")
        ])
    );
    assert_eq!(present("bob"), attrs(&[("custom:tier", "pro")]));
    assert_eq!(present("carol"), attrs(&[("custom:score", "7")]));

    // Planning again shows no changes (in a new plan: the applied one is kept).
    let again = format!("{input}.again.plan");
    let run = cognito_bulk(
        &moto.url(),
        &[
            "plan",
            &input,
            "--user-pool-id",
            &pool,
            "--detailed-exitcode",
            "--out",
            &again,
        ],
        None,
    )
    .await;
    assert!(
        run.stdout
            .contains("Plan: 0 users to change (0 attributes), 3 unchanged"),
        "{}",
        run.stdout
    );
    // Nothing to change, but the input's invalid and not-found rows are still there: 4.
    assert_eq!(run.code, 4);

    // A plan for another pool, or whose input changed, is refused.
    let other = create_pool(&c, &[]).await;
    let run = cognito_bulk(
        &moto.url(),
        &["apply", "--plan", plan_s, "--user-pool-id", &other],
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("was made for user pool {pool}")),
        "{}",
        run.stderr
    );
    std::fs::write(&input, "{}\n").unwrap();
    let run = cognito_bulk(
        &moto.url(),
        &[
            "apply",
            "--plan",
            plan_s,
            "--user-pool-id",
            &pool,
            "--restart",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("changed since"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_refuses_attributes_the_pool_lacks_and_skips_unchanged_users() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c).await;
    create_user(&c, &pool, "alice", &[("custom:tier", "free")]).await;
    create_user(&c, &pool, "bob", &[("custom:tier", "pro")]).await;
    let proxy = FaultProxy::start(moto.addr, Config::recording()).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("u.csv");
    std::fs::write(
        &input,
        "username,custom:tier,custom:nope,custom:other\nalice,pro,x,y\n",
    )
    .unwrap();
    let run = cognito_bulk(
        &proxy.url(),
        &["apply", input.to_str().unwrap(), "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("does not define: custom:nope, custom:other"),
        "{}",
        run.stderr
    );
    assert!(
        !proxy
            .stats()
            .received
            .contains_key("AdminUpdateUserAttributes")
    );

    // Unchanged users cost no write; the journal keeps the before-values for rollback.
    std::fs::write(&input, "username,custom:tier\nalice,pro\nbob,pro\n").unwrap();
    let run = cognito_bulk(
        &proxy.url(),
        &["apply", input.to_str().unwrap(), "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("1 updated, 1 unchanged"),
        "{}",
        run.stdout
    );
    assert_eq!(proxy.stats().received["AdminUpdateUserAttributes"], 1);
    let journal = std::fs::read_to_string(dir.path().join("u.csv.journal")).unwrap();
    assert!(
        journal.contains(r#""outcome":"updated","attempts":1,"throttled":0"#),
        "{journal}"
    );
    assert!(
        journal.contains(r#""before":{"custom:tier":"free"}"#),
        "{journal}"
    );
    assert!(journal.contains(r#""outcome":"unchanged""#), "{journal}");
    let report = read_report(&dir.path().join("u.csv.report.json"));
    assert_eq!(report["unchanged"], 1);
    assert_eq!(report["current_state"], "list");
}

#[tokio::test(flavor = "multi_thread")]
async fn email_and_alias_rails() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    for u in ["ann", "ben", "cid", "dee", "eve"] {
        create_user(&c, &pool, u, &[("email", &format!("{u}@old.example"))]).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = jsonl(
        dir.path(),
        "e.jsonl",
        &[
            r#"{"username": "ann", "attributes": {"email": "ann@new.example"}}"#,
            r#"{"username": "ben", "attributes": {"email": "ben@new.example", "email_verified": "true"}}"#,
            r#"{"username": "cid", "attributes": {"email": "same@new.example", "email_verified": "true"}}"#,
            r#"{"username": "dee", "attributes": {"email": "SAME@new.example", "email_verified": "true"}}"#,
            r#"{"username": "eve", "attributes": {"email": "ann@old.example", "email_verified": "true"}}"#,
        ],
    );
    let run = cognito_bulk(
        &moto.url(),
        &["plan", &input, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    for problem in [
        "e.jsonl:1: user \"ann\": attribute email: changing email makes Cognito send the user a verification message",
        "e.jsonl:3: user \"cid\": attribute email: another row sets the same email",
        "e.jsonl:4: user \"dee\": attribute email: another row sets the same email",
        "e.jsonl:5: user \"eve\": attribute email: another user of the pool already has this email",
    ] {
        assert!(
            run.stderr.contains(problem),
            "missing {problem:?} in\n{}",
            run.stderr
        );
    }
    assert!(
        run.stdout.contains("Plan: 1 users to change"),
        "{}",
        run.stdout
    );

    // Allowed explicitly, the message is counted in the preview and in the report.
    let run = cognito_bulk(
        &moto.url(),
        &[
            "plan",
            &input,
            "--user-pool-id",
            &pool,
            "--allow-verification-messages",
        ],
        None,
    )
    .await;
    assert!(
        run.stdout.contains("Plan: 2 users to change"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("1 users will receive a verification message."),
        "{}",
        run.stdout
    );
    // The plan's advice states the allowance again: apply --plan allows only what its own
    // command line allows (a plan can narrow, never widen; issue 17).
    assert!(
        run.stdout.contains(&format!(
            "--user-pool-id {pool} --allow-verification-messages"
        )),
        "{}",
        run.stdout
    );
    let plan = dir.path().join("e.jsonl.plan");
    let run = cognito_bulk(
        &moto.url(),
        &[
            "apply",
            "--plan",
            plan.to_str().unwrap(),
            "--user-pool-id",
            &pool,
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("pass --allow-verification-messages"),
        "{run:?}"
    );
    assert_eq!(
        attributes(&c, &pool, "ann").await["email"],
        "ann@old.example",
        "not sent without the flag on apply's command line"
    );
    // Following the advice: the message is sent, and counted.
    let run = cognito_bulk(
        &moto.url(),
        &[
            "apply",
            "--plan",
            plan.to_str().unwrap(),
            "--user-pool-id",
            &pool,
            "--allow-verification-messages",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 1, "the plan's invalid rows are reported: {run:?}");
    let report = read_report(&dir.path().join("e.jsonl.plan.report.json"));
    assert_eq!(report["verification_messages"], 1);
    assert_eq!(report["invalid"], 3, "{report}");
    assert_eq!(
        attributes(&c, &pool, "ann").await["email"],
        "ann@new.example"
    );
    assert_eq!(
        attributes(&c, &pool, "eve").await["email"],
        "eve@old.example"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn limit_applies_a_canary_then_resume_goes_on() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    let mut csv = String::from("username,custom:tier\n");
    for i in 0..10 {
        create_user(&c, &pool, &format!("u{i}"), &[("custom:tier", "free")]).await;
        csv.push_str(&format!("u{i},pro\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("l.csv");
    std::fs::write(&input, csv).unwrap();
    let args = [
        "apply",
        input.to_str().unwrap(),
        "--user-pool-id",
        &pool,
        "--limit",
        "3",
    ];
    let run = cognito_bulk(&moto.url(), &args, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("stopped after --limit 3 changes"),
        "{}",
        run.stdout
    );
    let tiers = |c: Client, pool: String| async move {
        let mut n = 0;
        for i in 0..10 {
            n += usize::from(attributes(&c, &pool, &format!("u{i}")).await["custom:tier"] == "pro");
        }
        n
    };
    assert_eq!(tiers(c.clone(), pool.clone()).await, 3);
    let run = cognito_bulk(
        &moto.url(),
        &["apply", input.to_str().unwrap(), "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("3 rows skipped"), "{}", run.stdout);
    assert_eq!(tiers(c.clone(), pool.clone()).await, 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn get_reads_users_one_by_one_and_says_they_became_billable() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    create_user(&c, &pool, "alice", &[("custom:tier", "free")]).await;
    create_user(&c, &pool, "bea", &[("email", "bea@example.com")]).await;
    create_user(&c, &pool, "carol", &[("email", "carol@example.com")]).await;
    let proxy = FaultProxy::start(moto.addr, Config::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("g.csv");
    // carol would take bea's email: bea is not in the input, a filtered ListUsers finds her.
    std::fs::write(
        &input,
        "username,custom:tier,email,email_verified\nalice,pro,,\nghost,pro,,\ncarol,,bea@example.com,true\n",
    )
    .unwrap();
    let run = cognito_bulk(
        &proxy.url(),
        &[
            "plan",
            input.to_str().unwrap(),
            "--user-pool-id",
            &pool,
            "--current-state",
            "get",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains(
            "Plan: 1 users to change (1 attributes), 0 unchanged, 1 not found, 1 invalid."
        ),
        "{}",
        run.stdout
    );
    // alice and carol; ghost, whom no user has, is not billable.
    assert!(
        run.stdout.contains("made 2 users billable"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("g.csv:4: user \"carol\": attribute email: another user of the pool already has this email"),
        "{}",
        run.stderr
    );
    let stats = proxy.stats();
    assert_eq!(stats.received["AdminGetUser"], 3);
    assert_eq!(
        stats.received["ListUsers"], 1,
        "one filtered lookup, no scan"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_will_not_write_unconfirmed_when_it_cannot_ask() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    create_user(&c, &pool, "alice", &[("nickname", "a")]).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("y.csv");
    std::fs::write(&input, "username,nickname\nalice,b\n").unwrap();
    // No --yes, standard input not a terminal.
    let args = ["apply", input.to_str().unwrap(), "--user-pool-id", &pool];
    let out = finish(command(Some(&moto.url()), &args).spawn().unwrap()).await;
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("pass --yes"), "{out:?}");
    assert_eq!(attributes(&c, &pool, "alice").await["nickname"], "a");
}

/// `plan INPUT` that changes an attribute the pool's identity provider maps, for a federated
/// user (an `identities` attribute), advises `--allow-overwritten-at-sign-in`; planned again
/// with it, the printed `apply --plan` command states the flag, and run as printed (with
/// `--yes`: a test is no terminal) it applies the row.
#[tokio::test(flavor = "multi_thread")]
async fn plan_input_advice_for_a_federated_users_mapped_attribute_is_followed_to_apply() {
    use aws_sdk_cognitoidentityprovider::types::IdentityProviderTypeType;
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    c.create_identity_provider()
        .user_pool_id(&pool)
        .provider_name("Google")
        .provider_type(IdentityProviderTypeType::Google)
        .provider_details("client_id", "x")
        .attribute_mapping("given_name", "given_name")
        .send()
        .await
        .unwrap();
    let identities =
        r#"[{"userId":"1","providerName":"Google","providerType":"Google","primary":true}]"#;
    let federated = [("given_name", "Ann"), ("identities", identities)];
    create_user(&c, &pool, "google_1", &federated).await;
    create_user(&c, &pool, "u1", &[("given_name", "Uma")]).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("names.csv");
    std::fs::write(&input, "username,given_name\ngoogle_1,Ann!\nu1,Uma!\n").unwrap();
    let plan = dir.path().join("names.plan");
    let (input, plan) = (input.to_str().unwrap(), plan.to_str().unwrap());
    let args = ["plan", input, "--user-pool-id", &pool, "--out", plan];
    let run = finish(command(Some(&moto.url()), &args).spawn().unwrap()).await;
    let advice = "pass --allow-overwritten-at-sign-in";
    assert!(
        run.stdout.contains("1 invalid") && format!("{run:?}").contains(advice),
        "{run:?}"
    );
    let mut allowed = args.to_vec();
    allowed.push("--allow-overwritten-at-sign-in");
    let run = finish(command(Some(&moto.url()), &allowed).spawn().unwrap()).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("2 users to change"), "{run:?}");
    let printed = run
        .stdout
        .lines()
        .find_map(|l| l.split_once("apply it with: cognito-bulk "))
        .map(|(_, cmd)| cmd.to_string())
        .expect("an apply command");
    assert!(
        printed.contains("--allow-overwritten-at-sign-in"),
        "{printed}"
    );
    let printed: Vec<String> = shlex::split(&printed).expect("a command line");
    let printed: Vec<&str> = printed.iter().map(String::as_str).collect();
    // As printed: it carries the endpoint the plan was made with.
    let run = cognito_bulk_as_printed(&printed).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        attributes(&c, &pool, "google_1").await["given_name"],
        "Ann!"
    );
    assert_eq!(attributes(&c, &pool, "u1").await["given_name"], "Uma!");
}
