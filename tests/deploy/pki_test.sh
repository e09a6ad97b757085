#!/usr/bin/env bash
# Tests of deploy/pki.sh with the real openssl: the certificates it issues name exactly the
# identity asked for (one URI SAN), chain to the county CA, keep their keys 0600, and it
# refuses identities outside the county, re-issues, and requests that ask for more.
# Usage: pki_test.sh PATH/TO/pki.sh
set -uo pipefail
pki=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ca=$work/ca
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
run() { bash "$pki" --dir="$ca" "$@" >"$work/out" 2>&1; }
expect_usage() {  # expect_usage WHAT ARGS...: exit 2, and nothing issued
  local what=$1
  shift
  local before
  before=$(ls "$ca/issued" | wc -l)
  run "$@"
  local status=$?
  ((status == 2)) || fail "$what: exit $status, want 2: $(cat "$work/out")"
  (($(ls "$ca/issued" | wc -l) == before)) || fail "$what: something was issued"
}
uris() { openssl x509 -in "$1" -noout -ext subjectAltName | grep -o 'URI:[^, ]*'; }

run init --county=640522 || fail "init: $(cat "$work/out")"
[[ $(stat -c %a "$ca") == 700 && $(stat -c %a "$ca/ca.key") == 600 ]] ||
  fail "CA folder or key readable by others"
openssl x509 -in "$ca/ca.pem" -noout -ext basicConstraints | grep -q 'CA:TRUE' ||
  fail "the CA certificate is not a CA"

run issue county 640522 --dns=hub.example || fail "issue county: $(cat "$work/out")"
run issue township 640522100 --ip=10.0.0.5 || fail "issue township: $(cat "$work/out")"
run issue village 640522100201 || fail "issue village: $(cat "$work/out")"
run issue operator zhang.wei || fail "issue operator: $(cat "$work/out")"
grep -q 'operator-zhang.wei/key.pem' "$work/out" || fail "issue does not say where the key goes"
for id in county/640522 township/640522100 village/640522100201 operator/zhang.wei; do
  cert=$ca/issued/${id%%/*}-${id#*/}/cert.pem
  openssl verify -CAfile "$ca/ca.pem" "$cert" >/dev/null 2>&1 || fail "$id does not chain"
  [[ $(uris "$cert") == "URI:spiffe://sanji/$id" ]] || fail "$id: URI SANs $(uris "$cert")"
  [[ $(stat -c %a "${cert%cert.pem}key.pem") == 600 ]] || fail "$id: key not 0600"
done
openssl x509 -in "$ca/issued/township-640522100/cert.pem" -noout -ext subjectAltName |
  grep -q 'IP Address:10.0.0.5' || fail "the township's address SAN is missing"
eku=$(openssl x509 -in "$ca/issued/operator-zhang.wei/cert.pem" -noout -ext extendedKeyUsage)
[[ $eku == *"Client Authentication"* && $eku != *"Server Authentication"* ]] ||
  fail "an operator certificate must be for clients only: $eku"

expect_usage "another county's township" issue township 640523100
expect_usage "an 11-digit village" issue village 64052210020
expect_usage "an operator name with a space" issue operator "zhang wei"
expect_usage "a level that does not exist" issue province 640522
expect_usage "another county" issue county 640523
run issue township 640522100
(($? == 1)) || fail "issuing the same identity twice must fail (renew instead)"

# Renewal: a new serial and end date, the same key, the same addresses.
old_serial=$(openssl x509 -in "$ca/issued/township-640522100/cert.pem" -noout -serial)
run renew township 640522100 --days=20 || fail "renew: $(cat "$work/out")"
cert=$ca/issued/township-640522100/cert.pem
[[ $(openssl x509 -in "$cert" -noout -serial) != "$old_serial" ]] || fail "renew kept the serial"
[[ $(openssl x509 -in "$cert" -noout -pubkey) == \
  $(openssl pkey -in "$ca/issued/township-640522100/key.pem" -pubout) ]] ||
  fail "renew changed the key"
openssl x509 -in "$cert" -noout -ext subjectAltName | grep -q 'IP Address:10.0.0.5' ||
  fail "renew lost the address"
run list
grep -Eq 'township/640522100 .*expires in (19|20) days: renew' "$work/out" ||
  fail "list does not flag the short certificate: $(cat "$work/out")"

# A request made on the node's machine: its key stays there, and the CA issues only the
# identity the request's name gives, not what the request asks for besides.
mkdir -p "$work/clinic"
bash "$pki" request village 640522100202 --out="$work/clinic" >/dev/null ||
  fail "request failed"
run sign "$work/clinic/village-640522100202.csr" || fail "sign: $(cat "$work/out")"
[[ ! -e $ca/issued/village-640522100202/key.pem ]] || fail "the CA has the clinic's key"
[[ $(uris "$ca/issued/village-640522100202/cert.pem") == \
  "URI:spiffe://sanji/village/640522100202" ]] || fail "signed request: wrong identity"
openssl req -new -key "$work/clinic/village-640522100202.key" \
  -subj "/CN=village\/640522100203" -addext "subjectAltName=URI:spiffe://sanji/county/640522" \
  -out "$work/greedy.csr" 2>/dev/null
run sign "$work/greedy.csr" || fail "sign greedy: $(cat "$work/out")"
[[ $(uris "$ca/issued/village-640522100203/cert.pem") == \
  "URI:spiffe://sanji/village/640522100203" ]] || fail "a requested SAN was copied"
openssl req -new -key "$work/clinic/village-640522100202.key" -subj "/CN=township\/640599100" \
  -out "$work/foreign.csr" 2>/dev/null
expect_usage "a request for another county's township" sign "$work/foreign.csr"

if ((failures > 0)); then
  echo "pki_test: $failures failures" >&2
  exit 1
fi
echo "pki_test: all checks passed"
