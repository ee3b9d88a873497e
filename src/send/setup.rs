//! The steps of `apply`'s preparation, before the first write: what an earlier run's journal
//! says about the input, the rows of unknown outcome it resolved, and the pool read (or not).
//! Apart from `mod.rs` so that `prepare` there reads as the list of these steps.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::{ApplyOptions, Preflight, resume};
use crate::cognito::Pool;
use crate::cognito::call::Category;
use crate::cognito::pacing::Pacers;
use crate::decide::planner::RowsFrom;
use crate::decide::prepare::{self, PoolState, Reading, Scanned};
use crate::journal::{self, Header};
use crate::model::keys::user_key;
use crate::model::row::Identity;
use crate::model::source::Source;
use crate::progress::Reporter;
use crate::rows::input;

/// The users an earlier run resolved its rows of unknown outcome to, by input index.
pub(super) type Resolved = std::collections::BTreeMap<u64, Identity>;

/// A blind run reads no current values: it only fingerprints the input, and a resume takes the
/// duplicated users from the journal. (Reading current values needs every user key, so a
/// diffing run scans in full.)
pub(super) fn blind(opts: &ApplyOptions) -> bool {
    opts.preflight
        .as_ref()
        .is_none_or(|p| p.current_state == Source::None)
}

/// What a blind resume takes from its journal instead of a full scan: the input's SHA-256 and
/// the lines of users named twice.
pub(super) fn prior_scan(opts: &ApplyOptions, blind: bool) -> Option<(String, Vec<Vec<u64>>)> {
    match &opts.journal_path {
        Some(j) if !opts.restart && blind && j.exists() => journal::read_header(j)
            .ok()
            .map(|h| (h.input_sha256, h.duplicate_lines)),
        _ => None,
    }
}

/// The users an earlier run resolved its rows of unknown outcome to; they join the scanned
/// users, read by sub: the row may have changed the very email it is keyed by.
pub(super) fn resolved_before(
    opts: &ApplyOptions,
    blind: bool,
    scanned: &mut Scanned,
    earlier: &mut resume::Earlier,
) -> Resolved {
    let resolved = match opts.restart || blind {
        false => earlier.resolved(&scanned.scan.sha256, opts.retry_failed),
        true => Default::default(),
    };
    for id in resolved.values() {
        if let Some(sub) = &id.sub {
            scanned.scan.users.insert(user_key(sub));
        }
    }
    resolved
}

/// The journal of earlier runs, read once: what a resume needs of it (the tally, the users of
/// rows of unknown outcome, the changes left pending).
pub(super) fn earlier(opts: &ApplyOptions) -> resume::Earlier {
    let pending_wanted = opts.preflight.as_ref().is_some_and(|p| !p.resend_pending);
    let wanted = !opts.restart || pending_wanted;
    resume::Earlier::read(opts.journal_path.as_deref(), wanted)
}

/// The pool as the run decides against it: read with the preflight, or nothing known.
pub(super) async fn pool_state<P: Pool>(
    pool: &P,
    opts: &ApplyOptions,
    scanned: &mut Scanned,
    earlier: &mut resume::Earlier,
    reporter: &dyn Reporter,
    stop: &CancellationToken,
) -> anyhow::Result<PoolState> {
    let Some(p) = &opts.preflight else {
        return Ok(PoolState {
            schema: None,
            current: None,
            source: Source::None,
            messaging: crate::cognito::config::Messaging::unknown(),
            federation: Default::default(),
            already_pending: Default::default(),
        });
    };
    warn_without_current_state(p, opts, reporter);
    let reading = Reading {
        pool,
        user_pool_id: &opts.user_pool_id,
        described: p.described.as_ref(),
        current_state: p.current_state,
        concurrency: opts.concurrency,
        allow_overwritten_at_sign_in: p.allow_overwritten_at_sign_in,
    };
    let mut state =
        prepare::read_pool(scanned, &opts.input_options, &reading, reporter, stop).await?;
    // Also the journals earlier runs kept aside, which may exist without this one.
    if !p.resend_pending
        && let Some(path) = &opts.journal_path
    {
        state.already_pending = earlier.pending(path);
    }
    Ok(state)
}

