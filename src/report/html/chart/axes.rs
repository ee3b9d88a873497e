//! A chart's frame and axes: its geometry, where a point goes, the horizontal grid with its
//! labels at round figures, the time ticks; and the figures they print (times as m:ss, values
//! plain or with one decimal). Apart from `chart.rs`, which draws the lines over them: these
//! are the same for every chart, and their round numbers are plain arithmetic, tested alone.

use std::fmt::Write;

use html_escape::encode_text as esc;

/// Chart geometry (SVG user units).
pub(super) const W: f64 = 960.0;
pub(super) const H: f64 = 260.0;
pub(super) const LEFT: f64 = 52.0;
pub(super) const RIGHT: f64 = 12.0;
pub(super) const TOP: f64 = 14.0;
pub(super) const BOTTOM: f64 = 30.0;

/// Where a chart's points go: `n` columns across the plot, values up to `top`.
pub(super) struct Frame {
    pub(super) n: f64,
    top: f64,
}

pub(super) const PLOT_W: f64 = W - LEFT - RIGHT;
pub(super) const PLOT_H: f64 = H - TOP - BOTTOM;

impl Frame {
    /// The frame of `points` points up to `max`: its top a round figure at or above it.
    pub(super) fn new(points: usize, max: f64) -> Frame {
        Frame {
            n: points.max(1) as f64,
            top: nice_ceiling(max),
        }
    }

    /// The middle of point `i`'s column.
    pub(super) fn x(&self, i: usize) -> f64 {
        LEFT + (i as f64 + 0.5) * PLOT_W / self.n
    }

    pub(super) fn y(&self, v: f64) -> f64 {
        TOP + PLOT_H * (1.0 - v / self.top)
    }
}

/// Horizontal grid and y labels, at round figures.
pub(super) fn grid(h: &mut String, frame: &Frame) {
    let divisions = divisions(frame.top);
    for k in 0..=divisions {
        let v = frame.top * f64::from(k) / f64::from(divisions);
        let yy = frame.y(v);
        let _ = writeln!(
            h,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"/>\
             <text class=\"ylab\" x=\"{}\" y=\"{:.1}\">{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            yy + 4.0,
            esc(&short(v))
        );
    }
}

/// Time ticks over the `span` seconds the chart covers.
pub(super) fn time_ticks(h: &mut String, span: u64) {
    let step = tick_step(span);
    let mut t = 0;
    while t <= span {
        let xx = LEFT + (t as f64 / span.max(1) as f64) * PLOT_W;
        let _ = writeln!(
            h,
            "<line class=\"tick\" x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{}\" y2=\"{}\"/>\
             <text class=\"xlab\" x=\"{xx:.1}\" y=\"{}\">{}</text>",
            H - BOTTOM,
            H - BOTTOM + 4.0,
            H - BOTTOM + 17.0,
            esc(&clock(t))
        );
        t += step;
    }
}

/// "one minute", "5 minutes".
pub(super) fn bucket_name(seconds: u64) -> String {
    match seconds / 60 {
        1 => "one minute".into(),
        m => format!("{m} minutes"),
    }
}

/// `t` seconds as m:ss or h:mm:ss.
pub(super) fn clock(t: u64) -> String {
    let (hh, mm, ss) = (t / 3600, t / 60 % 60, t % 60);
    if hh > 0 {
        format!("{hh}:{mm:02}:{ss:02}")
    } else {
        format!("{mm}:{ss:02}")
    }
}

/// A figure for an axis or a tooltip: whole numbers plain, others with one decimal.
pub(super) fn short(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The smallest 1, 2 or 5 times a power of ten at or above `v` (at least 1).
pub(in crate::report::html) fn nice_ceiling(v: f64) -> f64 {
    if v <= 1.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|&c| c >= v)
        .unwrap_or(10.0 * mag)
}

/// Grid divisions of an axis topped at `top` (1, 2 or 5 times a power of ten), so that every
/// label is a round figure: 10 in fives of 2, 20 in fours of 5, 50 in fives of 10.
pub(in crate::report::html) fn divisions(top: f64) -> u32 {
    let lead = top / 10f64.powf(top.log10().floor());
    if (lead - 2.0).abs() < 1e-9 { 4 } else { 5 }
}

/// Seconds between time ticks: at most about eight ticks.
pub(in crate::report::html) fn tick_step(span: u64) -> u64 {
    const STEPS: [u64; 16] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
    ];
    STEPS
        .iter()
        .copied()
        .find(|s| span / s <= 8)
        .unwrap_or(span.div_ceil(8).max(1))
}
