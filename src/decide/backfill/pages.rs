//! The one place a backfill reads the pool: the shared ListUsers pager, user by user.

use tokio_util::sync::CancellationToken;

use crate::cognito::Pool;
use crate::cognito::pager::Pager;
use crate::progress::Reporter;

/// Streams the pool with ListUsers (60 a page, paced under the UserList quota), narrowed by
/// a ListUsers filter, handing each user (name, attributes, `enabled` flag) to `each`.
pub async fn list_users<P: Pool>(
    pool: &P,
    stop: &CancellationToken,
    pool_id: &str,
    filter: Option<&str>,
    reporter: &dyn Reporter,
    mut each: impl FnMut(&str, &[(String, String)], Option<bool>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut pages = Pager::new(pool, filter.map(str::to_string), None).until(stop);
    let mut seen = 0u64;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| anyhow::anyhow!("reading the users of {pool_id}: {e}"))?;
        for user in &page.users {
            seen += 1;
            each(&user.username, &user.attributes, user.enabled)?;
        }
        reporter.status(crate::progress::Status::ReadingPool { seen });
    }
    Ok(())
}
