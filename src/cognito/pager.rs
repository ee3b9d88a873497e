//! The one ListUsers pager: current values, alias lookups, export and rollback all page
//! through the pool with it. Paced under the UserList quota (30/s), retrying passing faults,
//! and stopping between pages when the run is interrupted (a read never outlives Ctrl-C by
//! more than the call in flight).

use tokio_util::sync::CancellationToken;

pub use crate::cognito::pacing::interrupted;
use crate::cognito::pacing::{RateControl, RetryPolicy, retrying};
use crate::cognito::{CallError, Page, Pool, User};

/// Users a ListUsers page holds at most.
pub const PAGE_SIZE: i32 = 60;

/// Pages through ListUsers from `token` (None: the first page) to the end.
pub struct Pager<'a, P: Pool> {
    pool: &'a P,
    filter: Option<String>,
    token: Option<String>,
    finished: bool,
    rate: RateControl,
    policy: RetryPolicy,
    stop: CancellationToken,
}

impl<'a, P: Pool> Pager<'a, P> {
    pub fn new(pool: &'a P, filter: Option<String>, token: Option<String>) -> Self {
        Pager {
            pool,
            filter,
            token,
            finished: false,
            rate: RateControl::new(pool.list_pages_per_second()),
            policy: RetryPolicy::default(),
            stop: CancellationToken::new(),
        }
    }

    /// Stops between pages once `stop` is cancelled ([`interrupted`] is then returned).
    pub fn until(mut self, stop: &CancellationToken) -> Self {
        self.stop = stop.clone();
        self
    }

    /// The next page, None after the last one.
    pub async fn next(&mut self) -> Option<Result<Page, CallError>> {
        if self.finished {
            return None;
        }
        if self.stop.is_cancelled() {
            self.finished = true;
            return Some(Err(interrupted()));
        }
        let (pool, filter, token) = (self.pool, self.filter.as_deref(), self.token.as_deref());
        let list = || pool.list_page(filter, token, PAGE_SIZE);
        // Also given up while in flight: a read has nothing to record.
        let page = tokio::select! {
            biased;
            _ = self.stop.cancelled() => Err(interrupted()),
            page = retrying(&self.rate, &self.policy, &self.stop, list) => page,
        };
        match &page {
            Ok(p) => {
                tracing::debug!(
                    users = p.users.len(),
                    last = p.next.is_none(),
                    "ListUsers page"
                );
                self.token = p.next.clone();
                self.finished = p.next.is_none();
            }
            Err(_) => self.finished = true,
        }
        Some(page)
    }
}

/// Every user whose `attr` is exactly `value`: a ListUsers filter (the value quoted, a quote
/// or backslash inside it escaped), all its pages.
pub async fn users_with<P: Pool>(
    pool: &P,
    attr: &str,
    value: &str,
    stop: &CancellationToken,
) -> Result<Vec<User>, CallError> {
    let filter = format!(
        "{attr} = \"{}\"",
        value.replace('\\', "\\\\").replace('"', "\\\"")
    );
    let mut found = Vec::new();
    let mut pages = Pager::new(pool, Some(filter), None).until(stop);
    while let Some(page) = pages.next().await {
        found.extend(page?.users);
    }
    Ok(found)
}
