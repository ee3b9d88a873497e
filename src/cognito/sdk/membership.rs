//! The SDK pool's group reads (ListGroups, ListUsersInGroup) and its writes other than the
//! attribute update: group membership, enable/disable, global sign-out. Each maps the SDK's
//! answer to the pool's types and classifies its error once, as `sdk.rs` does.

use super::{SdkPool, classify, user};
use crate::cognito::{CallError, GroupPage, Page};

impl SdkPool {
    pub(super) async fn groups_page(&self, token: Option<&str>) -> Result<GroupPage, CallError> {
        let out = self
            .client
            .list_groups()
            .user_pool_id(&self.pool_id)
            .limit(60)
            .set_next_token(token.map(str::to_string))
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok(group_page(out.groups(), out.next_token()))
    }

    pub(super) async fn group_page(
        &self,
        group: &str,
        token: Option<&str>,
        limit: i32,
    ) -> Result<Page, CallError> {
        let out = self
            .client
            .list_users_in_group()
            .user_pool_id(&self.pool_id)
            .group_name(group)
            .limit(limit.clamp(1, 60))
            .set_next_token(token.map(str::to_string))
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok(Page {
            users: out.users().iter().map(user).collect(),
            next: out.next_token().map(str::to_string),
        })
    }

    pub(super) async fn membership(
        &self,
        username: &str,
        group: &str,
        add: bool,
    ) -> Result<(), CallError> {
        let (pool, client) = (&self.pool_id, &self.client);
        if add {
            let call = client.admin_add_user_to_group().user_pool_id(pool);
            let sent = call.username(username).group_name(group).send().await;
            sent.map(|_| ()).map_err(|e| classify(&e))
        } else {
            let call = client.admin_remove_user_from_group().user_pool_id(pool);
            let sent = call.username(username).group_name(group).send().await;
            sent.map(|_| ()).map_err(|e| classify(&e))
        }
    }

    pub(super) async fn set_enabled(&self, username: &str, enabled: bool) -> Result<(), CallError> {
        let (pool, client) = (&self.pool_id, &self.client);
        if enabled {
            let call = client.admin_enable_user().user_pool_id(pool);
            let sent = call.username(username).send().await;
            sent.map(|_| ()).map_err(|e| classify(&e))
        } else {
            let call = client.admin_disable_user().user_pool_id(pool);
            let sent = call.username(username).send().await;
            sent.map(|_| ()).map_err(|e| classify(&e))
        }
    }

    pub(super) async fn sign_out(&self, username: &str) -> Result<(), CallError> {
        self.client
            .admin_user_global_sign_out()
            .user_pool_id(&self.pool_id)
            .username(username)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify(&e))
    }
}

/// A page of groups as the SDK returns it (ListGroups, AdminListGroupsForUser): their names.
pub(super) fn group_page(
    groups: &[aws_sdk_cognitoidentityprovider::types::GroupType],
    next: Option<&str>,
) -> GroupPage {
    GroupPage {
        groups: groups
            .iter()
            .filter_map(|g| g.group_name().map(str::to_string))
            .collect(),
        next: next.map(str::to_string),
    }
}
