//! Attribute operations: set an attribute, delete one. Everything attribute-specific an
//! operation answers lives here: its kind, its diff against current values, its preview
//! line, its inverse, and the one AdminUpdateUserAttributes call a row's attribute
//! operations go out in (together, so that an address travels with its `*_verified` flag:
//! [`unverified_by`] is the rule the planner, the sender and the recorder share).

use std::collections::BTreeMap;

use super::{Op, OpKind};
use crate::cognito::call::Call;
use crate::cognito::rules::ALIASES;

/// What to do with one attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Set the attribute to this value.
    Set(String),
    /// Remove the attribute (sent to Cognito as a blank value, which is how the API deletes).
    Delete,
}

impl Change {
    /// The value to set; None for a delete.
    pub fn value(&self) -> Option<&str> {
        match self {
            Change::Set(v) => Some(v),
            Change::Delete => None,
        }
    }
}

/// One attribute change of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrChange {
    pub name: String,
    pub change: Change,
}

impl AttrChange {
    /// `name` set to `value`, or deleted when `value` is None.
    pub fn new(name: impl Into<String>, value: Option<String>) -> AttrChange {
        AttrChange {
            name: name.into(),
            change: value.map_or(Change::Delete, Change::Set),
        }
    }

    pub fn kind(&self) -> OpKind {
        kind_of(self.change.value())
    }

    /// This change against the user's current attributes: None when the attribute already
    /// holds its target (a blank current value counts as absent: Cognito never holds one).
    pub fn diff(&self, current: &BTreeMap<String, String>) -> Option<AttrDiff> {
        let before = current.get(&self.name).filter(|v| !v.is_empty()).cloned();
        let after = self.change.value().map(str::to_string);
        (before != after).then(|| AttrDiff {
            name: self.name.clone(),
            before,
            after,
        })
    }
}

/// Attribute values before a change, by name (None: the attribute was absent).
pub type Before = BTreeMap<String, Option<String>>;

/// One attribute that changes: `before` None means it is added, `after` None that it is
/// deleted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AttrDiff {
    pub name: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The kind of an attribute change that leaves `after` (None: deleted).
pub fn kind_of(after: Option<&str>) -> OpKind {
    match after {
        Some(_) => OpKind::SetAttribute,
        None => OpKind::DeleteAttribute,
    }
}

impl AttrDiff {
    /// The operation that makes this change.
    pub fn op(&self) -> Op {
        Op::Attribute(AttrChange::new(&self.name, self.after.clone()))
    }

    pub fn kind(&self) -> OpKind {
        kind_of(self.after.as_deref())
    }

    /// The change that undoes this one: the value before written back over the value after.
    pub fn inverse(&self) -> AttrDiff {
        AttrDiff {
            name: self.name.clone(),
            before: self.after.clone(),
            after: self.before.clone(),
        }
    }

    /// The row of the Markdown plan's table for this change.
    pub fn cells(&self) -> super::Cells<'_> {
        let sign = match (&self.before, &self.after) {
            (Some(_), Some(_)) => "~",
            (None, Some(_)) => "+",
            (Some(_), None) => "-",
            (None, None) => " ",
        };
        super::Cells {
            what: self.name.clone(),
            sign,
            before: self.before.as_deref(),
            after: self.after.as_deref(),
        }
    }

    /// The preview line of this change for `user`, Terraform-style.
    pub fn preview_line(&self, user: &str) -> String {
        let name = &self.name;
        match (&self.before, &self.after) {
            // A `*_verified` flag sent along with its email or phone number, already at its
            // value.
            (Some(b), Some(a)) if a == b => {
                format!("= {user}  {name}: {a:?} (unchanged, sent with the new address)")
            }
            (Some(b), Some(a)) => format!("~ {user}  {name}: {b:?} -> {a:?}"),
            (None, Some(a)) => format!("+ {user}  {name}: {a:?}"),
            (Some(b), None) => format!("- {user}  {name}: {b:?}"),
            (None, None) => format!("  {user}  {name}"),
        }
    }
}

/// The one AdminUpdateUserAttributes call that sends every attribute operation of `ops`
/// (None if there is none).
pub(super) fn call(
    username: &str,
    ops: &[Op],
    client_metadata: &BTreeMap<String, String>,
) -> Option<Call> {
    let attributes: Vec<(String, Option<String>)> = ops
        .iter()
        .filter_map(Op::attribute)
        .map(|c| (c.name.clone(), c.change.value().map(str::to_string)))
        .collect();
    (!attributes.is_empty()).then(|| Call::UpdateAttributes {
        username: username.to_string(),
        attributes,
        client_metadata: client_metadata.clone(),
    })
}

