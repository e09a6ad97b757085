#!/usr/bin/env bash
# The county's certificates (spec/interfaces.md "Identities"): one CA per county, and one
# certificate per node or operator naming exactly one identity in exactly one URI SAN,
#   spiffe://sanji/county/<6 digits>     the county hub
#   spiffe://sanji/township/<9 digits>   a township node (its county's 6 digits first)
#   spiffe://sanji/village/<12 digits>   a village agent (its township's 9 digits first)
#   spiffe://sanji/operator/<name>       a person or script that runs client commands
#
# Usage: deploy/pki.sh [--dir=DIR] COMMAND ...      (DIR: the CA's folder, default ./sanji-pki)
#   init --county=CODE [--name=TEXT] [--days=N]     make the county CA (default 3650 days)
#   issue LEVEL ID [--dns=NAME]... [--ip=ADDR]... [--days=N]
#                     make a key and a certificate on this machine (default 825 days);
#                     LEVEL is county, township, village or operator
#   request LEVEL ID [--out=DIR]     on the node's own machine: make its key and a signing
#                     request there (the key never leaves it); send the .csr to the CA
#   sign FILE.csr [--dns=NAME]... [--ip=ADDR]... [--days=N]
#                     on the CA's machine: issue the certificate the request asks for
#                     (the identity must be a valid one of this county; nothing else in
#                     the request is trusted)
#   renew LEVEL ID [--days=N]       a new certificate for the same key and addresses
#   list              every certificate issued, its serial and when it expires
#
# Every command says which file goes to which machine. Keys are written 0600 and never
# copied by this script. Exit status: 0 done, 1 failure, 2 bad usage.
set -euo pipefail

dir=./sanji-pki
die() { echo "pki: $*" >&2; exit 1; }
usage() { echo "pki: $*" >&2; echo "pki: see the top of $0 for the commands" >&2; exit 2; }

# --- identities ------------------------------------------------------------------------

county_code() { cat "$dir/county"; }

# Checks LEVEL ID against this county's codes; prints the identity "LEVEL/ID".
identity() {
  local level=$1 id=$2 county
  county=$(county_code)
  case $level in
    county)
      [[ $id == "$county" ]] || usage "county '$id' is not this CA's county $county" ;;
    township)
      [[ $id =~ ^[0-9]{9}$ && $id == "$county"* ]] ||
        usage "township '$id' is not a 9-digit code starting with the county's $county" ;;
    village)
      [[ $id =~ ^[0-9]{12}$ && $id == "$county"* ]] ||
        usage "village '$id' is not a 12-digit code starting with the county's $county" ;;
    operator)
      [[ $id =~ ^[a-z0-9][a-z0-9._-]{0,62}$ ]] ||
        usage "operator name '$id' must be 1-63 of a-z 0-9 . _ - (e.g. zhang.wei)" ;;
    *) usage "level '$level' is not county, township, village or operator" ;;
  esac
  echo "$level/$id"
}

# What the identity's certificate is for, as extendedKeyUsage.
# Nodes serve and call (a village's intake may serve TLS off loopback); operators only call.
key_usage() {
  if [[ ${1%%/*} == operator ]]; then echo clientAuth; else echo "serverAuth, clientAuth"; fi
}

where_to() {
  local level=${1%%/*} id=${1#*/}
  case $level in
    county) echo "the county hub $id (county_hub serve)" ;;
    township) echo "the township node $id (township_node serve)" ;;
    village) echo "the clinic PC of village $id (village_agent serve, import, status)" ;;
    operator) echo "operator $id's machine (client commands: status, report, alerts ...)" ;;
  esac
}

folder_of() { echo "$dir/issued/${1%%/*}-${1#*/}"; }

# A subject naming IDENTITY ("LEVEL/ID") as its common name; openssl's -subj needs the '/'
# escaped. Identity comes from the URI SAN only; the CN is for people reading the file.
subject() { echo "/O=Sanji county ${2:-}/CN=${1//\//\\/}"; }

# --- openssl ---------------------------------------------------------------------------

new_key() {  # new_key FILE
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$1" 2>/dev/null) || die "cannot make a key in $1"
  chmod 600 "$1"
}

