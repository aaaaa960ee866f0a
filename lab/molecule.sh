#!/usr/bin/env bash
# Run one Molecule scenario on one Debian suite, building what its nodes need if missing.
#   lab/molecule.sh SCENARIO [SUITE] [MOLECULE_COMMAND]
set -euo pipefail
scenario=${1:?usage: lab/molecule.sh SCENARIO [SUITE] [COMMAND]}
suite=${2:-bookworm}
command=${3:-test}
repo=$(cd "$(dirname "$0")/.." && pwd)
# A scenario whose point is not the MariaDB version (molecule/SCENARIO/suites lists where it runs) is
# skipped, loudly, on the other suites, to keep make test within its time.
suites_file="$repo/molecule/$scenario/suites"
if [ -f "$suites_file" ] && ! grep -qx "$suite" "$suites_file"; then
  echo "molecule: $scenario runs on $(tr '\n' ' ' <"$suites_file")only ($suites_file); not on $suite"
  exit 0
fi
export PATH="$repo/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$repo/.collections"
case "$scenario" in
  # Bare nodes that install MariaDB from a local apt repository (the lab has no internet access).
  install)
    "$repo/lab/images/build.sh" "$suite" bare
    "$repo/lab/images/apt-repo.sh" "$suite" ;;
  # Every other scenario: nodes with MariaDB preinstalled.
  *) "$repo/lab/images/build.sh" "$suite" mariadb ;;
esac
echo "molecule: $command -s $scenario on $suite"
start=$(date +%s)
cd "$repo"
REPLKIT_SUITE=$suite "$repo/.venv/bin/molecule" "$command" -s "$scenario"
echo "molecule: $scenario on $suite: $command passed in $(( $(date +%s) - start )) s"
