//! The reads that fill [`Current`]: the whole pool streamed with ListUsers (`list`), each
//! input user read with AdminGetUser (`get`, with the second user a key may name), and the
//! owners of the emails and phone numbers an input sets looked up by filter. Apart from
//! current.rs, which holds the users kept and how a key resolves, because these are the calls
//! to the pool, with their pacing and interrupts.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::joined::Spill;
use super::{Current, InputKeys, alias_key};
use crate::cognito::pacing::{RateControl, RetryPolicy, retrying};
use crate::cognito::pager::{Pager, interrupted, users_with};
use crate::cognito::signin::SignIn;
use crate::cognito::{CallError, Pool, User};
use crate::model::source::Source;
use crate::progress::Reporter;

/// AdminGetUser is paced well under its UserRead quota of 120/s (ListUsers: see the pager).
const GET_RPS: f64 = 80.0;

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

/// Streams the pool; keeps the users one of whose names (username, sub, an alias the pool
/// allows) hashes to a key of the input (`input_users`: the scan's key hashes, sorted), each
/// written to a private temporary file as its page arrives and found again by those hashes
/// (`joined.rs`); and, when the input sets one, every user's email and phone number hash.
pub async fn list<P: Pool>(
    pool: &P,
    sign_in: SignIn,
    input_users: &[u64],
    wanted: &BTreeSet<String>,
    reporter: &dyn Reporter,
    stop: &CancellationToken,
) -> Result<Current, CallError> {
    let mut current = Current::new(sign_in, Source::List);
    // Only a row that sets an email or phone number asks who else has it.
    let aliases = wanted.contains("email") || wanted.contains("phone_number");
    let mut spill = Spill::new().map_err(spill_failed)?;
    let mut pages = Pager::new(pool, None, None).until(stop);
    let mut seen = 0u64;
    while let Some(page) = pages.next().await {
        for user in page?.users {
            seen += 1;
            if aliases {
                current.note_aliases(&user.username, &user.attributes);
            }
            let hashes = current.named_by(&user, input_users);
            if !hashes.is_empty() {
                let (mut kept, names) =
                    current.kept(&user.username, &user.attributes, wanted, None);
                kept.enabled = user.enabled;
                spill.keep(&kept, &names, &hashes).map_err(spill_failed)?;
            }
        }
        reporter.status(crate::progress::Status::ReadingPool { seen });
    }
    current.joined = Some(spill.finish().map_err(spill_failed)?);
    Ok(current)
}

/// The temporary file of kept users could not be written: the run stops before any write.
fn spill_failed(e: std::io::Error) -> CallError {
    CallError::new(
        crate::cognito::ErrorKind::Fatal,
        "TemporaryFile",
        format!("keeping the input's users in a temporary file: {e}"),
    )
}

/// Reads each input user with AdminGetUser, `concurrency` at a time, then looks up each email
/// and phone number the input sets with a ListUsers filter, to know who already has it. An
/// interrupt stops it within the calls in flight.
pub async fn get<P: Pool>(
    pool: &P,
    sign_in: SignIn,
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
        let sign_in = sign_in.clone();
        tasks.spawn(async move {
            let _permit = slots.acquire_owned().await.expect("semaphore open");
            if stop.is_cancelled() {
                return (user, Err(interrupted()), Vec::new());
            }
            let read = || pool.get_user(&user);
            let result = retrying(&rate, &RetryPolicy::default(), &stop, read).await;
            // AdminGetUser picks one user; a second one the key also names is looked up.
            let lookup = match &result {
                Ok(Some(found)) => second_name(&sign_in, &user, found),
                _ => None,
            };
            let others = match lookup {
                Some((attr, value)) => match users_with(&pool, attr, &value, &stop).await {
                    Ok(others) => others,
                    Err(e) => return (user, Err(e), Vec::new()),
                },
                None => Vec::new(),
            };
            (user, result, others)
        });
    }
    let mut current = Current::new(sign_in, Source::Get);
    // Keys looked up (progress), and the users found: only a user AdminGetUser found is
    // billable, once however many keys name it.
    let (mut looked_up, mut found_users) = (0u64, std::collections::HashSet::new());
    while let Some(done) = tasks.join_next().await {
        let (user, result, others) = done.expect("reader task");
        looked_up += 1;
        match result {
            Ok(Some(found)) => {
                if found_users.insert(found.username.clone()) {
                    current.users_read += 1;
                }
                current.keep(&found.username, &found.attributes, wanted, Some(&user));
                current.note_enabled(&found.username, found.enabled);
                // Kept by the names the pool resolves to them (a verified alias only, ...):
                // a key that names two users then resolves to both, `AmbiguousMatch`.
                for other in others.iter().filter(|o| o.username != found.username) {
                    current.keep(&other.username, &other.attributes, wanted, None);
                }
            }
            Ok(None) => {}
            Err(e) => {
                tasks.abort_all();
                return Err(e);
            }
        }
        if looked_up.is_multiple_of(100) {
            reporter.status(crate::progress::Status::ReadingUsers { read: looked_up });
        }
    }
    note_owners(pool, keys.aliases, &mut current, stop).await?;
    Ok(current)
}

