#!/usr/bin/env bash
# Run every Molecule scenario on every suite (make molecule-all). Each run's output also goes to
# .cache/molecule/SCENARIO-SUITE.log; a failure does not stop the others, and at the end the failed
# tasks of each failed run are printed again, so the tail of a long CI log says why it failed.
#   lab/molecule-all.sh "SUITES" "SCENARIOS"
set -uo pipefail
suites=${1:?usage: lab/molecule-all.sh "SUITES" "SCENARIOS"}
scenarios=${2:?usage: lab/molecule-all.sh "SUITES" "SCENARIOS"}
repo=$(cd "$(dirname "$0")/.." && pwd)
logs="$repo/.cache/molecule"
mkdir -p "$logs"
failed=()
for suite in $suites; do
  for scenario in $scenarios; do
    log="$logs/$scenario-$suite.log"
    if ! "$repo/lab/molecule.sh" "$scenario" "$suite" 2>&1 | tee "$log"; then
      failed+=("$scenario/$suite")
    fi
  done
done
[ ${#failed[@]} -eq 0 ] && exit 0
for run in "${failed[@]}"; do
  log="$logs/${run%/*}-${run#*/}.log"
  echo "=== molecule-all: $run failed; its failed tasks (whole output: $log) ==="
  # Ansible's colour codes off; each failure with the task name above it and the message below.
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E -B12 -A25 'fatal: \[|failed: \[|FAILED!|ERROR|Traceback' | head -n 300
done
echo "molecule-all: failed: ${failed[*]}" >&2
exit 1
