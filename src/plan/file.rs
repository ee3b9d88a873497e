//! The plan file written by `plan` and applied by `apply --plan`: JSON lines, a header (pool,
//! input SHA-256, time, where current values came from), one entry per user to change with
//! each attribute's before and after values and its other operations (group memberships,
//! `enabled` with the flag seen, sign-out: format 4), one entry per row it leaves out (invalid, its
//! user not found: the code and reason, so that `apply --plan` reports them as `apply INPUT`
//! would), and a trailer (entry count, SHA-256 of the entries) without which the plan is
//! refused. Mode 0600: it holds personal data.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use serde::{Deserialize, Serialize};

use crate::model::op::OpDiff;
use crate::model::source::Source;

mod verify;

pub use verify::verify;

pub const KIND: &str = "cognito-bulk-plan";
/// Version 2 added the trailer; version 3 made its checksum cover the header too (the pool,
/// the input's SHA-256, whether messages are allowed). Version 4 added operations other than
/// attributes among an entry's `changes` (`{"op":"add_to_group",...}`, see
/// `model::op::OpDiff`), which a build that reads version 3 would misread: it refuses them as
/// newer. Version 3 plans still load (their changes are attributes, written as ever); older
/// ones are refused ([`MIN_VERSION`]).
pub const VERSION: u32 = 4;
/// The oldest plan format `apply --plan` reads.
pub const MIN_VERSION: u32 = 3;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanHeader {
    pub kind: String,
    pub version: u32,
    pub user_pool_id: String,
    pub input: String,
    /// The input's absolute path, so that `apply --plan` finds it from any folder; absent
    /// for a stream (standard input, a FIFO), whose plan stands on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_path: Option<String>,
    /// The same path's bytes in hex when it is not UTF-8 (`input_path` then shows it with
    /// U+FFFD, which names another file): `apply --plan` reads the file by these bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_path_hex: Option<String>,
    pub input_sha256: String,
    pub created_unix: u64,
    pub current_state: Source,
    pub options: serde_json::Value,
    /// Whether the plan allowed verification messages (`--allow-verification-messages`):
    /// `apply --plan` applies the rail as the plan was made.
    #[serde(default)]
    pub allow_verification_messages: bool,
    /// The rule of a computed backfill (`--set`, `--where`, `--filter`, `--match`), so that a
    /// reviewer sees the rule as well as its result; None for a plain input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backfill: Option<Backfill>,
}

/// The flags that computed a plan's rows, as given.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Backfill {
    /// `--set NAME=TEMPLATE`, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set: Vec<String>,
    #[serde(default, rename = "where", skip_serializing_if = "Option::is_none")]
    pub where_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(default, rename = "match", skip_serializing_if = "Option::is_none")]
    pub match_attr: Option<String>,
    #[serde(default)]
    pub empty_is_delete: bool,
}

impl Backfill {
    /// The rule as flags, one a line, for the preview's header.
    pub fn lines(&self) -> Vec<String> {
        let q = |s: &str| shlex::try_quote(s).map_or_else(|_| s.to_string(), |c| c.into_owned());
        let mut out: Vec<String> = self.set.iter().map(|s| format!("--set {}", q(s))).collect();
        if let Some(w) = &self.where_ {
            out.push(format!("--where {}", q(w)));
        }
        if let Some(f) = &self.filter {
            out.push(format!("--filter {}", q(f)));
        }
        if let Some(m) = &self.match_attr {
            out.push(format!("--match {}", q(m)));
        }
        if self.empty_is_delete {
            out.push("--empty-is-delete".into());
        }
        out
    }
}

/// One user to change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanEntry {
    /// The input line the row came from.
    pub line: u64,
    /// The key the row used (a username, a `sub` or an alias).
    pub user: String,
    /// The user that key resolved to: its real username (the call is sent with it) and its
    /// `sub` (a plan's row acts on that user even if the key names someone else by then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The operations, each with what the pool held before it (see `model::op::OpDiff`).
    pub changes: Vec<OpDiff>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub client_metadata: BTreeMap<String, String>,
    /// Set for a row the plan leaves out: never sent, reported as invalid with this reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_out: Option<LeftOut>,
}

/// Why a plan leaves a row out: a [`crate::model::row::Code`] as text and a message without
/// attribute values; and the values the row asked for, so that the failed rows of `apply
/// --plan` can be fixed and fed back as those of `apply INPUT` can (none for a computed row).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeftOut {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, Option<String>>,
}

