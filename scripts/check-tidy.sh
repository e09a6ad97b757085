#!/usr/bin/env bash
# Runs clang-tidy with the repository's .clang-tidy (bugprone, performance, no function over
# 100 lines) on the product code: every source file of common/, village_agent/,
# township_node/ and county_hub/ in the build's compile_commands.json. Run scripts/build.sh
# first ($SANJI_BUILD_DIR, default <repo>/build). Exits 1 on any finding.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SANJI_BUILD_DIR:-$repo/build}
if [[ ! -f $build/compile_commands.json ]]; then
  echo "check-tidy: no $build/compile_commands.json; run scripts/build.sh first" >&2
  exit 2
fi
bash "$repo/scripts/install-deps.sh" >/dev/null
echo "== clang-tidy on the product code ($repo/.clang-tidy)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
run-clang-tidy -quiet -p "$build" -j "$(nproc)" \
  "^$repo/(common|village_agent|township_node|county_hub)/[^/]*\.cc\$" >"$log" 2>&1 || status=$?
# Only the findings, each once (a header's is reported by every file that includes it),
# without colours.
sed -r 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '(error|warning): ' | sort -u >"$log.findings" || true
cat "$log.findings"
findings=$(wc -l <"$log.findings")
rm -f "$log.findings"
echo "check-tidy: $findings findings"
if ((status != 0 || findings != 0)); then exit 1; fi
