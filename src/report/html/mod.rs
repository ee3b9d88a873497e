//! The HTML run report: one self-contained page (inline CSS and SVG; no script, font or
//! anything else fetched) with the run's facts, its outcome counts, failures by code, the first
//! failed rows (never attribute values) and charts of the per-second timeline, so that "where
//! did throttling start, and how did the pacer answer" is one glance. Long runs are drawn by
//! the minute (or longer buckets), so a 12-hour run stays readable; the page says so.
//!
//! The page is `report.html.j2`, a MiniJinja template with HTML autoescape on: this file turns
//! a [`Report`] into a context of formatted figures and raw texts, so that a stop reason, code,
//! message or username, whatever it holds, shows as text. Only the SVG charts (`chart.rs`) are
//! passed in marked safe.

use std::path::Path;

use indicatif::{HumanCount, HumanDuration};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use serde::Serialize;

use super::Report;

/// The page's template, HTML-escaped by MiniJinja: a value shows as text unless marked safe.
const TEMPLATE: &str = include_str!("report.html.j2");

/// Runs up to this many seconds are drawn second by second; longer ones in buckets of whole
/// minutes, at most this many.
pub const MAX_POINTS: usize = 1800;

/// Where the timeline came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineSource {
    /// Measured by `apply` as calls ended, with the pacer's rate limit.
    Measured,
    /// Rebuilt from a journal (`report --html`): by the second rows finished, no rate limit.
    Journal,
}

mod categories;
mod chart;

use chart::charts;
pub use chart::{Bucket, buckets};

/// Writes the page for `report` to `path` (owner-only, atomically).
pub fn write(report: &Report, source: TimelineSource, path: &Path) -> std::io::Result<()> {
    let page = render(report, source).map_err(std::io::Error::other)?;
    crate::files::write_private_atomic(path, page.as_bytes())
}

