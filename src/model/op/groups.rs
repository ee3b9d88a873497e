//! Group membership: add a user to a group (AdminAddUserToGroup) or remove it
//! (AdminRemoveUserFromGroup). The operation and its decided form are the same value: a
//! membership has only two states, so "what it was before" is implied by the change (a user
//! added was not a member). Diffed against the user's groups as the run read them (one
//! ListUsersInGroup pass per group named in the input): a user already in the group costs no
//! call. In a plan file: `{"op":"add_to_group","group":"admin"}`.

use std::collections::BTreeSet;

use super::{Cells, OpKind};
use crate::cognito::call::Call;

/// Which way the membership changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Membership {
    AddToGroup,
    RemoveFromGroup,
}

/// Add the user to `group`, or remove it from it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupChange {
    pub op: Membership,
    pub group: String,
}

impl GroupChange {
    pub fn add(group: impl Into<String>) -> GroupChange {
        GroupChange {
            op: Membership::AddToGroup,
            group: group.into(),
        }
    }

    pub fn remove(group: impl Into<String>) -> GroupChange {
        GroupChange {
            op: Membership::RemoveFromGroup,
            group: group.into(),
        }
    }

    pub fn adds(&self) -> bool {
        self.op == Membership::AddToGroup
    }

    pub fn kind(&self) -> OpKind {
        match self.op {
            Membership::AddToGroup => OpKind::AddToGroup,
            Membership::RemoveFromGroup => OpKind::RemoveFromGroup,
        }
    }

    /// This change against the user's groups (None: not read, so it is sent): None when
    /// the user already is (or already is not) a member.
    pub fn diff(&self, groups: Option<&BTreeSet<String>>) -> Option<GroupChange> {
        let member = groups.map(|g| g.contains(&self.group));
        (member != Some(self.adds())).then(|| self.clone())
    }

    /// The change that undoes this one: remove what was added, add back what was removed.
    pub fn inverse(&self) -> GroupChange {
        GroupChange {
            op: match self.op {
                Membership::AddToGroup => Membership::RemoveFromGroup,
                Membership::RemoveFromGroup => Membership::AddToGroup,
            },
            group: self.group.clone(),
        }
    }

    /// `+ alice  group admin` or `- alice  group beta`.
    pub fn preview_line(&self, user: &str) -> String {
        let sign = if self.adds() { '+' } else { '-' };
        format!("{sign} {user}  group {}", self.group)
    }

    /// In the Markdown plan: the group, as the value that appears or goes.
    pub fn cells(&self) -> Cells<'_> {
        let (before, after) = if self.adds() {
            (None, Some(self.group.as_str()))
        } else {
            (Some(self.group.as_str()), None)
        };
        Cells {
            what: "group".to_string(),
            sign: if self.adds() { "+" } else { "-" },
            before,
            after,
        }
    }

    pub fn call(&self, username: &str) -> Call {
        let (username, group) = (username.to_string(), self.group.clone());
        match self.op {
            Membership::AddToGroup => Call::AddUserToGroup { username, group },
            Membership::RemoveFromGroup => Call::RemoveUserFromGroup { username, group },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_costs_no_call_and_an_unread_membership_is_sent() {
        let groups: BTreeSet<String> = ["admin".to_string()].into();
        assert_eq!(GroupChange::add("admin").diff(Some(&groups)), None);
        assert!(GroupChange::add("beta").diff(Some(&groups)).is_some());
        assert!(GroupChange::remove("admin").diff(Some(&groups)).is_some());
        assert_eq!(GroupChange::remove("beta").diff(Some(&groups)), None);
        assert!(GroupChange::add("admin").diff(None).is_some());
    }

    #[test]
    fn its_plan_form_names_the_op_and_the_group() {
        let c = GroupChange::remove("beta");
        let line = serde_json::to_string(&c).unwrap();
        assert_eq!(line, r#"{"op":"remove_from_group","group":"beta"}"#);
        assert_eq!(c.inverse(), GroupChange::add("beta"));
        assert_eq!(c.preview_line("bob"), "- bob  group beta");
    }
}
