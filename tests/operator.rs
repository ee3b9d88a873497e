//! What the operator sees: the HTML run report, JSON summaries for machines, the command
//! line's conventions (help, exit codes, completions, standard input) and the reviewable plan.

mod support;

use std::path::{Path, PathBuf};

use scraper::{Html, Selector};
use support::*;

/// A pool with users u0..u{n} (custom:tier = "free") and a CSV input moving them to
/// `tier`, plus one user the pool does not have (a failed row).
async fn setup(moto: &Moto, dir: &Path, n: usize, tier: &str) -> (String, PathBuf) {
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    let mut csv = String::from("username,custom:tier,nickname\n");
    for i in 0..n {
        let user = format!("u{i}");
        create_user(&c, &pool, &user, &[("custom:tier", "free")]).await;
        csv.push_str(&format!("{user},{tier},nick-{i}\n"));
    }
    csv.push_str(&format!("ghost,{tier},nick-ghost\n"));
    let input = dir.join("users.csv");
    std::fs::write(&input, csv).unwrap();
    (pool, input)
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

/// Parses an HTML report and checks what every report must be: well-formed enough to parse,
/// and self-contained (no src or href to the network, no script).
fn parse_report(path: &Path) -> Html {
    let text = std::fs::read_to_string(path).unwrap();
    let page = Html::parse_document(&text);
    assert!(page.errors.is_empty(), "{:?}", page.errors);
    for el in page.select(&sel("[src], [href]")) {
        for attr in ["src", "href"] {
            if let Some(v) = el.value().attr(attr) {
                let v = v.trim().to_lowercase();
                assert!(
                    !v.starts_with("http:") && !v.starts_with("https:") && !v.starts_with("//"),
                    "{attr}={v}"
                );
            }
        }
    }
    assert_eq!(page.select(&sel("script")).count(), 0);
    assert_eq!(page.select(&sel("link")).count(), 0);
    assert!(!text.contains("@import") && !text.contains("url("));
    page
}

/// The chart's points: one hover column per second (or bucket), and the points of each line.
fn chart_points(page: &Html) -> (usize, Vec<usize>) {
    let columns = page.select(&sel("svg#calls rect.bucket")).count();
    let lines = page
        .select(&sel("svg#calls polyline"))
        .map(|p| p.value().attr("points").unwrap().split_whitespace().count())
        .collect();
    (columns, lines)
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_writes_a_self_contained_html_report_beside_the_json_one() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let (pool, input) = setup(&moto, dir.path(), 6, "secret-tier").await;
    // 2 calls a second: the run spans several seconds, so the timeline has several points.
    let run = cognito_bulk(
        &moto.url(),
        &[
            "apply",
            input.to_str().unwrap(),
            "--user-pool-id",
            &pool,
            "--rps",
            "2",
            "--current-state",
            "none",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}"); // ghost fails
    let json_path = dir.path().join("users.report.json");
    let html_path = dir.path().join("users.report.html");
    assert!(
        run.stdout.contains(&html_path.display().to_string()),
        "{run:?}"
    );
    assert_eq!(mode(&html_path), 0o600);
    let report = read_report(&json_path);
    let seconds = report["timeline"].as_array().unwrap().len();
    assert!(seconds >= 2, "{report}");

    let page = parse_report(&html_path);
    let (columns, lines) = chart_points(&page);
    assert_eq!(columns, seconds);
    assert_eq!(lines, vec![seconds; 3], "calls, successes, rate limit");
    let text = page.root_element().text().collect::<String>();
    assert!(text.contains(&pool));
    assert!(text.contains("UserNotFoundException"));
    // The first failed rows: user, line, code and message, never a value.
    let failed: Vec<String> = page
        .select(&sel("table.list tr td"))
        .map(|td| td.text().collect())
        .collect();
    assert!(failed.contains(&"ghost".to_string()), "{failed:?}");
    assert!(failed.contains(&"8".to_string()), "line 8: {failed:?}");
    assert!(!text.contains("secret-tier") && !text.contains("nick-"));
    assert_eq!(report["first_failures"][0]["user"], "ghost");
    assert_eq!(report["first_failures"][0]["line"], 8);
    assert!(report["started_at"].as_str().unwrap().ends_with('Z'));

    // `report JOURNAL --html PATH`: the same page, its timeline rebuilt from the journal.
    let journal = dir.path().join("users.journal");
    let out = dir.path().join("from-journal.html");
    let run = cognito_bulk(
        &moto.url(),
        &[
            "report",
            journal.to_str().unwrap(),
            "--html",
            out.to_str().unwrap(),
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    let page = parse_report(&out);
    let (columns, lines) = chart_points(&page);
    let finished: Vec<f64> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["attempts"].as_u64().unwrap() > 0)
        .map(|e| e["t"].as_f64().unwrap())
        .collect();
    let first = finished.iter().copied().fold(f64::MAX, f64::min);
    let last = finished.iter().copied().fold(0.0, f64::max);
    let expected = (last - first) as usize + 1;
    assert_eq!(columns, expected);
    assert_eq!(lines, vec![expected; 2], "calls, successes; no rate limit");
    let text = page.root_element().text().collect::<String>();
    assert!(text.contains("Rebuilt from the journal"), "{text}");
}
