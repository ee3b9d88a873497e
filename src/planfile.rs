//! The plan file written by `plan` and applied by `apply --plan`: JSON lines, a header (pool,
//! input SHA-256, time, where current values came from), then one entry per user to change
//! with each attribute's before and after values. Mode 0600: it holds personal data.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::current::Source;
use crate::diff::AttrDiff;

pub const KIND: &str = "cognito-bulk-plan";
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlanHeader {
    pub kind: String,
    pub version: u32,
    pub user_pool_id: String,
    pub input: String,
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
    pub user: String,
    pub changes: Vec<AttrDiff>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub client_metadata: BTreeMap<String, String>,
}

pub struct PlanWriter {
    out: BufWriter<File>,
}

impl PlanWriter {
    pub fn create(path: &Path, header: &PlanHeader) -> io::Result<PlanWriter> {
        let mut w = PlanWriter {
            out: BufWriter::new(crate::files::create_private(path)?),
        };
        w.line(header)?;
        Ok(w)
    }

    pub fn write(&mut self, entry: &PlanEntry) -> io::Result<()> {
        self.line(entry)
    }

    fn line<T: Serialize>(&mut self, value: &T) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, value)?;
        self.out.write_all(b"\n")
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_all()
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
