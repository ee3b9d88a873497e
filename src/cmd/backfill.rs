//! `plan` and `apply` with `--set` / `--where` / `--match`: the rows are computed from the
//! pool (or an input file joined to it) into a plan file first, and `apply` then applies that
//! plan exactly as `apply --plan` does. So a resume after a crash sends exactly what was
//! planned, even though the pool changed since: running the same `apply` again finds the
//! unfinished journal beside the plan and applies the existing plan instead of recomputing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::anyhow;
use aws_sdk_cognitoidentityprovider::types::UserPoolType;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::apply::{colour_on_stderr, confirm, input_format, show_preview};
use super::plan::{outcome, print_plan};
use super::printer::Printer;
use super::{Failure, Outcome, can_ask, open_pool, reporter, setup, setup_or_stopped};
use crate::backfill::{self, Spec};
use crate::cli::{ApplyArgs, BackfillArgs, Global, PlanArgs, ReadArgs};
use crate::current::Source;
use crate::input::InputOptions;
use crate::plan::{self, PlanOptions, PlanSummary};
use crate::planfile;
use crate::pool::sdk::SdkPool;
use crate::progress::Reporter;
use crate::template::Rules;
use crate::{files, journal};

/// `plan --set ...` / `plan INPUT --match ...`.
pub async fn plan(global: &Global, args: PlanArgs) -> Result<Outcome, Failure> {
    let detailed = args.detailed_exitcode;
    let fail = super::plan::failure_for(detailed);
    let rules = parse(&args.backfill, args.input.as_deref(), &args.read).map_err(fail)?;
    let io = match &args.input {
        Some(input) => args
            .input_args
            .options(input_format(input, args.input_args.format).map_err(fail)?),
        None => args.input_args.options(crate::input::Format::Jsonl),
    };
    let out = match (&args.out, &args.input) {
        (Some(out), _) => out.clone(),
        (None, Some(input)) => files::beside_input(input, "plan"),
        (None, None) => default_plan(&args.user_pool_id, &args.backfill, None, &io),
    };
    let inputs: Vec<(&str, &Path)> = args
        .input
        .iter()
        .map(|i| ("the input", i.as_path()))
        .collect();
    let mut outputs = vec![("the plan", out.as_path())];
    if let Some(md) = &args.markdown {
        outputs.push(("the Markdown plan", md.as_path()));
    }
    let _no_lock = super::check_files(&inputs, &outputs, None).map_err(fail)?;
    let reporter = reporter(global);
    let (client, pool) = connect(global, &args.user_pool_id, &*reporter)
        .await
        .map_err(fail)?;
    let job = Job {
        args: &args.backfill,
        rules: rules.as_ref(),
        input: args.input.as_deref(),
        io: &io,
        user_pool_id: &args.user_pool_id,
        allow_verification_messages: args.read.allow_verification_messages,
        show: args.show,
        filtered: filtered(&args.read, &args.backfill),
    };
    let stop = super::stop_on_signals();
    let (summary, skipped) = compute_plan(&client, &pool, &job, &out, &*reporter, &stop)
        .await
        .map_err(setup_or_stopped(&stop))
        .map_err(fail)?;
    reporter.finished();
    if let Some(md) = &args.markdown {
        crate::markdown::write(&out, &summary, md, args.redact).map_err(|e| {
            fail(setup(e.context(format!(
                "writing the Markdown plan {}",
                md.display()
            ))))
        })?;
    }
    let printer = Printer::new(global);
    let mut object = serde_json::to_value(&summary).unwrap_or_default();
    object["user_pool_id"] = args.user_pool_id.clone().into();
    object["plan"] = out.display().to_string().into();
    object["skipped_by_where"] = skipped.into();
    printer.json(&object);
    for line in rule_lines(&args.backfill) {
        printer.out(line);
    }
    print_plan(
        &printer,
        &summary,
        &out,
        &args.user_pool_id,
        args.show,
        global.color.enabled(),
    );
    if args.backfill.where_.is_some() {
        printer.out(format!("{skipped} users left alone by --where."));
    }
    if let Some(md) = &args.markdown {
        printer.out(format!("plan for review written to {}", md.display()));
    }
    Ok(outcome(detailed, &summary))
}

