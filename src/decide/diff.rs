//! Diffing a row against the user's current values: what would really change.

use crate::decide::groups::exact;
use crate::model::op::{Now, OpDiff};
use crate::model::row::{Before, Row};

/// What a row comes to against the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowPlan {
    /// The user does not exist.
    NotFound,
    /// Every operation is already done (each attribute at its target): nothing to send.
    Unchanged,
    /// A plan's row whose user changed since the plan was made (what changed: attributes).
    Conflict(Vec<String>),
    Change(Vec<OpDiff>),
}

/// Diffs `row` against `current` (what the user holds, None if the user does not exist):
/// each operation diffs itself (`model::op`), one already done drops out. A full set of
/// groups becomes its adds and removes first; a sign-out alone (nothing else changes) drops.
pub fn diff(row: &Row, current: Option<Now<'_>>) -> RowPlan {
    let Some(now) = current else {
        return RowPlan::NotFound;
    };
    let ops = exact::ops(row, now.groups);
    let changes: Vec<OpDiff> = ops.iter().filter_map(|op| op.diff(now)).collect();
    if !changes_more_than_sign_out(&changes) {
        RowPlan::Unchanged
    } else {
        RowPlan::Change(changes)
    }
}

/// A plan's row against the user's current values `now`: the plan expected `planned` (each
/// attribute's value before the change). An operation already done is dropped; one whose
/// subject holds neither what the plan saw nor the target was changed by someone else since
/// the plan was made: a conflict, unless `force` (then it is sent over the new value).
pub fn against_plan(row: &Row, planned: &Before, now: Now<'_>, force: bool) -> RowPlan {
    let mut conflicts = Vec::new();
    let mut changes = Vec::new();
    for op in &exact::ops(row, now.groups) {
        let Some(d) = op.diff(now) else {
            continue;
        };
        if !d.as_planned(planned) {
            conflicts.push(op.subject().to_string());
        }
        changes.push(d);
    }
    if !conflicts.is_empty() && !force {
        RowPlan::Conflict(conflicts)
    } else if !changes_more_than_sign_out(&changes) {
        RowPlan::Unchanged
    } else {
        RowPlan::Change(changes)
    }
}

/// Whether `changes` hold a change besides a sign-out: a user with nothing else to change is
/// not signed out.
pub fn changes_more_than_sign_out(changes: &[OpDiff]) -> bool {
    changes.iter().any(|d| !matches!(d, OpDiff::SignOut(_)))
}

/// How the preview names a user: the username, with the email beside it when the username is
/// a UUID (as in pools that sign in by email), so that a reviewer can tell who it is.
/// A name with a control character or a space is shown quoted and escaped: a newline in a
/// username must not start a line of its own that reads as another change.
pub fn user_label(username: &str, email: Option<&str>) -> String {
    let shown = |s: &str| match s.chars().any(|c| c.is_control() || c.is_whitespace()) {
        true => format!("{s:?}"),
        false => s.to_string(),
    };
    match email.filter(|e| !e.is_empty()) {
        Some(email) if uuid::Uuid::try_parse(username).is_ok() => {
            format!("{} ({})", shown(username), shown(email))
        }
        _ => shown(username),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::row::{AttrChange, AttrDiff, Op};

    #[test]
    fn a_username_cannot_forge_a_preview_line() {
        let d = AttrDiff {
            name: "nickname".into(),
            before: None,
            after: Some("x".into()),
        };
        let line = d.preview_line(&user_label("eve\n+ admin  custom:role", None));
        assert!(!line.contains('\n'), "{line}");
        assert!(
            line.starts_with("+ \"eve\\n+ admin  custom:role\"  nickname"),
            "{line}"
        );
        assert_eq!(user_label("alice", None), "alice");
    }

    fn row(changes: &[(&str, Option<&str>)]) -> Row {
        Row {
            line: 2,
            username: "alice".into(),
            ops: changes
                .iter()
                .map(|(n, v)| Op::Attribute(AttrChange::new(*n, v.map(str::to_string))))
                .collect(),
            client_metadata: Default::default(),
            exact_groups: None,
        }
    }

    #[test]
    fn a_uuid_username_is_shown_with_its_email() {
        let uuid = "5f1d7c2e-8a4b-4c3d-9e2f-0123456789ab";
        assert_eq!(
            user_label(uuid, Some("a@example.com")),
            format!("{uuid} (a@example.com)")
        );
        assert_eq!(user_label(uuid, None), uuid);
        assert_eq!(user_label("alice", Some("a@example.com")), "alice");
    }

    #[test]
    fn keeps_only_real_changes() {
        let current: BTreeMap<String, String> =
            [("custom:tier", "free"), ("nickname", "al"), ("locale", "")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let r = row(&[
            ("custom:tier", Some("pro")),
            ("nickname", Some("al")),
            ("given_name", Some("Alice")),
            ("locale", None),
            ("zoneinfo", None),
            ("email", None),
        ]);
        let RowPlan::Change(d) = diff(&r, Some(Now::attributes(&current))) else {
            panic!()
        };
        let d: Vec<AttrDiff> = d.iter().filter_map(OpDiff::attribute).cloned().collect();
        assert_eq!(
            d,
            [
                AttrDiff {
                    name: "custom:tier".into(),
                    before: Some("free".into()),
                    after: Some("pro".into())
                },
                AttrDiff {
                    name: "given_name".into(),
                    before: None,
                    after: Some("Alice".into())
                },
            ]
        );
        assert_eq!(
            diff(
                &row(&[("nickname", Some("al"))]),
                Some(Now::attributes(&current))
            ),
            RowPlan::Unchanged
        );
        assert_eq!(diff(&r, None), RowPlan::NotFound);
        assert_eq!(
            d[0].preview_line("alice"),
            "~ alice  custom:tier: \"free\" -> \"pro\""
        );
        assert_eq!(d[1].preview_line("alice"), "+ alice  given_name: \"Alice\"");
    }
}
