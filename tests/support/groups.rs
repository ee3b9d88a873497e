//! Group membership and status of a moto pool, set up and read back through the SDK, as
//! the tests of issue 19 need them.

use std::collections::BTreeSet;

use aws_sdk_cognitoidentityprovider::Client;

/// Creates `group` in `pool`.
pub async fn create_group(c: &Client, pool: &str, group: &str) {
    c.create_group()
        .user_pool_id(pool)
        .group_name(group)
        .send()
        .await
        .unwrap();
}

/// Adds `user` to `group` (AdminAddUserToGroup), behind the tool's back.
pub async fn join(c: &Client, pool: &str, user: &str, group: &str) {
    c.admin_add_user_to_group()
        .user_pool_id(pool)
        .username(user)
        .group_name(group)
        .send()
        .await
        .unwrap();
}

/// Disables `user` (AdminDisableUser), behind the tool's back.
pub async fn disable(c: &Client, pool: &str, user: &str) {
    let call = c.admin_disable_user().user_pool_id(pool).username(user);
    call.send().await.unwrap();
}

/// The groups `user` is in (AdminListGroupsForUser).
pub async fn groups_of(c: &Client, pool: &str, user: &str) -> BTreeSet<String> {
    let out = c
        .admin_list_groups_for_user()
        .user_pool_id(pool)
        .username(user)
        .send()
        .await
        .unwrap();
    out.groups()
        .iter()
        .filter_map(|g| g.group_name().map(str::to_string))
        .collect()
}

/// Whether `user` is enabled (AdminGetUser).
pub async fn enabled(c: &Client, pool: &str, user: &str) -> bool {
    let out = c.admin_get_user().user_pool_id(pool).username(user);
    out.send().await.unwrap().enabled()
}
