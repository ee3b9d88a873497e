//! End to end, pool configurations on the emulators: messages that follow the pool's
//! `AutoVerifiedAttributes` (counted from cognito-local's deliveries), sign-in lockouts in an
//! email-username pool, and the default email sender's daily limit (refused, then the advice
//! followed). What neither emulator models is tested on the fake pool (`tests/pool_config.rs`).

mod support;

use std::path::Path;

use aws_sdk_cognitoidentityprovider::types::{UsernameAttributeType, VerifiedAttributeType};
use support::cognito_local::{CognitoLocal, create_pool_with};
use support::create_user_named;
use support::*;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// A pool that verifies nothing by message: an email change is neither refused nor counted,
/// and cognito-local delivers nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_pool_that_auto_verifies_nothing_sends_and_counts_no_message() {
    let cl = CognitoLocal::start();
    let c = cl.client();
    let pool = create_pool_with(&c, |p| p).await;
    create_user_named(&c, &pool, "ann", &[("email", "ann@old.example")]).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "u.csv", "username,email\nann,ann@new.example\n");
    let run = cognito_bulk(&cl.url(), &["plan", &input, "--user-pool-id", &pool], None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("0 users will receive a verification message"),
        "{}",
        run.stdout
    );
    let run = cognito_bulk(&cl.url(), &["apply", &input, "--user-pool-id", &pool], None).await;
    assert_eq!(run.code, 0, "{run:?}");
    let report = read_report(Path::new(&format!("{input}.report.json")));
    assert_eq!(report["verification_messages"], 0);
    assert!(cl.deliveries().is_empty(), "{:?}", cl.deliveries());
    assert_eq!(
        attributes(&c, &pool, "ann").await["email"],
        "ann@new.example"
    );
}

/// An email-username pool: the plan names the users an unverified change locks out, and the
/// messages it counts are the codes cognito-local delivers.
#[tokio::test(flavor = "multi_thread")]
async fn an_email_username_pool_names_lockouts_and_counts_the_codes_delivered() {
    let cl = CognitoLocal::start();
    let c = cl.client();
    let pool = create_pool_with(&c, |p| {
        p.username_attributes(UsernameAttributeType::Email)
            .auto_verified_attributes(VerifiedAttributeType::Email)
    })
    .await;
    let attrs = |e: &'static str| [("email", e), ("email_verified", "true")];
    let ann = create_user_named(&c, &pool, "ann@old.example", &attrs("ann@old.example")).await;
    let ben = create_user_named(&c, &pool, "ben@old.example", &attrs("ben@old.example")).await;
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "u.csv",
        &format!(
            "username,email,email_verified\n{ann},ann@new.example,\n{ben},ben@new.example,true\n"
        ),
    );
    let plan = cognito_bulk(
        &cl.url(),
        &[
            "plan",
            &input,
            "--user-pool-id",
            &pool,
            "--allow-verification-messages",
        ],
        None,
    )
    .await;
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stdout
            .contains("1 users will receive a verification message"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("1 users will be unable to sign in") && plan.stdout.contains(&ann),
        "{}",
        plan.stdout
    );
    let run = cognito_bulk(
        &cl.url(),
        &[
            "apply",
            "--plan",
            &format!("{input}.plan"),
            "--user-pool-id",
            &pool,
            // An allowance acts only where the command line states it too.
            "--allow-verification-messages",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let delivered = cl.deliveries();
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    assert_eq!(delivered[0].username, ann);
}

/// Over the default email sender's daily limit (50), apply is refused before any write with
/// the flag to pass; passing it sends every row.
#[tokio::test(flavor = "multi_thread")]
async fn over_the_default_senders_daily_limit_apply_refuses_until_allowed() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    let mut text = String::from("username,email\n");
    for i in 0..51 {
        let u = format!("u{i:02}");
        create_user(&c, &pool, &u, &[("email", &format!("{u}@old.example"))]).await;
        text.push_str(&format!("{u},{u}@new.example\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "u.csv", &text);
    let args = [
        "apply",
        &input,
        "--user-pool-id",
        &pool,
        "--allow-verification-messages",
    ];
    let run = cognito_bulk(&moto.url(), &args, None).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("51 emails") && run.stderr.contains("--allow-over-email-limit"),
        "{}",
        run.stderr
    );
    assert_eq!(
        attributes(&c, &pool, "u00").await["email"],
        "u00@old.example",
        "nothing written"
    );
    let mut allowed = args.to_vec();
    allowed.push("--allow-over-email-limit");
    let run = cognito_bulk(&moto.url(), &allowed, None).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("51 updated"), "{}", run.stdout);
    assert_eq!(
        attributes(&c, &pool, "u50").await["email"],
        "u50@new.example"
    );
}

/// A plan over the default sender's daily limit, made with the allowances it needs: the
/// printed "apply it with:" command states them all, and runs exactly as printed.
#[tokio::test(flavor = "multi_thread")]
async fn a_plan_over_the_email_limit_prints_a_command_that_applies_it() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    let mut text = String::from("username,email\n");
    for i in 0..55 {
        let u = format!("u{i:02}");
        create_user(&c, &pool, &u, &[("email", &format!("{u}@old.example"))]).await;
        text.push_str(&format!("{u},{u}@new.example\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "lim5.csv", &text);
    let plan = dir.path().join("lim7.plan");
    let run = cognito_bulk(
        &moto.url(),
        &[
            "plan",
            &input,
            "--user-pool-id",
            &pool,
            "--allow-verification-messages",
            "--allow-over-email-limit",
            "--out",
            plan.to_str().unwrap(),
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let advice = run
        .stdout
        .lines()
        .find_map(|l| l.split_once("apply it with: ").map(|(_, c)| c.to_string()))
        .expect("advice printed");
    let words = shlex::split(&advice).expect("a command line");
    assert_eq!(words[..2], ["cognito-bulk", "apply"], "{advice}");
    for flag in ["--allow-verification-messages", "--allow-over-email-limit"] {
        assert!(words.iter().any(|w| w == flag), "{advice}");
    }
    let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    let run = cognito_bulk_as_printed(&args).await;
    assert_eq!(run.code, 0, "the printed command applies the plan: {run:?}");
    assert!(run.stdout.contains("55 updated"), "{}", run.stdout);
    assert_eq!(
        attributes(&c, &pool, "u54").await["email"],
        "u54@new.example"
    );
}
