//! What the fake pool does on AdminUpdateUserAttributes, as the API reference describes
//! Cognito doing it: a phone number not in E.164 refused; an address in the pool's
//! `AutoVerifiedAttributes` changed without its `*_verified` flag set to true in the same call
//! mailed a code and marked unverified, or, where the pool requires verification before an
//! update, held pending (the old verified address kept until the user confirms). Apart from
//! `fake.rs` (the pool's state and the reads) because this is the behaviour the tests lean on
//! the most. Also the ListUsers filters the fake understands.

use super::{FakePool, find, not_found, put};
use crate::cognito::{CallError, ErrorKind, User};

impl FakePool {
    /// AdminUpdateUserAttributes (None deletes).
    pub(super) fn update_attributes(
        &self,
        username: &str,
        changes: &[(String, Option<String>)],
    ) -> Result<(), CallError> {
        let asked = |name: &str| changes.iter().find(|c| c.0 == name).map(|c| c.1.as_deref());
        let mut state = self.lock();
        let config = crate::cognito::config::Messaging::from_pool(&state.pool);
        if let Some(Some(v)) = asked("phone_number")
            && !crate::cognito::rules::is_e164(v)
        {
            return Err(CallError::new(
                ErrorKind::Row,
                "InvalidParameterException",
                "Invalid phone number format.",
            ));
        }
        let key = find(&state, username).ok_or_else(|| not_found(username))?;
        let user = state.users.get_mut(&key).expect("found");
        let (mut messages, mut pending) = (0, Vec::new());
        let mut held = Vec::new();
        for (alias, verified) in crate::cognito::rules::ALIASES {
            let Some(Some(value)) = asked(alias) else {
                continue;
            };
            let kept = asked(verified) == Some(Some("true"));
            if user.attribute(alias) == Some(value) || kept {
                continue;
            }
            if config.messages(alias) {
                messages += 1; // a code to the new address
            }
            let was_verified = user.attribute(verified) == Some("true");
            if config.messages(alias) && config.pending(alias) && was_verified {
                // The old, verified address stays until the user confirms the new one.
                pending.push(((key.clone(), alias.to_string()), value.to_string()));
                held.push(alias);
            } else {
                // Stored at once and marked unverified.
                put(&mut user.attributes, verified, "false");
            }
        }
        for (name, value) in changes.iter().filter(|c| !held.contains(&c.0.as_str())) {
            put(&mut user.attributes, name, value.as_deref().unwrap_or(""));
        }
        state.messages += messages;
        state.pending.extend(pending);
        Ok(())
    }
}

/// `name = "value"` (exact) or `name ^= "value"` (prefix), as ListUsers filters.
pub(super) fn matches(user: &User, filter: &str) -> bool {
    let (name, op, value) = match filter.split_once("^=") {
        Some((n, v)) => (n, "^=", v),
        None => match filter.split_once('=') {
            Some((n, v)) => (n, "=", v),
            None => return false,
        },
    };
    let (name, value) = (name.trim(), value.trim().trim_matches('"'));
    let got = match name {
        "username" => Some(user.username.as_str()),
        other => user.attribute(other),
    };
    match (got, op) {
        (Some(g), "=") => g == value,
        (Some(g), _) => g.starts_with(value),
        (None, _) => false,
    }
}
