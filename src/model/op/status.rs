//! Enable or disable a user (AdminEnableUser, AdminDisableUser): the `enabled` column.
//! Diffed against the `Enabled` flag ListUsers (or AdminGetUser) returns, so a user already
//! in the wanted state costs no call. Undone by restoring the flag read before. In a plan
//! file: `{"op":"set_enabled","before":true,"after":false}`.

use super::{Cells, OpKind};
use crate::cognito::call::Call;

/// The plan file's tag for this kind (`"op": "set_enabled"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnabledTag {
    SetEnabled,
}

/// The user's `enabled` flag changes from `before` (None: not read) to `after`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnabledDiff {
    pub op: EnabledTag,
    pub before: Option<bool>,
    pub after: bool,
}

impl EnabledDiff {
    pub fn new(before: Option<bool>, after: bool) -> EnabledDiff {
        EnabledDiff {
            op: EnabledTag::SetEnabled,
            before,
            after,
        }
    }

    pub fn kind(&self) -> OpKind {
        kind_of(self.after)
    }

    /// The change that restores the flag read before; None when it was not read.
    pub fn inverse(&self) -> Option<EnabledDiff> {
        self.before.map(|b| EnabledDiff::new(Some(self.after), b))
    }

    /// `~ alice  enabled: true -> false`.
    pub fn preview_line(&self, user: &str) -> String {
        let before = self.before.map_or("(not read)", word);
        format!("~ {user}  enabled: {before} -> {}", word(self.after))
    }

    pub fn cells(&self) -> Cells<'static> {
        Cells {
            what: "enabled".to_string(),
            sign: "~",
            before: self.before.map(word),
            after: Some(word(self.after)),
        }
    }

    pub fn call(&self, username: &str) -> Call {
        let username = username.to_string();
        if self.after {
            Call::EnableUser { username }
        } else {
            Call::DisableUser { username }
        }
    }
}

/// The kind of a change that leaves the user `enabled`.
pub fn kind_of(enabled: bool) -> OpKind {
    if enabled {
        OpKind::EnableUser
    } else {
        OpKind::DisableUser
    }
}

/// The wanted flag against the one read (`now`, None: not read): None when it already holds.
pub fn diff(after: bool, now: Option<bool>) -> Option<EnabledDiff> {
    (now != Some(after)).then(|| EnabledDiff::new(now, after))
}

fn word(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_in_the_wanted_state_costs_no_call_and_the_undo_restores_the_flag() {
        assert_eq!(diff(false, Some(false)), None);
        let d = diff(false, Some(true)).expect("a change");
        assert_eq!(d.kind(), OpKind::DisableUser);
        assert_eq!(d.preview_line("al"), "~ al  enabled: true -> false");
        assert_eq!(d.inverse(), Some(EnabledDiff::new(Some(false), true)));
        assert_eq!(
            diff(true, None).unwrap().inverse(),
            None,
            "not read: no undo"
        );
        let line = serde_json::to_string(&d).unwrap();
        assert_eq!(line, r#"{"op":"set_enabled","before":true,"after":false}"#);
    }
}
