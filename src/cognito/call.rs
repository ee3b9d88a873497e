//! The writes the tool sends, typed: one [`Call`] variant per Cognito write API, which the
//! real pool (`sdk.rs`) and the fake (`fake.rs`) each match on. Operations
//! (`model::op`) decide which calls send them; the pool only carries them out.
//!
//! Every call belongs to a quota [`Category`]: Cognito meters its APIs per category and per
//! account and region, so the sender paces each category on its own.

use std::collections::BTreeMap;

use super::api::Api;

/// One write to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// AdminUpdateUserAttributes. Every attribute operation of a row goes in one call: an
    /// address and its `*_verified` flag must travel together, or Cognito marks the address
    /// unverified and sends a code.
    UpdateAttributes {
        username: String,
        /// Name and value; None deletes (sent as a blank value, as the API documents).
        attributes: Vec<(String, Option<String>)>,
        client_metadata: BTreeMap<String, String>,
    },
    /// AdminAddUserToGroup.
    AddUserToGroup { username: String, group: String },
    /// AdminRemoveUserFromGroup.
    RemoveUserFromGroup { username: String, group: String },
    /// AdminEnableUser.
    EnableUser { username: String },
    /// AdminDisableUser.
    DisableUser { username: String },
    /// AdminUserGlobalSignOut: revokes the user's refresh tokens; cannot be undone.
    GlobalSignOut { username: String },
}

/// A Cognito quota category: its calls share one per-account, per-region limit.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// UserUpdate: 25 requests a second by default, shared with the live app.
    UserUpdate,
    /// UserRead (AdminGetUser): 120 a second by default.
    UserRead,
    /// UserList (ListUsers, ListUsersInGroup): 30 a second.
    UserList,
    /// UserResourceRead (a user's devices and groups, AdminListGroupsForUser): 50 a second.
    UserResourceRead,
    /// UserResourceUpdate (a user's remembered devices): 25 a second.
    UserResourceUpdate,
    /// UserPoolRead (DescribeUserPool): 15 a second.
    UserPoolRead,
    /// UserPoolResourceRead (GetGroup, ListGroups, identity providers): 20 a second, 5 per
    /// pool.
    UserPoolResourceRead,
}

mod category;

impl Call {
    /// The API operation it makes, as call logs and fault scripts name it.
    pub fn api(&self) -> Api {
        match self {
            Call::UpdateAttributes { .. } => Api::Update,
            Call::AddUserToGroup { .. } => Api::AddToGroup,
            Call::RemoveUserFromGroup { .. } => Api::RemoveFromGroup,
            Call::EnableUser { .. } => Api::EnableUser,
            Call::DisableUser { .. } => Api::DisableUser,
            Call::GlobalSignOut { .. } => Api::GlobalSignOut,
        }
    }

    /// The user the call acts on (its real username).
    pub fn username(&self) -> &str {
        match self {
            Call::UpdateAttributes { username, .. }
            | Call::AddUserToGroup { username, .. }
            | Call::RemoveUserFromGroup { username, .. }
            | Call::EnableUser { username }
            | Call::DisableUser { username }
            | Call::GlobalSignOut { username } => username,
        }
    }

    /// The quota category Cognito meters this call in.
    /// One table says which operation is metered where (`Category::of_operation`, as
    /// docs/QUOTAS.md lists it); every write the tool makes is in it (UserUpdate today).
    pub fn category(&self) -> Category {
        Category::of_operation(self.api().operation()).unwrap_or(Category::UserUpdate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_names_its_api_user_and_category() {
        let call = Call::UpdateAttributes {
            username: "alice".into(),
            attributes: vec![("nickname".into(), None)],
            client_metadata: BTreeMap::new(),
        };
        assert_eq!(call.api().operation(), "AdminUpdateUserAttributes");
        assert_eq!(call.username(), "alice");
        assert_eq!(call.category(), Category::UserUpdate);
    }
}
