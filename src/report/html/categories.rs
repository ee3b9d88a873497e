//! The page's section by quota category: each category the run called in (UserUpdate,
//! UserRead, ...) with its calls, throttles and pacer rates, and a chart of its successes,
//! throttles and rate limit per second, so that a throttle in one category can be told from
//! the other's pace at a glance.

use indicatif::HumanCount;
use minijinja::Value;
use serde::Serialize;

use super::TimelineSource;
use super::chart::{Series, buckets, chart};
use crate::cognito::pacing::CategoryFigures;

/// One category as the page shows it.
#[derive(Serialize)]
pub(super) struct CategoryView {
    name: String,
    calls: String,
    successes: String,
    throttles: String,
    errors: String,
    /// "at most 10.0/s, 9.2/s at the end", or "-" when not recorded.
    rate: String,
    /// Its chart (SVG and legend, marked safe), or none without calls.
    chart: Option<Value>,
}

pub(super) fn views(categories: &[CategoryFigures], source: TimelineSource) -> Vec<CategoryView> {
    categories
        .iter()
        .enumerate()
        .map(|(i, c)| CategoryView {
            name: c.category.clone(),
            calls: HumanCount(c.calls).to_string(),
            successes: HumanCount(c.successes).to_string(),
            throttles: HumanCount(c.throttles).to_string(),
            errors: HumanCount(c.errors).to_string(),
            rate: match c.max_rps > 0.0 {
                true => format!(
                    "at most {:.1}/s, {:.1}/s at the end",
                    c.max_rps, c.final_rps
                ),
                false => "-".into(),
            },
            chart: category_chart(i, c, source),
        })
        .collect()
}

/// Successes and throttles per second, with the rate limit when it was measured.
fn category_chart(i: usize, c: &CategoryFigures, source: TimelineSource) -> Option<Value> {
    if c.timeline.is_empty() {
        return None;
    }
    let (points, width) = buckets(&c.timeline);
    let all: [Series; 3] = [
        ("successes", |b| b.successes, "ok"),
        ("throttles", |b| b.throttles, "throttle"),
        ("rate limit", |b| b.rate_limit, "rate"),
    ];
    let series = match source {
        TimelineSource::Measured => &all[..],
        TimelineSource::Journal => &all[..2],
    };
    let first_throttle = points.iter().position(|b| b.throttles > 0.0);
    let mut svg = String::new();
    let id = format!("category-{i}");
    // No hover columns: the charts above have them, and the page stays small.
    chart(&mut svg, &id, &points, width, series, first_throttle, false);
    Some(Value::from_safe_string(svg))
}
