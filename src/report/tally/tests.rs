use super::*;

fn journal(lines: &[String]) -> (tempfile::TempDir, std::path::PathBuf) {
    let header = serde_json::json!({
        "kind": Header::KIND, "version": 3, "input": "in.csv", "input_sha256": "ab",
        "user_pool_id": "p", "rows_total": 3, "options": {}, "created_unix": 0
    });
    let text: String = std::iter::once(format!("{header}\n"))
        .chain(lines.iter().cloned())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn entry(n: u64, outcome: &str, extra: &str) -> String {
    format!(
        "{{\"n\":{n},\"line\":{},\"user\":\"u{n}\",\"outcome\":\"{outcome}\",\"attempts\":1,\"t\":1.0{extra}}}\n",
        n + 2
    )
}

#[test]
fn an_intent_without_an_outcome_is_kept_apart_and_counts_nothing() {
    let intent = |n| {
        entry(
            n,
            "intent",
            r#","before":{"nickname":"old"},"after":{"nickname":"new"}"#,
        )
        .replace("\"attempts\":1", "\"attempts\":0")
    };
    let (_d, path) = journal(&[intent(0), entry(0, "updated", ""), intent(1)]);
    let (tally, loaded) = Tally::load(&path).unwrap();
    assert_eq!(tally.report.updated, 1);
    assert_eq!(tally.report.api_calls, 1);
    assert!(!tally.done.contains(1), "in flight is not done");
    assert_eq!(tally.done.len(), loaded.done.len());
    let before = &tally.intents[&1];
    assert_eq!(before["nickname"].as_deref(), Some("old"));
    assert!(!tally.intents.contains_key(&0), "its outcome followed");
}

#[test]
fn a_retried_failure_replaces_the_earlier_one_in_the_counts() {
    let failed = entry(1, "failed", r#","code":"InternalErrorException""#);
    let (_d, path) = journal(&[entry(0, "updated", ""), failed, entry(1, "updated", "")]);
    let (tally, _) = Tally::load(&path).unwrap();
    let report = tally.to_report();
    assert_eq!((report.updated, report.failed), (2, 0));
    assert!(report.failures_by_code.is_empty() && report.first_failures.is_empty());
    assert_eq!((report.api_calls, report.not_attempted), (3, 1));
}

#[test]
fn a_row_decided_again_to_the_same_end_is_known() {
    let invalid = entry(0, "invalid", r#","code":"UnknownAttribute""#);
    let (_d, path) = journal(&[invalid]);
    let (tally, _) = Tally::load(&path).unwrap();
    assert!(tally.same_as_before(0, Outcome::Invalid, "UnknownAttribute"));
    assert!(!tally.same_as_before(0, Outcome::Invalid, "ValueTooLong"));
    assert_eq!(tally.report.failures_by_code["UnknownAttribute"], 1);
}

#[test]
fn a_format_3_journal_counts_its_operations_by_kind() {
    use crate::model::op::OpKind;
    // As this build (format 3) writes an updated row: its before- and after-values.
    let values =
        r#","before":{"nickname":"old","locale":"fr"},"after":{"nickname":"new","locale":null}"#;
    let (_d, path) = journal(&[entry(0, "updated", values), entry(1, "updated", "")]);
    let ops = Tally::load(&path).unwrap().0.report.ops;
    assert_eq!(ops.get(OpKind::SetAttribute), 1);
    assert_eq!(ops.get(OpKind::DeleteAttribute), 1);
    assert_eq!(ops.total(), 2, "a row without values adds no operation");
}

#[test]
fn a_format_4_journal_counts_every_operation_once_and_its_calls_are_not_retries() {
    use crate::model::op::OpKind;
    let ops = r#","before":{"nickname":"old"},"after":{"nickname":"new"},"calls":3,"ops":[{"op":"add_to_group","group":"admin"},{"op":"sign_out"}]"#;
    let step = entry(0, "step", r#","after":{"nickname":"new"}"#)
        .replace("\"attempts\":1", "\"attempts\":0");
    let updated = entry(0, "updated", ops).replace("\"attempts\":1", "\"attempts\":4");
    let (_d, path) = journal(&[step, updated]);
    let (tally, _) = Tally::load(&path).unwrap();
    let r = tally.to_report();
    assert_eq!(r.ops.get(OpKind::SetAttribute), 1);
    assert_eq!(r.ops.get(OpKind::AddToGroup), 1);
    assert_eq!(r.ops.get(OpKind::SignOut), 1);
    assert_eq!((r.api_calls, r.retries), (4, 1));
    assert!(tally.steps.is_empty(), "an updated row has nothing left");
    assert!(
        r.summary().contains(
            "operations: 1 attributes set, 1 group memberships added, 1 users signed out"
        )
    );
}
