//! The page's charts: the per-second timeline (or per-bucket averages for long runs) as
//! inline SVG, calls, successes, throttles and errors per second with the rate limit as a line.
//! The SVG goes into the page marked safe: it is built from numbers and fixed names, and the
//! little text it holds is escaped here all the same.

use std::fmt::Write;

use html_escape::encode_text as esc;
use minijinja::Value;
use serde::Serialize;

use super::{MAX_POINTS, TimelineSource};
use crate::cognito::pacing::Second;
use crate::report::Report;

pub(super) mod axes;

use axes::{
    BOTTOM, Frame, H, LEFT, PLOT_H, PLOT_W, TOP, W, bucket_name, clock, grid, short, time_ticks,
};

/// One point of a chart: a second, or the per-second average over a bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// Seconds since the start of sending.
    pub t: u64,
    pub calls: f64,
    pub successes: f64,
    pub throttles: f64,
    pub errors: f64,
    /// The rate limit at the end of the bucket.
    pub rate_limit: f64,
}

/// The chart's points and the seconds each covers (1, or a multiple of 60).
pub fn buckets(timeline: &[Second]) -> (Vec<Bucket>, u64) {
    let width = if timeline.len() <= MAX_POINTS {
        1
    } else {
        60 * (timeline.len() as u64).div_ceil(60 * MAX_POINTS as u64)
    };
    let points = timeline
        .chunks(width as usize)
        .map(|chunk| {
            let n = width as f64; // a short last bucket still averages over its width
            let sum = |f: fn(&Second) -> u64| chunk.iter().map(f).sum::<u64>() as f64 / n;
            Bucket {
                t: chunk[0].t,
                calls: sum(|s| s.calls),
                successes: sum(|s| s.successes),
                throttles: sum(|s| s.throttles),
                errors: sum(|s| s.errors),
                rate_limit: chunk.last().map_or(0.0, |s| s.rate_limit),
            }
        })
        .collect();
    (points, width)
}

/// The charts section's content: a note on how to read them, and the two charts (SVG and
/// legend, marked safe).
#[derive(Serialize)]
pub(super) struct Charts {
    notes: String,
    calls: Value,
    faults: Value,
}

/// The charts, or `None` when no call was made.
pub(super) fn charts(r: &Report, source: TimelineSource) -> Option<Charts> {
    if r.timeline.is_empty() {
        return None;
    }
    let (points, width) = buckets(&r.timeline);
    let mut notes = Vec::new();
    if width > 1 {
        notes.push(format!(
            "The run is longer than {} seconds: each point is {} (per-second averages; the rate \
             limit at the end of each).",
            MAX_POINTS,
            bucket_name(width)
        ));
    } else {
        notes.push("Each point is one second.".to_string());
    }
    if source == TimelineSource::Journal {
        notes.push(
            "Rebuilt from the journal: calls are counted in the second their row finished, and \
             the rate limit is not recorded there (the HTML report apply writes has it)."
                .into(),
        );
    }
    if let Some(first) = r.timeline.iter().find(|s| s.throttles > 0) {
        notes.push(format!(
            "First throttle at {} into the run.",
            clock(first.t)
        ));
    } else {
        notes.push("Cognito never throttled this run.".into());
    }
    let with_rate = source == TimelineSource::Measured;
    let series_calls: [Series; 3] = [
        ("calls", |b| b.calls, "calls"),
        ("successes", |b| b.successes, "ok"),
        ("rate limit", |b| b.rate_limit, "rate"),
    ];
    let calls_series = if with_rate {
        &series_calls[..]
    } else {
        &series_calls[..2]
    };
    let first_throttle = points.iter().position(|b| b.throttles > 0.0);
    let mut calls = String::new();
    chart(
        &mut calls,
        "calls",
        &points,
        width,
        calls_series,
        first_throttle,
        true,
    );
    let series_faults: [Series; 2] = [
        ("throttles", |b| b.throttles, "throttle"),
        ("errors", |b| b.errors, "err"),
    ];
    let mut faults = String::new();
    chart(
        &mut faults,
        "faults",
        &points,
        width,
        &series_faults,
        first_throttle,
        false,
    );
    Some(Charts {
        notes: notes.join(" "),
        calls: Value::from_safe_string(calls),
        faults: Value::from_safe_string(faults),
    })
}

/// A line of a chart: its name, its value at a point, its CSS class.
pub(super) type Series = (&'static str, fn(&Bucket) -> f64, &'static str);

/// One SVG line chart of `series` over `points`, with axes, a legend, a mark at the first
/// throttle and, when `hover`, one transparent column per point whose tooltip gives that
/// point's figures.
pub(super) fn chart(
    h: &mut String,
    id: &str,
    points: &[Bucket],
    width: u64,
    series: &[Series],
    first_throttle: Option<usize>,
    hover: bool,
) {
    let max = points
        .iter()
        .flat_map(|b| series.iter().map(move |s| (s.1)(b)))
        .fold(0.0_f64, f64::max);
    let frame = Frame::new(points.len(), max);
    let _ = writeln!(
        h,
        "<svg id=\"{id}\" class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\">"
    );
    grid(h, &frame);
    time_ticks(h, points.len() as u64 * width);
    if let Some(i) = first_throttle {
        throttle_mark(h, frame.x(i));
    }
    for (name, value, class) in series {
        let coords: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, b)| format!("{:.1},{:.1}", frame.x(i), frame.y(value(b))))
            .collect();
        let _ = writeln!(
            h,
            "<polyline class=\"line {class}\" data-series=\"{name}\" points=\"{}\"/>",
            coords.join(" ")
        );
    }
    if hover {
        hover_columns(h, &frame, points);
    }
    h.push_str("</svg>\n<p class=\"legend\">");
    for (name, _, class) in series {
        let _ = write!(h, "<span class=\"key {class}\"></span>{} ", esc(name));
    }
    h.push_str("</p>\n");
}

/// The mark at the first throttle, at `xx`.
fn throttle_mark(h: &mut String, xx: f64) {
    let _ = writeln!(
        h,
        "<line class=\"mark\" x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{TOP}\" y2=\"{}\"/>\
         <text class=\"marklab\" x=\"{:.1}\" y=\"{}\">first throttle</text>",
        H - BOTTOM,
        xx + 4.0,
        TOP + 10.0
    );
}

/// One transparent column per point, whose tooltip gives that point's figures.
fn hover_columns(h: &mut String, frame: &Frame, points: &[Bucket]) {
    let w = PLOT_W / frame.n;
    for (i, b) in points.iter().enumerate() {
        let _ = writeln!(
            h,
            "<rect class=\"bucket\" data-t=\"{}\" x=\"{:.2}\" y=\"{TOP}\" width=\"{w:.2}\" \
             height=\"{PLOT_H}\"><title>{}</title></rect>",
            b.t,
            LEFT + i as f64 * w,
            esc(&format!(
                "{}: {} calls/s, {} ok, {} throttled, {} errors; rate limit {:.1}/s",
                clock(b.t),
                short(b.calls),
                short(b.successes),
                short(b.throttles),
                short(b.errors),
                b.rate_limit
            ))
        );
    }
}
