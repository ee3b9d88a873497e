//! Reading a journal back: for resuming a run, and for `cognito-bulk report`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use super::{DoneSet, Entry, FORMAT_VERSION, Header, Outcome};
use crate::report::{FIRST_FAILURES, FailedRow, Report};

/// What a journal holds.
#[derive(Debug)]
pub struct Loaded {
    pub header: Header,
    /// Rows finished (updated, failed or invalid).
    pub done: DoneSet,
    /// Rows whose latest outcome is `failed`, with their code: `--retry-failed` sends these
    /// again. Memory is proportional to the failures, which the breakers keep few.
    pub failed: BTreeMap<u64, String>,
    /// Rows whose latest outcome is `invalid` or `conflict`, with their code: decided again
    /// by every run (that costs no call), so that a flag added since takes effect.
    pub redecide: BTreeMap<u64, (Outcome, String)>,
    /// Rows whose latest outcome is `unknown`, with their code and the values before the
    /// first attempt: decided again by every run, which keeps these before-values.
    pub unknown: BTreeMap<u64, (String, crate::model::row::Before)>,
    /// Rows with an intent entry and no outcome after it (yet): in flight, or in flight when
    /// the process died. Their before-values, as written before the call was sent.
    pub intents: BTreeMap<u64, crate::model::row::Before>,
    /// Counts rebuilt from the entries.
    pub report: Report,
    /// Bytes up to the end of the last whole entry; a torn tail lies beyond.
    pub valid_len: u64,
    pub torn_tail: bool,
    /// Unix time of the first and last entries.
    pub first_t: Option<f64>,
    pub last_t: Option<f64>,
    /// The rate the last run held at its end, where a resumed run's pacer starts.
    pub held: super::HeldRate,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error(transparent)]
    File(#[from] crate::files::FileError),
    #[error("{path}: not a cognito-bulk journal (the first line is not a journal header)")]
    NotAJournal { path: String },
    #[error(
        "{path}: the journal's header was cut short: its run stopped while creating it, before \
         it recorded (or sent) any row. `apply` with --restart starts over and keeps this file \
         aside"
    )]
    TornHeader { path: String },
    #[error(
        "{path}: journal format version {found} is newer than this build reads ({FORMAT_VERSION}); use a newer cognito-bulk"
    )]
    TooNew { path: String, found: u32 },
    #[error(
        "{path}: line {line} is not a journal entry, and only the last line may be torn by a \
         crash: the journal was damaged or edited (or written by two runs at once). Nothing was \
         changed; fix it or move it away: the `apply` that wrote it starts over with \
         --restart (keeping this file aside); `report` and `rollback` read it only once fixed"
    )]
    BadLine { path: String, line: u64 },
}

/// The longest line read from a journal: far above any real entry (every attribute of a user
/// at its longest, before and after) or header, so that a huge or endless file is refused
/// instead of filling memory.
pub const MAX_LINE: usize = 64 << 20;

/// Opens a journal (a regular file only) and reads its header line.
fn open(path: &Path) -> Result<(BufReader<File>, Header, u64), LoadError> {
    let display = path.display().to_string();
    let mut reader = BufReader::new(crate::files::open_regular(path)?);
    let mut buf = Vec::new();
    let n = next_line(&mut reader, &mut buf, path, 1)?;
    match parse_header(&buf, &display) {
        // The header is written, then synced, before any entry: a first line without its
        // newline is a run stopped while creating its journal, which recorded nothing.
        Err(LoadError::NotAJournal { path }) if torn_header(&buf) => {
            Err(LoadError::TornHeader { path })
        }
        header => Ok((reader, header?, n as u64)),
    }
}

/// Reads line `line` (1-based) into `buf`, bounded by [`MAX_LINE`].
fn next_line(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    path: &Path,
    line: u64,
) -> Result<usize, LoadError> {
    buf.clear();
    crate::files::read_line_bounded(reader, buf, MAX_LINE).map_err(|source| {
        if source.kind() == io::ErrorKind::InvalidData {
            crate::files::FileError::LineTooLong {
                path: path.display().to_string(),
                line,
                max: MAX_LINE,
            }
            .into()
        } else {
            LoadError::Io {
                path: path.display().to_string(),
                source,
            }
        }
    })
}

