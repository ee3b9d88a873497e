//! What is kept of a user the input names, and how it is indexed by its names: shared by
//! the users kept in memory (`get`) and those read back from a temporary file.

use std::collections::BTreeSet;

use super::{Current, Kept};
use crate::model::row::Identity;

impl Current {
    /// What is kept of a user: the attributes `wanted` (and its email and phone number, for
    /// the alias checks), and every name the pool resolves to it (with `asked`), each with
    /// whether it compares case-insensitively.
    pub(super) fn kept(
        &self,
        username: &str,
        attrs: &[(String, String)],
        wanted: &BTreeSet<String>,
        asked: Option<&str>,
    ) -> (Kept, Vec<(String, bool)>) {
        let attributes = attrs
            .iter()
            .filter(|(n, _)| wanted.contains(n) || matches!(n.as_str(), "email" | "phone_number"))
            .cloned()
            .collect();
        let sub = attrs
            .iter()
            .find(|(n, _)| n == "sub")
            .map(|(_, v)| v.clone());
        let kept = Kept {
            identity: Identity {
                username: username.to_string(),
                sub,
            },
            attributes,
            groups: None,
            enabled: None,
        };
        let names = self
            .sign_in
            .names(username, attrs)
            .into_iter()
            .map(|n| (n.value.to_string(), n.folded))
            .chain(asked.map(|a| (a.to_string(), false)))
            .collect();
        (kept, names)
    }

    /// Indexes a kept user by its names (a user met again is kept once, under more names).
    pub(super) fn insert(&mut self, kept: Kept, names: Vec<(String, bool)>) {
        let i = match self.by_username.get(&kept.identity.username) {
            Some(&i) => i,
            None => {
                self.by_username
                    .insert(kept.identity.username.clone(), self.users.len());
                self.users.push(kept);
                self.users.len() - 1
            }
        };
        for (name, folded) in names {
            let (map, name) = match folded {
                true => (&mut self.folded, name.to_lowercase()),
                false => (&mut self.exact, name),
            };
            let users = map.entry(name).or_default();
            if !users.contains(&i) {
                users.push(i);
            }
        }
    }
}
