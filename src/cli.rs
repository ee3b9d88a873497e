//! The command line: flags, subcommands and their help texts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::current::Source;
use crate::input::{EmptyCells, Format, InputOptions};

/// Change the attributes of many Amazon Cognito users at once, safely.
#[derive(Debug, Parser)]
#[command(name = "cognito-bulk", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags accepted by every command.
#[derive(Debug, Args)]
pub struct Global {
    /// AWS region (default: AWS_REGION or the profile's region).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Named profile from ~/.aws/config (default: AWS_PROFILE or "default").
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Send requests to this endpoint instead of AWS (e.g. a local test server).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Print nothing but errors.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print debug logs. Logs may then contain attribute values.
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// Answer yes to every confirmation.
    #[arg(long, short, global = true)]
    pub yes: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Update users' attributes from a CSV or JSONL file (resumes an interrupted run).
    Apply(ApplyArgs),
    /// Show what apply would change, without writing to the pool, and write a plan file.
    Plan(PlanArgs),
    /// Rebuild the report and summary of a run from its journal (also while it runs).
    Report(ReportArgs),
    /// Write every user of a pool to CSV or JSONL (valid input for plan and apply).
    Export(ExportArgs),
    /// Put back the attributes an apply run changed, from its journal.
    Rollback(RollbackArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The user pool to export.
    #[arg(long, value_name = "ID")]
    pub user_pool_id: String,
    /// The output file (.csv, .jsonl or .ndjson), or - for standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// Output format (default: from the extension; JSONL for standard output).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Only these attributes, comma-separated (default: every writable attribute).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub attributes: Option<Vec<String>>,
    /// A ListUsers filter, passed through, e.g. 'email ^= "a"'.
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// Add the users' status and enabled flag (columns that apply ignores).
    #[arg(long)]
    pub with_status: bool,
    /// Start over instead of resuming an interrupted export of the same output.
    #[arg(long)]
    pub restart: bool,
    /// Replace a finished export (or any other file) at --output.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The journal of the apply run to undo (INPUT.journal).
    pub journal: PathBuf,
    /// Show what would be restored, as plan does, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Restore also attributes changed by someone else since the run (conflicts).
    #[arg(long)]
    pub force: bool,
    /// Most calls per second.
    #[arg(long, default_value_t = 10.0, value_parser = parse_rps)]
    pub rps: f64,
    /// Most calls in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Retries of a transient failure (5xx, timeouts, broken connections) before a row fails.
    #[arg(long, default_value_t = 5)]
    pub max_retries: u32,
    /// Seconds one call may take before it counts as a timeout.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS", value_parser = parse_seconds)]
    pub call_timeout: f64,
    /// How many attribute changes the preview shows.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub show: usize,
    /// Start the rollback over (a new rollback plan) instead of resuming it.
    #[arg(long)]
    pub restart: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The journal of an apply run (INPUT.journal).
    pub journal: PathBuf,
    /// Print the JSON report instead of the summary.
    #[arg(long)]
    pub json: bool,
}

/// How the input is read; shared by `plan` and `apply`.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Input format (default: from the file extension; required for standard input).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// The column (CSV) or key (JSONL) naming the user: a username, an alias or the sub.
    #[arg(long, value_name = "NAME", default_value = "username")]
    pub key_column: String,
    /// What an empty CSV cell means.
    #[arg(long, value_enum, default_value = "ignore")]
    pub empty_cells: EmptyCells,
    /// Client metadata sent with every row (repeatable); a row's own entries win.
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub client_metadata: Vec<(String, String)>,
}

impl InputArgs {
    /// How rows are read, in `format` (resolved from `--format` or the file name).
    pub fn options(&self, format: Format) -> InputOptions {
        InputOptions {
            format,
            key_column: self.key_column.clone(),
            empty_cells: self.empty_cells,
            client_metadata: self.client_metadata.iter().cloned().collect(),
        }
    }
}

