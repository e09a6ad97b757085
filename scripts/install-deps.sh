#!/usr/bin/env bash
# Installs the Debian 12 packages Sanji builds and tests against (see
# ../shared/notes/debian-build.md for the versions). Idempotent: when every package is
# installed it only says so; otherwise it runs `apt-get update` and installs the missing ones,
# with sudo when not root.
set -euo pipefail

packages=(
  cmake g++ ninja-build pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev libgtest-dev libgmock-dev nlohmann-json3-dev
  clang clang-tidy python3 openssl libssl-dev
  libxlsxwriter-dev python3-openpyxl python3-jsonschema
  libcpp-httplib-dev prometheus-cpp-dev libsodium-dev chromium python3-websocket fonts-noto-cjk
  curl
)
# npm fetches the dashboard's ECharts at build time (scripts/fetch-echarts.sh). Debian's npm
# package conflicts with a Node.js installed from elsewhere (e.g. NodeSource's nodejs, which
# brings its own npm): any npm on PATH will do.
command -v npm >/dev/null || packages+=(npm)

missing=()
for package in "${packages[@]}"; do
  state=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  [[ $state == installed ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} build dependencies are installed"
  exit 0
fi

as_root=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null; then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run this script as root, or install sudo" >&2
    exit 1
  fi
  as_root=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"
