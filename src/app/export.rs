//! `cognito-bulk export`: a pool to CSV or JSONL.

use std::path::Path;
use std::time::Duration;

use anyhow::anyhow;
use aws_sdk_cognitoidentityprovider::types::UserPoolType;

use super::context::{Connect, Context};
use super::execute::resume_command;
use super::outcome::{Failure, Outcome, setup};
use super::outputs::{self, Output};
use crate::cli::ExportArgs;
use crate::export::{self, ExportOptions};
use crate::progress::Quiet;
use crate::rows::input::Format;

pub async fn run<C: Connect>(ctx: &Context<C>, args: ExportArgs) -> Result<Outcome, Failure> {
    let to_stdout = args.output.as_os_str() == "-";
    let format = format(&args, to_stdout)?;
    // The output and its state file: checked, and the state locked (one export at a time).
    let state = export::state_path(&args.output);
    let _lock = if to_stdout {
        None
    } else {
        outputs::check(&[], &[(Output::Export, &args.output)], None)?;
        outputs::check(&[], &[], Some(&state))?
    };
    let opened = ctx
        .open(&args.user_pool_id, Duration::from_secs(30))
        .await?;
    let (pool, described) = (opened.pool, opened.described);
    let custom = described.as_ref().map(custom_attributes);
    let estimate = described.as_ref().map_or(0, |p| {
        u64::try_from(p.estimated_number_of_users()).unwrap_or(0)
    });
    let columns = export::columns(args.attributes.as_deref(), custom.as_deref()).map_err(setup)?;
    let opts = ExportOptions {
        user_pool_id: args.user_pool_id.clone(),
        output: args.output.clone(),
        format,
        filter: args.filter.clone(),
        with_status: args.with_status,
        with_groups: args.with_groups,
        restart: args.restart,
        force: args.force,
    };
    // The progress goes to standard error; with the data on standard output, stay quiet.
    let reporter = if to_stdout {
        std::sync::Arc::new(Quiet)
    } else {
        ctx.reporter()
    };
    let stop = ctx.stop();
    let summary = export::run(&pool, &opts, columns, estimate, &*reporter, &stop)
        .await
        .map_err(|error| Failure {
            outcome: match error.is::<export::Refused>() {
                true => Outcome::Setup,
                false => Outcome::Stopped,
            },
            error,
        })?;
    // The data may be on standard output: then the summary is not printed at all.
    if !to_stdout {
        print_summary(ctx, &summary, &args.output);
    }
    if summary.stopped {
        let printer = ctx.printer();
        printer.error("the export stopped (interrupted)");
        printer.advice(format!("resume with: {}", resume_command()));
        return Ok(Outcome::Stopped);
    }
    Ok(Outcome::Success)
}

/// `--format`, else the output's extension; JSONL on standard output.
fn format(args: &ExportArgs, to_stdout: bool) -> Result<Format, Failure> {
    match args.format.or_else(|| Format::from_path(&args.output)) {
        Some(f) => Ok(f),
        None if to_stdout => Ok(Format::Jsonl),
        None => Err(setup(anyhow!(
            "{}: cannot tell the format from the name; pass --format csv or --format jsonl",
            args.output.display()
        ))),
    }
}

/// The pool's custom attributes, by their full names (`custom:` and `dev:custom:`).
fn custom_attributes(pool: &UserPoolType) -> Vec<String> {
    pool.schema_attributes()
        .iter()
        .filter_map(|a| a.name())
        .filter(|n| n.starts_with("custom:") || n.starts_with("dev:custom:"))
        .map(str::to_string)
        .collect()
}

/// Where the export resumed, and how many users in how many pages went where.
fn print_summary<C: Connect>(ctx: &Context<C>, summary: &export::ExportSummary, output: &Path) {
    let printer = ctx.printer();
    if let Some(at) = summary.resumed_at {
        printer.out(format!("resumed after {at} users"));
    }
    if let Some((groups, memberships)) = summary.groups {
        printer.out(format!(
            "groups from {} groups ({} memberships), read per group",
            indicatif::HumanCount(groups as u64),
            indicatif::HumanCount(memberships as u64)
        ));
    }
    printer.out(format!(
        "{} users in {} to {}",
        indicatif::HumanCount(summary.users),
        match summary.pages {
            1 => "1 page".to_string(),
            n => format!("{} pages", indicatif::HumanCount(n)),
        },
        output.display()
    ));
}