/// The one ListUsers filter (attribute, value) that finds another user `key` may name,
/// besides `found`, the user AdminGetUser resolved it to: the key matched `found`'s username,
/// so it may be another user's alias (the attribute its shape allows: `email` with an `@`,
/// `phone_number` with a `+`, else `preferred_username`); or it matched an alias of `found`,
/// so it may be another user's username. Only in a pool with `AliasAttributes`: with
/// `UsernameAttributes` usernames are generated and never an address, and without aliases
/// a key names one user at most. None: no lookup needed.
fn second_name(sign_in: &SignIn, key: &str, found: &User) -> Option<(&'static str, String)> {
    if sign_in.alias_attributes.is_empty() {
        return None;
    }
    let names = sign_in.names(&found.username, &found.attributes);
    let matched = names.iter().find(|n| match n.folded {
        true => n.value.to_lowercase() == key.to_lowercase(),
        false => n.value == key,
    })?;
    let allowed = |a: &str| sign_in.alias_attributes.iter().any(|x| x == a);
    match matched.kind {
        "username" => {
            let by_shape = match key {
                k if k.contains('@') && allowed("email") => "email",
                k if k.starts_with('+') && allowed("phone_number") => "phone_number",
                _ if allowed("preferred_username") => "preferred_username",
                _ => return None,
            };
            Some((by_shape, key.to_string()))
        }
        "sub" => None,
        _ => Some(("username", key.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::cognito::api::Api;
    use crate::cognito::codes;
    use crate::cognito::fake::FakePool;
    use crate::cognito::faults::{Fault, Faulty};

    fn keys(users: &[&str]) -> InputKeys {
        InputKeys {
            users: users.iter().map(|u| u.to_string()).collect(),
            aliases: Vec::new(),
        }
    }

    #[tokio::test]
    async fn the_pre_read_ends_at_an_interrupt_while_it_waits_out_throttles() {
        // Every AdminGetUser throttled: each read waits between attempts (up to 2 s) for as
        // long as it takes, until the interrupt 100 ms in.
        let fake = FakePool::new(&[]);
        fake.add_user("alice", &[]);
        let pool = Faulty::new(fake);
        pool.fail(Api::GetUser, Fault::throttle(), usize::MAX);
        let stop = CancellationToken::new();
        let cancel = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            cancel.cancel();
        });
        let wanted = BTreeSet::new();
        let reporter = crate::progress::Quiet;
        let read = get(
            &pool,
            SignIn::plain(),
            keys(&["alice"]),
            &wanted,
            2,
            &reporter,
            &stop,
        );
        let read = tokio::time::timeout(Duration::from_secs(20), read).await;
        let err = read.expect("the read ended at the interrupt").unwrap_err();
        assert_eq!(err.code, codes::INTERRUPTED);
    }
}
