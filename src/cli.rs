//! The command line: flags, subcommands and their help texts. Each command takes only the
//! flags it uses, under headings (Input, Reading the pool, Sending, Files, Runs, AWS); what the
//! rest of the tool needs from them is gathered in [`Global`] after parsing.
//!
//! This file holds the top of the tree (the program, its flags before the command, the list of
//! commands); each command's flags, the groups they share, the values flags take and the
//! parsing itself live in the files of `cli/`, re-exported here so that `crate::cli::X` names
//! them all.

use clap::{Args, Parser, Subcommand};

mod commands;
mod examples;
mod groups;
mod parse;
mod plan_apply;
mod values;

pub use commands::{CompletionsArgs, ExportArgs, ReportArgs, RollbackArgs};
pub use groups::{AwsArgs, BackfillArgs, InputArgs, ReadArgs};
pub use parse::json_error;
pub use plan_apply::{ApplyArgs, PlanArgs};
pub use values::{Color, LogFormat};

/// Change the attributes of many Amazon Cognito users at once, safely.
#[derive(Debug, Parser)]
#[command(name = "cognito-bulk", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub output: OutputArgs,
    /// The AWS flags and --yes also accepted before the command (`cognito-bulk --yes apply`).
    #[command(flatten)]
    pub before: BeforeCommand,
    /// Filled from the command's own flags by [`Cli::parse_args`].
    #[arg(skip)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// What every command's run needs to know of the command line, whichever command it is.
#[derive(Debug, Default, Clone)]
pub struct Global {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub quiet: bool,
    pub verbose: bool,
    pub yes: bool,
    /// Print the summary as one JSON object on standard output, and nothing else there.
    pub json: bool,
    pub color: Color,
    /// `--log-format json`: every line on standard error is a JSON log event.
    pub log_json: bool,
}

/// Flags of every command: what is printed, and how.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Print nothing but errors.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print debug logs, the AWS SDK's included. Logs may then contain attribute values.
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// The format of the logs on standard error.
    #[arg(long, value_enum, default_value = "text", global = true)]
    pub log_format: LogFormat,
}

/// Earlier releases took the AWS flags and --yes before the command; still accepted there,
/// not shown in the help.
#[derive(Debug, Args)]
pub struct BeforeCommand {
    #[arg(long, hide = true)]
    pub region: Option<String>,
    #[arg(long, hide = true)]
    pub profile: Option<String>,
    #[arg(long, hide = true)]
    pub endpoint_url: Option<String>,
    #[arg(long, short, hide = true)]
    pub yes: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Update users' attributes from a CSV or JSONL file (resumes an interrupted run).
    #[command(after_help = examples::APPLY)]
    Apply(ApplyArgs),
    /// Show what apply would change, without writing to the pool, and write a plan file.
    #[command(after_help = examples::PLAN)]
    Plan(PlanArgs),
    /// Rebuild the report and summary of a run from its journal (also while it runs).
    #[command(after_help = examples::REPORT)]
    Report(ReportArgs),
    /// Write every user of a pool to CSV or JSONL (valid input for plan and apply).
    #[command(after_help = examples::EXPORT)]
    Export(ExportArgs),
    /// Put back the attributes an apply run changed, from its journal.
    #[command(after_help = examples::ROLLBACK)]
    Rollback(RollbackArgs),
    /// Print a shell completion script.
    #[command(after_help = examples::COMPLETIONS)]
    Completions(CompletionsArgs),
}
