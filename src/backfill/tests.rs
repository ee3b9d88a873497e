//! Computing rows in-process on the fake pool: what the schema refuses, before any user is read.

use super::*;
use crate::pool::fake::FakePool;
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
