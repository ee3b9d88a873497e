//! The calls of the [`Pool`](super::Pool) trait, named by a type rather than a string, so that
//! a test's call log and fault script cannot misspell one: the fake pool logs them
//! ([`super::fake`]), the fault wrapper scripts them ([`super::faults`]).

/// One method of the [`Pool`](super::Pool) trait, and the Cognito API operation it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Call {
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
}

impl Call {
    /// The Cognito API operation, as the fault proxy and CloudTrail name it.
    pub fn operation(self) -> &'static str {
        match self {
            Call::Describe => "DescribeUserPool",
            Call::ListUsers => "ListUsers",
            Call::GetUser => "AdminGetUser",
            Call::IdentityProviders => "ListIdentityProviders",
            Call::Update => "AdminUpdateUserAttributes",
        }
    }
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.operation())
    }
}
