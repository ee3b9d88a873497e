//! Allowances are stated where they act (issue 17, item 5): a plan's header cannot widen what
//! `apply --plan` allows. A plan forged by someone who recomputes its documented checksum
//! (SHA-256 of the header and entry lines, newlines included, in the end marker) sends nothing
//! the command line does not allow.

mod support;

use std::path::Path;

use sha2::{Digest, Sha256};
use support::*;

/// Rewrites a plan with `edit` applied to its header and entries, and its end marker
/// recomputed as the README documents: what a forger can do.
fn forge(plan: &Path, edit: impl Fn(&mut Vec<serde_json::Value>)) {
    let text = std::fs::read_to_string(plan).unwrap();
    let mut lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    lines.pop(); // the end marker
    edit(&mut lines);
    let mut body = String::new();
    for l in &lines {
        body.push_str(&serde_json::to_string(l).unwrap());
        body.push('\n');
    }
    let sha = hex::encode(Sha256::digest(body.as_bytes()));
    body.push_str(&format!(
        "{{\"kind\":\"cognito-bulk-plan-end\",\"entries\":{},\"sha256\":\"{sha}\"}}\n",
        lines.len() - 1
    ));
    std::fs::write(plan, body).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_allowance_in_a_plan_does_not_widen_the_command_line() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    create_user(
        &c,
        &pool,
        "u1",
        &[("email", "u1@old.example"), ("custom:tier", "free")],
    )
    .await;
    create_user(&c, &pool, "u2", &[("custom:tier", "free")]).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.csv");
    std::fs::write(&input, "username,custom:tier\nu1,pro\nu2,pro\n").unwrap();
    let input = input.to_str().unwrap();
    let run = cognito_bulk(&moto.url(), &["plan", input, "--user-pool-id", &pool], None).await;
    assert_eq!(run.code, 0, "{run:?}");
    let plan = format!("{input}.plan");

    // The forger allows messages in the header and adds an email change without its flag.
    forge(Path::new(&plan), |lines| {
        lines[0]["allow_verification_messages"] = true.into();
        let entry = lines.iter_mut().find(|l| l["user"] == "u1").unwrap();
        entry["changes"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"name": "email", "before": "u1@old.example", "after": "victim@evil.example"}));
    });
    let run = cognito_bulk(
        &moto.url(),
        &["apply", "--plan", &plan, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 1, "the forged row is refused: {run:?}");
    assert!(run.stdout.contains("VerificationMessage x1"), "{run:?}");
    assert_eq!(
        attributes(&c, &pool, "u1").await["email"],
        "u1@old.example",
        "no email change sent, no message mailed"
    );
    assert_eq!(attributes(&c, &pool, "u2").await["custom:tier"], "pro");
    let report = read_report(Path::new(&format!("{plan}.report.json")));
    assert_eq!(report["verification_messages"], 0, "{report}");

    // A forged "made without reading current values" would lift the conflict check: refused
    // unless apply --plan says --current-state none itself.
    let plan2 = dir.path().join("b.plan");
    let run = cognito_bulk(
        &moto.url(),
        &[
            "plan",
            input,
            "--user-pool-id",
            &pool,
            "--out",
            plan2.to_str().unwrap(),
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    forge(&plan2, |lines| lines[0]["current_state"] = "none".into());
    let run = cognito_bulk(
        &moto.url(),
        &[
            "apply",
            "--plan",
            plan2.to_str().unwrap(),
            "--user-pool-id",
            &pool,
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--current-state none"), "{run:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_weeks_old_is_named_when_applied() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    create_user(&c, &pool, "u1", &[("custom:tier", "free")]).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("a.csv");
    std::fs::write(&input, "username,custom:tier\nu1,pro\n").unwrap();
    let input = input.to_str().unwrap();
    let run = cognito_bulk(&moto.url(), &["plan", input, "--user-pool-id", &pool], None).await;
    assert_eq!(run.code, 0, "{run:?}");
    let plan = format!("{input}.plan");
    forge(Path::new(&plan), |lines| {
        let made = lines[0]["created_unix"].as_u64().unwrap();
        lines[0]["created_unix"] = (made - 3 * 365 * 86_400).into();
    });
    let run = cognito_bulk(
        &moto.url(),
        &["apply", "--plan", &plan, "--user-pool-id", &pool],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("was made 1095 days ago"), "{run:?}");
}
