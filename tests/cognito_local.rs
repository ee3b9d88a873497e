//! End-to-end tests against cognito-local, the second emulator: what it models that moto does
//! not (pools with email usernames, the verification codes Cognito delivers). Each test counts
//! the messages a run caused from the emulator's log. See docs/EMULATORS.md for what it gets
//! wrong; these tests assert what Cognito does.

mod support;

use std::path::Path;

use aws_sdk_cognitoidentityprovider::types::{UsernameAttributeType, VerifiedAttributeType};
use support::cognito_local::{CognitoLocal, create_pool_with, parse_deliveries};
use support::create_user_named;
use support::*;

/// A pool made the way Amplify and the console make one: people sign in with their email,
/// usernames are UUIDs, and a changed email is verified by a code.
async fn email_pool(c: &aws_sdk_cognitoidentityprovider::Client) -> String {
    create_pool_with(c, |p| {
        p.username_attributes(UsernameAttributeType::Email)
            .auto_verified_attributes(VerifiedAttributeType::Email)
    })
    .await
}

#[test]
fn the_log_reader_finds_code_delivery_boxes() {
    let log = "\u{1b}[32mINFO\u{1b}[39m: \u{1b}[36mabc AdminUpdateUserAttributes ╭────╮\n\
               │                       │\n\
               │   Confirmation Code Delivery   │\n\
               │   Username:    74a3-uuid   │\n\
               │   Destination: a@x.com     │\n\
               │   Code:        621474      │\n\
               ╰──────╯\u{1b}[39m {\"reqId\":\"abc\"}\nother line\n";
    let found = parse_deliveries(log);
    assert_eq!(found.len(), 1);
    assert_eq!(
        (
            found[0].username.as_str(),
            found[0].destination.as_str(),
            found[0].code.as_str()
        ),
        ("74a3-uuid", "a@x.com", "621474")
    );
}

/// In an email-username pool, an allowed email change delivers exactly the codes the report
/// counts, and a row that carries `email_verified=true` delivers none.
#[tokio::test(flavor = "multi_thread")]
async fn email_username_pool_delivers_the_codes_the_report_counts() {
    let cl = CognitoLocal::start();
    let c = cl.client();
    let pool = email_pool(&c).await;
    let verified = [("email_verified", "true")];
    let ann = create_user_named(
        &c,
        &pool,
        "ann@old.example",
        &[&[("email", "ann@old.example")][..], &verified].concat(),
    )
    .await;
    let ben = create_user_named(
        &c,
        &pool,
        "ben@old.example",
        &[&[("email", "ben@old.example")][..], &verified].concat(),
    )
    .await;
    assert_ne!(ann, "ann@old.example", "the pool gives UUID usernames");
    assert!(cl.deliveries().is_empty());

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("users.csv");
    std::fs::write(
        &input,
        format!(
            "username,email,email_verified\n{ann},ann@new.example,\n{ben},ben@new.example,true\n"
        ),
    )
    .unwrap();
    let input = input.to_str().unwrap();
    let run = cognito_bulk(
        &cl.url(),
        &[
            "apply",
            input,
            "--user-pool-id",
            &pool,
            "--allow-verification-messages",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let report = read_report(Path::new(&format!("{input}.report.json")));
    let delivered = cl.deliveries();
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    assert_eq!(delivered[0].username, ann);
    assert_eq!(report["verification_messages"], 1);
    assert_eq!(
        attributes(&c, &pool, &ben).await["email"],
        "ben@new.example"
    );
}
