//! The one reader of a pool's groups: every group's name (ListGroups) and a group's members
//! (ListUsersInGroup), all pages, 60 a page, each page retried and paced by the caller's
//! pacer. Shared by the plan-time membership read (`decide::groups`) and `export
//! --with-groups`. An interrupt is honoured between pages.

use std::collections::BTreeSet;

use tokio_util::sync::CancellationToken;

use super::pacing::{RateControl, RetryPolicy, interrupted, retrying};
use super::pager::PAGE_SIZE;
use super::{CallError, Pool};

/// Every group's name (a name listed twice across pages counts once), in name order.
pub async fn names<P: Pool>(
    pool: &P,
    rate: &RateControl,
    policy: &RetryPolicy,
    stop: &CancellationToken,
) -> Result<BTreeSet<String>, CallError> {
    let mut groups = BTreeSet::new();
    let mut token: Option<String> = None;
    loop {
        if stop.is_cancelled() {
            return Err(interrupted());
        }
        let list = || pool.list_groups_page(token.as_deref());
        let page = retrying(rate, policy, stop, list).await?;
        groups.extend(page.groups);
        token = page.next;
        if token.is_none() {
            return Ok(groups);
        }
    }
}

/// The usernames of `group`'s members.
pub async fn members<P: Pool>(
    pool: &P,
    group: &str,
    rate: &RateControl,
    policy: &RetryPolicy,
    stop: &CancellationToken,
) -> Result<Vec<String>, CallError> {
    let mut users = Vec::new();
    let mut token: Option<String> = None;
    loop {
        if stop.is_cancelled() {
            return Err(interrupted());
        }
        let list = || pool.list_group_page(group, token.as_deref(), PAGE_SIZE);
        let page = retrying(rate, policy, stop, list).await?;
        tracing::debug!(group, users = page.users.len(), "ListUsersInGroup page");
        users.extend(page.users.into_iter().map(|u| u.username));
        token = page.next;
        if token.is_none() {
            return Ok(users);
        }
    }
}
