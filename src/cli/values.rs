//! The values flags take: the value enums (`--log-format`, `--color`) and the parsers of
//! numbers, shows and KEY=VALUE pairs. Apart from the flags themselves so that every command's
//! file shares one set of limits (and one set of messages for a value out of range).

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One line of text per event.
    Text,
    /// One JSON object per event (tracing-subscriber's format).
    Json,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// On a terminal, unless NO_COLOR is set.
    #[default]
    Auto,
    Always,
    Never,
}

impl Color {
    /// Whether to colour standard output.
    pub fn enabled(self) -> bool {
        use std::io::IsTerminal;
        self.enabled_on(std::io::stdout().is_terminal())
    }

    /// Whether to colour a stream that is (or is not) a terminal, e.g. standard error.
    pub fn enabled_on(self, terminal: bool) -> bool {
        self.decide(terminal, std::env::var_os("NO_COLOR").as_deref())
    }

    /// `auto` colours a terminal unless NO_COLOR is set to something (no-color.org).
    fn decide(self, terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
        match self {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }
}

pub(super) fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got {s:?}")),
    }
}

/// `--show N` or `--show all`.
pub(super) fn parse_show(s: &str) -> Result<usize, String> {
    match s {
        "all" => Ok(usize::MAX),
        _ => s
            .parse()
            .map_err(|_| format!("expected a number or all, got {s:?}")),
    }
}

pub(super) fn parse_rps(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.5..=10_000.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "expected a number of calls per second from 0.5 to 10000, got {s:?}"
        )),
    }
}

/// `--category-rps CATEGORY=N`: a quota category (Cognito's name, any case) and its ceiling.
pub(super) fn parse_category_rps(s: &str) -> Result<(crate::cognito::call::Category, f64), String> {
    let (name, rps) = s
        .split_once('=')
        .ok_or_else(|| format!("expected CATEGORY=N (UserRead=100, say), got {s:?}"))?;
    Ok((name.trim().parse()?, parse_rps(rps.trim())?))
}

pub(super) fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.01..=3600.0).contains(&v) => Ok(v),
        _ => Err(format!("expected seconds from 0.01 to 3600, got {s:?}")),
    }
}

pub(super) fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v),
        _ => Err(format!("expected a percentage from 0 to 100, got {s:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_on_a_terminal_unless_no_color_or_told_otherwise() {
        let set = Some(std::ffi::OsStr::new("1"));
        let empty = Some(std::ffi::OsStr::new(""));
        assert!(Color::Auto.decide(true, None));
        assert!(Color::Auto.decide(true, empty));
        assert!(!Color::Auto.decide(true, set));
        assert!(!Color::Auto.decide(false, None));
        assert!(Color::Always.decide(false, set));
        assert!(!Color::Never.decide(true, None));
    }

    #[test]
    fn show_takes_a_number_or_all() {
        assert_eq!(parse_show("5"), Ok(5));
        assert_eq!(parse_show("all"), Ok(usize::MAX));
        assert!(parse_show("many").is_err());
    }
}
