//! The files a command writes, told apart by kind, checked before the first write: none may
//! replace another run's journal or plan (only a plan may replace a plan), be a link or a
//! device, be the same file as an input or another output, or sit in a folder that cannot be
//! written. The journal's lock is taken here too: one run per journal. And `plan -` copies
//! standard input (or any other stream: a FIFO, `/dev/stdin`, `<(...)`) beside its plan here,
//! owner-only and created new.

use std::io::{self, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};

use super::outcome::{Failure, setup};
use crate::files;
use crate::report::formats::Format as ReportFormat;

/// What an output file is, for the messages that name it and the files it may replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Plan,
    MarkdownPlan,
    RollbackPlan,
    /// The run's report, in one of the formats it is written in.
    Report(ReportFormat),
    FailedRows,
    Export,
}

impl Output {
    /// How messages name it.
    pub fn label(self) -> &'static str {
        match self {
            Output::Plan => "the plan",
            Output::MarkdownPlan => "the Markdown plan",
            Output::RollbackPlan => "the rollback plan",
            Output::Report(format) => format.label(),
            Output::FailedRows => "the failed-rows file",
            Output::Export => "the output",
        }
    }

    /// Whether it may replace a plan file: only a plan does (a new plan of the same job).
    fn replaces_plans(self) -> bool {
        matches!(self, Output::Plan | Output::RollbackPlan)
    }
}

/// The run's report files beside `report` (the JSON report's path), one per report format:
/// checked before the first write by every command that sends.
pub fn reports(report: &Path) -> Vec<(Output, PathBuf)> {
    ReportFormat::ALL
        .iter()
        .map(|&format| (Output::Report(format), format.path(report)))
        .collect()
}

/// What a file already holds, as its first line's `kind` says.
#[derive(Debug, PartialEq, Eq)]
enum Held {
    Journal,
    Plan,
    Other,
}

/// The kind of the file at `path`: its first line parsed as JSON, its `kind` field read (a
/// file that is not a regular file, or whose first line is not such an object, is `Other`).
fn held(path: &Path) -> Held {
    #[derive(serde::Deserialize)]
    struct Head {
        kind: String,
    }
    // Not opened unless regular: a FIFO would wait for a writer.
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return Held::Other;
    }
    let Ok(file) = std::fs::File::open(path) else {
        return Held::Other;
    };
    let first = serde_json::Deserializer::from_reader(BufReader::new(file))
        .into_iter::<Head>()
        .next();
    match first.and_then(Result::ok).map(|h| h.kind) {
        Some(k) if k == crate::journal::Header::KIND => Held::Journal,
        Some(k) if k == crate::plan::file::KIND => Held::Plan,
        _ => Held::Other,
    }
}

/// Refuses an output path that holds another run's journal or plan (a report or failed-rows
/// file written over it would lose that run's memory); a plan may replace a plan.
fn refuse_another_runs_file(output: Output, path: &Path) -> Result<(), Failure> {
    let kind = match held(path) {
        Held::Journal => "a journal",
        Held::Plan if !output.replaces_plans() => "a plan",
        _ => return Ok(()),
    };
    Err(setup(anyhow!(
        "{} (given as {}) is {kind} of another run; choose another path",
        path.display(),
        output.label()
    )))
}

/// Checks a run's files before anything is written (see the module's text), then takes the
/// lock of the journal (one run per journal), held until the returned guard drops.
pub fn check(
    inputs: &[(&str, &Path)],
    outputs: &[(Output, &Path)],
    journal: Option<&Path>,
) -> Result<Option<files::Lock>, Failure> {
    for (output, path) in outputs {
        refuse_another_runs_file(*output, path)?;
    }
    let mut all: Vec<(&str, &Path)> = outputs.iter().map(|(o, p)| (o.label(), *p)).collect();
    if let Some(journal) = journal {
        all.push(("the journal", journal));
    }
    files::check_outputs(inputs, &all).map_err(setup)?;
    journal.map(files::lock).transpose().map_err(setup)
}

