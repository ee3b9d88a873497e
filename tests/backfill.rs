//! Computed backfills (issue 11) end to end against moto: the pool as input with `--set` and
//! `--where`, a CRM export joined by email, matching by a custom attribute, setup errors
//! before any call, a value the row checks refuse, rollback, and kill -9 then resume.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aws_sdk_cognitoidentityprovider::Client;
use support::proxy::{Config, FaultProxy};
use support::*;

const TENANT: &str = "custom:tenant={{ email | split(\"@\") | last | lower }}";
const UNTAGGED: &str = "attrs[\"custom:tenant\"] is not defined and email is defined";

/// A pool with `custom:tenant` and `custom:plan`, `custom:crm_id`, `custom:legacy_id`, and `n`
/// users u0..: every 10th already tagged, every 15th without email, the rest of three domains
/// written in mixed case.
async fn pool(c: &Client, n: usize) -> String {
    let pool = create_pool(c, &["tenant", "plan", "crm_id", "legacy_id", "note"]).await;
    for i in 0..n {
        let email = format!("u{i}@Dept{}.Example", i % 3);
        let mut attrs: Vec<(&str, &str)> = vec![];
        if !i.is_multiple_of(15) {
            attrs.push(("email", &email));
        }
        if i.is_multiple_of(10) {
            attrs.push(("custom:tenant", "preset"));
        }
        create_user(c, &pool, &format!("u{i}"), &attrs).await;
    }
    pool
}

/// What `custom:tenant` should be for user `i` after the backfill.
fn expected_tenant(i: usize) -> Option<String> {
    if i.is_multiple_of(10) {
        Some("preset".into())
    } else if i.is_multiple_of(15) {
        None
    } else {
        Some(format!("dept{}.example", i % 3))
    }
}

/// Each user's tenant (moto keeps a deleted attribute as blank: that is no tenant).
async fn tenants(c: &Client, pool: &str, n: usize) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(
            attributes(c, pool, &format!("u{i}"))
                .await
                .get("custom:tenant")
                .filter(|v| !v.is_empty())
                .cloned(),
        );
    }
    out
}

/// Runs the binary in `dir` (where default plan names go).
async fn run_in(dir: &Path, endpoint: &str, args: &[&str]) -> Run {
    let child = command(Some(endpoint), &confirmed(args))
        .current_dir(dir)
        .spawn()
        .unwrap();
    finish(child).await
}

/// The only `backfill-*.plan` file in `dir`.
fn plan_in(dir: &Path) -> PathBuf {
    let plans: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.starts_with("backfill-") && name.ends_with(".plan")
        })
        .collect();
    assert_eq!(plans.len(), 1, "{plans:?}");
    plans[0].clone()
}

fn header(plan: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(plan).unwrap();
    serde_json::from_str(text.lines().next().unwrap()).unwrap()
}

