#!/usr/bin/env bash
# Renders an HTML run report to a PNG with headless Chromium, so a person can look at it:
#   scripts/screenshot.sh users.csv.report.html report.png [WIDTHxHEIGHT]
# Needs the Debian package `chromium` (apt-get install -y chromium). The report is
# self-contained, so the browser is kept off the network.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 REPORT.html OUT.png [WIDTHxHEIGHT]" >&2
  exit 2
fi
report=$(realpath "$1")
out=$(realpath -m "$2")
size=${3:-1100x1500}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "no Chromium found: apt-get install -y chromium" >&2
  exit 2
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --user-data-dir="$profile" --proxy-server='127.0.0.1:9' --proxy-bypass-list='<-loopback>' \
  --window-size="${size/x/,}" --screenshot="$out" "file://$report" >"$profile/log" 2>&1 || true
if [ ! -s "$out" ]; then
  echo "chromium wrote no screenshot; its output:" >&2
  cat "$profile/log" >&2
  exit 1
fi
echo "$out"
