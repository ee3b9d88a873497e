//! Benchmark: `plan` of N input rows against an M-user pool, in process against the fake pool
//! (no network, no quota), printing the time and the peak memory of the whole process.
//! `plan_fake [ROWS] [USERS]` (default 1,000,000 each). Run by `bench/plan_fake.sh`.

use std::io::Write;
use std::time::Instant;

use cognito_bulk::cognito::Pool;
use cognito_bulk::cognito::fake::FakePool;
use cognito_bulk::decide::all::{self as decide_all, PlanOptions};
use cognito_bulk::decide::prepare::{self, Reading};
use cognito_bulk::model::source::Source;
use cognito_bulk::progress::Quiet;
use cognito_bulk::rows::input::{EmptyCells, Format, InputOptions};
use tokio_util::sync::CancellationToken;

mod common;
use common::{peak_rss_mib, user};

/// With PLAN_FAKE_PHASES set: the resident and peak memory after a phase, on standard error.
fn phase(name: &str) {
    if std::env::var_os("PLAN_FAKE_PHASES").is_none() {
        return;
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let get = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map_or(String::new(), |v| v.trim().to_string())
    };
    eprintln!(
        "after {name}: VmRSS {}, VmHWM {}",
        get("VmRSS:"),
        get("VmHWM:")
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<u64>().expect("a number"));
    let rows = args.next().unwrap_or(1_000_000);
    let users = args.next().unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("in.csv");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&input)?);
        writeln!(out, "username,custom:tier,given_name")?;
        // Every other row changes something; users spread over the whole pool.
        for i in 0..rows {
            let user = i * users.max(1) / rows.max(1);
            let tier = if i % 2 == 0 { "pro" } else { "free" };
            writeln!(out, "user{user:08},{tier},Given{user}")?;
        }
    }
    let pool = FakePool::synthetic(&[("tier", true)], users, user);
    let described = pool.describe().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let io = InputOptions {
        format: Format::Csv,
        key_column: "username".into(),
        empty_cells: EmptyCells::Ignore,
        client_metadata: Default::default(),
        ops: Default::default(),
    };
    let opts = PlanOptions {
        input: input.clone(),
        input_options: io.clone(),
        user_pool_id: "us-east-1_fake".into(),
        current_state: Source::List,
        out: dir.path().join("in.csv.plan"),
        show: 0,
        allow_verification_messages: false,
        concurrency: 8,
        backfill: None,
        left_out: None,
    };
    let rss_before = peak_rss_mib();
    let started = Instant::now();
    let stop = CancellationToken::new();
    let mut scanned = prepare::scan_input(&input, &io, None, &stop).await?;
    let scanned_at = started.elapsed().as_secs_f64();
    phase("scan");
    let reading = Reading {
        pool: &pool,
        user_pool_id: "us-east-1_fake",
        described: Some(&described),
        current_state: Source::List,
        concurrency: 8,
        allow_overwritten_at_sign_in: false,
    };
    let state = prepare::read_pool(&mut scanned, &io, &reading, &Quiet, &stop).await?;
    let read_at = started.elapsed().as_secs_f64();
    phase("reading the pool");
    let summary = decide_all::run(&scanned, &state, &opts, &Quiet, &stop)?;
    let total = started.elapsed().as_secs_f64();
    // PLAN_FAKE_KEEP=PATH keeps the plan file (to compare two builds' plans byte for byte).
    if let Some(keep) = std::env::var_os("PLAN_FAKE_KEEP") {
        std::fs::copy(&opts.out, keep)?;
    }
    println!(
        "plan of {rows} rows against {users} users (fake pool, in process): {total:.1} s \
         (scan {scanned_at:.1} s, reading the pool {:.1} s, deciding {:.1} s), {:.0} rows/s",
        read_at - scanned_at,
        total - read_at,
        rows as f64 / total
    );
    println!(
        "{} to change, {} unchanged, {} not found, {} invalid",
        summary.to_change, summary.unchanged, summary.not_found, summary.invalid
    );
    println!(
        "peak RSS {:.1} MiB (before the run {:.1} MiB); goal: under 1024 MiB",
        peak_rss_mib(),
        rss_before
    );
    Ok(())
}
