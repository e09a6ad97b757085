#!/usr/bin/env bash
# Runs the benchmarks and prints one table: each figure of the product beside the limit
# measured on this machine in the same run (build/bench/limit_probe), and their ratio, with
# issue 13's goal. A shared 2-core machine wanders by tens of percent between runs; the
# ratios wander less, as limit and figure see the same machine.
# Usage: bench/run.sh [RECORDS] (default 100000). Needs a build (scripts/build.sh).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SANJI_BUILD_DIR:-$repo/build}
n=${1:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== limits (limit_probe, $n records)" >&2
"$build/bench/limit_probe" --records="$n" | tee "$work/limits" >&2
limit() { awk -v name="$1" '$1 == "limit" && $2 == name {sub("records_per_s=", "", $3); print $3}' \
  "$work/limits"; }
rocks=$(limit rocksdb_synced_batches)
grpc=$(limit grpc_bidi_synced)

echo "== backlog.sh $n (village -> township through a byte counter)" >&2
SANJI_BENCH_COUNT="$work/bytes" SANJI_BENCH_ROWS="$work/rows.csv" \
  bash "$repo/bench/backlog.sh" "$n" | tee "$work/backlog" >&2
pick() { sed -n "$1" "$work/backlog" | head -1; }
import=$(pick 's/^import: .* = \([0-9]*\) rows\/s$/\1/p')
sync=$(pick 's/.* = \([0-9]*\) records\/s end to end$/\1/p')
client_rss=$(pick 's/^import client peak RSS: \([0-9]*\) kB$/\1/p')
agent_rss_import=$(pick 's/^peak RSS village_agent after import: \([0-9]*\) kB$/\1/p')
agent_rss_idle=$(pick 's/^RSS village_agent idle: \([0-9]*\) kB at start.*/\1/p')
township_cpu=$(pick 's/^cpu during sync, s: .* township_node \([0-9.]*\) .*/\1/p')
read -r up down < <(sed 's/up=\([0-9]*\) down=\([0-9]*\)/\1 \2/' "$work/bytes")
wire=$(echo "scale=1; ($up + $down) / $n" | bc)
zstd19=$(echo "scale=1; $(tail -n +2 "$work/rows.csv" | zstd -19 -q -c | wc -c) / $n" | bc)
gzip6=$(echo "scale=1; $(tail -n +2 "$work/rows.csv" | gzip -6 -c | wc -c) / $n" | bc)
csv=$(echo "scale=1; $(tail -n +2 "$work/rows.csv" | wc -c) / $n" | bc)

echo "== report_bench.sh (a county of 500 villages)" >&2
bash "$repo/bench/report_bench.sh" | tee "$work/report" >&2
report_ms=$(sed -n 's/^report, village level, json *wall *\([0-9.]*\) ms.*/\1/p' "$work/report")
scan_ms=$(sed -n 's/^limit: one iterator pass over cells *wall *\([0-9.]*\) ms.*/\1/p' "$work/report")
cli_ms=$(sed -n 's/^county_hub report .*: \([0-9]*\) ms .*/\1/p' "$work/report")

echo "== scale.sh $n 200,500 (one township, that many villages syncing at once)" >&2
bash "$repo/bench/scale.sh" "$n" 200,500 | tee "$work/scale" >&2
# | villages | records | records/s | RSS MB | threads | county s after drain | applied |
point() { awk -F'|' -v v="$1" -v c="$2" '$2 + 0 == v {gsub(/ /, "", $c); print $c}' "$work/scale"; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
echo
echo "| measure | figure | limit (same run) | ratio | goal |"
echo "|---|---|---|---|---|"
echo "| import, rows/s (parse + validate + durable) | $import | $rocks (synced WriteBatches of 1000) | $(ratio "$import" "$rocks") | >= 0.5 |"
echo "| catch-up of $n, village -> township -> county, records/s | $sync | $grpc (gRPC bidi into synced batches) | $(ratio "$sync" "$grpc") | >= 0.5 |"
echo "| bytes on the wire per record, village -> township (CSV $csv, gzip -6 $gzip6) | $wire | $zstd19 (zstd -19 of the rows) | $(ratio "$wire" "$zstd19") | <= 1.3 |"
echo "| township CPU per record during the catch-up, µs | $(awk -v s="$township_cpu" -v n="$n" 'BEGIN {printf "%.1f", s * 1e6 / n}') | | | |"
echo "| import client peak RSS, $n-row file, MB | $(mb "$client_rss") | | | <= 30 |"
echo "| agent peak RSS importing $n rows, MB | $(mb "$agent_rss_import") | | | <= 40 |"
echo "| agent RSS idle (at start), MB | $(mb "$agent_rss_idle") | | | <= 25 |"
for v in 200 500; do
  echo "| one township, $v villages syncing at once: records/s; peak RSS, MB; threads | $(point $v 4); $(point $v 5); $(point $v 6) | $grpc | $(ratio "$(point $v 4)" "$grpc") | >= 0.5; <= 250 MB; threads independent of villages |"
done
echo "| township -> county after the villages drained (500 villages), s | $(point 500 7) | | | <= 1 |"
echo "| county annual report, 500 villages, village level, ms (engine; \`county_hub report\` end to end $cli_ms) | $report_ms | $scan_ms (one iterator pass over every cell) | $(ratio "$report_ms" "$scan_ms") | <= 50 ms |"
