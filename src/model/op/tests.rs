//! The operation model's own tests: each kind's forms, diffs, inverses and calls.

use super::*;

#[test]
fn every_op_answers_its_kind_category_inverse_and_preview() {
    let d = OpDiff::Attribute(AttrDiff {
        name: "nickname".into(),
        before: Some("old".into()),
        after: None,
    });
    assert_eq!(d.kind(), OpKind::DeleteAttribute);
    assert_eq!(d.op().category(), Category::UserUpdate);
    let undo = d.inverse().expect("attributes can be undone");
    assert_eq!(undo.kind(), OpKind::SetAttribute);
    assert_eq!(d.preview_line("alice"), "- alice  nickname: \"old\"");
    assert_eq!(undo.preview_line("alice"), "+ alice  nickname: \"old\"");
}

#[test]
fn an_attribute_change_keeps_the_plan_files_form() {
    let line = r#"{"name":"nickname","before":null,"after":"Al"}"#;
    let d: OpDiff = serde_json::from_str(line).unwrap();
    assert_eq!(d.kind(), OpKind::SetAttribute);
    assert_eq!(serde_json::to_string(&d).unwrap(), line);
}

#[test]
fn an_op_diffs_itself_and_checks_what_a_plan_saw() {
    let op = Op::Attribute(AttrChange::new("nickname", Some("new".into())));
    let now: BTreeMap<String, String> = [("nickname".to_string(), "theirs".to_string())].into();
    let d = op.diff(Now::attributes(&now)).expect("a change");
    let saw = |v: &str| -> Before { [("nickname".to_string(), Some(v.to_string()))].into() };
    assert!(d.as_planned(&saw("theirs")));
    assert!(
        !d.as_planned(&saw("old")),
        "changed since the plan: a conflict"
    );
    assert!(
        d.as_planned(&Before::new()),
        "nothing planned, nothing checked"
    );
    let done: BTreeMap<String, String> = [("nickname".to_string(), "new".to_string())].into();
    assert!(op.diff(Now::attributes(&done)).is_none(), "already done");
    let unread = op.unread(Some(&saw("old")));
    assert_eq!(unread.attribute().unwrap().before.as_deref(), Some("old"));
    assert_eq!(op.subject(), "nickname");
}

#[test]
fn every_kind_keeps_its_plan_form_and_reads_back() {
    for line in [
        r#"{"name":"nickname","before":"a","after":null}"#,
        r#"{"op":"add_to_group","group":"admin"}"#,
        r#"{"op":"remove_from_group","group":"beta"}"#,
        r#"{"op":"set_enabled","before":true,"after":false}"#,
        r#"{"op":"sign_out"}"#,
    ] {
        let d: OpDiff = serde_json::from_str(line).unwrap();
        assert_eq!(serde_json::to_string(&d).unwrap(), line);
    }
    assert!(serde_json::from_str::<OpDiff>(r#"{"op":"delete_user"}"#).is_err());
    assert!(serde_json::from_str::<OpDiff>(r#"{"op":"add_to_group"}"#).is_err());
}

#[test]
fn a_rows_calls_go_attributes_groups_status_then_sign_out() {
    let ops = vec![
        Op::SignOut,
        Op::Enabled(false),
        Op::Group(GroupChange::add("admin")),
        Op::Attribute(AttrChange::new("nickname", Some("x".into()))),
    ];
    let apis: Vec<_> = calls("al", &ops, &BTreeMap::new())
        .iter()
        .map(|c| c.api().operation())
        .collect();
    assert_eq!(
        apis,
        [
            "AdminUpdateUserAttributes",
            "AdminAddUserToGroup",
            "AdminDisableUser",
            "AdminUserGlobalSignOut"
        ]
    );
    assert!(!OpKind::SignOut.reversible());
    assert_eq!(OpDiff::SignOut(SignOutDiff::default()).inverse(), None);
}
