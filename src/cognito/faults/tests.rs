//! The fault wrapper on the fake pool: what reaches the pool, and what the caller gets.

use super::*;
use crate::cognito::ErrorKind;
use crate::cognito::fake::FakePool;

fn pool() -> Faulty<FakePool> {
    let fake = FakePool::new(&[("tier", true)]);
    fake.add_user("u0", &[("custom:tier", "free")]);
    Faulty::new(fake)
}

/// The update of u0's tier.
fn row(tier: &str) -> Call {
    Call::UpdateAttributes {
        username: "u0".into(),
        attributes: vec![("custom:tier".into(), Some(tier.into()))],
        client_metadata: Default::default(),
    }
}

#[tokio::test]
async fn a_scripted_answer_never_reaches_the_pool_and_the_rest_pass_through() {
    let pool = pool();
    pool.fail(Api::Update, Fault::throttle(), 2);
    for _ in 0..2 {
        let err = pool.send(&row("pro")).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Throttled);
    }
    assert!(
        pool.get_user("u0").await.unwrap().is_some(),
        "other calls pass"
    );
    pool.send(&row("pro")).await.unwrap();
    assert_eq!((pool.count(Api::Update), pool.injected()), (3, 2));
    assert_eq!(
        pool.inner().count(Api::Update),
        1,
        "only the third reached it"
    );
    assert_eq!(pool.inner().attributes("u0")["custom:tier"], "pro");
}

#[tokio::test]
async fn a_lost_answer_is_applied_and_its_outcome_unknown() {
    let pool = pool();
    pool.fail(Api::Update, Fault::reset_after(), 1);
    let err = pool.send(&row("pro")).await.unwrap_err();
    assert!(
        err.maybe_applied && err.code == "ConnectionError",
        "{err:?}"
    );
    assert_eq!(pool.inner().attributes("u0")["custom:tier"], "pro");
}

#[tokio::test]
async fn faults_start_at_the_nth_call_of_their_kind_and_any_call_matches_none() {
    let pool = pool();
    pool.fail_from(Api::Update, 2, Fault::fatal("NotAuthorizedException"), 1);
    pool.fail(None, Fault::internal_error(), 1);
    pool.get_user("u0").await.unwrap_err(); // the "any" rule, used up
    pool.send(&row("a")).await.unwrap();
    let err = pool.send(&row("b")).await.unwrap_err();
    assert_eq!(
        (err.kind, err.code.as_str()),
        (ErrorKind::Fatal, "NotAuthorizedException")
    );
    pool.send(&row("c")).await.unwrap();
}

#[tokio::test]
async fn a_quota_throttles_calls_beyond_its_burst() {
    let pool = pool();
    pool.quota(Api::Update, 0.001, 2.0);
    let mut throttled = 0;
    for _ in 0..5 {
        if let Err(e) = pool.send(&row("pro")).await {
            assert_eq!(e.code, "TooManyRequestsException");
            throttled += 1;
        }
    }
    assert_eq!((throttled, pool.injected()), (3, 3));
    assert!(
        pool.get_user("u0").await.is_ok(),
        "reads have no quota here"
    );
}
