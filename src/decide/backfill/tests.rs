//! Computing rows in-process on the fake pool: what the schema refuses, before any user is read.

use super::*;
use crate::cognito::fake::FakePool;
use crate::progress::Quiet;

/// Computes `--set` / `--where` against a fake pool of two users, the pool as input.
async fn compute_rule(set: &str, where_: Option<&str>) -> anyhow::Result<Computed> {
    let pool = FakePool::new(&[("tenant", true), ("origin", false)]);
    pool.add_user("u0", &[("email", "a@x.example"), ("custom:origin", "crm")]);
    pool.add_user("u1", &[("email", "b@y.example")]);
    // The groups a computed rule may name (a group the pool lacks is a setup error).
    for group in ["pro", "x.example", "y.example"] {
        pool.add_group(group);
    }
    let described = pool.describe().await.unwrap();
    let rules = Rules::parse(&[set.to_string()], where_, false).map_err(anyhow::Error::new)?;
    let io = InputOptions {
        format: Format::Jsonl,
        key_column: "username".into(),
        empty_cells: EmptyCells::Ignore,
        client_metadata: Default::default(),
        ops: Default::default(),
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
        ops: Default::default(),
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

/// A pool with a Google provider mapping `given_name`, one federated user and one ordinary.
fn federated_pool() -> FakePool {
    let pool = FakePool::new(&[("tenant", true)]);
    pool.add_provider("Google", &["given_name"]);
    let ann = [("given_name", "Ann"), ("email", "ann@g.example")];
    pool.add_federated_user("google_1", "Google", &ann);
    pool.add_user("u1", &[("given_name", "Uma"), ("email", "uma@x.example")]);
    pool
}

/// Decides the computed rows as `plan` does (the federated check included).
fn decide(computed: &Computed) -> crate::plan::summary::PlanSummary {
    let planner = crate::decide::all::planner(&computed.scanned, &computed.state, false, false);
    let stop = CancellationToken::new();
    crate::decide::all::decide_all(
        &computed.scanned,
        &computed.io,
        &planner,
        20,
        &Quiet,
        &stop,
        |_, _| Ok(()),
    )
    .unwrap()
}

/// A computed backfill that changes an attribute an identity provider maps, for a federated
/// user, is refused (`OverwrittenAtSignIn`) as a file's row is: with the pool as input, and
/// with an input joined by `--match` (read whole, or looked up with filters). Allowed, it is
/// planned and counted (so `apply --plan` needs the flag again).
#[tokio::test]
async fn a_backfill_of_a_mapped_attribute_of_a_federated_user_is_refused_unless_allowed() {
    let io = email_keyed_csv();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("names.csv");
    std::fs::write(
        &input,
        "email,given_name\nann@g.example,Annie\numa@x.example,Umi\n",
    )
    .unwrap();
    let set = Rules::parse(&["given_name={{ given_name }}!".into()], None, false).unwrap();
    for (rules, with_input, filtered) in [
        (Some(&set), false, false),
        (None, true, false),
        (None, true, true),
    ] {
        let pool = federated_pool();
        let described = pool.describe().await.unwrap();
        let spec = Spec {
            user_pool_id: "us-east-1_fake",
            pool: &described,
            rules,
            filter: None,
            match_attr: with_input.then_some("email"),
            input: with_input.then_some(input.as_path()),
            filtered,
            input_options: &io,
        };
        let case = format!(
            "rules {}, input {with_input}, filtered {filtered}",
            rules.is_some()
        );
        let stop = CancellationToken::new();
        let mut computed = compute(&pool, &spec, &Quiet, &stop).await.unwrap();
        let summary = decide(&computed);
        assert_eq!(
            (summary.to_change, summary.invalid),
            (1, 1),
            "{case}: {summary:?}"
        );
        assert!(
            summary
                .problems
                .iter()
                .any(|p| p.contains("writes given_name at every sign-in")
                    && p.contains("google_1")
                    && p.contains("--allow-overwritten-at-sign-in")),
            "{case}: {:?}",
            summary.problems
        );
        computed.state.federation.allow = true;
        let summary = decide(&computed);
        assert_eq!((summary.to_change, summary.invalid), (2, 0), "{case}");
        assert_eq!(summary.overwritten_at_sign_in, 1, "{case}");
    }
}

/// A denied ListIdentityProviders is said, and the rows go on without the check.
#[tokio::test]
async fn a_denied_list_of_identity_providers_is_said_and_the_rows_go_on_unchecked() {
    let io = email_keyed_csv();
    let set = Rules::parse(&["given_name={{ given_name }}!".into()], None, false).unwrap();
    let pool = crate::cognito::faults::Faulty::new(federated_pool());
    pool.fail(
        crate::cognito::api::Api::IdentityProviders,
        crate::cognito::faults::Fault::fatal("AccessDeniedException"),
        1,
    );
    let described = pool.describe().await.unwrap();
    let spec = Spec {
        user_pool_id: "us-east-1_fake",
        pool: &described,
        rules: Some(&set),
        filter: None,
        match_attr: None,
        input: None,
        filtered: false,
        input_options: &io,
    };
    let computed = compute(&pool, &spec, &Quiet, &CancellationToken::new())
        .await
        .unwrap();
    assert!(computed.state.federation.unknown.is_some());
    assert_eq!(decide(&computed).to_change, 2);
}

/// CSV rows keyed by email.
fn email_keyed_csv() -> InputOptions {
    InputOptions {
        format: Format::Csv,
        key_column: "email".into(),
        empty_cells: EmptyCells::Ignore,
        client_metadata: Default::default(),
        ops: Default::default(),
    }
}

/// The computed rows file carries `groups_add`, `groups_remove` and `enabled` as the JSONL
/// reader takes them (names as an array, `enabled` a boolean), beside the attributes.
#[tokio::test]
async fn computed_rows_carry_the_group_and_enabled_columns() {
    let lines = |c: &Computed| -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(&c.scanned.path).unwrap();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let c = compute_rule(
        "groups_add=pro {{ email | domain }}",
        Some("custom.origin is defined"),
    );
    let c = c.await.unwrap();
    let expected =
        serde_json::json!({"username": "u0", "attributes": {}, "groups_add": ["pro", "x.example"]});
    assert_eq!(lines(&c), [expected]);
    let c = compute_rule("enabled={{ custom.origin is not defined }}", None);
    let rows = lines(&c.await.unwrap());
    let enabled: Vec<_> = rows
        .iter()
        .map(|r| (&r["username"], &r["enabled"]))
        .collect();
    assert_eq!(
        enabled,
        [(&"u0".into(), &false.into()), (&"u1".into(), &true.into())]
    );
    // A template that renders neither true nor false: the row is invalid, naming the rule.
    let c = compute_rule("enabled={{ email }}", None).await.unwrap();
    assert_eq!(c.invalid, 2);
    assert!(
        c.problems[0].contains("--set enabled: renders neither true nor false"),
        "{:?}",
        c.problems
    );
}
