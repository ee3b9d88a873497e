#!/usr/bin/env bash
# Duplicate rows benchmark (issue 17, item 4): 1,000,000 identical rows (`same,x`, 7 MB) through
# `plan` and `apply --current-state none` against a moto pool; prints each command's wall time,
# peak memory (max RSS from /usr/bin/time -v) and the size of what it wrote, per input byte.
# Before the fix each DuplicateUser message listed every other line: 20,000 rows took 5.6 GB
# and 1,000,000 were killed by the kernel. BIN=path overrides the release binary; ROWS=N the
# row count.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rows=${ROWS:-1000000}
scripts/setup-moto.sh >/dev/null
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --bin cognito-bulk
  BIN=target/release/cognito-bulk
fi
BIN=$(realpath "$BIN")
work=$(mktemp -d "${BENCH_TMP:-/tmp}/dup-bench.XXXXXX")
trap 'kill "$moto_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
echo '{"name": "dup", "custom_attributes": [{"name": "tier"}], "users": [{"username": "same"}]}' > "$work/pool.json"
port=$(.tools/venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
.tools/venv/bin/python scripts/moto_pool.py --port "$port" --pool "$work/pool.json" \
  --ready-file "$work/ready" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 300); do [ -s "$work/ready" ] && break; sleep 0.2; done
[ -s "$work/ready" ] || { cat "$work/moto.log"; exit 1; }
read -r url pool < "$work/ready"
{ echo "username,nickname"; awk -v n="$rows" 'BEGIN { for (i = 0; i < n; i++) print "same,x" }'; } > "$work/dup.csv"
in_bytes=$(stat -c %s "$work/dup.csv")
echo "input: $rows identical rows, $in_bytes bytes"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
measure() {
  local name=$1; shift
  /usr/bin/time -v "$BIN" "$@" --endpoint-url "$url" >/dev/null 2>"$work/$name.err" || true
  local rss secs
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/$name.err")
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/$name.err")
  echo "$name: peak RSS $((rss / 1024)) MB, wall $secs"
}
measure plan plan "$work/dup.csv" --user-pool-id "$pool" -q
echo "  plan file: $(stat -c %s "$work/dup.csv.plan") bytes ($(( $(stat -c %s "$work/dup.csv.plan") / in_bytes ))x the input)"
measure apply apply "$work/dup.csv" --user-pool-id "$pool" --current-state none --yes -q
for f in journal failed.csv; do
  s=$(stat -c %s "$work/dup.csv.$f")
  echo "  $f: $s bytes ($((s / in_bytes))x the input)"
done
