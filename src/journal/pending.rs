//! The address changes a journal's runs left pending (the pool keeps the old address until
//! the user confirms the code): a re-run does not send them (and mail the users) again, and
//! a computed plan's preview and message counts leave them out as its sending does.

use std::collections::HashSet;
use std::path::Path;

use super::{Entry, kept_beside};
use crate::model::keys::user_key;

/// (user key, attribute, value asked for) of each pending change.
pub type Pending = HashSet<(u64, String, String)>;

/// Adds the pending changes `entry` records.
pub fn note(pending: &mut Pending, entry: &Entry) {
    let user = user_key(&entry.user);
    for (name, value) in &entry.pending {
        pending.insert((user, name.clone(), value.clone()));
    }
}

/// The pending changes of the journals earlier runs kept aside beside `path` (`PATH.old-*`,
/// [`kept_beside`]), since a finished run's journal is kept aside when the next run starts.
/// An unreadable journal gives none: the journal check reports it.
pub fn kept_aside(path: &Path) -> Pending {
    let mut out = Pending::new();
    for kept in kept_beside(path) {
        if let Ok((_, entries)) = super::entries(&kept) {
            entries.for_each(|e| note(&mut out, &e));
        }
    }
    out
}

/// The pending changes of the journal at `path` and of those kept aside beside it.
pub fn pending_changes(path: &Path) -> Pending {
    let mut out = kept_aside(path);
    if let Ok((_, entries)) = super::entries(path) {
        entries.for_each(|e| note(&mut out, &e));
    }
    out
}
