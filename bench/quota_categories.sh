#!/usr/bin/env bash
# Two quota categories paced together (issue 19): per category goodput / Q and throttled / ok
# for UserUpdate writes and UserRead reads, each against its own bucket in the fault proxy's
# stub mode. A minute of rows per run, two runs (--rps at the quotas, then 1.5 x): about 2
# minutes, plus a release build the first time. Flags go to bench/quota_categories.py
# (--update-quota, --read-quota, --seconds, --rps-factors, --runs, --concurrency).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release --quiet --bin cognito-bulk --example fault_proxy
exec python3 bench/quota_categories.py --bin target/release/cognito-bulk \
  --proxy-bin target/release/examples/fault_proxy "$@"
