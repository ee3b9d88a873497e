//! Cognito's quota categories as the developer guide lists them ("Quotas in Amazon Cognito",
//! user pools API operation categories and request rate quotas): each category's name, its
//! default quota, the ceiling the tool paces it at when no flag says otherwise, and which
//! category each API operation the tool makes is metered in. docs/QUOTAS.md holds the table
//! and where it comes from.

use std::str::FromStr;

use super::Category;

/// The share of a category's default quota the tool uses when no flag raises it: the quota is
/// per account and region, shared with the live application (`--rps` 10 of UserUpdate's 25).
const DEFAULT_SHARE: f64 = 0.4;

impl Category {
    /// Every category the tool may use, in the order reports show them.
    pub const ALL: [Category; 7] = [
        Category::UserUpdate,
        Category::UserRead,
        Category::UserList,
        Category::UserResourceRead,
        Category::UserResourceUpdate,
        Category::UserPoolRead,
        Category::UserPoolResourceRead,
    ];

    /// The name Cognito gives it (Service Quotas, CloudWatch's `CallCount`/`ThrottleCount`).
    pub fn name(self) -> &'static str {
        match self {
            Category::UserUpdate => "UserUpdate",
            Category::UserRead => "UserRead",
            Category::UserList => "UserList",
            Category::UserResourceRead => "UserResourceRead",
            Category::UserResourceUpdate => "UserResourceUpdate",
            Category::UserPoolRead => "UserPoolRead",
            Category::UserPoolResourceRead => "UserPoolResourceRead",
        }
    }

    /// The default quota, requests a second per account and region (before any bought
    /// capacity; UserRead and UserResourceRead can be raised, the others cannot).
    pub fn default_rps(self) -> f64 {
        match self {
            Category::UserUpdate | Category::UserResourceUpdate => 25.0,
            Category::UserRead => 120.0,
            Category::UserList => 30.0,
            Category::UserResourceRead => 50.0,
            Category::UserPoolRead => 15.0,
            Category::UserPoolResourceRead => 20.0,
        }
    }

    /// Whether its calls change users (the rows' calls), rather than read.
    pub fn writes(self) -> bool {
        matches!(self, Category::UserUpdate | Category::UserResourceUpdate)
    }

    /// The ceiling the sender paces the category at when no flag sets it: a share of the
    /// default quota, which the live application shares. `--rps` (UserUpdate, default 10) and
    /// `--read-rps` (UserRead, default 80) keep their own defaults.
    pub fn default_ceiling(self) -> f64 {
        (self.default_rps() * DEFAULT_SHARE).max(1.0)
    }

    /// The category an API operation (as X-Amz-Target names it) is metered in, for the
    /// operations the tool makes; None for one it does not.
    pub fn of_operation(operation: &str) -> Option<Category> {
        Some(match operation {
            "AdminUpdateUserAttributes"
            | "AdminDeleteUserAttributes"
            | "AdminAddUserToGroup"
            | "AdminRemoveUserFromGroup"
            | "AdminEnableUser"
            | "AdminDisableUser"
            | "AdminUserGlobalSignOut" => Category::UserUpdate,
            "AdminGetUser" => Category::UserRead,
            "ListUsers" | "ListUsersInGroup" => Category::UserList,
            "AdminListGroupsForUser" => Category::UserResourceRead,
            "DescribeUserPool" => Category::UserPoolRead,
            "GetGroup" | "ListGroups" | "ListIdentityProviders" | "DescribeIdentityProvider" => {
                Category::UserPoolResourceRead
            }
            _ => return None,
        })
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Category {
    type Err = String;

    /// Cognito's name, in any case (`UserUpdate`, `userupdate`), or the report's snake case
    /// (`user_update`).
    fn from_str(s: &str) -> Result<Category, String> {
        let plain = s.replace('_', "").to_ascii_lowercase();
        Category::ALL
            .into_iter()
            .find(|c| c.name().to_ascii_lowercase() == plain)
            .ok_or_else(|| {
                let names: Vec<&str> = Category::ALL.iter().map(|c| c.name()).collect();
                format!("unknown quota category {s:?}; one of {}", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_in_any_case() {
        for c in Category::ALL {
            assert_eq!(c.name().parse::<Category>(), Ok(c));
            assert_eq!(c.name().to_lowercase().parse::<Category>(), Ok(c));
        }
        assert_eq!("user_read".parse::<Category>(), Ok(Category::UserRead));
        let err = "UserWrite".parse::<Category>().unwrap_err();
        assert!(err.contains("UserUpdate"), "{err}");
    }

    #[test]
    fn operations_are_metered_in_their_categories() {
        let of = Category::of_operation;
        assert_eq!(of("AdminUpdateUserAttributes"), Some(Category::UserUpdate));
        assert_eq!(of("AdminAddUserToGroup"), Some(Category::UserUpdate));
        assert_eq!(of("AdminUserGlobalSignOut"), Some(Category::UserUpdate));
        assert_eq!(of("AdminGetUser"), Some(Category::UserRead));
        assert_eq!(of("ListUsersInGroup"), Some(Category::UserList));
        assert_eq!(of("ListGroups"), Some(Category::UserPoolResourceRead));
        assert_eq!(of("DescribeUserPool"), Some(Category::UserPoolRead));
        assert_eq!(of("InitiateAuth"), None);
    }

    #[test]
    fn default_ceilings_leave_the_live_app_most_of_the_quota() {
        for c in Category::ALL {
            assert!(c.default_ceiling() < c.default_rps(), "{c}");
        }
        assert_eq!(Category::UserUpdate.default_ceiling(), 10.0);
    }
}
