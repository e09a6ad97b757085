#!/usr/bin/env bash
# The demo county end to end, on one machine:
#   build; generate a year of records for 3 townships x 3 villages (tools/gen_workload);
#   make a throwaway county CA and a certificate per node (deploy/pki.sh); start county_hub,
#   3 township_node and 9 village_agent processes on 127.0.0.1 over mutual TLS;
#   import every village's files; wait until the county has everything; print the county's
#   annual report, write a township-level 2025-H1 report (CSV, and Excel, Markdown, DHIS2, ADX,
#   FHIR), the completeness of 2025-H1 and its work-summary draft; check the county's totals against
#   the generator's manifest; then, when stdin is a terminal, keep the county serving its
#   dashboard (county_hub serve --http, on 127.0.0.1) until Ctrl-C; stop everything.
# Usage: deploy/demo.sh [--no-wait]   (--no-wait: stop at once, as when stdin is not a terminal)
# Everything goes under <repo>/demo-run: workload/, pki/, data/ (fresh each run), logs/, reports.
#
# Environment: SANJI_DEMO_PORT (first port tried, default 17000), SANJI_DEMO_TIMEOUT (seconds
# to wait for the county to converge, default 300), SANJI_DEMO_RECORDS (records per village,
# default 3000), SANJI_BUILD_DIR (default <repo>/build).
set -euo pipefail

wait_for_user=1
[[ -t 0 ]] || wait_for_user=0
for arg in "$@"; do
  case $arg in
    --no-wait) wait_for_user=0 ;;
    *)
      echo "usage: deploy/demo.sh [--no-wait]" >&2
      exit 2
      ;;
  esac
done

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
build=${SANJI_BUILD_DIR:-$repo/build}
bin=$build/bin
run=$repo/demo-run
next_port=${SANJI_DEMO_PORT:-17000}
converge_timeout=${SANJI_DEMO_TIMEOUT:-300}
records=${SANJI_DEMO_RECORDS:-3000}
ready_timeout=30
year=2025

start=$SECONDS
say() { printf '[%4ds] %s\n' $((SECONDS - start)) "$*"; }
die() {
  say "ERROR: $*" >&2
  exit 1
}

# --- child processes --------------------------------------------------------------------------
pids=()  # in start order: hub, townships, villages
names=()
logs=()

