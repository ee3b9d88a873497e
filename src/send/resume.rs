//! The journal of a run: a new one, the one being resumed, or a finished one kept aside; and
//! which recorded rows this run decides again (invalid rows and conflicts always, rows whose
//! outcome is unknown always (a call in flight when a run died included), failed rows with
//! `--retry-failed`).

use std::collections::BTreeMap;
use std::path::Path;

use super::ApplyOptions;
use crate::journal::{self, Counts, DoneSet, Entry, Header, Journal, Loaded};
use crate::model::row::{Before, Identity};
use crate::progress::Reporter;
use crate::report::Tally;

/// Failures that say the row itself is wrong: sending it again as it is would fail again, so
/// `--retry-failed` leaves them; fix them in the failed-rows file and apply that file.
const NOT_RETRYABLE_AS_IS: &[&str] = &[crate::cognito::codes::INVALID_PARAMETER];

/// Opens (or creates) the run's journal and says so when an old one was kept aside.
/// `earlier`: the journal as `prepare` read it, not read again.
pub(super) fn open_journal(
    opts: &ApplyOptions,
    header: Header,
    earlier: Earlier,
    reporter: &dyn Reporter,
) -> anyhow::Result<(Option<Journal>, Tally)> {
    let Some(path) = &opts.journal_path else {
        return Ok((None, Tally::new(header)));
    };
    let read = earlier.tally(path);
    let changed_before = read
        .as_ref()
        .map(|(_, t)| t.report.updated + t.report.unknown_rows > 0);
    let (journal, tally, kept) =
        journal::open_for_run::<Tally>(path, &header, opts.restart, opts.retry_failed, read)?;
    if let Some(old) = kept {
        // The earlier run's failed rows belong to it: kept aside too, not mixed with these.
        if std::fs::symlink_metadata(&opts.failed_path).is_ok_and(|m| m.is_file()) {
            let made =
                journal::read_header(&old).map_or(tally.header.created_unix, |h| h.created_unix);
            let aside = journal::kept_name(&opts.failed_path, made);
            std::fs::rename(&opts.failed_path, &aside)?;
        }
        // Advice to undo it only if it changed anything.
        let changed = changed_before.unwrap_or_else(|| {
            Tally::load(&old).is_ok_and(|(t, _)| t.report.updated + t.report.unknown_rows > 0)
        });
        let undo = match changed {
            true => format!(
                " (undo that run with: {})",
                (opts.advice.commands).line([std::ffi::OsStr::new("rollback"), old.as_os_str()])
            ),
            false => String::new(),
        };
        let old = old.display();
        reporter.warning(&match opts.restart {
            true => format!("starting over; the old journal is kept as {old}{undo}"),
            false => format!(
                "the journal records a finished run: starting a new one against the pool's \
                 current values; the old journal is kept as {old}{undo}"
            ),
        });
    }
    Ok((Some(journal), tally))
}

/// What this run skips and what it decides again.
pub(super) struct Again {
    /// Rows finished for good: skipped without a call.
    pub done: DoneSet,
    /// Rows whose outcome was unknown, with their values before the first attempt.
    pub unknown: BTreeMap<u64, Before>,
    /// Whether an earlier run recorded anything (the failed-rows file is appended to).
    pub resuming: bool,
    /// What earlier runs' calls did for rows not finished as updated: never sent again.
    pub steps: BTreeMap<u64, journal::steps::Done>,
}

pub(super) fn decide_again(tally: &mut Tally, retry_failed: bool) -> Again {
    let resuming = !tally.done.is_empty();
    // Invalid rows and conflicts cost no call: decided again, so that a flag added since
    // (--allow-verification-messages, --force) takes effect.
    let redecide: Vec<u64> = tally.redecide.keys().copied().collect();
    for n in redecide {
        tally.done.remove(n);
    }
    // A row whose outcome was unknown is decided again, keeping its first before-values.
    let mut unknown: BTreeMap<u64, Before> = tally
        .unknown
        .iter()
        .map(|(n, (_, before))| (*n, before.clone()))
        .collect();
    // So is a row whose call was in flight when its run died (an intent without an
    // outcome): it may have been applied, so what it changed from is kept, whatever the
    // pool shows now. The intent's before-values already hold any earlier ones.
    for (n, before) in std::mem::take(&mut tally.intents) {
        unknown.insert(n, before);
    }
    for n in unknown.keys() {
        tally.done.remove(*n);
    }
    if retry_failed {
        for (n, code) in &tally.failed {
            if !NOT_RETRYABLE_AS_IS.contains(&code.as_str()) {
                tally.done.remove(*n);
            }
        }
    }
    Again {
        done: tally.done.clone(),
        unknown,
        resuming,
        steps: tally.steps.clone(),
    }
}

/// The journal of an earlier run, read once (it may hold millions of entries) for all a run
/// needs of it: the tally a resume goes on from, the users its rows of unknown outcome were
/// resolved to, and the address changes it left pending.
pub(super) struct Earlier {
    /// The journal as read, what it counted, and its length then. None: no journal, or one
    /// that could not be read (opening it for the run reports why).
    read: Option<(Loaded, Counted, u64)>,
}

/// What the entries of a journal add up to for a resume, counted in one pass.
struct Counted {
    tally: Tally,
    /// The users rows of unknown outcome (or in flight) were resolved to, by row.
    resolved: BTreeMap<u64, Identity>,
    pending: journal::Pending,
}