fn update_calls(proxy: &FaultProxy) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (op, body) in proxy.stats().bodies {
        if op == "AdminUpdateUserAttributes" {
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            *out.entry(v["Username"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn from_pool_backfill_plan_apply_rollback() {
    let n = 300;
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c, n).await;
    let proxy = FaultProxy::start(moto.addr, Config::recording()).await;
    let dir = tempfile::tempdir().unwrap();
    let flags = [
        "--user-pool-id",
        &pool,
        "--set",
        TENANT,
        "--where",
        UNTAGGED,
    ];
    let to_change = (0..n)
        .filter(|i| !i.is_multiple_of(10) && !i.is_multiple_of(15))
        .count();

    // plan: the rule in the output and in the plan file, nothing written.
    let plan_args: Vec<&str> = ["plan"].iter().chain(flags.iter()).copied().collect();
    let run = run_in(dir.path(), &proxy.url(), &plan_args).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("Backfill rule:"), "{}", run.stdout);
    assert!(run.stdout.contains(UNTAGGED), "{}", run.stdout);
    assert!(
        run.stdout.contains(&format!(
            "Plan: {to_change} users to change ({to_change} attributes), 0 unchanged"
        )),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("users left alone by --where"));
    let plan = plan_in(dir.path());
    assert_eq!(mode(&plan), 0o600);
    let h = header(&plan);
    assert_eq!(h["backfill"]["set"][0], TENANT);
    assert_eq!(h["backfill"]["where"], UNTAGGED);
    assert_eq!(h["input"], "");
    assert!(update_calls(&proxy).is_empty());

    // apply: the same flags, applied through the plan.
    let apply_args: Vec<&str> = ["apply"]
        .iter()
        .chain(flags.iter())
        .chain(&["--rps", "100"])
        .copied()
        .collect();
    let run = run_in(dir.path(), &proxy.url(), &apply_args).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        plan_in(dir.path()),
        plan,
        "the same rule, the same plan file"
    );
    let journal = PathBuf::from(format!("{}.journal", plan.display()));
    assert!(journal.exists());
    assert!(PathBuf::from(format!("{}.report.json", plan.display())).exists());
    let expected: Vec<Option<String>> = (0..n).map(expected_tenant).collect();
    assert_eq!(tenants(&c, &pool, n).await, expected);
    let calls = update_calls(&proxy);
    assert_eq!(calls.len(), to_change);
    assert!(calls.values().all(|&c| c == 1));

    // rollback: every user as before.
    let run = run_in(
        dir.path(),
        &moto.url(),
        &[
            "rollback",
            journal.to_str().unwrap(),
            "--rps",
            "100",
            "--yes",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    let before: Vec<Option<String>> = (0..n)
        .map(|i| (i.is_multiple_of(10)).then(|| "preset".to_string()))
        .collect();
    assert_eq!(tenants(&c, &pool, n).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn crm_join_by_email_and_ambiguous_matches() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["plan", "crm_id"]).await;
    for (user, email) in [
        ("alice", "Alice@Corp.Example"),
        ("bob", "bob@corp.example"),
        ("s1", "shared@corp.example"),
        ("s2", "Shared@corp.example"),
    ] {
        create_user(&c, &pool, user, &[("email", email)]).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let crm = dir.path().join("crm.csv");
    std::fs::write(
        &crm,
        "Email,Plan,Id\nalice@CORP.example,GOLD,17\nbob@corp.example,Free,18\n\
         shared@corp.example,Pro,19\nnobody@corp.example,Pro,20\n",
    )
    .unwrap();
    let run = run_in(
        dir.path(),
        &moto.url(),
        &[
            "apply",
            crm.to_str().unwrap(),
            "--user-pool-id",
            &pool,
            "--key-column",
            "Email",
            "--match",
            "email",
            "--set",
            "custom:plan={{ row.Plan | lower }}",
            "--set",
            "custom:crm_id={{ row.Id }}",
            "--yes",
        ],
    )
    .await;
    assert_eq!(run.code, 1, "some rows were not applied: {run:?}");
    assert!(
        run.stderr
            .contains("AmbiguousMatch: 2 users of the pool have this email"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("no user of the pool has this email"));
    assert!(
        run.stderr.contains("1 not found, 1 invalid"),
        "{}",
        run.stderr
    );
    let a = attributes(&c, &pool, "alice").await;
    assert_eq!(a.get("custom:plan").map(String::as_str), Some("gold"));
    assert_eq!(a.get("custom:crm_id").map(String::as_str), Some("17"));
    // The CRM's own columns are data, never attributes.
    assert!(!a.contains_key("Plan") && a["email"] == "Alice@Corp.Example");
    let b = attributes(&c, &pool, "bob").await;
    assert_eq!(b.get("custom:plan").map(String::as_str), Some("free"));
    for s in ["s1", "s2"] {
        assert!(!attributes(&c, &pool, s).await.contains_key("custom:plan"));
    }
    // The computed plan sits beside the input, with the rule and the input's SHA-256.
    let plans: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("crm.csv.backfill-") && n.ends_with(".plan"))
        .collect();
    assert_eq!(plans.len(), 1, "{plans:?}");
    let h = header(&dir.path().join(&plans[0]));
    assert_eq!(h["backfill"]["match"], "email");
    assert_eq!(h["input"], crm.to_str().unwrap());
    // The rows left out are in the run's report and failed rows, as in `apply INPUT`.
    let (report, failed) = report_and_failed(&dir.path().join(&plans[0]));
    assert_eq!(
        (&report["updated"], &report["failed"], &report["invalid"]),
        (&2.into(), &1.into(), &1.into()),
        "{report}"
    );
    assert_eq!(
        failed,
        [
            (
                "shared@corp.example".to_string(),
                "AmbiguousMatch".to_string()
            ),
            (
                "nobody@corp.example".to_string(),
                "UserNotFoundException".to_string()
            )
        ]
    );
}

/// The report of the run that applied `plan`, and its failed rows as (username, error code).
fn report_and_failed(plan: &Path) -> (serde_json::Value, Vec<(String, String)>) {
    let at = |suffix: &str| format!("{}.{suffix}", plan.display());
    let report = read_report(Path::new(&at("report.json")));
    let failed = std::fs::read_to_string(at("failed.jsonl")).unwrap_or_default();
    let rows = failed
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (s("username"), s("error_code"))
        })
        .collect();
    (report, rows)
}

#[tokio::test(flavor = "multi_thread")]
async fn match_a_plain_input_by_a_custom_attribute() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["legacy_id", "tier"]).await;
    create_user(&c, &pool, "alice", &[("custom:legacy_id", "L-1")]).await;
    create_user(&c, &pool, "bob", &[("custom:legacy_id", "L-2")]).await;
    create_user(&c, &pool, "carol", &[("custom:legacy_id", "l-1")]).await;
    let dir = tempfile::tempdir().unwrap();
    let legacy = dir.path().join("legacy.csv");
    // L-1 and l-1 differ: only emails ignore case. Two rows resolving to bob: duplicates.
    std::fs::write(
        &legacy,
        "legacy_id,custom:tier\nL-1,pro\nL-2,gold\nL-2,free\nL-3,pro\n",
    )
    .unwrap();
    let args = [
        "plan",
        legacy.to_str().unwrap(),
        "--user-pool-id",
        &pool,
        "--key-column",
        "legacy_id",
        "--match",
        "custom:legacy_id",
    ];
    let run = run_in(dir.path(), &moto.url(), &args).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("+ alice  custom:tier: \"pro\""),
        "{}",
        run.stdout
    );
    // Messages name the input's own lines.
    let dup = format!(
        "{}:3: user \"bob\": the user also appears on line 4",
        legacy.display()
    );
    assert!(run.stderr.contains(&dup), "{}", run.stderr);
    assert!(
        run.stdout.contains(
            "Plan: 1 users to change (1 attributes), 0 unchanged, 1 not found, 2 invalid."
        ),
        "{}",
        run.stdout
    );
    // The plan applies as any plan does, and the rows it left out are reported as `apply
    // INPUT` reports them: invalid, or failed as not found; in the failed rows; exit 1.
    let plan = format!("{}.plan", legacy.display());
    let run = run_in(
        dir.path(),
        &moto.url(),
        &["apply", "--plan", &plan, "--user-pool-id", &pool],
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("4 rows: 1 updated, 0 unchanged, 1 failed, 2 invalid"),
        "{}",
        run.stdout
    );
    let failed = std::fs::read_to_string(format!("{plan}.failed.jsonl")).unwrap();
    let codes: Vec<&str> = failed
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            match v["error_code"].as_str().unwrap() {
                "DuplicateUser" => "DuplicateUser",
                "UserNotFoundException" => "UserNotFoundException",
                other => panic!("{other}"),
            }
        })
        .collect();
    assert_eq!(
        codes,
        ["DuplicateUser", "DuplicateUser", "UserNotFoundException"]
    );
    assert!(failed.contains("\"username\":\"L-3\""), "{failed}");
    // The rows keep the values they asked for: fixed, they can be fed back.
    for tier in ["gold", "free"] {
        let row = format!("\"username\":\"bob\",\"attributes\":{{\"custom:tier\":\"{tier}\"}}");
        assert!(failed.contains(&row), "{failed}");
    }
    // The plan's reason and the input's line, not a generic "does not exist".
    assert!(
        failed.contains(
            "left out by the plan (input line 5): no user of the pool has this custom:legacy_id"
        ),
        "{failed}"
    );
    assert_eq!(
        attributes(&c, &pool, "alice")
            .await
            .get("custom:tier")
            .map(String::as_str),
        Some("pro")
    );
    assert!(
        !attributes(&c, &pool, "carol")
            .await
            .contains_key("custom:tier")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_errors_come_before_any_call() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c, 3).await;
    let proxy = FaultProxy::start(moto.addr, Config::recording()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = run_in(
        dir.path(),
        &proxy.url(),
        &[
            "apply",
            "--user-pool-id",
            &pool,
            "--set",
            "custom:tenant={{ email | }}",
            "--yes",
        ],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("--set custom:tenant: does not parse at line 1, column"),
        "{}",
        run.stderr
    );
    let run = run_in(
        dir.path(),
        &proxy.url(),
        &[
            "plan",
            "--user-pool-id",
            &pool,
            "--set",
            TENANT,
            "--where",
            "email is",
        ],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("--where: does not parse"),
        "{}",
        run.stderr
    );
    // A filter that does not exist is refused as Jinja2 refuses it, not per user.
    let run = run_in(
        dir.path(),
        &proxy.url(),
        &[
            "apply",
            "--user-pool-id",
            &pool,
            "--set",
            "custom:tenant={{ email | domian }}",
            "--yes",
        ],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("--set custom:tenant: unknown filter \"domian\""),
        "{}",
        run.stderr
    );
    assert!(
        proxy.stats().received.is_empty(),
        "{:?}",
        proxy.stats().received
    );

    // A target the pool does not define: refused after DescribeUserPool, before any other call.
    let run = run_in(
        dir.path(),
        &proxy.url(),
        &[
            "apply",
            "--user-pool-id",
            &pool,
            "--set",
            "custom:nope={{ username }}",
            "--yes",
        ],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--set custom:nope"), "{}", run.stderr);
    let legacy = dir.path().join("legacy.csv");
    std::fs::write(&legacy, "legacy_id,custom:tenant\nL-1,x\n").unwrap();
    let args = [
        "plan",
        legacy.to_str().unwrap(),
        "--user-pool-id",
        &pool,
        "--key-column",
        "legacy_id",
        "--match",
        "custom:nope",
    ];
    let run = run_in(dir.path(), &proxy.url(), &args).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--match custom:nope"), "{}", run.stderr);
    // An attribute the rules read that the pool does not define is a typo, not "undefined
    // for every user": refused after DescribeUserPool, before any other call.
    for (where_, named) in [
        ("custom.tenatn is not defined", "--where: custom:tenatn"),
        (
            "attrs[\"custom:tenatn\"] is not defined",
            "--where: custom:tenatn",
        ),
        ("attrs.emial is defined", "--where: emial"),
        ("\"custom:tenatn\" not in attrs", "--where: custom:tenatn"),
        (
            "custom | attr(\"tenatn\") is not defined",
            "--where: custom:tenatn",
        ),
    ] {
        let run = run_in(
            dir.path(),
            &proxy.url(),
            &[
                "plan",
                "--user-pool-id",
                &pool,
                "--set",
                TENANT,
                "--where",
                where_,
            ],
        )
        .await;
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.contains(named) && run.stderr.contains("does not define this attribute"),
            "{}",
            run.stderr
        );
    }
    // `row` without an input file, and a column the input does not have: before any call.
    let before = proxy.stats().received.values().sum::<u64>();
    let run = run_in(
        dir.path(),
        &proxy.url(),
        &[
            "plan",
            "--user-pool-id",
            &pool,
            "--set",
            "custom:tenant={{ row.Plan }}",
        ],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("there is none"), "{}", run.stderr);
    let crm = dir.path().join("crm.csv");
    std::fs::write(
        &crm,
        "Email,Plan
a@x.example,pro
",
    )
    .unwrap();
    let run = run_in(
        dir.path(),
        &proxy.url(),
        &[
            "plan",
            crm.to_str().unwrap(),
            "--user-pool-id",
            &pool,
            "--key-column",
            "Email",
            "--match",
            "email",
            "--set",
            "custom:plan={{ row.Plan }}",
            "--where",
            "row.Plna is not defined",
        ],
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("--where: row.Plna")
            && run.stderr.contains("(its columns: Email, Plan)"),
        "{}",
        run.stderr
    );
    assert_eq!(proxy.stats().received.values().sum::<u64>(), before);
    let received = proxy.stats().received;
    assert_eq!(
        received.keys().collect::<Vec<_>>(),
        ["DescribeUserPool"],
        "{received:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_value_too_long_makes_that_row_invalid_only() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c, 4).await;
    let dir = tempfile::tempdir().unwrap();
    let long = "custom:note={% if username == 'u1' %}{% for i in range(2049) %}x{% endfor %}\
                {% elif username == 'u2' %}{{ attrs[\"custom:crm_id\"] }}{% else %}ok{% endif %}";
    let run = run_in(
        dir.path(),
        &moto.url(),
        &["apply", "--user-pool-id", &pool, "--set", long, "--yes"],
    )
    .await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("user \"u1\": attribute custom:note: value is 2049 characters"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("user \"u2\": TemplateFailed: custom:note: undefined value"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("2 invalid"), "{}", run.stderr);
    let plan = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "plan"))
        .unwrap();
    let (report, failed) = report_and_failed(&plan);
    assert_eq!(report["invalid"], 2, "{report}");
    let mut failed = failed;
    failed.sort();
    assert_eq!(
        failed,
        [
            ("u1".to_string(), "ValueTooLong".to_string()),
            ("u2".to_string(), "TemplateFailed".to_string())
        ]
    );
    for (user, note) in [
        ("u0", Some("ok")),
        ("u1", None),
        ("u2", None),
        ("u3", Some("ok")),
    ] {
        assert_eq!(
            attributes(&c, &pool, user)
                .await
                .get("custom:note")
                .map(String::as_str),
            note,
            "{user}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_a_from_pool_apply_then_resume() {
    let n = 400;
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c, n).await;
    let proxy = FaultProxy::start(moto.addr, Config::recording()).await;
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "apply",
        "--user-pool-id",
        &pool,
        "--set",
        TENANT,
        "--where",
        UNTAGGED,
        "--rps",
        "60",
        "--yes",
    ];
    let mut child = command(Some(&proxy.url()), &args)
        .current_dir(dir.path())
        .spawn()
        .unwrap();
    // The plan is written before the first call; wait for some rows in its journal.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let plan = loop {
        let found = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "journal"));
        if let Some(j) = found {
            break PathBuf::from(j.to_str().unwrap().trim_end_matches(".journal"));
        }
        assert!(std::time::Instant::now() < deadline, "no journal appeared");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let journal = PathBuf::from(format!("{}.journal", plan.display()));
    wait_for_lines(&journal, 30).await;
    assert!(child.try_wait().unwrap().is_none(), "killed mid-way");
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
    let planned = std::fs::read(&plan).unwrap();

    // The pool changes meanwhile: a new untagged user. A recomputation would pick it up;
    // the resume sends exactly what was planned.
    create_user(&c, &pool, "late", &[("email", "late@new.example")]).await;
    let run = run_in(dir.path(), &proxy.url(), &args).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("resuming the run recorded in"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("skipped: already done"),
        "{}",
        run.stdout
    );
    assert_eq!(
        std::fs::read(&plan).unwrap(),
        planned,
        "the plan was not recomputed"
    );
    let expected: Vec<Option<String>> = (0..n).map(expected_tenant).collect();
    assert_eq!(tenants(&c, &pool, n).await, expected);
    assert!(
        !attributes(&c, &pool, "late")
            .await
            .contains_key("custom:tenant")
    );
    // Nothing planned twice: each user sent once (a row in flight at the kill is found
    // already done by the plan's before-check and not sent again).
    let calls = update_calls(&proxy);
    let to_change = (0..n)
        .filter(|i| !i.is_multiple_of(10) && !i.is_multiple_of(15))
        .count();
    assert_eq!(calls.len(), to_change);
    let twice: Vec<_> = calls.iter().filter(|(_, c)| **c > 1).collect();
    assert!(twice.len() <= 8, "{twice:?}");
    // Outcomes, not the intents written before each call.
    let text = std::fs::read_to_string(&journal).unwrap();
    let entries = text
        .lines()
        .skip(1)
        .filter(|l| !l.contains("\"outcome\":\"intent\""))
        .count();
    assert_eq!(entries, to_change, "every planned row recorded once");
}

