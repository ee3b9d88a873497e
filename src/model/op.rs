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
pub mod groups;
mod kind;
pub mod not_reversible;
pub mod sign_out;
pub mod status;

use std::collections::{BTreeMap, BTreeSet};

pub use attributes::{AttrChange, AttrDiff, Before, Change};
pub use counts::Counts;
pub use groups::{GroupChange, Membership};
pub use kind::OpKind;
pub use sign_out::SignOutDiff;
pub use status::EnabledDiff;

use crate::cognito::call::{Call, Category};

/// One operation on one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Set or delete an attribute (AdminUpdateUserAttributes).
    Attribute(AttrChange),
    /// Add the user to a group or remove it (AdminAddUserToGroup, AdminRemoveUserFromGroup).
    Group(GroupChange),
    /// Enable (true) or disable (false) the user (AdminEnableUser, AdminDisableUser).
    Enabled(bool),
    /// Sign the user out everywhere after its other operations (AdminUserGlobalSignOut).
    SignOut,
}

impl Op {
    pub fn kind(&self) -> OpKind {
        match self {
            Op::Attribute(c) => c.kind(),
            Op::Group(c) => c.kind(),
            Op::Enabled(e) => status::kind_of(*e),
            Op::SignOut => OpKind::SignOut,
        }
    }

    pub fn category(&self) -> Category {
        self.kind().category()
    }

    /// The attribute change, for the stages that check attributes; None for another kind.
    pub fn attribute(&self) -> Option<&AttrChange> {
        match self {
            Op::Attribute(c) => Some(c),
            _ => None,
        }
    }

    /// What it changes, as a conflict names it (an attribute's name).
    pub fn subject(&self) -> &str {
        match self {
            Op::Attribute(c) => &c.name,
            Op::Group(c) => &c.group,
            Op::Enabled(_) => "enabled",
            Op::SignOut => "sign-out",
        }
    }

    /// This operation against what the user holds `now`; None when it is already done.
    pub fn diff(&self, now: Now<'_>) -> Option<OpDiff> {
        match self {
            Op::Attribute(c) => c.diff(now.attributes).map(OpDiff::Attribute),
            Op::Group(c) => c.diff(now.groups).map(OpDiff::Group),
            Op::Enabled(e) => status::diff(*e, now.enabled).map(OpDiff::Enabled),
            Op::SignOut => Some(OpDiff::SignOut(SignOutDiff::default())),
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
            Op::Group(c) => OpDiff::Group(c.clone()),
            Op::Enabled(e) => OpDiff::Enabled(EnabledDiff::new(None, *e)),
            Op::SignOut => OpDiff::SignOut(SignOutDiff::default()),
        }
    }
}

/// What the pool holds for one user, as operations read it to diff themselves: its
/// attributes, its groups and its `enabled` flag (None: not read, so an operation on it is
/// sent as it is).
#[derive(Debug, Clone, Copy)]
pub struct Now<'a> {
    pub attributes: &'a BTreeMap<String, String>,
    pub groups: Option<&'a BTreeSet<String>>,
    pub enabled: Option<bool>,
}

impl<'a> Now<'a> {
    /// Only attributes were read.
    pub fn attributes(attributes: &'a BTreeMap<String, String>) -> Now<'a> {
        Now {
            attributes,
            groups: None,
            enabled: None,
        }
    }
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
    Group(GroupChange),
    Enabled(EnabledDiff),
    SignOut(SignOutDiff),
}

impl OpDiff {
    pub fn kind(&self) -> OpKind {
        match self {
            OpDiff::Attribute(d) => d.kind(),
            OpDiff::Group(c) => c.kind(),
            OpDiff::Enabled(d) => d.kind(),
            OpDiff::SignOut(d) => d.kind(),
        }
    }

    /// Whether it changes anything (a `*_verified` flag sent along with its address at the
    /// value it already has does not).
    pub fn changes_anything(&self) -> bool {
        match self {
            OpDiff::Attribute(d) => d.before != d.after,
            OpDiff::Enabled(d) => d.before != Some(d.after),
            OpDiff::Group(_) | OpDiff::SignOut(_) => true,
        }
    }

