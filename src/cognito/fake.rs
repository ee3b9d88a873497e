//! An in-process user pool for fast tests of the engine and for benchmarks: a schema, users,
//! a log of every call, and what Cognito does that neither emulator models,
//! from the API reference: the verification messages it sends (an address in the pool's
//! `AutoVerifiedAttributes` changed without its `*_verified` flag set to true in the same
//! call), pending changes (`AttributesRequireVerificationBeforeUpdate`: the old, verified
//! address stays until the user confirms), phone numbers refused unless E.164.
//! [`FakePool::configure`] sets the pool's settings; [`FakePool::new`] auto-verifies email,
//! as the console's default does. Faults are not its business: wrap it (or any pool) in
//! [`super::faults::Faulty`]. Built for tests and for the `fake` feature only (the examples
//! and benchmarks), never into the release binary.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use aws_sdk_cognitoidentityprovider::types::{
    AliasAttributeType, AttributeDataType, SchemaAttributeType, UserPoolType,
    UsernameAttributeType, UsernameConfigurationType, VerifiedAttributeType,
};

use super::api::Api;
use super::call::Call;
use super::{CallError, ErrorKind, GroupPage, Page, Pool, User};
use crate::cognito::signin::{Name, SignIn};

/// Makes user number `i` of a synthetic pool.
pub type Generator = fn(u64) -> User;

/// A pool held in memory. Clones share it.
#[derive(Clone)]
pub struct FakePool {
    state: Arc<Mutex<State>>,
}

struct State {
    pool: UserPoolType,
    users: BTreeMap<String, User>,
    /// A pool of `n` users made on the fly (benchmarks): nothing is stored.
    synthetic: Option<(u64, Generator)>,
    calls: Vec<(Api, String)>,
    messages: u64,
    /// Changes waiting for the user's confirmation: (username, attribute) -> new value.
    pending: BTreeMap<(String, String), String>,
    providers: Vec<super::config::Provider>,
    /// Group name -> the users in it (by the key `users` holds them under).
    groups: BTreeMap<String, BTreeSet<String>>,
    /// Global sign-outs by user key.
    sign_outs: BTreeMap<String, u32>,
}

impl FakePool {
    /// A pool with these custom attributes: (name without `custom:`, mutable).
    pub fn new(custom: &[(&str, bool)]) -> FakePool {
        let schema = custom.iter().map(|(name, mutable)| {
            SchemaAttributeType::builder()
                .name(format!("custom:{name}"))
                .attribute_data_type(AttributeDataType::String)
                .mutable(*mutable)
                .build()
        });
        // Case-insensitive usernames, as the console makes pools (see `sign_in`).
        let pool = UserPoolType::builder()
            .id("us-east-1_fake")
            .set_schema_attributes(Some(schema.collect()))
            .auto_verified_attributes(VerifiedAttributeType::Email)
            .username_configuration(case_sensitive(false))
            .build();
        FakePool {
            state: Arc::new(Mutex::new(State {
                pool,
                users: BTreeMap::new(),
                synthetic: None,
                calls: Vec::new(),
                messages: 0,
                pending: BTreeMap::new(),
                providers: Vec::new(),
                groups: BTreeMap::new(),
                sign_outs: BTreeMap::new(),
            })),
        }
    }

    /// Sets the pool's sign-in settings as DescribeUserPool reports them: `UsernameAttributes`
    /// (email, phone_number), `AliasAttributes` (email, phone_number, preferred_username) and
    /// `UsernameConfiguration.CaseSensitive`. Admin calls then resolve their `Username` as
    /// Cognito does: the username, the `sub`, or an alias the settings allow.
    pub fn sign_in(
        &self,
        username_attributes: &[&str],
        alias_attributes: &[&str],
        sensitive: bool,
    ) {
        let mut state = self.lock();
        let pool = &mut state.pool;
        pool.username_attributes = Some(
            username_attributes
                .iter()
                .map(|a| UsernameAttributeType::from(*a))
                .collect(),
        );
        pool.alias_attributes = Some(
            alias_attributes
                .iter()
                .map(|a| AliasAttributeType::from(*a))
                .collect(),
        );
        pool.username_configuration = Some(case_sensitive(sensitive));
    }

    /// A read-only pool of `n` users made by `make` as they are listed (for benchmarks).
    pub fn synthetic(custom: &[(&str, bool)], n: u64, make: Generator) -> FakePool {
        let fake = FakePool::new(custom);
        fake.lock().synthetic = Some((n, make));
        fake
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("fake pool lock")
    }

    pub fn add_user(&self, username: &str, attributes: &[(&str, &str)]) {
        let user = User {
            username: username.to_string(),
            attributes: attributes
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            status: Some("CONFIRMED".into()),
            enabled: Some(true),
        };
        self.lock().users.insert(username.to_lowercase(), user);
    }

    /// Logs the call.
    fn enter(&self, call: Api, subject: &str) {
        self.lock().calls.push((call, subject.to_string()));
    }
}

