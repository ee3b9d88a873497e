#!/usr/bin/env bash
# Backfill benchmark (issue 11): template cost per user next to the client CPU of sending, and
# plan of a from-pool backfill over a 100,000-user moto pool (memory). A few minutes.
# `bench/backfill.sh --users 0` runs the cost comparison alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup-moto.sh >/dev/null
cargo build --release --quiet --bin cognito-bulk --example fault_proxy --example template_cost
exec .tools/venv/bin/python bench/backfill.py --bin target/release/cognito-bulk \
  --proxy-bin target/release/examples/fault_proxy \
  --template-bin target/release/examples/template_cost "$@"
