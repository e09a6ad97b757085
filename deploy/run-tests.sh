#!/usr/bin/env bash
# Builds (deploy/build.sh), then runs every test with ctest. Arguments are passed to ctest
# (e.g. -R oracle, or -L integration). Exits with ctest's status.
#   --sanitize   first argument: build everything with ASan+UBSan in build-asan and run the
#                same tests there (the programs the integration tests start are sanitized
#                too; any report fails the test that triggered it).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ ${1:-} == --sanitize ]]; then
  shift
  export SANJI_SANITIZE=1
  build=${SANJI_BUILD_DIR:-$repo/build-asan}
  export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=0}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
  export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$repo/tests/lsan.supp}
else
  build=${SANJI_BUILD_DIR:-$repo/build}
fi

bash "$repo/deploy/build.sh"

echo "== testing"
status=0
ctest --test-dir "$build" --output-on-failure -j2 "$@" || status=$?
echo "== ctest exit status $status"
exit "$status"
