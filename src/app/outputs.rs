//! The files a command writes, told apart by kind, checked before the first write: none may
//! replace a file it does not write itself (a plan only a plan, a report only a report, ...:
//! never a journal, an export or its state, nor the input of a run journaled beside it), sit
//! where a plan it writes keeps its journal, be a link or a device, be the same file as an
//! input or another output, or sit in a folder that cannot be written. The journal's lock is
//! taken here too: one run per journal. And `plan -` copies standard input (or any other
//! stream: a FIFO, `/dev/stdin`, `<(...)`) beside its plan here, owner-only and created new.

mod held;
mod spool;

use std::path::{Path, PathBuf};

use anyhow::anyhow;

use self::held::{Held, held};
pub use self::spool::{check_copy, copy_path, is_stream, spool_stdin};
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

    /// Whether a file holding `held` is what this output writes, and so may be replaced by
    /// it (the same command run again). `export` decides itself over a file of its own or one
    /// cognito-bulk did not write (a finished backup, or any file, only with `--force`).
    fn writes(self, held: &Held) -> bool {
        match self {
            Output::Plan | Output::RollbackPlan => *held == Held::Plan,
            Output::MarkdownPlan => *held == Held::MarkdownPlan,
            Output::Report(ReportFormat::Json) => *held == Held::JsonReport,
            Output::Report(ReportFormat::Html) => *held == Held::HtmlReport,
            Output::FailedRows => *held == Held::FailedRows,
            Output::Export => matches!(held, Held::ExportBackup | Held::Other),
        }
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

/// Refuses an output path that holds anything but what this output writes (see
/// `outputs/held.rs`): another run's journal, plan, input or export would be lost under it.
/// A file whose `PATH.journal` is beside it is the input of that run; a plan may replace a
/// plan (a plan that was applied is refused by [`refuse_plan_with_run`] where it is written).
fn refuse_what_it_does_not_write(output: Output, path: &Path) -> Result<(), Failure> {
    // Only regular files: links, devices and folders are refused by `files` with their name.
    if !std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file()) {
        return Ok(());
    }
    let held = held(path);
    let what = match (&held, output) {
        (Held::Plan, _) if output.replaces_plans() => return Ok(()),
        (Held::Journal | Held::Plan, _) => held.noun().to_string(),
        // A failed-rows file fed back as the input of a run that finished: every row of it
        // has its outcome in that run's journal, so a new run of the first command may write
        // its failed rows there again (the fix-and-feed-back loop). Not while that run can
        // still be resumed: it needs its input as it was.
        (Held::FailedRows, Output::FailedRows) if finished_run_beside(path) => return Ok(()),
        _ if std::fs::symlink_metadata(files::beside_input(path, "journal")).is_ok() => {
            format!(
                "the input of the run journaled in {}",
                files::beside_input(path, "journal").display()
            )
        }
        (Held::Empty, _) => return Ok(()),
        _ if output.writes(&held) => return Ok(()),
        (Held::Other, _) => format!("a file {} does not write", output.label()),
        (held, _) => held.noun().to_string(),
    };
    Err(setup(anyhow!(
        "{} (given as {}) is {what}: it is not replaced; choose another path",
        path.display(),
        output.label()
    )))
}

/// Whether `PATH.journal` beside `path` records a finished run (every row has its outcome).
fn finished_run_beside(path: &Path) -> bool {
    crate::journal::load(&files::beside_input(path, "journal")).is_ok_and(|l| l.is_complete())
}

/// Refuses an output at the path where a plan written by the same command would keep its
/// journal once applied (`PLAN.journal`): `apply --plan PLAN` would then find no journal
/// there but this file, and stop.
fn refuse_a_plans_journal(outputs: &[(Output, &Path)]) -> Result<(), Failure> {
    for (i, (plan, plan_path)) in outputs.iter().enumerate() {
        if !plan.replaces_plans() {
            continue;
        }
        let journal = files::beside_input(plan_path, "journal");
        let others = outputs.iter().enumerate().filter(|(j, _)| *j != i);
        for (_, (output, path)) in others {
            if same_place(path, &journal) {
                return Err(setup(anyhow!(
                    "{} (given as {}) is where `apply --plan {}` keeps the journal of {}: \
                     choose another path",
                    path.display(),
                    output.label(),
                    files::shell::quote(plan_path.as_os_str()),
                    plan.label()
                )));
            }
        }
    }
    Ok(())
}

