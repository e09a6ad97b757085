#!/usr/bin/env bash
# Puts Apache ECharts' browser build (dist/echarts.min.js of the npm package echarts, the exact
# version below) at FILE, for the county dashboard, which the hub serves from its own binary
# (county_hub/web/CMakeLists.txt runs this once at build time and embeds the file; the county's
# network may have no internet, so the page never loads it from a CDN). Idempotent: does nothing
# when FILE is there. Uses `npm pack` (the npm registry) and checks the package against its
# pinned sha512 integrity; never run by the programs.
# Exit 0 when FILE is in place; 1 with the reason when it could not be had: the build then fails
# and says what to do (a dashboard without its charts would be a broken page, not a degraded one).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$repo/build/web-vendor/echarts.min.js}
package=echarts@5.6.0
integrity=sha512-oTbVTsXfKuEhxftHqL5xprgLoc0k7uScAwtryCgWF6hPYFLRwOUHiFmHGCBKP5NPFNkDVopOieyUqYGH8Fa3kA==

fail() {
  echo "fetch-echarts: $*" >&2
  echo "fetch-echarts: the dashboard needs $package; reach the npm registry (or set npm's" \
    "registry/proxy: npm config set registry URL), or put its dist/echarts.min.js at $out" >&2
  exit 1
}

if [[ -s $out ]]; then
  echo "fetch-echarts: $out is in place"
  exit 0
fi
command -v npm >/dev/null || fail "npm is not installed (apt-get install npm)"
mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$(dirname "$out")/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "fetch-echarts: npm pack $package"
(cd "$work" && npm pack --silent "$package" >/dev/null) ||
  fail "npm pack $package failed (is the npm registry reachable?)"
tgz=$(echo "$work"/*.tgz)
got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
[[ $got == "$integrity" ]] || fail "$tgz is not the published $package ($got, want $integrity)"
tar -xzf "$tgz" -C "$work" package/dist/echarts.min.js ||
  fail "the package has no package/dist/echarts.min.js"
# Moved into place whole, so that a concurrent build never sees half a file.
touch "$work/package/dist/echarts.min.js"  # the package dates it 1985: newer than this script
mv "$work/package/dist/echarts.min.js" "$out"
echo "fetch-echarts: $out"
