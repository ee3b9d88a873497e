#!/usr/bin/env bash
# The test suite: unit tests and end-to-end tests against real moto and cognito-local servers.
# Installs the pinned moto into .tools/venv and the pinned cognito-local into
# .tools/cognito-local first if they are not there yet.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
MOTO_SERVER=$(scripts/setup-moto.sh | tail -n 1)
COGNITO_LOCAL=$(scripts/setup-cognito-local.sh | tail -n 1)
export MOTO_SERVER COGNITO_LOCAL
cargo test --all-targets "$@"
