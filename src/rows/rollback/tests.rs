//! Rollback plans from journals of format 3 (attributes only) and format 4 (per operation).

use super::*;

fn journal(dir: &Path, version: u32, entries: &[&str]) -> PathBuf {
    let header = serde_json::json!({
        "kind": journal::Header::KIND, "version": version, "input": "in.csv",
        "input_sha256": "ab", "user_pool_id": "p", "rows_total": 3, "options": {},
        "created_unix": 0
    });
    let path = dir.join("j");
    std::fs::write(&path, format!("{header}\n{}\n", entries.join("\n"))).unwrap();
    path
}

fn changes(plan: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(plan).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    lines[1..lines.len() - 1]
        .iter()
        .map(|l| l.to_string())
        .collect()
}

#[test]
fn a_format_3_journal_still_rolls_back_its_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal(
        dir.path(),
        3,
        &[
            r#"{"n":0,"line":2,"user":"al","outcome":"intent","attempts":0,"t":1.0,"before":{"nickname":"old"},"after":{"nickname":"new"}}"#,
            r#"{"n":0,"line":2,"user":"al","outcome":"updated","attempts":1,"t":1.0,"before":{"nickname":"old"},"after":{"nickname":"new"}}"#,
            r#"{"n":1,"line":3,"user":"bo","outcome":"intent","attempts":0,"t":1.0,"before":{"locale":null},"after":{"locale":"fr"}}"#,
        ],
    );
    let plan = dir.path().join("undo.plan");
    assert_eq!(make_plan(&path, &plan, false).unwrap(), 2);
    let rows = changes(&plan);
    assert!(
        rows[0].contains(r#"{"name":"nickname","before":"new","after":"old"}"#),
        "{rows:?}"
    );
    assert!(
        rows[1].contains(r#"{"name":"locale","before":"fr","after":null}"#),
        "{rows:?}"
    );
    assert_eq!(not_reversible(&path).unwrap().count, 0);
}

/// A row whose attribute call went (its step) and whose group call then failed: the step
/// is undone, the failed call is not; a row that died in flight is undone as maybe applied.
#[test]
fn steps_are_undone_even_when_the_row_failed_after_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal(
        dir.path(),
        4,
        &[
            r#"{"n":0,"line":2,"user":"al","outcome":"intent","attempts":0,"t":1.0,"before":{"nickname":"old"},"after":{"nickname":"new"},"ops":[{"op":"add_to_group","group":"admin"},{"op":"sign_out"}]}"#,
            r#"{"n":0,"line":2,"user":"al","outcome":"step","attempts":0,"t":1.0,"before":{"nickname":"old"},"after":{"nickname":"new"}}"#,
            r#"{"n":0,"line":2,"user":"al","outcome":"failed","code":"ResourceNotFoundException","attempts":2,"calls":2,"t":1.0,"before":{"nickname":"old"},"after":{"nickname":"new"},"ops":[{"op":"add_to_group","group":"admin"}]}"#,
            r#"{"n":1,"line":3,"user":"bo","outcome":"intent","attempts":0,"t":1.0,"before":{},"after":{},"ops":[{"op":"set_enabled","before":true,"after":false},{"op":"sign_out"}]}"#,
        ],
    );
    let plan = dir.path().join("undo.plan");
    assert_eq!(make_plan(&path, &plan, false).unwrap(), 2);
    let rows = changes(&plan);
    assert!(
        rows[0].contains(r#"{"name":"nickname","before":"new","after":"old"}"#),
        "{rows:?}"
    );
    assert!(
        !rows[0].contains("group"),
        "the failed group call is not undone: {rows:?}"
    );
    assert!(
        rows[1].contains(r#"{"op":"set_enabled","before":false,"after":true}"#),
        "{rows:?}"
    );
    let listed = not_reversible(&path).unwrap();
    assert_eq!(listed.count, 1, "bo's sign-out may have gone: {listed:?}");
    assert!(listed.first[0].contains("\"bo\""));
}

/// A row in flight when its run died, found done by the resume (recorded as updated with
/// no operation of its own): its intent's operations are undone.
#[test]
fn a_recovered_row_is_undone_for_its_intents_operations() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal(
        dir.path(),
        4,
        &[
            r#"{"n":0,"line":2,"user":"al","outcome":"intent","attempts":0,"t":1.0,"before":{},"after":{},"ops":[{"op":"add_to_group","group":"admin"}]}"#,
            r#"{"n":0,"line":2,"user":"al","outcome":"updated","attempts":0,"t":2.0,"before":{},"after":{}}"#,
        ],
    );
    let plan = dir.path().join("undo.plan");
    assert_eq!(make_plan(&path, &plan, false).unwrap(), 1);
    let rows = changes(&plan);
    assert!(
        rows[0].contains(r#"{"op":"remove_from_group","group":"admin"}"#),
        "{rows:?}"
    );
}
