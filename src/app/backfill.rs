//! A computed backfill (`--set`, `--where`, `--match`), shared by `plan` and `apply`: the
//! rules parsed (flags that do not go together refused before any call), the input's reads
//! checked, the rows computed from the pool and decided into a plan file, the plan's default
//! name, and whether an earlier run of it can be resumed.

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use aws_sdk_cognitoidentityprovider::types::UserPoolType;
use tokio_util::sync::CancellationToken;

use super::flags::input_format;
use super::outcome::{Failure, setup};
use crate::cli::{BackfillArgs, InputArgs, ReadArgs};
use crate::cognito::Pool;
use crate::decide::all::{self as decide_all, PlanOptions};
use crate::decide::backfill::{self, Spec};
use crate::files;
use crate::model::source::Source;
use crate::plan::file;
use crate::plan::summary::PlanSummary;
use crate::progress::Reporter;
use crate::rows::input::InputOptions;
use crate::rows::template::Rules;

mod named;

pub use named::{default_plan, resumable, rule, rule_lines, sets};

/// A computed rule, checked against its flags and its input before any call.
pub struct Rule<'a> {
    pub args: &'a BackfillArgs,
    rules: Option<Rules>,
    pub input: Option<&'a Path>,
    pub io: InputOptions,
    /// `--current-state get`: the input's keys looked up with ListUsers filters.
    filtered: bool,
    /// `--allow-overwritten-at-sign-in`.
    allow_overwritten_at_sign_in: bool,
}

impl<'a> Rule<'a> {
    /// The rule of `args` over `input` (None: the pool is the input), with `rules` as
    /// [`parse`] gave them: the input's format known and what the rules read of it checked.
    pub fn new(
        args: &'a BackfillArgs,
        rules: Option<Rules>,
        input: Option<&'a Path>,
        input_args: &InputArgs,
        read: &ReadArgs,
    ) -> Result<Rule<'a>, Failure> {
        let io = match input {
            Some(input) => input_args.options(input_format(input, input_args.format)?),
            None => input_args.options(crate::rows::input::Format::Jsonl),
        };
        if let Some(rules) = &rules {
            backfill::check_row_reads(rules, input, &io).map_err(setup)?;
        }
        // With `--current-state get` and an attribute Cognito can filter on, the input's keys
        // are looked up one by one (otherwise the pool is read).
        let filtered =
            read.current_state == Source::Get && backfill::filterable(args.match_attr.as_deref());
        Ok(Rule {
            args,
            rules,
            input,
            io,
            allow_overwritten_at_sign_in: read.allow_overwritten_at_sign_in,
            filtered,
        })
    }

    /// The plan's path when `--out` does not say: named after the rule (see [`default_plan`]).
    pub fn default_out(&self, pool_id: &str) -> PathBuf {
        default_plan(pool_id, self.args, self.input, &self.io)
    }

    /// What [`compute_plan`] needs to plan for `user_pool_id`, the preview showing `show`
    /// changes: the one place a computed job is built.
    pub fn job(&self, user_pool_id: &'a str, allow_messages: bool, show: usize) -> Job<'_> {
        Job {
            args: self.args,
            rules: self.rules.as_ref(),
            input: self.input,
            io: &self.io,
            user_pool_id,
            allow_verification_messages: allow_messages,
            allow_overwritten_at_sign_in: self.allow_overwritten_at_sign_in,
            show,
            filtered: self.filtered,
            pending_from: None,
        }
    }

    /// Whether the plan at `out` is this rule's plan for `pool_id` (a backfill plan whose rule
    /// and pool are the command line's).
    pub fn made(&self, out: &Path, pool_id: &str) -> bool {
        file::read_header(out).is_ok_and(|h| {
            h.backfill.as_ref() == Some(&rule(self.args)) && h.user_pool_id == pool_id
        })
    }
}

/// What a computed plan needs, from the flags.
pub struct Job<'a> {
    args: &'a BackfillArgs,
    rules: Option<&'a Rules>,
    input: Option<&'a Path>,
    io: &'a InputOptions,
    user_pool_id: &'a str,
    allow_verification_messages: bool,
    /// `--allow-overwritten-at-sign-in`: changes to attributes an identity provider maps,
    /// for federated users, are planned rather than refused.
    allow_overwritten_at_sign_in: bool,
    show: usize,
    filtered: bool,
    /// The journal whose runs' pending address changes the plan leaves out (`apply`, unless
    /// `--resend-pending`), as the sending of the plan would.
    pending_from: Option<&'a Path>,
}

