#!/usr/bin/env bash
# `county_hub user add|list|remove` as an operator runs it (county_hub/user_command.h): the
# password on stdin, the file 0600, the exit statuses of bad usage, a failure that changes
# nothing; and, when util-linux's `script` can give it a terminal, the password typed twice.
# Usage: user_command_test.sh COUNTY_HUB.
set -uo pipefail
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
users=$work/users
fail=0
# expect STATUS DESCRIPTION COMMAND...: runs COMMAND (its stdin is this function's), keeping
# its output in $out, and checks its exit status.
expect() {
  local want=$1 what=$2
  shift 2
  out=$("$@" 2>&1)
  local got=$?
  if ((got != want)); then
    echo "FAIL: $what: exit $got, not $want: $out"
    fail=1
  fi
}
check() {  # check DESCRIPTION TEST...
  local what=$1
  shift
  "$@" || { echo "FAIL: $what"; fail=1; }
}

expect 0 "add" "$bin" user add --users="$users" --name=zhang <<<"correct horse"
check "add says added: $out" grep -q "zhang: added" <<<"$out"
check "the file is 0600" test "$(stat -c %a "$users")" = 600
check "the file has zhang's Argon2id hash" grep -q '^zhang:\$argon2id\$' "$users"
expect 0 "add a second" "$bin" user add --users="$users" --name=li.si <<<"另一个很长的密码"
expect 0 "list" "$bin" user list --users="$users"
check "list shows both, in order: $out" test "$out" = $'zhang\nli.si'

before=$(cat "$users")
expect 0 "add again" "$bin" user add --users="$users" --name=zhang <<<"a new password"
check "add again says password changed: $out" grep -q "zhang: password changed" <<<"$out"
check "add again replaces the hash" test "$(cat "$users")" != "$before"
check "add again keeps one zhang" test "$(grep -c '^zhang:' "$users")" = 1

before=$(cat "$users")
expect 2 "a short password" "$bin" user add --users="$users" --name=wang <<<"1234567"
check "a short password says so: $out" grep -q "at least 8 characters" <<<"$out"
expect 2 "no password" "$bin" user add --users="$users" --name=wang </dev/null
expect 2 "an empty password" "$bin" user add --users="$users" --name=wang <<<""
expect 2 "a name with a space" "$bin" user add --users="$users" --name="wang wu" <<<"long enough"
check "a bad name says what a name may be: $out" grep -q "1 to 32 of the letters" <<<"$out"
expect 2 "a Chinese name" "$bin" user add --users="$users" --name=王五 <<<"long enough"
expect 2 "a 33-character name" "$bin" user add --users="$users" \
  --name=abcdefghijklmnopqrstuvwxyz0123456 <<<"long enough"
expect 2 "no --name" "$bin" user add --users="$users" <<<"long enough"
expect 2 "no --users" "$bin" user list
expect 2 "an unknown action" "$bin" user rename --users="$users"
expect 1 "remove an unknown name" "$bin" user remove --users="$users" --name=wang
check "remove an unknown name says how to list: $out" grep -q "user list" <<<"$out"
check "failures change nothing" test "$(cat "$users")" = "$before"

expect 0 "remove" "$bin" user remove --users="$users" --name=zhang
expect 0 "list after remove" "$bin" user list --users="$users"
check "list after remove shows li.si only: $out" test "$out" = "li.si"
check "the file is still 0600" test "$(stat -c %a "$users")" = 600

chmod 644 "$users"
expect 1 "a file others may read" "$bin" user list --users="$users"
check "it says the chmod: $out" grep -q "chmod 600" <<<"$out"
expect 1 "list a missing file" "$bin" user list --users="$work/none"

# On a terminal: the password typed twice (the pty echoes what `script` types ahead, so
# only the outcome is checked).
if command -v script >/dev/null; then
  expect 0 "typed twice" script -qec "'$bin' user add --users='$work/tty' --name=zhao" \
    /dev/null <<<$'typed password\ntyped password'
  check "typed twice adds: $out" grep -q "zhao: added" <<<"$out"
  expect 2 "typed twice, differently" \
    script -qec "'$bin' user add --users='$work/tty' --name=qian" /dev/null \
    <<<$'typed password\nanother one'
  check "the passwords differ: $out" grep -q "the two passwords differ" <<<"$out"
  expect 0 "list the terminal's file" "$bin" user list --users="$work/tty"
  check "only zhao: $out" test "$out" = "zhao"
else
  echo "util-linux script not installed: the terminal cases are skipped"
fi

((fail == 0)) && echo "user command ok"
exit $fail
