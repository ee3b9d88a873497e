//! The HTML report's unit tests: the buckets long runs are drawn in, the escaping of every text
//! the page shows, and the round figures of the charts' axes. Apart from `mod.rs` so that the
//! page's assembly reads without its fixtures.

use super::chart::axes::{divisions, nice_ceiling, tick_step};
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
    let page = render(&report, TimelineSource::Measured).unwrap();
    assert!(!page.contains("<script>"));
    assert!(page.contains("&lt;script&gt;"));
    assert!(page.contains("a&amp;b"));
    assert_eq!(page.matches("class=\"bucket\"").count(), 3);
}

/// The template escapes what a user or the server controls: the reason the run stopped, an
/// error code and message, a username. Read back through an HTML parser, each is text, and
/// the page holds no element that was not in the template.
#[test]
fn the_template_escapes_user_controlled_strings() {
    let evil = "<script>alert('x')</script><img src=x onerror=alert(1)>";
    let mut report = Report {
        input: "in.csv".into(),
        failed: 1,
        stopped: Some(format!("a fatal answer: {evil}")),
        timeline: timeline(2),
        first_failures: vec![super::super::FailedRow {
            line: 7,
            user: format!("u{evil}"),
            code: format!("C{evil}"),
            message: Some(format!("m{evil}\"'&")),
        }],
        ..Report::default()
    };
    report.count_failure(evil);
    let page = render(&report, TimelineSource::Journal).unwrap();
    assert!(
        !page.contains("<script") && !page.contains("<img"),
        "{page}"
    );
    let html = scraper::Html::parse_document(&page);
    let count = |s: &str| html.select(&scraper::Selector::parse(s).unwrap()).count();
    assert_eq!((count("script"), count("img")), (0, 0));
    let text = |s: &str| -> Vec<String> {
        html.select(&scraper::Selector::parse(s).unwrap())
            .map(|e| e.text().collect())
            .collect()
    };
    assert_eq!(
        text(".verdict"),
        [format!("Stopped: a fatal answer: {evil}")]
    );
    assert_eq!(
        text("table.rows td"),
        [
            "7".into(),
            format!("u{evil}"),
            format!("C{evil}"),
            format!("m{evil}\"'&")
        ]
    );
    assert!(text("table.list td").contains(&evil.to_string()));
    // The charts, marked safe, are still markup.
    assert_eq!(count("svg#calls"), 1);
    assert_eq!(count("svg#faults"), 1);
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

/// Each quota category gets a row and a chart of its own; a throttle in one is marked in its
/// chart alone.
#[test]
fn each_category_has_its_row_and_chart() {
    use crate::cognito::call::Category;
    use crate::cognito::pacing::CategoryFigures;
    let calm: Vec<Second> = timeline(3)
        .into_iter()
        .map(|s| Second { throttles: 0, ..s })
        .collect();
    let report = Report {
        input: "in.csv".into(),
        timeline: calm.clone(),
        categories: vec![
            CategoryFigures::of(Category::UserUpdate, 10.0, 10.0, calm),
            CategoryFigures::of(Category::UserRead, 80.0, 40.0, timeline(3)),
        ],
        ..Report::default()
    };
    let page = render(&report, TimelineSource::Measured).unwrap();
    let html = scraper::Html::parse_document(&page);
    let select = |s: &str| scraper::Selector::parse(s).unwrap();
    let names: Vec<String> = html
        .select(&select("h3.category"))
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(
        names,
        [
            "UserUpdate: successes and throttles per second",
            "UserRead: successes and throttles per second"
        ]
    );
    let marks = |id: &str| html.select(&select(&format!("svg#{id} line.mark"))).count();
    assert_eq!((marks("category-0"), marks("category-1")), (0, 1));
    let cells: Vec<String> = html
        .select(&select("table.list td"))
        .map(|e| e.text().collect())
        .collect();
    assert!(
        cells.contains(&"at most 80.0/s, 40.0/s at the end".to_string()),
        "{cells:?}"
    );
}