# sign_request CSR IDENTITY DAYS CERT [SAN...]: the CA signs with the extensions it decides.
sign_request() {
  local csr=$1 id=$2 days=$3 cert=$4
  shift 4
  local san="URI:spiffe://sanji/$id" extra
  for extra in "$@"; do [[ -z $extra ]] || san+=",$extra"; done
  local ext
  ext=$(mktemp)
  cat >"$ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = $(key_usage "$id")
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  if ! openssl x509 -req -in "$csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
      -CAserial "$dir/serial" -CAcreateserial -days "$days" -sha256 \
      -subj "$(subject "$id" "$(county_code)")" -extfile "$ext" -out "$cert" 2>"$ext.err"; then
    cat "$ext.err" >&2
    rm -f "$ext" "$ext.err"
    die "the CA could not sign $csr"
  fi
  rm -f "$ext" "$ext.err"
  chmod 644 "$cert"
  printf '%s\t%s\t%s\t%s\n' "$id" "$(openssl x509 -in "$cert" -noout -serial | cut -d= -f2)" \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(san_list "$@")" >>"$dir/issued.tsv"
}

san_list() { local IFS=' '; echo "${*:-}"; }

require_ca() {
  [[ -f $dir/ca.pem && -f $dir/ca.key && -f $dir/county ]] ||
    die "no county CA in $dir: run 'deploy/pki.sh --dir=$dir init --county=CODE' first"
}

# --- commands --------------------------------------------------------------------------

cmd_init() {
  local county="" name="" days=3650
  for arg in "$@"; do
    case $arg in
      --county=*) county=${arg#*=} ;;
      --name=*) name=${arg#*=} ;;
      --days=*) days=${arg#*=} ;;
      *) usage "init: unknown argument '$arg'" ;;
    esac
  done
  [[ $county =~ ^[0-9]{6}$ ]] || usage "init needs --county=CODE, the 6-digit county code"
  [[ $days =~ ^[0-9]+$ ]] || usage "--days must be a whole number"
  [[ ! -e $dir/ca.key ]] || die "$dir already holds a CA (ca.key); use another --dir"
  mkdir -p "$dir/issued"
  chmod 700 "$dir"
  echo "$county" >"$dir/county"
  new_key "$dir/ca.key"
  openssl req -new -x509 -key "$dir/ca.key" -days "$days" -sha256 \
    -subj "/O=Sanji county $county/CN=${name:-Sanji county $county CA}" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" -out "$dir/ca.pem" 2>/dev/null ||
    die "cannot make the CA certificate"
  : >"$dir/issued.tsv"
  cat <<EOF
pki: county $county CA made in $dir
  $dir/ca.key  the CA's private key: keep it on this machine only, offline if you can
  $dir/ca.pem  the CA certificate: copy it to every node and operator (their --tls_ca)
EOF
}

# Parses the options every issuing command takes into the globals days and sans.
parse_issue_options() {
  days=825
  sans=()
  for arg in "$@"; do
    case $arg in
      --dns=*) sans+=("DNS:${arg#*=}") ;;
      --ip=*) sans+=("IP:${arg#*=}") ;;
      --days=*) days=${arg#*=} ;;
      *) usage "unknown argument '$arg'" ;;
    esac
  done
  [[ $days =~ ^[0-9]+$ && $days -gt 0 ]] || usage "--days must be a positive whole number"
}

say_copy() {
  local id=$1 key=$2 cert=$3
  cat <<EOF
pki: issued $id, valid until $(openssl x509 -in "$cert" -noout -enddate | cut -d= -f2)
  to $(where_to "$id"):
    $cert   (--tls_cert)
    $key   (--tls_key, mode 0600; it must reach no other machine)
    $dir/ca.pem   (--tls_ca)
EOF
}

