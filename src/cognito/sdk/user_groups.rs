//! The SDK pool's AdminListGroupsForUser (UserResourceRead): one page of the groups a user is in, 60
//! at most, mapped to group names; its error classified once, as `sdk.rs` does.

use super::{SdkPool, classify};
use crate::cognito::{CallError, GroupPage};

impl SdkPool {
    pub(super) async fn groups_of_page(
        &self,
        username: &str,
        token: Option<&str>,
    ) -> Result<GroupPage, CallError> {
        let out = self
            .client
            .admin_list_groups_for_user()
            .user_pool_id(&self.pool_id)
            .username(username)
            .limit(60)
            .set_next_token(token.map(str::to_string))
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok(super::membership::group_page(
            out.groups(),
            out.next_token(),
        ))
    }
}
