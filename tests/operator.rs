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
    let json_path = dir.path().join("users.csv.report.json");
    let html_path = dir.path().join("users.csv.report.html");
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
    let journal = dir.path().join("users.csv.journal");
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

/// Creates `n` users (p000..) with custom:tier = "free", concurrently.
async fn many_users(moto: &Moto, pool: &str, n: usize) {
    let mut set = tokio::task::JoinSet::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(n.div_ceil(8).max(1)) {
        let (c, pool, chunk) = (moto.client(), pool.to_string(), chunk.to_vec());
        set.spawn(async move {
            for i in chunk {
                create_user(&c, &pool, &format!("p{i:03}"), &[("custom:tier", "free")]).await;
            }
        });
    }
    while let Some(done) = set.join_next().await {
        done.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn json_summaries_are_the_reports_and_logs_can_be_json() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let (pool, input) = setup(&moto, dir.path(), 3, "pro").await;
    let input_s = input.to_str().unwrap();

    let plan_path = dir.path().join("users.csv.plan");
    let plan = cognito_bulk(
        &moto.url(),
        &["plan", input_s, "--user-pool-id", &pool, "--json"],
        None,
    )
    .await;
    assert_eq!(plan.code, 1, "{plan:?}"); // ghost is not found
    let summary: serde_json::Value = serde_json::from_str(&plan.stdout).expect("only JSON");
    assert_eq!(summary["to_change"], 3);
    assert_eq!(summary["attributes"], 6);
    assert_eq!(summary["not_found"], 1);
    assert_eq!(summary["plan"], plan_path.to_str().unwrap());

    // apply --json: standard output is the report file, and nothing else; logs as JSON.
    let apply = cognito_bulk(
        &moto.url(),
        &[
            "apply",
            input_s,
            "--user-pool-id",
            &pool,
            "--json",
            "--log-format",
            "json",
        ],
        None,
    )
    .await;
    assert_eq!(apply.code, 1, "{apply:?}");
    let printed: serde_json::Value = serde_json::from_str(&apply.stdout).expect("only JSON");
    let file = read_report(&dir.path().join("users.csv.report.json"));
    assert_eq!(printed, file);
    assert_eq!(
        (file["updated"].as_u64(), file["failed"].as_u64()),
        (Some(3), Some(1))
    );
    assert!(!apply.stderr.trim().is_empty());
    for line in apply.stderr.lines() {
        let event: serde_json::Value = serde_json::from_str(line).expect(line);
        assert!(event["level"].is_string() && event["fields"]["message"].is_string());
    }

    // report --json: the same counts, rebuilt from the journal.
    let journal = dir.path().join("users.csv.journal");
    let report = cognito_bulk(
        &moto.url(),
        &["report", journal.to_str().unwrap(), "--json"],
        None,
    )
    .await;
    let rebuilt: serde_json::Value = serde_json::from_str(&report.stdout).expect("only JSON");
    for key in [
        "rows_total",
        "updated",
        "failed",
        "invalid",
        "unchanged",
        "api_calls",
    ] {
        assert_eq!(rebuilt[key], file[key], "{key}");
    }

    // rollback --json: the same, for the rollback's own report.
    let rollback = cognito_bulk(
        &moto.url(),
        &["rollback", journal.to_str().unwrap(), "--yes", "--json"],
        None,
    )
    .await;
    assert_eq!(rollback.code, 0, "{rollback:?}");
    let printed: serde_json::Value = serde_json::from_str(&rollback.stdout).expect("only JSON");
    let file = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.contains("rollback") && name.ends_with("report.json")
        })
        .expect("the rollback's report");
    assert_eq!(printed, read_report(&file));
    assert_eq!(printed["updated"], 3);

    // RUST_LOG is honoured: off means not a line on standard error.
    let mut cmd = command(
        Some(&moto.url()),
        &["plan", input_s, "--user-pool-id", &pool, "--json"],
    );
    cmd.env("RUST_LOG", "off");
    let quiet = finish(cmd.spawn().unwrap()).await;
    assert_eq!(quiet.code, 1, "{quiet:?}");
    assert!(!quiet.stderr.contains("INFO"), "{quiet:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sdk_internal_logs_are_quiet_unless_verbose() {
    // No region anywhere: the SDK looks for one in IMDS (here a closed loopback port) and logs
    // its failures; the tool's own error says what to do.
    let run = |verbose: bool| {
        let mut args = vec!["plan", "in.csv", "--user-pool-id", "us-east-1_x"];
        if verbose {
            args.push("--verbose");
        }
        let mut cmd = command(None, &args);
        cmd.env_remove("AWS_REGION")
            .env_remove("AWS_EC2_METADATA_DISABLED")
            .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9");
        finish(cmd.spawn().unwrap())
    };
    let quiet = run(false).await;
    assert_eq!(quiet.code, 2, "{quiet:?}");
    assert!(quiet.stderr.contains("no AWS region is set"), "{quiet:?}");
    assert!(!quiet.stderr.contains("IMDS"), "{quiet:?}");
    assert_eq!(quiet.stderr.lines().count(), 1, "{quiet:?}");
    let verbose = run(true).await;
    assert!(verbose.stderr.contains("IMDS"), "{verbose:?}");
}

