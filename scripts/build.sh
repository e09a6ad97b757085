#!/usr/bin/env bash
# Installs the dependencies if needed, configures the build directory if it is not configured
# yet, and builds. Arguments are passed to `cmake --build` (e.g. --target gen_workload).
# The build directory is <repo>/build, or $SANJI_BUILD_DIR. With SANJI_SANITIZE=1 everything is
# built with ASan+UBSan, by default in <repo>/build-asan; with SANJI_TSAN=1 with ThreadSanitizer,
# by default in <repo>/build-tsan (the two are mutually exclusive).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sanitize=${SANJI_SANITIZE:-0}
tsan=${SANJI_TSAN:-0}
if [[ $sanitize == 1 && $tsan == 1 ]]; then
  echo "SANJI_SANITIZE=1 and SANJI_TSAN=1 are mutually exclusive" >&2
  exit 2
fi
if [[ $sanitize == 1 ]]; then
  build=${SANJI_BUILD_DIR:-$repo/build-asan}
elif [[ $tsan == 1 ]]; then
  build=${SANJI_BUILD_DIR:-$repo/build-tsan}
else
  build=${SANJI_BUILD_DIR:-$repo/build}
fi
start=$SECONDS

echo "== installing dependencies"
bash "$repo/scripts/install-deps.sh"

if [[ ! -f $build/CMakeCache.txt ]]; then
  echo "== configuring $build"
  flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
  [[ $sanitize == 1 ]] && flags+=(-DSANJI_SANITIZE=ON)
  [[ $tsan == 1 ]] && flags+=(-DSANJI_TSAN=ON)
  cmake -S "$repo" -B "$build" -G Ninja "${flags[@]}"
fi

echo "== building in $build"
cmake --build "$build" -j"$(nproc)" "$@"
echo "== built in $((SECONDS - start)) s"
