//! The real [`Pool`]: the AWS SDK client, with its errors classified once (`sdk/classify.rs`).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, UserPoolType, UserType};

use super::call::Call;
use super::{CallError, ErrorKind, GroupPage, Page, Pool, User};

/// A user pool reached through the AWS SDK (credentials, region and endpoint from the
/// standard chain; SDK retries off, the tool retries itself).
#[derive(Clone)]
pub struct SdkPool {
    client: Client,
    pool_id: String,
}

impl SdkPool {
    pub fn new(client: Client, pool_id: String) -> Self {
        SdkPool { client, pool_id }
    }
}

impl Pool for SdkPool {
    async fn describe(&self) -> Result<UserPoolType, CallError> {
        let out = self
            .client
            .describe_user_pool()
            .user_pool_id(&self.pool_id)
            .send()
            .await
            .map_err(|e| classify(&e))?;
        out.user_pool.ok_or_else(|| {
            CallError::new(
                ErrorKind::Fatal,
                "EmptyAnswer",
                "DescribeUserPool returned no pool",
            )
        })
    }

    async fn identity_providers(&self) -> Result<Vec<super::config::Provider>, CallError> {
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .client
                .list_identity_providers()
                .user_pool_id(&self.pool_id)
                .max_results(60)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| classify(&e))?;
            names.extend(
                out.providers()
                    .iter()
                    .filter_map(|p| p.provider_name().map(str::to_string)),
            );
            match out.next_token {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => break,
            }
        }
        let mut providers = Vec::new();
        for name in names {
            let out = self
                .client
                .describe_identity_provider()
                .user_pool_id(&self.pool_id)
                .provider_name(&name)
                .send()
                .await
                .map_err(|e| classify(&e))?;
            let mut mapped: Vec<String> = out
                .identity_provider()
                .and_then(|p| p.attribute_mapping())
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            mapped.sort();
            providers.push(super::config::Provider { name, mapped });
        }
        Ok(providers)
    }

    async fn list_page(
        &self,
        filter: Option<&str>,
        token: Option<&str>,
        limit: i32,
    ) -> Result<Page, CallError> {
        let out = self
            .client
            .list_users()
            .user_pool_id(&self.pool_id)
            .limit(limit)
            .set_filter(filter.map(str::to_string))
            .set_pagination_token(token.map(str::to_string))
            .send()
            .await
            .map_err(|e| classify(&e))?;
        Ok(Page {
            users: out.users().iter().map(user).collect(),
            next: out.pagination_token().map(str::to_string),
        })
    }

    async fn get_user(&self, username: &str) -> Result<Option<User>, CallError> {
        match self
            .client
            .admin_get_user()
            .user_pool_id(&self.pool_id)
            .username(username)
            .send()
            .await
        {
            Ok(out) => Ok(Some(User {
                username: out.username().to_string(),
                attributes: pairs(out.user_attributes()),
                status: out.user_status().map(|s| s.as_str().to_string()),
                enabled: Some(out.enabled()),
            })),
            Err(e) => {
                let err = classify(&e);
                match err.code.as_str() {
                    super::codes::USER_NOT_FOUND => Ok(None),
                    _ => Err(err),
                }
            }
        }
    }

    async fn send(&self, call: &Call) -> Result<(), CallError> {
        match call {
            Call::UpdateAttributes {
                username,
                attributes,
                client_metadata,
            } => {
                self.update_attributes(username, attributes, client_metadata)
                    .await
            }
            Call::AddUserToGroup { username, group } => {
                self.membership(username, group, true).await
            }
            Call::RemoveUserFromGroup { username, group } => {
                self.membership(username, group, false).await
            }
            Call::EnableUser { username } => self.set_enabled(username, true).await,
            Call::DisableUser { username } => self.set_enabled(username, false).await,
            Call::GlobalSignOut { username } => self.sign_out(username).await,
        }
    }

    async fn list_groups_page(&self, token: Option<&str>) -> Result<GroupPage, CallError> {
        self.groups_page(token).await
    }

    async fn list_group_page(
        &self,
        group: &str,
        token: Option<&str>,
        limit: i32,
    ) -> Result<Page, CallError> {
        self.group_page(group, token, limit).await
    }

    async fn user_groups_page(
        &self,
        username: &str,
        token: Option<&str>,
    ) -> Result<GroupPage, CallError> {
        self.groups_of_page(username, token).await
    }
}

impl SdkPool {
    async fn update_attributes(
        &self,
        username: &str,
        attributes: &[(String, Option<String>)],
        client_metadata: &BTreeMap<String, String>,
    ) -> Result<(), CallError> {
        let attributes = attributes
            .iter()
            .map(|(name, value)| {
                AttributeType::builder()
                    .name(name)
                    // The API deletes an attribute that is sent with a blank value.
                    .value(value.as_deref().unwrap_or(""))
                    .build()
                    .expect("name is set")
            })
            .collect();
        let metadata: Option<HashMap<String, String>> =
            (!client_metadata.is_empty()).then(|| client_metadata.clone().into_iter().collect());
        self.client
            .admin_update_user_attributes()
            .user_pool_id(&self.pool_id)
            .username(username)
            .set_user_attributes(Some(attributes))
            .set_client_metadata(metadata)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify(&e))
    }
}

fn user(u: &UserType) -> User {
    User {
        username: u.username().unwrap_or("").to_string(),
        attributes: pairs(u.attributes()),
        status: u.user_status().map(|s| s.as_str().to_string()),
        enabled: Some(u.enabled()),
    }
}

fn pairs(attrs: &[AttributeType]) -> Vec<(String, String)> {
    attrs
        .iter()
        .map(|a| (a.name().to_string(), a.value().unwrap_or("").to_string()))
        .collect()
}

mod classify;
mod membership;
mod user_groups;
pub(crate) use classify::chain;
pub use classify::{HttpStatus, classify, kind_of};