/// Whether a first line is the start of a journal header cut short: nothing, or a prefix of
/// `{"kind":"cognito-bulk-journal",...` without its newline.
fn torn_header(line: &[u8]) -> bool {
    let start = format!("{{\"kind\":\"{}\"", Header::KIND);
    !line.ends_with(b"\n")
        && (start.as_bytes().starts_with(line) || line.starts_with(start.as_bytes()))
}

/// Reads only the header of the journal at `path`.
pub fn read_header(path: &Path) -> Result<Header, LoadError> {
    Ok(open(path)?.1)
}

fn parse_header(line: &[u8], display: &str) -> Result<Header, LoadError> {
    let not_a_journal = || LoadError::NotAJournal {
        path: display.to_string(),
    };
    match serde_json::from_slice::<serde_json::Value>(line) {
        Ok(v) if v.get("kind").and_then(|k| k.as_str()) == Some(Header::KIND) => {
            let found = v.get("version").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
            if found > FORMAT_VERSION {
                return Err(LoadError::TooNew {
                    path: display.to_string(),
                    found,
                });
            }
            serde_json::from_value(v).map_err(|_| not_a_journal())
        }
        _ => Err(not_a_journal()),
    }
}

/// Reads the entries after the header (which ends at `offset`), handing each to `each`. A bad
/// last line is a torn tail (a crash mid-write) and is skipped; a bad line before it is
/// refused. Returns the length up to the end of the last whole entry, and whether a torn tail
/// follows it.
fn read_entries(
    path: &Path,
    mut reader: impl BufRead,
    mut offset: u64,
    mut each: impl FnMut(Entry),
) -> Result<(u64, bool), LoadError> {
    let mut valid_len = offset;
    let mut buf = Vec::new();
    let mut bad: Option<u64> = None;
    for line in 2.. {
        let n = next_line(&mut reader, &mut buf, path, line)?;
        if n == 0 {
            break;
        }
        if let Some(line) = bad {
            // The bad line was not the last one.
            return Err(LoadError::BadLine {
                path: path.display().to_string(),
                line,
            });
        }
        offset += n as u64;
        match serde_json::from_slice::<Entry>(&buf) {
            Ok(entry) if buf.ends_with(b"\n") => {
                valid_len = offset;
                each(entry);
            }
            _ => bad = Some(line),
        }
    }
    Ok((valid_len, bad.is_some()))
}

/// Reads the journal at `path`.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let (reader, header, offset) = open(path)?;
    let mut loaded = Loaded::new(header);
    let (valid_len, torn) = read_entries(path, reader, offset, |e| loaded.record(&e))?;
    loaded.valid_len = valid_len;
    loaded.torn_tail = torn;
    Ok(loaded)
}

impl Loaded {
    /// The tally of a journal that has only its header.
    pub fn new(header: Header) -> Loaded {
        Loaded {
            report: Report {
                input: header.input.clone(),
                user_pool_id: header.user_pool_id.clone(),
                input_sha256: header.input_sha256.clone(),
                rows_total: header.rows_total,
                ..Report::default()
            },
            header,
            done: DoneSet::default(),
            failed: BTreeMap::new(),
            redecide: BTreeMap::new(),
            unknown: BTreeMap::new(),
            intents: BTreeMap::new(),
            valid_len: 0,
            torn_tail: false,
            first_t: None,
            last_t: None,
            held: Default::default(),
        }
    }