impl Counts for Counted {
    fn begin(header: &Header) -> Counted {
        Counted {
            tally: Tally::begin(header),
            resolved: BTreeMap::new(),
            pending: journal::Pending::new(),
        }
    }

    fn count(&mut self, e: &Entry) {
        self.tally.count(e);
        journal::pending::note(&mut self.pending, e);
        match (e.outcome, &e.username) {
            // An intent with no outcome after it: the run died with the call in flight.
            (journal::Outcome::Unknown | journal::Outcome::Intent, Some(username)) => {
                let (username, sub) = (username.clone(), e.sub.clone());
                self.resolved.insert(e.n, Identity { username, sub });
            }
            // A step is not an outcome: its row is still in flight (format 4).
            (journal::Outcome::Step, _) => {}
            _ => {
                self.resolved.remove(&e.n);
            }
        }
    }
}

impl Earlier {
    /// Reads the journal at `path`, if there is one and `wanted`.
    pub fn read(path: Option<&Path>, wanted: bool) -> Earlier {
        let read = path.filter(|p| wanted && p.exists()).and_then(|path| {
            let len = std::fs::symlink_metadata(path).ok()?.len();
            let (loaded, counted) = journal::load_counted::<Counted>(path).ok()?;
            Some((loaded, counted, len))
        });
        Earlier { read }
    }

    /// The journal's header and finished rows, as read.
    pub fn loaded(&self) -> Option<&Loaded> {
        self.read.as_ref().map(|(loaded, _, _)| loaded)
    }

    /// The users an earlier run resolved its rows of unknown outcome to: decided again, such
    /// a row acts on that user (by sub), since the call may have changed the email it is
    /// keyed by. Only for a journal this run resumes (of this input, not finished, or
    /// `--retry-failed`).
    pub fn resolved(&mut self, input_sha256: &str, retry_failed: bool) -> BTreeMap<u64, Identity> {
        match &mut self.read {
            Some((loaded, counted, _))
                if loaded.header.input_sha256 == input_sha256
                    && (!loaded.is_complete() || retry_failed) =>
            {
                std::mem::take(&mut counted.resolved)
            }
            _ => BTreeMap::new(),
        }
    }

    /// The address changes the journal at `path` (as read) and those kept aside beside it
    /// left pending (see [`journal::pending_changes`]), so that a re-run does not send them
    /// (and mail the users) again.
    pub fn pending(&mut self, path: &Path) -> journal::Pending {
        let mut pending = journal::pending::kept_aside(path);
        if let Some((_, counted, _)) = &mut self.read {
            pending.extend(std::mem::take(&mut counted.pending));
        }
        pending
    }

    /// The journal as read and its tally, for the run to go on from; None if the file
    /// changed since it was read (then read again).
    fn tally(self, path: &Path) -> Option<(Loaded, Tally)> {
        let (loaded, counted, len) = self.read?;
        let same = std::fs::symlink_metadata(path).is_ok_and(|m| m.len() == len);
        same.then_some((loaded, counted.tally))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A journal of 3 rows: row 0 updated with a pending email, row 1 of unknown outcome,
    /// row 2 not finished.
    fn journal(dir: &Path) -> std::path::PathBuf {
        let header = serde_json::json!({
            "kind": Header::KIND, "version": 3, "input": "in.csv", "input_sha256": "ab",
            "user_pool_id": "p", "rows_total": 3, "options": {}, "created_unix": 0
        });
        let entries = [
            r#"{"n":0,"line":2,"user":"u0","outcome":"updated","attempts":1,"t":1.0,"pending":{"email":"a@new.example"}}"#,
            r#"{"n":1,"line":3,"user":"b@x.example","username":"u1","sub":"s1","outcome":"unknown","attempts":1,"t":2.0}"#,
        ];
        let path = dir.join("j");
        std::fs::write(&path, format!("{header}\n{}\n", entries.join("\n"))).unwrap();
        path
    }

    /// The tally, the users resolved and the pending changes all come from the one read:
    /// gone since, the journal is not read again.
    #[test]
    fn a_resume_reads_its_journal_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = journal(dir.path());
        let mut earlier = Earlier::read(Some(&path), true);
        std::fs::remove_file(&path).unwrap();
        let resolved = earlier.resolved("ab", false);
        assert_eq!(resolved[&1].sub.as_deref(), Some("s1"));
        let pending = earlier.pending(&path);
        let key = (
            crate::model::keys::user_key("u0"),
            "email".into(),
            "a@new.example".into(),
        );
        assert!(pending.contains(&key), "{pending:?}");
        assert!(earlier.loaded().is_some_and(|l| !l.is_complete()));
    }

    /// The tally is the one read, unless the file changed since: then it is read again.
    #[test]
    fn the_tally_read_before_is_used_unless_the_journal_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = journal(dir.path());
        let earlier = Earlier::read(Some(&path), true);
        let (_, tally) = earlier.tally(&path).expect("the journal as read");
        assert_eq!((tally.report.updated, tally.report.unknown_rows), (1, 1));
        let earlier = Earlier::read(Some(&path), true);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut f, b"{}\n").unwrap();
        assert!(earlier.tally(&path).is_none());
    }
}
