//! `cognito-bulk report JOURNAL`: the report and summary rebuilt from a journal, and with
//! `--html PATH` the HTML report, its timeline rebuilt from the journal's entries. A journal
//! whose run did not finish says so, with the command that resumes it, and exits 3 as that
//! run did.

use std::ffi::OsStr;
use std::path::Path;

use anyhow::Context as _;

use super::context::{Connect, Context};
use super::outcome::{Failure, Outcome, setup};
use super::outputs::{self, Output};
use crate::cli::ReportArgs;
use crate::journal::Loaded;
use crate::report::{Report, Tally, html};

pub fn run<C: Connect>(ctx: &Context<C>, args: &ReportArgs) -> Result<Outcome, Failure> {
    let printer = ctx.printer();
    let (tally, loaded) = Tally::load(&args.journal).map_err(setup)?;
    let mut report = tally.to_report();
    report.journal = Some(args.journal.display().to_string());
    from_header(&mut report, &tally);
    // A run writing the journal now is not stopped: its report is a snapshot.
    let holder = running(&args.journal);
    let unfinished = unfinished(&mut report, &tally, &loaded, holder.as_deref());
    // Each quota category's calls, rebuilt from the entries (their timelines drawn in the
    // HTML report only).
    report.categories = crate::journal::timeline_by_category(&args.journal)
        .map_err(setup)?
        .into_iter()
        .map(|(c, t)| crate::cognito::pacing::CategoryFigures::of(c, 0.0, 0.0, t))
        .collect();
    if let Some(path) = &args.html {
        // The page must not land on the journal or any other input of a run.
        let run_input = std::path::Path::new(&loaded.header.input);
        outputs::check(
            &[
                ("the journal", &args.journal),
                ("the run's input", run_input),
            ],
            &[(Output::Report(crate::report::formats::Format::Html), path)],
            None,
        )?;
        let mut with_timeline = report.clone();
        with_timeline.timeline = crate::journal::timeline(&args.journal).map_err(setup)?;
        html::write(&with_timeline, html::TimelineSource::Journal, path)
            .with_context(|| format!("writing the HTML report {}", path.display()))
            .map_err(setup)?;
        printer.out(format!("HTML report: {}", path.display()));
    }
    for c in &mut report.categories {
        c.timeline.clear();
    }
    printer.json(&report);
    printer.out(report.summary().trim_end());
    if loaded.torn_tail {
        printer.out("(the journal ends in a torn entry, ignored: the run was killed mid-write)");
    }
    if !unfinished {
        return Ok(Outcome::of_rows(&report));
    }
    if holder.is_some() {
        // Said in the summary (IN PROGRESS); no resume advice: it is being resumed.
        return Ok(Outcome::Stopped);
    }
    printer.advice(format!(
        "resume with: {}",
        resume_family(&loaded, &args.journal)
    ));
    printer.advice("(adding the other flags that run had, its AWS flags included)");
    Ok(Outcome::Stopped)
}

/// Who holds the journal's lock, if a run is writing it now. Only a lock file already there
/// is tried (one left by a killed run is then removed, as the next run would).
fn running(journal: &Path) -> Option<String> {
    if std::fs::symlink_metadata(crate::files::lock_path(journal)).is_err() {
        return None;
    }
    match crate::files::lock(journal) {
        Err(crate::files::FileError::Locked { holder, .. }) => Some(holder),
        _ => None,
    }
}

/// What the journal's header recorded of how its run sent (journals of older builds: nothing,
/// and the summary, which never prints these, shows no 0 for them).
fn from_header(report: &mut Report, tally: &Tally) {
    if let Some(sending) = &tally.header.sending {
        report.current_state = sending.current_state.clone();
        report.concurrency = Some(sending.concurrency);
        report.max_rps = sending.rps;
    }
}

/// Whether the run did not finish; if so, the report says so. Rows whose call was sent (an
/// intent entry) with no outcome after it may have been applied: unknown outcomes, counted as
/// the recorder counts them (failed too). While a run (`holder`) still writes the journal, it
/// is in progress, not stopped, and its calls in flight are just that.
fn unfinished(report: &mut Report, tally: &Tally, loaded: &Loaded, holder: Option<&str>) -> bool {
    let in_flight = tally.intents.len() as u64;
    if let Some(holder) = holder {
        report.in_progress = Some(format!(
            "a run is writing this journal now ({holder}); {} rows not attempted yet, {in_flight} calls in flight",
            report.not_attempted.saturating_sub(in_flight)
        ));
        report.not_attempted = report.not_attempted.saturating_sub(in_flight);
        return true;
    }
    report.unknown_rows += in_flight;
    report.failed += in_flight;
    report.not_attempted = report.not_attempted.saturating_sub(in_flight);
    if in_flight > 0 {
        *report
            .failures_by_code
            .entry(crate::cognito::codes::INTERRUPTED.to_string())
            .or_default() += in_flight;
    }
    if loaded.is_complete() && in_flight == 0 {
        return false;
    }
    let mut why = format!(
        "the run did not finish: {} rows not attempted",
        report.not_attempted
    );
    if in_flight > 0 {
        why.push_str(&format!(
            ", {in_flight} sent when it ended with no answer recorded (unknown outcome)"
        ));
    }
    if report.stopped.is_none() {
        report.stopped = Some(why);
    }
    true
}

/// The command that goes on with the journal's run. The journal does not record the command
/// line, only its input: a rollback's plan is resumed by `rollback` of the journal it undoes,
/// any other plan by `apply --plan`, an input file by `apply` of it.
/// A journal elsewhere than beside its input (`--journal`) is named.
fn resume_family(loaded: &Loaded, journal: &Path) -> String {
    let header = &loaded.header;
    let quote = |s: &OsStr| crate::files::shell::quote(s);
    let pool = quote(OsStr::new(&header.user_pool_id));
    if let Some(undone) = header.input.strip_suffix(".rollback.plan") {
        return format!("cognito-bulk rollback {}", quote(OsStr::new(undone)));
    }
    let input = Path::new(&header.input);
    let named = match crate::files::beside_input(input, "journal") == journal {
        true => String::new(),
        false => format!(" --journal {}", quote(journal.as_os_str())),
    };
    let plan = match input.extension() {
        Some(ext) if ext == "plan" => " --plan",
        _ => "",
    };
    format!(
        "cognito-bulk apply{plan} {} --user-pool-id {pool}{named}",
        quote(input.as_os_str())
    )
}