/// What the template shows: every figure already formatted, every text as it is (the template
/// escapes it).
#[derive(Serialize)]
struct Page {
    input: String,
    verdict: String,
    verdict_class: &'static str,
    facts: Vec<(&'static str, String)>,
    rows_total: String,
    api_calls: String,
    throttled: String,
    retries: String,
    counts: Vec<Count>,
    charts: Option<chart::Charts>,
    /// Each quota category's calls, rates and chart.
    categories: Vec<categories::CategoryView>,
    /// (code, rows), most rows first.
    failures_by_code: Vec<(String, String)>,
    first_failures: Vec<super::FailedRow>,
    first_failures_which: String,
    version: &'static str,
}

/// A line of the row counts: its name, count, bar colour and bar length (per cent).
#[derive(Serialize)]
struct Count {
    name: &'static str,
    n: String,
    class: &'static str,
    pct: String,
}

/// The whole page. Fails only if the template itself is wrong (the unit tests render it).
pub fn render(r: &Report, source: TimelineSource) -> Result<String, minijinja::Error> {
    let (verdict, verdict_class) = outcome(r);
    let page = Page {
        input: r.input.clone(),
        verdict,
        verdict_class,
        facts: facts(r),
        rows_total: HumanCount(r.rows_total).to_string(),
        api_calls: HumanCount(r.api_calls).to_string(),
        throttled: HumanCount(r.throttled).to_string(),
        retries: HumanCount(r.retries).to_string(),
        counts: counts(r),
        charts: charts(r, source),
        categories: categories::views(&r.categories, source),
        failures_by_code: failures_by_code(r),
        first_failures: first_failures(r),
        first_failures_which: which_failures(r),
        version: env!("CARGO_PKG_VERSION"),
    };
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    // A name the template uses but the page lacks is an error, not an empty cell.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env.template_from_named_str("report.html", TEMPLATE)?
        .render(Value::from_serialize(&page))
}

/// The one-line verdict and its CSS class.
fn outcome(r: &Report) -> (String, &'static str) {
    if let Some(why) = &r.stopped {
        (format!("Stopped: {why}"), "bad")
    } else if let Some(limit) = r.limit {
        (
            format!("Stopped after --limit {limit} changes; run the same command again to go on"),
            "warn",
        )
    } else if r.not_attempted > 0 {
        (
            format!(
                "Not finished: {} rows not attempted yet (a run still going, or one that stopped)",
                HumanCount(r.not_attempted)
            ),
            "warn",
        )
    } else if r.conflicts > 0 {
        (
            format!(
                "Finished: {} users left alone as conflicts",
                HumanCount(r.conflicts)
            ),
            "warn",
        )
    } else if r.failed + r.invalid > 0 {
        (
            match r.failed + r.invalid {
                1 => "Finished: 1 row failed or was invalid".to_string(),
                n => format!("Finished: {} rows failed or were invalid", HumanCount(n)),
            },
            "warn",
        )
    } else {
        ("Finished: every row updated or unchanged".into(), "good")
    }
}

fn facts(r: &Report) -> Vec<(&'static str, String)> {
    let none = || "-".to_string();
    let or_none = |s: &str| if s.is_empty() { none() } else { s.to_string() };
    let mut rows: Vec<(&str, String)> = vec![
        ("Input", or_none(&r.input)),
        ("Input SHA-256", or_none(&r.input_sha256)),
        ("User pool", or_none(&r.user_pool_id)),
        ("Started", r.started_at.clone().unwrap_or_else(none)),
        ("Finished", r.finished_at.clone().unwrap_or_else(none)),
        (
            "Duration",
            format!(
                "{:.1} s ({})",
                r.elapsed_seconds,
                HumanDuration(std::time::Duration::from_secs_f64(
                    r.elapsed_seconds.max(0.0)
                ))
            ),
        ),
        (
            "Current values from",
            r.current_state.clone().unwrap_or_else(|| "not read".into()),
        ),
    ];
    if r.max_rps > 0.0 {
        rows.push((
            "Rate limit",
            format!(
                "at most {:.1} calls/s (--rps); {:.1}/s at the end",
                r.max_rps, r.final_rps
            ),
        ));
    }
    if let Some(c) = r.concurrency {
        rows.push(("Concurrency", format!("{c} calls in flight at most")));
    }
    if let Some(limit) = r.limit {
        rows.push(("Limit", format!("--limit {limit}")));
    }
    rows.push(("Journal", r.journal.clone().unwrap_or_else(none)));
    rows.push((
        "Failed rows file",
        r.failed_rows_file.clone().unwrap_or_else(none),
    ));
    // Every operation kind the run made (`OpKind::ALL`: attributes, groups, enabled, sign-out).
    if r.ops.total() > 0 {
        rows.push(("Operations", r.ops.line()));
    }
    if let Some(n) = r.not_reversible.as_ref().filter(|n| n.count > 0) {
        rows.push((
            "Not reversible (left as they are)",
            n.lines()[1..].join("; "),
        ));
    }
    rows
}

fn counts(r: &Report) -> Vec<Count> {
    let total = r.rows_total.max(1) as f64;
    [
        ("updated", r.updated, "ok"),
        ("unchanged", r.unchanged, "same"),
        ("failed", r.failed, "err"),
        ("of which the answer was lost", r.unknown_rows, "err"),
        ("invalid", r.invalid, "err"),
        ("conflicts (left alone)", r.conflicts, "err"),
        ("not attempted", r.not_attempted, "same"),
        ("skipped (done earlier)", r.skipped_done, "same"),
    ]
    .into_iter()
    .map(|(name, n, class)| Count {
        name,
        n: HumanCount(n).to_string(),
        class,
        pct: format!("{:.1}", n as f64 / total * 100.0),
    })
    .collect()
}

/// (code, rows), most rows first, then by code.
fn failures_by_code(r: &Report) -> Vec<(String, String)> {
    let mut codes: Vec<_> = r.failures_by_code.iter().collect();
    codes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    codes
        .into_iter()
        .map(|(code, n)| (code.clone(), HumanCount(*n).to_string()))
        .collect()
}

/// The first failed rows, a missing message shown as "-".
fn first_failures(r: &Report) -> Vec<super::FailedRow> {
    let mut rows = r.first_failures.clone();
    for f in &mut rows {
        f.message.get_or_insert_with(|| "-".into());
    }
    rows
}

/// Whether the first failed rows are all of them.
fn which_failures(r: &Report) -> String {
    let (shown, all) = (r.first_failures.len() as u64, r.failed + r.invalid);
    if shown >= all {
        "All of them; they are also in the failed-rows file, with their values.".to_string()
    } else {
        format!(
            "The first {shown} of {}; every one is in the failed-rows file, with its values.",
            HumanCount(all)
        )
    }
}

#[cfg(test)]
mod tests;
