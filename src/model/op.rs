//! A user's change is a list of typed operations ([`Op`]). Every stage carries them: readers
//! produce them, the planner decides them (an operation against the pool becomes an
//! [`OpDiff`]: what it changes, from what), the plan file and journal record them, the sender
//! turns a row's operations into the calls that send them ([`calls`]), rollback inverts them
//! ([`OpDiff::inverse`]) and the summary and report count them by [`OpKind`].
//!
//! Each kind lives in a module of its own that answers what the stages ask: its kind, its
//! quota category, its diff, its preview line, its inverse and its call. A new kind is a new
//! module plus a variant here and in [`OpKind`] (and its `Call` in `cognito/call.rs`, sent by
//! `cognito/sdk.rs` and `cognito/fake.rs`); the match arms below are its registration.

pub mod attributes;
mod counts;

use std::collections::BTreeMap;

pub use attributes::{AttrChange, AttrDiff, Before, Change};
pub use counts::Counts;

use crate::cognito::call::{Call, Category};

/// One operation on one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Set or delete an attribute (AdminUpdateUserAttributes).
    Attribute(AttrChange),
}

/// What an operation does, for counts (summary, report) and the journal.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    SetAttribute,
    DeleteAttribute,
}

impl OpKind {
    /// Every kind, in the order counts are shown.
    pub const ALL: [OpKind; 2] = [OpKind::SetAttribute, OpKind::DeleteAttribute];

    /// How counts name the kind (`2 attributes set`).
    pub fn noun(self) -> &'static str {
        match self {
            OpKind::SetAttribute => "attributes set",
            OpKind::DeleteAttribute => "attributes deleted",
        }
    }

    /// The quota category the kind's calls are metered in.
    pub fn category(self) -> Category {
        match self {
            OpKind::SetAttribute | OpKind::DeleteAttribute => Category::UserUpdate,
        }
    }

    /// Whether rollback can undo it (a sign-out, say, cannot be).
    pub fn reversible(self) -> bool {
        match self {
            OpKind::SetAttribute | OpKind::DeleteAttribute => true,
        }
    }
}

impl Op {
    pub fn kind(&self) -> OpKind {
        match self {
            Op::Attribute(c) => c.kind(),
        }
    }

    pub fn category(&self) -> Category {
        self.kind().category()
    }

    /// The attribute change, for the stages that check attributes; None for another kind.
    pub fn attribute(&self) -> Option<&AttrChange> {
        match self {
            Op::Attribute(c) => Some(c),
        }
    }

    /// What it changes, as a conflict names it (an attribute's name).
    pub fn subject(&self) -> &str {
        match self {
            Op::Attribute(c) => &c.name,
        }
    }

    /// This operation against what the user holds `now`; None when it is already done.
    pub fn diff(&self, now: Now<'_>) -> Option<OpDiff> {
        match self {
            Op::Attribute(c) => c.diff(now.attributes).map(OpDiff::Attribute),
        }
    }

    /// This operation sent without current values: with what a plan saw before it
    /// (`planned`), if the row comes from a plan.
    pub fn unread(&self, planned: Option<&Before>) -> OpDiff {
        match self {
            Op::Attribute(c) => OpDiff::Attribute(AttrDiff {
                name: c.name.clone(),
                before: planned.and_then(|b| b.get(&c.name).cloned().flatten()),
                after: c.change.value().map(str::to_string),
            }),
        }
    }
}

/// What the pool holds for one user, as operations read it to diff themselves: its
/// attributes (a new kind adds what it reads, e.g. the user's groups).
#[derive(Debug, Clone, Copy)]
pub struct Now<'a> {
    pub attributes: &'a BTreeMap<String, String>,
}

/// An operation decided against the pool: what it changes, from what. What the plan file,
/// the preview and rollback carry.
///
/// In a plan file an attribute change is `{"name", "before", "after"}`, as every plan written
/// so far has it (so those plans still load); a new kind adds a variant whose form has an
/// `"op"` field naming its kind and no `"name"` (serde tries the variants in order), and
/// raises the plan's `VERSION`, so that an older build refuses the plan instead of
/// misreading it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum OpDiff {
    Attribute(AttrDiff),
}

impl OpDiff {
    pub fn kind(&self) -> OpKind {
        match self {
            OpDiff::Attribute(d) => d.kind(),
        }
    }

    /// Whether it changes anything (a `*_verified` flag sent along with its address at the
    /// value it already has does not).
    pub fn changes_anything(&self) -> bool {
        match self {
            OpDiff::Attribute(d) => d.before != d.after,
        }
    }

    /// The operation that makes this change.
    pub fn op(&self) -> Op {
        match self {
            OpDiff::Attribute(d) => d.op(),
        }
    }

    /// The change that undoes this one (None: it cannot be undone).
    pub fn inverse(&self) -> Option<OpDiff> {
        match self {
            OpDiff::Attribute(d) => Some(OpDiff::Attribute(d.inverse())),
        }
    }

    /// The preview's line for this change of `user`.
    pub fn preview_line(&self, user: &str) -> String {
        match self {
            OpDiff::Attribute(d) => d.preview_line(user),
        }
    }

    /// Whether the pool held, before this change, what a plan saw (`planned`; a change the
    /// plan saw nothing before is not checked). If not, someone changed it since: a conflict.
    pub fn as_planned(&self, planned: &Before) -> bool {
        match self {
            OpDiff::Attribute(d) => planned.get(&d.name).is_none_or(|p| *p == d.before),
        }
    }

    /// What the plan's table shows for this change.
    pub fn cells(&self) -> Cells<'_> {
        match self {
            OpDiff::Attribute(d) => d.cells(),
        }
    }

    /// The attribute change, for the stages that weigh attributes (aliases, verification
    /// messages, the Markdown table's columns); None for another kind.
    pub fn attribute(&self) -> Option<&AttrDiff> {
        match self {
            OpDiff::Attribute(d) => Some(d),
        }
    }
}

/// One change as a row of the Markdown plan's table: what changes (an attribute's name), a
/// sign (`+` added, `-` removed, `~` changed), and the values before and after (redactable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cells<'a> {
    pub what: String,
    pub sign: &'static str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
}

impl From<AttrDiff> for OpDiff {
    fn from(d: AttrDiff) -> OpDiff {
        OpDiff::Attribute(d)
    }
}

/// The calls that send `ops` to `username`, in the order they go: each kind makes its own
/// (every attribute operation in one AdminUpdateUserAttributes call).
pub fn calls(username: &str, ops: &[Op], client_metadata: &BTreeMap<String, String>) -> Vec<Call> {
    attributes::call(username, ops, client_metadata)
        .into_iter()
        .collect()
}

/// `diffs` split into the attribute changes and the rest, for the rules that weigh
/// attributes together (a row's aliases, flags and messages).
pub fn attributes_apart(diffs: Vec<OpDiff>) -> (Vec<AttrDiff>, Vec<OpDiff>) {
    let mut attributes = Vec::new();
    let others = Vec::new();
    for d in diffs {
        match d {
            OpDiff::Attribute(a) => attributes.push(a),
        }
    }
    (attributes, others)
}

#[cfg(test)]
mod tests {
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
        let d = op.diff(Now { attributes: &now }).expect("a change");
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
        assert!(op.diff(Now { attributes: &done }).is_none(), "already done");
        let unread = op.unread(Some(&saw("old")));
        assert_eq!(unread.attribute().unwrap().before.as_deref(), Some("old"));
        assert_eq!(op.subject(), "nickname");
    }
}
