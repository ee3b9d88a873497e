//! Reading the input file: CSV or JSONL, streamed one record at a time.
//!
//! Readers never fail on a bad row: a row that cannot be understood becomes a [`Record`] with
//! problems, so that every bad row is reported and the others go on. Only I/O errors and a
//! header that makes the whole file meaningless are errors of the reader itself.

mod bom;
mod columns;
mod csv_input;
mod json_object;
mod jsonl_input;
mod lines;
mod plan_input;
mod quotes;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::model::row::Record;

pub use lines::LineIndex;

/// The input formats the tool reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
    /// A plan file written by `plan` (used by `apply --plan`).
    #[value(skip)]
    Plan,
}

impl Format {
    /// Picks the format from a file name's extension.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }

    /// The extension of the failed-rows file of an input in this format (its rows are written
    /// back as they were read): an `.ndjson` input keeps its own.
    pub fn failed_extension(self, input: &Path) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl
                if input
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("ndjson")) =>
            {
                "ndjson"
            }
            Format::Jsonl | Format::Plan => "jsonl",
        }
    }
}

/// What an empty CSV cell means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EmptyCells {
    /// Leave the attribute as it is.
    Ignore,
    /// Delete the attribute.
    Delete,
}

/// How rows are read; fixed for a whole run.
#[derive(Debug, Clone)]
pub struct InputOptions {
    pub format: Format,
    /// The column (CSV) or key (JSONL) that names the user.
    pub key_column: String,
    pub empty_cells: EmptyCells,
    /// Client metadata sent with every row; a row's own entries win.
    pub client_metadata: BTreeMap<String, String>,
    /// What the operation columns mean (`groups`, `--sign-out`).
    pub ops: RowOps,
}

/// The flags that change what a row's operations are: fixed for a whole run, and recorded
/// with the input's options (a journal made without them is not resumed with them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowOps {
    /// `--exact-groups`: the `groups` column is the user's full set of groups. Without it a
    /// `groups` column is refused (it would remove users from every other group).
    pub exact_groups: bool,
    /// `--sign-out`: each row that changes anything signs its user out last.
    pub sign_out: bool,
}

pub use columns::{MAX_GROUPS_PER_USER, OpColumn, too_many_groups};

pub use crate::model::row::ERROR_FIELDS;

/// Fields `export --with-status` adds that are ignored on input (its `enabled` column is an
/// operation column: see [`OpColumn`]).
pub const STATUS_FIELDS: [&str; 1] = ["user_status"];

/// Whether a CSV column or JSONL key is one the tool wrote and ignores on input.
pub fn ignored_field(name: &str) -> bool {
    ERROR_FIELDS.contains(&name) || STATUS_FIELDS.contains(&name)
}

/// A reason the input as a whole cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{path}: {message}")]
    Header { path: String, message: String },
    #[error(
        "{path} changed since it was read to check it ({what}): nothing was sent from it; run the command again"
    )]
    Changed { path: String, what: String },
    /// Not a file that can be read twice (a device, a FIFO where a regular file is needed).
    #[error(transparent)]
    File(#[from] crate::files::FileError),
}

/// A stream of records from one input.
pub type Records = Box<dyn Iterator<Item = Result<Record, InputError>> + Send>;

/// An input ready to be read.
pub struct Opened {
    pub records: Records,
    /// The header row of a CSV input, as it was (for writing failed rows back).
    pub csv_header: Option<csv::StringRecord>,
}

/// Streams the records of `reader`. `display` names the file in messages.
pub fn read(
    reader: Box<dyn Read + Send>,
    display: &str,
    opts: &InputOptions,
) -> Result<Opened, InputError> {
    let reader = Box::new(bom::SkipBom::new(reader));
    match opts.format {
        Format::Csv => csv_input::read(reader, display, opts),
        Format::Jsonl => Ok(Opened {
            records: jsonl_input::read(reader, display, opts),
            csv_header: None,
        }),
        Format::Plan => Ok(Opened {
            records: plan_input::read(reader, display),
            csv_header: None,
        }),
    }
}

/// Opens a file for reading, naming it in the error.
pub fn open(path: &Path) -> Result<Box<dyn Read + Send>, InputError> {
    let file = File::open(path).map_err(|source| InputError::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok(Box::new(BufReader::with_capacity(256 * 1024, file)))
}

/// The input as a regular file that can be read more than once (once to check every row,
/// once to send): standard input (`-`) and anything else that is not a regular file (a FIFO,
/// `/dev/stdin`, a shell's `<(...)`) is first copied to a private temporary file, removed when
/// the returned handle is dropped. A regular file is used where it is.
pub fn readable_twice(path: &Path) -> Result<(Option<tempfile::TempPath>, PathBuf), InputError> {
    if path.as_os_str() == "-" {
        return spool(&mut io::stdin().lock(), "<stdin>");
    }
    let display = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|source| InputError::Io {
        path: display.clone(),
        source,
    })?;
    if meta.is_file() {
        return Ok((None, path.to_path_buf()));
    }
    let mut file = File::open(path).map_err(|source| InputError::Io {
        path: display.clone(),
        source,
    })?;
    spool(&mut file, &display)
}

/// Copies `from` to a new private temporary file.
fn spool(
    from: &mut dyn Read,
    display: &str,
) -> Result<(Option<tempfile::TempPath>, PathBuf), InputError> {
    let err = |source| InputError::Io {
        path: display.to_string(),
        source,
    };
    // tempfile creates files readable by the owner only.
    let mut file = tempfile::NamedTempFile::new().map_err(err)?;
    io::copy(from, &mut file).map_err(err)?;
    let path = file.into_temp_path();
    let buf = path.to_path_buf();
    Ok((Some(path), buf))
}

impl InputOptions {
    /// The options that change what a row means, as recorded in journals and plans.
    pub fn to_json(&self) -> serde_json::Value {
        let mut json = serde_json::json!({
            "format": format!("{:?}", self.format).to_lowercase(),
            "key_column": self.key_column,
            "empty_cells": format!("{:?}", self.empty_cells).to_lowercase(),
            "client_metadata": self.client_metadata,
        });
        // Only when given, so that the options of runs made before these flags still match.
        if self.ops.exact_groups {
            json["exact_groups"] = true.into();
        }
        if self.ops.sign_out {
            json["sign_out"] = true.into();
        }
        json
    }
}