/// Whether two paths name the same place: the same folder (resolved) and name.
fn same_place(a: &Path, b: &Path) -> bool {
    let resolved = |p: &Path| {
        std::fs::canonicalize(files::folder(p))
            .ok()
            .zip(p.file_name())
            .map(|(dir, name)| dir.join(name))
    };
    a == b || resolved(a).is_some_and(|a| Some(a) == resolved(b))
}

/// Checks a run's files before anything is written (see the module's text), then takes the
/// lock of the journal (one run per journal), held until the returned guard drops.
pub fn check(
    inputs: &[(&str, &Path)],
    outputs: &[(Output, &Path)],
    journal: Option<&Path>,
) -> Result<Option<files::Lock>, Failure> {
    let mut all: Vec<(&str, &Path)> = outputs.iter().map(|(o, p)| (o.label(), *p)).collect();
    if let Some(journal) = journal {
        all.push(("the journal", journal));
    }
    files::check_outputs(inputs, &all).map_err(setup)?;
    for (output, path) in outputs {
        refuse_what_it_does_not_write(*output, path)?;
    }
    refuse_a_plans_journal(outputs)?;
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

    fn refused(outputs: &[(Output, &Path)]) -> String {
        check(&[], outputs, None).unwrap_err().error.to_string()
    }

    #[test]
    fn an_output_replaces_only_what_it_writes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let backup = file(d, "backup.csv", "username\nu0\n");
        let state = "{\"user_pool_id\":\"p\",\"filter\":null,\"columns\":[],\
                     \"with_status\":false,\"token\":null,\"users\":1,\"bytes\":9,\"done\":true}";
        let state = file(d, "backup.csv.export-state", state);
        for output in [
            Output::Plan,
            Output::MarkdownPlan,
            Output::Report(ReportFormat::Json),
            Output::FailedRows,
        ] {
            let message = refused(&[(output, &backup)]);
            assert!(message.contains("is an export backup"), "{message}");
            assert!(message.contains("choose another path"), "{message}");
            let message = refused(&[(output, &state)]);
            assert!(message.contains("is an export's state"), "{message}");
        }
        // The input of a run, told by its journal beside it.
        let tiers = file(d, "tiers.csv", "username\nu0\n");
        file(d, "tiers.csv.journal", JOURNAL);
        let message = refused(&[(Output::MarkdownPlan, &tiers)]);
        assert!(
            message.contains("is the input of the run journaled in")
                && message.contains("tiers.csv.journal"),
            "{message}"
        );
        let other = file(d, "notes.txt", "mine\n");
        let message = refused(&[(Output::Report(ReportFormat::Json), &other)]);
        assert!(
            message.contains("a file the report does not write"),
            "{message}"
        );
        // What an output wrote itself, and an empty file, it replaces.
        let md = file(d, "p.md", "# Plan: u.csv\n\n**x**\n\n## The rule\n");
        assert!(check(&[], &[(Output::MarkdownPlan, &md)], None).is_ok());
        let message = refused(&[(Output::FailedRows, &md)]);
        assert!(message.contains("is a Markdown plan"), "{message}");
        let failed = file(
            d,
            "u.failed.csv",
            "username,error_code,error_message\nu,C,m\n",
        );
        assert!(check(&[], &[(Output::FailedRows, &failed)], None).is_ok());
        assert!(check(&[], &[(Output::Plan, &file(d, "empty", ""))], None).is_ok());
        // Export decides itself over its own backups and other files (`--force`).
        assert!(check(&[], &[(Output::Export, &backup)], None).is_ok());
        assert!(check(&[], &[(Output::Export, &other)], None).is_ok());
        assert!(check(&[], &[(Output::Export, &md)], None).is_err());
    }

    #[test]
    fn no_output_sits_where_its_plan_keeps_its_journal() {
        let dir = tempfile::tempdir().unwrap();
        let plan = dir.path().join("mj.plan");
        let md = dir.path().join("mj.plan.journal");
        let message = refused(&[(Output::Plan, &plan), (Output::MarkdownPlan, &md)]);
        assert!(message.contains("keeps the journal"), "{message}");
        let elsewhere = dir.path().join("mj.md");
        assert!(
            check(
                &[],
                &[(Output::Plan, &plan), (Output::MarkdownPlan, &elsewhere)],
                None
            )
            .is_ok()
        );
    }
}
