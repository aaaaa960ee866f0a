#!/usr/bin/env bash
# Run a command with a Docker engine available. If none answers, start Debian's
# dockerd for the length of the command and stop it afterwards (even on failure).
# With --keep, a dockerd it starts stays up (the demo lab outlives the command).
set -euo pipefail
started_pid=""
keep=0
if [ "${1:-}" = --keep ]; then keep=1; shift; fi
stop_started() {
  if [ -n "$started_pid" ]; then
    echo "with-docker: stopping the dockerd this run started (pid $started_pid)"
    kill "$started_pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$started_pid" 2>/dev/null || break; sleep 1; done
  fi
}
if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || { echo "with-docker: dockerd is missing: run 'make setup'" >&2; exit 1; }
  mkdir -p /var/log/replkit
  setsid dockerd >/var/log/replkit/dockerd.log 2>&1 &
  started_pid=$!
  if [ "$keep" = 0 ]; then trap stop_started EXIT; fi
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "with-docker: dockerd did not start; see /var/log/replkit/dockerd.log" >&2; exit 1; }
  echo "with-docker: started dockerd (pid $started_pid)"
fi
"$@"
