//! From the process's arguments to a [`Cli`]: parsing, gathering the [`Global`] settings
//! every command needs, and the usage error (its exit code, its JSON forms). Apart from the
//! flag definitions because it is behaviour, not declaration.

use clap::Parser;

use super::groups::AwsArgs;
use super::values::{Color, LogFormat};
use super::{Cli, Command, Global};

impl Cli {
    /// Parses the command line (exiting on a usage error: 2, or 1 with `plan
    /// --detailed-exitcode`, where 2 means "changes"). Arguments are read as OS strings: a
    /// value that is not UTF-8 where text is needed is a usage error, never a panic.
    pub fn parse_args() -> Cli {
        let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        let mut cli = Cli::try_parse_from(&args).unwrap_or_else(|e| usage_exit(&e, &args));
        cli.global = cli.gather();
        cli
    }

    /// Parses `args` (the program's name first) as [`Cli::parse_args`] does, returning a
    /// usage error instead of exiting: for in-process runs of the command layer.
    pub fn try_parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let mut cli = Cli::try_parse_from(args)?;
        cli.global = cli.gather();
        Ok(cli)
    }

    fn gather(&self) -> Global {
        let none = AwsArgs::default();
        let never = Color::Never;
        let (aws, yes, json, color) = match &self.command {
            Command::Apply(a) => (&a.aws, a.yes, a.json, a.color),
            Command::Plan(a) => (&a.aws, false, a.json, a.color),
            Command::Rollback(a) => (&a.aws, a.yes, a.json, a.color),
            Command::Export(a) => (&a.aws, false, false, never),
            Command::Report(a) => (&none, false, a.json, never),
            Command::Completions(_) => (&none, false, false, never),
        };
        let b = &self.before;
        Global {
            region: aws.region.clone().or_else(|| b.region.clone()),
            profile: aws.profile.clone().or_else(|| b.profile.clone()),
            endpoint_url: aws.endpoint_url.clone().or_else(|| b.endpoint_url.clone()),
            quiet: self.output.quiet,
            verbose: self.output.verbose,
            yes: yes || b.yes,
            json,
            color,
            log_json: self.output.log_format == LogFormat::Json,
        }
    }
}

/// Reports a usage error and exits: on standard error as text (or one JSON event with
/// `--log-format json`), and with `--json` also as the one JSON object on standard output.
fn usage_exit(e: &clap::Error, args: &[std::ffi::OsString]) -> ! {
    // Only to look for flags: a non-UTF-8 argument is none of them.
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    let detailed = e.use_stderr() && has("--detailed-exitcode") && has("plan");
    let code = if detailed { 1 } else { e.exit_code() };
    if !e.use_stderr() {
        // --help, --version: not an error.
        e.exit()
    }
    let message = e.to_string();
    let message = message.trim_end();
    if has("--json") {
        println!("{}", json_error("usage", message, code));
    }
    // A usage error with `--log-format json` asked for: one JSON event like every other
    // line on standard error (the logs are not set up yet, so it is written here).
    let log_json = args
        .windows(2)
        .any(|w| w[0] == "--log-format" && w[1] == "json")
        || has("--log-format=json");
    if log_json {
        let event = serde_json::json!({
            "timestamp": now_rfc3339(),
            "level": "ERROR",
            "fields": { "message": message },
        });
        eprintln!("{event}");
    } else {
        let _ = e.print();
    }
    std::process::exit(code)
}

/// The one JSON object `--json` prints on standard output when a command ends in an error:
/// `{"error": {"code": CODE, "message": TEXT}, "exit": N}` (README, Output).
pub fn json_error(code: &str, message: &str, exit: i32) -> serde_json::Value {
    serde_json::json!({
        "error": { "code": code, "message": message },
        "exit": exit,
    })
}

/// The time now as RFC 3339 UTC, as tracing-subscriber's JSON events give it.
fn now_rfc3339() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    crate::report::rfc3339(now)
}

impl Global {
    /// How the commands the tool prints are written: with the AWS flags given here.
    pub fn commands(&self) -> crate::files::shell::Commands {
        crate::files::shell::Commands::new(
            self.region.as_deref(),
            self.profile.as_deref(),
            self.endpoint_url.as_deref(),
        )
    }
}
