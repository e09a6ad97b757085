#!/usr/bin/env bash
# Builds (scripts/build.sh), then runs every test with ctest. Arguments are passed to ctest
# (e.g. -R oracle, or -L fault). Exits with ctest's status.
#   --sanitize   first argument: build everything with ASan+UBSan in build-asan and run the
#                same tests there (the programs the integration tests start are sanitized
#                too; any report fails the test that triggered it).
#   --tsan       first argument: a ThreadSanitizer build in build-tsan (the programs the
#                integration tests start are built with TSan too). With no further arguments
#                it builds and runs the tests of our multi-threaded code, tsan_targets below;
#                CI runs exactly that:  bash deploy/run-tests.sh --tsan (the README's command, which runs this)
#                Other arguments build everything and replace that selection (e.g.
#                --tsan -L fault for the fault harness, about 200 s). tests/tsan.supp holds the suppressions for Debian's
#                uninstrumented libraries. Every process writes its reports to
#                build-tsan/tsan-reports/tsan.<pid>; any report is printed and fails the run,
#                even one from a program a test killed at the end.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_args=()
tsan_reports=
if [[ ${1:-} == --sanitize ]]; then
  shift
  export SANJI_SANITIZE=1
  build=${SANJI_BUILD_DIR:-$repo/build-asan}
  export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=0}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
  export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$repo/tests/lsan.supp}
elif [[ ${1:-} == --tsan ]]; then
  shift
  export SANJI_TSAN=1
  build=${SANJI_BUILD_DIR:-$repo/build-tsan}
  # The tests that run our code on several threads (and, for the integration tests, in
  # several TSan-built processes): unit tests of the thread-safe classes and the test
  # support, power_loss_test (the aggregator's thread over RocksDB), the integration tests
  # (many_villages_test: the township's callback-API streams on its worker pool).
  tsan_targets=(tcp_proxy_test process_test alert_book_test aggregator_test record_intake_test
    worker_pool_test
    reconnect_loop_test uploader_test forwarder_test web_login_test
    power_loss_test three_tiers_test alerts_test hostile_peers_test full_disk_test tls_test
    observability_test many_villages_test)
  if (($# == 0)); then
    # Only these are built (their programs with them: the integration tests depend on them).
    build_args=(--target "${tsan_targets[@]}")
    set -- -R "^($(IFS='|'; echo "${tsan_targets[*]}"))\."
  fi
  tsan_reports=$build/tsan-reports
  rm -rf "$tsan_reports"
  mkdir -p "$tsan_reports"
  export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$repo/tests/tsan.supp:log_path=$tsan_reports/tsan}
else
  build=${SANJI_BUILD_DIR:-$repo/build}
fi

bash "$repo/scripts/build.sh" "${build_args[@]}"

echo "== testing"
status=0
ctest --test-dir "$build" --output-on-failure -j2 "$@" || status=$?
if [[ -n $tsan_reports ]] && compgen -G "$tsan_reports/tsan.*" >/dev/null; then
  echo "== ThreadSanitizer reports ($tsan_reports)"
  cat "$tsan_reports"/tsan.*
  ((status != 0)) || status=1
fi
echo "== ctest exit status $status"
exit "$status"
