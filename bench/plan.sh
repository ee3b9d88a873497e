#!/usr/bin/env bash
# Plan benchmark (issue 5): plan of 100,000 rows against a 100,000-user moto pool; prints rows
# per second and peak memory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup-moto.sh >/dev/null
cargo build --release --quiet --bin cognito-bulk
exec .tools/venv/bin/python bench/plan.py --bin target/release/cognito-bulk "$@"
