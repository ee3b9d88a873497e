#!/usr/bin/env bash
# Plan benchmark on the in-process fake pool (issue 10): plan of ROWS input rows against a
# USERS-user pool (default 1,000,000 x 1,000,000); prints time, rows per second and peak RSS.
# No network and no quota: it measures the tool's own CPU and memory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release --quiet --example plan_fake
exec target/release/examples/plan_fake "${1:-1000000}" "${2:-1000000}"
