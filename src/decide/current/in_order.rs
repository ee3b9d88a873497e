//! A computed backfill's users, out of memory and in the order of its rows: the pool as input
//! makes one row per user it keeps, in the order ListUsers gives them, so the user of the
//! n-th row is the n-th user written here, read back as the rows are decided, in step with
//! them. Nothing per user stays in memory but 32 bits of each name's hash until the pool is
//! read (8 bytes a user, the username and the sub): a hash met twice marks its users as
//! suspects (two users one key may name, or one user on two rows), found again by key
//! through a small [`Joined`] and resolved as [`Current`] always has.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::sync::Mutex;

use super::joined::{Joined, decode, encode};
use super::{Current, Kept};
use crate::model::keys::user_key;
use crate::model::row::Identity;

/// The top 32 bits of a name's hash: enough to find the few names two users share.
fn short(hash: u64) -> u32 {
    (hash >> 32) as u32
}

/// A user's names, each with whether it compares case-insensitively.
type Names = Vec<(String, bool)>;

/// The users being written, one a row.
#[derive(Debug)]
pub struct InOrder {
    out: BufWriter<File>,
    short: Vec<u32>,
}

/// The users written, read back a row at a time.
#[derive(Debug)]
pub struct Rows {
    cursor: Mutex<Cursor>,
    /// Users a suspect hash names, found by key.
    suspects: Joined,
    short: HashSet<u32>,
    /// Lines (rows) whose users' usernames hash alike: the scan's duplicates.
    pub duplicates: Vec<Vec<u64>>,
}

#[derive(Debug)]
struct Cursor {
    reader: BufReader<File>,
    /// The user of the row read last.
    last: Option<(Kept, Names)>,
}

impl InOrder {
    pub fn new() -> std::io::Result<InOrder> {
        Ok(InOrder {
            out: BufWriter::with_capacity(256 * 1024, tempfile::tempfile()?),
            short: Vec::new(),
        })
    }

    /// Writes the user of the next row.
    pub fn keep(&mut self, kept: &Kept, names: &[(String, bool)]) -> std::io::Result<()> {
        let record = encode(kept, names);
        self.out.write_all(&(record.len() as u32).to_le_bytes())?;
        self.out.write_all(&record)?;
        let mut hashes: Vec<u64> = names.iter().map(|(n, _)| user_key(n)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        self.short.extend(hashes.into_iter().map(short));
        Ok(())
    }

    /// Finds the suspects (one more read of the file) and readies the rows to be read.
    pub fn finish(self) -> std::io::Result<Rows> {
        let InOrder {
            out,
            short: mut hashes,
        } = self;
        let mut file = out.into_inner().map_err(|e| e.into_error())?;
        hashes.sort_unstable();
        let suspects: HashSet<u32> = hashes
            .windows(2)
            .filter(|w| w[0] == w[1])
            .map(|w| w[0])
            .collect();
        drop(hashes);
        file.seek(SeekFrom::Start(0))?;
        let mut entries: Vec<(u64, u64)> = Vec::new();
        let mut lines: HashMap<u64, Vec<u64>> = HashMap::new();
        if !suspects.is_empty() {
            let mut reader = BufReader::new(file.try_clone()?);
            let (mut at, mut line) = (0u64, 0u64);
            while let Some((kept, names, len)) = next(&mut reader)? {
                line += 1;
                let mut hashes: Vec<u64> = names.iter().map(|(n, _)| user_key(n)).collect();
                hashes.sort_unstable();
                hashes.dedup();
                if hashes.iter().any(|&h| suspects.contains(&short(h))) {
                    let record = (at + 4) << super::joined::LEN_BITS | len;
                    entries.extend(hashes.iter().map(|&h| (h, record)));
                    let user = user_key(&kept.identity.username);
                    lines.entry(user).or_default().push(line);
                }
                at += 4 + len;
            }
        }
        let duplicates = lines.into_values().filter(|l| l.len() > 1).collect();
        let suspects_file = file.try_clone()?;
        file.seek(SeekFrom::Start(0))?;
        Ok(Rows {
            cursor: Mutex::new(Cursor {
                reader: BufReader::with_capacity(256 * 1024, file),
                last: None,
            }),
            suspects: Joined::new(suspects_file, entries),
            short: suspects,
            duplicates,
        })
    }
}

/// The next user of the file, and its record's length.
fn next(reader: &mut BufReader<File>) -> std::io::Result<Option<(Kept, Names, u64)>> {
    let mut len = [0u8; 4];
    match reader.read_exact(&mut len) {
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        other => other?,
    }
    let len = u32::from_le_bytes(len) as u64;
    let mut record = vec![0u8; len as usize];
    reader.read_exact(&mut record)?;
    let (kept, names) = decode(&record)?;
    Ok(Some((kept, names, len)))
}

impl Rows {
    /// The users a row's key names: its own row's user, read in step with the rows (its
    /// username is the key), or, for a suspect key, every user the key may name.
    pub fn around(
        &self,
        whole: &Current,
        key: &str,
        planned: Option<&Identity>,
    ) -> std::io::Result<Current> {
        if self.short.contains(&short(user_key(key))) {
            return self.suspects.around(whole, key, planned);
        }
        let mut view = Current {
            sign_in: whole.sign_in.clone(),
            source: whole.source,
            ..Current::default()
        };
        let mut cursor = self
            .cursor
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        let mut wrapped = false;
        loop {
            if let Some((kept, names)) = &cursor.last
                && kept.identity.username == key
            {
                let mut kept = kept.clone();
                whole.joined_groups(&mut kept);
                view.insert(kept, names.clone());
                return Ok(view);
            }
            match next(&mut cursor.reader)? {
                Some((kept, names, _)) => cursor.last = Some((kept, names)),
                // Read again from the start (a second pass over the rows), once.
                None if !wrapped => {
                    wrapped = true;
                    cursor.reader.seek(SeekFrom::Start(0))?;
                    cursor.last = None;
                }
                None => return Ok(view),
            }
        }
    }
}

impl Current {
    /// Empty current values for the pool as input, whose users are written in the order of
    /// its rows ([`Current::observe_in_order`]); `aliases`: note every user's email and phone
    /// number (the rows set one).
    pub fn in_order(aliases: bool) -> std::io::Result<Current> {
        let mut current = Current::listed();
        current.writing = Some(InOrder::new()?);
        current.skip_aliases = !aliases;
        Ok(current)
    }

