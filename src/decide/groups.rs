//! The users' current group membership, read cheaply: ListUsersInGroup once per group the
//! input names (every group of the pool with `--exact-groups`), 60 members a page, paced
//! like ListUsers pages, rather than a call per user. Each kept user (`decide::current`)
//! gets the set of those groups it is in, so that a membership it already has costs no
//! call. Before that, ListGroups: a group the input names that the pool lacks is a setup
//! error naming every such group, before the first write.

use std::collections::{BTreeSet, HashMap};

use anyhow::{anyhow, bail};
use tokio_util::sync::CancellationToken;

use crate::cognito::pacing::{RateControl, RetryPolicy};
use crate::cognito::{CallError, Pool, groups};
use crate::decide::current::Current;
use crate::rows::scan::Scan;

pub mod exact;

/// Checks that the groups `scan` names exist in the pool and, with current values, notes on
/// each kept user the groups it is in (of those the input names; of all with full sets).
/// Nothing to do (no call) when the input names no group.
pub async fn read<P: Pool>(
    pool: &P,
    user_pool_id: &str,
    scan: &Scan,
    current: Option<&mut Current>,
    stop: &CancellationToken,
) -> anyhow::Result<()> {
    if scan.groups.is_empty() && !scan.exact_groups {
        return Ok(());
    }
    let rate = RateControl::new(pool.list_pages_per_second());
    let reading = |e: CallError| anyhow!("reading the groups of {user_pool_id}: {e}");
    let policy = RetryPolicy::default();
    let in_pool = groups::names(pool, &rate, &policy, stop)
        .await
        .map_err(reading)?;
    let missing: Vec<&str> = (scan.groups.iter())
        .filter(|g| !in_pool.contains(*g))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        bail!(
            "the input names groups that user pool {user_pool_id} does not have: {}; \
             create them first (aws cognito-idp create-group) or correct the input",
            missing.join(", ")
        );
    }
    let Some(current) = current else {
        if scan.exact_groups {
            bail!(
                "--exact-groups needs each user's current groups, which --current-state none \
                 does not read: use --current-state list or get"
            );
        }
        return Ok(());
    };
    let to_read = match scan.exact_groups {
        true => &in_pool,
        false => &scan.groups,
    };
    // Each member's groups among those read: grows with those groups' members, not the pool.
    let mut memberships: HashMap<String, BTreeSet<String>> = HashMap::new();
    for group in to_read {
        let members = groups::members(pool, group, &rate, &policy, stop)
            .await
            .map_err(reading)?;
        for username in members {
            memberships
                .entry(username)
                .or_default()
                .insert(group.clone());
        }
    }
    // Users kept in memory get theirs now; those kept in a file as they are loaded.
    for kept in current.every_kept_mut() {
        let groups = memberships.get(&kept.identity.username);
        kept.groups = Some(groups.cloned().unwrap_or_default());
    }
    current.set_memberships(memberships);
    Ok(())
}
