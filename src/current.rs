//! Reading users' current values, for `plan` and for `apply`'s diff: by streaming the pool
//! with ListUsers (`list`: 60 users a page, UserList quota 30/s, does not make users billable)
//! or by AdminGetUser per input user (`get`: UserRead quota 120/s, each user read becomes a
//! billable monthly active user).
//!
//! Memory is bounded by the input, not the pool: of the pool's users only those the input
//! names are kept, with only the attributes the input touches (plus email and phone number
//! for the alias checks); every email and phone number of the pool is kept as a 64-bit hash.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::sync::Arc;

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::AttributeType;
use tokio::sync::Semaphore;

use crate::progress::Reporter;
use crate::scan::user_key;
use crate::sender::{CallError, RateControl, RetryPolicy, retrying};

/// Where current values come from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Stream the whole pool with ListUsers.
    List,
    /// AdminGetUser for each input user (makes each a billable active user).
    Get,
    /// `list` unless the pool is much larger than the input.
    Auto,
    /// Do not read: send every row as it is (no diff, no rollback information).
    None,
}

/// ListUsers is paced well under its 30/s quota, AdminGetUser under its 120/s.
const LIST_RPS: f64 = 20.0;
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

/// Hash of an alias value (emails compare case-insensitively).
pub fn alias_key(value: &str) -> u64 {
    BuildHasherDefault::<DefaultHasher>::default().hash_one(value.trim().to_lowercase())
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

    /// Notes that the user named `owner` holds these emails and phone numbers.
    fn note_aliases(&mut self, owner: &str, attrs: &[AttributeType]) {
        for a in attrs {
            if matches!(a.name(), "email" | "phone_number")
                && let Some(v) = a.value().filter(|v| !v.is_empty())
            {
                self.aliases.insert(alias_key(v), user_key(owner));
            }
        }
    }

    /// Keeps `attrs` of a user the input names as `key`.
    fn keep(&mut self, key: String, attrs: &[AttributeType], wanted: &BTreeSet<String>) {
        self.note_aliases(&key, attrs);
        let kept = attrs
            .iter()
            .filter(|a| wanted.contains(a.name()) || matches!(a.name(), "email" | "phone_number"))
            .map(|a| (a.name().to_string(), a.value().unwrap_or("").to_string()))
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
        attrs: &[AttributeType],
        wanted: Option<&BTreeSet<String>>,
    ) {
        match wanted {
            Some(wanted) => self.keep(username.to_lowercase(), attrs, wanted),
            None => self.note_aliases(username, attrs),
        }
    }
}

/// Streams the pool; keeps the users whose username or sub is in `input_users` (hashes from
/// the scan) and every user's email and phone number hash.
pub async fn list(
    client: &Client,
    pool: &str,
    input_users: &HashSet<u64>,
    wanted: &BTreeSet<String>,
    reporter: &dyn Reporter,
) -> Result<Current, CallError> {
    let rate = RateControl::new(LIST_RPS);
    let policy = RetryPolicy::default();
    let mut current = Current {
        source: Some(Source::List),
        ..Current::default()
    };
    let mut token: Option<String> = None;
    let mut seen = 0u64;
    loop {
        let page = retrying(&rate, &policy, || {
            client
                .list_users()
                .user_pool_id(pool)
                .limit(60)
                .set_pagination_token(token.clone())
                .send()
        })
        .await?;
        for user in page.users() {
            seen += 1;
            let attrs = user.attributes();
            let username = user.username().unwrap_or("");
            let sub = attrs
                .iter()
                .find(|a| a.name() == "sub")
                .and_then(|a| a.value());
            let key = [Some(username), sub]
                .into_iter()
                .flatten()
                .find(|k| input_users.contains(&user_key(k)));
            match key {
                Some(k) => current.keep(k.to_lowercase(), attrs, wanted),
                None => current.note_aliases(username, attrs),
            }
        }
        reporter.status(&format!("reading the pool: {seen} users"));
        token = page.pagination_token().map(str::to_string);
        if token.is_none() {
            return Ok(current);
        }
    }
}

/// Reads each input user with AdminGetUser, `concurrency` at a time, then looks up each email
/// and phone number the input sets with a ListUsers filter, to know who already has it.
pub async fn get(
    client: &Client,
    pool: &str,
    keys: InputKeys,
    wanted: &BTreeSet<String>,
    concurrency: usize,
    reporter: &dyn Reporter,
) -> Result<Current, CallError> {
    let rate = Arc::new(RateControl::new(GET_RPS));
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for user in keys.users {
        let (client, pool, rate, slots) = (
            client.clone(),
            pool.to_string(),
            rate.clone(),
            slots.clone(),
        );
        tasks.spawn(async move {
            let _permit = slots.acquire_owned().await.expect("semaphore open");
            let result = retrying(&rate, &RetryPolicy::default(), || {
                client
                    .admin_get_user()
                    .user_pool_id(&pool)
                    .username(&user)
                    .send()
            })
            .await;
            (user, result)
        });
    }
    let mut current = Current {
        source: Some(Source::Get),
        ..Current::default()
    };
    while let Some(done) = tasks.join_next().await {
        let (user, result) = done.expect("reader task");
        current.users_read += 1;
        match result {
            Ok(out) => current.keep(user.to_lowercase(), out.user_attributes(), wanted),
            Err(e) if e.code == "UserNotFoundException" => {}
            Err(e) => return Err(e),
        }
        if current.users_read.is_multiple_of(100) {
            reporter.status(&format!("reading users: {}", current.users_read));
        }
    }
    let lists = RateControl::new(LIST_RPS);
    let mut looked_up = HashSet::new();
    for (attr, value) in keys.aliases {
        if !looked_up.insert(alias_key(&value)) {
            continue;
        }
        // ListUsers filters quote the value; a quote inside it is escaped.
        let filter = format!(
            "{attr} = \"{}\"",
            value.replace('\\', "\\\\").replace('"', "\\\"")
        );
        let page = retrying(&lists, &RetryPolicy::default(), || {
            client
                .list_users()
                .user_pool_id(pool)
                .filter(filter.clone())
                .limit(2)
                .send()
        })
        .await?;
        if let Some(owner) = page.users().iter().find_map(|u| u.username()) {
            current.aliases.insert(alias_key(&value), user_key(owner));
        }
    }
    Ok(current)
}