fn put(attributes: &mut Vec<(String, String)>, name: &str, value: &str) {
    attributes.retain(|(n, _)| n != name);
    // As Cognito does: a blank value deletes the attribute.
    if !value.is_empty() {
        attributes.push((name.to_string(), value.to_string()));
    }
}

fn case_sensitive(sensitive: bool) -> UsernameConfigurationType {
    UsernameConfigurationType::builder()
        .case_sensitive(sensitive)
        .build()
        .expect("case_sensitive is set")
}

/// The key in `users` of the user an admin call's `Username` names, as Cognito resolves it:
/// the username (in its exact case unless the pool is case-insensitive), the `sub`, or an
/// alias the pool's sign-in settings allow (see [`SignIn::names`]); a username wins over
/// another user's alias.
fn find(state: &State, key: &str) -> Option<String> {
    let sign_in = SignIn::from_pool(&state.pool);
    let same = |name: &Name| match name.folded {
        true => name.value.to_lowercase() == key.to_lowercase(),
        false => name.value == key,
    };
    if let Some(user) = state.users.get(&key.to_lowercase())
        && same(&sign_in.names(&user.username, &[])[0])
    {
        return Some(key.to_lowercase());
    }
    state
        .users
        .iter()
        .find(|(_, u)| sign_in.names(&u.username, &u.attributes).iter().any(same))
        .map(|(k, _)| k.clone())
}

fn not_found(username: &str) -> CallError {
    CallError::new(
        ErrorKind::Row,
        super::codes::USER_NOT_FOUND,
        format!("User does not exist: {username}"),
    )
}

impl Pool for FakePool {
    fn list_pages_per_second(&self) -> f64 {
        // No quota in process; a real pool's pace is tested against moto and the proxy.
        f64::INFINITY
    }

    async fn describe(&self) -> Result<UserPoolType, CallError> {
        self.enter(Api::Describe, "");
        let state = self.lock();
        let n = match state.synthetic {
            Some((n, _)) => n,
            None => state.users.len() as u64,
        };
        let mut pool = state.pool.clone();
        pool.estimated_number_of_users = i32::try_from(n).unwrap_or(i32::MAX);
        Ok(pool)
    }

    async fn list_page(
        &self,
        filter: Option<&str>,
        token: Option<&str>,
        limit: i32,
    ) -> Result<Page, CallError> {
        self.enter(Api::ListUsers, filter.unwrap_or(""));
        let start: u64 = match token {
            None => 0,
            Some(t) => t.parse().map_err(|_| {
                CallError::new(ErrorKind::Row, "InvalidParameterException", "bad token")
            })?,
        };
        let limit = limit.clamp(1, 60) as u64;
        let state = self.lock();
        let (users, total): (Vec<User>, u64) = match state.synthetic {
            Some((n, make)) => ((start..n.min(start + limit)).map(make).collect(), n),
            None => {
                let matching: Vec<&User> = state
                    .users
                    .values()
                    .filter(|u| filter.is_none_or(|f| matches(u, f)))
                    .collect();
                let page = matching.iter().skip(start as usize).take(limit as usize);
                (page.map(|u| (*u).clone()).collect(), matching.len() as u64)
            }
        };
        let end = start + users.len() as u64;
        Ok(Page {
            users,
            next: (end < total).then(|| end.to_string()),
        })
    }

    async fn identity_providers(&self) -> Result<Vec<super::config::Provider>, CallError> {
        self.enter(Api::IdentityProviders, "");
        Ok(self.lock().providers.clone())
    }

    async fn get_user(&self, username: &str) -> Result<Option<User>, CallError> {
        self.enter(Api::GetUser, username);
        let state = self.lock();
        Ok(find(&state, username).and_then(|k| state.users.get(&k).cloned()))
    }

    async fn send(&self, call: &Call) -> Result<(), CallError> {
        self.enter(call.api(), call.username());
        match call {
            Call::UpdateAttributes {
                username,
                attributes,
                ..
            } => self.update_attributes(username, attributes),
            Call::AddUserToGroup { username, group } => self.membership(username, group, true),
            Call::RemoveUserFromGroup { username, group } => {
                self.membership(username, group, false)
            }
            Call::EnableUser { username } => self.set_enabled(username, true),
            Call::DisableUser { username } => self.set_enabled(username, false),
            Call::GlobalSignOut { username } => self.sign_out(username),
        }
    }

    async fn list_groups_page(&self, token: Option<&str>) -> Result<GroupPage, CallError> {
        self.enter(Api::ListGroups, "");
        self.groups_page(token)
    }

    async fn list_group_page(
        &self,
        group: &str,
        token: Option<&str>,
        limit: i32,
    ) -> Result<Page, CallError> {
        self.enter(Api::ListUsersInGroup, group);
        self.group_page(group, token, limit)
    }

    async fn user_groups_page(
        &self,
        username: &str,
        token: Option<&str>,
    ) -> Result<GroupPage, CallError> {
        self.enter(Api::ListGroupsForUser, username);
        self.groups_of_page(username, token)
    }
}

mod configure;
mod membership;
mod update;
mod user_groups;
use update::matches;
