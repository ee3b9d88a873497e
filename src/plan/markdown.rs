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

use crate::model::row::Code;
use crate::plan::file::{self, LeftOut, PlanEntry};
use crate::plan::summary::PlanSummary;

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
    let header = file::read_header(plan)?;
    let values = Values::new(redact);
    let mut md = String::new();
    // A computed backfill with no input file reads the pool itself.
    let from_pool = header.backfill.is_some() && header.input.is_empty();
    let input = match from_pool {
        true => format!("the users of {} (ListUsers)", header.user_pool_id),
        false => text(&header.input),
    };
    let _ = writeln!(md, "# Plan: {input}\n");
    let _ = writeln!(md, "**{}**\n", summary.line());
    // Every operation kind the plan makes (`OpKind::ALL`), with the ones that cannot be undone.
    if summary.ops.total() > 0 {
        let _ = writeln!(md, "Operations: {}.\n", summary.ops.line());
    }
    if summary.ops.get(crate::model::op::OpKind::SignOut) > 0 {
        let _ = writeln!(
            md,
            "Sign-outs cannot be undone: rollback lists them, it does not reverse them.\n"
        );
    }
    for note in summary.notes() {
        let _ = writeln!(md, "- {note}");
    }
    let _ = writeln!(md, "\n## The rule\n\n| | |\n| --- | --- |");
    let rows = rule_rows(&header, plan, &values, redact, input, from_pool);
    for (k, v) in rows {
        let _ = writeln!(md, "| {k} | {v} |");
    }
    let matched = header
        .backfill
        .as_ref()
        .is_some_and(|b| b.match_attr.is_some());
    entries(&mut md, plan, &values, matched)?;
    let mut f =
        crate::files::create_private(out).with_context(|| format!("writing {}", out.display()))?;
    f.write_all(md.as_bytes())
        .with_context(|| format!("writing {}", out.display()))
}

/// The rule's table: where the rows came from, how they were read, the pool, the time.
fn rule_rows(
    header: &file::PlanHeader,
    plan: &Path,
    values: &Values,
    redact: bool,
    input: String,
    from_pool: bool,
) -> Vec<(&'static str, String)> {
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
    let mut rows = vec![("Input", input)];
    if !from_pool {
        rows.push(("Input SHA-256", code(&header.input_sha256)));
    }
    if let Some(rule) = &header.backfill {
        // The flags as given (shown with --redact too: they are the rule under review).
        let lines: Vec<String> = rule.lines().iter().map(|l| code(l)).collect();
        rows.push(("Computed by", lines.join("<br>")));
    }
    rows.push(("User pool", code(&header.user_pool_id)));
    rows.push((
        "Planned at",
        crate::report::rfc3339(header.created_unix as f64),
    ));
    rows.push((
        "Current values from",
        format!("{:?}", header.current_state).to_lowercase(),
    ));
    if !from_pool {
        rows.push(("Format", opt("format").to_string()));
        rows.push(("Key column", code(opt("key_column"))));
        rows.push(("Empty cells", opt("empty_cells").to_string()));
    }
    rows.push((
        "Client metadata",
        if metadata.is_empty() {
            "-".into()
        } else {
            metadata.join(", ")
        },
    ));
    rows.push(("Plan file", text(&plan.display().to_string())));
    rows.push((
        "Values",
        if redact {
            "redacted: each value is a short hash, the same for the same value in this file".into()
        } else {
            "shown as they are: this file holds personal data".into()
        },
    ));
    rows
}

/// The plan's entries: the changes as a table, then the rows it leaves out (a left-out
/// row's user may be a `--match` key, an attribute value: redacted like one).
fn entries(md: &mut String, plan: &Path, values: &Values, matched: bool) -> anyhow::Result<()> {
    let _ = writeln!(
        md,
        "\n## Changes\n\n`~` changed, `+` added, `-` deleted.\n\n\
         | line | user | attribute | | before | after |\n| ---: | --- | --- | :-: | --- | --- |"
    );
    let file = std::fs::File::open(plan).with_context(|| plan.display().to_string())?;
    let (mut listed, mut left) = (0u64, Vec::new());
    let mut left_count = 0u64;
    for line in BufReader::new(file).lines().skip(1) {
        let line = line.with_context(|| plan.display().to_string())?;
        if crate::plan::file::is_trailer(line.as_bytes()) {
            break;
        }
        let entry: PlanEntry = serde_json::from_str(&line)
            .with_context(|| format!("{}: not a plan entry", plan.display()))?;
        if let Some(why) = &entry.left_out {
            left_count += 1;
            if left.len() < MAX_ROWS as usize {
                left.push(left_out_row(&entry, why, values, matched));
            }
            continue;
        }
        change_rows(md, &entry, values, &mut listed);
    }
    if listed > MAX_ROWS {
        let _ = writeln!(
            md,
            "\n... and {} more attribute changes in the plan file.",
            listed - MAX_ROWS
        );
    }
    if left_count > 0 {
        rows_left_out(md, &left, left_count);
    }
    Ok(())
}

/// A row left out, as a line of its table: its user redacted when the key may be a value.
fn left_out_row(entry: &PlanEntry, why: &LeftOut, values: &Values, matched: bool) -> String {
    let user = match values.salt {
        Some(_) if key_named_no_user(&why.code, matched) => values.cell(Some(&entry.user)),
        _ => code(&entry.user),
    };
    let message = text(&why.message);
    format!(
        "| {} | {user} | {} | {message} |",
        entry.line,
        code(&why.code)
    )
}

/// An entry's changes, a line of the table each, while fewer than [`MAX_ROWS`] are `listed`.
fn change_rows(md: &mut String, entry: &PlanEntry, values: &Values, listed: &mut u64) {
    // The key the row used beside the user it resolved to; redacted, the username only
    // (the key may be an email).
    let user = match (&entry.username, values.salt.is_some()) {
        (Some(u), true) => code(u),
        (Some(u), false) if *u != entry.user => {
            format!("{} (= {})", code(&entry.user), code(u))
        }
        _ => code(&entry.user),
    };
    for op in &entry.changes {
        *listed += 1;
        if *listed > MAX_ROWS {
            continue;
        }
        // Each operation says what its row of the table shows (`model::op`).
        let cells = op.cells();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            entry.line,
            user,
            code(&cells.what),
            cells.sign,
            values.cell(cells.before),
            values.cell(cells.after)
        );
    }
}

/// The rows left out, apart from the changes: the first `left`, and how many more.
fn rows_left_out(md: &mut String, left: &[String], left_count: u64) {
    let _ = writeln!(
        md,
        "\n## Rows left out\n\nNot sent: `apply --plan` reports them as invalid rows (a \
         user not found as failed, `UserNotFoundException`).\n\n\
         | line | user | code | why |\n| ---: | --- | --- | --- |"
    );
    for row in left {
        let _ = writeln!(md, "{row}");
    }
    if left_count > left.len() as u64 {
        let _ = writeln!(
            md,
            "\n... and {} more in the plan file.",
            left_count - left.len() as u64
        );
    }
}

/// Whether a row left out names its user by a key that found no user of the pool (no user or
/// several; with `--match`, a row that could not be read never got to its user): such a key
/// may be an email, and is redacted like a value. Every other row names a user the tool
/// knows, by the username the changes show too (a `DuplicateUser` row included), and keeps it.
fn key_named_no_user(code: &str, matched: bool) -> bool {
    match Code::from_text(code) {
        Code::UserNotFound | Code::AmbiguousMatch => true,
        Code::MalformedRow | Code::MissingUsername => matched,
        _ => false,
    }
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
mod tests;
