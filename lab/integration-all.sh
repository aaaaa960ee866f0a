#!/usr/bin/env bash
# The integration tests on the host's MariaDB and on each suite's node image at once (make integration): most of
# their time is spent waiting on servers and playbooks, so the runs overlap well on two cores. Each run's output
# goes to .cache/integration/SUITE.log and is printed when all ended; any failure fails the whole.
#   lab/integration-all.sh SUITE...      (bullseye: 10.5, trixie: 11.8; the host is bookworm: 10.11)
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
logs="$repo/.cache/integration"
mkdir -p "$logs"
"$repo/lab/images/build-all.sh" "$@" || exit 1
# Each run has a temporary directory of its own, as separate machines would: a copy cleans up the work directories of
# dead copies it finds there, and must not take those of another run's test. Short paths: they hold Unix sockets.
run_tmp() {
  rm -rf "/tmp/rk-$1" && mkdir -p "/tmp/rk-$1" && echo "/tmp/rk-$1"
}
declare -A pids
TMPDIR=$(run_tmp host) "$repo/lab/pytest-strict.sh" "$repo/tests/integration" >"$logs/host.log" 2>&1 &
pids[host]=$!
for suite in "$@"; do
  TMPDIR=$(run_tmp "$suite") REPLKIT_MARIADB_IMAGE="replkit-node:$suite-mariadb" \
    "$repo/lab/pytest-strict.sh" "$repo/tests/integration" >"$logs/$suite.log" 2>&1 &
  pids[$suite]=$!
done
failed=()
for run in host "$@"; do
  status=0
  wait "${pids[$run]}" || status=$?
  where="replkit-node:$run-mariadb"
  [ "$run" = host ] && where="the host's MariaDB"
  echo "integration: tests/integration on $where (exit $status)"
  cat "$logs/$run.log"
  [ "$status" -eq 0 ] || failed+=("$run")
done
[ ${#failed[@]} -eq 0 ] || { echo "integration: failed on: ${failed[*]}" >&2; exit 1; }
