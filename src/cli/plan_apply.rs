//! The flags of `plan` and `apply`: the two commands that read an input (or compute one) and
//! decide every row, so they share most groups; apart from the other commands for their size.

use std::path::PathBuf;

use clap::Args;

use super::groups::{AwsArgs, BackfillArgs, InputArgs, ReadArgs};
use super::values::Color;
use super::values::{parse_category_rps, parse_percent, parse_rps, parse_seconds, parse_show};

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The input file (.csv, .jsonl or .ndjson), or - for standard input. Without it, --set
    /// (or --add-group, --remove-group) makes the pool the input.
    #[arg(required_unless_present = "rule")]
    pub input: Option<PathBuf>,
    /// The user pool, e.g. us-east-1_AbCdEf123.
    #[arg(long, value_name = "ID", help_heading = "Required")]
    pub user_pool_id: String,
    /// How many attribute changes to show (a number, or all).
    #[arg(long, default_value = "20", value_name = "N|all", value_parser = parse_show)]
    pub show: usize,
    /// Exit 0 when there is nothing to change, 2 when there are changes, 1 on any error
    /// (usage errors included).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Print the summary as one JSON object on standard output, and nothing else there.
    #[arg(long)]
    pub json: bool,
    /// Colour in the preview: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value = "auto", hide_possible_values = true)]
    pub color: Color,
    #[command(flatten)]
    pub input_args: InputArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Where to write the plan (default: INPUT.plan beside the input; with --set and no
    /// input, backfill-HASH.plan in the current folder).
    #[arg(long, value_name = "PATH", help_heading = "Files")]
    pub out: Option<PathBuf>,
    /// Also write the plan for review as Markdown: summary, the rule, the changes as a table.
    #[arg(long, value_name = "PATH", help_heading = "Files")]
    pub markdown: Option<PathBuf>,
    /// In the Markdown file, replace every value by a short hash (same value, same hash), so
    /// that it can go into a change ticket without personal data.
    #[arg(long, requires = "markdown", help_heading = "Files")]
    pub redact: bool,
    /// Reads in flight at once with --current-state get.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256), help_heading = "Reading the pool")]
    pub concurrency: u16,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub backfill: BackfillArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The input file (.csv, .jsonl or .ndjson), or - for standard input. Not with --plan.
    /// Without it, --set (or --add-group, --remove-group) makes the pool the input.
    #[arg(required_unless_present_any = ["plan", "rule"], conflicts_with = "plan")]
    pub input: Option<PathBuf>,
    /// Send exactly the changes of a plan file written by `plan`; a user changed since the plan
    /// was made is left alone as a conflict (unless --force).
    #[arg(long, value_name = "PLAN", conflicts_with_all = ["rule", "match_attr", "where_", "filter", "empty_is_delete", "sign_out", "exact_groups"], help_heading = "Input")]
    pub plan: Option<PathBuf>,
    /// The user pool to update, e.g. us-east-1_AbCdEf123.
    #[arg(long, value_name = "ID", help_heading = "Required")]
    pub user_pool_id: String,
    /// Print the summary as one JSON object on standard output (the report's fields).
    #[arg(long)]
    pub json: bool,
    /// Colour in the preview: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value = "auto", hide_possible_values = true)]
    pub color: Color,
    #[command(flatten)]
    pub input_args: InputArgs,
    #[command(flatten)]
    pub read: ReadArgs,
    /// Apply only the first N changes, then stop (a canary); run again to go on.
    #[arg(long, value_name = "N", help_heading = "Sending")]
    pub limit: Option<u64>,
    /// Send rows even when their users changed since the plan was made, or since they were
    /// read before sending (conflicts).
    #[arg(long, help_heading = "Runs")]
    pub force: bool,
    /// Do not read each user (AdminGetUser, UserRead quota) just before its update: a change
    /// someone else makes during the run is then overwritten without a conflict, and the
    /// journal's before-values are the pre-read's or the plan's (see README, Sending).
    #[arg(long, help_heading = "Sending")]
    pub no_read_before_write: bool,
    /// AdminGetUser calls per second for the read just before each update (UserRead: 120/s
    /// per account and region, shared with your live application). The updates cannot go
    /// faster than these reads: raise it with bought UserRead capacity.
    #[arg(long, default_value_t = 80.0, value_parser = parse_rps, help_heading = "Sending")]
    pub read_rps: f64,
    /// Most calls per second. Cognito allows 25 UserUpdate calls per second per account and
    /// region, shared with your live application.
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
    /// Retries after a 5xx, timeout or broken connection before a row fails. Throttled calls
    /// are retried until they succeed.
    #[arg(long, default_value_t = 5, help_heading = "Sending")]
    pub max_retries: u32,
    /// Seconds to wait for one call's answer before retrying it.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS", value_parser = parse_seconds, help_heading = "Sending")]
    pub call_timeout: f64,
    /// Where to write the JSON report (default: INPUT.report.json beside the input).
    #[arg(long, value_name = "PATH", help_heading = "Files")]
    pub report: Option<PathBuf>,
    /// Where to write failed and invalid rows (default: INPUT.failed.csv/.jsonl beside the input).
    #[arg(long, value_name = "PATH", help_heading = "Files")]
    pub failed: Option<PathBuf>,
    /// The journal recording every finished row (default: INPUT.journal beside the input).
    /// Running again with the same input, pool and options resumes from it.
    #[arg(long, value_name = "PATH", help_heading = "Files")]
    pub journal: Option<PathBuf>,
    /// Start over instead of resuming; the old journal is kept under a new name.
    #[arg(long, help_heading = "Runs")]
    pub restart: bool,
    /// Keep no journal: the run cannot be resumed, and a re-run sends every row again.
    #[arg(long, conflicts_with_all = ["journal", "restart", "retry_failed"], help_heading = "Files")]
    pub no_journal: bool,
    /// Resume, and also send again the rows an earlier run recorded as failed.
    #[arg(long, help_heading = "Runs")]
    pub retry_failed: bool,
    /// Stop when more than this percentage of the rows sent in this run failed (checked once
    /// 100 rows were sent).
    #[arg(long, default_value_t = 50.0, value_name = "PERCENT", value_parser = parse_percent, help_heading = "Runs")]
    pub max_failure_rate: f64,
    /// Answer yes to the confirmation.
    #[arg(long, short, help_heading = "Runs")]
    pub yes: bool,
    #[command(flatten)]
    pub aws: AwsArgs,
    #[command(flatten)]
    pub backfill: BackfillArgs,
    /// With --set or --match: where to write the computed plan (default: backfill-HASH.plan
    /// in the current folder, or INPUT.backfill-HASH.plan); journal and report sit beside it.
    #[arg(
        long,
        value_name = "PATH",
        conflicts_with = "plan",
        help_heading = "Files"
    )]
    pub out: Option<PathBuf>,
}