/// Whether `changes` (name, value to set) set `verified` to true.
pub fn marks_verified<'a>(
    mut changes: impl Iterator<Item = (&'a String, Option<&'a str>)>,
    verified: &str,
) -> bool {
    changes.any(|(name, value)| name == verified && value == Some("true"))
}

/// The `*_verified` flags a call with these changes makes Cognito set to false (each alias
/// it sets without setting its flag to true), with a message sent for each. The journal
/// records their values from before the call, so that rollback restores them too.
pub fn unverified_by<'a>(
    changes: impl Iterator<Item = &'a AttrChange> + Clone + 'a,
) -> impl Iterator<Item = &'static str> + 'a {
    let pairs = move || changes.clone().map(|c| (&c.name, c.change.value()));
    ALIASES.iter().filter_map(move |(alias, verified)| {
        let resets =
            pairs().any(|(n, v)| n == alias && v.is_some()) && !marks_verified(pairs(), verified);
        resets.then_some(*verified)
    })
}

/// The changes of `changes` still to send against the user's values `now`: one already at
/// its target is dropped, except the `*_verified` flag of an address still changing (it keeps
/// the address verified: it must go in the same call).
pub fn still_to_send(
    changes: &[AttrChange],
    now: impl Fn(&str) -> Option<String>,
) -> Vec<AttrChange> {
    let at_target = |c: &AttrChange| now(&c.name).as_deref() == c.change.value();
    let alias_changes = |alias: &str| {
        changes
            .iter()
            .any(|c| c.name == alias && c.change.value().is_some() && !at_target(c))
    };
    changes
        .iter()
        .filter(|c| {
            !at_target(c)
                || ALIASES
                    .iter()
                    .any(|(alias, flag)| *flag == c.name && alias_changes(alias))
        })
        .cloned()
        .collect()
}

/// Cognito marks a changed email (phone number) unverified and sends a code unless the *same
/// call* sets `email_verified` (`phone_number_verified`) to true: so when the alias changes,
/// the row's flag (among `asked`, its attribute operations) is sent with it even if the pool
/// already holds that value.
pub fn keep_verified<'a>(
    asked: impl Iterator<Item = &'a AttrChange> + Clone,
    now: Option<&BTreeMap<String, String>>,
    diffs: &mut Vec<AttrDiff>,
) {
    for (alias, verified) in ALIASES {
        let alias_changes = diffs.iter().any(|d| d.name == alias && d.after.is_some());
        if !alias_changes || diffs.iter().any(|d| d.name == verified) {
            continue;
        }
        let Some(Change::Set(flag)) = asked
            .clone()
            .find(|c| c.name == verified)
            .map(|c| &c.change)
        else {
            continue;
        };
        diffs.push(AttrDiff {
            name: verified.to_string(),
            before: now.and_then(|n| n.get(verified)).cloned(),
            after: Some(flag.clone()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, value: &str) -> AttrChange {
        AttrChange::new(name, Some(value.to_string()))
    }

    #[test]
    fn a_rows_attribute_ops_go_in_one_call_with_deletes_as_none() {
        let ops = vec![
            Op::Attribute(set("email", "a@new")),
            Op::Attribute(set("email_verified", "true")),
            Op::Attribute(AttrChange::new("nickname", None)),
        ];
        let Some(Call::UpdateAttributes {
            username,
            attributes,
            ..
        }) = call("alice", &ops, &BTreeMap::new())
        else {
            panic!("one call");
        };
        assert_eq!(username, "alice");
        assert_eq!(attributes.len(), 3, "the flag travels with its address");
        assert_eq!(attributes[2], ("nickname".to_string(), None));
        assert!(call("alice", &[], &BTreeMap::new()).is_none());
    }

    #[test]
    fn the_inverse_writes_the_value_before_back() {
        let d = AttrDiff {
            name: "nickname".into(),
            before: None,
            after: Some("x".into()),
        };
        assert_eq!(d.kind(), OpKind::SetAttribute);
        let undo = d.inverse();
        assert_eq!(
            (undo.before.as_deref(), undo.after.as_deref()),
            (Some("x"), None)
        );
        assert_eq!(undo.kind(), OpKind::DeleteAttribute);
        assert_eq!(undo.inverse(), d);
        assert_eq!(undo.op(), Op::Attribute(AttrChange::new("nickname", None)));
    }

    #[test]
    fn an_address_changing_keeps_its_flag_even_at_its_value() {
        let changes = [set("email", "a@new"), set("email_verified", "true")];
        let now = |n: &str| (n == "email_verified").then(|| "true".to_string());
        let kept = still_to_send(&changes, now);
        assert_eq!(kept.len(), 2);
        let unverified: Vec<&str> = unverified_by(changes[..1].iter()).collect();
        assert_eq!(unverified, ["email_verified"]);
        assert_eq!(unverified_by(changes.iter()).count(), 0);
    }
}
