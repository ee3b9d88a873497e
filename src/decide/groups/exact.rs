//! A row's full set of groups (`groups` with `--exact-groups`) against the groups its user
//! is in: an add for each listed group the user lacks, a remove for each other group it is
//! in. And how many groups a user ends in, for Cognito's per-user limit.

use std::collections::BTreeSet;

use crate::model::op::{GroupChange, Op, OpDiff};
use crate::model::row::Row;

/// The row's operations with its full set made into adds and removes against `now` (the
/// user's groups; None: not read, so only the adds are known), in the order they are shown:
/// attributes, memberships, the flag, the sign-out.
pub fn ops(row: &Row, now: Option<&BTreeSet<String>>) -> Vec<Op> {
    let Some(wanted) = &row.exact_groups else {
        return row.ops.clone();
    };
    let named = |g: &String| {
        row.ops
            .iter()
            .any(|op| matches!(op, Op::Group(c) if &c.group == g))
    };
    let mut ops = row.ops.clone();
    let adds = wanted
        .iter()
        .filter(|g| now.is_none_or(|n| !n.contains(*g)));
    ops.extend(
        adds.filter(|g| !named(g))
            .map(|g| Op::Group(GroupChange::add(g.clone()))),
    );
    let removes = now.into_iter().flatten().filter(|g| !wanted.contains(*g));
    ops.extend(
        removes
            .filter(|g| !named(g))
            .map(|g| Op::Group(GroupChange::remove(g.clone()))),
    );
    ops.sort_by_key(rank);
    ops
}

fn rank(op: &Op) -> u8 {
    match op {
        Op::Attribute(_) => 0,
        Op::Group(_) => 1,
        Op::Enabled(_) => 2,
        Op::SignOut => 3,
    }
}

/// How many groups the user ends in after `diffs`, from `now` (the groups read: all of them
/// with `--exact-groups`, else those the input names, so a lower bound); None when its
/// groups were not read.
pub fn ends_in(now: Option<&BTreeSet<String>>, diffs: &[OpDiff]) -> Option<usize> {
    let mut groups = now?.clone();
    for d in diffs {
        if let OpDiff::Group(c) = d {
            match c.adds() {
                true => groups.insert(c.group.clone()),
                false => groups.remove(&c.group),
            };
        }
    }
    Some(groups.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_full_set_adds_what_is_missing_and_removes_the_rest() {
        let row = Row {
            line: 2,
            username: "al".into(),
            ops: vec![Op::Enabled(false), Op::SignOut],
            client_metadata: Default::default(),
            exact_groups: Some(set(&["admin", "pro"])),
        };
        let ops = ops(&row, Some(&set(&["pro", "beta"])));
        assert_eq!(
            ops,
            [
                Op::Group(GroupChange::add("admin")),
                Op::Group(GroupChange::remove("beta")),
                Op::Enabled(false),
                Op::SignOut,
            ]
        );
        let diffs: Vec<OpDiff> = ops.iter().map(|o| o.unread(None)).collect();
        assert_eq!(ends_in(Some(&set(&["pro", "beta"])), &diffs), Some(2));
        assert_eq!(ends_in(None, &diffs), None);
    }

    #[test]
    fn the_empty_set_removes_every_group() {
        let row = Row {
            line: 2,
            username: "al".into(),
            ops: vec![],
            client_metadata: Default::default(),
            exact_groups: Some(BTreeSet::new()),
        };
        assert_eq!(
            ops(&row, Some(&set(&["a", "b"]))),
            [
                Op::Group(GroupChange::remove("a")),
                Op::Group(GroupChange::remove("b"))
            ]
        );
    }
}
