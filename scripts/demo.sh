#!/usr/bin/env bash
# The main job on a local pool: starts moto with the pool described in samples/pool.json, then
# applies samples/users.csv and samples/changes.jsonl to it and shows the reports.
# Needs only python3 and cargo; moto is installed into .tools/venv on first use.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup-moto.sh >/dev/null
cargo build --quiet
bin="$root/target/debug/cognito-bulk"

work=$(mktemp -d)
moto_pid=""
cleanup() { [ -n "$moto_pid" ] && kill "$moto_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.tools/venv/bin/python scripts/moto_pool.py --port "$port" --pool samples/pool.json \
  --ready-file "$work/ready" &
moto_pid=$!
for _ in $(seq 1 300); do [ -s "$work/ready" ] && break; sleep 0.1; done
read -r url pool < "$work/ready"
echo "== moto at $url, user pool $pool"

# Credentials for the local server; nothing here reaches AWS.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
cp samples/users.csv samples/changes.jsonl "$work/"
echo
echo "== cognito-bulk plan users.csv (reads the pool, writes nothing)"
"$bin" --endpoint-url "$url" plan "$work/users.csv" --user-pool-id "$pool" || true
for input in users.csv changes.jsonl; do
  echo
  echo "== cognito-bulk apply $input --yes"
  status=0
  "$bin" --endpoint-url "$url" apply "$work/$input" --user-pool-id "$pool" --yes || status=$?
  echo "(exit code $status)"
  stem=${input%.*}
  echo "-- $stem.report.json"
  cat "$work/$stem.report.json"
  for failed in "$work/$stem".failed.*; do
    [ -e "$failed" ] && { echo "-- $(basename "$failed")"; cat "$failed"; }
  done
done

echo
echo "== the pool now"
.tools/venv/bin/python - "$url" "$pool" <<'PY'
import sys, boto3
url, pool = sys.argv[1:]
c = boto3.client("cognito-idp", endpoint_url=url, region_name="us-east-1")
for u in sorted(c.list_users(UserPoolId=pool)["Users"], key=lambda u: u["Username"]):
    attrs = {a["Name"]: a["Value"] for a in u["Attributes"] if a["Name"] != "sub" and a["Value"] != ""}
    print(u["Username"], attrs)
PY
