//! Reading a journal back: for resuming a run, and for `cognito-bulk report`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
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
    /// Counts rebuilt from the entries.
    pub report: Report,
    /// Bytes up to the end of the last whole entry; a torn tail lies beyond.
    pub valid_len: u64,
    pub torn_tail: bool,
    /// Unix time of the first and last entries.
    pub first_t: Option<f64>,
    pub last_t: Option<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{path}: not a cognito-bulk journal (the first line is not a journal header)")]
    NotAJournal { path: String },
    #[error(
        "{path}: journal format version {found} is newer than this build reads ({FORMAT_VERSION}); use a newer cognito-bulk"
    )]
    TooNew { path: String, found: u32 },
}

/// Reads only the header of the journal at `path`.
pub fn read_header(path: &Path) -> Result<Header, LoadError> {
    let display = path.display().to_string();
    let file = File::open(path).map_err(|source| LoadError::Io {
        path: display.clone(),
        source,
    })?;
    let mut buf = Vec::new();
    BufReader::new(file)
        .read_until(b'\n', &mut buf)
        .map_err(|source| LoadError::Io {
            path: display.clone(),
            source,
        })?;
    parse_header(&buf, &display)
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

/// Reads the journal at `path`.
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    let display = path.display().to_string();
    let io_err = |source| LoadError::Io {
        path: display.clone(),
        source,
    };
    let mut reader = BufReader::new(File::open(path).map_err(io_err)?);
    let mut buf = Vec::new();
    let mut offset = reader.read_until(b'\n', &mut buf).map_err(io_err)? as u64;
    let header = parse_header(&buf, &display)?;
    let mut loaded = Loaded::new(header);
    loaded.valid_len = offset;
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(io_err)?;
        if n == 0 {
            break;
        }
        offset += n as u64;
        let entry = match serde_json::from_slice::<Entry>(&buf) {
            Ok(e) if buf.ends_with(b"\n") => e,
            // A line cut short by a crash: only ever the last one; stop here.
            _ => {
                loaded.torn_tail = true;
                break;
            }
        };
        loaded.valid_len = offset;
        loaded.record(&entry);
    }
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
            valid_len: 0,
            torn_tail: false,
            first_t: None,
            last_t: None,
        }
    }

    /// Counts one entry. A later entry for the same row (a `--retry-failed` run) replaces the
    /// earlier failure in the counts.
    pub fn record(&mut self, e: &Entry) {
        self.first_t.get_or_insert(e.t);
        self.last_t = Some(e.t);
        let r = &mut self.report;
        r.api_calls += u64::from(e.attempts);
        r.retries += u64::from(e.attempts.saturating_sub(1));
        r.throttled += u64::from(e.throttled);
        if let Some(code) = self.failed.remove(&e.n) {
            r.failed -= 1;
            uncount(r, &code);
            r.first_failures.retain(|f| f.line != e.line);
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
            Outcome::Updated => r.updated += 1,
            Outcome::Failed => {
                r.failed += 1;
                let code = e.code.clone().unwrap_or_default();
                r.count_failure(&code);
                self.failed.insert(e.n, code);
            }
            Outcome::Invalid => {
                r.invalid += 1;
                r.count_failure(e.code.as_deref().unwrap_or(""));
            }
            Outcome::Unchanged => r.unchanged += 1,
        }
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

/// The header and every whole entry of a journal, streamed (a torn last line is skipped).
pub fn entries(path: &Path) -> Result<(Header, impl Iterator<Item = Entry>), LoadError> {
    let header = read_header(path)?;
    let file = File::open(path).map_err(|source| LoadError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let lines = BufReader::new(file).split(b'\n').skip(1);
    Ok((
        header,
        lines
            .map_while(|l| l.ok())
            .filter_map(|l| serde_json::from_slice::<Entry>(&l).ok()),
    ))
}
