//! The mass-disable rail of `apply` (every form): a run that would disable more than a tenth
//! of the pool's estimated users is refused before the first write unless
//! `--allow-mass-disable`; the refusal names the first users and how many
//! (`decide::planner::mass_disable`). The rows are decided once more for it only when the
//! input may disable that many: a CSV input without an `enabled` column, or an input with
//! too few rows that disable, costs no decision.

use anyhow::anyhow;
use aws_sdk_cognitoidentityprovider::types::UserPoolType;
use tokio_util::sync::CancellationToken;

use super::outcome::{Failure, setup, setup_or_stopped};
use crate::decide::planner::mass_disable;
use crate::model::op::Op;
use crate::rows::input::{self, OpColumn};
use crate::send::{self as engine, ApplyOptions, Prepared};

/// Refuses the run if it disables more than a tenth of the pool (estimated by
/// DescribeUserPool; not checked when that was denied), unless `allow`.
pub fn check(
    opts: &ApplyOptions,
    prepared: &Prepared,
    described: Option<&UserPoolType>,
    allow: bool,
    stop: &CancellationToken,
) -> Result<(), Failure> {
    let Some(described) = described.filter(|_| !allow) else {
        return Ok(());
    };
    let estimated = u64::try_from(described.estimated_number_of_users()).unwrap_or(0);
    if !may_disable_over(opts, estimated) {
        return Ok(());
    }
    let summary = engine::preview(prepared, opts, 0, &crate::progress::Quiet, stop)
        .map_err(setup_or_stopped(stop))?;
    mass_disable(&summary, estimated, allow).map_err(|why| setup(anyhow!(why)))
}

/// Whether the input holds more rows that disable their user than a tenth of `estimated`
/// (before any diff); true when the input cannot be read again here (standard input).
fn may_disable_over(opts: &ApplyOptions, estimated: u64) -> bool {
    let limit = estimated / crate::decide::planner::MASS_DISABLE_SHARE;
    // A stream (standard input, a FIFO) was read into a spool by the preparation: opening it
    // again would wait for a writer that never comes.
    if opts.input.as_os_str() == "-" || !std::fs::metadata(&opts.input).is_ok_and(|m| m.is_file()) {
        return true;
    }
    let Ok(reader) = input::open(&opts.input) else {
        return true;
    };
    let display = opts.input.display().to_string();
    let Ok(opened) = input::read(reader, &display, &opts.input_options) else {
        return true;
    };
    if let Some(header) = &opened.csv_header
        && !header.iter().any(|h| h == OpColumn::Enabled.name())
    {
        return false;
    }
    let mut disables = 0u64;
    for record in opened.records {
        let Ok(record) = record else {
            return true;
        };
        disables += u64::from(record.row.ops.contains(&Op::Enabled(false)));
        if disables > limit {
            return true;
        }
    }
    false
}
