#!/usr/bin/env bash
# Journal benchmark (issue 4): journaling overhead on 100,000 rows against a stub endpoint, and
# peak memory when resuming 1,000,000- and 10,000,000-row journals. Needs about 2.5 GB of disk
# in $BENCH_TMP (default /tmp) and a few minutes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release --quiet --bin cognito-bulk --example fault_proxy
exec python3 bench/journal.py --bin target/release/cognito-bulk \
  --proxy-bin target/release/examples/fault_proxy "$@"
