//! The computed rows file (private, removed when the run ends), and the users that never
//! became a row: tallied, and written as the plan's left-out entries (a second private file)
//! so that `apply` reports them as invalid rows, in its report and failed rows.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};

use anyhow::Context;

use crate::model::row::{Code, Problem};
use crate::plan::file::PlanEntry;
use crate::rows::template::Computed as Rendered;
use crate::rows::template::columns;

/// Problems kept for the preview; the counts are exact.
const MAX_PROBLEMS: usize = 1000;

#[derive(Default)]
pub struct Stats {
    pub skipped: u64,
    pub not_found: u64,
    pub invalid: u64,
    pub problems: Vec<String>,
}

/// The computed rows file (private, removed when the run ends) and the tallies.
pub struct Writer {
    pub out: BufWriter<tempfile::NamedTempFile>,
    /// Plan entries of the rows left out.
    pub left_out: BufWriter<tempfile::NamedTempFile>,
    /// The input's name (or the pool's), for the problems.
    display: String,
    /// Lines written so far.
    lines: u64,
    pub stats: Stats,
}

/// A private temporary file (tempfile creates files readable by the owner only).
fn private(what: &str) -> anyhow::Result<BufWriter<tempfile::NamedTempFile>> {
    let file = tempfile::Builder::new()
        .prefix("cognito-bulk-backfill-")
        .suffix(".jsonl")
        .tempfile()
        .with_context(|| format!("creating the {what} file"))?;
    Ok(BufWriter::with_capacity(256 * 1024, file))
}

impl Writer {
    pub fn new(display: String) -> anyhow::Result<Writer> {
        Ok(Writer {
            out: private("computed rows")?,
            left_out: private("left-out rows")?,
            display,
            lines: 0,
            stats: Stats::default(),
        })
    }

    /// Writes a rendered user's row; returns whether a row was written. `line` is the input
    /// line it came from (0 for the pool as input).
    pub fn rendered(
        &mut self,
        line: u64,
        user: &str,
        rendered: Rendered,
        metadata: &BTreeMap<String, String>,
    ) -> anyhow::Result<bool> {
        match rendered {
            Rendered::Skipped => {
                self.stats.skipped += 1;
                Ok(false)
            }
            Rendered::Failed(failures) => {
                let why: Vec<String> = failures.iter().map(|(a, m)| format!("{a}: {m}")).collect();
                let problem = Problem::row(Code::TemplateFailed, why.join("; "));
                self.invalid(line, user, &problem)?;
                Ok(false)
            }
            Rendered::Changes(changes) => {
                self.row(user, &changes, metadata)?;
                Ok(true)
            }
        }
    }

    pub fn row(
        &mut self,
        user: &str,
        changes: &[(String, Option<String>)],
        metadata: &BTreeMap<String, String>,
    ) -> anyhow::Result<()> {
        let (reserved, changes): (Vec<_>, Vec<_>) =
            changes.iter().partition(|(n, _)| columns::reserved(n));
        let attributes: serde_json::Map<String, serde_json::Value> = changes
            .into_iter()
            .map(|(n, v)| {
                (
                    n.clone(),
                    v.clone().map_or(serde_json::Value::Null, Into::into),
                )
            })
            .collect();
        let mut line = serde_json::json!({ "username": user, "attributes": attributes });
        // The reserved columns as the JSONL reader takes them: names as an array of strings,
        // `enabled` as a boolean.
        for (name, value) in reserved {
            let value = value.as_deref().unwrap_or_default();
            line[name.as_str()] = match name.as_str() {
                "enabled" => (value == "true").into(),
                _ => value.split(' ').collect::<Vec<_>>().into(),
            };
        }
        if !metadata.is_empty() {
            line["client_metadata"] = serde_json::to_value(metadata)?;
        }
        serde_json::to_writer(&mut self.out, &line)?;
        self.out.write_all(b"\n")?;
        self.lines += 1;
        Ok(())
    }

    /// Pads with blank lines (which readers skip) so that the next row is on line `line`:
    /// a computed row's messages then name the input line it came from.
    pub fn pad_to(&mut self, line: u64) -> anyhow::Result<()> {
        while self.lines + 1 < line {
            self.out.write_all(b"\n")?;
            self.lines += 1;
        }
        Ok(())
    }

    /// A row that could not be computed (`user` may be a `--match` key, or empty).
    pub fn invalid(&mut self, line: u64, user: &str, problem: &Problem) -> anyhow::Result<()> {
        self.stats.invalid += 1;
        let text = format!("{}: {}", problem.code, problem.message);
        self.leave_out(line, user, problem.code.as_str(), &problem.message, text)
    }

    /// A key that matched no user.
    pub fn not_found(&mut self, line: u64, key: &str, message: String) -> anyhow::Result<()> {
        self.stats.not_found += 1;
        let text = message.clone();
        self.leave_out(line, key, Code::UserNotFound.as_str(), &message, text)
    }

    fn leave_out(
        &mut self,
        line: u64,
        user: &str,
        code: &str,
        message: &str,
        text: String,
    ) -> anyhow::Result<()> {
        if self.stats.problems.len() < MAX_PROBLEMS {
            let at = match line {
                0 => self.display.clone(),
                line => format!("{}:{line}", self.display),
            };
            self.stats
                .problems
                .push(format!("{at}: user {user:?}: {text}"));
        }
        let entry = PlanEntry::left_out(line, user, code, message.to_string());
        serde_json::to_writer(&mut self.left_out, &entry)?;
        self.left_out
            .write_all(b"\n")
            .context("writing the left-out rows")
    }
}