/// `apply --set ...` / `apply INPUT --match ...`: compute the plan (or find the run to
/// resume), confirm, then apply the plan as `apply --plan` does.
pub async fn apply(global: &Global, mut args: ApplyArgs) -> Result<Outcome, Failure> {
    let rules = parse(&args.backfill, args.input.as_deref(), &args.read)?;
    if !global.yes && !can_ask() {
        return Err(setup(anyhow!(
            "apply writes to the user pool and cannot ask for confirmation here (not a terminal): \
             pass --yes, or review with `cognito-bulk plan` and run `apply --plan`"
        )));
    }
    let io = match &args.input {
        Some(input) => args
            .input_args
            .options(input_format(input, args.input_args.format)?),
        None => args.input_args.options(crate::input::Format::Jsonl),
    };
    let out = args.out.clone().unwrap_or_else(|| {
        default_plan(
            &args.user_pool_id,
            &args.backfill,
            args.input.as_deref(),
            &io,
        )
    });
    let journal_path = args
        .journal
        .clone()
        .unwrap_or_else(|| files::beside_input(&out, "journal"));
    // Checked, and the journal locked, before the plan is (re)written: a second run must not
    // replace the plan a first one is sending. The lock is taken again by the sending run.
    let inputs: Vec<(&str, &Path)> = args
        .input
        .iter()
        .map(|i| ("the input", i.as_path()))
        .collect();
    let lock = super::check_files(&inputs, &[("the plan", &out)], Some(&journal_path))?;
    // An unfinished run of another rule's plan at --out is not this run's to resume.
    let resume =
        !args.restart && !args.no_journal && resumable(&out, &journal_path, args.retry_failed);
    if resume
        && planfile::read_header(&out)
            .is_ok_and(|h| h.backfill.as_ref() != Some(&rule(&args.backfill)))
    {
        return Err(setup(anyhow!(
            "{} holds the unfinished plan of another rule: pass --restart to replace it, or another --out",
            out.display()
        )));
    }
    let reporter = reporter(global);
    if resume {
        reporter.warning(&format!(
            "resuming the run recorded in {}: applying its plan {} as it was computed \
             (pass --restart to compute the values again)",
            journal_path.display(),
            out.display()
        ));
    } else {
        let (client, pool) = connect(global, &args.user_pool_id, &*reporter).await?;
        let job = Job {
            args: &args.backfill,
            rules: rules.as_ref(),
            input: args.input.as_deref(),
            io: &io,
            user_pool_id: &args.user_pool_id,
            allow_verification_messages: args.read.allow_verification_messages,
            show: PREVIEW_LINES,
            filtered: filtered(&args.read, &args.backfill),
        };
        let stop = super::stop_on_signals();
        let (summary, skipped) = compute_plan(&client, &pool, &job, &out, &*reporter, &stop)
            .await
            .map_err(setup_or_stopped(&stop))?;
        reporter.finished();
        let printer = Printer::new(global);
        for line in rule_lines(&args.backfill) {
            printer.context(line);
        }
        show_preview(&printer, &summary, PREVIEW_LINES, colour_on_stderr(global));
        if args.backfill.where_.is_some() {
            printer.context(format!("{skipped} users left alone by --where."));
        }
        if !global.yes
            && !confirm(
                &format!("Apply these changes to {}? [y/N] ", args.user_pool_id),
                &stop,
            )
            .await?
        {
            printer.context(format!(
                "nothing was written; the plan is in {}",
                out.display()
            ));
            return Ok(Outcome::Success);
        }
        // A finished earlier run of the same rule: a new run (its journal kept aside).
        args.restart = args.restart || journal_path.exists();
    }
    Printer::new(global).note(format!(
        "applying {}; journal {}, report and failed rows beside it",
        out.display(),
        journal_path.display()
    ));
    drop(lock);
    args.plan = Some(out);
    args.input = None;
    args.out = None;
    args.backfill = BackfillArgs::default();
    // The rows that could not be computed are in the plan as rows left out: the run reports
    // them (and exits 1) as `apply --plan` does.
    Box::pin(super::apply::run(global, args)).await
}

/// How many changes and problems the confirmation shows.
const PREVIEW_LINES: usize = 20;

/// What a computed plan needs, from the flags.
struct Job<'a> {
    args: &'a BackfillArgs,
    rules: Option<&'a Rules>,
    input: Option<&'a Path>,
    io: &'a InputOptions,
    user_pool_id: &'a str,
    allow_verification_messages: bool,
    show: usize,
    /// `--current-state get`: the input's keys looked up with ListUsers filters.
    filtered: bool,
}

/// Whether the input's keys are looked up one by one with ListUsers filters: with
/// `--current-state get` and an attribute Cognito can filter on (otherwise the pool is read).
fn filtered(read: &ReadArgs, args: &BackfillArgs) -> bool {
    read.current_state == Source::Get && backfill::filterable(args.match_attr.as_deref())
}

/// Parses the rules and refuses flags that do not go together: before any call.
fn parse(
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
        && let Err(why) = crate::validate::check_name(attr).or_else(|e| match attr.as_str() {
            "sub" => Ok(()),
            _ => Err(e),
        })
    {
        return Err(setup(anyhow!("--match {attr}: {attr} {why}")));
    }
    if args.set.is_empty() {
        return Ok(None);
    }
    Rules::parse(&args.set, args.where_.as_deref(), args.empty_is_delete)
        .map(Some)
        .map_err(setup)
}

