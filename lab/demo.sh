#!/usr/bin/env bash
# Bring the lab up (three MariaDB hosts under systemd on one network) and show it.
# The lab stays up for exploring; 'make demo-down' removes it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
suite=${REPLKIT_SUITE:-bookworm}
"$repo/lab/molecule.sh" lab "$suite" converge
"$repo/lab/molecule.sh" lab "$suite" verify
printf '\n%-10s %-10s %-9s %-12s %s\n' HOST SYSTEMD SERVER_ID ADDRESS VERSION
for node in lab-db1 lab-db2 lab-db3; do
  state=$(docker exec "$node" systemctl is-active mariadb)
  row=$(docker exec "$node" mariadb --batch --skip-column-names --execute='SELECT @@server_id, VERSION()')
  address=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$node")
  printf '%-10s %-10s %-9s %-12s %s\n' "$node" "$state" "$(cut -f1 <<<"$row")" "$address" "$(cut -f2 <<<"$row")"
done
echo
echo "demo: log in with 'docker exec -it lab-db1 mariadb'; remove the lab with 'make demo-down'."
