//! `apply`: the whole run, wired as a one-way flow (`resume.rs`: the journal and what to
//! decide again; `workers.rs`: the reader thread, the dispatcher and the recording loop):
//! input (scan, then stream) -> validation -> workers -> recorder (journal) -> report.
//!
//! A blocking thread reads and checks rows, skipping those an earlier run finished; the
//! dispatcher hands valid rows to at most `concurrency` workers, each pacing its calls through
//! the shared [`Pacing`] (`send.rs`: the user read again just before its update, the intent
//! journaled, then the update); every finished row goes to the [`Recorder`], which alone
//! writes the journal, counts and decides to stop the run.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::cognito::Pool;
use crate::cognito::call::Category;
use crate::cognito::pacing::{Pacers, RetryPolicy};
use crate::decide::all as decide_all;
use crate::decide::prepare::{self, PoolState, Scanned};
use crate::journal::{self, Header};
use crate::model::source::Source;
use crate::plan::summary::PlanSummary;
use crate::progress::Reporter;
use crate::report::{FailedRows, Report};
use crate::rows::input::{self, InputOptions};
use crate::send::recorder::Recorder;
use crate::send::stream::{Checks, StreamCounts};

mod others;
pub(crate) mod recorder;
mod resume;
mod setup;
pub(crate) mod stream;
mod turn;
mod workers;

pub use turn::READ_RPS;

/// Everything `apply` needs to know, resolved from the command line.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// The input file (a plan file for `apply --plan` and rollback), or `-` for standard input.
    pub input: PathBuf,
    pub input_options: InputOptions,
    pub user_pool_id: String,
    /// The UserUpdate ceiling (`--rps`).
    pub rps: f64,
    /// Other categories' ceilings (`--category-rps CATEGORY=N`; they win over `--rps` and
    /// `--read-rps`); a category not named runs at its default share of its quota.
    pub category_rps: Vec<(Category, f64)>,
    pub concurrency: usize,
    pub retry: RetryPolicy,
    pub failed_path: PathBuf,
    /// None: keep no journal (`--no-journal`).
    pub journal_path: Option<PathBuf>,
    /// Start over even if the journal belongs to another run (the old one is kept).
    pub restart: bool,
    /// Send again the rows an earlier run recorded as failed.
    pub retry_failed: bool,
    pub max_failure_rate: f64,
    /// Schema check and current values; None sends rows as they are.
    pub preflight: Option<Preflight>,
    /// Apply only this many changes, then stop (`--limit`).
    pub limit: Option<u64>,
    /// Send a plan's rows even when their users changed since the plan was made.
    pub force: bool,
    /// Read each user (AdminGetUser) just before its update: a user changed since it was
    /// decided is a conflict, and the journal's before-values are the values read then.
    /// Off (None, `--no-read-before-write`): no UserRead quota spent while sending. Some:
    /// those reads' ceiling in calls a second (`--read-rps`).
    pub read_before_write: Option<f64>,
    /// How the commands this run prints are written (the AWS flags given; how to send
    /// conflicts anyway).
    pub advice: crate::files::shell::Advice,
}

/// What `apply` reads before writing: the pool's schema and the users' current values.
#[derive(Debug, Clone)]
pub struct Preflight {
    /// The pool as DescribeUserPool gave it (None if that call was denied).
    pub described: Option<aws_sdk_cognitoidentityprovider::types::UserPoolType>,
    pub current_state: Source,
    pub allow_verification_messages: bool,
    /// Send changes to attributes an identity provider writes at every sign-in.
    pub allow_overwritten_at_sign_in: bool,
    /// Send again an address change an earlier run of the journal left pending (which mails
    /// the user another code).
    pub resend_pending: bool,
}

/// A run ready to decide and send: the input scanned, its journal checked, the pool read.
/// The preview and the sending pass decide from this same state, so what is shown before
/// the question is what is sent.
pub struct Prepared {
    scanned: Scanned,
    pool: PoolState,
    header: Header,
    /// The users an earlier run resolved its rows of unknown outcome to (by input index).
    resolved: std::collections::BTreeMap<u64, crate::model::row::Identity>,
    /// The journal as read here: the run goes on from it without reading it again.
    earlier: resume::Earlier,
}

/// Everything before the first write: errors here are setup errors (an unreadable input, a
/// bad header, a journal of another run, the pool unreadable). Its steps are in `setup.rs`.
pub async fn prepare<P: Pool>(
    pool: &P,
    opts: &ApplyOptions,
    reporter: &dyn Reporter,
    stop: &CancellationToken,
) -> anyhow::Result<Prepared> {
    let blind = setup::blind(opts);
    let prior = setup::prior_scan(opts, blind);
    let mut scanned = prepare::scan_input(&opts.input, &opts.input_options, prior, stop).await?;
    let header = setup::journal_header(opts, &scanned);
    // The journal, read once for all this run needs of it.
    let mut earlier = setup::earlier(opts);
    let resolved = setup::resolved_before(opts, blind, &mut scanned, &mut earlier);
    if let Some(path) = &opts.journal_path {
        let refuse_finished = blind && !opts.retry_failed;
        journal::check_compatible(
            path,
            &header,
            opts.restart,
            refuse_finished,
            earlier.loaded(),
        )?;
    }
    let state = setup::pool_state(pool, opts, &mut scanned, &mut earlier, reporter, stop).await?;
    Ok(Prepared {
        scanned,
        pool: state,
        header,
        resolved,
        earlier,
    })
}

