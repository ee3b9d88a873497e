//! The calls of the [`Pool`](super::Pool) trait, named by a type rather than a string (the API operation each makes), so that
//! a test's call log and fault script cannot misspell one: the fake pool logs them
//! ([`super::fake`]), the fault wrapper scripts them ([`super::faults`]).

/// One method of the [`Pool`](super::Pool) trait, and the Cognito API operation it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Api {
    /// DescribeUserPool.
    Describe,
    /// ListUsers (one page).
    ListUsers,
    /// AdminGetUser.
    GetUser,
    /// ListIdentityProviders (with DescribeIdentityProvider for each).
    IdentityProviders,
    /// The write: AdminUpdateUserAttributes.
    Update,
    /// ListGroups (one page).
    ListGroups,
    /// ListUsersInGroup (one page).
    ListUsersInGroup,
    /// AdminAddUserToGroup.
    AddToGroup,
    /// AdminRemoveUserFromGroup.
    RemoveFromGroup,
    /// AdminEnableUser.
    EnableUser,
    /// AdminDisableUser.
    DisableUser,
    /// AdminUserGlobalSignOut.
    GlobalSignOut,
    /// AdminListGroupsForUser (one page).
    ListGroupsForUser,
}

impl Api {
    /// The Cognito API operation, as the fault proxy and CloudTrail name it.
    pub fn operation(self) -> &'static str {
        match self {
            Api::Describe => "DescribeUserPool",
            Api::ListUsers => "ListUsers",
            Api::GetUser => "AdminGetUser",
            Api::IdentityProviders => "ListIdentityProviders",
            Api::Update => "AdminUpdateUserAttributes",
            Api::ListGroups => "ListGroups",
            Api::ListUsersInGroup => "ListUsersInGroup",
            Api::AddToGroup => "AdminAddUserToGroup",
            Api::RemoveFromGroup => "AdminRemoveUserFromGroup",
            Api::EnableUser => "AdminEnableUser",
            Api::DisableUser => "AdminDisableUser",
            Api::GlobalSignOut => "AdminUserGlobalSignOut",
            Api::ListGroupsForUser => "AdminListGroupsForUser",
        }
    }
}

impl std::fmt::Display for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.operation())
    }
}
