//! The current values of the input's users, and the input read again for them (a key or a
//! hash per user, never the rows): for `get` mode, the keys to look up and the aliases the
//! rows set; once the values are read, the lines whose different keys name one user. Apart
//! from prepare.rs, which orders what a run learns before deciding, because these are the
//! passes that depend on the users' values.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use tokio_util::sync::CancellationToken;

use super::{Reading, Scanned};
use crate::cognito::Pool;
use crate::cognito::signin::SignIn;
use crate::decide::current::{self, Current, InputKeys, Resolved};
use crate::model::row::Change;
use crate::model::source::Source;
use crate::progress::Reporter;
use crate::rows::input::{self, InputOptions};
use crate::rows::scan::{self, Duplicates, Scan};

/// The current values of the input's users, as `source` says (none, ListUsers or
/// AdminGetUser per key); with them, lines whose different keys name one user are marked
/// `DuplicateUser` on the scan.
pub(super) async fn read<P: Pool>(
    scanned: &mut Scanned,
    io: &InputOptions,
    reading: &Reading<'_, P>,
    source: Source,
    wanted: &BTreeSet<String>,
    reporter: &dyn Reporter,
    stop: &CancellationToken,
) -> anyhow::Result<Option<Current>> {
    let pool = reading.user_pool_id;
    let sign_in = reading
        .described
        .map_or_else(SignIn::plain, SignIn::from_pool);
    let current = match source {
        Source::None => None,
        Source::Get => {
            let keys = input_keys(&scanned.scan, &scanned.path, &scanned.display, io)?;
            let read = current::get(
                reading.pool,
                sign_in,
                keys,
                wanted,
                reading.concurrency,
                reporter,
                stop,
            );
            Some(read.await)
        }
        Source::List | Source::Auto => {
            // The key hashes as a sorted list, half the memory of the scan's set (which
            // nothing reads after this).
            let mut users: Vec<u64> = std::mem::take(&mut scanned.scan.users)
                .into_iter()
                .collect();
            users.sort_unstable();
            Some(current::list(reading.pool, sign_in, &users, wanted, reporter, stop).await)
        }
    };
    let current = current
        .transpose()
        .map_err(|e| anyhow::anyhow!("reading the users of {pool}: {e}"))?;
    if let Some(current) = &current {
        let same = same_user(scanned, io, current)?;
        if !same.is_empty() {
            let mut groups = scanned.scan.duplicates().groups();
            groups.extend(same);
            scanned.scan.set_duplicates(Duplicates::from_groups(groups));
        }
    }
    Ok(current)
}

/// Reads the input's user keys and the aliases it sets.
fn input_keys(
    scan: &Scan,
    path: &Path,
    display: &str,
    io: &InputOptions,
) -> anyhow::Result<InputKeys> {
    let mut out = InputKeys::default();
    for record in input::read(scan.reopen(path)?, display, io)?.records {
        let record = record?;
        // A plan's row is read by the username it resolved to (usernames never change; the
        // key may be an email the run changed); its sub then tells a re-created user apart.
        let planned = record.identity.as_ref().map(|i| i.username.clone());
        if let Some(u) = planned.or_else(|| record.username().map(str::to_string)) {
            out.users.push(u);
        }
        for c in record.row.attrs() {
            if let ("email" | "phone_number", Change::Set(v)) = (c.name.as_str(), &c.change) {
                out.aliases.push((c.name.clone(), v.clone()));
            }
        }
    }
    Ok(out)
}

/// Groups of lines whose keys resolve to the same user (a username and a sub, an email and a
/// username, two cases of a case-insensitive name): all `DuplicateUser`, as lines with one
/// key are. One more read of the input, keeping a hash and a line per user, made only when
/// the current values show a user that two different keys of the input name (and then only
/// those users' lines are kept); a plan's rows resolve by their recorded `sub`, whatever
/// their key, so a plan is always read.
fn same_user(
    scanned: &Scanned,
    io: &InputOptions,
    current: &Current,
) -> anyhow::Result<Vec<Vec<u64>>> {
    let plan = io.format == input::Format::Plan;
    let twice = current.named_twice(&scanned.scan.users);
    if !plan && twice.is_empty() {
        return Ok(Vec::new());
    }
    let mut first: HashMap<u64, u64> = HashMap::new();
    let mut groups: HashMap<u64, Vec<u64>> = HashMap::new();
    let reader = scanned.scan.reopen(&scanned.path)?;
    for record in input::read(reader, &scanned.display, io)?.records {
        let record = record?;
        // A plan's left-out rows were decided when it was made (as in the scan).
        let left_out = io.format == input::Format::Plan && !record.is_valid();
        let Some(key) = record.username().filter(|_| !left_out) else {
            continue;
        };
        let around = current.around(key, record.identity.as_ref())?;
        let Resolved::User(kept) = around.resolve(key, record.identity.as_ref()) else {
            continue;
        };
        let user = scan::user_key(&kept.identity.username);
        if !plan && !twice.contains(&user) {
            continue;
        }
        let line = record.row.line;
        match first.entry(user) {
            Entry::Vacant(v) => {
                v.insert(line);
            }
            Entry::Occupied(o) => groups
                .entry(user)
                .or_insert_with(|| vec![*o.get()])
                .push(line),
        }
    }
    Ok(groups.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::input::{EmptyCells, Format};

    fn scanned(text: &str) -> (tempfile::TempDir, Scanned, InputOptions) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        std::fs::write(&path, text).unwrap();
        let io = InputOptions {
            format: Format::Csv,
            key_column: "username".into(),
            empty_cells: EmptyCells::Ignore,
            client_metadata: Default::default(),
            ops: Default::default(),
        };
        let scan = scan::scan(&path, "in.csv", &io).unwrap();
        let scanned = Scanned {
            _spool: None,
            path,
            display: "in.csv".into(),
            scan,
        };
        (dir, scanned, io)
    }

    fn pool() -> Current {
        let mut current = Current::new(SignIn::plain(), Source::List);
        current.insert_for_tests("alice", &[("sub", "sub-a"), ("given_name", "A")]);
        current.insert_for_tests("bob", &[("sub", "sub-b"), ("given_name", "B")]);
        current
    }

    #[test]
    fn one_user_under_two_keys_is_found() {
        let text = "username,given_name\nalice,X\nbob,Y\nsub-a,Z\n";
        let (_dir, scanned, io) = scanned(text);
        assert_eq!(same_user(&scanned, &io, &pool()).unwrap(), vec![vec![2, 4]]);
    }

    #[test]
    fn the_input_is_not_read_again_when_no_user_has_two_keys() {
        let (_dir, scanned, io) = scanned("username,given_name\nalice,X\nbob,Y\n");
        // Gone since the scan: any read of it fails.
        std::fs::remove_file(&scanned.path).unwrap();
        assert!(same_user(&scanned, &io, &pool()).unwrap().is_empty());
    }
}