/// Runs the binary without a server.
async fn offline(args: &[&str]) -> Run {
    finish(command(None, args).spawn().unwrap()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_command_line_follows_conventions() {
    // --detailed-exitcode: 2 means "changes", so a usage error is 1.
    let bad = offline(&[
        "plan",
        "in.csv",
        "--user-pool-id",
        "p",
        "--detailed-exitcode",
        "--bogus",
    ])
    .await;
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(bad.stderr.contains("--bogus"));
    let bad = offline(&["plan", "in.csv", "--user-pool-id", "p", "--bogus"]).await;
    assert_eq!(bad.code, 2, "{bad:?}");

    // Each command offers only the flags it uses, under headings.
    let report = offline(&["report", "--help"]).await;
    assert_eq!(report.code, 0);
    for absent in ["--endpoint-url", "--region", "--yes", "--user-pool-id"] {
        assert!(
            !report.stdout.contains(absent),
            "{absent}: {}",
            report.stdout
        );
    }
    let refused = offline(&[
        "report",
        "x.journal",
        "--endpoint-url",
        "http://127.0.0.1:9",
    ])
    .await;
    assert_eq!(refused.code, 2, "{refused:?}");
    let apply = offline(&["apply", "--help"]).await;
    for heading in [
        "Input:",
        "Reading the pool:",
        "Sending:",
        "Files:",
        "Runs:",
        "AWS:",
    ] {
        assert!(
            apply.stdout.contains(heading),
            "{heading}: {}",
            apply.stdout
        );
    }
    let plan = offline(&["plan", "--help"]).await;
    assert!(!plan.stdout.contains("--yes"), "{}", plan.stdout);
    // --current-state lists its values once.
    assert_eq!(
        plan.stdout.matches("ListUsers").count(),
        1,
        "{}",
        plan.stdout
    );

    // Completions for the usual shells.
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef cognito-bulk"),
        ("fish", "complete -c cognito-bulk"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let run = offline(&["completions", shell]).await;
        assert_eq!(run.code, 0, "{run:?}");
        assert!(run.stdout.contains(marker), "{shell}: {}", run.stdout);
        assert!(run.stdout.contains("rollback"), "{shell}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn export_piped_into_plan_and_true_log_counts() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    many_users(&moto, &pool, 300).await;
    let dir = tempfile::tempdir().unwrap();

    // Export's progress counts users, and shows no rate limit (it sends nothing).
    let out = dir.path().join("all.jsonl");
    let export = cognito_bulk(
        &moto.url(),
        &[
            "export",
            "--user-pool-id",
            &pool,
            "--output",
            out.to_str().unwrap(),
        ],
        None,
    )
    .await;
    assert_eq!(export.code, 0, "{export:?}");
    assert!(export.stderr.contains("300/300 users"), "{}", export.stderr);
    assert!(!export.stderr.contains("rows") && !export.stderr.contains("rate limit"));

    // export --output - | plan -: standard input is spooled beside the plan.
    let plan_path = dir.path().join("piped.plan");
    let mut exporter = command(
        Some(&moto.url()),
        &["export", "--user-pool-id", &pool, "--output", "-"],
    );
    let mut exporter = exporter.spawn().unwrap();
    let pipe: std::process::Stdio = exporter.stdout.take().unwrap().try_into().unwrap();
    let mut planner = command(
        Some(&moto.url()),
        &[
            "plan",
            "-",
            "--format",
            "jsonl",
            "--user-pool-id",
            &pool,
            "--current-state",
            "list",
            "--out",
            plan_path.to_str().unwrap(),
        ],
    );
    planner.stdin(pipe);
    let plan = finish(planner.spawn().unwrap()).await;
    assert_eq!(finish(exporter).await.code, 0);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.contains("0 users to change"), "{plan:?}");
    assert!(plan.stdout.contains("300 unchanged"), "{plan:?}");
    // The log's last word on reading the pool is the true count.
    assert!(
        plan.stderr.contains("reading the pool: 300 users"),
        "{}",
        plan.stderr
    );
    let copy = dir.path().join("piped.plan.input");
    assert_eq!(mode(&copy), 0o600);
    assert_eq!(std::fs::read_to_string(&copy).unwrap().lines().count(), 300);
    // The plan applies (its input, the copy, has not changed).
    let apply = cognito_bulk(
        &moto.url(),
        &[
            "apply",
            "--plan",
            plan_path.to_str().unwrap(),
            "--user-pool-id",
            &pool,
        ],
        None,
    )
    .await;
    assert_eq!(apply.code, 0, "{apply:?}");

    // A missing input is said once.
    let missing = dir.path().join("missing.csv");
    let run = cognito_bulk(
        &moto.url(),
        &["plan", missing.to_str().unwrap(), "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr.matches("No such file or directory").count(),
        1,
        "{run:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_for_review_redacted_coloured_and_with_emails_beside_uuids() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    let uuid = "5f1d7c2e-8a4b-4c3d-9e2f-0123456789ab";
    create_user(
        &c,
        &pool,
        uuid,
        &[("email", "ana@example.org"), ("custom:tier", "free")],
    )
    .await;
    let mut csv = String::from("username,custom:tier,nickname\n");
    csv.push_str(&format!("{uuid},platinum-secret,Ana \"the | pipe\"\n"));
    let mut values = vec![
        "platinum-secret".to_string(),
        "Ana \"the | pipe\"".to_string(),
    ];
    for i in 0..24 {
        create_user(&c, &pool, &format!("m{i:02}"), &[("custom:tier", "free")]).await;
        csv.push_str(&format!("m{i:02},platinum-secret,nick-secret-{i}\n"));
        values.push(format!("nick-secret-{i}"));
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("users.csv");
    std::fs::write(&input, csv).unwrap();
    let md = dir.path().join("plan.md");
    let run = cognito_bulk(
        &moto.url(),
        &[
            "plan",
            input.to_str().unwrap(),
            "--user-pool-id",
            &pool,
            "--markdown",
            md.to_str().unwrap(),
            "--redact",
            "--show",
            "all",
            "--color",
            "always",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");

    // The Markdown plan: summary, rule, a table of every change, and no value of the input.
    let text = std::fs::read_to_string(&md).unwrap();
    assert_eq!(mode(&md), 0o600);
    assert!(
        text.contains("Plan: 25 users to change (50 attributes)"),
        "{text}"
    );
    assert!(
        text.contains(&pool) && text.contains("## The rule"),
        "{text}"
    );
    for v in values
        .iter()
        .map(String::as_str)
        .chain(["free", "ana@example.org"])
    {
        assert!(!text.contains(v), "{v} leaked: {text}");
    }
    let rows: Vec<&str> = text.lines().filter(|l| l.contains("custom:tier")).collect();
    assert_eq!(rows.len(), 25, "{text}");
    // Same value, same hash: every row moves the tier from one hash to another.
    let cells =
        |row: &str| -> Vec<String> { row.split(" | ").map(|c| c.trim().to_string()).collect() };
    let first = cells(rows[0]);
    assert!(
        first[4].starts_with("`#") && first[5].starts_with("`#"),
        "{first:?}"
    );
    assert_ne!(first[4], first[5]);
    for row in &rows {
        let c = cells(row);
        assert_eq!((&c[4], &c[5]), (&first[4], &first[5]), "{row}");
    }

    // The preview: every change (--show all), coloured, the UUID user named with its email.
    let preview: Vec<&str> = run.stdout.lines().filter(|l| l.contains("  ")).collect();
    assert_eq!(
        run.stdout.matches("\u{1b}[33m~").count() + run.stdout.matches("\u{1b}[32m+").count(),
        50,
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("more attribute changes"),
        "{preview:?}"
    );
    assert!(
        run.stdout.contains(&format!("{uuid} (ana@example.org)")),
        "{}",
        run.stdout
    );

    // Not on a terminal, no colour by default, and 20 changes shown.
    let plain = cognito_bulk(
        &moto.url(),
        &["plan", input.to_str().unwrap(), "--user-pool-id", &pool],
        None,
    )
    .await;
    assert!(!plain.stdout.contains('\u{1b}'), "{}", plain.stdout);
    assert!(
        plain.stdout.contains("... and 30 more attribute changes"),
        "{}",
        plain.stdout
    );
}

/// Every line a run writes on standard error is a JSON event with `--log-format json`: the
/// preview, the rows left out, the error that ends a run, and the advice that follows it.
#[tokio::test(flavor = "multi_thread")]
async fn with_log_format_json_every_line_on_standard_error_is_json() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let (pool, _input) = setup(&moto, dir.path(), 3, "pro").await;
    let events = |stderr: &str| -> Vec<serde_json::Value> {
        assert!(!stderr.trim().is_empty());
        stderr
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
            .collect()
    };
    let said = |events: &[serde_json::Value], level: &str, text: &str| {
        events.iter().any(|e| {
            e["level"] == level
                && e["fields"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(text))
        })
    };
    // A setup error.
    let missing = dir.path().join("missing.csv");
    let run = cognito_bulk(
        &moto.url(),
        &[
            "apply",
            missing.to_str().unwrap(),
            "--user-pool-id",
            &pool,
            "--yes",
            "--log-format",
            "json",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        said(&events(&run.stderr), "ERROR", "missing.csv"),
        "{}",
        run.stderr
    );
    // A computed backfill applied with --yes: its rule, preview and rows left out.
    let backfill = [
        "apply",
        "--user-pool-id",
        &pool,
        "--set",
        "custom:tier={% if username == 'u1' %}{{ attrs['nickname'] }}{% else %}gold{% endif %}",
        "--yes",
        "--log-format",
        "json",
    ];
    let child = command(Some(&moto.url()), &backfill)
        .current_dir(dir.path())
        .spawn()
        .unwrap();
    let run = finish(child).await;
    assert_eq!(run.code, 1, "{run:?}");
    let e = events(&run.stderr);
    assert!(said(&e, "INFO", "Backfill rule:"), "{}", run.stderr);
    assert!(
        said(&e, "INFO", "Plan: 2 users to change"),
        "{}",
        run.stderr
    );
    assert!(
        said(&e, "WARN", "user \"u1\": left out by the plan"),
        "{}",
        run.stderr
    );
    // Logs never carry attribute values: with --yes no preview of the changes is shown.
    assert!(!run.stderr.contains("-> \\\"gold\\\""), "{}", run.stderr);
    // A mistyped flag: one JSON event too, with the usage error's exit code.
    let run = cognito_bulk(
        &moto.url(),
        &[
            "apply",
            "--user-pool-id",
            &pool,
            "--bogus",
            "--log-format",
            "json",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    let e = events(&run.stderr);
    assert_eq!(e.len(), 1, "{}", run.stderr);
    assert!(said(&e, "ERROR", "--bogus"), "{}", run.stderr);
}
