//! What an operation does ([`OpKind`]), for counts (summary, report), the journal, its
//! quota category and whether rollback can undo it.

use crate::cognito::call::Category;

/// What an operation does, for counts (summary, report) and the journal.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    SetAttribute,
    DeleteAttribute,
    AddToGroup,
    RemoveFromGroup,
    EnableUser,
    DisableUser,
    SignOut,
}

impl OpKind {
    /// Every kind, in the order counts are shown.
    pub const ALL: [OpKind; 7] = [
        OpKind::SetAttribute,
        OpKind::DeleteAttribute,
        OpKind::AddToGroup,
        OpKind::RemoveFromGroup,
        OpKind::EnableUser,
        OpKind::DisableUser,
        OpKind::SignOut,
    ];

    /// How counts name the kind (`2 attributes set`).
    pub fn noun(self) -> &'static str {
        match self {
            OpKind::SetAttribute => "attributes set",
            OpKind::DeleteAttribute => "attributes deleted",
            OpKind::AddToGroup => "group memberships added",
            OpKind::RemoveFromGroup => "group memberships removed",
            OpKind::EnableUser => "users enabled",
            OpKind::DisableUser => "users disabled",
            OpKind::SignOut => "users signed out",
        }
    }

    /// The quota category the kind's calls are metered in.
    pub fn category(self) -> Category {
        match self {
            OpKind::SetAttribute | OpKind::DeleteAttribute => Category::UserUpdate,
            OpKind::AddToGroup | OpKind::RemoveFromGroup => Category::UserUpdate,
            OpKind::EnableUser | OpKind::DisableUser => Category::UserUpdate,
            OpKind::SignOut => Category::UserUpdate,
        }
    }

    /// Whether rollback can undo it (a sign-out, say, cannot be).
    pub fn reversible(self) -> bool {
        !matches!(self, OpKind::SignOut)
    }
}
