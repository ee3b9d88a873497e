//! Diffing a row against the user's current values: what would really change.

use std::collections::BTreeMap;

use crate::model::row::{AttrDiff, Row};

/// What a row comes to against the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowPlan {
    /// The user does not exist.
    NotFound,
    /// Every attribute already has its target value: nothing to send.
    Unchanged,
    /// A plan's row whose user changed since the plan was made (these attributes).
    Conflict(Vec<String>),
    Change(Vec<AttrDiff>),
}

/// Diffs `row` against `current` (the user's attributes, None if the user does not exist).
/// A blank current value counts as absent: Cognito never holds one (some emulators do).
pub fn diff(row: &Row, current: Option<&BTreeMap<String, String>>) -> RowPlan {
    let Some(current) = current else {
        return RowPlan::NotFound;
    };
    // Each operation diffs itself (`model::op`): one already at its target drops out.
    let changes: Vec<AttrDiff> = row.attrs().filter_map(|c| c.diff(current)).collect();
    if changes.is_empty() {
        RowPlan::Unchanged
    } else {
        RowPlan::Change(changes)
    }
}

/// A plan's row against the user's current values `now`: the plan expected `planned` (each
/// attribute's value before the change). An attribute already at its target is dropped; one
/// that holds neither the planned before-value nor the target was changed by someone else
/// since the plan was made: a conflict, unless `force` (then it is sent over the new value).
pub fn against_plan(
    row: &Row,
    planned: &BTreeMap<String, Option<String>>,
    now: &BTreeMap<String, String>,
    force: bool,
) -> RowPlan {
    let mut conflicts = Vec::new();
    let mut changes = Vec::new();
    for c in row.attrs() {
        let before = now.get(&c.name).filter(|v| !v.is_empty()).cloned();
        let after = c.change.value().map(str::to_string);
        if before == after {
            continue;
        }
        // An attribute the plan has no before-value for is not checked.
        let expected = planned
            .get(&c.name)
            .cloned()
            .unwrap_or_else(|| before.clone());
        if before != expected {
            conflicts.push(c.name.clone());
        }
        changes.push(AttrDiff {
            name: c.name.clone(),
            before,
            after,
        });
    }
    if !conflicts.is_empty() && !force {
        RowPlan::Conflict(conflicts)
    } else if changes.is_empty() {
        RowPlan::Unchanged
    } else {
        RowPlan::Change(changes)
    }
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
    use super::*;
    use crate::model::row::{AttrChange, Op};

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
        let RowPlan::Change(d) = diff(&r, Some(&current)) else {
            panic!()
        };
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
            diff(&row(&[("nickname", Some("al"))]), Some(&current)),
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