impl PlanEntry {
    /// The user the plan resolved this row to, if it recorded one.
    pub fn identity(&self) -> Option<crate::model::row::Identity> {
        let username = self.username.clone()?;
        Some(crate::model::row::Identity {
            username,
            sub: self.sub.clone(),
        })
    }

    /// The entry of a row the plan leaves out.
    pub fn left_out(line: u64, user: &str, code: &str, message: String) -> PlanEntry {
        PlanEntry {
            line,
            user: user.to_string(),
            username: None,
            sub: None,
            changes: Vec::new(),
            client_metadata: BTreeMap::new(),
            left_out: Some(LeftOut {
                code: code.to_string(),
                message,
                attributes: BTreeMap::new(),
            }),
        }
    }
}

/// The last line of a whole plan: how many entries it has and the SHA-256 of their lines, so
/// that a plan cut short (a full disk, an interrupt) or altered is refused, never applied.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanTrailer {
    /// Always [`END_KIND`].
    pub kind: String,
    pub entries: u64,
    /// Hex SHA-256 of the header and entry lines, newlines included.
    pub sha256: String,
}

pub const END_KIND: &str = "cognito-bulk-plan-end";

/// Writes a plan to a private temporary file beside `path`, renamed into place only when it
/// is whole (its trailer written and synced): a plan file is complete or absent.
pub struct PlanWriter {
    out: BufWriter<tempfile::NamedTempFile>,
    path: PathBuf,
    entries: u64,
    digest: Sha256,
}

impl PlanWriter {
    pub fn create(path: &Path, header: &PlanHeader) -> io::Result<PlanWriter> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        // tempfile creates it new (O_EXCL), mode 0600.
        let tmp = tempfile::Builder::new()
            .prefix(".cognito-bulk-plan.")
            .tempfile_in(dir)?;
        let mut w = PlanWriter {
            out: BufWriter::new(tmp),
            path: path.to_path_buf(),
            entries: 0,
            digest: Sha256::new(),
        };
        let line = line(header)?;
        w.digest.update(&line);
        w.out.write_all(&line)?;
        Ok(w)
    }

    pub fn write(&mut self, entry: &PlanEntry) -> io::Result<()> {
        let line = line(entry)?;
        self.digest.update(&line);
        self.entries += 1;
        self.out.write_all(&line)
    }

    /// Writes the trailer, makes the file durable and renames it into place.
    pub fn finish(mut self) -> io::Result<()> {
        let trailer = PlanTrailer {
            kind: END_KIND.into(),
            entries: self.entries,
            sha256: hex::encode(self.digest.finalize()),
        };
        self.out.write_all(&line(&trailer)?)?;
        let tmp = self.out.into_inner().map_err(|e| e.into_error())?;
        tmp.as_file().sync_all()?;
        tmp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

fn line<T: Serialize>(value: &T) -> io::Result<Vec<u8>> {
    let mut line = serde_json::to_vec(value)?;
    line.push(b'\n');
    Ok(line)
}

/// Whether a plan line is the trailer (the readers stop there).
pub fn is_trailer(line: &[u8]) -> bool {
    line.starts_with(b"{\"kind\":\"cognito-bulk-plan-end\"")
}

impl PlanHeader {
    /// The plan's input file, as recorded (byte for byte when its path is not UTF-8).
    pub fn input_file(&self) -> Option<PathBuf> {
        use std::os::unix::ffi::OsStringExt;
        match (&self.input_path_hex, &self.input_path) {
            (Some(h), _) => hex::decode(h)
                .ok()
                .map(|b| PathBuf::from(std::ffi::OsString::from_vec(b))),
            (None, p) => p.as_ref().map(PathBuf::from),
        }
    }
}

/// Reads a plan's header, refusing other files and newer versions.
pub fn read_header(path: &Path) -> anyhow::Result<PlanHeader> {
    let mut first = String::new();
    BufReader::new(File::open(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?)
        .read_line(&mut first)?;
    let value: serde_json::Value = serde_json::from_str(&first)
        .map_err(|_| anyhow::anyhow!("{}: not a cognito-bulk plan", path.display()))?;
    if value.get("kind").and_then(|k| k.as_str()) != Some(KIND) {
        anyhow::bail!("{}: not a cognito-bulk plan", path.display());
    }
    let version = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0);
    if version > u64::from(VERSION) {
        anyhow::bail!(
            "{}: plan format version {version} is newer than this build reads ({VERSION})",
            path.display()
        );
    }
    Ok(serde_json::from_value(value)?)
}
