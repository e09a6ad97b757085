#!/usr/bin/env bash
# Builds (deploy/build.sh), then runs every test with ctest. Arguments are passed to ctest
# (e.g. -R oracle, or -L integration). Exits with ctest's status.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SANJI_BUILD_DIR:-$repo/build}

bash "$repo/deploy/build.sh"

echo "== testing"
status=0
ctest --test-dir "$build" --output-on-failure -j2 "$@" || status=$?
echo "== ctest exit status $status"
exit "$status"
