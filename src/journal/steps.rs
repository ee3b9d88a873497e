//! What a row's calls already did, as its `step` entries record them (format 4): the
//! attributes a call set and the operations other calls made. A resume sends none of these
//! again (a sign-out above all: its effect cannot be read back from the pool), and the row's
//! outcome entry lists them with what it did itself, so that rollback and the report see every
//! operation of the row, whichever run sent it.

use super::Entry;
use crate::model::op::OpDiff;
use crate::model::row::Before;

/// The calls of one row that succeeded, by its step entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Done {
    /// The attributes a call set (None: deleted), and what they held before it.
    pub after: Before,
    pub before: Before,
    /// The other operations done, in the order their calls went.
    pub ops: Vec<OpDiff>,
}

impl Done {
    /// Adds what a step entry records.
    pub fn add(&mut self, e: &Entry) {
        for (name, value) in e.after.iter().flatten() {
            self.after.insert(name.clone(), value.clone());
        }
        for (name, value) in e.before.iter().flatten() {
            self.before.entry(name.clone()).or_insert(value.clone());
        }
        for op in &e.ops {
            if !self.ops.contains(op) {
                self.ops.push(op.clone());
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.after.is_empty() && self.ops.is_empty()
    }

    /// Whether `op` (a row's operation, decided again) was already done.
    pub fn has(&self, op: &crate::model::op::Op) -> bool {
        match op {
            crate::model::op::Op::Attribute(c) => self
                .after
                .get(&c.name)
                .is_some_and(|v| v.as_deref() == c.change.value()),
            other => self.ops.iter().any(|d| d.op() == *other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::op::{AttrChange, GroupChange, Op};

    #[test]
    fn steps_add_up_to_what_is_never_sent_again() {
        let step = |line: &str| serde_json::from_str::<Entry>(line).unwrap();
        let mut done = Done::default();
        done.add(&step(
            r#"{"n":0,"line":2,"user":"al","outcome":"step","attempts":0,"t":1.0,"before":{"nickname":"old"},"after":{"nickname":"new"}}"#,
        ));
        done.add(&step(
            r#"{"n":0,"line":2,"user":"al","outcome":"step","attempts":0,"t":1.0,"ops":[{"op":"add_to_group","group":"admin"},{"op":"sign_out"}]}"#,
        ));
        assert!(done.has(&Op::Attribute(AttrChange::new(
            "nickname",
            Some("new".into())
        ))));
        assert!(!done.has(&Op::Attribute(AttrChange::new(
            "nickname",
            Some("other".into())
        ))));
        assert!(done.has(&Op::Group(GroupChange::add("admin"))));
        assert!(!done.has(&Op::Group(GroupChange::remove("admin"))));
        assert!(done.has(&Op::SignOut));
        assert!(!done.has(&Op::Enabled(false)));
        assert_eq!(done.before["nickname"].as_deref(), Some("old"));
    }
}
