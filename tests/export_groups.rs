//! `export --with-groups` and `--with-status` in-process on the fake pool: the `groups` and
//! `enabled` columns in both forms, the membership read per group (never per user), and an
//! export interrupted in its membership read or in its pages resumed without reading again
//! what it saved. The same on moto: `tests/export_groups_moto.rs`.

mod inprocess;

use std::path::Path;

use cognito_bulk::app::Outcome;
use cognito_bulk::cognito::api::Api;
use cognito_bulk::cognito::fake::FakePool;
use cognito_bulk::cognito::faults::{Fault, Faulty};
use inprocess::cognito_bulk;

const POOL: &str = "us-east-1_fake";

/// 70 users `u000`..; `admin` = u000 and u001, `beta` = u001, `big` = u000..u064 (two pages of
/// ListUsersInGroup), `empty` has no member; u002 is disabled; u069 is in no group.
fn pool() -> FakePool {
    let pool = FakePool::new(&[("tier", true)]);
    for i in 0..70 {
        pool.add_user(
            &format!("u{i:03}"),
            &[("email", &format!("u{i}@example.com"))],
        );
    }
    pool.put_in_group("u000", "admin");
    pool.put_in_group("u001", "admin");
    pool.put_in_group("u001", "beta");
    for i in 0..65 {
        pool.put_in_group(&format!("u{i:03}"), "big");
    }
    pool.add_group("empty");
    pool.set_enabled("u002", false).unwrap();
    pool
}

async fn export<P: cognito_bulk::cognito::Pool>(pool: &P, out: &Path, more: &[&str]) -> Outcome {
    let mut args = vec![
        "export",
        "--user-pool-id",
        POOL,
        "--output",
        out.to_str().unwrap(),
        "--with-groups",
    ];
    args.extend(more);
    match cognito_bulk(pool, &args).await {
        Ok(outcome) => outcome,
        Err(failure) => failure.outcome,
    }
}

/// The CSV row of `user` as cells.
fn row(text: &str, user: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let record = reader
        .records()
        .map(Result::unwrap)
        .find(|r| &r[0] == user)
        .unwrap_or_else(|| panic!("{user} not in the export"));
    record.iter().map(str::to_string).collect()
}

#[tokio::test]
async fn groups_and_enabled_columns_in_csv_and_jsonl_read_per_group() {
    let pool = pool();
    let dir = tempfile::tempdir().unwrap();
    let csv_out = dir.path().join("all.csv");
    assert_eq!(
        export(&pool, &csv_out, &["--with-status"]).await,
        Outcome::Success
    );
    let text = std::fs::read_to_string(&csv_out).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.ends_with(",user_status,enabled,groups"), "{header}");
    assert_eq!(row(&text, "u001").last().unwrap(), "admin beta big");
    assert_eq!(row(&text, "u000").last().unwrap(), "admin big");
    assert_eq!(row(&text, "u069").last().unwrap(), "[]");
    let u002 = row(&text, "u002");
    assert_eq!(u002[u002.len() - 2], "false");
    assert_eq!(row(&text, "u003")[u002.len() - 2], "true");
    // One ListGroups page, one ListUsersInGroup page per 60 members: 1 + 1 + 2 + 1; no call
    // per user.
    assert_eq!(pool.count(Api::ListGroups), 1);
    assert_eq!(pool.count(Api::ListUsersInGroup), 5);
    assert_eq!(pool.count(Api::GetUser), 0);
    // Finished: no membership file left beside it.
    assert!(!dir.path().join("all.csv.export-groups").exists());

    let jsonl_out = dir.path().join("all.jsonl");
    assert_eq!(
        export(&pool, &jsonl_out, &["--with-status"]).await,
        Outcome::Success
    );
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&jsonl_out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let of = |user: &str| {
        lines
            .iter()
            .find(|l| l["username"] == user)
            .unwrap()
            .clone()
    };
    assert_eq!(
        of("u001")["groups"],
        serde_json::json!(["admin", "beta", "big"])
    );
    assert_eq!(of("u069")["groups"], serde_json::json!([]));
    assert_eq!(of("u002")["enabled"], serde_json::json!(false));
    assert_eq!(of("u003")["enabled"], serde_json::json!(true));
}

