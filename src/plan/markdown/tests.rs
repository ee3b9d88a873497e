//! The Markdown plan's unit tests: redacted values, table cells, and the rows left out listed
//! apart. Apart from `markdown.rs` so that the writer reads without its fixtures.

use super::*;

#[test]
fn same_value_same_hash_and_no_value_shown() {
    let v = Values::new(true);
    let a = v.cell(Some("alice@example.com"));
    assert_eq!(a, v.cell(Some("alice@example.com")));
    assert_ne!(a, v.cell(Some("bob@example.com")));
    assert!(!a.contains("alice"));
    assert_eq!(v.cell(None), "(none)");
}

#[test]
fn hashes_are_salted_per_file() {
    let (a, b) = (Values::new(true), Values::new(true));
    assert_ne!(a.cell(Some("x")), b.cell(Some("x")));
}

#[test]
fn cells_keep_the_table_whole() {
    let v = Values::new(false);
    assert_eq!(v.cell(Some("a|b\nc")), "`\"a\\|b\\nc\"`");
    assert_eq!(code("x`y"), "`` x`y ``");
}

fn header() -> file::PlanHeader {
    file::PlanHeader {
        kind: file::KIND.into(),
        version: file::VERSION,
        user_pool_id: "us-east-1_x".into(),
        input: "crm.csv".into(),
        input_path: None,
        input_path_hex: None,
        input_sha256: "00".into(),
        created_unix: 0,
        current_state: crate::model::source::Source::List,
        options: serde_json::json!({}),
        allow_verification_messages: false,
        backfill: None,
    }
}

/// An entry setting `custom:plan` to gold.
fn gold(line: u64, user: &str, username: Option<&str>, sub: Option<&str>) -> PlanEntry {
    PlanEntry {
        line,
        user: user.into(),
        username: username.map(Into::into),
        sub: sub.map(Into::into),
        changes: vec![
            crate::model::row::AttrDiff {
                name: "custom:plan".into(),
                before: None,
                after: Some("gold".into()),
            }
            .into(),
        ],
        client_metadata: Default::default(),
        left_out: None,
    }
}

/// A plan of two changes (one keyed by email) and two rows left out (an email matching two
/// users, a user named twice).
fn plan_with_rows_left_out(plan: &Path) {
    let mut w = file::PlanWriter::create(plan, &header()).unwrap();
    w.write(&gold(2, "alice", None, None)).unwrap();
    // A row keyed by email: shown beside its user; redacted, the user alone.
    w.write(&gold(
        3,
        "ana@corp.example",
        Some("uuid-ana"),
        Some("sub-ana"),
    ))
    .unwrap();
    let why = "2 users of the pool have this email".to_string();
    w.write(&PlanEntry::left_out(
        4,
        "shared@corp.example",
        "AmbiguousMatch",
        why,
    ))
    .unwrap();
    let why = "the user also appears on line 6".to_string();
    w.write(&PlanEntry::left_out(5, "bob", "DuplicateUser", why))
        .unwrap();
    w.finish().unwrap();
}

#[test]
fn rows_left_out_are_listed_apart_and_their_keys_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("p.plan");
    plan_with_rows_left_out(&plan);
    let read = |redact: bool| {
        let out = dir.path().join(format!("p{redact}.md"));
        write(&plan, &PlanSummary::default(), &out, redact).unwrap();
        std::fs::read_to_string(out).unwrap()
    };
    let md = read(false);
    let (changes, left) = md.split_once("## Rows left out").unwrap();
    assert!(changes.contains("`custom:plan`") && !changes.contains("shared@"));
    assert!(left.contains(
        "| 4 | `shared@corp.example` | `AmbiguousMatch` | 2 users of the pool have this email |"
    ));
    assert!(
        changes.contains("| 3 | `ana@corp.example` (= `uuid-ana`) |"),
        "{changes}"
    );
    let md = read(true);
    assert!(
        md.contains("`AmbiguousMatch`") && !md.contains("shared@"),
        "{md}"
    );
    // A user named on two lines is a username, kept as the changes keep theirs.
    assert!(md.contains("| 5 | `bob` | `DuplicateUser` |"), "{md}");
    assert!(
        md.contains("| 3 | `uuid-ana` |") && !md.contains("ana@"),
        "{md}"
    );
}

#[test]
fn operations_of_every_kind_are_counted_and_sign_outs_named_as_final() {
    use crate::model::op::{GroupChange, OpDiff, OpKind, SignOutDiff};
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("p.plan");
    let mut w = file::PlanWriter::create(&plan, &header()).unwrap();
    let mut entry = gold(2, "alice", None, None);
    entry.changes.push(OpDiff::Group(GroupChange::add("admin")));
    entry.changes.push(OpDiff::SignOut(SignOutDiff::default()));
    w.write(&entry).unwrap();
    w.finish().unwrap();
    let mut summary = PlanSummary::default();
    for kind in [OpKind::SetAttribute, OpKind::AddToGroup, OpKind::SignOut] {
        summary.ops.add(kind, 1);
    }
    let out = dir.path().join("p.md");
    write(&plan, &summary, &out, false).unwrap();
    let md = std::fs::read_to_string(out).unwrap();
    assert!(
        md.contains("Operations: 1 attributes set, 1 group memberships added, 1 users signed out."),
        "{md}"
    );
    assert!(md.contains("Sign-outs cannot be undone"), "{md}");
    assert!(md.contains("group") && md.contains("admin"), "{md}");
}
