//! The flags of the commands that read no input file: `rollback` (a journal), `report` (a
//! journal), `export` (the pool) and `completions`.

use std::path::PathBuf;

use clap::Args;

use super::groups::AwsArgs;
use super::values::Color;
use super::values::{parse_category_rps, parse_percent, parse_rps, parse_seconds, parse_show};
use crate::rows::input::Format;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The user pool to export.
    #[arg(long, value_name = "ID", help_heading = "Required")]
    pub user_pool_id: String,
    /// The output file (.csv, .jsonl or .ndjson), or - for standard output.
    #[arg(long, short, value_name = "FILE", help_heading = "Files")]
    pub output: PathBuf,
    /// Output format (default: from the extension; JSONL for standard output).
    #[arg(long, value_enum, help_heading = "Files")]
    pub format: Option<Format>,
    /// Only these attributes, comma-separated (default: every writable attribute).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "NAMES",
        help_heading = "Reading the pool"
    )]
    pub attributes: Option<Vec<String>>,
    /// A ListUsers filter, passed through, e.g. 'email ^= "a"'.
    #[arg(long, value_name = "EXPR", help_heading = "Reading the pool")]
    pub filter: Option<String>,
    /// Add the users' status (which apply ignores) and an `enabled` column (true/false).
    #[arg(long, help_heading = "Reading the pool")]
    pub with_status: bool,
    /// Add a `groups` column: each user's full set of groups (read with ListGroups and
    /// ListUsersInGroup per group, not a call per user); plan it back with --exact-groups.
    #[arg(long, help_heading = "Reading the pool")]
    pub with_groups: bool,
    /// Start over instead of resuming an interrupted export of the same output.
    #[arg(long, help_heading = "Runs")]
    pub restart: bool,
    /// Replace a finished export (or any other file) at --output.
    #[arg(long, help_heading = "Runs")]
    pub force: bool,
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The journal of the apply run to undo (INPUT.journal).
    pub journal: PathBuf,
    /// Print the summary as one JSON object on standard output (the report's fields).
    #[arg(long)]
    pub json: bool,
    /// Colour in the preview: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value = "auto", hide_possible_values = true)]
    pub color: Color,
    /// Show what would be restored, as plan does, and write nothing.
    #[arg(long, help_heading = "Runs")]
    pub dry_run: bool,
    /// Restore also attributes changed by someone else since the run (conflicts).
    #[arg(long, help_heading = "Runs")]
    pub force: bool,
    /// Do not read each user (AdminGetUser) just before its restore: a change made during
    /// the rollback is then overwritten without a conflict.
    #[arg(long, help_heading = "Sending")]
    pub no_read_before_write: bool,
    /// AdminGetUser calls per second for the read just before each update (UserRead: 120/s
    /// per account and region, shared with your live application). The updates cannot go
    /// faster than these reads: raise it with bought UserRead capacity.
    #[arg(long, default_value_t = 80.0, value_parser = parse_rps, help_heading = "Sending")]
    pub read_rps: f64,
    /// Allow restoring an email or phone number that was not verified before the run:
    /// Cognito sends each such user a verification message.
    #[arg(long)]
    pub allow_verification_messages: bool,
    /// Allow a rollback that would send more emails than Cognito's default email sender
    /// delivers in a day (50 for the account): without it such a rollback (and its dry run)
    /// is refused before any write.
    #[arg(long)]
    pub allow_over_email_limit: bool,
    /// Most calls per second.
    #[arg(long, default_value_t = 10.0, value_parser = parse_rps, help_heading = "Sending")]
    pub rps: f64,
    /// A quota category's ceiling in calls a second, as CATEGORY=N (UserUpdate, UserRead,
    /// UserList, UserResourceRead, UserResourceUpdate, UserPoolRead, UserPoolResourceRead).
    /// Each category is paced on its own; one not named runs at 40% of its default quota.
    /// Repeatable; wins over --rps (UserUpdate) and --read-rps (UserRead).
    #[arg(long, value_name = "CATEGORY=N", value_parser = parse_category_rps, help_heading = "Sending")]
    pub category_rps: Vec<(crate::cognito::call::Category, f64)>,
    /// Most calls in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256), help_heading = "Sending")]
    pub concurrency: u16,
    /// Retries of a transient failure (5xx, timeouts, broken connections) before a row fails.
    #[arg(long, default_value_t = 5, help_heading = "Sending")]
    pub max_retries: u32,
    /// Seconds one call may take before it counts as a timeout.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS", value_parser = parse_seconds, help_heading = "Sending")]
    pub call_timeout: f64,
    /// Stop when more than this share of the rows sent in this run failed (after 100 rows).
    #[arg(long, default_value_t = 50.0, value_name = "PERCENT", value_parser = parse_percent, help_heading = "Runs")]
    pub max_failure_rate: f64,
    /// How many attribute changes the preview shows (a number, or all).
    #[arg(long, default_value = "20", value_name = "N|all", value_parser = parse_show)]
    pub show: usize,
    /// Start the rollback over (a new rollback plan) instead of resuming it.
    #[arg(long, help_heading = "Runs")]
    pub restart: bool,
    /// Answer yes to the confirmation.
    #[arg(long, short, help_heading = "Runs")]
    pub yes: bool,
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The journal of an apply run (INPUT.journal).
    pub journal: PathBuf,
    /// Print the JSON report instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Also write the HTML report (charts rebuilt from the journal) to PATH.
    #[arg(long, value_name = "PATH", help_heading = "Files")]
    pub html: Option<PathBuf>,
}
