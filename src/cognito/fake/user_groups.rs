//! The fake pool's AdminListGroupsForUser: the groups one user is in, by name, 60 a page (the
//! page token is an offset), as Cognito lists them; a user the pool lacks is
//! `UserNotFoundException`. The read the sender makes just before a row's group operations.

use super::{FakePool, find, not_found};
use crate::cognito::{CallError, ErrorKind, GroupPage};

impl FakePool {
    pub(super) fn groups_of_page(
        &self,
        username: &str,
        token: Option<&str>,
    ) -> Result<GroupPage, CallError> {
        {
            let state = self.lock();
            find(&state, username).ok_or_else(|| not_found(username))?;
        }
        let names: Vec<String> = self.groups_of(username).into_iter().collect();
        let start: usize = match token {
            None => 0,
            Some(t) => t.parse().map_err(|_| {
                CallError::new(ErrorKind::Row, "InvalidParameterException", "bad token")
            })?,
        };
        let start = start.min(names.len());
        let end = (start + 60).min(names.len());
        Ok(GroupPage {
            groups: names[start..end].to_vec(),
            next: (end < names.len()).then(|| end.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::cognito::Pool;
    use crate::cognito::fake::FakePool;

    #[tokio::test]
    async fn a_users_groups_come_in_pages_of_60() {
        let pool = FakePool::new(&[]);
        pool.add_user("al", &[]);
        for i in 0..61 {
            pool.put_in_group("al", &format!("g{i:02}"));
        }
        let first = pool.user_groups_page("al", None).await.unwrap();
        assert_eq!(first.groups.len(), 60);
        let next = first.next.expect("a second page");
        let second = pool.user_groups_page("al", Some(&next)).await.unwrap();
        assert_eq!(
            (second.groups.as_slice(), second.next),
            (&["g60".to_string()][..], None)
        );
        let missing = pool.user_groups_page("nobody", None).await.unwrap_err();
        assert_eq!(missing.code, "UserNotFoundException");
    }
}