/// The pool-reading options shared by `plan` and `apply`.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// How to read users' current values: list (ListUsers, not billable), get (AdminGetUser
    /// per input user: each becomes a billable active user), auto (list unless the pool is
    /// far larger than the input), none (no diff: send every row as it is).
    #[arg(long, value_enum, default_value = "auto")]
    pub current_state: Source,
    /// Allow rows that change email or phone_number without setting email_verified /
    /// phone_number_verified to true: Cognito sends each such user a verification message.
    #[arg(long)]
    pub allow_verification_messages: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The input file (.csv, .jsonl or .ndjson). Without it, --set makes the pool the input.
    #[arg(required_unless_present = "set")]
    pub input: Option<PathBuf>,
    /// The user pool, e.g. us-east-1_AbCdEf123.
    #[arg(long, value_name = "ID")]
    pub user_pool_id: String,
    #[command(flatten)]
    pub input_args: InputArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Where to write the plan (default: INPUT.plan beside the input; with --set and no
    /// input, backfill-HASH.plan in the current folder).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// How many attribute changes to show.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub show: usize,
    /// Exit 0 when there is nothing to change, 2 when there are changes, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Reads in flight at once with --current-state get.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    #[command(flatten)]
    pub backfill: BackfillArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The input file (.csv, .jsonl or .ndjson), or - for standard input. Not with --plan.
    /// Without it, --set makes the pool the input.
    #[arg(required_unless_present_any = ["plan", "set"], conflicts_with = "plan")]
    pub input: Option<PathBuf>,
    /// Send exactly the changes of a plan file written by `plan` (no re-reading).
    #[arg(long, value_name = "PLAN", conflicts_with_all = ["set", "match_attr"])]
    pub plan: Option<PathBuf>,
    /// The user pool to update, e.g. us-east-1_AbCdEf123.
    #[arg(long, value_name = "ID")]
    pub user_pool_id: String,
    #[command(flatten)]
    pub input_args: InputArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Apply only the first N changes, then stop (a canary); run again to go on.
    /// Send a plan's rows even when their users changed since the plan was made (conflicts).
    #[arg(long)]
    pub force: bool,
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Most calls per second. Cognito allows 25 UserUpdate calls per second per account and
    /// region, shared with your live application.
    #[arg(long, default_value_t = 10.0, value_parser = parse_rps)]
    pub rps: f64,
    /// Most calls in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Retries after a 5xx, timeout or broken connection before a row fails. Throttled calls
    /// are retried until they succeed.
    #[arg(long, default_value_t = 5)]
    pub max_retries: u32,
    /// Seconds to wait for one call's answer before retrying it.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS", value_parser = parse_seconds)]
    pub call_timeout: f64,
    /// Where to write the JSON report (default: INPUT.report.json beside the input).
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// Where to write failed and invalid rows (default: INPUT.failed.csv/.jsonl beside the input).
    #[arg(long, value_name = "PATH")]
    pub failed: Option<PathBuf>,
    /// The journal recording every finished row (default: INPUT.journal beside the input).
    /// Running again with the same input, pool and options resumes from it.
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
    /// Start over instead of resuming; the old journal is kept under a new name.
    #[arg(long)]
    pub restart: bool,
    /// Keep no journal: the run cannot be resumed, and a re-run sends every row again.
    #[arg(long, conflicts_with_all = ["journal", "restart", "retry_failed"])]
    pub no_journal: bool,
    /// Resume, and also send again the rows an earlier run recorded as failed.
    #[arg(long)]
    pub retry_failed: bool,
    /// Stop when more than this percentage of the rows sent in this run failed (checked once
    /// 100 rows were sent).
    #[arg(long, default_value_t = 50.0, value_name = "PERCENT", value_parser = parse_percent)]
    pub max_failure_rate: f64,
    #[command(flatten)]
    pub backfill: BackfillArgs,
    /// With --set or --match: where to write the computed plan (default: backfill-HASH.plan
    /// in the current folder, or INPUT.backfill-HASH.plan); journal and report sit beside it.
    #[arg(long, value_name = "PATH", conflicts_with = "plan")]
    pub out: Option<PathBuf>,
}

/// Computed backfills: values from templates, the pool as input, matching by any attribute.
#[derive(Debug, Args, Clone, Default)]
pub struct BackfillArgs {
    /// Set NAME to a MiniJinja template (repeatable), e.g. 'custom:tenant={{ email | domain }}'.
    /// Variables: username, sub, attrs, email and the other standard attributes, custom.NAME,
    /// row.COLUMN (with an input). Extra filters: domain, local_part, sha256.
    #[arg(long = "set", value_name = "NAME=TEMPLATE")]
    pub set: Vec<String>,
    /// Change only users for whom this MiniJinja expression is true, e.g.
    /// 'attrs["custom:tenant"] is not defined and email is defined'.
    #[arg(long = "where", value_name = "EXPR", requires = "set")]
    pub where_: Option<String>,
    /// With --set and no input: a ListUsers filter narrowing the pool, e.g. 'email ^= "a"'.
    #[arg(long, value_name = "EXPR", requires = "set")]
    pub filter: Option<String>,
    /// Match input rows to users by this attribute (e.g. email, custom:legacy_id) instead of
    /// the username; email ignores case.
    #[arg(long = "match", value_name = "ATTR")]
    pub match_attr: Option<String>,
    /// A template that renders to the empty string deletes the attribute (otherwise that row
    /// is invalid).
    #[arg(long, requires = "set")]
    pub empty_is_delete: bool,
}

impl BackfillArgs {
    /// Whether rows are computed (templates, or matching by an attribute).
    pub fn active(&self) -> bool {
        !self.set.is_empty() || self.match_attr.is_some()
    }
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got {s:?}")),
    }
}

fn parse_rps(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.5..=10_000.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "expected a number of calls per second from 0.5 to 10000, got {s:?}"
        )),
    }
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.01..=3600.0).contains(&v) => Ok(v),
        _ => Err(format!("expected seconds from 0.01 to 3600, got {s:?}")),
    }
}

fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v),
        _ => Err(format!("expected a percentage from 0 to 100, got {s:?}")),
    }
}
