//! `--current-state get` for `--match`: each input key looked up with a ListUsers filter
//! (60 users a page, not billable) instead of reading the whole pool; afterwards the emails
//! and phone numbers the rows set are looked up the same way (`current::note_owners`).

use std::collections::{HashMap, HashSet};

use tokio_util::sync::CancellationToken;

use super::{Index, fold};
use crate::cognito::Pool;
use crate::cognito::pager::users_with;
use crate::decide::current::Current;

/// Attributes a ListUsers filter accepts (Cognito's list; custom attributes cannot be).
pub const FILTERABLE: &[&str] = &[
    "username",
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "sub",
];

/// Whether `--match attr` can be looked up with a filter (None: the username).
pub fn filterable(attr: Option<&str>) -> bool {
    attr.is_none_or(|a| FILTERABLE.contains(&a))
}

/// The users found for each key, by its folded form. An email is looked up as given and in
/// lower case (Cognito's `=` is exact; email matching ignores case).
pub(super) async fn index<P: Pool>(
    pool: &P,
    match_attr: Option<&str>,
    keys: &[String],
    current: &mut Current,
    stop: &CancellationToken,
) -> anyhow::Result<Index> {
    let attr = match_attr.unwrap_or("username");
    let mut index: Index = HashMap::new();
    for key in keys {
        let mut variants = vec![key.clone()];
        if attr == "email" && key.to_lowercase() != *key {
            variants.push(key.to_lowercase());
        }
        let mut seen = HashSet::new();
        for variant in variants {
            let found = users_with(pool, attr, &variant, stop)
                .await
                .map_err(|e| anyhow::anyhow!("looking up {attr}: {e}"))?;
            for user in found {
                if seen.insert(user.username.clone()) {
                    current.observe(&user.username, &user.attributes, None);
                    index
                        .entry(fold(match_attr, key))
                        .or_default()
                        .push((user.username, user.attributes));
                }
            }
        }
    }
    Ok(index)
}

/// The emails and phone numbers among a row's changes.
pub(super) fn aliases_set(changes: &[(String, Option<String>)]) -> Vec<(String, String)> {
    changes
        .iter()
        .filter(|(n, _)| matches!(n.as_str(), "email" | "phone_number"))
        .filter_map(|(n, v)| Some((n.clone(), v.clone()?)))
        .collect()
}