    /// The operation that makes this change.
    pub fn op(&self) -> Op {
        match self {
            OpDiff::Attribute(d) => d.op(),
            OpDiff::Group(c) => Op::Group(c.clone()),
            OpDiff::Enabled(d) => Op::Enabled(d.after),
            OpDiff::SignOut(_) => Op::SignOut,
        }
    }

    /// The change that undoes this one (None: it cannot be undone).
    pub fn inverse(&self) -> Option<OpDiff> {
        match self {
            OpDiff::Attribute(d) => Some(OpDiff::Attribute(d.inverse())),
            OpDiff::Group(c) => Some(OpDiff::Group(c.inverse())),
            OpDiff::Enabled(d) => d.inverse().map(OpDiff::Enabled),
            OpDiff::SignOut(_) => None,
        }
    }

    /// The preview's line for this change of `user`.
    pub fn preview_line(&self, user: &str) -> String {
        match self {
            OpDiff::Attribute(d) => d.preview_line(user),
            OpDiff::Group(c) => c.preview_line(user),
            OpDiff::Enabled(d) => d.preview_line(user),
            OpDiff::SignOut(d) => d.preview_line(user),
        }
    }

    /// Whether the pool held, before this change, what a plan saw (`planned`; a change the
    /// plan saw nothing before is not checked). If not, someone changed it since: a conflict.
    /// A membership or a flag has two states: changed since the plan, it holds the target,
    /// and the operation is already done rather than in conflict.
    pub fn as_planned(&self, planned: &Before) -> bool {
        match self {
            OpDiff::Attribute(d) => planned.get(&d.name).is_none_or(|p| *p == d.before),
            OpDiff::Group(_) | OpDiff::Enabled(_) | OpDiff::SignOut(_) => true,
        }
    }

    /// What the plan's table shows for this change.
    pub fn cells(&self) -> Cells<'_> {
        match self {
            OpDiff::Attribute(d) => d.cells(),
            OpDiff::Group(c) => c.cells(),
            OpDiff::Enabled(d) => d.cells(),
            OpDiff::SignOut(d) => d.cells(),
        }
    }

    /// The attribute change, for the stages that weigh attributes (aliases, verification
    /// messages, the Markdown table's columns); None for another kind.
    pub fn attribute(&self) -> Option<&AttrDiff> {
        match self {
            OpDiff::Attribute(d) => Some(d),
            _ => None,
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
/// (every attribute operation in one AdminUpdateUserAttributes call), attributes first,
/// then group memberships, then the `enabled` flag, and the sign-out last, after the user's
/// other operations, so that the tokens it gets next carry the new values.
pub fn calls(username: &str, ops: &[Op], client_metadata: &BTreeMap<String, String>) -> Vec<Call> {
    let mut calls: Vec<Call> = attributes::call(username, ops, client_metadata)
        .into_iter()
        .collect();
    calls.extend(ops.iter().filter_map(|op| match op {
        Op::Group(c) => Some(c.call(username)),
        _ => None,
    }));
    calls.extend(ops.iter().filter_map(|op| match op {
        Op::Enabled(e) => Some(EnabledDiff::new(None, *e).call(username)),
        _ => None,
    }));
    if ops.contains(&Op::SignOut) {
        calls.push(SignOutDiff::default().call(username));
    }
    calls
}

/// `diffs` split into the attribute changes and the rest, for the rules that weigh
/// attributes together (a row's aliases, flags and messages).
pub fn attributes_apart(diffs: Vec<OpDiff>) -> (Vec<AttrDiff>, Vec<OpDiff>) {
    let mut attributes = Vec::new();
    let mut others = Vec::new();
    for d in diffs {
        match d {
            OpDiff::Attribute(a) => attributes.push(a),
            other => others.push(other),
        }
    }
    (attributes, others)
}

#[cfg(test)]
mod tests;