/// A plan that was applied (a journal beside it, finished or not) is the record of that run:
/// replacing it would leave the journal describing a plan that no longer exists, and the
/// printed `apply --plan` would then fail on it. As `export` protects a finished backup.
pub fn refuse_plan_with_run(out: &Path) -> Result<(), Failure> {
    let journal = files::beside_input(out, "journal");
    if std::fs::symlink_metadata(&journal).is_err() {
        return Ok(());
    }
    Err(setup(anyhow!(
        "{} was applied (its run's journal {} is beside it): it is kept as the record of that \
         run. Write the new plan to another file with --out NEW.plan",
        out.display(),
        journal.display()
    )))
}

/// Whether `input` is a stream rather than a file that can be read again: standard input
/// (`-`), a FIFO, a character device, `/dev/stdin`, a shell's `<(...)`. A folder is not one
/// (reading it fails, naming it).
pub fn is_stream(input: &Path) -> bool {
    input.as_os_str() == "-" || std::fs::metadata(input).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Copies a stream input (standard input for `-`, see [`is_stream`]) to `PLAN.input`
/// (owner-only, created new): the plan's input, kept so that `apply --plan` can check it has
/// not changed.
pub fn spool_stdin(plan: &Path, input: &Path) -> anyhow::Result<PathBuf> {
    let copy = PathBuf::from(format!("{}.input", plan.display()));
    // A copy left by an earlier `plan -` is replaced; anything else in the way is refused.
    if std::fs::symlink_metadata(&copy).is_ok_and(|m| m.file_type().is_file()) {
        std::fs::remove_file(&copy).with_context(|| format!("replacing {}", copy.display()))?;
    }
    let mut from: Box<dyn io::Read> = match input.as_os_str() == "-" {
        true => Box::new(io::stdin().lock()),
        false => Box::new(
            std::fs::File::open(input).with_context(|| format!("opening {}", input.display()))?,
        ),
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&copy)
        .with_context(|| format!("creating {}", copy.display()))?;
    io::copy(&mut from, &mut file)
        .and_then(|_| file.flush())
        .with_context(|| format!("copying {} to {}", name(input), copy.display()))?;
    Ok(copy)
}

/// How a message names an input: `-` is standard input.
fn name(input: &Path) -> String {
    match input.as_os_str() == "-" {
        true => "standard input".into(),
        false => input.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = "{\"kind\":\"cognito-bulk-plan\",\"version\":3}\n{\"row\":1}\n";
    const JOURNAL: &str = "{\"version\":3, \"kind\":\"cognito-bulk-journal\"}\n";

    fn file(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_markdown_plan_never_replaces_a_plan_file() {
        let dir = tempfile::tempdir().unwrap();
        let plan = file(dir.path(), "other.plan", PLAN);
        let refused = check(&[], &[(Output::MarkdownPlan, &plan)], None).unwrap_err();
        assert!(
            refused
                .error
                .to_string()
                .contains("is a plan of another run"),
            "{}",
            refused.error
        );
        assert!(check(&[], &[(Output::Plan, &plan)], None).is_ok());
        assert!(check(&[], &[(Output::RollbackPlan, &plan)], None).is_ok());
    }

    #[test]
    fn headers_are_read_by_their_kind_not_their_first_bytes() {
        let dir = tempfile::tempdir().unwrap();
        // The kind is found wherever it stands in the first line.
        let journal = file(dir.path(), "j", JOURNAL);
        assert_eq!(held(&journal), Held::Journal);
        assert!(check(&[], &[(Output::Plan, &journal)], None).is_err());
        // A kind in a later line, or a line that merely begins like a header, is not one.
        let later = file(dir.path(), "l", &format!("{{}}\n{PLAN}"));
        assert_eq!(held(&later), Held::Other);
        let torn = file(dir.path(), "t", "{\"kind\":\"cognito-bulk-plan\"");
        assert_eq!(held(&torn), Held::Other);
        let text = file(dir.path(), "c", "username,email\n");
        assert_eq!(held(&text), Held::Other);
        assert_eq!(held(&dir.path().join("missing")), Held::Other);
    }
}
