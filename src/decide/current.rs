//! Reading users' current values, for `plan` and for `apply`'s diff: by streaming the pool
//! with ListUsers (`list`: 60 users a page, UserList quota 30/s, does not make users billable)
//! or by AdminGetUser per input user (`get`: UserRead quota 120/s, each user read becomes a
//! billable monthly active user).
//!
//! Keys are resolved as Cognito resolves the `Username` of an admin call: the username, the
//! `sub`, or an alias the pool's sign-in settings allow, case-insensitively where the pool
//! says so (see [`crate::cognito::signin`]); each user is kept once, under its real username.
//!
//! Memory is bounded by the input, not the pool: of the pool's users only those the input
//! names are kept, with only the attributes the input touches (plus email and phone number
//! for the alias checks); every email and phone number of the pool is kept as a 64-bit hash.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::cognito::User;
use crate::cognito::signin::SignIn;
pub use crate::model::keys::alias_key;
use crate::model::keys::user_key;
use crate::model::row::Identity;
use crate::model::source::Source;

mod in_order;
mod joined;
mod kept;
mod read;
mod record;
pub use joined::Around;
pub use read::{get, list, note_owners};

/// The current values of the input's users, found as Cognito resolves a `Username`: by
/// username, `sub` or an alias the pool allows (see [`crate::cognito::signin`]).
#[derive(Debug, Default)]
pub struct Current {
    users: Vec<Kept>,
    /// Real username -> index in `users` (a user named by several keys is kept once).
    by_username: HashMap<String, usize>,
    /// Names compared exactly, and names compared case-insensitively (lower-cased), -> users.
    exact: HashMap<String, Vec<usize>>,
    folded: HashMap<String, Vec<usize>>,
    /// Hash of a folded email or phone number -> hash of the real username owning it.
    aliases: HashMap<u64, u64>,
    sign_in: SignIn,
    /// Users AdminGetUser found (billable; a key no user has costs nothing), each once.
    pub users_read: u64,
    pub source: Option<Source>,
    /// A list read's users, kept out of memory and found by key ([`Current::around`]).
    joined: Option<joined::Joined>,
    /// The pool as input's users, written in the order of its rows, then read in step.
    writing: Option<in_order::InOrder>,
    in_order: Option<in_order::Rows>,
    /// Emails and phone numbers not noted (no row sets one).
    skip_aliases: bool,
    /// The groups of the users in the groups read (`decide::groups`), by username.
    memberships: Option<HashMap<String, BTreeSet<String>>>,
}

/// A user an input names, as the pool holds it: who it is and the attributes kept.
#[derive(Debug, Clone)]
pub struct Kept {
    pub identity: Identity,
    pub attributes: BTreeMap<String, String>,
    /// The groups it is in, of those read (`decide::groups`); None: membership not read.
    pub groups: Option<BTreeSet<String>>,
    /// Its `enabled` flag as ListUsers or AdminGetUser gave it (None: not given).
    pub enabled: Option<bool>,
}