#[tokio::test]
async fn without_with_groups_no_group_is_read() {
    let pool = pool();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("all.csv");
    let args = [
        "export",
        "--user-pool-id",
        POOL,
        "-o",
        out.to_str().unwrap(),
    ];
    assert_eq!(cognito_bulk(&pool, &args).await.unwrap(), Outcome::Success);
    assert!(!std::fs::read_to_string(&out).unwrap().contains("groups"));
    assert_eq!(
        pool.count(Api::ListGroups) + pool.count(Api::ListUsersInGroup),
        0
    );
}

#[tokio::test]
async fn an_export_stopped_in_its_membership_read_resumes_at_the_next_group() {
    let clean = tempfile::tempdir().unwrap();
    let expected = clean.path().join("all.csv");
    export(&pool(), &expected, &[]).await;
    let expected = std::fs::read_to_string(&expected).unwrap();

    let pool = Faulty::new(pool());
    // admin is read, then beta's ListUsersInGroup fails for good.
    pool.fail_from(
        Api::ListUsersInGroup,
        2,
        Fault::fatal("AccessDeniedException"),
        1,
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("all.csv");
    assert_ne!(export(&pool, &out, &[]).await, Outcome::Success);
    let saved = dir.path().join("all.csv.export-groups");
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(
        text.contains(r#""group":"admin""#) && !text.contains("beta"),
        "{text}"
    );
    // A crash while the next group's line was written leaves it torn: it is read again.
    std::fs::write(&saved, format!("{text}{{\"group\":\"beta\",\"memb")).unwrap();

    // The same command resumes: admin is not read again.
    let before = pool.count(Api::ListUsersInGroup);
    assert_eq!(export(&pool, &out, &[]).await, Outcome::Success);
    let read_again: Vec<String> = pool.calls()[..]
        .iter()
        .filter(|(api, _)| *api == Api::ListUsersInGroup)
        .skip(before)
        .map(|(_, group)| group.clone())
        .collect();
    assert_eq!(read_again, ["beta", "big", "big", "empty"]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), expected);
    assert!(!saved.exists());
}

#[tokio::test]
async fn an_export_stopped_in_its_pages_resumes_with_the_membership_it_saved() {
    let clean = tempfile::tempdir().unwrap();
    let expected = clean.path().join("all.jsonl");
    export(&pool(), &expected, &["--with-status"]).await;
    let expected = std::fs::read_to_string(&expected).unwrap();

    let pool = Faulty::new(pool());
    pool.fail_from(Api::ListUsers, 2, Fault::fatal("AccessDeniedException"), 1);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("all.jsonl");
    assert_ne!(
        export(&pool, &out, &["--with-status"]).await,
        Outcome::Success
    );
    let saved = dir.path().join("all.jsonl.export-groups");
    assert!(saved.exists());
    // No other command's output replaces the saved membership.
    let input = dir.path().join("in.csv");
    std::fs::write(&input, "username,email\nu000,new@example.com\n").unwrap();
    let (input, saved) = (input.to_str().unwrap(), saved.to_str().unwrap());
    let plan = ["plan", input, "--user-pool-id", POOL, "--out", saved];
    let failure = cognito_bulk(&pool, &plan).await.unwrap_err();
    assert!(
        failure.error.to_string().contains("an export's state"),
        "{}",
        failure.error
    );
    let reads = pool.count(Api::ListGroups) + pool.count(Api::ListUsersInGroup);
    // Meanwhile u069 joins a group: the resumed pages use the membership read before, so
    // every page of the export shows one reading of it.
    pool.inner().put_in_group("u069", "admin");
    assert_eq!(
        export(&pool, &out, &["--with-status"]).await,
        Outcome::Success
    );
    assert_eq!(
        pool.count(Api::ListGroups) + pool.count(Api::ListUsersInGroup),
        reads
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), expected);
}

#[tokio::test]
async fn resuming_with_or_without_with_groups_is_refused() {
    let pool = Faulty::new(pool());
    pool.fail_from(Api::ListUsers, 2, Fault::fatal("AccessDeniedException"), 1);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("all.csv");
    assert_ne!(export(&pool, &out, &[]).await, Outcome::Success);
    let args = [
        "export",
        "--user-pool-id",
        POOL,
        "-o",
        out.to_str().unwrap(),
    ];
    let failure = cognito_bulk(&pool, &args).await.unwrap_err();
    assert_eq!(failure.outcome, Outcome::Setup);
    assert!(
        failure.error.to_string().contains("--restart"),
        "{}",
        failure.error
    );
    // --restart starts over, reading the membership again.
    assert_eq!(export(&pool, &out, &["--restart"]).await, Outcome::Success);
}
