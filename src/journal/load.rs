//! Reading a journal back: its header, which rows it finished and where its whole entries
//! end, for resuming a run, for rollback and for `cognito-bulk report`. What the entries add
//! up to (the run's tally) is counted by whoever reads them ([`Counts`]; `report::Tally`).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use super::{DoneSet, Entry, FORMAT_VERSION, Header, Outcome};

/// What a journal holds, as far as the journal itself tells.
#[derive(Debug)]
pub struct Loaded {
    pub header: Header,
    /// Rows with an outcome (updated, failed, invalid, ...; an intent alone is not one).
    pub done: DoneSet,
    /// Bytes up to the end of the last whole entry; a torn tail lies beyond.
    pub valid_len: u64,
    pub torn_tail: bool,
}

/// What a run keeps count of as its journal is read back (and, by the recorder, as it is
/// written): the run's tally, `report::Tally`. Passed in, so that journal/ reads and writes
/// the format and nothing else.
pub trait Counts {
    /// Nothing counted yet, for the run `header` describes.
    fn begin(header: &Header) -> Self;
    /// Counts one entry, in the journal's order.
    fn count(&mut self, entry: &Entry);
}

/// Counting nothing: a journal read for its header and finished rows only.
impl Counts for () {
    fn begin(_: &Header) {}
    fn count(&mut self, _: &Entry) {}
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
    load_counted::<()>(path).map(|(loaded, ())| loaded)
}

/// Reads the journal at `path`, counting its entries with `T`.
pub fn load_counted<T: Counts>(path: &Path) -> Result<(Loaded, T), LoadError> {
    let (reader, header, offset) = open(path)?;
    let mut counts = T::begin(&header);
    let mut done = DoneSet::default();
    let (valid_len, torn_tail) = read_entries(path, reader, offset, |e| {
        if !matches!(e.outcome, Outcome::Intent | Outcome::Step) {
            done.insert(e.n);
        }
        counts.count(&e);
    })?;
    let loaded = Loaded {
        header,
        done,
        valid_len,
        torn_tail,
    };
    Ok((loaded, counts))
}

impl Loaded {
    /// Whether every row of the input has an outcome: a run of this journal is over, and
    /// running the same command again starts a new run instead of resuming.
    pub fn is_complete(&self) -> bool {
        self.done.len() >= self.header.rows_total
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
        assert_eq!(loaded.done.len(), 2);
        assert_eq!(entries(&path).unwrap().1.count(), 2);

        let (_d, path) = journal(&[&entry(0), "garbage\n", &entry(1), &entry(2)]);
        let before = std::fs::read(&path).unwrap();
        let e = load(&path).unwrap_err().to_string();
        assert!(e.contains("line 3 is not a journal entry"), "{e}");
        assert!(entries(&path).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), before, "nothing is cut");
    }

    #[test]
    fn an_intent_alone_is_not_a_finished_row() {
        let intent = "{\"n\":1,\"line\":3,\"user\":\"u1\",\"outcome\":\"intent\",\"attempts\":0,\"t\":1.0}\n";
        let (_d, path) = journal(&[&entry(0), intent]);
        let loaded = load(&path).unwrap();
        assert!(loaded.done.contains(0) && !loaded.done.contains(1));
        assert!(!loaded.is_complete());
    }

    #[test]
    fn endless_files_are_refused() {
        let e = load(Path::new("/dev/zero")).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
    }
}
