#!/usr/bin/env bash
# The county's report speed (issue 13: the annual report of 500 villages at village level in
# <= 50 ms). Writes a 500-village county's year into a fresh hub store (build/bench/big_county),
# then prints:
#  - build/bench/report_bench: the engine's report (JSON and CSV) and the dashboard's trend
#    (12 monthly reports), median of 5, beside one RocksDB iterator pass over every cell of the
#    same store (the limit of any report that would read them all), as a ratio;
#  - the same report end to end, `county_hub report --format=json` against `county_hub serve`
#    (process start, gRPC, 4 MB over loopback), median of 5, and /api/report and /api/trend.
# Usage: bench/report_bench.sh [--townships=10 --villages_per_township=50]. Needs a build with
# the targets big_county, report_bench and county_hub (scripts/build.sh).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SANJI_BUILD_DIR:-$repo/build}
work=$(mktemp -d)
hub_pid=
cleanup() {
  [[ -n $hub_pid ]] && kill "$hub_pid" 2>/dev/null && wait "$hub_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/files"
start=$(date +%s%N)
"$build/bench/big_county" --data_dir="$work/hub" --out_dir="$work/files" "$@" | tr '\n' ' '
echo "written through ApplyBatch in $((($(date +%s%N) - start) / 1000000)) ms"
files=(--orgs="$work/files/orgs.csv" --population="$work/files/population.csv")
"$build/bench/report_bench" --data_dir="$work/hub" "${files[@]}" --runs=5

port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
grpc=$(port)
http=$(port)
"$build/bin/county_hub" serve --county_id=640522 --data_dir="$work/hub" \
  --listen="127.0.0.1:$grpc" --http="127.0.0.1:$http" "${files[@]}" --insecure \
  2>"$work/hub.log" &
hub_pid=$!
until curl -s -o /dev/null "http://127.0.0.1:$http/api/orgs?period=2025"; do
  kill -0 "$hub_pid" || { cat "$work/hub.log" >&2; exit 1; }
  sleep 0.1
done
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
for _ in 1 2 3 4 5; do
  start=$(date +%s%N)
  "$build/bin/county_hub" report --hub="127.0.0.1:$grpc" --period=2025 --level=village \
    --format=json --insecure >"$work/report.json"
  echo $((($(date +%s%N) - start) / 1000000))
done | median | xargs printf 'county_hub report --period=2025 --level=village --format=json: %s ms (median of 5, end to end)\n'
for path in "/api/report?period=2025&level=village" "/api/trend?year=2025"; do
  for _ in 1 2 3; do
    curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$http$path"
  done | median | awk -v p="$path" '{printf "GET %s: %.0f ms (median of 3)\n", p, $1 * 1000}'
done