impl Prepared {
    /// How the pool messages its users, as read before deciding.
    pub fn messaging(&self) -> &crate::cognito::config::Messaging {
        &self.pool.messaging
    }
}

/// What sending `prepared` would do, row by row, without sending: the confirmation's preview.
pub fn preview(
    prepared: &Prepared,
    opts: &ApplyOptions,
    show: usize,
    reporter: &dyn Reporter,
    stop: &CancellationToken,
) -> anyhow::Result<PlanSummary> {
    let mut planner = decide_all::planner(
        &prepared.scanned,
        &prepared.pool,
        setup::allow_verification_messages(opts),
        opts.force,
    );
    planner.rows_from = setup::rows_from(opts);
    decide_all::decide_all(
        &prepared.scanned,
        &opts.input_options,
        &planner,
        show,
        reporter,
        stop,
        |_, _| Ok(()),
    )
}

/// Runs `apply` to the end (or to a stop) and returns its report: a list of steps, each in
/// its own file. Errors are for setup problems found before any write.
pub async fn run<P: Pool>(
    pool: Arc<P>,
    opts: ApplyOptions,
    prepared: Prepared,
    reporter: Arc<dyn Reporter>,
    stop: CancellationToken,
) -> anyhow::Result<Report> {
    let began = (Instant::now(), journal::now_unix());
    let Prepared {
        scanned,
        pool: state,
        header,
        resolved,
        earlier,
    } = prepared;
    // 1. The journal: new, resumed, or a finished one kept aside; what to decide again.
    let header = setup::with_sending(header, &state, &opts);
    let (journal, mut tally) = resume::open_journal(&opts, header, earlier, &*reporter)?;
    let again = resume::decide_again(&mut tally, opts.retry_failed);
    let held_rps = tally.held.rps();
    // 2. The input again, checked against the scan as it is read: no row outside the
    //    fingerprint is sent.
    let opened = input::read(
        scanned.scan.reopen(&scanned.path)?,
        &scanned.display,
        &opts.input_options,
    )?;
    let failed = FailedRows::new(opts.failed_path.clone(), opened.csv_header, again.resuming);
    let recorder = Recorder::new(
        scanned.display.clone(),
        journal,
        failed,
        tally,
        reporter.clone(),
        stop.clone(),
        opts.max_failure_rate,
    )
    .advising_force(opts.advice.force.clone());
    reporter.started(scanned.scan.rows);
    let current_state = state.current.as_ref().and_then(|c| c.source);
    // 3. The reader thread decides rows; the dispatcher sends them, paced; the recorder
    //    writes every outcome down.
    let checks = Checks {
        scanned,
        pool: state,
        allow_verification_messages: setup::allow_verification_messages(&opts),
        force: opts.force,
        limit: opts.limit,
        rows_from: setup::rows_from(&opts),
        unknown: again.unknown,
        resolved,
        steps: again.steps,
    };
    let pacers = setup::pacers(&opts, held_rps);
    let flow = workers::start(
        opened.records,
        again.done,
        checks,
        pool,
        &pacers,
        &opts,
        &stop,
    );
    let (recorder, counts) = workers::record(flow, recorder, &pacers, &*reporter).await;
    // 4. The report, assembled here alone: the whole journal's tally, with this run's own
    //    figures.
    let mut report = finish(recorder, stop.is_cancelled());
    report.current_state = current_state.map(setup::source_name);
    this_runs_figures(&mut report, &opts, &pacers, &counts, began);
    reporter.finished();
    Ok(report)
}

/// The recorder's report over the whole journal. The failed-rows file keeps the rows of
/// earlier runs: once no row of the journal is failed or invalid any more (a --retry-failed
/// run fixed them all), it is not reported.
fn finish(mut recorder: Recorder, interrupted: bool) -> Report {
    if interrupted && recorder.stopped.is_none() {
        recorder.stopped = Some("interrupted".into());
    }
    let mut report = recorder.finish();
    if report.failed + report.invalid == 0 {
        report.failed_rows_file = None;
    }
    report
}

/// The figures of this run alone: rows skipped, the limit reached, rates, timeline, times.
fn this_runs_figures(
    report: &mut Report,
    opts: &ApplyOptions,
    pacers: &Pacers,
    counts: &StreamCounts,
    (began, began_unix): (Instant, f64),
) {
    report.skipped_done = counts.skipped.load(Ordering::Relaxed);
    report.limit = counts
        .limited
        .load(Ordering::Relaxed)
        .then_some(opts.limit)
        .flatten();
    report.max_rps = pacers.ceiling(Category::UserUpdate);
    report.final_rps = pacers.writes_rps();
    // The rows' calls, as before categories; each category's figures beside.
    report.timeline = pacers.timeline(Category::writes);
    report.categories = pacers.figures();
    report.elapsed_seconds = began.elapsed().as_secs_f64();
    report.started_at = Some(crate::report::rfc3339(began_unix));
    report.finished_at = Some(crate::report::rfc3339(journal::now_unix()));
    report.concurrency = Some(opts.concurrency as u64);
}
