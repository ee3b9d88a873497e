//! Sign a user out everywhere (AdminUserGlobalSignOut) after its other operations
//! succeeded, so that the tokens it gets next carry the new values. It revokes the user's
//! refresh tokens and cannot be undone: it has no inverse, and rollback lists it as not
//! reversible. In a plan file: `{"op":"sign_out"}`.

use super::{Cells, OpKind};
use crate::cognito::call::Call;

/// The plan file's tag for this kind (`"op": "sign_out"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignOutTag {
    SignOut,
}

/// A sign-out, decided.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignOutDiff {
    pub op: SignOutTag,
}

impl Default for SignOutDiff {
    fn default() -> SignOutDiff {
        SignOutDiff {
            op: SignOutTag::SignOut,
        }
    }
}

impl SignOutDiff {
    pub fn kind(&self) -> OpKind {
        OpKind::SignOut
    }

    /// `! alice  sign out (cannot be undone)`.
    pub fn preview_line(&self, user: &str) -> String {
        format!("! {user}  sign out (cannot be undone)")
    }

    pub fn cells(&self) -> Cells<'static> {
        Cells {
            what: "sign-out".to_string(),
            sign: "!",
            before: None,
            after: None,
        }
    }

    pub fn call(&self, username: &str) -> Call {
        Call::GlobalSignOut {
            username: username.to_string(),
        }
    }
}
