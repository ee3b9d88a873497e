#!/usr/bin/env bash
# Resume benchmark on the in-process fake pool: a run of ROWS rows (default 1,000,000) resumed
# from a journal that finished all but the last one, current values read by MODE (list or
# none); prints the time before the first call (prepare), the run's, and peak RSS.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo build --release --quiet --example resume_fake
exec target/release/examples/resume_fake "${1:-1000000}" "${2:-list}"