/// Which user a key names.
#[derive(Debug)]
pub enum Resolved<'a> {
    User(&'a Kept),
    NotFound,
    /// The key names more than one user (e.g. the alias of one, the username of another):
    /// their usernames.
    Ambiguous(Vec<&'a str>),
    /// A plan's row whose user (by `sub`) is gone while its key names another user now: the
    /// user was deleted and another made under the same name.
    Replaced,
}

/// What `--current-state get` reads: each input user, and each email and phone number the
/// input sets (looked up with a ListUsers filter, to find other users that already have it).
#[derive(Debug, Default)]
pub struct InputKeys {
    pub users: Vec<String>,
    /// (attribute, value) pairs, e.g. ("email", "a@example.com").
    pub aliases: Vec<(String, String)>,
}

impl Current {
    /// No users yet, resolving keys by the pool's sign-in settings.
    pub fn new(sign_in: SignIn, source: Source) -> Current {
        Current {
            sign_in,
            source: Some(source),
            ..Current::default()
        }
    }

    /// The user's attributes, or None if the key names no user (or several).
    pub fn user(&self, key: &str) -> Option<&BTreeMap<String, String>> {
        match self.resolve(key, None) {
            Resolved::User(kept) => Some(&kept.attributes),
            _ => None,
        }
    }

    /// The user `key` names; for a plan's row that recorded its user, that user by `sub`.
    pub fn resolve(&self, key: &str, planned: Option<&Identity>) -> Resolved<'_> {
        if let Some(sub) = planned.and_then(|p| p.sub.as_deref()) {
            return match self.by_key(sub) {
                Resolved::User(kept) if kept.identity.sub.as_deref() == Some(sub) => {
                    Resolved::User(kept)
                }
                _ => match self.by_key(key) {
                    Resolved::NotFound => Resolved::NotFound,
                    _ => Resolved::Replaced,
                },
            };
        }
        self.by_key(key)
    }

    fn by_key(&self, key: &str) -> Resolved<'_> {
        let mut found: Vec<usize> = Vec::new();
        let hits = self.exact.get(key).into_iter().flatten();
        for &i in hits.chain(self.folded.get(&key.to_lowercase()).into_iter().flatten()) {
            if !found.contains(&i) {
                found.push(i);
            }
        }
        match found.as_slice() {
            [] => Resolved::NotFound,
            [one] => Resolved::User(&self.users[*one]),
            many => Resolved::Ambiguous(
                many.iter()
                    .map(|&i| self.users[i].identity.username.as_str())
                    .collect(),
            ),
        }
    }

    /// The [`user_key`]s of the real usernames of users that two or more different keys of
    /// the input name (`input_users`: the scan's key hashes), e.g. a username and a `sub`:
    /// only their lines can be one user's lines under different keys. Keys differing only in
    /// case hash alike, so the scan already groups those.
    pub fn named_twice(&self, input_users: &HashSet<u64>) -> HashSet<u64> {
        if let Some(joined) = &self.joined {
            // Found as the pool was read.
            return joined.named_twice();
        }
        let mut keys: HashMap<usize, HashSet<u64>> = HashMap::new();
        for (name, users) in self.exact.iter().chain(&self.folded) {
            let key = user_key(name);
            if input_users.contains(&key) {
                for &i in users {
                    keys.entry(i).or_default().insert(key);
                }
            }
        }
        keys.into_iter()
            .filter(|(_, keys)| keys.len() > 1)
            .map(|(i, _)| user_key(&self.users[i].identity.username))
            .collect()
    }

    /// The [`user_key`] of the real username of the user that already holds this email or
    /// phone number, if any.
    pub fn alias_owner(&self, value: &str) -> Option<u64> {
        self.aliases.get(&alias_key(value)).copied()
    }

    /// Adds a user's current values (unit tests of the planner).
    #[cfg(test)]
    pub fn insert_for_tests(&mut self, user: &str, attrs: &[(&str, &str)]) {
        let attrs: Vec<(String, String)> = attrs
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let wanted = attrs.iter().map(|(n, _)| n.clone()).collect();
        self.keep(user, &attrs, &wanted, None);
    }

    /// Notes that the user named `owner` (its real username) holds these emails and phone
    /// numbers.
    fn note_aliases(&mut self, owner: &str, attrs: &[(String, String)]) {
        for (name, value) in attrs {
            if matches!(name.as_str(), "email" | "phone_number") && !value.is_empty() {
                self.aliases.insert(alias_key(value), user_key(owner));
            }
        }
    }

    /// Keeps `attrs` of the user `username`, indexed by every name the pool resolves to it
    /// (and by `asked`, the key an AdminGetUser was made with, which Cognito resolved).
    fn keep(
        &mut self,
        username: &str,
        attrs: &[(String, String)],
        wanted: &BTreeSet<String>,
        asked: Option<&str>,
    ) {
        self.note_aliases(username, attrs);
        let (kept, names) = self.kept(username, attrs, wanted, asked);
        self.insert(kept, names);
    }

    /// The hashes of this user's names that are keys of the input (`input_users`, sorted),
    /// each once: none for a user the input does not name (see [`list`]).
    fn named_by(&self, user: &User, input_users: &[u64]) -> Vec<u64> {
        let mut hashes: Vec<u64> = Vec::new();
        for name in self.sign_in.names(&user.username, &user.attributes) {
            let key = user_key(name.value);
            if input_users.binary_search(&key).is_ok() && !hashes.contains(&key) {
                hashes.push(key);
            }
        }
        hashes
    }
}

impl Current {
    /// The kept user whose real username is `username` (membership and status are noted
    /// on it: see `decide::groups`).
    pub fn kept_mut(&mut self, username: &str) -> Option<&mut Kept> {
        let i = *self.by_username.get(username)?;
        self.users.get_mut(i)
    }

    /// Every kept user.
    pub fn every_kept_mut(&mut self) -> impl Iterator<Item = &mut Kept> {
        self.users.iter_mut()
    }

    /// The groups read (`decide::groups`), by username, for users kept out of memory: joined
    /// to each as it is loaded for its row.
    pub fn set_memberships(&mut self, memberships: HashMap<String, BTreeSet<String>>) {
        self.memberships = Some(memberships);
    }

    /// Gives a user loaded from the spill its groups, if membership was read.
    pub(super) fn joined_groups(&self, kept: &mut Kept) {
        if let Some(m) = &self.memberships {
            kept.groups = Some(m.get(&kept.identity.username).cloned().unwrap_or_default());
        }
    }

    /// Notes a kept user's `enabled` flag as the read gave it.
    pub fn note_enabled(&mut self, username: &str, enabled: Option<bool>) {
        if let Some(kept) = self.kept_mut(username) {
            kept.enabled = enabled;
        }
    }

    /// Empty current values to be filled from a ListUsers pass made elsewhere (a computed
    /// backfill reads the pool once, for its templates and its diff; its rows name users by
    /// their usernames).
    pub fn listed() -> Current {
        Current::new(SignIn::plain(), Source::List)
    }

    /// Notes a user of the pool: its email and phone number always, and, with `wanted`,
    /// those of its attributes (the user is then one the input names).
    pub fn observe(
        &mut self,
        username: &str,
        attrs: &[(String, String)],
        wanted: Option<&BTreeSet<String>>,
    ) {
        match wanted {
            Some(wanted) => self.keep(username, attrs, wanted, None),
            None => self.note_aliases(username, attrs),
        }
    }
}

/// The attributes to keep of the users an input names: those it changes, and the
/// `*_verified` flag of each alias among them (Cognito resets it when the alias changes
/// without it, and the journal keeps its value for rollback). Made once, not per user.
pub fn with_verified_flags(mut wanted: BTreeSet<String>) -> BTreeSet<String> {
    for (alias, verified) in crate::cognito::rules::ALIASES {
        if wanted.contains(alias) {
            wanted.insert(verified.to_string());
        }
    }
    wanted
}
