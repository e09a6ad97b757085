#!/usr/bin/env bash
# The cost of mutual TLS, side by side in one run on this machine:
#   1. bench/backlog.sh plaintext, then over mutual TLS: import rows/s (the agent's loopback
#      intake, plaintext either way) and end-to-end sync records/s village -> township -> county;
#   2. the TLS handshake with a client certificate against a real county_hub (openssl s_time,
#      a full handshake per connection: ECDSA P-256 keys as deploy/pki.sh makes them);
#   3. a client command (`county_hub status`, a process, a connection and a call) with and
#      without TLS.
# Usage: bench/tls_cost.sh [RECORDS] (default 100000). Prints one table at the end.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${SANJI_BUILD_DIR:-$repo/build}/bin
n=${1:-100000}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== backlog, plaintext"
SANJI_BENCH_PORT=18600 bash "$repo/bench/backlog.sh" "$n" | tee "$work/plain.txt"
echo "== backlog, mutual TLS"
SANJI_BENCH_TLS=1 SANJI_BENCH_PORT=18610 bash "$repo/bench/backlog.sh" "$n" | tee "$work/tls.txt"

echo "== handshakes"
pki() { bash "$repo/deploy/pki.sh" --dir="$work/pki" "$@" >/dev/null; }
pki init --county=640522
pki issue county 640522
pki issue operator bench
hub=$work/pki/issued/county-640522 op=$work/pki/issued/operator-bench
tls_op=(--tls_cert="$op/cert.pem" --tls_key="$op/key.pem" --tls_ca="$work/pki/ca.pem")
"$bin/county_hub" serve --county_id=640522 --data_dir="$work/hub-tls" --listen=127.0.0.1:18620 \
  --tls_cert="$hub/cert.pem" --tls_key="$hub/key.pem" --tls_ca="$work/pki/ca.pem" \
  2>"$work/hub-tls.log" &
"$bin/county_hub" serve --county_id=640522 --data_dir="$work/hub-plain" \
  --listen=127.0.0.1:18621 --insecure 2>"$work/hub-plain.log" &
until "$bin/county_hub" status --hub=127.0.0.1:18620 "${tls_op[@]}" >/dev/null 2>&1; do sleep 0.1; done
until "$bin/county_hub" status --hub=127.0.0.1:18621 >/dev/null 2>&1; do sleep 0.1; done
s_time=$(openssl s_time -connect 127.0.0.1:18620 -new -time 5 -cert "$op/cert.pem" \
  -key "$op/key.pem" -CAfile "$work/pki/ca.pem" 2>/dev/null | grep 'real seconds' | tail -1)
# "N connections in T real seconds, B bytes read per connection"
conns=$(awk '{print $1}' <<<"$s_time") secs=$(awk '{print $4}' <<<"$s_time")
handshake_ms=$(echo "scale=2; 1000 * $secs / $conns" | bc)
status_ms() {  # ADDR FLAGS...: mean wall time of 20 `county_hub status` runs, in ms
  local addr=$1 s e
  shift
  s=$(date +%s.%N)
  for _ in $(seq 20); do "$bin/county_hub" status --hub="$addr" "$@" >/dev/null; done
  e=$(date +%s.%N)
  echo "scale=1; 1000 * ($e - $s) / 20" | bc
}
plain_status=$(status_ms 127.0.0.1:18621)
tls_status=$(status_ms 127.0.0.1:18620 "${tls_op[@]}")

figure() { grep -o "$2" "$1" | grep -o '[0-9.]*' | tail -1; }
pi=$(figure "$work/plain.txt" '= [0-9]* rows/s') ti=$(figure "$work/tls.txt" '= [0-9]* rows/s')
ps=$(figure "$work/plain.txt" '= [0-9]* records/s') ts=$(figure "$work/tls.txt" '= [0-9]* records/s')
echo
printf '%-48s %12s %12s %8s\n' "measure ($n records)" plaintext "mutual TLS" "TLS/plain"
printf '%-48s %12s %12s %8s\n' "import rows/s (loopback intake)" "$pi" "$ti" \
  "$(echo "scale=2; $ti / $pi" | bc)"
printf '%-48s %12s %12s %8s\n' "sync records/s, village -> township -> county" "$ps" "$ts" \
  "$(echo "scale=2; $ts / $ps" | bc)"
printf '%-48s %12s %12s %8s\n' "client command (county_hub status), ms" "$plain_status" \
  "$tls_status" "$(echo "scale=2; $tls_status / $plain_status" | bc)"
printf '%-48s %12s %12s\n' "TLS handshake with client certificate, ms" "-" "$handshake_ms"
