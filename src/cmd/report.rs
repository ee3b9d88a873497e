//! `cognito-bulk report JOURNAL`: the report and summary rebuilt from a journal.

use super::{Failure, Outcome, setup};
use crate::cli::{Global, ReportArgs};
use crate::journal;

pub fn run(global: &Global, args: &ReportArgs) -> Result<Outcome, Failure> {
    let loaded = journal::load(&args.journal).map_err(setup)?;
    let mut report = loaded.to_report();
    report.journal = Some(args.journal.display().to_string());
    if args.json {
        let json = serde_json::to_string_pretty(&report).map_err(setup)?;
        println!("{json}");
    } else if !global.quiet {
        print!("{}", report.summary());
        if loaded.torn_tail {
            println!("(the journal ends in a torn entry, ignored: the run was killed mid-write)");
        }
    }
    Ok(if report.failed + report.invalid > 0 {
        Outcome::RowsFailed
    } else {
        Outcome::Success
    })
}
