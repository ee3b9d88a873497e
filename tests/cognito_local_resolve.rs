//! End to end on cognito-local, which models pools with email usernames (UUID usernames, the
//! email resolving as the `Username` of admin calls): a CSV keyed by the users' emails is
//! planned, applied and rolled back, including a row that changes the very email it is keyed by.

mod support;

use std::path::Path;

use aws_sdk_cognitoidentityprovider::types::UsernameAttributeType;
use support::cognito_local::{CognitoLocal, create_pool_with};
use support::create_user_named;
use support::*;

#[tokio::test(flavor = "multi_thread")]
async fn an_email_keyed_csv_plans_applies_and_rolls_back_in_an_email_username_pool() {
    let cl = CognitoLocal::start();
    let c = cl.client();
    let pool = create_pool_with(&c, |p| p.username_attributes(UsernameAttributeType::Email)).await;
    let mut users = Vec::new();
    for name in ["ann", "ben"] {
        let email = format!("{name}@old.example");
        let attrs = [("email", email.as_str()), ("email_verified", "true")];
        users.push(create_user_named(&c, &pool, &email, &attrs).await);
    }
    let (ann, ben) = (users[0].clone(), users[1].clone());
    assert_ne!(ann, "ann@old.example", "the pool gives UUID usernames");

    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("users.csv");
    // Ann's row changes the email it is keyed by; Ben's sets a nickname.
    std::fs::write(
        &input,
        "username,email,email_verified,nickname\n\
         ann@old.example,ann@new.example,true,\n\
         ben@old.example,,,benny\n",
    )
    .unwrap();
    let input = input.to_str().unwrap();
    let plan = format!("{input}.plan");

    let run = cognito_bulk(&cl.url(), &["plan", input, "--user-pool-id", &pool], None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains(&format!("ann@old.example (= {ann})")),
        "the preview shows the key beside the user: {}",
        run.stdout
    );
    let planned = std::fs::read_to_string(&plan).unwrap();
    assert!(
        planned.contains(&format!("\"username\":\"{ann}\"")),
        "{planned}"
    );
    assert!(planned.contains("\"sub\":"), "{planned}");

    let run = cognito_bulk(
        &cl.url(),
        &["apply", "--plan", &plan, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let report = read_report(Path::new(&format!("{plan}.report.json")));
    assert_eq!(report["updated"], 2, "{report}");
    assert_eq!(
        attributes(&c, &pool, &ann).await["email"],
        "ann@new.example"
    );
    assert_eq!(attributes(&c, &pool, &ben).await["nickname"], "benny");
    assert!(cl.deliveries().is_empty(), "the rows kept email_verified");

    // The journal names the users by username and sub: the rollback finds Ann, whose key
    // (the old email) names nobody now.
    let journal = format!("{plan}.journal");
    let run = cognito_bulk(&cl.url(), &["rollback", &journal, "--yes"], None).await;
    assert_eq!(run.code, 0, "{run:?}");
    let now = attributes(&c, &pool, &ann).await;
    assert_eq!(now["email"], "ann@old.example");
    assert_eq!(now["email_verified"], "true");
    assert!(!attributes(&c, &pool, &ben).await.contains_key("nickname"));
}
