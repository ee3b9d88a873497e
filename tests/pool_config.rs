//! Pool configurations on the in-process fake pool (`FakePool::configure`), which models from
//! the API reference what neither emulator has: messages only for `AutoVerifiedAttributes`,
//! pending changes (`AttributesRequireVerificationBeforeUpdate`), sign-in lockouts, E.164
//! phone numbers. The whole engine runs: prepare, decide, send, journal, report, rollback.

mod inprocess;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_cognitoidentityprovider::types::{
    UserAttributeUpdateSettingsType, UsernameAttributeType, VerifiedAttributeType,
};
use cognito_bulk::cognito::Pool;
use cognito_bulk::cognito::api::Api;
use cognito_bulk::cognito::fake::FakePool;
use cognito_bulk::cognito::faults::{Fault, Faulty};
use cognito_bulk::model::source::Source;
use cognito_bulk::plan::summary::PlanSummary;
use cognito_bulk::progress::Quiet;
use cognito_bulk::report::Report;
use cognito_bulk::rows::input::Format;
use cognito_bulk::send::{self, ApplyOptions, Preflight};
use tokio_util::sync::CancellationToken;

fn fake(users: usize) -> FakePool {
    let pool = FakePool::new(&[("tier", true)]);
    for i in 0..users {
        pool.add_user(
            &format!("u{i:03}"),
            &[
                ("email", &format!("u{i}@old.example")),
                ("email_verified", "true"),
                ("phone_number", &format!("+1555000{i:04}")),
                ("phone_number_verified", "true"),
            ],
        );
    }
    pool
}

fn options(input: &Path, dir: &Path) -> ApplyOptions {
    let mut opts = inprocess::options(input, dir);
    opts.concurrency = 4;
    opts.retry.max_transient_retries = 2;
    opts
}

async fn prepared<P: Pool>(pool: &P, opts: &mut ApplyOptions, allow: bool) -> send::Prepared {
    let overwrite = opts
        .preflight
        .as_ref()
        .is_some_and(|p| p.allow_overwritten_at_sign_in);
    opts.preflight = Some(Preflight {
        described: Some(pool.describe().await.unwrap()),
        current_state: Source::List,
        allow_verification_messages: allow,
        allow_overwritten_at_sign_in: overwrite,
        resend_pending: false,
    });
    send::prepare(pool, opts, &Quiet, &CancellationToken::new())
        .await
        .unwrap()
}

/// What the question would show (the preview apply asks with).
async fn preview<P: Pool>(pool: &P, mut opts: ApplyOptions, allow: bool) -> PlanSummary {
    let p = prepared(pool, &mut opts, allow).await;
    send::preview(&p, &opts, 20, &Quiet, &CancellationToken::new()).unwrap()
}

async fn run<P: Pool>(pool: &P, mut opts: ApplyOptions, allow: bool) -> Report {
    let p = prepared(pool, &mut opts, allow).await;
    let stop = CancellationToken::new();
    send::run(Arc::new(pool.clone()), opts, p, Arc::new(Quiet), stop)
        .await
        .unwrap()
}

