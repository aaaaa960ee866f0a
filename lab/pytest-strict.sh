#!/usr/bin/env bash
# pytest, but "no tests collected" (exit 5) is a failure: a layer that runs no test
# has lost its tests, and must not pass (nor fail for some other reason) silently.
set -uo pipefail
"$(dirname "$0")/../.venv/bin/pytest" "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "pytest-strict: no tests were collected from: $*" >&2
  exit 1
fi
exit "$rc"
