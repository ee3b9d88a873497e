//! Users resolved as Cognito resolves the `Username` of an admin call (username, `sub`, or an
//! alias the pool's sign-in settings allow; case per `UsernameConfiguration`), on the
//! in-process fake pool, which models those settings from the API reference: every mode
//! (`list`, `get`), the plan and the journal (real username and sub beside the row's key),
//! duplicates across keys, ambiguous keys, and rollback by sub.

mod inprocess;

use std::path::{Path, PathBuf};

use cognito_bulk::cognito::Pool;
use cognito_bulk::cognito::api::Api;
use cognito_bulk::cognito::fake::FakePool;
use cognito_bulk::cognito::faults::{Fault, Faulty};
use cognito_bulk::model::source::Source;
use cognito_bulk::progress::Quiet;
use cognito_bulk::report::Report;
use cognito_bulk::rows::input::Format;
use cognito_bulk::send::{self, ApplyOptions, Preflight};
use tokio_util::sync::CancellationToken;

const ANA: &str = "5f1d7c2e-8a4b-4c3d-9e2f-0123456789ab";
const BEN: &str = "0b6e3a1d-2c4f-4e5a-8b7c-9d0e1f2a3b4c";

/// A pool made the way Amplify and the console make one: email usernames (UUIDs), usernames
/// case-insensitive.
fn email_pool() -> FakePool {
    let pool = FakePool::new(&[("tier", true)]);
    pool.sign_in(&["email"], &[], false);
    for (user, sub, email) in [
        (ANA, "sub-ana", "ana@example.com"),
        (BEN, "sub-ben", "ben@example.com"),
    ] {
        pool.add_user(
            user,
            &[
                ("sub", sub),
                ("email", email),
                ("email_verified", "true"),
                ("custom:tier", "free"),
            ],
        );
    }
    pool
}

fn options(input: &Path, dir: &Path) -> ApplyOptions {
    let mut opts = inprocess::options(input, dir);
    opts.concurrency = 4;
    opts.retry.max_transient_retries = 2;
    opts.max_failure_rate = 1.0;
    opts
}

async fn run_with<P: Pool>(pool: &P, mut opts: ApplyOptions, source: Source) -> Report {
    opts.preflight = Some(inprocess::preflight(pool, source, false).await);
    inprocess::run_prepared(pool, opts).await
}

