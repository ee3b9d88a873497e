//! `cognito-bulk report JOURNAL`: the report and summary rebuilt from a journal, and with
//! `--html PATH` the HTML report, its timeline rebuilt from the journal's entries.

use anyhow::Context as _;

use super::context::{Connect, Context};
use super::outcome::{Failure, Outcome, setup};
use super::outputs::{self, Output};
use crate::cli::ReportArgs;
use crate::report::{Tally, html};

pub fn run<C: Connect>(ctx: &Context<C>, args: &ReportArgs) -> Result<Outcome, Failure> {
    let printer = ctx.printer();
    let (tally, loaded) = Tally::load(&args.journal).map_err(setup)?;
    let mut report = tally.to_report();
    report.journal = Some(args.journal.display().to_string());
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
    printer.json(&report);
    printer.out(report.summary().trim_end());
    if loaded.torn_tail {
        printer.out("(the journal ends in a torn entry, ignored: the run was killed mid-write)");
    }
    Ok(Outcome::of_rows(&report))
}
