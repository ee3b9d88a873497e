//! `apply` under faults moto cannot make, injected by the project's proxy on the wire: 5xx
//! answers, connections reset before and after forwarding, slow answers past
//! `--call-timeout`, a throttling quota: what the SDK makes of them, end to end. The engine's
//! handling of the same faults (counts, retries, unknown outcomes, the pacer under a quota,
//! bounded retries) is tested in-process in `tests/faults_inprocess.rs`.

mod support;

use std::collections::HashMap;

use support::proxy::{BucketConfig, Config, Fault, FaultProxy, Scripted};
use support::*;

const OP: &str = "AdminUpdateUserAttributes";

/// A pool with `n` users u0..u{n-1} and an input that sets custom:tier on each.
async fn pool_and_input(
    moto: &Moto,
    n: usize,
    dir: &std::path::Path,
) -> (String, std::path::PathBuf) {
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    let mut csv = String::from("username,custom:tier\n");
    for i in 0..n {
        create_user(&c, &pool, &format!("u{i}"), &[("custom:tier", "free")]).await;
        csv.push_str(&format!("u{i},gold-{i}\n"));
    }
    let input = dir.join("in.csv");
    std::fs::write(&input, csv).unwrap();
    (pool, input)
}

async fn assert_all_updated(moto: &Moto, pool: &str, n: usize) {
    let c = moto.client();
    for i in 0..n {
        let got = attributes(&c, pool, &format!("u{i}")).await;
        assert_eq!(
            got.get("custom:tier").map(String::as_str),
            Some(&*format!("gold-{i}")),
            "u{i}"
        );
    }
}

fn script(fault: Fault, count: u32) -> Scripted {
    Scripted {
        op: Some(OP.into()),
        fault,
        count,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn scripted_faults_are_retried_and_counted() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let n = 30;
    let (pool, input) = pool_and_input(&moto, n, dir.path()).await;
    let proxy = FaultProxy::start(moto.addr, Config::default()).await;
    proxy.script([
        script(Fault::Error500, 3),
        script(Fault::ResetBefore, 2),
        script(Fault::ResetAfter, 2),
        script(Fault::Error503, 1),
        script(Fault::DelayMs(300), 2),
        script(Fault::DelayMs(2500), 1),
    ]);
    let run = cognito_bulk(
        &proxy.url(),
        &[
            "apply",
            input.to_str().unwrap(),
            "--user-pool-id",
            &pool,
            "--rps",
            "100",
            "--concurrency",
            "4",
            "--call-timeout",
            "1",
            "--max-retries",
            "12",
        ],
        None,
    )
    .await;
    assert_eq!(run.code, 0, "{run:?}");
    assert_all_updated(&moto, &pool, n).await;
    let stats = proxy.stats();
    let report = read_report(&dir.path().join("in.csv.report.json"));
    assert_eq!(report["updated"], n as u64);
    assert_eq!(report["failed"], 0);
    // 3 x 500, 2 resets before, 2 after, 1 x 503 and one answer slower than the timeout.
    assert_eq!(report["retries"], 9, "{report}");
    assert_eq!(report["api_calls"], stats.received[OP]);
    assert_eq!(report["api_calls"], n as u64 + 9);
    // Broken connections and the timeout leave the outcome unknown; the retry is still safe.
    assert!(
        report["unknown_outcomes"].as_u64().unwrap() >= 3,
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn random_faults_lose_and_double_count_nothing() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let n = 80;
    let (pool, input) = pool_and_input(&moto, n, dir.path()).await;
    let proxy = FaultProxy::start(
        moto.addr,
        Config {
            seed: 7,
            random: support::proxy::RandomFaults {
                ops: Some(vec![OP.into()]),
                error500: 0.1,
                error503: 0.05,
                reset_before: 0.05,
                reset_after: 0.05,
                slow: 0.05,
                slow_ms: 100,
            },
            throttle: HashMap::from([(
                OP.to_string(),
                BucketConfig {
                    rps: 40.0,
                    burst: 4.0,
                },
            )]),
            ..Config::default()
        },
    )
    .await;
    let run = cognito_bulk(
        &proxy.url(),
        &[
            "apply",
            input.to_str().unwrap(),
            "--user-pool-id",
            &pool,
            "--rps",
            "100",
            "--max-retries",
            "3",
        ],
        None,
    )
    .await;
    let report = read_report(&dir.path().join("in.csv.report.json"));
    let stats = proxy.stats();
    let (updated, failed) = (
        report["updated"].as_u64().unwrap(),
        report["failed"].as_u64().unwrap(),
    );
    assert_eq!(updated + failed, n as u64, "{report}");
    assert_eq!(run.code, if failed == 0 { 0 } else { 1 }, "{run:?}");
    assert_eq!(report["api_calls"], stats.received[OP]);
    // Every failure is a fault that outlived its retries, never a throttle.
    for code in report["failures_by_code"].as_object().unwrap().keys() {
        assert!(
            ["InternalErrorException", "HttpStatus503", "ConnectionError"].contains(&code.as_str()),
            "{code}"
        );
    }
}
