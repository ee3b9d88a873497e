//! The command line: flags, subcommands and their help texts. Each command takes only the
//! flags it uses, under headings (Input, Reading the pool, Sending, Files, Runs, AWS); what the
//! rest of the tool needs from them is gathered in [`Global`] after parsing.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::model::source::Source;
use crate::rows::input::{EmptyCells, Format, InputOptions};

mod examples;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One line of text per event.
    Text,
    /// One JSON object per event (tracing-subscriber's format).
    Json,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// On a terminal, unless NO_COLOR is set.
    #[default]
    Auto,
    Always,
    Never,
}

impl Color {
    /// Whether to colour standard output.
    pub fn enabled(self) -> bool {
        use std::io::IsTerminal;
        self.enabled_on(std::io::stdout().is_terminal())
    }

    /// Whether to colour a stream that is (or is not) a terminal, e.g. standard error.
    pub fn enabled_on(self, terminal: bool) -> bool {
        self.decide(terminal, std::env::var_os("NO_COLOR").as_deref())
    }

    /// `auto` colours a terminal unless NO_COLOR is set to something (no-color.org).
    fn decide(self, terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }
}

/// The AWS settings, for the commands that call AWS.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "AWS")]
pub struct AwsArgs {
    /// AWS region (default: AWS_REGION or the profile's region).
    #[arg(long)]
    pub region: Option<String>,
    /// Named profile from ~/.aws/config (default: AWS_PROFILE or "default").
    #[arg(long)]
    pub profile: Option<String>,
    /// Send requests to this endpoint instead of AWS (e.g. a local test server).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
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

impl Global {
    /// How the commands the tool prints are written: with the AWS flags given here.
    pub fn commands(&self) -> crate::files::shell::Commands {
        crate::files::shell::Commands::new(
            self.region.as_deref(),
            self.profile.as_deref(),
            self.endpoint_url.as_deref(),
        )
    }
}

impl Cli {
    /// Parses the command line (exiting on a usage error: 2, or 1 with `plan
    /// --detailed-exitcode`, where 2 means "changes"). Arguments are read as OS strings: a
    /// value that is not UTF-8 where text is needed is a usage error, never a panic.
    pub fn parse_args() -> Cli {
        let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        let mut cli = Cli::try_parse_from(&args).unwrap_or_else(|e| usage_exit(&e, &args));
        cli.global = cli.gather();
        cli
    }

    /// Parses `args` (the program's name first) as [`Cli::parse_args`] does, returning a
    /// usage error instead of exiting: for in-process runs of the command layer.
    pub fn try_parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let mut cli = Cli::try_parse_from(args)?;
        cli.global = cli.gather();
        Ok(cli)
    }

