//! The operation model on the in-process fake pool: a row's attribute operations go out in
//! one AdminUpdateUserAttributes call (`Pool::send` with a typed `Call`), and the preview's
//! summary and the run's report count the operations by kind.

mod inprocess;

use cognito_bulk::cognito::fake::FakePool;
use cognito_bulk::model::op::OpKind;
use cognito_bulk::model::source::Source;
use cognito_bulk::progress::Quiet;
use cognito_bulk::rows::input::EmptyCells;
use cognito_bulk::send;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn a_rows_operations_go_in_one_call_and_are_counted_by_kind() {
    let pool = FakePool::new(&[("tier", true)]);
    pool.add_user("u1", &[("custom:tier", "free"), ("locale", "fr")]);
    pool.add_user("u2", &[("custom:tier", "pro"), ("locale", "de")]);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    // Each row sets its tier and deletes its locale (an empty cell, `--empty-cells delete`).
    std::fs::write(&input, "username,custom:tier,locale\nu1,pro,\nu2,gold,\n").unwrap();
    let mut opts = inprocess::options(&input, dir.path());
    opts.input_options.empty_cells = EmptyCells::Delete;
    opts.preflight = Some(inprocess::preflight(&pool, Source::List, false).await);

    let stop = CancellationToken::new();
    let prepared = send::prepare(&pool, &opts, &Quiet, &stop).await.unwrap();
    let summary = send::preview(&prepared, &opts, 20, &Quiet, &stop).unwrap();
    assert_eq!(summary.ops.get(OpKind::SetAttribute), 2);
    assert_eq!(summary.ops.get(OpKind::DeleteAttribute), 2);
    assert_eq!(summary.attributes, summary.ops.total());
    assert!(
        summary.preview.iter().any(|l| l == "- u1  locale: \"fr\""),
        "{:?}",
        summary.preview
    );

    let report = inprocess::run_prepared(&pool, opts).await;
    assert_eq!(report.updated, 2);
    assert_eq!(report.ops.get(OpKind::SetAttribute), 2);
    assert_eq!(report.ops.get(OpKind::DeleteAttribute), 2);
    // One call per row, whatever the number of its attribute operations.
    assert_eq!(pool.count(cognito_bulk::cognito::api::Api::Update), 2);
    let u1 = pool.attributes("u1");
    assert_eq!(u1.get("custom:tier").map(String::as_str), Some("pro"));
    assert!(u1.get("locale").is_none_or(|v| v.is_empty()), "deleted");
}
