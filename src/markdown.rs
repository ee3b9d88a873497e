//! The plan for people who review it (`plan --markdown PATH`): the summary, the rule that made
//! it (input, pool, options) and the changes as a table, ready for a change ticket. With
//! `--redact` every attribute value is replaced by a short hash: the same value gets the same
//! hash within the file (so a reviewer sees "everyone moves from A to B"), and the hashes are
//! salted per file, so they cannot be looked up against a list of known emails.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use anyhow::Context;
use sha2::{Digest, Sha256};

use crate::plan::PlanSummary;
use crate::planfile::{self, PlanEntry};

/// At most this many attribute changes are listed; the plan file has them all.
pub const MAX_ROWS: u64 = 10_000;

/// Replaces values by salted short hashes, or leaves them as they are.
pub struct Values {
    salt: Option<[u8; 16]>,
}

impl Values {
    pub fn new(redact: bool) -> Values {
        Values {
            salt: redact.then(rand::random),
        }
    }

    /// A value as a table cell: `"text"` in a code span, or its hash; `(none)` when absent.
    pub fn cell(&self, value: Option<&str>) -> String {
        let Some(v) = value else {
            return "(none)".into();
        };
        match &self.salt {
            Some(salt) => {
                let mut h = Sha256::new();
                h.update(salt);
                h.update(v.as_bytes());
                format!("`#{}`", &hex::encode(h.finalize())[..10])
            }
            None => code(&serde_json::to_string(v).unwrap_or_default()),
        }
    }
}

/// Writes the Markdown review of the plan file `plan` (with the counts in `summary`) to `out`.
pub fn write(plan: &Path, summary: &PlanSummary, out: &Path, redact: bool) -> anyhow::Result<()> {
    let header = planfile::read_header(plan)?;
    let values = Values::new(redact);
    let mut md = String::new();
    let _ = writeln!(md, "# Plan: {}\n", text(&header.input));
    let _ = writeln!(md, "**{}**\n", summary.line());
    for note in summary.notes() {
        let _ = writeln!(md, "- {note}");
    }
    let _ = writeln!(md, "\n## The rule\n\n| | |\n| --- | --- |");
    let options = &header.options;
    let opt = |k: &str| options.get(k).and_then(|v| v.as_str()).unwrap_or("-");
    let metadata: Vec<String> = options
        .get("client_metadata")
        .and_then(|m| m.as_object())
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{}={}", text(k), values.cell(v.as_str())))
                .collect()
        })
        .unwrap_or_default();
    let rows = [
        ("Input", text(&header.input)),
        ("Input SHA-256", code(&header.input_sha256)),
        ("User pool", code(&header.user_pool_id)),
        (
            "Planned at",
            crate::report::rfc3339(header.created_unix as f64),
        ),
        (
            "Current values from",
            format!("{:?}", header.current_state).to_lowercase(),
        ),
        ("Format", opt("format").to_string()),
        ("Key column", code(opt("key_column"))),
        ("Empty cells", opt("empty_cells").to_string()),
        (
            "Client metadata",
            if metadata.is_empty() {
                "-".into()
            } else {
                metadata.join(", ")
            },
        ),
        ("Plan file", text(&plan.display().to_string())),
        (
            "Values",
            if redact {
                "redacted: each value is a short hash, the same for the same value in this file"
                    .into()
            } else {
                "shown as they are: this file holds personal data".into()
            },
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(md, "| {k} | {v} |");
    }
    let _ = writeln!(
        md,
        "\n## Changes\n\n`~` changed, `+` added, `-` deleted.\n\n\
         | line | user | attribute | | before | after |\n| ---: | --- | --- | :-: | --- | --- |"
    );
    let file = std::fs::File::open(plan).with_context(|| plan.display().to_string())?;
    let mut listed = 0u64;
    for line in BufReader::new(file).lines().skip(1) {
        let line = line.with_context(|| plan.display().to_string())?;
        if crate::planfile::is_trailer(line.as_bytes()) {
            break;
        }
        let entry: PlanEntry = serde_json::from_str(&line)
            .with_context(|| format!("{}: not a plan entry", plan.display()))?;
        for d in &entry.changes {
            listed += 1;
            if listed > MAX_ROWS {
                continue;
            }
            let sign = match (&d.before, &d.after) {
                (Some(_), Some(_)) => "~",
                (None, Some(_)) => "+",
                (Some(_), None) => "-",
                (None, None) => " ",
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {sign} | {} | {} |",
                entry.line,
                code(&entry.user),
                code(&d.name),
                values.cell(d.before.as_deref()),
                values.cell(d.after.as_deref())
            );
        }
    }
    if listed > MAX_ROWS {
        let _ = writeln!(
            md,
            "\n... and {} more attribute changes in the plan file.",
            listed - MAX_ROWS
        );
    }
    let mut f =
        crate::files::create_private(out).with_context(|| format!("writing {}", out.display()))?;
    f.write_all(md.as_bytes())
        .with_context(|| format!("writing {}", out.display()))
}

/// Text in a table cell: pipes and line breaks would break the table.
fn text(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// A code span in a table cell, whatever backticks or pipes the text holds.
fn code(s: &str) -> String {
    let s = text(s);
    let fence = if s.contains('`') { "`` " } else { "`" };
    let close = if s.contains('`') { " ``" } else { "`" };
    format!("{fence}{s}{close}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_value_same_hash_and_no_value_shown() {
        let v = Values::new(true);
        let a = v.cell(Some("alice@example.com"));
        assert_eq!(a, v.cell(Some("alice@example.com")));
        assert_ne!(a, v.cell(Some("bob@example.com")));
        assert!(!a.contains("alice"));
        assert_eq!(v.cell(None), "(none)");
    }

    #[test]
    fn hashes_are_salted_per_file() {
        let (a, b) = (Values::new(true), Values::new(true));
        assert_ne!(a.cell(Some("x")), b.cell(Some("x")));
    }

    #[test]
    fn cells_keep_the_table_whole() {
        let v = Values::new(false);
        assert_eq!(v.cell(Some("a|b\nc")), "`\"a\\|b\\nc\"`");
        assert_eq!(code("x`y"), "`` x`y ``");
    }
}
