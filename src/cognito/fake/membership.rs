//! The fake pool's groups and user status: the group reads (ListGroups, ListUsersInGroup),
//! the writes that change membership and the `enabled` flag, global sign-outs (counted, as
//! tokens are not modelled), and what a test sets up or reads back about them. As Cognito
//! does: adding a member that already is one, or removing one that is not, succeeds and
//! changes nothing; a group the pool lacks is `ResourceNotFoundException`.

use std::collections::BTreeSet;

use super::{FakePool, State, find, not_found};
use crate::cognito::{CallError, ErrorKind, GroupPage, Page};

impl FakePool {
    /// Creates a group (CreateGroup).
    pub fn add_group(&self, group: &str) {
        self.lock().groups.entry(group.to_string()).or_default();
    }

    /// Puts a user in a group, creating the group if need be (test setup, or someone
    /// else's change behind the tool's back).
    pub fn put_in_group(&self, username: &str, group: &str) {
        let mut state = self.lock();
        let key = find(&state, username).unwrap_or_else(|| username.to_lowercase());
        state
            .groups
            .entry(group.to_string())
            .or_default()
            .insert(key);
    }

    /// The groups a user is in now, by name.
    pub fn groups_of(&self, username: &str) -> BTreeSet<String> {
        let state = self.lock();
        let Some(key) = find(&state, username) else {
            return BTreeSet::new();
        };
        let member = |(name, members): (&String, &BTreeSet<String>)| {
            members.contains(&key).then(|| name.clone())
        };
        state.groups.iter().filter_map(member).collect()
    }

    /// A user's `enabled` flag now (None: no such user).
    pub fn enabled(&self, username: &str) -> Option<bool> {
        let state = self.lock();
        let key = find(&state, username)?;
        state.users.get(&key).and_then(|u| u.enabled)
    }

    /// How many times the user was signed out everywhere.
    pub fn sign_outs(&self, username: &str) -> u32 {
        let state = self.lock();
        let key = find(&state, username).unwrap_or_default();
        state.sign_outs.get(&key).copied().unwrap_or(0)
    }

    /// AdminEnableUser / AdminDisableUser (also a test's change behind the tool's back).
    pub fn set_enabled(&self, username: &str, enabled: bool) -> Result<(), CallError> {
        let mut state = self.lock();
        let key = find(&state, username).ok_or_else(|| not_found(username))?;
        state.users.get_mut(&key).expect("found").enabled = Some(enabled);
        Ok(())
    }

    /// AdminAddUserToGroup (`add`) or AdminRemoveUserFromGroup.
    pub(super) fn membership(
        &self,
        username: &str,
        group: &str,
        add: bool,
    ) -> Result<(), CallError> {
        let mut state = self.lock();
        let key = find(&state, username).ok_or_else(|| not_found(username))?;
        let members = state.groups.get_mut(group).ok_or_else(|| no_group(group))?;
        if add {
            members.insert(key);
        } else {
            members.remove(&key);
        }
        Ok(())
    }

    /// AdminUserGlobalSignOut.
    pub(super) fn sign_out(&self, username: &str) -> Result<(), CallError> {
        let mut state = self.lock();
        let key = find(&state, username).ok_or_else(|| not_found(username))?;
        *state.sign_outs.entry(key).or_default() += 1;
        Ok(())
    }

    pub(super) fn groups_page(&self, token: Option<&str>) -> Result<GroupPage, CallError> {
        let state = self.lock();
        let names: Vec<String> = state.groups.keys().cloned().collect();
        let (start, end) = window(token, 60, names.len())?;
        Ok(GroupPage {
            groups: names[start..end].to_vec(),
            next: (end < names.len()).then(|| end.to_string()),
        })
    }

    pub(super) fn group_page(
        &self,
        group: &str,
        token: Option<&str>,
        limit: i32,
    ) -> Result<Page, CallError> {
        let state: std::sync::MutexGuard<'_, State> = self.lock();
        let members = state.groups.get(group).ok_or_else(|| no_group(group))?;
        let keys: Vec<&String> = members.iter().collect();
        let (start, end) = window(token, limit.clamp(1, 60) as usize, keys.len())?;
        let users = keys[start..end]
            .iter()
            .filter_map(|k| state.users.get(*k).cloned())
            .collect();
        Ok(Page {
            users,
            next: (end < keys.len()).then(|| end.to_string()),
        })
    }
}

/// The slice of a listing a page token names (the fake's tokens are offsets).
fn window(token: Option<&str>, limit: usize, len: usize) -> Result<(usize, usize), CallError> {
    let start: usize = match token {
        None => 0,
        Some(t) => t.parse().map_err(|_| {
            CallError::new(ErrorKind::Row, "InvalidParameterException", "bad token")
        })?,
    };
    let start = start.min(len);
    Ok((start, (start + limit).min(len)))
}

fn no_group(group: &str) -> CallError {
    CallError::new(
        ErrorKind::Fatal,
        "ResourceNotFoundException",
        format!("Group {group} not found."),
    )
}
