//! Computing rows in-process on the fake pool: what the schema refuses, before any user is read.

use super::*;
use crate::cognito::fake::FakePool;
use crate::progress::Quiet;

/// Computes `--set` / `--where` against a fake pool of two users, the pool as input.
async fn compute_rule(set: &str, where_: Option<&str>) -> anyhow::Result<Computed> {
    let pool = FakePool::new(&[("tenant", true), ("origin", false)]);
    pool.add_user("u0", &[("email", "a@x.example"), ("custom:origin", "crm")]);
    pool.add_user("u1", &[("email", "b@y.example")]);
    let described = pool.describe().await.unwrap();
    let rules = Rules::parse(&[set.to_string()], where_, false).map_err(anyhow::Error::new)?;
    let io = InputOptions {
        format: Format::Jsonl,
        key_column: "username".into(),
        empty_cells: EmptyCells::Ignore,
        client_metadata: Default::default(),
    };
    let spec = Spec {
        user_pool_id: "us-east-1_fake",
        pool: &described,
        rules: Some(&rules),
        filter: None,
        match_attr: None,
        input: None,
        filtered: false,
        input_options: &io,
    };
    compute(&pool, &spec, &Quiet, &CancellationToken::new()).await
}

#[tokio::test]
async fn rules_the_schema_refuses_stop_before_any_user_is_read() {
    let err = |r: anyhow::Result<Computed>| r.err().map(|e| e.to_string()).unwrap_or_default();
    let e = err(compute_rule("custom:origin={{ email | domain }}", None).await);
    assert!(
        e.contains("--set custom:origin: user pool us-east-1_fake makes custom:origin immutable"),
        "{e}"
    );
    let e = err(compute_rule("custom:tenant=x", Some("custom.tenatn is not defined")).await);
    assert!(
        e.contains("--where: custom:tenatn: user pool us-east-1_fake does not define"),
        "{e}"
    );
    // The same rule spelled right computes a row per user.
    let computed = compute_rule(
        "custom:tenant={{ email | domain }}",
        Some("custom.tenant is not defined"),
    )
    .await
    .unwrap();
    assert_eq!((computed.scanned.scan.rows, computed.invalid), (2, 0));
}

/// An input keyed by email joined to an email-username pool (no `--match`): its keys name
/// users as Cognito resolves them; a case-sensitive pool's username only in its own case.
#[tokio::test]
async fn input_keys_name_users_as_cognito_resolves_them() {
    let pool = FakePool::new(&[("tenant", true)]);
    pool.sign_in(&["email"], &[], true);
    pool.add_user("5f1d-uuid", &[("sub", "s-1"), ("email", "Ana@Example.com")]);
    pool.add_user("Carol", &[("sub", "s-2")]);
    let described = pool.describe().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("crm.csv");
    std::fs::write(&input, "username,t\nana@example.com,a\nCAROL,c\nCarol,c\n").unwrap();
    let rules = Rules::parse(&["custom:tenant={{ row.t }}".into()], None, false).unwrap();
    let io = InputOptions {
        format: Format::Csv,
        key_column: "username".into(),
        empty_cells: EmptyCells::Ignore,
        client_metadata: Default::default(),
    };
    let spec = Spec {
        user_pool_id: "us-east-1_fake",
        pool: &described,
        rules: Some(&rules),
        filter: None,
        match_attr: None,
        input: Some(&input),
        filtered: false,
        input_options: &io,
    };
    let computed = compute(&pool, &spec, &Quiet, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(
        (computed.not_found, computed.invalid),
        (1, 0),
        "{:?}",
        computed.problems
    );
    let rows = std::fs::read_to_string(&computed.scanned.path).unwrap();
    assert!(rows.contains("\"username\":\"5f1d-uuid\""), "{rows}");
    assert!(rows.contains("\"username\":\"Carol\""), "{rows}");
    let left_out = std::fs::read_to_string(&computed.left_out).unwrap();
    assert!(left_out.contains("\"user\":\"CAROL\""), "{left_out}");
}
