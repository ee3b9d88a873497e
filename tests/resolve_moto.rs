//! End to end on moto: keys resolved as Cognito resolves them, where moto does not. moto gives
//! an email-username pool UUID usernames but resolves an email `Username` only in the exact
//! case stored; Cognito compares emails without regard to case. The tool resolves the key
//! itself and sends the real username, so it is right on both.

mod support;

use std::path::Path;

use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, MessageActionType, UsernameAttributeType, UsernameConfigurationType,
};
use support::*;

/// Creates a user and returns the username the pool gave it.
async fn create(
    c: &aws_sdk_cognitoidentityprovider::Client,
    pool: &str,
    key: &str,
    email: &str,
) -> String {
    let email = AttributeType::builder()
        .name("email")
        .value(email)
        .build()
        .unwrap();
    c.admin_create_user()
        .user_pool_id(pool)
        .username(key)
        .user_attributes(email)
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap()
        .user
        .unwrap()
        .username
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_email_keyed_csv_works_with_the_default_list_mode() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = c
        .create_user_pool()
        .pool_name("amplify-like")
        .username_attributes(UsernameAttributeType::Email)
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap();
    let ann = create(&c, &pool, "Ann@Old.example", "Ann@Old.example").await;
    let ben = create(&c, &pool, "ben@old.example", "ben@old.example").await;
    assert_ne!(ann, "Ann@Old.example", "UUID usernames");

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("users.csv");
    // Ann's email in another case than stored: Cognito resolves it, moto would not.
    std::fs::write(
        &input,
        "username,nickname\nann@old.example,annie\nben@old.example,benny\n",
    )
    .unwrap();
    let input = input.to_str().unwrap();
    let run = cognito_bulk(
        &moto.url(),
        &confirmed(&["apply", input, "--user-pool-id", &pool]),
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let report = read_report(Path::new(&format!("{input}.report.json")));
    assert_eq!(
        (report["updated"].as_u64(), report["failed"].as_u64()),
        (Some(2), Some(0)),
        "{report}"
    );
    assert_eq!(attributes(&c, &pool, &ann).await["nickname"], "annie");
    assert_eq!(attributes(&c, &pool, &ben).await["nickname"], "benny");
    let journal = std::fs::read_to_string(format!("{input}.journal")).unwrap();
    assert!(
        journal.contains(&format!("\"username\":\"{ann}\"")),
        "{journal}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn username_case_follows_the_pools_setting() {
    let moto = Moto::start();
    let c = moto.client();
    for (sensitive, updated) in [(true, 0), (false, 1)] {
        let config = UsernameConfigurationType::builder()
            .case_sensitive(sensitive)
            .build()
            .unwrap();
        let pool = c
            .create_user_pool()
            .pool_name("p")
            .username_configuration(config)
            .send()
            .await
            .unwrap()
            .user_pool
            .unwrap()
            .id
            .unwrap();
        create_user(&c, &pool, "Carol", &[]).await;
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("users.csv");
        std::fs::write(&input, "username,nickname\nCAROL,cc\n").unwrap();
        let input = input.to_str().unwrap();
        let run = cognito_bulk(
            &moto.url(),
            &confirmed(&["apply", input, "--user-pool-id", &pool]),
            None,
        )
        .await;
        let report = read_report(Path::new(&format!("{input}.report.json")));
        assert_eq!(
            report["updated"].as_u64(),
            Some(updated),
            "{sensitive}: {run:?}"
        );
        if sensitive {
            // A case-sensitive pool: CAROL is nobody, and nothing was sent.
            assert_eq!(run.code, 1);
            assert!(run.stderr.contains("CAROL"), "{}", run.stderr);
            assert!(
                !attributes(&c, &pool, "Carol")
                    .await
                    .contains_key("nickname")
            );
        } else {
            assert_eq!(attributes(&c, &pool, "Carol").await["nickname"], "cc");
        }
    }
}
