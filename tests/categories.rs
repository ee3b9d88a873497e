//! One pacer per quota category, in-process on the fake pool behind the fault wrapper: a
//! throttle in UserRead (the read just before each update) lowers the reads' pacer alone,
//! one in UserUpdate the updates' alone; the report counts each category; `--category-rps`
//! reaches the sender. No rate is asserted (bench/quota_categories.sh measures them).

mod inprocess;

use std::path::Path;

use cognito_bulk::cognito::api::Api;
use cognito_bulk::cognito::fake::FakePool;
use cognito_bulk::cognito::faults::Faulty;
use cognito_bulk::cognito::pacing::CategoryFigures;
use cognito_bulk::model::source::Source;
use cognito_bulk::report::Report;
use cognito_bulk::send::ApplyOptions;

const USERS: usize = 30;

fn pool() -> Faulty<FakePool> {
    let pool = FakePool::new(&[("tier", true)]);
    for i in 0..USERS {
        pool.add_user(&format!("u{i}"), &[("custom:tier", "free")]);
    }
    Faulty::new(pool)
}

fn input(dir: &Path) -> std::path::PathBuf {
    let mut text = String::from("username,custom:tier\n");
    for i in 0..USERS {
        text.push_str(&format!("u{i},pro\n"));
    }
    let path = dir.join("in.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// Both categories with a ceiling far above the quotas the wrapper holds them to.
fn options(input: &Path, dir: &Path) -> ApplyOptions {
    ApplyOptions {
        rps: 5000.0,
        read_before_write: Some(5000.0),
        ..inprocess::options(input, dir)
    }
}

async fn run(pool: &Faulty<FakePool>, dir: &Path) -> Report {
    let mut opts = options(&input(dir), dir);
    opts.preflight = Some(inprocess::preflight(pool, Source::List, false).await);
    inprocess::run_prepared(pool, opts).await
}

fn category<'a>(report: &'a Report, name: &str) -> &'a CategoryFigures {
    let found = report.categories.iter().find(|c| c.category == name);
    found.unwrap_or_else(|| panic!("no {name} in {:?}", report.categories))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_throttle_in_the_reads_does_not_lower_the_updates_pacer() {
    let pool = pool();
    pool.quota(Api::GetUser, 20.0, 1.0);
    let dir = tempfile::tempdir().unwrap();
    let report = run(&pool, dir.path()).await;
    assert_eq!(report.updated, USERS as u64);
    let (reads, updates) = (
        category(&report, "UserRead"),
        category(&report, "UserUpdate"),
    );
    assert!(reads.throttles > 0, "{reads:?}");
    assert!(
        reads.decreases >= 1,
        "the reads' pacer backed off: {reads:?}"
    );
    assert_eq!(reads.successes, USERS as u64);
    assert_eq!(updates.throttles, 0);
    assert_eq!(
        updates.decreases, 0,
        "the updates' pacer never did: {updates:?}"
    );
    assert_eq!(updates.calls, USERS as u64);
    // The rows' own figures are the updates'; the summary names each category.
    assert_eq!(report.throttled, 0);
    let summary = report.summary();
    assert!(
        summary.contains(&format!(
            "UserRead: {} calls, {} throttled",
            reads.calls, reads.throttles
        )),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("UserUpdate: {USERS} calls, 0 throttled")),
        "{summary}"
    );
    // The journal names the category of each row's calls.
    let journal = std::fs::read_to_string(dir.path().join("journal")).unwrap();
    let updated = journal
        .lines()
        .filter(|l| l.contains("\"outcome\":\"updated\""));
    assert!(updated.clone().count() == USERS);
    assert!(
        updated
            .into_iter()
            .all(|l| l.contains("\"category\":\"user_update\""))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_throttle_in_the_updates_does_not_lower_the_reads_pacer() {
    let pool = pool();
    pool.quota(Api::Update, 20.0, 1.0);
    let dir = tempfile::tempdir().unwrap();
    let report = run(&pool, dir.path()).await;
    assert_eq!(report.updated, USERS as u64);
    let (reads, updates) = (
        category(&report, "UserRead"),
        category(&report, "UserUpdate"),
    );
    assert!(
        updates.throttles > 0 && updates.decreases >= 1,
        "{updates:?}"
    );
    assert_eq!(report.throttled, updates.throttles);
    assert_eq!((reads.throttles, reads.decreases), (0, 0), "{reads:?}");
}

/// `--category-rps` from the command line: UserRead=4 wins over --read-rps 80 (the reads'
/// ceiling in the report), UserUpdate=7 over --rps; and `report JOURNAL` counts each
/// category again from the journal.
#[tokio::test(flavor = "multi_thread")]
async fn category_rps_sets_each_categorys_ceiling() {
    let pool = pool();
    let dir = tempfile::tempdir().unwrap();
    let input = input(dir.path());
    let journal = dir.path().join("journal");
    let (input, journal) = (input.to_str().unwrap(), journal.to_str().unwrap());
    let args = [
        "apply",
        input,
        "--user-pool-id",
        "us-east-1_fake",
        "--yes",
        "--journal",
        journal,
        "--rps",
        "5000",
        "--read-rps",
        "80",
        "--category-rps",
        "UserRead=4",
        "--category-rps",
        "userupdate=7",
    ];
    let outcome = inprocess::cognito_bulk(&pool, &args).await;
    assert_eq!(outcome.ok(), Some(cognito_bulk::app::Outcome::Success));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{input}.report.json")).unwrap())
            .unwrap();
    let ceiling = |name: &str| {
        report["categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["category"] == name)
            .map(|c| c["max_rps"].as_f64().unwrap())
    };
    assert_eq!(ceiling("UserRead"), Some(4.0));
    assert_eq!(ceiling("UserUpdate"), Some(7.0));
    assert_eq!(report["max_rps"].as_f64(), Some(7.0));

    let html = dir.path().join("report.html");
    let args = ["report", journal, "--html", html.to_str().unwrap()];
    let outcome = inprocess::cognito_bulk(&pool, &args).await;
    assert_eq!(outcome.ok(), Some(cognito_bulk::app::Outcome::Success));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("UserUpdate: successes and throttles per second"));
}

#[tokio::test]
async fn an_unknown_category_is_a_usage_error_naming_the_known_ones() {
    let line = [
        "cognito-bulk",
        "apply",
        "in.csv",
        "--user-pool-id",
        "p",
        "--category-rps",
        "UserWrite=5",
    ];
    let Err(err) = cognito_bulk::cli::Cli::try_parse_args(line) else {
        panic!("an unknown category was accepted");
    };
    let text = err.to_string();
    assert!(
        text.contains("UserWrite") && text.contains("UserResourceUpdate"),
        "{text}"
    );
}
