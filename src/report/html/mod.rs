//! The HTML run report: one self-contained page (inline CSS and SVG; no script, font or
//! anything else fetched) with the run's facts, its outcome counts, failures by code, the first
//! failed rows (never attribute values) and charts of the per-second timeline, so that "where
//! did throttling start, and how did the pacer answer" is one glance. Long runs are drawn by
//! the minute (or longer buckets), so a 12-hour run stays readable; the page says so.

use std::fmt::Write;
use std::path::Path;

use html_escape::encode_text as esc;
use indicatif::{HumanCount, HumanDuration};

use super::Report;

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

mod chart;

use chart::charts;
pub use chart::{Bucket, buckets};

/// Writes the page for `report` to `path` (owner-only, atomically).
pub fn write(report: &Report, source: TimelineSource, path: &Path) -> std::io::Result<()> {
    crate::files::write_private_atomic(path, render(report, source).as_bytes())
}

/// The whole page.
pub fn render(r: &Report, source: TimelineSource) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let title = format!("cognito-bulk run report: {}", r.input);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&title)
    );
    let (verdict, class) = outcome(r);
    let _ = writeln!(
        h,
        "<header><h1>cognito-bulk run report</h1><p class=\"verdict {class}\">{}</p></header>",
        esc(&verdict)
    );
    facts(&mut h, r);
    counts(&mut h, r);
    charts(&mut h, r, source);
    failures(&mut h, r);
    let _ = write!(
        h,
        "<footer>Written by cognito-bulk {}. Attribute values are never shown here.</footer>\n\
         </body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    h
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

fn facts(h: &mut String, r: &Report) {
    let none = || "-".to_string();
    let mut rows: Vec<(&str, String)> = vec![
        ("Input", r.input.clone()),
        ("Input SHA-256", r.input_sha256.clone()),
        ("User pool", r.user_pool_id.clone()),
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
    h.push_str("<section><h2>The run</h2><table class=\"facts\">\n");
    for (k, v) in rows {
        let _ = writeln!(h, "<tr><th>{k}</th><td>{}</td></tr>", esc(&v));
    }
    h.push_str("</table></section>\n");
}

fn counts(h: &mut String, r: &Report) {
    let total = r.rows_total.max(1) as f64;
    let rows = [
        ("updated", r.updated, "ok"),
        ("unchanged", r.unchanged, "same"),
        ("failed", r.failed, "err"),
        ("of which the answer was lost", r.unknown_rows, "err"),
        ("invalid", r.invalid, "err"),
        ("conflicts (left alone)", r.conflicts, "err"),
        ("not attempted", r.not_attempted, "same"),
        ("skipped (done earlier)", r.skipped_done, "same"),
    ];
    let _ = writeln!(
        h,
        "<section><h2>Rows</h2><p>{} rows in the input; {} API calls, {} throttled, {} retries.</p>\
         <table class=\"counts\">",
        HumanCount(r.rows_total),
        HumanCount(r.api_calls),
        HumanCount(r.throttled),
        HumanCount(r.retries)
    );
    for (name, n, class) in rows {
        let pct = n as f64 / total * 100.0;
        let _ = writeln!(
            h,
            "<tr><th>{name}</th><td class=\"num\">{}</td><td class=\"bar\">\
             <span class=\"{class}\" style=\"width:{pct:.1}%\"></span></td></tr>",
            HumanCount(n)
        );
    }
    h.push_str("</table></section>\n");
}

fn failures(h: &mut String, r: &Report) {
    h.push_str("<section><h2>Failures by code</h2>\n");
    if r.failures_by_code.is_empty() {
        h.push_str("<p>None.</p>\n");
    } else {
        h.push_str("<table class=\"list\"><tr><th>code</th><th class=\"num\">rows</th></tr>\n");
        let mut codes: Vec<_> = r.failures_by_code.iter().collect();
        codes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (code, n) in codes {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"num\">{}</td></tr>",
                esc(code),
                HumanCount(*n)
            );
        }
        h.push_str("</table>\n");
    }
    h.push_str("</section>\n");
    if r.first_failures.is_empty() {
        return;
    }
    let (shown, all) = (r.first_failures.len() as u64, r.failed + r.invalid);
    let which = if shown >= all {
        "All of them; they are also in the failed-rows file, with their values.".to_string()
    } else {
        format!(
            "The first {shown} of {}; every one is in the failed-rows file, with its values.",
            HumanCount(all)
        )
    };
    let _ = write!(
        h,
        "<section><h2>First failed rows</h2><p>{which}</p>\n<table class=\"list rows\">\
         <tr><th class=\"num\">line</th><th>user</th><th>code</th><th>message</th></tr>\n"
    );
    for f in &r.first_failures {
        let _ = writeln!(
            h,
            "<tr><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            f.line,
            esc(&f.user),
            esc(&f.code),
            esc(f.message.as_deref().unwrap_or("-"))
        );
    }
    h.push_str("</table></section>\n");
}

const CSS: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2328;
 background:#fff;max-width:1000px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.verdict{font-weight:600;padding:6px 10px;border-radius:6px;display:inline-block;margin:4px 0}
.good{background:#dafbe1;color:#116329}.warn{background:#fff8c5;color:#7d4e00}
.bad{background:#ffebe9;color:#a40e26}
table{border-collapse:collapse}th,td{padding:3px 10px 3px 0;text-align:left;vertical-align:top}
.facts th{color:#57606a;font-weight:500;white-space:nowrap}.facts td{word-break:break-all}
.num{text-align:right;font-variant-numeric:tabular-nums}
.counts th{font-weight:500;min-width:170px}.counts .bar{width:420px}
.counts .bar span{display:block;height:12px;border-radius:2px}
.counts .ok{background:#2da44e}.counts .same{background:#afb8c1}.counts .err{background:#cf222e}
.list{min-width:320px}.rows{width:100%}.list th{border-bottom:1px solid #d0d7de}.list td{border-bottom:1px solid #eaeef2}
.note{color:#57606a}
svg.chart{width:100%;height:auto;display:block}
.grid{stroke:#eaeef2}.tick{stroke:#8c959f}
.ylab{font-size:11px;fill:#57606a;text-anchor:end}.xlab{font-size:11px;fill:#57606a;text-anchor:middle}
.line{fill:none;stroke-width:1.5;stroke-linejoin:round}
.line.calls{stroke:#8c959f}.line.ok{stroke:#2da44e}.line.rate{stroke:#0969da;stroke-dasharray:6 3}
.line.throttle{stroke:#bf8700}.line.err{stroke:#cf222e}
.mark{stroke:#bf8700;stroke-dasharray:2 3}.marklab{font-size:11px;fill:#7d4e00}
rect.bucket{fill:transparent}rect.bucket:hover{fill:rgba(9,105,218,.12)}
.legend{font-size:12px;color:#57606a;margin:2px 0 0 52px}
.key{display:inline-block;width:18px;height:3px;vertical-align:middle;margin:0 4px 0 10px}
.key.calls{background:#8c959f}.key.ok{background:#2da44e}.key.rate{background:#0969da}
.key.throttle{background:#bf8700}.key.err{background:#cf222e}
footer{margin:32px 0 8px;color:#57606a;font-size:12px}
";

#[cfg(test)]
mod tests {
    use super::chart::{divisions, nice_ceiling, tick_step};
    use super::*;
    use crate::cognito::pacing::Second;

    fn timeline(n: u64) -> Vec<Second> {
        (0..n)
            .map(|t| Second {
                t,
                calls: 10,
                successes: 9,
                throttles: 1,
                errors: 0,
                rate_limit: 10.0,
            })
            .collect()
    }

    #[test]
    fn short_runs_are_drawn_second_by_second() {
        let (points, width) = buckets(&timeline(MAX_POINTS as u64));
        assert_eq!((points.len(), width), (MAX_POINTS, 1));
    }

    #[test]
    fn a_twelve_hour_run_is_drawn_by_the_minute() {
        let (points, width) = buckets(&timeline(12 * 3600));
        assert_eq!((points.len(), width), (720, 60));
        assert_eq!(points[1].t, 60);
        assert!((points[0].calls - 10.0).abs() < 1e-9, "per-second average");
    }

    #[test]
    fn very_long_runs_use_wider_buckets() {
        let (points, width) = buckets(&timeline(40 * 3600));
        assert_eq!(width, 120);
        assert!(points.len() <= MAX_POINTS);
    }

    #[test]
    fn escapes_what_it_shows() {
        let report = Report {
            input: "<script>x</script>.csv".into(),
            timeline: timeline(3),
            first_failures: vec![super::super::FailedRow {
                line: 2,
                user: "a&b".into(),
                code: "X".into(),
                message: Some("<b>".into()),
            }],
            ..Report::default()
        };
        let page = render(&report, TimelineSource::Measured);
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;"));
        assert!(page.contains("a&amp;b"));
        assert_eq!(page.matches("class=\"bucket\"").count(), 3);
    }

    #[test]
    fn nice_axis_tops() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(11.0), 20.0);
        assert_eq!(nice_ceiling(25.0), 50.0);
        assert_eq!(tick_step(43200), 7200);
        assert_eq!(tick_step(30), 5);
        assert_eq!(
            (divisions(5.0), divisions(20.0), divisions(100.0)),
            (5, 4, 5)
        );
    }
}
