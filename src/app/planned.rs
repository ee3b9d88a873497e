//! A plan file given to `apply --plan` (or computed by a backfill), checked before its rows
//! are sent: made for this pool, its input unchanged since, and no allowance in it that the
//! command line does not state too.

use std::path::Path;

use anyhow::anyhow;

use crate::cli::ReadArgs;
use crate::files;
use crate::plan::file;

/// Refuses a plan made for another pool, or whose input has changed since.
pub fn check_plan(plan: &Path, pool: &str) -> anyhow::Result<file::PlanHeader> {
    files::open_regular(plan)?; // not a device or a FIFO, which would be read forever
    let header = file::verify(plan)?;
    if header.user_pool_id != pool {
        anyhow::bail!(
            "{} was made for user pool {}, not {pool}",
            plan.display(),
            header.user_pool_id
        );
    }
    // The input as the plan recorded it (its absolute path). A plan of a stream (standard
    // input, a FIFO) or of the pool itself has none: nothing to compare, its trailer guards it.
    // (Reading a FIFO's path here would wait for a writer forever.)
    let Some(input) = header.input_file() else {
        return Ok(header);
    };
    let now = files::sha256_file(&input).map_err(|e| {
        anyhow!(
            "{}: cannot read the plan's input {}: {e}",
            plan.display(),
            input.display()
        )
    })?;
    if now != header.input_sha256 {
        anyhow::bail!(
            "{} changed since {} was made: run plan again",
            input.display(),
            plan.display()
        );
    }
    Ok(header)
}

/// Refuses a plan that lifts a rail the command line does not lift too: a plan made without
/// reading current values (`--current-state none`) has no before-values, so its rows would
/// be sent with no conflict check. (The verification rail is narrowed in `run`: the plan's
/// rows that need a message are refused, naming the flag.) Plans older than a week are
/// named: the pool has likely moved on since (its conflicts are still checked row by row).
pub fn allowances_stated(
    plan: &Path,
    header: &file::PlanHeader,
    read: &ReadArgs,
) -> anyhow::Result<()> {
    use crate::model::source::Source;
    if header.current_state == Source::None && read.current_state != Source::None {
        anyhow::bail!(
            "{} was made with --current-state none: its rows carry no before-values, so \
             they would be sent without checking who changed them since; pass \
             --current-state none to apply --plan to send them so, or plan again without it",
            plan.display()
        );
    }
    let age = (crate::journal::now_unix() as u64).saturating_sub(header.created_unix);
    if age > PLAN_AGE_WARNING_SECS {
        tracing::warn!(
            "{} was made {} days ago: users changed since are left alone as conflicts; \
             consider planning again",
            plan.display(),
            age / 86_400
        );
    }
    Ok(())
}

/// A plan older than this is named when applied (7 days).
const PLAN_AGE_WARNING_SECS: u64 = 7 * 86_400;