/// `--current-state none` gives up what reading current values buys: said before sending.
fn warn_without_current_state(p: &Preflight, opts: &ApplyOptions, reporter: &dyn Reporter) {
    if p.current_state == Source::None && opts.read_before_write.is_none() {
        reporter.warning(
            "--current-state none: rows are sent without reading current values; \
             unchanged users cost a call each, rollback will not be possible, and \
             the alias rail (AliasExists) cannot see who already has an email or \
             phone number a row sets",
        );
    } else if p.current_state == Source::None {
        reporter.warning(
            "--current-state none: no diff before sending (unchanged users cost a \
             call each); each user is read just before its update, so rollback \
             restores the values read then; the alias rail (AliasExists) cannot see \
             who already has an email or phone number a row sets",
        );
    }
}

/// The journal header for this run: what must match for a later run to resume it.
pub(super) fn journal_header(opts: &ApplyOptions, scanned: &Scanned) -> Header {
    let scan = &scanned.scan;
    Header {
        kind: Header::KIND.into(),
        version: journal::FORMAT_VERSION,
        input: scanned.display.clone(),
        input_sha256: scan.sha256.clone(),
        user_pool_id: opts.user_pool_id.clone(),
        rows_total: scan.rows,
        options: opts.input_options.to_json(),
        created_unix: journal::now_unix() as u64,
        duplicate_lines: scan.duplicates().groups(),
        sending: None,
    }
}

/// The journal header with how this run sends (where current values come from, concurrency,
/// `--rps`), recorded in a new journal for `report JOURNAL`.
pub(super) fn with_sending(header: Header, state: &PoolState, opts: &ApplyOptions) -> Header {
    Header {
        sending: Some(crate::journal::Sending {
            current_state: state
                .current
                .as_ref()
                .and_then(|c| c.source)
                .map(source_name),
            concurrency: opts.concurrency as u64,
            rps: opts.rps,
        }),
        ..header
    }
}

/// How the report and the journal name where current values came from.
pub(super) fn source_name(source: Source) -> String {
    format!("{source:?}").to_lowercase()
}

/// Where the rows come from: a rollback plan, a plan computed by `--set`, or a file (a plan's
/// header says which).
pub(super) fn rows_from(opts: &ApplyOptions) -> RowsFrom {
    if opts.input_options.format != input::Format::Plan {
        return RowsFrom::File;
    }
    match crate::plan::file::read_header(&opts.input) {
        Ok(h) if h.options.get("rollback_of").is_some() => RowsFrom::Rollback,
        Ok(h) if h.backfill.as_ref().is_some_and(|b| !b.set.is_empty()) => RowsFrom::Set,
        _ => RowsFrom::File,
    }
}

pub(super) fn allow_verification_messages(opts: &ApplyOptions) -> bool {
    opts.preflight
        .as_ref()
        .is_none_or(|p| p.allow_verification_messages)
}

/// The pacers of this run, one a quota category: UserUpdate at `--rps`, UserRead at
/// `--read-rps`, any category at its `--category-rps`. A resumed run opens UserUpdate at the
/// rate its journal's run held, not with slow start again.
pub(super) fn pacers(opts: &ApplyOptions, held_rps: Option<f64>) -> Arc<Pacers> {
    let mut ceilings = std::collections::BTreeMap::from([
        (Category::UserUpdate, opts.rps),
        (
            Category::UserRead,
            opts.read_before_write.unwrap_or(super::turn::READ_RPS),
        ),
    ]);
    ceilings.extend(opts.category_rps.iter().copied());
    let pacers = Arc::new(Pacers::new(ceilings, opts.retry.clone()));
    if let Some(rps) = held_rps {
        tracing::info!("opening at {rps:.0} calls a second, the rate the journal's last run held");
        pacers.start_at(Category::UserUpdate, rps);
    }
    pacers
}
