//! Starting a run against its journal: a new journal, a resume of a matching one, or a clear
//! refusal when the journal belongs to another input, pool or set of options.

use std::path::{Path, PathBuf};

use super::{Header, Journal, LoadError, Loaded, load};

#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(
        "{path} records a run of {what}; this run differs. Pass --restart to start over \
         (the old journal is kept as {path}.old-TIMESTAMP), or --journal to use another file"
    )]
    Mismatch { path: String, what: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Opens the journal at `path` for a run described by `header`. Returns the journal, ready
/// to append, and the tally of what earlier runs finished (empty for a new journal).
pub fn open_for_run(
    path: &Path,
    header: &Header,
    restart: bool,
) -> Result<(Journal, Loaded, Option<PathBuf>), ResumeError> {
    let io = |source| ResumeError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut kept = None;
    if path.exists() {
        if restart {
            let old = PathBuf::from(format!("{}.old-{}", path.display(), header.created_unix));
            std::fs::rename(path, &old).map_err(io)?;
            kept = Some(old);
        } else {
            let loaded = load(path)?;
            if let Some(what) = mismatch(&loaded.header, header) {
                return Err(ResumeError::Mismatch {
                    path: path.display().to_string(),
                    what,
                });
            }
            let journal = Journal::append(path, loaded.valid_len).map_err(io)?;
            return Ok((journal, loaded, None));
        }
    }
    let journal = Journal::create(path, header).map_err(io)?;
    Ok((journal, Loaded::new(header.clone()), kept))
}

/// Refuses, before anything is read from the pool, a journal at `path` that belongs to
/// another run (unless `restart`). A missing journal is fine.
pub fn check_compatible(path: &Path, header: &Header, restart: bool) -> Result<(), ResumeError> {
    if restart || !path.exists() {
        return Ok(());
    }
    let old = super::read_header(path)?;
    match mismatch(&old, header) {
        Some(what) => Err(ResumeError::Mismatch {
            path: path.display().to_string(),
            what,
        }),
        None => Ok(()),
    }
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