fn csv(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("in.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// A pool that auto-verifies only email: a phone change sends no message, so it is neither
/// refused nor counted, in the preview (the question), the plan's count and the report.
#[tokio::test]
async fn a_phone_change_in_an_email_only_pool_is_no_message() {
    let pool = fake(3);
    let dir = tempfile::tempdir().unwrap();
    let input = csv(
        dir.path(),
        "username,phone_number\nu000,+15551000003\nu001,+15551000004\nu002,+15551000005\n",
    );
    let summary = preview(&pool, options(&input, dir.path()), false).await;
    assert_eq!(
        (summary.to_change, summary.invalid, summary.messages),
        (3, 0, 0)
    );
    let report = run(&pool, options(&input, dir.path()), false).await;
    assert_eq!((report.updated, report.invalid), (3, 0));
    assert_eq!((report.verification_messages, pool.messages()), (0, 0));
    assert_eq!(pool.attributes("u000")["phone_number"], "+15551000003");
    // The same pool's email change is a message: refused without the flag, counted with it.
    let input = dir.path().join("email.csv");
    std::fs::write(&input, "username,email\nu000,a@new.example\n").unwrap();
    let mut opts = options(&input, dir.path());
    opts.journal_path = Some(dir.path().join("email.journal"));
    let summary = preview(&pool, opts.clone(), false).await;
    assert_eq!(summary.invalid, 1);
    let summary = preview(&pool, opts, true).await;
    assert_eq!((summary.messages, summary.emails, summary.sms), (1, 1, 0));
}

/// A pool that auto-verifies phone numbers sends a text for a phone change: counted as SMS.
#[tokio::test]
async fn a_phone_change_in_a_phone_verifying_pool_is_a_text_message() {
    let pool = fake(1);
    pool.configure(|p| {
        p.auto_verified_attributes = Some(vec![VerifiedAttributeType::PhoneNumber]);
    });
    let dir = tempfile::tempdir().unwrap();
    let input = csv(dir.path(), "username,phone_number\nu000,+15551000003\n");
    let summary = preview(&pool, options(&input, dir.path()), true).await;
    assert_eq!((summary.messages, summary.emails, summary.sms), (1, 0, 1));
    let notes = summary.notes().join("\n");
    assert!(
        notes.contains("1 text messages through Amazon SNS"),
        "{notes}"
    );
    let report = run(&pool, options(&input, dir.path()), true).await;
    assert_eq!((report.verification_messages, pool.messages()), (1, 1));
}

/// Phone numbers not in E.164 are invalid rows, checked before any call.
#[tokio::test]
async fn phone_numbers_not_in_e164_are_invalid_before_any_call() {
    let pool = fake(3);
    let dir = tempfile::tempdir().unwrap();
    let input = csv(
        dir.path(),
        "username,phone_number\nu000,(555) 100-0003\nu001,+1 555 100 0023\nu002,+15551000005\n",
    );
    let summary = preview(&pool, options(&input, dir.path()), false).await;
    assert_eq!((summary.to_change, summary.invalid), (1, 2));
    assert!(
        summary.problems[0].contains("E.164"),
        "{:?}",
        summary.problems
    );
    let report = run(&pool, options(&input, dir.path()), false).await;
    assert_eq!((report.updated, report.invalid), (1, 2));
    assert_eq!(pool.count(Api::Update), 1);
    let failed = std::fs::read_to_string(dir.path().join("failed.csv")).unwrap();
    assert!(failed.contains("InvalidPhoneNumber"), "{failed}");
}

/// With AttributesRequireVerificationBeforeUpdate, an allowed unverified email change stays
/// pending: the plan counts it, the pool keeps the old address, the journal records it as
/// pending with the value the pool holds, and rollback restores nothing for it.
#[tokio::test]
async fn a_pending_email_change_is_journaled_as_pending_and_not_rolled_back() {
    let pool = fake(2);
    pool.configure(|p| {
        p.user_attribute_update_settings = Some(
            UserAttributeUpdateSettingsType::builder()
                .attributes_require_verification_before_update(VerifiedAttributeType::Email)
                .build(),
        );
    });
    let dir = tempfile::tempdir().unwrap();
    // u000: unverified change (pending); u001: sent with email_verified=true (immediate).
    let input = csv(
        dir.path(),
        "username,email,email_verified\nu000,a@new.example,\nu001,b@new.example,true\n",
    );
    let summary = preview(&pool, options(&input, dir.path()), true).await;
    assert_eq!(
        (summary.to_change, summary.pending, summary.messages),
        (2, 1, 1)
    );
    assert!(
        summary
            .notes()
            .join("\n")
            .contains("1 users' email or phone number changes will stay pending")
    );
    let report = run(&pool, options(&input, dir.path()), true).await;
    assert_eq!((report.updated, report.pending_changes), (2, 1));
    let u0 = pool.attributes("u000");
    assert_eq!(
        (u0["email"].as_str(), u0["email_verified"].as_str()),
        ("u0@old.example", "true")
    );
    assert_eq!(pool.pending("u000")["email"], "a@new.example");
    assert_eq!(pool.attributes("u001")["email"], "b@new.example");

    let journal = std::fs::read_to_string(dir.path().join("journal")).unwrap();
    let u0_entry: serde_json::Value = journal
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["user"] == "u000" && e["outcome"] == "updated")
        .expect("u000 journaled");
    assert_eq!(
        u0_entry["pending"],
        serde_json::json!({"email": "a@new.example"})
    );
    assert_eq!(u0_entry["after"]["email"], "u0@old.example", "{u0_entry}");
    assert!(
        u0_entry["after"].get("email_verified").is_none(),
        "{u0_entry}"
    );

    // Rollback restores u001 only: u000's address never changed.
    let plan = dir.path().join("rollback.plan");
    let users =
        cognito_bulk::rows::rollback::make_plan(&dir.path().join("journal"), &plan, false).unwrap();
    assert_eq!(users, 1);
    let mut opts = options(&plan, dir.path());
    opts.input_options.format = Format::Plan;
    opts.journal_path = Some(dir.path().join("rollback.journal"));
    opts.failed_path = dir.path().join("rollback.failed.jsonl");
    let report = run(&pool, opts, false).await;
    assert_eq!((report.updated, report.conflicts), (1, 0));
    assert_eq!(pool.attributes("u001")["email"], "u1@old.example");
    assert_eq!(pool.attributes("u000")["email"], "u0@old.example");
    assert_eq!(pool.messages(), 1, "only the pending change mailed a code");
}

/// In a pool whose users sign in with their email, an allowed unverified change locks the
/// user out until they verify: the question says how many, by name.
#[tokio::test]
async fn a_sign_in_email_changed_unverified_names_the_users_locked_out() {
    let pool = fake(3);
    pool.configure(|p| p.username_attributes = Some(vec![UsernameAttributeType::Email]));
    let dir = tempfile::tempdir().unwrap();
    let input = csv(
        dir.path(),
        "username,email,email_verified\nu000,a@new.example,\nu001,b@new.example,true\nu002,c@new.example,\n",
    );
    let summary = preview(&pool, options(&input, dir.path()), true).await;
    assert_eq!(summary.locked_out, ["u000", "u002"]);
    let notes = summary.notes().join("\n");
    assert!(
        notes.contains("2 users will be unable to sign in") && notes.contains("\"u000\", \"u002\""),
        "{notes}"
    );
}

/// Over the default email sender's daily limit, the plan says apply will refuse and names
/// the flag; through SES it names the SES quota instead. A custom message Lambda is noted.
#[tokio::test]
async fn the_message_budget_is_noted_by_sender() {
    let pool = fake(51);
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("username,email\n");
    for i in 0..51 {
        text.push_str(&format!("u{i:03},n{i}@new.example\n"));
    }
    let input = csv(dir.path(), &text);
    let summary = preview(&pool, options(&input, dir.path()), true).await;
    assert_eq!(summary.emails, 51);
    let notes = summary.notes().join("\n");
    assert!(
        notes.contains("delivers 50 a day") && notes.contains("--allow-over-email-limit"),
        "{notes}"
    );
    pool.configure(|p| {
        p.email_configuration = Some(
            aws_sdk_cognitoidentityprovider::types::EmailConfigurationType::builder()
                .email_sending_account(
                    aws_sdk_cognitoidentityprovider::types::EmailSendingAccountType::Developer,
                )
                .build(),
        );
        p.lambda_config = Some(
            aws_sdk_cognitoidentityprovider::types::LambdaConfigType::builder()
                .custom_message("arn:aws:lambda:us-east-1:1:function:cm")
                .build(),
        );
    });
    let notes = preview(&pool, options(&input, dir.path()), true)
        .await
        .notes()
        .join("\n");
    assert!(
        notes.contains("SES sending quota") && !notes.contains("--allow-over-email-limit"),
        "{notes}"
    );
    assert!(
        notes.contains("custom message Lambda") && notes.contains("51 times"),
        "{notes}"
    );
}

/// A federated user's attribute that an identity provider maps is rewritten at each sign-in:
/// changing it is refused (`OverwrittenAtSignIn`) unless allowed; other users and unmapped
/// attributes go through; a denied ListIdentityProviders is said and the run goes on.
#[tokio::test]
async fn a_federated_users_mapped_attribute_is_refused_unless_allowed() {
    let pool = fake(1);
    pool.add_provider("Google", &["email", "given_name"]);
    pool.add_federated_user(
        "google_1",
        "Google",
        &[("given_name", "Ann"), ("custom:tier", "free")],
    );
    let dir = tempfile::tempdir().unwrap();
    let input = csv(
        dir.path(),
        "username,given_name,custom:tier\ngoogle_1,Annie,pro\nu000,Uma,\n",
    );
    let summary = preview(&pool, options(&input, dir.path()), false).await;
    assert_eq!((summary.to_change, summary.invalid), (1, 1));
    assert_eq!(
        summary.overwritten_at_sign_in, 0,
        "a refused row needs no flag"
    );
    assert!(
        summary.problems[0].contains("writes given_name at every sign-in"),
        "{:?}",
        summary.problems
    );
    let report = run(&pool, options(&input, dir.path()), false).await;
    assert_eq!((report.updated, report.invalid), (1, 1));
    assert_eq!(report.failures_by_code["OverwrittenAtSignIn"], 1);
    assert_eq!(pool.attributes("google_1")["given_name"], "Ann");
    // Only the mapped attribute is refused: custom:tier alone goes through.
    let tier = dir.path().join("tier.csv");
    std::fs::write(&tier, "username,custom:tier\ngoogle_1,pro\n").unwrap();
    let mut opts = options(&tier, dir.path());
    opts.journal_path = Some(dir.path().join("tier.journal"));
    assert_eq!(run(&pool, opts, false).await.updated, 1);
    // The flag the message names sends it.
    let mut opts = options(&input, dir.path());
    opts.preflight = Some(Preflight {
        described: None,
        current_state: Source::List,
        allow_verification_messages: false,
        allow_overwritten_at_sign_in: true,
        resend_pending: false,
    });
    // Its plan counts the row, so that the printed `apply it with:` states the flag again.
    let summary = preview(&pool, opts.clone(), false).await;
    assert_eq!(summary.overwritten_at_sign_in, 1, "{summary:?}");
    let report = run(&pool, opts, false).await;
    assert_eq!(report.invalid, 0, "{report:?}");
    assert_eq!(pool.attributes("google_1")["given_name"], "Annie");
    // Denied: the run goes on without the check.
    let denied = fake(0);
    denied.add_provider("Google", &["given_name"]);
    denied.add_federated_user("google_2", "Google", &[("given_name", "Bo")]);
    let denied = Faulty::new(denied);
    denied.fail(
        Api::IdentityProviders,
        Fault::fatal("AccessDeniedException"),
        1,
    );
    let input = dir.path().join("denied.csv");
    std::fs::write(&input, "username,given_name\ngoogle_2,Bob\n").unwrap();
    let mut opts = options(&input, dir.path());
    opts.journal_path = Some(dir.path().join("denied.journal"));
    assert_eq!(run(&denied, opts, false).await.updated, 1);
}

/// A re-run of the same input does not send a pending change again (the user would get a
/// second code) unless `resend_pending` (`--resend-pending`).
#[tokio::test]
async fn a_rerun_does_not_mail_a_pending_change_again_unless_asked() {
    let pool = fake(1);
    pool.configure(|p| {
        p.user_attribute_update_settings = Some(
            UserAttributeUpdateSettingsType::builder()
                .attributes_require_verification_before_update(VerifiedAttributeType::Email)
                .build(),
        );
    });
    let dir = tempfile::tempdir().unwrap();
    let input = csv(dir.path(), "username,email\nu000,a@new.example\n");
    let report = run(&pool, options(&input, dir.path()), true).await;
    assert_eq!((report.pending_changes, pool.messages()), (1, 1));
    // The same command again (a new run: the first one finished): nothing is sent.
    let report = run(&pool, options(&input, dir.path()), true).await;
    assert_eq!((report.updated, report.unchanged), (0, 1), "{report:?}");
    assert_eq!(pool.messages(), 1, "not mailed again");
    // Asked: sent again, a second code.
    let mut opts = options(&input, dir.path());
    opts.preflight = Some(Preflight {
        described: None,
        current_state: Source::List,
        allow_verification_messages: true,
        allow_overwritten_at_sign_in: false,
        resend_pending: true,
    });
    let p = {
        let mut o = opts.clone();
        o.preflight.as_mut().unwrap().described = Some(pool.describe().await.unwrap());
        send::prepare(&pool, &o, &Quiet, &CancellationToken::new())
            .await
            .unwrap()
    };
    let report = send::run(
        Arc::new(pool.clone()),
        opts,
        p,
        Arc::new(Quiet),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(report.updated, 1, "{report:?}");
    assert_eq!(pool.messages(), 2);
}

/// A pending change is remembered across runs: the second run of the same command keeps the
/// first (finished) journal aside as `JOURNAL.old-TIMESTAMP`, and a third run still does not
/// mail the user again, since the pending changes of the kept journals count too.
#[tokio::test]
async fn a_pending_change_in_a_journal_kept_aside_is_not_mailed_again() {
    let pool = fake(1);
    pool.configure(|p| {
        p.user_attribute_update_settings = Some(
            UserAttributeUpdateSettingsType::builder()
                .attributes_require_verification_before_update(VerifiedAttributeType::Email)
                .build(),
        );
    });
    let dir = tempfile::tempdir().unwrap();
    let input = csv(dir.path(), "username,email\nu000,a@new.example\n");
    let report = run(&pool, options(&input, dir.path()), true).await;
    assert_eq!((report.pending_changes, pool.messages()), (1, 1));
    for run_no in 2..=3 {
        let report = run(&pool, options(&input, dir.path()), true).await;
        assert_eq!((report.updated, report.unchanged), (0, 1), "run {run_no}");
        assert_eq!(pool.messages(), 1, "run {run_no}: not mailed again");
    }
    let kept = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().starts_with("journal.old-")
        })
        .count();
    assert_eq!(kept, 2, "both earlier journals kept aside");
}