/// The pool and its description (DescribeUserPool is needed for the schema check).
async fn connect(
    global: &Global,
    pool_id: &str,
    reporter: &dyn Reporter,
) -> Result<(SdkPool, UserPoolType), Failure> {
    let (client, checked) = open_pool(global, Duration::from_secs(30), pool_id).await?;
    if let Some(warning) = &checked.warning {
        reporter.warning(warning);
    }
    let pool = checked.pool.ok_or_else(|| {
        setup(anyhow!(
            "--set and --match need DescribeUserPool on {pool_id} to check the schema"
        ))
    })?;
    Ok((client, pool))
}

/// Computes the rows, decides them and writes the plan to `out`. Returns the plan's summary
/// (rows that could not be computed counted in) and the users `--where` left alone.
async fn compute_plan(
    client: &SdkPool,
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
    let computed = backfill::compute(client, &spec, reporter, stop).await?;
    let opts = PlanOptions {
        input: job.input.map(Path::to_path_buf).unwrap_or_default(),
        input_options: computed.io.clone(),
        user_pool_id: job.user_pool_id.to_string(),
        current_state: Source::List,
        out: out.to_path_buf(),
        show: job.show,
        allow_verification_messages: job.allow_verification_messages,
        concurrency: 1,
        backfill: Some((rule(job.args), origin.0, origin.1)),
        left_out: Some(computed.left_out.to_path_buf()),
    };
    let mut summary = plan::run(&computed.scanned, &computed.state, &opts, reporter, stop)?;
    summary.invalid += computed.invalid;
    summary.not_found += computed.not_found;
    let mut problems = computed.problems;
    problems.append(&mut summary.problems);
    summary.problems = problems;
    Ok((summary, computed.skipped))
}

/// The rule as recorded in the plan file.
fn rule(args: &BackfillArgs) -> planfile::Backfill {
    planfile::Backfill {
        set: args.set.clone(),
        where_: args.where_.clone(),
        filter: args.filter.clone(),
        match_attr: args.match_attr.clone(),
        empty_is_delete: args.empty_is_delete,
    }
}

/// The rule, for the preview's header.
fn rule_lines(args: &BackfillArgs) -> Vec<String> {
    let mut lines = vec!["Backfill rule:".to_string()];
    lines.extend(rule(args).lines().into_iter().map(|l| format!("  {l}")));
    lines
}

/// `backfill-HASH.plan` in the current folder (`INPUT.backfill-HASH.plan` with an input),
/// HASH the first 8 hex digits of the SHA-256 of the pool id and the rule's text.
fn default_plan(
    pool: &str,
    args: &BackfillArgs,
    input: Option<&Path>,
    io: &InputOptions,
) -> PathBuf {
    let mut h = Sha256::new();
    let mut part = |label: &str, text: &str| {
        h.update(label.as_bytes());
        h.update([0]);
        h.update(text.as_bytes());
        h.update([0]);
    };
    part("pool", pool);
    for s in &args.set {
        part("set", s);
    }
    part("where", args.where_.as_deref().unwrap_or(""));
    part("filter", args.filter.as_deref().unwrap_or(""));
    part("match", args.match_attr.as_deref().unwrap_or(""));
    part("empty_is_delete", &args.empty_is_delete.to_string());
    if input.is_some() {
        part("key_column", &io.key_column);
    }
    let hash = hex::encode(&h.finalize()[..4]);
    match input {
        None => PathBuf::from(format!("backfill-{hash}.plan")),
        Some(input) => files::beside_input(input, &format!("backfill-{hash}.plan")),
    }
}

/// Whether the journal beside the plan records an unfinished run of that very plan (or a
/// finished one whose failed rows `--retry-failed` sends again).
fn resumable(plan: &Path, journal_path: &Path, retry_failed: bool) -> bool {
    let (Ok(loaded), Ok(sha)) = (journal::load(journal_path), files::sha256_file(plan)) else {
        return false;
    };
    loaded.header.input_sha256 == sha && (!loaded.is_complete() || retry_failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{EmptyCells, Format};

    #[test]
    fn default_plan_names_follow_the_rule() {
        let io = InputOptions {
            format: Format::Csv,
            key_column: "Email".into(),
            empty_cells: EmptyCells::Ignore,
            client_metadata: Default::default(),
        };
        let a = BackfillArgs {
            set: vec!["custom:t={{ email | domain }}".into()],
            ..Default::default()
        };
        let b = BackfillArgs {
            where_: Some("email is defined".into()),
            ..a.clone()
        };
        let pa = default_plan("p1", &a, None, &io);
        let name = pa.to_str().unwrap();
        assert!(name.starts_with("backfill-") && name.ends_with(".plan") && name.len() == 22);
        assert_eq!(pa, default_plan("p1", &a, None, &io));
        assert_ne!(pa, default_plan("p2", &a, None, &io));
        assert_ne!(pa, default_plan("p1", &b, None, &io));
        let with_input = default_plan("p1", &a, Some(Path::new("dir/crm.csv")), &io);
        assert!(
            with_input.starts_with("dir")
                && with_input.to_str().unwrap().contains("crm.csv.backfill-")
        );
    }
}