#[tokio::test(flavor = "multi_thread")]
async fn rails_filter_and_limit_hold_for_computed_rows() {
    let n = 30;
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c, n).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.plan");
    let out = out.to_str().unwrap();

    // A computed email change without email_verified=true would send verification messages.
    let email = "email={{ username }}@new.example";
    let args = [
        "plan",
        "--user-pool-id",
        &pool,
        "--set",
        email,
        "--where",
        "email is defined",
        "--out",
        out,
    ];
    let run = run_in(dir.path(), &moto.url(), &args).await;
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("add --set email_verified=true"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("Plan: 0 users to change"),
        "{}",
        run.stdout
    );
    let args = [
        "plan",
        "--user-pool-id",
        &pool,
        "--set",
        email,
        "--set",
        "email_verified=true",
        "--where",
        "email is defined",
        "--out",
        out,
    ];
    let run = run_in(dir.path(), &moto.url(), &args).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("~ u1  email: \"u1@Dept1.Example\" -> \"u1@new.example\""),
        "{}",
        run.stdout
    );

    // --filter narrows the pool server-side.
    let args = [
        "plan",
        "--user-pool-id",
        &pool,
        "--set",
        TENANT,
        "--filter",
        "username ^= \"u1\"",
        "--out",
        out,
    ];
    let run = run_in(dir.path(), &moto.url(), &args).await;
    assert!(run.stdout.contains("+ u1  custom:tenant"), "{}", run.stdout);
    assert!(!run.stdout.contains("+ u2  "), "{}", run.stdout);

    // --limit: a canary, then the same command goes on from there with the same plan.
    let args = [
        "apply",
        "--user-pool-id",
        &pool,
        "--set",
        TENANT,
        "--where",
        UNTAGGED,
        "--limit",
        "5",
        "--out",
        out,
        "--yes",
    ];
    let run = run_in(dir.path(), &moto.url(), &args).await;
    assert_eq!(run.code, 0, "{run:?}");
    let done = tenants(&c, &pool, n).await;
    let changed = (0..n).filter(|&i| done[i] != (i.is_multiple_of(10)).then(|| "preset".into()));
    assert_eq!(changed.count(), 5);
    let rest = [
        "apply",
        "--user-pool-id",
        &pool,
        "--set",
        TENANT,
        "--where",
        UNTAGGED,
        "--out",
        out,
        "--yes",
    ];
    let run = run_in(dir.path(), &moto.url(), &rest).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("resuming the run recorded in"),
        "{}",
        run.stderr
    );
    let expected: Vec<Option<String>> = (0..n).map(expected_tenant).collect();
    assert_eq!(tenants(&c, &pool, n).await, expected);

    // Once that run finished, the same command computes a new plan: nothing left to do.
    let run = run_in(dir.path(), &moto.url(), &rest).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("Plan: 0 users to change"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("the old journal is kept as"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(out).unwrap().lines().count(),
        2,
        "a header and the end marker only"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn get_mode_looks_up_each_key_with_a_filter_and_keeps_the_alias_rail() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c, 40).await;
    let dir = tempfile::tempdir().unwrap();
    // u8's new email is already u9's: the alias rail must still see it without a whole-pool
    // read. (Cognito's email filter ignores case; moto's does not, so cases match here.)
    let crm = dir.path().join("crm.csv");
    std::fs::write(
        &crm,
        "Email,Plan,NewEmail\nu1@Dept1.Example,Gold,\nu4@Dept1.Example,Silver,\nu8@Dept2.Example,Bronze,u9@Dept0.Example\n",
    )
    .unwrap();
    let proxy = FaultProxy::start(moto.addr, Config::recording()).await;
    let run = run_in(
        dir.path(),
        &proxy.url(),
        &[
            "apply",
            crm.to_str().unwrap(),
            "--user-pool-id",
            &pool,
            "--key-column",
            "Email",
            "--match",
            "email",
            "--current-state",
            "get",
            "--set",
            "custom:plan={{ row.Plan | lower }}",
            "--yes",
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    for (user, plan) in [("u1", "gold"), ("u4", "silver"), ("u8", "bronze")] {
        assert_eq!(
            attributes(&c, &pool, user).await["custom:plan"],
            plan,
            "{user}"
        );
    }
    // Every ListUsers call was a filtered lookup: the pool was never read whole.
    let lists: Vec<String> = proxy
        .stats()
        .bodies
        .into_iter()
        .filter(|(op, _)| op == "ListUsers")
        .map(|(_, body)| body)
        .collect();
    assert!(!lists.is_empty());
    assert!(lists.iter().all(|b| b.contains("\"Filter\"")), "{lists:?}");

    // The alias rail holds in get mode: an email another user already has is refused.
    let run = run_in(
        dir.path(),
        &proxy.url(),
        &[
            "plan",
            crm.to_str().unwrap(),
            "--user-pool-id",
            &pool,
            "--key-column",
            "Email",
            "--match",
            "email",
            "--current-state",
            "get",
            "--set",
            "email={{ row.NewEmail }}",
            "--set",
            "email_verified=true",
            "--out",
            dir.path().join("alias.plan").to_str().unwrap(),
        ],
    )
    .await;
    assert!(
        run.stderr.contains(
            "user \"u8\": attribute email: another user of the pool already has this email"
        ),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_a_backfill_apply_is_announced_once_and_its_advice_resumes() {
    let n = 200;
    let moto = Moto::start();
    let c = moto.client();
    let pool = pool(&c, n).await;
    let proxy = FaultProxy::start(moto.addr, Config::recording()).await;
    let dir = tempfile::tempdir().unwrap();
    let endpoint = proxy.url();
    let args = [
        "apply",
        "--user-pool-id",
        &pool,
        "--set",
        TENANT,
        "--where",
        UNTAGGED,
        "--rps",
        "40",
        "--yes",
        "--endpoint-url",
        &endpoint,
    ];
    let child = command(None, &args)
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while update_calls(&proxy).len() < 20 {
        assert!(
            std::time::Instant::now() < deadline,
            "sending never started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    interrupt(&child);
    let run = finish(child).await;
    assert_eq!(run.code, 3, "{run:?}");
    // One watcher for the whole command: computing, asking and sending.
    assert_eq!(
        run.stderr
            .matches("interrupted: finishing calls in flight")
            .count(),
        1,
        "{}",
        run.stderr
    );
    let words = resume_advice(&run.stderr);
    let again: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    let resumed = finish(
        command(None, &again)
            .current_dir(dir.path())
            .spawn()
            .unwrap(),
    )
    .await;
    assert_eq!(resumed.code, 0, "{resumed:?}");
    assert!(
        resumed.stderr.contains("resuming the run recorded in"),
        "{}",
        resumed.stderr
    );
    let expected: Vec<Option<String>> = (0..n).map(expected_tenant).collect();
    assert_eq!(tenants(&c, &pool, n).await, expected);
    assert!(
        update_calls(&proxy).values().all(|&calls| calls == 1),
        "no user sent twice"
    );
}

/// A computed backfill that sets email on more users than Cognito's default sender mails in a
/// day (50), with messages allowed: refused before the question and before any write (no
/// journal), naming the flag; the command run again with `--allow-over-email-limit` applies.
#[tokio::test(flavor = "multi_thread")]
async fn a_backfill_over_the_daily_email_limit_is_refused_until_allowed() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    for i in 0..51 {
        let u = format!("u{i:02}");
        create_user(&c, &pool, &u, &[("email", &format!("{u}@old.example"))]).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "apply",
        "--user-pool-id",
        &pool,
        "--set",
        "email={{ username }}@new.example",
        "--allow-verification-messages",
    ];
    let run = run_in(dir.path(), &moto.url(), &args).await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("51 emails") && run.stderr.contains("--allow-over-email-limit"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("applying"),
        "refused before: {}",
        run.stderr
    );
    let journals = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .to_string_lossy()
                .ends_with(".journal")
        })
        .count();
    assert_eq!(journals, 0, "no run started");
    assert_eq!(
        attributes(&c, &pool, "u00").await["email"],
        "u00@old.example"
    );
    let mut allowed = args.to_vec();
    allowed.push("--allow-over-email-limit");
    let run = run_in(dir.path(), &moto.url(), &allowed).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("51 updated"), "{}", run.stdout);
    assert_eq!(
        attributes(&c, &pool, "u50").await["email"],
        "u50@new.example"
    );
}

/// A computed backfill that changes an attribute the pool's identity provider maps, for a
/// federated user (an `identities` attribute), is refused in the plan as
/// `OverwrittenAtSignIn`; planned with `--allow-overwritten-at-sign-in`, the printed `apply
/// --plan` command states the flag and applies the row as printed.
#[tokio::test(flavor = "multi_thread")]
async fn a_backfill_of_a_federated_users_mapped_attribute_needs_the_flag() {
    use aws_sdk_cognitoidentityprovider::types::IdentityProviderTypeType;
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &[]).await;
    c.create_identity_provider()
        .user_pool_id(&pool)
        .provider_name("Google")
        .provider_type(IdentityProviderTypeType::Google)
        .provider_details("client_id", "x")
        .attribute_mapping("given_name", "given_name")
        .send()
        .await
        .unwrap();
    let identities =
        r#"[{"userId":"1","providerName":"Google","providerType":"Google","primary":true}]"#;
    create_user(
        &c,
        &pool,
        "google_1",
        &[("given_name", "Ann"), ("identities", identities)],
    )
    .await;
    create_user(&c, &pool, "u1", &[("given_name", "Uma")]).await;
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("names.plan");
    let plan = plan.to_str().unwrap();
    let args = [
        "plan",
        "--user-pool-id",
        &pool,
        "--set",
        "given_name={{ given_name }}!",
        "--out",
        plan,
    ];
    let run = run_in(dir.path(), &moto.url(), &args).await;
    assert!(
        run.stdout.contains("1 users to change") && run.stdout.contains("1 invalid"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains("writes given_name at every sign-in"),
        "{}",
        run.stderr
    );
    let mut allowed = args.to_vec();
    allowed.push("--allow-overwritten-at-sign-in");
    let run = run_in(dir.path(), &moto.url(), &allowed).await;
    assert!(run.stdout.contains("2 users to change"), "{run:?}");
    let printed = run
        .stdout
        .lines()
        .find_map(|l| l.split_once("apply it with: cognito-bulk "))
        .map(|(_, cmd)| cmd.to_string())
        .expect("an apply command");
    assert!(
        printed.contains("--allow-overwritten-at-sign-in"),
        "{printed}"
    );
    let printed: Vec<String> = shlex::split(&printed).expect("a command line");
    let printed: Vec<&str> = printed.iter().map(String::as_str).collect();
    // As printed: it carries the --endpoint-url the plan was given.
    let mut child = command(None, &confirmed(&printed));
    let run = finish(child.current_dir(dir.path()).spawn().unwrap()).await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        attributes(&c, &pool, "google_1").await["given_name"],
        "Ann!"
    );
}
