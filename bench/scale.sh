#!/usr/bin/env bash
# Scale curve of one township (issue 13): 1, 10, 100 and 500 villages syncing
# at once into one township_node with a county_hub behind it, a fixed total of
# records split among them; one markdown table of records/s, the township's
# peak RSS and threads, and how long after the villages drained the county has
# every cell (bench/township_scale.cc says how each is measured).
# Usage: bench/scale.sh [RECORDS] [VILLAGES] (defaults 100000 and 1,10,100,500).
# SANJI_BENCH_PORT: first port (default 19600; each point takes two).
# SANJI_BIN_DIR: where township_node and county_hub are (default the build's
# bin/), e.g. another build's, to compare two versions with one load generator.
# SANJI_BENCH_TOWNSHIP_FLAGS: more flags for township_node serve.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SANJI_BUILD_DIR:-$repo/build}
if [[ ! -x $build/bench/township_scale ]]; then
  echo "scale.sh: no $build/bench/township_scale; build it first:" \
    "bash scripts/build.sh --target township_scale" >&2
  exit 2
fi
exec "$build/bench/township_scale" --records="${1:-100000}" \
  --villages="${2:-1,10,100,500}" --port="${SANJI_BENCH_PORT:-19600}" \
  --township_flags="${SANJI_BENCH_TOWNSHIP_FLAGS:-}"
