#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang in build-fuzz
# (-DSANJI_FUZZ=ON: -fsanitize=fuzzer,address,undefined) and runs each for
# SECONDS (default 60) on a copy of its seed corpus, one after another.
#
#   tests/fuzz/run-fuzzers.sh [SECONDS] [TARGET...]
#
# Targets: record_file intake_submit township_sync county_push county_report
# (default: all). Environment: SANJI_FUZZ_BUILD_DIR (default <repo>/build-fuzz),
# SANJI_FUZZ_JOBS (build jobs, default 2), SANJI_FUZZ_ARGS (extra libFuzzer
# flags), SANJI_FUZZ_RESUME (a build-fuzz/fuzz-runs/<time> directory whose
# grown corpora are added to the seeds). Each run's log, grown corpus and crash artifacts stay under
# build-fuzz/fuzz-runs/<time>/<target>/; a crash input found there belongs in
# tests/fuzz/corpus/<target>/ once the bug is fixed. Exit status 1 if any
# target crashed.
set -euo pipefail

seconds=${1:-60}
[[ $# -gt 0 ]] && shift
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${SANJI_FUZZ_BUILD_DIR:-$root/build-fuzz}
jobs=${SANJI_FUZZ_JOBS:-2}
all=(record_file intake_submit township_sync county_push county_report)
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=("${all[@]}")

# Largest input per target: enough for a few dozen rows or messages, small
# enough that one execution stays fast and the stores stay small.
declare -A max_len=(
  [record_file]=8192 [intake_submit]=8192 [township_sync]=16384
  [county_push]=8192 [county_report]=2048)

# Targets with a RocksDB store allocate for good in most inputs (memtables,
# caches), which makes libFuzzer's per-input leak hunt rescan the heap all the
# time; they still get LeakSanitizer's check at exit.
declare -A extra=(
  [intake_submit]=-detect_leaks=0 [township_sync]=-detect_leaks=0
  [county_push]=-detect_leaks=0)

for t in "${targets[@]}"; do
  [[ -n ${max_len[$t]:-} ]] || { echo "unknown target '$t'; one of: ${all[*]}" >&2; exit 2; }
done

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSANJI_FUZZ=ON >/dev/null
cmake --build "$build" -j"$jobs" --target "${targets[@]/%/_fuzzer}"

runs=$build/fuzz-runs/$(date +%Y%m%d-%H%M%S)
mkdir -p "$runs"
# The targets keep RocksDB stores under $TMPDIR: a tmpfs if there is one
# (fast, spares the disk), removed after each run.
tmp_base=/tmp
[[ -d /dev/shm && -w /dev/shm ]] && tmp_base=/dev/shm

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
summary=()
for t in "${targets[@]}"; do
  dir=$runs/$t
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp "$here/corpus/$t/"* "$dir/corpus/"
  if [[ -n ${SANJI_FUZZ_RESUME:-} && -d $SANJI_FUZZ_RESUME/$t/corpus ]]; then
    cp -n "$SANJI_FUZZ_RESUME/$t/corpus/"* "$dir/corpus/" 2>/dev/null || true
  fi
  seeds=$(ls "$dir/corpus" | wc -l)
  tmp=$(mktemp -d "$tmp_base/sanji-fuzz-$t.XXXXXX")
  echo "== $t: ${seconds}s, corpus $seeds files, log $dir/log"
  rc=0
  # shellcheck disable=SC2086
  TMPDIR=$tmp "$build/tests/fuzz/${t}_fuzzer" \
    -max_total_time="$seconds" -max_len="${max_len[$t]}" -timeout=30 \
    -rss_limit_mb=2048 -print_final_stats=1 -dict="$here/sanji.dict" \
    -artifact_prefix="$dir/artifacts/" ${extra[$t]:-} ${SANJI_FUZZ_ARGS:-} \
    "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
  rm -rf "$tmp"
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$dir/log" | tail -1)
  rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$dir/log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$dir/log" | tail -1 | awk '{print $2}')
  grown=$(ls "$dir/corpus" | wc -l)
  crashes=$(find "$dir/artifacts" -type f | wc -l)
  if [[ $rc -ne 0 || $crashes -ne 0 ]]; then
    failed=1
    result="CRASH (exit $rc): $(ls "$dir/artifacts" | tr '\n' ' ')"
    grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|invariant broken' \
      "$dir/log" || true
  else
    result=ok
  fi
  line="$t: ${seconds}s execs=${execs:-?} exec/s=${rate:-?} cov=${cov:-?} corpus $seeds->$grown $result"
  echo "$line"
  summary+=("$line")
done

echo
echo "== summary (logs and artifacts under $runs)"
printf '%s\n' "${summary[@]}"
exit $failed
