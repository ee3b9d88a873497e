//! The one way the commands talk to a person: results on standard output, notes on standard
//! error, both silenced by `--quiet`; with `--json`, standard output holds the JSON summary and
//! nothing else. (Progress goes through the `Reporter`; the core never prints. Only the
//! confirmation, which is asked on a terminal and needs its context, prints past `--quiet`.)

use std::fmt::Display;

use crate::cli::Global;

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    quiet: bool,
    json: bool,
}

impl Printer {
    pub fn new(global: &Global) -> Printer {
        Printer {
            quiet: global.quiet,
            json: global.json,
        }
    }

    /// A result line for a person (standard output), not with `--quiet` or `--json`.
    pub fn out(&self, text: impl Display) {
        if !self.quiet && !self.json {
            println!("{text}");
        }
    }

    /// A note for a person (standard error), not with `--quiet`.
    pub fn note(&self, text: impl Display) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// The JSON summary, with `--json` only: one object on standard output.
    pub fn json(&self, value: &impl serde::Serialize) {
        if !self.json {
            return;
        }
        match serde_json::to_string_pretty(value) {
            Ok(json) => println!("{json}"),
            Err(e) => tracing::error!("cannot print the JSON summary: {e}"),
        }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }
}
