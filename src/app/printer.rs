//! The one way the commands talk to a person: results on standard output, notes on standard
//! error, both silenced by `--quiet`; with `--json`, standard output holds the JSON summary and
//! nothing else; with `--log-format json`, every line on standard error is a JSON log event.
//! (Progress goes through the `Reporter`; the core never prints. Errors, advice, and the
//! context of a confirmation asked on a terminal print past `--quiet`.)

use std::fmt::Display;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cli::Global;

/// Whether this process printed its one JSON object on standard output (`--json`): if not,
/// `main` prints the error object (or the bare exit) so that there is always exactly one.
static PRINTED_JSON: AtomicBool = AtomicBool::new(false);

/// Whether [`Printer::json`] printed the JSON summary.
pub fn json_printed() -> bool {
    PRINTED_JSON.load(Ordering::SeqCst)
}

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    quiet: bool,
    json: bool,
    log_json: bool,
    /// A confirmation question is asked (see [`Printer::asking`]).
    asking: bool,
}

impl Printer {
    pub fn new(global: &Global) -> Printer {
        Printer {
            quiet: global.quiet,
            json: global.json,
            log_json: global.log_json,
            asking: false,
        }
    }

    /// The printer of a command that asks for confirmation when `asks`: what it says before
    /// the question (and of the answer) is the question's context.
    pub fn asking_if(mut self, asks: bool) -> Printer {
        self.asking = asks;
        self
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
            self.stderr(text);
        }
    }

    /// What a confirmation question needs said before it (and the answer's outcome): shown
    /// whenever the question is asked, `--quiet` or not, as plain text on the terminal that
    /// asks (never a log event: it may show attribute values); otherwise a note.
    pub fn context(&self, text: impl Display) {
        if self.asking {
            eprintln!("{text}");
        } else {
            self.note(text);
        }
    }

    /// Whether a confirmation question will be asked (so its context may show values).
    pub fn asking(&self) -> bool {
        self.asking
    }

    /// A row's problem (never a value): a warning.
    pub fn problem(&self, text: impl Display) {
        if self.asking {
            eprintln!("{text}");
        } else if !self.quiet {
            if self.log_json {
                tracing::warn!("{text}");
            } else {
                eprintln!("{text}");
            }
        }
    }

    /// Why a run stopped, and the command that goes on from there: always shown.
    pub fn error(&self, text: impl Display) {
        if self.log_json {
            tracing::error!("{text}");
        } else {
            eprintln!("error: {text}");
        }
    }

    /// Advice to follow (a command to run): always shown.
    pub fn advice(&self, text: impl Display) {
        if self.log_json {
            tracing::warn!("{text}");
        } else {
            eprintln!("{text}");
        }
    }

    fn stderr(&self, text: impl Display) {
        if self.log_json {
            // An empty line separates blocks for a person; a log has no use for it.
            let text = text.to_string();
            if !text.is_empty() {
                tracing::info!("{text}");
            }
        } else {
            eprintln!("{text}");
        }
    }

    /// The JSON summary, with `--json` only: one object on standard output.
    pub fn json(&self, value: &impl serde::Serialize) {
        if !self.json || PRINTED_JSON.swap(true, Ordering::SeqCst) {
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
