//! Reading users' current values, for `plan` and for `apply`'s diff: by streaming the pool
//! with ListUsers (`list`: 60 users a page, UserList quota 30/s, does not make users billable)
//! or by AdminGetUser per input user (`get`: UserRead quota 120/s, each user read becomes a
//! billable monthly active user).
//!
//! Memory is bounded by the input, not the pool: of the pool's users only those the input
//! names are kept, with only the attributes the input touches (plus email and phone number
//! for the alias checks); every email and phone number of the pool is kept as a 64-bit hash.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

pub use crate::current_state::Source;
pub use crate::keys::alias_key;
use crate::keys::user_key;
use crate::pager::{Pager, interrupted, users_with};
use crate::pool::{CallError, Pool};
use crate::progress::Reporter;
use crate::sender::{RateControl, RetryPolicy, retrying};

/// AdminGetUser is paced well under its UserRead quota of 120/s (ListUsers: see the pager).
const GET_RPS: f64 = 80.0;

/// The current values of the input's users, keyed by the input's user key (folded).
#[derive(Debug, Default)]
pub struct Current {
    users: HashMap<String, BTreeMap<String, String>>,
    /// Hash of a folded email or phone number -> hash of the user key owning it.
    aliases: HashMap<u64, u64>,
    /// Users read with AdminGetUser (billable).
    pub users_read: u64,
    pub source: Option<Source>,
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
    /// The user's attributes, or None if the pool has no such user.
    pub fn user(&self, key: &str) -> Option<&BTreeMap<String, String>> {
        self.users.get(&key.to_lowercase())
    }

    /// The [`user_key`] of the user that already holds this email or phone number, if any.
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
        self.keep(user.to_lowercase(), &attrs, &wanted);
    }

    /// Notes that the user named `owner` holds these emails and phone numbers.
    fn note_aliases(&mut self, owner: &str, attrs: &[(String, String)]) {
        for (name, value) in attrs {
            if matches!(name.as_str(), "email" | "phone_number") && !value.is_empty() {
                self.aliases.insert(alias_key(value), user_key(owner));
            }
        }
    }

    /// Keeps `attrs` of a user the input names as `key`.
    fn keep(&mut self, key: String, attrs: &[(String, String)], wanted: &BTreeSet<String>) {
        self.note_aliases(&key, attrs);
        let kept = attrs
            .iter()
            .filter(|(n, _)| wanted.contains(n) || matches!(n.as_str(), "email" | "phone_number"))
            .cloned()
            .collect();
        self.users.insert(key, kept);
    }
}

impl Current {
    /// Empty current values to be filled from a ListUsers pass made elsewhere (a computed
    /// backfill reads the pool once, for its templates and its diff).
    pub fn listed() -> Current {
        Current {
            source: Some(Source::List),
            ..Current::default()
        }
    }

    /// Notes a user of the pool: its email and phone number always, and, with `wanted`,
    /// those of its attributes (the user is then one the input names, keyed by `username`).
    pub fn observe(
        &mut self,
        username: &str,
        attrs: &[(String, String)],
        wanted: Option<&BTreeSet<String>>,
    ) {
        match wanted {
            Some(wanted) => self.keep(username.to_lowercase(), attrs, wanted),
            None => self.note_aliases(username, attrs),
        }
    }
}

/// Looks up who already has each of these emails and phone numbers (a ListUsers filter each,
/// not billable) and notes them in `current`: the alias rail without a whole-pool read.
pub async fn note_owners<P: Pool>(
    pool: &P,
    aliases: impl IntoIterator<Item = (String, String)>,
    current: &mut Current,
    stop: &CancellationToken,
) -> Result<(), CallError> {
    let mut looked_up = HashSet::new();
    for (attr, value) in aliases {
        if !looked_up.insert(alias_key(&value)) {
            continue;
        }
        // Compared as the list mode compares them (`alias_key`: trimmed, case-folded), while
        // a filter's `=` is exact: the value as written, trimmed, and trimmed in lower case.
        let mut variants = vec![value.clone()];
        for v in [value.trim().to_string(), value.trim().to_lowercase()] {
            if !variants.contains(&v) {
                variants.push(v);
            }
        }
        for variant in variants {
            for owner in users_with(pool, &attr, &variant, stop).await? {
                current.note_aliases(&owner.username, &owner.attributes);
            }
        }
    }
    Ok(())
}

/// Streams the pool; keeps the users whose username or sub is in `input_users` (hashes from
/// the scan) and every user's email and phone number hash.
pub async fn list<P: Pool>(
    pool: &P,
    input_users: &HashSet<u64>,
    wanted: &BTreeSet<String>,
    reporter: &dyn Reporter,
    stop: &CancellationToken,
) -> Result<Current, CallError> {
    let mut current = Current {
        source: Some(Source::List),
        ..Current::default()
    };
    let mut pages = Pager::new(pool, None, None).until(stop);
    let mut seen = 0u64;
    while let Some(page) = pages.next().await {
        for user in page?.users {
            seen += 1;
            let attrs = &user.attributes;
            let sub = user.attribute("sub");
            let key = [Some(user.username.as_str()), sub]
                .into_iter()
                .flatten()
                .find(|k| input_users.contains(&user_key(k)));
            match key {
                Some(k) => current.keep(k.to_lowercase(), attrs, wanted),
                None => current.note_aliases(&user.username, attrs),
            }
        }
        reporter.status(&format!("reading the pool: {seen} users so far"));
    }
    Ok(current)
}

/// Reads each input user with AdminGetUser, `concurrency` at a time, then looks up each email
/// and phone number the input sets with a ListUsers filter, to know who already has it. An
/// interrupt stops it within the calls in flight.
pub async fn get<P: Pool>(
    pool: &P,
    keys: InputKeys,
    wanted: &BTreeSet<String>,
    concurrency: usize,
    reporter: &dyn Reporter,
    stop: &CancellationToken,
) -> Result<Current, CallError> {
    let rate = Arc::new(RateControl::new(GET_RPS));
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for user in keys.users {
        let (pool, rate, slots, stop) = (pool.clone(), rate.clone(), slots.clone(), stop.clone());
        tasks.spawn(async move {
            let _permit = slots.acquire_owned().await.expect("semaphore open");
            if stop.is_cancelled() {
                return (user, Err(interrupted()));
            }
            let result = retrying(&rate, &RetryPolicy::default(), || pool.get_user(&user)).await;
            (user, result)
        });
    }
    let mut current = Current {
        source: Some(Source::Get),
        ..Current::default()
    };
    while let Some(done) = tasks.join_next().await {
        let (user, result) = done.expect("reader task");
        match result {
            Ok(Some(found)) => {
                current.users_read += 1;
                current.keep(user.to_lowercase(), &found.attributes, wanted)
            }
            Ok(None) => current.users_read += 1,
            Err(e) => {
                tasks.abort_all();
                return Err(e);
            }
        }
        if current.users_read.is_multiple_of(100) {
            reporter.status(&format!("reading users: {}", current.users_read));
        }
    }
    note_owners(pool, keys.aliases, &mut current, stop).await?;
    Ok(current)
}

/// The attributes to keep of the users an input names: those it changes, and the
/// `*_verified` flag of each alias among them (Cognito resets it when the alias changes
/// without it, and the journal keeps its value for rollback). Made once, not per user.
pub fn with_verified_flags(mut wanted: BTreeSet<String>) -> BTreeSet<String> {
    for (alias, verified) in crate::validate::ALIASES {
        if wanted.contains(alias) {
            wanted.insert(verified.to_string());
        }
    }
    wanted
}
