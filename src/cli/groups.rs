//! The groups of flags several commands share (AWS settings, how the input is read, how the
//! pool is read, computed backfills), each flattened into the commands that take it under its
//! own help heading.

use clap::Args;

use super::values::parse_key_value;
use crate::model::source::Source;
use crate::rows::input::{EmptyCells, Format, InputOptions, RowOps};

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
    /// Read the `groups` column as each user's full set of groups: users are added to the
    /// groups listed and removed from every other group (reads every group of the pool).
    #[arg(long)]
    pub exact_groups: bool,
    /// Sign each changed user out everywhere (AdminUserGlobalSignOut) after its other
    /// changes, so that its next tokens carry the new values. Cannot be undone.
    #[arg(long)]
    pub sign_out: bool,
}

impl InputArgs {
    /// How rows are read, in `format` (resolved from `--format` or the file name).
    pub fn options(&self, format: Format) -> InputOptions {
        InputOptions {
            format,
            key_column: self.key_column.clone(),
            empty_cells: self.empty_cells,
            client_metadata: self.client_metadata.iter().cloned().collect(),
            ops: RowOps {
                exact_groups: self.exact_groups,
                sign_out: self.sign_out,
            },
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
    /// Allow a run that disables more than 10% of the pool's users (its estimated number):
    /// without it such a run is refused before any write.
    #[arg(long)]
    pub allow_mass_disable: bool,
}

/// Computed backfills: values from templates, the pool as input, matching by any attribute.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Backfill")]
#[command(group = clap::ArgGroup::new("rule").multiple(true))]
pub struct BackfillArgs {
    /// Set NAME to a MiniJinja template (repeatable), e.g. 'custom:tenant={{ email | domain }}'.
    /// Variables: username, sub, attrs, email and the other standard attributes, custom.NAME,
    /// row.COLUMN (with an input). Extra filters: domain, local_part, sha256. NAME may also be
    /// enabled (the template gives true or false), groups_add or groups_remove (group names).
    #[arg(long = "set", value_name = "NAME=TEMPLATE", group = "rule")]
    pub set: Vec<String>,
    /// Add every user the rule selects to group NAME (repeatable), e.g. with
    /// --where 'custom.tier == "pro"'.
    #[arg(long = "add-group", value_name = "NAME", group = "rule")]
    pub add_group: Vec<String>,
    /// Remove every user the rule selects from group NAME (repeatable).
    #[arg(long = "remove-group", value_name = "NAME", group = "rule")]
    pub remove_group: Vec<String>,
    /// Change only users for whom this MiniJinja expression is true (it must give true or
    /// false), e.g. 'attrs["custom:tenant"] is not defined and email is defined'.
    #[arg(long = "where", value_name = "EXPR", requires = "rule")]
    pub where_: Option<String>,
    /// With --set (or a group flag) and no input: a server-side filter narrowing the pool,
    /// e.g. 'email ^= "a"'.
    #[arg(long, value_name = "EXPR", requires = "rule")]
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
    /// Whether rows are computed (templates, group flags, or matching by an attribute).
    pub fn active(&self) -> bool {
        self.computes() || self.match_attr.is_some()
    }

    /// Whether a rule computes values: `--set`, `--add-group` or `--remove-group`.
    pub fn computes(&self) -> bool {
        !self.set.is_empty() || !self.add_group.is_empty() || !self.remove_group.is_empty()
    }
}
