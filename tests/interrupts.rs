//! Ctrl-C in every phase: a signal stops the pre-read of current values within the calls in
//! flight, so an interrupted `--current-state get` does not go on making users billable.

mod support;

use std::time::{Duration, Instant};

use support::proxy::{Config, Fault, FaultProxy, Scripted};
use support::*;

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupt_stops_the_pre_read_within_the_calls_in_flight() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    let mut text = String::from("username,custom:tier\n");
    for i in 0..150 {
        let user = format!("u{i:03}");
        create_user(&c, &pool, &user, &[("custom:tier", "free")]).await;
        text.push_str(&format!("{user},pro\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, text).unwrap();
    let proxy = FaultProxy::start(moto.addr, Config::default()).await;
    proxy.script([Scripted {
        op: Some("AdminGetUser".into()),
        fault: Fault::DelayMs(100),
        count: 1000,
    }]);
    let args = [
        "apply",
        input.to_str().unwrap(),
        "--user-pool-id",
        &pool,
        "--current-state",
        "get",
        "--yes",
    ];
    let child = command(Some(&proxy.url()), &args).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while proxy
        .stats()
        .received
        .get("AdminGetUser")
        .copied()
        .unwrap_or(0)
        < 10
    {
        assert!(Instant::now() < deadline, "the pre-read never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    interrupt(&child);
    let at_signal = proxy.stats().received["AdminGetUser"];
    let run = finish(child).await;
    assert_eq!(run.code, 3, "{run:?}");
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    let read = proxy.stats().received["AdminGetUser"];
    // At most the calls in flight (--concurrency 8) finish after the signal.
    assert!(
        read <= at_signal + 8,
        "{read} reads, {at_signal} at the signal"
    );
    assert!(
        !proxy
            .stats()
            .received
            .contains_key("AdminUpdateUserAttributes")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_interrupt_exits_at_once_with_3() {
    let moto = Moto::start();
    let c = moto.client();
    let pool = create_pool(&c, &["tier"]).await;
    let mut text = String::from("username,custom:tier\n");
    for i in 0..20 {
        let user = format!("u{i:03}");
        create_user(&c, &pool, &user, &[("custom:tier", "free")]).await;
        text.push_str(&format!("{user},pro\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, text).unwrap();
    let proxy = FaultProxy::start(moto.addr, Config::default()).await;
    // Updates held for a minute: the first interrupt waits for the calls in flight, the
    // second does not. (Reads are abandoned at the first: nothing was written yet.)
    proxy.script([Scripted {
        op: Some("AdminUpdateUserAttributes".into()),
        fault: Fault::DelayMs(60_000),
        count: 1000,
    }]);
    let args = [
        "apply",
        input.to_str().unwrap(),
        "--user-pool-id",
        &pool,
        "--yes",
    ];
    let child = command(Some(&proxy.url()), &args).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while proxy
        .stats()
        .received
        .get("AdminUpdateUserAttributes")
        .copied()
        .unwrap_or(0)
        < 1
    {
        assert!(Instant::now() < deadline, "no update was sent");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    interrupt(&child);
    tokio::time::sleep(Duration::from_millis(300)).await;
    interrupt(&child);
    let run = finish(child).await;
    assert_eq!(run.code, 3, "{run:?}");
    // Not the graceful end (which waits for the held updates, then says why it stopped and
    // how to resume).
    assert!(
        run.stderr.contains("interrupt again to exit now"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("resume with"), "{}", run.stderr);
}
