#!/usr/bin/env bash
# Build (or confirm up to date) the mariadb node image of each suite given, in parallel.
#   build-all.sh SUITE...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
declare -A pids
for suite in "$@"; do
  "$here/build.sh" "$suite" mariadb >"$logs/$suite.log" 2>&1 &
  pids[$suite]=$!
done
failed=0
for suite in "$@"; do
  if wait "${pids[$suite]}"; then cat "$logs/$suite.log"; else
    echo "build-all: $suite failed:" >&2; cat "$logs/$suite.log" >&2; failed=1
  fi
done
exit "$failed"