    /// Counts one entry. A later entry for the same row (a `--retry-failed` run) replaces the
    /// earlier failure in the counts.
    pub fn record(&mut self, e: &Entry) {
        // An intent is not an outcome: kept until the row's outcome follows it.
        if e.outcome == Outcome::Intent {
            self.intents
                .insert(e.n, e.before.clone().unwrap_or_default());
            return;
        }
        self.intents.remove(&e.n);
        self.first_t.get_or_insert(e.t);
        self.last_t = Some(e.t);
        if e.attempts > 0 {
            self.held.record(e.t, e.outcome == Outcome::Updated);
        }
        let r = &mut self.report;
        r.api_calls += u64::from(e.attempts);
        r.retries += u64::from(e.attempts.saturating_sub(1));
        r.throttled += u64::from(e.throttled);
        if let Some(code) = self.failed.remove(&e.n) {
            r.failed -= 1;
            uncount(r, &code);
            r.first_failures.retain(|f| f.line != e.line);
            self.done.insert(e.n);
        } else if let Some((code, _)) = self.unknown.remove(&e.n) {
            r.failed -= 1;
            r.unknown_rows -= 1;
            uncount(r, &code);
            self.done.insert(e.n);
        } else if let Some((outcome, code)) = self.redecide.remove(&e.n) {
            if outcome == Outcome::Invalid {
                r.invalid -= 1;
                uncount(r, &code);
            } else {
                r.conflicts -= 1;
            }
            self.done.insert(e.n);
        } else if !self.done.insert(e.n) {
            return; // already counted (should not happen)
        }
        if matches!(e.outcome, Outcome::Failed | Outcome::Invalid)
            && r.first_failures.len() < FIRST_FAILURES
        {
            r.first_failures.push(FailedRow {
                line: e.line,
                user: e.user.clone(),
                code: e.code.clone().unwrap_or_default(),
                message: e.message.clone(),
            });
        }
        match e.outcome {
            Outcome::Updated => {
                r.updated += 1;
                for after in e.after.iter().flat_map(|a| a.values()) {
                    r.ops
                        .add(crate::model::op::attributes::kind_of(after.as_deref()), 1);
                }
            }
            Outcome::Failed => {
                r.failed += 1;
                let code = e.code.clone().unwrap_or_default();
                r.count_failure(&code);
                self.failed.insert(e.n, code);
            }
            Outcome::Invalid => {
                r.invalid += 1;
                let code = e.code.clone().unwrap_or_default();
                r.count_failure(&code);
                self.redecide.insert(e.n, (Outcome::Invalid, code));
            }
            Outcome::Conflict => {
                r.conflicts += 1;
                self.redecide
                    .insert(e.n, (Outcome::Conflict, String::new()));
            }
            Outcome::Unchanged => r.unchanged += 1,
            Outcome::Intent => unreachable!("handled above"),
            Outcome::Unknown => {
                r.failed += 1;
                r.unknown_rows += 1;
                let code = e.code.clone().unwrap_or_default();
                r.count_failure(&code);
                let before = e.before.clone().unwrap_or_default();
                self.unknown.insert(e.n, (code, before));
            }
        }
    }

    /// Whether every row of the input has an outcome: a run of this journal is over, and
    /// running the same command again starts a new run instead of resuming.
    pub fn is_complete(&self) -> bool {
        self.done.len() >= self.header.rows_total
    }

    /// Whether row `n` was already recorded with this outcome and code (a row decided again
    /// that came to the same end is not recorded twice).
    pub fn same_as_before(&self, n: u64, outcome: Outcome, code: &str) -> bool {
        self.redecide
            .get(&n)
            .is_some_and(|(o, c)| *o == outcome && (outcome == Outcome::Conflict || c == code))
    }

    /// The report as the journal tells it.
    pub fn to_report(&self) -> Report {
        let mut r = self.report.clone();
        r.not_attempted = r.rows_total.saturating_sub(r.done());
        if let (Some(a), Some(b)) = (self.first_t, self.last_t) {
            r.elapsed_seconds = b - a;
        }
        r.started_at = Some(crate::report::rfc3339(self.header.created_unix as f64));
        r.finished_at = self.last_t.map(crate::report::rfc3339);
        r
    }
}

fn uncount(r: &mut Report, code: &str) {
    if let Some(n) = r.failures_by_code.get_mut(code) {
        *n -= 1;
        if *n == 0 {
            r.failures_by_code.remove(code);
        }
    }
}

