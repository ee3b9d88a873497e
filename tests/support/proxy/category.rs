//! Cognito's quota categories as the proxy models them: which category each API operation is
//! metered in ("Quotas in Amazon Cognito", user pools API operation categories; the table is
//! in docs/QUOTAS.md), and the token bucket the proxy keeps per operation or per category.
//! Kept apart from the tool's own table (`cognito::call::Category`) so that a test through
//! the proxy checks the tool against the guide, not against itself.

use std::collections::HashMap;
use std::time::Instant;

use super::BucketConfig;

/// The category `op` is metered in, for the user-pool operations a bulk tool makes; None
/// for one the proxy does not meter by category.
pub fn of(op: &str) -> Option<&'static str> {
    Some(match op {
        "AdminUpdateUserAttributes"
        | "AdminDeleteUserAttributes"
        | "AdminAddUserToGroup"
        | "AdminRemoveUserFromGroup"
        | "AdminEnableUser"
        | "AdminDisableUser"
        | "AdminUserGlobalSignOut"
        | "AdminDeleteUser"
        | "AdminSetUserSettings"
        | "AdminSetUserMFAPreference"
        | "AdminLinkProviderForUser"
        | "AdminDisableProviderForUser" => "UserUpdate",
        "AdminGetUser" | "GetUser" => "UserRead",
        "ListUsers" | "ListUsersInGroup" => "UserList",
        "AdminListGroupsForUser" | "AdminListDevices" | "AdminGetDevice" => "UserResourceRead",
        "AdminForgetDevice" | "AdminUpdateDeviceStatus" => "UserResourceUpdate",
        "DescribeUserPool" | "ListUserPools" => "UserPoolRead",
        "GetGroup" | "ListGroups" | "ListIdentityProviders" | "DescribeIdentityProvider" => {
            "UserPoolResourceRead"
        }
        "CreateGroup" | "UpdateGroup" | "DeleteGroup" => "UserPoolResourceUpdate",
        "AdminCreateUser" | "SignUp" | "ConfirmSignUp" | "AdminConfirmSignUp" => "UserCreation",
        _ => return None,
    })
}

/// Takes a token from the bucket `key` (made full on first use): false when it is empty,
/// which the proxy answers as a throttle.
pub fn take(buckets: &mut HashMap<String, (f64, Instant)>, key: &str, cfg: BucketConfig) -> bool {
    let now = Instant::now();
    let (tokens, last) = buckets.entry(key.to_string()).or_insert((cfg.burst, now));
    *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * cfg.rps).min(cfg.burst);
    *last = now;
    if *tokens >= 1.0 {
        *tokens -= 1.0;
        true
    } else {
        false
    }
}
