#!/usr/bin/env bash
# The unit tests on other ansible-core releases (make unit-matrix; not part of make test yet): one venv per
# release under .cache/matrix, from the same package index as make setup.
#   lab/unit-matrix.sh [2.16 2.17 2.18]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
releases=("$@")
[ ${#releases[@]} -gt 0 ] || releases=(2.16 2.17 2.18)
for release in "${releases[@]}"; do
  venv=".cache/matrix/ansible-core-$release"
  if [ ! -x "$venv/bin/pytest" ]; then
    python3 -m venv "$venv"
    next="${release%.*}.$(( ${release#*.} + 1 ))"
    "$venv/bin/pip" install -q --disable-pip-version-check "ansible-core>=$release,<$next" pytest PyMySQL \
      ansible-builder 2>&1 | grep -v '^WARNING: Location' || true
  fi
  start=$(date +%s)
  echo "unit-matrix: $("$venv/bin/ansible" --version | head -1)"
  "$venv/bin/pytest" tests/unit -q -p no:cacheprovider --no-header | tail -n 1
  echo "unit-matrix: ansible-core $release passed in $(( $(date +%s) - start )) s"
done
