#!/usr/bin/env bash
# End-to-end figures for one village: import rows/s (township down, so import alone is timed),
# then the time to sync the whole backlog village -> township -> county once both start, and
# each process's peak RSS, and the agent's RSS idle (at start, and once all is synced). Usage: bench/backlog.sh [RECORDS] (default 100000).
# SANJI_BENCH_TLS=1: every link over mutual TLS, with a throwaway CA (deploy/pki.sh); the
# import stays on the agent's loopback intake, plaintext as in the field.
# SANJI_BENCH_COUNT=FILE: the village -> township link goes through bench/byte_counter.py,
# which keeps the bytes it carried in FILE (`up=N down=N`). SANJI_BENCH_ROWS=FILE: a copy of
# the imported CSV there. SANJI_BENCH_LINK_FLAGS="...": more flags for the agent's and the
# township's serve (e.g. --link_compression=none).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${SANJI_BUILD_DIR:-$repo/build}/bin
n=${1:-100000}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin/gen_workload" --out_dir="$work/w" --townships=1 --villages_per_township=1 \
  --records_per_village="$n" --bad_rows=false --encoding_mix=false >/dev/null
v=640522100201 t=640522100 port=${SANJI_BENCH_PORT:-18500}
sec_v=(--insecure) sec_t=(--insecure) sec_c=(--insecure) op=()
if [[ ${SANJI_BENCH_TLS:-0} == 1 ]]; then
  pki() { bash "$repo/deploy/pki.sh" --dir="$work/pki" "$@" >/dev/null; }
  flags() { echo "--tls_cert=$work/pki/issued/$1/cert.pem --tls_key=$work/pki/issued/$1/key.pem --tls_ca=$work/pki/ca.pem"; }
  pki init --county=640522
  pki issue county 640522; pki issue township $t; pki issue village $v; pki issue operator bench
  read -r -a sec_v <<<"$(flags village-$v)"; read -r -a sec_t <<<"$(flags township-$t)"
  read -r -a sec_c <<<"$(flags county-640522)"; read -r -a op <<<"$(flags operator-bench)"
fi
township_port=$((port+1))
if [[ -n ${SANJI_BENCH_COUNT:-} ]]; then
  township_port=$((port+3))
  python3 "$repo/bench/byte_counter.py" $township_port $((port+1)) "$SANJI_BENCH_COUNT" &
fi
"$bin/village_agent" serve --village_id=$v --data_dir="$work/v" --township=127.0.0.1:$township_port \
  --listen=127.0.0.1:$port "${sec_v[@]}" ${SANJI_BENCH_LINK_FLAGS:-} 2>"$work/v.log" & vpid=$!
until "$bin/village_agent" status --agent=127.0.0.1:$port >/dev/null 2>&1; do sleep 0.1; done
rss() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
idle_rss=$(rss $vpid)
s=$(date +%s.%N)
/usr/bin/time -f "import client peak RSS: %M kB" -o "$work/import.rss" \
  "$bin/village_agent" import --agent=127.0.0.1:$port "$work/w/$v.csv" | tail -1
e=$(date +%s.%N)
echo "import: $n rows in $(echo "$e - $s" | bc) s = $(echo "$n / ($e - $s)" | bc) rows/s"
cat "$work/import.rss"
echo "peak RSS village_agent after import: $(awk '/VmHWM/{print $2, $3}' /proc/$vpid/status)"
if [[ -n ${SANJI_BENCH_ROWS:-} ]]; then cp "$work/w/$v.csv" "$SANJI_BENCH_ROWS"; fi
"$bin/county_hub" serve --county_id=640522 --data_dir="$work/c" --listen=127.0.0.1:$((port+2)) \
  "${sec_c[@]}" 2>"$work/c.log" & cpid=$!
s=$(date +%s.%N)
"$bin/township_node" serve --township_id=$t --data_dir="$work/t" --listen=127.0.0.1:$((port+1)) \
  --county=127.0.0.1:$((port+2)) "${sec_t[@]}" ${SANJI_BENCH_LINK_FLAGS:-} 2>"$work/t.log" & tpid=$!
# The agent finds the township on its next reconnect attempt (backoff with jitter, up to
# 10 s after a long outage): timed separately, so that the sync figure is the sync.
until "$bin/village_agent" status --agent=127.0.0.1:$port | grep -q '^link_state: connected$'; do
  sleep 0.02; done
c=$(date +%s.%N)
echo "reconnect: the agent found the township $(echo "$c - $s" | bc) s after it started"
s=$c
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }
cpu0=("$(cpu $vpid)" "$(cpu $tpid)" "$(cpu $cpid)")
until "$bin/village_agent" status --agent=127.0.0.1:$port | grep -q '^pending_records: 0$'; do
  sleep 0.05; done
m=$(date +%s.%N)
until "$bin/township_node" status --node=127.0.0.1:$((port+1)) "${op[@]}" 2>/dev/null |
  grep -q '^cells_pending: 0$'; do sleep 0.05; done
e=$(date +%s.%N)
echo "sync from connect: village->township $(echo "$m - $s" | bc) s, ->county done at $(echo "$e - $s" | bc) s" \
  "= $(echo "$n / ($e - $s)" | bc) records/s end to end"
echo "cpu during sync, s: village_agent $(echo "$(cpu $vpid) - ${cpu0[0]}" | bc)" \
  "township_node $(echo "$(cpu $tpid) - ${cpu0[1]}" | bc) county_hub $(echo "$(cpu $cpid) - ${cpu0[2]}" | bc)"
echo "RSS village_agent idle: $idle_rss kB at start, $(rss $vpid) kB after the sync"
for p in "village_agent $vpid" "township_node $tpid" "county_hub $cpid"; do
  set -- $p; echo "peak RSS $1: $(awk '/VmHWM/{print $2, $3}' /proc/$2/status)"; done