cmd_issue() {
  require_ca
  (($# >= 2)) || usage "issue needs LEVEL and ID"
  local id
  id=$(identity "$1" "$2")
  shift 2
  parse_issue_options "$@"
  local folder
  folder=$(folder_of "$id")
  [[ ! -e $folder/key.pem ]] ||
    die "$id was issued already ($folder); use 'renew ${id%%/*} ${id#*/}' for a new certificate"
  mkdir -p "$folder"
  new_key "$folder/key.pem"
  openssl req -new -key "$folder/key.pem" -subj "$(subject "$id")" -out "$folder/request.csr" \
    2>/dev/null || die "cannot make a signing request for $id"
  printf '%s\n' "${sans[@]+"${sans[@]}"}" >"$folder/sans"
  sign_request "$folder/request.csr" "$id" "$days" "$folder/cert.pem" ${sans[@]+"${sans[@]}"}
  say_copy "$id" "$folder/key.pem" "$folder/cert.pem"
}

cmd_request() {
  (($# >= 2)) || usage "request needs LEVEL and ID"
  local level=$1 id=$2 out=.
  shift 2
  for arg in "$@"; do
    case $arg in
      --out=*) out=${arg#*=} ;;
      *) usage "request: unknown argument '$arg'" ;;
    esac
  done
  case $level in county | township | village | operator) ;;
    *) usage "level '$level' is not county, township, village or operator" ;;
  esac
  mkdir -p "$out"
  local base="$out/$level-$id"
  [[ ! -e $base.key ]] || die "$base.key exists already; keep it, or move it away first"
  new_key "$base.key"
  openssl req -new -key "$base.key" -subj "$(subject "$level/$id")" -out "$base.csr" 2>/dev/null ||
    die "cannot make a signing request"
  cat <<EOF
pki: key and signing request for $level/$id made here
  $base.key   stays on this machine (--tls_key, mode 0600)
  $base.csr   send to the county CA: deploy/pki.sh sign $(basename "$base.csr")
EOF
}

cmd_sign() {
  require_ca
  (($# >= 1)) || usage "sign needs FILE.csr"
  local csr=$1
  shift
  [[ -f $csr ]] || die "no such request: $csr"
  openssl req -in "$csr" -noout -verify 2>/dev/null || die "$csr is not a valid signing request"
  local cn
  cn=$(openssl req -in "$csr" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p')
  [[ $cn == */* ]] || die "$csr names no identity (its CN must be LEVEL/ID, as 'request' makes)"
  local id
  id=$(identity "${cn%%/*}" "${cn#*/}")
  parse_issue_options "$@"
  local folder
  folder=$(folder_of "$id")
  mkdir -p "$folder"
  cp "$csr" "$folder/request.csr"
  printf '%s\n' "${sans[@]+"${sans[@]}"}" >"$folder/sans"
  sign_request "$folder/request.csr" "$id" "$days" "$folder/cert.pem" ${sans[@]+"${sans[@]}"}
  cat <<EOF
pki: issued $id, valid until $(openssl x509 -in "$folder/cert.pem" -noout -enddate | cut -d= -f2)
  send $folder/cert.pem (--tls_cert) and $dir/ca.pem (--tls_ca) to $(where_to "$id");
  its key stays where the request was made
EOF
}

cmd_renew() {
  require_ca
  (($# >= 2)) || usage "renew needs LEVEL and ID"
  local id
  id=$(identity "$1" "$2")
  shift 2
  parse_issue_options "$@"
  local folder
  folder=$(folder_of "$id")
  [[ -f $folder/request.csr ]] || die "$id was never issued here; use 'issue'"
  local old_sans=()
  if [[ -s $folder/sans ]]; then mapfile -t old_sans < <(grep -v '^$' "$folder/sans"); fi
  ((${#sans[@]} > 0)) || sans=(${old_sans[@]+"${old_sans[@]}"})
  printf '%s\n' "${sans[@]+"${sans[@]}"}" >"$folder/sans"
  sign_request "$folder/request.csr" "$id" "$days" "$folder/cert.pem.new" ${sans[@]+"${sans[@]}"}
  mv "$folder/cert.pem.new" "$folder/cert.pem"
  cat <<EOF
pki: renewed $id (same key), valid until $(openssl x509 -in "$folder/cert.pem" -noout -enddate | cut -d= -f2)
  replace the --tls_cert file on $(where_to "$id") with $folder/cert.pem;
  the node reads it again by itself (no restart)
EOF
}

cmd_list() {
  require_ca
  printf '%-32s %-42s %-26s %s\n' IDENTITY SERIAL "NOT AFTER" STATUS
  local cert now end id serial status
  now=$(date +%s)
  for cert in "$dir"/issued/*/cert.pem; do
    [[ -f $cert ]] || continue
    id=$(openssl x509 -in "$cert" -noout -ext subjectAltName 2>/dev/null |
      grep -o 'spiffe://sanji/[^, ]*' | head -n 1 | sed 's#spiffe://sanji/##')
    serial=$(openssl x509 -in "$cert" -noout -serial | cut -d= -f2)
    end=$(openssl x509 -in "$cert" -noout -enddate | cut -d= -f2)
    local days_left=$(( ($(date -d "$end" +%s) - now) / 86400 ))
    if ((days_left < 0)); then
      status=expired
    elif ((days_left <= 30)); then
      status="expires in $days_left days: renew"
    else
      status="valid ($days_left days)"
    fi
    printf '%-32s %-42s %-26s %s\n' "$id" "$serial" "$end" "$status"
  done
}

# --- main ------------------------------------------------------------------------------

if [[ ${1:-} == --dir=* ]]; then
  dir=${1#*=}
  shift
fi
command -v openssl >/dev/null || die "openssl is not installed (apt-get install openssl)"
(($# >= 1)) || usage "no command"
command=$1
shift
case $command in
  init) cmd_init "$@" ;;
  issue) cmd_issue "$@" ;;
  request) cmd_request "$@" ;;
  sign) cmd_sign "$@" ;;
  renew) cmd_renew "$@" ;;
  list) cmd_list ;;
  *) usage "unknown command '$command'" ;;
esac