impl<'a> Job<'a> {
    /// Leaves out of the plan (its preview and message counts) the address changes the runs
    /// of `journal` (and of the journals kept aside beside it) left pending.
    pub fn pending_from(self, journal: Option<&'a Path>) -> Job<'a> {
        Job {
            pending_from: journal,
            ..self
        }
    }
}

/// Parses the rules and refuses flags that do not go together: before any call.
pub fn parse(
    args: &BackfillArgs,
    input: Option<&Path>,
    read: &ReadArgs,
) -> Result<Option<Rules>, Failure> {
    if input.is_some_and(|i| i.as_os_str() == "-") {
        return Err(setup(anyhow!(
            "--set and --match read the input twice: give a file, not standard input"
        )));
    }
    if input.is_some() && args.filter.is_some() {
        return Err(setup(anyhow!(
            "--filter narrows the pool as input: it does not go with an input file"
        )));
    }
    if read.current_state == Source::None {
        return Err(setup(anyhow!(
            "--set and --match read the pool (the values they compute and compare): \
             --current-state none does not apply"
        )));
    }
    if read.current_state == Source::Get && input.is_none() {
        return Err(setup(anyhow!(
            "the pool as input is read whole with ListUsers: --current-state get needs an input \
             file (its keys are then looked up one by one)"
        )));
    }
    if let Some(attr) = &args.match_attr
        && let Err(why) = crate::cognito::rules::check_name(attr).or_else(|e| match attr.as_str() {
            "sub" => Ok(()),
            _ => Err(e),
        })
    {
        return Err(setup(anyhow!("--match {attr}: {attr} {why}")));
    }
    if !args.computes() {
        return Ok(None);
    }
    group_flags(args).map_err(setup)?;
    Rules::parse(&sets(args), args.where_.as_deref(), args.empty_is_delete)
        .map(Some)
        .map_err(setup)
}

/// `--add-group` and `--remove-group`: names Cognito takes, none in both, and not given
/// beside the `--set groups_add=` / `groups_remove=` they stand for.
fn group_flags(args: &BackfillArgs) -> anyhow::Result<()> {
    use crate::rows::template::columns::check_group;
    let flags = [
        ("--add-group", "groups_add", &args.add_group),
        ("--remove-group", "groups_remove", &args.remove_group),
    ];
    for (flag, column, names) in flags {
        for name in names.iter() {
            check_group(name).map_err(|why| anyhow!("{flag} {name:?}: {why}"))?;
            // The names become a template's text: a name that looks like template syntax
            // would be computed rather than taken as it is.
            if ["{{", "{%", "{#"].iter().any(|t| name.contains(t)) {
                anyhow::bail!(
                    "{flag} {name}: looks like template syntax, which it would be read as: \
                     not taken"
                );
            }
        }
        let prefix = format!("{column}=");
        if !names.is_empty() && args.set.iter().any(|s| s.trim_start().starts_with(&prefix)) {
            anyhow::bail!("{flag} and --set {column}=... both name groups: give one of them");
        }
    }
    if let Some(both) = args
        .add_group
        .iter()
        .find(|g| args.remove_group.contains(g))
    {
        anyhow::bail!("--add-group {both} and --remove-group {both}: a group cannot be both");
    }
    Ok(())
}

/// Computes the rows, decides them and writes the plan to `out`. Returns the plan's summary
/// (rows that could not be computed counted in) and the users `--where` left alone.
pub async fn compute_plan<P: Pool>(
    client: &P,
    pool: &UserPoolType,
    job: &Job<'_>,
    out: &Path,
    reporter: &dyn Reporter,
    stop: &CancellationToken,
) -> anyhow::Result<(PlanSummary, u64)> {
    let origin = match job.input {
        Some(input) => (
            input.display().to_string(),
            files::sha256_file(input).map_err(|e| anyhow!("{}: {e}", input.display()))?,
        ),
        None => (String::new(), String::new()),
    };
    let spec = Spec {
        user_pool_id: job.user_pool_id,
        pool,
        rules: job.rules,
        filter: job.args.filter.as_deref(),
        match_attr: job.args.match_attr.as_deref(),
        input: job.input,
        input_options: job.io,
        filtered: job.filtered,
    };
    let mut computed = backfill::compute(client, &spec, reporter, stop).await?;
    computed.state.federation.allow = job.allow_overwritten_at_sign_in;
    if let Some(journal) = job.pending_from {
        computed.state.already_pending = crate::journal::pending_changes(journal);
    }
    let opts = PlanOptions {
        input: job.input.map(Path::to_path_buf).unwrap_or_default(),
        input_options: computed.io.clone(),
        user_pool_id: job.user_pool_id.to_string(),
        current_state: Source::List,
        out: out.to_path_buf(),
        show: job.show,
        allow_verification_messages: job.allow_verification_messages,
        concurrency: 1,
        backfill: Some(decide_all::Origin {
            rule: rule(job.args),
            input: origin.0,
            sha256: origin.1,
            options: job.io.clone(),
        }),
        left_out: Some(computed.left_out.to_path_buf()),
    };
    let mut summary = decide_all::run(&computed.scanned, &computed.state, &opts, reporter, stop)?;
    summary.invalid += computed.invalid;
    summary.not_found += computed.not_found;
    let mut problems = computed.problems;
    problems.append(&mut summary.problems);
    summary.problems = problems;
    Ok((summary, computed.skipped))
}
