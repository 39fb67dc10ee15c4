#!/usr/bin/env bash
# Runs the Scheme shell's tests against a running server:  run.sh SOCKET [--accept]
#
# Each NAME.scm is one session's input; the session's output without the host's first line
# ("opshell: connected as ...") must equal NAME.out byte for byte (prompts included). The server
# must serve the scheme shell (serve --shell scheme) with the default limits and a read-write
# role. --accept writes the actual output to NAME.out instead (review the diff before committing).
# Prints the differences and "N passed, M failed"; exits 0 when all passed.
set -uo pipefail
socket=${1:?usage: run.sh SOCKET [--accept]}
accept=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
command -v socat >/dev/null || { echo "error: socat is not installed" >&2; exit 2; }
[ -S "$socket" ] || { echo "error: no server socket at $socket" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
for input in "$here"/*.scm; do
  name=$(basename "$input" .scm)
  expected="$here/$name.out"
  actual="$tmp/$name.out"
  # -t 30: after our input ends, keep reading the shell's answers (a step may take a while).
  socat -t 30 - "UNIX-CONNECT:$socket" < "$input" | tail -n +2 > "$actual"
  if [ "$accept" = "--accept" ]; then
    cp "$actual" "$expected"
  fi
  if [ -f "$expected" ] && cmp -s "$expected" "$actual"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name"
    if [ -f "$expected" ]; then
      diff -u "$expected" "$actual" | head -40
    else
      echo "  missing $name.out"
    fi
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
