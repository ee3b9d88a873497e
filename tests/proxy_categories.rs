//! The fault proxy meters operations by quota category as Cognito does: one token bucket per
//! category, shared by every operation of it, so that an empty UserUpdate bucket throttles
//! AdminAddUserToGroup as well as AdminUpdateUserAttributes and leaves AdminGetUser (UserRead)
//! alone. Stub mode (the proxy answers itself), and upstream mode in front of moto with the
//! built binary: the tool's report by category agrees with the proxy's count.

mod support;

use std::collections::{BTreeMap, HashMap};

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::retry::RetryConfig;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::AttributeType;
use support::proxy::{BucketConfig, Config, FaultProxy};
use support::{Moto, attributes, cognito_bulk, create_pool, create_user, read_report};

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

/// In front of moto, a UserRead bucket of 4 calls a second throttles the reads just before the
/// updates and nothing else: the run updates every user, its report counts the throttles
/// under UserRead as the proxy does, and the updates' category has none.
#[tokio::test(flavor = "multi_thread")]
async fn through_moto_a_read_quota_throttles_the_reads_alone() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    let n = 16;
    let mut csv = String::from("username,custom:tier\n");
    for i in 0..n {
        create_user(&c, &pool, &format!("u{i}"), &[("custom:tier", "free")]).await;
        csv.push_str(&format!("u{i},gold\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, csv).unwrap();
    let bucket = BucketConfig {
        rps: 4.0,
        burst: 1.0,
    };
    let config = Config {
        category_throttle: HashMap::from([("UserRead".to_string(), bucket)]),
        ..Config::default()
    };
    let proxy = FaultProxy::start(moto.addr, config).await;
    let args = [
        "apply",
        input.to_str().unwrap(),
        "--user-pool-id",
        &pool,
        "--rps",
        "100",
        "--read-rps",
        "100",
    ];
    let run = cognito_bulk(&proxy.url(), &args, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    for i in 0..n {
        let got = attributes(&c, &pool, &format!("u{i}")).await;
        assert_eq!(got["custom:tier"], "gold", "u{i}");
    }
    let stats = proxy.stats();
    let throttled = stats.throttled_by_category.get("UserRead").copied();
    assert!(throttled.is_some_and(|t| t > 0), "{stats:?}");
    assert_eq!(stats.throttled_by_category.len(), 1, "{stats:?}");
    let report = read_report(&dir.path().join("in.csv.report.json"));
    let category = |name: &str| {
        report["categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["category"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name}: {report}"))
    };
    assert_eq!(category("UserRead")["throttles"].as_u64(), throttled);
    assert_eq!(category("UserRead")["successes"], n as u64);
    assert_eq!(category("UserUpdate")["throttles"], 0);
    assert_eq!(category("UserUpdate")["successes"], n as u64);
    assert_eq!(
        report["throttled"], 0,
        "the rows' own calls were never throttled"
    );
    assert!(
        run.stdout.contains("UserRead: ") || run.stderr.contains("UserRead: "),
        "{run:?}"
    );
}
