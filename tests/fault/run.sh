#!/usr/bin/env bash
# Runs the fault harness (tests/fault/fault_harness.cc) against an existing
# build and tees its log. Builds nothing: build first, e.g.
#   cmake --build build --target fault_harness village_agent township_node county_hub
#
# Usage: tests/fault/run.sh [--duration=S] [--seed=N] [other fault_harness flags]
#   BUILD_DIR  build directory (default: build)
#   LOG        log file (default: fault-<date>-<pid>.log in the current directory)
# Long soak: tests/fault/run.sh --duration=1800 --records=1000000
# Exit status is the harness's: 0 only on PASS.
set -euo pipefail

build_dir="${BUILD_DIR:-build}"
harness="${build_dir}/tests/fault/fault_harness"
if [[ ! -x "${harness}" ]]; then
  echo "run.sh: ${harness} not found; build the fault_harness target first" \
    "(or set BUILD_DIR)" >&2
  exit 2
fi
log="${LOG:-fault-$(date +%Y%m%d-%H%M%S)-$$.log}"
echo "run.sh: logging to ${log}" >&2
# The harness finds the product binaries in ${build_dir}/bin unless
# SANJI_BIN_DIR says otherwise.
export SANJI_BIN_DIR="${SANJI_BIN_DIR:-$(cd "${build_dir}" && pwd)/bin}"
set +e
"${harness}" "$@" 2>&1 | tee "${log}"
status=${PIPESTATUS[0]}
set -e
exit "${status}"
