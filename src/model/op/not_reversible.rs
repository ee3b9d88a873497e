//! What a run did that its rollback cannot undo: sign-outs (AdminUserGlobalSignOut revokes
//! tokens; nothing gives them back), and a flag or membership whose state before the run was
//! not read (sent with `--no-read-before-write` or `--current-state none`: putting back a
//! guess could remove a user from a group it was in before). Listed in the rollback's
//! preview, its dry run and its report; never sent.

use crate::model::op::OpDiff;

/// How many lines the list keeps (the count goes on).
pub const SHOWN: usize = 20;

/// The operations a rollback leaves as they are, counted, the first [`SHOWN`] described.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct NotReversible {
    pub count: u64,
    /// `line 2: user "al": sign out (cannot be undone)`.
    pub first: Vec<String>,
}

impl NotReversible {
    pub fn add(&mut self, line: u64, user: &str, done: &OpDiff) {
        self.count += 1;
        if self.first.len() < SHOWN {
            self.first
                .push(format!("line {line}: user {user:?}: {}", describe(done)));
        }
    }

    /// The lines a preview, a dry run or a report prints: a heading and the list.
    pub fn lines(&self) -> Vec<String> {
        if self.count == 0 {
            return Vec::new();
        }
        let mut out = vec![format!(
            "{} operations of the run cannot be undone and are left as they are:",
            self.count
        )];
        out.extend(self.first.iter().map(|l| format!("  {l}")));
        if self.count > self.first.len() as u64 {
            out.push(format!(
                "  ... and {} more",
                self.count - self.first.len() as u64
            ));
        }
        out
    }
}

fn describe(done: &OpDiff) -> String {
    match done {
        OpDiff::SignOut(_) => "signed out (cannot be undone)".into(),
        OpDiff::Group(c) if c.adds() => format!(
            "added to group {} (whether it was a member before the run was not read)",
            c.group
        ),
        OpDiff::Group(c) => format!(
            "removed from group {} (whether it was a member before the run was not read)",
            c.group
        ),
        OpDiff::Enabled(d) => format!(
            "enabled set to {} (its state before the run was not read)",
            d.after
        ),
        OpDiff::Attribute(d) => format!("attribute {} changed", d.name),
    }
}
