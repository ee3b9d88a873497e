#!/usr/bin/env bash
# The test suite: unit tests and end-to-end tests against a real moto server.
# Installs the pinned moto into .tools/venv first if it is not there yet.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
MOTO_SERVER=$(scripts/setup-moto.sh | tail -n 1)
export MOTO_SERVER
cargo test --all-targets "$@"
