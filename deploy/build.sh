#!/usr/bin/env bash
# Installs the dependencies if needed, configures the build directory if it is not configured
# yet, and builds. Arguments are passed to `cmake --build` (e.g. --target gen_workload).
# The build directory is <repo>/build, or $SANJI_BUILD_DIR.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SANJI_BUILD_DIR:-$repo/build}
start=$SECONDS

echo "== installing dependencies"
bash "$repo/deploy/install-deps.sh"

if [[ ! -f $build/CMakeCache.txt ]]; then
  echo "== configuring $build"
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi

echo "== building in $build"
cmake --build "$build" -j"$(nproc)" "$@"
echo "== built in $((SECONDS - start)) s"
