//! `plan`'s own end: the plan file written whole, its header (the input, or a computed
//! backfill's origin), an entry per decided row, then the rows a backfill left out. Apart from
//! all.rs, whose deciding of every row `apply` and `rollback` share for their preview.

use std::path::{Path, PathBuf};

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use super::{PlanOptions, Planned, decide_all, planner};
use crate::decide::planner::RowsFrom;
use crate::decide::prepare::{PoolState, Scanned};
use crate::model::row::Record;
use crate::plan::file::{self, PlanEntry, PlanHeader, PlanWriter};
use crate::plan::summary::PlanSummary;
use crate::progress::Reporter;

/// Writes the plan of `scanned` against `pool` to `opts.out`.
pub fn run(
    scanned: &Scanned,
    pool: &PoolState,
    opts: &PlanOptions,
    reporter: &dyn Reporter,
    stop: &CancellationToken,
) -> anyhow::Result<PlanSummary> {
    let header = header(scanned, pool, opts);
    let writing = || format!("writing the plan {}", opts.out.display());
    let mut out = PlanWriter::create(&opts.out, &header).with_context(writing)?;
    let mut planner = planner(scanned, pool, opts.allow_verification_messages, false);
    if opts
        .backfill
        .as_ref()
        .is_some_and(|o| !o.rule.set.is_empty())
    {
        planner.rows_from = RowsFrom::Set;
    }
    let summary = decide_all(
        scanned,
        &opts.input_options,
        &planner,
        opts.show,
        reporter,
        stop,
        |record, planned| out.write(&entry(record, planned)).with_context(writing),
    )?;
    // Rows a computed backfill could not make (a template failed, no or several users
    // matched): left out like the invalid rows above.
    if let Some(path) = &opts.left_out {
        let file = std::fs::File::open(path).with_context(writing)?;
        for line in std::io::BufRead::lines(std::io::BufReader::new(file)) {
            let entry: PlanEntry = serde_json::from_str(&line.with_context(writing)?)?;
            out.write(&entry).with_context(writing)?;
        }
    }
    out.finish().with_context(writing)?;
    Ok(summary)
}

/// The plan's header: the input (a computed backfill's: the file or pool its rows came from,
/// not the computed rows file), its options, and the allowances the plan was made with.
fn header(scanned: &Scanned, pool: &PoolState, opts: &PlanOptions) -> PlanHeader {
    PlanHeader {
        kind: file::KIND.into(),
        version: file::VERSION,
        user_pool_id: opts.user_pool_id.clone(),
        input: match &opts.backfill {
            Some(o) => o.input.clone(),
            None => scanned.display.clone(),
        },
        input_path: input_path(match &opts.backfill {
            Some(o) => Path::new(&o.input),
            None => &opts.input,
        })
        .map(|p| p.display().to_string()),
        input_path_hex: input_path(match &opts.backfill {
            Some(o) => Path::new(&o.input),
            None => &opts.input,
        })
        .filter(|p| p.to_str().is_none())
        .map(|p| hex::encode(std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str()))),
        input_sha256: match &opts.backfill {
            Some(o) => o.sha256.clone(),
            None => scanned.scan.sha256.clone(),
        },
        created_unix: crate::journal::now_unix() as u64,
        current_state: pool.source,
        options: match &opts.backfill {
            Some(o) => o.options.to_json(),
            None => opts.input_options.to_json(),
        },
        allow_verification_messages: opts.allow_verification_messages,
        backfill: opts.backfill.as_ref().map(|o| o.rule.clone()),
    }
}

/// A decided row's plan entry: what will be sent, or why it is left out (with the attributes
/// it would have set).
fn entry(record: &Record, planned: Planned) -> PlanEntry {
    match planned {
        Planned::Change(diffs) => PlanEntry {
            line: record.row.line,
            user: record.row.username.clone(),
            username: record.identity.as_ref().map(|i| i.username.clone()),
            sub: record.identity.as_ref().and_then(|i| i.sub.clone()),
            changes: diffs.to_vec(),
            client_metadata: record.row.client_metadata.clone(),
            left_out: None,
        },
        Planned::LeftOut { code, message } => {
            let mut entry = PlanEntry::left_out(
                record.row.line,
                &record.row.username,
                code.as_str(),
                message,
            );
            if let Some(left) = entry.left_out.as_mut() {
                left.attributes = record
                    .row
                    .attrs()
                    .map(|c| (c.name.clone(), c.change.value().map(str::to_string)))
                    .collect();
            }
            entry
        }
    }
}

/// The absolute path of a plan's input file, recorded so that `apply --plan` finds it from any
/// folder and checks it has not changed; None for a stream or the pool itself (nothing to
/// compare: the plan's trailer guards the plan).
fn input_path(input: &Path) -> Option<PathBuf> {
    std::fs::metadata(input)
        .is_ok_and(|m| m.is_file())
        .then(|| std::fs::canonicalize(input).ok())
        .flatten()
}