    /// Whether every user's email and phone number is noted (`aliases`: the rows set one).
    pub fn note_aliases_too(&mut self, aliases: bool) {
        self.skip_aliases = !aliases;
    }

    /// Notes a user of the pool: its email and phone number (when the rows set one), and,
    /// with `wanted`, the user of the next row, with those of its attributes.
    pub fn observe_in_order(
        &mut self,
        username: &str,
        attrs: &[(String, String)],
        wanted: Option<&std::collections::BTreeSet<String>>,
        enabled: Option<bool>,
    ) -> std::io::Result<()> {
        if !self.skip_aliases {
            self.note_aliases(username, attrs);
        }
        if let Some(wanted) = wanted {
            let (mut kept, names) = self.kept(username, attrs, wanted, None);
            kept.enabled = enabled;
            if let Some(writing) = &mut self.writing {
                writing.keep(&kept, &names)?;
            }
        }
        Ok(())
    }

    /// Ends the writing: returns the groups of lines whose users' usernames hash alike (the
    /// duplicates a scan of the rows would find).
    pub fn rows_written(&mut self) -> std::io::Result<Vec<Vec<u64>>> {
        let Some(writing) = self.writing.take() else {
            return Ok(Vec::new());
        };
        let rows = writing.finish()?;
        let duplicates = rows.duplicates.clone();
        self.in_order = Some(rows);
        Ok(duplicates)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::decide::current::Resolved;

    fn user(name: &str, sub: &str) -> Vec<(String, String)> {
        vec![
            ("sub".into(), sub.into()),
            ("given_name".into(), name.to_uppercase()),
        ]
    }

    fn found(current: &Current, key: &str) -> Result<String, Vec<String>> {
        let around = current.around(key, None).unwrap();
        match around.resolve(key, None) {
            Resolved::User(kept) => Ok(kept.attributes["given_name"].clone()),
            Resolved::Ambiguous(users) => Err(users.iter().map(|u| u.to_string()).collect()),
            other => panic!("{key}: {other:?}"),
        }
    }

    #[test]
    fn rows_read_in_step_resolve_as_the_whole_pool_would() {
        let mut current = Current::in_order(false).unwrap();
        let wanted = BTreeSet::from(["given_name".to_string()]);
        // Bob's sub is Alice's username: the key "alice" names both. Carol and carol hash
        // alike: one user on two lines, as the scan counts them. Eve is left alone.
        for (name, sub) in [
            ("alice", "s-a"),
            ("bob", "alice"),
            ("Carol", "s-c1"),
            ("carol", "s-c2"),
            ("dave", "s-d"),
        ] {
            current
                .observe_in_order(name, &user(name, sub), Some(&wanted), None)
                .unwrap();
        }
        current
            .observe_in_order("eve", &user("eve", "s-e"), None, None)
            .unwrap();
        assert_eq!(current.rows_written().unwrap(), [vec![3, 4]]);
        assert_eq!(
            found(&current, "alice"),
            Err(vec!["alice".into(), "bob".into()])
        );
        assert_eq!(found(&current, "bob").unwrap(), "BOB");
        assert_eq!(found(&current, "Carol").unwrap(), "CAROL");
        assert_eq!(found(&current, "dave").unwrap(), "DAVE");
        // Asked again for the same row, and for a row of a second pass from the start.
        assert_eq!(found(&current, "dave").unwrap(), "DAVE");
        assert_eq!(found(&current, "bob").unwrap(), "BOB");
        let around = current.around("eve", None).unwrap();
        assert!(matches!(around.resolve("eve", None), Resolved::NotFound));
    }
}