stop_all() {
  ((${#pids[@]} > 0)) || return 0
  say "stopping ${#pids[@]} processes (SIGTERM)"
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do  # villages first, the hub last
    kill -TERM "${pids[i]}" 2>/dev/null || true
  done
  local deadline=$((SECONDS + 20))
  for i in "${!pids[@]}"; do
    while kill -0 "${pids[i]}" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    if kill -0 "${pids[i]}" 2>/dev/null; then
      say "${names[i]} did not stop within 20 s: SIGKILL (log: ${logs[i]})"
      kill -KILL "${pids[i]}" 2>/dev/null || true
    fi
    wait "${pids[i]}" 2>/dev/null || true
  done
  pids=()
  say "all stopped"
}
trap stop_all EXIT
trap 'say "interrupted"; exit 130' INT TERM

show_log() {  # NAME LOG
  echo "----- last lines of $2 ($1) -----" >&2
  tail -n 25 "$2" >&2 || true
  echo "-----" >&2
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Sets $port to the next free port at or after $next_port.
alloc_port() {
  while port_in_use "$next_port"; do next_port=$((next_port + 1)); done
  port=$next_port
  next_port=$((next_port + 1))
}

# launch NAME COMMAND...: starts a server in the background, its output appended to its log.
launch() {
  local name=$1
  shift
  local log=$run/logs/$name.log
  "$@" >>"$log" 2>&1 &
  pids+=($!)
  names+=("$name")
  logs+=("$log")
}

# wait_ready NAME STATUS-COMMAND...: polls the status command of the server launched last
# until it exits 0.
wait_ready() {
  local name=$1
  shift
  local pid=${pids[-1]} log=${logs[-1]} deadline=$((SECONDS + ready_timeout))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      show_log "$name" "$log"
      die "$name exited during start-up (log above: $log)"
    fi
    if ((SECONDS >= deadline)); then
      show_log "$name" "$log"
      die "$name not ready after ${ready_timeout} s: \`$*\` keeps failing"
    fi
    sleep 0.2
  done
}

# --- build and workload -------------------------------------------------------------------------
say "building"
bash "$repo/scripts/build.sh"
for program in gen_workload county_hub township_node village_agent; do
  [[ -x $bin/$program ]] || die "$bin/$program was not built"
done

rm -rf "$run/data" "$run/logs" "$run/workload" "$run/pki"
mkdir -p "$run/data" "$run/logs"
say "generating the workload ($records records per village)"
"$bin/gen_workload" --out_dir="$run/workload" --year=$year --records_per_village="$records"
workload=$run/workload
manifest=$workload/manifest.txt
mapfile -t villages < <(tail -n +2 "$workload/population.csv" | cut -d, -f1)
mapfile -t townships < <(printf '%s\n' "${villages[@]}" | cut -c1-9 | sort -u)
county=${villages[0]:0:6}

# --- certificates -------------------------------------------------------------------------------
# A throwaway CA for this run; a county makes its own once (README "Installing a county").
pki=$run/pki
say "making the demo county's CA and certificates in $pki"
bash "$repo/deploy/pki.sh" --dir="$pki" init --county="$county" >/dev/null
bash "$repo/deploy/pki.sh" --dir="$pki" issue county "$county" --ip=127.0.0.1 >/dev/null
for org in "${townships[@]}" "${villages[@]}"; do
  level=village
  ((${#org} == 9)) && level=township
  bash "$repo/deploy/pki.sh" --dir="$pki" issue "$level" "$org" --ip=127.0.0.1 >/dev/null
done
bash "$repo/deploy/pki.sh" --dir="$pki" issue operator demo >/dev/null
tls() {  # LEVEL ID: the flags that make LEVEL ID use its certificate
  local folder=$pki/issued/$1-$2
  echo "--tls_cert=$folder/cert.pem --tls_key=$folder/key.pem --tls_ca=$pki/ca.pem"
}
# Client commands to the hub and the townships run as the operator "demo"; the agents' intake is
# plaintext on loopback (the clinic PC's own import and status).
read -r -a operator <<<"$(tls operator demo)"

# --- start the county ---------------------------------------------------------------------------
alloc_port
hub_addr=127.0.0.1:$port
alloc_port
dashboard_port=$port
say "starting county_hub $county on $hub_addr (dashboard on http://127.0.0.1:$dashboard_port/)"
launch county_hub "$bin/county_hub" serve --county_id="$county" --data_dir="$run/data/county_hub" \
  --listen="$hub_addr" --http="127.0.0.1:$dashboard_port" --orgs="$workload/orgs.csv" --population="$workload/population.csv" \
  $(tls county "$county")
wait_ready county_hub "$bin/county_hub" status --hub="$hub_addr" "${operator[@]}"

declare -A township_addr village_addr
for township in "${townships[@]}"; do
  alloc_port
  township_addr[$township]=127.0.0.1:$port
  say "starting township_node $township on 127.0.0.1:$port"
  launch "township-$township" "$bin/township_node" serve --township_id="$township" \
    --data_dir="$run/data/township-$township" --listen="127.0.0.1:$port" --county="$hub_addr" \
    $(tls township "$township")
  wait_ready "township-$township" "$bin/township_node" status --node="127.0.0.1:$port" \
    "${operator[@]}"
done

for village in "${villages[@]}"; do
  alloc_port
  village_addr[$village]=127.0.0.1:$port
  say "starting village_agent $village on 127.0.0.1:$port"
  launch "village-$village" "$bin/village_agent" serve --village_id="$village" \
    --data_dir="$run/data/village-$village" --township="${township_addr[${village:0:9}]}" \
    --listen="127.0.0.1:$port" $(tls village "$village")
  wait_ready "village-$village" "$bin/village_agent" status --agent="127.0.0.1:$port"
done
say "${#pids[@]} processes up (logs in $run/logs)"

# --- import -------------------------------------------------------------------------------------
# The manifest's "expected import" line for FILE (the line after the one naming it).
expected_import() {
  awk -v f="$1" 'found { sub(/.*expected import: /, ""); print; exit }
                 $2 == "file:" && ($3 == f || $3 == f ":") { found = 1 }' "$manifest"
}

mismatches=0
for village in "${villages[@]}"; do
  files=()
  for f in "$workload/$village.csv" "$workload/$village.jsonl" \
    "$workload/$village-corrections.csv"; do
    [[ -f $f ]] && files+=("$f")
  done
  for f in "${files[@]}"; do
    name=$(basename "$f")
    log=$run/logs/import-$name.log
    rc=0
    "$bin/village_agent" import --agent="${village_addr[$village]}" "$f" >"$log" 2>&1 || rc=$?
    if ((rc != 0 && rc != 1)); then
      show_log "import $name" "$log"
      die "import of $name failed with exit status $rc"
    fi
    summary=$(grep -E '^accepted=[0-9]+ duplicate=[0-9]+ rejected=[0-9]+$' "$log" | tail -n 1 ||
      true)
    if [[ -z $summary ]]; then
      show_log "import $name" "$log"
      die "import of $name printed no summary line"
    fi
    expected=$(expected_import "$name")
    note="as the manifest expects"
    if [[ $summary != "$expected" ]]; then
      note="MANIFEST EXPECTS $expected; see $log"
      mismatches=$((mismatches + 1))
    fi
    say "imported $name: $summary ($note)"
  done
done

# --- wait for the county to converge ------------------------------------------------------------
status_value() {  # KEY COMMAND...: the value of "KEY: value" in a text status, or "?"
  local key=$1 out
  shift
  out=$("$@" --format=text 2>/dev/null) || {
    echo "?"
    return
  }
  awk -F': ' -v k="$key" '$1 == k { print $2; found = 1; exit } END { if (!found) print "?" }' \
    <<<"$out"
}

wait_drained() {  # WHAT KEY FLAG ADDR...: waits until KEY is 0 on every node
  local what=$1 key=$2 flag=$3 cmd=$bin/$1 client=()
  [[ $what == village_agent ]] || client=("${operator[@]}")
  shift 3
  local deadline=$((start_wait + converge_timeout)) last_report=0
  while true; do
    local total=0 busy=() addr value
    for addr in "$@"; do
      value=$(status_value "$key" "$cmd" status "--$flag=$addr" "${client[@]}")
      if [[ $value != 0 ]]; then
        busy+=("$addr:$value")
        [[ $value =~ ^[0-9]+$ ]] && total=$((total + value))
      fi
    done
    ((${#busy[@]} == 0)) && return 0
    if ((SECONDS >= deadline)); then
      say "still waiting on: ${busy[*]}" >&2
      local i
      for i in "${!names[@]}"; do show_log "${names[i]}" "${logs[i]}"; done
      die "the county did not converge within $converge_timeout s ($what $key not 0)"
    fi
    if ((SECONDS - last_report >= 5)); then
      say "waiting: $what $key total $total on ${#busy[@]} node(s)"
      last_report=$SECONDS
    fi
    sleep 1
  done
}

start_wait=$SECONDS
say "waiting for the villages to sync"
wait_drained village_agent pending_records agent "${village_addr[@]}"
say "waiting for the townships to forward their rollups"
wait_drained township_node cells_pending node "${township_addr[@]}"
say "converged in $((SECONDS - start_wait)) s"

# --- reports ------------------------------------------------------------------------------------
annual=$run/report-$year-county.csv
say "county report for $year (also in $annual):"
"$bin/county_hub" report --hub="$hub_addr" --period=$year --format=csv "${operator[@]}" |
  tee "$annual"
half=$run/report-$year-H1-township.csv
"$bin/county_hub" report --hub="$hub_addr" --period=$year-H1 --level=township --format=csv \
  "${operator[@]}" \
  --out="$half"
say "township report for $year-H1: $half ($(($(wc -l <"$half") - 1)) rows)"
workbook=$run/report-$year-village.xlsx
"$bin/county_hub" report --hub="$hub_addr" --period=$year --level=village --format=xlsx \
  --out="$workbook" "${operator[@]}"
say "the same for every township and village as an Excel workbook: $workbook"
for format in md dhis2 adx fhir; do
  "$bin/county_hub" report --hub="$hub_addr" --period=$year-H1 --level=township \
    --format=$format --out="$run/report-$year-H1-township.$format" "${operator[@]}"
done
say "and as Markdown, DHIS2, ADX and FHIR: $run/report-$year-H1-township.{md,dhis2,adx,fhir}"
completeness=$run/completeness-$year-H1.csv
"$bin/county_hub" completeness --hub="$hub_addr" --period=$year-H1 "${operator[@]}" \
  >"$completeness"
say "completeness for $year-H1 ($completeness): $(awk -F, '$2 == "county" {
  printf "%s of %s villages reported, %s on time", $6, $5, $7 }' "$completeness")"\
  "(on time means within 10 days of the period's end; the demo's $year arrives only now)"
summary=$run/summary-$year-H1.md
"$bin/county_hub" summary --hub="$hub_addr" --period=$year-H1 --out="$summary" "${operator[@]}"
say "the work-summary draft for $year-H1 ($summary):"
cat "$summary"

# The generator's own totals ("expect PERIOD LEVEL ORG INDICATOR VALUE" in the manifest)
# against the report: converged means exact.
while read -r _ period level org indicator value; do
  got=$(awk -F, -v p="$period" -v l="$level" -v o="$org" -v i="$indicator" \
    '$1 == p && $2 == l && $3 == o && $5 == i { print $7; exit }' "$annual")
  if [[ $got == "$value" ]]; then
    say "check $indicator = $value: ok"
  else
    say "check $indicator: the report says '$got', the manifest expects $value"
    mismatches=$((mismatches + 1))
  fi
done < <(grep '^expect ' "$manifest")

# The dashboard answers with the same numbers (the page's own API).
api=$(curl -sf "http://127.0.0.1:$dashboard_port/api/report?period=$year") ||
  die "the dashboard on http://127.0.0.1:$dashboard_port/ does not answer"
cli=$("$bin/county_hub" report --hub="$hub_addr" --period=$year --format=json "${operator[@]}")
if [[ $api == "$cli" ]]; then
  say "check dashboard /api/report?period=$year = county_hub report --format=json: ok"
else
  say "check dashboard: /api/report differs from county_hub report --format=json"
  mismatches=$((mismatches + 1))
fi
if ((mismatches > 0)); then
  stop_all
  die "$mismatches result(s) differ from the manifest (see above)"
fi
url="http://127.0.0.1:$dashboard_port/#p=$year"
if ((wait_for_user)); then
  echo
  echo "  打开浏览器访问 $url 查看演示县的数据看板（按 Ctrl-C 结束）"
  echo "  Open $url in a browser to see the demo county's dashboard (Ctrl-C to stop)."
  echo
  trap 'wait_for_user=0' INT
  while ((wait_for_user)); do sleep 1 || true; done
  trap 'say "interrupted"; exit 130' INT
  echo
else
  say "the dashboard was at $url (run without --no-wait, on a terminal, to keep it open)"
fi
stop_all
say "demo done: reports in $run"
