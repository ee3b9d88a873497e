//! The one place a backfill reads the pool: a ListUsers stream, kept small so that it ports
//! to another pool reader as it is.

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::AttributeType;

use crate::progress::Reporter;
use crate::sender::{RateControl, RetryPolicy, retrying};

/// Streams the pool with ListUsers (60 a page, paced under the UserList quota), narrowed by
/// a ListUsers filter, handing each user to `each`. The one place a backfill reads the pool.
pub async fn list_users(
    client: &Client,
    pool: &str,
    filter: Option<&str>,
    reporter: &dyn Reporter,
    mut each: impl FnMut(&str, &[AttributeType]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let rate = RateControl::new(20.0);
    let policy = RetryPolicy::default();
    let mut token: Option<String> = None;
    let mut seen = 0u64;
    loop {
        let page = retrying(&rate, &policy, || {
            client
                .list_users()
                .user_pool_id(pool)
                .limit(60)
                .set_filter(filter.map(str::to_string))
                .set_pagination_token(token.clone())
                .send()
        })
        .await
        .map_err(|e| anyhow::anyhow!("reading the users of {pool}: {e}"))?;
        for user in page.users() {
            seen += 1;
            each(user.username().unwrap_or(""), user.attributes())?;
        }
        reporter.status(&format!("reading the pool: {seen} users"));
        token = page.pagination_token().map(str::to_string);
        if token.is_none() {
            return Ok(());
        }
    }
}
