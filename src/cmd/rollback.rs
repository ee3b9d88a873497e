//! `cognito-bulk rollback JOURNAL`: build (or resume) the rollback plan, then apply it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;

use super::apply::execute;
use super::{Failure, Outcome, can_ask, connection, reporter, setup};
use crate::apply::ApplyOptions;
use crate::aws;
use crate::cli::{Global, RollbackArgs};
use crate::files;
use crate::input::{Format, InputOptions};
use crate::planfile;
use crate::rollback;
use crate::sender::RetryPolicy;

pub async fn run(global: &Global, args: RollbackArgs) -> Result<Outcome, Failure> {
    let plan = PathBuf::from(format!("{}.rollback.plan", args.journal.display()));
    if !args.dry_run && !global.yes && !can_ask() {
        return Err(setup(anyhow!(
            "rollback writes to the user pool: pass --yes, or look first with --dry-run"
        )));
    }
    let header = crate::journal::read_header(&args.journal).map_err(setup)?;
    let reporter = reporter(global);
    let (client, sdk) = aws::client(&connection(global, Duration::from_secs(30)))
        .await
        .map_err(setup)?;
    aws::check_setup(&client, &sdk, &header.user_pool_id)
        .await
        .map_err(setup)?;
    // A rollback plan made from this very journal is resumed, not made again.
    let journal_sha = files::sha256_file(&args.journal).map_err(setup)?;
    let reuse = !args.restart
        && !args.dry_run
        && planfile::read_header(&plan).is_ok_and(|h| h.input_sha256 == journal_sha);
    if !reuse {
        let summary = rollback::make_plan(
            &client,
            &args.journal,
            &plan,
            args.force,
            args.show,
            &*reporter,
        )
        .await
        .map_err(setup)?;
        reporter.finished();
        if !global.quiet && !global.json {
            let colour = global.color.enabled();
            for line in &summary.preview {
                println!("{}", super::plan::paint(line, colour));
            }
            for conflict in &summary.conflicts {
                eprintln!("conflict: {conflict}");
            }
            println!("{}", summary.line());
        }
        if args.dry_run && global.json {
            super::print_json(&serde_json::json!({
                "dry_run": true,
                "user_pool_id": summary.user_pool_id,
                "users": summary.users,
                "attributes": summary.attributes,
                "already": summary.already,
                "conflicts": summary.conflicts.len(),
                "rollback_plan": plan.display().to_string(),
            }));
            return Ok(Outcome::Success);
        }
        if args.dry_run {
            println!(
                "nothing was written; the rollback plan is in {}",
                plan.display()
            );
            return Ok(Outcome::Success);
        }
        if !global.yes
            && !super::apply::confirm(&format!(
                "Restore these values in {}? [y/N] ",
                header.user_pool_id
            ))
        {
            eprintln!("nothing was written");
            return Ok(Outcome::Success);
        }
    }
    let opts = ApplyOptions {
        input: plan.clone(),
        input_options: InputOptions {
            format: Format::Plan,
            key_column: "username".into(),
            empty_cells: crate::input::EmptyCells::Ignore,
            client_metadata: Default::default(),
        },
        user_pool_id: header.user_pool_id.clone(),
        rps: args.rps,
        concurrency: usize::from(args.concurrency),
        retry: RetryPolicy::default(),
        failed_path: files::beside_input(&plan, "failed.jsonl"),
        journal_path: Some(files::beside_input(&plan, "journal")),
        restart: args.restart,
        retry_failed: false,
        max_failure_rate: 0.5,
        preflight: None,
        limit: None,
    };
    let report_path = files::beside_input(&plan, "report.json");
    execute(global, client, opts, Arc::clone(&reporter), &report_path).await
}
