//! The users a ListUsers read kept, out of memory: each kept user written once as its page
//! arrives (past the first 8 MiB, to a private, unnamed temporary file: `record.rs`), and
//! found again by the 64-bit hash of each name of it the input uses (a key hash and the record's place in the file: 16 bytes per
//! name, sorted once the pool is read). A row's decision loads only the users its key (and a
//! plan row's `sub`) hash to, and resolves among them exactly as [`Current`] always has, so a
//! hash collision costs a read, never a wrong user.
//!
//! Memory is then bounded by the input's keys, not by what their users hold: a 10,000,000-row
//! plan keeps 160 MB of index instead of every user's values.

use std::collections::HashSet;
use std::fs::File;

use super::record::{Sink, Stored};
pub(super) use super::record::{decode, encode};
use super::{Current, Kept};
use crate::model::keys::user_key;
use crate::model::row::Identity;

/// A record's length is kept in the low 24 bits of its index entry, its offset above them.
pub(super) const LEN_BITS: u32 = 24;

/// The index being built, and the file the users go to, while the pool is read.
pub struct Spill {
    out: Sink,
    written: u64,
    /// (hash of a name the input uses, offset << 24 | length of the user's record).
    entries: Vec<(u64, u64)>,
    /// Users that two or more different input keys name (see [`Current::named_twice`]).
    twice: HashSet<u64>,
}

/// The users a list read kept, in their file, found by the hashes of their names.
#[derive(Debug)]
pub struct Joined {
    file: Stored,
    /// Sorted: the users of one hash in the order the pool listed them.
    entries: Vec<(u64, u64)>,
    twice: HashSet<u64>,
}

impl Spill {
    /// An empty spill in a private temporary file (removed as soon as it is created: only
    /// this process's handle reaches it).
    pub fn new() -> std::io::Result<Spill> {
        Ok(Spill {
            out: Sink::Memory(Vec::new()),
            written: 0,
            entries: Vec::new(),
            twice: HashSet::new(),
        })
    }

    /// Writes a user the input names, found under these hashes of its names (each once).
    pub fn keep(
        &mut self,
        kept: &Kept,
        names: &[(String, bool)],
        hashes: &[u64],
    ) -> std::io::Result<()> {
        let record = encode(kept, names);
        let len = record.len() as u64;
        if len >= 1 << LEN_BITS {
            return Err(std::io::Error::other(format!(
                "the values of user {:?} are too large to keep",
                kept.identity.username
            )));
        }
        self.out.write_all(&record)?;
        let at = self.written << LEN_BITS | len;
        self.written += len;
        self.entries.extend(hashes.iter().map(|&h| (h, at)));
        if hashes.len() > 1 {
            self.twice.insert(user_key(&kept.identity.username));
        }
        Ok(())
    }

    /// The spill, ready to be read: its index sorted.
    pub fn finish(self) -> std::io::Result<Joined> {
        let Spill {
            out,
            mut entries,
            twice,
            ..
        } = self;
        let file = out.finish()?;
        entries.sort_unstable();
        entries.shrink_to_fit();
        Ok(Joined {
            file,
            entries,
            twice,
        })
    }
}

impl Joined {
    /// Users already written to `file`, found by these (hash, record) entries.
    pub(super) fn new(file: File, mut entries: Vec<(u64, u64)>) -> Joined {
        entries.sort_unstable();
        Joined {
            file: Stored::File(file),
            entries,
            twice: HashSet::new(),
        }
    }

    pub fn named_twice(&self) -> HashSet<u64> {
        self.twice.clone()
    }

