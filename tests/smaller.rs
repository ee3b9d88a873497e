//! The smaller items of issue 17 (item 9), each reproduced: alias checks in `get` mode compare
//! as `list` mode does, `--current-state none` says the alias rail is off, `rollback
//! --dry-run` never cites its temporary plan, a `--retry-failed` run that fixed every failure
//! reports no failed-rows file.

mod support;

use support::*;

#[tokio::test(flavor = "multi_thread")]
async fn alias_checks_in_get_mode_fold_case_and_trim_as_list_mode_does() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    create_user(&c, &pool, "u4", &[("email", "u4@ex.com")]).await;
    create_user(&c, &pool, "u8", &[("email", "u8@ex.com")]).await;
    create_user(&c, &pool, "a", &[]).await;
    create_user(&c, &pool, "b", &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(
        &input,
        concat!(
            r#"{"username": "a", "attributes": {"email": "U4@EX.COM", "email_verified": "true"}}"#,
            "\n",
            r#"{"username": "b", "attributes": {"email": " u8@ex.com", "email_verified": "true"}}"#,
            "\n",
        ),
    )
    .unwrap();
    let input = input.to_str().unwrap();
    for mode in ["list", "get"] {
        let run = cognito_bulk(
            &moto.url(),
            &[
                "plan",
                input,
                "--user-pool-id",
                &pool,
                "--current-state",
                mode,
            ],
            None,
        )
        .await;
        assert_eq!(run.code, 1, "{mode}: {run:?}");
        for user in ["\"a\"", "\"b\""] {
            assert!(
                run.stderr.lines().any(|l| l.contains(user)
                    && l.contains("another user of the pool already has this email")),
                "{mode} {user}: {}",
                run.stderr
            );
        }
    }
    // Without reading the pool the rail cannot see owners: said, not silent.
    let run = cognito_bulk(
        &moto.url(),
        &[
            "apply",
            input,
            "--user-pool-id",
            &pool,
            "--current-state",
            "none",
        ],
        None,
    )
    .await;
    assert!(
        run.stderr.contains("the alias rail (AliasExists)"),
        "{run:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_dry_run_messages_name_the_plan_a_rollback_would_write() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    create_user(&c, &pool, "u0", &[("custom:tier", "free")]).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.csv");
    std::fs::write(&input, "username,custom:tier\nu0,pro\n").unwrap();
    let input = input.to_str().unwrap();
    assert_eq!(
        cognito_bulk(
            &moto.url(),
            &["apply", input, "--user-pool-id", &pool],
            None
        )
        .await
        .code,
        0
    );
    // Someone else changes u0 since: the dry run reports a conflict, naming a plan.
    c.admin_update_user_attributes()
        .user_pool_id(&pool)
        .username("u0")
        .user_attributes(
            aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
                .name("custom:tier")
                .value("gold")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let journal = format!("{input}.journal");
    let run = cognito_bulk(&moto.url(), &["rollback", &journal, "--dry-run"], None).await;
    assert_eq!(run.code, 1, "{run:?}");
    let shown = format!("{journal}.rollback.plan (dry run, not written):2:");
    assert!(run.stderr.contains(&shown), "{run:?}");
    assert!(!run.stderr.contains(".rollback.plan."), "{run:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_failed_run_that_fixed_every_failure_reports_no_failed_rows_file() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    create_user(&c, &pool, "u0", &[("custom:tier", "free")]).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.csv");
    std::fs::write(&input, "username,custom:tier\nu0,pro\nghost,pro\n").unwrap();
    let input = input.to_str().unwrap();
    let args = ["apply", input, "--user-pool-id", &pool];
    let run = cognito_bulk(&moto.url(), &args, None).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("failed and invalid rows:"), "{run:?}");
    create_user(&c, &pool, "ghost", &[("custom:tier", "free")]).await;
    let mut retry = args.to_vec();
    retry.push("--retry-failed");
    let run = cognito_bulk(&moto.url(), &retry, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains("failed and invalid rows:"), "{run:?}");
    let report = read_report(std::path::Path::new(&format!("{input}.report.json")));
    assert!(report["failed_rows_file"].is_null(), "{report}");
}

#[test]
fn a_template_error_never_quotes_a_value_computed_from_an_attribute() {
    use cognito_bulk::rows::template::{Computed, Rules, Subject};
    let sets = vec![
        "custom:x={{ custom.n | int * 2 * 170141183460469231731687303715884105727 }}".to_string(),
    ];
    let rules = Rules::parse(&sets, None, false).unwrap();
    let attrs: std::collections::BTreeMap<String, String> =
        [("custom:n".to_string(), "1701411834604692317".to_string())].into();
    let computed = rules.evaluator().eval(&Subject {
        username: "u",
        attrs: &attrs,
        row: None,
    });
    let Computed::Failed(failures) = computed else {
        panic!("{computed:?}");
    };
    let message = &failures[0].1;
    assert!(message.contains("unable to calculate"), "{message}");
    assert!(!message.contains("1701"), "{message}");
}
