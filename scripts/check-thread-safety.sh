#!/usr/bin/env bash
# Checks the thread-safety annotations of our code (ABSL_GUARDED_BY,
# ABSL_EXCLUSIVE_LOCKS_REQUIRED, ABSL_LOCKS_EXCLUDED ...) with clang's
# -Wthread-safety, which GCC does not implement: every source file of ours in the build's
# compile_commands.json is compiled by clang++, syntax only, with -Werror=thread-safety.
# Run scripts/build.sh first (the compile commands and the generated protobuf headers come
# from that build; $SANJI_BUILD_DIR, default <repo>/build). Exits 1 on any finding.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SANJI_BUILD_DIR:-$repo/build}
if [[ ! -f $build/compile_commands.json ]]; then
  echo "check-thread-safety: no $build/compile_commands.json; run scripts/build.sh first" >&2
  exit 2
fi
bash "$repo/scripts/install-deps.sh" >/dev/null
echo "== checking thread-safety annotations with clang (-Wthread-safety)"
python3 - "$build/compile_commands.json" "$repo" "$build" "$(nproc)" <<'PY'
import json, shlex, subprocess, sys
from concurrent.futures import ThreadPoolExecutor

commands, repo, build, jobs = sys.argv[1], sys.argv[2] + "/", sys.argv[3] + "/", int(sys.argv[4])

def clang_command(entry):
    args = entry.get("arguments") or shlex.split(entry["command"])
    out, skip = ["clang++"], False
    for arg in args[1:]:
        if skip:
            skip = False
        elif arg in ("-o", "-MF", "-MT", "-MQ"):
            skip = True
        elif arg not in ("-MD", "-MMD"):
            out.append(arg)
    return out + ["-fsyntax-only", "-Wthread-safety", "-Werror=thread-safety"]

entries = [e for e in json.load(open(commands))
           if e["file"].startswith(repo) and not e["file"].startswith(build)]

def check(entry):
    r = subprocess.run(clang_command(entry), cwd=entry["directory"],
                       capture_output=True, text=True)
    return entry["file"], r.returncode, r.stderr

failed = 0
with ThreadPoolExecutor(max_workers=jobs) as pool:
    for path, code, errors in pool.map(check, entries):
        if code != 0:
            failed += 1
            sys.stderr.write(errors)
print(f"check-thread-safety: {len(entries)} files, {failed} with findings")
sys.exit(1 if failed else 0)
PY
