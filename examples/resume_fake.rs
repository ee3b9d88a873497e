//! Benchmark: resuming a run whose journal holds N entries (every row but the last one
//! finished), in process against the fake pool: the time `apply` spends before its first
//! call (`prepare`: the scan, the journal, the pool read) and in the run (the journal opened,
//! the input read again skipping the finished rows, one row sent), and the peak memory.
//! `resume_fake [ROWS] [none|list]` (default 1,000,000, list). Prints figures; asserts nothing.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cognito_bulk::cognito::fake::FakePool;
use cognito_bulk::cognito::pacing::RetryPolicy;
use cognito_bulk::cognito::{Pool, User};
use cognito_bulk::journal::{self, Header};
use cognito_bulk::model::source::Source;
use cognito_bulk::progress::Quiet;
use cognito_bulk::rows::input::{EmptyCells, Format, InputOptions};
use cognito_bulk::send::{self, ApplyOptions, Preflight};
use tokio_util::sync::CancellationToken;

mod common;
use common::peak_rss_mib;

fn user(i: u64) -> User {
    User {
        username: format!("user{i:08}"),
        attributes: vec![
            (
                "sub".into(),
                format!("0000{i:08}-aaaa-bbbb-cccc-dddddddddddd"),
            ),
            ("custom:tier".into(), "free".into()),
        ],
        status: Some("CONFIRMED".into()),
        enabled: Some(true),
    }
}

/// The input's SHA-256 in hex, as the scan computes it.
fn sha256(path: &std::path::Path) -> std::io::Result<String> {
    use sha2::Digest;
    let bytes = std::fs::read(path)?;
    Ok(sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args
        .next()
        .map_or(1_000_000, |a| a.parse().expect("a number"));
    let source = match args.next().as_deref() {
        Some("none") => Source::None,
        _ => Source::List,
    };
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("in.csv");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&input)?);
        writeln!(out, "username,custom:tier")?;
        for i in 0..rows {
            writeln!(out, "user{i:08},pro")?;
        }
    }
    let io = InputOptions {
        format: Format::Csv,
        key_column: "username".into(),
        empty_cells: EmptyCells::Ignore,
        client_metadata: Default::default(),
        ops: Default::default(),
    };
    let journal_path = dir.path().join("run.journal");
    {
        let header = Header {
            kind: Header::KIND.into(),
            version: journal::FORMAT_VERSION,
            input: input.display().to_string(),
            input_sha256: sha256(&input)?,
            user_pool_id: "us-east-1_fake".into(),
            rows_total: rows,
            options: io.to_json(),
            created_unix: 1,
            duplicate_lines: vec![],
            sending: None,
        };
        let mut out = std::io::BufWriter::new(std::fs::File::create(&journal_path)?);
        writeln!(out, "{}", serde_json::to_string(&header)?)?;
        for i in 0..rows - 1 {
            writeln!(
                out,
                "{{\"n\":{i},\"line\":{},\"user\":\"user{i:08}\",\"username\":\"user{i:08}\",\
                 \"outcome\":\"updated\",\"attempts\":1,\"t\":1.0,\
                 \"before\":{{\"custom:tier\":\"free\"}},\"after\":{{\"custom:tier\":\"pro\"}}}}",
                i + 2
            )?;
        }
    }
    let journal_mib = std::fs::metadata(&journal_path)?.len() as f64 / (1 << 20) as f64;
    let pool = FakePool::synthetic(&[("tier", true)], rows, user);
    let opts = ApplyOptions {
        input: input.clone(),
        input_options: io,
        user_pool_id: "us-east-1_fake".into(),
        rps: f64::INFINITY,
        category_rps: Vec::new(),
        concurrency: 8,
        retry: RetryPolicy {
            max_transient_retries: 5,
            max_throttles: None,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_throttle_delay: Duration::from_millis(5),
        },
        failed_path: dir.path().join("failed.csv"),
        journal_path: Some(journal_path),
        restart: false,
        retry_failed: false,
        max_failure_rate: 0.5,
        preflight: Some(Preflight {
            described: Some(pool.describe().await.expect("the fake describes")),
            current_state: source,
            allow_verification_messages: false,
            allow_overwritten_at_sign_in: false,
            resend_pending: false,
        }),
        limit: None,
        force: false,
        read_before_write: Some(f64::INFINITY),
        advice: Default::default(),
    };
    let stop = CancellationToken::new();
    let started = Instant::now();
    let prepared = send::prepare(&pool, &opts, &Quiet, &stop).await?;
    let prepare_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let report = send::run(Arc::new(pool), opts, prepared, Arc::new(Quiet), stop).await?;
    let run_s = started.elapsed().as_secs_f64();
    println!(
        "resume of {rows} rows ({journal_mib:.0} MiB journal, current state {source:?}): \
         prepare {prepare_s:.2} s, run {run_s:.2} s, total {:.2} s; updated {} (skipped {}); \
         peak RSS {:.0} MiB",
        prepare_s + run_s,
        report.updated,
        report.skipped_done,
        peak_rss_mib()
    );
    Ok(())
}
