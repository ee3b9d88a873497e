//! The rails on group membership and status: a user over Cognito's groups-per-user limit
//! (an invalid row), and a run that disables more than a tenth of the pool (refused before
//! the first write unless `--allow-mass-disable`). Apart from `rails.rs`, whose rails weigh
//! attribute changes.

use std::collections::BTreeSet;

use crate::decide::groups::exact::ends_in;
use crate::model::op::{OpDiff, OpKind};
use crate::model::row::Record;
use crate::plan::summary::{PlanSummary, thousands};
use crate::rows::input::MAX_GROUPS_PER_USER;

/// The flag that lets a run disable more than [`MASS_DISABLE_SHARE`] of the pool.
pub const ALLOW_MASS_DISABLE: &str = "--allow-mass-disable";

/// The share of the pool's estimated users one run may disable without the flag: 1/10.
pub const MASS_DISABLE_SHARE: u64 = 10;

/// The groups-per-user rail: a user that would end in more groups than Cognito allows is an
/// invalid row (Cognito would refuse the add that passes the limit, half-way through the
/// row). Counted from the groups read: all of them with `--exact-groups`, else the groups
/// the input names, which is all the input can change.
pub(super) fn group_limit(record: &mut Record, now: Option<&BTreeSet<String>>, others: &[OpDiff]) {
    let adds = others.iter().any(|d| d.kind() == OpKind::AddToGroup);
    match ends_in(now, others) {
        Some(n) if adds && n > MAX_GROUPS_PER_USER => {
            let problem = crate::rows::input::too_many_groups(n);
            record.problems.push(problem);
        }
        _ => {}
    }
}

/// The mass-disable rail: refuses (the message names the first users and how many) a run
/// whose decided rows disable more than a tenth of `estimated_users` (DescribeUserPool's
/// EstimatedNumberOfUsers), unless `allow`. Checked before the first write.
pub fn mass_disable(
    summary: &PlanSummary,
    estimated_users: u64,
    allow: bool,
) -> Result<(), String> {
    let disabled = summary.ops.get(OpKind::DisableUser);
    if allow || disabled == 0 || disabled * MASS_DISABLE_SHARE <= estimated_users {
        return Ok(());
    }
    Err(format!(
        "the run would disable {} users, more than 1 in {MASS_DISABLE_SHARE} of the pool's \
         estimated {} users: {}. Check the input; if this is meant, pass {ALLOW_MASS_DISABLE}",
        thousands(disabled),
        thousands(estimated_users),
        summary.disabled_names(),
    ))
}

/// Why `apply` would refuse a plan under the mass-disable rail (more than a tenth of the
/// pool's estimated users disabled), if it would: `plan` says so, and prints the allowance in
/// the command that applies it.
pub fn over_disable_rail(
    summary: &PlanSummary,
    described: &aws_sdk_cognitoidentityprovider::types::UserPoolType,
) -> Option<String> {
    let estimated = u64::try_from(described.estimated_number_of_users()).unwrap_or(0);
    mass_disable(summary, estimated, false).err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_than_a_tenth_disabled_is_refused_naming_the_first_twenty_and_a_count() {
        let mut summary = PlanSummary::default();
        for i in 0..25 {
            let d = crate::model::op::EnabledDiff::new(Some(true), false);
            summary.ops.add(OpKind::DisableUser, 1);
            summary.note_ops(&format!("u{i}"), &[OpDiff::Enabled(d)]);
        }
        assert_eq!(
            mass_disable(&summary, 250, false),
            Ok(()),
            "exactly a tenth"
        );
        let why = mass_disable(&summary, 249, false).unwrap_err();
        assert!(
            why.contains("u0, u1") && why.contains("u19 (and 5 more)"),
            "{why}"
        );
        assert!(!why.contains("u20"), "{why}");
        assert!(why.contains(ALLOW_MASS_DISABLE), "{why}");
        assert_eq!(mass_disable(&summary, 10, true), Ok(()));
    }
}
