#!/usr/bin/env bash
# Bought-quota benchmark (issue 20): goodput / Q and throttled / ok at Q = 100, 200 and 500
# with --rps Q, against the fault proxy in stub mode. Two runs of a minute per quota: about
# 7 minutes, plus a release build the first time. Flags go to bench/quota_bought.py
# (--quotas, --seconds, --runs, --rps-factor, --concurrency, --timeline).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release --quiet --bin cognito-bulk --example fault_proxy
exec python3 bench/quota_bought.py --bin target/release/cognito-bulk \
  --proxy-bin target/release/examples/fault_proxy "$@"
