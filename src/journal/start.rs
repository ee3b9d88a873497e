//! Starting a run against its journal: a new journal, a resume of a matching one, or a clear
//! refusal when the journal belongs to another input, pool or set of options.

use std::path::{Path, PathBuf};

use super::{Counts, Header, Journal, LoadError, Loaded, load, load_counted};

#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(
        "{path} records a run of {what}; this run differs. Pass --restart to start over \
         (the old journal is kept as {path}.old-TIMESTAMP), or --journal to use another file"
    )]
    Mismatch { path: String, what: String },
    #[error(
        "{path} records a finished run of this input; with --current-state none a new run \
         would send every row again without knowing what changed. Pass --restart to start \
         over (the old journal is kept as {path}.old-TIMESTAMP)"
    )]
    FinishedBlind { path: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Opens the journal at `path` for a run described by `header`. Returns the journal, ready
/// to append, what earlier runs finished as `T` counts it (nothing for a new journal), and
/// where an old journal was moved to. A journal whose run finished (every row has an outcome) is
/// not resumed: a new run starts (the old journal kept beside it, as `restart` does), unless
/// `retry_failed` asks to send its failed rows again.
/// `read`: the journal as read (and counted) before, if it was (a resume reads it once);
/// otherwise it is read here.
pub fn open_for_run<T: Counts>(
    path: &Path,
    header: &Header,
    restart: bool,
    retry_failed: bool,
    read: Option<(Loaded, T)>,
) -> Result<(Journal, T, Option<PathBuf>), ResumeError> {
    let io = |source| ResumeError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut kept = None;
    if exists(path)? {
        let loaded = match (restart, read) {
            (true, _) => None,
            (false, Some(read)) => Some(read),
            (false, None) => Some(load_counted::<T>(path)?),
        };
        match loaded {
            Some((loaded, counted)) if !loaded.is_complete() || retry_failed => {
                if let Some(what) = mismatch(&loaded.header, header) {
                    return Err(ResumeError::Mismatch {
                        path: path.display().to_string(),
                        what,
                    });
                }
                let journal = Journal::append(path, loaded.valid_len).map_err(io)?;
                return Ok((journal, counted, None));
            }
            _ => {
                // Named after the kept run's own start, as the files that belong to it (a
                // rollback's plan, its failed rows) are named when kept beside it.
                let made = super::read_header(path).map_or(header.created_unix, |h| h.created_unix);
                let old = kept_name(path, made);
                std::fs::rename(path, &old).map_err(io)?;
                kept = Some(old);
            }
        }
    }
    let journal = Journal::create(path, header).map_err(io)?;
    Ok((journal, T::begin(header), kept))
}

/// Refuses, before anything is read from the pool, a journal at `path` that belongs to
/// another run (unless `restart`); with `refuse_finished` (a blind run), also one whose run
/// finished. A missing journal is fine.
/// `read`: the journal as read before, if it was (then not read again).
pub fn check_compatible(
    path: &Path,
    header: &Header,
    restart: bool,
    refuse_finished: bool,
    read: Option<&Loaded>,
) -> Result<(), ResumeError> {
    if restart || !exists(path)? {
        return Ok(());
    }
    let old = match read {
        Some(loaded) => loaded.header.clone(),
        None => super::read_header(path)?,
    };
    if let Some(what) = mismatch(&old, header) {
        return Err(ResumeError::Mismatch {
            path: path.display().to_string(),
            what,
        });
    }
    let complete = |path| match read {
        Some(loaded) => Ok::<_, LoadError>(loaded.is_complete()),
        None => Ok(load(path)?.is_complete()),
    };
    if refuse_finished && complete(path)? {
        return Err(ResumeError::FinishedBlind {
            path: path.display().to_string(),
        });
    }
    Ok(())
}

/// Whether a journal is at `path`; anything there but a regular file (a link, a device) is
/// refused, never followed.
fn exists(path: &Path) -> Result<bool, ResumeError> {
    crate::files::refuse_non_regular(path).map_err(|e| ResumeError::Load(e.into()))
}

/// `PATH.old-TIMESTAMP`, or `PATH.old-TIMESTAMP-2`, ... : never the name of a journal kept
/// before (two runs in one second must not overwrite the older one's rollback data).
pub fn kept_name(path: &Path, created_unix: u64) -> PathBuf {
    let base = format!("{}.old-{created_unix}", path.display());
    (1..)
        .map(|n| match n {
            1 => PathBuf::from(&base),
            n => PathBuf::from(format!("{base}-{n}")),
        })
        .find(|p| std::fs::symlink_metadata(p).is_err())
        .expect("a free name")
}

/// The journals kept beside `path` by later runs (`PATH.old-TIMESTAMP`,
/// `PATH.old-TIMESTAMP-N`, see [`kept_name`]), oldest first; only those siblings, so a
/// folder of other files costs one directory listing.
pub fn kept_beside(path: &Path) -> Vec<PathBuf> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Some(name) = path.file_name() else {
        return Vec::new();
    };
    let mut prefix = name.to_os_string();
    prefix.push(".old-");
    let prefix = prefix.into_encoded_bytes();
    let Ok(listing) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut kept: Vec<((u64, u64), PathBuf)> = listing
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_encoded_bytes();
            let rest = std::str::from_utf8(name.strip_prefix(&prefix[..])?).ok()?;
            let (ts, n) = rest.split_once('-').unwrap_or((rest, "1"));
            let key = (ts.parse().ok()?, n.parse().ok()?);
            Some((key, e.path()))
        })
        .collect();
    kept.sort();
    kept.into_iter().map(|(_, p)| p).collect()
}

/// What differs between the journal's run and this one, if anything does.
fn mismatch(old: &Header, new: &Header) -> Option<String> {
    if old.input_sha256 != new.input_sha256 {
        Some(format!(
            "another input (SHA-256 {}..., this input is {}...)",
            // By characters: a tampered header may hold anything, and a byte index could cut
            // a character in half.
            old.input_sha256.chars().take(12).collect::<String>(),
            new.input_sha256.chars().take(12).collect::<String>()
        ))
    } else if old.user_pool_id != new.user_pool_id {
        Some(format!("user pool {}", old.user_pool_id))
    } else if old.options != new.options {
        Some(format!("other options ({})", old.options))
    } else {
        None
    }
}
