#!/usr/bin/env bash
# Quota benchmark (issue 3): prints goodput and throttle ratios against a throttling proxy, the
# same while sharing the quota with a steady client, and client CPU next to a boto3 script.
# Takes about 8 minutes; a release build the first time adds about 5.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup-moto.sh >/dev/null
cargo build --release --quiet --bin cognito-bulk --example fault_proxy
exec .tools/venv/bin/python bench/quota.py --bin target/release/cognito-bulk \
  --proxy-bin target/release/examples/fault_proxy "$@"