    /// The users `key` (and a plan row's recorded user, by sub) may name, as a small
    /// [`Current`] of their own that resolves them as the whole pool would.
    pub fn around(
        &self,
        whole: &Current,
        key: &str,
        planned: Option<&Identity>,
    ) -> std::io::Result<Current> {
        let mut at: Vec<u64> = Vec::new();
        let sub = planned.and_then(|p| p.sub.as_deref());
        for hash in std::iter::once(key).chain(sub).map(user_key) {
            let from = self.entries.partition_point(|&(h, _)| h < hash);
            let hits = self.entries[from..].iter().take_while(|&&(h, _)| h == hash);
            at.extend(hits.map(|&(_, at)| at));
        }
        at.sort_unstable();
        at.dedup();
        let mut view = Current {
            sign_in: whole.sign_in.clone(),
            source: whole.source,
            ..Current::default()
        };
        for at in at {
            let mut record = vec![0u8; (at & ((1 << LEN_BITS) - 1)) as usize];
            self.file.read_exact_at(&mut record, at >> LEN_BITS)?;
            let (mut kept, names) = decode(&record)?;
            whole.joined_groups(&mut kept);
            view.insert(kept, names);
        }
        Ok(view)
    }
}

/// The users a key may name: all of them, or those loaded for it.
pub enum Around<'a> {
    Whole(&'a Current),
    Loaded(Box<Current>),
}

impl std::ops::Deref for Around<'_> {
    type Target = Current;

    fn deref(&self) -> &Current {
        match self {
            Around::Whole(current) => current,
            Around::Loaded(current) => current,
        }
    }
}

impl Current {
    /// The users `key` may name (with a plan row's recorded user): all of them when they are
    /// in memory, else those the spill holds under its hashes.
    pub fn around(&self, key: &str, planned: Option<&Identity>) -> std::io::Result<Around<'_>> {
        let loaded = match (&self.joined, &self.in_order) {
            (Some(joined), _) => joined.around(self, key, planned)?,
            (None, Some(rows)) => rows.around(self, key, planned)?,
            (None, None) => return Ok(Around::Whole(self)),
        };
        Ok(Around::Loaded(Box::new(loaded)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cognito::signin::SignIn;
    use crate::decide::current::Resolved;
    use crate::model::source::Source;

    fn kept(username: &str, sub: &str, attrs: &[(&str, &str)]) -> (Kept, Vec<(String, bool)>) {
        let kept = Kept {
            identity: Identity {
                username: username.into(),
                sub: Some(sub.into()),
            },
            attributes: attrs
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            groups: None,
            enabled: None,
        };
        let names = vec![(username.to_string(), false), (sub.to_string(), false)];
        (kept, names)
    }

    #[test]
    fn a_key_finds_its_users_again_and_only_those() {
        let mut spill = Spill::new().unwrap();
        let (a, a_names) = kept("alice", "sub-a", &[("given_name", "A")]);
        let (b, b_names) = kept("bob", "alice", &[("given_name", "B")]);
        let (c, c_names) = kept("carol", "sub-c", &[]);
        spill.keep(&a, &a_names, &[user_key("alice")]).unwrap();
        // Bob's sub is Alice's username: the key "alice" names both.
        spill
            .keep(&b, &b_names, &[user_key("alice"), user_key("bob")])
            .unwrap();
        spill.keep(&c, &c_names, &[user_key("carol")]).unwrap();
        let mut whole = Current::new(SignIn::plain(), Source::List);
        whole.joined = Some(spill.finish().unwrap());
        assert_eq!(
            whole.named_twice(&HashSet::new()),
            HashSet::from([user_key("bob")])
        );
        let view = whole.around("carol", None).unwrap();
        let Resolved::User(found) = view.resolve("carol", None) else {
            panic!("carol not found")
        };
        assert_eq!(found.identity.sub.as_deref(), Some("sub-c"));
        assert_eq!(found.attributes.len(), 0);
        let view = whole.around("alice", None).unwrap();
        let Resolved::Ambiguous(users) = view.resolve("alice", None) else {
            panic!("alice is two users' name")
        };
        assert_eq!(users, ["alice", "bob"]);
        let view = whole.around("bob", None).unwrap();
        let Resolved::User(found) = view.resolve("bob", None) else {
            panic!("bob not found")
        };
        assert_eq!(found.attributes["given_name"], "B");
        let view = whole.around("dave", None).unwrap();
        assert!(matches!(view.resolve("dave", None), Resolved::NotFound));
    }
}
