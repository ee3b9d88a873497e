#!/usr/bin/env bash
# The whole life of a migration on a local pool: starts moto with the pool described in
# samples/pool.json, then plans samples/users.csv (with a Markdown plan for review), applies
# exactly that plan, rebuilds the report as an HTML page, exports the pool, looks at what a
# rollback would restore, and rolls back. Every file is kept; the last lines say where.
# Needs only python3 and cargo; moto is installed into .tools/venv on first use, the release
# binary is built on first use and reused afterwards.
#   scripts/demo.sh [FOLDER]      (default: a new folder under /tmp)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/setup-moto.sh >/dev/null

bin="${CARGO_TARGET_DIR:-$root/target}/release/cognito-bulk"
if [ -x "$bin" ]; then
  echo "== release build (reused; cargo rebuilds only what changed)"
else
  echo "== building the release binary once: about 10 to 20 minutes on 2 cores the first time;"
  echo "   later runs reuse it"
fi
started=$(date +%s)
cargo build --release --quiet
echo "   ready in $(( $(date +%s) - started )) s: $bin"

work=${1:-$(mktemp -d /tmp/cognito-bulk-demo.XXXXXX)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
moto_pid=""
cleanup() { [ -n "$moto_pid" ] && kill "$moto_pid" 2>/dev/null; true; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rm -f "$work/moto.ready"
.tools/venv/bin/python scripts/moto_pool.py --port "$port" --pool samples/pool.json \
  --ready-file "$work/moto.ready" &
moto_pid=$!
for _ in $(seq 1 300); do [ -s "$work/moto.ready" ] && break; sleep 0.1; done
read -r url pool < "$work/moto.ready"
echo "== moto at $url, user pool $pool"

# Credentials for the local server; nothing here reaches AWS.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
aws=(--endpoint-url "$url")
cp samples/users.csv "$work/users.csv"
# Fixed names for what the demo shows next (the tool's default names sit beside the input).
plan="$work/users.plan" journal="$work/apply.journal" report="$work/apply.report.json"

step() { echo; echo "== $*"; }
run() { # runs the tool, shows its exit code, never stops the demo
  local status=0
  "$bin" "$@" || status=$?
  echo "(exit code $status)"
}

step "1. plan: check every row, read the pool, show the diff; writes the plan and a review copy"
run plan "$work/users.csv" --user-pool-id "$pool" "${aws[@]}" \
  --out "$plan" --markdown "$work/users.plan.md" --redact
step "   the plan for the change ticket ($work/users.plan.md), values redacted"
cat "$work/users.plan.md"

step "2. apply --plan: send exactly what was planned"
run apply --plan "$plan" --user-pool-id "$pool" "${aws[@]}" \
  --journal "$journal" --report "$report" --failed "$work/apply.failed.jsonl" --rps 5

step "3. report: the run rebuilt from its journal, and as an HTML page"
run report "$journal" --html "$work/report-from-journal.html"

step "4. export: a backup of the pool, in a form plan and apply read"
run export --user-pool-id "$pool" "${aws[@]}" --output "$work/backup.csv"
cat "$work/backup.csv"

step "5. rollback --dry-run: what undoing the run would restore (writes nothing to the pool)"
run rollback "$journal" "${aws[@]}" --dry-run

step "6. rollback: restore the values from before the run"
run rollback "$journal" "${aws[@]}" --yes

step "the pool now (as before step 2)"
.tools/venv/bin/python - "$url" "$pool" <<'PY'
import sys, boto3
url, pool = sys.argv[1:]
c = boto3.client("cognito-idp", endpoint_url=url, region_name="us-east-1")
for u in sorted(c.list_users(UserPoolId=pool)["Users"], key=lambda u: u["Username"]):
    attrs = {a["Name"]: a["Value"] for a in u["Attributes"] if a["Name"] != "sub" and a["Value"] != ""}
    print(u["Username"], attrs)
PY

step "files, all kept in $work"
ls -l "$work"
echo
echo "HTML report of the run:   ${report%.json}.html"
echo "Markdown plan for review: $work/users.plan.md"
echo "look at the report:       scripts/screenshot.sh ${report%.json}.html report.png"
