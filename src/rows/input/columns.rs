//! The operation columns, read alike from a CSV cell and a JSONL value: `enabled`,
//! `groups_add`, `groups_remove` and `groups` (the full set, only with `--exact-groups`).
//! Their names are reserved: they are never attributes. An empty cell (or `null`, or an
//! absent key) changes nothing, so that nothing is removed by accident; a bad value makes its
//! row invalid, naming the column, and never stops the other rows.

use std::collections::BTreeSet;

use serde_json::Value;

use super::RowOps;
use crate::model::op::{GroupChange, Op};
use crate::model::row::{Code, Problem, Row};

/// Cognito's quota on the groups one user can belong to (developer guide, "Quotas in Amazon
/// Cognito", resource quotas: "Maximum number of groups that each user can belong to").
pub const MAX_GROUPS_PER_USER: usize = 100;

/// The API reference's GroupName: 1 to 128 characters of `[\p{L}\p{M}\p{S}\p{N}\p{P}]`, so
/// never a space or a control character (which is why a CSV cell may separate names by
/// whitespace).
const MAX_GROUP_NAME_CHARS: usize = 128;

/// A column (CSV) or key (JSONL) that makes operations other than attribute changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpColumn {
    Enabled,
    GroupsAdd,
    GroupsRemove,
    Groups,
}

impl OpColumn {
    pub const ALL: [OpColumn; 4] = [
        OpColumn::Enabled,
        OpColumn::GroupsAdd,
        OpColumn::GroupsRemove,
        OpColumn::Groups,
    ];

    /// The column a header (or key) names, if it is one of these.
    pub fn of(name: &str) -> Option<OpColumn> {
        OpColumn::ALL.into_iter().find(|c| c.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            OpColumn::Enabled => "enabled",
            OpColumn::GroupsAdd => "groups_add",
            OpColumn::GroupsRemove => "groups_remove",
            OpColumn::Groups => "groups",
        }
    }
}

/// Why a `groups` column is refused without `--exact-groups` (a setup error: every row of
/// the input would otherwise be read as something it may not mean).
pub(super) fn groups_needs_flag(ops: RowOps) -> Option<String> {
    (!ops.exact_groups).then(|| {
        "\"groups\" is each user's full set of groups: the user would be removed from every \
         other group it is in. Pass --exact-groups to mean that, or rename the column \
         groups_add to only add users to these groups"
            .to_string()
    })
}

/// What a row's operation columns said, gathered until the row is read whole.
#[derive(Debug, Default)]
pub(super) struct OpCells {
    enabled: Option<bool>,
    add: BTreeSet<String>,
    remove: BTreeSet<String>,
    exact: Option<BTreeSet<String>>,
}

