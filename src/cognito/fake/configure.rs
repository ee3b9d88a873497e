//! How a test sets the fake pool up as a real pool is configured (its settings, its external
//! identity providers and their federated users) and reads back what Cognito would have done
//! (changes pending confirmation, verification messages sent). Apart from `fake.rs`, which
//! holds the pool's state and answers the calls.

use std::collections::BTreeMap;

use aws_sdk_cognitoidentityprovider::types::UserPoolType;

use super::{FakePool, find, put};
use crate::cognito::api::Api;

impl FakePool {
    /// Adds an external identity provider mapping these user pool attributes.
    pub fn add_provider(&self, name: &str, mapped: &[&str]) {
        self.lock()
            .providers
            .push(crate::cognito::config::Provider {
                name: name.to_string(),
                mapped: mapped.iter().map(|s| s.to_string()).collect(),
            });
    }

    /// Adds a user of an external identity provider (status EXTERNAL_PROVIDER, an
    /// `identities` attribute), as Cognito creates one at its first sign-in.
    pub fn add_federated_user(&self, username: &str, provider: &str, attributes: &[(&str, &str)]) {
        let identities = format!(
            r#"[{{"userId":"{username}","providerName":"{provider}","providerType":"OIDC","primary":true}}]"#
        );
        let mut attrs: Vec<(&str, &str)> = attributes.to_vec();
        attrs.push(("identities", &identities));
        self.add_user(username, &attrs);
        if let Some(u) = self.lock().users.get_mut(&username.to_lowercase()) {
            u.status = Some("EXTERNAL_PROVIDER".into());
        }
    }

    /// Changes the pool's settings (what DescribeUserPool returns and what updates do).
    pub fn configure(&self, f: impl FnOnce(&mut UserPoolType)) {
        f(&mut self.lock().pool);
    }

    /// Changes waiting for `username`'s confirmation: attribute -> new value.
    pub fn pending(&self, username: &str) -> BTreeMap<String, String> {
        let key = username.to_lowercase();
        let state = self.lock();
        state
            .pending
            .iter()
            .filter(|((u, _), _)| *u == key)
            .map(|((_, a), v)| (a.clone(), v.clone()))
            .collect()
    }

    /// Verification messages real Cognito would have sent.
    pub fn messages(&self) -> u64 {
        self.lock().messages
    }

    /// A user's attributes as the pool holds them now.
    pub fn attributes(&self, username: &str) -> BTreeMap<String, String> {
        let state = self.lock();
        let user = state.users.get(&username.to_lowercase());
        user.map(|u| u.attributes.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Sets one attribute behind the tool's back (someone else's change).
    pub fn set(&self, username: &str, name: &str, value: &str) {
        let mut state = self.lock();
        if let Some(user) = state.users.get_mut(&username.to_lowercase()) {
            put(&mut user.attributes, name, value);
        }
    }

    /// Removes a user (AdminDeleteUser).
    pub fn delete_user(&self, username: &str) {
        let mut state = self.lock();
        if let Some(key) = find(&state, username) {
            state.users.remove(&key);
        }
    }

    /// Every call that reached the pool: (call, username or filter).
    pub fn calls(&self) -> Vec<(Api, String)> {
        self.lock().calls.clone()
    }

    /// How many calls of `call` reached the pool.
    pub fn count(&self, call: Api) -> usize {
        self.lock().calls.iter().filter(|(c, _)| *c == call).count()
    }
}
