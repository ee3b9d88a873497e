//! Benchmark: `plan` of a computed backfill with the pool as input, selecting every user of
//! an N-user pool (`--set custom:tier=pro`, every user holds `free`), run in process by the
//! command layer (`app::run`, as the binary runs it) against the fake pool (no network, no
//! quota), printing the time, users decided per second and the peak memory of the process.
//! `backfill_fake [USERS]` (default 10,000,000). Run by `bench/big_pool.sh`.

use std::time::Instant;

use cognito_bulk::app::{self, Context, Given, Signals};
use cognito_bulk::cognito::fake::FakePool;

mod common;
use common::{peak_rss_mib, user};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let users: u64 = std::env::args()
        .nth(1)
        .map_or(10_000_000, |a| a.parse().expect("a number"));
    let dir = tempfile::tempdir()?;
    let plan = dir.path().join("tier.plan");
    let plan = plan.to_str().expect("a UTF-8 temporary path");
    let pool = FakePool::synthetic(&[("tier", true)], users, user);
    let args = [
        "cognito-bulk",
        "plan",
        "--user-pool-id",
        "us-east-1_fake",
        "--set",
        "custom:tier=pro",
        "--out",
        plan,
    ];
    let cli = cognito_bulk::cli::Cli::try_parse_args(args).expect("a valid command line");
    let ctx = Context::in_process(Given(pool), cli.global.clone(), Signals::manual());
    let rss_before = peak_rss_mib();
    let started = Instant::now();
    let outcome = app::run(&ctx, cli.command).await;
    let total = started.elapsed().as_secs_f64();
    let rss = peak_rss_mib();
    // Counted a line at a time: the plan itself is not held in memory.
    let entries = std::fs::File::open(plan)
        .map(|f| std::io::BufRead::lines(std::io::BufReader::new(f)).count())
        .unwrap_or(0)
        .saturating_sub(2);
    println!(
        "plan of the pool as input, --set custom:tier=pro over {users} users (fake pool, in \
         process): {total:.1} s, {:.0} users/s; {entries} plan entries ({outcome:?})",
        users as f64 / total
    );
    println!(
        "peak RSS {rss:.1} MiB (before the run {:.1} MiB); goal: under 256 MiB",
        rss_before
    );
    Ok(())
}
