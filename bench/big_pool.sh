#!/usr/bin/env bash
# Big-pool benchmark on the in-process fake pool (issue 20): `plan` of ROWS input rows against
# a USERS-user pool, then `plan` of a backfill with the pool as input selecting every user of a
# USERS-user pool (default 10,000,000 each); each prints its time, rows (users) per second and
# peak RSS. Goals: under 1 GB for the plan, under 256 MiB for the backfill. Slow on purpose
# (tens of minutes on 2 busy cores); the generated input and plans live in a temporary folder
# under $TMPDIR (about 1.5 GB at 10,000,000 rows), removed at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rows=${1:-10000000}
users=${2:-$rows}
cargo build --release --quiet --example plan_fake --example backfill_fake
target/release/examples/plan_fake "$rows" "$users"
target/release/examples/backfill_fake "$users"
