//! The command line read once into a typed run: what the rows are (an input file, a plan
//! file, a computed rule, a journal to undo), how to send them ([`Sending`], from which the
//! engine's [`ApplyOptions`] are built in one place), and which files the run writes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::anyhow;

use super::outcome::{Failure, setup};
use crate::cli::{ApplyArgs, BackfillArgs, InputArgs, ReadArgs, RollbackArgs};
use crate::cognito::pacing::RetryPolicy;
use crate::files;
use crate::rows::input::{Format, InputOptions};
use crate::send::{ApplyOptions, Preflight};

/// Where a run's rows come from.
pub enum Rows {
    /// `apply INPUT`: a CSV or JSONL file, decided against the pool's current values.
    Input { path: PathBuf, format: Format },
    /// `apply --plan PLAN`: exactly the planned changes.
    Plan(PathBuf),
    /// `--set`/`--where`/`--match`: computed from the pool (and an input file) into a plan,
    /// which is then sent as `apply --plan` sends one.
    Computed {
        rule: BackfillArgs,
        input: Option<PathBuf>,
    },
}

/// How rows are sent: the engine's settings, whichever command sends.
#[derive(Debug, Clone)]
pub struct Sending {
    pub rps: f64,
    /// `--category-rps`: ceilings by quota category.
    pub category_rps: Vec<(crate::cognito::call::Category, f64)>,
    pub concurrency: usize,
    pub max_retries: u32,
    pub call_timeout: Duration,
    /// A fraction (the flag is a percentage).
    pub max_failure_rate: f64,
    pub force: bool,
    /// The read just before each update, at this many calls a second (None: off).
    pub read_before_write: Option<f64>,
    pub limit: Option<u64>,
    pub restart: bool,
    pub retry_failed: bool,
}

/// The files a sending run writes.
#[derive(Debug, Clone)]
pub struct Files {
    pub report: PathBuf,
    pub failed: PathBuf,
    /// None: `--no-journal` (or a dry run).
    pub journal: Option<PathBuf>,
}

/// `apply`, read from its flags.
pub struct ApplyRun {
    pub pool_id: String,
    pub rows: Rows,
    pub input_args: InputArgs,
    pub read: ReadArgs,
    pub send: Sending,
    report: Option<PathBuf>,
    failed: Option<PathBuf>,
    pub journal: Option<PathBuf>,
    pub no_journal: bool,
    /// `--out`: where a computed plan goes.
    pub out: Option<PathBuf>,
}

impl ApplyRun {
    pub fn parse(args: ApplyArgs) -> Result<ApplyRun, Failure> {
        let rows = match (args.plan, args.input) {
            (_, input) if args.backfill.active() => Rows::Computed {
                rule: args.backfill,
                input,
            },
            (Some(plan), _) => Rows::Plan(plan),
            (None, Some(path)) => Rows::Input {
                format: input_format(&path, args.input_args.format)?,
                path,
            },
            (None, None) => unreachable!("clap requires INPUT or --plan"),
        };
        Ok(ApplyRun {
            pool_id: args.user_pool_id,
            rows,
            input_args: args.input_args,
            send: Sending {
                rps: args.rps,
                category_rps: args.category_rps.clone(),
                concurrency: usize::from(args.concurrency),
                max_retries: args.max_retries,
                call_timeout: Duration::from_secs_f64(args.call_timeout),
                max_failure_rate: args.max_failure_rate / 100.0,
                force: args.force,
                read_before_write: (!args.no_read_before_write).then_some(args.read_rps),
                limit: args.limit,
                restart: args.restart,
                retry_failed: args.retry_failed,
            },
            read: args.read,
            report: args.report,
            failed: args.failed,
            journal: args.journal,
            no_journal: args.no_journal,
            out: args.out,
        })
    }

    /// The report, failed-rows file and journal: the flags, or names beside `rows_file`.
    pub fn files(&self, rows_file: &Path, format: Format) -> Files {
        let ext = format.failed_extension(rows_file);
        Files {
            report: self
                .report
                .clone()
                .unwrap_or_else(|| files::beside_input(rows_file, "report.json")),
            failed: self
                .failed
                .clone()
                .unwrap_or_else(|| files::beside_input(rows_file, &format!("failed.{ext}"))),
            journal: (!self.no_journal).then(|| {
                self.journal
                    .clone()
                    .unwrap_or_else(|| files::beside_input(rows_file, "journal"))
            }),
        }
    }
}

/// `rollback`, read from its flags: the journal to undo, and the rollback's own run (its plan,
/// journal and reports beside the journal undone; how it sends).
pub struct UndoRun {
    /// The journal of the run to undo.
    pub undo: PathBuf,
    /// `JOURNAL.rollback.plan`.
    pub plan: PathBuf,
    /// The rollback's own journal, beside its plan (locked even by a dry run).
    pub journal: PathBuf,
    pub files: Files,
    /// No limit, no retry of failed rows; whether it starts over is decided once its plan is
    /// known.
    pub send: Sending,
}

impl UndoRun {
    pub fn parse(args: &RollbackArgs) -> UndoRun {
        let plan = PathBuf::from(format!("{}.rollback.plan", args.journal.display()));
        let journal = files::beside_input(&plan, "journal");
        UndoRun {
            undo: args.journal.clone(),
            files: Files {
                report: files::beside_input(&plan, "report.json"),
                failed: files::beside_input(&plan, "failed.jsonl"),
                journal: (!args.dry_run).then(|| journal.clone()),
            },
            send: Sending {
                rps: args.rps,
                category_rps: args.category_rps.clone(),
                concurrency: usize::from(args.concurrency),
                max_retries: args.max_retries,
                call_timeout: Duration::from_secs_f64(args.call_timeout),
                max_failure_rate: args.max_failure_rate / 100.0,
                force: args.force,
                read_before_write: (!args.no_read_before_write).then_some(args.read_rps),
                limit: None,
                restart: args.restart,
                retry_failed: false,
            },
            plan,
            journal,
        }
    }
}

impl Sending {
    /// The engine's options for sending `rows` (read with `input_options`) to `pool_id`:
    /// the one place they are built.
    pub fn options(
        &self,
        pool_id: &str,
        rows: PathBuf,
        input_options: InputOptions,
        files: &Files,
        preflight: Preflight,
        advice: crate::files::shell::Advice,
    ) -> ApplyOptions {
        ApplyOptions {
            input: rows,
            input_options,
            user_pool_id: pool_id.to_string(),
            rps: self.rps,
            category_rps: self.category_rps.clone(),
            concurrency: self.concurrency,
            retry: RetryPolicy {
                max_transient_retries: self.max_retries,
                ..RetryPolicy::default()
            },
            failed_path: files.failed.clone(),
            journal_path: files.journal.clone(),
            restart: self.restart,
            retry_failed: self.retry_failed,
            max_failure_rate: self.max_failure_rate,
            preflight: Some(preflight),
            limit: self.limit,
            force: self.force,
            read_before_write: self.read_before_write,
            advice,
        }
    }
}

/// The input's format: `--format`, or from the extension.
pub fn input_format(input: &Path, flag: Option<Format>) -> Result<Format, Failure> {
    flag.or_else(|| Format::from_path(input)).ok_or_else(|| {
        setup(anyhow!(
            "{}: cannot tell the format from the name; pass --format csv or --format jsonl",
            input.display()
        ))
    })
}
