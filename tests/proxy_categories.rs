//! The fault proxy meters operations by quota category as Cognito does: one token bucket per
//! category, shared by every operation of it, so that an empty UserUpdate bucket throttles
//! AdminAddUserToGroup as well as AdminUpdateUserAttributes and leaves AdminGetUser (UserRead)
//! alone. Stub mode: no moto, the proxy answers itself.

mod support;

use std::collections::{BTreeMap, HashMap};

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::retry::RetryConfig;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::AttributeType;
use support::proxy::{BucketConfig, Config, FaultProxy};

const POOL: &str = "us-east-1_stub";

/// A client that never retries: each throttle the proxy answers is seen once.
fn client(url: &str) -> Client {
    let config = aws_sdk_cognitoidentityprovider::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .retry_config(RetryConfig::disabled())
        .endpoint_url(url)
        .build();
    Client::from_conf(config)
}

/// The error code of a call's answer, or None when it succeeded.
fn code<T, E: ProvideErrorMetadata>(answer: Result<T, E>) -> Option<String> {
    answer.err().and_then(|e| e.code().map(str::to_string))
}

#[tokio::test]
async fn operations_of_a_category_share_its_bucket_and_other_categories_keep_theirs() {
    // Three UserUpdate calls in the bucket, refilled once in a thousand seconds.
    let bucket = BucketConfig {
        rps: 0.001,
        burst: 3.0,
    };
    let config = Config {
        stub: true,
        category_throttle: HashMap::from([("UserUpdate".to_string(), bucket)]),
        ..Config::default()
    };
    let proxy = FaultProxy::start("127.0.0.1:9".parse().unwrap(), config).await;
    let c = client(&proxy.url());
    let mut codes = Vec::new();
    for user in ["a", "b"] {
        let nickname = AttributeType::builder()
            .name("nickname")
            .value("x")
            .build()
            .unwrap();
        let update = c
            .admin_update_user_attributes()
            .user_pool_id(POOL)
            .username(user)
            .user_attributes(nickname)
            .send()
            .await;
        codes.push(code(update));
        let add = c
            .admin_add_user_to_group()
            .user_pool_id(POOL)
            .username(user)
            .group_name("pro")
            .send()
            .await;
        codes.push(code(add));
    }
    let throttle = Some("TooManyRequestsException".to_string());
    // Two operations, one bucket: the fourth call finds it empty.
    assert_eq!(codes, [None, None, None, throttle]);
    // UserRead has a bucket of its own (none configured): every read goes through while
    // UserUpdate's is empty.
    for i in 0..20 {
        let read = c
            .admin_get_user()
            .user_pool_id(POOL)
            .username(format!("u{i}"))
            .send()
            .await;
        assert_eq!(code(read), None, "read {i}");
    }
    let stats = proxy.stats();
    assert_eq!(
        stats.throttled_by_category,
        BTreeMap::from([("UserUpdate".to_string(), 1)])
    );
    assert_eq!(stats.received_by_category["UserUpdate"], 4);
    assert_eq!(stats.received_by_category["UserRead"], 20);
    assert_eq!(stats.injected["throttle"], 1);
}

#[tokio::test]
async fn the_stub_answers_a_read_of_an_absent_user_as_cognito_does() {
    let config = Config {
        stub: true,
        ..Config::default()
    };
    let proxy = FaultProxy::start("127.0.0.1:9".parse().unwrap(), config).await;
    let c = client(&proxy.url());
    let found = c
        .admin_get_user()
        .user_pool_id(POOL)
        .username("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(found.username(), "alice");
    let absent = c
        .admin_get_user()
        .user_pool_id(POOL)
        .username("absent-bob")
        .send()
        .await;
    assert_eq!(code(absent).as_deref(), Some("UserNotFoundException"));
}