fn csv(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("in.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// The journal's outcomes (the intents written before each call left out).
fn journal(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("journal"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["outcome"] != "intent")
        .collect()
}

/// The usernames AdminUpdateUserAttributes was called with.
fn updates(pool: &FakePool) -> Vec<String> {
    let calls = pool.calls().into_iter();
    let mut sent: Vec<String> = calls
        .filter(|(call, _)| *call == Api::Update)
        .map(|(_, u)| u)
        .collect();
    sent.sort();
    sent
}

/// Rolls back the run recorded in `dir/journal` as `rollback` does: its plan, applied.
async fn rollback(pool: &FakePool, dir: &Path) -> Report {
    let plan = dir.join("rollback.plan");
    cognito_bulk::rows::rollback::make_plan(&dir.join("journal"), &plan, false).unwrap();
    let mut opts = options(&plan, dir);
    opts.input_options.format = Format::Plan;
    opts.journal_path = Some(dir.join("rollback.journal"));
    opts.failed_path = dir.join("rollback.failed.jsonl");
    run_with(pool, opts, Source::List).await
}

#[tokio::test]
async fn an_email_keyed_csv_resolves_in_every_mode_and_is_sent_to_the_real_username() {
    for source in [Source::List, Source::Get] {
        let pool = email_pool();
        let dir = tempfile::tempdir().unwrap();
        // Emails compare case-insensitively; the sub names a user too.
        let input = csv(
            dir.path(),
            "username,custom:tier\nANA@Example.com,pro\nsub-ben,pro\n",
        );
        let report = run_with(&pool, options(&input, dir.path()), source).await;
        assert_eq!((report.updated, report.failed), (2, 0), "{source:?}");
        let mut both = [ANA, BEN];
        both.sort();
        assert_eq!(updates(&pool), both, "{source:?}: the real usernames");
        let entries = journal(dir.path());
        assert_eq!(
            entries[0]["user"], "ANA@Example.com",
            "the key the row used"
        );
        assert_eq!(entries[0]["username"], ANA);
        assert_eq!(entries[0]["sub"], "sub-ana");
        assert_eq!(pool.attributes(ANA)["custom:tier"], "pro");
    }
}

#[tokio::test]
async fn a_run_that_changes_the_email_it_was_keyed_by_rolls_back() {
    let pool = email_pool();
    let dir = tempfile::tempdir().unwrap();
    let input = csv(
        dir.path(),
        "username,email,email_verified\nana@example.com,ana@new.example,true\n",
    );
    let report = run_with(&pool, options(&input, dir.path()), Source::List).await;
    assert_eq!(report.updated, 1);
    assert_eq!(pool.attributes(ANA)["email"], "ana@new.example");
    // The key (the old email) names nobody now; rollback finds the user by sub.
    let back = rollback(&pool, dir.path()).await;
    assert_eq!((back.updated, back.conflicts, back.failed), (1, 0, 0));
    assert_eq!(pool.attributes(ANA)["email"], "ana@example.com");
}

#[tokio::test]
async fn rollback_leaves_a_user_deleted_and_made_again_under_the_same_name_alone() {
    let pool = FakePool::new(&[("tier", true)]);
    pool.add_user("carol", &[("sub", "sub-1"), ("custom:tier", "free")]);
    let dir = tempfile::tempdir().unwrap();
    let input = csv(dir.path(), "username,custom:tier\ncarol,pro\n");
    assert_eq!(
        run_with(&pool, options(&input, dir.path()), Source::List)
            .await
            .updated,
        1
    );
    pool.delete_user("carol");
    pool.add_user("carol", &[("sub", "sub-2"), ("custom:tier", "pro")]);
    let back = rollback(&pool, dir.path()).await;
    assert_eq!((back.updated, back.conflicts), (0, 1));
    assert_eq!(
        pool.attributes("carol")["custom:tier"],
        "pro",
        "not a target"
    );
}

#[tokio::test]
async fn a_case_sensitive_pool_does_not_take_carol_for_carol() {
    let pool = FakePool::new(&[("tier", true)]);
    pool.sign_in(&[], &[], true);
    pool.add_user("Carol", &[("sub", "sub-c"), ("custom:tier", "free")]);
    for source in [Source::List, Source::Get] {
        let dir = tempfile::tempdir().unwrap();
        let input = csv(dir.path(), "username,custom:tier\nCAROL,pro\n");
        let report = run_with(&pool, options(&input, dir.path()), source).await;
        assert_eq!((report.updated, report.failed), (0, 1), "{source:?}");
        assert_eq!(report.failures_by_code["UserNotFoundException"], 1);
    }
    assert!(updates(&pool).is_empty(), "nothing sent");
    // The same pool case-insensitive: CAROL is Carol.
    pool.sign_in(&[], &[], false);
    let dir = tempfile::tempdir().unwrap();
    let input = csv(dir.path(), "username,custom:tier\nCAROL,pro\n");
    let report = run_with(&pool, options(&input, dir.path()), Source::List).await;
    assert_eq!(report.updated, 1);
    assert_eq!(updates(&pool), ["Carol"]);
}

#[tokio::test]
async fn an_alias_names_a_user_only_once_verified() {
    for source in [Source::List, Source::Get] {
        let pool = FakePool::new(&[("tier", true)]);
        pool.sign_in(&[], &["email", "preferred_username"], false);
        let verified = [("email", "dora@example.com"), ("email_verified", "true")];
        pool.add_user("dora", &[&[("sub", "s-d")][..], &verified].concat());
        let unverified = [("email", "eve@example.com"), ("email_verified", "false")];
        pool.add_user("eve", &[&[("sub", "s-e")][..], &unverified].concat());
        pool.add_user(
            "finn",
            &[("sub", "s-f"), ("preferred_username", "Finnegan")],
        );
        let dir = tempfile::tempdir().unwrap();
        let input = csv(
            dir.path(),
            "username,custom:tier\ndora@example.com,pro\neve@example.com,pro\nfinnegan,pro\n",
        );
        let report = run_with(&pool, options(&input, dir.path()), source).await;
        assert_eq!((report.updated, report.failed), (2, 1), "{source:?}");
        let failed = std::fs::read_to_string(dir.path().join("failed.csv")).unwrap();
        assert!(failed.contains("eve@example.com"), "{failed}");
        assert_eq!(updates(&pool), ["dora", "finn"], "{source:?}");
    }
}

#[tokio::test]
async fn a_key_naming_two_users_is_ambiguous_and_sent_to_neither() {
    let pool = FakePool::new(&[("tier", true)]);
    pool.sign_in(&[], &["preferred_username"], false);
    pool.add_user("gus", &[("sub", "s-g"), ("custom:tier", "free")]);
    pool.add_user(
        "hal",
        &[
            ("sub", "s-h"),
            ("preferred_username", "gus"),
            ("custom:tier", "free"),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let input = csv(dir.path(), "username,custom:tier\ngus,pro\n");
    let report = run_with(&pool, options(&input, dir.path()), Source::List).await;
    assert_eq!((report.updated, report.invalid), (0, 1));
    assert_eq!(report.failures_by_code["AmbiguousMatch"], 1);
    assert!(updates(&pool).is_empty());
    // The advice: key the row by the sub of the user meant.
    let advice = journal(dir.path())
        .iter()
        .find(|e| e["code"] == "AmbiguousMatch")
        .map(|e| e["message"].to_string())
        .unwrap();
    assert!(advice.contains("key the row by the sub"), "{advice}");
    let dir = tempfile::tempdir().unwrap();
    let input = csv(dir.path(), "username,custom:tier\ns-g,pro\n");
    let report = run_with(&pool, options(&input, dir.path()), Source::List).await;
    assert_eq!(report.updated, 1);
    assert_eq!(updates(&pool), ["gus"]);
}

#[tokio::test]
async fn two_keys_of_one_user_are_both_duplicate_users() {
    let pool = email_pool();
    let dir = tempfile::tempdir().unwrap();
    // The username, the sub and the email of one user, and another user by username.
    let input = csv(
        dir.path(),
        &format!("username,custom:tier\n{ANA},pro\nsub-ana,vip\nana@example.com,gold\n{BEN},pro\n"),
    );
    let report = run_with(&pool, options(&input, dir.path()), Source::List).await;
    assert_eq!((report.updated, report.invalid), (1, 3));
    assert_eq!(report.failures_by_code["DuplicateUser"], 3);
    assert_eq!(updates(&pool), [BEN]);
    assert_eq!(pool.attributes(ANA)["custom:tier"], "free");
}

#[tokio::test]
async fn the_plan_records_the_user_beside_the_key_and_previews_both() {
    let pool = email_pool();
    let dir = tempfile::tempdir().unwrap();
    let input = csv(dir.path(), "username,custom:tier\nana@example.com,pro\n");
    let mut opts = options(&input, dir.path());
    opts.preflight = Some(Preflight {
        described: Some(pool.describe().await.unwrap()),
        current_state: Source::List,
        allow_verification_messages: false,
        allow_overwritten_at_sign_in: false,
        resend_pending: false,
    });
    let stop = CancellationToken::new();
    let prepared = send::prepare(&pool, &opts, &Quiet, &stop).await.unwrap();
    let summary = send::preview(&prepared, &opts, 10, &Quiet, &stop).unwrap();
    assert_eq!(
        summary.preview,
        [format!(
            "~ ana@example.com (= {ANA})  custom:tier: \"free\" -> \"pro\""
        )]
    );
}

#[tokio::test]
async fn a_resumed_row_of_unknown_outcome_acts_on_its_user_after_its_key_email_changed() {
    let pool = email_pool();
    let dir = tempfile::tempdir().unwrap();
    let input = csv(
        dir.path(),
        "username,email,email_verified\nana@example.com,ana@new.example,true\n",
    );
    // Every attempt's answer is lost (the connection reset before it left, so the outcome
    // is unknown).
    let faulty = Faulty::new(pool.clone());
    faulty.fail(Api::Update, Fault::reset_before(), 3);
    let first = run_with(&faulty, options(&input, dir.path()), Source::List).await;
    assert_eq!(first.updated, 0);
    assert_eq!(journal(dir.path())[0]["outcome"], "unknown");
    // It had landed after all: the key (the old email) names nobody now.
    pool.set(ANA, "email", "ana@new.example");
    // The same command with --retry-failed resumes the finished journal.
    let mut again = options(&input, dir.path());
    again.retry_failed = true;
    let second = run_with(&pool, again, Source::List).await;
    assert_eq!(
        (second.updated, second.failed),
        (1, 0),
        "found by sub, recovered: {second:?} {:?}",
        journal(dir.path())
    );
    let back = rollback(&pool, dir.path()).await;
    assert_eq!((back.updated, back.conflicts), (1, 0));
    assert_eq!(pool.attributes(ANA)["email"], "ana@example.com");
}

#[tokio::test]
async fn one_users_lines_name_the_same_others_whatever_keys_they_use() {
    let pool = email_pool();
    pool.sign_in(&["email"], &[], true);
    let dir = tempfile::tempdir().unwrap();
    // Lines 2 and 3 share a key up to case (the scan groups them, though this case-sensitive
    // pool resolves only line 2); lines 2 and 4 name one user by username and email (found once
    // the pool is read). One group of three lines: each names the same others.
    let upper = ANA.to_uppercase();
    let input = csv(
        dir.path(),
        &format!("username,custom:tier\n{ANA},pro\n{upper},vip\nana@example.com,gold\n"),
    );
    let report = run_with(&pool, options(&input, dir.path()), Source::List).await;
    assert_eq!(report.failures_by_code["DuplicateUser"], 3);
    let messages: Vec<String> = journal(dir.path())
        .iter()
        .filter(|e| e["code"] == "DuplicateUser")
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    for m in &messages {
        assert!(m.contains("and on 1 more lines"), "{messages:?}");
    }
}

/// `--current-state get`: AdminGetUser resolves a key to one user, so a key that is the
/// username of one and the alias of another is looked up once more with a ListUsers filter
/// (one call a key, only in a pool with aliases) and refused as `AmbiguousMatch`, as in list
/// mode; a key that names one user is sent.
#[tokio::test]
async fn in_get_mode_a_key_naming_two_users_is_ambiguous_at_one_filter_call_a_key() {
    let pool = FakePool::new(&[("tier", true)]);
    pool.sign_in(&[], &["preferred_username"], false);
    pool.add_user("gus", &[("sub", "s-g"), ("custom:tier", "free")]);
    pool.add_user(
        "hal",
        &[
            ("sub", "s-h"),
            ("preferred_username", "gus"),
            ("custom:tier", "free"),
        ],
    );
    pool.add_user(
        "ivy",
        &[
            ("sub", "s-i"),
            ("preferred_username", "ivy_p"),
            ("custom:tier", "free"),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let input = csv(dir.path(), "username,custom:tier\ngus,pro\nivy_p,pro\n");
    let report = run_with(&pool, options(&input, dir.path()), Source::Get).await;
    assert_eq!((report.updated, report.invalid), (1, 1), "{report:?}");
    assert_eq!(report.failures_by_code["AmbiguousMatch"], 1);
    assert_eq!(updates(&pool), ["ivy"]);
    let mut filters: Vec<String> = pool
        .calls()
        .into_iter()
        .filter(|(op, _)| *op == Api::ListUsers)
        .map(|(_, f)| f)
        .collect();
    filters.sort();
    assert_eq!(
        filters,
        [r#"preferred_username = "gus""#, r#"username = "ivy_p""#],
        "one filter a key"
    );
    // A pool without aliases: no lookup at all.
    let plain = FakePool::new(&[("tier", true)]);
    plain.add_user("gus", &[("sub", "s-g"), ("custom:tier", "free")]);
    let dir = tempfile::tempdir().unwrap();
    let input = csv(dir.path(), "username,custom:tier\ngus,pro\n");
    let report = run_with(&plain, options(&input, dir.path()), Source::Get).await;
    assert_eq!(report.updated, 1);
    assert_eq!(plain.count(Api::ListUsers), 0);
}
