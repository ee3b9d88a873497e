#!/usr/bin/env bash
# Installs the pinned cognito-local (npm; a second Cognito emulator, see docs/EMULATORS.md)
# into .tools/cognito-local (once; a stamp file remembers the pin). Needs node and npm.
# Prints the path of its start script on its last line.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=5.3.0
dir="$root/.tools/cognito-local"
start="$dir/node_modules/cognito-local/lib/bin/start.js"
stamp="$dir/.version"
mkdir -p "$dir"
# Several worktrees may share .tools: one install at a time.
exec 9>"$dir/.lock"
flock 9
if [ ! -f "$start" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$version" ]; then
  echo "setup-cognito-local: installing cognito-local $version into $dir" >&2
  command -v npm >/dev/null || { echo "setup-cognito-local: npm is needed (install Node.js)" >&2; exit 1; }
  # A package.json of its own so npm installs here, not into a parent folder's project.
  [ -f "$dir/package.json" ] || echo '{"name":"cognito-bulk-tools","private":true}' > "$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error --save-exact "cognito-local@$version" >&2)
  echo "$version" > "$stamp"
fi
echo "$start"
