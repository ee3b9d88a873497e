//! What a journal says a run changed, row by row, for its rollback: the attributes (the
//! latest outcome's before- and after-values, as every format wrote them), the attributes
//! a call set by its step entries (format 4: a row whose outcome never followed, or failed
//! after its attribute call), and the row's other operations (group memberships, `enabled`,
//! sign-out) done or maybe done, each with what the user held before it.
//!
//! An operation is kept from its step (done), its row's updated or unknown outcome, or an
//! intent that no outcome followed in the same run (the process died with its calls in
//! flight: maybe done). A row's intent followed by a failure is not: its steps say what went.
//! The first record of an operation keeps its before-state (what the user held before the
//! run touched it); a later run that found it done does not replace it.

use std::collections::BTreeMap;

use crate::journal::Entry;
use crate::model::op::OpDiff;

pub(super) type Values = BTreeMap<String, Option<String>>;
/// The key a row used, and the username and sub it resolved to.
pub(super) type Who = (String, Option<String>, Option<String>);

/// One row the run changed (or may have).
#[derive(Debug, Default)]
pub(super) struct Changed {
    pub line: u64,
    pub who: Who,
    /// The attributes: what they held before the run and what it wrote, by the row's latest
    /// outcome (or in-flight intent).
    pub attrs: Option<(Values, Values)>,
    /// The attributes its step entries record, for the names `attrs` lacks.
    pub steps: (Values, Values),
    /// Its other operations, each with whether its before-state is known (a group operation
    /// sent without reading the user's groups is not).
    pub ops: Vec<(OpDiff, bool)>,
}

impl Changed {
    pub fn of(e: &Entry) -> Changed {
        Changed {
            line: e.line,
            who: (e.user.clone(), e.username.clone(), e.sub.clone()),
            ..Changed::default()
        }
    }

    /// Adds the operations `e` records (first record of each kept).
    pub fn ops_of(&mut self, e: &Entry) {
        for d in &e.ops {
            let subject = d.op().subject().to_string();
            if self.ops.iter().any(|(o, _)| o.op().subject() == subject) {
                continue;
            }
            let known = !(e.groups_unread && matches!(d, OpDiff::Group(_)));
            self.ops.push((d.clone(), known));
        }
    }

    /// Adds a step entry: the attributes its call set, or its operation.
    pub fn step(&mut self, e: &Entry) {
        for (name, value) in e.before.iter().flatten() {
            self.steps.0.entry(name.clone()).or_insert(value.clone());
        }
        for (name, value) in e.after.iter().flatten() {
            self.steps.1.insert(name.clone(), value.clone());
        }
        self.ops_of(e);
    }

    /// The attributes to restore: the outcome's, with those only steps record added.
    pub fn attributes(&self) -> (Values, Values) {
        let (mut before, mut after) = self.attrs.clone().unwrap_or_default();
        for (name, old) in &self.steps.0 {
            if !before.contains_key(name) {
                before.insert(name.clone(), old.clone());
                let new = self.steps.1.get(name).cloned().flatten();
                after.insert(name.clone(), new);
            }
        }
        (before, after)
    }

    pub fn is_empty(&self) -> bool {
        self.attributes().0.is_empty() && self.ops.is_empty()
    }
}

/// Folds an intent that no outcome followed into `rows` (its calls may have gone).
pub(super) fn in_flight(rows: &mut BTreeMap<u64, Changed>, e: Entry) {
    let row = rows.entry(e.n).or_insert_with(|| Changed::of(&e));
    if let (Some(before), Some(after)) = (e.before.clone(), e.after.clone())
        && !before.is_empty()
    {
        row.attrs = Some((before, after));
    }
    row.ops_of(&e);
}
