#!/usr/bin/env bash
# Bring up the multi-source aggregator lab (two primaries and a backup replica with a named
# connection per primary, seeds 000/003), converge it with the site playbook and show it.
# The lab stays up for exploring; 'make demo-down' removes it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
suite=${REPLKIT_SUITE:-bookworm}
"$repo/lab/molecule.sh" multisource "$suite" create
"$repo/lab/molecule.sh" multisource "$suite" prepare
"$repo/lab/molecule.sh" multisource "$suite" converge
printf '\n%-10s %-10s %-11s %-10s %-13s %s\n' HOST SERVER_ID DOMAIN READ_ONLY ADDRESS GTID_BINLOG_POS
for node in ms-db1 ms-db2 ms-backup; do
  row=$(docker exec "$node" mariadb --batch --skip-column-names \
    --execute='SELECT @@server_id, @@gtid_domain_id, @@read_only, @@gtid_binlog_pos')
  address=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$node")
  read -r server_id domain read_only binlog_pos <<<"$row"
  printf '%-10s %-10s %-11s %-10s %-13s %s\n' "$node" "$server_id" "$domain" "$read_only" "$address" "${binlog_pos:-}"
done
printf '\n%-10s %-11s %-18s %-4s %-4s %-5s %-10s %s\n' REPLICA CONNECTION SOURCE IO SQL LAG GTID ERRORS
for node in ms-db1 ms-db2 ms-backup; do
  docker exec "$node" mariadb --batch --execute='SHOW ALL SLAVES STATUS' | awk -F'\t' -v node="$node" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    { errors = $col["Last_IO_Error"] $col["Last_SQL_Error"]
      printf "%-10s %-11s %-18s %-4s %-4s %-5s %-10s %s\n", node, $col["Connection_name"],
        $col["Master_Host"] ":" $col["Master_Port"], $col["Slave_IO_Running"], $col["Slave_SQL_Running"],
        $col["Seconds_Behind_Master"], $col["Using_Gtid"], (errors == "" ? "none" : errors) }'
done
echo
echo "demo: log in with 'docker exec -it ms-backup mariadb'; remove the lab with 'make demo-down'."
