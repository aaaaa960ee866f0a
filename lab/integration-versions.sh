#!/usr/bin/env bash
# Run the integration tests against the MariaDB of other Debian suites: each
# fixture instance runs that suite's node image on the host network.
#   lab/integration-versions.sh SUITE...      (bullseye: 10.5, trixie: 11.8)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
"$repo/lab/images/build-all.sh" "$@"
for suite in "$@"; do
  echo "integration: tests/integration on replkit-node:$suite-mariadb"
  REPLKIT_MARIADB_IMAGE="replkit-node:$suite-mariadb" "$repo/lab/pytest-strict.sh" "$repo/tests/integration"
done