/// The header and every whole entry of a journal, streamed (a torn last line is skipped). The
/// journal is checked whole first, so that a damaged one is refused before any entry is used.
pub fn entries(path: &Path) -> Result<(Header, impl Iterator<Item = Entry>), LoadError> {
    let (reader, header, offset) = open(path)?;
    let (valid_len, _) = read_entries(path, reader, offset, drop)?;
    let file = crate::files::open_regular(path)?;
    let lines = BufReader::new(file.take(valid_len)).split(b'\n').skip(1);
    Ok((
        header,
        lines
            .map_while(|l| l.ok())
            .filter_map(|l| serde_json::from_slice::<Entry>(&l).ok()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal(lines: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
        let header = serde_json::json!({
            "kind": Header::KIND, "version": 1, "input": "in.csv", "input_sha256": "ab",
            "user_pool_id": "p", "rows_total": 3, "options": {}, "created_unix": 0
        });
        let mut text = format!("{header}\n");
        for l in lines {
            text.push_str(l);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn entry(n: u64) -> String {
        format!(
            "{{\"n\":{n},\"line\":{},\"user\":\"u{n}\",\"outcome\":\"updated\",\"attempts\":1,\"t\":1.0}}\n",
            n + 2
        )
    }

    #[test]
    fn only_the_last_line_may_be_torn() {
        let (_d, path) = journal(&[&entry(0), &entry(1), "{\"n\":2,\"li"]);
        let loaded = load(&path).unwrap();
        assert!(loaded.torn_tail);
        assert_eq!(loaded.report.updated, 2);
        assert_eq!(entries(&path).unwrap().1.count(), 2);

        let (_d, path) = journal(&[&entry(0), "garbage\n", &entry(1), &entry(2)]);
        let before = std::fs::read(&path).unwrap();
        let e = load(&path).unwrap_err().to_string();
        assert!(e.contains("line 3 is not a journal entry"), "{e}");
        assert!(entries(&path).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), before, "nothing is cut");
    }

    #[test]
    fn a_format_3_journal_counts_its_operations_by_kind() {
        use crate::model::op::OpKind;
        // As this build (format 3) writes an updated row: its before- and after-values.
        let updated = "{\"n\":0,\"line\":2,\"user\":\"u0\",\"outcome\":\"updated\",\"attempts\":1,\"t\":1.0,\"before\":{\"nickname\":\"old\",\"locale\":\"fr\"},\"after\":{\"nickname\":\"new\",\"locale\":null}}\n";
        let (_d, path) = journal(&[updated, &entry(1)]);
        let ops = load(&path).unwrap().report.ops;
        assert_eq!(ops.get(OpKind::SetAttribute), 1);
        assert_eq!(ops.get(OpKind::DeleteAttribute), 1);
        assert_eq!(ops.total(), 2, "a row without values adds no operation");
    }

    #[test]
    fn an_intent_without_an_outcome_is_kept_apart_and_counts_nothing() {
        let intent = |n: u64| {
            format!(
                "{{\"n\":{n},\"line\":{},\"user\":\"u{n}\",\"outcome\":\"intent\",\"attempts\":0,\"t\":1.0,\"before\":{{\"nickname\":\"old\"}},\"after\":{{\"nickname\":\"new\"}}}}\n",
                n + 2
            )
        };
        let (_d, path) = journal(&[&intent(0), &entry(0), &intent(1)]);
        let loaded = load(&path).unwrap();
        assert_eq!(loaded.report.updated, 1);
        assert_eq!(loaded.report.api_calls, 1);
        assert!(!loaded.done.contains(1), "in flight is not done");
        let before = &loaded.intents[&1];
        assert_eq!(before["nickname"].as_deref(), Some("old"));
        assert!(!loaded.intents.contains_key(&0), "its outcome followed");
    }

    #[test]
    fn endless_files_are_refused() {
        let e = load(Path::new("/dev/zero")).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
    }
}