    fn gather(&self) -> Global {
        let none = AwsArgs::default();
        let never = Color::Never;
        let (aws, yes, json, color) = match &self.command {
            Command::Apply(a) => (&a.aws, a.yes, a.json, a.color),
            Command::Plan(a) => (&a.aws, false, a.json, a.color),
            Command::Rollback(a) => (&a.aws, a.yes, a.json, a.color),
            Command::Export(a) => (&a.aws, false, false, never),
            Command::Report(a) => (&none, false, a.json, never),
            Command::Completions(_) => (&none, false, false, never),
        };
        let b = &self.before;
        Global {
            region: aws.region.clone().or_else(|| b.region.clone()),
            profile: aws.profile.clone().or_else(|| b.profile.clone()),
            endpoint_url: aws.endpoint_url.clone().or_else(|| b.endpoint_url.clone()),
            quiet: self.output.quiet,
            verbose: self.output.verbose,
            yes: yes || b.yes,
            json,
            color,
            log_json: self.output.log_format == LogFormat::Json,
        }
    }
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
    /// Add the users' status and enabled flag (columns that apply ignores).
    #[arg(long, help_heading = "Reading the pool")]
    pub with_status: bool,
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

/// How the input is read; shared by `plan` and `apply`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Input")]
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
#[command(next_help_heading = "Reading the pool")]
pub struct ReadArgs {
    /// How to read users' current values.
    #[arg(long, value_enum, default_value = "auto")]
    pub current_state: Source,
    /// Allow rows that change email or phone_number without setting email_verified /
    /// phone_number_verified to true: Cognito sends each such user a verification message.
    #[arg(long)]
    pub allow_verification_messages: bool,
    /// Allow a run that would send more emails than Cognito's default email sender delivers
    /// in a day (50 for the account): without it such a run is refused before any write.
    #[arg(long)]
    pub allow_over_email_limit: bool,
    /// Allow rows that change an attribute the pool's identity providers map, for users who
    /// sign in through one: the provider writes it again at their next sign-in.
    #[arg(long)]
    pub allow_overwritten_at_sign_in: bool,
    /// Send again the email and phone changes an earlier run of the same journal left
    /// pending (the users are mailed another code); by default they are not sent again.
    #[arg(long)]
    pub resend_pending: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The input file (.csv, .jsonl or .ndjson), or - for standard input. Without it, --set
    /// makes the pool the input.
    #[arg(required_unless_present = "set")]
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
    /// Without it, --set makes the pool the input.
    #[arg(required_unless_present_any = ["plan", "set"], conflicts_with = "plan")]
    pub input: Option<PathBuf>,
    /// Send exactly the changes of a plan file written by `plan`; a user changed since the plan
    /// was made is left alone as a conflict (unless --force).
    #[arg(long, value_name = "PLAN", conflicts_with_all = ["set", "match_attr", "where_", "filter", "empty_is_delete"], help_heading = "Input")]
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

/// Computed backfills: values from templates, the pool as input, matching by any attribute.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Backfill")]
pub struct BackfillArgs {
    /// Set NAME to a MiniJinja template (repeatable), e.g. 'custom:tenant={{ email | domain }}'.
    /// Variables: username, sub, attrs, email and the other standard attributes, custom.NAME,
    /// row.COLUMN (with an input). Extra filters: domain, local_part, sha256.
    #[arg(long = "set", value_name = "NAME=TEMPLATE")]
    pub set: Vec<String>,
    /// Change only users for whom this MiniJinja expression is true (it must give true or
    /// false), e.g. 'attrs["custom:tenant"] is not defined and email is defined'.
    #[arg(long = "where", value_name = "EXPR", requires = "set")]
    pub where_: Option<String>,
    /// With --set and no input: a server-side filter narrowing the pool, e.g. 'email ^= "a"'.
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

/// `--show N` or `--show all`.
fn parse_show(s: &str) -> Result<usize, String> {
    match s {
        "all" => Ok(usize::MAX),
        _ => s
            .parse()
            .map_err(|_| format!("expected a number or all, got {s:?}")),
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

/// Reports a usage error and exits: on standard error as text (or one JSON event with
/// `--log-format json`), and with `--json` also as the one JSON object on standard output.
fn usage_exit(e: &clap::Error, args: &[std::ffi::OsString]) -> ! {
    // Only to look for flags: a non-UTF-8 argument is none of them.
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    let detailed = e.use_stderr() && has("--detailed-exitcode") && has("plan");
    let code = if detailed { 1 } else { e.exit_code() };
    if !e.use_stderr() {
        // --help, --version: not an error.
        e.exit()
    }
    let message = e.to_string();
    let message = message.trim_end();
    if has("--json") {
        println!("{}", json_error("usage", message, code));
    }
    // A usage error with `--log-format json` asked for: one JSON event like every other
    // line on standard error (the logs are not set up yet, so it is written here).
    let log_json = args
        .windows(2)
        .any(|w| w[0] == "--log-format" && w[1] == "json")
        || has("--log-format=json");
    if log_json {
        let event = serde_json::json!({
            "timestamp": now_rfc3339(),
            "level": "ERROR",
            "fields": { "message": message },
        });
        eprintln!("{event}");
    } else {
        let _ = e.print();
    }
    std::process::exit(code)
}

/// The one JSON object `--json` prints on standard output when a command ends in an error:
/// `{"error": {"code": CODE, "message": TEXT}, "exit": N}` (README, Output).
pub fn json_error(code: &str, message: &str, exit: i32) -> serde_json::Value {
    serde_json::json!({
        "error": { "code": code, "message": message },
        "exit": exit,
    })
}

/// The time now as RFC 3339 UTC, as tracing-subscriber's JSON events give it.
fn now_rfc3339() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    crate::report::rfc3339(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_on_a_terminal_unless_no_color_or_told_otherwise() {
        let set = Some(std::ffi::OsStr::new("1"));
        let empty = Some(std::ffi::OsStr::new(""));
        assert!(Color::Auto.decide(true, None));
        assert!(Color::Auto.decide(true, empty));
        assert!(!Color::Auto.decide(true, set));
        assert!(!Color::Auto.decide(false, None));
        assert!(Color::Always.decide(false, set));
        assert!(!Color::Never.decide(true, None));
    }

    #[test]
    fn show_takes_a_number_or_all() {
        assert_eq!(parse_show("5"), Ok(5));
        assert_eq!(parse_show("all"), Ok(usize::MAX));
        assert!(parse_show("many").is_err());
    }
}
