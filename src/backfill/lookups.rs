//! `--current-state get` for `--match`: each input key looked up with a ListUsers filter
//! (60 users a page, not billable) instead of reading the whole pool, and afterwards each
//! email and phone number the rows set, so that the alias rail still knows who has it.

use std::collections::{HashMap, HashSet};

use tokio_util::sync::CancellationToken;

use super::{Attributes, Index, fold};
use crate::current::{Current, alias_key};
use crate::pager::Pager;
use crate::pool::Pool;

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
            for (user, attrs) in filtered(pool, attr, &variant, stop).await? {
                if seen.insert(user.clone()) {
                    current.observe(&user, &attrs, None);
                    index
                        .entry(fold(match_attr, key))
                        .or_default()
                        .push((user, attrs));
                }
            }
        }
    }
    Ok(index)
}

/// Who already has each of these emails and phone numbers, noted in `current`.
pub(super) async fn owners<P: Pool>(
    pool: &P,
    aliases: Vec<(String, String)>,
    current: &mut Current,
    stop: &CancellationToken,
) -> anyhow::Result<()> {
    let mut looked_up = HashSet::new();
    for (attr, value) in aliases {
        if !looked_up.insert(alias_key(&value)) {
            continue;
        }
        for (user, attrs) in filtered(pool, &attr, &value, stop).await? {
            current.observe(&user, &attrs, None);
        }
    }
    Ok(())
}

/// The emails and phone numbers among a row's changes.
pub(super) fn aliases_set(changes: &[(String, Option<String>)]) -> Vec<(String, String)> {
    changes
        .iter()
        .filter(|(n, _)| matches!(n.as_str(), "email" | "phone_number"))
        .filter_map(|(n, v)| Some((n.clone(), v.clone()?)))
        .collect()
}

/// The users whose `attr` is exactly `value` (ListUsers filters quote the value).
async fn filtered<P: Pool>(
    pool: &P,
    attr: &str,
    value: &str,
    stop: &CancellationToken,
) -> anyhow::Result<Vec<(String, Attributes)>> {
    let filter = format!(
        "{attr} = \"{}\"",
        value.replace('\\', "\\\\").replace('"', "\\\"")
    );
    let mut found = Vec::new();
    let mut pages = Pager::new(pool, Some(filter), None).until(stop);
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| anyhow::anyhow!("looking up {attr}: {e}"))?;
        found.extend(page.users.into_iter().map(|u| (u.username, u.attributes)));
    }
    Ok(found)
}