impl OpCells {
    /// A CSV cell: `true`/`false` for `enabled`; group names separated by whitespace, or a
    /// JSON array of strings (a cell starting with `[`; `[]` is the empty set).
    pub fn cell(&mut self, column: OpColumn, value: &str, problems: &mut Vec<Problem>) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        match column {
            OpColumn::Enabled => match value.to_ascii_lowercase().as_str() {
                "true" => self.enabled = Some(true),
                "false" => self.enabled = Some(false),
                _ => problems.push(bad_enabled()),
            },
            _ if value.starts_with('[') => match serde_json::from_str::<Value>(value) {
                Ok(v @ Value::Array(_)) => self.json(column, &v, problems),
                _ => problems.push(bad_groups(column, "is not a JSON array of group names")),
            },
            _ => {
                let names = value.split_whitespace().map(str::to_string).collect();
                self.groups(column, names, problems);
            }
        }
    }

    /// A JSONL value: a boolean for `enabled`; an array of group names (or one name as a
    /// string) for the others. `null` changes nothing.
    pub fn json(&mut self, column: OpColumn, value: &Value, problems: &mut Vec<Problem>) {
        match (column, value) {
            (_, Value::Null) => {}
            (OpColumn::Enabled, Value::Bool(b)) => self.enabled = Some(*b),
            (OpColumn::Enabled, _) => problems.push(bad_enabled()),
            (_, Value::String(s)) => self.groups(column, vec![s.clone()], problems),
            (_, Value::Array(items)) => {
                let mut names = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::String(s) => names.push(s.clone()),
                        _ => {
                            let why = "must hold group names (strings) only";
                            return problems.push(bad_groups(column, why));
                        }
                    }
                }
                self.groups(column, names, problems);
            }
            _ => problems.push(bad_groups(
                column,
                "must be an array of group names (or one name as a string)",
            )),
        }
    }

    fn groups(&mut self, column: OpColumn, names: Vec<String>, problems: &mut Vec<Problem>) {
        if let Some(why) = names.iter().find_map(|n| bad_name(n)) {
            return problems.push(bad_groups(column, &why));
        }
        let names = names.into_iter();
        match column {
            OpColumn::GroupsAdd => self.add.extend(names),
            OpColumn::GroupsRemove => self.remove.extend(names),
            OpColumn::Groups => self.exact = Some(names.collect()),
            OpColumn::Enabled => unreachable!("enabled is not a list of groups"),
        }
    }

    /// The row's operations from these cells, after its attribute changes: memberships,
    /// then the flag, then (with `--sign-out`, for a row that changes anything) the
    /// sign-out. The full set (`groups`) is kept on the row, diffed once membership is read.
    pub fn finish(self, row: &mut Row, ops: RowOps, problems: &mut Vec<Problem>) {
        let wanted: BTreeSet<&String> =
            self.add.iter().chain(self.exact.iter().flatten()).collect();
        let both: Vec<&str> = (self.remove.iter())
            .filter(|g| wanted.contains(g))
            .map(String::as_str)
            .collect();
        if !both.is_empty() {
            problems.push(Problem::row(
                Code::InvalidGroup,
                format!(
                    "group {} is both added (groups_add or groups) and removed (groups_remove): \
                     which one is meant is ambiguous",
                    both.join(", ")
                ),
            ));
        }
        let ends_in = self
            .exact
            .as_ref()
            .map_or(self.add.len(), |e| e.union(&self.add).count());
        if ends_in > MAX_GROUPS_PER_USER {
            problems.push(too_many_groups(ends_in));
        }
        if let Some(exact) = &self.exact {
            row.exact_groups = Some(exact.union(&self.add).cloned().collect());
        }
        row.ops
            .extend(self.add.into_iter().map(|g| Op::Group(GroupChange::add(g))));
        row.ops.extend(
            self.remove
                .into_iter()
                .map(|g| Op::Group(GroupChange::remove(g))),
        );
        row.ops.extend(self.enabled.map(Op::Enabled));
        if ops.sign_out && (!row.ops.is_empty() || row.exact_groups.is_some()) {
            row.ops.push(Op::SignOut);
        }
    }
}

/// A user who would end in `n` groups, over Cognito's limit.
pub fn too_many_groups(n: usize) -> Problem {
    Problem::row(
        Code::TooManyGroups,
        format!(
            "the user would be in {n} groups; Cognito allows a user in at most \
             {MAX_GROUPS_PER_USER}"
        ),
    )
}

fn bad_enabled() -> Problem {
    Problem::row(
        Code::InvalidBoolean,
        "column enabled: must be true or false (empty for no change)",
    )
}

fn bad_groups(column: OpColumn, why: &str) -> Problem {
    Problem::row(
        Code::InvalidGroup,
        format!("column {}: {why}", column.name()),
    )
}

/// Why `name` cannot be a Cognito group name (the API reference's GroupName), if it cannot.
fn bad_name(name: &str) -> Option<String> {
    if name.is_empty() {
        Some("a group name is empty".into())
    } else if name.chars().count() > MAX_GROUP_NAME_CHARS {
        Some(format!(
            "a group name is longer than {MAX_GROUP_NAME_CHARS} characters"
        ))
    } else if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("a group name holds a space or a control character".into())
    } else {
        None
    }
}
