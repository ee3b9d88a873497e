//! The computed rows file (private, removed when the run ends) and the tallies of the users
//! that never became a row.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};

use anyhow::Context;

use crate::template::Computed as Rendered;

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
    /// Lines written so far.
    lines: u64,
    pub stats: Stats,
}

impl Writer {
    pub fn new() -> anyhow::Result<Writer> {
        // tempfile creates files readable by the owner only.
        let file = tempfile::Builder::new()
            .prefix("cognito-bulk-backfill-")
            .suffix(".jsonl")
            .tempfile()
            .context("creating the computed rows file")?;
        Ok(Writer {
            out: BufWriter::with_capacity(256 * 1024, file),
            lines: 0,
            stats: Stats::default(),
        })
    }

    /// Writes a rendered user's row; returns whether a row was written.
    pub fn rendered(
        &mut self,
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
                self.invalid(format!("user {user:?}: TemplateFailed: {}", why.join("; ")));
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
        let attributes: serde_json::Map<String, serde_json::Value> = changes
            .iter()
            .map(|(n, v)| {
                (
                    n.clone(),
                    v.clone().map_or(serde_json::Value::Null, Into::into),
                )
            })
            .collect();
        let mut line = serde_json::json!({ "username": user, "attributes": attributes });
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

    pub fn invalid(&mut self, problem: String) {
        self.stats.invalid += 1;
        self.problem(problem);
    }

    pub fn not_found(&mut self, problem: String) {
        self.stats.not_found += 1;
        self.problem(problem);
    }

    fn problem(&mut self, problem: String) {
        if self.stats.problems.len() < MAX_PROBLEMS {
            self.stats.problems.push(problem);
        }
    }
}
