#!/usr/bin/env bash
# Checks deploy/systemd's units with systemd-analyze verify (syntax, known settings, the
# programs they start exist) against the programs of this build, and that every unit keeps
# the hardening and the files-at-rest settings README "Installing a county" promises.
# Usage: units_test.sh SYSTEMD_DIR BIN_DIR. Exit 77 (skipped) without systemd-analyze.
set -euo pipefail
units=$(cd "$1" && pwd) bin=$(cd "$2" && pwd)
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not installed: skipped"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
for unit in "$units"/*.service; do
  name=$(basename "$unit")
  sed "s|/usr/local/bin|$bin|" "$unit" >"$work/$name"
  # Settings as lines of their own (a commented-out one does not count), flags on ExecStart.
  for setting in User=sanji StateDirectoryMode=0700 UMask=0077 NoNewPrivileges=yes \
    ProtectSystem=strict PrivateTmp=yes Restart=on-failure RestartPreventExitStatus=2 \
    CapabilityBoundingSet=; do
    grep -qx -- "$setting" "$unit" || { echo "$name: no $setting"; fail=1; }
  done
  for flag in --tls_cert= --tls_key= --tls_ca=; do
    grep -q -- "^ExecStart=.* $flag" "$unit" || { echo "$name: ExecStart has no $flag"; fail=1; }
  done
  grep -q -- "^ExecStart=.*--insecure" "$unit" && { echo "$name: runs --insecure"; fail=1; }
done
if ! out=$(cd "$work" && systemd-analyze verify --man=no ./*.service 2>&1); then
  echo "$out"
  fail=1
elif [[ -n $out ]]; then
  echo "$out"  # warnings are failures too: a misspelt setting is only a warning
  fail=1
fi
((fail == 0)) && echo "units ok: $(ls "$units"/*.service | wc -l) verified"
exit $fail
